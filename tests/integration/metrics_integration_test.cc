// /metrics on a real node's HTTP endpoint: Prometheus text that counts the
// node's gRPC calls and publish rows, and shows what it replicates from a
// peer.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/node_process.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

// Each of `lines` is in `text`, as a whole line.
void ExpectLines(const std::string& text, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) EXPECT_THAT(text, HasSubstr("\n" + line + "\n"));
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("metrics"); }
  void TearDown() override {
    nodes_.clear();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Starts a node with an HTTP endpoint; returns the endpoint's address.
  std::string Start(const std::string& id, std::vector<std::string> flags = {}) {
    std::string ready = dir_ + "/" + id + ".http";
    flags.push_back("--http_listen=127.0.0.1:0");
    flags.push_back("--http_ready_file=" + ready);
    auto node = std::make_unique<NodeProcess>(id, dir_ + "/" + id);
    std::string error;
    EXPECT_TRUE(node->Start(&error, flags)) << error;
    nodes_[id] = std::move(node);
    // The HTTP endpoint is up before the gRPC ready file is written.
    EXPECT_TRUE(std::filesystem::exists(ready));
    return std::string(absl::StripTrailingAsciiWhitespace(ReadFile(ready)));
  }

  static std::string Scrape(const std::string& address, int* status = nullptr) {
    std::vector<std::string> parts = absl::StrSplit(address, ':');
    httplib::Client client(parts[0], std::stoi(parts[1]));
    client.set_read_timeout(10, 0);
    auto answer = client.Get("/metrics");
    if (!answer) return "";
    if (status != nullptr) *status = answer->status;
    return answer->body;
  }

  // Scrapes until `part` appears (10 s at most).
  static std::string ScrapeUntil(const std::string& address, const std::string& part) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string text;
    do {
      text = Scrape(address);
      if (text.find(part) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return text;
  }

  std::string dir_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(MetricsTest, CountsCallsAndPublishRowsInValidPrometheusText) {
  std::string http = Start("KEN");
  std::string file = dir_ + "/flows.csv";
  WriteFile(file,
            "period,direction,counterpart,count\n"
            "2025,OUTFLOW,SAU,3\n"
            "2025,SIDEWAYS,SAU,4\n"
            "2025,INFLOW,UGA,5\n");
  std::string node = "--node=" + nodes_["KEN"]->address();
  // Both exit 1 for the rejected row; the partial one writes the others.
  ASSERT_EQ(RunLmx({node, "publish", "flows", file, "--partial"}).exit_code, 1);
  ASSERT_EQ(RunLmx({node, "publish", "flows", file}).exit_code, 1);
  ASSERT_EQ(RunLmx({node, "query", "flows"}).exit_code, 0);

  int status = 0;
  std::string text = Scrape(http, &status);
  EXPECT_EQ(status, 200);
  ExpectLines(text,
              {
                  R"(lmx_rpc_total{method="/lmx.v1.PublishService/Publish",code="OK"} 1)",
                  R"(lmx_rpc_total{method="/lmx.v1.PublishService/Publish",)"
                  R"(code="INVALID_ARGUMENT"} 1)",
                  R"(lmx_rpc_total{method="/lmx.v1.QueryService/Query",code="OK"} 1)",
                  R"(lmx_rpc_duration_seconds_count{method="/lmx.v1.PublishService/Publish"} 2)",
                  R"(lmx_publish_rows_total{result="accepted"} 4)",
                  R"(lmx_publish_rows_total{result="rejected"} 2)",
                  R"(lmx_publish_batches_total{written="true"} 1)",
                  R"(lmx_publish_batches_total{written="false"} 1)",
                  R"(lmx_origin_version{origin="KEN"} 1)",
              });
  EXPECT_THAT(text, HasSubstr("\nlmx_store_memtable_bytes "));

  // The text format: comments, or `name{labels} value`; each family's
  // samples in one group after its TYPE line.
  const std::regex sample(
      R"(([a-z_0-9]+)(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9][0-9.e+-]*)");
  std::set<std::string> closed;
  std::string family;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::string l(line);
    if (absl::StartsWith(l, "# TYPE ")) {
      if (!family.empty()) closed.insert(family);
      family = l.substr(7, l.find(' ', 7) - 7);
      EXPECT_EQ(closed.count(family), 0u) << "second TYPE for " << family;
      continue;
    }
    if (absl::StartsWith(l, "# HELP ")) continue;
    std::smatch match;
    ASSERT_TRUE(std::regex_match(l, match, sample)) << l;
    std::string name = match[1];
    EXPECT_TRUE(absl::StartsWith(name, family)) << name << " outside its family " << family;
  }
}

TEST_F(MetricsTest, ShowsWhatAPeerReplicatesAndHowFreshItIs) {
  Start("UGA");
  std::string http = Start("KEN", {"--peers=UGA=" + nodes_["UGA"]->address()});
  std::string file = dir_ + "/uga.csv";
  WriteFile(file, "period,direction,counterpart,count\n2025,INFLOW,KEN,7\n");
  ASSERT_EQ(RunLmx({"--node=" + nodes_["UGA"]->address(), "publish", "flows", file}).exit_code, 0);

  // Heartbeats (every second) report when the peer last listed UGA.
  std::string text = ScrapeUntil(http, "lmx_replication_last_contact_age_seconds{origin=\"UGA\"} ");
  ExpectLines(text, {
                        R"(lmx_origin_version{origin="UGA"} 1)",
                        R"(lmx_replication_versions_behind{origin="UGA"} 0)",
                        R"(lmx_replication_rejected_entries_total{origin="UGA"} 0)",
                        R"(lmx_peer_connected{peer="UGA"} 1)",
                    });
  EXPECT_THAT(text, HasSubstr("lmx_origin_age_seconds{origin=\"UGA\"} "));
  EXPECT_THAT(text, HasSubstr("lmx_replication_last_contact_age_seconds{origin=\"UGA\"} "));
}

TEST(MetricsFlagsTest, AnOpenNodeServesHttpOnLoopbackOnlyEvenWithInsecure) {
  std::string dir = MakeTempDir("open-http");
  CliResult run = RunProgram(LMX_NODE_BINARY, {"--country=KEN", "--data_dir=" + dir,
                                               "--http_listen=0.0.0.0:0", "--insecure"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no credentials are configured"));
  std::filesystem::remove_all(dir);
}

TEST(MetricsFlagsTest, APlaintextHttpEndpointBeyondLoopbackIsRefused) {
  CliResult run = RunProgram(
      LMX_NODE_BINARY, {"--country=KEN", "--data_dir=/nonexistent/x", "--http_listen=0.0.0.0:0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--http_listen=0.0.0.0:0 is not a loopback address"));
}

}  // namespace
}  // namespace lmx::testing
