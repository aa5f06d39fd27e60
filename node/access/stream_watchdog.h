// Bounds how long a served stream may last. The sync gRPC API cannot set a
// deadline on the server side, and a stalled client would hold a handler
// (and its batch) forever; the watchdog cancels a stream when its time is
// up.
//
//   auto watch = watchdog->Start(context, absl::Hours(2));
//   while (stream->Read(&request)) { ... }
//   watch.Stop();
//   if (watch.expired()) { ... nothing is written ... }
#ifndef LMX_NODE_ACCESS_STREAM_WATCHDOG_H_
#define LMX_NODE_ACCESS_STREAM_WATCHDOG_H_

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace lmx {

class StreamWatchdog {
 public:
  StreamWatchdog();
  ~StreamWatchdog();
  StreamWatchdog(const StreamWatchdog&) = delete;
  StreamWatchdog& operator=(const StreamWatchdog&) = delete;

  // While it lives, cancels the call of `context` once `limit` has passed.
  class Watch {
   public:
    Watch(Watch&&) = default;
    ~Watch();
    // Whether the watchdog cancelled the call.
    bool expired() const { return expired_->load(); }
    // Stops watching; after it returns, expired() no longer changes.
    void Stop();

   private:
    friend class StreamWatchdog;
    Watch(StreamWatchdog* owner, uint64_t id, std::shared_ptr<std::atomic<bool>> expired)
        : owner_(owner), id_(id), expired_(std::move(expired)) {}
    StreamWatchdog* owner_;
    uint64_t id_;
    std::shared_ptr<std::atomic<bool>> expired_;
  };

  Watch Start(grpc::ServerContext* context, absl::Duration limit);

 private:
  struct Entry {
    grpc::ServerContext* context;
    absl::Time deadline;
    std::shared_ptr<std::atomic<bool>> expired;
  };
  void Run();
  void Forget(uint64_t id);

  absl::Mutex mu_;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lmx

#endif  // LMX_NODE_ACCESS_STREAM_WATCHDOG_H_
