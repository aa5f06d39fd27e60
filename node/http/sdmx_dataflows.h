// lmx's three SDMX dataflows (FLOW, SHORTAGE, VACANCY_AGG): their
// dimensions, measures and attributes in SDMX-CSV order, and their names.
// Data messages (sdmx.h) and structure messages (sdmx_structure.h) are both
// written from this one table.
#ifndef LMX_NODE_HTTP_SDMX_DATAFLOWS_H_
#define LMX_NODE_HTTP_SDMX_DATAFLOWS_H_

#include <cstddef>
#include <vector>

#include "absl/strings/string_view.h"
#include "lmx/v1/query.pb.h"

namespace lmx {

// One of lmx's dataflows: its columns in SDMX-CSV order.
struct SdmxDataflow {
  const char* id;  // FLOW
  v1::Dataset dataset;
  std::vector<const char*> dimensions;  // the key, in order; TIME_PERIOD follows
  std::vector<const char*> measures;
  std::vector<const char*> attributes;
  // SDMX-ML 2.1 has one primary measure: this one of `measures` (a number,
  // which is what SDMX-ML tools read it as); the others are attributes.
  size_t primary = 0;

  // The id of an observation's i-th value: the measures, then the
  // attributes.
  const char* ValueId(size_t i) const {
    return i < measures.size() ? measures[i] : attributes[i - measures.size()];
  }
  // In SDMX-ML 2.1, the values that are attributes, in order.
  std::vector<size_t> MlAttributes() const {
    std::vector<size_t> values;
    for (size_t i = 0; i < measures.size() + attributes.size(); ++i) {
      if (i != primary) values.push_back(i);
    }
    return values;
  }
};

// FLOW, SHORTAGE and VACANCY_AGG; null for another id.
const SdmxDataflow* FindSdmxDataflow(absl::string_view id);

// The dataflow's name, e.g. "Migrant-worker flows".
const char* SdmxDataflowName(const SdmxDataflow& flow);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_SDMX_DATAFLOWS_H_
