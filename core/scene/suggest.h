// "Did you mean ...?" for misspelt field, enum and element names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace twin {

// Optimal-string-alignment distance: insertions, deletions, substitutions and transpositions
// of adjacent characters each cost 1. Case-sensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` (compared case-insensitively), or "" when none is close
// enough to be a likely typo: at most 1 edit for words up to 4 characters, 2 up to 8, else 3,
// and at most half the candidate's length in edits. Ties go to the earliest candidate.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

// ", did you mean 'x'?" when there is a suggestion, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace twin
