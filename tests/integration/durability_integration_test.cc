// What is acknowledged stays (docs/federation.md, "No equivocation";
// docs/operations.md, "Back up and restore"): a node restored from an old
// backup, raced by publishes or started with every link cut, pulls its own
// log back from the region before it signs anything; an origin that signs
// two histories anyway is caught by every peer, which keeps the first and
// keeps the proof. Real nodes behind TcpProxy links (tests/support/proxied_region.h).
#include <csignal>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/proxied_region.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using DurabilityTest = ProxiedRegionTest;

TEST_F(DurabilityTest, ARestoredNodeRacedByPublishesPullsItsLogBackBeforeItSignsAnything) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  const std::string backup = Backup("KEN");  // KEN v1
  PublishFlows("KEN", 2, 240);
  PublishFlows("KEN", 3, 240);
  PublishFlows("KEN", 4, 240);  // v2-v4: acknowledged, and replicated
  for (const auto& id : kMembers) ExpectConverged(id);
  const std::string original_hash = Peers("UGA")["KEN"]["hash"];

  // Three scheduled jobs publish the moment the restored node serves.
  Restore("KEN", backup);
  std::vector<CliResult> results(3);
  std::vector<std::thread> jobs;
  for (int k = 0; k < 3; ++k) {
    jobs.emplace_back([&, k] { results[k] = TryPublish("KEN", 5 + k); });
  }
  for (auto& job : jobs) job.join();
  int accepted = 0;
  for (const auto& result : results) {
    if (result.exit_code == 0) {
      ++accepted;
    } else {
      EXPECT_THAT(result.err, HasSubstr("nothing was written")) << result.err;
    }
  }
  // Nothing acknowledged is lost anywhere, and every node holds one
  // history of KEN: v1-v4 as first signed, then the new batches.
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
  ExpectRowCounts({{"KEN", 240 * (4 + accepted)}});
  for (const auto& id : kMembers) {
    EXPECT_EQ(Peers(id)["KEN"]["version"], absl::StrCat(4 + accepted)) << id;
    EXPECT_THAT(PeersNotes(id), Not(HasSubstr("forked"))) << id;
  }
  if (accepted == 0) EXPECT_EQ(Peers("UGA")["KEN"]["hash"], original_hash);
  // Its next publish is head + 1.
  ExpectPublishing("KEN");
  PublishFlows("KEN", 8, 240);
  EXPECT_EQ(Peers("KEN")["KEN"]["version"], absl::StrCat(5 + accepted));
  for (const auto& id : kMembers) ExpectConverged(id);
}

TEST_F(DurabilityTest, AnIsolatedRestoredNodeTakesNoPublishUntilAPeerAnswersThenGoesOnFromHead) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  const std::string backup = Backup("KEN");
  PublishFlows("KEN", 2, 240);
  PublishFlows("KEN", 3, 240);
  for (const auto& id : kMembers) ExpectConverged(id);

  Isolate("KEN");
  Restore("KEN", backup, {"--startup_sync_timeout=1s"});
  CliResult refused = TryPublish("KEN", 9);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("no peer has answered"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was written"));
  EXPECT_THAT(PeersNotes("KEN"), HasSubstr("KEN publishing: no peer has answered"));

  Isolate("KEN", false);
  ASSERT_TRUE(WaitUntil([&] { return Peers("KEN")["KEN"]["version"] == "3"; }));
  ExpectPublishing("KEN");
  EXPECT_THAT(PeersNotes("KEN"), HasSubstr("versions 2, 3 of KEN came back from the region"));
  PublishFlows("KEN", 4, 240);
  EXPECT_EQ(Peers("KEN")["KEN"]["version"], "4");
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
  ExpectRowCounts({{"KEN", 960}});
}

TEST_F(DurabilityTest, AForkedOriginIsCaughtByEveryPeerWhichKeepsTheFirstHistoryAndTheProof) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  const std::string backup = Backup("KEN");
  PublishFlows("KEN", 2, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  const Sums original = expected_["KEN"];
  const std::string original_hash = Peers("RWA")["KEN"]["hash"];

  // The operator says, wrongly, that the region's copies are lost: the
  // restored node signs another version 2.
  Isolate("KEN");
  Restore("KEN", backup, {"--startup_sync_timeout=1s"});
  CliResult declared =
      Lmx("KEN", {"admin", "declare-region-lost", "--reason=disk replaced, peers wiped (test)"});
  ASSERT_EQ(declared.exit_code, 0) << declared.err;
  EXPECT_THAT(declared.out, HasSubstr("from version 2"));
  Sums fork;
  std::string path = dir_ + "/fork.csv";
  WriteFile(path, FlowFile(9, 240, &fork));
  ASSERT_EQ(Lmx("KEN", {"publish", "flows", path}).exit_code, 0);

  Isolate("KEN", false);
  // Its direct peers catch the fork from its digests and entries, keep the
  // first history and say so; the relay-only member never sees the second.
  for (const char* id : {"UGA", "TZA"}) {
    EXPECT_TRUE(WaitUntil([&] { return Peers(id)["KEN"]["digest"] == "forked"; })) << id;
    EXPECT_THAT(PeersNotes(id), HasSubstr("KEN is forked: it signed two histories"));
    EXPECT_THAT(nodes_[id]->log(), HasSubstr("FORK: KEN signed two histories"));
  }
  for (const char* id : {"UGA", "TZA", "RWA"}) {
    int64_t countries = 0;
    EXPECT_EQ(Aggregate(id, &countries), original) << id;
    EXPECT_EQ(Peers(id)["KEN"]["version"], "2") << id;
    EXPECT_EQ(Peers(id)["KEN"]["hash"], original_hash) << id;
  }
  // The forked origin finds out too, and signs nothing more.
  EXPECT_TRUE(WaitUntil([&] { return Peers("KEN")["KEN"]["digest"] == "forked"; }));
  CliResult after = TryPublish("KEN", 10);
  EXPECT_NE(after.exit_code, 0);
  EXPECT_THAT(after.err, HasSubstr("own log is forked"));
  // The declaration is in the audit log.
  EXPECT_THAT(Lmx("KEN", {"admin", "audit", "--format=csv"}).out,
              HasSubstr("declare region lost"));
  // The proof survives a restart.
  nodes_["UGA"]->Stop(SIGTERM);
  StartNode("UGA");
  EXPECT_EQ(Peers("UGA")["KEN"]["digest"], "forked");
}

TEST_F(DurabilityTest, ARestoreWaitsForEveryPeerBecauseASilentOneMayHoldItsNewestVersions) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  const std::string backup = Backup("KEN");
  PublishFlows("KEN", 2, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  // TZA is down. UGA answers, but TZA might hold more of KEN's log than
  // UGA: a restored node waits for it, past its deadline.
  nodes_["TZA"]->Stop(SIGKILL);
  Restore("KEN", backup, {"--startup_sync_timeout=1s"});
  CliResult refused = TryPublish("KEN", 9);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("restored backup"));
  EXPECT_THAT(refused.err, HasSubstr("waiting for TZA"));
  EXPECT_TRUE(std::filesystem::exists(DataDir("KEN") + "/restored-from-backup"));
  StartNode("TZA");
  ExpectPublishing("KEN");
  PublishFlows("KEN", 3, 240);
  EXPECT_EQ(Peers("KEN")["KEN"]["version"], "3");
  EXPECT_FALSE(std::filesystem::exists(DataDir("KEN") + "/restored-from-backup"));
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
}

TEST_F(DurabilityTest, ARestartedNodeSettlesForThePeersThatAnswerByItsDeadline) {
  PublishFlows("KEN", 1, 240);
  for (const auto& id : kMembers) ExpectConverged(id);
  // A plain restart holds every version it acknowledged: the peers that
  // answer are enough, once the deadline has passed.
  nodes_["TZA"]->Stop(SIGKILL);
  nodes_["KEN"]->Stop(SIGKILL);
  StartNode("KEN", {}, {"--startup_sync_timeout=1s"});
  ExpectPublishing("KEN");
  PublishFlows("KEN", 2, 240);
  EXPECT_EQ(Peers("KEN")["KEN"]["version"], "2");
  StartNode("TZA");
  for (const auto& id : kMembers) ExpectConverged(id);
  ExpectSameDigests();
}

}  // namespace
}  // namespace lmx::testing
