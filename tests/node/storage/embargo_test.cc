// The release calendar on a real store: batches kept out of the store until
// their time, released once, refused when damaged without holding back
// the others, and cancelled.
#include "node/storage/embargo.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class EmbargoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path() + "/store", "KEN");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    Reopen();
  }

  void Reopen() {
    calendar_.reset();
    auto calendar = ReleaseCalendar::Open(Dir(), "KEN", store_.get());
    ASSERT_TRUE(calendar.ok()) << calendar.status();
    calendar_ = std::move(*calendar);
  }

  std::string Dir() const { return dir_.path() + "/embargo"; }

  // Stores an embargoed batch of `rows` keys "k<i>" and returns its id.
  std::string Embargo(absl::Time release_at, int rows, const std::string& source) {
    auto batch = calendar_->Begin(release_at);
    EXPECT_TRUE(batch.ok()) << batch.status();
    for (int i = 0; i < rows; ++i) {
      EXPECT_TRUE((*batch)->Put("\x01KEN" + source + std::to_string(i), "value").ok());
    }
    BatchInfo meta;
    meta.dataset = 1;
    meta.source = source;
    meta.rows = rows;
    meta.periods = {"2026-Q1"};
    auto info = (*batch)->Commit(meta);
    EXPECT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->version, 0u);
    EXPECT_EQ(info->published_at, release_at);
    return info->release_id;
  }

  uint64_t Version() const {
    auto latest = store_->Catalog()->Latest();
    return latest.count("KEN") ? latest["KEN"] : 0;
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ReleaseCalendar> calendar_;
};

TEST_F(EmbargoTest, ABatchStaysOutOfTheStoreUntilItsTimeAndIsReleasedOnce) {
  absl::Time at = absl::Now() + absl::Hours(1);
  std::string id = Embargo(at, 3, "a");
  ASSERT_EQ(calendar_->Upcoming().size(), 1u);
  EXPECT_EQ(calendar_->Upcoming()[0].id(), id);
  EXPECT_EQ(calendar_->Upcoming()[0].observations(), 3u);
  // Figures under embargo are for the node's user only.
  for (const auto& entry : std::filesystem::directory_iterator(Dir())) {
    EXPECT_EQ(entry.status().permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << entry.path();
  }

  auto early = calendar_->ReleaseDue(at - absl::Seconds(1));
  ASSERT_TRUE(early.ok());
  EXPECT_THAT(*early, IsEmpty());
  EXPECT_EQ(Version(), 0u);

  // It survives a restart, then is released at its time.
  Reopen();
  auto released = calendar_->ReleaseDue(at);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_THAT(*released, ElementsAre(1u));
  EXPECT_EQ(store_->Catalog()->Find("KEN", 1)->release_id, id);
  EXPECT_TRUE(store_
                  ->Get("\x01KEN"
                        "a2",
                        store_->Catalog()->Latest())
                  .ok());
  EXPECT_THAT(calendar_->Upcoming(), IsEmpty());
  EXPECT_THAT(std::filesystem::is_empty(Dir()), true);
  EXPECT_THAT(*calendar_->ReleaseDue(at + absl::Hours(1)), IsEmpty());
  EXPECT_EQ(Version(), 1u);
}

TEST_F(EmbargoTest, ABatchReleasedJustBeforeACrashIsNotReleasedAgain) {
  absl::Time at = absl::Now() + absl::Hours(1);
  std::string id = Embargo(at, 2, "a");
  // Keep its files as a crash between the commit and their removal would.
  std::filesystem::copy(Dir(), dir_.path() + "/kept");
  ASSERT_TRUE(calendar_->ReleaseDue(at).ok());
  calendar_.reset();
  std::filesystem::remove_all(Dir());
  std::filesystem::copy(dir_.path() + "/kept", Dir());
  Reopen();
  // Recognized at start: neither listed nor cancellable nor released.
  EXPECT_THAT(calendar_->Upcoming(), IsEmpty());
  EXPECT_TRUE(absl::IsNotFound(calendar_->Cancel(id).status()));
  EXPECT_THAT(*calendar_->ReleaseDue(at + absl::Hours(1)), IsEmpty());
  EXPECT_EQ(Version(), 1u);
}

TEST_F(EmbargoTest, ADamagedBatchIsRefusedAndHoldsBackNoOther) {
  absl::Time at = absl::Now() + absl::Hours(1);
  std::string damaged = Embargo(at, 50, "a");
  std::string sound = Embargo(at + absl::Minutes(1), 4, "b");
  std::string garbage = Embargo(at + absl::Minutes(2), 1, "c");
  {
    // One flipped byte in a value: the sizes still read.
    std::fstream rows(Dir() + "/" + damaged + ".rows", std::ios::in | std::ios::out);
    rows.seekp(-2, std::ios::end);
    rows.put('X');
  }
  {
    // A size far beyond the file: refused before anything is allocated.
    std::ofstream rows(Dir() + "/" + garbage + ".rows", std::ios::trunc);
    rows << "\xff\xff\xff\xff\xff\xff\xff\xff\x7f"
         << "key";
  }
  auto released = calendar_->ReleaseDue(at + absl::Hours(1));
  EXPECT_TRUE(absl::IsDataLoss(released.status())) << released.status();
  EXPECT_EQ(Version(), 1u);
  EXPECT_EQ(store_->Catalog()->Find("KEN", 1)->release_id, sound);
  auto upcoming = calendar_->Upcoming();
  ASSERT_EQ(upcoming.size(), 2u);
  EXPECT_EQ(upcoming[0].id(), damaged);
  EXPECT_THAT(upcoming[0].error(), HasSubstr("checksum does not match"));
  EXPECT_EQ(upcoming[1].id(), garbage);
  EXPECT_THAT(upcoming[1].error(), HasSubstr("runs past the end of the file"));
  // Nothing of them is in the store.
  EXPECT_FALSE(store_
                   ->Get("\x01KEN"
                         "a0",
                         store_->Catalog()->Latest())
                   .ok());
}

TEST_F(EmbargoTest, ACancelledBatchIsNeverPublished) {
  absl::Time at = absl::Now() + absl::Hours(1);
  std::string id = Embargo(at, 2, "a");
  auto cancelled = calendar_->Cancel(id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->source(), "a");
  EXPECT_THAT(calendar_->Upcoming(), IsEmpty());
  EXPECT_TRUE(absl::IsNotFound(calendar_->Cancel(id).status()));
  Reopen();
  EXPECT_THAT(*calendar_->ReleaseDue(at + absl::Hours(1)), IsEmpty());
  EXPECT_EQ(Version(), 0u);
}

TEST_F(EmbargoTest, IdsAreUniqueAndAnUncommittedBatchLeavesNothing) {
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.insert(Embargo(absl::Now() + absl::Hours(1), 1, "x"));
  EXPECT_EQ(ids.size(), 200u);
  {
    auto batch = calendar_->Begin(absl::Now() + absl::Hours(1));
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE((*batch)->Put("\x01KENz", "v").ok());
  }  // dropped: never acknowledged
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(Dir())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 400u);
}

}  // namespace
}  // namespace lmx
