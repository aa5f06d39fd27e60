// libFuzzer target: the parsers every CSV field goes through: time periods,
// dates, and the codes of ISO 3166, ISCO-08, ISIC, ISCED, sex, age and
// channel. An accepted period must print back to a period that parses to
// the same thing.
#include <cstdint>
#include <cstdlib>

#include "federation/classifications/codelists.h"
#include "federation/classifications/time_period.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto codelists = lmx::Codelists::Load();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto period = lmx::TimePeriod::Parse(text); period.ok()) {
    auto again = lmx::TimePeriod::Parse(period->ToString());
    if (!again.ok() || again->ToString() != period->ToString()) std::abort();
  }
  (void)lmx::Date::Parse(text);
  for (unsigned special : {0u, unsigned{lmx::kAllowTotal | lmx::kAllowUnknown}}) {
    (void)lmx::Codelists::Activity(text, special);
    (void)lmx::Codelists::Education(text, special);
    (void)lmx::Codelists::Sex(text, special);
    (void)lmx::Codelists::Age(text, special);
    (void)lmx::Codelists::Channel(text, special);
    if (codelists.ok()) {
      (void)(*codelists)->Country(text, special);
      (void)(*codelists)->Region(text, "KEN", special);
      (void)(*codelists)->Occupation(text, special);
    }
  }
  for (int level = 1; level <= 4; ++level) {
    (void)lmx::Codelists::RollUpOccupation(text, level);
    (void)lmx::Codelists::RollUpActivity(text, level);
  }
  return 0;
}
