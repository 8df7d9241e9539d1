// The plant simulator: its process is the line model's, its mode changes and part events tell
// the truth about the shift, its samples are exact when the dirt is clean and dirty in the
// proportions asked for otherwise, and injected faults show their precursors on the right tag
// before the machine goes down.
#include "models/plant/plant_simulator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/telemetry/telemetry.h"
#include "core/telemetry/telemetry_sink.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

// kSmallLine with a 10 min break half an hour into the shift.
constexpr const char* kBreakLine = R"yaml(
name: break line
sources:
  - name: In
buffers:
  - name: B1
    capacity: 5
stations:
  - name: S1
    input: [In]
    output: B1
    cycle_time: {exponential: {mean: 10}}
  - name: S2
    input: [B1]
    output: Out
    cycle_time: {exponential: {mean: 9}}
    failures:
      - name: jam
        time_to_failure: {exponential: {mean: 1200}}
        time_to_repair: {exponential: {mean: 90}}
sinks:
  - name: Out
calendar:
  period: 28800
  breaks: [{name: coffee, start: 1800, duration: 600}]
)yaml";

// A belt between two stations.
constexpr const char* kConveyorLine = R"yaml(
name: conveyor line
sources:
  - name: In
conveyors:
  - {name: Belt, transport_time: 20, capacity: 10}
stations:
  - name: S1
    input: [In]
    output: Belt
    cycle_time: {exponential: {mean: 8}}
  - name: S2
    input: [Belt]
    output: Out
    cycle_time: {exponential: {mean: 9}}
sinks:
  - name: Out
)yaml";

// Everything the plant sends, as it arrives.
class MemorySink : public TelemetrySink {
 public:
  enum class Kind { kSamples, kMode, kPart, kAlarm, kTruth };
  struct Entry {
    Kind kind;
    uint32_t machine;  // 0 for alarms and truth
    uint64_t log_ns;
    uint64_t publish_ns;  // samples only
    std::string bytes;    // the serialised message
    bool operator==(const Entry& o) const {
      return kind == o.kind && machine == o.machine && log_ns == o.log_ns &&
             publish_ns == o.publish_ns && bytes == o.bytes;
    }
  };
  struct MachineDecl {
    std::string name;
    std::vector<TagSpec> tags;
    std::map<std::string, std::string> metadata;
  };
  template <typename Msg>
  struct Logged {
    uint32_t machine;
    uint64_t log_ns;
    Msg msg;
  };

  uint32_t add_machine(std::string_view machine, const std::vector<TagSpec>& tags,
                       const std::map<std::string, std::string>& metadata) override {
    machines.push_back({std::string(machine), tags, metadata});
    return static_cast<uint32_t>(machines.size() - 1);
  }
  bool write_samples(uint32_t machine, uint64_t log_time_ns, const telemetry::SampleBatch& batch,
                     uint64_t publish_time_ns) override {
    entries.push_back(
        {Kind::kSamples, machine, log_time_ns, publish_time_ns, batch.SerializeAsString()});
    batches.push_back({machine, log_time_ns, batch});
    return true;
  }
  bool write_mode(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::ModeChange& change) override {
    entries.push_back({Kind::kMode, machine, log_time_ns, 0, change.SerializeAsString()});
    modes.push_back({machine, log_time_ns, change});
    return true;
  }
  bool write_part(uint32_t machine, uint64_t log_time_ns,
                  const telemetry::PartEvent& event) override {
    entries.push_back({Kind::kPart, machine, log_time_ns, 0, event.SerializeAsString()});
    parts.push_back({machine, log_time_ns, event});
    return true;
  }
  bool write_alarm(uint64_t log_time_ns, const telemetry::Alarm& alarm) override {
    entries.push_back({Kind::kAlarm, 0, log_time_ns, 0, alarm.SerializeAsString()});
    alarms.push_back({0, log_time_ns, alarm});
    return true;
  }
  bool write_truth(uint64_t log_time_ns, const telemetry::FaultTruth& truth) override {
    entries.push_back({Kind::kTruth, 0, log_time_ns, 0, truth.SerializeAsString()});
    truths.push_back({0, log_time_ns, truth});
    return true;
  }

  // Index of a machine's tag by name, or -1.
  int tag_index(uint32_t machine, const std::string& name) const {
    const auto& tags = machines.at(machine).tags;
    for (size_t i = 0; i < tags.size(); ++i) {
      if (tags[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  std::vector<MachineDecl> machines;
  std::vector<Entry> entries;
  std::vector<Logged<telemetry::SampleBatch>> batches;
  std::vector<Logged<telemetry::ModeChange>> modes;
  std::vector<Logged<telemetry::PartEvent>> parts;
  std::vector<Logged<telemetry::Alarm>> alarms;
  std::vector<Logged<telemetry::FaultTruth>> truths;
};

// One sample as sent, in stream order.
struct Sample {
  uint32_t machine;
  uint32_t tag;
  int64_t t_ns;  // device clock
  float value;
  uint64_t log_ns;
  size_t batch;
};

std::vector<Sample> samples_of(const MemorySink& sink) {
  std::vector<Sample> out;
  for (size_t b = 0; b < sink.batches.size(); ++b) {
    const auto& lb = sink.batches[b];
    const telemetry::SampleBatch& m = lb.msg;
    EXPECT_EQ(m.tag_size(), m.value_size());
    EXPECT_EQ(m.tag_size(), m.time_offset_ns_size());
    for (int i = 0; i < m.tag_size(); ++i) {
      out.push_back(
          {lb.machine, m.tag(i), m.base_time_ns() + m.time_offset_ns(i), m.value(i), lb.log_ns, b});
    }
  }
  return out;
}

struct PlantRun {
  PlantReport report;
  MemorySink sink;
};

PlantRun run(const Model& model, const PlantOptions& options) {
  PlantRun r;
  r.report = run_plant(model, options, r.sink);
  EXPECT_FALSE(r.report.write_failed);
  return r;
}

PlantOptions options(double hours, uint64_t seed, const SensorDirt& dirt) {
  PlantOptions o;
  o.hours = hours;
  o.seed = seed;
  o.dirt = dirt;
  return o;
}

Model small_line() {
  return test::load_scene_or_fail(test::kSmallLine).model;
}
Model load(const char* yaml) {
  return test::load_scene_or_fail(yaml, "plant_simulator_test.yaml").model;
}

faults::Fault fault(faults::Fault::Kind kind, const std::string& machine, double at,
                    double precursor = 0.0, double repair = 0.0, const std::string& tag = "") {
  faults::Fault f;
  f.set_kind(kind);
  f.set_machine(machine);
  f.set_at(at);
  f.set_precursor(precursor);
  f.set_repair(repair);
  f.set_tag(tag);
  return f;
}

std::vector<FaultSpec> resolve(const Model& model, double hours,
                               const std::vector<faults::Fault>& list) {
  faults::FaultPlan plan;
  for (const faults::Fault& f : list) *plan.add_faults() = f;
  std::vector<std::string> errors;
  std::vector<FaultSpec> out = resolve_faults(model, plan, hours, errors);
  for (const std::string& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(out.size(), list.size());
  return out;
}

// [s] from the start of the shift.
double seconds(const PlantOptions& o, int64_t ns) {
  return static_cast<double>(ns - o.start_ns) * 1e-9;
}

// Mean of one tag's samples with device time in [t0, t1) seconds of the shift.
double mean_between(const std::vector<Sample>& samples, const PlantOptions& o, uint32_t machine,
                    int tag, double t0, double t1, size_t* count = nullptr) {
  double sum = 0.0;
  size_t n = 0;
  for (const Sample& s : samples) {
    if (s.machine != machine || static_cast<int>(s.tag) != tag) continue;
    const double t = seconds(o, s.t_ns);
    if (t < t0 || t >= t1) continue;
    sum += static_cast<double>(s.value);
    ++n;
  }
  if (count != nullptr) *count = n;
  return n > 0 ? sum / static_cast<double>(n) : NAN;
}

// Times [s] at which machine `m` entered `mode`, from its mode-change messages.
std::vector<double> entered(const MemorySink& sink, const PlantOptions& o, uint32_t m,
                            telemetry::Mode mode) {
  std::vector<double> out;
  for (const auto& c : sink.modes) {
    if (c.machine == m && c.msg.mode() == mode) out.push_back(seconds(o, c.msg.time_ns()));
  }
  return out;
}

// ---- (a) determinism ----

TEST(PlantSimulator, SameOptionsSameStreamOtherSeedOtherStream) {
  const Model model = small_line();
  PlantOptions o = options(1.0, 3, SensorDirt{});
  o.faults = resolve(model, 1.0,
                     {fault(faults::Fault::BEARING_WEAR, "S1", 2400.0, 1200.0, 300.0),
                      fault(faults::Fault::SENSOR_FAILURE, "S2", 3000.0, 0.0, 0.0, "power")});
  const PlantRun a = run(model, o);
  const PlantRun b = run(model, o);
  ASSERT_GT(a.sink.entries.size(), 1000u);
  ASSERT_EQ(a.sink.entries.size(), b.sink.entries.size());
  size_t differences = 0;
  for (size_t i = 0; i < a.sink.entries.size(); ++i)
    differences += !(a.sink.entries[i] == b.sink.entries[i]);
  EXPECT_EQ(differences, 0u);
  EXPECT_EQ(a.report.samples, b.report.samples);
  EXPECT_EQ(a.report.duplicated, b.report.duplicated);
  EXPECT_EQ(a.report.truth.trace_hash, b.report.truth.trace_hash);

  o.seed = 4;
  const PlantRun c = run(model, o);
  EXPECT_NE(c.report.truth.trace_hash, a.report.truth.trace_hash);
  size_t same = 0;
  const size_t n = std::min(a.sink.entries.size(), c.sink.entries.size());
  for (size_t i = 0; i < n; ++i) same += a.sink.entries[i] == c.sink.entries[i];
  EXPECT_LT(same, n / 10) << "another seed gives another stream";
}

// ---- (b) the process is the line model ----

TEST(PlantSimulator, TruthIsTheLineModelsReplication) {
  for (const char* yaml : {test::kSmallLine, kBreakLine, kConveyorLine}) {
    const Model model = load(yaml);
    SCOPED_TRACE(model.name);
    const PlantOptions o = options(1.5, 17, SensorDirt{});
    const PlantRun r = run(model, o);
    RunOptions ro;
    ro.horizon_s = o.hours * 3600.0;
    ro.seed = o.seed;
    const ReplicationKpis k = run_replication(model, ro);
    EXPECT_EQ(r.report.truth.trace_hash, k.trace_hash);
    EXPECT_EQ(r.report.truth.events, k.events);
    EXPECT_EQ(r.report.truth.line.good_parts, k.line.good_parts);
    EXPECT_GT(k.line.good_parts, 100u);
    ASSERT_EQ(r.report.truth.machines.size(), k.machines.size());
    for (size_t m = 0; m < k.machines.size(); ++m) {
      for (int md = 0; md < kModeCount; ++md) {
        EXPECT_EQ(r.report.truth.machines[m].time_in_mode[md], k.machines[m].time_in_mode[md])
            << m << " " << md;
      }
      EXPECT_EQ(r.report.truth.machines[m].parts_good, k.machines[m].parts_good);
      EXPECT_EQ(r.report.truth.machines[m].failures, k.machines[m].failures);
    }
  }
}

// ---- (c) mode changes and part events tell the truth ----

TEST(PlantSimulator, ModeChangesIntegrateToTheTruthsTimeInMode) {
  for (const char* yaml : {test::kSmallLine, kBreakLine}) {
    const Model model = load(yaml);
    SCOPED_TRACE(model.name);
    const PlantOptions o = options(1.5, 5, SensorDirt::clean());
    const PlantRun r = run(model, o);
    const double horizon = o.hours * 3600.0;
    const uint32_t nm = model.machine_count();
    std::vector<std::array<double, 8>> time(nm, std::array<double, 8>{});
    std::vector<double> since(nm, -1.0);
    std::vector<int> mode(nm, 0);
    std::vector<uint64_t> finished(nm, 0), changes(nm, 0);
    for (const auto& c : r.sink.modes) {
      const double t = seconds(o, c.msg.time_ns());
      ASSERT_LT(c.machine, nm);
      if (since[c.machine] < 0.0) {
        EXPECT_EQ(t, 0.0) << "the first mode message of a machine is at the shift start";
      } else {
        EXPECT_GE(t, since[c.machine]);
        EXPECT_NE(static_cast<int>(c.msg.mode()), mode[c.machine]) << "repeated mode at " << t;
        time[c.machine][static_cast<size_t>(mode[c.machine])] +=
            std::min(t, horizon) - since[c.machine];
      }
      since[c.machine] = std::min(t, horizon);
      mode[c.machine] = c.msg.mode();
      ++changes[c.machine];
    }
    for (uint32_t m = 0; m < nm; ++m) {
      ASSERT_GE(since[m], 0.0) << "no mode message for machine " << m;
      time[m][static_cast<size_t>(mode[m])] += horizon - since[m];
      EXPECT_GT(changes[m], 10u);
      for (int md = 0; md < kModeCount; ++md) {
        const size_t tm = static_cast<size_t>(to_telemetry(static_cast<Mode>(md)));
        EXPECT_NEAR(time[m][tm], r.report.truth.machines[m].time_in_mode[static_cast<size_t>(md)],
                    1e-3)
            << "machine " << m << " mode " << mode_name(static_cast<Mode>(md));
      }
      EXPECT_EQ(time[m][telemetry::MODE_IDLE], 0.0);
      EXPECT_EQ(time[m][telemetry::MODE_UNKNOWN], 0.0);
    }
    if (!model.calendar.empty()) {
      // The break shows as off on every machine, from its start to its end.
      for (uint32_t m = 0; m < nm; ++m) {
        const std::vector<double> off = entered(r.sink, o, m, telemetry::MODE_OFF);
        ASSERT_EQ(off.size(), 1u);
        EXPECT_NEAR(off[0], 1800.0, 1e-6);
        EXPECT_NEAR(time[m][telemetry::MODE_OFF], 600.0, 1e-3);
      }
    }
    std::vector<uint64_t> started(nm, 0);
    for (const auto& p : r.sink.parts) {
      finished[p.machine] += p.msg.kind() == telemetry::PartEvent::KIND_FINISHED;
      started[p.machine] += p.msg.kind() == telemetry::PartEvent::KIND_STARTED;
    }
    for (uint32_t m = 0; m < nm; ++m) {
      EXPECT_EQ(finished[m], r.report.truth.machines[m].parts_good) << m;
      EXPECT_EQ(started[m], r.report.truth.machines[m].parts_started) << m;
      EXPECT_GT(finished[m], 100u);
    }
    EXPECT_EQ(r.report.mode_changes, r.sink.modes.size());
    EXPECT_EQ(r.report.part_events, r.sink.parts.size());
  }
}

TEST(PlantSimulator, CountersAndCycleTimesMatchThePartEvents) {
  const Model model = small_line();
  const PlantOptions o = options(1.0, 8, SensorDirt::clean());
  const PlantRun r = run(model, o);
  const std::vector<Sample> samples = samples_of(r.sink);
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    SCOPED_TRACE(m);
    std::vector<int64_t> finished_at, completed_at;
    std::vector<double> cycle;
    for (const auto& p : r.sink.parts) {
      if (p.machine != m) continue;
      if (p.msg.kind() == telemetry::PartEvent::KIND_FINISHED)
        finished_at.push_back(p.msg.time_ns());
      if (p.msg.kind() != telemetry::PartEvent::KIND_STARTED) {
        completed_at.push_back(p.msg.time_ns());
        cycle.push_back(p.msg.cycle_time_s());
      }
    }
    const int good = r.sink.tag_index(m, "good_count");
    const int cycle_tag = r.sink.tag_index(m, "cycle_time");
    ASSERT_GE(good, 0);
    ASSERT_GE(cycle_tag, 0);
    size_t checked = 0;
    std::vector<int64_t> cycle_times;
    std::vector<float> cycle_values;
    for (const Sample& s : samples) {
      if (s.machine != m) continue;
      if (static_cast<int>(s.tag) == good) {
        const auto n =
            std::upper_bound(finished_at.begin(), finished_at.end(), s.t_ns) - finished_at.begin();
        EXPECT_EQ(s.value, static_cast<float>(n)) << "good count at " << seconds(o, s.t_ns);
        ++checked;
      } else if (static_cast<int>(s.tag) == cycle_tag) {
        cycle_times.push_back(s.t_ns);
        cycle_values.push_back(s.value);
      }
    }
    EXPECT_GT(checked, 3000u);
    // One cycle-time sample per completed part, at its completion, with its cycle time.
    ASSERT_EQ(cycle_times.size(), completed_at.size());
    for (size_t i = 0; i < cycle_times.size(); ++i) {
      EXPECT_EQ(cycle_times[i], completed_at[i]);
      EXPECT_NEAR(cycle_values[i], cycle[i], 1e-4 * std::max(1.0, cycle[i]));
    }
  }
}

// ---- (d) order, clocks and rates ----

TEST(PlantSimulator, MessagesArriveInOrderAndCleanSamplesAreExact) {
  const Model model = load(kBreakLine);
  const PlantOptions o = options(1.0, 21, SensorDirt::clean());
  const PlantRun r = run(model, o);
  const double horizon = o.hours * 3600.0;
  for (size_t i = 1; i < r.sink.entries.size(); ++i) {
    ASSERT_GE(r.sink.entries[i].log_ns, r.sink.entries[i - 1].log_ns) << "message " << i;
  }
  // Every machine declared with its tags and the shift in its metadata.
  ASSERT_EQ(r.sink.machines.size(), model.machine_count());
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    EXPECT_EQ(r.sink.machines[m].name, machine_name(model, m));
    ASSERT_EQ(r.sink.machines[m].tags.size(), sample_tags(model, m).size());
    EXPECT_EQ(r.sink.machines[m].metadata.at("shift_start_ns"), std::to_string(o.start_ns));
  }

  // Batches: one per machine and window, stamped with the window start, arriving at its end.
  EXPECT_EQ(r.report.batches, r.sink.batches.size());
  EXPECT_EQ(r.report.batches, 3600u * model.machine_count());
  for (const auto& b : r.sink.batches) {
    EXPECT_EQ((b.msg.base_time_ns() - o.start_ns) % 1000000000LL, 0) << "clock skew";
    EXPECT_EQ(b.log_ns, static_cast<uint64_t>(b.msg.base_time_ns()) + 1000000000ull);
    EXPECT_EQ(b.msg.quality_size(), 0);
  }
  const std::vector<Sample> samples = samples_of(r.sink);
  EXPECT_EQ(r.report.samples, samples.size());
  // Every periodic tag: rate * duration samples, evenly spaced, in its window, in order.
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    const std::vector<TagSpec>& tags = r.sink.machines[m].tags;
    for (uint32_t k = 0; k < tags.size(); ++k) {
      if (tags[k].rate_hz <= 0.0) continue;
      SCOPED_TRACE(tags[k].name);
      std::vector<int64_t> t;
      for (const Sample& s : samples) {
        if (s.machine != m || s.tag != k) continue;
        EXPECT_GE(s.t_ns + 1000000000ll, static_cast<int64_t>(s.log_ns));
        EXPECT_LT(s.t_ns, static_cast<int64_t>(s.log_ns));
        t.push_back(s.t_ns);
      }
      const double expected = tags[k].rate_hz * horizon;
      EXPECT_NEAR(static_cast<double>(t.size()), expected, 1.0);
      ASSERT_FALSE(t.empty());
      const double period = 1.0 / tags[k].rate_hz;
      EXPECT_GE(seconds(o, t.front()), 0.0);
      EXPECT_LT(seconds(o, t.front()), period);
      EXPECT_LT(seconds(o, t.back()), horizon);
      EXPECT_GE(seconds(o, t.back()), horizon - period);
      double worst = 0.0;
      for (size_t i = 1; i < t.size(); ++i) {
        worst = std::max(worst, std::abs(static_cast<double>(t[i] - t[i - 1]) * 1e-9 - period));
      }
      EXPECT_LT(worst, 1e-6) << "samples not evenly spaced";
    }
  }
  // Clean values: the motor current is 0 during the break (off) and well above standby while
  // busy; no noise means repeated values while a machine waits.
  const int current = r.sink.tag_index(0, "current");
  ASSERT_GE(current, 0);
  size_t n_break = 0;
  const double in_break = mean_between(samples, o, 0, current, 1800.0, 2400.0, &n_break);
  EXPECT_GT(n_break, 5000u);
  EXPECT_EQ(in_break, 0.0);
}

// ---- (e) dirt ----

TEST(PlantSimulator, DefaultDirtInPlausibleProportions) {
  const Model model = small_line();
  const PlantOptions o = options(2.0, 2, SensorDirt{});
  const PlantRun r = run(model, o);
  const PlantReport& rep = r.report;
  const std::vector<Sample> samples = samples_of(r.sink);
  EXPECT_EQ(rep.samples, samples.size());
  EXPECT_EQ(rep.batches, r.sink.batches.size());
  const double n = static_cast<double>(rep.samples);
  const double batches = static_cast<double>(rep.batches);
  EXPECT_GT(n, 300000.0);
  const auto within_2x = [](double value, double expected) {
    return value >= expected / 2.0 && value <= expected * 2.0;
  };
  EXPECT_TRUE(within_2x(static_cast<double>(rep.duplicated), n * o.dirt.duplicate))
      << rep.duplicated << " duplicates of " << n;
  EXPECT_TRUE(within_2x(static_cast<double>(rep.reordered), n * o.dirt.out_of_order))
      << rep.reordered << " reordered of " << n;
  EXPECT_GE(static_cast<double>(rep.late_batches), batches * o.dirt.late_batches / 4.0);
  EXPECT_LE(static_cast<double>(rep.late_batches), batches * o.dirt.late_batches * 4.0);
  // Dropouts: about dropouts_per_hour episodes of dropout_mean_s per tag; 14 tags at 1-10 Hz.
  EXPECT_GT(rep.dropped, 0u);
  EXPECT_LT(static_cast<double>(rep.dropped), 0.01 * n);
  EXPECT_GT(rep.stuck, 0u);

  // Duplicates really are in the stream: the same (tag, time, value) twice.
  std::set<std::tuple<uint32_t, uint32_t, int64_t>> seen;
  uint64_t dup_in_stream = 0, dup_value_differs = 0, out_of_order = 0;
  std::map<std::pair<uint32_t, uint32_t>, int64_t> latest;
  std::map<std::tuple<uint32_t, uint32_t, int64_t>, float> value_at;
  for (const Sample& s : samples) {
    const auto key = std::make_tuple(s.machine, s.tag, s.t_ns);
    if (!seen.insert(key).second) {
      ++dup_in_stream;
      dup_value_differs += value_at[key] != s.value;
      continue;
    }
    value_at[key] = s.value;
    auto [it, fresh] = latest.try_emplace({s.machine, s.tag}, s.t_ns);
    if (!fresh) {
      if (s.t_ns < it->second) ++out_of_order;
      it->second = std::max(it->second, s.t_ns);
    }
  }
  EXPECT_EQ(dup_in_stream, rep.duplicated);
  EXPECT_EQ(dup_value_differs, 0u);
  // Samples held back to the next batch come after later samples of their tag (unless they
  // were the last of their tag in the window); late batches add some more.
  EXPECT_GE(out_of_order, rep.reordered / 2) << rep.reordered << " reordered";
  EXPECT_GT(out_of_order, 0u);

  // Clock skew: device times differ from the shift clock by up to max_skew_s (plus drift).
  for (const auto& b : r.sink.batches) {
    const double base = seconds(o, b.msg.base_time_ns());
    const double skew = base - std::round(base);
    ASSERT_LE(std::abs(skew), o.dirt.max_skew_s + o.dirt.max_drift_ppm * 1e-6 * base + 1e-6);
  }
  // Latency: messages arrive after they were taken.
  for (const auto& c : r.sink.modes)
    EXPECT_GE(c.log_ns + 500000000ull, static_cast<uint64_t>(c.msg.time_ns()));

  // Clean dirt: none of it.
  const PlantRun clean = run(model, options(2.0, 2, SensorDirt::clean()));
  EXPECT_EQ(clean.report.duplicated + clean.report.reordered + clean.report.dropped +
                clean.report.stuck + clean.report.late_batches,
            0u);
  EXPECT_EQ(clean.report.truth.trace_hash, rep.truth.trace_hash) << "dirt changed the process";
}

// Everything held back for the next batch is sent, even after the last window.
TEST(PlantSimulator, HeldBackSamplesOfTheLastWindowAreSent) {
  const Model model = small_line();
  SensorDirt dirt = SensorDirt::clean();
  dirt.out_of_order = 0.2;
  dirt.duplicate = 0.1;
  const PlantOptions o = options(0.25, 6, dirt);
  const PlantRun r = run(model, o);
  const double horizon = o.hours * 3600.0;
  const std::vector<Sample> samples = samples_of(r.sink);
  uint64_t missing_at_end = 0;
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    const std::vector<TagSpec>& tags = r.sink.machines[m].tags;
    for (uint32_t k = 0; k < tags.size(); ++k) {
      if (tags[k].rate_hz <= 0.0) continue;
      std::set<int64_t> t;
      for (const Sample& s : samples) {
        if (s.machine == m && s.tag == k) t.insert(s.t_ns);
      }
      ASSERT_FALSE(t.empty());
      // Every sample from the first to the end of the shift, none missing.
      const double period = 1.0 / tags[k].rate_hz;
      const double first = seconds(o, *t.begin());
      const auto expected = static_cast<size_t>(std::ceil((horizon - first) / period - 1e-9));
      if (t.size() < expected) missing_at_end += expected - t.size();
      EXPECT_LE(t.size(), expected);
    }
  }
  uint64_t sent_twice = 0;
  std::set<std::tuple<uint32_t, uint32_t, int64_t>> seen;
  for (const Sample& s : samples) sent_twice += !seen.insert({s.machine, s.tag, s.t_ns}).second;
  if (missing_at_end > 0 || sent_twice != r.report.duplicated) {
    ADD_FAILURE() << "samples held back in the last window "
                     "(out of order or duplicates) are never sent: "
                  << missing_at_end << " samples missing at the end of the shift, "
                  << r.report.duplicated << " duplicates counted but " << sent_twice
                  << " in the stream";
  }
}

// ---- (f) faults ----

TEST(PlantSimulator, BearingWearRaisesVibrationThenTheMachineFails) {
  const Model model = small_line();
  PlantOptions o = options(2.0, 12, SensorDirt{});
  const double at = 5400.0, precursor = 3600.0, repair = 600.0;
  o.faults =
      resolve(model, o.hours, {fault(faults::Fault::BEARING_WEAR, "S1", at, precursor, repair)});
  ASSERT_EQ(o.faults.size(), 1u);
  EXPECT_EQ(o.faults[0].tag, "vibration");
  const PlantRun r = run(model, o);
  const std::vector<Sample> samples = samples_of(r.sink);
  const uint32_t s1 = 0, s2 = 1;
  const int vib1 = r.sink.tag_index(s1, "vibration"), vib2 = r.sink.tag_index(s2, "vibration");
  ASSERT_GE(vib1, 0);
  ASSERT_GE(vib2, 0);
  const double from = at - precursor;
  const double first1 = mean_between(samples, o, s1, vib1, from, from + 600.0);
  const double last1 = mean_between(samples, o, s1, vib1, at - 600.0, at);
  const double first2 = mean_between(samples, o, s2, vib2, from, from + 600.0);
  const double last2 = mean_between(samples, o, s2, vib2, at - 600.0, at);
  EXPECT_GE(last1, 2.0 * first1) << first1 << " -> " << last1;
  EXPECT_LT(last2, 1.5 * first2) << first2 << " -> " << last2;
  EXPECT_GT(last2, first2 / 1.5);
  // Near the trip level just before the failure.
  EXPECT_GT(mean_between(samples, o, s1, vib1, at - 60.0, at), 2.8);

  // Down at the failure time, for the repair time.
  const std::vector<double> down = entered(r.sink, o, s1, telemetry::MODE_DOWN);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NEAR(down[0], at, 1.0);
  EXPECT_EQ(r.report.truth.machines[s1].failures, 1u);
  EXPECT_NEAR(r.report.truth.machines[s1].time_in_mode[static_cast<int>(Mode::kDown)], repair,
              1e-6);
  // The truth.
  ASSERT_EQ(r.sink.truths.size(), 1u);
  const telemetry::FaultTruth& t = r.sink.truths[0].msg;
  EXPECT_EQ(t.machine(), "S1");
  EXPECT_EQ(t.kind(), telemetry::FaultTruth::KIND_BEARING_WEAR);
  EXPECT_EQ(t.tag(), "vibration");
  EXPECT_EQ(t.failure_ns(), o.start_ns + 5400LL * 1000000000LL);
  EXPECT_EQ(t.precursor_start_ns(), o.start_ns + 1800LL * 1000000000LL);
  EXPECT_NEAR(static_cast<double>(t.repaired_ns() - o.start_ns) * 1e-9, at + repair, 1e-6);
  EXPECT_EQ(r.sink.truths[0].log_ns, static_cast<uint64_t>(o.start_ns));
  // The protection's alarm.
  ASSERT_GE(r.sink.alarms.size(), 1u);
  EXPECT_EQ(r.sink.alarms[0].msg.machine(), "S1");
  EXPECT_EQ(r.sink.alarms[0].msg.code(), "VIBRATION_TRIP");
  EXPECT_TRUE(r.sink.alarms[0].msg.active());
  EXPECT_NEAR(seconds(o, r.sink.alarms[0].msg.time_ns()), at, 1.0);
  // A new bearing after the repair.
  const double after = mean_between(samples, o, s1, vib1, at + repair + 60.0, at + repair + 660.0);
  EXPECT_LT(after, 1.5 * first1) << "vibration after the repair " << after;
}

// Comparing a run with a fault to the same shift without: until the failure the process is the
// same and so are the sensor noise draws, so any difference is the precursor.
struct WithAndWithout {
  PlantOptions o;
  PlantRun with, without;
  std::vector<Sample> s_with, s_without;
};

void run_both(const Model& model, const faults::Fault& f, double hours, uint64_t seed,
              WithAndWithout& w) {
  w.o = options(hours, seed, SensorDirt{});
  w.without = run(model, w.o);
  w.o.faults = resolve(model, hours, {f});
  w.with = run(model, w.o);
  w.s_with = samples_of(w.with.sink);
  w.s_without = samples_of(w.without.sink);
}

TEST(PlantSimulator, OverheatingRaisesTheTemperatureOverThePrecursor) {
  const Model model = small_line();
  const double at = 5400.0, precursor = 2700.0;
  WithAndWithout w;
  run_both(model, fault(faults::Fault::OVERHEATING, "S1", at, precursor, 900.0), 2.0, 31, w);
  ASSERT_EQ(w.o.faults.size(), 1u);
  EXPECT_EQ(w.o.faults[0].tag, "temperature");
  const int temp = w.with.sink.tag_index(0, "temperature");
  ASSERT_GE(temp, 0);
  const double from = at - precursor;
  const double early_with = mean_between(w.s_with, w.o, 0, temp, from, from + 300.0);
  const double early_without = mean_between(w.s_without, w.o, 0, temp, from, from + 300.0);
  const double late_with = mean_between(w.s_with, w.o, 0, temp, at - 300.0, at);
  const double late_without = mean_between(w.s_without, w.o, 0, temp, at - 300.0, at);
  EXPECT_NEAR(early_with, early_without, 0.5);
  EXPECT_GT(late_with - late_without, 8.0)
      << "with " << late_with << " degC, without " << late_without << " degC";
  EXPECT_GT(late_with - early_with, 8.0);
  // Another machine's temperature is not affected.
  const int temp2 = w.with.sink.tag_index(1, "temperature");
  EXPECT_NEAR(mean_between(w.s_with, w.o, 1, temp2, at - 300.0, at),
              mean_between(w.s_without, w.o, 1, temp2, at - 300.0, at), 0.5);
  const std::vector<double> down = entered(w.with.sink, w.o, 0, telemetry::MODE_DOWN);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NEAR(down[0], at, 1.0);
  ASSERT_EQ(w.with.sink.truths.size(), 1u);
  EXPECT_EQ(w.with.sink.truths[0].msg.kind(), telemetry::FaultTruth::KIND_OVERHEATING);
  EXPECT_EQ(w.with.sink.truths[0].msg.machine(), "S1");
}

TEST(PlantSimulator, ToolBreakageRaisesMotorCurrentDuringThePrecursor) {
  const Model model = small_line();
  const double at = 3000.0, precursor = 1200.0;
  WithAndWithout w;
  run_both(model, fault(faults::Fault::TOOL_BREAKAGE, "S1", at, precursor, 600.0), 1.5, 32, w);
  ASSERT_EQ(w.o.faults.size(), 1u);
  EXPECT_EQ(w.o.faults[0].tag, "current");
  const int cur = w.with.sink.tag_index(0, "current");
  ASSERT_GE(cur, 0);
  const double from = at - precursor;
  const double before_with = mean_between(w.s_with, w.o, 0, cur, from - 600.0, from);
  const double before_without = mean_between(w.s_without, w.o, 0, cur, from - 600.0, from);
  const double late_with = mean_between(w.s_with, w.o, 0, cur, at - 300.0, at);
  const double late_without = mean_between(w.s_without, w.o, 0, cur, at - 300.0, at);
  EXPECT_EQ(before_with, before_without) << "current changed before the precursor";
  EXPECT_GT(late_with, 1.15 * late_without)
      << "with " << late_with << " A, without " << late_without << " A";
  const std::vector<double> down = entered(w.with.sink, w.o, 0, telemetry::MODE_DOWN);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_NEAR(down[0], at, 1.0);
  ASSERT_EQ(w.with.sink.truths.size(), 1u);
  EXPECT_EQ(w.with.sink.truths[0].msg.kind(), telemetry::FaultTruth::KIND_TOOL_BREAKAGE);
  ASSERT_EQ(w.with.sink.alarms.size(), 2u);  // raised at the failure, cleared after the repair
  EXPECT_EQ(w.with.sink.alarms[0].msg.code(), "TOOL_BROKEN");
  EXPECT_TRUE(w.with.sink.alarms[0].msg.active());
  EXPECT_FALSE(w.with.sink.alarms[1].msg.active());
}

TEST(PlantSimulator, SensorFailureFreezesTheTagWhileTheMachineRuns) {
  const Model model = small_line();
  const double at = 2400.0;
  WithAndWithout w;
  run_both(model, fault(faults::Fault::SENSOR_FAILURE, "S1", at, 0.0, 0.0, "current"), 1.0, 33, w);
  ASSERT_EQ(w.o.faults.size(), 1u);
  EXPECT_EQ(w.o.faults[0].precursor_s, 600.0);
  const int cur = w.with.sink.tag_index(0, "current");
  ASSERT_GE(cur, 0);
  std::set<float> before, after;
  size_t n_after = 0;
  for (const Sample& s : w.s_with) {
    if (s.machine != 0 || static_cast<int>(s.tag) != cur) continue;
    const double t = seconds(w.o, s.t_ns);
    if (t < at - 1200.0) before.insert(s.value);
    if (t > at + 1.0) {
      after.insert(s.value);
      ++n_after;
    }
  }
  EXPECT_GT(before.size(), 1000u);
  EXPECT_GT(n_after, 10000u);
  EXPECT_EQ(after.size(), 1u) << "the failed sensor keeps changing";
  // Erratic readings during the precursor are flagged uncertain.
  size_t uncertain = 0;
  for (const auto& b : w.with.sink.batches) {
    for (int i = 0; i < b.msg.quality_size(); ++i) {
      uncertain += b.msg.quality(i) == telemetry::QUALITY_UNCERTAIN;
    }
  }
  EXPECT_GT(uncertain, 0u);
  // The machine keeps running: no down, the same process as without the fault.
  EXPECT_TRUE(entered(w.with.sink, w.o, 0, telemetry::MODE_DOWN).empty());
  EXPECT_EQ(w.with.report.truth.trace_hash, w.without.report.truth.trace_hash);
  size_t parts_after = 0;
  for (const auto& p : w.with.sink.parts) {
    parts_after += p.machine == 0 && seconds(w.o, p.msg.time_ns()) > at &&
                   p.msg.kind() == telemetry::PartEvent::KIND_FINISHED;
  }
  EXPECT_GT(parts_after, 50u);
  EXPECT_TRUE(w.with.sink.alarms.empty());
  ASSERT_EQ(w.with.sink.truths.size(), 1u);
  EXPECT_EQ(w.with.sink.truths[0].msg.kind(), telemetry::FaultTruth::KIND_SENSOR_FAILURE);
  EXPECT_EQ(w.with.sink.truths[0].msg.tag(), "current");
}

TEST(PlantSimulator, ConveyorJamLowersGoodParts) {
  const Model model = load(kConveyorLine);
  const double at = 1800.0, repair = 1200.0;
  WithAndWithout w;
  run_both(model, fault(faults::Fault::CONVEYOR_JAM, "Belt", at, 0.0, repair), 1.5, 34, w);
  ASSERT_EQ(w.o.faults.size(), 1u);
  EXPECT_LT(w.with.report.truth.line.good_parts + 50, w.without.report.truth.line.good_parts)
      << w.with.report.truth.line.good_parts << " vs " << w.without.report.truth.line.good_parts;
  // S2 gets nothing from the belt while it is jammed.
  size_t started = 0;
  for (const auto& p : w.with.sink.parts) {
    const double t = seconds(w.o, p.msg.time_ns());
    started += p.machine == 1 && p.msg.kind() == telemetry::PartEvent::KIND_STARTED &&
               t > at + 1.0 && t < at + repair - 1.0;
  }
  EXPECT_EQ(started, 0u);
  ASSERT_EQ(w.with.sink.truths.size(), 1u);
  const telemetry::FaultTruth& t = w.with.sink.truths[0].msg;
  EXPECT_EQ(t.machine(), "Belt");
  EXPECT_EQ(t.kind(), telemetry::FaultTruth::KIND_CONVEYOR_JAM);
  EXPECT_EQ(t.failure_ns(), w.o.start_ns + 1800LL * 1000000000LL);
  EXPECT_EQ(t.repaired_ns(), w.o.start_ns + 3000LL * 1000000000LL);
  EXPECT_TRUE(w.with.sink.alarms.empty());
}

// The tool wear tag: a new edge after the breakage wears as before the fault; during the
// precursor wear accelerates towards the limit.
TEST(PlantSimulator, ToolWearAfterBreakageIsThatOfANewEdge) {
  const Model model = small_line();
  PlantOptions o = options(1.5, 35, SensorDirt::clean());
  const double at = 2400.0, precursor = 1200.0, repair = 300.0;
  o.faults =
      resolve(model, o.hours, {fault(faults::Fault::TOOL_BREAKAGE, "S1", at, precursor, repair)});
  const PlantRun r = run(model, o);
  const int wear = r.sink.tag_index(0, "tool_wear");
  ASSERT_GE(wear, 0);
  // Edge changes (the wear drops) and the wear [mm] per busy hour in three stretches.
  std::array<int, 3> drops{};
  std::array<double, 3> lo{1e9, 1e9, 1e9}, hi{0.0, 0.0, 0.0};
  float last = -1.0f;
  int last_stretch = -1;
  for (const Sample& s : samples_of(r.sink)) {
    if (s.machine != 0 || static_cast<int>(s.tag) != wear) continue;
    const double t = seconds(o, s.t_ns);
    const int stretch = t < at - precursor ? 0 : t < at ? 1 : t > at + repair + 1.0 ? 2 : -1;
    if (stretch < 0) continue;
    if (stretch == last_stretch && s.value < last) ++drops[static_cast<size_t>(stretch)];
    lo[static_cast<size_t>(stretch)] = std::min(lo[static_cast<size_t>(stretch)], double{s.value});
    hi[static_cast<size_t>(stretch)] = std::max(hi[static_cast<size_t>(stretch)], double{s.value});
    last = s.value;
    last_stretch = stretch;
  }
  // Before the fault: one edge wearing slowly (at most one change when it reaches the limit).
  EXPECT_LE(drops[0], 1);
  EXPECT_GT(hi[0], lo[0]);
  // After the repair: a new edge, from no wear, at the normal pace again (a change at most
  // when it reaches the limit; it used to be replaced every few seconds for the rest of the
  // shift, because the precursor's speed-up never ended).
  EXPECT_LT(lo[2], 0.05);
  EXPECT_LE(drops[2], 1) << "edge changes after the repair";
  // During the precursor wear should accelerate towards the limit.
  if (drops[1] > 1) {
    ADD_FAILURE() << "tool breakage precursor: (was) the speed factor 4 "
                     "passed to condition::advance is Taylor's v/v_nom, so tool life becomes "
                     "T_nom * 4^(-1/n) = T_nom / 256 (about 7 s of cutting): the edge reaches "
                     "the wear limit and is replaced "
                  << drops[1] << " times during the precursor (tool_wear saw-tooths 0-0.3 mm) "
                  << "instead of wearing faster towards the limit";
  }
}

// A machine fault that falls into a break strikes when the line starts again.
TEST(PlantSimulator, FaultDuringABreakShowsAtTheBreakEnd) {
  const Model model = load(kBreakLine);
  PlantOptions o = options(1.0, 36, SensorDirt::clean());
  const double at = 2100.0, repair = 300.0;  // the break is [1800, 2400)
  o.faults = resolve(model, o.hours, {fault(faults::Fault::OVERHEATING, "S1", at, 600.0, repair)});
  const PlantRun r = run(model, o);
  std::vector<std::pair<double, int>> s1;
  for (const auto& c : r.sink.modes) {
    const double t = seconds(o, c.msg.time_ns());
    if (c.machine == 0 && t >= 1700.0 && t <= 2800.0) s1.push_back({t, c.msg.mode()});
  }
  ASSERT_GE(s1.size(), 3u);
  size_t off = 0;
  while (off < s1.size() && s1[off].second != telemetry::MODE_OFF) ++off;
  ASSERT_LT(off + 2, s1.size());
  EXPECT_NEAR(s1[off].first, 1800.0, 1e-6);
  EXPECT_EQ(s1[off + 1].second, telemetry::MODE_DOWN);
  EXPECT_NEAR(s1[off + 1].first, 2400.0, 1e-6) << "down from the break end";
  EXPECT_NE(s1[off + 2].second, telemetry::MODE_DOWN);
  EXPECT_NEAR(s1[off + 2].first, 2400.0 + repair, 1e-6) << "for the full repair time";
  EXPECT_NEAR(r.report.truth.machines[0].time_in_mode[static_cast<int>(Mode::kDown)], repair, 1e-6);
  ASSERT_EQ(r.sink.truths.size(), 1u);
  EXPECT_NEAR(static_cast<double>(r.sink.truths[0].msg.repaired_ns() - o.start_ns) * 1e-9,
              2400.0 + repair, 1e-6);
}

// The protection's alarm is raised at the failure and cleared at the repair.
TEST(PlantSimulator, AlarmIsRaisedAtTheFailureAndClearedAtTheRepair) {
  const Model model = small_line();
  PlantOptions o = options(1.0, 37, SensorDirt::clean());
  const double at = 1800.0, repair = 300.0;
  o.faults = resolve(model, o.hours, {fault(faults::Fault::BEARING_WEAR, "S1", at, 900.0, repair)});
  const PlantRun r = run(model, o);
  ASSERT_GE(r.sink.alarms.size(), 1u);
  const telemetry::Alarm& raised = r.sink.alarms[0].msg;
  EXPECT_TRUE(raised.active());
  EXPECT_EQ(raised.machine(), "S1");
  EXPECT_EQ(raised.severity(), telemetry::SEVERITY_CRITICAL);
  EXPECT_EQ(raised.tag(), "vibration");
  EXPECT_NEAR(seconds(o, raised.time_ns()), at, 1e-6);
  if (r.sink.alarms.size() < 2) {
    FAIL() << "the alarm of an injected failure is never cleared (no Alarm with "
              "active=false at the repair)";
  }
  const telemetry::Alarm& cleared = r.sink.alarms[1].msg;
  EXPECT_FALSE(cleared.active());
  EXPECT_EQ(cleared.code(), raised.code());
  EXPECT_NEAR(seconds(o, cleared.time_ns()), at + repair, 1e-6);
}

// ---- (g) resolve_faults ----

TEST(PlantSimulator, ResolveFaultsFillsDefaultsAndReportsEachProblem) {
  const Model model = small_line();
  const Model belt = load(kConveyorLine);
  {
    faults::FaultPlan plan;
    *plan.add_faults() = fault(faults::Fault::BEARING_WEAR, "S1", 14400.0);
    *plan.add_faults() = fault(faults::Fault::SENSOR_FAILURE, "S2", 3600.0);
    *plan.add_faults() = fault(faults::Fault::OVERHEATING, "S2", 600.0);
    std::vector<std::string> errors;
    const std::vector<FaultSpec> f = resolve_faults(model, plan, 8.0, errors);
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(f[0].precursor_s, 3 * 3600.0);
    EXPECT_EQ(f[0].repair_s, 45 * 60.0);
    EXPECT_EQ(f[0].tag, "vibration");
    EXPECT_EQ(f[1].tag, sample_tags(model, 1).front().name);
    EXPECT_EQ(f[2].precursor_s, 600.0) << "a precursor cannot start before the shift";
    EXPECT_EQ(f[2].tag, "temperature");
  }
  struct Case {
    faults::Fault fault;
    std::vector<std::string> mention;
  };
  const std::vector<Case> cases = {
      {fault(faults::Fault::BEARING_WEAR, "Nope", 3600.0), {"unknown machine", "Nope"}},
      {fault(faults::Fault::TOOL_BREAKAGE, "S1", 9 * 3600.0), {"at", "shift", "32400"}},
      {fault(faults::Fault::TOOL_BREAKAGE, "S1", 8 * 3600.0), {"at", "shift"}},
      {fault(faults::Fault::TOOL_BREAKAGE, "S1", -5.0), {"at", "shift"}},
      {fault(faults::Fault::SENSOR_FAILURE, "S1", 3600.0, 0.0, 0.0, "bogus"), {"S1", "bogus"}},
      {fault(faults::Fault::CONVEYOR_JAM, "S1", 3600.0), {"S1", "conveyor"}},
      {fault(faults::Fault::UNKNOWN, "S1", 3600.0), {"kind"}},
      {fault(faults::Fault::OVERHEATING, "S1", 3600.0, -1.0), {"negative"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fault.ShortDebugString());
    faults::FaultPlan plan;
    *plan.add_faults() = fault(faults::Fault::BEARING_WEAR, "S2", 3600.0);  // a good one
    *plan.add_faults() = c.fault;
    std::vector<std::string> errors;
    const std::vector<FaultSpec> f = resolve_faults(model, plan, 8.0, errors);
    EXPECT_EQ(f.size(), 1u) << "the bad fault is left out, the good one kept";
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("faults[1]"), std::string::npos) << errors[0];
    for (const std::string& word : c.mention) {
      EXPECT_NE(errors[0].find(word), std::string::npos) << errors[0] << " (want " << word << ")";
    }
  }
  // Jams on conveyors are fine.
  faults::FaultPlan plan;
  *plan.add_faults() = fault(faults::Fault::CONVEYOR_JAM, "Belt", 3600.0);
  std::vector<std::string> errors;
  const std::vector<FaultSpec> f = resolve_faults(belt, plan, 8.0, errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].repair_s, 8 * 60.0);
}

// ---- (h) random faults ----

// machining20 has machines that report only their mode (no sample tags): a sensor failure drawn
// on one of them once indexed an empty tag list (seeds 11 and 15 crashed `twin generate`).
TEST(PlantSimulator, RandomFaultsOnMachinesWithoutSensorsAreResolved) {
  const SceneLoadResult scene =
      load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/machining20.yaml");
  ASSERT_TRUE(scene.ok());
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const std::vector<FaultSpec> f = random_faults(scene.model, 5, 8.0, seed);
    EXPECT_EQ(f.size(), 5u) << "seed " << seed;
    for (const FaultSpec& x : f) {
      if (x.kind == faults::Fault::SENSOR_FAILURE) {
        EXPECT_FALSE(x.tag.empty()) << "seed " << seed;
      }
    }
  }
}

TEST(PlantSimulator, RandomFaultsAreDeterministicAndInsideTheShift) {
  const Model model = small_line();
  const Model belt = load(kConveyorLine);
  const double hours = 2.0;
  auto same = [](const std::vector<FaultSpec>& a, const std::vector<FaultSpec>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].kind != b[i].kind || a[i].target != b[i].target || a[i].tag != b[i].tag ||
          a[i].at_s != b[i].at_s || a[i].precursor_s != b[i].precursor_s ||
          a[i].repair_s != b[i].repair_s)
        return false;
    }
    return true;
  };
  const std::vector<FaultSpec> a = random_faults(model, 40, hours, 7);
  EXPECT_TRUE(same(a, random_faults(model, 40, hours, 7)));
  EXPECT_FALSE(same(a, random_faults(model, 40, hours, 8)));
  ASSERT_EQ(a.size(), 40u);
  std::set<int> kinds;
  for (const FaultSpec& f : a) {
    EXPECT_GE(f.at_s, 0.25 * hours * 3600.0);
    EXPECT_LE(f.at_s, 0.90 * hours * 3600.0);
    EXPECT_NE(f.kind, faults::Fault::CONVEYOR_JAM) << "no conveyors in this scene";
    EXPECT_GE(find_machine(model, f.target), 0) << f.target;
    kinds.insert(f.kind);
  }
  EXPECT_EQ(kinds.size(), 4u);
  const std::vector<FaultSpec> b = random_faults(belt, 40, hours, 7);
  ASSERT_EQ(b.size(), 40u);
  size_t jams = 0;
  for (const FaultSpec& f : b) {
    EXPECT_GE(f.at_s, 0.25 * hours * 3600.0);
    EXPECT_LE(f.at_s, 0.90 * hours * 3600.0);
    if (f.kind == faults::Fault::CONVEYOR_JAM) {
      ++jams;
      EXPECT_EQ(f.target, "Belt");
    }
  }
  EXPECT_GT(jams, 0u);
  // They run.
  PlantOptions o = options(hours, 7, SensorDirt{});
  o.faults = random_faults(belt, 3, hours, 7);
  const PlantRun r = run(belt, o);
  EXPECT_EQ(r.sink.truths.size(), 3u);
}

}  // namespace
}  // namespace twin
