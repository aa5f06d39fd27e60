#include "federation/base/csv_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lmx {
namespace {

constexpr size_t kChunkBytes = 1 << 16;

}  // namespace

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<CsvReader>(new CsvReader(stdin, {}, 0));
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat info;
  uint64_t size = 0;
  if (fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode)) size = info.st_size;
  if (size == 0 && fstat(fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
    std::fclose(file);
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  return std::unique_ptr<CsvReader>(new CsvReader(file, {}, size));
}

std::unique_ptr<CsvReader> CsvReader::FromString(absl::string_view text) {
  return std::unique_ptr<CsvReader>(new CsvReader(nullptr, text, text.size()));
}

std::unique_ptr<CsvReader> CsvReader::FromSource(Source source, uint64_t size) {
  auto reader = std::unique_ptr<CsvReader>(new CsvReader(nullptr, {}, size));
  reader->source_ = std::move(source);
  return reader;
}

CsvReader::CsvReader(FILE* file, absl::string_view text, uint64_t size)
    : file_(file), window_(text), size_(size) {}

CsvReader::~CsvReader() {
  if (file_ != nullptr && file_ != stdin) std::fclose(file_);
}

bool CsvReader::Fill() {
  if (source_) {
    if (!status_.ok()) return false;
    buffer_.resize(kChunkBytes);
    absl::StatusOr<size_t> n = source_(buffer_.data(), buffer_.size());
    if (!n.ok()) status_ = n.status();
    if (!n.ok() || *n == 0) {
      source_ = nullptr;
      return false;
    }
    window_ = absl::string_view(buffer_.data(), *n);
    return true;
  }
  if (file_ == nullptr) return false;
  buffer_.resize(kChunkBytes);
  size_t n = std::fread(buffer_.data(), 1, buffer_.size(), file_);
  if (n == 0) {
    if (std::ferror(file_)) status_ = absl::DataLossError("read error");
    return false;
  }
  window_ = absl::string_view(buffer_.data(), n);
  return true;
}

int CsvReader::Peek() {
  if (window_.empty() && !Fill()) return -1;
  return static_cast<unsigned char>(window_.front());
}

int CsvReader::Get() {
  int c = Peek();
  if (c < 0) return c;
  window_.remove_prefix(1);
  ++consumed_;
  // A lone CR ends a line as well; CRLF counts once, at the LF.
  if (c == '\n' || (c == '\r' && Peek() != '\n')) ++line_;
  return c;
}

bool CsvReader::Next(CsvRecord* record) {
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark is tolerated at the very start; a partial one
    // is left in place, to be reported as invalid UTF-8.
    Peek();
    if (absl::StartsWith(window_, "\xEF\xBB\xBF")) {
      window_.remove_prefix(3);
      consumed_ += 3;
    }
  }
  for (;;) {
    record->fields.clear();
    record->error.clear();
    record->error_field = -1;
    record->line = line_;
    int c = Peek();
    if (c < 0) return false;
    if (c == '\n' || c == '\r') {  // blank line
      Get();
      if (c == '\r' && Peek() == '\n') Get();
      continue;
    }
    break;
  }

  size_t record_bytes = 0;
  auto fail = [&](std::string message) {
    if (record->error.empty()) {
      record->error = std::move(message);
      record->error_field = static_cast<int>(record->fields.size()) - 1;
    }
  };
  record->fields.emplace_back();
  bool quoted = false;       // inside a quoted field
  bool after_quote = false;  // the field's closing quote has been read
  for (;;) {
    if (!quoted && !after_quote && record->error.empty() && record_bytes < kMaxRecordBytes) {
      // The plain bytes up to the next comma, quote or line break are taken
      // at once; those characters go through Get() below.
      size_t n = 0;
      const size_t most = std::min(window_.size(), kMaxRecordBytes - record_bytes);
      while (n < most) {
        char ch = window_[n];
        if (ch == ',' || ch == '\n' || ch == '\r' || ch == '"') break;
        ++n;
      }
      record->fields.back().append(window_.data(), n);
      window_.remove_prefix(n);
      consumed_ += n;
      record_bytes += n;
    }
    int c = Get();
    if (c < 0) {
      if (quoted) fail("unterminated quoted field");
      break;
    }
    std::string& field = record->fields.back();
    if (++record_bytes > kMaxRecordBytes && record->error.empty()) {
      fail(absl::StrCat("record is longer than ", kMaxRecordBytes, " bytes"));
      quoted = false;  // resynchronise at the next line break
    }
    if (quoted) {
      if (c != '"') {
        if (record->error.empty()) field.push_back(static_cast<char>(c));
      } else if (Peek() == '"') {
        Get();
        field.push_back('"');
      } else {
        quoted = false;
        after_quote = true;
      }
      continue;
    }
    if (c == ',') {
      // Past the size limit the rest of the record is only skipped.
      if (record->error.empty()) record->fields.emplace_back();
      after_quote = false;
      continue;
    }
    if (c == '\n') break;
    if (c == '\r') {
      if (Peek() == '\n') Get();
      break;
    }
    if (after_quote) {
      fail("unexpected character after closing quote");
      continue;
    }
    if (c == '"') {
      if (field.empty()) {
        quoted = true;
      } else {
        fail("quote inside an unquoted field (quote the whole field and double the quote)");
      }
      continue;
    }
    if (record->error.empty()) field.push_back(static_cast<char>(c));
  }
  if (record->error.empty()) {
    for (size_t i = 0; i < record->fields.size(); ++i) {
      if (!IsValidUtf8(record->fields[i])) {
        record->error = "is not valid UTF-8";
        record->error_field = static_cast<int>(i);
        break;
      }
    }
  }
  return true;
}

bool IsValidUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t min;
    uint32_t value;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, value = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, value = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, value = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      value = (value << 6) | (p[i] & 0x3F);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

}  // namespace lmx
