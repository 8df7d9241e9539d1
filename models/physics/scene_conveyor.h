// The physics fidelity of a scene's conveyor: its length, speed and width, and the part size and
// mass of each product it carries, from the scene (core/model), as a ConveyorLine
// (models/physics/conveyor_line.h) fed like the discrete-event conveyor of the same scene: the
// parts of a mixed-product line ride the belt as the products they are. The same scene then runs at
// two fidelities: the line model's conveyor (a transport time and a capacity, for forecasts) and
// this one (parts on a belt, accumulating at the stop, possibly jamming; for layout questions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/mirror/part_log.h"
#include "core/model/model.h"
#include "models/physics/conveyor_line.h"

namespace twin {

struct SceneConveyorOptions {
  double friction = 0.6;          // [-] belt-part Coulomb coefficient (steel on rubber belt)
  double guide_clearance_m = -1;  // [m] side guides' clearance; < 0: none
  double jam_clear_s = 60.0;      // [s] an operator clears a jam this long after it; < 0: never
  double max_skew_rad = 0.0;      // [rad] compare_conveyor_fidelities' feed skew (skewed_feed)
};

// What the line model moves through one node: when its producers put parts on and when its
// consumers take them off, over one run.
struct ConveyorTraffic {
  std::vector<double> put_on_s;   // [s working time] ascending (n_put_on)
  std::vector<uint16_t> product;  // product of each part put on (n_put_on)
  std::vector<double> taken_s;    // [s working time] ascending (n_taken)
};

// The line model's traffic through node `node` over `horizon_s` calendar seconds of a run with
// scenario seed `seed` (replication 0, as the viewer's and `twin simulate`'s run).
ConveyorTraffic conveyor_traffic(const Model& model, uint32_t node, double horizon_s,
                                 uint64_t seed);

// The same from a recording (core/mirror/part_log.h): the times its producers passed parts on
// as good and its consumers took them in, with each part's product when every finish named one
// (a recording's part events do; a live plant's counters do not: then no products).
ConveyorTraffic recorded_conveyor_traffic(const Model& model, const RecordedParts& parts,
                                          uint32_t node);
// The times of the machines of `stations` in `per_machine` (RecordedParts), merged, ascending.
std::vector<double> recorded_times(const Model& model, const std::vector<uint32_t>& stations,
                                   const std::vector<std::vector<double>>& per_machine);
// The good finishes of the machines of `stations` in `parts`, merged, ascending (ties in station
// and machine order), and their products into `product` when every one named its product
// (else `product` is left empty).
std::vector<double> recorded_finishes(const Model& model, const std::vector<uint32_t>& stations,
                                      const RecordedParts& parts, std::vector<uint16_t>& product);

// The rate at which a conveyor's consumers take parts, as one consumer's cycle [s]: 1 / (sum over
// consuming stations of machines / mean cycle). 0 when no consumer has a cycle time.
double consumer_cycle_time(const Model& model, uint32_t node);

// The product most of `traffic`'s parts are (the lower index on a tie); 0 when it has none.
uint16_t main_product(const ConveyorTraffic& traffic);

// The products of a feed, each once, ascending: the parts a belt (or a cell) fed with them
// carries, spec.parts[i] being products[i]'s part. `product` has one entry per part fed.
std::vector<uint16_t> distinct_products(const std::vector<uint16_t>& product);
// Each part's index into `products` (which must hold every product of `product`), n_parts.
std::vector<uint16_t> part_indices(const std::vector<uint16_t>& product,
                                   const std::vector<uint16_t>& products);
// "shaft, flange": the names of `products`, in their order.
std::string product_names(const Model& model, const std::vector<uint16_t>& products);

// The parts a feed carries: the spec's parts (parts[i] is products[i]'s) and each part's index
// into them.
struct FeedParts {
  std::vector<uint16_t> products;  // distinct, ascending; {0} when the feed is empty
  std::vector<uint16_t> part;      // (n_parts) index into products
};
// From each part's product (n_parts); `forced` >= 0 makes every part that product instead.
FeedParts feed_parts(const std::vector<uint16_t>& product, int32_t forced = -1);
// (name, parts of it) for each of the feed's products, in their order.
std::vector<std::pair<std::string, uint64_t>> product_counts(const Model& model,
                                                             const FeedParts& parts);

// Whether a product's part has the size and mass the physics needs.
bool has_part_geometry(const PartGeometry& part);

// Conveyors whose physics the scene describes: a length and speed, and some product's part size
// and mass. Ascending node index.
std::vector<uint32_t> physics_conveyors(const Model& model);

// The feed of `put_on_s`, each part put on turned by a yaw drawn uniformly from
// [-max_skew_rad, max_skew_rad] from the named stream "physics.feed_skew" of the conveyor
// (scenario seed `seed`); straight when max_skew_rad is 0. Models a loader or chute that does
// not square the parts up. Each item is part `part[i]` (part_indices; empty: all part 0).
std::vector<FeedItem> skewed_feed(const Model& model, uint32_t node,
                                  const std::vector<double>& put_on_s, double max_skew_rad,
                                  uint64_t seed, const std::vector<uint16_t>& part = {});

// The ConveyorLine of conveyor node `node` carrying the parts of `products` (spec.parts[i] is
// products[i]'s, at least one), fed at `feed` (items naming those parts) and emptied by a
// consumer of cycle `consumer_cycle_s`. Nothing (and `why` says what the scene lacks) when the
// node is not a conveyor, or the scene gives no length and speed for it, or no size and mass for
// a product's part, or a part is longer or wider than the belt. A belt width not given is the
// widest part's width + 20 %.
std::optional<ConveyorLineSpec> scene_conveyor_spec(const Model& model, uint32_t node,
                                                    const std::vector<uint16_t>& products,
                                                    const std::vector<FeedItem>& feed,
                                                    double consumer_cycle_s,
                                                    const SceneConveyorOptions& options,
                                                    std::string* why);

// What the discrete-event conveyor says of the same belt: transport time length / speed [s]
// for a part put on at the entry (its centre reaches the stop (L - length)/v + the belt's
// acceleration of the part later in the physics; tests/models/physics).
double des_transport_time(const Model& model, uint32_t node);

// One conveyor of a scene at both fidelities over the same feed: the line model runs the whole
// line for `hours` (seed `seed`); the times its producers put parts on the conveyor feed the
// Bullet belt, whose consumer takes a part every consumer_cycle_s (the consuming stations' mean
// cycle over their machines) once one rests at the stop.
struct FidelityComparison {
  std::string conveyor;
  std::string product;            // the products whose parts ride the belt ("shaft, flange")
  double hours = 0.0;             // [h] compared
  double consumer_cycle_s = 0.0;  // [s]
  uint64_t put_on = 0;            // [parts] fed to both
  // [parts] of them by product, in the order of `product` (name, count)
  std::vector<std::pair<std::string, uint64_t>> products_put_on;
  uint64_t des_taken = 0;            // [parts] taken off in the second half (after warm-up)
  uint64_t physics_taken = 0;        // [parts] same window
  uint64_t des_taken_total = 0;      // [parts] taken off over the whole run
  uint64_t physics_taken_total = 0;  // [parts] same
  int physics_cleared = 0;           // [parts] taken off by operators clearing jams (whole run)
  double des_transport_s = 0.0;      // [s] the line model's transport time (mean)
  double physics_transfer_s = 0.0;   // [s] mean put-on to at rest at the stop, parts on an
                                     // empty belt (none ahead when put on); 0: none
  uint32_t free_parts = 0;           // [parts] those parts
  int des_capacity = 0;              // [parts] scene capacity (-1: unbounded)
  int physics_fit = 0;               // [parts] that fit nose to tail
  int physics_max_on_belt = 0;       // [parts]
  std::vector<Jam> jams;             // physics
  double wall_s = 0.0;               // [s] wall time of the physics run
  double steps = 0.0;                // physics steps taken
};

// Nothing, with `why`, when the scene lacks what the physics needs (scene_conveyor_spec).
// With `recorded`, the feed and the counts beside the physics are a recording's traffic instead
// of the line model's run (des_* then count the recording's). Each part is the product the
// traffic says; `product` >= 0 makes every part that product. A traffic without products (a
// live plant's counters) is all the product the line model's run feeds most.
std::optional<FidelityComparison> compare_conveyor_fidelities(
    const Model& model, uint32_t node, int32_t product, double hours, uint64_t seed,
    std::string* why, const SceneConveyorOptions& options = {},
    const ConveyorTraffic* recorded = nullptr);

}  // namespace twin
