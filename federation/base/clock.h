// Time as lmx sees it. Code that reads the time or waits for a moment asks a
// Clock, never absl::Now(), so that tests move time on instead of waiting
// for it (compare LevelDB's Env::NowMicros).
//
//   const Clock* clock = Clock::Real();
//   absl::Time now = clock->Now();
//   // Waits (mu held) until `changed` holds or the clock reaches `at`.
//   clock->AwaitWithDeadline(&mu, absl::Condition(&changed), at);
//
// ManualClock (tests/support/manual_clock.h) stands still until advanced.
#ifndef LMX_FEDERATION_BASE_CLOCK_H_
#define LMX_FEDERATION_BASE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lmx {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // With `mu` held: waits until `condition` holds or Now() reaches
  // `deadline`, releasing `mu` meanwhile. Returns whether `condition` holds.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                 absl::Time deadline) const = 0;

  // The same with a timeout from now.
  bool AwaitWithTimeout(absl::Mutex* mu, const absl::Condition& condition,
                        absl::Duration timeout) const {
    return AwaitWithDeadline(mu, condition, Now() + timeout);
  }

  // The system's clock. Never null, never destroyed.
  static const Clock* Real();
};

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_CLOCK_H_
