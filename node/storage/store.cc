#include "node/storage/store.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include "absl/base/internal/endian.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "federation/base/file_system.h"
#include "node/storage/spool.h"
#include "federation/base/files.h"
#include "federation/classifications/time_period.h"
#include "node/storage/batch_catalog.h"
#include "federation/base/status_macros.h"
#include "node/storage/storage.pb.h"
#include "federation/base/timestamps.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_manager.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace lmx {
namespace {

namespace fs = std::filesystem;

constexpr char kObservations[] = "observations";
constexpr char kBatches[] = "batches";
constexpr char kLog[] = "log";
constexpr char kLogHash[] = "loghash";
constexpr char kAudit[] = "audit";
constexpr size_t kHashBytes = 32;
// A batch is kept in memory up to StoreOptions::spool_threshold, then
// spooled to a file; a spooled batch is applied in blocks of
// StoreOptions::apply_block, each one or two table files.
// A block of at least this many rows is written to two table files at once.
constexpr size_t kParallelTableRows = 100000;
constexpr size_t kVersionBytes = 8;
constexpr size_t kOriginBytes = 3;

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", status.ToString()));
}

// Versions are stored inverted so that the newest version of a key sorts
// first and a forward scan meets it before the older ones.
void AppendVersion(std::string* key, uint64_t version) {
  char bytes[kVersionBytes];
  absl::big_endian::Store64(bytes, ~version);
  key->append(bytes, kVersionBytes);
}

uint64_t VersionOf(absl::string_view physical_key) {
  return ~absl::big_endian::Load64(physical_key.data() + physical_key.size() - kVersionBytes);
}

std::string BatchKey(absl::string_view origin, uint64_t version) {
  std::string key(origin);
  char bytes[kVersionBytes];
  absl::big_endian::Store64(bytes, version);
  key.append(bytes, kVersionBytes);
  return key;
}

// Log chunks: origin, version, chunk number (big-endian), in order.
std::string LogKey(absl::string_view origin, uint64_t version, uint32_t chunk) {
  std::string key = BatchKey(origin, version);
  char bytes[4];
  absl::big_endian::Store32(bytes, chunk);
  key.append(bytes, 4);
  return key;
}

// Audit records: microseconds since the epoch, big-endian.
std::string AuditKey(uint64_t micros) {
  char bytes[8];
  absl::big_endian::Store64(bytes, micros);
  return std::string(bytes, 8);
}

std::string ChunkNumber(uint32_t chunk) {
  char bytes[4];
  absl::big_endian::Store32(bytes, chunk);
  return std::string(bytes, 4);
}

class RocksStore;

class RocksBatch : public Store::Batch {
 public:
  RocksBatch(RocksStore* store, std::string origin, std::string spool_path,
             std::unique_ptr<Store::BatchObserver> observer);

  absl::Status Put(absl::string_view key, absl::string_view value) override {
    RETURN_IF_ERROR(Add(key, value, 0));
    if (observer_ != nullptr) observer_->Put(key, value);
    return absl::OkStatus();
  }
  absl::Status PutLog(uint32_t chunk, absl::string_view signed_chunk) override {
    return Add(ChunkNumber(chunk), signed_chunk, kLogRecord);
  }
  absl::StatusOr<BatchInfo> Commit(const BatchInfo& meta) override;

  const std::string& origin() const { return origin_; }
  Store::BatchObserver* observer() const { return observer_.get(); }
  // Records put: rows and log chunks.
  uint64_t rows() const { return spool_.rows(); }
  // Bytes put, keys and values.
  uint64_t bytes() const { return spool_.bytes(); }
  uint64_t log_records() const { return spool_.log_records(); }
  // In-memory rows, when the batch never spilled to a file.
  const std::string& buffer() const { return spool_.buffer(); }
  bool spilled() const { return spool_.spilled(); }
  // Flushes and syncs the spool file, and renames it to `final_path`.
  absl::Status SealSpool(const std::string& final_path) { return spool_.Seal(final_path); }

 private:
  absl::Status Add(absl::string_view key, absl::string_view value, uint32_t tag) {
    if (committed_) return absl::FailedPreconditionError("batch already committed");
    return spool_.Add(key, value, tag);
  }

  RocksStore* store_;
  std::string origin_;
  Spool spool_;
  std::unique_ptr<Store::BatchObserver> observer_;
  bool committed_ = false;
};

class RocksStore : public Store {
 public:
  RocksStore(std::string dir, const StoreOptions& options, std::unique_ptr<DiskGuard> guard,
             std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : dir_(std::move(dir)),
        clock_(options.clock),
        files_(options.files),
        spool_threshold_(options.spool_threshold),
        apply_block_(options.apply_block),
        spool_dir_(dir_ + "/spool"),
        guard_(std::move(guard)),
        env_(std::move(env)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        catalog_(std::make_shared<BatchCatalog>()) {
    // What a full disk held back (log entries, above all) is made as soon
    // as it heals.
    guard_->OnWritable([this] { Notify(); });
  }

  ~RocksStore() override {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    // A log write still waiting for room gives up: the process ends. The
    // monitor, which tells this store's listeners, ends first.
    guard_->Join();
    db_.reset();
  }

  DiskGuard* disk() const override { return guard_.get(); }
  const Clock* clock() const override { return clock_; }
  FileSystem* files() const override { return files_; }
  size_t spool_threshold() const { return spool_threshold_; }
  DiskGuard* guard() { return guard_.get(); }

  void SetCommitGate(std::function<absl::Status()> gate) override {
    std::lock_guard<std::mutex> commit_lock(commit_mu_);
    gate_ = std::move(gate);
  }

  absl::Status Recover();
  // Records `owner` in a new store, or checks it against the recorded one.
  absl::Status ClaimOwner(absl::string_view owner);

  absl::StatusOr<std::unique_ptr<Batch>> Begin(absl::string_view origin) override {
    if (origin.size() != kOriginBytes) {
      return absl::InvalidArgumentError(absl::StrCat("'", origin, "' is not a country code"));
    }
    std::string path;
    RETURN_IF_ERROR(guard_->Writable());
    {
      absl::MutexLock lock(&mu_);
      if (!broken_.ok()) return broken_;
      path = absl::StrCat(spool_dir_, "/", origin, "-", ++spool_counter_, ".tmp");
    }
    std::unique_ptr<BatchObserver> observer;
    {
      absl::ReaderMutexLock lock(&listeners_mu_);
      if (make_observer_) observer = make_observer_(origin);
    }
    return std::unique_ptr<Batch>(
        new RocksBatch(this, std::string(origin), path, std::move(observer)));
  }

  std::shared_ptr<const BatchCatalog> Catalog() const override {
    absl::MutexLock lock(&mu_);
    return catalog_;
  }

  absl::Status Scan(absl::string_view begin, absl::string_view end, const VersionLimits& limits,
                    const std::function<bool(const StoredValue&)>& visit) const override;
  absl::StatusOr<Found> Get(absl::string_view key, const VersionLimits& limits) const override;

  absl::StatusOr<BatchInfo> CommitBatch(RocksBatch* batch, const BatchInfo& meta);

  absl::Status AppendLog(absl::string_view origin, uint64_t version,
                         const std::vector<std::string>& chunks, const std::string& hash) override;
  absl::Status ReadLog(absl::string_view origin, uint64_t version,
                       const std::function<bool(absl::string_view)>& visit) const override;
  absl::StatusOr<std::string> ReadLogChunk(absl::string_view origin, uint64_t version,
                                           uint32_t chunk) const override {
    std::string value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), log(), LogKey(origin, version, chunk), &value);
    if (status.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("no chunk ", chunk, " of ", origin, " ", version));
    }
    RETURN_IF_ERROR(FromRocks(status, "read log"));
    return value;
  }
  uint64_t LogHead(absl::string_view origin) const override {
    absl::MutexLock lock(&mu_);
    auto it = hashes_.find(origin);
    return it == hashes_.end() ? 0 : it->second.size();
  }
  absl::StatusOr<std::string> LogHash(absl::string_view origin, uint64_t version) const override {
    if (version == 0) return std::string(kHashBytes, '\0');
    absl::MutexLock lock(&mu_);
    auto it = hashes_.find(origin);
    if (it == hashes_.end() || version > it->second.size()) {
      return absl::NotFoundError(absl::StrCat("no log entry ", origin, " ", version));
    }
    return it->second[version - 1];
  }
  VersionLimits LogHeads() const override {
    absl::MutexLock lock(&mu_);
    VersionLimits heads;
    for (const auto& [origin, hashes] : hashes_) heads[origin] = hashes.size();
    return heads;
  }
  void SetBatchObserver(ObserverFactory make) override {
    absl::WriterMutexLock lock(&listeners_mu_);
    make_observer_ = std::move(make);
  }
  int AddListener(std::function<void()> listener) override {
    absl::WriterMutexLock lock(&listeners_mu_);
    listeners_.emplace_back(++listener_ids_, std::move(listener));
    return listener_ids_;
  }
  // Waits for notifications under way, so a removed listener is never
  // called again once this returns.
  void RemoveListener(int id) override {
    absl::WriterMutexLock lock(&listeners_mu_);
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [&](const auto& listener) { return listener.first == id; }),
                     listeners_.end());
  }
  absl::StatusOr<std::string> GetMeta(absl::string_view key) const override {
    std::string value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
    if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("no ", key));
    RETURN_IF_ERROR(FromRocks(status, "read"));
    return value;
  }
  absl::Status PutMeta(absl::string_view key, absl::string_view value) override {
    RETURN_IF_ERROR(guard_->Reserve(key.size() + value.size(), "a record of the node"));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return guard_->Check(FromRocks(db_->Put(sync, rocksdb::Slice(key.data(), key.size()),
                                            rocksdb::Slice(value.data(), value.size())),
                                   "write"));
  }
  absl::Status ScanMeta(absl::string_view prefix,
                        const std::function<void(absl::string_view, absl::string_view)>& visit)
      const override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Next()) {
      visit(absl::string_view(it->key().data(), it->key().size()),
            absl::string_view(it->value().data(), it->value().size()));
    }
    return FromRocks(it->status(), "read");
  }
  absl::Status ResetOrigin(absl::string_view origin) override;

  absl::StatusOr<VersionLimits> Checkpoint(const std::string& dir) override {
    // Between two commits: a spooled batch half applied would be in the
    // copy without the spool that undoes it.
    std::lock_guard<std::mutex> commit_lock(commit_mu_);
    RETURN_IF_ERROR(guard_->Reserve(0, "a backup"));
    rocksdb::Checkpoint* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    RETURN_IF_ERROR(
        FromRocks(checkpoint->CreateCheckpoint(dir), absl::StrCat("checkpoint into ", dir)));
    return Catalog()->Latest();
  }

  EngineStats Stats() const override {
    EngineStats stats;
    auto sum = [&](const char* property) {
      uint64_t value = 0;
      return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
    };
    auto whole = [&](const char* property) {
      uint64_t value = 0;
      return db_->GetIntProperty(property, &value) ? value : 0;
    };
    stats.table_bytes = sum("rocksdb.total-sst-files-size");
    stats.memtable_bytes = sum("rocksdb.cur-size-all-mem-tables");
    for (auto* handle : handles_) {
      std::string files;
      uint64_t count = 0;
      if (db_->GetProperty(handle, "rocksdb.num-files-at-level0", &files) &&
          absl::SimpleAtoi(files, &count)) {
        stats.level0_files += count;
      }
    }
    stats.compaction_pending = sum("rocksdb.compaction-pending");
    stats.running_compactions = whole("rocksdb.num-running-compactions");
    stats.running_flushes = whole("rocksdb.num-running-flushes");
    stats.pending_compaction_bytes = sum("rocksdb.estimate-pending-compaction-bytes");
    return stats;
  }

  absl::Status AppendAudit(absl::string_view record) override {
    absl::MutexLock lock(&audit_mu_);
    if (last_audit_ == 0) {
      // Keys are microseconds since the epoch, big-endian, made unique by
      // stepping past the last key when the clock has not moved on.
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit()));
      it->SeekToLast();
      if (it->Valid() && it->key().size() == 8)
        last_audit_ = absl::big_endian::Load64(it->key().data());
    }
    uint64_t now = static_cast<uint64_t>(absl::ToUnixMicros(clock_->Now()));
    last_audit_ = std::max(now, last_audit_ + 1);
    std::string key = AuditKey(last_audit_);
    RETURN_IF_ERROR(guard_->Reserve(record.size(), "the audit log"));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return guard_->Check(
        FromRocks(db_->Put(sync, audit(), key, rocksdb::Slice(record.data(), record.size())),
                  "write the audit log"));
  }
  absl::Status ReadAudit(absl::Time since,
                         const std::function<bool(absl::string_view)>& visit) const override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit()));
    std::string from =
        AuditKey(static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMicros(since))));
    for (it->Seek(from); it->Valid(); it->Next()) {
      if (!visit(absl::string_view(it->value().data(), it->value().size()))) break;
    }
    return FromRocks(it->status(), "read the audit log");
  }

 private:
  rocksdb::ColumnFamilyHandle* observations() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* batches() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* log() const { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* log_hashes() const { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* audit() const { return handles_[5]; }

  // Records a new log hash and tells the listener.
  void AddHash(const std::string& origin, uint64_t version, std::string hash);
  void Notify() const {
    absl::ReaderMutexLock lock(&listeners_mu_);
    for (const auto& listener : listeners_) listener.second();
  }

  absl::Status LoadCatalog();
  // Removes the rows of an uncommitted spooled batch that a crash left
  // behind.
  absl::Status UndoSpool(const std::string& path, absl::string_view origin, uint64_t version);
  // Applies a sealed spool at `version`: each block of it becomes a sorted
  // table file ingested into the observations (no WAL, memtable or flush
  // for the rows), its log chunks an unsynced write. The last block's log
  // chunks go to `commit`, which adds the batch record and writes it.
  absl::Status ApplySpool(const std::string& path, absl::string_view origin, uint64_t version,
                          uint64_t expected_rows,
                          const std::function<absl::Status(rocksdb::WriteBatch*)>& commit);
  // The observation rows of spool records, with their keys as stored (the
  // version appended), in key order.
  struct SpooledRows {
    struct Row {
      absl::string_view key, value;
    };
    std::vector<Row> rows;
    std::string keys;  // what the rows' keys point into
  };
  // Reads the whole records at the start of `records` (spool format): log
  // chunks go to `log_write` at `version`, rows to `rows`, sorted by key
  // (stably: a key put twice keeps its last value last). Returns the bytes
  // they take, and adds their number to `count`; a record cut by the end of
  // `records` is left for the caller. `rows` points into `records`.
  size_t ReadRecords(absl::string_view records, absl::string_view origin, uint64_t version,
                     rocksdb::WriteBatch* log_write, SpooledRows* rows,
                     uint64_t* count = nullptr) const;
  // Writes `rows` to table files named `prefix`.N.sst and ingests them into
  // the observations; of a key put twice, the last value is kept.
  absl::Status IngestRows(const SpooledRows& rows, const std::string& prefix);

  const std::string dir_;
  const Clock* const clock_;
  FileSystem* const files_;
  const size_t spool_threshold_;
  const size_t apply_block_;
  const std::string spool_dir_;
  // Declared before the database, which writes through them, so that they
  // outlive it.
  std::unique_ptr<DiskGuard> guard_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // Serialises commits, so versions of an origin are gap-free and in order.
  std::mutex commit_mu_;
  std::function<absl::Status()> gate_;  // guarded by commit_mu_
  mutable absl::Mutex mu_;
  absl::Mutex audit_mu_;
  uint64_t last_audit_ ABSL_GUARDED_BY(audit_mu_) = 0;
  std::shared_ptr<const BatchCatalog> catalog_ ABSL_GUARDED_BY(mu_);
  uint64_t spool_counter_ ABSL_GUARDED_BY(mu_) = 0;
  // Per origin, the log hash after each version (index version - 1).
  absl::flat_hash_map<std::string, std::vector<std::string>> hashes_ ABSL_GUARDED_BY(mu_);
  // Listeners run under a reader lock of their own (they must not block or
  // add listeners), never under mu_.
  mutable absl::Mutex listeners_mu_;
  std::vector<std::pair<int, std::function<void()>>> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int listener_ids_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  ObserverFactory make_observer_ ABSL_GUARDED_BY(listeners_mu_);
  // Set when a failed batch could not be undone; refuses further writes.
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
};

RocksBatch::RocksBatch(RocksStore* store, std::string origin, std::string spool_path,
                       std::unique_ptr<Store::BatchObserver> observer)
    : store_(store),
      origin_(std::move(origin)),
      spool_(store->files(), store->guard(), std::move(spool_path), store->spool_threshold()),
      observer_(std::move(observer)) {}

absl::StatusOr<BatchInfo> RocksBatch::Commit(const BatchInfo& meta) {
  if (committed_) return absl::FailedPreconditionError("batch already committed");
  ASSIGN_OR_RETURN(BatchInfo info, store_->CommitBatch(this, meta));
  committed_ = true;
  // A large batch leaves hundreds of MB of freed rows, messages and
  // buffers in glibc's heaps, which keep them from the system unless asked
  // (a 2M-observation catch-up: 379 MB RSS after, 131 MB trimmed).
  if (spilled()) malloc_trim(0);
  return info;
}

size_t RocksStore::ReadRecords(absl::string_view records, absl::string_view origin,
                               uint64_t version, rocksdb::WriteBatch* log_write, SpooledRows* rows,
                               uint64_t* count) const {
  rows->rows.clear();
  rows->keys.clear();
  // Keys are sorted as stored, with the version: a logical key that is a
  // prefix of another need not sort before it then.
  std::vector<std::pair<uint32_t, uint32_t>> keys;  // in rows->keys: offset, size
  size_t at = 0;
  while (records.size() - at >= 8) {
    uint32_t tagged = absl::little_endian::Load32(records.data() + at);
    uint32_t key_size = tagged & ~kLogRecord;
    uint32_t value_size = absl::little_endian::Load32(records.data() + at + 4);
    if (records.size() - at - 8 < static_cast<uint64_t>(key_size) + value_size) break;
    absl::string_view value = records.substr(at + 8 + key_size, value_size);
    if (tagged & kLogRecord) {
      log_write->Put(log(),
                     LogKey(origin, version, absl::big_endian::Load32(records.data() + at + 8)),
                     rocksdb::Slice(value.data(), value.size()));
    } else {
      keys.emplace_back(rows->keys.size(), key_size + kVersionBytes);
      rows->keys.append(records.data() + at + 8, key_size);
      AppendVersion(&rows->keys, version);
      rows->rows.push_back({{}, value});
    }
    at += 8 + key_size + value_size;
    if (count != nullptr) ++*count;
  }
  // In key order, the memtable's skip list inserts a key next to the one
  // before it, far faster than at a random place, and a table file needs it.
  // Files often come in key order already; checking costs one pass.
  for (size_t i = 0; i < keys.size(); ++i) {
    rows->rows[i].key = absl::string_view(rows->keys).substr(keys[i].first, keys[i].second);
  }
  auto by_key = [](const SpooledRows::Row& a, const SpooledRows::Row& b) { return a.key < b.key; };
  if (!std::is_sorted(rows->rows.begin(), rows->rows.end(), by_key)) {
    std::stable_sort(rows->rows.begin(), rows->rows.end(), by_key);
  }
  return at;
}

absl::Status RocksStore::IngestRows(const SpooledRows& spooled, const std::string& prefix) {
  const auto& rows = spooled.rows;
  if (rows.empty()) return absl::OkStatus();
  // A large block is cut into two key ranges, written to two files at once
  // (the commit has both cores to itself) and ingested together.
  std::vector<size_t> bounds = {0};
  if (rows.size() >= kParallelTableRows) {
    size_t middle = rows.size() / 2;
    // A key's puts stay in one file, where the last one wins.
    while (middle < rows.size() && rows[middle].key == rows[middle - 1].key) ++middle;
    if (middle < rows.size()) bounds.push_back(middle);
  }
  bounds.push_back(rows.size());
  const size_t files = bounds.size() - 1;
  std::vector<std::string> paths;
  for (size_t file = 0; file < files; ++file)
    paths.push_back(absl::StrCat(prefix, ".", file, ".sst"));
  const rocksdb::Options options = db_->GetOptions(observations());
  auto write_file = [&](size_t file) -> absl::Status {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, observations());
    RETURN_IF_ERROR(FromRocks(writer.Open(paths[file]), "create table file"));
    for (size_t i = bounds[file]; i < bounds[file + 1]; ++i) {
      // A table file holds each key once: the last value put wins, as it
      // would in a write batch.
      if (i + 1 < bounds[file + 1] && rows[i + 1].key == rows[i].key) continue;
      RETURN_IF_ERROR(
          FromRocks(writer.Put(rocksdb::Slice(rows[i].key.data(), rows[i].key.size()),
                               rocksdb::Slice(rows[i].value.data(), rows[i].value.size())),
                    "write table file"));
    }
    return FromRocks(writer.Finish(), "finish table file");
  };
  // Nothing may escape a thread (std::terminate), nor the store.
  auto write = [&](size_t file) -> absl::Status {
    try {
      return write_file(file);
    } catch (const std::exception& error) {
      return absl::InternalError(absl::StrCat("write table file: ", error.what()));
    }
  };
  std::vector<absl::Status> written(files);
  std::thread helper;
  if (files > 1) {
    try {
      helper = std::thread([&] { written[1] = write(1); });
    } catch (const std::system_error&) {
      written[1] = write(1);  // no thread to spare: one after the other
    }
  }
  written[0] = write(0);
  if (helper.joinable()) helper.join();
  absl::Status status;
  for (const absl::Status& file : written) status.Update(file);
  if (status.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    status = FromRocks(db_->IngestExternalFile(observations(), paths, ingest), "ingest batch");
  }
  // Left behind when writing or ingesting failed.
  for (const std::string& file : paths) std::remove(file.c_str());
  return status;
}

absl::StatusOr<BatchInfo> RocksStore::CommitBatch(RocksBatch* batch, const BatchInfo& meta) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!broken_.ok()) return broken_;
  }
  if (!meta.replicated && gate_) RETURN_IF_ERROR(gate_());
  // The rows go to the write-ahead log, or from the spool (on disk already)
  // to table files: room for the batch once more, besides the reserve.
  RETURN_IF_ERROR(guard_->Reserve(batch->bytes() + 4096, "the batch"));
  BatchInfo info = meta;
  info.origin = batch->origin();
  info.observations = batch->rows() - batch->log_records();
  auto latest = Catalog()->Latest();
  auto it = latest.find(info.origin);
  uint64_t next = (it == latest.end() ? 0 : it->second) + 1;
  if (meta.replicated) {
    // The origin numbered it; its log must stay gap-free here too.
    if (meta.version != next || LogHead(info.origin) != next - 1 ||
        meta.log_hash.size() != kHashBytes) {
      return absl::FailedPreconditionError(absl::StrCat(info.origin, " version ", meta.version,
                                                        " cannot follow version ", next - 1));
    }
  } else {
    info.version = next;
    // Publication times of an origin never go backwards, even if the clock
    // does: `--as_of` finds batches by time.
    info.published_at = clock_->Now();
    if (const BatchInfo* last = Catalog()->Find(info.origin, info.version - 1)) {
      info.published_at = std::max(info.published_at, last->published_at + absl::Nanoseconds(1));
    }
  }

  std::string record = ToBatchRecord(info).SerializeAsString();
  auto add_record = [&](rocksdb::WriteBatch* write) {
    write->Put(batches(), BatchKey(info.origin, info.version), record);
    if (info.replicated) {
      write->Put(log_hashes(), BatchKey(info.origin, info.version), info.log_hash);
    }
  };
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (!batch->spilled()) {
    // The one synced write of the batch: it makes the batch durable and,
    // with its record, visible. Concurrent synced writes share an fsync
    // (RocksDB group commit).
    rocksdb::WriteBatch write;
    SpooledRows rows;
    ReadRecords(batch->buffer(), info.origin, info.version, &write, &rows);
    for (const SpooledRows::Row& row : rows.rows) {
      write.Put(observations(), rocksdb::Slice(row.key.data(), row.key.size()),
                rocksdb::Slice(row.value.data(), row.value.size()));
    }
    add_record(&write);
    RETURN_IF_ERROR(guard_->Check(FromRocks(db_->Write(sync, &write), "commit batch")));
  } else {
    // Large batch: applied in chunks that stay invisible until its record
    // is written. The sealed spool is what undoes the chunks if that never
    // happens, here or, after a crash, in Open().
    std::string spool = absl::StrCat(spool_dir_, "/", info.origin, "-", info.version, ".batch");
    RETURN_IF_ERROR(batch->SealSpool(spool));
    absl::Status status =
        ApplySpool(spool, info.origin, info.version, batch->rows(), [&](rocksdb::WriteBatch* last) {
          add_record(last);
          return FromRocks(db_->Write(sync, last), "commit batch");
        });
    guard_->Check(status);
    if (!status.ok()) {
      absl::Status undone = UndoSpool(spool, info.origin, info.version);
      if (!undone.ok()) {
        // Version v now has orphan rows the next batch would adopt: refuse
        // to write until a restart has undone them from the spool.
        absl::MutexLock lock(&mu_);
        broken_ = absl::InternalError(
            absl::StrCat("the store must be restarted to undo a failed batch: ", undone.message()));
        return status;
      }
    }
    files_->Remove(spool).IgnoreError();
    RETURN_IF_ERROR(status);
  }

  std::shared_ptr<const BatchCatalog> before = Catalog();
  if (batch->observer() != nullptr) batch->observer()->Committed(info, *before);
  auto catalog = std::make_shared<BatchCatalog>(*before);
  catalog->Add(info);
  {
    absl::MutexLock lock(&mu_);
    catalog_ = std::move(catalog);
    if (info.replicated) hashes_[info.origin].push_back(info.log_hash);
  }
  Notify();
  return info;
}

absl::Status RocksStore::AppendLog(absl::string_view origin, uint64_t version,
                                   const std::vector<std::string>& chunks,
                                   const std::string& hash) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  if (version != LogHead(origin) + 1 || Catalog()->Find(origin, version) == nullptr ||
      hash.size() != kHashBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("log entry ", origin, " ", version, " does not follow the log"));
  }
  rocksdb::WriteBatch write;
  for (size_t i = 0; i < chunks.size(); ++i) {
    write.Put(log(), LogKey(origin, version, static_cast<uint32_t>(i)), chunks[i]);
  }
  write.Put(log_hashes(), BatchKey(origin, version), hash);
  // Its write-ahead log record; the flush that follows fits in the reserve.
  RETURN_IF_ERROR(guard_->Reserve(write.GetDataSize(), "a log entry"));
  // Not synced: an own entry is derived from committed data and is made
  // again, the same, if a crash loses it.
  RETURN_IF_ERROR(
      guard_->Check(FromRocks(db_->Write(rocksdb::WriteOptions(), &write), "append log")));
  {
    absl::MutexLock lock(&mu_);
    hashes_[std::string(origin)].push_back(hash);
  }
  Notify();
  return absl::OkStatus();
}

absl::Status RocksStore::ReadLog(absl::string_view origin, uint64_t version,
                                 const std::function<bool(absl::string_view)>& visit) const {
  std::string begin = LogKey(origin, version, 0);
  std::string end = BatchKey(origin, version + 1);
  rocksdb::ReadOptions options;
  rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, log()));
  bool any = false;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    any = true;
    if (!visit(absl::string_view(it->value().data(), it->value().size()))) break;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read log"));
  if (!any) return absl::NotFoundError(absl::StrCat("no log entry ", origin, " ", version));
  return absl::OkStatus();
}

absl::Status RocksStore::ResetOrigin(absl::string_view origin) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  std::string begin(origin);
  std::string end(origin);
  end.back() = static_cast<char>(end.back() + 1);
  rocksdb::WriteBatch write;
  for (int dataset = 1; dataset < 256; ++dataset) {
    std::string from = std::string(1, static_cast<char>(dataset)) + begin;
    std::string to = std::string(1, static_cast<char>(dataset)) + end;
    write.DeleteRange(observations(), from, to);
  }
  write.DeleteRange(batches(), begin, end);
  write.DeleteRange(log(), begin, end);
  write.DeleteRange(log_hashes(), begin, end);
  RETURN_IF_ERROR(guard_->Reserve(write.GetDataSize(), "dropping a corrupt copy"));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  RETURN_IF_ERROR(guard_->Check(FromRocks(db_->Write(sync, &write), "reset origin")));
  auto catalog = std::make_shared<BatchCatalog>(*Catalog());
  catalog->Remove(origin);
  absl::MutexLock lock(&mu_);
  catalog_ = std::move(catalog);
  hashes_.erase(std::string(origin));
  return absl::OkStatus();
}

absl::Status RocksStore::ApplySpool(
    const std::string& path, absl::string_view origin, uint64_t version, uint64_t expected_rows,
    const std::function<absl::Status(rocksdb::WriteBatch*)>& commit) {
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, files_->NewSequentialFile(path));
  absl::Status read_error;
  // The spool is read in blocks; each block's whole records are applied
  // and the cut record at its end starts the next one.
  std::string block;
  SpooledRows rows;
  uint64_t records = 0;
  int tables = 0;
  absl::Status status;
  rocksdb::WriteBatch write;
  bool end = false;
  while (status.ok() && !end) {
    size_t kept = block.size();
    block.resize(kept + apply_block_);
    auto read = file->Read(block.data() + kept, apply_block_);
    if (!read.ok()) read_error = read.status();
    size_t got = read.ok() ? *read : 0;
    block.resize(kept + got);
    end = got < apply_block_;  // the end, or an error: checked below
    write.Clear();
    size_t whole = ReadRecords(block, origin, version, &write, &rows, &records);
    if (end && whole != block.size()) {
      status = absl::DataLossError(
          absl::StrCat("spool ", path, " is truncated after ", records, " rows"));
      break;
    }
    status = IngestRows(rows, absl::StrCat(path, ".", tables++));
    if (status.ok() && !end && write.Count() > 0) {
      status = FromRocks(db_->Write(rocksdb::WriteOptions(), &write), "apply batch");
    }
    block.erase(0, whole);
  }
  file.reset();
  if (!read_error.ok()) return read_error;
  RETURN_IF_ERROR(status);
  if (records != expected_rows) {
    return absl::DataLossError(
        absl::StrCat("spool ", path, " holds ", records, " rows, the batch put ", expected_rows));
  }
  return commit(&write);
}

absl::StatusOr<Store::Found> RocksStore::Get(absl::string_view key,
                                             const VersionLimits& limits) const {
  if (key.size() < 1 + kOriginBytes) {
    return absl::InvalidArgumentError("a logical key starts with a dataset and an origin");
  }
  auto limit = limits.find(key.substr(1, kOriginBytes));
  if (limit == limits.end()) return absl::NotFoundError("no such observation");
  // The versions of the key are adjacent, newest first: seek to the newest
  // one the reader may see.
  std::string start(key);
  AppendVersion(&start, limit->second);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), observations()));
  it->Seek(start);
  RETURN_IF_ERROR(FromRocks(it->status(), "get"));
  if (!it->Valid() || it->key().size() != key.size() + kVersionBytes ||
      !it->key().starts_with(rocksdb::Slice(key.data(), key.size()))) {
    return absl::NotFoundError("no such observation");
  }
  return Found{VersionOf(absl::string_view(it->key().data(), it->key().size())),
               it->value().ToString()};
}

absl::Status RocksStore::Scan(absl::string_view begin, absl::string_view end,
                              const VersionLimits& limits,
                              const std::function<bool(const StoredValue&)>& visit) const {
  rocksdb::ReadOptions options;
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, observations()));

  std::string decided;  // logical key whose visible version was already found
  bool have_decided = false;
  std::string cached_origin;
  uint64_t cached_limit = 0;
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    rocksdb::Slice physical = it->key();
    if (physical.size() < 1 + kOriginBytes + kVersionBytes) continue;
    absl::string_view logical(physical.data(), physical.size() - kVersionBytes);
    if (have_decided && logical == decided) continue;
    absl::string_view origin = logical.substr(1, kOriginBytes);
    if (origin != cached_origin) {
      cached_origin.assign(origin.data(), origin.size());
      auto found = limits.find(cached_origin);
      cached_limit = found == limits.end() ? 0 : found->second;
    }
    uint64_t version = VersionOf(absl::string_view(physical.data(), physical.size()));
    if (version > cached_limit) continue;  // newer than the reader may see
    decided.assign(logical.data(), logical.size());
    have_decided = true;
    StoredValue stored{logical, origin, version,
                       absl::string_view(it->value().data(), it->value().size())};
    if (!visit(stored)) break;
  }
  return FromRocks(it->status(), "scan");
}

absl::Status RocksStore::LoadCatalog() {
  auto catalog = std::make_shared<BatchCatalog>();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), batches()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    internal::BatchRecord record;
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("corrupt batch record in ", dir_));
    }
    catalog->Add(FromBatchRecord(record));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "load batches"));
  absl::flat_hash_map<std::string, std::vector<std::string>> hashes;
  std::unique_ptr<rocksdb::Iterator> hash_it(
      db_->NewIterator(rocksdb::ReadOptions(), log_hashes()));
  for (hash_it->SeekToFirst(); hash_it->Valid(); hash_it->Next()) {
    rocksdb::Slice key = hash_it->key();
    if (key.size() != kOriginBytes + kVersionBytes) continue;
    auto& chain = hashes[std::string(key.data(), kOriginBytes)];
    // Hashes are stored in version order, gap-free from 1.
    if (absl::big_endian::Load64(key.data() + kOriginBytes) != chain.size() + 1) {
      return absl::DataLossError(
          absl::StrCat("the log of ", key.ToString().substr(0, 3), " has a gap in ", dir_));
    }
    chain.push_back(hash_it->value().ToString());
  }
  RETURN_IF_ERROR(FromRocks(hash_it->status(), "load log"));
  absl::MutexLock lock(&mu_);
  catalog_ = std::move(catalog);
  hashes_ = std::move(hashes);
  return absl::OkStatus();
}

absl::Status RocksStore::UndoSpool(const std::string& path, absl::string_view origin,
                                   uint64_t version) {
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, files_->NewSequentialFile(path));
  SpoolReader reader(std::move(file), path);
  rocksdb::WriteBatch write;
  std::string key, value;
  uint32_t tag = 0;
  while (reader.Next(&key, &value, &tag)) {
    if (tag == kLogRecord) {
      write.Delete(log(), LogKey(origin, version, absl::big_endian::Load32(key.data())));
      continue;
    }
    AppendVersion(&key, version);
    write.Delete(observations(), key);
  }
  // A spool that cannot be read whole cannot be undone whole.
  RETURN_IF_ERROR(reader.status());
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocks(db_->Write(sync, &write), "undo batch");
}

absl::Status RocksStore::ClaimOwner(absl::string_view owner) {
  static constexpr char kOwnerKey[] = "owner";
  std::string recorded;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), kOwnerKey, &recorded);
  if (status.IsNotFound()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db_->Put(sync, kOwnerKey, rocksdb::Slice(owner.data(), owner.size())),
                     "record owner");
  }
  RETURN_IF_ERROR(FromRocks(status, "read owner"));
  if (recorded == owner) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(dir_, " holds the store of the ", recorded, " node, not ", owner,
                   "; start it with --country=", recorded, " or use another --data_dir"));
}

absl::Status RocksStore::Recover() {
  RETURN_IF_ERROR(LoadCatalog());
  std::error_code error;
  fs::create_directories(spool_dir_, error);
  if (error) return absl::InternalError(absl::StrCat("create ", spool_dir_, ": ", error.message()));
  auto latest = Catalog()->Latest();
  for (const auto& entry : fs::directory_iterator(spool_dir_)) {
    std::string name = entry.path().filename().string();
    std::string path = entry.path().string();
    // "<origin>-<version>.batch" is a sealed spool; anything else is a
    // batch that never reached its commit and was never applied.
    std::vector<std::string> parts = absl::StrSplit(name, absl::ByAnyChar("-."));
    uint64_t version = 0;
    if (parts.size() == 3 && parts[2] == "batch" && absl::SimpleAtoi(parts[1], &version)) {
      auto it = latest.find(parts[0]);
      bool committed = it != latest.end() && it->second >= version;
      if (!committed) RETURN_IF_ERROR(UndoSpool(path, parts[0], version));
    }
    fs::remove(entry.path(), error);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   absl::string_view owner, StoreOptions store_options) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("create ", dir, ": ", error.message()));

  DiskGuard::Options guard_options;
  guard_options.dir = dir;
  guard_options.reserve_bytes = store_options.reserve_bytes;
  guard_options.free_bytes = store_options.free_bytes;
  auto guard = std::make_unique<DiskGuard>(guard_options);
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(guard->WrapFileSystem(rocksdb::FileSystem::Default()));
  // On a small disk the engine's buffers shrink with it.
  const uint64_t disk = guard->filesystem_bytes() == 0 ? uint64_t{1} << 40 : guard->filesystem_bytes();
  const size_t write_buffer = std::clamp<uint64_t>(disk / 16, 1 << 20, 64 << 20);

  rocksdb::DBOptions options;
  options.env = env.get();
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 3;
  options.max_total_wal_size = std::clamp<uint64_t>(disk / 8, 4 << 20, 256 << 20);
  options.listeners.push_back(guard->Listener());
  // All memtables together stay within half the reserve, so that a flush
  // (which writes them before their log goes) fits in it.
  options.db_write_buffer_size = std::max<uint64_t>(guard->reserve_bytes() / 2, 1 << 20);
  // Compactions that would eat into the reserve wait instead.
  options.sst_file_manager.reset(rocksdb::NewSstFileManager(env.get()));
  options.sst_file_manager->SetCompactionBufferSize(guard->reserve_bytes() / 2);

  rocksdb::ColumnFamilyOptions observation_options;
  observation_options.write_buffer_size = write_buffer;
  observation_options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 << 10;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  observation_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::ColumnFamilyOptions small;
  small.write_buffer_size = write_buffer;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, small},
      {kObservations, observation_options},
      {kBatches, small},
      {kLog, observation_options},
      {kLogHash, small},
      {kAudit, small},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir + "/db", families, &handles, &raw),
                            absl::StrCat("open store in ", dir)));
  auto store = std::make_unique<RocksStore>(dir, store_options, std::move(guard), std::move(env),
                                            std::unique_ptr<rocksdb::DB>(raw), std::move(handles));
  RETURN_IF_ERROR(store->Recover());
  if (!owner.empty()) RETURN_IF_ERROR(store->ClaimOwner(owner));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace lmx
