// The line model against queueing results nobody here chose. Each test states the formula and
// its source. Tolerances come from the run length: the estimate is the mean of R independent
// replications, and it must lie within 4 standard errors of the exact value (a false failure
// has probability below 1e-4 per figure; the seeds are fixed, so the test is deterministic),
// while the standard error itself must be small (so a noisy run cannot pass by accident).
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/scene/load.h"
#include "core/stats/summary.h"
#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

Model load(const std::string& yaml) {
  return test::load_scene_or_fail(yaml, "closed_forms_test.yaml").model;
}

struct Estimate {
  Interval interval;
  double standard_error() const {
    return interval.stddev / std::sqrt(static_cast<double>(interval.n));
  }
};

template <typename F>
Estimate estimate(const Model& model, int reps, double horizon, double warmup, F figure) {
  std::vector<double> values;
  for (int r = 0; r < reps; ++r) {
    RunOptions o;
    o.horizon_s = horizon;
    o.warmup_s = warmup;
    o.seed = 20261122;
    o.replication = static_cast<uint64_t>(r);
    values.push_back(figure(run_replication(model, o)));
  }
  return {summarize(values)};
}

// |estimate - exact| <= 4 SE, and SE <= max_relative_se x exact.
void expect_matches(const Estimate& e, double exact, double max_relative_se, const char* what) {
  const double se = e.standard_error();
  EXPECT_LE(std::abs(e.interval.mean - exact), 4.0 * se)
      << what << ": estimate " << e.interval.mean << " exact " << exact << " se " << se;
  EXPECT_LE(se, max_relative_se * std::abs(exact)) << what << ": run too noisy, se " << se;
}

const char* kSingleServer = R"(
name: single server
sources:
  - name: arrivals
    interarrival: {exponential: {mean: 10}}
stations:
  - name: server
    machines: MACHINES
    input: arrivals
    output: done
    cycle_time: SERVICE
sinks:
  - name: done
)";

std::string single_server(int machines, const std::string& service) {
  std::string s = kSingleServer;
  s = test::substitute(s, "MACHINES", std::to_string(machines));
  s = test::substitute(s, "SERVICE", service);
  return s;
}

// M/M/1, lambda = 0.1/s, mu = 1/7 s (rho = 0.7): L = rho / (1 - rho), W = 1 / (mu - lambda).
// (Kleinrock, Queueing Systems Vol. 1, 1975, eq. 3.24 and 3.26.)
TEST(ClosedForms, MM1) {
  const Model model = load(single_server(1, "{exponential: {mean: 7}}"));
  const double lambda = 0.1, mu = 1.0 / 7.0, rho = lambda / mu;
  const auto L =
      estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) { return k.line.wip_mean; });
  const auto W = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.line.lead_time_mean_s; });
  const auto U = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.machines[0].utilization; });
  expect_matches(L, rho / (1 - rho), 0.02, "L");
  expect_matches(W, 1 / (mu - lambda), 0.02, "W");
  expect_matches(U, rho, 0.01, "utilization");
}

// M/M/c with c = 3, lambda = 0.1/s, mu = 1/25 s per server (a = 2.5, rho = 0.833).
// Erlang C: P(wait) = [a^c / c! * c / (c - a)] / [sum_{k<c} a^k / k! + a^c / c! * c / (c - a)],
// Lq = P(wait) rho / (1 - rho), W = Lq / lambda + 1 / mu. (Gross & Harris, Fundamentals of
// Queueing Theory, 4th ed., section 2.3.)
TEST(ClosedForms, MMcErlangC) {
  const int c = 3;
  const Model model = load(single_server(c, "{exponential: {mean: 25}}"));
  const double lambda = 0.1, mu = 1.0 / 25.0, a = lambda / mu, rho = a / c;
  double sum = 0.0, term = 1.0;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);  // term = a^c / c!
  const double p_wait = top / (sum + top);
  const double lq = p_wait * rho / (1 - rho);
  const double w = lq / lambda + 1 / mu;
  const auto W = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.line.lead_time_mean_s; });
  const auto L =
      estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) { return k.line.wip_mean; });
  expect_matches(W, w, 0.02, "W");
  expect_matches(L, lambda * w, 0.02, "L");
}

// M/D/1 with lambda = 0.1/s, D = 8 s (rho = 0.8): Pollaczek-Khinchine, Lq = rho^2 / (2 (1 - rho)),
// W = Lq / lambda + D. (Kleinrock 1975, eq. 5.73 with E[S^2] = D^2.)
TEST(ClosedForms, MD1PollaczekKhinchine) {
  const Model model = load(single_server(1, "8"));
  const double lambda = 0.1, d = 8.0, rho = lambda * d;
  const double lq = rho * rho / (2 * (1 - rho));
  const auto W = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.line.lead_time_mean_s; });
  expect_matches(W, lq / lambda + d, 0.02, "W");
}

// M/M/1/K with K = 5 places in the system (4 waiting + 1 in service), lambda = 0.1/s,
// mu = 1/9 s (rho = 0.9); arrivals that find it full are lost.
// P_K = (1 - rho) rho^K / (1 - rho^(K+1)); throughput = lambda (1 - P_K). (Gross & Harris 2.5.)
TEST(ClosedForms, MM1KBlocking) {
  const Model model = load(R"(
name: mm1k
sources:
  - name: arrivals
    interarrival: {exponential: {mean: 10}}
    capacity: 4
    when_full: LOSE
stations:
  - {name: server, input: arrivals, output: done, cycle_time: {exponential: {mean: 9}}}
sinks:
  - name: done
)");
  const double lambda = 0.1, rho = 0.9;
  const int K = 5;
  const double pk = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
  const auto P = estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) {
    const double lost = static_cast<double>(k.nodes[0].arrivals_lost);
    return lost / (lost + static_cast<double>(k.line.parts_created));
  });
  const auto X = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.line.throughput_per_h; });
  expect_matches(P, pk, 0.02, "P(block)");
  expect_matches(X, lambda * (1 - pk) * 3600, 0.01, "throughput");
}

// M/M/c/c (Erlang's loss system): c = 2 machines, no queue (source capacity 0, arrivals that
// find both machines busy are lost), lambda = 0.1/s, mean service 15 s (a = 1.5).
// Erlang B: B(c, a) = (a^c / c!) / sum_{k=0..c} a^k / k!; the blocking probability does not
// depend on the service distribution beyond its mean (insensitivity; Gross & Harris 2.6), so
// it is checked with exponential and with lognormal service.
TEST(ClosedForms, MMccErlangBLoss) {
  const double a = 1.5;
  const double b = (a * a / 2) / (1 + a + a * a / 2);
  for (const char* service : {"{exponential: {mean: 15}}", "{lognormal: {mean: 15, stddev: 10}}"}) {
    std::string yaml = R"(
name: erlang b
sources:
  - {name: calls, interarrival: {exponential: {mean: 10}}, capacity: 0, when_full: LOSE}
stations:
  - {name: lines, machines: 2, input: calls, output: done, cycle_time: SERVICE}
sinks: [{name: done}]
)";
    yaml = test::substitute(yaml, "SERVICE", service);
    const Model model = load(yaml);
    const auto P = estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) {
      const double lost = static_cast<double>(k.nodes[0].arrivals_lost);
      return lost / (lost + static_cast<double>(k.line.parts_created));
    });
    expect_matches(P, b, 0.01, service);
  }
}

// Two exponential machines in tandem with a buffer of B = 2 between them, blocking after
// service, first machine never starved, last never blocked. The number of parts past machine
// 1 (buffer + machine 2 + a part blocked on machine 1) is a birth-death chain on 0..B+2 with
// birth rate mu1 and death rate mu2, so with r = mu1 / mu2: P0 = (1 - r) / (1 - r^(B+3)),
// throughput = mu2 (1 - P0), P(machine 1 blocked) = P0 r^(B+2).
// (Buzacott & Shanthikumar, Stochastic Models of Manufacturing Systems, 1993, section 5.2.)
TEST(ClosedForms, TwoStationTandemFiniteBuffer) {
  const Model model = load(R"(
name: tandem
sources:
  - name: raw
buffers:
  - {name: between, capacity: 2}
stations:
  - {name: m1, input: raw, output: between, cycle_time: {exponential: {mean: 10}}}
  - {name: m2, input: between, output: done, cycle_time: {exponential: {mean: 11}}}
sinks:
  - name: done
)");
  const double mu1 = 0.1, mu2 = 1.0 / 11.0, r = mu1 / mu2;
  const int B = 2;
  const double p0 = (1 - r) / (1 - std::pow(r, B + 3));
  const auto X = estimate(model, 20, 1e6, 1e4,
                          [](const ReplicationKpis& k) { return k.line.throughput_per_h; });
  const auto blocked = estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) {
    return k.machines[0].time_in_mode[static_cast<int>(Mode::kBlocked)] / k.line.window_s;
  });
  const auto starved = estimate(model, 20, 1e6, 1e4, [](const ReplicationKpis& k) {
    return k.machines[1].time_in_mode[static_cast<int>(Mode::kStarved)] / k.line.window_s;
  });
  expect_matches(X, mu2 * (1 - p0) * 3600, 0.01, "throughput");
  expect_matches(blocked, p0 * std::pow(r, B + 2), 0.03, "P(m1 blocked)");
  expect_matches(starved, p0, 0.03, "P(m2 starved)");
}

// One unreliable machine, never starved or blocked, deterministic 10 s cycle, time-based
// failures with exponential time to failure (mean 900 s) and repair (mean 100 s); the failure
// clock stops while down. Alternating renewal process: availability = MTTF / (MTTF + MTTR)
// (Barlow & Proschan, Mathematical Theory of Reliability, 1965); with preempt-resume the
// throughput is availability / cycle time.
TEST(ClosedForms, UnreliableMachineAvailability) {
  const Model model = load(R"(
name: unreliable
sources: [{name: raw}]
stations:
  - name: press
    input: raw
    output: done
    cycle_time: 10
    failures:
      - name: jam
        time_to_failure: {exponential: {mean: 900}}
        time_to_repair: {exponential: {mean: 100}}
sinks: [{name: done}]
)");
  const double a = 900.0 / (900.0 + 100.0);
  const auto A = estimate(model, 20, 1e6, 0,
                          [](const ReplicationKpis& k) { return k.machines[0].availability; });
  const auto X =
      estimate(model, 20, 1e6, 0, [](const ReplicationKpis& k) { return k.line.throughput_per_h; });
  expect_matches(A, a, 0.005, "availability");
  expect_matches(X, a / 10.0 * 3600, 0.005, "throughput");
}

// Little's law holds exactly (not only in the limit) on a sample path that starts and ends
// empty: the area under the number in system equals the sum of the sojourn times (Little 1961;
// Stidham 1974). 200 parts start in the first buffer, pass three stations with breaks, scrap-free,
// and all leave before the horizon.
TEST(ClosedForms, LittlesLawExactOnEmptyToEmptyRun) {
  const Model model = load(R"(
name: little
buffers:
  - {name: start, initial: 200}
  - {name: b1, capacity: 3}
conveyors:
  - {name: belt, transport_time: {uniform: {min: 20, max: 40}}, capacity: 5}
stations:
  - {name: a, input: start, output: b1, cycle_time: {exponential: {mean: 30}}}
  - {name: b, input: b1, output: belt, cycle_time: {triangular: {min: 20, mode: 30, max: 50}}}
  - {name: c, machines: 2, input: belt, output: done, cycle_time: {lognormal: {mean: 50, stddev: 20}}}
sinks: [{name: done}]
calendar:
  period: 7200
  breaks: [{name: coffee, start: 3000, duration: 900}]
)");
  for (uint64_t rep = 0; rep < 5; ++rep) {
    RunOptions o;
    o.horizon_s = 200000;
    o.seed = 7;
    o.replication = rep;
    const ReplicationKpis k = run_replication(model, o);
    ASSERT_EQ(k.line.good_parts, 200u);
    const double area = k.line.wip_mean * k.line.window_s;
    const double sojourns = k.line.lead_time_mean_s * static_cast<double>(k.line.good_parts);
    EXPECT_NEAR(area, sojourns, 1e-9 * sojourns) << "replication " << rep;
    EXPECT_GT(k.line.off_s, 0.0);
  }
}

}  // namespace
}  // namespace twin
