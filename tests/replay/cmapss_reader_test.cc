// C-MAPSS reader (replay/cmapss_reader.h): small hand-written files in a temp directory, read
// back and compared value by value; each kind of bad row must name its file and line.
#include "replay/cmapss_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/process.h"

namespace twin {
namespace {

// A row of 26 columns: unit, cycle, settings s1..s3 = cycle/1000, sensors = 500 + sensor index
// + cycle/100 (so every value is checkable).
std::string row(int unit, int cycle) {
  std::string s(std::to_string(unit));
  s.append(" ").append(std::to_string(cycle));
  for (int c = 0; c < kCmapssChannels; ++c) {
    const double v = c < kCmapssSettings ? cycle / 1000.0 : 500.0 + c + cycle / 100.0;
    s.append(" ").append(std::to_string(v));
  }
  return s;
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = test::fresh_temp_dir("cmapss") + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(CmapssReader, ParsesUnitsCyclesAndChannels) {
  // Trailing blanks and a CR as in the NASA files, a blank line and no final newline.
  std::string text =
      row(1, 1) + "  \n" + row(1, 2) + "\r\n" + row(1, 3) + "\n\n" + row(2, 1) + "\n" + row(2, 2);
  const std::string path = write("train_FD00x.txt", text);
  const CmapssTrajectories t = read_cmapss_trajectories(path);
  ASSERT_TRUE(t.ok()) << t.error->to_string();
  ASSERT_EQ(t.units.size(), 2u);
  EXPECT_EQ(t.units[0].unit, 1);
  EXPECT_EQ(t.units[1].unit, 2);
  EXPECT_EQ(t.units[0].cycle, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(t.units[1].cycle, (std::vector<int>{1, 2}));
  ASSERT_EQ(t.units[0].x.rows(), 3);
  ASSERT_EQ(t.units[0].x.cols(), kCmapssChannels);
  EXPECT_DOUBLE_EQ(t.units[0].x(1, 0), 0.002);               // setting 1, cycle 2
  EXPECT_DOUBLE_EQ(t.units[0].x(2, 3), 500.0 + 3 + 0.03);    // sensor 1, cycle 3
  EXPECT_DOUBLE_EQ(t.units[1].x(1, 23), 500.0 + 23 + 0.02);  // sensor 21, cycle 2
}

TEST(CmapssReader, ReadsTheRealFormatVerbatim) {
  const std::string line =
      "1 1 -0.0007 -0.0004 100.0 518.67 641.82 1589.70 1400.60 14.62 21.61 554.36 2388.06 "
      "9046.19 1.30 47.47 521.66 2388.02 8138.62 8.4195 0.03 392 2388 100.00 39.06 23.4190  \n";
  const CmapssTrajectories t = parse_cmapss_trajectories(line, "inline");
  ASSERT_TRUE(t.ok()) << t.error->to_string();
  EXPECT_DOUBLE_EQ(t.units[0].x(0, 0), -0.0007);
  EXPECT_DOUBLE_EQ(t.units[0].x(0, 3), 518.67);
  EXPECT_DOUBLE_EQ(t.units[0].x(0, 23), 23.4190);
}

// The error of reading `text` from a file, as "file:line: what".
std::string error_of(const std::string& text) {
  const std::string path = write("bad.txt", text);
  const CmapssTrajectories t = read_cmapss_trajectories(path);
  EXPECT_FALSE(t.ok());
  EXPECT_TRUE(t.units.empty());
  return t.ok() ? std::string() : t.error->to_string();
}

TEST(CmapssReader, ShortRowNamesFileLineAndWidth) {
  std::string bad = row(1, 3);
  bad.resize(bad.rfind(' '));  // drop the last sensor
  const std::string e = error_of(row(1, 1) + "\n" + row(1, 2) + "\n" + bad + "\n");
  EXPECT_NE(e.find("bad.txt:3: expected 26 columns"), std::string::npos) << e;
  EXPECT_NE(e.find("found 25"), std::string::npos) << e;
}

TEST(CmapssReader, NonNumberNamesFileLineAndColumn) {
  std::string bad = row(1, 2);
  bad.replace(bad.rfind(' ') + 1, std::string::npos, "12.3x");
  const std::string e = error_of(row(1, 1) + "\n" + bad + "\n");
  EXPECT_NE(e.find("bad.txt:2: column 26 (sensor 21): '12.3x' is not a finite number"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of(row(1, 1) + "\n" + std::string("nan").append(row(1, 2).substr(1)))
                .find("bad.txt:2: column 1"),
            std::string::npos);
}

TEST(CmapssReader, CycleGoingBackwardsNamesFileAndLine) {
  const std::string e = error_of(row(1, 1) + "\n" + row(1, 2) + "\n" + row(1, 2) + "\n");
  EXPECT_NE(e.find("bad.txt:3: unit 1: cycle 2 does not increase"), std::string::npos) << e;
  const std::string e2 = error_of(row(1, 1) + "\n" + row(2, 1) + "\n" + row(1, 2) + "\n");
  EXPECT_NE(e2.find("bad.txt:3: unit 1 appears again after unit 2"), std::string::npos) << e2;
}

TEST(CmapssReader, MissingAndEmptyFilesAreErrors) {
  const CmapssTrajectories t = read_cmapss_trajectories("/nonexistent/train_FD001.txt");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error->to_string().find("/nonexistent/train_FD001.txt: cannot open"),
            std::string::npos);
  EXPECT_FALSE(parse_cmapss_trajectories("\n \n", "empty").ok());
}

TEST(CmapssReader, RulFile) {
  const CmapssRul r = read_cmapss_rul(write("RUL_FD00x.txt", "112 \n98\r\n\n69"));
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_EQ(r.rul, (std::vector<double>{112, 98, 69}));
  const CmapssRul bad = parse_cmapss_rul("112\n-3\n", "rul.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->to_string(), "rul.txt:2: '-3' is not a non-negative number of cycles");
  const CmapssRul wide = parse_cmapss_rul("112\n98\n1 2\n", "rul.txt");
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error->to_string(), "rul.txt:3: expected 1 column (remaining cycles), found 2");
}

}  // namespace
}  // namespace twin
