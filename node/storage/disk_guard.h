// Keeps the node off a full or failing disk (docs/operations.md, "A full or
// failing disk"). A node whose disk fills turns read-only: it serves reads
// and replication from what it has, refuses writes with RESOURCE_EXHAUSTED
// before they start, and turns writable again by itself when space returns.
//
// Three lines of defence:
//   - Reserve(): every write of the store first makes room for itself plus
//     a reserve kept free for the storage engine's flushes and compactions;
//     below that the guard turns read-only and the write is refused.
//   - WrapFileSystem(): the storage engine's write-ahead log and manifest
//     never write into a full disk. A write that finds too little room
//     waits for it instead of failing (Debian's RocksDB asserts, and so
//     aborts the process, when a failed log file is written again).
//   - Fail(): an ENOSPC or EIO seen anyway (a spool file, an engine
//     background error) turns the node read-only until the disk is healthy.
//
//   DiskGuard guard({.dir = data_dir});
//   RETURN_IF_ERROR(guard.Reserve(bytes, "commit batch"));
//   ... write ...
#ifndef LMX_NODE_STORAGE_DISK_GUARD_H_
#define LMX_NODE_STORAGE_DISK_GUARD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace rocksdb {
class FileSystem;
class EventListener;
}  // namespace rocksdb

namespace lmx {

class DiskGuard {
 public:
  struct Options {
    // A directory on the filesystem the store writes.
    std::string dir;
    // Bytes always left free; 0 chooses a tenth of the filesystem, at least
    // 3 MiB and at most 512 MiB.
    uint64_t reserve_bytes = 0;
    // Free bytes of the filesystem; statvfs(dir) unless set (tests).
    std::function<absl::StatusOr<uint64_t>()> free_bytes;
  };
  // Why the guard is read-only.
  enum class Cause { kNone, kSpace, kEngine, kIo };

  struct State {
    Cause cause = Cause::kNone;
    std::string reason;  // empty when writable
    uint64_t free_bytes = 0;
    uint64_t reserve_bytes = 0;
  };

  explicit DiskGuard(Options options);
  ~DiskGuard();
  DiskGuard(const DiskGuard&) = delete;
  DiskGuard& operator=(const DiskGuard&) = delete;

  // The size of the filesystem, for sizing the engine's buffers to it.
  uint64_t filesystem_bytes() const { return filesystem_bytes_; }
  uint64_t reserve_bytes() const { return reserve_; }

  // OK when writes may start; else RESOURCE_EXHAUSTED saying why.
  absl::Status Writable();
  // OK when `bytes` more can be written and the reserve stays free; else
  // RESOURCE_EXHAUSTED naming `what`, the space needed and the space free.
  // When not even the reserve is free, the guard also turns read-only.
  absl::Status Reserve(uint64_t bytes, absl::string_view what);
  // A write failed: when `status` says the disk is full or failing
  // (ENOSPC, EIO), the guard turns read-only. Returns `status`.
  absl::Status Check(const absl::Status& status);
  // Turns read-only for `cause` (kSpace or kIo).
  void Fail(Cause cause, const std::string& reason);
  // The storage engine stopped on a background error, and resumed: kept
  // apart from the node's own causes, since only the engine heals it.
  void EngineFailed(const std::string& reason);
  void EngineRecovered();

  State Get();

  // Called, outside the guard's locks, each time the node turns writable
  // again (for example to make the log entries a full disk held back).
  void OnWritable(std::function<void()> callback);

  // A file system for the storage engine whose log and manifest writes wait
  // for room instead of failing on a full disk.
  std::shared_ptr<rocksdb::FileSystem> WrapFileSystem(std::shared_ptr<rocksdb::FileSystem> base);
  // Tells the guard of the engine's background errors and recoveries.
  std::shared_ptr<rocksdb::EventListener> Listener();

  // Ends the waits of AwaitRoom (the writes waiting fail) and the monitor's
  // work; for shutdown. Join() also waits for the monitor to end.
  void Stop();
  void Join();

  // Waits until `bytes` fit (without the reserve), or the guard stops.
  // False if it stopped first.
  bool AwaitRoom(uint64_t bytes);

 private:
  absl::StatusOr<uint64_t> Free() const;
  std::string FullReason(uint64_t free) const;
  void Monitor();
  // Whether the disk is healthy again for `cause`.
  bool Healed(Cause cause, uint64_t free);

  Options options_;
  uint64_t filesystem_bytes_ = 0;
  uint64_t reserve_ = 0;

  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string engine_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
  std::mutex join_mu_;
  std::thread monitor_;
};

// True when `status` comes from a full or failing disk.
bool IsDiskError(const absl::Status& status);

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_DISK_GUARD_H_
