// Random and hostile input through the CSV reader and the row validator: a
// node must never crash on input, and every row it rejects must say why.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "federation/base/csv_reader.h"
#include "node/ingest/ingest.h"
#include "node/storage/store.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/test_codelists.h"

namespace lmx {
namespace {

// Text built from the characters that matter to a CSV parser and to code
// validation, plus bytes that are not UTF-8.
std::string RandomCsv(std::mt19937& random, size_t length) {
  static const std::vector<std::string> kPieces = {",",        "\"",
                                                   "\"\"",     "\n",
                                                   "\r\n",     "\r",
                                                   "2025",     "-Q3",
                                                   "-07",      "2512",
                                                   "UGA",      "KEN",
                                                   "_T",       "OUTFLOW",
                                                   "12",       "-1",
                                                   " ",        "\xEF\xBB\xBF",
                                                   "\xC3\xA9", "\xFF",
                                                   "\xC3",     std::string("\0", 1),
                                                   "é",        "ሰ",
                                                   "数",       "INFLOW",
                                                   "9999",     "Y15T24",
                                                   "F"};
  std::string text;
  while (text.size() < length) text += kPieces[random() % kPieces.size()];
  return text;
}

TEST(RandomInputTest, GarbageNeverCrashesAndEveryRejectedRowIsExplained) {
  ScopedTempDir dir;
  auto store = Store::Open(dir.path() + "/store");
  ASSERT_TRUE(store.ok()) << store.status();
  IngestContext context{"KEN", TestCodelists(), store->get()};
  std::mt19937 random(20251123);
  for (int round = 0; round < 300; ++round) {
    std::string text = "period,direction,counterpart,occupation,sex,count\n" +
                       RandomCsv(random, 200 + random() % 2000);
    auto reader = CsvReader::FromString(text);
    v1::PublishHeader header;
    header.set_dataset(v1::DATASET_FLOW);
    header.set_source("random.csv");
    header.set_partial(round % 2 == 0);
    CsvRecord record;
    ASSERT_TRUE(reader->Next(&record));
    for (auto& column : record.fields) header.add_columns(column);
    PublishSession session(context, header);
    uint64_t rows = 0;
    while (reader->Next(&record)) {
      v1::Row row;
      row.set_line(record.line);
      if (!record.error.empty()) {
        row.mutable_malformed()->set_column("row");
        row.mutable_malformed()->set_reason(record.error);
      }
      for (auto& field : record.fields) row.add_fields(field);
      session.AddRow(row);
      ++rows;
    }
    auto response = session.Finish();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->accepted() + response->rejected(), rows);
    EXPECT_GE(static_cast<uint64_t>(response->errors_size()), response->rejected());
    for (const auto& error : response->errors()) {
      EXPECT_GE(error.line(), 2u);
      EXPECT_FALSE(error.column().empty());
      EXPECT_FALSE(error.reason().empty());
    }
  }
}

}  // namespace
}  // namespace lmx
