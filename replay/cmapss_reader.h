// NASA C-MAPSS turbofan run-to-failure text files (any subset FD001..FD004), as published by
// the NASA Ames Prognostics CoE (PHM 2008): one row per engine cycle, 26 whitespace-separated
// columns: unit, cycle, 3 operational settings, 21 sensors. Training files run each engine to
// failure; test files stop earlier and a RUL file gives each test engine's remaining cycles at
// its last row (line k for the k-th unit of the test file).
//
// Rows of a unit must be contiguous and its cycles strictly increasing; units keep file order.
// Empty lines (and trailing blanks or CR) are ignored. Bad input is never a crash: the first
// problem is returned with its file, 1-based line and what was wrong, and nothing else.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twin {

inline constexpr int kCmapssSettings = 3;   // operational settings per row
inline constexpr int kCmapssSensors = 21;   // sensor channels per row
inline constexpr int kCmapssChannels = 24;  // settings then sensors
inline constexpr int kCmapssColumns = 26;   // unit, cycle, then the channels

// One engine's trajectory.
struct CmapssUnit {
  int unit = 0;            // engine number as in the file (> 0)
  std::vector<int> cycle;  // [cycles] time index, strictly increasing (n)
  Eigen::MatrixXd x;       // 3 settings then 21 sensors [file units] (n x 24)
};

struct CmapssError {
  std::string file;               // path (or name) as given
  int line = 0;                   // 1-based line; 0 when the file itself could not be read
  std::string what;               // what was wrong
  std::string to_string() const;  // "file:line: what" ("file: what" for line 0)
};

struct CmapssTrajectories {
  std::vector<CmapssUnit> units;     // in file order; empty on error
  std::optional<CmapssError> error;  // the first problem found
  bool ok() const { return !error.has_value(); }
};

struct CmapssRul {
  std::vector<double> rul;           // [cycles] true RUL at each test unit's last row (units)
  std::optional<CmapssError> error;  // the first problem found
  bool ok() const { return !error.has_value(); }
};

// Parses text already in memory; `file` only names it in errors.
CmapssTrajectories parse_cmapss_trajectories(std::string_view text, std::string_view file);
CmapssTrajectories read_cmapss_trajectories(const std::string& path);

// RUL files: one non-negative number per non-empty line.
CmapssRul parse_cmapss_rul(std::string_view text, std::string_view file);
CmapssRul read_cmapss_rul(const std::string& path);

}  // namespace twin
