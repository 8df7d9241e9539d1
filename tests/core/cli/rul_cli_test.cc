// End to end: `twin import --format cmapss` of the NASA C-MAPSS FD001 files, then `twin rul`
// on the imported files. Its RMSE must equal (within 0.01) what the regressor gives on the text
// files read directly, as bench/cmapss_bench.cc computes it: the import loses nothing. The
// FD001 files are looked for as in bench/cmapss_bench.cc; those tests are skipped when absent.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "models/rul/rul_regressor.h"
#include "replay/cmapss_reader.h"

namespace {

namespace fs = std::filesystem;

std::string cmapss_dir() {
  if (const char* env = std::getenv("TWIN_CMAPSS_DIR")) return env;
  const std::string rel = std::string(TWIN_SOURCE_DIR) + "/../shared/data/cmapss";
  if (fs::exists(rel + "/train_FD001.txt")) return rel;
  return "/work/shared/data/cmapss";
}

struct Result {
  int code = -1;    // exit code, -1 when it did not exit normally
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class RulCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("twin_rul_cli_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = cmapss_dir();
    have_fd001_ = fs::exists(data_ + "/train_FD001.txt") && fs::exists(data_ + "/test_FD001.txt") &&
                  fs::exists(data_ + "/RUL_FD001.txt");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::string quote(const std::string& text) {
    std::string q(1, '\'');
    q.append(text).push_back('\'');
    return q;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string data(const std::string& name) const { return quote(data_ + "/" + name); }

  Result run(const std::string& args) const {
    std::string cmd = quote(std::string(TWIN_BINARY_DIR) + "/twin");
    cmd.append(" ").append(args).append(" 2>").append(quote(path("stderr.txt")));
    Result r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
    r.err = read_file(path("stderr.txt"));
    return r;
  }

  // Imports train and test (with RUL) into train.mcap and test.mcap.
  void import_fd001() const {
    const Result train = run("import --format cmapss " + data("train_FD001.txt") + " -o " +
                             quote(path("train.mcap")));
    ASSERT_EQ(train.code, 0) << train.err;
    EXPECT_NE(train.out.find("engines       100 (train split)"), std::string::npos) << train.out;
    EXPECT_NE(train.out.find("cycles        20631"), std::string::npos) << train.out;
    EXPECT_NE(train.out.find("truth         100 failure records"), std::string::npos) << train.out;
    EXPECT_TRUE(train.err.empty()) << train.err;  // no inexact values
    const Result test = run("import --format cmapss " + data("test_FD001.txt") + " --rul " +
                            data("RUL_FD001.txt") + " -o " + quote(path("test.mcap")));
    ASSERT_EQ(test.code, 0) << test.err;
    EXPECT_NE(test.out.find("cycles        13096"), std::string::npos) << test.out;
    EXPECT_TRUE(test.err.empty()) << test.err;
  }

  fs::path dir_;
  std::string data_;
  bool have_fd001_ = false;
};

TEST_F(RulCli, ImportedFD001ScoresAsTheTextFiles) {
  if (!have_fd001_) GTEST_SKIP() << "C-MAPSS FD001 files not found (set TWIN_CMAPSS_DIR)";
  ASSERT_NO_FATAL_FAILURE(import_fd001());

  const Result rul = run("rul " + quote(path("train.mcap")) + " " + quote(path("test.mcap")) +
                         " --json " + quote(path("rul.json")));
  ASSERT_EQ(rul.code, 0) << rul.err;
  EXPECT_NE(rul.out.find("CNN (Babu et al. 2016)"), std::string::npos) << rul.out;
  EXPECT_NE(rul.out.find("18.45"), std::string::npos) << rul.out;
  EXPECT_NE(rul.out.find("16.14"), std::string::npos) << rul.out;
  EXPECT_NE(rul.out.find("As data arrives"), std::string::npos) << rul.out;
  const nlohmann::json j = nlohmann::json::parse(read_file(path("rul.json")), nullptr, false);
  ASSERT_FALSE(j.is_discarded());

  // The benchmark's computation on the text files themselves.
  const twin::CmapssTrajectories train = twin::read_cmapss_trajectories(data_ + "/train_FD001.txt");
  const twin::CmapssTrajectories test = twin::read_cmapss_trajectories(data_ + "/test_FD001.txt");
  const twin::CmapssRul truth = twin::read_cmapss_rul(data_ + "/RUL_FD001.txt");
  ASSERT_TRUE(train.ok() && test.ok() && truth.ok());
  std::vector<twin::RulUnit> units(train.units.size());
  for (size_t k = 0; k < units.size(); ++k) units[k].x = train.units[k].x;
  const twin::RulModel model = twin::fit_rul_regressor(units);
  std::vector<double> predicted;
  for (const twin::CmapssUnit& u : test.units) predicted.push_back(twin::predict_rul(model, u.x));
  const double text_rmse = twin::rmse(predicted, truth.rul);
  const double text_score = twin::phm08_score(predicted, truth.rul);

  const nlohmann::json& s = j.at("scores");
  EXPECT_EQ(s.at("engines").get<size_t>(), 100u);
  EXPECT_NEAR(s.at("rmse").get<double>(), text_rmse, 0.01);
  EXPECT_NEAR(s.at("phm08").get<double>(), text_score, 0.01 * text_score);
  // A sanity band on the figure itself (the bench measured 20.09): far better than predicting
  // the mean (about 41.6), not better than the published deep models by much.
  EXPECT_GT(s.at("rmse").get<double>(), 14.0);
  EXPECT_LT(s.at("rmse").get<double>(), 25.0);
  EXPECT_EQ(j.at("model").at("lambda").get<double>(), model.lambda);
  // Per engine: the prediction and the truth read from the test file's /truth/faults.
  ASSERT_EQ(j.at("engines").size(), 100u);
  for (size_t k = 0; k < 100; ++k) {
    const nlohmann::json& e = j.at("engines")[k];
    EXPECT_DOUBLE_EQ(e.at("predicted").get<double>(), predicted[k]) << k;
    EXPECT_EQ(e.at("true_rul").get<double>(), truth.rul[k]) << k;
    EXPECT_LE(e.at("low").get<double>(), e.at("median").get<double>());
    EXPECT_LE(e.at("median").get<double>(), e.at("high").get<double>());
  }
  const double coverage = s.at("interval90_coverage").get<double>();
  EXPECT_GT(coverage, 0.7);
  EXPECT_LE(coverage, 1.0);

  // As data arrives: 25, 50, 75, 100 % of each engine's cycles; the last row is the full score,
  // and the error against the true RUL shrinks as cycles come in. (Against the capped truth it
  // does not: early on nearly every truth is at the cap and so are the predictions.)
  const nlohmann::json& a = j.at("as_data_arrives");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_DOUBLE_EQ(a[3].at("rmse").get<double>(), s.at("rmse").get<double>());
  for (size_t i = 1; i < a.size(); ++i) {
    EXPECT_GT(a[i].at("mean_cycles").get<double>(), a[i - 1].at("mean_cycles").get<double>());
    EXPECT_LT(a[i].at("rmse").get<double>(), a[i - 1].at("rmse").get<double>()) << i;
  }
}

TEST_F(RulCli, TestFileWithoutRulPredictsOnly) {
  if (!have_fd001_) GTEST_SKIP() << "C-MAPSS FD001 files not found (set TWIN_CMAPSS_DIR)";
  ASSERT_NO_FATAL_FAILURE(import_fd001());
  const Result plain = run("import --format cmapss " + data("test_FD001.txt") + " -q -o " +
                           quote(path("plain.mcap")));
  ASSERT_EQ(plain.code, 0) << plain.err;
  const Result rul = run("rul " + quote(path("train.mcap")) + " " + quote(path("plain.mcap")));
  ASSERT_EQ(rul.code, 0) << rul.err;
  EXPECT_NE(rul.out.find("no truth in"), std::string::npos) << rul.out;
  EXPECT_NE(rul.out.find("engine_100"), std::string::npos) << rul.out;
  // The test file as training file: its engines have no failure records.
  const Result swapped = run("rul " + quote(path("plain.mcap")) + " " + quote(path("test.mcap")));
  EXPECT_EQ(swapped.code, 3);
  EXPECT_NE(swapped.err.find("no failure record for engine_001"), std::string::npos) << swapped.err;
}

TEST_F(RulCli, BadLineNamesFileAndLineAndWritesNothing) {
  std::ofstream(path("train_bad.txt"))
      << "1 1 -0.0007 -0.0004 100.0 518.67 641.82 1589.70 1400.60 14.62 21.61 554.36 2388.06 "
         "9046.19 1.30 47.47 521.66 2388.02 8138.62 8.4195 0.03 392 2388 100.00 39.06 23.4190\n"
         "1 2 0.0019 -0.0003 100.0 518.67 642.15 1591.82 1403.14 14.62 21.61 553.75 2388.04\n";
  const Result r = run("import --format cmapss " + quote(path("train_bad.txt")) + " -o " +
                       quote(path("o.mcap")));
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(path("train_bad.txt") + ":2: expected 26 columns"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(path("o.mcap")));

  // Usage errors: two files, CSV-only flags, --rul with CSV, a file that is no C-MAPSS import.
  EXPECT_EQ(run("import --format cmapss a.txt b.txt -o " + quote(path("o.mcap"))).code, 2);
  EXPECT_EQ(run("import --format cmapss " + quote(path("train_bad.txt")) + " --strict -o " +
                quote(path("o.mcap")))
                .code,
            2);
  EXPECT_EQ(run("import x.csv --rul r.txt -o " + quote(path("o.mcap"))).code, 2);
  EXPECT_EQ(
      run("import --format cmapss /nonexistent/train_FD001.txt -o " + quote(path("o.mcap"))).code,
      1);
  EXPECT_EQ(run("rul /nonexistent/a.mcap /nonexistent/b.mcap").code, 1);
}

}  // namespace
