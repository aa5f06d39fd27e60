#include "federation/base/publish_rows.h"

#include "absl/strings/str_cat.h"

namespace lmx {

absl::StatusOr<CsvRecord> ReadPublishHeader(CsvReader& reader, const std::string& source) {
  CsvRecord record;
  if (!reader.Next(&record)) {
    if (!reader.status().ok()) {
      return absl::DataLossError(absl::StrCat(source, ": ", reader.status().message()));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the file is empty; expected a header row"));
  }
  if (!record.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", record.line, ": header: ", record.error,
                     record.error == "is not valid UTF-8" ? " (save the file as UTF-8 CSV)" : ""));
  }
  if (record.fields.size() == 1 && record.fields[0].find(';') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", record.line,
        ": header: the file seems to use ';' between columns; lmx reads comma-separated "
        "files (RFC 4180)"));
  }
  return record;
}

uint64_t ReadRowBatches(CsvReader& reader, const std::vector<std::string>& columns,
                        const std::function<v1::PublishRequest*()>& next,
                        const std::function<bool(v1::PublishRequest*)>& send) {
  CsvRecord record;
  uint64_t rows = 0;
  size_t bytes = 0;
  v1::PublishRequest* request = nullptr;
  bool open = true;
  while (open && reader.Next(&record)) {
    ++rows;
    if (request == nullptr) request = next();
    auto* row = request->mutable_rows()->add_rows();
    row->set_line(record.line);
    if (!record.error.empty()) {
      auto* malformed = row->mutable_malformed();
      bool known =
          record.error_field >= 0 && static_cast<size_t>(record.error_field) < columns.size();
      malformed->set_column(known ? columns[record.error_field] : "row");
      malformed->set_reason(record.error);
    } else {
      for (auto& field : record.fields) {
        bytes += field.size() + 2;
        row->add_fields(std::move(field));
      }
    }
    if (request->rows().rows_size() >= kPublishRowsPerMessage || bytes >= kPublishBytesPerMessage) {
      open = send(request);
      request = nullptr;
      bytes = 0;
    }
  }
  if (open && request != nullptr) send(request);
  return rows;
}

}  // namespace lmx
