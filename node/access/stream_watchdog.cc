#include "node/access/stream_watchdog.h"

namespace lmx {

StreamWatchdog::StreamWatchdog() : thread_([this] { Run(); }) {}

StreamWatchdog::~StreamWatchdog() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

StreamWatchdog::Watch::~Watch() { Stop(); }

void StreamWatchdog::Watch::Stop() {
  if (owner_ != nullptr && expired_ != nullptr) owner_->Forget(id_);
  owner_ = nullptr;
}

StreamWatchdog::Watch StreamWatchdog::Start(grpc::ServerContext* context, absl::Duration limit) {
  auto expired = std::make_shared<std::atomic<bool>>(false);
  absl::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  entries_[id] = Entry{context, absl::Now() + limit, expired};
  return Watch(this, id, expired);
}

void StreamWatchdog::Forget(uint64_t id) {
  // Under the lock, so the watchdog never cancels a context whose call has
  // ended.
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void StreamWatchdog::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    absl::Time now = absl::Now();
    absl::Time next = now + absl::Seconds(1);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.deadline <= now) {
        it->second.expired->store(true);
        it->second.context->TryCancel();
        it = entries_.erase(it);
      } else {
        next = std::min(next, it->second.deadline);
        ++it;
      }
    }
    // Wakes at the next deadline, or within a second for new entries.
    mu_.AwaitWithDeadline(absl::Condition(&stop_), next);
  }
}

}  // namespace lmx
