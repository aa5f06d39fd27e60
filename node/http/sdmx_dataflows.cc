#include "node/http/sdmx_dataflows.h"

namespace lmx {
namespace {

const std::vector<SdmxDataflow>& Dataflows() {
  static const auto* flows = new std::vector<SdmxDataflow>{
      {"FLOW",
       v1::DATASET_FLOW,
       {"REF_AREA", "DIRECTION", "COUNTERPART_AREA", "OCCUPATION", "SEX", "AGE", "CHANNEL"},
       "OBS_VALUE",
       {"CONF_STATUS"}},
      {"SHORTAGE",
       v1::DATASET_SHORTAGE,
       {"REF_AREA", "OCCUPATION", "REGION", "ACTIVITY"},
       "SHORTAGE_INDEX",
       {"SHORTAGE_STATUS", "HARD_TO_FILL"}},
      {"VACANCY_AGG",
       v1::DATASET_VACANCY_AGG,
       {"REF_AREA", "OCCUPATION", "REGION", "ACTIVITY"},
       "VACANCIES",
       {"POSITIONS"}},
  };
  return *flows;
}

}  // namespace

int SdmxDataflow::Component(absl::string_view component) const {
  for (size_t i = 0; i < components(); ++i) {
    if (component == ComponentId(i)) return static_cast<int>(i);
  }
  return -1;
}

const SdmxDataflow* FindSdmxDataflow(absl::string_view id) {
  for (const SdmxDataflow& flow : Dataflows()) {
    if (id == flow.id) return &flow;
  }
  return nullptr;
}

const char* SdmxDataflowName(const SdmxDataflow& flow) {
  switch (flow.dataset) {
    case v1::DATASET_FLOW:
      return "Migrant-worker flows";
    case v1::DATASET_SHORTAGE:
      return "Skill shortages by occupation";
    default:
      return "Job vacancies by month of posting";
  }
}

}  // namespace lmx
