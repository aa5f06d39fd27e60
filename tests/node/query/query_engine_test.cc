#include "node/query/query_engine.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "federation/classifications/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/query/flow_cache.h"
#include "node/ingest/ingest.h"
#include "tests/support/published_store.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/test_codelists.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Rows = std::vector<std::vector<std::string>>;

class QueryEngineTest : public testing::PublishedStoreTest {
 protected:
  void SetUp() override {
    PublishedStoreTest::SetUp();
    engine_ = std::make_unique<QueryEngine>(store_.get(), TestCodelists());
  }

  // The standard flow data: two countries, periods of every frequency.
  void PublishStandardFlows() {
    PublishFlows("KEN", {
                            {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"},
                            {"2025-Q3", "OUTFLOW", "SAU", "2513", "M", "5"},
                            {"2025-Q3", "OUTFLOW", "ARE", "7112", "M", "20"},
                            {"2025-07", "OUTFLOW", "SAU", "2512", "M", "3"},
                            {"2025", "OUTFLOW", "QAT", "9112", "F", "100"},
                            {"2024-Q4", "INFLOW", "UGA", "2512", "F", "7"},
                        });
    PublishFlows("UGA", {
                            {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "4"},
                            {"2025-Q3", "OUTFLOW", "SAU", "9112", "F", "6"},
                        });
  }

  // "COUNTRY period occupation count" of every flow the query returns.
  std::vector<std::string> QueryFlows(const v1::Filter& filter) {
    v1::QueryRequest request;
    request.set_dataset(v1::DATASET_FLOW);
    *request.mutable_filter() = filter;
    std::vector<std::string> found;
    absl::Status status = engine_->Query(request, [&](const v1::Observation& o) {
      const v1::Flow& f = o.flow();
      found.push_back(
          absl::StrCat(f.country(), " ", f.period(), " ", f.occupation(), " ", f.count()));
      return true;
    });
    EXPECT_TRUE(status.ok()) << status;
    return found;
  }

  // "key,key=measure,measure;countries" for every aggregate row.
  std::vector<std::string> AggregateRows(v1::Dataset dataset, const std::vector<std::string>& by,
                                         const v1::Filter& filter = {}) {
    v1::AggregateRequest request;
    request.set_dataset(dataset);
    for (const auto& text : by) {
      auto grouping = ParseGrouping(dataset, text);
      EXPECT_TRUE(grouping.ok()) << grouping.status();
      if (grouping.ok()) *request.add_by() = *grouping;
    }
    *request.mutable_filter() = filter;
    auto result = engine_->Aggregate(request);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    std::vector<std::string> rows;
    for (const auto& row : result->rows) {
      std::vector<std::string> measures;
      for (const auto& measure : row.measures()) {
        switch (measure.kind_case()) {
          case v1::Value::kInteger:
            measures.push_back(absl::StrCat(measure.integer()));
            break;
          case v1::Value::kReal:
            measures.push_back(absl::StrCat(measure.real()));
            break;
          default:
            measures.push_back("null");
        }
      }
      rows.push_back(absl::StrCat(absl::StrJoin(row.keys(), ","), "=", absl::StrJoin(measures, ","),
                                  ";", row.countries()));
    }
    return rows;
  }

  std::vector<v1::ShortageViewRow> Shortages(absl::string_view occupation,
                                             absl::string_view period = "") {
    v1::ShortageViewRequest request;
    request.set_occupation(std::string(occupation));
    request.set_period(std::string(period));
    auto rows = engine_->Shortages(request);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<v1::ShortageViewRow>{};
  }

  std::unique_ptr<QueryEngine> engine_;
};

v1::Filter Period(absl::string_view period) {
  v1::Filter filter;
  filter.set_period(std::string(period));
  return filter;
}

TEST_F(QueryEngineTest, FlowsAggregatedByMajorGroupEqualTheHandSums) {
  PublishStandardFlows();
  // 2: 10 + 5 + 3 + 7 (KEN) + 4 (UGA); 7: 20 (KEN); 9: 100 (KEN) + 6 (UGA).
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"occupation:1"}),
              ElementsAre("2=29;2", "7=20;1", "9=106;2"));
}

TEST_F(QueryEngineTest, ReadsAtOneSnapshotIgnoreLaterBatches) {
  PublishStandardFlows();
  auto at = engine_->Pin("");
  ASSERT_TRUE(at.ok()) << at.status();
  PublishFlows("UGA", {{"2025-Q4", "OUTFLOW", "SAU", "2512", "F", "1000"}});
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  auto pinned = engine_->Aggregate(request, nullptr, &*at);
  auto latest = engine_->Aggregate(request);
  ASSERT_TRUE(pinned.ok() && latest.ok());
  EXPECT_EQ(pinned->rows[0].measures(0).integer(), 155);
  EXPECT_EQ(latest->rows[0].measures(0).integer(), 1155);
  EXPECT_FALSE(engine_->Pin("not a time").ok());
}

TEST_F(QueryEngineTest, AggregatesGroupByEveryRequestedDimension) {
  PublishStandardFlows();
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"country", "direction"}),
              ElementsAre("KEN,INFLOW=7;1", "KEN,OUTFLOW=138;1", "UGA,OUTFLOW=10;1"));
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {}), ElementsAre("=155;2"));
}

TEST_F(QueryEngineTest, AggregateColumnsAreTheDimensionsThenMeasuresThenCountries) {
  PublishStandardFlows();
  v1::AggregateRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  *request.add_by() = *ParseGrouping(v1::DATASET_FLOW, "occupation:2");
  *request.add_by() = *ParseGrouping(v1::DATASET_FLOW, "sex");
  auto result = engine_->Aggregate(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->columns, ElementsAre("occupation", "sex", "count", "countries"));
}

TEST_F(QueryEngineTest, AYearPeriodFilterIncludesItsQuartersAndMonths) {
  PublishStandardFlows();
  EXPECT_THAT(QueryFlows(Period("2025")),
              UnorderedElementsAre("KEN 2025-Q3 2512 10", "KEN 2025-Q3 2513 5",
                                   "KEN 2025-Q3 7112 20", "KEN 2025-07 2512 3", "KEN 2025 9112 100",
                                   "UGA 2025-Q3 2512 4", "UGA 2025-Q3 9112 6"));
}

TEST_F(QueryEngineTest, AQuarterPeriodFilterExcludesTheWholeYear) {
  PublishStandardFlows();
  EXPECT_THAT(
      QueryFlows(Period("2025-Q3")),
      UnorderedElementsAre("KEN 2025-Q3 2512 10", "KEN 2025-Q3 2513 5", "KEN 2025-Q3 7112 20",
                           "KEN 2025-07 2512 3", "UGA 2025-Q3 2512 4", "UGA 2025-Q3 9112 6"));
  EXPECT_THAT(QueryFlows(Period("2025-07")), ElementsAre("KEN 2025-07 2512 3"));
  EXPECT_THAT(QueryFlows(Period("2025-Q1")), IsEmpty());
}

TEST_F(QueryEngineTest, FromAndToBoundThePeriodsInclusively) {
  PublishStandardFlows();
  v1::Filter filter;
  filter.set_from("2024-Q4");
  filter.set_to("2025-06");
  EXPECT_THAT(QueryFlows(filter), ElementsAre("KEN 2024-Q4 2512 7"));
  filter.set_to("2025");
  EXPECT_EQ(QueryFlows(filter).size(), 8u);
}

TEST_F(QueryEngineTest, AnOccupationFilterMatchesTheCodeAndEveryCodeBelowIt) {
  PublishStandardFlows();
  v1::Filter filter;
  filter.add_countries("ke");
  filter.set_occupation("251");
  EXPECT_THAT(QueryFlows(filter), UnorderedElementsAre("KEN 2025-Q3 2512 10", "KEN 2025-Q3 2513 5",
                                                       "KEN 2025-07 2512 3", "KEN 2024-Q4 2512 7"));
  filter.set_occupation("2513");
  EXPECT_THAT(QueryFlows(filter), ElementsAre("KEN 2025-Q3 2513 5"));
  filter.set_occupation("7");
  EXPECT_THAT(QueryFlows(filter), ElementsAre("KEN 2025-Q3 7112 20"));
}

TEST_F(QueryEngineTest, ACountryFilterKeepsOnlyThatCountry) {
  PublishStandardFlows();
  v1::Filter filter;
  filter.add_countries("UG");
  EXPECT_THAT(QueryFlows(filter), UnorderedElementsAre("UGA 2025-Q3 2512 4", "UGA 2025-Q3 9112 6"));
}

TEST_F(QueryEngineTest, AWhereFilterKeepsTheCodesOfAnyOtherDimension) {
  PublishStandardFlows();
  v1::Filter filter;
  (*filter.mutable_where())["sex"] = "F";
  (*filter.mutable_where())["counterpart"] = "SAU, QAT";
  EXPECT_THAT(QueryFlows(filter),
              UnorderedElementsAre("KEN 2025-Q3 2512 10", "KEN 2025 9112 100",
                                   "UGA 2025-Q3 2512 4", "UGA 2025-Q3 9112 6"));
  // The aggregate takes the same filter, and sums only what it keeps.
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"country"}, filter),
              ElementsAre("KEN=110;1", "UGA=10;1"));
  v1::Filter inflows;
  (*inflows.mutable_where())["direction"] = "INFLOW";
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"occupation:1"}, inflows), ElementsAre("2=7;1"));
}

TEST_F(QueryEngineTest, AWhereFilterOnADimensionTheDatasetLacksIsAnInvalidArgument) {
  PublishStandardFlows();
  for (const auto& [name, message] : std::vector<std::pair<std::string, std::string>>{
           {"education", "flows have no dimension 'education'"},
           {"country", "with its own field"},
           {"colour", "no dimension 'colour'"}}) {
    v1::QueryRequest request;
    request.set_dataset(v1::DATASET_FLOW);
    (*request.mutable_filter()->mutable_where())[name] = "X";
    absl::Status status = engine_->Query(request, [](const v1::Observation&) { return true; });
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message));
  }
}

TEST_F(QueryEngineTest, AsOfAVersionShowsTheValuesOfThatVersion) {
  PublishStandardFlows();
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "11"}});
  v1::Filter filter;
  filter.add_countries("KEN");
  filter.set_occupation("2512");
  filter.set_period("2025-Q3");
  EXPECT_THAT(QueryFlows(filter),
              UnorderedElementsAre("KEN 2025-Q3 2512 11", "KEN 2025-07 2512 3"));
  filter.set_as_of("1");
  EXPECT_THAT(QueryFlows(filter),
              UnorderedElementsAre("KEN 2025-Q3 2512 10", "KEN 2025-07 2512 3"));

  v1::Filter aggregate_filter;
  aggregate_filter.set_as_of("1");
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"occupation:1"}, aggregate_filter),
              ElementsAre("2=29;2", "7=20;1", "9=106;2"));
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"occupation:1"}),
              ElementsAre("2=30;2", "7=20;1", "9=106;2"));
}

TEST_F(QueryEngineTest, AsOfADateBeforeAnyPublishShowsNothing) {
  PublishStandardFlows();
  v1::Filter filter;
  filter.set_as_of("2000-01-01");
  EXPECT_THAT(QueryFlows(filter), IsEmpty());
  filter.set_as_of("2000-01-01T00:00:00Z");
  EXPECT_THAT(QueryFlows(filter), IsEmpty());
  filter.set_as_of("2199-12-31");
  EXPECT_EQ(QueryFlows(filter).size(), 8u);
}

TEST_F(QueryEngineTest, ObservationsCarryTheirProvenance) {
  PublishStandardFlows();
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "11"}});
  v1::QueryRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  std::map<std::string, uint64_t> versions;
  ASSERT_TRUE(engine_
                  ->Query(request,
                          [&](const v1::Observation& o) {
                            const auto& p = o.flow().provenance();
                            EXPECT_GT(p.published_at().seconds(), 0);
                            versions[absl::StrCat(p.origin(), " ", o.flow().count())] = p.version();
                            return true;
                          })
                  .ok());
  EXPECT_EQ(versions["KEN 11"], 2u);
  EXPECT_EQ(versions["KEN 5"], 1u);
  EXPECT_EQ(versions["UGA 4"], 1u);
  EXPECT_EQ(versions.count("KEN 10"), 0u);
}

TEST_F(QueryEngineTest, AQueryStopsWhenEmitReturnsFalse) {
  PublishStandardFlows();
  v1::QueryRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  int emitted = 0;
  ASSERT_TRUE(engine_->Query(request, [&](const v1::Observation&) { return ++emitted < 3; }).ok());
  EXPECT_EQ(emitted, 3);
}

TEST_F(QueryEngineTest, BadFiltersAreInvalidArguments) {
  PublishStandardFlows();
  auto code_of = [&](const v1::Filter& filter) {
    v1::QueryRequest request;
    request.set_dataset(v1::DATASET_FLOW);
    *request.mutable_filter() = filter;
    return engine_->Query(request, [](const v1::Observation&) { return true; });
  };
  v1::Filter bad_period = Period("2025-13");
  v1::Filter bad_occupation;
  bad_occupation.set_occupation("9999");
  v1::Filter bad_country;
  bad_country.add_countries("XXX");
  v1::Filter bad_as_of;
  bad_as_of.set_as_of("yesterday");
  for (const auto& [filter, value] :
       std::vector<std::pair<v1::Filter, std::string>>{{bad_period, "2025-13"},
                                                       {bad_occupation, "9999"},
                                                       {bad_country, "XXX"},
                                                       {bad_as_of, "yesterday"}}) {
    absl::Status status = code_of(filter);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(std::string(status.message()), HasSubstr(value));
  }
}

TEST_F(QueryEngineTest, ParseGroupingAcceptsDimensionsAndTheirLevels) {
  auto grouping = ParseGrouping(v1::DATASET_FLOW, "occupation:1");
  ASSERT_TRUE(grouping.ok()) << grouping.status();
  EXPECT_EQ(grouping->dimension(), "occupation");
  EXPECT_EQ(grouping->level(), 1);
  EXPECT_EQ(ParseGrouping(v1::DATASET_FLOW, "occupation:4")->level(), 4);
  EXPECT_EQ(ParseGrouping(v1::DATASET_FLOW, "sex")->level(), 0);
  EXPECT_EQ(ParseGrouping(v1::DATASET_SHORTAGE, "activity:1")->level(), 1);
  EXPECT_TRUE(ParseGrouping(v1::DATASET_VACANCY, "education").ok());
}

TEST_F(QueryEngineTest, ParseGroupingRejectsUnknownDimensionsAndBadLevels) {
  struct Case {
    v1::Dataset dataset;
    const char* text;
    const char* mention;
  };
  for (const Case& c : std::vector<Case>{
           {v1::DATASET_FLOW, "colour", "'colour'"},
           {v1::DATASET_FLOW, "education", "'education'"},
           {v1::DATASET_SHORTAGE, "sex", "'sex'"},
           {v1::DATASET_FLOW, "occupation:5", "1 to 4"},
           {v1::DATASET_FLOW, "occupation:0", "1 to 4"},
           {v1::DATASET_FLOW, "occupation:x", "1 to 4"},
           {v1::DATASET_FLOW, "occupation:1:2", "occupation:1:2"},
           {v1::DATASET_SHORTAGE, "activity:2", "1 to 1"},
           {v1::DATASET_FLOW, "sex:1", "no levels"},
           {v1::DATASET_FLOW, "", "''"},
       }) {
    auto grouping = ParseGrouping(c.dataset, c.text);
    ASSERT_FALSE(grouping.ok()) << c.text;
    EXPECT_EQ(grouping.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(grouping.status().message()), HasSubstr(c.mention)) << c.text;
  }
}

TEST_F(QueryEngineTest, ShortagesAggregateWithMeanIndexAndHardToFill) {
  PublishShortages("KEN", {{"2025-Q3", "2512", "SHORTAGE", "0.6", "40", "_T"},
                           {"2025-Q3", "2513", "SHORTAGE", "0.2", "", "_T"},
                           {"2025-Q3", "7112", "BALANCED", "", "3", "_T"}});
  EXPECT_THAT(AggregateRows(v1::DATASET_SHORTAGE, {"occupation:1"}),
              ElementsAre("2=2,0.4,40;1", "7=1,null,3;1"));
}

TEST_F(QueryEngineTest, VacanciesAggregateByMonthOfPostingWithoutCancelledOnes) {
  Publish("KEN", v1::DATASET_VACANCY, {"vacancy_id", "posted", "occupation", "positions", "status"},
          {{"V-1", "2025-07-01", "2512", "2", "OPEN"},
           {"V-2", "2025-07-20", "2513", "3", "FILLED"},
           {"V-3", "2025-07-21", "2512", "5", "CANCELLED"},
           {"V-4", "2025-08-02", "2512", "1", "OPEN"}});
  EXPECT_THAT(AggregateRows(v1::DATASET_VACANCY, {"period", "occupation:3"}),
              ElementsAre("2025-07,251=2,5;1", "2025-08,251=1,1;1"));
  EXPECT_THAT(AggregateRows(v1::DATASET_VACANCY, {"occupation"}, Period("2025-08")),
              ElementsAre("2512=1,1;1"));
}

class ShortageViewTest : public QueryEngineTest {
 protected:
  void SetUp() override {
    QueryEngineTest::SetUp();
    PublishShortages("KEN", {{"2025-Q2", "2512", "SURPLUS", "-0.5", "", "_T"},
                             {"2025-Q3", "2512", "SHORTAGE", "0.6", "40", "_T"},
                             // Regional rows are not national answers.
                             {"2025-Q3", "2512", "BALANCED", "0", "", "KE-30"}});
    PublishShortages("UGA", {{"2025-Q3", "25", "SURPLUS", "-0.4", "", "_T"}});
    PublishShortages("TZA", {{"2025-Q3", "2512", "BALANCED", "0", "5", "_T"},
                             {"2025-Q3", "2513", "SHORTAGE", "0.5", "7", "_T"}});
    PublishShortages("RWA", {{"2025-Q3", "7112", "SHORTAGE", "0.9", "", "_T"}});
  }
};

TEST_F(ShortageViewTest, AnObservationAtTheRequestedCodeIsExact) {
  auto rows = Shortages("2512");
  ASSERT_EQ(rows.size(), 3u);  // RWA holds nothing related
  EXPECT_EQ(rows[0].country(), "KEN");
  EXPECT_EQ(rows[0].basis(), v1::EXACT);
  EXPECT_EQ(rows[0].period(), "2025-Q3");  // the latest period, not 2025-Q2
  EXPECT_EQ(rows[0].status(), v1::SHORTAGE);
  EXPECT_DOUBLE_EQ(rows[0].shortage_index(), 0.6);
  EXPECT_EQ(rows[0].hard_to_fill(), 40);
  EXPECT_THAT(rows[0].observed_occupations(), ElementsAre("2512"));
  EXPECT_EQ(rows[0].version(), 1u);
  EXPECT_GT(rows[0].published_at().seconds(), 0);

  EXPECT_EQ(rows[1].country(), "TZA");
  EXPECT_EQ(rows[1].basis(), v1::EXACT);
  EXPECT_EQ(rows[1].status(), v1::BALANCED);
}

TEST_F(ShortageViewTest, WithoutAnExactObservationTheNearestBroaderCodeAnswers) {
  auto rows = Shortages("2512");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].country(), "UGA");
  EXPECT_EQ(rows[2].basis(), v1::BROADER);
  EXPECT_EQ(rows[2].occupation(), "2512");
  EXPECT_THAT(rows[2].observed_occupations(), ElementsAre("25"));
  EXPECT_EQ(rows[2].status(), v1::SURPLUS);
  EXPECT_DOUBLE_EQ(rows[2].shortage_index(), -0.4);
  EXPECT_FALSE(rows[2].has_hard_to_fill());
}

TEST_F(ShortageViewTest, NarrowerCodesAreCombinedWhenNothingAtOrAboveAnswers) {
  auto rows = Shortages("251");
  ASSERT_EQ(rows.size(), 3u);
  const auto& ken = rows[0];
  EXPECT_EQ(ken.country(), "KEN");
  EXPECT_EQ(ken.basis(), v1::NARROWER);
  EXPECT_THAT(ken.observed_occupations(), ElementsAre("2512"));
  EXPECT_EQ(ken.status(), v1::SHORTAGE);

  const auto& tza = rows[1];
  EXPECT_EQ(tza.country(), "TZA");
  EXPECT_EQ(tza.basis(), v1::NARROWER);
  EXPECT_THAT(tza.observed_occupations(), UnorderedElementsAre("2512", "2513"));
  EXPECT_DOUBLE_EQ(tza.shortage_index(), 0.25);  // mean of 0 and 0.5
  EXPECT_EQ(tza.status(), v1::SHORTAGE);         // 0.25 >= kShortageThreshold
  EXPECT_EQ(tza.hard_to_fill(), 12);

  EXPECT_EQ(rows[2].country(), "UGA");
  EXPECT_EQ(rows[2].basis(), v1::BROADER);
}

TEST_F(ShortageViewTest, APeriodRestrictsTheViewToObservationsWithinIt) {
  auto rows = Shortages("2512", "2025-Q2");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].country(), "KEN");
  EXPECT_EQ(rows[0].period(), "2025-Q2");
  EXPECT_EQ(rows[0].status(), v1::SURPLUS);
  EXPECT_EQ(rows[0].basis(), v1::EXACT);
}

TEST_F(ShortageViewTest, ACountryWithOnlyRegionalFiguresIsShownFromThem) {
  PublishShortages("ETH", {{"2025-Q3", "2512", "SHORTAGE", "0.8", "10", "ET-AA"},
                           {"2025-Q3", "2512", "BALANCED", "0.0", "2", "ET-AM"}});
  auto rows = Shortages("2512");
  ASSERT_EQ(rows.size(), 4u);
  const auto& eth = rows[0];
  EXPECT_EQ(eth.country(), "ETH");
  EXPECT_TRUE(eth.subnational());
  EXPECT_EQ(eth.basis(), v1::EXACT);
  EXPECT_DOUBLE_EQ(eth.shortage_index(), 0.4);  // mean of the two regions
  EXPECT_EQ(eth.status(), v1::SHORTAGE);
  EXPECT_EQ(eth.hard_to_fill(), 12);
  EXPECT_THAT(eth.observed_occupations(), ElementsAre("2512"));
  EXPECT_FALSE(rows[1].subnational());  // KEN published national figures
}

TEST_F(ShortageViewTest, TheOccupationMustBeAnIscoCode) {
  v1::ShortageViewRequest request;
  EXPECT_EQ(engine_->Shortages(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.set_occupation("9999");
  auto rows = engine_->Shortages(request);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rows.status().message()), HasSubstr("'9999'"));
}

TEST_F(ShortageViewTest, AnAnswerSaysHowFreshEachOriginIs) {
  auto listed = [](const QueryEngine::Origins& origins) {
    std::vector<std::string> states;
    for (const auto& origin : origins) {
      states.push_back(absl::StrCat(origin.origin(), " v", origin.version()));
      EXPECT_GT(origin.published_at().seconds(), 0);
    }
    return states;
  };
  EXPECT_THAT(listed(engine_->Latest()), ElementsAre("KEN v1", "RWA v1", "TZA v1", "UGA v1"));

  QueryEngine::Origins origins;
  v1::ShortageViewRequest request;
  request.set_occupation("2512");
  ASSERT_TRUE(engine_->Shortages(request, &origins).ok());
  EXPECT_THAT(listed(origins), ElementsAre("KEN v1", "RWA v1", "TZA v1", "UGA v1"));
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST_F(QueryEngineTest, PeriodGroupsSortByTimeNotByText) {
  PublishStandardFlows();
  std::vector<std::string> periods;
  for (const auto& row : AggregateRows(v1::DATASET_FLOW, {"period"})) {
    periods.push_back(row.substr(0, row.find('=')));
  }
  EXPECT_THAT(periods, ElementsAre("2024-Q4", "2025", "2025-Q3", "2025-07"));
}

TEST_F(QueryEngineTest, AFromAfterToIsRejected) {
  v1::QueryRequest request;
  request.set_dataset(v1::DATASET_FLOW);
  request.mutable_filter()->set_from("2025-06");
  request.mutable_filter()->set_to("2025-01");
  auto status = engine_->Query(request, [](const v1::Observation&) { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("start is after its end"));
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

// Flow aggregates come from each origin's cached columns unless the query
// reads an older version; both must give the same answer, for every
// grouping and filter, with and without totals to resolve.
TEST_F(QueryEngineTest, FlowColumnsAreKeptAcrossOtherDatasetsAndRebuiltInTheBackground) {
  PublishStandardFlows();
  FlowCache cache(store_.get());
  auto columns = [&] {
    auto got = cache.Get("KEN", store_->Catalog()->Latest());
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : nullptr;
  };
  std::shared_ptr<const FlowColumns> first = columns();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->rows(), 6u);
  // A shortage batch moves KEN's version on but not its flows.
  PublishShortages("KEN", {{"2025-Q3", "2512", "SHORTAGE", "0.5", "10", "_T"}});
  EXPECT_EQ(columns(), first);

  // A flow batch makes the warmer build KEN's columns again, before any
  // aggregate asks for them.
  FlowCache::Warmer warmer(&cache, absl::Milliseconds(1));
  int listener = store_->AddListener([&] { warmer.Changed(); });
  uint64_t rounds = warmer.rounds();
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "11"}});
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (warmer.rounds() == rounds && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  store_->RemoveListener(listener);
  ASSERT_GT(warmer.rounds(), rounds);
  std::shared_ptr<const FlowColumns> warmed = columns();
  EXPECT_NE(warmed, first);
  EXPECT_EQ(warmed->version(), store_->Catalog()->Latest().at("KEN"));
  EXPECT_EQ(columns(), warmed);  // built once, by the warmer
}

TEST_F(QueryEngineTest, AggregatesFromCachedColumnsEqualThoseReadFromTheStore) {
  PublishStandardFlows();
  const std::vector<std::vector<std::string>> groupings = {
      {"occupation:1"},  {"occupation:1", "country"},   {"counterpart"},
      {"period", "sex"}, {"direction", "occupation:2"}, {"country"}};
  std::vector<v1::Filter> filters(5);
  filters[1].set_period("2025");
  filters[2].set_occupation("25");
  filters[3].add_countries("UGA");
  filters[4].set_from("2025-01");
  filters[4].set_to("2025-09");
  auto compare = [&] {
    for (const auto& by : groupings) {
      for (v1::Filter filter : filters) {
        std::vector<std::string> cached = AggregateRows(v1::DATASET_FLOW, by, filter);
        filter.set_as_of("999999");  // the same versions, read from the store
        EXPECT_EQ(cached, AggregateRows(v1::DATASET_FLOW, by, filter))
            << absl::StrJoin(by, ",") << " " << filter.ShortDebugString();
      }
    }
  };
  compare();
  // A revision of KEN's data, then totals beside details: the columns are
  // read again, and the totals are resolved (from the store).
  PublishFlows("KEN", {{"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "11"}});
  compare();
  PublishFlows("UGA", {{"2025-Q3", "OUTFLOW", "SAU", "_T", "F", "50"}});
  compare();
  EXPECT_THAT(AggregateRows(v1::DATASET_FLOW, {"country"}),
              ::testing::ElementsAre("KEN=146;1", "UGA=50;1"));
}

// Every roll-up the flow columns answer equals summing the observations a
// query returns for the same filter, whatever the grouping, the filters,
// revisions laid over earlier batches or the version read.
TEST_F(QueryEngineTest, FlowAggregatesFromTheColumnsEqualSummingTheObservations) {
  engine_->KeepColumnsWarm(store_.get());
  std::mt19937 random(21);
  auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  const std::vector<std::string> periods = {"2024-01", "2024-02", "2024-Q2", "2024", "2025-06"};
  const std::vector<std::string> directions = {"OUTFLOW", "INFLOW"};
  const std::vector<std::string> counterparts = {"SAU", "ARE", "QAT", "GBR"};
  const std::vector<std::string> occupations = {"2512", "2221", "7112", "0110", "5120", "2513"};
  const std::vector<std::string> sexes = {"F", "M"};
  for (const char* country : {"KEN", "UGA", "TZA"}) {
    for (int batch = 0; batch < 3; ++batch) {
      std::map<std::string, Rows::value_type> rows;  // one per key
      for (int i = 0; i < 60; ++i) {
        Rows::value_type row = {pick(periods), pick(directions), pick(counterparts),
                                pick(occupations), pick(sexes), std::to_string(random() % 500)};
        rows[absl::StrJoin(row.begin(), row.end() - 1, ",")] = row;
      }
      Rows published;
      for (auto& [key, row] : rows) published.push_back(row);
      std::shuffle(published.begin(), published.end(), random);  // a file's order
      PublishFlows(country, published);
    }
  }
  const std::vector<std::string> dimensions = {"country", "period", "direction", "counterpart",
                                               "occupation", "sex"};
  for (int trial = 0; trial < 150; ++trial) {
    v1::AggregateRequest request;
    request.set_dataset(v1::DATASET_FLOW);
    std::vector<std::string> by = dimensions;
    std::shuffle(by.begin(), by.end(), random);
    by.resize(1 + random() % 3);
    for (const auto& d : by) {
      v1::Grouping* g = request.add_by();
      g->set_dimension(d);
      if (d == "occupation") g->set_level(static_cast<int>(random() % 5));
    }
    v1::Filter* filter = request.mutable_filter();
    if (random() % 3 == 0) filter->set_occupation(pick({"2", "25", "251", "7112"}));
    if (random() % 3 == 0) filter->set_from(pick({"2024-02", "2024-Q2"}));
    if (random() % 4 == 0) filter->set_to(pick({"2024-06", "2024"}));
    if (random() % 3 == 0) (*filter->mutable_where())["sex"] = pick(sexes);
    if (random() % 3 == 0) (*filter->mutable_where())["counterpart"] = "SAU,QAT";
    if (random() % 4 == 0) filter->add_countries(pick({"KEN", "UGA"}));
    if (random() % 4 == 0) filter->set_as_of(std::to_string(1 + random() % 3));
    SCOPED_TRACE(request.ShortDebugString());

    // What summing the query's observations gives.
    std::map<std::vector<std::string>, std::pair<int64_t, std::set<std::string>>> expected;
    v1::QueryRequest query;
    query.set_dataset(v1::DATASET_FLOW);
    *query.mutable_filter() = *filter;
    ASSERT_TRUE(engine_
                    ->Query(query,
                            [&](const v1::Observation& o) {
                              const v1::Flow& f = o.flow();
                              std::vector<std::string> keys;
                              for (const auto& g : request.by()) {
                                const std::string& d = g.dimension();
                                keys.push_back(
                                    d == "country"       ? f.country()
                                    : d == "period"      ? f.period()
                                    : d == "direction"   ? v1::FlowDirection_Name(f.direction())
                                    : d == "counterpart" ? f.counterpart()
                                    : d == "sex"         ? f.sex()
                                    : Codelists::RollUpOccupation(f.occupation(), g.level()));
                              }
                              expected[keys].first += f.count();
                              expected[keys].second.insert(f.country());
                              return true;
                            })
                    .ok());
    auto result = engine_->Aggregate(request);
    ASSERT_TRUE(result.ok()) << result.status();
    std::map<std::vector<std::string>, std::pair<int64_t, std::set<std::string>>> actual;
    for (const auto& row : result->rows) {
      std::vector<std::string> keys(row.keys().begin(), row.keys().end());
      actual[keys].first = row.measures(0).integer();
      actual[keys].second = expected.count(keys) ? expected[keys].second : std::set<std::string>{};
      EXPECT_EQ(row.countries(), static_cast<int64_t>(actual[keys].second.size()));
    }
    EXPECT_EQ(actual, expected);
  }
}

}  // namespace
}  // namespace lmx
