// Harmonization end to end, on the region's real reference data: the US SOC
// 2010 to ISCO-08 crosswalk (many-to-many) and ESCO occupations (one-to-one
// onto ISCO unit groups), imported and published through the real `lmx`
// into a real `lmx-node`.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/base/csv_reader.h"
#include "tests/support/node_test_base.h"

namespace lmx::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kSharedData = LMX_SHARED_DATA_DIR;
const std::string kSoc = kSharedData + "/soc2010_isco08.csv";
const std::string kEsco = kSharedData + "/esco_occupations.csv";

// Every record of a CSV file after its header.
std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  auto reader = CsvReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return rows;
  CsvRecord record;
  bool header = true;
  while ((*reader)->Next(&record)) {
    if (!header) rows.push_back(record.fields);
    header = false;
  }
  return rows;
}

int64_t Number(const std::string& text) {
  int64_t number = 0;
  EXPECT_TRUE(absl::SimpleAtoi(text, &number)) << text;
  return number;
}

std::set<std::string> IscoCodes() {
  std::set<std::string> codes;
  for (const auto& row : ReadCsv(LMX_SOURCE_DIR "/federation/classifications/isco08.csv")) {
    codes.insert(row[0]);
  }
  return codes;
}

class HarmonizationTest : public NodeTestBase {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSoc) || !std::filesystem::exists(kEsco)) {
      GTEST_SKIP() << "the shared reference data is not beside the project";
    }
    NodeTestBase::SetUp();
  }

  void Import(const std::string& id, const std::string& path) {
    CliResult imported = Lmx({"classifications", "import", "--id=" + id, "--target=ISCO08", path});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
};

TEST_F(HarmonizationTest, SocFlowsKeepTheirTotalAndOneToOneCodesLandExactlyOnTheirUnitGroup) {
  Import("SOC2010", kSoc);
  std::map<std::string, std::vector<std::string>> targets;  // SOC -> ISCO
  std::map<std::string, std::set<std::string>> sources;     // ISCO -> SOC
  for (const auto& row : ReadCsv(kSoc)) {
    targets[row[0]].push_back(row[1]);
    sources[row[1]].insert(row[0]);
  }
  ASSERT_EQ(targets.size(), 839u);

  // One flow per SOC code and sex, with counts that do not divide evenly.
  std::mt19937 random(2010);
  std::map<std::pair<std::string, std::string>, int64_t> published;  // (SOC, sex) -> count
  std::string flows = "period,direction,counterpart,occupation,sex,count\n";
  int64_t total = 0;
  for (const auto& [soc, isco] : targets) {
    for (const char* sex : {"F", "M"}) {
      int64_t count = random() % 5000;
      published[{soc, sex}] = count;
      total += count;
      absl::StrAppend(&flows, "2025,INFLOW,UGA,", soc, ",", sex, ",", count, "\n");
    }
  }
  CliResult publish =
      Lmx({"publish", "flows", File("soc_flows.csv", flows), "--classification=SOC2010"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;
  EXPECT_EQ(publish.out, "accepted 1678, rejected 0\n");

  CliResult query = Lmx({"query", "flows", "--format=csv"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto stored = CsvAnswer(query.out);
  const std::set<std::string> isco = IscoCodes();
  int64_t stored_total = 0;
  std::map<std::pair<std::string, std::string>, int64_t> by_isco;  // (ISCO, sex) -> count
  for (const auto& row : stored) {
    EXPECT_TRUE(isco.count(row.at("occupation"))) << row.at("occupation");
    EXPECT_EQ(row.at("classification"), "SOC2010 v1");
    stored_total += Number(row.at("count"));
    by_isco[{row.at("occupation"), row.at("sex")}] = Number(row.at("count"));
  }
  EXPECT_EQ(stored_total, total);

  // A unit group fed only by SOC codes that map to it alone holds exactly
  // their counts.
  int checked = 0;
  for (const auto& [code, socs] : sources) {
    bool one_to_one = true;
    for (const auto& soc : socs) one_to_one = one_to_one && targets[soc].size() == 1;
    if (!one_to_one) continue;
    for (const char* sex : {"F", "M"}) {
      int64_t expected = 0;
      for (const auto& soc : socs) expected += published[{soc, sex}];
      int64_t stored_count = by_isco[{code, sex}];
      EXPECT_EQ(stored_count, expected) << code << " " << sex;
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);

  // Roll-ups to major and sub-major groups add up to the same total.
  for (const char* by : {"--by=occupation:1", "--by=occupation:2,sex"}) {
    CliResult aggregate = Lmx({"aggregate", "flows", by, "--format=csv"});
    ASSERT_EQ(aggregate.exit_code, 0) << aggregate.err;
    std::map<std::string, int64_t> expected;
    int level = std::string(by).find(":1") != std::string::npos ? 1 : 2;
    for (const auto& [key, count] : by_isco) expected[key.first.substr(0, level)] += count;
    std::map<std::string, int64_t> rolled;
    for (const auto& row : CsvAnswer(aggregate.out)) {
      rolled[row.at("occupation")] += Number(row.at("count"));
    }
    EXPECT_EQ(rolled, expected) << by;
  }
}

TEST_F(HarmonizationTest, EscoVacanciesLandOnTheirIscoUnitGroups) {
  Import("ESCO", kEsco);
  std::map<std::string, std::string> expected;  // vacancy id -> ISCO
  std::string vacancies = "vacancy_id,posted,occupation,title\n";
  auto esco = ReadCsv(kEsco);
  ASSERT_EQ(esco.size(), 2942u);
  for (size_t i = 0; i < esco.size(); i += 7) {
    std::string id = absl::StrCat("V", i);
    expected[id] = esco[i][1];
    absl::StrAppend(&vacancies, id, ",2025-06-01,", esco[i][0], ",\"", esco[i][2], "\"\n");
  }
  CliResult publish =
      Lmx({"publish", "vacancies", File("esco.csv", vacancies), "--classification=ESCO"});
  ASSERT_EQ(publish.exit_code, 0) << publish.err;

  CliResult query = Lmx({"query", "vacancies", "--format=csv"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  auto stored = CsvAnswer(query.out);
  ASSERT_EQ(stored.size(), expected.size());
  for (const auto& row : stored) {
    EXPECT_EQ(row.at("occupation"), expected[row.at("vacancy_id")]) << row.at("vacancy_id");
    EXPECT_THAT(row.at("national_codes"), HasSubstr("http://data.europa.eu/esco/occupation/"));
  }

  // The whole crosswalk can be listed, whatever its size (it is streamed).
  CliResult shown = Lmx({"classifications", "show", "ESCO", "--format=csv"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto pairs = CsvAnswer(shown.out);
  ASSERT_EQ(pairs.size(), esco.size());
  EXPECT_EQ(pairs.front().at("source"), esco.front()[0]);
  EXPECT_EQ(pairs.front().at("target"), esco.front()[1]);
  EXPECT_EQ(pairs.front().at("label"), esco.front()[2]);
}

TEST_F(HarmonizationTest, ShowGivesAnIscoCodeItsLabelParentAndMajorGroup) {
  CliResult shown = Lmx({"classifications", "show", "ISCO08", "2221"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("label: Nursing professionals\n"));
  EXPECT_THAT(shown.out, HasSubstr("parent: 222 Nursing and midwifery professionals\n"));
  EXPECT_THAT(shown.out, HasSubstr("major group: 2 Professionals\n"));

  CliResult children = Lmx({"classifications", "show", "ISCO08", "222", "--format=csv"});
  ASSERT_EQ(children.exit_code, 0) << children.err;
  EXPECT_EQ(children.out,
            "code,level,level_name,label\n2221,4,unit group,Nursing professionals\n"
            "2222,4,unit group,Midwifery professionals\n");

  CliResult unknown = Lmx({"classifications", "show", "ISCO08", "9999"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("'9999' is not a code of ISCO08"));
}

TEST_F(HarmonizationTest, ACodeWithoutMappingRejectsItsRowNamingFileLineAndClassification) {
  Import("SOC2010", kSoc);
  std::string path = File("flows.csv",
                          "period,direction,counterpart,occupation,count\n"
                          "2025,INFLOW,UGA,29-1141,4\n"
                          "2025,INFLOW,UGA,99-9999,5\n");
  CliResult publish = Lmx({"publish", "flows", path, "--classification=SOC2010"});
  EXPECT_EQ(publish.exit_code, 1);
  EXPECT_THAT(publish.err, HasSubstr(path + ":3: occupation: no mapping for '99-9999' in SOC2010"));
  CliResult query = Lmx({"query", "flows", "--format=csv"});
  EXPECT_EQ(CsvAnswer(query.out).size(), 0u);
}

TEST_F(HarmonizationTest, ReimportingAChangedCrosswalkMakesANewVersionAndDataKeepsItsOwn) {
  Import("NAT", File("nat_v1.csv", "source,target\nN1,2221\nN2,2222\n"));
  ASSERT_EQ(Lmx({"publish", "flows",
                 File("a.csv",
                      "period,direction,counterpart,occupation,count\n"
                      "2025,INFLOW,UGA,N1,10\n"),
                 "--classification=NAT"})
                .exit_code,
            0);
  // Version 3 splits N1 1:3 between nurses and midwives, with weights that
  // need normalizing; 10 splits 2.5 and 7.5, and the tie on the remainder
  // goes to the larger weight.
  CliResult changed = Lmx({"classifications", "import", "--id=NAT",
                           File("nat_v2.csv", "source,target,weight\nN1,2222,3\nN1,2221,1\n")});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_THAT(changed.err, HasSubstr("do not sum to 1"));
  ASSERT_EQ(Lmx({"publish", "flows",
                 File("b.csv",
                      "period,direction,counterpart,occupation,count\n"
                      "2026,INFLOW,UGA,N1,10\n"),
                 "--classification=NAT"})
                .exit_code,
            0);

  CliResult query = Lmx({"query", "flows", "--format=csv"});
  std::vector<std::string> rows;
  for (const auto& row : CsvAnswer(query.out)) {
    rows.push_back(absl::StrCat(row.at("period"), " ", row.at("occupation"), " ", row.at("count"),
                                " ", row.at("classification"), " ", row.at("national_codes")));
  }
  EXPECT_THAT(rows, ElementsAre("2025 2221 10 NAT v1 N1", "2026 2221 2 NAT v3 N1",
                                "2026 2222 8 NAT v3 N1"));

  // The audit trail lists both imports and what each mapped.
  CliResult shown = Lmx({"classifications", "show", "NAT"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("imported: version 1 "));
  EXPECT_THAT(shown.out, HasSubstr("imported: version 3 "));
  EXPECT_THAT(shown.out, HasSubstr("a.csv, 1 rows -> 1 observations, with version 1"));
  EXPECT_THAT(shown.out, HasSubstr("b.csv, 1 rows -> 2 observations, with version 3"));
  CliResult old = Lmx({"classifications", "show", "NAT", "N1", "--as_of=2", "--format=csv"});
  EXPECT_EQ(old.out, "target,label,share\n2221,Nursing professionals,1\n");
}

}  // namespace
}  // namespace lmx::testing
