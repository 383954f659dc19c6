// LiteralSet: "does this line contain any of these byte strings?", fast.
//
// The prefilter of Filter: most log lines contain none of a filter's required literals, and this
// answers that without running a regex. Wu–Manber with 2-byte blocks: a shift table over all
// 65536 byte pairs lets the scan jump up to (shortest literal - 1) bytes at a time; only windows
// whose last pair ends some literal's prefix are verified with memcmp.
//
// Hand-written because no multi-pattern search library is among our Debian dependencies, and this
// is about a hundred lines. Pure, immutable after Build, safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

class LiteralSet {
 public:
  // Literals shorter than 2 bytes are not supported (Filter requires 3+); an empty set matches
  // nothing. `groups` (optional, same size as `literals`, values 0..63) puts each literal in a
  // group that Search can switch off; without it every literal is in group 0.
  void Build(const std::vector<std::string>& literals, const std::vector<uint8_t>& groups = {});

  // True when `text` contains at least one literal whose group bit is set in `open_groups`.
  bool Search(std::string_view text, uint64_t open_groups = 1) const {
    return Hits(text, open_groups) != 0;
  }

  // The groups (bit g for group g, only those in `open_groups`) with at least one literal in
  // `text`; 0 when there is none. Once a group-0 literal is found the scan stops, so with bit 0
  // set the other bits may be incomplete; without it the result is exact.
  uint64_t Hits(std::string_view text, uint64_t open_groups = 1) const;

 private:
  std::vector<std::string> literals_;
  std::vector<uint8_t> groups_;
  size_t m_ = 0;                  // length of the shortest literal (the scan window)
  std::vector<uint8_t> shift_;    // per 2-byte block: safe jump distance
  std::vector<uint16_t> bucket_;  // per block with shift 0: 1 + index into buckets_, or 0
  std::vector<std::vector<uint32_t>> buckets_;  // literal indices ending their m-prefix there
};

}  // namespace portcullis
