// Writes answers as an aligned table, CSV or JSON. CSV is RFC 4180 with a
// header row and nothing else; JSON is one array of objects with numbers as
// numbers and absent values as null.
//
//   auto out = TableWriter::Create(Format::kCsv, std::cout);
//   out->Begin({"country", "count"});
//   out->Row({Cell::Text("KEN"), Cell::Integer(12)});
//   out->End();
#ifndef LMX_CLIENT_OUTPUT_H_
#define LMX_CLIENT_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

enum class Format { kTable, kCsv, kJson };

// "table", "csv" or "json".
absl::StatusOr<Format> ParseFormat(absl::string_view text);

// One value of an answer; the kind decides how JSON writes it.
struct Cell {
  enum class Kind { kNull, kText, kInteger, kReal, kList };
  Kind kind = Kind::kNull;
  std::string text;
  int64_t integer = 0;
  double real = 0;
  std::vector<std::string> list;

  static Cell Null() { return Cell(); }
  static Cell Text(std::string text);
  static Cell Integer(int64_t value);
  static Cell Real(double value);
  // A list of texts: a JSON array, "a|b" in CSV and tables.
  static Cell List(std::vector<std::string> items);
  // The value as text: reals rounded to 4 decimals, lists joined with "|",
  // null as "".
  std::string ToString() const;
};

class TableWriter {
 public:
  static std::unique_ptr<TableWriter> Create(Format format, std::ostream& out);
  virtual ~TableWriter() = default;
  virtual void Begin(const std::vector<std::string>& columns) = 0;
  virtual void Row(const std::vector<Cell>& cells) = 0;
  // Finishes the output; the table format writes everything here.
  virtual void End() = 0;
};

}  // namespace lmx

#endif  // LMX_CLIENT_OUTPUT_H_
