#include "federation/classifications/occupation_search.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmx {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

std::vector<std::string> Codes(absl::string_view text, size_t limit = 8) {
  std::vector<std::string> codes;
  for (const auto& match : OccupationSearch::Default().Find(text, limit)) {
    codes.push_back(match.code);
  }
  return codes;
}

TEST(OccupationSearchTest, TheWordsPeopleUseFindTheirIscoUnitGroupFirst) {
  EXPECT_EQ(Codes("nurse").front(), "2221");
  EXPECT_EQ(Codes("NURSE").front(), "2221");
  EXPECT_EQ(Codes("welder").front(), "7212");
  EXPECT_EQ(Codes("software developer").front(), "2512");
  EXPECT_EQ(Codes("lorry driver").front(), "8332");
}

TEST(OccupationSearchTest, MatchesWordPrefixesInAnyOrderAndCase) {
  EXPECT_EQ(Codes("lorry dri").front(), "8332");
  EXPECT_THAT(Codes("Driver  LORRY"), Contains("8332"));
  EXPECT_EQ(NormalizeSearchText("  Lorry-Driver "), "lorry driver");
}

TEST(OccupationSearchTest, ACodeFindsItselfAndBlankTextFindsNothing) {
  auto matches = OccupationSearch::Default().Find("2221", 5);
  ASSERT_FALSE(matches.empty());
  EXPECT_EQ(matches.front().code, "2221");
  EXPECT_EQ(matches.front().source, OccupationMatch::kCode);
  EXPECT_THAT(Codes("   "), IsEmpty());
  EXPECT_THAT(Codes("zzzzqqq"), IsEmpty());
}

TEST(OccupationSearchTest, AnEscoMatchSaysWhichLabelMatchedAndTheLimitHolds) {
  auto matches = OccupationSearch::Default().Find("nurse", 3);
  ASSERT_EQ(matches.size(), 3u);
  EXPECT_NE(matches.front().matched.find("nurse"), std::string::npos) << matches.front().matched;
  EXPECT_GT(OccupationSearch::Default().labels(), 20000u);
}

}  // namespace
}  // namespace lmx
