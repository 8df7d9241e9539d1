// The viewer's own run of the line model: scrubbing back re-runs from the start and lands on
// the same state as going straight there.
#include "viewer/playback.h"

#include <gtest/gtest.h>

#include "tests/support/scenes.h"

namespace twin::viewer {
namespace {

TEST(Playback, JumpingBackGivesTheStateOfGoingStraightThere) {
  const SceneLoadResult scene = test::load_sample_or_fail("bottling.yaml");
  Playback scrubbed(scene.model, 3600.0, 5);
  scrubbed.set_playing(true);
  scrubbed.jump(3000.0);
  scrubbed.jump(1200.0);  // back
  EXPECT_DOUBLE_EQ(scrubbed.clock(), 1200.0);
  EXPECT_TRUE(scrubbed.playing());
  Playback straight(scene.model, 3600.0, 5);
  straight.seek(1200.0);
  EXPECT_EQ(scrubbed.state().events_processed, straight.state().events_processed);
  EXPECT_EQ(scrubbed.state().mode, straight.state().mode);
  EXPECT_EQ(scrubbed.kpis().line.good_parts, straight.kpis().line.good_parts);
  scrubbed.jump(-10.0);
  EXPECT_EQ(scrubbed.clock(), 0.0);
  scrubbed.jump(99999.0);
  EXPECT_EQ(scrubbed.clock(), 3600.0);
  EXPECT_FALSE(scrubbed.playing());  // at the end
}

}  // namespace
}  // namespace twin::viewer
