// twin rul TRAIN.mcap TEST.mcap [--json FILE]: the C-MAPSS remaining-useful-life benchmark on
// files written by `twin import --format cmapss` (replay/cmapss_import.h). Fits the ridge
// regressor (models/rul/rul_regressor.h) on the training file's engines (their RUL labels come
// from its /truth/faults: run to failure), predicts each test engine's RUL at its last cycle
// from its samples alone, and only then reads the test file's truth to score: RMSE and the
// PHM08 score of the point predictions (as bench/cmapss_bench.cc computes them, beside the
// published CNN and LSTM figures), the 90 % interval's coverage and width, and the RUL "as data
// arrives": each test engine cut to the first 25, 50, 75 and 100 % of its observed cycles
// (the true RUL then being its RUL plus the cycles cut off).
// Exit 0 ok, 1 unreadable file, 2 usage, 3 files that are no C-MAPSS import or lack truth.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cli/cli_common.h"
#include "models/rul/rul_regressor.h"
#include "replay/cmapss_import.h"

namespace twin::cli {

namespace {

struct RulFlags {
  std::string train;
  std::string test;
  std::string json;  // "" none, "-" stdout
  bool quiet = false;
};

// Published FD001 results (RMSE, PHM08 score), as /work/shared/data/cmapss/SOURCE.md lists them.
struct Published {
  const char* name;
  double rmse;   // [cycles]
  double score;  // PHM08
};
constexpr Published kPublished[] = {{"CNN (Babu et al. 2016)", 18.45, 1287.0},
                                    {"LSTM (Zheng et al. 2017)", 16.14, 338.0}};

constexpr double kShares[] = {0.25, 0.50, 0.75, 1.00};

// Reads an imported file's engines; prints the problem and sets `code` when it fails.
bool load(const std::string& path, const char* role, CmapssDataset& out, int& code) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    print_error(std::string("cannot open ") + role + " file " + path);
    code = kExitFailure;
    return false;
  }
  out = read_cmapss_dataset(path);
  if (!out.ok()) {
    print_error(out.error);
    code = kExitInvalidInput;
    return false;
  }
  // The regressor counts cycles by rows: they must run 1, 2, ... without gaps.
  for (size_t k = 0; k < out.units.size(); ++k) {
    const std::vector<int>& c = out.units[k].cycle;
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i] != static_cast<int>(i) + 1) {
        print_error(path + ": " + out.machines[k] + ": cycles must run 1, 2, 3, ... (row " +
                    std::to_string(i + 1) + " is cycle " + std::to_string(c[i]) + ")");
        code = kExitInvalidInput;
        return false;
      }
    }
  }
  return true;
}

struct Scores {
  size_t engines = 0;
  double mean_cycles = 0.0;  // [cycles] observed per engine, mean
  double rmse = 0.0;         // [cycles] point prediction vs true RUL
  double phm08 = 0.0;
  double rmse_capped = 0.0;  // [cycles] point prediction vs min(true RUL, cap)
  double rmse_median = 0.0;  // [cycles] interval median vs true RUL
  double coverage = 0.0;     // share of engines whose capped true RUL is in the 90 % interval
  double width = 0.0;        // [cycles] mean interval width
};

// Scores of the predictions made from the first `share` of each scored engine's cycles.
Scores score_share(const RulModel& model, const CmapssDataset& test,
                   const std::vector<std::optional<double>>& truth, double share) {
  std::vector<double> point, median, truths, capped;
  Scores s;
  size_t covered = 0;
  double cycles = 0.0;
  for (size_t k = 0; k < test.units.size(); ++k) {
    if (!truth[k]) continue;
    const Eigen::Index n = test.units[k].x.rows();
    const Eigen::Index m = std::clamp<Eigen::Index>(
        static_cast<Eigen::Index>(std::ceil(share * static_cast<double>(n) - 1e-9)), 1, n);
    const Eigen::MatrixXd x = test.units[k].x.topRows(m);
    const RulInterval iv = predict_rul_interval(model, x);
    const double t = *truth[k] + static_cast<double>(n - m);
    point.push_back(predict_rul(model, x));
    median.push_back(iv.median);
    truths.push_back(t);
    capped.push_back(std::min(t, model.options.cap));
    if (capped.back() >= iv.low && capped.back() <= iv.high) ++covered;
    s.width += iv.high - iv.low;
    cycles += static_cast<double>(m);
  }
  s.engines = point.size();
  if (s.engines == 0) return s;
  const double count = static_cast<double>(s.engines);
  s.mean_cycles = cycles / count;
  s.rmse = rmse(point, truths);
  s.phm08 = phm08_score(point, truths);
  s.rmse_capped = rmse(point, capped);
  s.rmse_median = rmse(median, truths);
  s.coverage = static_cast<double>(covered) / count;
  s.width /= count;
  return s;
}

nlohmann::json to_json(const Scores& s) {
  return {{"engines", s.engines},
          {"mean_cycles", s.mean_cycles},
          {"rmse", s.rmse},
          {"phm08", s.phm08},
          {"rmse_capped", s.rmse_capped},
          {"rmse_median", s.rmse_median},
          {"interval90_coverage", s.coverage},
          {"interval90_width", s.width}};
}

int run_rul(const RulFlags& f) {
  int code = kExitOk;
  CmapssDataset train, test;
  if (!load(f.train, "training", train, code)) return code;
  if (!load(f.test, "test", test, code)) return code;

  // Training labels: the training file's truth (every engine run to failure).
  const CmapssTruth train_truth = read_cmapss_truth(f.train, train);
  if (!train_truth.ok()) {
    print_error(train_truth.error);
    return kExitInvalidInput;
  }
  std::vector<RulUnit> training(train.units.size());
  for (size_t k = 0; k < train.units.size(); ++k) {
    if (!train_truth.rul_at_end[k]) {
      print_error(f.train + ": no failure record for " + train.machines[k] +
                  " on /truth/faults (import the training file with --split train)");
      return kExitInvalidInput;
    }
    training[k].x = train.units[k].x;
    training[k].rul_at_end = *train_truth.rul_at_end[k];
  }
  const auto t0 = std::chrono::steady_clock::now();
  RulModel model;
  try {
    model = fit_rul_regressor(training);
  } catch (const std::invalid_argument& e) {
    print_error(std::string("cannot fit: ") + e.what());
    return kExitInvalidInput;
  }
  const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Predictions from the test engines' samples only.
  std::vector<double> point(test.units.size());
  std::vector<RulInterval> interval(test.units.size());
  for (size_t k = 0; k < test.units.size(); ++k) {
    if (test.units[k].x.cols() != model.channels) {
      print_error(f.test + ": " + test.machines[k] + " has other channels than the training file");
      return kExitInvalidInput;
    }
    point[k] = predict_rul(model, test.units[k].x);
    interval[k] = predict_rul_interval(model, test.units[k].x);
  }

  // Scoring: the test file's truth, read only now.
  const CmapssTruth truth = read_cmapss_truth(f.test, test);
  if (!truth.ok()) {
    print_error(truth.error);
    return kExitInvalidInput;
  }
  std::vector<Scores> shares;
  for (const double share : kShares)
    shares.push_back(score_share(model, test, truth.rul_at_end, share));
  const Scores& full = shares.back();

  size_t train_rows = 0;
  for (const CmapssUnit& u : train.units) train_rows += u.cycle.size();
  double cv = model.cv_rmse.front();
  for (const double c : model.cv_rmse) cv = std::min(cv, c);

  nlohmann::json j;
  j["train"] = {{"file", f.train},
                {"source", train.source},
                {"engines", train.units.size()},
                {"cycles", train_rows}};
  j["test"] = {{"file", f.test},
               {"source", test.source},
               {"engines", test.units.size()},
               {"scored", full.engines}};
  j["model"] = {{"kind", "ridge on windowed features"},
                {"cap", model.options.cap},
                {"window", model.options.window},
                {"channels_kept", model.kept.size()},
                {"lambda", model.lambda},
                {"cv_rmse", cv},
                {"fit_s", fit_s}};
  j["published"] = nlohmann::json::array();
  for (const Published& p : kPublished) {
    j["published"].push_back({{"name", p.name}, {"rmse", p.rmse}, {"phm08", p.score}});
  }
  if (full.engines > 0) {
    j["scores"] = to_json(full);
    j["as_data_arrives"] = nlohmann::json::array();
    for (size_t i = 0; i < shares.size(); ++i) {
      nlohmann::json row = to_json(shares[i]);
      row["share"] = kShares[i];
      j["as_data_arrives"].push_back(row);
    }
  }
  j["engines"] = nlohmann::json::array();
  for (size_t k = 0; k < test.units.size(); ++k) {
    nlohmann::json e{{"machine", test.machines[k]}, {"cycles", test.units[k].cycle.size()},
                     {"predicted", point[k]},       {"median", interval[k].median},
                     {"low", interval[k].low},      {"high", interval[k].high}};
    e["true_rul"] = truth.rul_at_end[k] ? nlohmann::json(*truth.rul_at_end[k]) : nlohmann::json();
    j["engines"].push_back(e);
  }
  if (f.json == "-") {
    std::cout << j.dump(2) << '\n';
  } else if (!f.json.empty()) {
    std::ofstream out(f.json);
    out << j.dump(2) << '\n';
    if (!out) {
      print_error(std::string("cannot write ").append(f.json));
      return kExitFailure;
    }
  }
  if (f.quiet || f.json == "-") return kExitOk;

  std::printf(
      "C-MAPSS RUL: fitted on %zu engines (%zu cycles) of %s, predicting %zu test engines "
      "of %s\n",
      train.units.size(), train_rows, train.source.c_str(), test.units.size(), test.source.c_str());
  std::printf(
      "model: ridge on %d-cycle windows, %zu of %d channels, target capped at %.0f "
      "cycles, lambda %g (cross-validated RMSE %.2f), fitted in %.2f s\n",
      model.options.window, model.kept.size(), model.channels, model.options.cap, model.lambda, cv,
      fit_s);
  if (full.engines == 0) {
    std::printf(
        "\nno truth in %s (import the test file with --rul RUL_FD00x.txt): predictions "
        "only\n\n%-12s %7s %7s %7s %7s\n",
        f.test.c_str(), "engine", "cycles", "RUL", "low", "high");
    for (size_t k = 0; k < test.units.size(); ++k) {
      std::printf("%-12s %7zu %7.1f %7.1f %7.1f\n", test.machines[k].c_str(),
                  test.units[k].cycle.size(), point[k], interval[k].low, interval[k].high);
    }
    return kExitOk;
  }
  std::printf("\nRUL at the last observed cycle of %zu test engines:\n", full.engines);
  std::printf("  %-26s %8s %12s\n", "", "RMSE", "PHM08 score");
  std::printf("  %-26s %8.2f %12.0f\n", "twin (ridge baseline)", full.rmse, full.phm08);
  for (const Published& p : kPublished) {
    std::printf("  %-26s %8.2f %12.0f   (published)\n", p.name, p.rmse, p.score);
  }
  std::printf(
      "  interval median: RMSE %.2f\n  90 %% interval: holds the true RUL (capped at %.0f) "
      "for %.0f %% of the engines, mean width %.1f cycles\n",
      full.rmse_median, model.options.cap, full.coverage * 100.0, full.width);
  std::printf(
      "\nAs data arrives: each test engine cut to the first share of its observed cycles "
      "(true RUL + the cycles cut off):\n");
  std::printf("  %6s %12s %8s %14s %12s %10s %10s\n", "share", "mean cycles", "RMSE",
              "RMSE (capped)", "PHM08 score", "coverage", "width");
  for (size_t i = 0; i < shares.size(); ++i) {
    const Scores& s = shares[i];
    std::printf("  %5.0f%% %12.1f %8.2f %14.2f %12.0f %9.0f%% %10.1f\n", kShares[i] * 100.0,
                s.mean_cycles, s.rmse, s.rmse_capped, s.phm08, s.coverage * 100.0, s.width);
  }
  std::printf(
      "  RMSE: against the true RUL; early in life it exceeds the %.0f-cycle cap no prediction "
      "goes beyond, which dominates the first rows.\n  RMSE (capped): against min(true RUL, "
      "%.0f), what the sensors can tell; coverage: of the 90 %% interval, of the capped truth.\n",
      model.options.cap, model.options.cap);
  return kExitOk;
}

}  // namespace

void add_rul_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<RulFlags>();
  CLI::App* cmd = app.add_subcommand(
      "rul",
      "Remaining useful life on C-MAPSS files imported with `twin import --format cmapss`: "
      "fit on TRAIN, predict and score TEST");
  cmd->add_option("train", f->train, "Imported training file (engines run to failure)")
      ->required()
      ->type_name("TRAIN.mcap");
  cmd->add_option("test", f->test, "Imported test file (with --rul for scoring)")
      ->required()
      ->type_name("TEST.mcap");
  cmd->add_option("--json", f->json, "Write scores and per-engine predictions as JSON (- stdout)")
      ->type_name("FILE");
  cmd->add_flag("--quiet,-q", f->quiet, "No tables on stdout");
  cmd->callback([f, &ctx] { ctx.exit_code = run_rul(*f); });
}

}  // namespace twin::cli
