#include "viewer/physics_follower.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "models/physics/scene_robot.h"

namespace twin::viewer {

namespace {

constexpr int kChunkSteps = BeltWorld::kStepsPerSecond;  // [steps] between snapshots (1 s)
constexpr double kFallenZ = -0.5;  // [m] a centre this far below the belt's top fell off it

// The step ConveyorLine::advance_to stops at for time t_s.
int64_t steps_for(double t_s) {
  return static_cast<int64_t>(std::ceil(t_s * BeltWorld::kStepsPerSecond - 1e-9));
}

uint64_t count_upto(const std::vector<double>& times, double t_s) {
  return static_cast<uint64_t>(std::upper_bound(times.begin(), times.end(), t_s) - times.begin());
}

}  // namespace

class PhysicsFollower::Stepper {
 public:
  virtual ~Stepper() = default;
  virtual int64_t steps() const = 0;
  virtual double time_s() const = 0;  // [s working time]
  virtual void step() = 0;
  // Poses and counts into `s` (the follower sets the timing and line-model fields).
  virtual void fill(PhysicsSnapshot& s) const = 0;
  virtual size_t fed() const = 0;                 // feed items given so far
  virtual void append(const FeedItem& item) = 0;  // one more (a live feed)
};

namespace {

class BeltStepper final : public PhysicsFollower::Stepper {
 public:
  explicit BeltStepper(const ConveyorLineSpec& spec) : line_(spec) {}
  int64_t steps() const override { return line_.steps(); }
  double time_s() const override { return line_.time_s(); }
  void step() override { line_.step(); }
  size_t fed() const override { return line_.feed_size(); }
  void append(const FeedItem& item) override { line_.append_feed(item); }
  void fill(PhysicsSnapshot& s) const override {
    s.waiting = line_.parts_waiting();
    s.taken = line_.parts_taken();
    s.cleared = line_.parts_cleared();
    s.capacity = line_.capacity();
    s.jams = line_.jams();
    std::vector<uint8_t> jammed(line_.records().size(), 0);
    for (const Jam& j : line_.jams()) jammed[static_cast<size_t>(j.part)] = 1;
    const BeltWorld& world = line_.world();
    const double rest_mps = line_.spec().rest_speed_mps;
    double transfer_sum = 0.0, previous_off = 0.0;
    for (size_t r = 0; r < line_.records().size(); ++r) {
      const PartRecord& rec = line_.records()[r];
      // Transfers of parts that found the belt empty (as FidelityComparison::physics_transfer_s).
      if (rec.put_on_s >= 0.0 && rec.arrived_s >= 0.0 && rec.put_on_s >= previous_off) {
        transfer_sum += rec.arrived_s - rec.put_on_s;
        ++s.transfers;
      }
      previous_off = rec.taken_off_s >= 0.0 ? rec.taken_off_s : 1e300;
      if (rec.body < 0 || world.part_removed(rec.body)) continue;
      PhysicsPartPose p;
      p.x_m = static_cast<float>(world.part_x(rec.body));
      p.y_m = static_cast<float>(world.part_y(rec.body));
      p.z_m = static_cast<float>(world.part_z(rec.body));
      p.yaw_rad = static_cast<float>(world.part_yaw(rec.body));
      p.record = static_cast<int32_t>(r);
      p.part = rec.part;
      if (p.z_m < kFallenZ) {
        ++s.fallen;
        continue;
      }
      p.state = jammed[r] != 0                                    ? PhysicsPartState::kJammed
                : std::abs(world.part_speed(rec.body)) < rest_mps ? PhysicsPartState::kAtRest
                                                                  : PhysicsPartState::kMoving;
      s.parts.push_back(p);
    }
    if (s.transfers > 0) s.mean_transfer_s = transfer_sum / s.transfers;
  }

 private:
  ConveyorLine line_;
};

class RobotStepper final : public PhysicsFollower::Stepper {
 public:
  explicit RobotStepper(const RobotCellSpec& spec) : cell_(spec) {}
  int64_t steps() const override { return cell_.steps(); }
  double time_s() const override { return cell_.time_s(); }
  void step() override { cell_.step(); }
  size_t fed() const override { return cell_.arrivals(); }
  void append(const FeedItem& item) override { cell_.append_arrival(item.time_s, item.part); }
  void fill(PhysicsSnapshot& s) const override {
    s.joints = cell_.joints();
    s.phase = cell_.phase();
    s.placed = cell_.parts_placed();
    const FixtureExchange exchange = fixture_exchange(cell_);
    s.exchange_s = exchange.mean_s;
    s.exchanges = static_cast<int>(exchange.parts);
    const double t = cell_.time_s();
    const std::vector<RobotRecord>& records = cell_.records();
    for (size_t r = 0; r < records.size(); ++r) {
      const RobotRecord& rec = records[r];
      if (rec.on_nest_s < 0.0 && rec.due_s <= t) ++s.waiting;
      if (rec.taken_s >= 0.0) ++s.taken;
      if (rec.on_nest_s < 0.0 || rec.taken_s >= 0.0) continue;  // not in the cell
      const ToolPose pose = cell_.part_pose(static_cast<int>(r));
      PhysicsPartPose p;
      p.x_m = static_cast<float>(pose.x_m);
      p.y_m = static_cast<float>(pose.y_m);
      p.z_m = static_cast<float>(pose.z_m);
      p.yaw_rad = static_cast<float>(pose.yaw_rad);
      p.record = static_cast<int32_t>(r);
      p.part = rec.part;
      const bool held = rec.picked_s >= 0.0 && rec.placed_s < 0.0;
      const bool resting = rec.placed_s < 0.0 || rec.rest_s >= 0.0;  // on the nest or landed
      p.state = held      ? PhysicsPartState::kHeld
                : resting ? PhysicsPartState::kAtRest
                          : PhysicsPartState::kMoving;
      s.parts.push_back(p);
    }
  }

 private:
  RobotCell cell_;
};

}  // namespace

PhysicsFollower::PhysicsFollower(const Model& model, double horizon_s, uint64_t seed)
    : model_(model), horizon_s_(horizon_s), seed_(seed), worker_([this] { run(); }) {}

PhysicsFollower::~PhysicsFollower() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

bool PhysicsFollower::configure(const PhysicsSetup& setup, std::string& why) {
  if (setup.station >= 0) return configure_robot(setup, why);
  const auto conveyors = physics_conveyors(model_);
  if (std::find(conveyors.begin(), conveyors.end(), setup.node) == conveyors.end()) {
    why = setup.node < model_.nodes.size()
              ? "the scene gives no physics (length, speed, part size and mass) for '" +
                    model_.nodes[setup.node].name + "'"
              : "no node " + std::to_string(setup.node);
    return false;
  }
  if (!(setup.max_skew_deg >= 0.0) || !(setup.max_skew_deg <= 90.0)) {
    why = "feed skew must be in [0, 90] degrees";
    return false;
  }
  std::shared_ptr<const ConveyorTraffic> traffic = traffic_;
  if (traffic == nullptr || traffic_key_ != static_cast<int64_t>(setup.node)) {
    ConveyorTraffic t = conveyor_traffic(model_, setup.node, horizon_s_, seed_);
    if (recorded_ != nullptr) {
      // The recording's put-ons and take-offs, with their products; a source without (a live
      // plant) gets the product the line model's run feeds most.
      const uint16_t most = main_product(t);
      t = recorded_conveyor_traffic(model_, *recorded_, setup.node);
      if (t.product.size() != t.put_on_s.size()) t.product.assign(t.put_on_s.size(), most);
    }
    traffic = std::make_shared<const ConveyorTraffic>(std::move(t));
  }
  if (setup.product >= static_cast<int32_t>(model_.products.size())) {
    why = "no product " + std::to_string(setup.product);
    return false;
  }
  // Each part as the product the traffic says, or all the setup's product.
  const FeedParts fed = feed_parts(traffic->product, setup.product);
  const double cycle_s = consumer_cycle_time(model_, setup.node);
  if (!(cycle_s > 0.0)) {
    why = "conveyor '" + model_.nodes[setup.node].name + "' has no consumer with a cycle time";
    return false;
  }
  const std::vector<FeedItem> feed =
      skewed_feed(model_, setup.node, traffic->put_on_s,
                  setup.max_skew_deg * std::numbers::pi / 180.0, seed_, fed.part);
  SceneConveyorOptions options;
  options.friction = setup.friction;
  options.guide_clearance_m = setup.guide_clearance_m;
  options.jam_clear_s = setup.jam_clear_s;
  auto spec = scene_conveyor_spec(model_, setup.node, fed.products, feed, cycle_s, options, &why);
  if (!spec) return false;
  std::vector<FixtureSpec> fixtures;
  try {
    const ConveyorLine check(*spec);  // throws on what the belt cannot take (a bad friction, ...)
    fixtures = check.world().fixtures();
  } catch (const std::invalid_argument& e) {
    why = e.what();
    return false;
  }
  traffic_ = traffic;
  traffic_key_ = static_cast<int64_t>(setup.node);
  spec_ = std::make_shared<const ConveyorLineSpec>(std::move(*spec));
  robot_spec_.reset();
  robot_cycle_s_ = robot_plan_exchange_s_ = 0.0;
  setup_ = setup;
  products_ = fed.products;
  product_name_ = product_names(model_, products_);
  fixtures_ = std::move(fixtures);
  start_job([spec = spec_] { return std::make_unique<BeltStepper>(*spec); });
  return true;
}

bool PhysicsFollower::configure_robot(const PhysicsSetup& setup, std::string& why) {
  const auto robots = physics_robots(model_);
  const auto station = static_cast<uint32_t>(setup.station);
  if (std::find(robots.begin(), robots.end(), station) == robots.end()) {
    why = station < model_.stations.size()
              ? "the scene gives no robot (and part size and mass) for '" +
                    model_.stations[station].name + "'"
              : "no station " + std::to_string(station);
    return false;
  }
  const int64_t key = -1 - static_cast<int64_t>(station);
  std::shared_ptr<const ConveyorTraffic> traffic = traffic_;
  if (traffic == nullptr || traffic_key_ != key) {
    StationTraffic st = station_traffic(model_, station, horizon_s_, seed_);
    if (recorded_ != nullptr) {
      // The recording's arrivals and finishes, with their products (as for a conveyor).
      ConveyorTraffic by_product;
      by_product.product = std::move(st.product);
      const uint16_t most = main_product(by_product);
      st = recorded_station_traffic(model_, *recorded_, station);
      if (st.product.size() != st.arrived_s.size()) st.product.assign(st.arrived_s.size(), most);
    }
    ConveyorTraffic t;
    t.put_on_s = std::move(st.arrived_s);
    t.product = std::move(st.product);
    t.taken_s = std::move(st.finished_s);
    traffic = std::make_shared<const ConveyorTraffic>(std::move(t));
  }
  if (setup.product >= static_cast<int32_t>(model_.products.size())) {
    why = "no product " + std::to_string(setup.product);
    return false;
  }
  // Each part as the product the traffic says, or all the setup's product.
  const FeedParts fed = feed_parts(traffic->product, setup.product);
  auto spec = scene_robot_spec(model_, station, fed.products, traffic->put_on_s, &why, fed.part);
  if (!spec) return false;
  const RobotCell check(*spec);  // scene_robot_spec built one: this does not throw
  traffic_ = traffic;
  traffic_key_ = key;
  robot_spec_ = std::make_shared<const RobotCellSpec>(std::move(*spec));
  robot_cycle_s_ = check.cycle_time_s();
  robot_plan_exchange_s_ = planned_exchange_s(check);
  spec_.reset();
  fixtures_.clear();
  setup_ = setup;
  products_ = fed.products;
  product_name_ = product_names(model_, products_);
  start_job([spec = robot_spec_] { return std::make_unique<RobotStepper>(*spec); });
  return true;
}

void PhysicsFollower::set_recorded(std::shared_ptr<const RecordedParts> recorded) {
  recorded_ = std::move(recorded);
  traffic_.reset();  // the next configure() builds the feed from the new source
  traffic_key_ = -1;
}

void PhysicsFollower::extend_live(std::shared_ptr<const RecordedParts> parts,
                                  double known_until_s) {
  live_ = true;
  recorded_ = std::move(parts);
  if (!setup_) {  // the next configure() starts from what is known, and stops there
    live_reported_until(known_until_s);
    return;
  }
  // The setup's traffic from everything so far, products as configure() chose them.
  ConveyorTraffic t;
  if (setup_->station >= 0) {
    StationTraffic st =
        recorded_station_traffic(model_, *recorded_, static_cast<uint32_t>(setup_->station));
    t.put_on_s = std::move(st.arrived_s);
    t.product = std::move(st.product);
    t.taken_s = std::move(st.finished_s);
  } else {
    t = recorded_conveyor_traffic(model_, *recorded_, setup_->node);
  }
  // A live plant's counters name no products: configure() gave its parts one (products_ holds
  // it). A part of a product the setup does not carry rides as that one too.
  if (t.product.size() != t.put_on_s.size()) t.product.assign(t.put_on_s.size(), products_.front());
  for (uint16_t& p : t.product)
    if (!std::binary_search(products_.begin(), products_.end(), p)) p = products_.front();
  traffic_ = std::make_shared<const ConveyorTraffic>(std::move(t));
  auto feed = feed_of(*traffic_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_traffic_ = traffic_;
    job_feed_ = std::move(feed);
    known_until_s_ = known_until_s;
  }
  changed_.notify_all();
}

void PhysicsFollower::live_reported_until(double known_until_s) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    known_until_s_ = known_until_s;
  }
  changed_.notify_all();
}

std::shared_ptr<const std::vector<FeedItem>> PhysicsFollower::feed_of(
    const ConveyorTraffic& traffic) const {
  std::vector<FeedItem> feed;
  if (setup_ && setup_->station < 0) {
    const std::vector<uint16_t> part =
        setup_->product >= 0 ? std::vector<uint16_t>{} : part_indices(traffic.product, products_);
    feed = skewed_feed(model_, setup_->node, traffic.put_on_s,
                       setup_->max_skew_deg * std::numbers::pi / 180.0, seed_, part);
  } else {
    const std::vector<uint16_t> part = setup_ && setup_->product < 0
                                           ? part_indices(traffic.product, products_)
                                           : std::vector<uint16_t>{};
    feed.reserve(traffic.put_on_s.size());
    for (size_t i = 0; i < traffic.put_on_s.size(); ++i)
      feed.push_back({traffic.put_on_s[i], 0.0, part.empty() ? uint16_t{0} : part[i]});
  }
  return std::make_shared<const std::vector<FeedItem>>(std::move(feed));
}

void PhysicsFollower::start_job(StepperFactory make) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_make_ = std::move(make);
    job_traffic_ = traffic_;
    job_feed_.reset();  // the spec holds the feed known now; extend_live() adds to it
    ++generation_;
    published_ = PhysicsSnapshot{};
  }
  changed_.notify_all();
}

void PhysicsFollower::follow(double clock_s) {
  const double calendar_s = std::clamp(clock_s, 0.0, horizon_s_);
  const double working_s =
      model_.calendar.empty() ? calendar_s : model_.calendar.working_at(calendar_s);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (working_s == target_s_) return;
    target_s_ = working_s;
  }
  target_version_.fetch_add(1, std::memory_order_relaxed);
  changed_.notify_all();
}

double PhysicsFollower::target_s() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return target_s_;
}

void PhysicsFollower::snapshot(PhysicsSnapshot& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out = published_;
}

bool PhysicsFollower::wait(double timeout_s) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
    return job_make_ != nullptr && published_.ready && !published_.rebuilding &&
           steps_for(published_.time_s) == steps_for(std::min(target_s_, known_until_s_)) &&
           published_.target_s == std::min(target_s_, known_until_s_);
  });
}

void PhysicsFollower::publish(const Stepper& sim, uint64_t generation, double target_s,
                              bool rebuilding, double rate) {
  PhysicsSnapshot s;
  s.ready = true;
  s.rebuilding = rebuilding;
  s.steps = sim.steps();
  s.time_s = sim.time_s();
  s.target_s = target_s;
  s.sim_rate = rate;
  sim.fill(s);
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) return;  // a new setup came in while this was built
  if (job_traffic_ != nullptr) {
    s.des_put_on = count_upto(job_traffic_->put_on_s, s.time_s);
    s.des_taken = count_upto(job_traffic_->taken_s, s.time_s);
  }
  published_ = std::move(s);
  changed_.notify_all();
}

void PhysicsFollower::run() {
  std::unique_ptr<Stepper> line;
  uint64_t line_generation = 0;
  bool replaying = false;  // re-created and not yet back at the target
  StepperFactory make;
  std::shared_ptr<const std::vector<FeedItem>> feed;  // live: every item reported so far
  // Live: the parts reported since the line last took some.
  const auto append_new = [&] {
    if (feed == nullptr) return;
    for (size_t i = line->fed(); i < feed->size(); ++i) line->append((*feed)[i]);
  };
  for (;;) {
    double target_s = 0.0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Live: never past what the plant has reported.
      const auto goal = [&] { return std::min(target_s_, known_until_s_); };
      changed_.wait(lock, [&] {
        return stop_ || (job_make_ != nullptr &&
                         (generation_ != line_generation || line == nullptr ||
                          line->steps() != steps_for(goal()) || published_.target_s != goal() ||
                          (job_feed_ != nullptr && line->fed() < job_feed_->size())));
      });
      if (stop_) return;
      if (generation_ != line_generation) {
        make = job_make_;
        line.reset();
        line_generation = generation_;
      }
      target_s = goal();
      feed = job_feed_;
    }
    const uint64_t version = target_version_.load(std::memory_order_relaxed);
    const int64_t target = steps_for(target_s);
    if (line == nullptr || line->steps() > target) {
      line = make();
      replaying = true;
    }
    append_new();
    // Steps towards the target a chunk at a time, publishing after each, until it is reached or
    // the target or the setup changes.
    while (line->steps() < target) {
      const auto wall = std::chrono::steady_clock::now();
      const int64_t end = std::min(target, line->steps() + kChunkSteps);
      const int64_t from = line->steps();
      while (line->steps() < end) line->step();
      const double wall_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
      const double rate =
          wall_s > 0.0 ? static_cast<double>(end - from) * BeltWorld::kStepS / wall_s : 0.0;
      if (line->steps() >= target) replaying = false;
      publish(*line, line_generation, target_s, replaying, rate);
      if (target_version_.load(std::memory_order_relaxed) != version) break;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_ || generation_ != line_generation) break;
      }
    }
    if (line->steps() >= target) {
      replaying = false;
      publish(*line, line_generation, target_s, false, 0.0);
    }
  }
}

}  // namespace twin::viewer
