// Classifications, and the built-in codelists every node holds with their
// hierarchies and labels.
#include "federation/classifications/classification.h"

#include <map>
#include <string>

#include "federation/classifications/codelists.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_codelists.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> CodesOf(const std::vector<const ClassCode*>& codes) {
  std::vector<std::string> out;
  for (const ClassCode* code : codes) out.push_back(code->code);
  return out;
}

TEST(BuiltInCodelistsTest, HoldsEveryRegionalCodelist) {
  std::vector<std::string> ids;
  for (const Classification* c : TestCodelists()->All()) ids.push_back(c->id());
  EXPECT_THAT(ids,
              ElementsAre("ISCO08", "ISIC4", "ISCED11", "SEX", "AGE", "ISO3166-1", "ISO3166-2"));
  EXPECT_EQ(TestCodelists()->Find("isco08"), &Codelists::Isco());
  EXPECT_EQ(TestCodelists()->Find("SOC2010"), nullptr);
}

TEST(BuiltInCodelistsTest, IscoNursingProfessionalsSitUnderHealthProfessionals) {
  const Classification& isco = Codelists::Isco();
  const ClassCode* nurses = isco.Find("2221");
  ASSERT_NE(nurses, nullptr);
  EXPECT_EQ(nurses->label, "Nursing professionals");
  EXPECT_EQ(nurses->parent, "222");
  EXPECT_EQ(isco.LevelName(nurses->level), "unit group");
  EXPECT_THAT(CodesOf(isco.Ancestors("2221")), ElementsAre("2", "22", "222"));
  EXPECT_EQ(isco.Find("2")->label, "Professionals");
  EXPECT_THAT(CodesOf(isco.Children("222")), ElementsAre("2221", "2222"));
  EXPECT_TRUE(isco.Children("2221").empty());
  EXPECT_EQ(isco.Children("").size(), 10u);  // the major groups
}

TEST(BuiltInCodelistsTest, IsicHasTwentyOneSectionsAndEightyEightDivisions) {
  const Classification* isic = TestCodelists()->Find("ISIC4");
  ASSERT_NE(isic, nullptr);
  std::map<int, int> per_level;
  for (const ClassCode& code : isic->codes()) ++per_level[code.level];
  EXPECT_EQ(per_level, (std::map<int, int>{{1, 21}, {2, 88}}));
  EXPECT_EQ(isic->Find("86")->parent, "Q");
  EXPECT_EQ(isic->Find("F")->label, "Construction");
  // Roll-up agrees with the hierarchy for every division.
  for (const ClassCode& code : isic->codes()) {
    if (code.level == 2) EXPECT_EQ(Codelists::RollUpActivity(code.code, 1), code.parent);
  }
}

TEST(BuiltInCodelistsTest, IsoCodesGiveCountriesAndSubdivisionsWithNames) {
  const Classification* countries = TestCodelists()->Find("ISO3166-1");
  ASSERT_NE(countries, nullptr);
  EXPECT_EQ(countries->Find("KEN")->label, "Kenya");
  EXPECT_GT(countries->codes().size(), 240u);
  const Classification* subdivisions = TestCodelists()->Find("ISO3166-2");
  ASSERT_NE(subdivisions, nullptr);
  EXPECT_THAT(subdivisions->Find("KE-01")->label, HasSubstr("Baringo"));
  // Azerbaijan's Babək rayon lies in the Naxçıvan autonomous republic.
  const ClassCode* babek = subdivisions->Find("AZ-BAB");
  ASSERT_NE(babek, nullptr);
  EXPECT_EQ(babek->parent, "AZ-NX");
  EXPECT_EQ(babek->level, 2);
}

TEST(BuiltInCodelistsTest, SmallCodelistsHaveTheirCodesAndLabels) {
  EXPECT_EQ(TestCodelists()->Find("ISCED11")->codes().size(), 9u);
  EXPECT_EQ(TestCodelists()->Find("ISCED11")->Find("6")->label, "Bachelor's or equivalent level");
  EXPECT_EQ(TestCodelists()->Find("SEX")->Find("F")->label, "Female");
  EXPECT_EQ(TestCodelists()->Find("AGE")->Find("Y_GE65")->label, "65 years or over");
}

TEST(ClassificationTest, RefusesAChildListedBeforeItsParentOrOnTheWrongLevel) {
  auto orphan = Classification::Create("X", "x", "test", {"a", "b"},
                                       {{"11", 2, "1", "child"}, {"1", 1, "", "parent"}});
  EXPECT_FALSE(orphan.ok());
  auto skipping = Classification::Create("X", "x", "test", {"a", "b", "c"},
                                         {{"1", 1, "", "parent"}, {"111", 3, "1", "grandchild"}});
  EXPECT_FALSE(skipping.ok());
}

}  // namespace
}  // namespace lmx
