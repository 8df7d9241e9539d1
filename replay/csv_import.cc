#include "replay/csv_import.h"

#include <csv.h>
// GCC 12 at -O3 warns falsely that date::parse's seconds may be used uninitialized (inlined
// from the %S parser into our code); the header is not ours to fix.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>
#include <date/tz.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <istream>
#include <limits>
#include <streambuf>
#include <unordered_map>

#include "core/telemetry/telemetry.h"

namespace twin {

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kMinTimeS = 631'152'000;    // 1990-01-01T00:00:00Z
constexpr int64_t kMaxTimeS = 4'102'444'800;  // 2100-01-01T00:00:00Z (excluded)
constexpr int64_t kBatchSpanNs = kNsPerSecond;
constexpr size_t kBatchMaxSamples = 1024;
constexpr size_t kMaxFieldBytes = size_t{1} << 20;  // longer: an unbalanced quote ate the file
constexpr size_t kReadChunk = size_t{1} << 20;
constexpr uint32_t kTagMask = (uint32_t{1} << 30) - 1;  // Sample::tag_q: tag | quality << 30

// ---- Small text helpers ---------------------------------------------------------------------

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// `"text"`, cut to a readable length (messages quote what they could not parse).
std::string quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out(1, '"');
  if (s.size() > kMax) {
    out.append(s.substr(0, kMax)).append("...");
  } else {
    out.append(s);
  }
  out += '"';
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// ---- Times ----------------------------------------------------------------------------------

// A time as whole seconds plus nanoseconds, so that far-off years parse without overflowing
// the int64 nanoseconds they are checked against.
struct Instant {
  int64_t s = 0;
  int64_t ns = 0;  // 0 <= ns < 1e9
};

// Reads between min_n and max_n digits at s[i].
bool read_digits(std::string_view s, size_t& i, size_t min_n, size_t max_n, int& out) {
  size_t n = 0;
  int v = 0;
  while (i < s.size() && n < max_n && is_digit(s[i])) {
    v = v * 10 + (s[i] - '0');
    ++i;
    ++n;
  }
  out = v;
  return n >= min_n;
}

// ISO 8601 and "YYYY-MM-DD HH:MM:SS[.fff]" (also '/' between date parts, 1-digit month, day
// and hour as spreadsheets write them), optional Z / +hh:mm / +hhmm / +hh / UTC suffix.
// Hand-written rather than date::parse: one pass covers every variant, where date::parse needs
// a format per variant at ~0.5 us per attempt (istream based), too slow for millions of rows.
// The calendar arithmetic and validation are date's.
bool parse_iso(std::string_view s, Instant& local, bool& has_offset, int64_t& offset_s) {
  size_t i = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int64_t frac = 0;
  has_offset = false;
  offset_s = 0;
  if (!read_digits(s, i, 4, 4, y)) return false;
  if (i >= s.size() || (s[i] != '-' && s[i] != '/')) return false;
  const char sep = s[i++];
  if (!read_digits(s, i, 1, 2, mo)) return false;
  if (i >= s.size() || s[i] != sep) return false;
  ++i;
  if (!read_digits(s, i, 1, 2, d)) return false;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    ++i;
    if (!read_digits(s, i, 1, 2, h)) return false;
    if (i >= s.size() || s[i] != ':') return false;
    ++i;
    if (!read_digits(s, i, 2, 2, mi)) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!read_digits(s, i, 2, 2, sec)) return false;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int n = 0;
        while (i < s.size() && is_digit(s[i])) {
          if (n < 9) {
            frac = frac * 10 + (s[i] - '0');
            ++n;
          }
          ++i;
        }
        if (n == 0) return false;
        for (; n < 9; ++n) frac *= 10;
      }
    }
    size_t j = i;
    if (j < s.size() && s[j] == ' ') ++j;
    if (j < s.size()) {
      const std::string_view zone = s.substr(j);
      if (zone == "Z" || zone == "z" || iequals(zone, "UTC") || iequals(zone, "GMT")) {
        has_offset = true;
        i = s.size();
      } else if (s[j] == '+' || s[j] == '-') {
        const int sign = s[j] == '-' ? -1 : 1;
        ++j;
        int oh = 0, om = 0;
        if (!read_digits(s, j, 2, 2, oh)) return false;
        if (j < s.size() && s[j] == ':') ++j;
        if (j < s.size() && !read_digits(s, j, 2, 2, om)) return false;
        if (oh > 23 || om > 59) return false;
        has_offset = true;
        offset_s = sign * (oh * 3600 + om * 60);
        i = j;
      }
    }
  }
  if (i != s.size()) return false;
  if (h > 23 || mi > 59 || sec > 59) return false;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  const int64_t days = date::sys_days(ymd).time_since_epoch().count();
  local.s = days * 86400 + h * 3600 + mi * 60 + sec;
  local.ns = frac;
  return true;
}

// [+-]digits[.digits]: epoch time in `unit_ns` (0: by magnitude, see the header).
bool parse_epoch(std::string_view s, int64_t unit_ns, Instant& out) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  uint64_t whole = 0;
  size_t n = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (__builtin_mul_overflow(whole, uint64_t{10}, &whole) ||
        __builtin_add_overflow(whole, static_cast<uint64_t>(s[i] - '0'), &whole))
      return false;
    ++i;
    ++n;
  }
  if (n == 0) return false;
  uint64_t frac = 0;  // nanoseconds of a second, filled below
  int frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t m = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (frac_digits < 18) {
        frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
        ++frac_digits;
      }
      ++i;
      ++m;
    }
    if (m == 0) return false;
  }
  if (i != s.size()) return false;
  if (unit_ns == 0) {
    unit_ns = whole < 100'000'000'000ull           ? kNsPerSecond
              : whole < 100'000'000'000'000ull     ? 1'000'000
              : whole < 100'000'000'000'000'000ull ? 1'000
                                                   : 1;
  }
  const uint64_t per_second = static_cast<uint64_t>(kNsPerSecond / unit_ns);
  const uint64_t unit = static_cast<uint64_t>(unit_ns);
  uint64_t secs = whole / per_second;
  uint64_t ns = (whole % per_second) * unit;
  // The fraction of one unit, in nanoseconds: frac / 10^frac_digits * unit.
  uint64_t scale = 1;
  for (int k = 0; k < frac_digits; ++k) scale *= 10;
  if (frac_digits > 0) {
    // unit <= 1e9 and frac < 10^18: split to stay in 64 bits.
    const uint64_t q = frac / scale, r = frac % scale;
    ns += q * unit;
    // r * unit may overflow for 18 digits; reduce the fraction to 9 digits first.
    uint64_t rr = r, ss = scale;
    while (ss > 1'000'000'000ull) {
      rr /= 10;
      ss /= 10;
    }
    ns += rr * unit / ss;
  }
  secs += ns / static_cast<uint64_t>(kNsPerSecond);
  ns %= static_cast<uint64_t>(kNsPerSecond);
  if (secs > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 2)) return false;
  out.s = static_cast<int64_t>(secs);
  out.ns = static_cast<int64_t>(ns);
  if (negative && (out.s != 0 || out.ns != 0)) {
    out.s = -out.s;
    if (out.ns != 0) {
      out.s -= 1;
      out.ns = kNsPerSecond - out.ns;
    }
  }
  return true;
}

bool looks_numeric(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool digit = false;
  for (; i < s.size(); ++i) {
    if (is_digit(s[i])) {
      digit = true;
    } else if (s[i] != '.') {
      return false;
    }
  }
  return digit;
}

// A std::streambuf over characters held elsewhere, so date::parse reads a field without the
// copy an istringstream would make per row.
class ViewBuf : public std::streambuf {
 public:
  void set(std::string_view s) {
    char* p = const_cast<char*>(s.data());  // only ever read
    setg(p, p, p + s.size());
  }
};

class TimeParser {
 public:
  enum class Status { kOk, kBad, kRange };

  std::string init(const std::string& format, const std::string& tz) {
    const std::string f = lower_copy(trim(format));
    if (f.empty() || f == "auto") {
      kind_ = Kind::kAuto;
    } else if (f == "iso") {
      kind_ = Kind::kIso;
    } else if (f == "epoch_s") {
      kind_ = Kind::kEpoch, unit_ns_ = kNsPerSecond;
    } else if (f == "epoch_ms") {
      kind_ = Kind::kEpoch, unit_ns_ = 1'000'000;
    } else if (f == "epoch_us") {
      kind_ = Kind::kEpoch, unit_ns_ = 1'000;
    } else if (f == "epoch_ns") {
      kind_ = Kind::kEpoch, unit_ns_ = 1;
    } else if (format.find('%') != std::string::npos) {
      kind_ = Kind::kPattern;
      pattern_ = format;
      pattern_offset_ = format.find("%z") != std::string::npos ||
                        format.find("%Ez") != std::string::npos ||
                        format.find("%Oz") != std::string::npos;
    } else {
      std::string e("unknown time format ");
      e.append(quote(format))
          .append(
              " (auto, iso, epoch_s, epoch_ms, epoch_us, epoch_ns or a pattern like "
              "\"%d.%m.%Y %H:%M:%S\")");
      return e;
    }
    const std::string_view z = trim(tz);
    if (z.empty() || iequals(z, "UTC") || iequals(z, "Etc/UTC") || iequals(z, "GMT") || z == "Z") {
      zone_ = nullptr;
      return "";
    }
    try {
      zone_ = date::locate_zone(z);
    } catch (const std::exception& e) {
      std::string msg("unknown time zone ");
      msg.append(quote(z)).append(" (an IANA name like Europe/Berlin): ").append(e.what());
      return msg;
    }
    return "";
  }

  // `text` as UTC nanoseconds; `shifted` is set for a local time inside a spring-forward gap.
  // `seen` is the parsed instant (UTC), also when out of range (for messages).
  Status parse(std::string_view text, int64_t& ns, bool& shifted, Instant& seen) {
    text = trim(text);
    shifted = false;
    if (text.empty()) return Status::kBad;
    Instant t;
    bool has_offset = false;
    int64_t offset_s = 0;
    switch (kind_) {
      case Kind::kAuto:
        if (looks_numeric(text)) {
          if (!parse_epoch(text, 0, t)) return Status::kBad;
          has_offset = true;
        } else if (!parse_iso(text, t, has_offset, offset_s)) {
          return Status::kBad;
        }
        break;
      case Kind::kIso:
        if (!parse_iso(text, t, has_offset, offset_s)) return Status::kBad;
        break;
      case Kind::kEpoch:
        if (!parse_epoch(text, unit_ns_, t)) return Status::kBad;
        has_offset = true;
        break;
      case Kind::kPattern:
        if (!parse_pattern(text, t, has_offset, offset_s)) return Status::kBad;
        break;
    }
    if (has_offset) {
      t.s -= offset_s;
    } else if (zone_ != nullptr) {
      // One zone lookup per row (~40 ns). For every kind of local time, `first` is the offset
      // wanted: unique -> the only one; ambiguous -> the earlier instant; nonexistent -> the
      // offset before the gap, i.e. shifted forward by the gap.
      if (t.s < -kMaxTimeS * 4 || t.s > kMaxTimeS * 4) {
        seen = t;
        return Status::kRange;  // far outside what the zone tables (or we) care about
      }
      try {
        const date::local_info info =
            zone_->get_info(date::local_seconds(std::chrono::seconds(t.s)));
        shifted = info.result == date::local_info::nonexistent;
        t.s -= info.first.offset.count();
      } catch (const std::exception&) {
        return Status::kBad;
      }
    }
    seen = t;
    if (t.s < kMinTimeS || t.s >= kMaxTimeS) return Status::kRange;
    ns = t.s * kNsPerSecond + t.ns;
    return Status::kOk;
  }

 private:
  enum class Kind { kAuto, kIso, kEpoch, kPattern };

  // Through date's fields (not local_time<ns>, which overflows past 2262 inside date::parse).
  bool parse_pattern(std::string_view text, Instant& t, bool& has_offset, int64_t& offset_s) {
    buf_.set(text);
    stream_.clear();
    date::fields<std::chrono::nanoseconds> fields{};
    fields.has_tod = true;
    std::chrono::minutes offset{0};
    date::from_stream(stream_, pattern_.c_str(), fields, static_cast<std::string*>(nullptr),
                      pattern_offset_ ? &offset : nullptr);
    if (stream_.fail() || !fields.ymd.ok() || !fields.tod.in_conventional_range()) return false;
    if (stream_.peek() != std::char_traits<char>::eof()) return false;  // trailing text
    const int64_t days = date::local_days(fields.ymd).time_since_epoch().count();
    const std::chrono::nanoseconds tod = fields.tod.to_duration();
    t.s = days * 86400 + std::chrono::floor<std::chrono::seconds>(tod).count();
    t.ns = (tod - std::chrono::floor<std::chrono::seconds>(tod)).count();
    has_offset = pattern_offset_;
    offset_s = std::chrono::duration_cast<std::chrono::seconds>(offset).count();
    return true;
  }

  Kind kind_ = Kind::kAuto;
  int64_t unit_ns_ = kNsPerSecond;
  std::string pattern_;
  bool pattern_offset_ = false;
  const date::time_zone* zone_ = nullptr;  // null: UTC
  ViewBuf buf_;
  std::istream stream_{&buf_};
};

std::string format_seconds(int64_t s) {
  constexpr int64_t kYear10000 = 253'402'300'800;  // date's calendar math is int-based
  if (s <= -kYear10000 || s >= kYear10000) return std::to_string(s) + " s after 1970";
  try {
    return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(s)));
  } catch (const std::exception&) {
    return std::to_string(s) + " s";
  }
}

// ---- Values, qualities ----------------------------------------------------------------------

enum class ValueStatus { kOk, kBad, kNonFinite };

ValueStatus parse_value(std::string_view s, bool decimal_comma, float& out) {
  s = trim(s);
  if (s.empty()) return ValueStatus::kBad;
  if (s.front() == '+' && s.size() > 1 && s[1] != '-') s.remove_prefix(1);  // from_chars: no '+'
  char buf[64];
  if (decimal_comma && s.find(',') != std::string_view::npos &&
      s.find('.') == std::string_view::npos && s.size() < sizeof buf) {
    std::memcpy(buf, s.data(), s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (buf[i] == ',') buf[i] = '.';
    }
    s = std::string_view(buf, s.size());
  }
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    if (iequals(s, "true") || iequals(s, "on")) {
      out = 1.0f;
      return ValueStatus::kOk;
    }
    if (iequals(s, "false") || iequals(s, "off")) {
      out = 0.0f;
      return ValueStatus::kOk;
    }
    return ValueStatus::kBad;
  }
  if (ec == std::errc::result_out_of_range) {
    // libstdc++ says out of range for overflow and underflow alike; strtod tells them apart.
    const std::string copy(s);
    errno = 0;
    v = std::strtod(copy.c_str(), nullptr);
  }
  if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(FLT_MAX))
    return ValueStatus::kNonFinite;
  out = static_cast<float>(v);
  return ValueStatus::kOk;
}

bool parse_quality(std::string_view s, telemetry::Quality& q) {
  s = trim(s);
  if (s.empty() || iequals(s, "good") || iequals(s, "ok")) {
    q = telemetry::QUALITY_GOOD;
    return true;
  }
  if (iequals(s, "uncertain") || iequals(s, "questionable")) {
    q = telemetry::QUALITY_UNCERTAIN;
    return true;
  }
  if (iequals(s, "bad")) {
    q = telemetry::QUALITY_BAD;
    return true;
  }
  uint64_t code = 0;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code, base);
  if (ec != std::errc() || end != s.data() + s.size() || code > 0xFFFFFFFFull) return false;
  uint64_t severity = 0;  // top two bits: 0 good, 1 uncertain, 2/3 bad
  if (code == 0) {
    severity = 0;  // OPC UA Good
  } else if (code <= 0xFF) {
    const uint64_t bits = code >> 6;  // OPC DA: 11 good, 01 uncertain, 00 bad, 10 n/a
    severity = bits == 3 ? 0 : bits == 1 ? 1 : 2;
  } else {
    severity = code >> 30;  // OPC UA StatusCode severity
  }
  q = severity == 0   ? telemetry::QUALITY_GOOD
      : severity == 1 ? telemetry::QUALITY_UNCERTAIN
                      : telemetry::QUALITY_BAD;
  return true;
}

// ---- Names ----------------------------------------------------------------------------------

bool is_default_mode_name(std::string_view tag) {
  return iequals(tag, "mode") || iequals(tag, "state") || iequals(tag, "status");
}

constexpr const char* kTimeNames[] = {"time", "timestamp", "ts", "datetime"};
constexpr const char* kMachineNames[] = {"machine", "asset", "equipment", "station"};
constexpr const char* kTagNames[] = {"tag", "signal", "point", "name", "tagname"};
constexpr const char* kValueNames[] = {"value", "val"};
constexpr const char* kQualityNames[] = {"quality", "q", "status"};
constexpr const char* kUnitNames[] = {"unit", "units", "eu"};

// " [degC]" at the end of a wide header: the unit.
std::string_view strip_unit(std::string_view header, std::string& unit) {
  header = trim(header);
  if (header.size() > 2 && header.back() == ']') {
    const size_t open = header.rfind('[');
    if (open != std::string_view::npos && open > 0) {
      unit.assign(trim(header.substr(open + 1, header.size() - open - 2)));
      return trim(header.substr(0, open));
    }
  }
  unit.clear();
  return header;
}

// ---- Rows in memory -------------------------------------------------------------------------

struct Sample {
  int64_t t;  // [ns] UTC
  float value;
  uint32_t tag_q;  // tag index | quality << 30
};

struct ModeRow {
  int64_t t;  // [ns] UTC
  telemetry::Mode mode;
};

struct MachineData {
  std::string name;
  int32_t scene_machine = -1;
  std::vector<TagSpec> tags;  // scene tags first (scene_tags of them), then CSV ones
  size_t scene_tags = 0;
  std::unordered_map<std::string, uint32_t> tag_index;
  std::vector<std::string> mode_tags;  // the scene's MODE tags of this machine
  std::vector<Sample> samples;
  std::vector<ModeRow> modes;
  bool samples_sorted = true;
  bool modes_sorted = true;
  std::vector<std::string> sources;  // file names that gave rows
  uint64_t last_file = 0;            // 1-based id of the file last added to `sources`
};

struct Slot {
  uint32_t machine = 0;
  int32_t tag = -1;  // -1: the machine's mode
};

enum class Resolve { kOk, kUnknownMachine, kUnknownTag, kBadName };

struct Parser {
  csv_parser p{};
  bool ready = false;
  ~Parser() {
    if (ready) csv_free(&p);
  }
};

int space_or_tab(unsigned char c) {
  return c == ' ' || c == '\t' ? 1 : 0;
}
int space_only(unsigned char c) {
  return c == ' ' ? 1 : 0;
}

}  // namespace

// ---- The importer ---------------------------------------------------------------------------

struct CsvImporter::Impl {
  const Model* scene = nullptr;
  CsvImportOptions options;
  CsvImportReport report;
  TimeParser time;
  bool stopped = false;  // fatal or strict stop: nothing more is read or written
  bool finished = false;

  std::vector<MachineData> machines;
  std::unordered_map<std::string, uint32_t> machine_index;
  std::unordered_map<std::string, Slot> slot_cache;  // "machine\x1ftag" or "\x1e<tag text>"
  std::vector<std::string> scene_machine_names;
  std::string key;  // reused lookup key

  // Per file.
  struct File {
    std::string name;       // as given
    std::string base_name;  // for the "source" metadata
    uint64_t id = 0;
    Parser parser;
    bool started = false;  // delimiter known, parser fed
    char delimiter = ',';
    bool decimal_comma = false;
    std::string pending;  // bytes held until the header line is complete
    bool bom_checked = false;
    uint64_t line = 1;  // physical line being fed
    std::vector<std::string> fields;
    std::vector<uint64_t> field_lines;  // start line of each field
    size_t nfields = 0;
    bool have_header = false;
    uint64_t header_line = 0;
    std::vector<std::string> header;
    // Long format columns (-1: absent).
    int c_time = -1, c_machine = -1, c_tag = -1, c_value = -1, c_quality = -1, c_unit = -1;
    // Wide format: slot per column (-1: ignored).
    std::vector<int32_t> column_slot;
    std::vector<Slot> slots;
    bool stop = false;
  };
  File* f = nullptr;

  Impl(const Model* s, const CsvImportOptions& o) : scene(s), options(o) {
    const std::string error = check();
    if (!error.empty()) fail(CsvImportReport::Status::kBadOptions, error);
    if (scene != nullptr) scene_machine_names = machine_names(*scene);
  }

  std::string check() {
    std::string error = time.init(options.time_format, options.tz);
    if (!error.empty()) return error;
    for (const auto& [role, name] : options.columns) {
      if (role != "time" && role != "machine" && role != "tag" && role != "value" &&
          role != "quality" && role != "unit") {
        return std::string("unknown column role ") + quote(role) +
               " (time, machine, tag, value, quality, unit)";
      }
      if (trim(name).empty()) return std::string("empty column name for ") + role;
    }
    for (const auto& [column, target] : options.map) {
      const size_t slash = target.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == target.size())
        return std::string("--map ") + quote(column) + ": target " + quote(target) +
               " is not MACHINE/TAG";
    }
    return "";
  }

  void fail(CsvImportReport::Status status, std::string message) {
    if (report.status == CsvImportReport::Status::kOk) {
      report.status = status;
      report.fatal = std::move(message);
    }
    stopped = true;
    if (f != nullptr) f->stop = true;
  }

  // ---- Bad rows -----------------------------------------------------------------------------

  void bad(SkipReason reason, uint64_t line, int column, std::string message) {
    const char* name = skip_reason_name(reason);
    ++report.skipped[name];
    if (!report.first_error) {
      ImportError e;
      e.file = f->name;
      e.line = line;
      if (column >= 0) {
        e.column = static_cast<uint32_t>(column) + 1;
        const size_t c = static_cast<size_t>(column);
        e.column_name = c < f->header.size() ? f->header[c] : std::string();
      }
      e.reason = name;
      e.message = std::move(message);
      report.first_error = std::move(e);
    }
    if (options.strict) {
      report.status = CsvImportReport::Status::kStrictStop;
      stopped = true;
      f->stop = true;
    }
  }

  void bad_field(SkipReason reason, size_t column, std::string message) {
    bad(reason, f->field_lines[column], static_cast<int>(column), std::move(message));
  }

  // ---- Machines and tags --------------------------------------------------------------------

  // A scene machine index for `name`: exact, else ignoring case when that is unique; -1.
  int32_t scene_machine_for(std::string_view name) const {
    if (scene == nullptr) return -1;
    const int32_t m = find_machine(*scene, name);
    if (m >= 0) return m;
    int32_t found = -1;
    for (size_t i = 0; i < scene_machine_names.size(); ++i) {
      if (iequals(scene_machine_names[i], name)) {
        if (found >= 0) return -1;
        found = static_cast<int32_t>(i);
      }
    }
    return found;
  }

  // Whether `name` is a machine we know (scene or met so far), for splitting "a.b.c".
  bool known_machine(std::string_view name) const {
    if (machine_index.count(std::string(name)) > 0) return true;
    return scene_machine_for(name) >= 0;
  }

  // Splits "machine/tag" or "machine.tag": at the only '/' (or, without one, the only '.');
  // with several, at the one whose left part is a known machine.
  bool split_name(std::string_view text, std::string_view& machine, std::string_view& tag) const {
    const char sep = text.find('/') != std::string_view::npos ? '/' : '.';
    size_t chosen = std::string_view::npos;
    size_t candidates = 0, known = 0;
    for (size_t i = text.find(sep); i != std::string_view::npos; i = text.find(sep, i + 1)) {
      ++candidates;
      if (candidates == 1) chosen = i;
    }
    if (candidates == 0) return false;
    if (candidates > 1) {
      chosen = std::string_view::npos;
      for (size_t i = text.find(sep); i != std::string_view::npos; i = text.find(sep, i + 1)) {
        if (known_machine(trim(text.substr(0, i)))) {
          ++known;
          chosen = i;
        }
      }
      if (known != 1) return false;
    }
    machine = trim(text.substr(0, chosen));
    tag = trim(text.substr(chosen + 1));
    return !machine.empty() && !tag.empty();
  }

  uint32_t add_machine_data(std::string_view name, int32_t scene_machine) {
    MachineData m;
    m.name.assign(name);
    m.scene_machine = scene_machine;
    if (scene_machine >= 0) {
      const uint32_t sm = static_cast<uint32_t>(scene_machine);
      m.tags = sample_tags(*scene, sm);
      m.scene_tags = m.tags.size();
      for (size_t i = 0; i < m.tags.size(); ++i)
        m.tag_index.emplace(m.tags[i].name, static_cast<uint32_t>(i));
      const Station& st = scene->stations[scene->machine_station[sm]];
      for (const TagSpec& t : st.tags) {
        if (static_cast<Signal>(t.signal) == Signal::kMode) m.mode_tags.push_back(t.name);
      }
    }
    machines.push_back(std::move(m));
    const uint32_t index = static_cast<uint32_t>(machines.size() - 1);
    machine_index.emplace(std::string(name), index);
    return index;
  }

  // Finds or adds machine/tag. `unit` names the unit of a tag added here.
  Resolve resolve(std::string_view machine, std::string_view tag, std::string_view unit, Slot& slot,
                  std::string& message) {
    machine = trim(machine);
    tag = trim(tag);
    if (machine.empty()) {
      message = "empty machine name";
      return Resolve::kBadName;
    }
    if (tag.empty()) {
      message = "empty tag name";
      return Resolve::kBadName;
    }
    for (std::string_view name : {machine, tag}) {
      // A newline from a quoted field, say: no name anyone meant, and it would break topics.
      if (std::any_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        message = std::string("name ") + quote(name) + " contains a control character";
        return Resolve::kBadName;
      }
    }
    uint32_t m = 0;
    auto mit = machine_index.find(std::string(machine));
    if (mit != machine_index.end()) {
      m = mit->second;
    } else {
      const int32_t sm = scene_machine_for(machine);
      if (sm >= 0) {
        // The scene's spelling, also when the CSV's differs in case.
        const std::string& canonical = scene_machine_names[static_cast<size_t>(sm)];
        auto cit = machine_index.find(canonical);
        m = cit != machine_index.end() ? cit->second : add_machine_data(canonical, sm);
        if (canonical != machine) machine_index.emplace(std::string(machine), m);
      } else if (scene == nullptr || options.allow_unknown) {
        m = add_machine_data(machine, -1);
      } else {
        message = std::string("unknown machine ") + quote(machine) + " (not in scene " +
                  quote(scene->name) + ")";
        return Resolve::kUnknownMachine;
      }
    }
    MachineData& md = machines[m];
    slot.machine = m;
    auto tit = md.tag_index.find(std::string(tag));
    if (tit != md.tag_index.end()) {
      slot.tag = static_cast<int32_t>(tit->second);
      return Resolve::kOk;
    }
    for (const std::string& mt : md.mode_tags) {
      if (iequals(mt, tag)) {
        slot.tag = -1;
        return Resolve::kOk;
      }
    }
    if (is_default_mode_name(tag)) {
      slot.tag = -1;
      return Resolve::kOk;
    }
    for (size_t i = 0; i < md.scene_tags; ++i) {
      if (iequals(md.tags[i].name, tag)) {
        slot.tag = static_cast<int32_t>(i);
        return Resolve::kOk;
      }
    }
    if (md.scene_machine >= 0 && !options.allow_unknown) {
      message = std::string("unknown tag ") + quote(tag) + " of machine " + quote(md.name) +
                " (not in scene " + quote(scene->name) + ")";
      return Resolve::kUnknownTag;
    }
    if (tag.find(',') != std::string_view::npos) {
      // The samples channel lists its tags comma-separated (telemetry.proto).
      message = std::string("tag name ") + quote(tag) + " contains a comma";
      return Resolve::kBadName;
    }
    if (md.tags.size() >= kTagMask) {
      message = "too many tags";
      return Resolve::kBadName;
    }
    TagSpec spec;
    spec.name.assign(tag);
    spec.unit.assign(trim(unit));
    spec.rate_hz = 0.0;
    md.tags.push_back(std::move(spec));
    const uint32_t index = static_cast<uint32_t>(md.tags.size() - 1);
    md.tag_index.emplace(std::string(tag), index);
    slot.tag = static_cast<int32_t>(index);
    return Resolve::kOk;
  }

  static SkipReason reason_of(Resolve r) {
    switch (r) {
      case Resolve::kUnknownMachine:
        return SkipReason::kUnknownMachine;
      case Resolve::kUnknownTag:
        return SkipReason::kUnknownTag;
      default:
        return SkipReason::kBadName;
    }
  }

  // ---- Accepting ----------------------------------------------------------------------------

  void note_time(int64_t t) {
    if (report.samples + report.mode_changes == 0) {
      report.first_ns = report.last_ns = t;
    } else {
      report.first_ns = std::min(report.first_ns, t);
      report.last_ns = std::max(report.last_ns, t);
    }
  }

  void note_source(MachineData& md) {
    if (md.last_file != f->id) {
      md.last_file = f->id;
      md.sources.push_back(f->base_name);
    }
  }

  void accept_sample(const Slot& slot, int64_t t, float value, telemetry::Quality q) {
    MachineData& md = machines[slot.machine];
    note_source(md);
    note_time(t);
    if (!md.samples.empty() && t < md.samples.back().t) md.samples_sorted = false;
    md.samples.push_back(
        Sample{t, value, static_cast<uint32_t>(slot.tag) | static_cast<uint32_t>(q) << 30});
    ++report.samples;
  }

  void accept_mode(const Slot& slot, int64_t t, telemetry::Mode mode) {
    MachineData& md = machines[slot.machine];
    note_source(md);
    note_time(t);
    if (!md.modes.empty() && t < md.modes.back().t) md.modes_sorted = false;
    md.modes.push_back(ModeRow{t, mode});
    ++report.mode_changes;
  }

  // Parses the time field; counts a bad row and returns false when it is unusable.
  bool row_time(size_t column, int64_t& t) {
    bool shifted = false;
    Instant seen;
    const std::string& text = f->fields[column];
    switch (time.parse(text, t, shifted, seen)) {
      case TimeParser::Status::kOk:
        if (shifted) ++report.shifted_nonexistent;
        return true;
      case TimeParser::Status::kBad:
        bad_field(SkipReason::kBadTimestamp, column,
                  std::string("cannot parse ") + quote(trim(text)) + " as a time");
        return false;
      case TimeParser::Status::kRange:
        bad_field(SkipReason::kTimeRange, column,
                  std::string("time ") + quote(trim(text)) + " (" + format_seconds(seen.s) +
                      ") is outside 1990..2100");
        return false;
    }
    return false;
  }

  // A value for `slot` from field `column`: a sample, or a mode change for a mode tag.
  void row_value(const Slot& slot, size_t column, int64_t t, telemetry::Quality q) {
    const std::string& text = f->fields[column];
    if (slot.tag < 0) {
      const std::optional<telemetry::Mode> mode = parse_mode(trim(text));
      if (!mode) {
        bad_field(SkipReason::kBadMode, column,
                  std::string("cannot parse ") + quote(trim(text)) +
                      " as a mode (running, idle, starved, blocked, down, setup, off or 1-7)");
        return;
      }
      accept_mode(slot, t, *mode);
      return;
    }
    float value = 0.0f;
    switch (parse_value(text, f->decimal_comma, value)) {
      case ValueStatus::kOk:
        accept_sample(slot, t, value, q);
        return;
      case ValueStatus::kBad:
        bad_field(SkipReason::kBadValue, column,
                  std::string("cannot parse ") + quote(trim(text)) + " as a number");
        return;
      case ValueStatus::kNonFinite:
        bad_field(
            SkipReason::kNonFinite, column,
            std::string("value ") + quote(trim(text)) + " is not a finite single-precision number");
        return;
    }
  }

  void long_row() {
    const size_t n = f->nfields;
    if (n != f->header.size()) {
      bad(SkipReason::kColumnCount, f->field_lines[0], -1,
          std::string("expected ") + std::to_string(f->header.size()) + " columns, found " +
              std::to_string(n));
      return;
    }
    int64_t t = 0;
    if (!row_time(static_cast<size_t>(f->c_time), t)) return;
    const size_t tag_col = static_cast<size_t>(f->c_tag);
    const std::string& tag_text = f->fields[tag_col];
    key.clear();
    if (f->c_machine >= 0) {
      key.append(f->fields[static_cast<size_t>(f->c_machine)]).push_back('\x1f');
    } else {
      key.push_back('\x1e');
    }
    key.append(tag_text);
    Slot slot;
    auto it = slot_cache.find(key);
    if (it != slot_cache.end()) {
      slot = it->second;
    } else {
      std::string message;
      std::string_view machine, tag;
      size_t column = tag_col;
      if (f->c_machine >= 0) {
        machine = f->fields[static_cast<size_t>(f->c_machine)];
        tag = tag_text;
        if (trim(machine).empty()) column = static_cast<size_t>(f->c_machine);
      } else if (!split_name(trim(tag_text), machine, tag)) {
        bad_field(SkipReason::kBadName, tag_col,
                  std::string("cannot tell machine and tag apart in ") + quote(trim(tag_text)) +
                      " (no machine column; write MACHINE/TAG)");
        return;
      }
      const std::string_view unit =
          f->c_unit >= 0 ? std::string_view(f->fields[static_cast<size_t>(f->c_unit)]) : "";
      const Resolve r = resolve(machine, tag, unit, slot, message);
      if (r != Resolve::kOk) {
        if (r == Resolve::kUnknownMachine && f->c_machine >= 0)
          column = static_cast<size_t>(f->c_machine);
        bad_field(reason_of(r), column, std::move(message));
        return;
      }
      slot_cache.emplace(key, slot);
    }
    telemetry::Quality q = telemetry::QUALITY_GOOD;
    if (f->c_quality >= 0) {
      const size_t qc = static_cast<size_t>(f->c_quality);
      if (!parse_quality(f->fields[qc], q)) {
        bad_field(SkipReason::kBadQuality, qc,
                  std::string("cannot parse ") + quote(trim(f->fields[qc])) +
                      " as a quality (GOOD, UNCERTAIN, BAD or an OPC code)");
        return;
      }
    }
    if (slot.tag >= 0 && f->c_unit >= 0) {
      TagSpec& spec = machines[slot.machine].tags[static_cast<size_t>(slot.tag)];
      if (spec.unit.empty() && static_cast<size_t>(slot.tag) >= machines[slot.machine].scene_tags)
        spec.unit.assign(trim(f->fields[static_cast<size_t>(f->c_unit)]));
    }
    row_value(slot, static_cast<size_t>(f->c_value), t, q);
  }

  void wide_row() {
    const size_t n = f->nfields;
    if (n != f->header.size()) {
      bad(SkipReason::kColumnCount, f->field_lines[0], -1,
          std::string("expected ") + std::to_string(f->header.size()) + " columns, found " +
              std::to_string(n));
      return;
    }
    int64_t t = 0;
    if (!row_time(static_cast<size_t>(f->c_time), t)) return;
    for (size_t c = 0; c < n && !f->stop; ++c) {
      const int32_t s = f->column_slot[c];
      if (s < 0 || trim(f->fields[c]).empty()) continue;
      row_value(f->slots[static_cast<size_t>(s)], c, t, telemetry::QUALITY_GOOD);
    }
  }

  // ---- Header -------------------------------------------------------------------------------

  // The column for `role`: the --columns name, else the first header among `names`; -1.
  template <size_t N>
  int find_column(const char* role, const char* const (&names)[N], bool& named_missing) {
    named_missing = false;
    auto it = options.columns.find(role);
    if (it != options.columns.end()) {
      for (size_t c = 0; c < f->header.size(); ++c) {
        if (iequals(trim(f->header[c]), trim(it->second))) return static_cast<int>(c);
      }
      named_missing = true;
      return -1;
    }
    for (const char* name : names) {
      for (size_t c = 0; c < f->header.size(); ++c) {
        if (iequals(f->header[c], name)) return static_cast<int>(c);
      }
    }
    return -1;
  }

  template <size_t N>
  bool require(int column, const char* role, const char* const (&names)[N], bool named_missing) {
    if (column >= 0) return true;
    std::string msg = f->name;
    msg.append(":").append(std::to_string(f->header_line)).append(": ");
    if (named_missing) {
      msg.append("no column named ").append(quote(options.columns[role]));
      msg.append(" (given for ").append(role).append(" by --columns)");
    } else {
      msg.append("no ").append(role).append(" column in the header (looked for ");
      for (size_t i = 0; i < N; ++i) msg.append(i == 0 ? "" : ", ").append(names[i]);
      msg.append("; name it with --columns ").append(role).append("=HEADER");
      if (options.format == CsvFormat::kLong) msg.append(", or is this --format wide?");
      msg.append(")");
    }
    fail(CsvImportReport::Status::kInvalidInput, std::move(msg));
    return false;
  }

  void header_row() {
    f->have_header = true;
    f->header_line = f->field_lines[0];
    f->header.assign(f->fields.begin(),
                     f->fields.begin() + static_cast<std::ptrdiff_t>(f->nfields));
    for (std::string& h : f->header) h.assign(trim(h));
    bool missing = false;
    f->c_time = find_column("time", kTimeNames, missing);
    if (options.format == CsvFormat::kLong) {
      if (!require(f->c_time, "time", kTimeNames, missing)) return;
      f->c_machine = find_column("machine", kMachineNames, missing);
      if (missing && !require(-1, "machine", kMachineNames, missing)) return;
      f->c_tag = find_column("tag", kTagNames, missing);
      if (!require(f->c_tag, "tag", kTagNames, missing)) return;
      f->c_value = find_column("value", kValueNames, missing);
      if (!require(f->c_value, "value", kValueNames, missing)) return;
      f->c_quality = find_column("quality", kQualityNames, missing);
      if (missing && !require(-1, "quality", kQualityNames, missing)) return;
      f->c_unit = find_column("unit", kUnitNames, missing);
      if (missing && !require(-1, "unit", kUnitNames, missing)) return;
      return;
    }
    if (missing && !require(-1, "time", kTimeNames, missing)) return;
    if (f->c_time < 0) f->c_time = 0;  // wide exports lead with the time
    wide_header();
  }

  void wide_header() {
    const size_t n = f->header.size();
    f->column_slot.assign(n, -1);
    std::vector<bool> map_used(options.map.size(), false);
    std::string unit;
    for (size_t c = 0; c < n && !f->stop; ++c) {
      if (static_cast<int>(c) == f->c_time) continue;
      const std::string& header = f->header[c];
      std::string_view machine, tag;
      std::string target;
      // --map: exact header first, then ignoring case.
      int found = -1;
      for (size_t k = 0; k < options.map.size() && found < 0; ++k) {
        if (trim(options.map[k].first) == header) found = static_cast<int>(k);
      }
      for (size_t k = 0; k < options.map.size() && found < 0; ++k) {
        if (iequals(trim(options.map[k].first), header)) found = static_cast<int>(k);
      }
      std::string_view name = strip_unit(header, unit);
      if (found >= 0) {
        map_used[static_cast<size_t>(found)] = true;
        target = options.map[static_cast<size_t>(found)].second;
        const size_t slash = target.find('/');
        machine = trim(std::string_view(target).substr(0, slash));
        tag = trim(std::string_view(target).substr(slash + 1));
      } else if (name.empty() || !split_name(name, machine, tag)) {
        if (header.empty()) continue;  // a trailing delimiter, as spreadsheets write
        std::string w = f->name;
        w.append(": column ").append(std::to_string(c + 1)).append(" (").append(quote(header));
        w.append(
            ") is not mapped to a machine/tag and is ignored (name it MACHINE/TAG or use "
            "--map \"");
        w.append(header).append("=MACHINE/TAG\")");
        report.warnings.push_back(std::move(w));
        continue;
      }
      Slot slot;
      std::string message;
      const Resolve r = resolve(machine, tag, unit, slot, message);
      if (r != Resolve::kOk) {
        message.append("; column ignored");
        bad(reason_of(r), f->header_line, static_cast<int>(c), std::move(message));
        continue;
      }
      f->slots.push_back(slot);
      f->column_slot[c] = static_cast<int32_t>(f->slots.size() - 1);
    }
    for (size_t k = 0; k < options.map.size(); ++k) {
      if (map_used[k]) continue;
      std::string w = f->name;
      w.append(": no column ").append(quote(options.map[k].first)).append(" for --map");
      report.warnings.push_back(std::move(w));
    }
  }

  // ---- libcsv callbacks ---------------------------------------------------------------------

  static void on_field(void* s, size_t len, void* data) {
    auto* self = static_cast<Impl*>(data);
    File& file = *self->f;
    if (file.stop) return;
    if (file.nfields == file.fields.size()) {
      file.fields.emplace_back();
      file.field_lines.push_back(0);
    }
    const char* text = static_cast<const char*>(s);
    file.fields[file.nfields].assign(text, len);
    // The callback runs on the line where the field ends; quoted newlines move its start up.
    const uint64_t newlines = static_cast<uint64_t>(std::count(text, text + len, '\n'));
    file.field_lines[file.nfields] = file.line > newlines ? file.line - newlines : 1;
    ++file.nfields;
  }

  static void on_row(int, void* data) {
    auto* self = static_cast<Impl*>(data);
    File& file = *self->f;
    if (file.stop) {
      file.nfields = 0;
      return;
    }
    bool empty = true;
    for (size_t i = 0; i < file.nfields && empty; ++i) empty = trim(file.fields[i]).empty();
    if (!empty) {
      if (!file.have_header) {
        self->header_row();
      } else {
        ++self->report.rows;
        if (self->options.format == CsvFormat::kLong) {
          self->long_row();
        } else {
          self->wide_row();
        }
      }
    }
    file.nfields = 0;
  }

  // ---- Feeding ------------------------------------------------------------------------------

  // Picks the delimiter from the header line: the most frequent of , ; tab outside quotes.
  static char detect_delimiter(std::string_view line) {
    size_t comma = 0, semicolon = 0, tab = 0;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      comma += c == ',';
      semicolon += c == ';';
      tab += c == '\t';
    }
    if (semicolon > comma && semicolon >= tab) return ';';
    if (tab > comma && tab > semicolon) return '\t';
    return ',';
  }

  void start_parser(std::string_view header_line) {
    File& file = *f;
    file.delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(header_line);
    file.decimal_comma = file.delimiter != ',';
    csv_init(&file.parser.p, 0);
    file.parser.ready = true;
    csv_set_delim(&file.parser.p, static_cast<unsigned char>(file.delimiter));
    // libcsv trims spaces and tabs around unquoted fields; a tab delimiter must not be trimmed.
    csv_set_space_func(&file.parser.p, file.delimiter == '\t' ? space_only : space_or_tab);
    file.started = true;
  }

  // Feeds bytes to libcsv one physical line at a time, so that the callbacks know the line.
  void feed_parser(std::string_view data) {
    File& file = *f;
    while (!data.empty() && !file.stop) {
      const size_t nl = data.find('\n');
      const size_t len = nl == std::string_view::npos ? data.size() : nl + 1;
      csv_parser& p = file.parser.p;
      const size_t done = csv_parse(&p, data.data(), len, on_field, on_row, this);
      if (done != len && !file.stop) {
        fail(CsvImportReport::Status::kInvalidInput,
             file.name + ":" + std::to_string(file.line) + ": " + csv_strerror(csv_error(&p)));
        return;
      }
      if (p.entry_pos > kMaxFieldBytes && !file.stop) overlong_field(nl != std::string_view::npos);
      if (nl != std::string_view::npos) ++file.line;
      data.remove_prefix(len);
    }
  }

  // A field has grown past kMaxFieldBytes: an opening quote never closed. Drop the record,
  // count it, and go on from the next line with a fresh parser state.
  void overlong_field(bool line_ended) {
    File& file = *f;
    csv_parser& p = file.parser.p;
    const uint64_t newlines =
        static_cast<uint64_t>(std::count(p.entry_buf, p.entry_buf + p.entry_pos, '\n'));
    uint64_t start = file.line + (line_ended ? 1 : 0);
    start = start > newlines ? start - newlines : 1;
    if (file.nfields > 0) start = file.field_lines[0];
    csv_fini(&p, nullptr, nullptr, nullptr);
    csv_free(&p);  // releases the big buffer; the parser stays usable (libcsv(3))
    file.nfields = 0;
    ++report.rows;
    bad(SkipReason::kMalformed, start, -1,
        "a field runs on for more than 1 MiB (an opening quote without its closing quote?)");
  }

  // Finds the first non-blank line (complete with its '\n', or all of `text` at the end).
  static bool header_line_in(std::string_view text, bool at_end, std::string_view& line) {
    size_t start = 0;
    while (start < text.size()) {
      const size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos && !at_end) return false;
      const size_t end = nl == std::string_view::npos ? text.size() : nl;
      const std::string_view candidate = text.substr(start, end - start);
      if (!trim(candidate).empty()) {
        line = candidate;
        return true;
      }
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    line = {};
    return at_end;
  }

  void feed(std::string_view data, bool at_end) {
    File& file = *f;
    if (file.stop) return;
    if (!file.started) {
      file.pending.append(data);
      if (file.pending.size() < 3 && !at_end) return;
      if (!file.bom_checked && file.pending.compare(0, 3, "\xEF\xBB\xBF") == 0)
        file.pending.erase(0, 3);
      file.bom_checked = true;
      std::string_view line;
      // A header line longer than kMaxFieldBytes without a newline: decide on what we have.
      if (!header_line_in(file.pending, at_end || file.pending.size() > kMaxFieldBytes, line))
        return;
      start_parser(line);
      const std::string held = std::move(file.pending);
      file.pending.clear();
      feed_parser(held);
      return;
    }
    feed_parser(data);
  }

  void end_file() {
    File& file = *f;
    if (!file.started && !file.stop) feed({}, true);
    if (file.started && !file.stop) {
      csv_fini(&file.parser.p, on_field, on_row, this);
    }
    if (!file.have_header && !file.stop) {
      report.warnings.push_back(file.name + ": empty, nothing imported");
    }
  }

  bool begin_file(File& file, const std::string& name) {
    file.name = name;
    file.base_name = std::filesystem::path(name).filename().string();
    if (file.base_name.empty()) file.base_name = name;
    file.id = ++report.files;
    f = &file;
    return true;
  }

  bool add_text(std::string_view text, const std::string& name) {
    if (stopped) return false;
    File file;
    begin_file(file, name);
    // In slices, as a file is read: the same code path, and a test of the chunk seams.
    while (!text.empty() && !file.stop) {
      const size_t n = std::min(text.size(), kReadChunk);
      feed(text.substr(0, n), false);
      text.remove_prefix(n);
    }
    end_file();
    f = nullptr;
    return !stopped;
  }

  bool add_file(const std::string& path) {
    if (stopped) return false;
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (in == nullptr) {
      fail(CsvImportReport::Status::kUnreadable,
           std::string("cannot read ") + path + ": " + std::strerror(errno));
      return false;
    }
    File file;
    begin_file(file, path);
    std::vector<char> buffer(kReadChunk);
    while (!file.stop) {
      const size_t n = std::fread(buffer.data(), 1, buffer.size(), in);
      if (n > 0) feed(std::string_view(buffer.data(), n), false);
      if (n < buffer.size()) {
        if (std::ferror(in) != 0) {
          fail(CsvImportReport::Status::kUnreadable,
               std::string("cannot read ") + path + ": " + std::strerror(errno));
        }
        break;
      }
    }
    std::fclose(in);
    if (!stopped) end_file();
    f = nullptr;
    return !stopped;
  }

  // ---- Output -------------------------------------------------------------------------------

  struct Item {
    uint64_t log_time;
    uint32_t machine;  // index into `out_machines`
    uint32_t kind;     // 0 samples, 1 mode
    size_t begin, end;
  };

  bool finish(TelemetryWriter& out) {
    if (stopped || finished) return false;
    finished = true;
    report.machines.clear();
    report.tags = 0;
    report.mode_changes = 0;
    report.repeated_modes = 0;
    std::vector<uint32_t> written;  // machine index -> writer handle, in channel order
    std::vector<uint32_t> handles(machines.size(), 0);
    for (uint32_t m = 0; m < machines.size(); ++m) {
      MachineData& md = machines[m];
      if (md.samples.empty() && md.modes.empty()) continue;
      compact_tags(md);
      if (!md.samples_sorted) {
        std::stable_sort(md.samples.begin(), md.samples.end(),
                         [](const Sample& a, const Sample& b) { return a.t < b.t; });
      }
      if (!md.modes_sorted) {
        std::stable_sort(md.modes.begin(), md.modes.end(),
                         [](const ModeRow& a, const ModeRow& b) { return a.t < b.t; });
      }
      // Reports of the mode already in force change nothing.
      size_t kept = 0;
      for (size_t i = 0; i < md.modes.size(); ++i) {
        if (kept > 0 && md.modes[kept - 1].mode == md.modes[i].mode) continue;
        md.modes[kept++] = md.modes[i];
      }
      report.repeated_modes += md.modes.size() - kept;
      md.modes.resize(kept);
      report.mode_changes += kept;
      std::string source("csv:");
      for (size_t i = 0; i < md.sources.size(); ++i) {
        if (i > 0) source += ',';
        source += md.sources[i];
      }
      handles[m] = out.add_machine(md.name, md.tags, {{"source", source}});
      written.push_back(m);
      report.machines.push_back(md.name);
      report.tags += md.tags.size();
    }
    std::vector<Item> items;
    for (uint32_t m : written) {
      const MachineData& md = machines[m];
      const size_t n = md.samples.size();
      for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && j - i < kBatchMaxSamples &&
               md.samples[j].t - md.samples[i].t < kBatchSpanNs)
          ++j;
        items.push_back(Item{static_cast<uint64_t>(md.samples[j - 1].t), m, 0, i, j});
        i = j;
      }
      for (size_t i = 0; i < md.modes.size(); ++i)
        items.push_back(Item{static_cast<uint64_t>(md.modes[i].t), m, 1, i, i + 1});
    }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      if (a.log_time != b.log_time) return a.log_time < b.log_time;
      if (a.machine != b.machine) return a.machine < b.machine;
      if (a.kind != b.kind) return a.kind > b.kind;  // a mode change before its samples
      return a.begin < b.begin;
    });
    telemetry::SampleBatch batch;
    telemetry::ModeChange change;
    const uint64_t before = out.messages_written();
    for (const Item& item : items) {
      const MachineData& md = machines[item.machine];
      bool ok = true;
      if (item.kind == 1) {
        change.Clear();
        change.set_time_ns(md.modes[item.begin].t);
        change.set_mode(md.modes[item.begin].mode);
        ok = out.write_mode(handles[item.machine], item.log_time, change);
      } else {
        fill_batch(md, item.begin, item.end, batch);
        ok = out.write_samples(handles[item.machine], item.log_time, batch);
      }
      if (!ok) {
        fail(CsvImportReport::Status::kWriteFailed, std::string("cannot write: ") + out.error());
        return false;
      }
    }
    report.messages = out.messages_written() - before;
    return true;
  }

  static void fill_batch(const MachineData& md, size_t begin, size_t end,
                         telemetry::SampleBatch& batch) {
    batch.Clear();
    const int64_t base = md.samples[begin].t;
    batch.set_base_time_ns(base);
    const int n = static_cast<int>(end - begin);
    batch.mutable_tag()->Reserve(n);
    batch.mutable_time_offset_ns()->Reserve(n);
    batch.mutable_value()->Reserve(n);
    bool all_good = true;
    for (size_t i = begin; i < end; ++i) {
      const Sample& s = md.samples[i];
      batch.add_tag(s.tag_q & kTagMask);
      batch.add_time_offset_ns(s.t - base);
      batch.add_value(s.value);
      all_good = all_good && (s.tag_q >> 30) == 0;
    }
    if (!all_good) {  // the quality list is left empty when every sample is GOOD
      batch.mutable_quality()->Reserve(n);
      for (size_t i = begin; i < end; ++i)
        batch.add_quality(static_cast<telemetry::Quality>(md.samples[i].tag_q >> 30));
    }
  }

  // Drops CSV tags that ended with no sample (their rows all failed later checks), renumbers
  // the rest, and estimates their rates from the data.
  static void compact_tags(MachineData& md) {
    const size_t n = md.tags.size();
    std::vector<uint64_t> count(n, 0);
    std::vector<int64_t> first(n, 0), last(n, 0);
    for (const Sample& s : md.samples) {
      const uint32_t tag = s.tag_q & kTagMask;
      if (count[tag] == 0) {
        first[tag] = last[tag] = s.t;
      } else {
        first[tag] = std::min(first[tag], s.t);
        last[tag] = std::max(last[tag], s.t);
      }
      ++count[tag];
    }
    std::vector<uint32_t> renumber(n, 0);
    std::vector<TagSpec> kept;
    for (size_t i = 0; i < n; ++i) {
      if (i >= md.scene_tags && count[i] == 0) continue;
      renumber[i] = static_cast<uint32_t>(kept.size());
      TagSpec spec = md.tags[i];
      if (i >= md.scene_tags) {
        spec.rate_hz = count[i] >= 2 && last[i] > first[i]
                           ? static_cast<double>(count[i] - 1) /
                                 (static_cast<double>(last[i] - first[i]) / 1e9)
                           : 0.0;
      }
      kept.push_back(std::move(spec));
    }
    if (kept.size() != n) {
      for (Sample& s : md.samples) {
        s.tag_q = renumber[s.tag_q & kTagMask] | (s.tag_q & ~kTagMask);
      }
    }
    md.tags = std::move(kept);
    md.tag_index.clear();  // no longer used after finish
  }
};

// ---- Public API -----------------------------------------------------------------------------

const char* skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kBadTimestamp:
      return "bad timestamp";
    case SkipReason::kTimeRange:
      return "time out of range";
    case SkipReason::kBadValue:
      return "bad value";
    case SkipReason::kNonFinite:
      return "NaN or infinite";
    case SkipReason::kUnknownMachine:
      return "unknown machine";
    case SkipReason::kUnknownTag:
      return "unknown tag";
    case SkipReason::kBadName:
      return "bad name";
    case SkipReason::kColumnCount:
      return "wrong column count";
    case SkipReason::kBadQuality:
      return "bad quality";
    case SkipReason::kBadMode:
      return "bad mode";
    case SkipReason::kMalformed:
      return "malformed CSV";
  }
  return "?";
}

std::string ImportError::to_string() const {
  std::string s = file;
  s.append(":").append(std::to_string(line)).append(": ");
  if (column > 0) {
    s.append("column ").append(std::to_string(column));
    if (!column_name.empty()) s.append(" (").append(column_name).append(")");
    s.append(": ");
  }
  s.append(message);
  return s;
}

uint64_t CsvImportReport::skipped_total() const {
  uint64_t n = 0;
  for (const auto& [reason, count] : skipped) n += count;
  return n;
}

CsvImporter::CsvImporter(const Model* scene, const CsvImportOptions& options)
    : impl_(std::make_unique<Impl>(scene, options)) {}
CsvImporter::~CsvImporter() = default;

bool CsvImporter::add_file(const std::string& path) {
  return impl_->add_file(path);
}
bool CsvImporter::add_text(std::string_view text, const std::string& name) {
  return impl_->add_text(text, name);
}
bool CsvImporter::finish(TelemetryWriter& out) {
  return impl_->finish(out);
}
const CsvImportReport& CsvImporter::report() const {
  return impl_->report;
}

CsvImportReport import_csv(const std::string& path, const Model* scene,
                           const CsvImportOptions& options, TelemetryWriter& out) {
  CsvImporter importer(scene, options);
  if (importer.add_file(path)) importer.finish(out);
  return importer.report();
}

CsvImportReport import_csv_text(std::string_view text, const std::string& name, const Model* scene,
                                const CsvImportOptions& options, TelemetryWriter& out) {
  CsvImporter importer(scene, options);
  if (importer.add_text(text, name)) importer.finish(out);
  return importer.report();
}

bool parse_csv_columns(std::string_view text, std::map<std::string, std::string>& columns,
                       std::string& error) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = std::string("--columns: expected ROLE=HEADER, got ") + quote(item);
      return false;
    }
    std::string role = lower_copy(trim(item.substr(0, eq)));
    if (role == "timestamp") role = "time";
    const std::string_view header = trim(item.substr(eq + 1));
    if (role != "time" && role != "machine" && role != "tag" && role != "value" &&
        role != "quality" && role != "unit") {
      error = std::string("--columns: unknown role ") + quote(role) +
              " (time, machine, tag, value, quality, unit)";
      return false;
    }
    if (header.empty()) {
      error = std::string("--columns: empty header name for ") + role;
      return false;
    }
    columns[role] = std::string(header);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

bool parse_csv_mapping(std::string_view text, std::pair<std::string, std::string>& entry,
                       std::string& error) {
  const size_t eq = text.rfind('=');
  if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty()) {
    error = std::string("--map: expected \"COLUMN=MACHINE/TAG\", got ") + quote(text);
    return false;
  }
  const std::string_view target = trim(text.substr(eq + 1));
  const size_t slash = target.find('/');
  if (slash == std::string_view::npos || trim(target.substr(0, slash)).empty() ||
      trim(target.substr(slash + 1)).empty()) {
    error = std::string("--map: target ") + quote(target) + " is not MACHINE/TAG";
    return false;
  }
  entry.first.assign(trim(text.substr(0, eq)));
  entry.second.assign(target);
  return true;
}

bool parse_csv_delimiter(std::string_view text, char& delimiter, std::string& error) {
  if (text == "auto" || text.empty()) {
    delimiter = 0;
  } else if (text == "," || text == "comma") {
    delimiter = ',';
  } else if (text == ";" || text == "semicolon") {
    delimiter = ';';
  } else if (text == "tab" || text == "\t" || text == "\\t") {
    delimiter = '\t';
  } else if (text == "|" || text == "pipe") {
    delimiter = '|';
  } else {
    error = std::string("--delimiter: expected , ; tab | or auto, got ") + quote(text);
    return false;
  }
  return true;
}

std::string check_csv_options(const CsvImportOptions& options) {
  CsvImporter importer(nullptr, options);
  return importer.report().status == CsvImportReport::Status::kBadOptions ? importer.report().fatal
                                                                          : std::string();
}

std::string format_utc(int64_t ns) {
  int64_t s = ns / kNsPerSecond, frac = ns % kNsPerSecond;
  if (frac < 0) {
    s -= 1;
    frac += kNsPerSecond;
  }
  std::string out = format_seconds(s);
  if (frac != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%09lld", static_cast<long long>(frac));
    std::string f(digits);
    while (f.back() == '0') f.pop_back();
    out.pop_back();  // the 'Z', put back after the fraction
    out.append(f) += 'Z';
  }
  return out;
}

}  // namespace twin
