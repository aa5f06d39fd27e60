// The fixture of the SDMX integration tests: a real node holding a few
// flows, shortages and vacancies, callers with each role, and GET on its
// HTTP endpoint.
#ifndef LMX_TESTS_INTEGRATION_SDMX_FIXTURE_H_
#define LMX_TESTS_INTEGRATION_SDMX_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/node_process.h"

namespace lmx::testing {

constexpr char kFlows[] =
    "period,direction,counterpart,count,occupation,sex\n"
    "2024,OUTFLOW,SAU,3,7212,M\n"
    "2025,OUTFLOW,SAU,4,7212,M\n"
    "2025,INFLOW,UGA,5,2221,F\n"
    "2025,OUTFLOW,ARE,6,5322,F\n";
constexpr char kShortages[] =
    "period,occupation,status,shortage_index,hard_to_fill\n"
    "2025-Q1,2221,SHORTAGE,0.5,40\n"
    "2025-Q1,7212,SURPLUS,-0.25,\n";
constexpr char kVacancies[] =
    "vacancy_id,posted,occupation,positions\n"
    "V-1,2025-03-02,2221,2\n"
    "V-2,2025-03-09,2221,3\n"
    "V-3,2025-04-01,7212,1\n";

struct Got {
  int status = 0;
  std::string content_type;
  std::string body;
};

class SdmxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("sdmx");
    for (const char* role : {"publisher", "reader", "analyst"}) {
      CliResult made = RunLmx({"admin", "token", "create", "--config=" + dir_ + "/data/config.json",
                               absl::StrCat("--name=", role), absl::StrCat("--role=", role)});
      ASSERT_EQ(made.exit_code, 0) << made.err;
      tokens_[role] = std::string(absl::StripAsciiWhitespace(made.out));
    }
    node_ = std::make_unique<NodeProcess>("KEN", dir_ + "/data");
    std::string error;
    ASSERT_TRUE(
        node_->Start(&error, {"--http_listen=127.0.0.1:0", "--http_ready_file=" + dir_ + "/http"}))
        << error;
    http_ = std::string(absl::StripTrailingAsciiWhitespace(ReadFile(dir_ + "/http")));
    for (const auto& [dataset, text] : std::vector<std::pair<std::string, std::string>>{
             {"flows", kFlows}, {"shortages", kShortages}, {"vacancies", kVacancies}}) {
      std::string path = dir_ + "/" + dataset + ".csv";
      WriteFile(path, text);
      CliResult published = Lmx("publisher", {"publish", dataset, path});
      ASSERT_EQ(published.exit_code, 0) << published.err;
    }
  }

  void TearDown() override {
    node_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  CliResult Lmx(const std::string& role, std::vector<std::string> args) {
    args.insert(args.begin(), {"--node=" + node_->address(), "--token=" + tokens_[role]});
    return RunLmx(args);
  }

  // GET /sdmx/3.0/data/dataflow/LMX/`query` as `role` (none when empty).
  Got Get(const std::string& query, const std::string& role = "analyst",
          const std::string& accept = "") {
    httplib::Headers headers;
    if (!role.empty()) headers.emplace("Authorization", "Bearer " + tokens_[role]);
    if (!accept.empty()) headers.emplace("Accept", accept);
    return Fetch("/sdmx/3.0/data/dataflow/LMX/" + query, headers);
  }

  // All flows as the `accept` type, checked and saved to dir_/`name`.
  std::string SaveFlows(const std::string& accept, const std::string& name) {
    Got got = Get("FLOW/1.0/*", "analyst", accept);
    EXPECT_EQ(got.status, 200) << got.body;
    EXPECT_THAT(got.content_type, ::testing::HasSubstr(accept.substr(0, accept.find(';'))));
    std::string file = dir_ + "/" + name;
    WriteFile(file, got.body);
    return file;
  }

  // GET `path` on the node's HTTP endpoint.
  Got Fetch(const std::string& path, const httplib::Headers& headers = {}) {
    std::vector<std::string> parts = absl::StrSplit(http_, ':');
    httplib::Client client(parts[0], std::stoi(parts[1]));
    client.set_read_timeout(20, 0);
    auto answer = client.Get(path.c_str(), headers);
    Got got;
    if (!answer) return got;
    got.status = answer->status;
    got.content_type = answer->get_header_value("Content-Type");
    got.body = answer->body;
    return got;
  }

  std::string dir_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<NodeProcess> node_;
  std::string http_;
};

// Sums of `value` by `by` over SDMX-CSV or `lmx --format=csv` rows.
inline std::map<std::string, int64_t> SumBy(const std::vector<std::map<std::string, std::string>>& rows,
                                     const std::string& by, const std::string& value) {
  std::map<std::string, int64_t> sums;
  for (const auto& row : rows) {
    int64_t number = 0;
    EXPECT_TRUE(absl::SimpleAtoi(row.at(value), &number)) << row.at(value);
    sums[row.at(by)] += number;
  }
  return sums;
}

}  // namespace lmx::testing

#endif  // LMX_TESTS_INTEGRATION_SDMX_FIXTURE_H_
