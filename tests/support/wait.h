// Waiting on a condition with a deadline: tests wait on conditions, never
// on sleeps.
#ifndef LMX_TESTS_SUPPORT_WAIT_H_
#define LMX_TESTS_SUPPORT_WAIT_H_

#include <chrono>
#include <thread>

namespace lmx::testing {

// Asks `done()` every 50 ms until it holds or `seconds` have passed;
// returns its last answer. Tests wait on conditions, never on sleeps.
template <typename Condition>
bool WaitUntil(Condition done, int seconds = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  return done();
}

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_WAIT_H_
