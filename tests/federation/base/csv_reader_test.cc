#include "federation/base/csv_reader.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scoped_temp_dir.h"

namespace lmx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<CsvRecord> ReadAll(CsvReader& reader) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.Next(&record)) records.push_back(record);
  return records;
}

std::vector<CsvRecord> ReadString(absl::string_view text) {
  auto reader = CsvReader::FromString(text);
  return ReadAll(*reader);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

TEST(CsvReaderTest, ReadsFieldsSeparatedByCommas) {
  auto records = ReadString("period,direction,count\n2025-Q3,OUTFLOW,12\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("period", "direction", "count"));
  EXPECT_THAT(records[1].fields, ElementsAre("2025-Q3", "OUTFLOW", "12"));
  EXPECT_TRUE(records[1].error.empty());
  EXPECT_EQ(records[1].error_field, -1);
}

TEST(CsvReaderTest, QuotedFieldsKeepEmbeddedCommasQuotesAndLineBreaks) {
  auto records = ReadString("a,\"b,c\",\"say \"\"hi\"\"\",\"line1\nline2\"\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b,c", "say \"hi\"", "line1\nline2"));
  EXPECT_TRUE(records[0].error.empty());
}

TEST(CsvReaderTest, ALineBreakInsideQuotesIsKeptVerbatim) {
  auto records = ReadString("\"x\r\ny\",z\r\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].fields, ElementsAre("x\r\ny", "z"));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  auto records = ReadString("a,,c\n,\n\"\"\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "", "c"));
  EXPECT_THAT(records[1].fields, ElementsAre("", ""));
  EXPECT_THAT(records[2].fields, ElementsAre(""));
}

TEST(CsvReaderTest, TheLastRecordNeedsNoTrailingLineBreak) {
  auto records = ReadString("a,b\nc,d");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[1].fields, ElementsAre("c", "d"));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReaderTest, AByteOrderMarkIsNotPartOfTheFirstField) {
  auto records = ReadString("\xEF\xBB\xBFperiod,count\n2025,1\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("period", "count"));
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReaderTest, ABrokenByteOrderMarkIsReportedAsInvalidUtf8) {
  auto records = ReadString("\xEF\xBBx,y\nok,1\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].error, HasSubstr("UTF-8"));
  EXPECT_EQ(records[0].error_field, 0);
  EXPECT_TRUE(records[1].error.empty());
}

TEST(CsvReaderTest, CrlfAndLfLineEndingsGiveTheSameRecords) {
  auto lf = ReadString("a,b\n\"c\"\"d\",e\nf,g\n");
  auto crlf = ReadString("a,b\r\n\"c\"\"d\",e\r\nf,g\r\n");
  ASSERT_EQ(lf.size(), 3u);
  ASSERT_EQ(crlf.size(), lf.size());
  for (size_t i = 0; i < lf.size(); ++i) {
    EXPECT_EQ(crlf[i].fields, lf[i].fields) << "record " << i;
    EXPECT_EQ(crlf[i].line, lf[i].line) << "record " << i;
    EXPECT_TRUE(crlf[i].error.empty()) << "record " << i;
  }
}

TEST(CsvReaderTest, ALoneCarriageReturnEndsARecordAndALine) {
  auto records = ReadString("a,b\rc,d\re,f");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b"));
  EXPECT_THAT(records[1].fields, ElementsAre("c", "d"));
  EXPECT_THAT(records[2].fields, ElementsAre("e", "f"));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[2].line, 3u);
}

TEST(CsvReaderTest, BlankLinesAreSkippedButStillCounted) {
  auto records = ReadString("\n\na,b\n\r\n\nc,d\n\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].line, 3u);
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b"));
  EXPECT_EQ(records[1].line, 6u);
  EXPECT_THAT(records[1].fields, ElementsAre("c", "d"));
}

TEST(CsvReaderTest, RecordsAfterAMultiLineFieldCarryTheLineTheyStartOn) {
  auto records =
      ReadString("title,id\n\"first\nsecond\r\nthird\",1\nplain,2\n\"x\ny\",3\nlast,4\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[1].fields[0], "first\nsecond\r\nthird");
  EXPECT_EQ(records[2].line, 5u);
  EXPECT_EQ(records[3].line, 6u);
  EXPECT_EQ(records[4].line, 8u);
}

TEST(CsvReaderTest, AnUnterminatedQuoteIsReportedOnTheFieldItOpens) {
  auto records = ReadString("id,title\n1,\"never closed\n2,x\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].error.empty());
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_THAT(records[1].error, HasSubstr("unterminated"));
  EXPECT_EQ(records[1].error_field, 1);
}

TEST(CsvReaderTest, AStrayQuoteInAnUnquotedFieldDoesNotStopTheNextRecords) {
  auto records = ReadString("ok,1\nbad,ab\"c,x\nok,3\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].error.empty());
  EXPECT_THAT(records[1].error, HasSubstr("quote"));
  EXPECT_EQ(records[1].error_field, 1);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_TRUE(records[2].error.empty());
  EXPECT_THAT(records[2].fields, ElementsAre("ok", "3"));
  EXPECT_EQ(records[2].line, 3u);
}

TEST(CsvReaderTest, ACharacterAfterAClosingQuoteIsReportedAndReadingContinues) {
  auto records = ReadString("\"ab\"c,2\nok,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].error, HasSubstr("after closing quote"));
  EXPECT_EQ(records[0].error_field, 0);
  EXPECT_TRUE(records[1].error.empty());
  EXPECT_THAT(records[1].fields, ElementsAre("ok", "3"));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReaderTest, InvalidUtf8IsReportedOnTheFieldThatHoldsIt) {
  auto records = ReadString("ok,caf\xC3\xA9\nbad,x,\xFF\xFEzz\nnext,1\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].error.empty());
  EXPECT_THAT(records[1].error, HasSubstr("UTF-8"));
  EXPECT_EQ(records[1].error_field, 2);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_TRUE(records[2].error.empty());
  EXPECT_EQ(records[2].line, 3u);
}

TEST(CsvReaderTest, ARecordOverTheSizeLimitIsReportedAndTheNextRecordIsRead) {
  std::string text = "\"";
  text.append(CsvReader::kMaxRecordBytes + 100, 'x');
  text += "\nnext,1\n";
  auto records = ReadString(text);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].error, HasSubstr("longer than"));
  EXPECT_TRUE(records[1].error.empty());
  EXPECT_THAT(records[1].fields, ElementsAre("next", "1"));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(CsvReaderTest, OpeningAMissingFileNamesThePath) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/no_such_flows.csv";
  auto reader = CsvReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr(path));
}

TEST(CsvReaderTest, OpeningADirectoryIsAnError) {
  ScopedTempDir dir;
  auto reader = CsvReader::Open(dir.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr(dir.path()));
}

// The reader refills a 64 KiB buffer; every record of a file several buffers
// long must come back whole, with the right line, however the records fall
// across the buffer boundaries.
TEST(CsvReaderTest, ReadsAFileLargerThanItsBufferRecordByRecord) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/big.csv";
  std::string contents = "\xEF\xBB\xBFid,note,padding\r\n";
  constexpr int kRecords = 4000;
  for (int i = 0; i < kRecords; ++i) {
    absl::StrAppend(&contents, i, ",\"note ", i, ", with \"\"quotes\"\"\r\nand a break\",",
                    std::string(i % 97, 'p'), "\r\n");
  }
  ASSERT_GT(contents.size(), 4u * (1u << 16));
  WriteFile(path, contents);

  auto reader = CsvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->size(), contents.size());
  auto records = ReadAll(**reader);
  EXPECT_TRUE((*reader)->status().ok());
  EXPECT_EQ((*reader)->bytes_read(), contents.size());
  ASSERT_EQ(records.size(), static_cast<size_t>(kRecords + 1));
  EXPECT_THAT(records[0].fields, ElementsAre("id", "note", "padding"));
  for (int i = 0; i < kRecords; ++i) {
    const CsvRecord& record = records[i + 1];
    ASSERT_TRUE(record.error.empty()) << "record " << i << ": " << record.error;
    ASSERT_THAT(
        record.fields,
        ElementsAre(absl::StrCat(i), absl::StrCat("note ", i, ", with \"quotes\"\r\nand a break"),
                    std::string(i % 97, 'p')))
        << "record " << i;
    ASSERT_EQ(record.line, static_cast<uint64_t>(2 + 2 * i)) << "record " << i;
  }
}

// Puts each byte of a tricky record (an escaped quote, CRLF inside quotes,
// a CRLF line end) in turn on the buffer boundary.
TEST(CsvReaderTest, ABufferBoundaryInsideQuotesOrLineEndsChangesNothing) {
  ScopedTempDir dir;
  const std::string tricky = "\"q\"\"x\r\ny\",z\r\nlast,1\r\n";
  constexpr size_t kBoundary = 1 << 16;
  for (size_t shift = 1; shift <= tricky.size(); ++shift) {
    std::string filler = "filler,";
    filler.append(kBoundary - shift - filler.size() - 1, 'f');
    filler += "\n";
    ASSERT_EQ(filler.size() + shift, kBoundary);
    std::string path = absl::StrCat(dir.path(), "/shift", shift, ".csv");
    WriteFile(path, filler + tricky);

    auto reader = CsvReader::Open(path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto records = ReadAll(**reader);
    ASSERT_EQ(records.size(), 3u) << "shift " << shift;
    EXPECT_THAT(records[1].fields, ElementsAre("q\"x\r\ny", "z")) << "shift " << shift;
    EXPECT_TRUE(records[1].error.empty()) << "shift " << shift;
    EXPECT_EQ(records[1].line, 2u) << "shift " << shift;
    EXPECT_THAT(records[2].fields, ElementsAre("last", "1")) << "shift " << shift;
    EXPECT_EQ(records[2].line, 4u) << "shift " << shift;
  }
}

TEST(CsvReaderTest, AnEmptyFileHasNoRecords) {
  EXPECT_THAT(ReadString(""), IsEmpty());
  EXPECT_THAT(ReadString("\xEF\xBB\xBF"), IsEmpty());
  EXPECT_THAT(ReadString("\r\n\n"), IsEmpty());
}

TEST(IsValidUtf8Test, AcceptsAsciiAndWellFormedMultiByteText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Nairobi"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));               // é
  EXPECT_TRUE(IsValidUtf8("\xE4\xB8\xAD\xE6\x96\x87"));  // 中文
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));          // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF
}

TEST(IsValidUtf8Test, RejectsMalformedSequences) {
  const std::vector<std::string> bad = {
      "\x80",              // lone continuation byte
      "\xC3",              // truncated two-byte sequence
      "\xE4\xB8",          // truncated three-byte sequence
      "\xC0\x80",          // overlong NUL
      "\xE0\x80\xAF",      // overlong '/'
      "\xED\xA0\x80",      // UTF-16 surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",              // never valid
      "ok\xC3(",           // bad continuation
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(IsValidUtf8(text)) << absl::CEscape(text);
  }
}

}  // namespace
}  // namespace lmx

namespace lmx {
namespace {

TEST(CsvReaderLimitTest, AnOversizedUnquotedRecordIsReportedNotLoaded) {
  std::string text = "a,b\n" + std::string(3 << 20, 'x') + ",y\nok,1\n";
  auto reader = CsvReader::FromString(text);
  CsvRecord record;
  ASSERT_TRUE(reader->Next(&record));  // header
  ASSERT_TRUE(reader->Next(&record));
  EXPECT_THAT(record.error, ::testing::HasSubstr("longer than"));
  size_t kept = 0;
  for (const auto& field : record.fields) kept += field.size();
  EXPECT_LE(kept, CsvReader::kMaxRecordBytes);
  ASSERT_TRUE(reader->Next(&record));
  EXPECT_TRUE(record.error.empty());
  EXPECT_EQ(record.line, 3u);
  EXPECT_EQ(record.fields, (std::vector<std::string>{"ok", "1"}));
}

}  // namespace
}  // namespace lmx
