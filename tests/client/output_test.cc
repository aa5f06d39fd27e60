#include "client/output.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;

std::string Write(Format format, const std::vector<std::string>& columns,
                  const std::vector<std::vector<Cell>>& rows) {
  std::ostringstream out;
  auto writer = TableWriter::Create(format, out);
  writer->Begin(columns);
  for (const auto& row : rows) writer->Row(row);
  writer->End();
  return out.str();
}

TEST(OutputTest, CsvQuotesOnlyFieldsThatNeedIt) {
  EXPECT_EQ(Write(Format::kCsv, {"country", "note", "count"},
                  {{Cell::Text("KEN"), Cell::Text("a,b"), Cell::Integer(12)},
                   {Cell::Text("UGA"), Cell::Text("say \"hi\""), Cell::Integer(-3)},
                   {Cell::Text("TZA"), Cell::Text("two\nlines"), Cell::Integer(0)},
                   {Cell::Text("RWA"), Cell::Text("cr\ronly"), Cell::Integer(1)}}),
            "country,note,count\n"
            "KEN,\"a,b\",12\n"
            "UGA,\"say \"\"hi\"\"\",-3\n"
            "TZA,\"two\nlines\",0\n"
            "RWA,\"cr\ronly\",1\n");
}

TEST(OutputTest, CsvQuotesHeaderNamesToo) {
  EXPECT_EQ(Write(Format::kCsv, {"a,b", "plain"}, {}), "\"a,b\",plain\n");
}

TEST(OutputTest, CsvWritesNullAsAnEmptyFieldAndRealsRounded) {
  EXPECT_EQ(Write(Format::kCsv, {"index", "missing", "tiny"},
                  {{Cell::Real(0.123456), Cell::Null(), Cell::Real(-0.00001)}}),
            "index,missing,tiny\n0.1235,,0\n");
}

TEST(OutputTest, JsonEscapesTextAndWritesNumbersAsNumbersAndNullAsNull) {
  EXPECT_EQ(
      Write(Format::kJson, {"name", "count", "index", "note"},
            {{Cell::Text("a\"b\\c\nd\te\x01"), Cell::Integer(12), Cell::Real(0.5), Cell::Null()},
             {Cell::Text("Nairobi \xE2\x80\x93 \xE4\xB8\xAD"), Cell::Integer(-7), Cell::Real(-0.25),
              Cell::Text("")}}),
      "[\n"
      " {\"name\": \"a\\\"b\\\\c\\nd\\te\\u0001\", \"count\": 12, \"index\": 0.5, "
      "\"note\": null},\n"
      " {\"name\": \"Nairobi \xE2\x80\x93 \xE4\xB8\xAD\", \"count\": -7, \"index\": -0.25, "
      "\"note\": \"\"}\n"
      "]\n");
}

TEST(OutputTest, JsonEscapesColumnNames) {
  EXPECT_EQ(Write(Format::kJson, {"say \"x\""}, {{Cell::Integer(1)}}),
            "[\n {\"say \\\"x\\\"\": 1}\n]\n");
}

TEST(OutputTest, JsonWithNoRowsIsAnEmptyArray) {
  EXPECT_EQ(Write(Format::kJson, {"country"}, {}), "[]\n");
}

TEST(OutputTest, TableAlignsTextLeftAndNumbersRight) {
  EXPECT_EQ(
      Write(Format::kTable, {"country", "count"},
            {{Cell::Text("KEN"), Cell::Integer(12)}, {Cell::Text("UGA"), Cell::Integer(1234)}}),
      "country  count\n"
      "-------  -----\n"
      "KEN         12\n"
      "UGA       1234\n"
      "(2 rows)\n");
}

TEST(OutputTest, TableMeasuresWidthInCharactersNotBytes) {
  EXPECT_EQ(Write(Format::kTable, {"city", "n"},
                  {{Cell::Text("Z\xC3\xBCrich"), Cell::Integer(1)},
                   {Cell::Text("Oslo"), Cell::Integer(22)}}),
            "city    n\n"
            "------  --\n"
            "Z\xC3\xBCrich   1\n"
            "Oslo    22\n"
            "(2 rows)\n");
}

TEST(OutputTest, TableCountsItsRows) {
  EXPECT_THAT(Write(Format::kTable, {"x"}, {{Cell::Integer(1)}}), HasSubstr("(1 row)\n"));
  EXPECT_EQ(Write(Format::kTable, {"x"}, {}), "x\n-\n(0 rows)\n");
}

TEST(OutputTest, TableShowsNullAsBlank) {
  EXPECT_EQ(Write(Format::kTable, {"country", "mean"},
                  {{Cell::Text("KEN"), Cell::Null()}, {Cell::Text("UGA"), Cell::Real(0.5)}}),
            "country  mean\n"
            "-------  ----\n"
            "KEN\n"
            "UGA       0.5\n"
            "(2 rows)\n");
}

TEST(OutputTest, ParseFormatAcceptsTheThreeFormats) {
  EXPECT_EQ(*ParseFormat("table"), Format::kTable);
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  auto bad = ParseFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("'xml'"));
}

TEST(OutputTest, CellsPrintAsText) {
  EXPECT_EQ(Cell::Null().ToString(), "");
  EXPECT_EQ(Cell::Text("KEN").ToString(), "KEN");
  EXPECT_EQ(Cell::Integer(-42).ToString(), "-42");
  EXPECT_EQ(Cell::Integer(9007199254740993).ToString(), "9007199254740993");
  EXPECT_EQ(Cell::Real(0.5).ToString(), "0.5");
  EXPECT_EQ(Cell::Real(0.33333).ToString(), "0.3333");
  EXPECT_EQ(Cell::Real(-0.00004).ToString(), "0");
}

TEST(OutputTest, RealsAreRoundedToFourDecimalsWhateverTheirSize) {
  EXPECT_EQ(Cell::Real(1234.56789).ToString(), "1234.5679");
  EXPECT_EQ(Cell::Real(1234567.5).ToString(), "1234567.5");
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST(OutputListTest, AListIsAJsonArrayAndPipeJoinedElsewhere) {
  std::ostringstream json, csv;
  auto json_writer = TableWriter::Create(Format::kJson, json);
  json_writer->Begin({"skills"});
  json_writer->Row({Cell::List({"welding", "first \"aid\""})});
  json_writer->End();
  EXPECT_EQ(json.str(), "[\n {\"skills\": [\"welding\", \"first \\\"aid\\\"\"]}\n]\n");
  auto csv_writer = TableWriter::Create(Format::kCsv, csv);
  csv_writer->Begin({"skills"});
  csv_writer->Row({Cell::List({"welding", "Kiswahili"})});
  csv_writer->End();
  EXPECT_EQ(csv.str(), "skills\nwelding|Kiswahili\n");
}

TEST(OutputListTest, WideCharactersTakeTwoColumnsInATable) {
  std::ostringstream out;
  auto writer = TableWriter::Create(Format::kTable, out);
  writer->Begin({"title", "n"});
  writer->Row({Cell::Text("软件"), Cell::Integer(1)});
  writer->Row({Cell::Text("abcd"), Cell::Integer(2)});
  writer->End();
  EXPECT_NE(out.str().find("软件   1"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("abcd   2"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace lmx
