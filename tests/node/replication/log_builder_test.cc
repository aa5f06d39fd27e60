// The log builder on a published store: an entry is a pure function of the
// store at its version, signed chunk by chunk and chained by its hash; flows
// leave after disclosure control, vacancies only as monthly aggregates.
#include "node/replication/log_builder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "federation/trust/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/published_store.h"

namespace lmx::testing {
namespace {

using ::testing::HasSubstr;

class LogBuilderTest : public PublishedStoreTest {
 protected:
  void SetUp() override {
    PublishedStoreTest::SetUp();
    auto identity = Identity::LoadOrCreate(dir_.path() + "/node.key");
    ASSERT_TRUE(identity.ok()) << identity.status();
    identity_ = *identity;
  }

  LogEntry Build(uint64_t version, int64_t threshold = 5) {
    LogBuilder builder(store_.get(), "KEN", &identity_, threshold);
    const BatchInfo* batch = store_->Catalog()->Find("KEN", version);
    EXPECT_NE(batch, nullptr);
    auto entry = builder.Build(*batch, std::string(32, '\0'));
    EXPECT_TRUE(entry.ok()) << entry.status();
    return entry.ok() ? *entry : LogEntry();
  }

  std::vector<v1::LogChunk> Chunks(const LogEntry& entry) {
    std::vector<v1::LogChunk> chunks;
    for (const auto& bytes : entry.chunks) {
      v1::SignedChunk signed_chunk;
      EXPECT_TRUE(signed_chunk.ParseFromString(bytes));
      EXPECT_TRUE(VerifySignature(identity_.public_key(), signed_chunk.chunk(),
                                  signed_chunk.signature()));
      v1::LogChunk chunk;
      EXPECT_TRUE(chunk.ParseFromString(signed_chunk.chunk()));
      chunks.push_back(chunk);
    }
    return chunks;
  }

  Identity identity_;
};

TEST_F(LogBuilderTest, AnEntryIsSignedChainedAndTheSameWhenMadeAgain) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"},
                       {"2025-Q3", "OUTFLOW", "SAU", "2513", "M", "12"}});
  LogEntry first = Build(1);
  LogEntry again = Build(1);
  EXPECT_EQ(first.chunks, again.chunks);
  EXPECT_EQ(first.hash, again.hash);
  EXPECT_EQ(first.cells, 2u);

  std::vector<v1::LogChunk> chunks = Chunks(first);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].origin(), "KEN");
  EXPECT_EQ(chunks[0].version(), 1u);
  EXPECT_TRUE(chunks[0].last());
  EXPECT_EQ(chunks[0].public_key(), identity_.public_key());
  EXPECT_EQ(chunks[0].dataset(), v1::DATASET_FLOW);
  // The hash every node computes: over the previous hash and each chunk.
  LogHasher hasher(std::string(32, '\0'));
  for (const auto& bytes : first.chunks) {
    v1::SignedChunk signed_chunk;
    signed_chunk.ParseFromString(bytes);
    hasher.Add(signed_chunk.chunk());
  }
  EXPECT_EQ(hasher.Finish(), first.hash);
  for (const auto& cell : chunks[0].cells()) EXPECT_TRUE(CheckLogCell("KEN", cell).ok());
}

TEST_F(LogBuilderTest, SmallFlowCountsAreWithheldBeforeTheyLeave) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "3"},
                       {"2025-Q3", "OUTFLOW", "SAU", "2513", "M", "12"}});
  EXPECT_EQ(Build(1, /*threshold=*/5).suppressed, 1u);
  EXPECT_EQ(Build(1, /*threshold=*/1).suppressed, 0u);
}

TEST_F(LogBuilderTest, ALargeBatchIsCutIntoNumberedChunksTheLastMarked) {
  Rows rows;
  for (int i = 0; i < kCellsPerChunk + 10; ++i) {
    const int month = i % 3600;  // 300 years of months, then another counterpart
    rows.push_back({absl::StrCat(1900 + month / 12, "-", month % 12 < 9 ? "0" : "", month % 12 + 1),
                    "OUTFLOW", i < 3600 ? "SAU" : "ARE", "2512", "F", "10"});
  }
  PublishFlows("KEN", rows);
  std::vector<v1::LogChunk> chunks = Chunks(Build(1));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].chunk(), 0u);
  EXPECT_EQ(chunks[1].chunk(), 1u);
  EXPECT_FALSE(chunks[0].last());
  EXPECT_TRUE(chunks[1].last());
  EXPECT_EQ(chunks[0].cells_size() + chunks[1].cells_size(), kCellsPerChunk + 10);
}

TEST_F(LogBuilderTest, VacanciesLeaveOnlyAsMonthlyAggregatesAndTheirMicrodataIsRefused) {
  PublishVacancies("KEN", {{"A-1", "2025-01-02", "2512"}, {"A-2", "2025-01-20", "2512"}});
  std::vector<v1::LogChunk> chunks = Chunks(Build(1));
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_GT(chunks[0].cells_size(), 0);
  for (const auto& cell : chunks[0].cells()) {
    EXPECT_EQ(static_cast<uint8_t>(cell.key()[0]), v1::DATASET_VACANCY_AGG);
    EXPECT_TRUE(CheckLogCell("KEN", cell).ok());
  }
  // A cell of vacancy microdata, or of another origin, is refused.
  v1::LogCell microdata = chunks[0].cells(0);
  microdata.mutable_key()->at(0) = static_cast<char>(v1::DATASET_VACANCY);
  EXPECT_FALSE(CheckLogCell("KEN", microdata).ok());
  EXPECT_FALSE(CheckLogCell("UGA", chunks[0].cells(0)).ok());
}

TEST_F(LogBuilderTest, ABatchDescriptionSurvivesTheTripThroughItsEntry) {
  BatchInfo batch;
  batch.origin = "KEN";
  batch.version = 12;
  batch.published_at = absl::FromUnixMicros(1'790'000'000'123'456);
  batch.dataset = v1::DATASET_SHORTAGE;
  batch.source = "shortages-2026Q1.csv";
  batch.rows = 577;
  batch.classification = "KNOCS";
  batch.classification_version = 3;
  batch.release_id = "r20260101T000000000000-0";
  BatchInfo back = ReplicatedBatchOf(ChunkHeaderOf(batch));
  EXPECT_TRUE(back.replicated);
  EXPECT_EQ(back.origin, batch.origin);
  EXPECT_EQ(back.version, batch.version);
  EXPECT_EQ(back.published_at, batch.published_at);
  EXPECT_EQ(back.dataset, batch.dataset);
  EXPECT_EQ(back.source, batch.source);
  EXPECT_EQ(back.rows, batch.rows);
  EXPECT_EQ(back.classification, batch.classification);
  EXPECT_EQ(back.classification_version, batch.classification_version);
  EXPECT_EQ(back.release_id, batch.release_id);
}

}  // namespace
}  // namespace lmx::testing
