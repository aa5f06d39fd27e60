// Embargoed batches and the release calendar (`lmx publish --release_at`).
//
// An embargoed batch is validated like any other, then kept in files under
// the data directory instead of the store. It has no version, no log entry
// and no place in any query, so it cannot be read here nor replicated: the
// embargo is enforced at its origin. At its release time the calendar
// commits it to the store as an ordinary batch, which takes the origin's
// next version then, with that time as its publication time; replication
// carries it to the region from there.
//
//   auto calendar = ReleaseCalendar::Open(dir, "KEN", store, admit);
//   auto batch = (*calendar)->Begin(release_at);   // a Store::Batch
//   (*batch)->Put(key, value); (*batch)->Commit(meta);  // stored, not visible
//   (*calendar)->Start();   // commits each batch when its time comes
//
// Files: `<id>.rows` (the rows, length-prefixed key and value) and
// `<id>.embargo` (an EmbargoRecord). A batch is stored once its record is
// renamed into place, after its rows are synced; a crash before that
// leaves nothing. A release commits the batch with its id, then removes
// the files: a crash in between is recognized at the next start, and the
// batch is not committed twice.
#ifndef LMX_NODE_STORAGE_EMBARGO_H_
#define LMX_NODE_STORAGE_EMBARGO_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lmx/v1/admin.pb.h"
#include "node/storage/store.h"

namespace lmx {

class ReleaseCalendar {
 public:
  // `dir` is created if missing. `admit`, when set, must be OK before a
  // release commits (the node may not publish while it catches up on its
  // own log); a release waits for it.
  static absl::StatusOr<std::unique_ptr<ReleaseCalendar>> Open(
      std::string dir, std::string country, Store* store,
      std::function<absl::Status()> admit = nullptr);
  ~ReleaseCalendar();  // stops the releases

  // A batch to be committed at `release_at`. Its Commit stores it and
  // returns what it will be: version 0, published_at the release time,
  // release_id its id.
  absl::StatusOr<std::unique_ptr<Store::Batch>> Begin(absl::Time release_at);

  // The batches waiting, soonest first.
  std::vector<v1::Release> Upcoming() const;
  // Withdraws a waiting batch; NOT_FOUND if it is not waiting (any more).
  absl::StatusOr<v1::Release> Cancel(const std::string& id);

  // Commits every batch whose time has come, now and from then on, in the
  // background, until Stop().
  void Start();
  void Stop();

  // Commits the batches due at `now`; for tests and Start's thread.
  // Returns the versions committed, or the first error; a batch that
  // cannot be released is marked (Upcoming shows why) and the others are
  // released all the same.
  absl::StatusOr<std::vector<uint64_t>> ReleaseDue(absl::Time now);

  // Copies the waiting batches into the new directory `to`, then runs
  // `then`, while no batch is released or cancelled: a backup copies the
  // calendar and the store (`then`) in one state. `records` receives the
  // names of the records copied.
  absl::Status Backup(const std::string& to, const std::function<absl::Status()>& then,
                      std::vector<std::string>* records);

 private:
  class PendingBatch;
  ReleaseCalendar(std::string dir, std::string country, Store* store,
                  std::function<absl::Status()> admit);
  absl::Status Load();
  void Add(const std::string& id, const std::string& record_bytes);
  absl::StatusOr<uint64_t> Release(const std::string& id);
  absl::Status Remove(const std::string& id);
  void Loop();

  const std::string dir_, country_;
  Store* const store_;
  FileSystem* const files_;  // the store's
  const std::function<absl::Status()> admit_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> waiting_ ABSL_GUARDED_BY(mu_);  // id -> EmbargoRecord bytes
  std::map<std::string, std::string> failed_ ABSL_GUARDED_BY(mu_);   // id -> why
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::mutex release_mu_;  // one release at a time
  std::thread thread_;
};

}  // namespace lmx

#endif  // LMX_NODE_STORAGE_EMBARGO_H_
