// The policy views on a published store: a country's shortage list by its
// rule, mirror statistics of a corridor, and what each member reported.
#include "node/query/policy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/published_store.h"

namespace lmx::testing {
namespace {

using ::testing::ElementsAre;

class PolicyViewsTest : public PublishedStoreTest {
 protected:
  void SetUp() override {
    PublishedStoreTest::SetUp();
    engine_ = std::make_unique<QueryEngine>(store_.get(), TestCodelists());
    policy_ = std::make_unique<PolicyViews>(engine_.get(), store_.get(), TestCodelists());
  }

  std::vector<std::string> Listed(const v1::ShortageListResponse& list) {
    std::vector<std::string> occupations;
    for (const auto& entry : list.entries()) occupations.push_back(entry.occupation());
    return occupations;
  }

  std::unique_ptr<QueryEngine> engine_;
  std::unique_ptr<PolicyViews> policy_;
};

TEST_F(PolicyViewsTest, AnOccupationShortInTwoOfTheLastThreePeriodsOrAcutelyIsListed) {
  PublishShortages("KEN", {
                              // 2221: short in two of three quarters: persistent.
                              {"2025-Q1", "2221", "SHORTAGE", "0.3", "1", "_T"},
                              {"2025-Q2", "2221", "BALANCED", "0.0", "0", "_T"},
                              {"2025-Q3", "2221", "SHORTAGE", "0.2", "1", "_T"},
                              // 7112: short once, with a high index at the end: acute.
                              {"2025-Q3", "7112", "SHORTAGE", "0.8", "4", "_T"},
                              // 9112: short once, mildly: not listed.
                              {"2025-Q2", "9112", "SHORTAGE", "0.2", "1", "_T"},
                          });
  v1::ShortageListRequest request;
  request.set_country("KEN");
  auto list = policy_->ShortageList(request);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->periods(), ElementsAre("2025-Q1", "2025-Q2", "2025-Q3"));
  EXPECT_THAT(Listed(*list), ::testing::UnorderedElementsAre("2221", "7112"));
  for (const auto& entry : list->entries()) {
    if (entry.occupation() == "2221") EXPECT_TRUE(entry.persistent());
    if (entry.occupation() == "7112") EXPECT_TRUE(entry.acute());
  }
  // A stricter rule from the request.
  request.mutable_rule()->set_min_periods(3);
  request.mutable_rule()->set_index_above(0.9);
  list = policy_->ShortageList(request);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(Listed(*list).empty());

  request.set_country("UGA");
  EXPECT_EQ(policy_->ShortageList(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PolicyViewsTest, MirrorStatisticsSetAnOutflowAgainstTheInflowItsDestinationReported) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "UGA", "2512", "F", "10"}});
  PublishFlows("UGA", {{"2025-Q3", "INFLOW", "KEN", "2512", "F", "8"}});
  v1::MirrorFlowsRequest request;
  request.set_period("2025-Q3");
  QueryEngine::Origins origins;
  auto rows = policy_->Mirror(request, &origins);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_FALSE(rows->empty());
  // The corridor's total, with both sides.
  const v1::MirrorRow* detail = nullptr;
  for (const auto& row : *rows) {
    if (row.origin() == "KEN" && row.destination() == "UGA" && row.occupation() == "_T") {
      detail = &row;
    }
  }
  ASSERT_NE(detail, nullptr) << (*rows)[0].DebugString();
  EXPECT_EQ(detail->outflow(), 10);
  EXPECT_EQ(detail->inflow(), 8);
  EXPECT_EQ(detail->difference(), -2);  // inflow - outflow
  EXPECT_DOUBLE_EQ(detail->relative(), -0.2);
}

TEST_F(PolicyViewsTest, CompletenessSaysWhichPeriodsEachMemberReported) {
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}});
  PublishShortages("KEN", {{"2025-Q2", "2221", "SHORTAGE", "0.3", "1", "_T"}});
  PublishShortages("UGA", {{"2025-Q1", "2221", "SHORTAGE", "0.3", "1", "_T"}});
  auto rows = policy_->Completeness(v1::CompletenessRequest());
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> seen;
  for (const auto& row : *rows) {
    std::string periods;
    for (const auto& period : row.periods()) periods += period.period() + " ";
    seen.push_back(row.country() + " " + v1::Dataset_Name(row.dataset()) + " " + periods);
  }
  EXPECT_THAT(seen, ElementsAre("KEN DATASET_SHORTAGE 2025-Q2 ", "KEN DATASET_FLOW 2025-Q3 ",
                                "UGA DATASET_SHORTAGE 2025-Q1 "));
}

}  // namespace
}  // namespace lmx::testing
