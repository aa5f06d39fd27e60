#include "federation/classifications/time_period.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lmx {
namespace {

constexpr int kFirstYear = 1900;
constexpr int kLastYear = 2199;

// Parses exactly `digits` ASCII digits.
bool ParseDigits(absl::string_view text, size_t digits, int* out) {
  if (text.size() != digits) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, out);
}

bool ParseYear(absl::string_view text, int* year) {
  return ParseDigits(text, 4, year) && *year >= kFirstYear && *year <= kLastYear;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

absl::StatusOr<TimePeriod> TimePeriod::Parse(absl::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a period (expected YYYY, YYYY-Qn or YYYY-MM, years ",
                     kFirstYear, "-", kLastYear, ")"));
  };
  int year = 0;
  if (text.size() < 4 || !ParseYear(text.substr(0, 4), &year)) return invalid();
  if (text.size() == 4) return TimePeriod(Frequency::kAnnual, year, 0);
  if (text.size() != 7 || text[4] != '-') return invalid();
  int index = 0;
  if (text[5] == 'Q' || text[5] == 'q') {
    if (!ParseDigits(text.substr(6), 1, &index) || index < 1 || index > 4) return invalid();
    return TimePeriod(Frequency::kQuarterly, year, index);
  }
  if (!ParseDigits(text.substr(5), 2, &index) || index < 1 || index > 12) return invalid();
  return TimePeriod(Frequency::kMonthly, year, index);
}

TimePeriod TimePeriod::Month(int year, int month) {
  return TimePeriod(Frequency::kMonthly, year, month);
}

int TimePeriod::first_month() const {
  switch (frequency_) {
    case Frequency::kAnnual:
      return year_ * 12;
    case Frequency::kQuarterly:
      return year_ * 12 + (index_ - 1) * 3;
    case Frequency::kMonthly:
      break;
  }
  return year_ * 12 + index_ - 1;
}

int TimePeriod::last_month() const {
  switch (frequency_) {
    case Frequency::kAnnual:
      return year_ * 12 + 11;
    case Frequency::kQuarterly:
      return year_ * 12 + index_ * 3 - 1;
    case Frequency::kMonthly:
      break;
  }
  return first_month();
}

std::optional<TimePeriod> TimePeriod::Before(int steps) const {
  // Periods of one frequency count up from year 0: years, quarters or months.
  const int per_year = frequency_ == Frequency::kAnnual      ? 1
                       : frequency_ == Frequency::kQuarterly ? 4
                                                             : 12;
  const int ordinal = year_ * per_year + std::max(index_, 1) - 1 - steps;
  const int year = ordinal / per_year;
  if (ordinal < 0 || year < kFirstYear || year > kLastYear) return std::nullopt;
  return TimePeriod(frequency_, year,
                    frequency_ == Frequency::kAnnual ? 0 : ordinal % per_year + 1);
}

bool TimePeriod::Contains(const TimePeriod& other) const {
  return first_month() <= other.first_month() && other.last_month() <= last_month();
}

namespace {

// Appends `value` zero-padded to `width` digits, as "%0*d" would: dates and
// periods are formatted once per published row, and StrFormat is slow.
void AppendPadded(std::string* out, int value, int width) {
  if (value < 0) return absl::StrAppend(out, absl::StrFormat("%0*d", width, value));
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  out->append(std::max(0, width - n), '0');
  while (n > 0) out->push_back(digits[--n]);
}

}  // namespace

std::string TimePeriod::ToString() const {
  switch (frequency_) {
    case Frequency::kAnnual:
      return absl::StrCat(year_);
    case Frequency::kQuarterly:
      return absl::StrCat(year_, "-Q", index_);
    case Frequency::kMonthly:
      break;
  }
  std::string text;
  AppendPadded(&text, year_, 4);
  text.push_back('-');
  AppendPadded(&text, index_, 2);
  return text;
}

absl::StatusOr<Date> Date::Parse(absl::string_view text) {
  Date date;
  bool ok = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
            ParseYear(text.substr(0, 4), &date.year) &&
            ParseDigits(text.substr(5, 2), 2, &date.month) && date.month >= 1 && date.month <= 12 &&
            ParseDigits(text.substr(8, 2), 2, &date.day) && date.day >= 1 &&
            date.day <= DaysInMonth(date.year, date.month);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a calendar date (expected YYYY-MM-DD)"));
  }
  return date;
}

std::string Date::ToString() const {
  std::string text;
  AppendPadded(&text, year, 4);
  text.push_back('-');
  AppendPadded(&text, month, 2);
  text.push_back('-');
  AppendPadded(&text, day, 2);
  return text;
}

}  // namespace lmx
