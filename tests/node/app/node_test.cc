// Nodes started in-process (node/app/node.h), on loopback gRPC, with a clock
// the test moves: an embargo is released when the clock passes its time,
// at once, and replicated as the next version; options that are wrong are
// refused with the option's name.
#include "node/app/node.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/node_client.h"
#include "federation/base/csv_reader.h"
#include "federation/base/timestamps.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/in_process_region.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;
using ::lmx::testing::WaitUntil;

class InProcessNodeTest : public testing::InProcessRegionTest {
 protected:
  std::unique_ptr<NodeClient> Client(const Node& node) {
    auto client = NodeClient::Connect(node.address());
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // The node's shortage rows of UGA in 2026-Q1.
  std::vector<v1::Observation> Shortages(NodeClient& client) {
    v1::QueryRequest request;
    request.set_dataset(v1::DATASET_SHORTAGE);
    request.mutable_filter()->add_countries("UGA");
    request.mutable_filter()->set_period("2026-Q1");
    std::vector<v1::Observation> rows;
    absl::Status status = client.Query(request, [&](const v1::QueryResponse& response) {
      for (const auto& row : response.observations()) rows.push_back(row);
    });
    EXPECT_TRUE(status.ok()) << status;
    return rows;
  }

  // The periods of UGA's shortages the node says it holds.
  std::vector<std::string> ReportedPeriods(NodeClient& client) {
    v1::CompletenessRequest request;
    request.set_dataset(v1::DATASET_SHORTAGE);
    std::vector<std::string> periods;
    absl::Status status = client.Completeness(request, [&](const v1::CompletenessResponse& answer) {
      for (const auto& row : answer.rows()) {
        if (row.country() != "UGA") continue;
        for (const auto& period : row.periods()) periods.push_back(period.period());
      }
    });
    EXPECT_TRUE(status.ok()) << status;
    return periods;
  }

};

TEST_F(InProcessNodeTest, AnEmbargoIsReleasedWhenTheClockPassesItsTimeAndReplicatedAsTheNextVersion) {
  auto uga = Node::Start(Options("UGA"));
  ASSERT_TRUE(uga.ok()) << uga.status();
  auto ken = Node::Start(Options("KEN", "UGA=" + (*uga)->address()));
  ASSERT_TRUE(ken.ok()) << ken.status();
  auto at_uga = Client(**uga);
  auto at_ken = Client(**ken);
  ASSERT_NE(at_uga, nullptr);
  ASSERT_NE(at_ken, nullptr);

  const absl::Time release = clock_.Now() + absl::Hours(6);
  auto csv = CsvReader::FromString(
      "period,occupation,status,shortage_index\n2026-Q1,2221,SHORTAGE,0.9\n");
  PublishOptions publish;
  publish.dataset = v1::DATASET_SHORTAGE;
  publish.source = "shortages.csv";
  publish.release_at = release;
  auto published = at_uga->Publish(*csv, publish);
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_FALSE(published->rejected_batch()) << published->DebugString();
  auto calendar = at_uga->Calendar();
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  ASSERT_EQ(calendar->releases_size(), 1);
  EXPECT_EQ(FromTimestamp(calendar->releases(0).release_at()), release);
  EXPECT_EQ(calendar->releases(0).dataset(), v1::DATASET_SHORTAGE);
  EXPECT_THAT(calendar->releases(0).periods(), ::testing::ElementsAre("2026-Q1"));

  // Hours before the release: at neither node. Nothing is due, however
  // long the test takes, since the clock stands still.
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(Shortages(*at_uga).empty());
  EXPECT_TRUE(Shortages(*at_ken).empty());
  EXPECT_THAT(ReportedPeriods(*at_uga), ::testing::IsEmpty());
  auto peers = at_ken->Peers();
  ASSERT_TRUE(peers.ok()) << peers.status();
  for (const auto& origin : peers->origins()) {
    if (origin.origin() == "UGA") EXPECT_EQ(origin.applied(), 0u);  // nothing replicated
  }

  // Past it: released at the origin and replicated, as version 1, published
  // at the clock's time.
  clock_.Advance(absl::Hours(2));
  ASSERT_TRUE(WaitUntil([&] { return Shortages(*at_uga).size() == 1; }, 30));
  ASSERT_TRUE(WaitUntil([&] { return Shortages(*at_ken).size() == 1; }, 30));
  v1::Observation row = Shortages(*at_ken)[0];
  EXPECT_EQ(row.shortage().provenance().version(), 1u);
  EXPECT_GE(FromTimestamp(row.shortage().provenance().published_at()), release);
  EXPECT_THAT(ReportedPeriods(*at_uga), ::testing::ElementsAre("2026-Q1"));
  calendar = at_uga->Calendar();
  ASSERT_TRUE(calendar.ok());
  EXPECT_EQ(calendar->releases_size(), 0);
}

TEST_F(InProcessNodeTest, OptionsThatAreWrongAreRefusedNamingTheOption) {
  NodeOptions options = Options("KEN");
  options.listen = "nowhere";
  auto node = Node::Start(options);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(node.status().message(), HasSubstr("--listen=nowhere"));

  options = Options("XXX");
  EXPECT_THAT(Node::Start(options).status().message(), HasSubstr("--country"));

  options = Options("KEN", "KEN=127.0.0.1:1");
  EXPECT_THAT(Node::Start(options).status().message(), HasSubstr("does not pull from itself"));
}

TEST_F(InProcessNodeTest, AStoreBelongsToOneCountryAndAStoppedNodeCanStartAgain) {
  auto ken = Node::Start(Options("KEN"));
  ASSERT_TRUE(ken.ok()) << ken.status();
  (*ken)->Stop();
  (*ken)->Wait();
  ken->reset();
  NodeOptions other = Options("UGA");
  other.data_dir = dir_.path() + "/KEN";
  auto uga = Node::Start(other);
  ASSERT_FALSE(uga.ok());
  EXPECT_NE(uga.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Node::Start(Options("KEN")).ok());
}

}  // namespace
}  // namespace lmx
