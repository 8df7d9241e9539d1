// The event calendar: a binary min-heap ordered by (time, priority, sequence), so simultaneous
// events always run in the same order (lower priority value first, then insertion order).
// Plain data: copying it forks the calendar. Storage is reused; pushing allocates only when the
// heap grows past its largest size so far.
#pragma once

#include <cstdint>
#include <vector>

namespace twin {

struct Event {
  double time = 0.0;        // [s] working time at which the event happens
  uint64_t order = 0;       // priority (top 8 bits) and sequence number (low 56 bits)
  uint32_t what = 0;        // event type (top 8 bits) and entity index (low 24 bits)
  uint32_t generation = 0;  // entity's generation when scheduled; stale events are skipped

  uint32_t type() const { return what >> 24; }
  uint32_t entity() const { return what & 0xFFFFFFu; }
};

inline bool event_before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.order < b.order);
}

class EventQueue {
 public:
  void clear() {
    heap_.clear();
    next_sequence_ = 0;
  }
  void reserve(size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }

  // Type and priority share the top byte budget: type < 256, entity < 2^24, priority < 256.
  void push(double time, uint32_t type, uint32_t entity, uint32_t priority, uint32_t generation) {
    Event e;
    e.time = time;
    e.order = (static_cast<uint64_t>(priority) << 56) | (next_sequence_++ & kSequenceMask);
    e.what = (type << 24) | (entity & 0xFFFFFFu);
    e.generation = generation;
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }

  Event pop() {
    Event result = heap_.front();
    Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      heap_.front() = last;
      sift_down(0);
    }
    return result;
  }

 private:
  static constexpr uint64_t kSequenceMask = (uint64_t{1} << 56) - 1;

  void sift_up(size_t i) {
    Event moving = heap_[i];
    while (i > 0) {
      size_t parent = (i - 1) / 2;
      if (!event_before(moving, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }

  void sift_down(size_t i) {
    const size_t n = heap_.size();
    Event moving = heap_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && event_before(heap_[child + 1], heap_[child])) ++child;
      if (!event_before(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  std::vector<Event> heap_;     // binary min-heap by event_before
  uint64_t next_sequence_ = 0;  // insertion counter (ties broken by it)
};

}  // namespace twin
