#include "client/output.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "federation/base/text_formats.h"

namespace lmx {
namespace {

// True for code points that terminals draw two columns wide (East Asian
// wide and full-width forms, and most emoji).
bool IsWide(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

// Display width of UTF-8 text in terminal columns. Combining marks count as
// one column, which is close enough for Latin, Arabic and Ethiopic text.
size_t Width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    int length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    uint32_t c = length == 1 ? byte : byte & (0x7F >> length);
    for (int j = 1; j < length && i + j < text.size(); ++j) {
      c = (c << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
    }
    width += IsWide(c) ? 2 : 1;
    i += length;
  }
  return width;
}

class CsvWriter : public TableWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    for (size_t i = 0; i < columns.size(); ++i) out_ << (i ? "," : "") << CsvField(columns[i]);
    out_ << "\n";
  }
  void Row(const std::vector<Cell>& cells) override {
    for (size_t i = 0; i < cells.size(); ++i) {
      out_ << (i ? "," : "") << CsvField(cells[i].ToString());
    }
    out_ << "\n";
  }
  void End() override { out_.flush(); }

 private:
  std::ostream& out_;
};

class JsonWriter : public TableWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    out_ << "[";
  }
  void Row(const std::vector<Cell>& cells) override {
    out_ << (rows_++ ? ",\n " : "\n ") << "{";
    for (size_t i = 0; i < cells.size() && i < columns_.size(); ++i) {
      out_ << (i ? ", " : "") << JsonString(columns_[i]) << ": ";
      const Cell& cell = cells[i];
      switch (cell.kind) {
        case Cell::Kind::kNull:
          out_ << "null";
          break;
        case Cell::Kind::kList:
          out_ << "[";
          for (size_t j = 0; j < cell.list.size(); ++j) {
            out_ << (j ? ", " : "") << JsonString(cell.list[j]);
          }
          out_ << "]";
          break;
        case Cell::Kind::kText:
          out_ << JsonString(cell.text);
          break;
        default:
          out_ << cell.ToString();
      }
    }
    out_ << "}";
  }
  void End() override {
    out_ << (rows_ ? "\n]\n" : "]\n");
    out_.flush();
  }

 private:
  std::ostream& out_;
  std::vector<std::string> columns_;
  size_t rows_ = 0;
};

class AlignedWriter : public TableWriter {
 public:
  explicit AlignedWriter(std::ostream& out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    rows_.push_back(columns);
    numeric_.assign(columns.size(), false);
  }
  void Row(const std::vector<Cell>& cells) override {
    std::vector<std::string> row;
    for (size_t i = 0; i < cells.size(); ++i) {
      // A line break inside a value would break the table's rows.
      std::string text = cells[i].ToString();
      std::replace(text.begin(), text.end(), '\n', ' ');
      std::replace(text.begin(), text.end(), '\r', ' ');
      row.push_back(std::move(text));
      if (i < numeric_.size() &&
          (cells[i].kind == Cell::Kind::kInteger || cells[i].kind == Cell::Kind::kReal)) {
        numeric_[i] = true;
      }
    }
    rows_.push_back(std::move(row));
  }
  void End() override {
    if (rows_.empty()) return;
    std::vector<size_t> widths(rows_.front().size(), 0);
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
        widths[i] = std::max(widths[i], Width(row[i]));
      }
    }
    for (size_t r = 0; r < rows_.size(); ++r) {
      std::string line;
      for (size_t i = 0; i < rows_[r].size() && i < widths.size(); ++i) {
        std::string pad(widths[i] - Width(rows_[r][i]), ' ');
        if (i) line += "  ";
        line += numeric_[i] && r > 0 ? pad + rows_[r][i] : rows_[r][i] + pad;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out_ << line << "\n";
      if (r == 0) {
        std::string rule;
        for (size_t i = 0; i < widths.size(); ++i)
          rule += (i ? "  " : "") + std::string(widths[i], '-');
        out_ << rule << "\n";
      }
    }
    out_ << "(" << rows_.size() - 1 << (rows_.size() == 2 ? " row)\n" : " rows)\n");
    out_.flush();
  }

 private:
  std::ostream& out_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;
};

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text == "table") return Format::kTable;
  if (text == "csv") return Format::kCsv;
  if (text == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: '", text, "' is not one of table, csv, json"));
}

Cell Cell::Text(std::string text) {
  Cell cell;
  cell.kind = Kind::kText;
  cell.text = std::move(text);
  return cell;
}

Cell Cell::List(std::vector<std::string> items) {
  Cell cell;
  cell.kind = Kind::kList;
  cell.list = std::move(items);
  return cell;
}

Cell Cell::Integer(int64_t value) {
  Cell cell;
  cell.kind = Kind::kInteger;
  cell.integer = value;
  return cell;
}

Cell Cell::Real(double value) {
  Cell cell;
  cell.kind = Kind::kReal;
  cell.real = value;
  return cell;
}

std::string Cell::ToString() const {
  switch (kind) {
    case Kind::kNull:
      return "";
    case Kind::kText:
      return text;
    case Kind::kList:
      return absl::StrJoin(list, "|");
    case Kind::kInteger:
      return absl::StrCat(integer);
    case Kind::kReal:
      break;
  }
  std::string text = absl::StrFormat("%.4f", real);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

std::unique_ptr<TableWriter> TableWriter::Create(Format format, std::ostream& out) {
  switch (format) {
    case Format::kCsv:
      return std::make_unique<CsvWriter>(out);
    case Format::kJson:
      return std::make_unique<JsonWriter>(out);
    case Format::kTable:
      break;
  }
  return std::make_unique<AlignedWriter>(out);
}

}  // namespace lmx
