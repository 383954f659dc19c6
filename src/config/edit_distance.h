// Typo suggestions for configuration keys.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace portcullis {

// Optimal string alignment distance (Levenshtein plus transposition of two adjacent characters).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word` if its distance is <= max_distance (ties: the first candidate),
// else an empty view. The default limit is 2, or 3 for words of 8 or more characters, so that a
// long key with a wrong ending ("maxretries" for "maxretry") still finds its match.
inline constexpr size_t kAutoDistance = 0;
std::string_view NearestWord(std::string_view word, std::span<const std::string_view> candidates,
                             size_t max_distance = kAutoDistance);

}  // namespace portcullis
