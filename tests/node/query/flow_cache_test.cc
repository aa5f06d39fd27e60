// The flow cache: each origin's flows as columns at its version, built once,
// kept while other datasets change, rebuilt for a new flow batch, and warmed
// in the background after a change.
#include "node/query/flow_cache.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/published_store.h"
#include "tests/support/wait.h"

namespace lmx::testing {
namespace {

class FlowCacheTest : public PublishedStoreTest {
 protected:
  int64_t Total(const FlowColumns& columns) {
    int64_t total = 0;
    for (size_t r = 0; r < columns.rows(); ++r) total += columns.count(r);
    return total;
  }
};

TEST_F(FlowCacheTest, ColumnsHoldEveryFlowOfTheOriginWithItsCodes) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"},
                       {"2025-Q3", "OUTFLOW", "ARE", "7112", "M", "20"}});
  PublishFlows("UGA", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "4"}});
  FlowCache cache(store_.get());
  auto ken = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(ken.ok()) << ken.status();
  EXPECT_EQ((*ken)->version(), 1u);
  EXPECT_EQ((*ken)->rows(), 2u);
  EXPECT_EQ(Total(**ken), 30);
  std::set<std::string> counterparts;
  for (size_t r = 0; r < (*ken)->rows(); ++r) {
    counterparts.insert((*ken)->codes(3)[(*ken)->code(3, r)]);
  }
  EXPECT_EQ(counterparts, (std::set<std::string>{"ARE", "SAU"}));
  auto uga = cache.Get("UGA", store_->Catalog()->Latest());
  ASSERT_TRUE(uga.ok());
  EXPECT_EQ(Total(**uga), 4);
}

TEST_F(FlowCacheTest, OtherDatasetsLeaveTheColumnsAloneAndANewFlowBatchReplacesThem) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}});
  FlowCache cache(store_.get());
  auto first = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(first.ok());
  PublishShortages("KEN", {{"2025-Q3", "2512", "SHORTAGE", "0.5", "3", "_T"}});
  auto after_shortages = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(after_shortages.ok());
  EXPECT_EQ(after_shortages->get(), first->get());  // the same columns, not rebuilt

  PublishFlows("KEN", {{"2025-Q4", "OUTFLOW", "SAU", "2512", "F", "7"}});
  auto latest = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ((*latest)->version(), 3u);
  EXPECT_EQ(Total(**latest), 17);
  // As of version 1, what version 1 held.
  auto old = cache.Get("KEN", store_->Catalog()->AsOfVersion(1));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(Total(**old), 10);
}

TEST_F(FlowCacheTest, TheWarmerBuildsTheColumnsAfterAChange) {
  FlowCache cache(store_.get());
  FlowCache::Warmer warmer(&cache, absl::Milliseconds(10));
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}});
  warmer.Changed();
  ASSERT_TRUE(WaitUntil([&] { return warmer.rounds() >= 1; }, 30));
  auto ken = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(ken.ok());
  EXPECT_EQ(Total(**ken), 10);
}

// The rows of columns as text, for comparing two builds.
std::multiset<std::string> RowsOf(const FlowColumns& columns) {
  std::multiset<std::string> rows;
  for (size_t r = 0; r < columns.rows(); ++r) {
    std::string row;
    for (int d = 0; d < kFlowDimensions; ++d) row += columns.codes(d)[columns.code(d, r)] + "|";
    rows.insert(row + std::to_string(columns.count(r)));
  }
  return rows;
}

TEST_F(FlowCacheTest, ACommittedFlowBatchHasItsColumnsWithoutBeingReadBack) {
  FlowCache cache(store_.get());
  store_->SetBatchObserver(cache.Observer());
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"},
                       {"2025-Q3", "OUTFLOW", "ARE", "7112", "M", "20"},
                       {"2025-Q4", "OUTFLOW", "ARE", "7112", "M", "5"}});
  std::shared_ptr<const FlowColumns> held = cache.Held("KEN");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->version(), 1u);
  EXPECT_EQ(Total(*held), 35);
  // Other datasets leave them alone.
  PublishShortages("KEN", {{"2025-Q3", "2512", "SHORTAGE", "0.5", "3", "_T"}});
  EXPECT_EQ(cache.Held("KEN"), held);
  // A later flow batch is laid over them: one key revised, new keys before,
  // between and after the held ones.
  PublishFlows("KEN", {{"2025-01", "OUTFLOW", "SAU", "2512", "F", "1"},
                       {"2025-Q3", "OUTFLOW", "ARE", "7112", "M", "21"},
                       {"2025-Q3", "OUTFLOW", "QAT", "2512", "F", "2"},
                       {"2025-Q3", "INFLOW", "SAU", "2512", "F", "3"},
                       {"2026", "OUTFLOW", "SAU", "0110", "M", "4"}});
  held = cache.Held("KEN");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->version(), 3u);
  // Exactly what reading the store gives.
  FlowCache fresh(store_.get());
  auto read = fresh.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(RowsOf(*held), RowsOf(**read));
  EXPECT_EQ(Total(*held), 10 + 21 + 5 + 1 + 2 + 3 + 4);
  // And in the same order: the engine's roll-ups do not depend on it, but
  // the next batch's merge does.
  std::vector<std::string> held_order, read_order;
  for (size_t r = 0; r < held->rows(); ++r) {
    held_order.push_back(held->codes(1)[held->code(1, r)] + held->codes(3)[held->code(3, r)]);
    read_order.push_back((*read)->codes(1)[(*read)->code(1, r)] +
                         (*read)->codes(3)[(*read)->code(3, r)]);
  }
  EXPECT_EQ(held_order, read_order);
}

TEST_F(FlowCacheTest, AFlowBatchWhoseEarlierColumnsAreNotHeldIsLeftToTheWarmer) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}});
  FlowCache cache(store_.get());
  store_->SetBatchObserver(cache.Observer());
  PublishFlows("KEN", {{"2025-Q4", "OUTFLOW", "SAU", "2512", "F", "7"}});
  EXPECT_EQ(cache.Held("KEN"), nullptr);  // version 1 was never read
  auto latest = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(Total(**latest), 17);
}

TEST_F(FlowCacheTest, RollUpsAreRememberedPerShape) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"},
                       {"2025-Q3", "OUTFLOW", "ARE", "2221", "M", "20"},
                       {"2025-Q4", "OUTFLOW", "ARE", "7112", "M", "5"}});
  FlowCache cache(store_.get());
  auto ken = cache.Get("KEN", store_->Catalog()->Latest());
  ASSERT_TRUE(ken.ok());
  FlowShape major;
  major.by = {{4, 1}};
  major.id = "major";
  auto first = (*ken)->RollUp(major);
  ASSERT_EQ(first->counts.size(), 2u);
  std::map<std::string, int64_t> sums;
  for (size_t g = 0; g < first->counts.size(); ++g) sums[first->keys[g][0]] = first->counts[g];
  EXPECT_EQ(sums, (std::map<std::string, int64_t>{{"2", 30}, {"7", 5}}));
  EXPECT_EQ((*ken)->RollUp(major), first);  // remembered
  FlowShape filtered = major;
  filtered.id = "major, men only";
  filtered.keep = [](int d, const std::string& code) { return d != 5 || code == "M"; };
  auto men = (*ken)->RollUp(filtered);
  EXPECT_NE(men, first);
  int64_t total = 0;
  for (int64_t n : men->counts) total += n;
  EXPECT_EQ(total, 25);
}

}  // namespace
}  // namespace lmx::testing
