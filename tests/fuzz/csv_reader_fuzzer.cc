// libFuzzer target: the CSV reader over any bytes. Every record must come
// back with fields or an error, never a crash, and records must stay within
// the reader's size limit.
#include <cstdint>
#include <cstdlib>

#include "federation/base/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader =
      lmx::CsvReader::FromString(absl::string_view(reinterpret_cast<const char*>(data), size));
  lmx::CsvRecord record;
  uint64_t last_line = 0;
  while (reader->Next(&record)) {
    if (record.line < last_line) std::abort();  // lines only go forward
    last_line = record.line;
    size_t bytes = 0;
    for (const auto& field : record.fields) bytes += field.size();
    if (record.error.empty() && bytes > lmx::CsvReader::kMaxRecordBytes) std::abort();
    if (record.error.empty()) {
      for (const auto& field : record.fields) {
        if (!lmx::IsValidUtf8(field)) std::abort();  // only UTF-8 passes
      }
    }
  }
  return 0;
}
