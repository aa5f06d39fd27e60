#include "node/storage/disk_guard.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/file_system.h"
#include "rocksdb/listener.h"

namespace lmx {
namespace {

constexpr uint64_t kMiB = 1 << 20;
// What the log and manifest writes leave free at least, besides the bytes
// they write: room for the engine's own small files.
constexpr uint64_t kEngineSlack = 1 * kMiB;

std::string Mib(uint64_t bytes) {
  return absl::StrCat(bytes / kMiB, ".", (bytes % kMiB) * 10 / kMiB, " MiB");
}

void Log(const std::string& message) { std::cerr << "lmx-node: " << message << "\n"; }

// The write-ahead log and the manifest: the files whose failed write the
// engine cannot take (it asserts when such a file is written again).
bool Guarded(const std::string& name) {
  return absl::EndsWith(name, ".log") || absl::StrContains(name, "MANIFEST");
}

class GuardedFile : public rocksdb::FSWritableFileOwnerWrapper {
  static rocksdb::IOStatus Stopped() {
    return rocksdb::IOStatus::NoSpace("the node stopped while this write waited for room");
  }

 public:
  GuardedFile(std::unique_ptr<rocksdb::FSWritableFile> file, DiskGuard* guard)
      : FSWritableFileOwnerWrapper(std::move(file)), guard_(guard) {}

  // A write the node stops waiting for (it shuts down) fails without
  // touching the file.
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (!guard_->AwaitRoom(data.size())) return Stopped();
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (!guard_->AwaitRoom(data.size())) return Stopped();
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (!guard_->AwaitRoom(data.size())) return Stopped();
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (!guard_->AwaitRoom(data.size())) return Stopped();
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }

 private:
  DiskGuard* guard_;
};

class GuardedFileSystem : public rocksdb::FileSystemWrapper {
 public:
  GuardedFileSystem(std::shared_ptr<rocksdb::FileSystem> base, DiskGuard* guard)
      : FileSystemWrapper(std::move(base)), guard_(guard) {}
  const char* Name() const override { return "LmxGuardedFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->NewWritableFile(name, options, result, dbg);
    if (status.ok() && Guarded(name)) result->reset(new GuardedFile(std::move(*result), guard_));
    return status;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->ReopenWritableFile(name, options, result, dbg);
    if (status.ok() && Guarded(name)) result->reset(new GuardedFile(std::move(*result), guard_));
    return status;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->ReuseWritableFile(name, old_name, options, result, dbg);
    if (status.ok() && Guarded(name)) result->reset(new GuardedFile(std::move(*result), guard_));
    return status;
  }

 private:
  DiskGuard* guard_;
};

class GuardListener : public rocksdb::EventListener {
 public:
  explicit GuardListener(DiskGuard* guard) : guard_(guard) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    guard_->EngineFailed(absl::StrCat(
        "the storage engine stopped writing: ", error->ToString(),
        error->IsNoSpace() ? "; it resumes by itself once the disk has room"
                           : "; it resumes by itself if the error passes, else restart the node"));
  }
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) guard_->EngineRecovered();
  }

 private:
  DiskGuard* guard_;
};

}  // namespace

bool IsDiskError(const absl::Status& status) {
  if (status.ok()) return false;
  absl::string_view text = status.message();
  return absl::StrContains(text, std::strerror(ENOSPC)) ||
         absl::StrContains(text, std::strerror(EIO)) ||
         absl::StrContains(text, std::strerror(EDQUOT)) ||
         absl::StrContains(text, std::strerror(EROFS)) || absl::StrContains(text, "No space");
}

DiskGuard::DiskGuard(Options options) : options_(std::move(options)) {
  struct statvfs fs;
  if (::statvfs(options_.dir.c_str(), &fs) == 0) {
    filesystem_bytes_ = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  reserve_ = options_.reserve_bytes;
  if (reserve_ == 0) reserve_ = std::clamp<uint64_t>(filesystem_bytes_ / 10, 3 * kMiB, 512 * kMiB);
  {
    absl::MutexLock lock(&mu_);
    state_.reserve_bytes = reserve_;
  }
  monitor_ = std::thread([this] { Monitor(); });
}

DiskGuard::~DiskGuard() { Join(); }

void DiskGuard::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

void DiskGuard::Join() {
  Stop();
  std::lock_guard<std::mutex> lock(join_mu_);
  if (monitor_.joinable()) monitor_.join();
}

absl::StatusOr<uint64_t> DiskGuard::Free() const {
  if (options_.free_bytes) return options_.free_bytes();
  struct statvfs fs;
  if (::statvfs(options_.dir.c_str(), &fs) != 0) {
    return absl::UnavailableError(absl::StrCat("statvfs ", options_.dir, ": ", std::strerror(errno)));
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

absl::Status DiskGuard::Writable() {
  absl::MutexLock lock(&mu_);
  const std::string& reason = !engine_error_.empty() ? engine_error_ : state_.reason;
  if (reason.empty()) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("the node is read-only: ", reason,
                   "; reads and replication go on, and it takes writes again by itself once the "
                   "disk has room (lmx peers, /metrics: lmx_store_read_only)"));
}

absl::Status DiskGuard::Reserve(uint64_t bytes, absl::string_view what) {
  absl::Status writable = Writable();
  if (!writable.ok()) return writable;
  auto free = Free();
  if (!free.ok()) return free.status();
  if (*free >= bytes + reserve_) return absl::OkStatus();
  if (*free >= reserve_) {
    // This write would not fit; smaller ones still do.
    return absl::ResourceExhaustedError(absl::StrCat(
        "refused, nothing was written: ", what, " needs about ", Mib(bytes), ", and the disk of ",
        options_.dir, " has ", Mib(*free), " free, of which this node keeps ", Mib(reserve_),
        " in reserve; free space on the disk"));
  }
  std::string reason = FullReason(*free);
  Fail(Cause::kSpace, reason);
  return absl::ResourceExhaustedError(
      absl::StrCat("refused, nothing was written: ", reason,
                   "; the node is read-only until the disk has room (reads and replication go "
                   "on); free space on it, or give the node a larger one"));
}

std::string DiskGuard::FullReason(uint64_t free) const {
  return absl::StrCat("the disk of ", options_.dir, " is full: ", Mib(free), " free, less than the ",
                      Mib(reserve_), " this node keeps in reserve");
}

absl::Status DiskGuard::Check(const absl::Status& status) {
  if (IsDiskError(status)) {
    Fail(Cause::kIo, absl::StrCat("a write failed: ", status.message()));
  }
  return status;
}

void DiskGuard::Fail(Cause cause, const std::string& reason) {
  absl::MutexLock lock(&mu_);
  // An I/O error outranks a full disk: it heals only when a write works.
  if (state_.cause == Cause::kIo || state_.cause == cause) return;
  state_.cause = cause;
  state_.reason = reason;
  Log(absl::StrCat("read-only: ", reason));
}

void DiskGuard::EngineFailed(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (engine_error_ == reason) return;
  engine_error_ = reason;
  Log(absl::StrCat("read-only: ", reason));
}

void DiskGuard::EngineRecovered() {
  std::vector<std::function<void()>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    if (engine_error_.empty()) return;
    engine_error_.clear();
    Log("the storage engine resumed writing");
    if (state_.cause == Cause::kNone && !stop_) callbacks = callbacks_;
  }
  for (const auto& callback : callbacks) callback();
}

DiskGuard::State DiskGuard::Get() {
  auto free = Free();
  absl::MutexLock lock(&mu_);
  State state = state_;
  if (!engine_error_.empty()) {
    state.cause = Cause::kEngine;
    state.reason = engine_error_;
  }
  state.free_bytes = free.ok() ? *free : 0;
  return state;
}

void DiskGuard::OnWritable(std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  callbacks_.push_back(std::move(callback));
}

bool DiskGuard::AwaitRoom(uint64_t bytes) {
  bool waited = false;
  for (;;) {
    auto free = Free();
    if (!free.ok() || *free >= bytes + kEngineSlack) break;
    if (!waited) {
      Fail(Cause::kSpace, absl::StrCat("the disk of ", options_.dir, " is full (", Mib(*free),
                                       " free): a storage engine write waits for room"));
      waited = true;
    }
    absl::MutexLock lock(&mu_);
    if (stop_) return false;
    auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(100));
  }
  return true;
}

bool DiskGuard::Healed(Cause cause, uint64_t free) {
  // Half the reserve again, so that the node does not flap at the edge.
  if (free < reserve_ + reserve_ / 2) return false;
  if (cause != Cause::kIo) return true;
  // An I/O error heals when a synced write of the node's own succeeds.
  std::string probe = options_.dir + "/.lmx-disk-probe";
  FILE* file = std::fopen(probe.c_str(), "wb");
  if (file == nullptr) return false;
  std::string block(4096, '\0');
  bool ok = std::fwrite(block.data(), 1, block.size(), file) == block.size() &&
            std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  ok = std::fclose(file) == 0 && ok;
  std::remove(probe.c_str());
  return ok;
}

void DiskGuard::Monitor() {
  for (;;) {
    Cause cause;
    {
      absl::MutexLock lock(&mu_);
      auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(500));
      if (stop_) return;
      cause = state_.cause;
    }
    auto free = Free();
    if (cause == Cause::kNone) {
      // Below the reserve is read-only whether or not a write tried yet, so
      // that /metrics and lmx peers say so before a publish is refused.
      if (free.ok() && *free < reserve_) {
        Fail(Cause::kSpace, FullReason(*free));
      }
      continue;
    }
    if (!free.ok() || !Healed(cause, *free)) continue;
    std::vector<std::function<void()>> callbacks;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      if (state_.cause != cause) continue;
      state_.cause = Cause::kNone;
      state_.reason.clear();
      if (engine_error_.empty()) callbacks = callbacks_;
    }
    Log(absl::StrCat("writable again: ", Mib(*free), " free"));
    for (const auto& callback : callbacks) callback();
  }
}

std::shared_ptr<rocksdb::FileSystem> DiskGuard::WrapFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<GuardedFileSystem>(std::move(base), this);
}

std::shared_ptr<rocksdb::EventListener> DiskGuard::Listener() {
  return std::make_shared<GuardListener>(this);
}

}  // namespace lmx
