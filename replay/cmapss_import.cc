#include "replay/cmapss_import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <system_error>
#include <tuple>
#include <utility>

#include "core/telemetry/telemetry.h"
#include "replay/mcap_reader.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Shortest text that reads back as the same double (so metadata round-trips exactly).
std::string exact_text(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

bool parse_i64(const std::string& s, int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_f64(const std::string& s, double& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

// [ns] between cycles from the cycle length in seconds; 0 when unusable.
int64_t cycle_ns_of(double cycle_s) {
  if (!std::isfinite(cycle_s) || cycle_s <= 0.0 || cycle_s * 1e9 >= 9e18) return 0;
  return std::max<int64_t>(1, std::llround(cycle_s * 1e9));
}

// start + cycle * cycle_ns, or nullopt outside [0, INT64_MAX].
std::optional<int64_t> time_of(int64_t start_ns, int64_t cycles, int64_t cycle_ns) {
  int64_t offset = 0, t = 0;
  if (__builtin_mul_overflow(cycles, cycle_ns, &offset) ||
      __builtin_add_overflow(start_ns, offset, &t) || t < 0)
    return std::nullopt;
  return t;
}

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string cycle_label(const CmapssUnit& u, size_t row) {
  std::string s("unit ");
  s.append(std::to_string(u.unit)).append(" cycle ").append(std::to_string(u.cycle[row]));
  return s;
}

}  // namespace

const std::vector<std::string>& cmapss_tag_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int i = 1; i <= kCmapssSettings; ++i) {
      v.push_back(std::string("op_setting_").append(std::to_string(i)));
    }
    for (int i = 1; i <= kCmapssSensors; ++i) {
      std::string s(i < 10 ? "sensor_0" : "sensor_");
      s.append(std::to_string(i));
      v.push_back(s);
    }
    return v;
  }();
  return names;
}

const std::vector<std::string>& cmapss_tag_labels() {
  static const std::vector<std::string> labels = {
      "",    "",    "",     "T2",      "T24",    "T30",       "T50", "P2",
      "P15", "P30", "Nf",   "Nc",      "epr",    "Ps30",      "phi", "NRf",
      "NRc", "BPR", "farB", "htBleed", "Nf_dmd", "PCNfR_dmd", "W31", "W32"};
  return labels;
}

const std::vector<std::string>& cmapss_tag_units() {
  static const std::vector<std::string> units = {
      "",     "",     "",    "degR", "degR", "degR", "degR",    "psia",
      "psia", "psia", "rpm", "rpm",  "",     "psia", "pps/psi", "rpm",
      "rpm",  "",     "",    "",     "rpm",  "rpm",  "lbm/s",   "lbm/s"};
  return units;
}

std::string cmapss_engine_name(int unit) {
  std::string digits = std::to_string(unit);
  std::string name("engine_");
  if (digits.size() < 3) name.append(3 - digits.size(), '0');
  name.append(digits);
  return name;
}

double cmapss_widen(float value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  double out = static_cast<double>(value);
  if (ec == std::errc()) std::from_chars(buf, end, out);
  return out;
}

const char* cmapss_split_name(CmapssSplit split) {
  return split == CmapssSplit::kTrain ? "train" : "test";
}

CmapssSource read_cmapss_source(const std::string& path, const std::string& rul_path,
                                std::optional<CmapssSplit> split) {
  CmapssSource src;
  src.file = path;
  src.rul_file = rul_path;
  auto fail = [&](const std::string& file, int line, std::string what) {
    CmapssError e;
    e.file = file;
    e.line = line;
    e.what = std::move(what);
    src.error = std::move(e);
    return src;
  };
  if (split) {
    src.split = *split;
  } else if (!rul_path.empty()) {
    src.split = CmapssSplit::kTest;
  } else {
    const std::string name = file_name(path);
    if (name.rfind("train", 0) == 0) {
      src.split = CmapssSplit::kTrain;
    } else if (name.rfind("test", 0) == 0) {
      src.split = CmapssSplit::kTest;
    } else {
      return fail(path, 0,
                  "cannot tell a training file (run to failure) from a test file by its name; "
                  "say which (train or test)");
    }
  }
  if (src.split == CmapssSplit::kTrain && !rul_path.empty()) {
    return fail(rul_path, 0, "a RUL file belongs to a test file, not a training file");
  }
  src.data = read_cmapss_trajectories(path);
  if (src.data.error) {
    src.error = src.data.error;
    return src;
  }
  if (!rul_path.empty()) {
    src.rul = read_cmapss_rul(rul_path);
    if (src.rul->error) {
      src.error = src.rul->error;
      return src;
    }
    const size_t n = src.rul->rul.size(), units = src.data.units.size();
    if (n != units) {
      std::string what("has ");
      what.append(std::to_string(n)).append(n == 1 ? " value" : " values").append(" but ");
      what.append(file_name(path)).append(" has ").append(std::to_string(units));
      what.append(units == 1 ? " unit" : " units").append(" (one value per unit, in order)");
      return fail(rul_path, n > units ? static_cast<int>(units) + 1 : 0, std::move(what));
    }
  }
  return src;
}

CmapssImportReport write_cmapss_telemetry(const CmapssSource& source,
                                          const CmapssImportOptions& options,
                                          TelemetryWriter& out) {
  CmapssImportReport r;
  if (!source.ok()) {
    r.error = source.error->to_string();
    return r;
  }
  const int64_t cycle_ns = cycle_ns_of(options.cycle_s);
  if (cycle_ns == 0) {
    r.error = "cycle length must be a positive number of seconds below 9e9, got ";
    r.error.append(exact_text(options.cycle_s));
    return r;
  }
  const std::vector<CmapssUnit>& units = source.data.units;
  const std::vector<std::string>& names = cmapss_tag_names();
  const std::vector<std::string>& units_of_tags = cmapss_tag_units();
  const double rate_hz = 1.0 / options.cycle_s;

  // Times of every row (checked before anything is written) and the failure times.
  std::vector<std::vector<int64_t>> times(units.size());
  std::vector<std::optional<int64_t>> failure(units.size());
  int64_t first = kInt64Max, last = 0;
  for (size_t k = 0; k < units.size(); ++k) {
    const CmapssUnit& u = units[k];
    for (size_t i = 0; i < u.cycle.size(); ++i) {
      const std::optional<int64_t> t = time_of(options.start_ns, u.cycle[i], cycle_ns);
      if (!t) {
        r.error = source.file + ": " + cycle_label(u, i) +
                  " falls outside the representable times (before 1970 or after 2262); "
                  "choose another start or cycle length";
        return r;
      }
      times[k].push_back(*t);
      first = std::min(first, *t);
      last = std::max(last, *t);
    }
    if (source.split == CmapssSplit::kTrain) {
      failure[k] = times[k].back();
    } else if (source.rul) {
      const double rul_cycles = source.rul->rul[k];
      const double rul_ns = rul_cycles * static_cast<double>(cycle_ns);
      int64_t t = 0;
      if (!(rul_ns < 9e18) ||
          __builtin_add_overflow(times[k].back(), static_cast<int64_t>(std::llround(rul_ns)), &t)) {
        r.error = source.rul_file + ":" + std::to_string(k + 1) +
                  ": the failure time falls after 2262; choose another start or cycle length";
        return r;
      }
      failure[k] = t;
    }
  }

  // Channels: one machine per engine.
  std::vector<TagSpec> tags;
  for (size_t c = 0; c < names.size(); ++c) {
    TagSpec t;
    t.name = names[c];
    t.unit = units_of_tags[c];
    t.rate_hz = rate_hz;
    t.signal = static_cast<int>(Signal::kCustom);
    tags.push_back(t);
  }
  std::string source_meta("cmapss:");
  source_meta.append(file_name(source.file));
  std::vector<uint32_t> handles(units.size());
  for (size_t k = 0; k < units.size(); ++k) {
    std::map<std::string, std::string> meta{
        {"source", source_meta},
        {"source_path", source.file},
        {"cmapss_unit", std::to_string(units[k].unit)},
        {"cmapss_split", cmapss_split_name(source.split)},
        {"cycle_s", exact_text(options.cycle_s)},
        {"labels", join_list(cmapss_tag_labels())},
        {"shift_start_ns", std::to_string(options.start_ns)},
        {"shift_end_ns", std::to_string(last)},
    };
    if (!source.rul_file.empty()) meta["rul_source"] = file_name(source.rul_file);
    const std::string machine = cmapss_engine_name(units[k].unit);
    handles[k] = out.add_machine(machine, tags, meta);
    r.machines.push_back(machine);
  }

  // Ground truth first, at the start of the time axis (the earliest log time of the file).
  const uint64_t truth_log = static_cast<uint64_t>(std::min(options.start_ns, first));
  for (size_t k = 0; k < units.size(); ++k) {
    if (!failure[k]) continue;
    telemetry::FaultTruth t;
    t.set_machine(r.machines[k]);
    t.set_kind(telemetry::FaultTruth::KIND_UNKNOWN);
    t.set_failure_ns(*failure[k]);  // precursor unknown (0): the data set does not say
    std::string note("C-MAPSS ");
    note.append(file_name(source.file)).append(" unit ").append(std::to_string(units[k].unit));
    if (source.split == CmapssSplit::kTrain) {
      note.append(": run to failure, fails at its last cycle ")
          .append(std::to_string(units[k].cycle.back()));
    } else {
      note.append(": last observed cycle ").append(std::to_string(units[k].cycle.back()));
      note.append(", fails ").append(exact_text(source.rul->rul[k])).append(" cycles later (");
      note.append(file_name(source.rul_file)).append(" line ").append(std::to_string(k + 1));
      note.append(")");
    }
    t.set_note(note);
    if (!out.write_truth(truth_log, t)) {
      r.error = std::string("cannot write: ").append(out.error());
      return r;
    }
    ++r.truths;
  }

  // One batch per cycle, in time order across engines (engine order among equal times).
  std::vector<std::tuple<int64_t, uint32_t, uint32_t>> order;  // (time, unit index, row)
  for (size_t k = 0; k < units.size(); ++k) {
    for (size_t i = 0; i < times[k].size(); ++i) {
      order.emplace_back(times[k][i], static_cast<uint32_t>(k), static_cast<uint32_t>(i));
    }
  }
  std::sort(order.begin(), order.end());
  telemetry::SampleBatch batch;
  for (const auto& [t, k, i] : order) {
    const CmapssUnit& u = units[k];
    batch.Clear();
    batch.set_base_time_ns(t);
    for (int c = 0; c < kCmapssChannels; ++c) {
      const double v = u.x(static_cast<Eigen::Index>(i), c);
      const float f = static_cast<float>(v);
      if (!std::isfinite(f)) {
        r.error = source.file + ": " + cycle_label(u, i) + " " + names[static_cast<size_t>(c)] +
                  ": " + exact_text(v) + " is beyond single precision";
        return r;
      }
      if (cmapss_widen(f) != v) {
        if (r.inexact_values == 0) {
          r.first_inexact = cycle_label(u, i);
          r.first_inexact.append(" ").append(names[static_cast<size_t>(c)]).append(": ");
          r.first_inexact.append(exact_text(cmapss_widen(f))).append(" != ").append(exact_text(v));
        }
        ++r.inexact_values;
      }
      batch.add_tag(static_cast<uint32_t>(c));
      batch.add_time_offset_ns(0);
      batch.add_value(f);
    }
    if (!out.write_samples(handles[k], static_cast<uint64_t>(t), batch)) {
      r.error = std::string("cannot write: ").append(out.error());
      return r;
    }
    ++r.cycles;
    r.samples += static_cast<uint64_t>(kCmapssChannels);
  }
  r.units = units.size();
  r.first_ns = first;
  r.last_ns = last;
  r.messages = out.messages_written();
  r.ok = true;
  return r;
}

// ---- Reading back ----------------------------------------------------------------------------

namespace {

// Reads the C-MAPSS samples channels into per-engine rows.
class DatasetSink final : public mcap::MessageSink {
 public:
  explicit DatasetSink(const std::string& path) : path_(path) {}

  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    if (!error_.empty()) return;
    std::string machine;
    if (classify_topic(channel.topic, &machine) != TopicKind::kSamples) return;
    const auto tags_it = channel.metadata.find("tags");
    if (tags_it == channel.metadata.end()) return;
    const std::vector<std::string> tags = split_list(tags_it->second);
    const std::vector<std::string>& names = cmapss_tag_names();
    Engine e;
    e.machine = machine;
    e.column.assign(tags.size(), -1);
    int found = 0;
    for (size_t i = 0; i < tags.size(); ++i) {
      const auto it = std::find(names.begin(), names.end(), tags[i]);
      if (it == names.end()) continue;
      e.column[i] = static_cast<int>(it - names.begin());
      ++found;
    }
    if (found == 0) return;  // not an engine: some other machine's samples
    if (found != kCmapssChannels) {
      fail(channel.topic + ": has " + std::to_string(found) + " of the " +
           std::to_string(kCmapssChannels) + " C-MAPSS tags (or one twice)");
      return;
    }
    int64_t start = 0, unit = 0;
    double cycle_s = 0.0;
    const auto meta = [&](const char* key) {
      const auto it = channel.metadata.find(key);
      return it == channel.metadata.end() ? std::string() : it->second;
    };
    if (!parse_i64(meta("shift_start_ns"), start) || !parse_f64(meta("cycle_s"), cycle_s) ||
        cycle_ns_of(cycle_s) == 0) {
      fail(channel.topic +
           ": no usable shift_start_ns and cycle_s metadata (not a C-MAPSS "
           "import?)");
      return;
    }
    const int64_t cycle_ns = cycle_ns_of(cycle_s);
    if (engines_.empty()) {
      start_ns_ = start;
      cycle_ns_ = cycle_ns;
      source_ = meta("source");
    } else if (start != start_ns_ || cycle_ns != cycle_ns_) {
      fail(channel.topic +
           ": its time axis (shift_start_ns, cycle_s) differs from the first "
           "engine's");
      return;
    }
    e.unit = parse_i64(meta("cmapss_unit"), unit) && unit > 0 && unit <= 1000000000
                 ? static_cast<int>(unit)
                 : 0;
    by_channel_[channel.id] = engines_.size();
    engines_.push_back(std::move(e));
  }

  bool on_message(const mcap::MessageView& m) override {
    if (!error_.empty()) return false;
    const auto it = by_channel_.find(m.channel_id);
    if (it == by_channel_.end()) return true;
    Engine& e = engines_[it->second];
    batch_.Clear();
    if (!batch_.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()))) {
      return fail(e.machine + ": undecodable SampleBatch at log time " +
                  std::to_string(m.log_time));
    }
    const int n = batch_.value_size();
    if (batch_.tag_size() != n || batch_.time_offset_ns_size() != n) {
      return fail(e.machine + ": SampleBatch arrays of different lengths at log time " +
                  std::to_string(m.log_time));
    }
    for (int s = 0; s < n; ++s) {
      const uint32_t tag = batch_.tag(s);
      if (tag >= e.column.size() || e.column[tag] < 0) continue;  // a tag of no interest
      const int64_t t = batch_.base_time_ns() + batch_.time_offset_ns(s);
      const int64_t d = t - start_ns_;
      if (d % cycle_ns_ != 0 || d / cycle_ns_ > std::numeric_limits<int>::max() ||
          d / cycle_ns_ < std::numeric_limits<int>::min()) {
        return fail(e.machine + ": sample time " + std::to_string(t) +
                    " ns is not on the cycle grid (shift_start_ns + cycle * cycle_s)");
      }
      const int cycle = static_cast<int>(d / cycle_ns_);
      if (e.cycles.empty() || cycle > e.cycles.back()) {
        if (!e.cycles.empty() && !complete(e)) return false;
        e.cycles.push_back(cycle);
        e.values.insert(e.values.end(), kCmapssChannels, std::numeric_limits<double>::quiet_NaN());
      } else if (cycle < e.cycles.back()) {
        return fail(e.machine + ": cycle " + std::to_string(cycle) + " after cycle " +
                    std::to_string(e.cycles.back()) + " (samples out of time order)");
      }
      double& slot =
          e.values[e.values.size() - kCmapssChannels + static_cast<size_t>(e.column[tag])];
      if (!std::isnan(slot)) {
        return fail(e.machine + ": cycle " + std::to_string(cycle) + " has tag " +
                    cmapss_tag_names()[static_cast<size_t>(e.column[tag])] + " twice");
      }
      slot = cmapss_widen(batch_.value(s));
    }
    return true;
  }

  // Moves the engines into `out` (in unit order); false with out.error set on a problem.
  void finish(const mcap::ReadResult& read, CmapssDataset& out) {
    if (error_.empty() && !read.valid_magic) error_ = path_ + ": not an MCAP file";
    if (error_.empty() && !read.damage.empty()) {
      error_ = path_ + ": damaged MCAP file: " + mcap::describe_damage(read);
    }
    for (Engine& e : engines_) {
      if (!error_.empty()) break;
      if (e.cycles.empty()) {
        error_ = path_ + ": " + e.machine + " has no cycles";
      } else {
        complete(e);
      }
    }
    if (error_.empty() && engines_.empty()) {
      error_ = path_ +
               ": no C-MAPSS engine channels (samples with the tags op_setting_1.."
               "op_setting_3, sensor_01..sensor_21); import the text file with "
               "`twin import --format cmapss`";
    }
    if (!error_.empty()) {
      out.error = error_;
      return;
    }
    // Unit order when every engine names its unit, else channel order.
    if (std::all_of(engines_.begin(), engines_.end(), [](const Engine& e) { return e.unit > 0; })) {
      std::stable_sort(engines_.begin(), engines_.end(),
                       [](const Engine& a, const Engine& b) { return a.unit < b.unit; });
    }
    out.start_ns = start_ns_;
    out.cycle_ns = cycle_ns_;
    out.source = source_;
    for (size_t k = 0; k < engines_.size(); ++k) {
      Engine& e = engines_[k];
      CmapssUnit u;
      u.unit = e.unit != 0 ? e.unit : static_cast<int>(k + 1);
      u.cycle = std::move(e.cycles);
      u.x =
          Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
              e.values.data(), static_cast<Eigen::Index>(u.cycle.size()), kCmapssChannels);
      out.units.push_back(std::move(u));
      out.machines.push_back(e.machine);
    }
  }

 private:
  struct Engine {
    std::string machine;
    int unit = 0;             // "cmapss_unit" metadata, 0 when absent
    std::vector<int> column;  // channel tag index -> C-MAPSS column (-1: not one)
    std::vector<int> cycles;
    std::vector<double> values;  // row-major, 24 per cycle
  };

  bool fail(std::string what) {
    if (error_.empty()) error_ = path_ + ": " + what;
    return false;
  }

  // The last row of `e` has every channel.
  bool complete(const Engine& e) {
    const size_t base = e.values.size() - kCmapssChannels;
    for (size_t c = 0; c < static_cast<size_t>(kCmapssChannels); ++c) {
      if (std::isnan(e.values[base + c])) {
        return fail(e.machine + ": cycle " + std::to_string(e.cycles.back()) + " lacks tag " +
                    cmapss_tag_names()[c]);
      }
    }
    return true;
  }

  std::string path_;
  std::string error_;
  std::vector<Engine> engines_;
  std::map<uint16_t, size_t> by_channel_;
  int64_t start_ns_ = 0, cycle_ns_ = 1;
  std::string source_;
  telemetry::SampleBatch batch_;
};

// Streams `path` restricted to the topics `want` picks (through the summary when there is one,
// so other chunks are not even read); without a summary everything is scanned and the sink
// ignores the other channels.
template <typename Want>
mcap::ReadResult stream_topics(const std::string& path, mcap::MessageSink& sink, Want want) {
  mcap::McapFile file;
  if (file.open(path)) {
    mcap::StreamOptions options;
    for (const auto& [id, channel] : file.summary().channels) {
      if (want(channel.topic)) options.topics.push_back(channel.topic);
    }
    if (options.topics.empty()) return file.summary();  // nothing wanted: read nothing
    return file.stream(sink, options);
  }
  return mcap::stream_mcap(path, sink);
}

class TruthSink final : public mcap::MessageSink {
 public:
  void on_channel(const mcap::Channel& channel, const mcap::Schema*) override {
    if (channel.topic == kTruthTopic) truth_channels_.push_back(channel.id);
  }
  bool on_message(const mcap::MessageView& m) override {
    if (std::find(truth_channels_.begin(), truth_channels_.end(), m.channel_id) ==
        truth_channels_.end()) {
      return true;
    }
    telemetry::FaultTruth t;
    if (!t.ParseFromArray(m.data.data(), static_cast<int>(m.data.size()))) {
      error = "undecodable FaultTruth at log time " + std::to_string(m.log_time);
      return false;
    }
    records.push_back(std::move(t));
    return true;
  }
  std::vector<telemetry::FaultTruth> records;
  std::string error;

 private:
  std::vector<uint16_t> truth_channels_;
};

}  // namespace

CmapssDataset read_cmapss_dataset(const std::string& mcap_path) {
  CmapssDataset out;
  DatasetSink sink(mcap_path);
  const mcap::ReadResult read = stream_topics(mcap_path, sink, [](const std::string& topic) {
    return classify_topic(topic) == TopicKind::kSamples;
  });
  sink.finish(read, out);
  return out;
}

CmapssTruth read_cmapss_truth(const std::string& mcap_path, const CmapssDataset& dataset) {
  CmapssTruth out;
  out.rul_at_end.assign(dataset.units.size(), std::nullopt);
  TruthSink sink;
  const mcap::ReadResult read =
      stream_topics(mcap_path, sink, [](const std::string& topic) { return topic == kTruthTopic; });
  if (!read.valid_magic) {
    out.error = mcap_path + ": not an MCAP file";
  } else if (!read.damage.empty()) {
    out.error = mcap_path + ": damaged MCAP file: " + mcap::describe_damage(read);
  } else if (!sink.error.empty()) {
    out.error = mcap_path + ": " + sink.error;
  }
  if (!out.ok()) return out;
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < dataset.machines.size(); ++k) index[dataset.machines[k]] = k;
  for (const telemetry::FaultTruth& t : sink.records) {
    const auto it = index.find(t.machine());
    if (it == index.end()) continue;  // a machine that is no engine of the dataset
    const size_t k = it->second;
    if (out.rul_at_end[k]) {
      out.error = mcap_path + ": " + t.machine() + " has more than one truth record";
      return out;
    }
    const std::optional<int64_t> last =
        time_of(dataset.start_ns, dataset.units[k].cycle.back(), dataset.cycle_ns);
    const double rul =
        last ? static_cast<double>(t.failure_ns() - *last) / static_cast<double>(dataset.cycle_ns)
             : -1.0;
    if (!(rul >= 0.0)) {
      out.error = mcap_path + ": " + t.machine() + " fails before its last observed cycle " +
                  std::to_string(dataset.units[k].cycle.back());
      return out;
    }
    out.rul_at_end[k] = rul;
  }
  return out;
}

}  // namespace twin
