#include "federation/statistics/totals.h"

#include <map>

#include "gtest/gtest.h"

namespace lmx {
namespace {

FlowCell Cell(const std::string& occupation, const std::string& sex, int64_t count) {
  FlowCell cell;
  cell.dims = {"KEN", "2025", "OUTFLOW", "SAU", occupation, sex, "_T", "_T"};
  cell.count = count;
  return cell;
}

std::map<std::string, int64_t> ByOccupation(const std::vector<FlowCell>& cells) {
  std::map<std::string, int64_t> sums;
  for (const auto& cell : cells) sums[cell.dims[4]] += cell.count;
  return sums;
}

int64_t Sum(const std::vector<FlowCell>& cells) {
  int64_t sum = 0;
  for (const auto& cell : cells) sum += cell.count;
  return sum;
}

TEST(TotalsTest, APublishedTotalIsUsedInsteadOfItsDetails) {
  // F and M are withheld at 0 by disclosure control; the total is exact.
  std::vector<FlowCell> cells = {Cell("2221", "F", 0), Cell("2221", "M", 0),
                                 Cell("2221", "_T", 43)};
  EXPECT_EQ(Sum(ResolveTotals(cells, {})), 43);
}

TEST(TotalsTest, DetailsAreSummedWhenNoTotalWasPublished) {
  std::vector<FlowCell> cells = {Cell("2221", "F", 3), Cell("2221", "M", 40)};
  EXPECT_EQ(Sum(ResolveTotals(cells, {})), 43);
}

TEST(TotalsTest, NestedOccupationsAreCountedOnce) {
  std::vector<FlowCell> cells = {Cell("2221", "_T", 10), Cell("2222", "_T", 5),
                                 Cell("222", "_T", 15), Cell("3", "_T", 7)};
  EXPECT_EQ(Sum(ResolveTotals(cells, {})), 22);
  auto grouped = ByOccupation(ResolveTotals(cells, {"occupation"}));
  EXPECT_EQ(grouped.count("2221"), 0u);  // under 222, which is published
  EXPECT_EQ(grouped["222"], 15);
  EXPECT_EQ(grouped["3"], 7);
}

TEST(TotalsTest, GroupingByADimensionDropsItsTotalButKeepsALoneTotal) {
  std::vector<FlowCell> cells = {Cell("2221", "F", 3), Cell("2221", "M", 40),
                                 Cell("2221", "_T", 43), Cell("3111", "_T", 8)};
  std::map<std::string, int64_t> by_sex;
  for (const auto& cell : ResolveTotals(cells, {"sex"})) by_sex[cell.dims[5]] += cell.count;
  EXPECT_EQ(by_sex["F"], 3);
  EXPECT_EQ(by_sex["M"], 40);
  EXPECT_EQ(by_sex["_T"], 8);  // 3111 was published only as a total
}

}  // namespace
}  // namespace lmx
