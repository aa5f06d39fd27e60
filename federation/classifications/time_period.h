// TIME_PERIOD and calendar dates: parsing, validation and containment.
//
// A TimePeriod is an ISO 8601 reporting period as SDMX writes it: a year
// ("2025"), a quarter ("2025-Q3") or a month ("2025-07"). Every period is a
// span of whole months, so containment and ordering reduce to month ranges:
//
//   TimePeriod q3 = *TimePeriod::Parse("2025-Q3");
//   TimePeriod year = *TimePeriod::Parse("2025");
//   year.Contains(q3);  // true
#ifndef LMX_FEDERATION_CLASSIFICATIONS_TIME_PERIOD_H_
#define LMX_FEDERATION_CLASSIFICATIONS_TIME_PERIOD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmx {

class TimePeriod {
 public:
  enum class Frequency : uint8_t { kAnnual = 1, kQuarterly = 2, kMonthly = 3 };

  // Accepts YYYY, YYYY-Qn and YYYY-MM with years 1900 to 2199. The error
  // message names the value and the accepted forms.
  static absl::StatusOr<TimePeriod> Parse(absl::string_view text);
  // The month a calendar date falls in.
  static TimePeriod Month(int year, int month);

  Frequency frequency() const { return frequency_; }
  int year() const { return year_; }
  // Months since January of year 0, so that spans compare directly.
  int first_month() const;
  int last_month() const;

  // The period `steps` periods of this frequency earlier (later when
  // negative), or nullopt outside the years 1900-2199.
  std::optional<TimePeriod> Before(int steps) const;

  // True when `other` lies entirely within this period.
  bool Contains(const TimePeriod& other) const;
  // The canonical spelling: "2025", "2025-Q3", "2025-07".
  std::string ToString() const;

  // Order by first month, then by frequency (a year before its first
  // quarter, the quarter before its first month). This is the storage order.
  friend bool operator<(const TimePeriod& a, const TimePeriod& b) {
    if (a.first_month() != b.first_month()) return a.first_month() < b.first_month();
    return a.frequency_ < b.frequency_;
  }
  friend bool operator==(const TimePeriod& a, const TimePeriod& b) {
    return a.frequency_ == b.frequency_ && a.year_ == b.year_ && a.index_ == b.index_;
  }

 private:
  TimePeriod(Frequency frequency, int year, int index)
      : frequency_(frequency), year_(year), index_(index) {}

  Frequency frequency_;
  int year_;
  int index_;  // quarter 1-4, month 1-12, 0 for a year
};

// A calendar date in ISO 8601 extended form, YYYY-MM-DD.
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  // Rejects impossible dates such as 2025-02-30 and years outside 1900-2199.
  static absl::StatusOr<Date> Parse(absl::string_view text);
  std::string ToString() const;
  TimePeriod MonthPeriod() const { return TimePeriod::Month(year, month); }

  friend bool operator<(const Date& a, const Date& b) {
    if (a.year != b.year) return a.year < b.year;
    if (a.month != b.month) return a.month < b.month;
    return a.day < b.day;
  }
};

}  // namespace lmx

#endif  // LMX_FEDERATION_CLASSIFICATIONS_TIME_PERIOD_H_
