// Row errors as every ingest path reports them: `line, column, reason`,
// with hostile values cut short so that one error never costs megabytes.
#ifndef LMX_FEDERATION_BASE_ROW_ERRORS_H_
#define LMX_FEDERATION_BASE_ROW_ERRORS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lmx/v1/publish.pb.h"
#include "federation/base/csv_reader.h"

namespace lmx {

// At most `limit` bytes of `text`, cut at a character boundary, with "..."
// when cut.
inline std::string Shorten(absl::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "...");
}

// The longest field a row may have (the longest a dataset reads is a
// vacancy's skill list).
inline constexpr size_t kMaxFieldBytes = 32768;

// Checks a field as any program may have sent it, before anything reads or
// quotes it: its size, and that it is UTF-8.
inline absl::Status CheckFieldBytes(absl::string_view value) {
  if (value.size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError(absl::StrCat("is longer than ", kMaxFieldBytes, " bytes"));
  }
  if (!IsValidUtf8(value)) return absl::InvalidArgumentError("is not valid UTF-8");
  return absl::OkStatus();
}

inline v1::RowError MakeError(uint64_t line, absl::string_view column, absl::string_view reason) {
  v1::RowError error;
  error.set_line(line);
  error.set_column(Shorten(column, 64));
  error.set_reason(Shorten(reason, 300));
  return error;
}

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_ROW_ERRORS_H_
