#include "models/process/bottleneck.h"

#include <algorithm>

namespace twin {

namespace {

double overlap(const ActivePeriod& a, const ActivePeriod& b) {
  return std::max(0.0, std::min(a.end, b.end) - std::max(a.start, b.start));
}

bool longer(const ActivePeriod& a, const ActivePeriod& b) {
  const double da = a.end - a.start;
  const double db = b.end - b.start;
  if (da != db) return da > db;
  if (a.machine != b.machine) return a.machine < b.machine;
  return a.start < b.start;
}

}  // namespace

std::vector<BottleneckShare> analyze_bottlenecks(std::span<const ActivePeriod> periods,
                                                 uint32_t n_machines, double t0, double t1) {
  std::vector<BottleneckShare> shares(n_machines);
  std::vector<ActivePeriod> clipped;
  clipped.reserve(periods.size());
  for (const ActivePeriod& p : periods) {
    const double s = std::max(p.start, t0);
    const double e = std::min(p.end, t1);
    if (e > s) clipped.push_back({s, e, p.machine});
  }
  if (clipped.empty()) return shares;

  // Sweep over period boundaries; in each elementary segment the longest covering period is
  // the momentary bottleneck.
  struct Boundary {
    double time;
    bool is_start;
    uint32_t period;
  };
  std::vector<Boundary> boundaries;
  boundaries.reserve(2 * clipped.size());
  for (uint32_t i = 0; i < clipped.size(); ++i) {
    boundaries.push_back({clipped[i].start, true, i});
    boundaries.push_back({clipped[i].end, false, i});
  }
  std::sort(boundaries.begin(), boundaries.end(), [](const Boundary& a, const Boundary& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.is_start != b.is_start) return !a.is_start;  // ends first
    return a.period < b.period;
  });
  std::vector<uint32_t> open;      // periods covering the current segment
  std::vector<uint32_t> sequence;  // bottleneck periods in time order, each once
  std::vector<uint8_t> seen(clipped.size(), 0);
  for (size_t i = 0; i < boundaries.size(); ++i) {
    const Boundary& b = boundaries[i];
    if (b.is_start) {
      open.push_back(b.period);
    } else {
      open.erase(std::find(open.begin(), open.end(), b.period));
    }
    const bool segment_ends_here = i + 1 == boundaries.size() || boundaries[i + 1].time > b.time;
    if (!segment_ends_here || open.empty()) continue;
    uint32_t best = open[0];
    for (uint32_t p : open) {
      if (longer(clipped[p], clipped[best])) best = p;
    }
    if (!seen[best]) {
      seen[best] = 1;
      sequence.push_back(best);
    }
  }

  for (size_t k = 0; k < sequence.size(); ++k) {
    const ActivePeriod& cur = clipped[sequence[k]];
    double with_prev = 0.0, with_next = 0.0, all_three = 0.0;
    if (k > 0) with_prev = overlap(cur, clipped[sequence[k - 1]]);
    if (k + 1 < sequence.size()) with_next = overlap(cur, clipped[sequence[k + 1]]);
    if (k > 0 && k + 1 < sequence.size()) {
      const ActivePeriod& prev = clipped[sequence[k - 1]];
      const ActivePeriod& next = clipped[sequence[k + 1]];
      const ActivePeriod both{std::max(prev.start, next.start), std::min(prev.end, next.end), 0};
      if (both.end > both.start) all_three = overlap(cur, both);
    }
    const double shifting = with_prev + with_next - all_three;
    shares[cur.machine].shifting += shifting;
    shares[cur.machine].sole += (cur.end - cur.start) - shifting;
  }
  return shares;
}

int32_t momentary_bottleneck(std::span<const ActivePeriod> periods, double t) {
  int32_t best = -1;
  const ActivePeriod* best_period = nullptr;
  for (const ActivePeriod& p : periods) {
    if (p.start <= t && t <= p.end && (best_period == nullptr || longer(p, *best_period))) {
      best_period = &p;
      best = static_cast<int32_t>(p.machine);
    }
  }
  return best;
}

}  // namespace twin
