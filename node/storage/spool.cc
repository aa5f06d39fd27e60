#include "node/storage/spool.h"

#include <filesystem>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "federation/base/status_macros.h"

namespace lmx {

void AppendSpoolRecord(std::string* out, absl::string_view key, absl::string_view value,
                       uint32_t tag) {
  char header[8];
  absl::little_endian::Store32(header, static_cast<uint32_t>(key.size()) | tag);
  absl::little_endian::Store32(header + 4, static_cast<uint32_t>(value.size()));
  out->append(header, sizeof header);
  out->append(key.data(), key.size());
  out->append(value.data(), value.size());
}

Spool::~Spool() {
  file_.reset();
  if (!path_.empty()) files_->Remove(path_).IgnoreError();
}

absl::Status Spool::Add(absl::string_view key, absl::string_view value, uint32_t tag) {
  if (key.size() >= kLogRecord) return absl::InvalidArgumentError("key too long");
  AppendSpoolRecord(&buffer_, key, value, tag);
  ++rows_;
  bytes_ += key.size() + value.size();
  if (tag == kLogRecord) ++log_records_;
  if (buffer_.size() < threshold_) return absl::OkStatus();
  // The spool, then the table files made of it: twice what is spooled.
  RETURN_IF_ERROR(guard_->Reserve(2 * buffer_.size(), "the batch being received"));
  if (file_ == nullptr) {
    auto file = files_->NewWritableFile(path_, 0600);
    if (!file.ok()) return guard_->Check(file.status());
    file_ = std::move(*file);
  }
  RETURN_IF_ERROR(guard_->Check(file_->Append(buffer_)));
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status Spool::Seal(const std::string& final_path) {
  if (!buffer_.empty()) RETURN_IF_ERROR(guard_->Check(file_->Append(buffer_)));
  buffer_.clear();
  RETURN_IF_ERROR(guard_->Check(file_->Sync()));
  RETURN_IF_ERROR(guard_->Check(file_->Close()));
  RETURN_IF_ERROR(files_->Rename(path_, final_path));
  // From here the store owns the spool: it removes it once the batch is
  // committed or undone, and keeps it for Open() when neither worked.
  path_.clear();
  return files_->SyncPath(std::filesystem::path(final_path).parent_path().string());
}

bool SpoolReader::Next(std::string* key, std::string* value, uint32_t* tag) {
  char header[8];
  if (!file_.ReadByte(header)) {
    if (file_.status().ok()) return false;
    return Fail();
  }
  if (!file_.ReadExactly(header + 1, sizeof header - 1)) return Fail();
  uint32_t key_size = absl::little_endian::Load32(header);
  *tag = key_size & kLogRecord;
  key->resize(key_size & ~kLogRecord);
  value->resize(absl::little_endian::Load32(header + 4));
  if (!file_.ReadExactly(key->data(), key->size()) ||
      !file_.ReadExactly(value->data(), value->size())) {
    return Fail();
  }
  ++records_;
  return true;
}

bool SpoolReader::Fail() {
  status_ = absl::DataLossError(absl::StrCat(
      "spool ", path_, " is truncated or unreadable after ", records_, " rows",
      file_.status().ok() ? "" : absl::StrCat(" (", file_.status().message(), ")")));
  return false;
}

}  // namespace lmx
