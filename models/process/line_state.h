// LineState: everything that changes while the line model runs. Plain data; copying it forks
// the run (the copy continues bit-identically). Sizes in parentheses: n_m machines, n_f failure
// modes over all machines, n_n nodes. Times are working seconds (the clock stops during breaks)
// unless a field says calendar.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/sim/event_queue.h"
#include "core/sim/rng.h"
#include "models/process/kpi.h"
#include "models/process/line_observer.h"

namespace twin {

struct Part {
  double created = 0.0;  // [s] when the part entered the line
  double ready = 0.0;    // [s] conveyors: when it reaches the end
  uint16_t product = 0;  // product index
  uint16_t reworks = 0;  // times sent back to rework
  uint32_t spare = 0;    // padding, keeps the struct 24 bytes
};

// First-in first-out parts of one node. Grows only past its largest size so far.
struct PartRing {
  std::vector<Part> slots;  // power-of-two ring storage
  uint32_t head = 0;        // index of the oldest part
  uint32_t count = 0;       // parts held

  const Part& front() const { return slots[head]; }
  const Part& back() const { return slots[(head + count - 1) & (slots.size() - 1)]; }
  void clear() { head = count = 0; }
  void push(const Part& p);
  Part pop();
};

// An operation a machine is carrying out on the part it holds.
enum class Phase : uint8_t { kNone, kSetup, kProcess, kDone };

// A period during which a machine was active (busy, in setup or down), for the bottleneck
// analysis (active period method).
struct ActivePeriod {
  double start = 0.0;  // [s]
  double end = 0.0;    // [s]
  uint32_t machine = 0;
  uint32_t spare = 0;  // explicit padding: copies of this struct are byte-for-byte defined
};

// A disturbance from outside the scene's failure model: the plant simulator's injected faults.
struct Disturbance {
  enum Kind : uint8_t { kMachineFailure, kConveyorJam };
  double duration = 0.0;  // [s] working time: repair time, or how long the conveyor is jammed
  uint32_t target = 0;    // machine (failure) or conveyor node (jam)
  Kind kind = kMachineFailure;
};

struct LineState {
  // Run.
  double now = 0.0;               // [s] working time of the last event
  double horizon = 0.0;           // [s] working time at which the run ends
  double warmup_end = 0.0;        // [s] working time at which statistics restarted
  double horizon_calendar = 0.0;  // [s] calendar
  double warmup_calendar = 0.0;   // [s] calendar
  uint64_t seed = 0;              // scenario seed this run draws from (kept with the State, so a
  uint64_t replication = 0;       // fork says which run it continues)
  EventQueue events;
  uint64_t events_processed = 0;
  uint64_t trace_hash = 0;  // running hash of (time, type, entity) of every processed event

  // Machines (n_m each).
  std::vector<Mode> mode;                                    // current mode
  std::vector<double> mode_since;                            // [s] when the current mode began
  std::vector<std::array<double, kModeCount>> time_in_mode;  // [s] closed intervals per mode
  std::vector<Phase> phase;                                  // operation on the held part
  std::vector<uint8_t> down;                                 // 1 while failed
  std::vector<uint8_t> holding;                              // 1 while the machine holds a part
  std::vector<Part> part;                                    // the held part
  std::vector<double> op_remaining;         // [s] of the current operation at segment start
  std::vector<double> segment_start;        // [s] when the running segment began
  std::vector<int32_t> segment_failure;     // failure mode ending the segment, or -1 (op end)
  std::vector<uint32_t> generation;         // bumps cancel the machine's pending segment event
  std::vector<int32_t> destination;         // node the finished part goes to, or -1 (scrapped)
  std::vector<uint8_t> reserved_output;     // 1 when a place in the output is reserved (BBS)
  std::vector<uint8_t> waiting_space;       // 1 while in a node's space-waiter list
  std::vector<uint32_t> parts_since_setup;  // [parts]
  std::vector<int32_t> last_product;        // product of the last part, -1 before the first
  std::vector<double> active_since;         // [s] start of the open active period, or -1
  std::vector<uint64_t> started, completed, good, scrapped, reworked, failures;  // counters

  // Failure modes (n_f each); machine m owns [failure_offset[m], failure_offset[m + 1]).
  std::vector<uint32_t> failure_offset;      // (n_m + 1)
  std::vector<uint32_t> failure_machine;     // owning machine
  std::vector<uint32_t> failure_spec;        // index into the station's failures
  std::vector<double> ttf_remaining;         // [s] clock left to failure while not scheduled
  std::vector<double> fail_at;               // [s] time-based: scheduled failure time
  std::vector<uint32_t> failure_generation;  // bumps cancel a pending time-based failure
  std::vector<int32_t> machine_failed_by;    // (n_m) failure mode being repaired, -1 none,
                                             // -2 an injected disturbance

  // Nodes (n_n each).
  std::vector<PartRing> contents;  // parts held (sinks hold none)
  std::vector<int32_t> reserved;   // [parts] places reserved by BBS machines
  // Machines waiting for room in node n: a FIFO ring inside waiter_slots, at
  // [waiter_offset[n], waiter_offset[n + 1]) (one slot per machine of a producing station).
  std::vector<uint32_t> waiter_slots;
  std::vector<uint32_t> waiter_offset;   // (n_n + 1)
  std::vector<uint32_t> waiter_head;     // ring start, relative to the node's offset
  std::vector<uint32_t> waiter_count;    // machines waiting
  std::vector<uint8_t> source_waiting;   // arrival source holding parts that found it full
  std::vector<uint32_t> source_pending;  // [parts] held back by a waiting source
  std::vector<double> level_area;        // [parts*s] integral of the content (calendar time)
  std::vector<double> level_since;       // [s]
  std::vector<int64_t> level_max;        // [parts]
  std::vector<uint64_t> parts_in;        // [parts]
  std::vector<uint64_t> arrivals_lost;   // [parts]
  std::vector<double> lead_time_sum;     // sinks: [s] calendar
  std::vector<uint64_t> sink_count;      // sinks: [parts]
  std::vector<double> last_ready;        // conveyors: [s] ready time of the last part put on
  std::vector<uint32_t> lot_left;        // sources: [parts] left in the current lot
  std::vector<uint16_t> lot_product;     // sources: product of the current lot
  std::vector<double> jammed_until;      // conveyors: [s] no part leaves before this time

  // Injected disturbances (inject_failure, inject_jam), in the order they were scheduled.
  std::vector<Disturbance> disturbances;

  // Random streams: machine m uses rng_machine[3m + {0 cycle, 1 setup, 2 quality}];
  // failure mode f uses rng_failure[2f + {0 time to failure, 1 time to repair}];
  // node n uses rng_node[2n + {0 interarrival or transport, 1 product mix}].
  std::vector<Rng> rng_machine;
  std::vector<Rng> rng_failure;
  std::vector<Rng> rng_node;

  // Line.
  int64_t wip = 0;         // [parts] in the line (arrival-source queues included)
  double wip_area = 0.0;   // [parts*s]
  double wip_since = 0.0;  // [s]
  uint64_t parts_created = 0;
  std::vector<ActivePeriod> active_periods;  // closed active periods since the warm-up that
                                             // may be bottleneck periods (dominated ones dropped)
  int32_t oldest_active = -1;   // machine whose open active period started first, or -1
  double now_calendar = 0.0;    // [s] calendar time of `now`
  uint64_t next_break = 0;      // index of the next break to account for
  double wip_break_area = 0.0;  // [parts*s] WIP integral over breaks (calendar only)

  // Not owned; null when nobody listens. A copy of the State (a fork) copies the pointer too:
  // clear it on a fork that should run silently.
  LineObserver* observer = nullptr;

  // Scratch: notifications raised while handling an event, drained before the next one
  // (type in the top 4 bits, index below). Reused; never shrinks.
  std::vector<uint32_t> pending;
};

}  // namespace twin
