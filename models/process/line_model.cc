// The discrete-event line model. Event handlers change State and raise notifications (a part
// became available at a node, room appeared at a node, a machine let go of its part); the
// notifications are drained in FIFO order after each event, so no handler re-enters another
// and the order of everything that happens at one instant is fixed.
#include "models/process/line_model.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace twin {

namespace {

enum EventType : uint32_t {
  kSegmentEnd = 1,     // entity: machine; an operation segment ended (op done or failure)
  kTimeFailure = 2,    // entity: failure mode; a time-based failure
  kRepairEnd = 3,      // entity: machine
  kArrival = 4,        // entity: source node
  kConveyorReady = 5,  // entity: conveyor node; a part reached the end
  kBreakStart = 6,     // entity: unused; the line freezes for a break
  kWarmupEnd = 7,      // statistics restart
  kDisturbance = 8,    // entity: index into LineState::disturbances
};

// Priority at equal times (lower first).
uint32_t priority_of(uint32_t type) {
  switch (type) {
    case kRepairEnd:
      return 0;
    case kSegmentEnd:
      return 1;
    case kConveyorReady:
      return 2;
    case kTimeFailure:
    case kDisturbance:
      return 3;
    case kArrival:
      return 4;
    case kWarmupEnd:
      return 250;
    case kBreakStart:
      return 251;
    default:
      return 200;
  }
}

enum Notice : uint32_t {
  kPartAvailable = 1u << 28,  // index: node
  kSpaceFreed = 2u << 28,     // index: node
  kMachineFree = 3u << 28,    // index: machine
};
constexpr uint32_t kNoticeMask = 0xFu << 28;

// LineState::machine_failed_by of a machine down because of an injected disturbance.
constexpr int32_t kInjectedFailure = -2;

constexpr uint64_t kStreamCycle = 0x6379636c65ull;      // "cycle"
constexpr uint64_t kStreamSetup = 0x7365747570ull;      // "setup"
constexpr uint64_t kStreamQuality = 0x7175616c6974ull;  // "qualit"
constexpr uint64_t kStreamTtf = 0x747466ull;            // "ttf"
constexpr uint64_t kStreamTtr = 0x747472ull;            // "ttr"
constexpr uint64_t kStreamArrival = 0x617272ull;        // "arr"
constexpr uint64_t kStreamMix = 0x6d6978ull;            // "mix"

bool is_active(Mode mode) {
  return mode == Mode::kBusy || mode == Mode::kSetup || mode == Mode::kDown;
}

// Calendar start time of break number k (k counts breaks over all periods).
double break_calendar_start(const Calendar& cal, uint64_t k, double* duration) {
  const uint64_t per = cal.breaks.size();
  const BreakWindow& w = cal.breaks[k % per];
  *duration = w.end - w.start;
  const double cycles = static_cast<double>(k / per);
  return cal.period * cycles + w.start;
}

class LineSim {
 public:
  LineSim(const Model& model, LineState& state) : m_(model), s_(state) {}

  void handle(const Event& e);
  void drain();
  void notify(uint32_t notice, uint32_t index) { s_.pending.push_back(notice | index); }
  void schedule_next_break();
  // Forking (init_state_from): a machine's mode, its running operation, a blocked wait.
  void fork_mode(uint32_t machine, Mode mode) { set_mode(machine, mode); }
  void fork_segment(uint32_t machine) { begin_segment(machine); }
  void fork_wait(uint32_t node, uint32_t machine) { enqueue_waiter(node, machine); }

 private:
  const Station& station_of(uint32_t machine) const {
    return m_.stations[m_.machine_station[machine]];
  }
  void set_mode(uint32_t machine, Mode mode);
  void close_active_period(uint32_t machine);
  void touch_level(uint32_t node) {
    s_.level_area[node] +=
        static_cast<double>(s_.contents[node].count) * (s_.now - s_.level_since[node]);
    s_.level_since[node] = s_.now;
  }
  void change_wip(int64_t delta) {
    s_.wip_area += static_cast<double>(s_.wip) * (s_.now - s_.wip_since);
    s_.wip_since = s_.now;
    s_.wip += delta;
  }
  bool has_space(uint32_t node) const;
  int32_t handoff_waiter(uint32_t node) const;
  bool input_ready(uint32_t node) const;
  Part new_part(uint32_t node);
  Part take(uint32_t node);
  void put(uint32_t node, Part part);
  void enqueue_waiter(uint32_t node, uint32_t machine);
  void remove_waiter(uint32_t node, uint32_t slot);
  void try_start(uint32_t machine);
  void begin_segment(uint32_t machine);
  void end_segment(uint32_t machine);
  void finish_part(uint32_t machine);
  void release(uint32_t machine);
  void fail(uint32_t machine, uint32_t failure);
  void go_down(uint32_t machine, int32_t failure, double repair);
  void end_repair(uint32_t machine);
  void disturb(uint32_t index);
  void arrive(uint32_t node);
  void on_space_freed(uint32_t node);
  void on_part_available(uint32_t node);
  void warmup_end();
  void break_start();

  const Model& m_;
  LineState& s_;
};

void LineSim::set_mode(uint32_t machine, Mode mode) {
  const Mode old = s_.mode[machine];
  if (old == mode) return;
  s_.time_in_mode[machine][static_cast<int>(old)] += s_.now - s_.mode_since[machine];
  s_.mode_since[machine] = s_.now;
  const bool was_active = is_active(old);
  const bool now_active = is_active(mode);
  if (!was_active && now_active) {
    s_.active_since[machine] = s_.now;
    if (s_.oldest_active < 0) s_.oldest_active = static_cast<int32_t>(machine);
  } else if (was_active && !now_active) {
    close_active_period(machine);
  }
  s_.mode[machine] = mode;
  if (s_.observer != nullptr) s_.observer->on_mode(s_.now, machine, old, mode);
}

// Keeps a closed active period only if it can ever be a bottleneck period: one that an older,
// still open period covers is shorter than that period will be, so it is dropped. This keeps
// the record small (a line's bottleneck is usually active for long stretches).
void LineSim::close_active_period(uint32_t machine) {
  const double start = s_.active_since[machine];
  s_.active_since[machine] = -1.0;
  if (s_.oldest_active == static_cast<int32_t>(machine)) {
    s_.oldest_active = -1;
    for (uint32_t m = 0; m < m_.machine_count(); ++m) {
      if (s_.active_since[m] >= 0.0 &&
          (s_.oldest_active < 0 ||
           s_.active_since[m] < s_.active_since[static_cast<uint32_t>(s_.oldest_active)])) {
        s_.oldest_active = static_cast<int32_t>(m);
      }
    }
  } else if (s_.oldest_active >= 0 &&
             s_.active_since[static_cast<uint32_t>(s_.oldest_active)] <= start) {
    return;  // dominated by the oldest open period
  }
  if (s_.now > start) s_.active_periods.push_back({start, s_.now, machine});
}

bool LineSim::has_space(uint32_t node) const {
  const Node& n = m_.nodes[node];
  if (n.capacity == kUnbounded || n.kind == NodeKind::kSink) return true;
  return static_cast<int64_t>(s_.contents[node].count) + s_.reserved[node] < n.capacity;
}

// A machine blocked after service on `node` holding a finished part that a consumer may take
// directly (zero-capacity hand-off), or -1. Returns its slot in the waiter ring.
int32_t LineSim::handoff_waiter(uint32_t node) const {
  const uint32_t size = s_.waiter_offset[node + 1] - s_.waiter_offset[node];
  for (uint32_t i = 0; i < s_.waiter_count[node]; ++i) {
    const uint32_t slot = (s_.waiter_head[node] + i) % size;
    const uint32_t w = s_.waiter_slots[s_.waiter_offset[node] + slot];
    if (s_.holding[w] && s_.phase[w] == Phase::kDone) return static_cast<int32_t>(slot);
  }
  return -1;
}

bool LineSim::input_ready(uint32_t node) const {
  const Node& n = m_.nodes[node];
  if (n.saturated) return true;
  const PartRing& ring = s_.contents[node];
  if (ring.count > 0) {
    return n.kind != NodeKind::kConveyor ||
           (ring.front().ready <= s_.now && s_.jammed_until[node] <= s_.now);
  }
  if (n.kind == NodeKind::kSource && n.capacity == 0) return s_.source_pending[node] > 0;
  return s_.waiter_count[node] > 0 && handoff_waiter(node) >= 0;
}

Part LineSim::new_part(uint32_t node) {
  const Node& n = m_.nodes[node];
  Part p;
  p.created = s_.now;
  if (n.mix_cdf.size() > 1) {
    if (s_.lot_left[node] == 0) {
      const double u = s_.rng_node[2 * node + 1].uniform01();
      size_t i = 0;
      while (i + 1 < n.mix_cdf.size() && u > n.mix_cdf[i]) ++i;
      s_.lot_product[node] = n.mix_product[i];
      s_.lot_left[node] = std::max(n.lot_size, 1u);
    }
    --s_.lot_left[node];
    p.product = s_.lot_product[node];
  } else if (!n.mix_product.empty()) {
    p.product = n.mix_product[0];
  }
  ++s_.parts_created;
  return p;
}

Part LineSim::take(uint32_t node) {
  const Node& n = m_.nodes[node];
  if (n.saturated) {
    Part p = new_part(node);
    change_wip(+1);
    return p;
  }
  PartRing& ring = s_.contents[node];
  if (ring.count > 0) {
    touch_level(node);
    Part p = ring.pop();
    notify(kSpaceFreed, node);
    return p;
  }
  if (n.kind == NodeKind::kSource && n.capacity == 0) {
    // Hand-off from a source without a queue: the arrival (or one that waited) goes straight
    // onto the machine.
    Part p = new_part(node);
    change_wip(+1);
    ++s_.parts_in[node];
    if (--s_.source_pending[node] == 0 && s_.source_waiting[node]) {
      s_.source_waiting[node] = 0;
      const double gap = sample(n.interarrival, s_.rng_node[2 * node]);
      s_.events.push(s_.now + gap, kArrival, node, priority_of(kArrival), 0);
    }
    return p;
  }
  // Hand-off from a machine blocked on a zero-capacity node.
  const int32_t slot = handoff_waiter(node);
  const uint32_t w = s_.waiter_slots[s_.waiter_offset[node] + static_cast<uint32_t>(slot)];
  remove_waiter(node, static_cast<uint32_t>(slot));
  Part p = s_.part[w];
  ++s_.parts_in[node];
  release(w);
  return p;
}

void LineSim::put(uint32_t node, Part part) {
  const Node& n = m_.nodes[node];
  ++s_.parts_in[node];
  if (n.kind == NodeKind::kSink) {
    s_.lead_time_sum[node] += m_.calendar.empty() ? s_.now - part.created
                                                  : m_.calendar.calendar_at(s_.now) -
                                                        m_.calendar.calendar_at(part.created);
    ++s_.sink_count[node];
    change_wip(-1);
    return;
  }
  touch_level(node);
  PartRing& ring = s_.contents[node];
  if (n.kind == NodeKind::kConveyor) {
    double ready = s_.now + sample(n.transport_time, s_.rng_node[2 * node]);
    ready = std::max(ready, s_.last_ready[node]);
    s_.last_ready[node] = ready;
    part.ready = ready;
    ring.push(part);
    s_.events.push(ready, kConveyorReady, node, priority_of(kConveyorReady), 0);
  } else {
    ring.push(part);
    notify(kPartAvailable, node);
  }
  const int64_t level = ring.count;
  if (level > s_.level_max[node]) s_.level_max[node] = level;
}

void LineSim::enqueue_waiter(uint32_t node, uint32_t machine) {
  const uint32_t size = s_.waiter_offset[node + 1] - s_.waiter_offset[node];
  const uint32_t slot = (s_.waiter_head[node] + s_.waiter_count[node]) % size;
  s_.waiter_slots[s_.waiter_offset[node] + slot] = machine;
  ++s_.waiter_count[node];
  s_.waiting_space[machine] = 1;
}

void LineSim::remove_waiter(uint32_t node, uint32_t slot) {
  const uint32_t size = s_.waiter_offset[node + 1] - s_.waiter_offset[node];
  const uint32_t base = s_.waiter_offset[node];
  s_.waiting_space[s_.waiter_slots[base + slot]] = 0;
  // Shift the later waiters one place forward to keep FIFO order.
  uint32_t i = slot;
  const uint32_t last = (s_.waiter_head[node] + s_.waiter_count[node] - 1) % size;
  while (i != last) {
    const uint32_t next = (i + 1) % size;
    s_.waiter_slots[base + i] = s_.waiter_slots[base + next];
    i = next;
  }
  --s_.waiter_count[node];
}

void LineSim::try_start(uint32_t machine) {
  if (s_.down[machine] || s_.holding[machine] || s_.waiting_space[machine]) return;
  const Station& st = station_of(machine);
  for (uint32_t in : st.inputs) {
    if (!input_ready(in)) {
      set_mode(machine, Mode::kStarved);
      return;
    }
  }
  // Blocking before service needs a place to reserve; into a zero-capacity hand-off it
  // behaves as blocking after service.
  if (st.blocking == Blocking::kBeforeService && m_.nodes[st.output].capacity != 0) {
    if (!has_space(st.output)) {
      set_mode(machine, Mode::kBlocked);
      enqueue_waiter(st.output, machine);
      return;
    }
    ++s_.reserved[st.output];
    s_.reserved_output[machine] = 1;
  }
  Part p = take(st.inputs[0]);
  for (size_t i = 1; i < st.inputs.size(); ++i) {
    take(st.inputs[i]);  // assembled into p
    change_wip(-1);
  }
  s_.holding[machine] = 1;
  s_.part[machine] = p;
  ++s_.started[machine];
  if (s_.observer != nullptr) s_.observer->on_part(s_.now, machine, PartEvent::kStarted, p);
  const bool product_changed =
      s_.last_product[machine] >= 0 && s_.last_product[machine] != static_cast<int32_t>(p.product);
  const bool setup =
      st.has_setup &&
      ((st.setup_on_product_change && product_changed) ||
       (st.setup_every_parts > 0 && s_.parts_since_setup[machine] >= st.setup_every_parts));
  s_.last_product[machine] = p.product;
  if (setup) {
    s_.parts_since_setup[machine] = 0;
    s_.phase[machine] = Phase::kSetup;
    s_.op_remaining[machine] = sample(st.setup_time, s_.rng_machine[3 * machine + 1]);
    set_mode(machine, Mode::kSetup);
  } else {
    s_.phase[machine] = Phase::kProcess;
    s_.op_remaining[machine] = sample(st.cycle_time, s_.rng_machine[3 * machine]);
    set_mode(machine, Mode::kBusy);
  }
  ++s_.parts_since_setup[machine];
  begin_segment(machine);
}

void LineSim::begin_segment(uint32_t machine) {
  s_.segment_start[machine] = s_.now;
  double dt = s_.op_remaining[machine];
  int32_t cause = -1;
  if (s_.phase[machine] == Phase::kProcess) {
    const Station& st = station_of(machine);
    for (uint32_t f = s_.failure_offset[machine]; f < s_.failure_offset[machine + 1]; ++f) {
      if (st.failures[s_.failure_spec[f]].operation_based && s_.ttf_remaining[f] < dt) {
        dt = s_.ttf_remaining[f];
        cause = static_cast<int32_t>(f);
      }
    }
  }
  s_.segment_failure[machine] = cause;
  const uint32_t gen = ++s_.generation[machine];
  s_.events.push(s_.now + dt, kSegmentEnd, machine, priority_of(kSegmentEnd), gen);
}

// Charges the elapsed part of the running segment to the operation and to the
// operation-based failure clocks.
void charge_segment(const Model& model, LineState& s, uint32_t machine) {
  const double elapsed = s.now - s.segment_start[machine];
  s.op_remaining[machine] -= elapsed;
  if (s.phase[machine] != Phase::kProcess) return;
  const Station& st = model.stations[model.machine_station[machine]];
  for (uint32_t f = s.failure_offset[machine]; f < s.failure_offset[machine + 1]; ++f) {
    if (st.failures[s.failure_spec[f]].operation_based) s.ttf_remaining[f] -= elapsed;
  }
}

void LineSim::end_segment(uint32_t machine) {
  charge_segment(m_, s_, machine);
  const int32_t cause = s_.segment_failure[machine];
  if (cause >= 0) {
    s_.ttf_remaining[static_cast<uint32_t>(cause)] = 0.0;
    fail(machine, static_cast<uint32_t>(cause));
    return;
  }
  const Station& st = station_of(machine);
  if (s_.phase[machine] == Phase::kSetup) {
    s_.phase[machine] = Phase::kProcess;
    s_.op_remaining[machine] = sample(st.cycle_time, s_.rng_machine[3 * machine]);
    set_mode(machine, Mode::kBusy);
    begin_segment(machine);
    return;
  }
  ++s_.completed[machine];
  // Always draw, so variants with other probabilities keep their streams aligned.
  const double u = s_.rng_machine[3 * machine + 2].uniform01();
  Part& p = s_.part[machine];
  if (u < st.scrap_probability) {
    ++s_.scrapped[machine];
    s_.destination[machine] = -1;
  } else if (u < st.scrap_probability + st.rework_probability) {
    ++s_.reworked[machine];
    ++p.reworks;
    s_.destination[machine] = st.rework_node;
  } else {
    ++s_.good[machine];
    s_.destination[machine] = static_cast<int32_t>(st.output);
  }
  s_.phase[machine] = Phase::kDone;
  if (s_.observer != nullptr) {
    const PartEvent event = s_.destination[machine] < 0 ? PartEvent::kScrapped
                            : s_.destination[machine] == static_cast<int32_t>(st.output)
                                ? PartEvent::kFinished
                                : PartEvent::kReworked;
    s_.observer->on_part(s_.now, machine, event, p);
  }
  finish_part(machine);
}

void LineSim::finish_part(uint32_t machine) {
  const Station& st = station_of(machine);
  const int32_t dest = s_.destination[machine];
  const bool reserved = s_.reserved_output[machine] != 0;
  if (reserved) {
    s_.reserved_output[machine] = 0;
    --s_.reserved[st.output];
    if (dest != static_cast<int32_t>(st.output)) notify(kSpaceFreed, st.output);
  }
  if (dest < 0) {
    change_wip(-1);
    release(machine);
    return;
  }
  const uint32_t node = static_cast<uint32_t>(dest);
  if (has_space(node)) {
    put(node, s_.part[machine]);
    release(machine);
    return;
  }
  set_mode(machine, Mode::kBlocked);
  enqueue_waiter(node, machine);
  if (m_.nodes[node].capacity == 0) notify(kPartAvailable, node);
}

void LineSim::release(uint32_t machine) {
  s_.holding[machine] = 0;
  s_.phase[machine] = Phase::kNone;
  notify(kMachineFree, machine);
}

void LineSim::fail(uint32_t machine, uint32_t failure) {
  const Station& st = station_of(machine);
  const double ttr =
      sample(st.failures[s_.failure_spec[failure]].time_to_repair, s_.rng_failure[2 * failure + 1]);
  go_down(machine, static_cast<int32_t>(failure), ttr);
}

// Takes a machine down for `repair` seconds because of failure mode `failure` (or
// kInjectedFailure): interrupts its operation and stops its other time-based failure clocks.
void LineSim::go_down(uint32_t machine, int32_t failure, double repair) {
  ++s_.failures[machine];
  s_.down[machine] = 1;
  s_.machine_failed_by[machine] = failure;
  const Phase ph = s_.phase[machine];
  if (s_.holding[machine] && (ph == Phase::kSetup || ph == Phase::kProcess) &&
      s_.segment_failure[machine] != failure) {
    charge_segment(m_, s_, machine);  // a time-based failure interrupts the operation
  }
  ++s_.generation[machine];  // cancels the pending segment end, if any
  const Station& st = station_of(machine);
  for (uint32_t f = s_.failure_offset[machine]; f < s_.failure_offset[machine + 1]; ++f) {
    if (static_cast<int32_t>(f) == failure || st.failures[s_.failure_spec[f]].operation_based)
      continue;
    s_.ttf_remaining[f] = s_.fail_at[f] - s_.now;  // time-based clocks stop while down
    ++s_.failure_generation[f];
  }
  set_mode(machine, Mode::kDown);
  s_.events.push(s_.now + repair, kRepairEnd, machine, priority_of(kRepairEnd), 0);
}

void LineSim::disturb(uint32_t index) {
  const Disturbance& d = s_.disturbances[index];
  if (d.kind == Disturbance::kConveyorJam) {
    s_.jammed_until[d.target] = std::max(s_.jammed_until[d.target], s_.now + d.duration);
    // Wakes the conveyor's consumers when the jam clears.
    s_.events.push(s_.jammed_until[d.target], kConveyorReady, d.target, priority_of(kConveyorReady),
                   0);
    return;
  }
  if (s_.down[d.target]) {
    // Already in repair: the fault strikes as soon as the machine is back (checked each
    // second, which keeps this rare case out of the repair path).
    s_.events.push(s_.now + 1.0, kDisturbance, index, priority_of(kDisturbance), 0);
    return;
  }
  go_down(d.target, kInjectedFailure, d.duration);
}

void LineSim::end_repair(uint32_t machine) {
  s_.down[machine] = 0;
  const int32_t failed = s_.machine_failed_by[machine];
  s_.machine_failed_by[machine] = -1;
  const Station& st = station_of(machine);
  if (failed >= 0) {
    const uint32_t f = static_cast<uint32_t>(failed);
    s_.ttf_remaining[f] =
        sample(st.failures[s_.failure_spec[f]].time_to_failure, s_.rng_failure[2 * f]);
  }
  for (uint32_t f = s_.failure_offset[machine]; f < s_.failure_offset[machine + 1]; ++f) {
    if (st.failures[s_.failure_spec[f]].operation_based) continue;
    s_.fail_at[f] = s_.now + s_.ttf_remaining[f];
    const uint32_t gen = ++s_.failure_generation[f];
    s_.events.push(s_.fail_at[f], kTimeFailure, f, priority_of(kTimeFailure), gen);
  }
  const Phase ph = s_.phase[machine];
  if (s_.holding[machine] && (ph == Phase::kSetup || ph == Phase::kProcess)) {
    set_mode(machine, ph == Phase::kSetup ? Mode::kSetup : Mode::kBusy);
    begin_segment(machine);
  } else if (s_.waiting_space[machine]) {
    set_mode(machine, Mode::kBlocked);
  } else {
    try_start(machine);  // sets the mode; down -> busy keeps one active period
  }
}

void LineSim::arrive(uint32_t node) {
  const Node& n = m_.nodes[node];
  for (uint32_t k = 0; k < n.batch_size; ++k) {
    if (has_space(node)) {
      Part p = new_part(node);
      change_wip(+1);
      put(node, p);
      continue;
    }
    if (n.capacity == 0) {
      // No queue at all: an idle machine takes the arrival at once, or it is lost or waits.
      s_.source_pending[node] = 1;
      on_part_available(node);
      if (s_.source_pending[node] == 0) continue;
      s_.source_pending[node] = 0;
    }
    if (n.lose_when_full) {
      ++s_.arrivals_lost[node];
    } else {
      s_.source_waiting[node] = 1;
      s_.source_pending[node] = n.batch_size - k;
      return;  // the arrival process stops until there is room
    }
  }
  const double gap = sample(n.interarrival, s_.rng_node[2 * node]);
  s_.events.push(s_.now + gap, kArrival, node, priority_of(kArrival), 0);
}

void LineSim::on_space_freed(uint32_t node) {
  const uint32_t size = s_.waiter_offset[node + 1] - s_.waiter_offset[node];
  while (s_.waiter_count[node] > 0 && has_space(node)) {
    const uint32_t slot = s_.waiter_head[node];
    const uint32_t w = s_.waiter_slots[s_.waiter_offset[node] + slot];
    s_.waiter_head[node] = (slot + 1) % size;
    --s_.waiter_count[node];
    s_.waiting_space[w] = 0;
    if (s_.holding[w] && s_.phase[w] == Phase::kDone) {
      put(node, s_.part[w]);
      release(w);
    } else {
      try_start(w);  // blocked before service: may reserve the place now
    }
  }
  if (s_.source_waiting[node]) {
    const Node& n = m_.nodes[node];
    while (s_.source_pending[node] > 0 && has_space(node)) {
      Part p = new_part(node);
      change_wip(+1);
      put(node, p);
      --s_.source_pending[node];
    }
    if (s_.source_pending[node] == 0) {
      s_.source_waiting[node] = 0;
      const double gap = sample(n.interarrival, s_.rng_node[2 * node]);
      s_.events.push(s_.now + gap, kArrival, node, priority_of(kArrival), 0);
    }
  }
}

void LineSim::on_part_available(uint32_t node) {
  for (uint32_t st_index : m_.nodes[node].consumers) {
    const Station& st = m_.stations[st_index];
    for (uint32_t k = 0; k < st.machine_count; ++k) {
      if (!input_ready(node)) return;
      try_start(st.first_machine + k);
    }
  }
}

void LineSim::warmup_end() {
  const uint32_t nm = m_.machine_count();
  for (uint32_t i = 0; i < nm; ++i) {
    s_.time_in_mode[i].fill(0.0);
    s_.mode_since[i] = s_.now;
    if (s_.active_since[i] >= 0.0) s_.active_since[i] = s_.now;
    s_.started[i] = s_.completed[i] = s_.good[i] = s_.scrapped[i] = s_.reworked[i] = 0;
    s_.failures[i] = 0;
  }
  s_.active_periods.clear();
  for (size_t n = 0; n < m_.nodes.size(); ++n) {
    s_.level_area[n] = 0.0;
    s_.level_since[n] = s_.now;
    s_.level_max[n] = s_.contents[n].count;
    s_.parts_in[n] = s_.arrivals_lost[n] = s_.sink_count[n] = 0;
    s_.lead_time_sum[n] = 0.0;
  }
  s_.wip_area = 0.0;
  s_.wip_break_area = 0.0;
  s_.wip_since = s_.now;
  s_.parts_created = 0;
}

// The line freezes for a break: contents and WIP stay as they are for its whole length.
void LineSim::break_start() {
  double duration = 0.0;
  break_calendar_start(m_.calendar, s_.next_break, &duration);
  ++s_.next_break;
  if (s_.now >= s_.warmup_end) {
    s_.wip_break_area += static_cast<double>(s_.wip) * duration;
    for (size_t n = 0; n < m_.nodes.size(); ++n) {
      s_.level_area[n] += static_cast<double>(s_.contents[n].count) * duration;
    }
  }
  schedule_next_break();
}

void LineSim::schedule_next_break() {
  const Calendar& cal = m_.calendar;
  if (cal.empty()) return;
  if (cal.period <= 0.0 && s_.next_break >= cal.breaks.size()) return;
  double duration = 0.0;
  const double start = break_calendar_start(cal, s_.next_break, &duration);
  if (start >= s_.horizon_calendar) return;
  s_.events.push(cal.working_at(start), kBreakStart, 0, priority_of(kBreakStart), 0);
}

void LineSim::handle(const Event& e) {
  switch (e.type()) {
    case kSegmentEnd:
      if (e.generation == s_.generation[e.entity()]) end_segment(e.entity());
      break;
    case kTimeFailure:
      if (e.generation == s_.failure_generation[e.entity()]) {
        fail(s_.failure_machine[e.entity()], e.entity());
      }
      break;
    case kRepairEnd:
      end_repair(e.entity());
      break;
    case kDisturbance:
      disturb(e.entity());
      break;
    case kArrival:
      arrive(e.entity());
      break;
    case kConveyorReady:
      notify(kPartAvailable, e.entity());
      break;
    case kBreakStart:
      break_start();
      break;
    case kWarmupEnd:
      warmup_end();
      break;
    default:
      break;
  }
}

void LineSim::drain() {
  for (size_t i = 0; i < s_.pending.size(); ++i) {
    const uint32_t notice = s_.pending[i];
    const uint32_t index = notice & ~kNoticeMask;
    switch (notice & kNoticeMask) {
      case kPartAvailable:
        on_part_available(index);
        break;
      case kSpaceFreed:
        on_space_freed(index);
        break;
      case kMachineFree:
        try_start(index);
        break;
      default:
        break;
    }
  }
  s_.pending.clear();
}

template <typename T>
void assign(std::vector<T>& v, size_t n, const T& value) {
  v.assign(n, value);
}

}  // namespace

void PartRing::push(const Part& p) {
  if (count == slots.size()) {
    const size_t old_size = slots.size();
    const size_t new_size = old_size == 0 ? 4 : old_size * 2;
    std::vector<Part> grown(new_size);
    for (uint32_t i = 0; i < count; ++i) grown[i] = slots[(head + i) & (old_size - 1)];
    slots.swap(grown);
    head = 0;
  }
  slots[(head + count) & (slots.size() - 1)] = p;
  ++count;
}

Part PartRing::pop() {
  Part p = slots[head];
  head = static_cast<uint32_t>((head + 1) & (slots.size() - 1));
  --count;
  return p;
}

namespace {

// Everything init_state does before the first events: sizes, zeroed counters and the random
// streams of (options.seed, options.replication). Shared with init_state_from.
void prepare_state(const Model& model, const RunOptions& options, LineState& s) {
  const uint32_t nm = model.machine_count();
  const size_t nn = model.nodes.size();
  const Calendar& cal = model.calendar;
  s.horizon_calendar = options.horizon_s;
  s.warmup_calendar = std::min(options.warmup_s, options.horizon_s);
  s.horizon = cal.empty() ? options.horizon_s : cal.working_at(options.horizon_s);
  s.warmup_end = cal.empty() ? s.warmup_calendar : cal.working_at(s.warmup_calendar);
  s.now = 0.0;
  s.now_calendar = 0.0;
  s.seed = options.seed;
  s.replication = options.replication;
  s.events.clear();
  s.events_processed = 0;
  s.trace_hash = 0xcbf29ce484222325ull;

  assign(s.mode, nm, Mode::kStarved);
  assign(s.mode_since, nm, 0.0);
  assign(s.time_in_mode, nm, std::array<double, kModeCount>{});
  assign(s.phase, nm, Phase::kNone);
  assign(s.down, nm, uint8_t{0});
  assign(s.holding, nm, uint8_t{0});
  assign(s.part, nm, Part{});
  assign(s.op_remaining, nm, 0.0);
  assign(s.segment_start, nm, 0.0);
  assign(s.segment_failure, nm, int32_t{-1});
  assign(s.generation, nm, uint32_t{0});
  assign(s.destination, nm, int32_t{-1});
  assign(s.reserved_output, nm, uint8_t{0});
  assign(s.waiting_space, nm, uint8_t{0});
  assign(s.parts_since_setup, nm, uint32_t{0});
  assign(s.last_product, nm, int32_t{-1});
  assign(s.active_since, nm, -1.0);
  for (auto* counter : {&s.started, &s.completed, &s.good, &s.scrapped, &s.reworked, &s.failures}) {
    assign(*counter, nm, uint64_t{0});
  }
  assign(s.machine_failed_by, nm, int32_t{-1});

  // Failure modes and random streams.
  s.failure_offset.assign(nm + 1, 0);
  s.failure_machine.clear();
  s.failure_spec.clear();
  s.rng_machine.resize(3 * size_t{nm});
  s.rng_failure.clear();
  for (uint32_t st_index = 0; st_index < model.stations.size(); ++st_index) {
    const Station& st = model.stations[st_index];
    for (uint32_t k = 0; k < st.machine_count; ++k) {
      const uint32_t m = st.first_machine + k;
      const uint64_t entity = mix64(st.name_key + k);
      s.rng_machine[3 * m].reseed(
          Rng::stream_seed(options.seed, options.replication, entity, kStreamCycle));
      s.rng_machine[3 * m + 1].reseed(
          Rng::stream_seed(options.seed, options.replication, entity, kStreamSetup));
      s.rng_machine[3 * m + 2].reseed(
          Rng::stream_seed(options.seed, options.replication, entity, kStreamQuality));
      s.failure_offset[m] = static_cast<uint32_t>(s.failure_machine.size());
      for (uint32_t f = 0; f < st.failures.size(); ++f) {
        s.failure_machine.push_back(m);
        s.failure_spec.push_back(f);
        const uint64_t fkey = mix64(entity ^ st.failures[f].name_key);
        s.rng_failure.emplace_back(
            Rng::stream_seed(options.seed, options.replication, fkey, kStreamTtf));
        s.rng_failure.emplace_back(
            Rng::stream_seed(options.seed, options.replication, fkey, kStreamTtr));
      }
    }
  }
  // failure_offset is filled in machine order because stations own consecutive machines.
  s.failure_offset[nm] = static_cast<uint32_t>(s.failure_machine.size());
  const size_t nf = s.failure_machine.size();
  assign(s.ttf_remaining, nf, 0.0);
  assign(s.fail_at, nf, 0.0);
  assign(s.failure_generation, nf, uint32_t{0});

  // Nodes.
  s.contents.resize(nn);
  for (auto& ring : s.contents) ring.clear();
  assign(s.reserved, nn, int32_t{0});
  s.waiter_offset.assign(nn + 1, 0);
  for (size_t n = 0; n < nn; ++n) {
    uint32_t slots = 0;
    for (uint32_t st_index : model.nodes[n].producers)
      slots += model.stations[st_index].machine_count;
    s.waiter_offset[n + 1] = s.waiter_offset[n] + std::max(slots, 1u);
  }
  s.waiter_slots.assign(s.waiter_offset[nn], 0);
  assign(s.waiter_head, nn, uint32_t{0});
  assign(s.waiter_count, nn, uint32_t{0});
  assign(s.source_waiting, nn, uint8_t{0});
  assign(s.source_pending, nn, uint32_t{0});
  assign(s.level_area, nn, 0.0);
  assign(s.level_since, nn, 0.0);
  assign(s.level_max, nn, int64_t{0});
  assign(s.parts_in, nn, uint64_t{0});
  assign(s.arrivals_lost, nn, uint64_t{0});
  assign(s.lead_time_sum, nn, 0.0);
  assign(s.sink_count, nn, uint64_t{0});
  assign(s.last_ready, nn, 0.0);
  assign(s.lot_left, nn, uint32_t{0});
  assign(s.lot_product, nn, uint16_t{0});
  assign(s.jammed_until, nn, 0.0);
  s.disturbances.clear();
  s.rng_node.resize(2 * nn);
  for (size_t n = 0; n < nn; ++n) {
    const uint64_t key = model.nodes[n].name_key;
    s.rng_node[2 * n].reseed(
        Rng::stream_seed(options.seed, options.replication, key, kStreamArrival));
    s.rng_node[2 * n + 1].reseed(
        Rng::stream_seed(options.seed, options.replication, key, kStreamMix));
  }

  s.wip = 0;
  s.wip_area = 0.0;
  s.wip_break_area = 0.0;
  s.wip_since = 0.0;
  s.parts_created = 0;
  s.active_periods.clear();
  s.oldest_active = -1;
  s.pending.clear();
  s.next_break = 0;
}

}  // namespace

void init_state(const Model& model, const RunOptions& options, LineState& s) {
  prepare_state(model, options, s);
  const size_t nn = model.nodes.size();
  const uint32_t nm = model.machine_count();
  const size_t nf = s.failure_machine.size();
  LineSim sim(model, s);
  // Initial contents.
  for (size_t n = 0; n < nn; ++n) {
    const Node& node = model.nodes[n];
    for (int32_t k = 0; k < node.initial; ++k) {
      Part p;
      p.product = node.mix_product.empty() ? 0 : node.mix_product[0];
      s.contents[n].push(p);
      ++s.wip;
    }
    s.level_max[n] = s.contents[n].count;
    if (node.kind == NodeKind::kSource && !node.saturated) {
      const double gap = sample(node.interarrival, s.rng_node[2 * n]);
      s.events.push(gap, kArrival, static_cast<uint32_t>(n), priority_of(kArrival), 0);
    }
  }
  for (uint32_t f = 0; f < nf; ++f) {
    const Station& st = model.stations[model.machine_station[s.failure_machine[f]]];
    const FailureSpec& spec = st.failures[s.failure_spec[f]];
    s.ttf_remaining[f] = sample(spec.time_to_failure, s.rng_failure[2 * f]);
    if (!spec.operation_based) {
      s.fail_at[f] = s.ttf_remaining[f];
      s.events.push(s.fail_at[f], kTimeFailure, f, priority_of(kTimeFailure), 0);
    }
  }
  if (s.warmup_end > 0.0) s.events.push(s.warmup_end, kWarmupEnd, 0, priority_of(kWarmupEnd), 0);
  sim.schedule_next_break();
  for (uint32_t m = 0; m < nm; ++m) sim.notify(kMachineFree, m);
  sim.drain();
}

namespace {

constexpr uint64_t kStreamFork = 0x666f726bull;  // "fork": residual operations and repairs

// What is left of an operation (or repair) of distribution `d` that has run `elapsed` seconds:
// a draw conditional on lasting longer, minus the elapsed time (0 when 16 draws in a row end
// sooner: it is about to end). Unknown elapsed time (< 0): a uniform fraction of a full draw.
double residual(const Distribution& d, Rng& rng, double elapsed) {
  if (elapsed < 0.0) return sample(d, rng) * rng.uniform01();
  for (int i = 0; i < 16; ++i) {
    const double x = sample(d, rng);
    if (x > elapsed) return x - elapsed;
  }
  return 0.0;
}

// Time to failure of a clock that has survived `age` seconds: conditional draws (fresh when 64
// in a row fail to survive, i.e. the clock is far in its tail). age <= 0: one plain draw.
double aged_time_to_failure(const Distribution& d, Rng& rng, double age) {
  if (age <= 0.0) return sample(d, rng);
  for (int i = 0; i < 64; ++i) {
    const double x = sample(d, rng);
    if (x > age) return x - age;
  }
  return sample(d, rng);
}

// Repair time left of a machine observed down for `elapsed` seconds: the repair distribution of
// one of its station's failure modes, picked in proportion to its rate (1 / mean time to
// failure). A machine without failure modes (an outside fault) stays down as long again.
double residual_repair(const Station& st, Rng& rng, double elapsed) {
  double total = 0.0;
  for (const FailureSpec& f : st.failures) total += 1.0 / std::max(f.time_to_failure.mean, 1e-9);
  if (st.failures.empty() || !(total > 0.0)) return std::max(elapsed, 0.0);
  double u = rng.uniform01() * total;
  size_t pick = st.failures.size() - 1;
  for (size_t i = 0; i < st.failures.size(); ++i) {
    u -= 1.0 / std::max(st.failures[i].time_to_failure.mean, 1e-9);
    if (u <= 0.0) {
      pick = i;
      break;
    }
  }
  return residual(st.failures[pick].time_to_repair, rng, std::max(elapsed, 0.0));
}

}  // namespace

void init_state_from(const Model& model, const RunOptions& options, const ObservedLine& observed,
                     LineState& s, bool aged_failure_clocks) {
  const bool levels_known = observed.node_level.size() == model.nodes.size() &&
                            std::none_of(observed.node_level.begin(), observed.node_level.end(),
                                         [](int64_t level) { return level < 0; });
  if (!levels_known) {
    init_state_from(model, options, infer_node_levels(model, observed), s, aged_failure_clocks);
    return;
  }
  prepare_state(model, options, s);
  const size_t nn = model.nodes.size();
  const uint32_t nm = model.machine_count();
  const size_t nf = s.failure_machine.size();
  const Calendar& cal = model.calendar;
  const double t = std::clamp(observed.calendar_s, 0.0, s.horizon_calendar);
  s.now_calendar = t;
  s.now = cal.empty() ? t : cal.working_at(t);
  s.wip_since = s.now;
  // Breaks that began before the fork are over (or frozen in: the clock is at the break start).
  if (!cal.empty()) {
    for (;;) {
      if (cal.period <= 0.0 && s.next_break >= cal.breaks.size()) break;
      double duration = 0.0;
      if (break_calendar_start(cal, s.next_break, &duration) >= t) break;
      ++s.next_break;
    }
  }
  const ObservedMachine none;
  auto machine_obs = [&](uint32_t m) -> const ObservedMachine& {
    return m < observed.machines.size() ? observed.machines[m] : none;
  };

  LineSim sim(model, s);
  // Node contents, in init_state's order (contents, then the first arrival).
  for (size_t n = 0; n < nn; ++n) {
    const Node& node = model.nodes[n];
    const int64_t level = observed.node_level[n];
    s.level_since[n] = s.now;
    if (node.kind == NodeKind::kSink) {
      s.sink_count[n] = static_cast<uint64_t>(level);
      s.parts_in[n] = static_cast<uint64_t>(level);
      continue;
    }
    for (int64_t k = 0; k < level; ++k) {
      Part p;
      p.created = s.now;
      p.product = node.mix_product.empty() ? 0 : node.mix_product[0];
      if (node.kind == NodeKind::kConveyor) {
        // Spread along the belt: the oldest at the end, the newest a transport time away.
        p.ready =
            s.now + node.transport_time.mean * static_cast<double>(k) / static_cast<double>(level);
        s.last_ready[n] = p.ready;
        s.events.push(p.ready, kConveyorReady, static_cast<uint32_t>(n),
                      priority_of(kConveyorReady), 0);
      }
      s.contents[n].push(p);
      ++s.wip;
    }
    s.level_max[n] = s.contents[n].count;
    if (node.kind == NodeKind::kSource && !node.saturated) {
      const double gap = sample(node.interarrival, s.rng_node[2 * n]);
      s.events.push(s.now + gap, kArrival, static_cast<uint32_t>(n), priority_of(kArrival), 0);
    }
  }
  // Failure clocks, in init_state's order: fresh, or aged by the machine's busy (operation
  // clocks) or up (time clocks) time when it has not failed since the shift start. The clocks
  // of a machine that is down stay stopped until its repair ends.
  for (uint32_t f = 0; f < nf; ++f) {
    const uint32_t m = s.failure_machine[f];
    const Station& st = model.stations[model.machine_station[m]];
    const FailureSpec& spec = st.failures[s.failure_spec[f]];
    const ObservedMachine& om = machine_obs(m);
    const double age = aged_failure_clocks && !om.failed_before
                           ? (spec.operation_based ? om.busy_s : om.up_s)
                           : 0.0;
    s.ttf_remaining[f] = aged_time_to_failure(spec.time_to_failure, s.rng_failure[2 * f], age);
    if (!spec.operation_based && om.mode != Mode::kDown) {
      s.fail_at[f] = s.now + s.ttf_remaining[f];
      s.events.push(s.fail_at[f], kTimeFailure, f, priority_of(kTimeFailure), 0);
    }
  }
  if (s.warmup_end > s.now) s.events.push(s.warmup_end, kWarmupEnd, 0, priority_of(kWarmupEnd), 0);
  sim.schedule_next_break();
  // Machines: those holding a part continue their operation, repair or wait; the others look
  // for work once everything is in place (in machine order, as init_state does).
  for (uint32_t m = 0; m < nm; ++m) {
    const Station& st = model.stations[model.machine_station[m]];
    const ObservedMachine& om = machine_obs(m);
    const ForkedMachine fm = resolve_machine(model, m, om);
    s.started[m] = om.started;
    s.good[m] = om.good;
    s.scrapped[m] = om.scrapped;
    s.reworked[m] = om.reworked;
    s.completed[m] = om.good + om.scrapped + om.reworked;
    s.mode_since[m] = s.now;
    s.parts_since_setup[m] =
        st.setup_every_parts > 0 ? static_cast<uint32_t>(om.started % st.setup_every_parts) : 0;
    Rng rng(Rng::stream_seed(options.seed, options.replication,
                             mix64(st.name_key + (m - st.first_machine)), kStreamFork));
    if (fm.holding) {
      const uint32_t source = st.inputs.empty() ? 0 : st.inputs[0];
      Part p;
      p.created = s.now;
      p.product = model.nodes[source].mix_product.empty() ? 0 : model.nodes[source].mix_product[0];
      s.holding[m] = 1;
      s.part[m] = p;
      ++s.wip;
    }
    const bool reserves = st.blocking == Blocking::kBeforeService &&
                          model.nodes[st.output].capacity != 0 && fm.holding &&
                          fm.mode != Mode::kBlocked;
    if (reserves) {
      s.reserved_output[m] = 1;
      ++s.reserved[st.output];
    }
    const double op_elapsed = fm.mode_unknown ? -1.0 : om.op_elapsed_s;
    switch (fm.mode) {
      case Mode::kBusy:
        s.phase[m] = Phase::kProcess;
        s.op_remaining[m] = residual(st.cycle_time, rng, op_elapsed);
        sim.fork_mode(m, Mode::kBusy);
        sim.fork_segment(m);
        break;
      case Mode::kSetup:
        s.phase[m] = Phase::kSetup;
        s.op_remaining[m] = residual(st.setup_time, rng, op_elapsed);
        s.parts_since_setup[m] = 1;
        sim.fork_mode(m, Mode::kSetup);
        sim.fork_segment(m);
        break;
      case Mode::kDown: {
        if (fm.holding) {
          s.phase[m] = Phase::kProcess;
          s.op_remaining[m] = residual(st.cycle_time, rng, -1.0);
        }
        const double repair = om.repair_remaining_s >= 0.0
                                  ? om.repair_remaining_s
                                  : residual_repair(st, rng, om.mode_elapsed_s);
        s.down[m] = 1;
        s.machine_failed_by[m] = kInjectedFailure;  // every clock was drawn above
        sim.fork_mode(m, Mode::kDown);
        s.events.push(s.now + repair, kRepairEnd, m, priority_of(kRepairEnd), 0);
        break;
      }
      case Mode::kBlocked:
        if (fm.holding) {
          s.phase[m] = Phase::kDone;
          s.destination[m] = static_cast<int32_t>(st.output);
          sim.fork_mode(m, Mode::kBlocked);
          sim.fork_wait(st.output, m);
        } else {
          sim.notify(kMachineFree, m);  // blocks again before service if there is no room
        }
        break;
      default:
        sim.notify(kMachineFree, m);
        break;
    }
  }
  // A blocked machine whose output has room after all (or hands off to a waiting consumer).
  for (size_t n = 0; n < nn; ++n) {
    if (s.waiter_count[n] == 0) continue;
    sim.notify(kSpaceFreed, static_cast<uint32_t>(n));
    if (model.nodes[n].capacity == 0) sim.notify(kPartAvailable, static_cast<uint32_t>(n));
  }
  sim.drain();
}

bool step(const Model& model, LineState& s) {
  if (s.events.empty() || s.events.top().time > s.horizon) return false;
  const Event e = s.events.pop();
  s.now = e.time;
  ++s.events_processed;
  uint64_t h = s.trace_hash;
  h = (h ^ std::bit_cast<uint64_t>(e.time)) * 0x100000001b3ull;
  h = (h ^ e.what) * 0x100000001b3ull;
  s.trace_hash = h;
  LineSim sim(model, s);
  sim.handle(e);
  sim.drain();
  return true;
}

void advance_to(const Model& model, LineState& s, double calendar_time) {
  const double t = std::min(calendar_time, s.horizon_calendar);
  const double w = model.calendar.empty() ? t : model.calendar.working_at(t);
  while (!s.events.empty() && s.events.top().time <= w && step(model, s)) {
  }
  if (w >= s.now) {
    s.now = w;
    s.now_calendar = t;
  }
}

void run_observed(const Model& model, const RunOptions& options, LineObserver& observer,
                  LineState& state) {
  init_state(model, options, state);
  state.observer = &observer;
  advance_to(model, state, options.horizon_s);
  state.observer = nullptr;
}

namespace {
void schedule_disturbance(const Model& model, LineState& s, Disturbance d, double at_calendar) {
  const double at = model.calendar.empty() ? at_calendar : model.calendar.working_at(at_calendar);
  const uint32_t index = static_cast<uint32_t>(s.disturbances.size());
  s.disturbances.push_back(d);
  s.events.push(std::max(at, s.now), kDisturbance, index, priority_of(kDisturbance), 0);
}
}  // namespace

void inject_failure(const Model& model, LineState& state, uint32_t machine, double at_calendar,
                    double repair_s) {
  schedule_disturbance(model, state, {repair_s, machine, Disturbance::kMachineFailure},
                       at_calendar);
}

void inject_jam(const Model& model, LineState& state, uint32_t conveyor, double at_calendar,
                double duration_s) {
  schedule_disturbance(model, state, {duration_s, conveyor, Disturbance::kConveyorJam},
                       at_calendar);
}

ReplicationKpis run_replication(const Model& model, const RunOptions& options) {
  LineState state;
  init_state(model, options, state);
  advance_to(model, state, options.horizon_s);
  return compute_kpis(model, state);
}

}  // namespace twin
