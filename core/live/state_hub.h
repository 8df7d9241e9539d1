// Fan-out of the live twin's state to any number of consumers (gRPC streams, Foxglove clients,
// the Sparkplug republisher). The twin thread publishes; each consumer owns a bounded queue and
// drains it on its own thread. A slow consumer never slows the twin: when its queue is full the
// oldest change is dropped and counted (the consumer learns how many it missed).
//
// Changes are shared immutable protobuf messages: publishing costs one pointer copy per
// subscriber, filtering by machine or tag happens on the consumer's side.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "twin/live.pb.h"

namespace twin {

using StateChangePtr = std::shared_ptr<const live::StateChange>;
using SnapshotPtr = std::shared_ptr<const live::Snapshot>;

class StateSubscription {
 public:
  explicit StateSubscription(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Moves the queued changes into `out` (appending), waiting up to `wait` for the first one.
  // `dropped` (if given) receives how many were dropped since the last pop. Returns false once
  // the subscription is closed and empty.
  bool pop(std::vector<StateChangePtr>& out, std::chrono::milliseconds wait,
           uint64_t* dropped = nullptr);
  // Wakes a waiting pop(); later pops return what is queued, then false.
  void close();
  bool closed() const;

  uint64_t dropped_total() const;
  size_t capacity() const { return capacity_; }

 private:
  friend class StateHub;
  // Returns the number of changes dropped to make room (0 or 1).
  uint64_t push(const StateChangePtr& change);

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StateChangePtr> queue_;
  uint64_t dropped_since_pop_ = 0;
  uint64_t dropped_total_ = 0;
  bool closed_ = false;
};

class StateHub {
 public:
  struct Counters {
    uint64_t published = 0;    // changes published
    uint64_t dropped = 0;      // changes dropped for slow consumers (all of them together)
    uint64_t subscribed = 0;   // subscriptions ever made
    uint64_t subscribers = 0;  // subscriptions open now
  };

  // A new consumer with a queue of `capacity` changes. Close it (or drop every reference) to
  // leave; the hub forgets closed subscriptions at the next publish.
  std::shared_ptr<StateSubscription> subscribe(size_t capacity = 1024);

  // Called by the twin thread. Never waits on a consumer beyond its queue's short lock.
  void publish(StateChangePtr change);

  // The latest full state, replaced by the twin thread (at most a few times per second).
  void set_snapshot(SnapshotPtr snapshot);
  SnapshotPtr snapshot() const;

  // Closes every subscription (shutdown): consumers drain and end.
  void close_all();

  Counters counters() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<StateSubscription>> subscribers_;
  SnapshotPtr snapshot_;
  Counters counters_;
};

}  // namespace twin
