#include "replay/cmapss_reader.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace twin {
namespace {

// Splits `line` on blanks (space, tab, CR) into at most `max` tokens; returns the count found
// (which may exceed `max`, so a long row is reported with its true width).
int split(std::string_view line, std::string_view* tokens, int max) {
  int n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (n < max) tokens[n] = line.substr(start, i - start);
    ++n;
  }
  return n;
}

bool parse_int(std::string_view s, int& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Finite decimal numbers only: from_chars would also take "nan" and "inf".
bool parse_double(std::string_view s, double& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

std::string column_name(int column) {  // 0-based column -> what it holds
  std::string name("column ");
  name.append(std::to_string(column + 1));
  if (column == 0) {
    name.append(" (unit)");
  } else if (column == 1) {
    name.append(" (cycle)");
  } else if (column < 2 + kCmapssSettings) {
    name.append(" (setting ").append(std::to_string(column - 1)).append(")");
  } else {
    name.append(" (sensor ").append(std::to_string(column - 1 - kCmapssSettings)).append(")");
  }
  return name;
}

std::string quoted(std::string_view s) {
  std::string q("'");
  q.append(s.substr(0, 40)).append(s.size() > 40 ? "...'" : "'");
  return q;
}

// Calls f(line_number, line) for each line; stops early when f returns false.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    if (!f(number, text.substr(pos, end - pos))) return;
    pos = end + 1;
  }
}

std::optional<std::string> slurp(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string what("cannot open: ");
    what.append(std::strerror(errno));
    return what;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::optional<std::string>("read error");
  text = std::move(ss).str();
  return std::nullopt;
}

CmapssError make_error(std::string_view file, int line, std::string what) {
  CmapssError e;
  e.file = std::string(file);
  e.line = line;
  e.what = std::move(what);
  return e;
}

}  // namespace

std::string CmapssError::to_string() const {
  std::string s(file);
  if (line > 0) s.append(":").append(std::to_string(line));
  s.append(": ").append(what);
  return s;
}

CmapssTrajectories parse_cmapss_trajectories(std::string_view text, std::string_view file) {
  CmapssTrajectories out;
  // Rows are gathered flat per unit, then copied into each unit's matrix once.
  std::vector<std::vector<double>> rows;  // per unit: n x 24 row-major
  std::vector<int> seen;                  // unit numbers already closed (rows must be contiguous)
  std::array<std::string_view, kCmapssColumns> tok;
  for_each_line(text, [&](int line, std::string_view s) {
    const int n = split(s, tok.data(), kCmapssColumns);
    if (n == 0) return true;
    if (n != kCmapssColumns) {
      std::string what("expected 26 columns (unit, cycle, 3 settings, 21 sensors), found ");
      what.append(std::to_string(n));
      out.error = make_error(file, line, std::move(what));
      return false;
    }
    int unit = 0, cycle = 0;
    if (!parse_int(tok[0], unit) || unit <= 0) {
      out.error = make_error(
          file, line,
          column_name(0).append(": ").append(quoted(tok[0])).append(" is not a positive integer"));
      return false;
    }
    if (!parse_int(tok[1], cycle)) {
      out.error = make_error(
          file, line,
          column_name(1).append(": ").append(quoted(tok[1])).append(" is not an integer"));
      return false;
    }
    std::array<double, kCmapssChannels> v{};
    for (int c = 0; c < kCmapssChannels; ++c) {
      if (!parse_double(tok[c + 2], v[c])) {
        out.error = make_error(file, line,
                               column_name(c + 2)
                                   .append(": ")
                                   .append(quoted(tok[c + 2]))
                                   .append(" is not a finite number"));
        return false;
      }
    }
    if (out.units.empty() || out.units.back().unit != unit) {
      for (const int u : seen) {
        if (u == unit) {
          std::string what("unit ");
          what.append(std::to_string(unit)).append(" appears again after unit ");
          what.append(std::to_string(out.units.back().unit))
              .append(" (the rows of a unit must be contiguous)");
          out.error = make_error(file, line, std::move(what));
          return false;
        }
      }
      if (!out.units.empty()) seen.push_back(out.units.back().unit);
      out.units.emplace_back();
      out.units.back().unit = unit;
      rows.emplace_back();
    }
    CmapssUnit& u = out.units.back();
    if (!u.cycle.empty() && cycle <= u.cycle.back()) {
      std::string what("unit ");
      what.append(std::to_string(unit)).append(": cycle ").append(std::to_string(cycle));
      what.append(" does not increase (previous row has cycle ");
      what.append(std::to_string(u.cycle.back())).append(")");
      out.error = make_error(file, line, std::move(what));
      return false;
    }
    u.cycle.push_back(cycle);
    rows.back().insert(rows.back().end(), v.begin(), v.end());
    return true;
  });
  if (out.error) {
    out.units.clear();
    return out;
  }
  if (out.units.empty()) {
    out.error = make_error(file, 0, "no rows");
    return out;
  }
  for (size_t k = 0; k < out.units.size(); ++k) {
    const Eigen::Index n = static_cast<Eigen::Index>(out.units[k].cycle.size());
    out.units[k].x =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            rows[k].data(), n, kCmapssChannels);
  }
  return out;
}

CmapssTrajectories read_cmapss_trajectories(const std::string& path) {
  std::string text;
  if (std::optional<std::string> e = slurp(path, text)) {
    CmapssTrajectories out;
    out.error = make_error(path, 0, std::move(*e));
    return out;
  }
  return parse_cmapss_trajectories(text, path);
}

CmapssRul parse_cmapss_rul(std::string_view text, std::string_view file) {
  CmapssRul out;
  std::array<std::string_view, 1> tok;
  for_each_line(text, [&](int line, std::string_view s) {
    const int n = split(s, tok.data(), 1);
    if (n == 0) return true;
    if (n != 1) {
      std::string what("expected 1 column (remaining cycles), found ");
      what.append(std::to_string(n));
      out.error = make_error(file, line, std::move(what));
      return false;
    }
    double r = 0.0;
    if (!parse_double(tok[0], r) || r < 0.0) {
      out.error =
          make_error(file, line, quoted(tok[0]).append(" is not a non-negative number of cycles"));
      return false;
    }
    out.rul.push_back(r);
    return true;
  });
  if (out.error) {
    out.rul.clear();
  } else if (out.rul.empty()) {
    out.error = make_error(file, 0, "no rows");
  }
  return out;
}

CmapssRul read_cmapss_rul(const std::string& path) {
  std::string text;
  if (std::optional<std::string> e = slurp(path, text)) {
    CmapssRul out;
    out.error = make_error(path, 0, std::move(*e));
    return out;
  }
  return parse_cmapss_rul(text, path);
}

}  // namespace twin
