#include "node/embargo.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/status_macros.h"
#include "node/storage.pb.h"
#include "node/timestamps.h"

namespace lmx {
namespace {

constexpr char kRows[] = ".rows";
constexpr char kRecord[] = ".embargo";

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status Sync(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Errno("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return absl::OkStatus();
}

// Writes `bytes` to `path` durably: a temporary file, synced, renamed.
absl::Status WriteDurably(const std::string& path, const std::string& bytes) {
  std::string partial = path + ".partial";
  FILE* file = std::fopen(partial.c_str(), "wb");
  if (file == nullptr) return Errno("create", partial);
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
            std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  ok = std::fclose(file) == 0 && ok;
  if (!ok) return Errno("write", partial);
  if (std::rename(partial.c_str(), path.c_str()) != 0) return Errno("rename", partial);
  return absl::OkStatus();
}

void PutVarint(FILE* file, uint64_t value) {
  while (value >= 0x80) {
    std::fputc(static_cast<int>((value & 0x7f) | 0x80), file);
    value >>= 7;
  }
  std::fputc(static_cast<int>(value), file);
}

bool GetVarint(FILE* file, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    int c = std::fgetc(file);
    if (c == EOF) return false;
    *value |= static_cast<uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return true;
  }
  return false;
}

v1::Release ReleaseOf(const internal::EmbargoRecord& record) {
  v1::Release release;
  release.set_id(record.id());
  release.set_dataset(static_cast<v1::Dataset>(record.batch().dataset()));
  release.set_source(record.batch().source());
  *release.mutable_release_at() = record.release_at();
  *release.mutable_stored_at() = record.stored_at();
  release.set_rows(record.batch().rows());
  release.set_observations(record.batch().observations());
  for (const auto& period : record.batch().periods()) release.add_periods(period);
  return release;
}

}  // namespace

// The rows of one embargoed batch, written to `<id>.rows` as they come.
class ReleaseCalendar::PendingBatch final : public Store::Batch {
 public:
  PendingBatch(ReleaseCalendar* calendar, std::string id, absl::Time release_at, FILE* file)
      : calendar_(calendar), id_(std::move(id)), release_at_(release_at), file_(file) {}

  ~PendingBatch() override {
    if (file_ != nullptr) std::fclose(file_);
    if (!committed_) std::remove(RowsPath().c_str());
  }

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    PutVarint(file_, key.size());
    std::fwrite(key.data(), 1, key.size(), file_);
    PutVarint(file_, value.size());
    if (std::fwrite(value.data(), 1, value.size(), file_) != value.size()) {
      return Errno("write", RowsPath());
    }
    ++rows_;
    return absl::OkStatus();
  }

  absl::Status PutLog(uint32_t, absl::string_view) override {
    return absl::FailedPreconditionError("an embargoed batch has no log entry");
  }

  absl::StatusOr<BatchInfo> Commit(const BatchInfo& meta) override {
    if (committed_) return absl::FailedPreconditionError("the batch is stored already");
    bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
    ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (!ok) return Errno("write", RowsPath());
    BatchInfo info = meta;
    info.origin = calendar_->country_;
    info.version = 0;
    info.published_at = release_at_;
    info.observations = rows_;
    info.release_id = id_;
    internal::EmbargoRecord record;
    record.set_id(id_);
    auto* batch = record.mutable_batch();
    batch->set_origin(info.origin);
    batch->set_dataset(info.dataset);
    batch->set_source(info.source);
    batch->set_rows(info.rows);
    batch->set_observations(info.observations);
    batch->set_classification(info.classification);
    batch->set_classification_version(info.classification_version);
    for (const auto& period : info.periods) batch->add_periods(period);
    *record.mutable_release_at() = ToTimestamp(release_at_);
    *record.mutable_stored_at() = ToTimestamp(absl::Now());
    std::string bytes = record.SerializeAsString();
    RETURN_IF_ERROR(WriteDurably(calendar_->dir_ + "/" + id_ + kRecord, bytes));
    RETURN_IF_ERROR(Sync(calendar_->dir_));
    committed_ = true;
    calendar_->Add(id_, bytes);
    return info;
  }

 private:
  std::string RowsPath() const { return calendar_->dir_ + "/" + id_ + kRows; }

  ReleaseCalendar* calendar_;
  std::string id_;
  absl::Time release_at_;
  FILE* file_;
  uint64_t rows_ = 0;
  bool committed_ = false;
};

ReleaseCalendar::ReleaseCalendar(std::string dir, std::string country, Store* store,
                                 std::function<absl::Status()> admit)
    : dir_(std::move(dir)), country_(std::move(country)), store_(store), admit_(std::move(admit)) {}

absl::StatusOr<std::unique_ptr<ReleaseCalendar>> ReleaseCalendar::Open(
    std::string dir, std::string country, Store* store, std::function<absl::Status()> admit) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("create ", dir, ": ", error.message()));
  std::unique_ptr<ReleaseCalendar> calendar(
      new ReleaseCalendar(std::move(dir), std::move(country), store, std::move(admit)));
  RETURN_IF_ERROR(calendar->Load());
  return calendar;
}

ReleaseCalendar::~ReleaseCalendar() { Stop(); }

absl::Status ReleaseCalendar::Load() {
  std::error_code error;
  std::vector<std::string> stray;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    std::string name = entry.path().filename().string();
    std::string path = entry.path().string();
    if (absl::EndsWith(name, kRecord)) {
      FILE* file = std::fopen(path.c_str(), "rb");
      if (file == nullptr) return Errno("open", path);
      std::string bytes;
      char buffer[4096];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, n);
      std::fclose(file);
      internal::EmbargoRecord record;
      if (!record.ParseFromString(bytes)) {
        return absl::DataLossError(absl::StrCat(path, ": not an embargo record"));
      }
      Add(record.id(), bytes);
    } else {
      stray.push_back(path);
    }
  }
  if (error) return absl::InternalError(absl::StrCat("list ", dir_, ": ", error.message()));
  // Rows whose record never made it (a crash while storing, or after a
  // release), and partial files.
  absl::MutexLock lock(&mu_);
  for (const auto& path : stray) {
    std::string name = std::filesystem::path(path).filename().string();
    std::string id = name.substr(0, name.find('.'));
    if (absl::EndsWith(name, kRows) && waiting_.count(id)) continue;
    std::remove(path.c_str());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store::Batch>> ReleaseCalendar::Begin(absl::Time release_at) {
  static std::atomic<uint32_t> counter{0};
  std::string id = absl::StrFormat(
      "r%s-%04x", absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone()),
      counter.fetch_add(1) & 0xffff);
  std::string path = dir_ + "/" + id + kRows;
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return Errno("create", path);
  return std::unique_ptr<Store::Batch>(new PendingBatch(this, id, release_at, file));
}

void ReleaseCalendar::Add(const std::string& id, const std::string& record_bytes) {
  absl::MutexLock lock(&mu_);
  waiting_[id] = record_bytes;
  ++changes_;
}

std::vector<v1::Release> ReleaseCalendar::Upcoming() const {
  std::vector<v1::Release> releases;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, bytes] : waiting_) {
      internal::EmbargoRecord record;
      record.ParseFromString(bytes);
      releases.push_back(ReleaseOf(record));
    }
  }
  std::sort(releases.begin(), releases.end(), [](const v1::Release& a, const v1::Release& b) {
    return std::make_pair(FromTimestamp(a.release_at()), a.id()) <
           std::make_pair(FromTimestamp(b.release_at()), b.id());
  });
  return releases;
}

void ReleaseCalendar::Remove(const std::string& id) {
  // The record first: rows without a record are removed at the next start.
  std::remove((dir_ + "/" + id + kRecord).c_str());
  std::remove((dir_ + "/" + id + kRows).c_str());
  Sync(dir_).IgnoreError();
  absl::MutexLock lock(&mu_);
  waiting_.erase(id);
  ++changes_;
}

absl::StatusOr<v1::Release> ReleaseCalendar::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> releasing(release_mu_);
  v1::Release release;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(id);
    if (it == waiting_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no embargoed batch '", id, "' is waiting (see lmx admin calendar)"));
    }
    internal::EmbargoRecord record;
    record.ParseFromString(it->second);
    release = ReleaseOf(record);
  }
  Remove(id);
  return release;
}

absl::StatusOr<uint64_t> ReleaseCalendar::Release(const std::string& id) {
  internal::EmbargoRecord record;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return uint64_t{0};  // cancelled meanwhile
    record.ParseFromString(it->second);
  }
  // Released already, and the node stopped before the files went.
  for (const BatchInfo& batch : store_->Catalog()->Batches(country_)) {
    if (batch.release_id == id) {
      Remove(id);
      return batch.version;
    }
  }
  if (admit_) RETURN_IF_ERROR(admit_());
  ASSIGN_OR_RETURN(auto batch, store_->Begin(country_));
  std::string path = dir_ + "/" + id + kRows;
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Errno("open", path);
  std::string key, value;
  uint64_t size = 0, rows = 0;
  absl::Status status;
  while (status.ok() && GetVarint(file, &size)) {
    key.resize(size);
    uint64_t value_size = 0;
    if (std::fread(key.data(), 1, size, file) != size || !GetVarint(file, &value_size)) break;
    value.resize(value_size);
    if (std::fread(value.data(), 1, value_size, file) != value_size) break;
    status = batch->Put(key, value);
    ++rows;
  }
  std::fclose(file);
  RETURN_IF_ERROR(status);
  if (rows != record.batch().observations()) {
    return absl::DataLossError(absl::StrCat(path, ": ", rows, " rows of ",
                                            record.batch().observations(), " are readable"));
  }
  BatchInfo meta;
  const auto& stored = record.batch();
  meta.dataset = stored.dataset();
  meta.source = stored.source();
  meta.rows = stored.rows();
  meta.classification = stored.classification();
  meta.classification_version = stored.classification_version();
  meta.periods.assign(stored.periods().begin(), stored.periods().end());
  meta.release_id = id;
  ASSIGN_OR_RETURN(BatchInfo info, batch->Commit(meta));
  Remove(id);
  return info.version;
}

absl::StatusOr<std::vector<uint64_t>> ReleaseCalendar::ReleaseDue(absl::Time now) {
  std::lock_guard<std::mutex> releasing(release_mu_);
  std::vector<uint64_t> versions;
  for (const v1::Release& release : Upcoming()) {
    if (FromTimestamp(release.release_at()) > now) break;
    ASSIGN_OR_RETURN(uint64_t version, Release(release.id()));
    if (version == 0) continue;
    std::cerr << "lmx-node: released " << release.id() << " (" << release.source()
              << ") as version " << version << "\n";
    versions.push_back(version);
  }
  return versions;
}

void ReleaseCalendar::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ReleaseCalendar::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ReleaseCalendar::Loop() {
  for (;;) {
    uint64_t seen;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      seen = changes_;
    }
    auto released = ReleaseDue(absl::Now());
    absl::Duration wait = absl::Minutes(1);
    if (!released.ok()) {
      std::cerr << "lmx-node: cannot release an embargoed batch yet: "
                << released.status().message() << "\n";
      wait = absl::Seconds(1);
    } else {
      auto upcoming = Upcoming();
      if (!upcoming.empty()) {
        wait = std::min(wait, FromTimestamp(upcoming.front().release_at()) - absl::Now());
      }
    }
    // Wakes at the next release time, or when the calendar changes.
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&changed), std::max(wait, absl::ZeroDuration()));
  }
}

}  // namespace lmx
