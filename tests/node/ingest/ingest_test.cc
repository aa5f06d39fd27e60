#include "node/ingest/ingest.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "federation/protocol/observation_codec.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/test_codelists.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const std::vector<std::string> kFlowColumns = {"period",     "direction", "counterpart",
                                               "occupation", "sex",       "count"};

v1::Row MakeRow(uint64_t line, std::vector<std::string> fields) {
  v1::Row row;
  row.set_line(line);
  for (auto& field : fields) row.add_fields(std::move(field));
  return row;
}

v1::PublishHeader Header(v1::Dataset dataset, const std::vector<std::string>& columns,
                         bool partial = false, bool dry_run = false) {
  v1::PublishHeader header;
  header.set_dataset(dataset);
  header.set_source("ministry.csv");
  for (const auto& column : columns) header.add_columns(column);
  header.set_header_line(1);
  header.set_partial(partial);
  header.set_dry_run(dry_run);
  return header;
}

// "line:column" of every error, for compact expectations.
std::vector<std::string> Where(const std::vector<v1::RowError>& errors) {
  std::vector<std::string> where;
  for (const auto& error : errors) where.push_back(absl::StrCat(error.line(), ":", error.column()));
  return where;
}

std::vector<std::string> Where(const v1::PublishResponse& response) {
  return Where(std::vector<v1::RowError>(response.errors().begin(), response.errors().end()));
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    context_.country = "KEN";
    context_.codelists = TestCodelists();
    context_.store = store_.get();
    registry_ = std::make_unique<ClassificationRegistry>(store_.get(), TestCodelists(), "KEN");
    context_.classifications = registry_.get();
  }

  // Imports a crosswalk from `columns` and rows (lines from 2).
  v1::PublishResponse ImportCrosswalk(const std::string& id,
                                      const std::vector<std::string>& columns,
                                      const std::vector<std::vector<std::string>>& rows) {
    v1::PublishHeader header = Header(v1::DATASET_CROSSWALK, columns);
    header.set_classification(id);
    std::vector<v1::Row> made;
    for (const auto& fields : rows) made.push_back(MakeRow(made.size() + 2, fields));
    return Publish(header, made);
  }

  v1::PublishResponse Publish(const v1::PublishHeader& header, const std::vector<v1::Row>& rows) {
    PublishSession session(context_, header);
    for (const auto& row : rows) session.AddRow(row);
    auto response = session.Finish();
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::PublishResponse();
  }

  // Validates one row of a file with `columns` through RowValidator.
  std::vector<v1::RowError> ValidateRow(v1::Dataset dataset,
                                        const std::vector<std::string>& columns,
                                        const std::vector<std::string>& fields,
                                        v1::Observation* observation = nullptr) {
    std::vector<v1::RowError> errors;
    RowValidator validator(context_, dataset, columns, 1, &errors);
    EXPECT_TRUE(validator.header_ok()) << ::testing::PrintToString(Where(errors));
    v1::Observation scratch;
    v1::Row row;
    row.set_line(7);
    for (const auto& field : fields) row.add_fields(field);
    bool ok = validator.Validate(row, observation ? observation : &scratch, &errors);
    EXPECT_EQ(ok, errors.empty());
    return errors;
  }

  std::vector<v1::RowError> HeaderErrors(v1::Dataset dataset,
                                         const std::vector<std::string>& columns) {
    std::vector<v1::RowError> errors;
    RowValidator validator(context_, dataset, columns, 3, &errors);
    EXPECT_EQ(validator.header_ok(), errors.empty());
    return errors;
  }

  // Every visible observation of `dataset`, with its version.
  std::vector<std::pair<v1::Observation, uint64_t>> Stored(v1::Dataset dataset,
                                                           const VersionLimits& limits) {
    std::vector<std::pair<v1::Observation, uint64_t>> stored;
    KeyRange range = DatasetRange(dataset, "KEN");
    absl::Status status = store_->Scan(range.begin, range.end, limits, [&](const StoredValue& v) {
      auto observation = DecodeObservation(v.value);
      EXPECT_TRUE(observation.ok());
      stored.emplace_back(*observation, v.version);
      return true;
    });
    EXPECT_TRUE(status.ok()) << status;
    return stored;
  }
  std::vector<std::pair<v1::Observation, uint64_t>> StoredFlows() {
    return Stored(v1::DATASET_FLOW, store_->Catalog()->Latest());
  }
  // Counts of every visible flow, which the tests make unique per row.
  std::vector<int64_t> StoredFlowCounts() {
    std::vector<int64_t> counts;
    for (const auto& [observation, version] : StoredFlows()) {
      counts.push_back(observation.flow().count());
    }
    return counts;
  }
  // Nothing at all in the store: no batch and no row at any version.
  void ExpectStoreEmpty() {
    EXPECT_THAT(store_->Catalog()->Latest(), IsEmpty());
    int rows = 0;
    EXPECT_TRUE(store_
                    ->Scan("", "", {{"KEN", 1u << 30}},
                           [&](const StoredValue&) {
                             ++rows;
                             return true;
                           })
                    .ok());
    EXPECT_EQ(rows, 0);
  }

  std::vector<v1::Row> GoodFlows() {
    return {
        MakeRow(2, {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}),
        MakeRow(3, {"2025-Q3", "OUTFLOW", "ARE", "7112", "M", "20"}),
        MakeRow(4, {"2025-07", "RETURN", "QAT", "_T", "_T", "30"}),
    };
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ClassificationRegistry> registry_;
  IngestContext context_;
};

TEST_F(IngestTest, AGoodFileIsWrittenAsOneVersion) {
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns), GoodFlows());
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_EQ(response.rejected(), 0u);
  EXPECT_THAT(response.errors(), IsEmpty());
  EXPECT_TRUE(response.written());
  EXPECT_EQ(response.version(), 1u);
  EXPECT_GT(response.published_at().seconds(), 0);
  EXPECT_THAT(StoredFlowCounts(), UnorderedElementsAre(10, 20, 30));
  const BatchInfo* batch = store_->Catalog()->Find("KEN", 1);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->source, "ministry.csv");
  EXPECT_EQ(batch->rows, 3u);
  EXPECT_EQ(batch->dataset, v1::DATASET_FLOW);
}

TEST_F(IngestTest, CodesAreStoredInTheirCanonicalSpelling) {
  Publish(Header(v1::DATASET_FLOW, kFlowColumns),
          {MakeRow(2, {" 2025-q3 ", "outflow", "sa", "2512", "f", " 12 "})});
  auto stored = StoredFlows();
  ASSERT_EQ(stored.size(), 1u);
  const v1::Flow& flow = stored[0].first.flow();
  EXPECT_EQ(flow.country(), "KEN");
  EXPECT_EQ(flow.period(), "2025-Q3");
  EXPECT_EQ(flow.direction(), v1::OUTFLOW);
  EXPECT_EQ(flow.counterpart(), "SAU");
  EXPECT_EQ(flow.sex(), "F");
  EXPECT_EQ(flow.count(), 12);
  // Columns the file leaves out take the totals.
  EXPECT_EQ(flow.age(), "_T");
  EXPECT_EQ(flow.channel(), "_T");
}

TEST_F(IngestTest, ColumnsMayComeInAnyOrderAndCase) {
  auto response =
      Publish(Header(v1::DATASET_FLOW, {" Count", "COUNTERPART", "Direction", "period "}),
              {MakeRow(2, {"5", "UGA", "INFLOW", "2025"})});
  EXPECT_EQ(response.accepted(), 1u);
  EXPECT_THAT(StoredFlowCounts(), ElementsAre(5));
}

TEST_F(IngestTest, EveryBadFieldOfARowIsReportedWithLineAndColumn) {
  auto errors = ValidateRow(v1::DATASET_FLOW, kFlowColumns,
                            {"2025-13", "SIDEWAYS", "XXX", "9999", "X", "-4"});
  EXPECT_THAT(Where(errors), ElementsAre("7:period", "7:direction", "7:counterpart", "7:occupation",
                                         "7:sex", "7:count"));
  // Each reason names the value that was wrong.
  const std::vector<std::string> values = {"2025-13", "SIDEWAYS", "XXX", "9999", "X", "-4"};
  for (size_t i = 0; i < errors.size() && i < values.size(); ++i) {
    EXPECT_THAT(errors[i].reason(), HasSubstr("'" + values[i] + "'")) << errors[i].column();
  }
}

TEST_F(IngestTest, AMissingRequiredValueIsReported) {
  auto errors = ValidateRow(v1::DATASET_FLOW, kFlowColumns, {"2025", "", "UGA", "", "", " "});
  EXPECT_THAT(Where(errors), ElementsAre("7:direction", "7:count"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("required"));
}

TEST_F(IngestTest, ARowWithTheWrongNumberOfFieldsIsRejected) {
  auto errors = ValidateRow(v1::DATASET_FLOW, kFlowColumns, {"2025", "INFLOW", "UGA"});
  EXPECT_THAT(Where(errors), ElementsAre("7:row"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("3 fields"));
}

TEST_F(IngestTest, AMissingRequiredColumnIsAHeaderError) {
  auto errors = HeaderErrors(v1::DATASET_FLOW, {"period", "direction", "counterpart"});
  EXPECT_THAT(Where(errors), ElementsAre("3:header"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("'count'"));
}

TEST_F(IngestTest, AnUnknownColumnIsAHeaderError) {
  auto errors =
      HeaderErrors(v1::DATASET_FLOW, {"period", "direction", "counterpart", "count", "Colour"});
  EXPECT_THAT(Where(errors), ElementsAre("3:header"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("'Colour'"));
}

TEST_F(IngestTest, ARepeatedColumnIsAHeaderError) {
  auto errors =
      HeaderErrors(v1::DATASET_FLOW, {"period", "direction", "counterpart", "count", "COUNT"});
  EXPECT_THAT(Where(errors), ElementsAre("3:header"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("'count'"));
}

TEST_F(IngestTest, AFileWithABadHeaderWritesNothingAndReportsOnlyTheHeader) {
  auto header = Header(v1::DATASET_FLOW, {"period", "direction", "counterpart"});
  header.set_partial(true);
  auto response = Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA"})});
  EXPECT_FALSE(response.written());
  EXPECT_EQ(response.accepted(), 0u);
  EXPECT_EQ(response.rejected(), 1u);
  EXPECT_THAT(Where(response), ElementsAre("1:header"));
  ExpectStoreEmpty();
}

TEST_F(IngestTest, AnUnknownClassificationIsRefusedAsAHeaderError) {
  auto header = Header(v1::DATASET_FLOW, kFlowColumns, /*partial=*/true);
  header.set_classification("SOC2010");
  auto response = Publish(header, GoodFlows());
  EXPECT_FALSE(response.written());
  EXPECT_EQ(response.accepted(), 0u);
  ASSERT_THAT(Where(response), ElementsAre("1:header"));
  EXPECT_THAT(response.errors(0).reason(), HasSubstr("'SOC2010'"));
  ExpectStoreEmpty();
}

TEST_F(IngestTest, RefAreaMustBeTheNodesOwnCountry) {
  std::vector<std::string> columns = kFlowColumns;
  columns.push_back("ref_area");
  EXPECT_THAT(
      ValidateRow(v1::DATASET_FLOW, columns, {"2025", "INFLOW", "UGA", "2512", "F", "1", "ke"}),
      IsEmpty());
  auto errors =
      ValidateRow(v1::DATASET_FLOW, columns, {"2025", "INFLOW", "SAU", "2512", "F", "1", "UGA"});
  EXPECT_THAT(Where(errors), ElementsAre("7:ref_area"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("'UGA'"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("KEN"));
}

TEST_F(IngestTest, AFlowsCounterpartCannotBeTheNodesOwnCountry) {
  auto errors =
      ValidateRow(v1::DATASET_FLOW, kFlowColumns, {"2025", "INFLOW", "KE", "_T", "F", "1"});
  EXPECT_THAT(Where(errors), ElementsAre("7:counterpart"));
}

TEST_F(IngestTest, AVacancyThatClosesBeforeItWasPostedIsRejected) {
  const std::vector<std::string> columns = {"vacancy_id", "posted", "occupation", "closes"};
  EXPECT_THAT(
      ValidateRow(v1::DATASET_VACANCY, columns, {"V-1", "2025-07-14", "2512", "2025-07-14"}),
      IsEmpty());
  auto errors =
      ValidateRow(v1::DATASET_VACANCY, columns, {"V-1", "2025-07-14", "2512", "2025-07-13"});
  EXPECT_THAT(Where(errors), ElementsAre("7:closes"));
  EXPECT_THAT(errors[0].reason(), HasSubstr("2025-07-13"));
}

TEST_F(IngestTest, AVacancyTakesDefaultsForColumnsItLeavesOut) {
  v1::Observation observation;
  EXPECT_THAT(
      ValidateRow(v1::DATASET_VACANCY, {"vacancy_id", "posted", "occupation", "title", "skills"},
                  {"V-9", "2025-07-14", "_u", "  Nurse  ", "triage| care ||"}, &observation),
      IsEmpty());
  const v1::Vacancy& vacancy = observation.vacancy();
  EXPECT_EQ(vacancy.country(), "KEN");
  EXPECT_EQ(vacancy.occupation(), "_U");
  EXPECT_EQ(vacancy.positions(), 1);
  EXPECT_EQ(vacancy.status(), v1::OPEN);
  EXPECT_EQ(vacancy.education(), "_U");
  EXPECT_EQ(vacancy.title(), "  Nurse  ");
  EXPECT_THAT(vacancy.skills(), ElementsAre("triage", "care"));
}

TEST_F(IngestTest, AShortageIndexMustBeANumberInMinusOneToOne) {
  const std::vector<std::string> columns = {"period", "occupation", "status", "shortage_index"};
  for (const char* good : {"-1", "1", "0", "0.25", "-0.999"}) {
    EXPECT_THAT(ValidateRow(v1::DATASET_SHORTAGE, columns, {"2025", "2512", "SHORTAGE", good}),
                IsEmpty())
        << good;
  }
  for (const char* bad : {"1.5", "-1.01", "abc", "nan", "inf", "1e3"}) {
    auto errors = ValidateRow(v1::DATASET_SHORTAGE, columns, {"2025", "2512", "SHORTAGE", bad});
    EXPECT_THAT(Where(errors), ElementsAre("7:shortage_index")) << bad;
  }
}

TEST_F(IngestTest, AShortageRegionMustBeInTheNodesCountry) {
  const std::vector<std::string> columns = {"period", "occupation", "status", "region"};
  EXPECT_THAT(ValidateRow(v1::DATASET_SHORTAGE, columns, {"2025", "2512", "SHORTAGE", "KE-30"}),
              IsEmpty());
  EXPECT_THAT(
      Where(ValidateRow(v1::DATASET_SHORTAGE, columns, {"2025", "2512", "SHORTAGE", "UG-101"})),
      ElementsAre("7:region"));
}

TEST_F(IngestTest, ADuplicateKeyInAFileNamesBothLines) {
  // The same key in different spellings is still the same key.
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns, /*partial=*/true),
                          {MakeRow(2, {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"}),
                           MakeRow(3, {"2025-Q3", "OUTFLOW", "ARE", "2512", "F", "20"}),
                           MakeRow(5, {"2025-q3", "outflow", "sa", "2512", "f", "11"})});
  EXPECT_EQ(response.accepted(), 2u);
  EXPECT_EQ(response.rejected(), 1u);
  ASSERT_THAT(Where(response), ElementsAre("5:row"));
  EXPECT_THAT(response.errors(0).reason(), HasSubstr("line 2"));
  EXPECT_THAT(StoredFlowCounts(), UnorderedElementsAre(10, 20));
}

TEST_F(IngestTest, WithoutPartialOneBadRowMeansNothingIsWritten) {
  auto rows = GoodFlows();
  rows.insert(rows.begin() + 1, MakeRow(9, {"2025-Q3", "OUTFLOW", "SAU", "9999", "F", "1"}));
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns), rows);
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_EQ(response.rejected(), 1u);
  EXPECT_THAT(Where(response), ElementsAre("9:occupation"));
  EXPECT_FALSE(response.written());
  EXPECT_EQ(response.version(), 0u);
  ExpectStoreEmpty();
}

TEST_F(IngestTest, WithPartialExactlyTheGoodRowsAreWritten) {
  auto rows = GoodFlows();
  rows.insert(rows.begin() + 1, MakeRow(9, {"2025-Q3", "OUTFLOW", "SAU", "9999", "F", "1"}));
  rows.push_back(MakeRow(11, {"2025", "INFLOW", "UGA", "2512", "F", "-1"}));
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns, /*partial=*/true), rows);
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_EQ(response.rejected(), 2u);
  EXPECT_THAT(Where(response), ElementsAre("9:occupation", "11:count"));
  EXPECT_TRUE(response.written());
  EXPECT_EQ(response.version(), 1u);
  EXPECT_THAT(StoredFlowCounts(), UnorderedElementsAre(10, 20, 30));
  EXPECT_EQ(store_->Catalog()->Find("KEN", 1)->rows, 3u);
}

TEST_F(IngestTest, RowsSentInMessagesAreJudgedExactlyAsRowByRow) {
  // Workers check messages out of order with the session; the answer must
  // still be the file-order one: first lines of duplicates across messages,
  // errors in line order, the same rows written.
  std::vector<v1::Row> rows;
  const std::vector<std::string> partners = {"SAU", "ARE", "QAT", "UGA", "TZA"};
  for (uint64_t i = 0; i < 300; ++i) {
    std::string count = absl::StrCat(i % 17 == 5 ? -1 : static_cast<int64_t>(i));
    std::string occupation = i % 23 == 7 ? "9999" : "2512";
    // Every 10th row repeats the key of the row 25 lines before it.
    uint64_t key = i % 10 == 9 && i > 25 ? i - 25 : i;
    rows.push_back(MakeRow(i + 2, {absl::StrCat(2000 + key / 10, "-Q", key % 4 + 1), "OUTFLOW",
                                   partners[key / 2 % 5], occupation, key % 2 ? "F" : "M", count}));
  }
  rows[40].mutable_malformed()->set_column("row");
  rows[40].mutable_malformed()->set_reason("has an unclosed quote");

  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns, /*partial=*/true);
  v1::PublishResponse one_by_one = Publish(header, rows);
  PublishSession session(context_, header);
  for (size_t begin = 0; begin < rows.size(); begin += 7) {
    auto arena = std::make_unique<google::protobuf::Arena>();
    auto* message = google::protobuf::Arena::CreateMessage<v1::RowBatch>(arena.get());
    for (size_t i = begin; i < std::min(rows.size(), begin + 7); ++i)
      *message->add_rows() = rows[i];
    session.AddRows(std::move(arena), *message);
  }
  auto in_messages = session.Finish();
  ASSERT_TRUE(in_messages.ok()) << in_messages.status();

  EXPECT_GT(one_by_one.rejected(), 20u);
  EXPECT_EQ(in_messages->accepted(), one_by_one.accepted());
  EXPECT_EQ(in_messages->rejected(), one_by_one.rejected());
  EXPECT_EQ(in_messages->observations(), one_by_one.observations());
  ASSERT_EQ(in_messages->errors_size(), one_by_one.errors_size());
  for (int i = 0; i < one_by_one.errors_size(); ++i) {
    EXPECT_EQ(in_messages->errors(i).SerializeAsString(), one_by_one.errors(i).SerializeAsString())
        << i;
  }
  EXPECT_EQ(store_->Catalog()->Find("KEN", 2)->periods, store_->Catalog()->Find("KEN", 1)->periods);
}

TEST_F(IngestTest, ADryRunValidatesButWritesNothing) {
  auto response =
      Publish(Header(v1::DATASET_FLOW, kFlowColumns, false, /*dry_run=*/true), GoodFlows());
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_FALSE(response.written());
  ExpectStoreEmpty();

  auto bad = GoodFlows();
  bad.push_back(MakeRow(5, {"2025", "INFLOW", "UGA", "2512", "F", "x"}));
  response = Publish(Header(v1::DATASET_FLOW, kFlowColumns, true, /*dry_run=*/true), bad);
  EXPECT_EQ(response.rejected(), 1u);
  EXPECT_THAT(Where(response), ElementsAre("5:count"));
  EXPECT_FALSE(response.written());
  ExpectStoreEmpty();
}

TEST_F(IngestTest, ARowTheClientCouldNotReadIsRejectedWithItsError) {
  auto rows = GoodFlows();
  v1::Row broken;
  broken.set_line(6);
  broken.mutable_malformed()->set_column("row");
  broken.mutable_malformed()->set_reason("unterminated quoted field");
  rows.push_back(broken);
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns, /*partial=*/true), rows);
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_EQ(response.rejected(), 1u);
  ASSERT_THAT(Where(response), ElementsAre("6:row"));
  EXPECT_EQ(response.errors(0).reason(), "unterminated quoted field");
}

TEST_F(IngestTest, RepublishingAKeyCreatesANewVersion) {
  auto first = Publish(Header(v1::DATASET_FLOW, kFlowColumns),
                       {MakeRow(2, {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "10"})});
  auto second = Publish(Header(v1::DATASET_FLOW, kFlowColumns),
                        {MakeRow(2, {"2025-Q3", "OUTFLOW", "SAU", "2512", "F", "12"})});
  EXPECT_EQ(first.version(), 1u);
  EXPECT_EQ(second.version(), 2u);

  auto latest = StoredFlows();
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].first.flow().count(), 12);
  EXPECT_EQ(latest[0].second, 2u);

  auto earlier = Stored(v1::DATASET_FLOW, store_->Catalog()->AsOfVersion(1));
  ASSERT_EQ(earlier.size(), 1u);
  EXPECT_EQ(earlier[0].first.flow().count(), 10);
}

TEST_F(IngestTest, ErrorsPastTheListingLimitAreCounted) {
  std::vector<v1::Row> rows;
  const size_t bad_rows = kMaxListedErrors + 5;
  for (size_t i = 0; i < bad_rows; ++i) {
    rows.push_back(MakeRow(2 + i, {"2025", "INFLOW", "UGA", "2512", "F", "-1"}));
  }
  auto response = Publish(Header(v1::DATASET_FLOW, kFlowColumns), rows);
  EXPECT_EQ(response.rejected(), bad_rows);
  EXPECT_EQ(static_cast<size_t>(response.errors_size()), kMaxListedErrors);
  EXPECT_EQ(response.errors_omitted(), 5u);
  EXPECT_EQ(response.errors(0).line(), 2u);
  ExpectStoreEmpty();
}

TEST_F(IngestTest, ADatasetThatCannotBePublishedIsAHeaderError) {
  auto errors = HeaderErrors(v1::DATASET_VACANCY_AGG, {"period"});
  EXPECT_THAT(Where(errors), ElementsAre("3:header"));
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST(KeyLinesTest, RemembersTheFirstLineOfEveryKeyAcrossGrowth) {
  KeyLines seen;
  constexpr uint64_t kKeys = 100000;
  for (uint64_t i = 0; i < kKeys; ++i) {
    ASSERT_EQ(seen.Insert(i * 0x9E3779B97F4A7C15ull, i + 2), std::nullopt) << i;
  }
  for (uint64_t i = 0; i < kKeys; ++i) {
    ASSERT_EQ(seen.Insert(i * 0x9E3779B97F4A7C15ull, 999999999), i + 2) << i;
  }
}

TEST(KeyLinesTest, AKeyFirstSeenAtLineZeroIsStillADuplicate) {
  KeyLines seen;
  EXPECT_EQ(seen.Insert(42, 0), std::nullopt);
  EXPECT_EQ(seen.Insert(42, 0), 0u);
}

TEST_F(IngestTest, HugeValuesAreQuotedShortAndHugeCountsRefused) {
  auto errors =
      ValidateRow(v1::DATASET_FLOW, kFlowColumns,
                  {"2025", "INFLOW", std::string(100000, 'X'), "2512", "F", "99999999999"});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_LT(errors[0].reason().size(), 400u);
  EXPECT_THAT(errors[1].reason(), HasSubstr("is more than 1000000000"));
}

// --- Publishing in a national classification ------------------------------

TEST_F(IngestTest, ACrosswalkImportIsAVersionedBatchOfTheOrigin) {
  auto first = ImportCrosswalk("nat", {"source", "target"}, {{"A", "2221"}, {"B", "2222"}});
  EXPECT_TRUE(first.written());
  EXPECT_EQ(first.accepted(), 2u);
  EXPECT_EQ(first.observations(), 2u);
  auto second = ImportCrosswalk("NAT", {"source", "target"}, {{"A", "2222"}});
  EXPECT_EQ(second.version(), first.version() + 1);
  auto latest = registry_->Find("KEN", "NAT");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ((*latest)->version(), second.version());
  EXPECT_EQ((*latest)->Find("B"), -1);  // a re-import replaces the whole crosswalk
  auto older = registry_->Find("KEN", "NAT", absl::StrCat(first.version()));
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_EQ((*older)->Find("B"), 1);
  const BatchInfo* batch = store_->Catalog()->Find("KEN", first.version());
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->dataset, v1::DATASET_CROSSWALK);
  EXPECT_EQ(batch->classification, "NAT");
}

TEST_F(IngestTest, ACrosswalkWithABadPairIsNotImported) {
  auto response = ImportCrosswalk("NAT", {"source", "target"}, {{"A", "2221"}, {"B", "9999"}});
  EXPECT_TRUE(response.rejected_batch());
  EXPECT_THAT(Where(response), ElementsAre("3:target"));
  ExpectStoreEmpty();
}

TEST_F(IngestTest, RegionalIdsAndPartialImportsAreRefused) {
  EXPECT_THAT(ImportCrosswalk("ISCO08", {"source", "target"}, {{"A", "2221"}}).errors(0).reason(),
              HasSubstr("is a regional classification"));
  v1::PublishHeader header = Header(v1::DATASET_CROSSWALK, {"source", "target"}, true);
  header.set_classification("NAT");
  EXPECT_THAT(Publish(header, {MakeRow(2, {"A", "2221"})}).errors(0).reason(),
              HasSubstr("imported whole"));
  header = Header(v1::DATASET_CROSSWALK, {"source", "target"});
  header.set_classification("NAT");
  header.set_target("ISIC4");
  EXPECT_THAT(Publish(header, {MakeRow(2, {"A", "2221"})}).errors(0).reason(),
              HasSubstr("map occupation codes to ISCO08"));
  ExpectStoreEmpty();
}

TEST_F(IngestTest, AnUnknownClassificationRefusesTheFile) {
  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns);
  header.set_classification("SOC2010");
  auto response = Publish(header, GoodFlows());
  EXPECT_TRUE(response.rejected_batch());
  EXPECT_THAT(response.errors(0).reason(),
              HasSubstr("classification 'SOC2010' is not known to this node"));
}

TEST_F(IngestTest, ACodeWithoutMappingRejectsItsRow) {
  ImportCrosswalk("SOC2010", {"soc10", "isco08"}, {{"29-1141", "2221"}});
  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns);
  header.set_classification("SOC2010");
  auto response = Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA", "29-1141", "F", "3"}),
                                   MakeRow(3, {"2025", "INFLOW", "UGA", "2221", "F", "4"})});
  EXPECT_TRUE(response.rejected_batch());
  ASSERT_EQ(response.errors_size(), 1);
  EXPECT_EQ(response.errors(0).line(), 3u);
  EXPECT_EQ(response.errors(0).column(), "occupation");
  EXPECT_EQ(response.errors(0).reason(), "no mapping for '2221' in SOC2010");
}

TEST_F(IngestTest, MappedFlowsCombineAndKeepTheirNationalCodesAndCrosswalkVersion) {
  auto imported = ImportCrosswalk("NAT", {"source", "target", "weight"},
                                  {{"A", "2221", "1"}, {"B", "2221", "0.5"}, {"B", "2222", "0.5"}});
  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns);
  header.set_classification("nat");
  auto response = Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA", "A", "F", "10"}),
                                   MakeRow(3, {"2025", "INFLOW", "UGA", "B", "F", "7"}),
                                   MakeRow(4, {"2025", "INFLOW", "UGA", "A", "F", "1"})});
  // Line 4 repeats line 2's national key: a duplicate, not a contribution.
  EXPECT_THAT(Where(response), ElementsAre("4:row"));
  header.set_partial(true);
  response = Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA", "A", "F", "10"}),
                              MakeRow(3, {"2025", "INFLOW", "UGA", "B", "F", "7"})});
  EXPECT_EQ(response.accepted(), 2u);
  EXPECT_EQ(response.observations(), 2u);
  std::map<std::string, v1::Flow> stored;
  for (const auto& [observation, version] : StoredFlows()) {
    stored[observation.flow().occupation()] = observation.flow();
  }
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored["2221"].count(), 10 + 4);  // B's 7 splits 4 and 3 (tie to 2221)
  EXPECT_EQ(stored["2222"].count(), 3);
  EXPECT_THAT(stored["2221"].provenance().national_codes(), ElementsAre("A", "B"));
  EXPECT_EQ(stored["2221"].provenance().classification(), "NAT");
  EXPECT_EQ(stored["2221"].provenance().classification_version(), imported.version());
  const BatchInfo* batch = store_->Catalog()->Find("KEN", response.version());
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->classification, "NAT");
  EXPECT_EQ(batch->classification_version, imported.version());
  EXPECT_EQ(batch->rows, 2u);
  EXPECT_EQ(batch->observations, 2u);
}

TEST_F(IngestTest, DataKeepsTheCrosswalkVersionItWasMappedWith) {
  auto v1 = ImportCrosswalk("NAT", {"source", "target"}, {{"A", "2221"}});
  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns);
  header.set_classification("NAT");
  Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA", "A", "F", "10"})});
  auto v2 = ImportCrosswalk("NAT", {"source", "target"}, {{"A", "2222"}});
  Publish(header, {MakeRow(2, {"2026", "INFLOW", "UGA", "A", "F", "20"})});
  std::map<std::string, std::pair<std::string, uint64_t>> by_period;
  for (const auto& [observation, version] : StoredFlows()) {
    by_period[observation.flow().period()] = {
        observation.flow().occupation(), observation.flow().provenance().classification_version()};
  }
  EXPECT_EQ(by_period["2025"], std::make_pair(std::string("2221"), v1.version()));
  EXPECT_EQ(by_period["2026"], std::make_pair(std::string("2222"), v2.version()));
}

TEST_F(IngestTest, ADryRunSaysHowManyObservationsMappingWouldWrite) {
  ImportCrosswalk("NAT", {"source", "target"}, {{"A", "2221"}, {"A", "2222"}, {"A", "3221"}});
  v1::PublishHeader header = Header(v1::DATASET_FLOW, kFlowColumns, false, true);
  header.set_classification("NAT");
  auto response = Publish(header, {MakeRow(2, {"2025", "INFLOW", "UGA", "A", "F", "10"})});
  EXPECT_FALSE(response.written());
  EXPECT_EQ(response.observations(), 3u);
}

}  // namespace
}  // namespace lmx
