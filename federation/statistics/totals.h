// Published totals and the details they sum, counted once (SPEC §3
// `lmx aggregate`). A ministry may publish a flow table with totals (`_T`)
// and, for occupation, codes at several ISCO levels; adding every cell
// would count the same people two or three times.
//
// The rule, per line of a table (every dimension but one fixed):
// - along a dimension the answer does not group by, the line's total is
//   used when it was published, else the sum of its details (a detail under
//   another published detail, like 2221 under 222, is left out);
// - along a dimension the answer groups by, the details are used and the
//   total dropped; a total published without details stays, as `_T`.
//
//   std::vector<FlowCell> cells = ...;
//   cells = ResolveTotals(std::move(cells), {"occupation"});
#ifndef LMX_FEDERATION_STATISTICS_TOTALS_H_
#define LMX_FEDERATION_STATISTICS_TOTALS_H_

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace lmx {

// The dimensions of a flow cell, in the order of AggregateDimensions(FLOW):
// country, period, direction, counterpart, occupation, sex, age, channel.
inline constexpr int kFlowDimensions = 8;
struct FlowCell {
  std::array<std::string, kFlowDimensions> dims;
  int64_t count = 0;
};

// Applies the rule above; `grouped` names the dimensions the answer groups
// by. Country, period and direction are never summed into totals here.
std::vector<FlowCell> ResolveTotals(std::vector<FlowCell> cells,
                                    const std::set<std::string>& grouped);

// The distinct codes of flow cells along the dimensions ResolveTotals sums,
// noted as the cells stream by. When no dimension mixes a total with
// details and no occupation code nests under another, ResolveTotals cannot
// change an aggregate: the cells can be summed as they come, without being
// kept (the common case, and the fast one).
//
//   FlowCodes codes;
//   for (...) codes.Add(cell.dims);  // and aggregate the cell directly
//   if (codes.NeedsResolving()) { ... collect the cells, ResolveTotals ... }
class FlowCodes {
 public:
  void Add(const std::array<const std::string*, kFlowDimensions>& dims);
  // One code of dimension `d` (0-based, as in FlowCell::dims).
  void AddCode(int d, const std::string& code);
  bool NeedsResolving() const;

 private:
  std::array<absl::flat_hash_set<std::string>, kFlowDimensions> codes_;
  std::array<std::string, kFlowDimensions> last_;  // codes come in runs
};

}  // namespace lmx

#endif  // LMX_FEDERATION_STATISTICS_TOTALS_H_
