#include "federation/classifications/codelists.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/base/csv_reader.h"
#include "tests/support/test_codelists.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;

class CodelistsTest : public ::testing::Test {
 protected:
  const Codelists& lists() const { return *TestCodelists(); }
};

// Checks that `result` is an INVALID_ARGUMENT whose message quotes `value`.
void ExpectRejected(const absl::StatusOr<std::string>& result, const std::string& value) {
  ASSERT_FALSE(result.ok()) << "'" << value << "' accepted as '" << *result << "'";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << value;
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("'" + value + "'"));
}

void ExpectAccepted(const absl::StatusOr<std::string>& result, const std::string& canonical) {
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, canonical);
}

TEST_F(CodelistsTest, IscoHas619GroupsOnFourLevels) {
  std::map<int, int> per_level;
  for (const ClassCode& group : Codelists::Isco().codes()) ++per_level[group.level];
  EXPECT_EQ(Codelists::Isco().codes().size(), 619u);
  EXPECT_EQ(per_level, (std::map<int, int>{{1, 10}, {2, 43}, {3, 130}, {4, 436}}));
}

TEST_F(CodelistsTest, IscoMatchesTheRegionalReferenceFile) {
  const std::string path = std::string(LMX_SHARED_DATA_DIR) + "/isco08.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not available";
  auto reader = CsvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  CsvRecord record;
  ASSERT_TRUE((*reader)->Next(&record));
  ASSERT_THAT(record.fields, ::testing::ElementsAre("code", "level", "parent", "label"));
  size_t rows = 0;
  while ((*reader)->Next(&record)) {
    ASSERT_TRUE(record.error.empty()) << path << ":" << record.line << ": " << record.error;
    ASSERT_EQ(record.fields.size(), 4u) << path << ":" << record.line;
    ++rows;
    const ClassCode* group = Codelists::Isco().Find(record.fields[0]);
    ASSERT_NE(group, nullptr) << "missing ISCO code " << record.fields[0];
    EXPECT_EQ(std::to_string(group->level), record.fields[1]) << record.fields[0];
    EXPECT_EQ(group->parent, record.fields[2]) << record.fields[0];
    EXPECT_EQ(group->label, record.fields[3]) << record.fields[0];
  }
  EXPECT_EQ(rows, Codelists::Isco().codes().size());
}

TEST_F(CodelistsTest, EveryIscoGroupIsItsParentsCodePlusOneDigit) {
  for (const ClassCode& group : Codelists::Isco().codes()) {
    EXPECT_EQ(group.code.size(), static_cast<size_t>(group.level)) << group.code;
    if (group.level == 1) {
      EXPECT_TRUE(group.parent.empty()) << group.code;
      continue;
    }
    EXPECT_NE(Codelists::Isco().Find(group.parent), nullptr) << group.code;
    EXPECT_EQ(Codelists::RollUpOccupation(group.code, group.level - 1), group.parent) << group.code;
  }
}

TEST_F(CodelistsTest, OccupationAcceptsCodesAtEveryLevel) {
  for (const char* code : {"2", "25", "251", "2512", "0", "0110", "9629"}) {
    ExpectAccepted(lists().Occupation(code), code);
  }
  ASSERT_NE(Codelists::Isco().Find("2512"), nullptr);
  EXPECT_EQ(Codelists::Isco().Find("2512")->parent, "251");
  EXPECT_EQ(Codelists::Isco().Find("9999"), nullptr);
}

TEST_F(CodelistsTest, OccupationRejectsCodesOutsideIscoNamingThem) {
  for (const char* code : {"9999", "25120", "2515", "0111", "", "x", " 2512"}) {
    ExpectRejected(lists().Occupation(code), code);
  }
  EXPECT_THAT(std::string(lists().Occupation("9999").status().message()), HasSubstr("ISCO-08"));
}

TEST_F(CodelistsTest, CountryAcceptsAlpha3Alpha2AndNumericInAnyCase) {
  for (const char* code : {"KEN", "ken", "Ken", "KE", "ke", "404"}) {
    ExpectAccepted(lists().Country(code), "KEN");
  }
  ExpectAccepted(lists().Country("ug"), "UGA");
  ExpectAccepted(lists().Country("834"), "TZA");
}

TEST_F(CodelistsTest, CountryRejectsCodesOutsideIso3166NamingThem) {
  for (const char* code : {"XXX", "xx", "999", "", "KENYA", "K"}) {
    ExpectRejected(lists().Country(code), code);
  }
}

TEST_F(CodelistsTest, RegionMustBeASubdivisionOfTheGivenCountry) {
  ExpectAccepted(lists().Region("KE-30", "KEN"), "KE-30");
  ExpectAccepted(lists().Region("ke-30", "KEN"), "KE-30");
  ExpectAccepted(lists().Region("UG-101", "UGA"), "UG-101");

  auto foreign = lists().Region("UG-101", "KEN");
  ExpectRejected(foreign, "UG-101");
  EXPECT_THAT(std::string(foreign.status().message()), HasSubstr("KEN"));

  ExpectRejected(lists().Region("KE-99", "KEN"), "KE-99");
  ExpectRejected(lists().Region("Nairobi", "KEN"), "Nairobi");
}

TEST_F(CodelistsTest, ActivityAcceptsIsicSectionsAndDivisions) {
  for (const char* code : {"A", "C", "U", "01", "03", "10", "47", "99"}) {
    ExpectAccepted(Codelists::Activity(code), code);
  }
  ExpectAccepted(Codelists::Activity("g"), "G");
}

TEST_F(CodelistsTest, ActivityRejectsCodesOutsideIsicNamingThem) {
  // 04, 34 and 40 are gaps between ISIC divisions; V is past the last section.
  for (const char* code : {"04", "34", "40", "00", "V", "Z", "100", "1", "", "A1"}) {
    ExpectRejected(Codelists::Activity(code), code);
  }
}

TEST_F(CodelistsTest, EducationAcceptsIscedLevelsZeroToEight) {
  for (const char* code : {"0", "1", "2", "3", "4", "5", "6", "7", "8"}) {
    ExpectAccepted(Codelists::Education(code), code);
  }
  for (const char* code : {"9", "10", "-1", "", "ISCED3"}) {
    ExpectRejected(Codelists::Education(code), code);
  }
}

TEST_F(CodelistsTest, SexAndAgeAcceptTheirSdmxCodes) {
  ExpectAccepted(Codelists::Sex("F"), "F");
  ExpectAccepted(Codelists::Sex("m"), "M");
  ExpectRejected(Codelists::Sex("X"), "X");
  ExpectRejected(Codelists::Sex("female"), "female");
  for (const char* code : {"Y15T24", "Y25T54", "Y55T64", "Y_GE65"}) {
    ExpectAccepted(Codelists::Age(code), code);
  }
  ExpectAccepted(Codelists::Age("y15t24"), "Y15T24");
  ExpectRejected(Codelists::Age("Y15-24"), "Y15-24");
  ExpectRejected(Codelists::Age("Y_GE66"), "Y_GE66");
}

TEST_F(CodelistsTest, ChannelAcceptsShortWordCodesUpperCased) {
  ExpectAccepted(Codelists::Channel("private_agency"), "PRIVATE_AGENCY");
  ExpectAccepted(Codelists::Channel("G2G"), "G2G");
  ExpectRejected(Codelists::Channel("a-b"), "a-b");
  ExpectRejected(Codelists::Channel("_X"), "_X");
  ExpectRejected(Codelists::Channel(std::string(33, 'A')), std::string(33, 'A'));
}

TEST_F(CodelistsTest, SpecialCodesAreAcceptedOnlyWhenTheColumnAllowsThem) {
  ExpectRejected(lists().Country("_U"), "_U");
  ExpectAccepted(lists().Country("_U", kAllowUnknown), "_U");
  ExpectRejected(lists().Country("_T", kAllowUnknown), "_T");

  ExpectRejected(lists().Occupation("_T"), "_T");
  ExpectAccepted(lists().Occupation("_T", kAllowTotal), "_T");
  ExpectAccepted(lists().Occupation("_z", kAllowNotApplicable), "_Z");

  ExpectRejected(lists().Region("_T", "KEN"), "_T");
  ExpectAccepted(lists().Region("_T", "KEN", kAllowTotal), "_T");

  ExpectRejected(Codelists::Activity("_T"), "_T");
  ExpectAccepted(Codelists::Activity("_T", kAllowTotal), "_T");
  ExpectRejected(Codelists::Education("_Z", kAllowUnknown), "_Z");
  ExpectAccepted(Codelists::Education("_Z", kAllowNotApplicable), "_Z");
  ExpectRejected(Codelists::Sex("_T"), "_T");
  ExpectAccepted(Codelists::Sex("_t", kAllowTotal), "_T");
  ExpectAccepted(Codelists::Age("_U", kAllowTotal | kAllowUnknown), "_U");
  ExpectAccepted(Codelists::Channel("_T", kAllowTotal), "_T");
}

TEST_F(CodelistsTest, ErrorsListTheSpecialCodesThatWouldHaveBeenAccepted) {
  auto sex = Codelists::Sex("X", kAllowTotal | kAllowUnknown);
  ASSERT_FALSE(sex.ok());
  EXPECT_THAT(std::string(sex.status().message()), HasSubstr("_T"));
  EXPECT_THAT(std::string(sex.status().message()), HasSubstr("_U"));
  auto age = Codelists::Age("Y99");
  ASSERT_FALSE(age.ok());
  EXPECT_THAT(std::string(age.status().message()), HasSubstr("Y_GE65"));
}

TEST_F(CodelistsTest, OccupationsRollUpToTheRequestedLevel) {
  EXPECT_EQ(Codelists::RollUpOccupation("2512", 1), "2");
  EXPECT_EQ(Codelists::RollUpOccupation("2512", 2), "25");
  EXPECT_EQ(Codelists::RollUpOccupation("2512", 3), "251");
  EXPECT_EQ(Codelists::RollUpOccupation("2512", 4), "2512");
  EXPECT_EQ(Codelists::RollUpOccupation("25", 4), "25");
  EXPECT_EQ(Codelists::RollUpOccupation("2512", 0), "2512");
  EXPECT_EQ(Codelists::RollUpOccupation("_T", 1), "_T");
  EXPECT_EQ(Codelists::RollUpOccupation("_U", 2), "_U");
}

TEST_F(CodelistsTest, ActivityDivisionsRollUpToTheirSections) {
  EXPECT_EQ(Codelists::RollUpActivity("01", 1), "A");
  EXPECT_EQ(Codelists::RollUpActivity("03", 1), "A");
  EXPECT_EQ(Codelists::RollUpActivity("33", 1), "C");
  EXPECT_EQ(Codelists::RollUpActivity("47", 1), "G");
  EXPECT_EQ(Codelists::RollUpActivity("99", 1), "U");
  EXPECT_EQ(Codelists::RollUpActivity("47", 0), "47");
  EXPECT_EQ(Codelists::RollUpActivity("G", 1), "G");
  EXPECT_EQ(Codelists::RollUpActivity("_T", 1), "_T");
}

TEST_F(CodelistsTest, LoadingFromAMissingDirectoryNamesIt) {
  auto loaded = Codelists::Load("/nonexistent/iso-codes");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("/nonexistent/iso-codes"));
}

}  // namespace
}  // namespace lmx
