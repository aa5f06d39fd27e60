// A region of real lmx-node processes on loopback (SPEC §4) whose every
// replication link goes through a TcpProxy the test controls, so links can
// be cut and healed: KEN, UGA and TZA pull from each other, and RWA only
// from TZA (its link to UGA starts cut), so it sees the other origins
// through a relay. Helpers publish generated flow files and wait, with
// deadlines, for exact regional sums and identical digests.
#ifndef LMX_TESTS_SUPPORT_PROXIED_REGION_H_
#define LMX_TESTS_SUPPORT_PROXIED_REGION_H_

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/support/flow_files.h"
#include "tests/support/node_process.h"
#include "tests/support/tcp_proxy.h"

namespace lmx::testing {

inline const std::vector<std::string> kMembers = {"KEN", "UGA", "TZA", "RWA"};
// puller -> the nodes it pulls from.
inline const std::map<std::string, std::vector<std::string>> kLinks = {
    {"KEN", {"UGA", "TZA"}},
    {"UGA", {"KEN", "TZA"}},
    {"TZA", {"KEN", "UGA"}},
    {"RWA", {"TZA", "UGA"}},  // RWA -> UGA starts cut: RWA is reached only through TZA
};

class ProxiedRegionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("region");
    for (const auto& [puller, targets] : kLinks) {
      for (const auto& target : targets) {
        links_[{puller, target}] = std::make_unique<TcpProxy>();
      }
    }
    Cut("RWA", "UGA");
    for (const auto& id : kMembers) StartNode(id);
  }

  void TearDown() override {
    nodes_.clear();
    links_.clear();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string DataDir(const std::string& id) { return dir_ + "/" + id; }

  void StartNode(const std::string& id, const std::vector<std::string>& environment = {},
                 std::vector<std::string> flags = {}) {
    std::vector<std::string> peers;
    for (const auto& target : kLinks.at(id)) {
      peers.push_back(target + "=" + links_[{id, target}]->address());
    }
    auto node = std::make_unique<NodeProcess>(id, DataDir(id));
    std::string error;
    flags.push_back("--peers=" + absl::StrJoin(peers, ","));
    ASSERT_TRUE(node->Start(&error, flags, environment)) << error;
    for (auto& [link, proxy] : links_) {
      if (link.second == id) proxy->SetTarget(node->address());
    }
    nodes_[id] = std::move(node);
  }

  void Cut(const std::string& puller, const std::string& target) {
    links_[{puller, target}]->Block();
  }
  void Heal(const std::string& puller, const std::string& target) {
    links_[{puller, target}]->Unblock();
  }
  // Cuts (or heals) every link to and from `id`.
  void Isolate(const std::string& id, bool cut = true) {
    for (auto& [link, proxy] : links_) {
      if (link.first != id && link.second != id) continue;
      if (link == std::make_pair(std::string("RWA"), std::string("UGA"))) continue;
      cut ? proxy->Block() : proxy->Unblock();
    }
  }

  CliResult Lmx(const std::string& id, std::vector<std::string> args) {
    args.insert(args.begin(), "--node=" + nodes_.at(id)->address());
    return RunLmx(args);
  }

  // Publishes a generated flow file at `id` and adds its sums to `expected_`.
  void PublishFlows(const std::string& id, int seed, int rows) {
    std::string path = absl::StrCat(dir_, "/", id, "-", seed, ".csv");
    WriteFile(path, FlowFile(seed, rows, &expected_[id]));
    CliResult result = Lmx(id, {"publish", "flows", path});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  Sums RegionalSums() const {
    Sums total;
    for (const auto& [id, sums] : expected_) {
      for (const auto& [group, count] : sums) total[group] += count;
    }
    return total;
  }

  // `lmx aggregate flows --by=occupation:1` at `id`, and its countries.
  Sums Aggregate(const std::string& id, int64_t* countries) {
    CliResult result = Lmx(id, {"aggregate", "flows", "--by=occupation:1", "--format=csv"});
    Sums sums;
    *countries = 0;
    for (auto& row : CsvAnswer(result.out)) {
      int64_t count = 0, n = 0;
      absl::SimpleAtoi(row["count"], &count);
      absl::SimpleAtoi(row["countries"], &n);
      sums[row["occupation"]] = count;
      *countries = std::max(*countries, n);
    }
    return sums;
  }

  std::map<std::string, std::map<std::string, std::string>> Peers(const std::string& id) {
    std::map<std::string, std::map<std::string, std::string>> origins;
    for (auto& row : CsvAnswer(Lmx(id, {"peers", "--format=csv"}).out)) {
      origins[row["origin"]] = row;
    }
    return origins;
  }

  // Waits, up to a deadline, until `id` answers with the exact regional
  // sums of every publisher.
  void ExpectConverged(const std::string& id) {
    Sums want = RegionalSums();
    Sums got;
    int64_t countries = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      got = Aggregate(id, &countries);
      if (got == want && countries == static_cast<int64_t>(expected_.size())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
    }
    EXPECT_EQ(got, want) << id << " did not converge";
    EXPECT_EQ(countries, static_cast<int64_t>(expected_.size())) << id;
  }

  // Every node holds every origin at the same version with the same log
  // hash, and says its digests agree.
  void ExpectSameDigests() {
    std::map<std::string, std::map<std::string, std::string>> first;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (const auto& id : kMembers) {
      std::map<std::string, std::map<std::string, std::string>> peers;
      for (;;) {
        peers = Peers(id);
        bool agreed = peers.size() >= expected_.size();
        for (auto& [origin, row] : peers) agreed = agreed && row["digest"] == "agree";
        if (agreed || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
      }
      for (auto& [origin, row] : peers) {
        EXPECT_EQ(row["digest"], "agree") << id << " on " << origin;
        EXPECT_EQ(row["lag"], "0") << id << " on " << origin;
        if (first.count(origin)) {
          EXPECT_EQ(row["version"], first[origin]["version"]) << id << " on " << origin;
          EXPECT_EQ(row["hash"], first[origin]["hash"]) << id << " on " << origin;
        } else {
          first[origin] = row;
        }
      }
    }
  }

  // Every node holds exactly the observations published: one per key.
  void ExpectRowCounts(const std::map<std::string, int>& rows) {
    for (const auto& id : kMembers) {
      for (const auto& [origin, count] : rows) {
        CliResult result = Lmx(id, {"query", "flows", "--country=" + origin, "--format=csv"});
        EXPECT_EQ(CsvAnswer(result.out).size(), static_cast<size_t>(count)) << id << " " << origin;
      }
    }
  }

  // `lmx admin backup` of `id`, into a new directory.
  std::string Backup(const std::string& id) {
    std::string backup = absl::StrCat(dir_, "/", id, "-backup-", ++backups_);
    CliResult result = Lmx(id, {"admin", "backup", "--dir=" + backup});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return backup;
  }

  // Kills `id`, puts a copy of `backup` in place of its data directory and
  // starts it on it, as an operator restores a node.
  void Restore(const std::string& id, const std::string& backup,
               const std::vector<std::string>& flags = {}) {
    nodes_[id]->Stop(SIGKILL);
    std::filesystem::remove_all(DataDir(id));
    std::filesystem::copy(backup, DataDir(id), std::filesystem::copy_options::recursive);
    StartNode(id, {}, flags);
  }


  // What `lmx peers` says of the node itself (its stderr).
  std::string PeersNotes(const std::string& id) { return Lmx(id, {"peers"}).err; }

  // Waits until `id` takes publishes (it has heard its peers, whose links
  // reconnect with a backoff of up to 5 s).
  void ExpectPublishing(const std::string& id) {
    EXPECT_TRUE(WaitUntil([&] {
      return PeersNotes(id).find(id + " publishing: open") != std::string::npos;
    })) << PeersNotes(id);
  }

  // Publishes a generated flow file at `id` without asserting its outcome;
  // its sums count in the expected totals only if it was acknowledged.
  CliResult TryPublish(const std::string& id, int seed) {
    Sums sums;
    std::string path = absl::StrCat(dir_, "/", id, "-try-", seed, ".csv");
    WriteFile(path, FlowFile(seed, 240, &sums));
    CliResult result = Lmx(id, {"publish", "flows", path});
    if (result.exit_code == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [group, count] : sums) expected_[id][group] += count;
    }
    return result;
  }

  std::string dir_;
  int backups_ = 0;
  std::mutex mu_;  // expected_, for publishes made at once
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TcpProxy>> links_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
  std::map<std::string, Sums> expected_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_PROXIED_REGION_H_
