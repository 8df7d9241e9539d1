// `twin demo`: the main job on the bundled line, run from an unrelated directory (so the scenes
// are found next to the binary, not in the working directory). A short shift is recorded,
// replayed (the real vs twin table) and shown in a screenshot, with no display; a second run
// reuses the recording instead of writing it again.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/interop.h"
#include "tests/support/process.h"

namespace twin::test {
namespace {

const std::string kTwin = std::string(TWIN_BINARY_DIR) + "/twin";

// `twin demo <args>` run in `dir` with no display (the screenshot needs none).
CommandResult demo(const std::string& dir, const std::string& args) {
  std::string command("cd ");
  command.append(shell_quote(dir)).append(" && env -u DISPLAY -u WAYLAND_DISPLAY ");
  command.append(shell_quote(kTwin));
  command.append(" demo ").append(args);
  return run_in_source_dir(command);
}

bool twin_has_viewer() {
  return run_in_source_dir(shell_quote(kTwin) + " view --help >/dev/null").code == 0;
}

// Removes a test's directory when the test ends, skipped or not.
struct RemoveDir {
  std::string dir;
  ~RemoveDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

TEST(DemoCli, RecordsReplaysScreenshotsAndReusesTheRecording) {
  const std::string dir = fresh_temp_dir("demo_cli");
  const RemoveDir cleanup{dir};
  const std::string mcap = dir + "/demo/machining20_shift.mcap";
  const std::string png = dir + "/demo/twin_demo.png";
  const CommandResult first = demo(dir, "--out demo --no-window --hours 1");

  // The recording and the replay's table come before the viewer step.
  EXPECT_NE(first.out.find("machining20_shift.mcap: 1.0 h of machining20, seed 1"),
            std::string::npos)
      << first.out << first.err;
  EXPECT_NE(first.out.find("line: real vs twin"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("good parts"), std::string::npos);
  EXPECT_NE(first.out.find("twin mean"), std::string::npos);
  EXPECT_NE(first.out.find("Drill_OP50"), std::string::npos);
  EXPECT_NE(first.out.find("bottleneck: real "), std::string::npos);
  const std::string recorded = read_file(mcap);
  ASSERT_GT(recorded.size(), 8u);
  EXPECT_EQ(recorded.substr(0, 8), std::string("\x89MCAP0\r\n", 8));
  struct stat before {};
  ASSERT_EQ(::stat(mcap.c_str(), &before), 0);

  const bool viewer = twin_has_viewer();
  {
    ASSERT_EQ(first.code, 0) << first.err;
    if (viewer) {
      EXPECT_NE(first.out.find("screenshot: demo/twin_demo.png"), std::string::npos) << first.out;
      const std::string image = read_file(png);
      ASSERT_GT(image.size(), 24u);
      EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
      // IHDR: width and height, big endian, at bytes 16 and 20.
      auto be32 = [&](size_t at) {
        return (static_cast<uint32_t>(static_cast<unsigned char>(image[at])) << 24) |
               (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 1])) << 16) |
               (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 2])) << 8) |
               static_cast<uint32_t>(static_cast<unsigned char>(image[at + 3]));
      };
      EXPECT_EQ(be32(16), 1280u);
      EXPECT_EQ(be32(20), 800u);
    }
  }

  const CommandResult second = demo(dir, "--out demo --no-window --hours 1");
  EXPECT_NE(second.out.find("reusing the recorded 1.0 h shift"), std::string::npos)
      << second.out << second.err;
  EXPECT_NE(second.out.find("line: real vs twin"), std::string::npos);
  struct stat after {};
  ASSERT_EQ(::stat(mcap.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_size, before.st_size);
  EXPECT_EQ(second.code, 0) << second.err;

  // Another shift length is recorded again, not reused.
  const CommandResult longer = demo(dir, "--out demo --no-window --hours 1.5");
  EXPECT_NE(longer.out.find("a shift of another length; recording it again"), std::string::npos)
      << longer.out << longer.err;
  EXPECT_EQ(longer.code, 0) << longer.err;
}

TEST(DemoCli, RejectsABadShiftLength) {
  const std::string dir = fresh_temp_dir("demo_cli_usage");
  const RemoveDir cleanup{dir};
  const CommandResult r = demo(dir, "--hours 0");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace twin::test
