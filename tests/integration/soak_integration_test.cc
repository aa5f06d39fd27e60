// A soak of the region of tests/support/proxied_region.h: for LMX_SOAK_SECONDS
// (60 by default; tests/integration/soak/run.sh runs it for longer) KEN, UGA and TZA
// publish while nodes are killed, mid-publish too, links are cut (or
// frozen: connections up, nothing passing) and healed, and nodes are backed
// up and restored from their backups. A ledger keeps every batch and what its publisher was told. Then the region
// heals, and every node must hold every acknowledged batch (0 lost), each
// batch once (0 duplicated), each whole or not at all (0 half-applied),
// the same at every node, with digests that agree (no fork).
// LMX_SOAK_SEED replays a run; the seed is printed.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/proxied_region.h"

namespace lmx::testing {
namespace {

using SoakTest = ProxiedRegionTest;

struct Filed {
  enum Outcome { kAcknowledged, kRefused, kUnknown };
  std::string origin;
  int month = 0;  // its one period, in months after January 2000
  Outcome outcome = kUnknown;
};

std::string PeriodOf(int month) { return absl::StrFormat("%04d-%02d", 2000 + month / 12, month % 12 + 1); }

int EnvInt(const char* name, int otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : otherwise;
}

TEST_F(SoakTest, CrashesPartitionsAndRestoresLoseDuplicateAndHalfApplyNothing) {
  const int seconds = EnvInt("LMX_SOAK_SECONDS", 60);
  const unsigned seed = static_cast<unsigned>(EnvInt("LMX_SOAK_SEED", std::random_device()()));
  std::cerr << "soak: " << seconds << " s, LMX_SOAK_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  const std::vector<std::string> publishers = {"KEN", "UGA", "TZA"};
  const std::vector<std::string> restart = {"--startup_sync_timeout=2s"};
  std::vector<Filed> ledger;
  std::map<std::string, std::string> backups;
  std::map<std::string, int> actions;
  int month = 1;

  auto publish = [&](const std::string& id, bool kill) {
    Filed filed{id, month++};
    Sums sums;
    std::string path = absl::StrCat(dir_, "/soak-", filed.month, ".csv");
    WriteFile(path, FlowFile(0, 240, &sums, filed.month));
    CliResult result;
    if (!kill) {
      result = Lmx(id, {"publish", "flows", path});
    } else {
      std::thread job([&] { result = Lmx(id, {"publish", "flows", path}); });
      // A fault at a random point of the publish, not a wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
      nodes_[id]->Stop(SIGKILL);
      job.join();
      StartNode(id, {}, restart);
    }
    filed.outcome = result.exit_code == 0 ? Filed::kAcknowledged
                    : result.err.find("nothing was written") != std::string::npos
                        ? Filed::kRefused
                        : Filed::kUnknown;
    ledger.push_back(filed);
  };
  auto heal_all = [&] {
    for (auto& [link, proxy] : links_) {
      if (link != std::make_pair(std::string("RWA"), std::string("UGA"))) proxy->Unblock();
    }
  };

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end && month < 1800) {
    const int dice = static_cast<int>(rng() % 100);
    const std::string& id = publishers[rng() % publishers.size()];
    if (dice < 45) {
      publish(id, false);
      ++actions["publish"];
    } else if (dice < 55) {
      publish(id, true);
      ++actions["kill -9 mid-publish"];
    } else if (dice < 65) {
      const std::string& victim = kMembers[rng() % kMembers.size()];
      nodes_[victim]->Stop(SIGKILL);
      StartNode(victim, {}, restart);
      ++actions["kill -9 and restart"];
    } else if (dice < 75) {
      auto link = std::next(links_.begin(), rng() % links_.size());
      if (rng() % 2 == 0) {
        link->second->Block();
        ++actions["cut a link"];
      } else {
        // Its connections stay up and say nothing: only silence tells.
        link->second->Freeze();
        ++actions["freeze a link"];
      }
    } else if (dice < 83) {
      heal_all();
      ++actions["heal"];
    } else if (dice < 91) {
      backups[id] = Backup(id);
      ++actions["backup"];
    } else if (backups.count(id)) {
      // An operator restores a node once the region holds all it holds:
      // what never left a lost disk cannot come back from anywhere.
      // (Asked of the members it pulls from, which are those it asks
      // when it starts; nobody pulls from RWA.)
      const std::string held = Peers(id)[id]["version"];
      bool region_holds = true;
      for (const auto& other : kLinks.at(id)) {
        if (Peers(other)[id]["version"] != held) region_holds = false;
      }
      if (region_holds) {
        Restore(id, backups[id], restart);
        ++actions["restore from a backup"];
      }
    }
  }
  heal_all();
  int acknowledged = 0, refused = 0, unknown = 0;
  for (const auto& filed : ledger) {
    acknowledged += filed.outcome == Filed::kAcknowledged;
    refused += filed.outcome == Filed::kRefused;
    unknown += filed.outcome == Filed::kUnknown;
  }
  std::cerr << "soak: " << ledger.size() << " batches (" << acknowledged << " acknowledged, "
            << refused << " refused, " << unknown << " unknown); faults:";
  for (const auto& [action, count] : actions) std::cerr << " " << action << " " << count << ";";
  std::cerr << "\n";

  // The region converges: every node holds each origin as the origin does.
  bool converged = WaitUntil(
      [&] {
        for (const auto& origin : publishers) {
          const std::string version = Peers(origin)[origin]["version"];
          for (const auto& id : kMembers) {
            auto row = Peers(id)[origin];
            if (row["version"] != version || row["digest"] != "agree") return false;
          }
        }
        return true;
      },
      180);
  EXPECT_TRUE(converged);
  if (!converged) {
    // What each node says of the region, and of its links, for the note.
    for (const auto& id : kMembers) {
      std::cerr << "lmx peers at " << id << ":\n" << Lmx(id, {"peers"}).out << "\n";
    }
  }
  ExpectSameDigests();

  // Each batch: whole or absent, the same everywhere; acknowledged ones
  // present, refused ones absent; each origin's versions are its batches.
  std::map<std::string, std::map<std::string, std::map<std::string, int>>> rows;  // id, origin, period
  for (const auto& id : kMembers) {
    for (const auto& origin : publishers) {
      for (auto& row : CsvAnswer(
               Lmx(id, {"query", "flows", "--country=" + origin, "--format=csv"}).out)) {
        ++rows[id][origin][row["period"]];
      }
    }
  }
  std::map<std::string, int> present;
  int lost = 0, half = 0;
  for (const auto& filed : ledger) {
    const std::string period = PeriodOf(filed.month);
    const int there = rows[filed.origin][filed.origin][period];
    if (there == 240) ++present[filed.origin];
    if (there != 0 && there != 240) ++half;
    if (filed.outcome == Filed::kAcknowledged && there != 240) ++lost;
    if (filed.outcome == Filed::kRefused) EXPECT_EQ(there, 0) << filed.origin << " " << period;
    for (const auto& id : kMembers) {
      EXPECT_EQ(rows[id][filed.origin][period], there) << id << " " << filed.origin << " " << period;
    }
  }
  EXPECT_EQ(lost, 0) << "acknowledged batches lost";
  EXPECT_EQ(half, 0) << "batches half applied";
  for (const auto& origin : publishers) {
    // No batch twice, and nothing the ledger does not know.
    EXPECT_EQ(Peers(origin)[origin]["version"], absl::StrCat(present[origin])) << origin;
    int periods = 0;
    for (const auto& [period, count] : rows[origin][origin]) periods += count > 0;
    EXPECT_EQ(periods, present[origin]) << origin;
  }
}

}  // namespace
}  // namespace lmx::testing
