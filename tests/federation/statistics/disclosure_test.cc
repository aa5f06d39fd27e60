#include "federation/statistics/disclosure.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lmx {
namespace {

v1::Flow Cell(const std::string& occupation, const std::string& sex, int64_t count) {
  v1::Flow f;
  f.set_country("KEN");
  f.set_period("2025");
  f.set_direction(v1::OUTFLOW);
  f.set_counterpart("SAU");
  f.set_occupation(occupation);
  f.set_sex(sex);
  f.set_age("_T");
  f.set_channel("_T");
  f.set_count(count);
  return f;
}

std::map<std::string, v1::ConfStatus> Statuses(const std::vector<v1::Flow>& table) {
  std::map<std::string, v1::ConfStatus> out;
  for (const auto& f : table) out[f.occupation() + "/" + f.sex()] = f.conf_status();
  return out;
}

// No line (a total and its details) may hold exactly one withheld cell.
void ExpectNoLineGivesAwayACell(const std::vector<v1::Flow>& table) {
  std::map<std::string, int> hidden_by_total;
  std::map<std::string, bool> total_hidden;
  for (const auto& f : table) {
    bool hidden = f.conf_status() != v1::F;
    if (f.sex() == "_T")
      total_hidden[f.occupation()] = hidden;
    else
      hidden_by_total[f.occupation()] += hidden ? 1 : 0;
  }
  for (const auto& [occupation, hidden] : hidden_by_total) {
    int line = hidden + (total_hidden[occupation] ? 1 : 0);
    EXPECT_NE(line, 1) << occupation;
  }
}

TEST(DisclosureTest, SmallCountsAreWithheldAndAComplementProtectsThem) {
  std::vector<v1::Flow> table = {Cell("2221", "F", 3), Cell("2221", "M", 40),
                                 Cell("2221", "_T", 43)};
  DisclosureReport report = ApplyDisclosure(5, &table);
  EXPECT_EQ(report.primary, 1);
  EXPECT_EQ(report.secondary, 1);
  auto statuses = Statuses(table);
  EXPECT_EQ(statuses["2221/F"], v1::C);
  EXPECT_EQ(statuses["2221/M"], v1::D);  // else M = T - F gives F away
  EXPECT_EQ(statuses["2221/_T"], v1::F);
  EXPECT_EQ(table[2].count(), 43);  // the total is computed from the raw data
  EXPECT_EQ(table[0].count(), 0);
  EXPECT_EQ(table[1].count(), 0);
}

TEST(DisclosureTest, TheSmallestNonZeroDetailIsTheComplement) {
  std::vector<v1::Flow> table = {Cell("2221", "F", 2), Cell("2221", "M", 9), Cell("2221", "_U", 0),
                                 Cell("2221", "_T", 11)};
  ApplyDisclosure(5, &table);
  auto statuses = Statuses(table);
  EXPECT_EQ(statuses["2221/M"], v1::D);
  EXPECT_EQ(statuses["2221/_U"], v1::F);
}

TEST(DisclosureTest, SuppressionPropagatesAlongTheOccupationHierarchy) {
  // 2221 and 2222 sum to 222; 222 and 223 sum to 22; every level by sex.
  std::vector<v1::Flow> table;
  for (const auto& [code, f, m] : std::vector<std::tuple<std::string, int, int>>{
           {"2221", 2, 30}, {"2222", 20, 25}, {"222", 22, 55}, {"223", 50, 60}, {"22", 72, 115}}) {
    table.push_back(Cell(code, "F", f));
    table.push_back(Cell(code, "M", m));
    table.push_back(Cell(code, "_T", f + m));
  }
  ApplyDisclosure(5, &table);
  ExpectNoLineGivesAwayACell(table);
  // Along occupation too: within each (sex, parent) line, not exactly one.
  std::map<std::string, int> hidden;  // "sex parent" -> withheld children
  std::map<std::string, bool> parent_hidden;
  for (const auto& f : table) {
    bool withheld = f.conf_status() != v1::F;
    std::string parent =
        f.occupation() == "22" ? "" : f.occupation().substr(0, f.occupation().size() - 1);
    if (!parent.empty()) hidden[f.sex() + " " + parent] += withheld;
    parent_hidden[f.sex() + " " + f.occupation()] = withheld;
  }
  for (const auto& [line, n] : hidden) {
    EXPECT_NE(n + (parent_hidden[line] ? 1 : 0), 1) << line;
  }
}

TEST(DisclosureTest, ATableWithoutSmallCountsIsPublishedWhole) {
  std::vector<v1::Flow> table = {Cell("2221", "F", 5), Cell("2221", "M", 0), Cell("2221", "_T", 5)};
  DisclosureReport report = ApplyDisclosure(5, &table);
  EXPECT_EQ(report.primary + report.secondary, 0);
  for (const auto& f : table) EXPECT_EQ(f.conf_status(), v1::F);
}

TEST(DisclosureTest, ASingleDetailUnderItsTotalHidesTheTotalToo) {
  std::vector<v1::Flow> table = {Cell("2221", "F", 3), Cell("2221", "_T", 9)};
  ApplyDisclosure(5, &table);
  EXPECT_EQ(table[0].conf_status(), v1::C);
  EXPECT_EQ(table[1].conf_status(), v1::D);
}

}  // namespace
}  // namespace lmx
