#include "federation/classifications/time_period.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmx {
namespace {

using ::testing::HasSubstr;

TimePeriod P(absl::string_view text) {
  auto period = TimePeriod::Parse(text);
  EXPECT_TRUE(period.ok()) << period.status();
  return period.ok() ? *period : TimePeriod::Month(1900, 1);
}

TEST(TimePeriodTest, AcceptsYearsQuartersAndMonths) {
  struct Case {
    const char* text;
    TimePeriod::Frequency frequency;
    int year;
  };
  const std::vector<Case> cases = {
      {"2025", TimePeriod::Frequency::kAnnual, 2025},
      {"2025-Q3", TimePeriod::Frequency::kQuarterly, 2025},
      {"2025-07", TimePeriod::Frequency::kMonthly, 2025},
      {"1900", TimePeriod::Frequency::kAnnual, 1900},
      {"2199-12", TimePeriod::Frequency::kMonthly, 2199},
      {"2024-Q1", TimePeriod::Frequency::kQuarterly, 2024},
  };
  for (const Case& c : cases) {
    auto period = TimePeriod::Parse(c.text);
    ASSERT_TRUE(period.ok()) << c.text << ": " << period.status();
    EXPECT_EQ(period->frequency(), c.frequency) << c.text;
    EXPECT_EQ(period->year(), c.year) << c.text;
  }
}

TEST(TimePeriodTest, RejectsMalformedPeriodsNamingTheValue) {
  const std::vector<std::string> bad = {
      "25",      "2025-7",  "1899",   "2200",    "2025-13", "2025-00",  "2025-Q0",
      "2025-Q5", "2025-Q",  "2025Q3", "",        "2025-",   " 2025",    "2025 ",
      "abcd",    "2025-W3", "+025",   "2025-1a", "20255",   "2025-Q31", "2025/07",
  };
  for (const std::string& text : bad) {
    auto period = TimePeriod::Parse(text);
    ASSERT_FALSE(period.ok()) << "'" << text << "' parsed";
    EXPECT_EQ(period.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(period.status().message()), HasSubstr("'" + text + "'"));
    EXPECT_THAT(std::string(period.status().message()), HasSubstr("YYYY-Qn"));
  }
}

TEST(TimePeriodTest, StepsBackAndForthWithinItsFrequency) {
  auto before = [](const char* text, int steps) {
    auto period = TimePeriod::Parse(text)->Before(steps);
    return period ? period->ToString() : "none";
  };
  EXPECT_EQ(before("2025-Q1", 1), "2024-Q4");
  EXPECT_EQ(before("2025-Q4", 2), "2025-Q2");
  EXPECT_EQ(before("2025-01", 13), "2023-12");
  EXPECT_EQ(before("2025-12", -1), "2026-01");
  EXPECT_EQ(before("2025", 3), "2022");
  EXPECT_EQ(before("2025-Q3", 0), "2025-Q3");
  EXPECT_EQ(before("1900-Q1", 1), "none");
  EXPECT_EQ(before("2199", -1), "none");
}

TEST(TimePeriodTest, ToStringGivesTheCanonicalSpelling) {
  EXPECT_EQ(P("2025-q3").ToString(), "2025-Q3");
  EXPECT_EQ(P("2025-Q3").ToString(), "2025-Q3");
  EXPECT_EQ(P("2025-07").ToString(), "2025-07");
  EXPECT_EQ(P("2025").ToString(), "2025");
  EXPECT_EQ(TimePeriod::Month(2025, 7).ToString(), "2025-07");
  EXPECT_EQ(TimePeriod::Month(1900, 1).ToString(), "1900-01");
}

TEST(TimePeriodTest, SpellingsOfOnePeriodAreEqual) {
  EXPECT_TRUE(P("2025-q3") == P("2025-Q3"));
  EXPECT_TRUE(P("2025-07") == TimePeriod::Month(2025, 7));
  EXPECT_FALSE(P("2025-Q1") == P("2025-01"));
  EXPECT_FALSE(P("2025") == P("2025-Q1"));
}

TEST(TimePeriodTest, AYearContainsItsQuartersAndMonths) {
  TimePeriod year = P("2025");
  for (const char* inner : {"2025", "2025-Q1", "2025-Q4", "2025-01", "2025-07", "2025-12"}) {
    EXPECT_TRUE(year.Contains(P(inner))) << inner;
  }
  for (const char* outer : {"2024", "2026", "2024-Q4", "2026-Q1", "2024-12", "2026-01"}) {
    EXPECT_FALSE(year.Contains(P(outer))) << outer;
  }
}

TEST(TimePeriodTest, AQuarterContainsOnlyItsOwnMonths) {
  TimePeriod q3 = P("2025-Q3");
  EXPECT_TRUE(q3.Contains(P("2025-07")));
  EXPECT_TRUE(q3.Contains(P("2025-09")));
  EXPECT_TRUE(q3.Contains(q3));
  EXPECT_FALSE(q3.Contains(P("2025-06")));
  EXPECT_FALSE(q3.Contains(P("2025-10")));
  EXPECT_FALSE(q3.Contains(P("2025")));
  EXPECT_FALSE(q3.Contains(P("2024-07")));
}

TEST(TimePeriodTest, AMonthContainsNothingLonger) {
  EXPECT_TRUE(P("2025-07").Contains(P("2025-07")));
  EXPECT_FALSE(P("2025-07").Contains(P("2025-Q3")));
  EXPECT_FALSE(P("2025-07").Contains(P("2025")));
}

TEST(TimePeriodTest, MonthSpansMatchTheCalendar) {
  EXPECT_EQ(P("2025").first_month(), P("2025-01").first_month());
  EXPECT_EQ(P("2025").last_month(), P("2025-12").first_month());
  EXPECT_EQ(P("2025-Q3").first_month(), P("2025-07").first_month());
  EXPECT_EQ(P("2025-Q3").last_month(), P("2025-09").last_month());
  EXPECT_EQ(P("2026-01").first_month() - P("2025-12").first_month(), 1);
}

TEST(TimePeriodTest, PeriodsOrderByStartThenLongestFirst) {
  std::vector<TimePeriod> sorted = {P("2024-12"), P("2025"),    P("2025-Q1"), P("2025-01"),
                                    P("2025-02"), P("2025-Q3"), P("2025-07"), P("2026")};
  std::vector<TimePeriod> shuffled = {sorted[6], sorted[1], sorted[7], sorted[3],
                                      sorted[0], sorted[5], sorted[2], sorted[4]};
  std::sort(shuffled.begin(), shuffled.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    EXPECT_EQ(shuffled[i].ToString(), sorted[i].ToString()) << "position " << i;
  }
  EXPECT_FALSE(P("2025") < P("2025"));
}

TEST(DateTest, AcceptsCalendarDatesIncludingLeapDays) {
  for (const char* text : {"2025-07-14", "2024-02-29", "2000-02-29", "1900-01-01", "2199-12-31",
                           "2025-01-31", "2025-04-30"}) {
    auto date = Date::Parse(text);
    ASSERT_TRUE(date.ok()) << text << ": " << date.status();
    EXPECT_EQ(date->ToString(), text);
  }
}

TEST(DateTest, RejectsImpossibleOrMalformedDatesNamingTheValue) {
  for (const std::string text :
       {"2025-02-29", "1900-02-29", "2025-02-30", "2025-04-31", "2025-13-01", "2025-00-10",
        "2025-01-00", "2025-7-01", "2025-07-1", "1899-12-31", "2200-01-01", "2025/07/14",
        "20250714", "", "2025-07-14T00:00"}) {
    auto date = Date::Parse(text);
    ASSERT_FALSE(date.ok()) << "'" << text << "' parsed";
    EXPECT_EQ(date.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(date.status().message()), HasSubstr("'" + text + "'"));
  }
}

TEST(DateTest, DatesOrderChronologically) {
  auto a = *Date::Parse("2024-12-31");
  auto b = *Date::Parse("2025-01-01");
  auto c = *Date::Parse("2025-01-02");
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b < c);
  EXPECT_FALSE(c < a);
  EXPECT_FALSE(b < b);
}

TEST(DateTest, ADateFallsInItsMonth) {
  auto date = *Date::Parse("2025-07-14");
  EXPECT_TRUE(date.MonthPeriod() == TimePeriod::Month(2025, 7));
  EXPECT_TRUE(P("2025-Q3").Contains(date.MonthPeriod()));
}

}  // namespace
}  // namespace lmx
