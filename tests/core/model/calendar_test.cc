#include "core/model/calendar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace twin {
namespace {

// An 8-hour shift repeating every 8 h: breaks at 2:00-2:15, 4:00-4:30 and 6:00-6:15.
Calendar shift(bool indexed) {
  Calendar cal;
  cal.period = 8 * 3600.0;
  cal.breaks = {{7200.0, 8100.0}, {14400.0, 16200.0}, {21600.0, 22500.0}};
  cal.off_per_period = 3600.0;
  if (indexed) cal.index();
  return cal;
}

// Breaks that happen once: [100, 150] and [300, 400].
Calendar once(bool indexed) {
  Calendar cal;
  cal.breaks = {{100.0, 150.0}, {300.0, 400.0}};
  cal.off_per_period = 150.0;
  if (indexed) cal.index();
  return cal;
}

class CalendarTest : public ::testing::TestWithParam<bool> {};

TEST(CalendarIndexTest, IndexFillsPrefixSums) {
  Calendar cal = shift(false);
  cal.off_per_period = 0.0;
  cal.index();
  EXPECT_EQ(cal.off_per_period, 3600.0);
  ASSERT_EQ(cal.off_before.size(), 3u);
  EXPECT_EQ(cal.off_before[0], 0.0);
  EXPECT_EQ(cal.off_before[1], 900.0);
  EXPECT_EQ(cal.off_before[2], 2700.0);
}

TEST(CalendarIndexTest, EmptyCalendarIsIdentity) {
  const Calendar cal;
  EXPECT_TRUE(cal.empty());
  EXPECT_EQ(cal.working_at(123.5), 123.5);
  EXPECT_EQ(cal.calendar_at(123.5), 123.5);
  EXPECT_FALSE(cal.is_off(10.0));
  EXPECT_EQ(cal.off_between(0.0, 1000.0), 0.0);
}

TEST_P(CalendarTest, OnceWorkingAt) {
  const Calendar cal = once(GetParam());
  EXPECT_EQ(cal.working_at(0.0), 0.0);
  EXPECT_EQ(cal.working_at(100.0), 100.0);  // break start
  EXPECT_EQ(cal.working_at(120.0), 100.0);  // inside: the clock is stopped
  EXPECT_EQ(cal.working_at(150.0), 100.0);  // break end
  EXPECT_EQ(cal.working_at(200.0), 150.0);
  EXPECT_EQ(cal.working_at(300.0), 250.0);
  EXPECT_EQ(cal.working_at(399.0), 250.0);
  EXPECT_EQ(cal.working_at(400.0), 250.0);
  EXPECT_EQ(cal.working_at(1000.0), 850.0);
}

TEST_P(CalendarTest, OnceCalendarAt) {
  const Calendar cal = once(GetParam());
  EXPECT_EQ(cal.calendar_at(0.0), 0.0);
  EXPECT_EQ(cal.calendar_at(99.0), 99.0);
  EXPECT_EQ(cal.calendar_at(100.0), 100.0);  // on a break start: the earliest instant
  EXPECT_EQ(cal.calendar_at(100.5), 150.5);
  EXPECT_EQ(cal.calendar_at(250.0), 300.0);
  EXPECT_EQ(cal.calendar_at(250.25), 400.25);
  EXPECT_EQ(cal.calendar_at(850.0), 1000.0);
}

TEST_P(CalendarTest, OnceIsOff) {
  const Calendar cal = once(GetParam());
  EXPECT_FALSE(cal.is_off(0.0));
  EXPECT_FALSE(cal.is_off(99.999));
  EXPECT_TRUE(cal.is_off(100.0));  // [start, end)
  EXPECT_TRUE(cal.is_off(149.999));
  EXPECT_FALSE(cal.is_off(150.0));
  EXPECT_TRUE(cal.is_off(350.0));
  EXPECT_FALSE(cal.is_off(400.0));
  EXPECT_FALSE(cal.is_off(1e9));
}

TEST_P(CalendarTest, PeriodicWorkingAt) {
  const Calendar cal = shift(GetParam());
  const double p = cal.period;
  const double w = p - cal.off_per_period;  // 7 h of work per 8 h
  EXPECT_EQ(cal.working_at(0.0), 0.0);
  EXPECT_EQ(cal.working_at(7200.0), 7200.0);
  EXPECT_EQ(cal.working_at(7500.0), 7200.0);
  EXPECT_EQ(cal.working_at(8100.0), 7200.0);
  EXPECT_EQ(cal.working_at(15000.0), 14400.0 - 900.0);
  EXPECT_EQ(cal.working_at(p), w);
  EXPECT_EQ(cal.working_at(p + 7200.0), w + 7200.0);
  EXPECT_EQ(cal.working_at(p + 7300.0), w + 7200.0);
  EXPECT_EQ(cal.working_at(10 * p + 23000.0), 10 * w + 23000.0 - 3600.0);
  // Whole periods and a week of them.
  EXPECT_EQ(cal.working_at(21 * p), 21 * w);
}

TEST_P(CalendarTest, PeriodicCalendarAt) {
  const Calendar cal = shift(GetParam());
  const double p = cal.period;
  const double w = p - cal.off_per_period;
  EXPECT_EQ(cal.calendar_at(7200.0), 7200.0);  // break start, not its end
  EXPECT_EQ(cal.calendar_at(7201.0), 8101.0);
  EXPECT_EQ(cal.calendar_at(w), p);
  EXPECT_EQ(cal.calendar_at(w + 7200.0), p + 7200.0);
  EXPECT_EQ(cal.calendar_at(3 * w + 1.0), 3 * p + 1.0);
}

TEST_P(CalendarTest, PeriodicIsOff) {
  const Calendar cal = shift(GetParam());
  const double p = cal.period;
  EXPECT_FALSE(cal.is_off(7199.0));
  EXPECT_TRUE(cal.is_off(7200.0));
  EXPECT_TRUE(cal.is_off(5 * p + 15000.0));
  EXPECT_FALSE(cal.is_off(5 * p + 16200.0));
  EXPECT_FALSE(cal.is_off(5 * p));
}

TEST_P(CalendarTest, OffBetween) {
  const Calendar cal = shift(GetParam());
  EXPECT_EQ(cal.off_between(0.0, cal.period), 3600.0);
  EXPECT_EQ(cal.off_between(7500.0, 14700.0), 600.0 + 300.0);
  EXPECT_EQ(cal.off_between(0.0, 3 * cal.period), 3 * 3600.0);
}

TEST_P(CalendarTest, BreaksAtThePeriodEdges) {
  // Breaks at the very start and at the very end of the period.
  Calendar cal;
  cal.period = 1000.0;
  cal.breaks = {{0.0, 100.0}, {900.0, 1000.0}};
  cal.off_per_period = 200.0;
  if (GetParam()) cal.index();
  EXPECT_TRUE(cal.is_off(0.0));
  EXPECT_TRUE(cal.is_off(1000.0));
  EXPECT_TRUE(cal.is_off(999.0));
  EXPECT_FALSE(cal.is_off(100.0));
  EXPECT_EQ(cal.working_at(100.0), 0.0);
  EXPECT_EQ(cal.working_at(900.0), 800.0);
  EXPECT_EQ(cal.working_at(1000.0), 800.0);
  EXPECT_EQ(cal.working_at(1100.0), 800.0);
  EXPECT_EQ(cal.working_at(1150.0), 850.0);
  EXPECT_EQ(cal.calendar_at(0.0), 0.0);
  EXPECT_EQ(cal.calendar_at(1.0), 101.0);
  // 800 working seconds are reached at 900 (start of the closing break), not 1100.
  EXPECT_EQ(cal.calendar_at(800.0), 900.0);
  EXPECT_EQ(cal.calendar_at(1600.0), 1900.0);
  EXPECT_EQ(cal.calendar_at(800.5), 1100.5);
}

TEST_P(CalendarTest, AdjacentBreaks) {
  Calendar cal;
  cal.breaks = {{10.0, 20.0}, {20.0, 30.0}};
  cal.off_per_period = 20.0;
  if (GetParam()) cal.index();
  EXPECT_EQ(cal.working_at(25.0), 10.0);
  EXPECT_EQ(cal.calendar_at(10.0), 10.0);
  EXPECT_EQ(cal.calendar_at(11.0), 31.0);
  EXPECT_TRUE(cal.is_off(20.0));
}

TEST_P(CalendarTest, RoundTrip) {
  // calendar_at is a right inverse of working_at, and working_at of calendar_at is the
  // identity; the calendar instant is never inside a break (except at a break start).
  const Calendar cal = shift(GetParam());
  for (double wt = 0.0; wt < 5 * cal.period; wt += 137.25) {
    const double ct = cal.calendar_at(wt);
    EXPECT_NEAR(cal.working_at(ct), wt, 1e-9) << wt;
    if (cal.is_off(ct)) {
      // Only at a break start (the earliest instant): just before it the line was working.
      EXPECT_FALSE(cal.is_off(ct - 1e-6)) << wt;
    }
  }
  // Monotone.
  double prev = -1.0;
  for (double ct = 0.0; ct < 3 * cal.period; ct += 61.0) {
    const double wt = cal.working_at(ct);
    EXPECT_GE(wt, prev);
    prev = wt;
  }
}

std::string IndexName(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "Indexed" : "Scan";
}

INSTANTIATE_TEST_SUITE_P(IndexedAndNot, CalendarTest, ::testing::Bool(), IndexName);

}  // namespace
}  // namespace twin
