// LiteralSet: "does this line contain any of these byte strings?", fast.
//
// The prefilter of Filter: most log lines contain none of a filter's required literals, and this
// answers that without running a regex. Wu–Manber with 2-byte blocks: a shift table indexed by
// the byte pair lets the scan jump up to (shortest literal - 1) bytes at a time; only windows
// whose last pair ends some literal's prefix (or shares its table slot) are verified with memcmp.
// The table keeps all of the first byte and the low 6 bits of the second (16 KiB), more for big
// literal sets: a daemon with many jails stays small, and pairs of log text (ASCII) rarely share
// a slot with a pair that does not start a literal.
//
// Hand-written because no multi-pattern search library is among our Debian dependencies, and this
// is about a hundred lines. Pure, immutable after Build, safe to share between threads.
#pragma once

#include <cstdint>
#include <cstring>
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
  // The table slot of the byte pair at `p`: its 16 bits as the host loads them, masked. Exact
  // at 64K slots; a single AND on the scan's critical path, like forming the exact pair.
  uint32_t Slot(const unsigned char* p) const {
    uint16_t w;
    std::memcpy(&w, p, 2);
    return w & slot_mask_;
  }

  size_t m_ = 0;                 // length of the shortest literal (the scan window)
  uint32_t slot_mask_ = 0xffff;  // shift_.size() - 1
  std::vector<uint8_t> shift_;   // per slot: safe jump distance
  // The slots with shift 0, sorted, and per slot the literals whose m-prefix ends there.
  std::vector<uint32_t> bucket_slots_;
  std::vector<std::vector<uint32_t>> buckets_;
};

}  // namespace portcullis
