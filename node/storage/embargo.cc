#include "node/storage/embargo.h"

#include <fcntl.h>
#include <sys/stat.h>
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
#include "federation/base/file_system.h"
#include "federation/base/files.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"
#include "node/storage/batch_catalog.h"
#include "node/storage/storage.pb.h"

namespace lmx {
namespace {

constexpr char kRows[] = ".rows";
constexpr char kRecord[] = ".embargo";

// FNV-1a, 64 bits: a checksum of the rows file, so that a damaged file is
// refused instead of published.
class Fnv1a {
 public:
  void Add(absl::string_view bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 0x100000001b3ULL;
  }
  uint64_t hash() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

void PutVarint(std::string* out, uint64_t value, Fnv1a* hash) {
  char bytes[10];
  size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out->append(bytes, n);
  hash->Add(absl::string_view(bytes, n));
}

bool GetVarint(BufferedReader* file, uint64_t* value, Fnv1a* hash) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    char byte;
    if (!file->ReadByte(&byte)) return false;
    const unsigned char c = static_cast<unsigned char>(byte);
    hash->Add(absl::string_view(&byte, 1));
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
  PendingBatch(ReleaseCalendar* calendar, std::string id, absl::Time release_at,
               std::unique_ptr<WritableFile> file)
      : calendar_(calendar), id_(std::move(id)), release_at_(release_at), file_(std::move(file)) {}

  ~PendingBatch() override {
    file_.reset();
    if (!committed_) calendar_->files_->Remove(RowsPath()).IgnoreError();
  }

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    RETURN_IF_ERROR(error_);
    PutVarint(&buffer_, key.size(), &hash_);
    buffer_.append(key.data(), key.size());
    hash_.Add(key);
    PutVarint(&buffer_, value.size(), &hash_);
    hash_.Add(value);
    buffer_.append(value.data(), value.size());
    ++rows_;
    return buffer_.size() < kBufferBytes ? absl::OkStatus() : Flush();
  }

  absl::Status PutLog(uint32_t, absl::string_view) override {
    return absl::FailedPreconditionError("an embargoed batch has no log entry");
  }

  absl::StatusOr<BatchInfo> Commit(const BatchInfo& meta) override {
    if (committed_) return absl::FailedPreconditionError("the batch is stored already");
    RETURN_IF_ERROR(error_);
    RETURN_IF_ERROR(Flush());
    RETURN_IF_ERROR(file_->Sync());
    RETURN_IF_ERROR(file_->Close());
    BatchInfo info = meta;
    info.origin = calendar_->country_;
    info.version = 0;
    info.published_at = release_at_;
    info.observations = rows_;
    info.release_id = id_;
    internal::EmbargoRecord record;
    record.set_id(id_);
    *record.mutable_batch() = ToBatchRecord(info);
    *record.mutable_release_at() = ToTimestamp(release_at_);
    *record.mutable_stored_at() = ToTimestamp(calendar_->store_->clock()->Now());
    record.set_rows_hash(hash_.hash());
    std::string bytes = record.SerializeAsString();
    const std::string record_path = calendar_->dir_ + "/" + id_ + kRecord;
    FileSystem* files = calendar_->files_;
    RETURN_IF_ERROR(WriteFileAtomically(files, record_path, bytes, 0600));
    if (absl::Status synced = files->SyncPath(calendar_->dir_); !synced.ok()) {
      // Not acknowledged, so not kept: no record may outlive its rows.
      files->Remove(record_path).IgnoreError();
      return synced;
    }
    committed_ = true;
    calendar_->Add(id_, bytes);
    return info;
  }

 private:
  std::string RowsPath() const { return calendar_->dir_ + "/" + id_ + kRows; }
  // Writes the buffered rows. A failure sticks: rows already counted and
  // hashed are lost, so the batch can only fail from then on.
  absl::Status Flush() {
    if (error_.ok()) error_ = file_->Append(buffer_);
    buffer_.clear();
    return error_;
  }

  static constexpr size_t kBufferBytes = 1 << 20;
  ReleaseCalendar* calendar_;
  std::string id_;
  absl::Time release_at_;
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  absl::Status error_;  // the first write that failed
  uint64_t rows_ = 0;
  Fnv1a hash_;
  bool committed_ = false;
};

ReleaseCalendar::ReleaseCalendar(std::string dir, std::string country, Store* store,
                                 std::function<absl::Status()> admit)
    : dir_(std::move(dir)),
      country_(std::move(country)),
      store_(store),
      files_(store->files()),
      admit_(std::move(admit)) {}

absl::StatusOr<std::unique_ptr<ReleaseCalendar>> ReleaseCalendar::Open(
    std::string dir, std::string country, Store* store, std::function<absl::Status()> admit) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("create ", dir, ": ", error.message()));
  // Figures under embargo are for the node's eyes only.
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, error);
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
      ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(files_, path));
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
  {
    absl::MutexLock lock(&mu_);
    for (const auto& path : stray) {
      std::string name = std::filesystem::path(path).filename().string();
      std::string id = name.substr(0, name.find('.'));
      if (absl::EndsWith(name, kRows) && waiting_.count(id)) continue;
      files_->Remove(path).IgnoreError();
    }
  }
  // Batches released just before a crash, whose files were still there.
  for (const BatchInfo& batch : store_->Catalog()->Batches(country_)) {
    if (batch.release_id.empty()) continue;
    bool waiting;
    {
      absl::MutexLock lock(&mu_);
      waiting = waiting_.count(batch.release_id) > 0;
    }
    if (waiting) RETURN_IF_ERROR(Remove(batch.release_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store::Batch>> ReleaseCalendar::Begin(absl::Time release_at) {
  static std::atomic<uint32_t> counter{0};
  // The time to the microsecond and a counter; created exclusively, so a
  // node restarted within the same microsecond cannot reuse a waiting id.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const absl::Time now = store_->clock()->Now();
    const int64_t micros =
        absl::ToInt64Microseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)));
    std::string id =
        absl::StrFormat("r%s%06d-%x", absl::FormatTime("%Y%m%dT%H%M%S", now, absl::UTCTimeZone()),
                        micros, counter.fetch_add(1));
    std::string path = dir_ + "/" + id + kRows;
    auto file = files_->NewWritableFile(path, 0600, /*exclusive=*/true);
    if (absl::IsAlreadyExists(file.status())) continue;
    if (!file.ok()) return file.status();
    return std::unique_ptr<Store::Batch>(new PendingBatch(this, id, release_at, std::move(*file)));
  }
  return absl::InternalError(absl::StrCat("cannot make a new embargo id in ", dir_));
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
      auto failed = failed_.find(id);
      if (failed != failed_.end()) releases.back().set_error(failed->second);
    }
  }
  std::sort(releases.begin(), releases.end(), [](const v1::Release& a, const v1::Release& b) {
    return std::make_pair(FromTimestamp(a.release_at()), a.id()) <
           std::make_pair(FromTimestamp(b.release_at()), b.id());
  });
  return releases;
}

absl::Status ReleaseCalendar::Remove(const std::string& id) {
  // The record first: rows without a record are removed at the next start.
  const std::string record = dir_ + "/" + id + kRecord;
  RETURN_IF_ERROR(files_->Remove(record));
  files_->Remove(dir_ + "/" + id + kRows).IgnoreError();
  RETURN_IF_ERROR(files_->SyncPath(dir_));
  absl::MutexLock lock(&mu_);
  waiting_.erase(id);
  failed_.erase(id);
  ++changes_;
  return absl::OkStatus();
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
  RETURN_IF_ERROR(Remove(id));
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
      RETURN_IF_ERROR(Remove(id));
      return batch.version;
    }
  }
  ASSIGN_OR_RETURN(auto batch, store_->Begin(country_));
  std::string path = dir_ + "/" + id + kRows;
  ASSIGN_OR_RETURN(const uint64_t file_size, files_->FileSize(path));
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> opened, files_->NewSequentialFile(path));
  BufferedReader reader(std::move(opened));
  BufferedReader* file = &reader;
  // Sizes are checked against what the file holds before anything is
  // allocated, and the checksum before anything is committed.
  uint64_t left = file_size;
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(path, ": ", what, "; the batch is not published"));
  };
  Fnv1a hash;
  std::string key, value;
  uint64_t size = 0, rows = 0;
  absl::Status status;
  while (status.ok() && GetVarint(file, &size, &hash)) {
    uint64_t value_size = 0;
    if (size > left) {
      status = damaged("a key runs past the end of the file");
      break;
    }
    key.resize(size);
    if (!file->ReadExactly(key.data(), size)) {
      status = damaged("a row is cut short");
      break;
    }
    hash.Add(key);
    if (!GetVarint(file, &value_size, &hash) || value_size > left) {
      status = damaged("a row is cut short");
      break;
    }
    value.resize(value_size);
    if (!file->ReadExactly(value.data(), value_size)) {
      status = damaged("a row is cut short");
      break;
    }
    hash.Add(value);
    status = batch->Put(key, value);
    ++rows;
  }
  if (!reader.status().ok()) return reader.status();
  RETURN_IF_ERROR(status);
  if (rows != record.batch().observations()) {
    return damaged(absl::StrCat(rows, " rows of ", record.batch().observations(), " are readable"));
  }
  if (hash.hash() != record.rows_hash()) return damaged("its checksum does not match");
  // As stored; the commit gives it its version and time.
  BatchInfo meta = FromBatchRecord(record.batch());
  meta.release_id = id;
  ASSIGN_OR_RETURN(BatchInfo info, batch->Commit(meta));
  // Committed: if the files cannot go now, the next start sees the batch
  // in the store and removes them.
  Remove(id).IgnoreError();
  return info.version;
}

absl::StatusOr<std::vector<uint64_t>> ReleaseCalendar::ReleaseDue(absl::Time now) {
  std::lock_guard<std::mutex> releasing(release_mu_);
  // The node may not publish at all now (it catches up on its own log):
  // every release waits.
  if (admit_) RETURN_IF_ERROR(admit_());
  std::vector<uint64_t> versions;
  absl::Status first_error;
  for (const v1::Release& release : Upcoming()) {
    if (FromTimestamp(release.release_at()) > now) break;
    auto version = Release(release.id());
    if (!version.ok()) {
      // One batch that cannot be released holds back no other.
      std::cerr << "lmx-node: cannot release " << release.id() << " (" << release.source()
                << "): " << version.status().message() << "\n";
      absl::MutexLock lock(&mu_);
      failed_[release.id()] = std::string(version.status().message());
      if (first_error.ok()) first_error = version.status();
      continue;
    }
    if (*version == 0) continue;
    std::cerr << "lmx-node: released " << release.id() << " (" << release.source()
              << ") as version " << *version << "\n";
    versions.push_back(*version);
  }
  if (!first_error.ok()) return first_error;
  return versions;
}

absl::Status ReleaseCalendar::Backup(const std::string& to,
                                     const std::function<absl::Status()>& then,
                                     std::vector<std::string>* records) {
  namespace fs = std::filesystem;
  std::lock_guard<std::mutex> releasing(release_mu_);
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, bytes] : waiting_) ids.push_back(id);
  }
  RETURN_IF_ERROR(files_->CreateDirectories(to, 0700));
  for (const std::string& id : ids) {
    for (const char* suffix : {kRecord, kRows}) {
      RETURN_IF_ERROR(CopyFile(files_, dir_ + "/" + id + suffix, to + "/" + id + suffix, 0600));
    }
    records->push_back(id + kRecord);
  }
  RETURN_IF_ERROR(files_->SyncPath(to));
  return then();
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
  std::string last_said;
  for (;;) {
    uint64_t seen;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      seen = changes_;
    }
    const Clock* clock = store_->clock();
    auto released = ReleaseDue(clock->Now());
    absl::Duration wait = absl::Minutes(1);
    if (absl::Status admitted = admit_ ? admit_() : absl::OkStatus(); !admitted.ok()) {
      // The node catches up on its own log (or is read-only): every release
      // waits, briefly. Said once per reason.
      std::string said = absl::StrCat("cannot release embargoed batches yet: ", admitted.message());
      if (said != last_said) std::cerr << "lmx-node: " << said << "\n";
      last_said = said;
      wait = absl::Seconds(1);
    } else {
      last_said.clear();
    }
    // The next batch due that has not failed; failed ones once a minute.
    for (const v1::Release& release : Upcoming()) {
      if (!release.error().empty()) continue;
      wait = std::min(wait, FromTimestamp(release.release_at()) - clock->Now());
      break;
    }
    // Wakes at the next release time, or when the calendar changes.
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != seen; };
    clock->AwaitWithTimeout(&mu_, absl::Condition(&changed), std::max(wait, absl::ZeroDuration()));
  }
}

}  // namespace lmx
