#include "core/scene/compile.h"

#include "core/telemetry/telemetry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numbers>
#include <utility>

#include "core/scene/suggest.h"
#include "core/sim/rng.h"

namespace twin {

namespace {

constexpr double kRadPerDeg = std::numbers::pi / 180.0;

constexpr uint32_t kMaxMachinesPerStation = 1000;
constexpr size_t kMaxProducts = 65535;  // Node::mix_product is uint16_t
// A truncation window [min, max] must keep at least this much probability, or drawing by
// resampling would practically never end.
constexpr double kMinTruncatedMass = 1e-6;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string at(const std::string& path, int i) {
  return path + "[" + std::to_string(i) + "]";
}

// Standard normal CDF.
double phi(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// Probability mass of N(mu, sigma) inside [lo, hi].
double normal_mass(double mu, double sigma, double lo, double hi) {
  const double a = std::isinf(lo) ? 0.0 : phi((lo - mu) / sigma);
  const double b = std::isinf(hi) ? 1.0 : phi((hi - mu) / sigma);
  return b - a;
}

const char* kind_word(NodeKind k) {
  switch (k) {
    case NodeKind::kSource:
      return "source";
    case NodeKind::kBuffer:
      return "buffer";
    case NodeKind::kConveyor:
      return "conveyor";
    case NodeKind::kSink:
      return "sink";
  }
  return "node";
}

// Where a name was declared.
struct NameEntry {
  bool is_station = false;
  NodeKind kind = NodeKind::kBuffer;
  int32_t node = -1;  // node index when not a station
  std::string path;   // e.g. "buffers[2]"
};

class Compiler {
 public:
  Compiler(const scene::Scene& scene, const std::string& file, const FieldLocations* locations,
           Model& model, std::vector<SceneError>& errors)
      : scene_(scene), file_(file), locations_(locations), m_(model), errors_(errors) {}

  void run() {
    m_ = Model{};
    m_.name = scene_.name();
    m_.source_file = file_;
    m_.seed = scene_.seed();
    compile_products();
    declare_names();
    for (int i = 0; i < scene_.sources_size(); ++i) compile_source(i);
    for (int i = 0; i < scene_.buffers_size(); ++i) compile_buffer(i);
    for (int i = 0; i < scene_.conveyors_size(); ++i) compile_conveyor(i);
    for (int i = 0; i < scene_.sinks_size(); ++i) compile_sink(i);
    for (int i = 0; i < scene_.stations_size(); ++i) compile_station(i);
    link_stations();
    compile_calendar();
    check_counts();
    if (references_ok_) check_flow();
    if (references_ok_) compile_sparkplug();
  }

 private:
  // --- errors ----------------------------------------------------------------------------------

  void error(const std::string& path, std::string message) {
    SceneError e;
    e.file = file_;
    if (locations_ != nullptr) {
      const FieldLocation loc = find_location(*locations_, path);
      e.line = loc.line;
      e.column = loc.column;
    }
    e.path = path;
    e.message = std::move(message);
    errors_.push_back(std::move(e));
  }

  // --- Sparkplug routes ------------------------------------------------------------------------

  void compile_sparkplug() {
    const scene::Sparkplug& sp = scene_.sparkplug();
    m_.sparkplug_routes_only = sp.routes_only();
    for (int i = 0; i < sp.routes_size(); ++i) {
      const scene::Sparkplug::Route& r = sp.routes(i);
      const std::string path = at("sparkplug.routes", i);
      bool ok = true;
      auto require = [&](const std::string& value, const char* field) {
        if (value.empty()) {
          error(path + "." + field, std::string(field) + " is required");
          ok = false;
        }
      };
      require(r.group(), "group");
      require(r.node(), "node");
      require(r.metric(), "metric");
      require(r.machine(), "machine");
      require(r.tag(), "tag");
      if (!ok) continue;
      int32_t machine = -1;
      for (uint32_t m = 0; m < m_.machine_count(); ++m) {
        if (machine_name(m_, m) == r.machine()) machine = static_cast<int32_t>(m);
      }
      if (machine < 0) {
        error(path + ".machine", "unknown machine '" + r.machine() + "'");
        continue;
      }
      const auto m = static_cast<uint32_t>(machine);
      bool tag_known = r.tag() == "mode";
      for (const TagSpec& t : sample_tags(m_, m)) tag_known = tag_known || t.name == r.tag();
      for (const TagSpec& t : m_.stations[m_.machine_station[m]].tags) {
        tag_known = tag_known || t.name == r.tag();
      }
      if (!tag_known) {
        error(path + ".tag", "machine '" + r.machine() + "' has no tag '" + r.tag() + "'");
        continue;
      }
      SparkplugRouteSpec spec;
      spec.group = r.group();
      spec.node = r.node();
      spec.device = r.device();
      spec.metric = r.metric();
      spec.machine = r.machine();
      spec.tag = r.tag();
      m_.sparkplug_routes.push_back(std::move(spec));
    }
  }

  // --- products and names ----------------------------------------------------------------------

  void compile_products() {
    for (int i = 0; i < scene_.products_size(); ++i) {
      const std::string& name = scene_.products(i).name();
      const std::string path = at("products", i);
      if (name.empty()) {
        error(path + ".name", "product name is required");
      } else if (std::find(m_.products.begin(), m_.products.end(), name) != m_.products.end()) {
        error(path + ".name", "duplicate product '" + name + "'");
      }
      m_.products.push_back(name);
      const auto& pr = scene_.products(i);
      PartGeometry part;
      non_negative(pr.length(), path + ".length", "length");
      non_negative(pr.width(), path + ".width", "width");
      non_negative(pr.height(), path + ".height", "height");
      non_negative(pr.mass(), path + ".mass", "mass");
      part.length_m = pr.length();
      part.width_m = pr.width();
      part.height_m = pr.height();
      part.mass_kg = pr.mass();
      m_.product_part.push_back(part);
    }
    if (m_.products.size() > kMaxProducts) {
      error("products", "too many products (at most " + std::to_string(kMaxProducts) + ")");
    }
    if (m_.products.empty()) {
      m_.products.push_back("default");
      m_.product_part.emplace_back();
    }
  }

  void declare(const std::string& name, const std::string& path, NameEntry entry) {
    if (name.empty()) {
      error(path + ".name", "name is required");
      return;
    }
    const auto it = names_.find(name);
    if (it != names_.end()) {
      error(path + ".name", "duplicate name '" + name + "', already used by " + it->second.path);
      references_ok_ = false;  // references to it are ambiguous: skip the flow checks
      return;
    }
    entry.path = path;
    names_.emplace(name, std::move(entry));
  }

  void declare_names() {
    int32_t node = 0;
    auto nodes = [&](const char* field, NodeKind kind, int count, auto get_name) {
      for (int i = 0; i < count; ++i) {
        NameEntry e;
        e.kind = kind;
        e.node = node++;
        declare(get_name(i), at(field, i), e);
        node_path_.push_back(at(field, i));
      }
    };
    nodes("sources", NodeKind::kSource, scene_.sources_size(),
          [&](int i) -> const std::string& { return scene_.sources(i).name(); });
    nodes("buffers", NodeKind::kBuffer, scene_.buffers_size(),
          [&](int i) -> const std::string& { return scene_.buffers(i).name(); });
    nodes("conveyors", NodeKind::kConveyor, scene_.conveyors_size(),
          [&](int i) -> const std::string& { return scene_.conveyors(i).name(); });
    nodes("sinks", NodeKind::kSink, scene_.sinks_size(),
          [&](int i) -> const std::string& { return scene_.sinks(i).name(); });
    for (int i = 0; i < scene_.stations_size(); ++i) {
      NameEntry e;
      e.is_station = true;
      declare(scene_.stations(i).name(), at("stations", i), e);
    }
  }

  // Node index named `name` for `role`, or -1 (with an error). `allowed` lists node kinds.
  int32_t resolve(const std::string& name, const std::string& path, const std::string& role,
                  std::initializer_list<NodeKind> allowed, const std::string& allowed_words) {
    const auto it = names_.find(name);
    if (it == names_.end()) {
      std::vector<std::string> candidates;
      for (const auto& [n, e] : names_) {
        if (!e.is_station && std::find(allowed.begin(), allowed.end(), e.kind) != allowed.end()) {
          candidates.push_back(n);
        }
      }
      error(path,
            role + " '" + name + "' names no " + allowed_words + did_you_mean(name, candidates));
      references_ok_ = false;
      return -1;
    }
    const NameEntry& e = it->second;
    if (e.is_station) {
      error(path, role + " '" + name + "' is a station; stations connect through " + allowed_words +
                      " (add a buffer between them)");
      references_ok_ = false;
      return -1;
    }
    if (std::find(allowed.begin(), allowed.end(), e.kind) == allowed.end()) {
      error(path, role + " '" + name + "' is a " + kind_word(e.kind) + "; " + role +
                      " must name a " + allowed_words);
      references_ok_ = false;
      return -1;
    }
    return e.node;
  }

  // --- distributions ---------------------------------------------------------------------------

  bool non_negative(double v, const std::string& path, const char* what) {
    if (v >= 0.0) return true;
    error(path, std::string(what) + " must not be negative, got " + num(v));
    return false;
  }

  bool positive(double v, const std::string& path, const char* what) {
    if (v > 0.0) return true;
    error(path, std::string(what) + " must be positive, got " + num(v));
    return false;
  }

  // Truncation bounds [lo, hi] of a normal/lognormal (times: lo defaults to 0).
  template <class M>
  bool bounds(const M& d, const std::string& path, double& lo, double& hi) {
    bool ok = true;
    lo = d.has_min() ? d.min() : 0.0;
    hi = d.has_max() ? d.max() : kInf;
    if (d.has_min()) ok &= non_negative(d.min(), path + ".min", "min (a time)");
    if (ok && lo > hi) {
      error(path + ".max", "max " + num(hi) + " is below min " + num(lo) +
                               (d.has_min() ? "" : " (min defaults to 0 for a time)"));
      ok = false;
    }
    return ok;
  }

  // Validates a time distribution and compiles it into `out`. With `positive_mean`, its mean
  // must be > 0 (a zero cycle or inter-arrival time would loop forever at one instant).
  bool compile_dist(const scene::Distribution& d, const std::string& path, bool positive_mean,
                    Distribution& out) {
    bool ok = true;
    using D = scene::Distribution;
    switch (d.kind_case()) {
      case D::KIND_NOT_SET:
        error(path,
              "no distribution given; set one of constant, exponential, normal, lognormal, "
              "uniform, triangular, empirical, weibull, gamma");
        return false;
      case D::kConstant:
        ok = non_negative(d.constant(), path + ".constant", "a time");
        if (ok) out = make_constant(d.constant());
        break;
      case D::kExponential:
        ok = positive(d.exponential().mean(), path + ".exponential.mean", "mean");
        if (ok) out = make_exponential(d.exponential().mean());
        break;
      case D::kNormal: {
        const auto& n = d.normal();
        const std::string p = path + ".normal";
        double lo = 0.0, hi = kInf;
        ok &= non_negative(n.stddev(), p + ".stddev", "stddev");
        ok &= bounds(n, p, lo, hi);
        if (ok && n.stddev() == 0.0 && (n.mean() < lo || n.mean() > hi)) {
          error(p + ".mean", "mean " + num(n.mean()) + " lies outside [" + num(lo) + ", " +
                                 num(hi) + "] and stddev is 0");
          ok = false;
        } else if (ok && n.stddev() > 0.0 &&
                   normal_mass(n.mean(), n.stddev(), lo, hi) < kMinTruncatedMass) {
          error(p, "truncation to [" + num(lo) + ", " + num(hi) +
                       "] keeps almost none of the distribution (mean " + num(n.mean()) +
                       ", stddev " + num(n.stddev()) + ")");
          ok = false;
        }
        if (ok) out = make_normal(n.mean(), n.stddev(), lo, hi);
        break;
      }
      case D::kLognormal: {
        const auto& n = d.lognormal();
        const std::string p = path + ".lognormal";
        double lo = 0.0, hi = kInf;
        ok &= positive(n.mean(), p + ".mean", "mean");
        ok &= non_negative(n.stddev(), p + ".stddev", "stddev");
        ok &= bounds(n, p, lo, hi);
        if (ok) {
          const double s2 = std::log1p((n.stddev() * n.stddev()) / (n.mean() * n.mean()));
          const double mu = std::log(n.mean()) - 0.5 * s2;
          const double sigma = std::sqrt(s2);
          const double llo = lo > 0.0 ? std::log(lo) : -kInf;
          const double lhi = std::isinf(hi) ? kInf : (hi > 0.0 ? std::log(hi) : -kInf);
          const bool empty = sigma == 0.0 ? (n.mean() < lo || n.mean() > hi)
                                          : normal_mass(mu, sigma, llo, lhi) < kMinTruncatedMass;
          if (empty) {
            error(p, "truncation to [" + num(lo) + ", " + num(hi) +
                         "] keeps almost none of the distribution (mean " + num(n.mean()) +
                         ", stddev " + num(n.stddev()) + ")");
            ok = false;
          }
        }
        if (ok) out = make_lognormal(n.mean(), n.stddev(), lo, hi);
        break;
      }
      case D::kUniform: {
        const auto& u = d.uniform();
        const std::string p = path + ".uniform";
        ok &= non_negative(u.min(), p + ".min", "min (a time)");
        if (ok && u.max() < u.min()) {
          error(p + ".max", "max " + num(u.max()) + " is below min " + num(u.min()));
          ok = false;
        }
        if (ok) out = make_uniform(u.min(), u.max());
        break;
      }
      case D::kTriangular: {
        const auto& t = d.triangular();
        const std::string p = path + ".triangular";
        ok &= non_negative(t.min(), p + ".min", "min (a time)");
        if (ok && !(t.min() <= t.mode() && t.mode() <= t.max())) {
          error(p, "need min <= mode <= max, got min " + num(t.min()) + ", mode " + num(t.mode()) +
                       ", max " + num(t.max()));
          ok = false;
        }
        if (ok) out = make_triangular(t.min(), t.mode(), t.max());
        break;
      }
      case D::kEmpirical: {
        const auto& e = d.empirical();
        const std::string p = path + ".empirical";
        if (e.values_size() == 0) {
          error(p + ".values", "empirical needs at least one value");
          return false;
        }
        for (int i = 0; i < e.values_size(); ++i) {
          ok &= non_negative(e.values(i), at(p + ".values", i), "a time");
        }
        if (e.interpolate() && e.weights_size() > 0) {
          error(p + ".weights", "interpolate takes no weights (the values define the CDF)");
          ok = false;
        } else if (e.interpolate() && e.values_size() < 2) {
          error(p + ".values", "interpolate needs at least two values");
          ok = false;
        } else if (e.weights_size() > 0) {
          if (e.weights_size() != e.values_size()) {
            error(p + ".weights", std::to_string(e.weights_size()) + " weights for " +
                                      std::to_string(e.values_size()) +
                                      " values; give one weight per value");
            ok = false;
          } else {
            double sum = 0.0;
            for (int i = 0; i < e.weights_size(); ++i) {
              ok &= non_negative(e.weights(i), at(p + ".weights", i), "weight");
              sum += e.weights(i);
            }
            if (ok && !(sum > 0.0)) {
              error(p + ".weights", "weights sum to 0");
              ok = false;
            }
          }
        }
        if (ok) {
          out = make_empirical(std::vector<double>(e.values().begin(), e.values().end()),
                               std::vector<double>(e.weights().begin(), e.weights().end()),
                               e.interpolate());
        }
        break;
      }
      case D::kWeibull: {
        const auto& w = d.weibull();
        const std::string p = path + ".weibull";
        ok &= positive(w.shape(), p + ".shape", "shape");
        ok &= positive(w.scale(), p + ".scale", "scale");
        ok &= non_negative(w.location(), p + ".location", "location (a time)");
        if (ok) out = make_weibull(w.shape(), w.scale(), w.location());
        break;
      }
      case D::kGamma: {
        const auto& g = d.gamma();
        const std::string p = path + ".gamma";
        ok &= positive(g.shape(), p + ".shape", "shape");
        ok &= positive(g.scale(), p + ".scale", "scale");
        if (ok) out = make_gamma(g.shape(), g.scale());
        break;
      }
    }
    if (ok && positive_mean && !(out.mean > 0.0)) {
      error(path, "must have a positive mean, got " + num(out.mean));
      ok = false;
    }
    return ok;
  }

  // --- nodes -----------------------------------------------------------------------------------

  Position position(const scene::Placement& p, const std::string& path) {
    Position pos;
    pos.x = p.x();
    pos.y = p.y();
    pos.z = p.z();
    pos.yaw_deg = p.yaw_deg();
    non_negative(p.size_x(), path + ".size_x", "size_x");
    non_negative(p.size_y(), path + ".size_y", "size_y");
    non_negative(p.size_z(), path + ".size_z", "size_z");
    pos.size_x = p.size_x();
    pos.size_y = p.size_y();
    pos.size_z = p.size_z();
    return pos;
  }

  int32_t capacity(bool has, int32_t value, const std::string& path, const char* absent_hint) {
    if (!has) return kUnbounded;
    if (value < 0) {
      error(path, "capacity must not be negative, got " + std::to_string(value) + " (" +
                      absent_hint + ")");
      return kUnbounded;
    }
    return value;
  }

  void compile_source(int i) {
    const scene::Source& s = scene_.sources(i);
    const std::string path = at("sources", i);
    Node n;
    n.name = s.name();
    n.kind = NodeKind::kSource;
    n.capacity = capacity(s.has_capacity(), s.capacity(), path + ".capacity",
                          "leave it out for an unbounded queue");
    n.saturated = !s.has_interarrival();
    if (s.has_interarrival()) {
      compile_dist(s.interarrival(), path + ".interarrival", true, n.interarrival);
    }
    n.lose_when_full = s.when_full() == scene::Source::LOSE;
    n.batch_size = s.batch_size() == 0 ? 1 : s.batch_size();
    n.lot_size = s.lot_size() == 0 ? 1 : s.lot_size();
    compile_mix(s, path, n);
    n.name_key = hash_name(n.name);
    n.placement = position(s.placement(), path + ".placement");
    m_.nodes.push_back(std::move(n));
    m_.sources.push_back(static_cast<uint32_t>(m_.nodes.size() - 1));
  }

  void compile_mix(const scene::Source& s, const std::string& path, Node& n) {
    if (s.product_mix_size() == 0) {
      n.mix_product = {0};
      n.mix_cdf = {1.0};
      return;
    }
    double sum = 0.0;
    bool ok = true;
    for (int j = 0; j < s.product_mix_size(); ++j) {
      const scene::ProductShare& share = s.product_mix(j);
      const std::string p = at(path + ".product_mix", j);
      const auto it = std::find(m_.products.begin(), m_.products.end(), share.product());
      if (it == m_.products.end()) {
        error(p + ".product", "unknown product '" + share.product() + "'" +
                                  did_you_mean(share.product(), m_.products));
        ok = false;
      } else {
        n.mix_product.push_back(static_cast<uint16_t>(it - m_.products.begin()));
      }
      ok &= non_negative(share.weight(), p + ".weight", "weight");
      sum += share.weight();
    }
    if (!ok) return;
    // All weights absent (0): equal shares.
    const bool equal = sum == 0.0;
    if (equal) sum = static_cast<double>(s.product_mix_size());
    double cum = 0.0;
    for (int j = 0; j < s.product_mix_size(); ++j) {
      cum += equal ? 1.0 : s.product_mix(j).weight();
      n.mix_cdf.push_back(cum / sum);
    }
    n.mix_cdf.back() = 1.0;
  }

  void compile_buffer(int i) {
    const scene::Buffer& b = scene_.buffers(i);
    const std::string path = at("buffers", i);
    Node n;
    n.name = b.name();
    n.kind = NodeKind::kBuffer;
    n.capacity = capacity(b.has_capacity(), b.capacity(), path + ".capacity",
                          "leave it out for an unbounded buffer, 0 for a direct hand-off");
    if (non_negative(b.initial(), path + ".initial", "initial")) n.initial = b.initial();
    if (n.capacity != kUnbounded && n.initial > n.capacity) {
      error(path + ".initial", "initial " + std::to_string(n.initial) + " exceeds capacity " +
                                   std::to_string(n.capacity));
    }
    n.name_key = hash_name(n.name);
    n.placement = position(b.placement(), path + ".placement");
    m_.nodes.push_back(std::move(n));
  }

  void compile_conveyor(int i) {
    const scene::Conveyor& c = scene_.conveyors(i);
    const std::string path = at("conveyors", i);
    Node n;
    n.name = c.name();
    n.kind = NodeKind::kConveyor;
    n.capacity = capacity(c.has_capacity(), c.capacity(), path + ".capacity",
                          "leave it out for an unbounded conveyor");
    if (c.has_capacity() && c.capacity() == 0) {
      error(path + ".capacity", "a conveyor must hold at least 1 part, got 0");
    }
    const bool length_ok = non_negative(c.length(), path + ".length", "length");
    const bool speed_ok = non_negative(c.speed(), path + ".speed", "speed");
    if (c.has_transport_time()) {
      compile_dist(c.transport_time(), path + ".transport_time", false, n.transport_time);
    } else if (length_ok && speed_ok && c.length() > 0.0 && c.speed() > 0.0) {
      n.transport_time = make_constant(c.length() / c.speed());
    } else if (length_ok && speed_ok) {
      error(path + ".transport_time",
            "conveyor '" + c.name() + "' needs transport_time, or length and speed");
    }
    non_negative(c.width(), path + ".width", "width");
    n.length_m = c.length();
    n.speed_mps = c.speed();
    n.width_m = c.width();
    n.name_key = hash_name(n.name);
    n.placement = position(c.placement(), path + ".placement");
    n.end = position(c.end(), path + ".end");
    m_.nodes.push_back(std::move(n));
  }

  void compile_sink(int i) {
    const scene::Sink& s = scene_.sinks(i);
    const std::string path = at("sinks", i);
    Node n;
    n.name = s.name();
    n.kind = NodeKind::kSink;
    n.name_key = hash_name(n.name);
    n.placement = position(s.placement(), path + ".placement");
    m_.nodes.push_back(std::move(n));
    m_.sinks.push_back(static_cast<uint32_t>(m_.nodes.size() - 1));
  }

  // --- stations --------------------------------------------------------------------------------

  void compile_station(int i) {
    const scene::Station& st = scene_.stations(i);
    const std::string path = at("stations", i);
    const std::string label = "station '" + st.name() + "'";
    Station s;
    s.name = st.name();
    s.name_key = hash_name(s.name);

    s.machine_count = st.machines() == 0 ? 1 : st.machines();
    if (s.machine_count > kMaxMachinesPerStation) {
      error(path + ".machines", "at most " + std::to_string(kMaxMachinesPerStation) +
                                    " machines per station, got " +
                                    std::to_string(s.machine_count));
      s.machine_count = 1;
    }
    s.first_machine = m_.machine_count();
    for (uint32_t k = 0; k < s.machine_count; ++k) {
      m_.machine_station.push_back(static_cast<uint32_t>(i));
    }

    const std::string in_words = "source, buffer or conveyor";
    if (st.input_size() == 0) {
      error(path + ".input", label + " has no input; name a " + in_words);
      references_ok_ = false;
    }
    for (int j = 0; j < st.input_size(); ++j) {
      const std::string p = at(path + ".input", j);
      const int32_t node =
          resolve(st.input(j), p, "input",
                  {NodeKind::kSource, NodeKind::kBuffer, NodeKind::kConveyor}, in_words);
      if (node < 0) continue;
      if (std::find(s.inputs.begin(), s.inputs.end(), static_cast<uint32_t>(node)) !=
          s.inputs.end()) {
        error(p, "input '" + st.input(j) + "' is listed twice");
        continue;
      }
      s.inputs.push_back(static_cast<uint32_t>(node));
    }

    const std::string out_words = "buffer, conveyor or sink";
    station_output_ok_.push_back(false);
    if (st.output().empty()) {
      error(path + ".output", label + " has no output; name a " + out_words);
      references_ok_ = false;
    } else {
      const int32_t node =
          resolve(st.output(), path + ".output", "output",
                  {NodeKind::kBuffer, NodeKind::kConveyor, NodeKind::kSink}, out_words);
      if (node >= 0) {
        s.output = static_cast<uint32_t>(node);
        station_output_ok_.back() = true;
        if (std::find(s.inputs.begin(), s.inputs.end(), s.output) != s.inputs.end()) {
          error(path + ".output", label + " outputs into its own input '" + st.output() + "'");
        }
      }
    }

    if (!st.has_cycle_time()) {
      error(path + ".cycle_time", "cycle_time is required");
    } else if (compile_dist(st.cycle_time(), path + ".cycle_time", true, s.cycle_time)) {
      s.ideal_cycle_time = s.cycle_time.mean;
    }

    if (st.has_setup()) {
      const scene::Setup& su = st.setup();
      s.has_setup = true;
      s.setup_on_product_change = su.on_product_change();
      s.setup_every_parts = su.every_parts();
      if (!su.has_time()) {
        error(path + ".setup.time", "setup.time is required");
      } else {
        compile_dist(su.time(), path + ".setup.time", false, s.setup_time);
      }
      if (!su.on_product_change() && su.every_parts() == 0) {
        error(path + ".setup",
              "the setup never happens; set on_product_change: true and/or every_parts");
      }
    }

    for (int k = 0; k < st.failures_size(); ++k) compile_failure(st.failures(k), path, k, s);

    s.blocking = st.blocking() == scene::Station::BEFORE_SERVICE ? Blocking::kBeforeService
                                                                 : Blocking::kAfterService;

    bool prob_ok = probability(st.scrap_probability(), path + ".scrap_probability");
    s.scrap_probability = st.scrap_probability();
    if (st.has_rework()) {
      const scene::Rework& rw = st.rework();
      prob_ok &= probability(rw.probability(), path + ".rework.probability");
      s.rework_probability = rw.probability();
      if (!rw.to().empty()) {
        const int32_t node = resolve(rw.to(), path + ".rework.to", "rework.to",
                                     {NodeKind::kSource, NodeKind::kBuffer, NodeKind::kConveyor},
                                     "buffer, conveyor or source");
        if (rw.probability() > 0.0) s.rework_node = node;
      } else if (rw.probability() > 0.0) {
        error(path + ".rework.to",
              "rework.to is required: name the buffer, conveyor or source "
              "that reworked parts go back to");
      }
      if (prob_ok && st.scrap_probability() + rw.probability() > 1.0) {
        error(path + ".rework.probability", "scrap_probability + rework.probability = " +
                                                num(st.scrap_probability() + rw.probability()) +
                                                " exceeds 1");
      }
    }

    const scene::Power& pw = st.power();
    const std::string pp = path + ".power";
    non_negative(pw.busy(), pp + ".busy", "power");
    non_negative(pw.idle(), pp + ".idle", "power");
    non_negative(pw.setup(), pp + ".setup", "power");
    non_negative(pw.down(), pp + ".down", "power");
    non_negative(pw.off(), pp + ".off", "power");
    non_negative(pw.hour_limit(), pp + ".hour_limit", "energy limit");
    s.power_busy = pw.busy();
    s.power_idle = pw.idle();
    s.power_setup = pw.setup();
    s.power_down = pw.down();
    s.power_off = pw.off();
    s.energy_hour_limit_kWh = pw.hour_limit();

    s.placement = position(st.placement(), path + ".placement");
    compile_tags(st, path, s);
    if (st.has_robot()) s.robot = compile_robot(st.robot(), path + ".robot");
    m_.stations.push_back(std::move(s));
  }

  RobotJointLimit joint_limit(const scene::JointLimit& l, const std::string& path, double scale) {
    positive(l.speed(), path + ".speed", "joint speed");
    positive(l.accel(), path + ".accel", "joint acceleration");
    return RobotJointLimit{.speed = l.speed() * scale, .accel = l.accel() * scale};
  }

  RobotPlace robot_place(const scene::RobotPlace& p) {
    return RobotPlace{
        .x_m = p.x(), .y_m = p.y(), .z_m = p.z(), .yaw_rad = p.yaw_deg() * kRadPerDeg};
  }

  // The robot's geometry, limits and places; the reach is checked here (plain geometry), the
  // heights against the parts and the one machine it loads where the physics is built
  // (models/physics/scene_robot): the line model, and what-ifs of it (more machines), do not
  // use the robot.
  StationRobot compile_robot(const scene::Robot& r, const std::string& path) {
    StationRobot out;
    positive(r.link1(), path + ".link1", "link1");
    positive(r.link2(), path + ".link2", "link2");
    out.base_x_m = r.base_x();
    out.base_y_m = r.base_y();
    out.link1_m = r.link1();
    out.link2_m = r.link2();
    out.elbow_sign = r.left_elbow() ? -1.0 : 1.0;
    out.shoulder = joint_limit(r.shoulder(), path + ".shoulder", kRadPerDeg);
    out.elbow = joint_limit(r.elbow(), path + ".elbow", kRadPerDeg);
    out.z = joint_limit(r.z(), path + ".z", 1.0);
    out.wrist = joint_limit(r.wrist(), path + ".wrist", kRadPerDeg);
    out.travel_z_m = r.travel_z();
    out.pick = robot_place(r.pick());
    out.drop = robot_place(r.drop());
    if (r.has_grip()) {
      non_negative(r.grip(), path + ".grip", "grip");
      out.grip_s = r.grip();
    }
    if (r.has_release()) {
      non_negative(r.release(), path + ".release", "release");
      out.release_s = r.release();
    }
    const double reach = r.link1() + r.link2(), inner = std::abs(r.link1() - r.link2());
    for (const auto& [place, name] : {std::pair{out.pick, "pick"}, std::pair{out.drop, "drop"}}) {
      const double d = std::hypot(place.x_m - out.base_x_m, place.y_m - out.base_y_m);
      if (r.link1() > 0.0 && r.link2() > 0.0 && (d > reach || d < inner)) {
        error(path + "." + name, std::string(name) + " point is " + num(d) +
                                     " m from the robot's base, out of its reach [" + num(inner) +
                                     ", " + num(reach) + "] m");
      }
      if (!(out.travel_z_m > place.z_m)) {
        error(path + ".travel_z", "travel_z " + num(out.travel_z_m) + " m is not above the " +
                                      name + " table (z " + num(place.z_m) + " m)");
      }
    }
    return out;
  }

  bool probability(double p, const std::string& path) {
    if (p >= 0.0 && p <= 1.0) return true;
    error(path, "a probability must be in [0, 1], got " + num(p));
    return false;
  }

  void compile_failure(const scene::Failure& f, const std::string& station_path, int k,
                       Station& s) {
    const std::string path = at(station_path + ".failures", k);
    FailureSpec spec;
    spec.name = f.name().empty() ? "failure_" + std::to_string(k) : f.name();
    for (const FailureSpec& other : s.failures) {
      if (other.name == spec.name) {
        error(path + ".name", "duplicate failure '" + spec.name + "' in station '" + s.name + "'");
      }
    }
    spec.operation_based = f.kind() == scene::Failure::OPERATION_BASED;
    if (!f.has_time_to_failure()) {
      error(path + ".time_to_failure", "time_to_failure is required");
    } else {
      compile_dist(f.time_to_failure(), path + ".time_to_failure", true, spec.time_to_failure);
    }
    if (!f.has_time_to_repair()) {
      error(path + ".time_to_repair", "time_to_repair is required");
    } else {
      compile_dist(f.time_to_repair(), path + ".time_to_repair", false, spec.time_to_repair);
    }
    spec.name_key = hash_name(spec.name);
    s.failures.push_back(std::move(spec));
  }

  void compile_tags(const scene::Station& st, const std::string& station_path, Station& s) {
    for (int k = 0; k < st.tags_size(); ++k) {
      const scene::Tag& t = st.tags(k);
      const std::string path = at(station_path + ".tags", k);
      TagSpec spec;
      spec.name = t.name();
      if (spec.name.empty()) error(path + ".name", "tag name is required");
      for (const TagSpec& other : s.tags) {
        if (!spec.name.empty() && other.name == spec.name) {
          error(path + ".name", "duplicate tag '" + spec.name + "' in station '" + s.name + "'");
        }
      }
      spec.unit = t.unit();
      if (non_negative(t.rate_hz(), path + ".rate_hz", "rate_hz")) {
        spec.rate_hz = t.rate_hz() == 0.0 ? 1.0 : t.rate_hz();
      }
      spec.signal = static_cast<int>(t.signal());
      s.tags.push_back(std::move(spec));
    }
  }

  // Fills consumers/producers, in scene station order.
  void link_stations() {
    for (size_t i = 0; i < m_.stations.size(); ++i) {
      const Station& s = m_.stations[i];
      const auto si = static_cast<uint32_t>(i);
      for (uint32_t in : s.inputs) m_.nodes[in].consumers.push_back(si);
      if (station_output_ok_[i]) m_.nodes[s.output].producers.push_back(si);
      if (s.rework_node >= 0) {
        auto& producers = m_.nodes[static_cast<size_t>(s.rework_node)].producers;
        if (producers.empty() || producers.back() != si) producers.push_back(si);
      }
    }
  }

  // --- calendar --------------------------------------------------------------------------------

  void compile_calendar() {
    if (!scene_.has_calendar()) return;
    const scene::Calendar& c = scene_.calendar();
    Calendar& cal = m_.calendar;
    const double period = c.period();
    if (!non_negative(period, "calendar.period", "period")) return;
    cal.period = period;
    struct Entry {
      BreakWindow w;
      int index;
    };
    std::vector<Entry> valid;
    auto label = [&](int k) {
      const std::string& n = c.breaks(k).name();
      return n.empty() ? "break " + std::to_string(k) : "break '" + n + "'";
    };
    for (int k = 0; k < c.breaks_size(); ++k) {
      const scene::Break& b = c.breaks(k);
      const std::string path = at("calendar.breaks", k);
      bool ok = non_negative(b.start(), path + ".start", "start");
      ok &= positive(b.duration(), path + ".duration", "duration");
      if (ok && period > 0.0 && b.start() >= period) {
        error(path + ".start", label(k) + " starts at " + num(b.start()) +
                                   " s, not inside the period of " + num(period) + " s");
        ok = false;
      } else if (ok && period > 0.0 && b.start() + b.duration() > period) {
        error(path + ".duration", label(k) + " ends at " + num(b.start() + b.duration()) +
                                      " s, after the end of the period (" + num(period) + " s)");
        ok = false;
      }
      if (ok) valid.push_back({BreakWindow{b.start(), b.start() + b.duration()}, k});
    }
    std::stable_sort(valid.begin(), valid.end(),
                     [](const Entry& a, const Entry& b) { return a.w.start < b.w.start; });
    const Entry* last = nullptr;  // the last break kept
    for (const Entry& e : valid) {
      if (last != nullptr && e.w.start < last->w.end) {
        const Entry& prev = *last;
        error(at("calendar.breaks", e.index),
              label(e.index) + " (" + num(e.w.start) + " to " + num(e.w.end) + " s) overlaps " +
                  label(prev.index) + " (" + num(prev.w.start) + " to " + num(prev.w.end) + " s)");
        continue;
      }
      cal.breaks.push_back(e.w);
      last = &e;
      cal.off_per_period += e.w.end - e.w.start;
    }
    if (period > 0.0 && cal.off_per_period >= period) {
      error("calendar.breaks", "the breaks fill the whole period; the line would never run");
    }
    cal.index();  // O(log n) calendar look-ups
  }

  // --- whole-line checks -----------------------------------------------------------------------

  void check_counts() {
    // Without a source, parts can only come from buffers' initial contents (an empty-to-empty
    // run); with neither, nothing ever happens.
    bool has_initial = false;
    for (const scene::Buffer& b : scene_.buffers()) has_initial |= b.initial() > 0;
    if (scene_.sources_size() == 0 && !has_initial) {
      error("sources", "a scene needs at least one source (or a buffer with initial parts)");
    }
    if (scene_.sinks_size() == 0) error("sinks", "a scene needs at least one sink");
    if (scene_.stations_size() == 0) error("stations", "a scene needs at least one station");
  }

  void check_flow() {
    for (size_t i = 0; i < m_.nodes.size(); ++i) {
      const Node& n = m_.nodes[i];
      const std::string& path = node_path_[i];
      const std::string label = std::string(kind_word(n.kind)) + " '" + n.name + "'";
      switch (n.kind) {
        case NodeKind::kSource:
          if (n.consumers.empty()) error(path, label + " is never read by any station");
          break;
        case NodeKind::kBuffer:
        case NodeKind::kConveyor:
          if (n.consumers.empty()) error(path, label + " is never read by any station");
          if (n.producers.empty() && n.initial == 0) {
            error(path, label + " is never fed: no station outputs or reworks into it" +
                            (n.kind == NodeKind::kBuffer ? " and it starts empty" : ""));
          }
          break;
        case NodeKind::kSink:
          if (n.producers.empty())
            error(path, label +
                            " never receives parts: no station "
                            "outputs to it");
          break;
      }
    }
  }

  const scene::Scene& scene_;
  const std::string& file_;
  const FieldLocations* locations_;
  Model& m_;
  std::vector<SceneError>& errors_;
  std::map<std::string, NameEntry> names_;
  std::vector<std::string> node_path_;   // scene path per node index
  std::vector<bool> station_output_ok_;  // per station: output resolved
  bool references_ok_ = true;            // every name reference resolved (else skip flow checks)
};

}  // namespace

bool compile_scene_into(const scene::Scene& scene, const std::string& file_name,
                        const FieldLocations* locations, Model& model,
                        std::vector<SceneError>& errors) {
  const size_t before = errors.size();
  try {
    Compiler(scene, file_name, locations, model, errors).run();
  } catch (const std::exception& e) {
    SceneError err;
    err.file = file_name;
    err.message = std::string("internal error while compiling the scene: ") + e.what();
    errors.push_back(std::move(err));
  }
  return errors.size() == before;
}

SceneLoadResult compile_scene(const scene::Scene& scene, const std::string& file_name) {
  SceneLoadResult result;
  try {
    result.scene = scene;
  } catch (const std::exception& e) {
    SceneError err;
    err.file = file_name;
    err.message = std::string("internal error: ") + e.what();
    result.errors.push_back(std::move(err));
    return result;
  }
  compile_scene_into(result.scene, file_name, nullptr, result.model, result.errors);
  return result;
}

std::string SceneError::to_string() const {
  std::string out;
  if (!file.empty()) out += file + ":";
  if (line > 0) {
    out += std::to_string(line) + ":";
    if (column > 0) out += std::to_string(column) + ":";
  }
  if (!out.empty()) out += " ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

}  // namespace twin
