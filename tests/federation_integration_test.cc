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
#include "tests/node_process.h"
#include "tests/tcp_proxy.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kMembers = {"KEN", "UGA", "TZA", "RWA"};
// puller -> the nodes it pulls from.
const std::map<std::string, std::vector<std::string>> kLinks = {
    {"KEN", {"UGA", "TZA"}},
    {"UGA", {"KEN", "TZA"}},
    {"TZA", {"KEN", "UGA"}},
    {"RWA", {"TZA", "UGA"}},  // RWA -> UGA starts cut: RWA is reached only through TZA
};

// Sums of a flow file by ISCO major group.
using Sums = std::map<std::string, int64_t>;

// A flow file of `rows` rows (multiples of 240), every count at least 5 so
// that disclosure control withholds nothing and regional sums are exact.
// Seeds up to 30 keep the periods within four-digit years.
std::string FlowFile(int seed, int rows, Sums* sums) {
  static const char* kOccupations[] = {"2221", "2211", "3221", "5120", "6111",
                                       "7115", "8322", "9312", "1120", "4110"};
  static const char* kAges[] = {"Y15T24", "Y25T54", "Y55T64", "Y_GE65"};
  static const char* kChannels[] = {"PUBLIC", "PRIVATE", "BILATERAL"};
  std::string text = "period,direction,counterpart,count,occupation,sex,age,channel\n";
  int n = 0;
  // Each seed has its own periods, so files never revise each other.
  for (int month = seed * 200; n < rows; ++month) {
    std::string period =
        absl::StrCat(2000 + month / 12, "-", month % 12 < 9 ? "0" : "", month % 12 + 1);
    for (const char* occupation : kOccupations) {
      for (const char* sex : {"F", "M"}) {
        for (const char* age : kAges) {
          for (const char* channel : kChannels) {
            int64_t count = 5 + (seed * 7919 + n * 104729) % 500;
            absl::StrAppend(&text, period, ",OUTFLOW,SAU,", count, ",", occupation, ",", sex, ",",
                            age, ",", channel, "\n");
            (*sums)[std::string(1, occupation[0])] += count;
            ++n;
          }
        }
      }
    }
  }
  return text;
}

class RegionTest : public ::testing::Test {
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

  void StartNode(const std::string& id, const std::vector<std::string>& environment = {}) {
    std::vector<std::string> peers;
    for (const auto& target : kLinks.at(id)) {
      peers.push_back(target + "=" + links_[{id, target}]->address());
    }
    auto node = std::make_unique<NodeProcess>(id, DataDir(id));
    std::string error;
    ASSERT_TRUE(node->Start(&error, {"--peers=" + absl::StrJoin(peers, ",")}, environment))
        << error;
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

  std::string dir_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TcpProxy>> links_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
  std::map<std::string, Sums> expected_;
};

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

TEST_F(RegionTest, ATamperedRelayIsRefusedAndTheStreamGoesOn) {
  // TZA alters KEN's entries as it relays them; RWA pulls only from TZA.
  nodes_["TZA"]->Stop(SIGKILL);
  StartNode("TZA", {"LMX_FAULT_TAMPER_ORIGIN=KEN"});
  PublishFlows("UGA", 2, 240);
  PublishFlows("TZA", 3, 240);
  PublishFlows("KEN", 1, 240);
  // UGA and TZA arrive; KEN's altered entries are refused and reported.
  Sums ken = expected_["KEN"];
  expected_.erase("KEN");
  ExpectConverged("RWA");
  std::map<std::string, std::string> row;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    row = Peers("RWA")["KEN"];
    if (row["rejected"] != "" && row["rejected"] != "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  EXPECT_NE(row["rejected"], "0");
  EXPECT_THAT(row["last_error"], HasSubstr("signature does not verify"));
  EXPECT_THAT(row["last_error"], HasSubstr("from TZA"));
  EXPECT_EQ(row["version"], "0");
  // An honest path appears: KEN's signed entries come through UGA.
  expected_["KEN"] = ken;
  Heal("RWA", "UGA");
  ExpectConverged("RWA");
}

TEST_F(RegionTest, ARelayReplayingOlderEntriesChangesNothing) {
  // TZA serves KEN's log from version 1 on every stream, whatever the
  // puller holds; RWA pulls only from TZA.
  PublishFlows("KEN", 1, 240);
  ExpectConverged("RWA");
  nodes_["TZA"]->Stop(SIGKILL);
  StartNode("TZA", {"LMX_FAULT_REPLAY_ORIGIN=KEN"});
  PublishFlows("KEN", 4, 240);
  PublishFlows("UGA", 2, 240);
  // Each replayed version is applied once: the sums are exact, not doubled.
  ExpectConverged("RWA");
  ExpectSameDigests();
  EXPECT_EQ(Peers("RWA")["KEN"]["version"], "2");
  EXPECT_EQ(Peers("RWA")["KEN"]["rejected"], "0");
}

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
