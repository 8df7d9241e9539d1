#include "core/live/state_hub.h"

#include <algorithm>

namespace twin {

bool StateSubscription::pop(std::vector<StateChangePtr>& out, std::chrono::milliseconds wait,
                            uint64_t* dropped) {
  std::unique_lock lock(mutex_);
  if (queue_.empty() && !closed_) {
    ready_.wait_for(lock, wait, [&] { return !queue_.empty() || closed_; });
  }
  if (dropped) *dropped = dropped_since_pop_;
  dropped_since_pop_ = 0;
  if (queue_.empty()) return !closed_;
  for (auto& change : queue_) out.push_back(std::move(change));
  queue_.clear();
  return true;
}

void StateSubscription::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool StateSubscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

uint64_t StateSubscription::dropped_total() const {
  std::lock_guard lock(mutex_);
  return dropped_total_;
}

uint64_t StateSubscription::push(const StateChangePtr& change) {
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return 0;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_since_pop_;
      ++dropped_total_;
      dropped = 1;
    }
    queue_.push_back(change);
  }
  ready_.notify_one();
  return dropped;
}

std::shared_ptr<StateSubscription> StateHub::subscribe(size_t capacity) {
  auto subscription = std::make_shared<StateSubscription>(capacity);
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscription);
  ++counters_.subscribed;
  ++counters_.subscribers;
  return subscription;
}

void StateHub::publish(StateChangePtr change) {
  std::lock_guard lock(mutex_);
  ++counters_.published;
  size_t open = 0;
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    auto subscription = subscribers_[i].lock();
    if (!subscription || subscription->closed()) continue;
    counters_.dropped += subscription->push(change);
    if (open != i) subscribers_[open] = std::move(subscribers_[i]);
    ++open;
  }
  subscribers_.resize(open);
  counters_.subscribers = open;
}

void StateHub::set_snapshot(SnapshotPtr snapshot) {
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
}

SnapshotPtr StateHub::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void StateHub::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& weak : subscribers_) {
    if (auto subscription = weak.lock()) subscription->close();
  }
  subscribers_.clear();
  counters_.subscribers = 0;
}

StateHub::Counters StateHub::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace twin
