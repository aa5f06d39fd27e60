// Replication between in-process nodes through a transport that breaks the
// streams on purpose (tests/support/faulty_transport.h): RWA pulls from KEN,
// and whatever reaches RWA, it ends with exactly KEN's log (the same log
// hash) and exactly KEN's sums, or refuses what is not KEN's.
#include <atomic>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/replication/log_builder.h"
#include "tests/support/in_process_region.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

using Messages = std::vector<v1::PullResponse>;

// A flow file large enough for an entry of several chunks.
constexpr int kManyChunks = 3 * kCellsPerChunk;

class ReplicationTest : public InProcessRegionTest {
 protected:
  void SetUp() override {
    StartNode("KEN");
    StartNode("RWA", "KEN");
  }
};

TEST_F(ReplicationTest, EntriesArriveWhole) {
  PublishFlows("KEN", 1, 480);
  PublishFlows("KEN", 2, 240 * 60);
  EXPECT_TRUE(Converged("RWA"));
}

TEST_F(ReplicationTest, EveryMessageTwiceIsAppliedOnce) {
  transport("RWA")->SetFilter([](int, const v1::PullResponse& m) { return Messages{m, m}; });
  PublishFlows("KEN", 1, 480);
  PublishFlows("KEN", 2, kManyChunks);
  EXPECT_TRUE(Converged("RWA"));
  EXPECT_EQ(Origin("RWA", "KEN").applied(), 2u);
}

TEST_F(ReplicationTest, ADroppedChunkIsPulledAgainAndNothingIsLost) {
  // The second chunk of each entry on the first stream that carries one
  // never arrives.
  std::atomic<int> chunks{0};
  transport("RWA")->SetFilter([&](int stream, const v1::PullResponse& m) {
    if (m.has_entry() && stream <= 2 && ++chunks == 2) return Messages{};
    return Messages{m};
  });
  PublishFlows("KEN", 1, kManyChunks);
  EXPECT_TRUE(Converged("RWA"));
  EXPECT_GE(chunks.load(), 2);
}

TEST_F(ReplicationTest, AStreamThatFallsSilentIsCutAndOpenedAgain) {
  // The first stream goes quiet after its opening heartbeat, as one does
  // whose connection's far end vanished without closing it: the puller
  // hears no heartbeat, cuts it, and the next stream brings the entries.
  std::atomic<int> heard{0};
  transport("RWA")->SetFilter([&](int stream, const v1::PullResponse& m) {
    // (An entry may come first when the publish beats the stream's
    // opening: it is dropped too, so that only a second stream delivers.)
    if (stream == 1 && (heard++ > 0 || m.has_entry())) return Messages{};
    return Messages{m};
  });
  PublishFlows("KEN", 1, 480);
  EXPECT_TRUE(Converged("RWA"));
  EXPECT_GE(transport("RWA")->streams(), 2);
}

TEST_F(ReplicationTest, ReorderedChunksAreNotAppliedOutOfOrder) {
  // The first two chunks swap places, once.
  std::atomic<bool> swapped{false};
  auto held = std::make_shared<v1::PullResponse>();
  transport("RWA")->SetFilter([&, held](int, const v1::PullResponse& m) {
    if (!m.has_entry() || swapped) return Messages{m};
    if (!held->has_entry()) {
      *held = m;
      return Messages{};
    }
    swapped = true;
    return Messages{m, *held};
  });
  PublishFlows("KEN", 1, kManyChunks);
  EXPECT_TRUE(Converged("RWA"));
  EXPECT_TRUE(swapped);
}

TEST_F(ReplicationTest, TamperedChunksAreRefusedAndAnHonestStreamDeliversThem) {
  // What reaches RWA is altered on the way, as a malicious relay would.
  transport("RWA")->SetFilter([](int, const v1::PullResponse& m) {
    if (!m.has_entry()) return Messages{m};
    v1::PullResponse altered = m;
    v1::LogChunk chunk;
    chunk.ParseFromString(altered.entry().chunk());
    if (chunk.cells_size() > 0) chunk.mutable_cells(0)->mutable_value()->push_back('x');
    chunk.set_source(chunk.source() + " (altered)");
    altered.mutable_entry()->set_chunk(chunk.SerializeAsString());
    return Messages{altered};
  });
  PublishFlows("KEN", 1, 480);
  v1::OriginStatus ken;
  ASSERT_TRUE(WaitUntil([&] {
    ken = Origin("RWA", "KEN");
    return ken.rejected() > 0;
  }, 30));
  EXPECT_THAT(ken.last_error(), HasSubstr("signature does not verify"));
  EXPECT_THAT(ken.last_error(), HasSubstr("from KEN"));
  EXPECT_EQ(ken.applied(), 0u);
  EXPECT_TRUE(FlowSums("RWA", "KEN").empty());

  transport("RWA")->SetFilter(nullptr);
  transport("RWA")->CutAll();
  EXPECT_TRUE(Converged("RWA"));
}

TEST_F(ReplicationTest, AReplayOfOlderEntriesChangesNothing) {
  PublishFlows("KEN", 1, 480);
  ASSERT_TRUE(Converged("RWA"));
  // From now on every stream asks for KEN's log from version 1.
  transport("RWA")->SetRewrite([](v1::PullRequest* request) {
    for (auto& cursor : *request->mutable_cursors()) {
      if (cursor.origin() == "KEN") cursor.set_applied(0);
    }
  });
  transport("RWA")->CutAll();
  ASSERT_TRUE(WaitUntil([&] { return transport("RWA")->streams() >= 2; }, 30));
  PublishFlows("KEN", 2, 240);
  transport("RWA")->CutAll();
  ASSERT_TRUE(WaitUntil([&] { return transport("RWA")->streams() >= 3; }, 30));
  EXPECT_TRUE(Converged("RWA"));
  EXPECT_EQ(Origin("RWA", "KEN").applied(), 2u);
  EXPECT_EQ(Origin("RWA", "KEN").rejected(), 0u);
}

TEST_F(ReplicationTest, AStreamCutMidEntryAndAReceiverRestartedMidEntryLoseNothing) {
  // The first stream to carry an entry ends after its first chunk.
  std::atomic<int> chunks{0};
  transport("RWA")->SetFilter([&](int stream, const v1::PullResponse& m) {
    if (m.has_entry() && ++chunks == 2) transport("RWA")->CutAll();
    return Messages{m};
  });
  PublishFlows("KEN", 1, kManyChunks);
  EXPECT_TRUE(Converged("RWA"));

  // Half an entry held, then the receiver stops and starts again.
  chunks = 0;
  std::atomic<bool> holding{false};
  transport("RWA")->SetFilter([&](int, const v1::PullResponse& m) {
    if (!m.has_entry()) return Messages{m};
    if (++chunks > 1) {
      holding = true;
      return Messages{};
    }
    return Messages{m};
  });
  PublishFlows("KEN", 2, kManyChunks);
  ASSERT_TRUE(WaitUntil([&] { return holding.load(); }, 30));
  StopNode("RWA");
  transport("RWA")->SetFilter(nullptr);
  StartNode("RWA", "KEN");
  EXPECT_TRUE(Converged("RWA"));
}

}  // namespace
}  // namespace lmx::testing
