// A full disk never stops the node (docs/operations.md, "A full or failing
// disk"): KEN's data directory is on a small tmpfs of its own, which the
// test fills and frees. KEN turns read-only, keeps answering and serving its
// log, refuses publishes with RESOURCE_EXHAUSTED and a clear message, and
// takes them again by itself once there is room; UGA, pulling from it, ends
// with every acknowledged batch. Needs root, for mount (CI runs as root).
#include <sys/statvfs.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/node_process.h"
#include "tests/support/proxied_region.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("disk-full");
    disk_ = dir_ + "/disk";
    std::filesystem::create_directories(disk_);
    CliResult mounted = RunProgram("/bin/mount", {"-t", "tmpfs", "-o", "size=48m", "tmpfs", disk_});
    if (mounted.exit_code != 0) GTEST_SKIP() << "cannot mount a tmpfs (not root?): " << mounted.err;
    mounted_ = true;
  }

  void TearDown() override {
    nodes_.clear();
    if (mounted_) RunProgram("/bin/umount", {"-l", disk_});
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  CliResult Lmx(const std::string& id, std::vector<std::string> args) {
    args.insert(args.begin(), "--node=" + nodes_[id]->address());
    return RunLmx(args);
  }

  uint64_t Free() {
    struct statvfs fs;
    if (::statvfs(disk_.c_str(), &fs) != 0) return 0;
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }

  // Fills the disk but for `left` bytes.
  void Fill(uint64_t left) {
    uint64_t free = Free();
    if (free <= left) return;
    CliResult made = RunProgram("/usr/bin/fallocate",
                                {"-l", absl::StrCat(free - left), disk_ + "/filler"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }

  std::string Scrape() {
    std::vector<std::string> parts = absl::StrSplit(http_, ':');
    httplib::Client client(parts[0], std::stoi(parts[1]));
    client.set_read_timeout(10, 0);
    auto answer = client.Get("/metrics");
    return answer ? answer->body : "";
  }


  CliResult Publish(int seed, Sums* sums) {
    std::string path = absl::StrCat(dir_, "/flows-", seed, ".csv");
    Sums file;
    WriteFile(path, FlowFile(seed, 240, &file));
    CliResult result = Lmx("KEN", {"publish", "flows", path});
    if (result.exit_code == 0) {
      for (const auto& [group, count] : file) (*sums)[group] += count;
    }
    return result;
  }

  Sums Aggregate(const std::string& id) {
    Sums sums;
    for (auto& row : CsvAnswer(
             Lmx(id, {"aggregate", "flows", "--by=occupation:1", "--format=csv"}).out)) {
      int64_t count = 0;
      absl::SimpleAtoi(row["count"], &count);
      sums[row["occupation"]] = count;
    }
    return sums;
  }

  std::string Version(const std::string& id, const std::string& origin) {
    for (auto& row : CsvAnswer(Lmx(id, {"peers", "--format=csv"}).out)) {
      if (row["origin"] == origin) return row["version"];
    }
    return "";
  }

  std::string dir_, disk_, http_;
  bool mounted_ = false;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(DiskFullTest, AFullDiskMakesTheNodeReadOnlyAndItResumesByItselfWhenThereIsRoom) {
  std::string ready = dir_ + "/ken.http";
  auto ken = std::make_unique<NodeProcess>("KEN", disk_ + "/KEN");
  std::string error;
  ASSERT_TRUE(ken->Start(&error, {"--http_listen=127.0.0.1:0", "--http_ready_file=" + ready}))
      << error;
  http_ = std::string(absl::StripTrailingAsciiWhitespace(ReadFile(ready)));
  nodes_["KEN"] = std::move(ken);
  auto uga = std::make_unique<NodeProcess>("UGA", dir_ + "/UGA");
  ASSERT_TRUE(uga->Start(&error, {"--peers=KEN=" + nodes_["KEN"]->address()})) << error;
  nodes_["UGA"] = std::move(uga);

  Sums acknowledged;
  for (int seed = 1; seed <= 3; ++seed) ASSERT_EQ(Publish(seed, &acknowledged).exit_code, 0);

  // The disk fills (another program, or the logs of this one): the node
  // says so before any write tries.
  Fill(1 << 20);
  EXPECT_TRUE(WaitUntil(
      [&] { return Scrape().find("\nlmx_store_read_only 1\n") != std::string::npos; }, 10));
  CliResult refused = Publish(4, &acknowledged);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("nothing was written"));
  EXPECT_THAT(refused.err, HasSubstr("full"));
  EXPECT_THAT(Scrape(), HasSubstr("\nlmx_store_read_only 1\n"));
  EXPECT_THAT(Lmx("KEN", {"peers"}).err, HasSubstr("KEN storage: read-only"));
  // Reads go on, and so does replication from what it has.
  EXPECT_EQ(Aggregate("KEN"), acknowledged);
  EXPECT_TRUE(WaitUntil([&] { return Version("UGA", "KEN") == "3"; }));
  // A few seconds on a full disk: the node is still there.
  std::this_thread::sleep_for(std::chrono::seconds(3));  // time on a full disk, not a wait
  EXPECT_EQ(Aggregate("KEN"), acknowledged);
  EXPECT_EQ(Publish(5, &acknowledged).exit_code, 1);

  // Room again: it takes publishes without a restart.
  std::filesystem::remove(disk_ + "/filler");
  ASSERT_TRUE(WaitUntil([&] { return Scrape().find("\nlmx_store_read_only 0\n") != std::string::npos; }));
  ASSERT_EQ(Publish(6, &acknowledged).exit_code, 0);
  EXPECT_EQ(Aggregate("KEN"), acknowledged);
  EXPECT_TRUE(WaitUntil([&] { return Version("UGA", "KEN") == "4"; }));
  EXPECT_TRUE(WaitUntil([&] { return Aggregate("UGA") == acknowledged; }));
  EXPECT_THAT(nodes_["KEN"]->log(), HasSubstr("writable again"));
}

TEST_F(DiskFullTest, ABatchThatWouldNotFitIsRefusedBeforeItIsSentAndSmallerOnesStillGo) {
  auto ken = std::make_unique<NodeProcess>("KEN", disk_ + "/KEN");
  std::string error;
  ASSERT_TRUE(ken->Start(&error)) << error;
  nodes_["KEN"] = std::move(ken);
  // A file of about 3 MiB, and room for it once, beside the node's reserve
  // (a tenth of the disk): it needs room for its rows twice.
  Sums big_sums;
  std::string big = dir_ + "/big.csv";
  WriteFile(big, FlowFile(7, 24000 * 3, &big_sums));
  Fill(std::filesystem::file_size(big) + (5 << 20));
  CliResult refused = Lmx("KEN", {"publish", "flows", big});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("nothing was written"));
  EXPECT_THAT(refused.err, HasSubstr("big.csv"));
  Sums acknowledged;
  EXPECT_EQ(Publish(1, &acknowledged).exit_code, 0);
  EXPECT_EQ(Aggregate("KEN"), acknowledged);
  EXPECT_EQ(Version("KEN", "KEN"), "1");
}

// One period of flows with `counterparts` x 240 cells, each count `count`.
std::string WidePeriod(int counterparts, int count) {
  static const char* kCountries[] = {"SAU", "ARE", "QAT", "OMN", "KWT", "GBR", "DEU",
                                     "USA", "CAN", "ETH", "SOM", "SSD", "BHR", "JOR",
                                     "LBN", "ITA", "FRA", "ESP", "NLD", "BEL"};
  std::string text = "period,direction,counterpart,count,occupation,sex,age,channel\n";
  for (int c = 0; c < counterparts; ++c) {
    for (const char* occupation : {"2221", "2211", "3221", "5120", "6111", "7115", "8322", "9312",
                                   "1120", "4110"}) {
      for (const char* sex : {"F", "M"}) {
        for (const char* age : {"Y15T24", "Y25T54", "Y55T64", "Y_GE65"}) {
          for (const char* channel : {"PUBLIC", "PRIVATE", "BILATERAL"}) {
            absl::StrAppend(&text, "2030-01,OUTFLOW,", kCountries[c], ",", count, ",", occupation,
                            ",", sex, ",", age, ",", channel, "\n");
          }
        }
      }
    }
  }
  return text;
}

TEST_F(DiskFullTest, AnAcknowledgedBatchWhoseLogEntryDoesNotFitHoldsBackPublishesUntilItIsMade) {
  auto ken = std::make_unique<NodeProcess>("KEN", disk_ + "/KEN");
  std::string error;
  ASSERT_TRUE(ken->Start(&error)) << error;
  nodes_["KEN"] = std::move(ken);
  auto uga = std::make_unique<NodeProcess>("UGA", dir_ + "/UGA");
  ASSERT_TRUE(uga->Start(&error, {"--peers=KEN=" + nodes_["KEN"]->address()})) << error;
  nodes_["UGA"] = std::move(uga);
  // A wide period, then a revision of one of its cells: a tiny batch whose
  // log entry is the whole period again (disclosure control needs it).
  WriteFile(dir_ + "/wide.csv", WidePeriod(20, 7));
  ASSERT_EQ(Lmx("KEN", {"publish", "flows", dir_ + "/wide.csv"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return Version("UGA", "KEN") == "1"; }));
  const uint64_t reserve = 48 * (1 << 20) / 10;  // a tenth of the disk
  Fill(reserve + (150 << 10));
  WriteFile(dir_ + "/revision.csv",
            "period,direction,counterpart,count,occupation,sex,age,channel\n"
            "2030-01,OUTFLOW,SAU,8,2221,F,Y15T24,PUBLIC\n");
  CliResult revised = Lmx("KEN", {"publish", "flows", dir_ + "/revision.csv"});
  ASSERT_EQ(revised.exit_code, 0) << revised.err;  // acknowledged: durable at KEN
  // Its entry waits for room: no publish piles more on it meanwhile.
  EXPECT_TRUE(WaitUntil([&] {
    return Lmx("KEN", {"peers"}).err.find("its log entry waits for room") != std::string::npos;
  }));
  CliResult held = Lmx("KEN", {"publish", "flows", dir_ + "/revision.csv"});
  EXPECT_NE(held.exit_code, 0);
  EXPECT_THAT(held.err, HasSubstr("its log entry waits for room"));
  EXPECT_EQ(Version("UGA", "KEN"), "1");
  // Room again: the entry is made, the region gets version 2, and
  // publishes go on.
  std::filesystem::remove(disk_ + "/filler");
  EXPECT_TRUE(WaitUntil([&] { return Version("UGA", "KEN") == "2"; }));
  EXPECT_TRUE(WaitUntil([&] { return Lmx("KEN", {"peers"}).err.find("KEN publishing: open") !=
                                     std::string::npos; }));
  EXPECT_EQ(Lmx("KEN", {"publish", "flows", dir_ + "/revision.csv"}).exit_code, 0);
}

}  // namespace
}  // namespace lmx::testing
