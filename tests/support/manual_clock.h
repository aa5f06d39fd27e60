// A Clock that stands still until a test moves it. Waits on it end when
// their condition holds or when Advance() passes their deadline; they poll
// the condition every few real milliseconds, so a test never sleeps for
// the time it simulates.
//
//   ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
//   options.clock = &clock;
//   clock.Advance(absl::Hours(1));  // an hour later, at once
#ifndef LMX_TESTS_SUPPORT_MANUAL_CLOCK_H_
#define LMX_TESTS_SUPPORT_MANUAL_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "federation/base/clock.h"

namespace lmx {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }
  void Set(absl::Time to) {
    absl::MutexLock lock(&mu_);
    now_ = to;
  }

  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override {
    while (!condition.Eval()) {
      if (Now() >= deadline) return false;
      mu->AwaitWithTimeout(condition, absl::Milliseconds(5));
    }
    return true;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_MANUAL_CLOCK_H_
