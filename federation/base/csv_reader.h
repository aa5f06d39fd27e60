// A streaming RFC 4180 CSV reader for ministry files.
//
// It reads one record at a time through a fixed buffer, so memory does not
// grow with the file. It accepts a UTF-8 byte order mark, CRLF or LF line
// endings, quoted fields with embedded commas, quotes ("") and line breaks,
// and it skips blank lines. Each record carries the line it starts on, so
// errors can say `FILE:LINE`. A record it cannot read (broken quoting,
// invalid UTF-8, a record over the size limit) comes back with `error` set
// instead of stopping the file, so every bad row can be reported.
//
//   auto reader = CsvReader::Open("flows.csv");
//   CsvRecord record;
//   while ((*reader)->Next(&record)) { ... record.line, record.fields ... }
#ifndef LMX_FEDERATION_BASE_CSV_READER_H_
#define LMX_FEDERATION_BASE_CSV_READER_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

struct CsvRecord {
  uint64_t line = 0;                // 1-based line where the record starts
  std::vector<std::string> fields;  // unquoted field values
  std::string error;                // empty unless the record is malformed
  int error_field = -1;             // 0-based field the error is about, or -1
};

class CsvReader {
 public:
  // A record longer than this is reported as malformed; it protects memory
  // when a quote is never closed.
  static constexpr size_t kMaxRecordBytes = 1 << 20;

  // Opens a file for reading, or standard input for "-"; the error names
  // the path.
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  // Reads from text held in memory, which must outlive the reader.
  static std::unique_ptr<CsvReader> FromString(absl::string_view text);
  // Reads what `source` hands over: it fills up to `capacity` bytes of
  // `buffer` and returns how many, 0 at the end of input, or an error that
  // ends the input and becomes status(). `size` is the total when known.
  // For bytes that arrive over a network, such as an HTTP request body.
  using Source = std::function<absl::StatusOr<size_t>(char* buffer, size_t capacity)>;
  static std::unique_ptr<CsvReader> FromSource(Source source, uint64_t size = 0);

  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next non-blank record into `*record`. Returns false at the end
  // of input (and on a read error, reported by status()).
  bool Next(CsvRecord* record);

  // Bytes consumed so far, for progress reporting.
  uint64_t bytes_read() const { return consumed_; }
  // Total size when reading a regular file, else 0.
  uint64_t size() const { return size_; }
  // OK unless reading the file itself failed.
  const absl::Status& status() const { return status_; }

 private:
  CsvReader(FILE* file, absl::string_view text, uint64_t size);

  // Next byte, or -1 at end of input.
  int Get();
  int Peek();
  bool Fill();

  FILE* file_;
  Source source_;
  std::string buffer_;
  absl::string_view window_;  // unread part of buffer_ or of the string
  uint64_t consumed_ = 0;
  uint64_t size_;
  uint64_t line_ = 1;
  bool started_ = false;
  absl::Status status_;
};

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or
// values above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_CSV_READER_H_
