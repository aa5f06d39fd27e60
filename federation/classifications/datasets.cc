#include "federation/classifications/datasets.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace lmx {
namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// The dimensions of each dataset, in the order `lmx query` shows them.
const std::map<v1::Dataset, std::vector<std::string>>& DimensionTable() {
  static const auto* table = new std::map<v1::Dataset, std::vector<std::string>>{
      {v1::DATASET_SHORTAGE, {"country", "period", "occupation", "region", "activity"}},
      {v1::DATASET_VACANCY, {"country", "period", "occupation", "region", "activity", "education"}},
      {v1::DATASET_FLOW,
       {"country", "period", "direction", "counterpart", "occupation", "sex", "age", "channel"}},
  };
  return *table;
}

}  // namespace

std::vector<std::string> AggregateDimensions(v1::Dataset dataset) {
  auto it = DimensionTable().find(dataset);
  return it == DimensionTable().end() ? std::vector<std::string>{} : it->second;
}

const std::string& OccupationOf(const v1::Observation& o) {
  if (o.has_shortage()) return o.shortage().occupation();
  if (o.has_vacancy()) return o.vacancy().occupation();
  if (o.has_vacancy_aggregate()) return o.vacancy_aggregate().occupation();
  return o.flow().occupation();
}

const std::string& PeriodOf(const v1::Observation& o) {
  static const auto* none = new std::string();
  if (o.has_shortage()) return o.shortage().period();
  if (o.has_flow()) return o.flow().period();
  if (o.has_vacancy_aggregate()) return o.vacancy_aggregate().period();
  return *none;
}

absl::string_view ReportingPeriodOf(const v1::Observation& o) {
  if (o.has_vacancy()) return absl::string_view(o.vacancy().posted()).substr(0, 7);
  return PeriodOf(o);
}

std::string* MutableOccupation(v1::Observation* o) {
  if (o->has_shortage()) return o->mutable_shortage()->mutable_occupation();
  if (o->has_vacancy()) return o->mutable_vacancy()->mutable_occupation();
  if (o->has_vacancy_aggregate()) return o->mutable_vacancy_aggregate()->mutable_occupation();
  return o->mutable_flow()->mutable_occupation();
}

v1::Provenance* MutableProvenance(v1::Observation* o) {
  if (o->has_shortage()) return o->mutable_shortage()->mutable_provenance();
  if (o->has_vacancy()) return o->mutable_vacancy()->mutable_provenance();
  if (o->has_vacancy_aggregate()) return o->mutable_vacancy_aggregate()->mutable_provenance();
  return o->mutable_flow()->mutable_provenance();
}

absl::StatusOr<v1::Grouping> ParseGrouping(v1::Dataset dataset, absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  v1::Grouping grouping;
  grouping.set_dimension(std::string(parts[0]));
  auto dimensions = AggregateDimensions(dataset);
  if (std::find(dimensions.begin(), dimensions.end(), grouping.dimension()) == dimensions.end()) {
    return Invalid(absl::StrCat("--by: '", parts[0], "' is not a dimension of this dataset (",
                                absl::StrJoin(dimensions, ", "), ")"));
  }
  if (parts.size() > 2) return Invalid(absl::StrCat("--by: '", text, "' has more than one level"));
  if (parts.size() == 2) {
    int level = 0;
    int max_level = grouping.dimension() == "occupation" ? 4
                    : grouping.dimension() == "activity" ? 1
                                                         : 0;
    if (!absl::SimpleAtoi(parts[1], &level) || level < 1 || level > max_level) {
      return Invalid(max_level == 0
                         ? absl::StrCat("--by: '", grouping.dimension(), "' has no levels")
                         : absl::StrCat("--by: level of '", grouping.dimension(), "' must be 1 to ",
                                        max_level));
    }
    grouping.set_level(level);
  }
  return grouping;
}

std::string DatasetWord(v1::Dataset dataset) {
  switch (dataset) {
    case v1::DATASET_SHORTAGE:
      return "shortages";
    case v1::DATASET_VACANCY:
      return "vacancies";
    case v1::DATASET_FLOW:
      return "flows";
    case v1::DATASET_CROSSWALK:
      return "crosswalk";
    default:
      return absl::StrCat("dataset ", static_cast<int>(dataset));
  }
}

}  // namespace lmx
