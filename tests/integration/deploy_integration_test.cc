// deploy/local-region.sh as an operator runs it: N real nodes on loopback
// with keys and a manifest, replicating, with metrics, then stopped.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

CliResult Script(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"LMX_BUILD_DIR=" LMX_BUILD_DIR, "bash",
                                  LMX_SOURCE_DIR "/deploy/local-region.sh"};
  all.insert(all.end(), args.begin(), args.end());
  return RunProgram("/usr/bin/env", all);
}

TEST(LocalRegionTest, StartsAReplicatingRegionAndStopsIt) {
  std::string dir = MakeTempDir("local-region") + "/region";
  CliResult started = Script({"start", "3", dir, "--http"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  EXPECT_THAT(started.out, HasSubstr("region LOCAL: 3 nodes in " + dir));
  auto address = [&](const std::string& id) {
    return std::string(absl::StripTrailingAsciiWhitespace(ReadFile(dir + "/" + id + ".ready")));
  };
  std::string flows = dir + "/flows.csv";
  WriteFile(flows, "period,direction,counterpart,count\n2025,OUTFLOW,SAU,9\n");
  CliResult published = RunLmx({"--node=" + address("KEN"), "publish", "flows", flows});
  EXPECT_EQ(published.exit_code, 0) << published.err;

  // The manifest's full mesh carries it to TZA.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = RunLmx({"--node=" + address("TZA"), "query", "flows", "--format=csv"}).out;
    if (seen.find("SAU") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(seen, HasSubstr("KEN"));

  CliResult stopped = Script({"stop", dir});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_THAT(stopped.out, HasSubstr("stopped KEN"));
  EXPECT_THAT(stopped.out, HasSubstr("stopped TZA"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/pids"));
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

}  // namespace
}  // namespace lmx::testing
