#include "viewer/playback.h"

#include <algorithm>
#include <chrono>

namespace twin::viewer {

Playback::Playback(const Model& model, double horizon_s, uint64_t seed) : model_(model) {
  options_.horizon_s = horizon_s;
  options_.warmup_s = 0.0;
  options_.seed = seed;
  options_.replication = 0;
  horizon_ = horizon_s;
  restart();
}

void Playback::restart() {
  init_state(model_, options_, state_);
  clock_ = 0.0;
  kpis_clock_ = -1.0;
  playing_ = false;
}

void Playback::seek(double t) {
  t = std::min(t, horizon_);
  if (t <= clock_) return;
  advance_to(model_, state_, t);
  clock_ = t;
  if (finished()) playing_ = false;
}

void Playback::jump(double t) {
  const bool was_playing = playing_;
  if (t < clock_) restart();
  seek(std::max(t, 0.0));
  playing_ = was_playing && !finished();
}

void Playback::set_speed(double speed) {
  speed_ = std::clamp(speed, kMinSpeed, kMaxSpeed);
}

void Playback::tick(double wall_dt, double budget_s) {
  if (!playing_ || finished()) return;
  if (!max_speed_) {
    // A stalled frame (window dragged, machine busy) must not jump the run ahead.
    seek(clock_ + std::min(wall_dt, 0.1) * speed_);
    return;
  }
  // Max speed: simulate in chunks sized so that one frame spends about `budget_s` on it.
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  seek(clock_ + max_chunk_);
  const double spent = std::chrono::duration<double>(Clock::now() - start).count();
  const double factor = spent > 0.0 ? std::clamp(budget_s / spent, 0.5, 2.0) : 2.0;
  max_chunk_ = std::clamp(max_chunk_ * factor, 1.0, 24.0 * 3600.0);
}

const ReplicationKpis& Playback::kpis() {
  if (kpis_clock_ != clock_) {
    kpis_ = compute_kpis(model_, state_);
    kpis_clock_ = clock_;
  }
  return kpis_;
}

}  // namespace twin::viewer
