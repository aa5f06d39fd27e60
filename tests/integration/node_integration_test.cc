// End-to-end: the real lmx-node binary on loopback, driven by the real lmx
// binary, with data generated here.
#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/node_test_base.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ISCO-08 unit groups, read from the project's own copy.
std::vector<std::string> UnitGroups() {
  std::vector<std::string> codes;
  std::istringstream csv(ReadFile(LMX_SOURCE_DIR "/federation/classifications/isco08.csv"));
  std::string line;
  while (std::getline(csv, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() > 1 && fields[1] == "4") codes.push_back(fields[0]);
  }
  return codes;
}

// Parses `lmx ... --format=csv` output into rows of fields (no quoting is
// needed for the values these tests produce).
std::vector<std::vector<std::string>> CsvRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

using NodeTest = NodeTestBase;

TEST_F(NodeTest, ThousandsOfRowsOfEachDatasetPublishAndFlowsAggregateToTheFileSums) {
  std::mt19937 random(7);
  auto groups = UnitGroups();
  ASSERT_EQ(groups.size(), 436u);

  std::string flows = "occupation,count,period,direction,counterpart,sex\r\n";
  std::map<std::string, int64_t> sums;  // ISCO major group -> count
  std::set<std::string> keys;
  const char* counterparts[] = {"UGA", "TZA", "SAU", "ARE", "GBR"};
  while (keys.size() < 3000) {
    std::string occupation = groups[random() % groups.size()];
    std::string period = absl::StrCat("2025-", random() % 2 ? "Q" : "0", 1 + random() % 4);
    std::string counterpart = counterparts[random() % 5];
    std::string sex = random() % 2 ? "F" : "M";
    std::string key = absl::StrCat(occupation, period, counterpart, sex);
    if (!keys.insert(key).second) continue;
    int64_t count = random() % 500;
    sums[occupation.substr(0, 1)] += count;
    absl::StrAppend(&flows, occupation, ",", count, ",", period, ",OUTFLOW,", counterpart, ",", sex,
                    "\r\n");
  }
  std::string shortages = "\xEF\xBB\xBFperiod,occupation,status,shortage_index\n";
  for (const char* period : {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025", "2024"}) {
    for (const auto& code : groups)
      absl::StrAppend(&shortages, period, ",", code, ",SHORTAGE,0.5\n");
  }
  std::string vacancies = "vacancy_id,posted,occupation,title,positions\n";
  for (int i = 0; i < 2500; ++i) {
    absl::StrAppend(&vacancies, "V", i, ",2025-03-", 10 + i % 18, ",", groups[i % groups.size()],
                    ",\"Mhandisi, \"\"senior\"\" / مهندس\",", 1 + i % 3, "\n");
  }

  for (const auto& [dataset, text, rows] :
       std::vector<std::tuple<std::string, std::string, int>>{{"flows", flows, 3000},
                                                              {"shortages", shortages, 6 * 436},
                                                              {"vacancies", vacancies, 2500}}) {
    CliResult published = Lmx({"publish", dataset, File(dataset + ".csv", text)});
    EXPECT_EQ(published.exit_code, 0) << published.err;
    EXPECT_EQ(published.out, absl::StrCat("accepted ", rows, ", rejected 0\n"));
  }

  CliResult aggregate = Lmx({"aggregate", "flows", "--by=occupation:1", "--format=csv"});
  ASSERT_EQ(aggregate.exit_code, 0) << aggregate.err;
  auto rows = CsvRows(aggregate.out);
  ASSERT_FALSE(rows.empty());
  EXPECT_THAT(rows[0], ::testing::ElementsAre("occupation", "count", "countries"));
  std::map<std::string, int64_t> reported;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 3u);
    int64_t count = 0;
    ASSERT_TRUE(absl::SimpleAtoi(rows[i][1], &count));
    reported[rows[i][0]] = count;
  }
  EXPECT_EQ(reported, sums);

  CliResult vacancy_query =
      Lmx({"query", "vacancies", "--format=json", "--occupation=" + groups[0]});
  ASSERT_EQ(vacancy_query.exit_code, 0) << vacancy_query.err;
  EXPECT_THAT(vacancy_query.out, HasSubstr(R"(Mhandisi, \"senior\" / مهندس)"));
}

TEST_F(NodeTest, AFileWithAnyBadRowWritesNothingAndReportsEveryBadRow) {
  std::string path = File("flows.csv",
                          "period,direction,counterpart,count,occupation\n"
                          "2025-Q1,OUTFLOW,UGA,10,2512\n"
                          "2025-Q5,OUTFLOW,UGA,10,2512\n"
                          "2025-Q1,OUTFLOW,UGA,-1,9999\n"
                          "2025-Q1,INFLOW,TZA,4,2512\n");
  CliResult result = Lmx({"publish", "flows", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "accepted 0, rejected 2\n");
  EXPECT_THAT(result.err, HasSubstr(path + ":3: period: '2025-Q5'"));
  EXPECT_THAT(result.err, HasSubstr(path + ":4: count: '-1'"));
  EXPECT_THAT(result.err, HasSubstr(path + ":4: occupation: '9999' is not an ISCO-08 code"));

  CliResult query = Lmx({"query", "flows", "--format=csv"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(CsvRows(query.out).size(), 1u) << query.out;  // header only
}

TEST_F(NodeTest, TensOfThousandsOfBadRowsAreAllCountedAndTenThousandListed) {
  std::string text = "period,direction,counterpart,count\n";
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&text, "2025,OUTFLOW,UGA,-", i + 1, "\n");
  std::string path = File("bad.csv", text);
  CliResult result = Lmx({"publish", "flows", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "accepted 0, rejected 20000\n");
  EXPECT_THAT(result.err, HasSubstr(path + ":2: count: '-1' must be at least 0"));
  EXPECT_THAT(result.err, HasSubstr(path + ":10001: count: '-10000' must be at least 0"));
  EXPECT_THAT(result.err, Not(HasSubstr(path + ":10002:")));
  EXPECT_THAT(result.err, HasSubstr(path + ": 10000 more errors not listed"));
}

TEST_F(NodeTest, AFileWhoseHeaderCannotBeReadIsRefusedEvenWithoutRows) {
  CliResult result = Lmx({"publish", "flows", File("empty.csv", "period,direction,ocupation\n")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("empty.csv:1: header: unknown column 'ocupation'"));
}

TEST_F(NodeTest, UnreadableRowsAreReportedWithTheirLineAndColumn) {
  std::string path = File("flows.csv",
                          "period,direction,counterpart,count\n"
                          "2025,OUTFLOW,UGA,5\n"
                          "2025,OUTFLOW,TZA,5\"\n"
                          "2025,OUTFLOW,\xE9TH,5\n"
                          "2025,INFLOW,SAU,\"12\n");
  for (const char* mode : {"--dry-run", "--dry_run=false"}) {
    CliResult result = Lmx({"publish", "flows", path, mode, "--partial"});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(result.out, "accepted 1, rejected 3\n");
    EXPECT_THAT(result.err, HasSubstr(path + ":3: count: quote inside an unquoted field"));
    EXPECT_THAT(result.err, HasSubstr(path + ":4: counterpart: is not valid UTF-8"));
    EXPECT_THAT(result.err, HasSubstr(path + ":5: count: unterminated quoted field"));
  }
}

TEST_F(NodeTest, PartialWritesExactlyTheGoodRows) {
  std::string path = File("shortages.csv",
                          "occupation,period,status,ref_area\n"
                          "2512,2025-Q1,SHORTAGE,KEN\n"
                          "2512,2025-Q2,SHORTAGE,UGA\n"
                          "2513,2025-Q1,SURPLUS,KEN\n"
                          "2514,2025-Q1,MAYBE,KEN\n");
  CliResult result = Lmx({"publish", "shortages", path, "--partial"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "accepted 2, rejected 2\n");
  EXPECT_THAT(result.err, HasSubstr(path + ":3: ref_area: 'UGA' is not this node's country"));
  EXPECT_THAT(result.err, HasSubstr(path + ":5: status: 'MAYBE'"));

  CliResult query = Lmx({"query", "shortages", "--format=csv"});
  auto rows = CsvRows(query.out);
  ASSERT_EQ(rows.size(), 3u) << query.out;
  EXPECT_EQ(rows[1][2], "2512");
  EXPECT_EQ(rows[2][2], "2513");
}

TEST_F(NodeTest, RepublishingAKeyRevisesItAndEarlierVersionsStayReadable) {
  std::string header = "period,direction,counterpart,count\n";
  ASSERT_EQ(Lmx({"publish", "flows", File("v1.csv", header + "2025,OUTFLOW,UGA,10\n")}).exit_code,
            0);
  ASSERT_EQ(Lmx({"publish", "flows", File("v2.csv", header + "2025,OUTFLOW,UGA,25\n")}).exit_code,
            0);

  auto latest = CsvRows(Lmx({"aggregate", "flows", "--by=country", "--format=csv"}).out);
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[1][1], "25");  // revised, not added to

  auto old = CsvRows(Lmx({"query", "flows", "--as_of=1", "--format=csv"}).out);
  ASSERT_EQ(old.size(), 2u);
  EXPECT_EQ(old[1][8], "10");
  EXPECT_EQ(old[1][10], "1");  // version
}

TEST_F(NodeTest, AnAcknowledgedPublishSurvivesKillNine) {
  std::string path = File("flows.csv", "period,direction,counterpart,count\n2025,INFLOW,TZA,42\n");
  CliResult published = Lmx({"publish", "flows", path});
  ASSERT_EQ(published.exit_code, 0) << published.err;

  int status = node_->Stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  Restart();

  auto rows = CsvRows(Lmx({"query", "flows", "--format=csv"}).out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][8], "42");
}

// A batch half applied when the node stops: tests/node/storage/
// file_faults_test.cc, on a file system that fails mid-apply.

TEST_F(NodeTest, ABackupIsADataDirectoryThatStartsTheNodeAsItWas) {
  auto flows = [&](const std::string& name, int count) {
    return File(name,
                absl::StrCat("period,direction,counterpart,count\n2025,INFLOW,UGA,", count, "\n"));
  };
  ASSERT_EQ(Lmx({"publish", "flows", flows("v1.csv", 11)}).exit_code, 0);
  // An embargoed batch is part of the node too.
  ASSERT_EQ(Lmx({"publish", "flows", flows("later.csv", 44), "--release_at=2099-01-01T00:00:00Z"})
                .exit_code,
            0);
  std::string backup = dir_ + "/backup";
  CliResult made = Lmx({"admin", "backup", "--dir=" + backup});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, HasSubstr("backed up to " + backup + ": KEN v1; embargo/r"));
  EXPECT_THAT(made.out, HasSubstr(".embargo, node.key"));
  // A second backup never overwrites the first.
  CliResult again = Lmx({"admin", "backup", "--dir=" + backup});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  ASSERT_EQ(Lmx({"publish", "flows", flows("v2.csv", 22)}).exit_code, 0);
  EXPECT_THAT(Lmx({"admin", "audit", "--format=csv"}).out, HasSubstr(",backup," + backup));

  // Restore: the node started on the backup is the node at version 1, with
  // the same key, and goes on from there.
  node_->Stop(SIGTERM);
  node_ = std::make_unique<NodeProcess>("KEN", backup);
  std::string error;
  ASSERT_TRUE(node_->Start(&error)) << error;
  auto rows = CsvRows(Lmx({"query", "flows", "--format=csv"}).out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][8], "11");
  EXPECT_EQ(ReadFile(backup + "/node.key"), ReadFile(dir_ + "/data/node.key"));
  EXPECT_THAT(Lmx({"admin", "calendar", "--format=csv"}).out, HasSubstr("2099-01-01T00:00:00Z"));
  CliResult next = Lmx({"publish", "flows", flows("v2b.csv", 33)});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_THAT(next.err, HasSubstr("written as version 2"));
}

TEST_F(NodeTest, ServesGrpcHealth) {
  auto channel = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::string response;
  // HealthCheckRequest{} encodes as no bytes.
  grpc::Status status = CallRaw(channel, &context, "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(NodeTest, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(Lmx({"query", "widgets"}).exit_code, 2);
  EXPECT_EQ(Lmx({"aggregate", "flows", "--by=education"}).exit_code, 2);
  EXPECT_EQ(Lmx({"aggregate", "flows", "--by=occupation:7"}).exit_code, 2);
  EXPECT_EQ(Lmx({"query", "flows", "--bogus=1"}).exit_code, 2);
  CliResult bad_period = Lmx({"query", "flows", "--period=2025-13"});
  EXPECT_EQ(bad_period.exit_code, 2);
  EXPECT_THAT(bad_period.err, HasSubstr("'2025-13' is not a period"));
}

TEST(NodeProcessTest, AnUnreachableNodeExitsThree) {
  // Port 1 on loopback is never an lmx node.
  CliResult result = RunLmx({"--node=127.0.0.1:1", "query", "flows"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("cannot reach node"));
}

TEST(NodeProcessTest, TheNodeRefusesANonLoopbackAddressWithoutTls) {
  std::string dir = MakeTempDir("refuse");
  CliResult result =
      RunProgram(LMX_NODE_BINARY, {"--country=KEN", "--data_dir=" + dir, "--listen=0.0.0.0:0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("not a loopback address"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lmx::testing
