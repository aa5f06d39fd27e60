// The dimensions of each dataset, as users group and filter by them (SPEC §3
// `lmx aggregate --by=DIM[:LEVEL]`). Shared by the node, which aggregates,
// and the CLI, which checks its arguments before it calls the node.
//
//   ParseGrouping(v1::DATASET_FLOW, "occupation:1");  // ISCO major groups
#ifndef LMX_FEDERATION_CLASSIFICATIONS_DATASETS_H_
#define LMX_FEDERATION_CLASSIFICATIONS_DATASETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lmx/v1/query.pb.h"

namespace lmx {

// The dimensions a dataset can be grouped by; empty for datasets that
// cannot be queried.
std::vector<std::string> AggregateDimensions(v1::Dataset dataset);

// The fields every kind of observation has (shortage, vacancy, vacancy
// aggregate, flow), read or set whatever its kind.
const std::string& OccupationOf(const v1::Observation& observation);
std::string* MutableOccupation(v1::Observation* observation);
// The period of a shortage, flow or vacancy aggregate; empty for a vacancy
// record (it has dates instead).
const std::string& PeriodOf(const v1::Observation& observation);
// The period an observation reports on: PeriodOf, or for a vacancy record
// the month it was posted (YYYY-MM). A view into `observation`: no copy
// on the publish path.
absl::string_view ReportingPeriodOf(const v1::Observation& observation);
v1::Provenance* MutableProvenance(v1::Observation* observation);

// "shortages", "vacancies", "flows" or "crosswalk": a dataset as `lmx`
// names it.
std::string DatasetWord(v1::Dataset dataset);

// Parses "DIM" or "DIM:LEVEL" and checks it against the dataset: occupation
// has levels 1-4 (ISCO), activity level 1 (ISIC sections), others none.
absl::StatusOr<v1::Grouping> ParseGrouping(v1::Dataset dataset, absl::string_view text);

}  // namespace lmx

#endif  // LMX_FEDERATION_CLASSIFICATIONS_DATASETS_H_
