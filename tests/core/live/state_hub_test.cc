#include "core/live/state_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace twin {
namespace {

StateChangePtr change(uint64_t seq) {
  auto c = std::make_shared<live::StateChange>();
  c->set_seq(seq);
  return c;
}

TEST(StateHub, EverySubscriberGetsEveryChangeInOrder) {
  StateHub hub;
  auto a = hub.subscribe(16);
  auto b = hub.subscribe(16);
  for (uint64_t s = 1; s <= 10; ++s) hub.publish(change(s));
  for (auto& sub : {a, b}) {
    std::vector<StateChangePtr> got;
    uint64_t dropped = 99;
    ASSERT_TRUE(sub->pop(got, std::chrono::milliseconds(0), &dropped));
    EXPECT_EQ(dropped, 0u);
    ASSERT_EQ(got.size(), 10u);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]->seq(), i + 1);
  }
  EXPECT_EQ(hub.counters().published, 10u);
  EXPECT_EQ(hub.counters().dropped, 0u);
}

TEST(StateHub, FullQueueDropsOldestAndCounts) {
  StateHub hub;
  auto slow = hub.subscribe(4);
  auto fast = hub.subscribe(100);
  for (uint64_t s = 1; s <= 10; ++s) hub.publish(change(s));
  std::vector<StateChangePtr> got;
  uint64_t dropped = 0;
  ASSERT_TRUE(slow->pop(got, std::chrono::milliseconds(0), &dropped));
  EXPECT_EQ(dropped, 6u);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front()->seq(), 7u);  // the newest four remain
  EXPECT_EQ(got.back()->seq(), 10u);
  EXPECT_EQ(slow->dropped_total(), 6u);
  EXPECT_EQ(fast->dropped_total(), 0u);
  EXPECT_EQ(hub.counters().dropped, 6u);
  // The count is reported once.
  got.clear();
  hub.publish(change(11));
  ASSERT_TRUE(slow->pop(got, std::chrono::milliseconds(0), &dropped));
  EXPECT_EQ(dropped, 0u);
}

TEST(StateHub, ClosedAndForgottenSubscribersLeave) {
  StateHub hub;
  auto kept = hub.subscribe(8);
  { auto gone = hub.subscribe(8); }
  auto closed = hub.subscribe(8);
  closed->close();
  hub.publish(change(1));
  EXPECT_EQ(hub.counters().subscribers, 1u);
  EXPECT_EQ(hub.counters().subscribed, 3u);
  std::vector<StateChangePtr> got;
  EXPECT_FALSE(closed->pop(got, std::chrono::milliseconds(0)));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(kept->pop(got, std::chrono::milliseconds(0)));
  EXPECT_EQ(got.size(), 1u);
}

TEST(StateHub, PopWaitsForAPublishAndCloseWakesIt) {
  StateHub hub;
  auto sub = hub.subscribe(8);
  std::thread publisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hub.publish(change(5));
  });
  std::vector<StateChangePtr> got;
  ASSERT_TRUE(sub->pop(got, std::chrono::seconds(10)));
  publisher.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->seq(), 5u);

  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hub.close_all();
  });
  got.clear();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->pop(got, std::chrono::seconds(10)));
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// A consumer that never reads does not hold the publisher up: a million publishes with a
// stalled subscriber keep at most `capacity` changes queued.
TEST(StateHub, StalledConsumerKeepsBoundedQueue) {
  StateHub hub;
  auto stalled = hub.subscribe(32);
  auto c = change(1);
  for (int i = 0; i < 100000; ++i) hub.publish(c);
  std::vector<StateChangePtr> got;
  uint64_t dropped = 0;
  ASSERT_TRUE(stalled->pop(got, std::chrono::milliseconds(0), &dropped));
  EXPECT_EQ(got.size(), 32u);
  EXPECT_EQ(dropped, 100000u - 32u);
}

TEST(StateHub, SnapshotIsReplacedWhole) {
  StateHub hub;
  EXPECT_TRUE(hub.snapshot() == nullptr);
  auto s = std::make_shared<live::Snapshot>();
  s->set_seq(42);
  hub.set_snapshot(s);
  ASSERT_TRUE(hub.snapshot() != nullptr);
  EXPECT_EQ(hub.snapshot()->seq(), 42u);
}

}  // namespace
}  // namespace twin
