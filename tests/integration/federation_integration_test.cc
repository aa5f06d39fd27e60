// A region of real lmx-node processes on loopback (SPEC §4): KEN, UGA and
// TZA pull from each other, and RWA only from TZA, so it sees the other
// origins through a relay. Every link goes through a TcpProxy the test
// controls, so links can be cut and healed. Each case checks exact regional
// sums (nothing lost, nothing counted twice) and identical digests.
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/proxied_region.h"
#include "tests/support/tcp_proxy.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

using RegionTest = ProxiedRegionTest;

TEST_F(RegionTest, EveryNodeAnswersTheExactRegionalSumsIncludingTheRelayedOne) {
  PublishFlows("KEN", 1, 480);
  PublishFlows("UGA", 2, 240);
  PublishFlows("TZA", 3, 720);
  for (const auto& id : kMembers) ExpectConverged(id);
  auto peers = Peers("RWA");
  for (const char* origin : {"KEN", "UGA", "TZA"}) {
    ASSERT_TRUE(peers.count(origin)) << origin;
    EXPECT_EQ(peers[origin]["version"], "1");
    EXPECT_EQ(peers[origin]["trust"], "pinned on first use");
    EXPECT_THAT(peers[origin]["key"], HasSubstr("ed25519:"));
  }
  ExpectSameDigests();
  ExpectRowCounts({{"KEN", 480}, {"UGA", 240}, {"TZA", 720}});
}

TEST_F(RegionTest, AKilledNodeCatchesUpAfterItRestarts) {
  PublishFlows("KEN", 1, 240);
  ExpectConverged("RWA");
  // A large entry (many chunks) is on its way when the relay dies.
  PublishFlows("KEN", 4, 24000);
  nodes_["TZA"]->Stop(SIGKILL);
  PublishFlows("UGA", 5, 480);
  StartNode("TZA");
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
  ExpectRowCounts({{"KEN", 24240}, {"UGA", 480}});
}

TEST_F(RegionTest, APartitionedNodeKeepsServingAndCatchesUpWhenHealed) {
  PublishFlows("KEN", 1, 240);
  ExpectConverged("RWA");
  Cut("RWA", "TZA");
  PublishFlows("UGA", 2, 480);
  ExpectConverged("KEN");
  // RWA still answers, from its own replica, with what it had.
  int64_t countries = 0;
  Sums before = Aggregate("RWA", &countries);
  EXPECT_EQ(countries, 1);
  EXPECT_EQ(before, expected_["KEN"]);
  Heal("RWA", "TZA");
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
}

// A relay that alters or replays what it relays: tests/node/replication/
// replication_test.cc, in-process, on a transport that does it.

TEST_F(RegionTest, ANodeRestoredFromAnOldCopyIsRepairedFromTheRegion) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  // Back up KEN's data dir, then publish more.
  nodes_["KEN"]->Stop(SIGTERM);
  std::filesystem::copy(DataDir("KEN"), dir_ + "/KEN-backup",
                        std::filesystem::copy_options::recursive);
  StartNode("KEN");
  PublishFlows("KEN", 2, 480);
  for (const auto& id : kMembers) ExpectConverged(id);
  // Restore the old copy: KEN's own log is now behind the region's.
  nodes_["KEN"]->Stop(SIGKILL);
  std::filesystem::remove_all(DataDir("KEN"));
  std::filesystem::rename(dir_ + "/KEN-backup", DataDir("KEN"));
  StartNode("KEN");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Peers("KEN")["KEN"]["version"] != "2" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  EXPECT_EQ(Peers("KEN")["KEN"]["version"], "2");
  // It publishes on from version 3: no fork.
  PublishFlows("KEN", 3, 240);
  CliResult peers = Lmx("RWA", {"peers", "--format=csv"});
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
  EXPECT_EQ(Peers("RWA")["KEN"]["version"], "3");
}

}  // namespace
}  // namespace lmx::testing
