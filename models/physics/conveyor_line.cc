#include "models/physics/conveyor_line.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace twin {
namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

bool finite_non_negative(double v) {
  return std::isfinite(v) && v >= 0.0;
}

// Thickness of the stop and the guides [m]; any value well above a step's travel works.
constexpr double kWallThickness = 0.05;

}  // namespace

ConveyorLine::ConveyorLine(ConveyorLineSpec spec) : spec_(std::move(spec)) {
  const ConveyorLineSpec& s = spec_;
  require(std::isfinite(s.consumer_cycle_s) && s.consumer_cycle_s > 0.0,
          "ConveyorLineSpec.consumer_cycle_s must be finite and > 0");
  require(finite_non_negative(s.stop_tolerance_m) && finite_non_negative(s.rest_speed_mps) &&
              finite_non_negative(s.entry_overhang_m) && finite_non_negative(s.skew_limit_rad) &&
              finite_non_negative(s.stall_time_s) && finite_non_negative(s.advance_m) &&
              finite_non_negative(s.queue_gap_m),
          "ConveyorLineSpec tolerances must be finite and >= 0");
  require(std::isfinite(s.guide_clearance_m), "ConveyorLineSpec.guide_clearance_m must be finite");
  require(std::isfinite(s.jam_clear_s), "ConveyorLineSpec.jam_clear_s must be finite");
  require(!s.parts.empty(), "ConveyorLineSpec.parts must hold at least one part");
  double widest = 0.0, tallest = 0.0;  // [m]
  for (const PartSpec& part : s.parts) {
    require(valid_part(part), "ConveyorLineSpec.parts: sizes and mass must be finite and > 0");
    widest = std::max(widest, part.size_y);
    tallest = std::max(tallest, part.size_z);
  }
  world_ = std::make_unique<BeltWorld>(s.belt);  // validates the belt

  const double length = s.belt.length_m;
  const double height = 2.0 * tallest;  // [m] walls taller than the parts
  // Stop: its face at x = length, spanning the belt's width.
  world_->add_fixture(FixtureSpec{.x = length + 0.5 * kWallThickness,
                                  .y = 0.0,
                                  .z = 0.5 * height,
                                  .size_x = kWallThickness,
                                  .size_y = s.belt.width_m,
                                  .size_z = height,
                                  .friction = 0.0});
  if (s.guide_clearance_m >= 0.0) {
    // Smooth guides (no friction), so a guided part is steered, not braked.
    guide_inner_m_ = 0.5 * widest + s.guide_clearance_m;
    for (double side : {-1.0, 1.0}) {
      world_->add_fixture(FixtureSpec{.x = 0.5 * length,
                                      .y = side * (guide_inner_m_ + 0.5 * kWallThickness),
                                      .z = 0.5 * height,
                                      .size_x = length,
                                      .size_y = kWallThickness,
                                      .size_z = height,
                                      .friction = 0.0});
    }
  }

  const size_t n = s.initial_x_m.size() + s.feed.size();
  records_.assign(n, PartRecord{});
  for (size_t i = 0; i < s.feed.size(); ++i)
    records_[s.initial_x_m.size() + i].part = s.feed[i].part;
  jammed_.assign(n, 0);
  double previous = -INFINITY;
  for (double x : s.initial_x_m) {
    require(std::isfinite(x) && x > previous, "ConveyorLineSpec.initial_x_m must ascend");
    previous = x;
  }
  // Head first: the initial part nearest the stop leads.
  for (size_t i = s.initial_x_m.size(); i-- > 0;) {
    put_on(static_cast<int>(i), s.initial_x_m[i], 0.0, 0.0);
  }
  due_step_.reserve(s.feed.size());
  double last = 0.0;
  for (const FeedItem& f : s.feed) {
    require(std::isfinite(f.time_s) && f.time_s >= last,
            "ConveyorLineSpec.feed times must be finite, >= 0 and ascending");
    require(std::isfinite(f.yaw_rad), "ConveyorLineSpec.feed yaw must be finite");
    require(f.part < s.parts.size(), "ConveyorLineSpec.feed part must index parts");
    last = f.time_s;
    // The first step whose start time reaches time_s (the slack absorbs rounding).
    due_step_.push_back(
        static_cast<int64_t>(std::ceil(f.time_s * BeltWorld::kStepsPerSecond - 1e-9)));
  }
}

void ConveyorLine::append_feed(FeedItem item) {
  require(std::isfinite(item.time_s) && std::isfinite(item.yaw_rad),
          "ConveyorLine::append_feed: time and yaw must be finite");
  require(item.part < spec_.parts.size(), "ConveyorLine::append_feed: part must index parts");
  if (!spec_.feed.empty()) item.time_s = std::max(item.time_s, spec_.feed.back().time_s);
  item.time_s = std::max(item.time_s, 0.0);
  spec_.feed.push_back(item);
  due_step_.push_back(
      static_cast<int64_t>(std::ceil(item.time_s * BeltWorld::kStepsPerSecond - 1e-9)));
  records_.push_back(PartRecord{.part = item.part});
  jammed_.push_back(0);
}

double ConveyorLine::entry_yaw(const PartSpec& part, double yaw_rad) const {
  if (guide_inner_m_ < 0.0) return yaw_rad;
  // A box turned by yaw has the same footprint as one turned by yaw + pi: work in (-pi/2, pi/2].
  double yaw = std::remainder(yaw_rad, std::numbers::pi);
  if (yaw <= -0.5 * std::numbers::pi) yaw += std::numbers::pi;
  const double a = 0.5 * part.size_x, b = 0.5 * part.size_y;
  const double inner = guide_inner_m_;  // [m] |y| of the guides' inner faces
  // Half the footprint across the belt, a |sin| + b |cos|, grows from b at 0 to its maximum
  // hypot(a, b) at atan(a / b): bisect for the largest angle that still fits.
  const auto across = [&](double t) { return a * std::sin(t) + b * std::cos(t); };
  const double widest = std::atan2(a, b);
  if (across(std::abs(yaw)) <= inner) return yaw;  // fits as fed
  double lo = 0.0, hi = widest;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (across(mid) <= inner ? lo : hi) = mid;
  }
  return std::copysign(lo, yaw);
}

void ConveyorLine::put_on(int record, double x_m, double yaw_rad, double t_s) {
  PartRecord& r = records_[static_cast<size_t>(record)];
  const PartSpec& part = part_of(record);
  r.body = world_->add_part(part, x_m, 0.0, entry_yaw(part, yaw_rad));
  r.put_on_s = t_s;
  on_belt_.push_back(Track{.record = record, .mark_x = x_m, .mark_s = t_s});
}

int ConveyorLine::capacity() const {
  double longest = 0.0;  // [m]
  for (const PartSpec& part : spec_.parts) longest = std::max(longest, part.size_x);
  return static_cast<int>(std::floor(spec_.belt.length_m / longest + 1e-9));
}

const PartSpec& ConveyorLine::part_of(int record) const {
  return spec_.parts[records_[static_cast<size_t>(record)].part];
}

int ConveyorLine::parts_waiting() const {
  int n = 0;
  for (size_t i = next_feed_; i < due_step_.size() && due_step_[i] <= steps(); ++i) ++n;
  return n;
}

void ConveyorLine::clear_jams(double t_s) {
  // Jams are reported in time order and every visit is the same delay later: visits come in the
  // same order. The slack allows for the rounding of time + delay.
  while (next_clear_ < jams_.size() &&
         jams_[next_clear_].time_s + spec_.jam_clear_s <= t_s + 1e-9) {
    Jam& jam = jams_[next_clear_++];
    jam.cleared_s = t_s;
    PartRecord& r = records_[static_cast<size_t>(jam.part)];
    const auto track = std::find_if(on_belt_.begin(), on_belt_.end(),
                                    [&](const Track& k) { return k.record == jam.part; });
    if (track == on_belt_.end()) continue;  // taken off (or cleared) since
    const bool skewed = std::abs(world_->part_yaw(r.body)) > spec_.skew_limit_rad;
    const bool stalled = t_s - track->mark_s > spec_.stall_time_s;
    const bool fallen = world_->part_z(r.body) < 0.0;  // centre below the belt's top
    const bool turned = !at_stop(r) && against_stop(r);
    if (skewed || stalled || fallen || turned) {
      world_->remove_part(r.body);
      r.cleared_s = t_s;
      jam.removed = true;
      on_belt_.erase(track);
      ++cleared_;
    } else {
      jammed_[static_cast<size_t>(jam.part)] = 0;  // resolved itself: may be reported again
    }
  }
}

bool ConveyorLine::at_stop(const PartRecord& record) const {
  const double rest_x = spec_.belt.length_m - 0.5 * spec_.parts[record.part].size_x;
  return world_->part_x(record.body) >= rest_x - spec_.stop_tolerance_m &&
         std::abs(world_->part_speed(record.body)) < spec_.rest_speed_mps;
}

const char* jam_reason_name(JamReason reason) {
  switch (reason) {
    case JamReason::kSkewed:
      return "skewed";
    case JamReason::kTurnedAtStop:
      return "turned at the stop";
    case JamReason::kStalled:
      break;
  }
  return "stalled";
}

bool ConveyorLine::against_stop(const PartRecord& record) const {
  const PartSpec& part = spec_.parts[record.part];
  const double yaw = world_->part_yaw(record.body);
  const double front = world_->part_x(record.body) + 0.5 * part.size_x * std::abs(std::cos(yaw)) +
                       0.5 * part.size_y * std::abs(std::sin(yaw));
  return front >= spec_.belt.length_m - spec_.stop_tolerance_m &&
         std::abs(world_->part_speed(record.body)) < spec_.rest_speed_mps;
}

void ConveyorLine::step() {
  const double t = time_s();

  if (spec_.jam_clear_s >= 0.0) clear_jams(t);

  // 1. Feeder.
  if (next_feed_ < due_step_.size() && due_step_[next_feed_] <= steps()) {
    const size_t record = spec_.initial_x_m.size() + next_feed_;
    const double half = 0.5 * spec_.parts[spec_.feed[next_feed_].part].size_x;  // [m]
    double x = half;
    if (!on_belt_.empty()) {
      const int tail = on_belt_.back().record;
      const double tail_half = 0.5 * part_of(tail).size_x;
      // Nose to tail behind the last part.
      x = std::min(x, world_->part_x(records_[static_cast<size_t>(tail)].body) - tail_half - half);
    }
    if (x >= half - spec_.entry_overhang_m) {
      put_on(static_cast<int>(record), x, spec_.feed[next_feed_].yaw_rad, t);
      ++next_feed_;
    }
  }

  // 2. Consumer. The free test has slack for the rounding of t + cycle.
  if (!on_belt_.empty() && t >= consumer_free_s_ - 1e-9) {
    PartRecord& head = records_[static_cast<size_t>(on_belt_.front().record)];
    if (at_stop(head)) {
      world_->remove_part(head.body);
      head.taken_off_s = t;
      on_belt_.pop_front();
      ++taken_;
      consumer_free_s_ = t + spec_.consumer_cycle_s;
    }
  }

  // 3. Physics.
  world_->step();
  const double now = time_s();

  // 4. Arrivals and jams. On a belt wider than two parts a part can pass another beside it, so
  // the parts ahead of each are those in front of it that overlap it across the belt: front
  // first, each is queued when it is at (or against) the stop, or its front is within
  // queue_gap_m of the rear of a queued part ahead of it.
  order_.clear();
  for (Track& track : on_belt_) {
    const int body = records_[static_cast<size_t>(track.record)].body;
    const PartSpec& part = part_of(track.record);
    const double a = 0.5 * part.size_x, b = 0.5 * part.size_y;
    const double yaw = world_->part_yaw(body);
    const double c = std::abs(std::cos(yaw)), sn = std::abs(std::sin(yaw));
    order_.push_back(Placed{.track = &track,
                            .body = body,
                            .x = world_->part_x(body),
                            .y = world_->part_y(body),
                            .yaw = yaw,
                            .half_x = a * c + b * sn,
                            .half_y = a * sn + b * c});
  }
  // A total order (x, then the record), so the result is unique; std::sort does not allocate.
  std::sort(order_.begin(), order_.end(), [](const Placed& p, const Placed& q) {
    return p.x != q.x ? p.x > q.x : p.track->record < q.track->record;
  });
  world_->touching_parts(touching_);
  // Grows with the parts put on (amortized); entries are reset to -1 below.
  slot_.resize(static_cast<size_t>(world_->part_count()), -1);
  for (size_t k = 0; k < order_.size(); ++k)
    slot_[static_cast<size_t>(order_[k].body)] = static_cast<int>(k);
  for (size_t k = 0; k < order_.size(); ++k) {
    Placed& p = order_[k];
    Track& track = *p.track;
    PartRecord& r = records_[static_cast<size_t>(track.record)];
    bool ahead = false;         // a part in front overlaps it across the belt
    bool behind_queue = false;  // ... and is queued, its rear within the gap of this front
    for (size_t j = 0; j < k; ++j) {
      const Placed& q = order_[j];
      // Side by side, with the same gap allowed as end to end (contacts reach that far).
      if (std::abs(q.y - p.y) >= q.half_y + p.half_y + spec_.queue_gap_m) continue;
      ahead = true;
      if (q.queued && (q.x - q.half_x) - (p.x + p.half_x) <= spec_.queue_gap_m) behind_queue = true;
    }
    for (const auto& [a, b] : touching_) {  // touching a queued part ahead of it
      if (behind_queue) break;
      const int other = a == p.body ? b : b == p.body ? a : -1;
      if (other < 0) continue;
      const int j = slot_[static_cast<size_t>(other)];
      if (j >= 0 && static_cast<size_t>(j) < k && order_[static_cast<size_t>(j)].queued)
        behind_queue = true;
    }
    const bool stopped = at_stop(r);
    if (stopped && r.arrived_s < 0.0) r.arrived_s = now;
    const bool against = !stopped && !ahead && against_stop(r);
    if (!against) {
      track.against_s = -1.0;
    } else if (track.against_s < 0.0) {
      track.against_s = now;
    }
    p.queued = stopped || against || behind_queue;
    if (p.x - track.mark_x >= spec_.advance_m || p.queued) {
      track.mark_x = p.x;
      track.mark_s = now;
    }
    uint8_t& reported = jammed_[static_cast<size_t>(track.record)];
    if (!reported) {
      const bool skewed = std::abs(p.yaw) > spec_.skew_limit_rad;
      const bool turned = against && now - track.against_s > spec_.stall_time_s;
      if (skewed || turned || now - track.mark_s > spec_.stall_time_s) {
        reported = 1;
        jams_.push_back(Jam{.part = track.record,
                            .reason = skewed   ? JamReason::kSkewed
                                      : turned ? JamReason::kTurnedAtStop
                                               : JamReason::kStalled,
                            .time_s = now,
                            .x_m = p.x,
                            .yaw_rad = p.yaw});
      }
    }
  }
  for (const Placed& p : order_) slot_[static_cast<size_t>(p.body)] = -1;
}

void ConveyorLine::advance_to(double t_s) {
  const auto target = static_cast<int64_t>(std::ceil(t_s * BeltWorld::kStepsPerSecond - 1e-9));
  while (steps() < target) step();
}

std::unique_ptr<ConveyorLine> ConveyorLine::fork() const {
  auto copy = std::make_unique<ConveyorLine>(spec_);
  while (copy->steps() < steps()) copy->step();
  return copy;
}

}  // namespace twin
