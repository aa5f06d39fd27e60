// The crosswalk model and its CSV import.
#include "federation/harmonization/crosswalk.h"

#include <string>
#include <vector>

#include "federation/classifications/codelists.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/harmonization/crosswalk_import.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseWeightTest, ReadsDecimalsExactlyInBillionths) {
  EXPECT_EQ(*ParseWeight("1"), kWeightUnit);
  EXPECT_EQ(*ParseWeight("0.25"), 250000000);
  EXPECT_EQ(*ParseWeight(".5"), 500000000);
  EXPECT_EQ(*ParseWeight("2."), 2 * kWeightUnit);
  EXPECT_EQ(*ParseWeight("0.333333333"), 333333333);
  EXPECT_EQ(*ParseWeight("0.3333333335"), 333333334);  // rounded half up
  EXPECT_EQ(*ParseWeight("000.1"), 100000000);
  EXPECT_EQ(*ParseWeight("1000000"), kMaxWeight * kWeightUnit);
}

TEST(ParseWeightTest, RejectsWhatIsNotAPositiveDecimal) {
  for (const char* text :
       {"", ".", "-1", "+1", "1e-3", "abc", "0", "0.0000000001", "1,5", "1000000.1", "99999999"}) {
    auto weight = ParseWeight(text);
    EXPECT_FALSE(weight.ok()) << text;
    if (!weight.ok()) EXPECT_THAT(std::string(weight.status().message()), HasSubstr(text));
  }
}

TEST(NationalClassificationIdTest, AcceptsNamesAndUpperCasesThem) {
  EXPECT_EQ(*NationalClassificationId("soc2010"), "SOC2010");
  EXPECT_EQ(*NationalClassificationId("KNOCC-2019.v2"), "KNOCC-2019.V2");
  for (const char* id : {"", "2010SOC", "SOC 2010", "a/b", std::string(33, 'A').c_str()}) {
    EXPECT_FALSE(NationalClassificationId(id).ok()) << id;
  }
}

class CrosswalkImportTest : public ::testing::Test {
 protected:
  // Imports `rows` (line numbers from 2) under `columns`.
  v1::Crosswalk Import(const std::vector<std::string>& columns,
                       const std::vector<std::vector<std::string>>& rows) {
    CrosswalkImport import("NAT", Codelists::Isco(), columns, 1, &errors_);
    uint64_t line = 2;
    for (const auto& fields : rows) {
      v1::Row row;
      row.set_line(line++);
      for (const auto& field : fields) row.add_fields(field);
      import.AddRow(row, &errors_);
    }
    return import.Finish("nat.csv", &notices_);
  }

  // "line:column: reason" of every error.
  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const auto& e : errors_) {
      out.push_back(absl::StrCat(e.line(), ":", e.column(), ": ", e.reason()));
    }
    return out;
  }

  std::vector<v1::RowError> errors_;
  std::vector<std::string> notices_;
};

TEST_F(CrosswalkImportTest, ReadsNamedColumnsInAnyOrderAndIgnoresOthers) {
  auto crosswalk = Import({"note", "target", "weight", "source", "label"},
                          {{"x", "2221", "0.75", "N1", "Nurse"}, {"y", "2222", "0.25", "N1", ""}});
  EXPECT_THAT(Errors(), IsEmpty());
  ASSERT_EQ(crosswalk.entries_size(), 1);
  EXPECT_TRUE(crosswalk.weighted());
  const auto& entry = crosswalk.entries(0);
  EXPECT_EQ(entry.source(), "N1");
  EXPECT_EQ(entry.label(), "Nurse");
  ASSERT_EQ(entry.targets_size(), 2);
  EXPECT_EQ(entry.targets(0).code(), "2221");
  EXPECT_EQ(entry.targets(0).weight_nanos(), 750000000);
  EXPECT_THAT(notices_, IsEmpty());  // weights sum to 1
}

TEST_F(CrosswalkImportTest, APublishedCrosswalkUsesItsFirstTwoColumns) {
  auto crosswalk =
      Import({"soc10", "isco08"}, {{"11-1011", "1112"}, {"11-1011", "1120"}, {"29-1141", "2221"}});
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_FALSE(crosswalk.weighted());
  ASSERT_EQ(crosswalk.entries_size(), 2);
  EXPECT_EQ(crosswalk.entries(0).targets(0).weight_nanos(), kWeightUnit);
  EXPECT_THAT(notices_, ElementsAre(HasSubstr("split equally")));
}

TEST_F(CrosswalkImportTest, ANumericThirdColumnIsTheWeightAndOthersAreNormalized) {
  auto crosswalk = Import({"code", "isco", "w"}, {{"A", "2221", "2"}, {"A", "2222", "1"}});
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_TRUE(crosswalk.weighted());
  EXPECT_EQ(crosswalk.entries(0).targets(0).weight_nanos(), 2 * kWeightUnit);
  EXPECT_THAT(notices_, ElementsAre(AllOf(HasSubstr("1 of 1 codes do not sum to 1"),
                                          HasSubstr("'A' sums to 3"), HasSubstr("normalized"))));
}

TEST_F(CrosswalkImportTest, ATextThirdColumnIsNotAWeight) {
  auto crosswalk = Import({"esco_uri", "isco08", "label", "alt_labels"},
                          {{"http://esco/1", "2166", "technical director", "a|b"}});
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_FALSE(crosswalk.weighted());
  EXPECT_EQ(crosswalk.entries(0).label(), "technical director");
}

TEST_F(CrosswalkImportTest, OnceTheFirstRowHasAWeightEveryRowNeedsOne) {
  Import({"a", "b", "c"}, {{"A", "2221", "0.5"}, {"A", "2222", "half"}});
  EXPECT_THAT(Errors(), ElementsAre("3:weight: 'half' is not a decimal weight such as 0.25"));
}

TEST_F(CrosswalkImportTest, EveryBadPairIsReportedWithItsLineAndColumn) {
  Import({"source", "target"},
         {{"A", "9999"}, {"", "2221"}, {"A", "2221"}, {"A", "2221"}, {"B"}, {"C", "_T"}});
  EXPECT_THAT(Errors(), ElementsAre("2:target: '9999' is not an ISCO-08 code",
                                    "3:source: is required", "5:row: repeats the pair of line 4",
                                    "6:row: has 1 fields, the header has 2",
                                    "7:target: '_T' is not an ISCO-08 code"));
}

TEST_F(CrosswalkImportTest, AHeaderNamingOnlyOneOfSourceAndTargetIsRefused) {
  Import({"source", "isco"}, {});
  EXPECT_THAT(Errors(), ElementsAre(HasSubstr("1:header: names 'source' but not 'target'")));
}

TEST_F(CrosswalkImportTest, EntriesAndTargetsAreSortedByCode) {
  auto crosswalk = Import({"source", "target"}, {{"B", "2222"}, {"A", "3221"}, {"B", "2221"}});
  ASSERT_EQ(crosswalk.entries_size(), 2);
  EXPECT_EQ(crosswalk.entries(0).source(), "A");
  EXPECT_EQ(crosswalk.entries(1).targets(0).code(), "2221");
  EXPECT_EQ(crosswalk.entries(1).targets(1).code(), "2222");
}

TEST(CrosswalkTest, FindsNationalCodesExactlyAndNamesUnmappedOnes) {
  v1::Crosswalk proto;
  proto.set_id("SOC2010");
  proto.add_entries()->set_source("29-1141");
  Crosswalk crosswalk("KEN", 3, proto);
  EXPECT_EQ(crosswalk.Find("29-1141"), 0);
  EXPECT_EQ(crosswalk.Find("29-1141 "), -1);
  EXPECT_EQ(crosswalk.NoMapping("99-9999").message(), "no mapping for '99-9999' in SOC2010");
}

}  // namespace
}  // namespace lmx
