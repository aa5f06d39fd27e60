// A store filled the way a node fills it, through PublishSession (node/
// ingest), one batch per origin and call: for tests of what reads the store
// (the query engine, the flow cache, the policy views, the log builder).
#ifndef LMX_TESTS_SUPPORT_PUBLISHED_STORE_H_
#define LMX_TESTS_SUPPORT_PUBLISHED_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "node/ingest/ingest.h"
#include "node/storage/store.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/test_codelists.h"

namespace lmx::testing {

using Rows = std::vector<std::vector<std::string>>;

class PublishedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Publishes `rows` under `columns` as `country`'s next batch.
  void Publish(absl::string_view country, v1::Dataset dataset,
               const std::vector<std::string>& columns, const Rows& rows) {
    IngestContext context;
    context.country = std::string(country);
    context.codelists = TestCodelists();
    context.store = store_.get();
    v1::PublishHeader header;
    header.set_dataset(dataset);
    header.set_source("test.csv");
    for (const auto& column : columns) header.add_columns(column);
    PublishSession session(context, header);
    uint64_t line = 2;
    for (const auto& fields : rows) {
      v1::Row row;
      row.set_line(line++);
      for (const auto& field : fields) row.add_fields(field);
      session.AddRow(row);
    }
    auto response = session.Finish();
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_TRUE(response->written()) << response->DebugString();
  }

  // Publishes flows, shortages or vacancies with the columns these take.
  void PublishFlows(absl::string_view country, const Rows& rows) {
    Publish(country, v1::DATASET_FLOW,
            {"period", "direction", "counterpart", "occupation", "sex", "count"}, rows);
  }
  void PublishShortages(absl::string_view country, const Rows& rows) {
    Publish(country, v1::DATASET_SHORTAGE,
            {"period", "occupation", "status", "shortage_index", "hard_to_fill", "region"}, rows);
  }

  void PublishVacancies(absl::string_view country, const Rows& rows) {
    Publish(country, v1::DATASET_VACANCY, {"vacancy_id", "posted", "occupation"}, rows);
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_PUBLISHED_STORE_H_
