// twin score SCENE LOG: replays a generated shift through the mirror with the twin's condition
// monitor listening, then scores the monitor's alarms and RUL estimates against the recording's
// ground truth (/truth/faults). The twin never sees the truth: it is read afterwards, by the
// scorer only.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cli/cli_common.h"
#include "core/mirror/condition_monitor.h"
#include "core/mirror/fault_score.h"
#include "core/telemetry/telemetry.h"
#include "replay/mcap_reader.h"
#include "replay/player.h"

namespace twin::cli {

namespace {

struct ScoreFlags {
  std::string scene;
  std::vector<std::string> logs;
  std::string json;
  std::string fit;
  std::string calibrate;  // write the fit with an RUL calibration from these shifts' failures
  bool alarms = false;
  bool quiet = false;
};

// Collects the FaultTruth messages of /truth/faults.
class TruthReader final : public mcap::MessageSink {
 public:
  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    if (channel.topic == kTruthTopic) truth_channel_ = channel.id;
  }
  bool on_message(const mcap::MessageView& message) override {
    if (message.channel_id != truth_channel_) return true;
    telemetry::FaultTruth t;
    if (t.ParseFromArray(message.data.data(), static_cast<int>(message.data.size()))) {
      truths.push_back(std::move(t));
    } else {
      ++malformed;
    }
    return true;
  }
  std::vector<telemetry::FaultTruth> truths;
  uint64_t malformed = 0;

 private:
  int32_t truth_channel_ = -1;
};

std::string minutes(double s) {
  if (!std::isfinite(s)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f min", s / 60.0);
  return buf;
}

std::string clock_of(int64_t ns, int64_t origin_ns) {
  const double s = static_cast<double>(ns - origin_ns) * 1e-9;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f h", s / 3600.0);
  return buf;
}

nlohmann::json alarm_json(const TwinAlarm& a, int64_t origin_ns) {
  return {{"t_s", static_cast<double>(a.time_ns - origin_ns) * 1e-9},
          {"target", a.target},
          {"tag", a.tag},
          {"code", a.code},
          {"suspected", fault_kind_name(a.suspected)},
          {"active", a.active},
          {"severity", static_cast<int>(a.severity)},
          {"value", a.value},
          {"limit", a.limit},
          {"evidence", a.evidence}};
}

nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// One recording through the mirror and the monitor, scored against its truth.
struct ShiftScore {
  std::string log;
  int64_t start_ns = 0;
  FaultScore score;
  std::vector<TwinAlarm> alarms;
  std::vector<MachineEnergy> energy;
  std::vector<ModeAgreement> modes;
  std::vector<telemetry::FaultTruth> truths;
  std::vector<RulPoint> rul;
};

bool score_shift(const Model& model, const std::string& log, const MonitorFit* fit,
                 ShiftScore& out) {
  Player player(model);
  ConditionMonitor monitor(model, player.mirror().names(), ConditionMonitorOptions(), fit);
  player.mirror().set_listener(&monitor);
  const PlayResult r = player.play(log, PlayOptions());
  player.mirror().set_listener(nullptr);
  if (!r.ok) {
    print_error(log + ": " + r.error);
    return false;
  }
  monitor.finish(r.window_end_ns);
  // Only now, and only here, the ground truth.
  TruthReader truth;
  mcap::StreamOptions so;
  so.topics = {std::string(kTruthTopic)};
  mcap::stream_mcap(log, truth, so);
  const double shift_s = static_cast<double>(r.window_end_ns - r.shift_start_ns) * 1e-9;
  out.log = log;
  out.start_ns = r.shift_start_ns;
  out.score =
      score_faults(truth.truths, monitor.alarms(), monitor.rul(),
                   static_cast<uint32_t>(model.machine_station.size()), shift_s, r.window_end_ns);
  out.alarms = monitor.alarms();
  out.energy = monitor.energy();
  out.modes = monitor.mode_agreement();
  out.truths = std::move(truth.truths);
  out.rul = monitor.rul();
  return true;
}

// Energy per machine over every shift scored.
std::vector<MachineEnergy> pooled_energy(const std::vector<ShiftScore>& shifts) {
  std::vector<MachineEnergy> out;
  for (const ShiftScore& s : shifts) {
    for (const MachineEnergy& e : s.energy) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const MachineEnergy& x) { return x.machine == e.machine; });
      if (it == out.end()) {
        out.push_back(e);
        continue;
      }
      it->kWh += e.kWh;
      it->estimated_kWh += e.estimated_kWh;
      it->kg_co2 += e.kg_co2;
      it->good_parts += e.good_parts;
      it->hours += e.hours;
      it->drift = it->drift || e.drift;
      if (e.baseline_kWh_per_part > 0.0) it->baseline_kWh_per_part = e.baseline_kWh_per_part;
    }
  }
  for (MachineEnergy& e : out)
    e.kWh_per_part = e.good_parts > 0 ? e.kWh / static_cast<double>(e.good_parts) : 0.0;
  return out;
}

// Mode from current against the PLC modes, pooled over the machines that report modes.
struct ModeSummary {
  ModeAgreement pooled;
  uint32_t machines = 0;
};
ModeSummary pooled_modes(const std::vector<ShiftScore>& shifts) {
  ModeSummary out;
  std::vector<std::string> seen;
  for (const ShiftScore& s : shifts) {
    for (const ModeAgreement& a : s.modes) {
      if (!a.plc_mode || a.scored_s() <= 0.0) continue;
      out.pooled.add(a);
      if (std::find(seen.begin(), seen.end(), a.machine) == seen.end()) seen.push_back(a.machine);
    }
  }
  out.machines = static_cast<uint32_t>(seen.size());
  return out;
}

nlohmann::json confusion_json(const ModeAgreement& a) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : a.seconds) rows.push_back(row);
  return rows;
}

nlohmann::json energy_json(const MachineEnergy& e) {
  return {{"machine", e.machine},
          {"tag", e.tag},
          {"kWh", e.kWh},
          {"estimated_kWh", e.estimated_kWh},
          {"kg_co2", e.kg_co2},
          {"good_parts", e.good_parts},
          {"kWh_per_part", e.good_parts > 0 ? nlohmann::json(e.kWh_per_part) : nullptr},
          {"baseline_kWh_per_part",
           e.baseline_kWh_per_part > 0.0 ? nlohmann::json(e.baseline_kWh_per_part) : nullptr},
          {"drift", e.drift}};
}

nlohmann::json agreement_json(const ModeAgreement& a) {
  return {{"machine", a.machine},
          {"tag", a.tag},
          {"fitted", a.fitted},
          {"plc_mode", a.plc_mode},
          {"scored_s", a.scored_s()},
          {"agreement", a.scored_s() > 0.0 ? nlohmann::json(a.agreement()) : nullptr},
          {"confusion_s", confusion_json(a)}};
}

void print_faults(const ShiftScore& s) {
  for (const FaultOutcome& o : s.score.faults) {
    std::string rul;
    for (size_t k = 0; k < o.rul_error_s.size(); ++k) {
      if (k) rul += " / ";
      rul += std::isfinite(o.rul_error_s[k]) ? minutes(o.rul_error_s[k]) : std::string("-");
      if (o.rul_covered[k] >= 0) rul += o.rul_covered[k] ? " (in)" : " (out)";
    }
    const char* verdict = o.diagnosed    ? "yes"
                          : o.detected   ? "wrong kind"
                          : o.observable ? "no"
                                         : "no sensor";
    std::string first = "-";
    if (o.detected) {
      first = o.first_code;
      first += ' ';
      first += clock_of(o.first_alarm_ns, s.start_ns);
    }
    std::printf("  %-22s %-15s %-9s %-10s %-26s %-11s %s\n", o.truth.machine().c_str(),
                fault_kind_name(o.truth.kind()), clock_of(o.truth.failure_ns(), s.start_ns).c_str(),
                verdict, first.c_str(), minutes(o.lead_s).c_str(), rul.c_str());
  }
}

int run_score(const ScoreFlags& f) {
  SceneLoadResult scene;
  if (!load_scene_or_report(f.scene, scene)) return kExitInvalidInput;
  const Model& model = scene.model;
  MonitorFit fit;
  if (!f.fit.empty()) {
    std::string error;
    if (!load_monitor_fit(f.fit, fit, error)) {
      print_error(error);
      return kExitInvalidInput;
    }
  }
  // Calibrating: the monitor's own RUL against these failures (not a previous calibration's).
  if (!f.calibrate.empty()) fit.rul_calibration = RulCalibration();
  std::vector<ShiftScore> shifts;
  for (const std::string& log : f.logs) {
    ShiftScore s;
    if (!score_shift(model, log, f.fit.empty() ? nullptr : &fit, s)) return kExitInvalidInput;
    shifts.push_back(std::move(s));
  }
  std::vector<FaultScore> parts;
  for (const ShiftScore& s : shifts) parts.push_back(s.score);
  const FaultScore score = combine_scores(parts);
  const std::vector<MachineEnergy> energy = pooled_energy(shifts);
  const ModeSummary modes = pooled_modes(shifts);
  if (!f.calibrate.empty()) {
    RulCalibrationFitter fitter;
    for (const ShiftScore& s : shifts) fitter.add(s.truths, s.rul);
    MonitorFit out = fit;
    out.rul_calibration = fitter.finish();
    if (f.fit.empty()) out.source = "(none: healthy models learnt online)";
    std::string error;
    if (!save_monitor_fit(out, f.calibrate, error)) {
      print_error(error);
      return kExitFailure;
    }
    if (!f.quiet) {
      std::printf("RUL calibration from %zu shifts -> %s (true time left / the model's median):\n",
                  shifts.size(), f.calibrate.c_str());
      for (const RulCalibrationKind& k : out.rul_calibration.kinds)
        std::printf("  %-15s %3u failures %4u estimates: x%.2f (90 %%: x%.2f .. x%.2f)\n",
                    fault_kind_name(k.kind), k.faults, k.points, std::exp(k.q50), std::exp(k.q05),
                    std::exp(k.q95));
      if (out.rul_calibration.empty())
        std::printf("  none: no fault kind with RUL estimates in 3 or more failures\n");
      std::printf("\n");
    }
  }

  if (!f.quiet) {
    std::printf(
        "Faults (truth from /truth/faults, read after the replay; the twin saw telemetry "
        "only)\n");
    std::printf("  %-22s %-15s %-9s %-10s %-26s %-11s %s\n", "machine", "kind", "failure",
                "detected", "first twin alarm", "lead", "RUL error at 25/50/75 % of precursor");
    for (const ShiftScore& s : shifts) {
      if (shifts.size() > 1) std::printf(" %s\n", s.log.c_str());
      if (s.score.faults.empty()) std::printf("  (no faults in its ground truth)\n");
      print_faults(s);
    }
    std::printf(
        "\nDetected %.0f %% of the %u faults a sensor could show (right kind %.0f %%), "
        "median lead time %s before the failure\n",
        100.0 * score.detection_rate, score.observable, 100.0 * score.diagnosis_rate,
        minutes(score.median_lead_s).c_str());
    std::printf("False alarms: %zu over %.1f machine-shifts = %.3f per machine-shift\n",
                score.false_alarms.size(), score.machine_shifts,
                score.false_alarms_per_machine_shift);
    if (score.rul_points > 0) {
      std::printf(
          "RUL: %u estimates inside precursors, mean absolute error %s, 90 %% interval "
          "held the truth in %.0f %%\n",
          score.rul_points, minutes(score.rul_mean_abs_error_s).c_str(),
          100.0 * score.rul_coverage);
    } else {
      std::printf("RUL: no estimates inside precursors\n");
    }
    if (score.energy_alarms > 0) std::printf("Energy alarms: %u\n", score.energy_alarms);
    for (const ShiftScore& s : shifts) {
      for (const TwinAlarm& a : s.score.false_alarms) {
        std::printf("  false alarm %s%s %s %s %s %s: %s\n", shifts.size() > 1 ? s.log.c_str() : "",
                    shifts.size() > 1 ? ":" : "", clock_of(a.time_ns, s.start_ns).c_str(),
                    a.target.c_str(), a.tag.c_str(), a.code.c_str(), a.evidence.c_str());
      }
    }
    if (!energy.empty()) {
      double kWh = 0.0, co2 = 0.0;
      for (const MachineEnergy& e : energy) {
        kWh += e.kWh;
        co2 += e.kg_co2;
      }
      std::printf("Energy: %.1f kWh, %.1f kg CO2 (machines with a power tag: %zu)\n", kWh, co2,
                  energy.size());
      std::printf("  %-22s %10s %10s %10s %12s %12s\n", "machine", "kWh", "kg CO2", "good parts",
                  "kWh/part", "baseline");
      for (const MachineEnergy& e : energy) {
        char per_part[32] = "-", baseline[32] = "-";
        if (e.good_parts > 0) std::snprintf(per_part, sizeof per_part, "%.4f", e.kWh_per_part);
        if (e.baseline_kWh_per_part > 0.0)
          std::snprintf(baseline, sizeof baseline, "%.4f", e.baseline_kWh_per_part);
        std::printf("  %-22s %10.2f %10.2f %10llu %12s %12s\n", e.machine.c_str(), e.kWh, e.kg_co2,
                    static_cast<unsigned long long>(e.good_parts), per_part, baseline);
      }
    }
    if (modes.machines > 0) {
      std::printf("Mode from current: %.1f %% agreement with the PLC modes (machines: %u)\n",
                  100.0 * modes.pooled.agreement(), modes.machines);
      std::printf("  %-14s %10s %10s %10s %10s   (hours; rows PLC, columns current)\n", "",
                  "running", "idle", "setup", "off");
      for (int i = 0; i < condition::kCurrentModeCount; ++i) {
        const auto& row = modes.pooled.seconds[static_cast<size_t>(i)];
        std::printf("  %-14s %10.2f %10.2f %10.2f %10.2f\n",
                    condition::current_mode_name(static_cast<condition::CurrentMode>(i)),
                    row[0] / 3600.0, row[1] / 3600.0, row[2] / 3600.0, row[3] / 3600.0);
      }
    }
    if (f.alarms) {
      for (const ShiftScore& s : shifts) {
        std::printf("\nTwin alarms %s\n", s.log.c_str());
        for (const TwinAlarm& a : s.alarms) {
          std::printf("  %s %-22s %-18s %-18s %s %s\n", clock_of(a.time_ns, s.start_ns).c_str(),
                      a.target.c_str(), a.tag.c_str(), a.code.c_str(),
                      a.active ? "raised " : "cleared", a.evidence.c_str());
        }
      }
    }
  }
  if (!f.json.empty()) {
    nlohmann::json j;
    j["shifts"] = shifts.size();
    j["observable_faults"] = score.observable;
    j["detection_rate"] = score.detection_rate;
    j["diagnosis_rate"] = score.diagnosis_rate;
    j["median_lead_s"] = finite_or_null(score.median_lead_s);
    j["false_alarms"] = score.false_alarms.size();
    j["machine_shifts"] = score.machine_shifts;
    j["false_alarms_per_machine_shift"] = score.false_alarms_per_machine_shift;
    j["rul_points"] = score.rul_points;
    j["rul_mean_abs_error_s"] = score.rul_mean_abs_error_s;
    j["rul_coverage"] = score.rul_coverage;
    j["energy_alarms"] = score.energy_alarms;
    {
      double kWh = 0.0, co2 = 0.0;
      nlohmann::json machines = nlohmann::json::array();
      for (const MachineEnergy& e : energy) {
        kWh += e.kWh;
        co2 += e.kg_co2;
        machines.push_back(energy_json(e));
      }
      j["energy"] = {{"kWh", kWh}, {"kg_co2", co2}, {"machines", machines}};
    }
    j["mode_from_current"] = {
        {"agreement",
         modes.pooled.scored_s() > 0.0 ? nlohmann::json(modes.pooled.agreement()) : nullptr},
        {"machines", modes.machines},
        {"scored_s", modes.pooled.scored_s()},
        {"classes", {"running", "idle", "setup", "off"}},
        {"confusion_s", confusion_json(modes.pooled)}};
    nlohmann::json per_shift = nlohmann::json::array();
    for (const ShiftScore& s : shifts) {
      nlohmann::json faults = nlohmann::json::array();
      for (const FaultOutcome& o : s.score.faults) {
        nlohmann::json fo{
            {"machine", o.truth.machine()},
            {"kind", fault_kind_name(o.truth.kind())},
            {"failure_s", static_cast<double>(o.truth.failure_ns() - s.start_ns) * 1e-9},
            {"observable", o.observable},
            {"detected", o.detected},
            {"diagnosed", o.diagnosed},
            {"first_code", o.first_code},
            {"lead_s", finite_or_null(o.lead_s)}};
        nlohmann::json errs = nlohmann::json::array();
        for (double e : o.rul_error_s) errs.push_back(finite_or_null(e));
        fo["rul_error_s"] = errs;
        faults.push_back(fo);
      }
      nlohmann::json alarms = nlohmann::json::array();
      for (const TwinAlarm& a : s.alarms) alarms.push_back(alarm_json(a, s.start_ns));
      nlohmann::json energy_machines = nlohmann::json::array();
      for (const MachineEnergy& e : s.energy) energy_machines.push_back(energy_json(e));
      nlohmann::json mode_machines = nlohmann::json::array();
      for (const ModeAgreement& a : s.modes) mode_machines.push_back(agreement_json(a));
      per_shift.push_back({{"log", s.log},
                           {"faults", faults},
                           {"alarms", alarms},
                           {"energy", energy_machines},
                           {"mode_from_current", mode_machines}});
    }
    j["per_shift"] = per_shift;
    std::ofstream out(f.json);
    out << j.dump(2) << '\n';
    if (!out) {
      print_error("cannot write " + f.json);
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace

void add_score_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ScoreFlags>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Replay a generated shift with the twin's condition monitor and score its alarms and "
      "RUL against the ground truth");
  cmd->add_option("scene", f->scene, "Scene file (YAML)")->required()->type_name("FILE");
  cmd->add_option("logs", f->logs,
                  "Recordings made by `twin generate` (MCAP); several are scored together")
      ->required()
      ->type_name("FILE.mcap...");
  cmd->add_option("--json", f->json, "Write the scores and every twin alarm as JSON")
      ->type_name("FILE");
  cmd->add_option("--fit", f->fit,
                  "Healthy models from `twin fit` (default: learnt from each machine's first "
                  "running hour)")
      ->type_name("FILE.json");
  cmd->add_option("--calibrate", f->calibrate,
                  "Write the fit (or, without --fit, an empty one) with an RUL calibration learnt "
                  "from these shifts' failures, for scoring and forecasting other shifts")
      ->type_name("OUT.json");
  cmd->add_flag("--alarms", f->alarms, "List every twin alarm");
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing (use with --json)");
  cmd->callback([f, &ctx] { ctx.exit_code = run_score(*f); });
}

}  // namespace twin::cli
