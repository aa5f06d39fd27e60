// Nodes started in-process (node/app/node.h), on loopback gRPC, with a clock
// the test moves: an embargo is released when the clock passes its time,
// at once, and replicated as the next version; options that are wrong are
// refused with the option's name.
#include "node/app/node.h"

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/node_client.h"
#include "federation/base/csv_reader.h"
#include "federation/base/timestamps.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "lmx/v1/publish.grpc.pb.h"
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

// `lmx publish` sends a file's bytes and the node reads them (as COPY
// does) with the reader the CLI uses: the same rows, the same errors with
// the same lines, and a stream cut short or miscounted writes nothing.
TEST_F(InProcessNodeTest, AFileSentAsItsBytesIsReadExactlyAsItsRowsWouldBe) {
  auto ken = Node::Start(Options("KEN"));
  ASSERT_TRUE(ken.ok()) << ken.status();
  auto client = Client(**ken);
  ASSERT_NE(client, nullptr);
  const std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::string path = dir + "/" + name;
    std::FILE* file = std::fopen(path.c_str(), "wb");
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
    return path;
  };
  // Blank lines, quotes, a bad code, a row cut short and an unclosed quote
  // at the end, past the 1 MiB a message carries.
  std::string text = "\n\nperiod,occupation,status,shortage_index\n2026-Q1,2221,SHORTAGE,0.9\n";
  for (int i = 0; i < 30000; ++i) absl::StrAppend(&text, "\"", 1990 + i % 30, "\",2512,BALANCE,0.", i % 10, "\n");
  absl::StrAppend(&text, "2026-Q1,99999,SHORTAGE,0.1\n2026-Q1,2221\n\n2026-Q2,\"2221,SHORTAGE\n");
  const std::string path = write("shortages.csv", text);
  PublishOptions options;
  options.dataset = v1::DATASET_SHORTAGE;
  options.source = "shortages.csv";
  options.dry_run = true;
  auto reader = CsvReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto as_rows = client->Publish(**reader, options);
  auto as_bytes = client->PublishFile(path, options);
  ASSERT_TRUE(as_rows.ok()) << as_rows.status();
  ASSERT_TRUE(as_bytes.ok()) << as_bytes.status();
  EXPECT_GT(as_rows->rejected(), 0u);
  EXPECT_EQ(as_bytes->DebugString(), as_rows->DebugString());

  // A header that is not comma-separated: the same refusal.
  const std::string semicolons = write("semicolons.csv", "period;occupation;status\n2026-Q1;2221;SHORTAGE\n");
  auto semicolon_reader = CsvReader::Open(semicolons);
  ASSERT_TRUE(semicolon_reader.ok());
  auto refused_rows = client->Publish(**semicolon_reader, options);
  auto refused_bytes = client->PublishFile(semicolons, options);
  ASSERT_FALSE(refused_rows.ok());
  ASSERT_FALSE(refused_bytes.ok());
  EXPECT_EQ(refused_bytes.status().message(), refused_rows.status().message());

  // Raw streams: bytes whose end miscounts them, bytes without an end, and
  // rows after a header that says file.
  auto channel = grpc::CreateChannel((*ken)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::PublishService::NewStub(channel);
  auto raw = [&](int ending) {
    grpc::ClientContext context;
    auto stream = stub->Publish(&context);
    v1::PublishRequest request;
    request.mutable_header()->set_dataset(v1::DATASET_SHORTAGE);
    request.mutable_header()->set_source("raw.csv");
    request.mutable_header()->set_file(true);
    stream->Write(request);
    request.Clear();
    request.set_file("period,occupation,status\n2026-Q3,2221,SHORTAGE\n");
    stream->Write(request);
    request.Clear();
    if (ending == 0) request.mutable_end()->set_rows(3);  // not the bytes sent
    if (ending == 1) request.mutable_rows()->add_rows()->set_line(9);
    if (ending != 2) stream->Write(request);
    stream->WritesDone();
    v1::PublishResponse response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  };
  for (int ending = 0; ending < 3; ++ending) {
    grpc::Status status = raw(ending);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ending;
    EXPECT_THAT(status.error_message(), HasSubstr("nothing was written")) << ending;
  }
  v1::QueryRequest query;
  query.set_dataset(v1::DATASET_SHORTAGE);
  int found = 0;
  ASSERT_TRUE(client->Query(query, [&](const v1::QueryResponse& r) { found += r.observations_size(); }).ok());
  EXPECT_EQ(found, 0);
}

}  // namespace
}  // namespace lmx
