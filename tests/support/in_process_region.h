// Nodes started in-process (node/app/node.h) on loopback gRPC, each in its
// own data directory, on one ManualClock, with a FaultyTransport each, and
// the checks replication tests make: what a node has applied of an origin,
// and its flow sums by ISCO major group.
//
//   StartNode("KEN");
//   StartNode("RWA", "KEN");             // RWA pulls from KEN
//   transport("RWA")->SetFilter(...);    // what RWA receives from KEN
//   PublishFlows("KEN", 1, 480);
//   EXPECT_TRUE(Converged("RWA"));
#ifndef LMX_TESTS_SUPPORT_IN_PROCESS_REGION_H_
#define LMX_TESTS_SUPPORT_IN_PROCESS_REGION_H_

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/node_client.h"
#include "federation/base/csv_reader.h"
#include "gtest/gtest.h"
#include "node/app/node.h"
#include "tests/support/faulty_transport.h"
#include "tests/support/flow_files.h"
#include "tests/support/manual_clock.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/wait.h"

namespace lmx::testing {

class InProcessRegionTest : public ::testing::Test {
 protected:
  NodeOptions Options(const std::string& id, const std::string& peers = "") {
    NodeOptions options;
    options.country = id;
    options.data_dir = dir_.path() + "/" + id;
    options.listen = "127.0.0.1:0";
    options.peers = peers;
    options.warm_columns = false;
    options.startup_sync_timeout = absl::Seconds(2);
    options.clock = &clock_;
    // Heartbeats and retries at a test's pace; they wait on real time.
    options.heartbeat = absl::Milliseconds(100);
    options.retry_blocked = absl::Milliseconds(200);
    return options;
  }

  // Starts `id`, pulling from `pulls_from` (ids, comma-separated) through
  // its FaultyTransport.
  void StartNode(const std::string& id, const std::string& pulls_from = "") {
    std::string peers;
    for (absl::string_view peer : absl::StrSplit(pulls_from, ',', absl::SkipEmpty())) {
      absl::StrAppend(&peers, peers.empty() ? "" : ",", peer, "=", nodes_.at(std::string(peer))->address());
    }
    NodeOptions options = Options(id, peers);
    auto& transport = transports_[id];
    if (transport == nullptr) transport = std::make_shared<FaultyTransport>();
    options.peer_transport = transport;
    auto node = Node::Start(options);
    ASSERT_TRUE(node.ok()) << node.status();
    nodes_[id] = std::move(*node);
    auto client = NodeClient::Connect(nodes_[id]->address());
    ASSERT_TRUE(client.ok()) << client.status();
    clients_[id] = std::move(*client);
  }

  void StopNode(const std::string& id) {
    clients_.erase(id);
    nodes_.erase(id);  // stops and waits
  }

  FaultyTransport* transport(const std::string& id) { return transports_.at(id).get(); }
  NodeClient& client(const std::string& id) { return *clients_.at(id); }

  // Publishes a flow file of `rows` rows at `id`, adding its sums to what
  // every node should then hold of `id`.
  void PublishFlows(const std::string& id, int seed, int rows) {
    const std::string text = FlowFile(seed, rows, &expected_[id]);
    auto csv = CsvReader::FromString(text);
    PublishOptions options;
    options.dataset = v1::DATASET_FLOW;
    options.source = absl::StrCat("flows-", seed, ".csv");
    auto published = client(id).Publish(*csv, options);
    ASSERT_TRUE(published.ok()) << published.status();
    ASSERT_FALSE(published->rejected_batch()) << published->DebugString();
    ++versions_[id];
  }

  // `at`'s view of `origin` in its replication state (lmx peers).
  v1::OriginStatus Origin(const std::string& at, const std::string& origin) {
    auto peers = client(at).Peers();
    EXPECT_TRUE(peers.ok()) << peers.status();
    if (peers.ok()) {
      for (const auto& status : peers->origins()) {
        if (status.origin() == origin) return status;
      }
    }
    return v1::OriginStatus();
  }

  // `at`'s flow counts of `origin` by ISCO major group.
  Sums FlowSums(const std::string& at, const std::string& origin) {
    v1::QueryRequest request;
    request.set_dataset(v1::DATASET_FLOW);
    request.mutable_filter()->add_countries(origin);
    Sums sums;
    absl::Status status = client(at).Query(request, [&](const v1::QueryResponse& response) {
      for (const auto& row : response.observations()) {
        sums[row.flow().occupation().substr(0, 1)] += row.flow().count();
      }
    });
    EXPECT_TRUE(status.ok()) << status;
    return sums;
  }

  // Whether `at` holds every published version of every origin, with the
  // origin's own log hash, within `seconds`; then checks the sums exactly.
  bool Converged(const std::string& at, int seconds = 30) {
    bool done = WaitUntil(
        [&] {
          for (const auto& [origin, version] : versions_) {
            v1::OriginStatus there = Origin(at, origin);
            if (there.applied() != version) return false;
            if (there.hash() != Origin(origin, origin).hash()) return false;
          }
          return true;
        },
        seconds);
    if (!done) return false;
    for (const auto& [origin, sums] : expected_) EXPECT_EQ(FlowSums(at, origin), sums) << origin;
    return true;
  }

  ScopedTempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))};
  std::map<std::string, std::shared_ptr<FaultyTransport>> transports_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::map<std::string, std::unique_ptr<NodeClient>> clients_;
  std::map<std::string, Sums> expected_;
  std::map<std::string, uint64_t> versions_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_IN_PROCESS_REGION_H_
