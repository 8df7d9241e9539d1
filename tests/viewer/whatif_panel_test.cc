// The what-if panel's comparison rows are the strings `twin whatif` prints for the same settings.
#include "viewer/whatif_panel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/interop.h"
#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

// `cells` occur in `line` in this order.
bool in_order(const std::string& line, const std::vector<std::string>& cells) {
  size_t at = 0;
  for (const std::string& c : cells) {
    at = line.find(c, at);
    if (at == std::string::npos) return false;
    at += c.size();
  }
  return true;
}

TEST(WhatIfPanel, RowsAreWhatTheCliPrints) {
  const std::string file = "scenes/bottling.yaml";
  const SceneLoadResult base = test::load_sample_or_fail("bottling.yaml");
  ASSERT_TRUE(base.ok());
  const std::vector<WhatIfParam> params = whatif_params(base.scene, base.model);
  std::vector<std::string> sets;
  for (const WhatIfParam& p : params) {
    if (p.label == "Filler cycle time") sets.push_back(param_assignment(p, p.current * 0.9));
    if (p.kind == ParamKind::kMtbf && sets.size() == 1) {
      sets.push_back(param_assignment(p, p.current * 2.0));
    }
  }
  ASSERT_EQ(sets.size(), 2u);

  WhatIfSettings settings;
  settings.replications = 4;
  settings.hours = 2.0;
  settings.warmup_hours = 0.5;
  settings.seed = 5;
  WhatIfJob job;
  std::vector<SceneError> errors;
  ASSERT_TRUE(job.start(base.scene, file, base.model, sets, settings, errors));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (job.state() == JobState::kRunning && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(job.state(), JobState::kDone) << job.error();
  const std::vector<WhatIfRow> rows = whatif_rows(*job.results());
  ASSERT_GE(rows.size(), 6u);
  EXPECT_EQ(rows[0].label, "throughput [parts/h]");
  EXPECT_EQ(rows[1].label, "good parts [parts]");

  // The command the panel offers to copy, run with the binary of this build.
  std::string command = whatif_command(file, settings, sets);
  ASSERT_EQ(command.rfind("twin whatif ", 0), 0u) << command;
  command = test::shell_quote(std::string(TWIN_BINARY_DIR) + "/twin") + command.substr(4);
  const test::CommandResult cli = test::run_in_source_dir(command);
  ASSERT_EQ(cli.code, 0) << command << "\n" << cli.err;

  size_t compared = 0;
  for (const WhatIfRow& r : rows) {
    if (r.label == "good parts [parts]") continue;  // not in the CLI table (it is in --json)
    std::istringstream lines(cli.out);
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
      if (line.rfind("  " + r.label, 0) != 0) continue;
      found = in_order(line, {r.label, r.base, r.variant, r.difference, r.change});
      EXPECT_TRUE(found) << "panel: " << r.base << " | " << r.variant << " | " << r.difference
                         << " | " << r.change << "\ncli:   " << line;
      EXPECT_EQ(line.back() == '*', r.significant) << line;
      break;
    }
    EXPECT_TRUE(found) << "no CLI row for " << r.label << "\n" << cli.out;
    ++compared;
  }
  EXPECT_EQ(compared, rows.size() - 1);
}

TEST(WhatIfPanel, CommandQuotesForTheShell) {
  WhatIfSettings s;
  s.replications = 10;
  s.hours = 8.0;
  s.seed = 42;
  EXPECT_EQ(whatif_command("scenes/a b.yaml", s, {"stations[it's].cycle_time=5s"}),
            "twin whatif 'scenes/a b.yaml' --reps 10 --hours 8 --seed 42 --set "
            "'stations[it'\\''s].cycle_time=5s'");
  s.warmup_hours = 0.5;
  EXPECT_NE(whatif_command("x.yaml", s, {}).find(" --warmup 0.5 "), std::string::npos);
}

}  // namespace
}  // namespace twin::viewer
