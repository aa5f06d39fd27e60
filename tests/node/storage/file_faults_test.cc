// The files beside the database on a disk that fails on purpose
// (tests/support/faulty_file_system.h): the spool of a large batch, the
// release calendar's batches and backups. Whatever fails, a batch is whole
// or absent, acknowledged ones stay, and the error names the file and the
// system's reason.
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/storage/backup.h"
#include "node/storage/embargo.h"
#include "node/storage/store.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/wait.h"

namespace lmx {
namespace {

using ::lmx::testing::WaitUntil;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr size_t kApplyBlock = 1 << 20;

class FileFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_.reset();
    StoreOptions options;
    options.files = &files_;
    // Spools at 64 KiB, applies in 1 MiB blocks: a 3 MiB batch is applied
    // in three.
    options.spool_threshold = 64 << 10;
    options.apply_block = kApplyBlock;
    auto store = Store::Open(Dir(), "KEN", options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string Dir() const { return dir_.path() + "/data"; }

  // Puts `rows` rows "\x01KEN<prefix><i>" of 96 bytes and commits them.
  absl::StatusOr<BatchInfo> Publish(const std::string& prefix, int rows) {
    auto batch = store_->Begin("KEN");
    if (!batch.ok()) return batch.status();
    for (int i = 0; i < rows; ++i) {
      absl::Status put = (*batch)->Put(absl::StrCat("\x01KEN", prefix, i), std::string(96, 'v'));
      if (!put.ok()) return put;
    }
    BatchInfo meta;
    meta.dataset = 1;
    meta.source = prefix;
    meta.rows = rows;
    return (*batch)->Commit(meta);
  }

  // Rows visible now.
  int Rows() {
    int rows = 0;
    EXPECT_TRUE(store_
                    ->Scan("\x01KEN", "\x01KEO", store_->Catalog()->Latest(),
                           [&](const StoredValue&) {
                             ++rows;
                             return true;
                           })
                    .ok());
    return rows;
  }

  bool Writable() {
    return WaitUntil([&] { return store_->disk()->Writable().ok(); }, 30);
  }

  std::vector<std::string> Spooled() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(Dir() + "/spool")) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  ScopedTempDir dir_;
  FaultyFileSystem files_;
  std::unique_ptr<Store> store_;
};

TEST_F(FileFaultsTest, ASpoolThatCannotBeWrittenRefusesTheBatchAndLeavesNoTrace) {
  ASSERT_TRUE(Publish("a", 2).ok());
  files_.FailWrites("/spool/", ENOSPC, /*after_bytes=*/100 << 10);
  auto refused = Publish("b", 30000);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("/spool/"));
  EXPECT_THAT(refused.status().message(), HasSubstr("No space left on device"));
  EXPECT_EQ(Rows(), 2);
  EXPECT_THAT(Spooled(), IsEmpty());

  files_.Heal();
  ASSERT_TRUE(Writable());
  auto next = Publish("c", 30000);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->version, 2u);
  EXPECT_EQ(Rows(), 30002);
}

TEST_F(FileFaultsTest, ABatchWhoseSpoolFailsMidApplyIsUndoneAndItsVersionReused) {
  ASSERT_TRUE(Publish("a", 2).ok());
  // The first block is applied, the second cannot be read: once.
  files_.FailReads("/spool/", EIO, kApplyBlock, /*times=*/1);
  auto failed = Publish("b", 30000);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("Input/output error"));
  EXPECT_EQ(files_.fired(), 1);
  EXPECT_EQ(Rows(), 2);
  EXPECT_THAT(Spooled(), IsEmpty());

  ASSERT_TRUE(Writable());
  auto next = Publish("c", 3);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->version, 2u);
  EXPECT_EQ(Rows(), 5);
}

// What LMX_FAULT_CRASH_DURING_APPLY tested with a killed process: a batch
// half applied when everything stops leaves no trace after the restart,
// and its version goes to the next batch.
TEST_F(FileFaultsTest, ABatchHalfAppliedWhenTheStoreStopsLeavesNoTraceAfterARestart) {
  ASSERT_TRUE(Publish("a", 2).ok());
  // The spool cannot be read past its first block: neither applied whole
  // nor undone here.
  files_.FailReads("/spool/", EIO, kApplyBlock);
  ASSERT_FALSE(Publish("b", 30000).ok());
  EXPECT_THAT(Spooled(), ::testing::ElementsAre("KEN-2.batch"));
  auto refused = Publish("c", 1);
  ASSERT_FALSE(refused.ok());

  files_.Heal();
  Open();  // the restart undoes the half-applied batch from its spool
  EXPECT_EQ(Rows(), 2);
  EXPECT_THAT(Spooled(), IsEmpty());
  auto next = Publish("d", 3);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->version, 2u);
  // Had the dead batch's rows survived at version 2, they would show now.
  EXPECT_EQ(Rows(), 5);
}

TEST_F(FileFaultsTest, AnEmbargoedBatchThatCannotBeWrittenWholeIsNotKept) {
  auto calendar = ReleaseCalendar::Open(dir_.path() + "/embargo", "KEN", store_.get());
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  // `heed_puts` false goes on past a failed Put, as a careless caller might.
  auto embargo = [&](int rows = 100, size_t value_bytes = 5,
                     bool heed_puts = true) -> absl::Status {
    auto batch = (*calendar)->Begin(absl::Now() + absl::Hours(24));
    if (!batch.ok()) return batch.status();
    for (int i = 0; i < rows; ++i) {
      absl::Status put = (*batch)->Put(absl::StrCat("\x01KENe", i), std::string(value_bytes, 'v'));
      if (!put.ok() && heed_puts) return put;
    }
    BatchInfo meta;
    meta.dataset = 1;
    meta.source = "embargoed.csv";
    meta.rows = rows;
    return (*batch)->Commit(meta).status();
  };
  auto files_left = [&] {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() + "/embargo")) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  };

  // The rows cannot be written.
  files_.FailWrites(".rows", ENOSPC);
  absl::Status rows = embargo();
  EXPECT_THAT(rows.message(), HasSubstr(".rows: No space left on device"));
  EXPECT_THAT(files_left(), IsEmpty());
  // One write of the rows fails while the batch is still being put (its
  // buffer of 1 MiB flushed), and the next would work: the batch fails all
  // the same, even for a caller that goes on putting: never a record whose
  // rows are missing.
  files_.FailWrites(".rows", ENOSPC, /*after_bytes=*/0, /*times=*/1);
  absl::Status midway = embargo(/*rows=*/3000, /*value_bytes=*/1000, /*heed_puts=*/false);
  EXPECT_THAT(midway.message(), HasSubstr("No space left on device"));
  EXPECT_THAT(files_left(), IsEmpty());
  // The record is torn.
  files_.Heal();
  files_.FailWrites(".embargo", EIO, /*after_bytes=*/10);
  absl::Status record = embargo();
  EXPECT_THAT(record.message(), HasSubstr("Input/output error"));
  EXPECT_THAT(files_left(), IsEmpty());
  // The directory's entries cannot be synced: not acknowledged, not kept.
  files_.Heal();
  files_.FailSyncs("/embargo", EIO, /*times=*/1);
  EXPECT_FALSE(embargo().ok());
  EXPECT_THAT(files_left(), IsEmpty());
  EXPECT_THAT((*calendar)->Upcoming(), IsEmpty());

  files_.Heal();
  ASSERT_TRUE(embargo().ok());
  calendar->reset();
  calendar = ReleaseCalendar::Open(dir_.path() + "/embargo", "KEN", store_.get());
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ((*calendar)->Upcoming().size(), 1u);
}

TEST_F(FileFaultsTest, ABackupOnAFullDiskFailsNamingTheFileAndIsNotMarkedRestorable) {
  ASSERT_TRUE(Publish("a", 2).ok());
  std::ofstream(Dir() + "/node.key") << "key";
  const std::string to = dir_.path() + "/backup";
  files_.FailWrites("/backup/node.key", ENOSPC);
  auto made = BackupNode(store_.get(), Dir(), to, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.status().message(), HasSubstr("/backup/node.key: No space left on device"));
  EXPECT_FALSE(std::filesystem::exists(to + "/" + kBackupMarker));

  files_.Heal();
  const std::string again = dir_.path() + "/backup2";
  auto second = BackupNode(store_.get(), Dir(), again, nullptr);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(std::filesystem::exists(again + "/" + kBackupMarker));
  EXPECT_TRUE(std::filesystem::exists(again + "/node.key"));
}

}  // namespace
}  // namespace lmx
