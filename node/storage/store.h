// The node's durable, versioned observation store on RocksDB.
//
// The store maps logical keys to values, keeping every version. A logical
// key starts with one dataset byte and the three-letter origin country (see
// docs/storage.md); the rest is the caller's. Each origin writes in batches:
// a batch gets the origin's next version number when it commits, all its
// rows become visible at once, and an acknowledged commit survives a crash
// (the WAL is synced before Commit returns, once per batch, not per row).
// Readers see, for every logical key, the newest version at or below a
// per-origin limit, which gives revisions and `--as_of` reads.
//
//   auto batch = store->Begin("KEN");
//   (*batch)->Put(key, value);               // spooled, not yet visible
//   auto info = (*batch)->Commit(meta);      // durable and visible
//   store->Scan(begin, end, store->Catalog()->Latest(),
//               [](const StoredValue& v) { ...; return true; });
#ifndef LMX_NODE_STORAGE_STORE_H_
#define LMX_NODE_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "federation/base/clock.h"
#include "federation/base/file_system.h"
#include "node/storage/batch_catalog.h"
#include "node/storage/disk_guard.h"

namespace lmx {

struct StoreOptions {
  // Bytes of the disk the store never writes into (DiskGuard's reserve; 0
  // chooses from the disk's size).
  uint64_t reserve_bytes = 0;
  // Free bytes of the disk; measured unless set (tests).
  std::function<absl::StatusOr<uint64_t>()> free_bytes;
  // The node's time: batches' publication times, audit records, and
  // everything that asks the store for it (release calendar, ingest,
  // replication).
  const Clock* clock = Clock::Real();
  // Where the store, and what writes beside it (the release calendar,
  // backups), put files outside the database: the spool of a large batch.
  FileSystem* files = FileSystem::Default();
  // A batch spools to a file once it holds this many bytes, and a spooled
  // batch is applied in blocks of `apply_block` bytes. Tests make them
  // small, to spool and apply in parts without writing megabytes.
  size_t spool_threshold = 16 << 20;
  size_t apply_block = 64 << 20;
};

class Store {
 public:
  // Writes of one batch. Put() spools rows (in memory, then to a file beside
  // the database once large), so memory does not grow with the batch.
  // Destroying an uncommitted batch discards it without a trace.
  class Batch {
   public:
    virtual ~Batch() = default;
    // Adds a row. A logical key may be put at most once per batch.
    virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
    // Adds chunk `chunk` of the batch's log entry (a replicated batch keeps
    // the origin's signed chunks, to serve them on).
    virtual absl::Status PutLog(uint32_t chunk, absl::string_view signed_chunk) = 0;
    // Assigns the next version, applies the rows and syncs the commit.
    // `meta` supplies dataset, source, rows and classification; origin,
    // version, time and observations are filled in and returned.
    // A replicated batch (`meta.replicated`) brings its own version, which
    // must be the origin's next (else FAILED_PRECONDITION), its time and its
    // log hash.
    virtual absl::StatusOr<BatchInfo> Commit(const BatchInfo& meta) = 0;
  };

  // Sees the rows of a batch as they are put, and its commit, so that a
  // cache beside the store (node/query/flow_cache.h) need not read a batch
  // back once it commits. Committed runs once the rows are durable and
  // before the batch is visible, under the store's commit lock: it must
  // neither block nor call the store. `before` is the catalog without the
  // batch. A batch dropped uncommitted just destroys its observer.
  class BatchObserver {
   public:
    virtual ~BatchObserver() = default;
    virtual void Put(absl::string_view key, absl::string_view value) = 0;
    virtual void Committed(const BatchInfo& info, const BatchCatalog& before) = 0;
  };
  using ObserverFactory = std::function<std::unique_ptr<BatchObserver>(absl::string_view origin)>;

  // Opens or creates the store in `dir`, undoing any batch a crash left half
  // applied. A store belongs to the node of one country: the first `owner`
  // given is recorded, and opening it for another is FAILED_PRECONDITION.
  // An empty `owner` skips the check.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     absl::string_view owner = "",
                                                     StoreOptions options = {});
  virtual ~Store() = default;

  // Starts a batch for `origin`, a three-letter code.
  virtual absl::StatusOr<std::unique_ptr<Batch>> Begin(absl::string_view origin) = 0;

  // The committed batches as of now.
  virtual std::shared_ptr<const BatchCatalog> Catalog() const = 0;

  // The visible version of one logical key, or NOT_FOUND.
  struct Found {
    uint64_t version = 0;
    std::string value;
  };
  virtual absl::StatusOr<Found> Get(absl::string_view key, const VersionLimits& limits) const = 0;

  // Calls `visit` for the visible version of every logical key in
  // [begin, end) (an empty `end` means no upper bound), in key order, until
  // it returns false.
  virtual absl::Status Scan(absl::string_view begin, absl::string_view end,
                            const VersionLimits& limits,
                            const std::function<bool(const StoredValue&)>& visit) const = 0;

  // --- The origins' logs (federation) ---
  // Each version of an origin has a log entry: signed chunks and a log hash
  // chained over them. A replicated batch writes its entry with its data; an
  // own batch's entry is derived after the commit and added by AppendLog.

  // Stores the entry of `origin`'s `version`, which must be the next after
  // LogHead(origin) and already committed.
  virtual absl::Status AppendLog(absl::string_view origin, uint64_t version,
                                 const std::vector<std::string>& chunks,
                                 const std::string& hash) = 0;
  // Calls `visit` with each signed chunk of the entry, in order.
  virtual absl::Status ReadLog(absl::string_view origin, uint64_t version,
                               const std::function<bool(absl::string_view)>& visit) const = 0;
  // Chunk `chunk` of the entry, or NOT_FOUND.
  virtual absl::StatusOr<std::string> ReadLogChunk(absl::string_view origin, uint64_t version,
                                                   uint32_t chunk) const = 0;
  // The highest version of `origin` whose log entry is stored.
  virtual uint64_t LogHead(absl::string_view origin) const = 0;
  // The log hash after `version` (32 zero bytes for version 0), or
  // NOT_FOUND.
  virtual absl::StatusOr<std::string> LogHash(absl::string_view origin, uint64_t version) const = 0;
  // Every origin with a log, with its head.
  virtual VersionLimits LogHeads() const = 0;

  // Gives every batch begun from now on an observer from `make` (which
  // may return nullptr); an empty `make` stops it.
  virtual void SetBatchObserver(ObserverFactory make) = 0;

  // Adds a function called after every commit and log append (outside the
  // locks of the store's data; it must not block, nor add or remove
  // listeners). Returns its id for RemoveListener, which waits for a call
  // under way.
  virtual int AddListener(std::function<void()> listener) = 0;
  virtual void RemoveListener(int id) = 0;

  // Small records of the node about itself (pinned keys and the like).
  virtual absl::StatusOr<std::string> GetMeta(absl::string_view key) const = 0;
  virtual absl::Status PutMeta(absl::string_view key, absl::string_view value) = 0;
  // Calls `visit` with each record whose key starts with `prefix`, in key
  // order.
  virtual absl::Status ScanMeta(
      absl::string_view prefix,
      const std::function<void(absl::string_view key, absl::string_view value)>& visit) const = 0;

  // The node's own batches (not replicated) commit only while this says OK
  // (checked under the commit lock, so no commit slips past a change of
  // mind). Federation sets it: an origin never signs a version the region
  // may already hold.
  virtual void SetCommitGate(std::function<absl::Status()> gate) = 0;

  // The disk's state: every write of the store goes through it, and a full
  // or failing disk makes the store read-only until it heals.
  virtual DiskGuard* disk() const = 0;

  // The node's clock (StoreOptions::clock).
  virtual const Clock* clock() const = 0;
  // The file system of StoreOptions::files.
  virtual FileSystem* files() const = 0;

  // --- The audit log: the node's own record of who did what. Never
  // replicated, never part of a batch. ---

  // Appends one record, synced, under a key later than every key before.
  virtual absl::Status AppendAudit(absl::string_view record) = 0;
  // Calls `visit` with each record at or after `since`, oldest first, until
  // it returns false.
  virtual absl::Status ReadAudit(absl::Time since,
                                 const std::function<bool(absl::string_view)>& visit) const = 0;

  // Forgets everything of `origin`: data, batches and log, so that it can be
  // pulled again from the region. Only for a copy that is provably corrupt
  // here (its log hashes do not verify); never the node's own country.
  virtual absl::Status ResetOrigin(absl::string_view origin) = 0;

  // What the storage engine reports of itself, for monitoring; summed over
  // its column families.
  struct EngineStats {
    uint64_t table_bytes = 0;     // live and obsolete table files
    uint64_t memtable_bytes = 0;  // memtables, flushed or not
    uint64_t level0_files = 0;
    uint64_t compaction_pending = 0;  // column families that need one
    uint64_t running_compactions = 0;
    uint64_t running_flushes = 0;
    uint64_t pending_compaction_bytes = 0;  // estimated
  };
  virtual EngineStats Stats() const = 0;

  // Makes `dir` (which must not exist) a consistent copy of the store:
  // a RocksDB checkpoint, hard links where it can, taken between two
  // commits so that no half-applied batch is in it.
  // Returns the latest version of each origin in the copy.
  virtual absl::StatusOr<VersionLimits> Checkpoint(const std::string& dir) = 0;
};

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_STORE_H_
