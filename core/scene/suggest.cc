#include "core/scene/suggest.h"

#include <algorithm>
#include <cctype>

namespace twin {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rolling rows: i-2, i-1, i.
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t d = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d = std::min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  const size_t limit = w.size() <= 4 ? 1 : (w.size() <= 8 ? 2 : 3);
  size_t best = limit + 1;
  const std::string* best_candidate = nullptr;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(w, lower(c));
    if (d < best && 2 * d <= c.size()) {
      best = d;
      best_candidate = &c;
    }
  }
  return best_candidate ? *best_candidate : std::string();
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string s = suggest(word, candidates);
  return s.empty() ? std::string() : ", did you mean '" + s + "'?";
}

}  // namespace twin
