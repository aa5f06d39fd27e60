// A continental federation in small (issue 21; bench/continent.sh runs the
// 55-member one): members in regional economic communities pull only from
// their REC's hub, and the hubs pull from each other or from one
// continental hub. Every member publishes; each must come to hold every
// origin, with the regional sums exact at every member, and a later
// publish anywhere must reach every other member through two or three
// relays.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/region_test_base.h"
#include "tests/support/wait.h"

namespace lmx::testing {
namespace {

// A loopback port nobody listens on now (the node binds it right after).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

enum class Hubs { kMesh, kContinental };

class ContinentTest : public RegionTestBase, public ::testing::WithParamInterface<Hubs> {
 protected:
  // Three RECs of three members; the first of each is its hub, and the
  // first hub is the continental one.
  const std::vector<std::vector<std::string>> recs_ = {
      {"KEN", "UGA", "TZA"}, {"NGA", "GHA", "SEN"}, {"ZAF", "BWA", "NAM"}};

  void StartContinent() {
    std::map<std::string, std::string> address;
    for (const auto& rec : recs_) {
      for (const auto& member : rec) {
        int port = FreePort();
        ASSERT_NE(port, 0);
        address[member] = absl::StrCat("127.0.0.1:", port);
      }
    }
    auto peer = [&](const std::string& id) { return id + "=" + address[id]; };
    for (size_t r = 0; r < recs_.size(); ++r) {
      const std::string& hub = recs_[r][0];
      for (const auto& member : recs_[r]) {
        std::vector<std::string> peers;
        if (member != hub) {
          peers.push_back(peer(hub));
        } else {
          for (const auto& other : recs_[r]) {
            if (other != hub) peers.push_back(peer(other));
          }
          for (size_t o = 0; o < recs_.size(); ++o) {
            bool linked = GetParam() == Hubs::kMesh ? o != r : (r == 0) != (o == 0);
            if (linked) peers.push_back(peer(recs_[o][0]));
          }
        }
        Start(member, {"--listen=" + address[member], "--peers=" + absl::StrJoin(peers, ",")});
        if (HasFatalFailure()) return;
      }
    }
  }

  std::vector<std::string> Members() const {
    std::vector<std::string> all;
    for (const auto& rec : recs_) all.insert(all.end(), rec.begin(), rec.end());
    return all;
  }

  // The version of each origin `id` holds.
  std::map<std::string, int> Held(const std::string& id) {
    std::map<std::string, int> held;
    CliResult peers = Lmx(id, {"peers", "--format=csv"});
    if (peers.exit_code != 0) return held;
    for (const auto& row : CsvAnswer(peers.out)) held[row.at("origin")] = std::stoi(row.at("version"));
    return held;
  }

  // Whether every member holds every origin at `versions`.
  bool Converged(const std::map<std::string, int>& versions) {
    for (const std::string& member : Members()) {
      std::map<std::string, int> held = Held(member);
      for (const auto& [origin, version] : versions) {
        if (held[origin] < version) return false;
      }
    }
    return true;
  }
};

TEST_P(ContinentTest, EveryMemberComesToHoldEveryOriginAndALaterPublishReachesAll) {
  StartContinent();
  if (HasFatalFailure()) return;
  std::map<std::string, int> versions;
  int64_t total = 0;
  int count = 10;
  for (const std::string& member : Members()) {
    Publish(member, "flows",
            absl::StrCat("period,direction,counterpart,occupation,sex,count\n",
                         "2025-Q1,OUTFLOW,SAU,2512,F,", count, "\n",
                         "2025-Q1,OUTFLOW,ARE,7112,M,", count + 1, "\n"));
    total += 2 * count + 1;
    count += 10;
    versions[member] = 1;
  }
  ASSERT_TRUE(WaitUntil([&] { return Converged(versions); }, 90))
      << "not every member holds every origin";
  // The regional sum is exact at every member: nothing lost, nothing twice.
  for (const std::string& member : Members()) {
    CliResult sums = Lmx(member, {"aggregate", "flows", "--by=direction", "--format=csv"});
    ASSERT_EQ(sums.exit_code, 0) << sums.err;
    auto rows = CsvAnswer(sums.out);
    ASSERT_EQ(rows.size(), 1u) << member << ": " << sums.out;
    EXPECT_EQ(rows[0].at("count"), absl::StrCat(total)) << member;
    EXPECT_EQ(rows[0].at("countries"), absl::StrCat(Members().size())) << member;
  }
  // A member at the edge of one REC publishes again; a member at the edge
  // of another sees it through its hub, the other hub(s) and theirs.
  Publish("NAM", "flows", "period,direction,counterpart,occupation,sex,count\n2025-Q2,INFLOW,SAU,2512,F,7\n");
  versions["NAM"] = 2;
  ASSERT_TRUE(WaitUntil([&] { return Converged(versions); }, 60));
  CliResult inflow = Lmx("UGA", {"aggregate", "flows", "--by=direction", "--format=csv"});
  ASSERT_EQ(inflow.exit_code, 0) << inflow.err;
  bool found = false;
  for (const auto& row : CsvAnswer(inflow.out)) {
    if (row.at("direction") == "INFLOW") {
      found = true;
      EXPECT_EQ(row.at("count"), "7");
    }
  }
  EXPECT_TRUE(found) << inflow.out;
}

INSTANTIATE_TEST_SUITE_P(Topologies, ContinentTest,
                         ::testing::Values(Hubs::kMesh, Hubs::kContinental),
                         [](const ::testing::TestParamInfo<Hubs>& info) {
                           return info.param == Hubs::kMesh ? std::string("HubsInAMesh")
                                                            : std::string("OneContinentalHub");
                         });

}  // namespace
}  // namespace lmx::testing
