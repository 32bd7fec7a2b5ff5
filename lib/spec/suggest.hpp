#pragma once
// "Did you mean" suggestions for misspelt keys, enum values and names.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mvt::spec {

// Levenshtein distance (insert, delete, substitute; each costs 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo (distance
// at most max(1, len/3), or a case-only difference); empty otherwise. Ties: first candidate.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" - ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mvt::spec
