#include "node/storage/store.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/base/status_macros.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// A logical key of the flow dataset (byte 3) for `origin`.
std::string Key(absl::string_view origin, absl::string_view rest) {
  return absl::StrCat(std::string(1, '\x03'), origin, rest);
}

struct Visible {
  uint64_t version;
  std::string value;
  bool operator==(const Visible& other) const {
    return version == other.version && value == other.value;
  }
};

void PrintTo(const Visible& v, std::ostream* os) { *os << "v" << v.version << "=" << v.value; }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_.reset();
    auto store = Store::Open(dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Commits `rows` for `origin` as one batch and returns its version.
  uint64_t Commit(absl::string_view origin,
                  const std::vector<std::pair<std::string, std::string>>& rows,
                  const std::string& source = "flows.csv") {
    auto batch = store_->Begin(origin);
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) return 0;
    for (const auto& [key, value] : rows) {
      absl::Status put = (*batch)->Put(key, value);
      EXPECT_TRUE(put.ok()) << put;
    }
    BatchInfo meta;
    meta.dataset = 3;
    meta.source = source;
    meta.rows = rows.size();
    auto info = (*batch)->Commit(meta);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->version : 0;
  }

  // Every visible logical key with its version and value.
  std::map<std::string, Visible> Read(const VersionLimits& limits, absl::string_view begin = "",
                                      absl::string_view end = "") {
    std::map<std::string, Visible> seen;
    absl::Status status = store_->Scan(begin, end, limits, [&](const StoredValue& stored) {
      EXPECT_EQ(stored.origin, stored.key.substr(1, 3));
      bool fresh =
          seen.emplace(std::string(stored.key), Visible{stored.version, std::string(stored.value)})
              .second;
      EXPECT_TRUE(fresh) << "key visited twice";
      return true;
    });
    EXPECT_TRUE(status.ok()) << status;
    return seen;
  }

  std::map<std::string, Visible> ReadLatest() { return Read(store_->Catalog()->Latest()); }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ACommittedBatchIsVisibleToReaders) {
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "a"), "1"}, {Key("KEN", "b"), "2"}}), 1u);
  EXPECT_THAT(ReadLatest(), ElementsAre(Pair(Key("KEN", "a"), Visible{1, "1"}),
                                        Pair(Key("KEN", "b"), Visible{1, "2"})));
}

TEST_F(StoreTest, RowsAreInvisibleUntilTheirBatchCommits) {
  auto batch = store_->Begin("KEN");
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)->Put(Key("KEN", "a"), "1").ok());
  VersionLimits generous = {{"KEN", 1000}};
  EXPECT_THAT(Read(generous), IsEmpty());
  EXPECT_THAT(store_->Catalog()->Latest(), IsEmpty());
  ASSERT_TRUE((*batch)->Commit(BatchInfo()).ok());
  EXPECT_EQ(ReadLatest().size(), 1u);
}

TEST_F(StoreTest, ADestroyedBatchLeavesNoTrace) {
  {
    auto batch = store_->Begin("KEN");
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE((*batch)->Put(Key("KEN", "abandoned"), "x").ok());
  }
  EXPECT_THAT(store_->Catalog()->Latest(), IsEmpty());
  EXPECT_THAT(Read({{"KEN", 1000}}), IsEmpty());

  // The next batch still gets version 1 and shows only its own rows.
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "kept"), "y"}}), 1u);
  EXPECT_THAT(Read({{"KEN", 1000}}), ElementsAre(Pair(Key("KEN", "kept"), Visible{1, "y"})));
  Open();
  EXPECT_THAT(Read({{"KEN", 1000}}), ElementsAre(Pair(Key("KEN", "kept"), Visible{1, "y"})));
}

TEST_F(StoreTest, VersionsOfAnOriginStartAtOneWithoutGaps) {
  for (uint64_t expected = 1; expected <= 4; ++expected) {
    EXPECT_EQ(Commit("KEN", {{Key("KEN", absl::StrCat("row", expected)), "v"}}), expected);
  }
  auto catalog = store_->Catalog();
  EXPECT_THAT(catalog->Latest(), ElementsAre(Pair("KEN", 4u)));
  for (uint64_t version = 1; version <= 4; ++version) {
    const BatchInfo* batch = catalog->Find("KEN", version);
    ASSERT_NE(batch, nullptr) << version;
    EXPECT_EQ(batch->version, version);
    EXPECT_EQ(batch->origin, "KEN");
  }
  EXPECT_EQ(catalog->Find("KEN", 0), nullptr);
  EXPECT_EQ(catalog->Find("KEN", 5), nullptr);
  EXPECT_EQ(catalog->Find("UGA", 1), nullptr);
}

TEST_F(StoreTest, TwoOriginsHaveIndependentVersions) {
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "a"), "k1"}}), 1u);
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "a"), "k2"}}), 2u);
  EXPECT_EQ(Commit("UGA", {{Key("UGA", "a"), "u1"}}), 1u);
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "a"), "k3"}}), 3u);
  EXPECT_EQ(Commit("UGA", {{Key("UGA", "a"), "u2"}}), 2u);

  auto catalog = store_->Catalog();
  EXPECT_THAT(catalog->Latest(), ::testing::UnorderedElementsAre(Pair("KEN", 3u), Pair("UGA", 2u)));
  EXPECT_THAT(ReadLatest(), ElementsAre(Pair(Key("KEN", "a"), Visible{3, "k3"}),
                                        Pair(Key("UGA", "a"), Visible{2, "u2"})));
  EXPECT_EQ(catalog->Find("KEN", 3)->origin, "KEN");
  EXPECT_EQ(catalog->Find("UGA", 2)->version, 2u);
}

TEST_F(StoreTest, ARevisionShowsTheNewestValueAndKeepsTheOldOne) {
  Commit("KEN", {{Key("KEN", "a"), "old"}, {Key("KEN", "b"), "only in v1"}});
  Commit("KEN", {{Key("KEN", "a"), "new"}});
  auto catalog = store_->Catalog();

  // One row per logical key: the newest version at or below the limit.
  EXPECT_THAT(Read(catalog->Latest()),
              ElementsAre(Pair(Key("KEN", "a"), Visible{2, "new"}),
                          Pair(Key("KEN", "b"), Visible{1, "only in v1"})));
  EXPECT_THAT(Read(catalog->AsOfVersion(1)),
              ElementsAre(Pair(Key("KEN", "a"), Visible{1, "old"}),
                          Pair(Key("KEN", "b"), Visible{1, "only in v1"})));
  // A version past the latest is capped at the latest.
  EXPECT_THAT(catalog->AsOfVersion(99), ElementsAre(Pair("KEN", 2u)));
}

TEST_F(StoreTest, AsOfATimeBeforeAnyBatchShowsNothing) {
  absl::Time before = absl::Now() - absl::Seconds(1);
  Commit("KEN", {{Key("KEN", "a"), "v1"}});
  EXPECT_THAT(Read(store_->Catalog()->AsOf(before)), IsEmpty());
  EXPECT_THAT(Read(store_->Catalog()->AsOf(absl::InfinitePast())), IsEmpty());
}

TEST_F(StoreTest, AsOfATimeShowsTheBatchesPublishedByThen) {
  Commit("KEN", {{Key("KEN", "a"), "v1"}});
  absl::Time first = store_->Catalog()->Find("KEN", 1)->published_at;
  // Make sure the second batch gets a later timestamp.
  absl::SleepFor(absl::Milliseconds(2));
  Commit("KEN", {{Key("KEN", "a"), "v2"}});
  auto catalog = store_->Catalog();
  ASSERT_LT(first, catalog->Find("KEN", 2)->published_at);

  EXPECT_THAT(catalog->AsOf(first), ElementsAre(Pair("KEN", 1u)));
  EXPECT_THAT(Read(catalog->AsOf(first)), ElementsAre(Pair(Key("KEN", "a"), Visible{1, "v1"})));
  EXPECT_THAT(Read(catalog->AsOf(absl::Now())),
              ElementsAre(Pair(Key("KEN", "a"), Visible{2, "v2"})));
}

TEST_F(StoreTest, OriginsMissingFromTheLimitsShowNothing) {
  Commit("KEN", {{Key("KEN", "a"), "k"}});
  Commit("UGA", {{Key("UGA", "a"), "u"}});
  EXPECT_THAT(Read({{"UGA", 1}}), ElementsAre(Pair(Key("UGA", "a"), Visible{1, "u"})));
  EXPECT_THAT(Read({}), IsEmpty());
}

TEST_F(StoreTest, ReopeningTheStoreKeepsBatchesAndRows) {
  Commit("KEN", {{Key("KEN", "a"), "1"}, {Key("KEN", "b"), "2"}}, "first.csv");
  Commit("KEN", {{Key("KEN", "a"), "3"}}, "second.csv");
  Commit("UGA", {{Key("UGA", "z"), "9"}}, "uganda.csv");
  BatchInfo before = *store_->Catalog()->Find("KEN", 2);
  auto rows_before = ReadLatest();

  Open();
  auto catalog = store_->Catalog();
  EXPECT_THAT(catalog->Latest(), ::testing::UnorderedElementsAre(Pair("KEN", 2u), Pair("UGA", 1u)));
  const BatchInfo* after = catalog->Find("KEN", 2);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->source, "second.csv");
  EXPECT_EQ(after->dataset, 3);
  EXPECT_EQ(after->rows, 1u);
  EXPECT_EQ(after->published_at, before.published_at);
  EXPECT_EQ(catalog->Find("KEN", 1)->source, "first.csv");
  EXPECT_EQ(ReadLatest(), rows_before);
  EXPECT_THAT(Read(catalog->AsOfVersion(1)), ElementsAre(Pair(Key("KEN", "a"), Visible{1, "1"}),
                                                         Pair(Key("KEN", "b"), Visible{1, "2"}),
                                                         Pair(Key("UGA", "z"), Visible{1, "9"})));

  // Versions continue after a reopen.
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "c"), "4"}}), 3u);
}

// A batch over 16 MiB spills to a spool file; it must still commit as one
// version and survive a reopen whole.
TEST_F(StoreTest, ALargeBatchCommitsAtomicallyAndSurvivesReopen) {
  Commit("KEN", {{Key("KEN", "row000000"), "small v1"}});
  auto catalog_before = store_->Catalog();

  constexpr int kRows = 5000;
  constexpr size_t kValueBytes = 4096;  // 5000 x 4 KiB = ~20 MiB
  auto value_of = [](int i) {
    std::string value = absl::StrFormat("value %06d ", i);
    value.resize(kValueBytes, static_cast<char>('a' + i % 26));
    return value;
  };
  auto batch = store_->Begin("KEN");
  ASSERT_TRUE(batch.ok());
  for (int i = 0; i < kRows; ++i) {
    ASSERT_TRUE((*batch)->Put(Key("KEN", absl::StrFormat("row%06d", i)), value_of(i)).ok());
  }
  // The test is only meaningful if the batch really went to disk.
  uintmax_t spooled = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (entry.is_regular_file() && entry.path().parent_path().filename() == "spool") {
      spooled += entry.file_size();
    }
  }
  EXPECT_GE(spooled, 16u << 20) << "the batch did not spill to a spool file";

  BatchInfo meta;
  meta.rows = kRows;
  auto info = (*batch)->Commit(meta);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 2u);

  // A reader holding the catalog from before the commit sees none of it.
  EXPECT_THAT(Read(catalog_before->Latest()),
              ElementsAre(Pair(Key("KEN", "row000000"), Visible{1, "small v1"})));

  auto check_all = [&] {
    int count = 0;
    absl::Status status =
        store_->Scan("", "", store_->Catalog()->Latest(), [&](const StoredValue& stored) {
          EXPECT_EQ(stored.key, Key("KEN", absl::StrFormat("row%06d", count)));
          EXPECT_EQ(stored.version, 2u);
          EXPECT_TRUE(stored.value == value_of(count)) << "row " << count;
          ++count;
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(count, kRows);
  };
  check_all();
  batch->reset();
  Open();
  check_all();
  EXPECT_EQ(Read(store_->Catalog()->AsOfVersion(1)).size(), 1u);
}

TEST_F(StoreTest, ACommittedLargeBatchLeavesNoSpoolFileBehind) {
  {
    auto batch = store_->Begin("KEN");
    ASSERT_TRUE(batch.ok());
    std::string value(1 << 20, 'x');
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*batch)->Put(Key("KEN", absl::StrCat("big", i)), value).ok());
    }
    ASSERT_TRUE((*batch)->Commit(BatchInfo()).ok());
  }
  uintmax_t left = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (entry.is_regular_file() && entry.path().parent_path().filename() == "spool") {
      left += entry.file_size();
    }
  }
  EXPECT_EQ(left, 0u) << "bytes of spool files left after the commit";
  EXPECT_EQ(ReadLatest().size(), 20u);
}

TEST_F(StoreTest, ALargeBatchKeepsTheLastValueOfAKeyPutTwiceWithinAndAcrossItsBlocks) {
  // A spooled batch is applied in 64 MiB blocks, each one table file; a
  // table file holds each key once, and a later file must win.
  {
    auto batch = store_->Begin("KEN");
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE((*batch)->Put(Key("KEN", "across"), "first").ok());
    std::string value(1 << 20, 'x');
    for (int i = 0; i < 70; ++i) {
      ASSERT_TRUE((*batch)->Put(Key("KEN", absl::StrCat("big", i)), value).ok());
    }
    ASSERT_TRUE((*batch)->Put(Key("KEN", "across"), "last").ok());
    ASSERT_TRUE((*batch)->Put(Key("KEN", "within"), "first").ok());
    ASSERT_TRUE((*batch)->Put(Key("KEN", "within"), "last").ok());
    auto committed = (*batch)->Commit(BatchInfo());
    ASSERT_TRUE(committed.ok()) << committed.status();
  }
  auto latest = ReadLatest();
  EXPECT_EQ(latest.size(), 72u);
  EXPECT_EQ(latest[Key("KEN", "across")].value, "last");
  EXPECT_EQ(latest[Key("KEN", "within")].value, "last");
}

TEST_F(StoreTest, ALargeBlockWrittenAsTwoTableFilesKeepsEveryRowOnceAndTheLastValue) {
  // 150,001 rows of 120 bytes spool and make a block of two key ranges,
  // written at once; the key put twice sits where the block is cut.
  constexpr int kRows = 150001;  // with the repeat, the cut falls between its two puts
  auto key = [](int i) { return Key("KEN", absl::StrFormat("k%06d", i)); };
  {
    auto batch = store_->Begin("KEN");
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE((*batch)->Put(key(kRows / 2), "first").ok());
    std::string value(120, 'v');
    for (int i = 0; i < kRows; ++i) {
      if (i == kRows / 2) continue;
      ASSERT_TRUE((*batch)->Put(key(i), value).ok());
    }
    ASSERT_TRUE((*batch)->Put(key(kRows / 2), "last").ok());
    auto committed = (*batch)->Commit(BatchInfo());
    ASSERT_TRUE(committed.ok()) << committed.status();
  }
  auto latest = ReadLatest();
  EXPECT_EQ(latest.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(latest[key(kRows / 2)].value, "last");
  EXPECT_EQ(latest[key(0)].value, std::string(120, 'v'));
  EXPECT_EQ(latest[key(kRows - 1)].value, std::string(120, 'v'));
}

TEST_F(StoreTest, ADestroyedLargeBatchLeavesNoTrace) {
  {
    auto batch = store_->Begin("KEN");
    ASSERT_TRUE(batch.ok());
    std::string value(1 << 20, 'x');
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*batch)->Put(Key("KEN", absl::StrCat("big", i)), value).ok());
    }
  }
  Open();
  EXPECT_THAT(store_->Catalog()->Latest(), IsEmpty());
  EXPECT_THAT(Read({{"KEN", 1000}}), IsEmpty());
  EXPECT_EQ(Commit("KEN", {{Key("KEN", "small"), "s"}}), 1u);
  EXPECT_THAT(Read({{"KEN", 1000}}), ElementsAre(Pair(Key("KEN", "small"), Visible{1, "s"})));
}

TEST_F(StoreTest, ScanVisitsOnlyKeysInTheHalfOpenRange) {
  Commit("KEN", {{Key("KEN", "a"), "1"},
                 {Key("KEN", "b"), "2"},
                 {Key("KEN", "c"), "3"},
                 {Key("KEN", "d"), "4"}});
  auto limits = store_->Catalog()->Latest();
  EXPECT_THAT(
      Read(limits, Key("KEN", "b"), Key("KEN", "d")),
      ElementsAre(Pair(Key("KEN", "b"), Visible{1, "2"}), Pair(Key("KEN", "c"), Visible{1, "3"})));
  EXPECT_THAT(
      Read(limits, Key("KEN", "c"), ""),
      ElementsAre(Pair(Key("KEN", "c"), Visible{1, "3"}), Pair(Key("KEN", "d"), Visible{1, "4"})));
  EXPECT_THAT(Read(limits, Key("KEN", "b"), Key("KEN", "b")), IsEmpty());
}

TEST_F(StoreTest, ScanVisitsKeysInOrderAndStopsWhenVisitReturnsFalse) {
  Commit("KEN", {{Key("KEN", "c"), "3"}, {Key("KEN", "a"), "1"}, {Key("KEN", "b"), "2"}});
  Commit("KEN", {{Key("KEN", "a"), "1b"}});
  std::vector<std::string> visited;
  absl::Status status =
      store_->Scan("", "", store_->Catalog()->Latest(), [&](const StoredValue& stored) {
        visited.emplace_back(stored.value);
        return visited.size() < 2;
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(visited, ElementsAre("1b", "2"));
}

TEST_F(StoreTest, ABatchNeedsAThreeLetterOrigin) {
  EXPECT_FALSE(store_->Begin("KE").ok());
  EXPECT_FALSE(store_->Begin("KENY").ok());
  EXPECT_TRUE(store_->Begin("KEN").ok());
}

TEST_F(StoreTest, ACommittedBatchAcceptsNoMoreRowsAndCannotCommitAgain) {
  auto batch = store_->Begin("KEN");
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)->Put(Key("KEN", "a"), "1").ok());
  ASSERT_TRUE((*batch)->Commit(BatchInfo()).ok());
  EXPECT_EQ((*batch)->Put(Key("KEN", "b"), "2").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*batch)->Commit(BatchInfo()).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store_->Catalog()->Latest(), ElementsAre(Pair("KEN", 1u)));
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST_F(StoreTest, ConcurrentBatchesGetGapFreeVersionsAndReadersNeverSeeHalfABatch) {
  constexpr int kWriters = 4;
  constexpr int kBatchesEach = 10;
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0};
  // Every batch writes the same value under two keys; a reader that ever
  // sees one without the other has seen half a batch.
  std::thread reader([&] {
    while (writing) {
      std::map<std::string, std::string> seen;
      absl::Status status =
          store_->Scan("", "", store_->Catalog()->Latest(), [&](const StoredValue& stored) {
            seen[std::string(stored.key)] = std::string(stored.value);
            return true;
          });
      ASSERT_TRUE(status.ok()) << status;
      for (int w = 0; w < kWriters; ++w) {
        auto a = seen.find(Key("KEN", absl::StrCat("/", w, "/a")));
        auto b = seen.find(Key("KEN", absl::StrCat("/", w, "/b")));
        bool both = a != seen.end() && b != seen.end() && a->second == b->second;
        bool neither = a == seen.end() && b == seen.end();
        if (!both && !neither) ++torn;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kBatchesEach; ++i) {
        std::string value = absl::StrCat(w, "-", i);
        Commit("KEN", {{Key("KEN", absl::StrCat("/", w, "/a")), value},
                       {Key("KEN", absl::StrCat("/", w, "/b")), value}});
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing = false;
  reader.join();

  EXPECT_EQ(torn, 0);
  auto catalog = store_->Catalog();
  EXPECT_EQ(catalog->Latest().at("KEN"), uint64_t{kWriters * kBatchesEach});
  for (uint64_t version = 1; version <= kWriters * kBatchesEach; ++version) {
    EXPECT_NE(catalog->Find("KEN", version), nullptr) << version;
  }
  auto latest = ReadLatest();
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(latest.at(Key("KEN", absl::StrCat("/", w, "/a"))).value,
              absl::StrCat(w, "-", kBatchesEach - 1));
  }
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST_F(StoreTest, APointLookupFindsTheVisibleVersionOfOneKey) {
  Commit("KEN", {{Key("KEN", "/a"), "first"}, {Key("KEN", "/ab"), "other"}});
  Commit("KEN", {{Key("KEN", "/a"), "second"}});
  auto latest = store_->Get(Key("KEN", "/a"), store_->Catalog()->Latest());
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version, 2u);
  EXPECT_EQ(latest->value, "second");

  auto earlier = store_->Get(Key("KEN", "/a"), store_->Catalog()->AsOfVersion(1));
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_EQ(earlier->value, "first");

  EXPECT_EQ(store_->Get(Key("KEN", "/b"), store_->Catalog()->Latest()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get(Key("UGA", "/a"), store_->Catalog()->Latest()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST_F(StoreTest, AStoreRefusesToOpenWhenABatchToUndoCannotBeReadWhole) {
  Commit("KEN", {{Key("KEN", "/a"), "kept"}});
  store_.reset();
  // A sealed spool of version 2 that was never committed, cut short.
  std::string spool = dir_.path() + "/store/spool/KEN-2.batch";
  std::ofstream(spool, std::ios::binary) << std::string("\x04\x00\x00", 3);
  auto reopened = Store::Open(dir_.path() + "/store");
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(reopened.status().message()), ::testing::HasSubstr("truncated"));
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

// A replicated batch of `origin` at `version` with one row and one log chunk.
absl::StatusOr<BatchInfo> Replicate(Store* store, const std::string& origin, uint64_t version,
                                    const std::string& key, const std::string& chunk) {
  auto batch = store->Begin(origin);
  if (!batch.ok()) return batch.status();
  RETURN_IF_ERROR((*batch)->Put(key, "value"));
  RETURN_IF_ERROR((*batch)->PutLog(0, chunk));
  BatchInfo meta;
  meta.replicated = true;
  meta.version = version;
  meta.dataset = 3;
  meta.published_at = absl::FromUnixSeconds(1700000000 + version);
  meta.log_hash = std::string(32, static_cast<char>('a' + version));
  return (*batch)->Commit(meta);
}

TEST_F(StoreTest, AReplicatedBatchKeepsItsOriginsVersionLogAndHashAcrossReopen) {
  std::string key = std::string(1, '\3') + "UGA" + "k";
  ASSERT_TRUE(Replicate(store_.get(), "UGA", 1, key, "chunk-1").ok());
  // Gap-free: version 3 cannot follow 1, and 1 again is refused.
  EXPECT_EQ(Replicate(store_.get(), "UGA", 3, key, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Replicate(store_.get(), "UGA", 1, key, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Replicate(store_.get(), "UGA", 2, key, "chunk-2").ok());
  Open();
  EXPECT_EQ(store_->LogHead("UGA"), 2u);
  EXPECT_EQ(*store_->LogHash("UGA", 2), std::string(32, 'c'));
  EXPECT_EQ(store_->Catalog()->Find("UGA", 2)->published_at, absl::FromUnixSeconds(1700000002));
  std::vector<std::string> chunks;
  ASSERT_TRUE(store_
                  ->ReadLog("UGA", 2,
                            [&](absl::string_view c) {
                              chunks.emplace_back(c);
                              return true;
                            })
                  .ok());
  EXPECT_EQ(chunks, std::vector<std::string>{"chunk-2"});
}

TEST_F(StoreTest, AnOwnLogEntryFollowsItsCommitAndResetForgetsAnOrigin) {
  Commit("KEN", {{std::string(1, '\3') + "KEN" + "a", "1"}});
  EXPECT_EQ(store_->AppendLog("KEN", 2, {"c"}, std::string(32, 'h')).code(),
            absl::StatusCode::kFailedPrecondition);  // no batch 2
  ASSERT_TRUE(store_->AppendLog("KEN", 1, {"c"}, std::string(32, 'h')).ok());
  EXPECT_EQ(store_->LogHeads().at("KEN"), 1u);

  std::string key = std::string(1, '\3') + "UGA" + "k";
  ASSERT_TRUE(Replicate(store_.get(), "UGA", 1, key, "chunk-1").ok());
  ASSERT_TRUE(store_->ResetOrigin("UGA").ok());
  EXPECT_EQ(store_->LogHead("UGA"), 0u);
  EXPECT_TRUE(Read(store_->Catalog()->Latest(), key, "").empty());
  Open();
  EXPECT_EQ(store_->LogHead("UGA"), 0u);
  EXPECT_EQ(store_->LogHead("KEN"), 1u);
  ASSERT_TRUE(Replicate(store_.get(), "UGA", 1, key, "chunk-1").ok());
}

TEST_F(StoreTest, MetaRecordsPersist) {
  EXPECT_EQ(store_->GetMeta("pin/UGA").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutMeta("pin/UGA", "key").ok());
  Open();
  EXPECT_EQ(*store_->GetMeta("pin/UGA"), "key");
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

// The disk as the store sees it, through the free-space seam: a test sets
// how many bytes are free.
class DiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.reserve_bytes = 1 << 20;
    options.free_bytes = [this]() -> absl::StatusOr<uint64_t> { return free_.load(); };
    auto store = Store::Open(dir_.path() + "/store", "", options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  absl::StatusOr<BatchInfo> Commit(absl::string_view value) {
    auto batch = store_->Begin("KEN");
    if (!batch.ok()) return batch.status();
    RETURN_IF_ERROR((*batch)->Put(absl::StrCat("\x03KEN", value), value));
    BatchInfo meta;
    meta.dataset = 3;
    return (*batch)->Commit(meta);
  }

  ScopedTempDir dir_;
  std::atomic<uint64_t> free_{uint64_t{1} << 30};
  std::unique_ptr<Store> store_;
};

TEST_F(DiskTest, BelowTheReserveTheStoreIsReadOnlyAndWritableAgainWhenSpaceReturns) {
  ASSERT_TRUE(Commit("a").ok());
  std::atomic<int> woken{0};
  store_->AddListener([&] { ++woken; });
  free_ = 512 << 10;  // less than the 1 MiB reserve
  auto refused = Commit("b");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("nothing was written"));
  EXPECT_EQ(store_->disk()->Writable().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->Begin("KEN").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->PutMeta("x", "y").code(), absl::StatusCode::kResourceExhausted);
  // Reads go on.
  EXPECT_EQ(store_->Catalog()->Latest().at("KEN"), 1u);
  EXPECT_TRUE(store_->Get("\x03KENa", store_->Catalog()->Latest()).ok());
  // Space returns: the monitor turns the store writable and tells the
  // listeners (the log builder waits on them).
  free_ = uint64_t{1} << 30;
  auto deadline = absl::Now() + absl::Seconds(10);
  while (!store_->disk()->Writable().ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling a condition
  }
  EXPECT_TRUE(store_->disk()->Writable().ok());
  EXPECT_GT(woken.load(), 0);
  auto written = Commit("b");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->version, 2u);
}

TEST_F(DiskTest, AWriteThatWouldNotFitIsRefusedAndSmallerOnesStillGo) {
  free_ = (1 << 20) + (64 << 10);  // the reserve and 64 KiB
  auto big = Commit(std::string(100 << 10, 'x'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store_->disk()->Writable().ok()) << "one batch too large is not a full disk";
  EXPECT_TRUE(Commit("small").ok());
}

TEST_F(DiskTest, OwnBatchesCommitOnlyWhileTheGateSaysSo) {
  bool open = false;
  store_->SetCommitGate([&] {
    return open ? absl::OkStatus() : absl::UnavailableError("the region has more of the log");
  });
  EXPECT_EQ(Commit("a").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_->Catalog()->Latest().empty());
  open = true;
  EXPECT_TRUE(Commit("a").ok());
  store_->SetCommitGate(nullptr);
}

}  // namespace
}  // namespace lmx
