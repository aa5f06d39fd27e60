// The flow cache: each origin's flows as columns at its version, built once,
// kept while other datasets change, rebuilt for a new flow batch, and warmed
// in the background after a change.
#include "node/query/flow_cache.h"

#include <cstdint>
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

}  // namespace
}  // namespace lmx::testing
