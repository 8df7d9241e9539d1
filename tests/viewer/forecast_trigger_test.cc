// When the viewer re-runs the forecast (viewer/forecast_trigger.h): driven by hand with a shown
// time and a wall clock.
#include "viewer/forecast_trigger.h"

#include <gtest/gtest.h>

namespace twin::viewer {
namespace {

ForecastTriggerOptions opts() {
  ForecastTriggerOptions o;
  o.settle_s = 0.5;
  o.refresh_s = 300.0;
  return o;
}

TEST(ForecastTrigger, FirstCallIsDue) {
  ForecastTrigger trigger(opts());
  EXPECT_FALSE(trigger.has_requested());
  EXPECT_TRUE(trigger.due(0.0, 0.0));
  ForecastTrigger later(opts());
  EXPECT_TRUE(later.due(1234.0, 99.0));
  // Still due until something was requested.
  EXPECT_TRUE(later.due(1234.0, 99.1));
  later.requested(1234.0);
  EXPECT_TRUE(later.has_requested());
  EXPECT_EQ(later.requested_t_s(), 1234.0);
}

TEST(ForecastTrigger, NotDueWhileTheTimeIsUnchangedAfterARequest) {
  ForecastTrigger trigger(opts());
  ASSERT_TRUE(trigger.due(600.0, 1.0));
  trigger.requested(600.0);
  for (double wall = 1.0; wall < 100.0; wall += 7.3) EXPECT_FALSE(trigger.due(600.0, wall));
}

TEST(ForecastTrigger, DueOnceTheTimeHasSettled) {
  ForecastTrigger trigger(opts());
  ASSERT_TRUE(trigger.due(100.0, 0.0));
  trigger.requested(100.0);
  // Scrubbed to 160 s at wall 2 s: not yet (it may move on), then due after settle_s.
  EXPECT_FALSE(trigger.due(160.0, 2.0));
  EXPECT_FALSE(trigger.due(160.0, 2.2));
  EXPECT_FALSE(trigger.due(160.0, 2.49));
  EXPECT_TRUE(trigger.due(160.0, 2.5));
  EXPECT_TRUE(trigger.due(160.0, 3.0));
  trigger.requested(160.0);
  EXPECT_FALSE(trigger.due(160.0, 3.1));
  // Scrubbing on restarts the wait from the last change.
  EXPECT_FALSE(trigger.due(170.0, 4.0));
  EXPECT_FALSE(trigger.due(180.0, 4.4));
  EXPECT_FALSE(trigger.due(190.0, 4.8));
  EXPECT_FALSE(trigger.due(190.0, 5.2));
  EXPECT_TRUE(trigger.due(190.0, 5.35));
}

TEST(ForecastTrigger, DueWhileMovingOnceRefreshTimePassed) {
  ForecastTrigger trigger(opts());
  ASSERT_TRUE(trigger.due(0.0, 0.0));
  trigger.requested(0.0);
  // Playing at 60x: the shown time moves every frame (never settles).
  double t = 0.0, wall = 0.0;
  int due_count = 0;
  double last_due_t = 0.0;
  for (int frame = 0; frame < 60 * 30; ++frame) {  // 30 s of wall time, 30 min of shift
    wall += 1.0 / 60.0;
    t += 1.0;
    if (trigger.due(t, wall)) {
      EXPECT_GE(t - last_due_t, 300.0);
      EXPECT_LT(t - last_due_t, 301.0);
      trigger.requested(t);
      last_due_t = t;
      ++due_count;
    }
  }
  EXPECT_EQ(due_count, 6);  // every 5 min of shift time
  // Backwards too (a jump back by more than refresh_s while the clock runs).
  EXPECT_TRUE(trigger.due(t - 400.0, wall + 0.01));
}

TEST(ForecastTrigger, ResetForgetsWhatWasRequested) {
  ForecastTrigger trigger(opts());
  ASSERT_TRUE(trigger.due(50.0, 0.0));
  trigger.requested(50.0);
  ASSERT_FALSE(trigger.due(50.0, 1.0));
  trigger.reset();
  EXPECT_FALSE(trigger.has_requested());
  EXPECT_TRUE(trigger.due(50.0, 1.0));  // a new source: due at once
  trigger.requested(50.0);
  EXPECT_FALSE(trigger.due(50.0, 1.1));
  // The options survive the reset.
  EXPECT_FALSE(trigger.due(100.0, 2.0));
  EXPECT_TRUE(trigger.due(100.0, 2.5));
  EXPECT_TRUE(trigger.due(400.0, 2.6));
}

// A request made without asking due() first (the session forces one for a screenshot) counts
// as the time seen: moving back to where the time was before must wait for it to settle.
TEST(ForecastTrigger, AForcedRequestCountsAsTheTimeSeen) {
  ForecastTrigger trigger(opts());
  ASSERT_TRUE(trigger.due(0.0, 0.0));
  trigger.requested(0.0);
  EXPECT_FALSE(trigger.due(0.0, 10.0));
  trigger.requested(120.0);              // forced at wall 10 s, due() not asked
  EXPECT_FALSE(trigger.due(0.0, 10.2));  // moved back just now
  EXPECT_FALSE(trigger.due(0.0, 10.6));
  EXPECT_TRUE(trigger.due(0.0, 10.75));
  EXPECT_FALSE(trigger.due(120.0, 10.8));  // back at the forecast time
}

}  // namespace
}  // namespace twin::viewer
