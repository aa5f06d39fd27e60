// The spool of a batch: records kept in memory up to the threshold, then in
// a file; sealed under its final name; read back whole, or refused when cut
// short; removed when the batch is dropped unsealed.
#include "node/storage/spool.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;

class SpoolTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  SpoolReader Reader(const std::string& path) {
    auto file = FileSystem::Default()->NewSequentialFile(path);
    EXPECT_TRUE(file.ok()) << file.status();
    return SpoolReader(std::move(*file), path);
  }

  ScopedTempDir dir_;
  DiskGuard guard_{DiskGuard::Options{dir_.path()}};
};

TEST_F(SpoolTest, RecordsStayInMemoryBelowTheThresholdThenSpillAndComeBackWhole) {
  {
    Spool small(FileSystem::Default(), &guard_, Path("a.tmp"), 1 << 20);
    ASSERT_TRUE(small.Add("k", "v", 0).ok());
    EXPECT_FALSE(small.spilled());
    EXPECT_FALSE(std::filesystem::exists(Path("a.tmp")));
  }
  Spool spool(FileSystem::Default(), &guard_, Path("b.tmp"), 1024);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(spool.Add(absl::StrCat("key", i), std::string(50, 'v'), 0).ok());
  }
  ASSERT_TRUE(spool.Add(std::string("\0\0\0\1", 4), "chunk", kLogRecord).ok());
  EXPECT_TRUE(spool.spilled());
  EXPECT_EQ(spool.rows(), 101u);
  EXPECT_EQ(spool.log_records(), 1u);
  ASSERT_TRUE(spool.Seal(Path("KEN-7.batch")).ok());
  EXPECT_FALSE(std::filesystem::exists(Path("b.tmp")));

  SpoolReader reader = Reader(Path("KEN-7.batch"));
  std::string key, value;
  uint32_t tag = 0;
  int rows = 0, chunks = 0;
  while (reader.Next(&key, &value, &tag)) {
    if (tag == kLogRecord) {
      ++chunks;
      EXPECT_EQ(value, "chunk");
    } else {
      EXPECT_EQ(key, absl::StrCat("key", rows++));
    }
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status();
  EXPECT_EQ(rows, 100);
  EXPECT_EQ(chunks, 1);
}

TEST_F(SpoolTest, ASpoolCutShortIsAnErrorNotAnEnd) {
  Spool spool(FileSystem::Default(), &guard_, Path("c.tmp"), 16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(spool.Add(absl::StrCat("key", i), "value", 0).ok());
  ASSERT_TRUE(spool.Seal(Path("KEN-2.batch")).ok());
  std::filesystem::resize_file(Path("KEN-2.batch"),
                               std::filesystem::file_size(Path("KEN-2.batch")) - 3);
  SpoolReader reader = Reader(Path("KEN-2.batch"));
  std::string key, value;
  uint32_t tag = 0;
  int read = 0;
  while (reader.Next(&key, &value, &tag)) ++read;
  EXPECT_EQ(read, 9);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(reader.status().message(), HasSubstr("truncated or unreadable after 9 rows"));
}

TEST_F(SpoolTest, AnUnsealedSpoolIsRemovedWithItsBatch) {
  {
    Spool spool(FileSystem::Default(), &guard_, Path("d.tmp"), 16);
    ASSERT_TRUE(spool.Add("key", "value that spills", 0).ok());
    EXPECT_TRUE(std::filesystem::exists(Path("d.tmp")));
  }
  EXPECT_FALSE(std::filesystem::exists(Path("d.tmp")));
}

}  // namespace
}  // namespace lmx
