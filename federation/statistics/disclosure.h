// Statistical disclosure control for flows, applied to what leaves a node
// (SPEC §4, docs/disclosure.md). The origin keeps its raw data.
//
// Primary suppression marks a cell with 0 < count < threshold `C`.
// Secondary suppression then marks further cells `D` until no line of the
// table (a total and the cells it sums along one dimension, every other
// dimension fixed) has exactly one suppressed cell, so no suppressed value is
// the difference of published ones. Totals keep their values computed from
// the raw data. A suppressed cell is published with count 0.
//
//   std::vector<v1::Flow> table = ...;  // one origin, one period
//   DisclosureReport report = ApplyDisclosure(5, &table);
#ifndef LMX_FEDERATION_STATISTICS_DISCLOSURE_H_
#define LMX_FEDERATION_STATISTICS_DISCLOSURE_H_

#include <cstdint>
#include <vector>

#include "lmx/v1/observation.pb.h"

namespace lmx {

inline constexpr int64_t kDefaultDisclosureThreshold = 5;

struct DisclosureReport {
  int64_t primary = 0;    // cells marked C
  int64_t secondary = 0;  // cells marked D
};

// Suppresses cells of `table` in place: all of one origin and period, with
// distinct keys. Cells are considered in the order given (ties go to the
// earlier cell), so the same table always gives the same result.
DisclosureReport ApplyDisclosure(int64_t threshold, std::vector<v1::Flow>* table);

}  // namespace lmx

#endif  // LMX_FEDERATION_STATISTICS_DISCLOSURE_H_
