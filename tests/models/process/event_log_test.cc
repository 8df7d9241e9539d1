// Golden event log (SimGrid keeps expected event logs beside its examples): the first two hours
// of the small line, every mode change and part event, must stay byte-identical. After an
// intended change, regenerate with TWIN_UPDATE_GOLDEN=1 and say why in the commit message.
#include "models/process/event_log.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "models/process/line_model.h"
#include "tests/support/scenes.h"

namespace twin {
namespace {

TEST(EventLog, SmallLineMatchesGoldenFile) {
  const Model model = test::load_scene_or_fail(test::kSmallLine).model;
  RunOptions o;
  o.horizon_s = 2 * 3600;
  o.seed = 7;
  std::ostringstream log;
  EventLogWriter writer(model, log);
  LineState s;
  s.observer = &writer;
  init_state(model, o, s);
  advance_to(model, s, o.horizon_s);

  const std::string golden =
      std::string(TWIN_SOURCE_DIR) + "/tests/models/process/golden/small_line_events.csv";
  if (std::getenv("TWIN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << log.str();
  }
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << golden << " (run with TWIN_UPDATE_GOLDEN=1 once)";
  std::stringstream expected;
  expected << in.rdbuf();
  ASSERT_EQ(log.str().size(), expected.str().size());
  EXPECT_TRUE(log.str() == expected.str()) << "event log differs from " << golden;
  EXPECT_GT(log.str().size(), 10000u);
}

}  // namespace
}  // namespace twin
