#include "filter/literal_set.h"

#include <algorithm>
#include <cstring>

namespace portcullis {
namespace {

inline uint32_t Block(const unsigned char* p) { return (uint32_t(p[0]) << 8) | p[1]; }

// Table slots: at least 2^14 (a 16 KiB shift table), and 64 per distinct pair up to 2^16, so that
// pairs of text that start no literal seldom share a slot with one that does.
constexpr uint32_t kMinSlotBits = 14;
constexpr size_t kSlotsPerBlock = 64;

}  // namespace

void LiteralSet::Build(const std::vector<std::string>& literals,
                       const std::vector<uint8_t>& groups) {
  literals_.clear();
  groups_.clear();
  for (size_t i = 0; i < literals.size(); ++i) {
    if (literals[i].size() >= 2) {
      literals_.push_back(literals[i]);
      groups_.push_back(i < groups.size() ? uint8_t(groups[i] & 63) : 0);
    }
  }
  buckets_.clear();
  bucket_slots_.clear();
  if (literals_.empty()) {
    shift_.clear();
    m_ = 0;
    return;
  }
  m_ = literals_[0].size();
  for (const std::string& l : literals_) {
    m_ = std::min(m_, l.size());
  }
  // The shift is stored in a byte; windows longer than 255 gain nothing measurable.
  m_ = std::min<size_t>(m_, 255);

  std::vector<uint32_t> blocks;
  for (const std::string& l : literals_) {
    const auto* p = reinterpret_cast<const unsigned char*>(l.data());
    for (size_t q = 2; q <= m_; ++q) {
      blocks.push_back(Block(p + q - 2));
    }
  }
  std::sort(blocks.begin(), blocks.end());
  const size_t distinct = size_t(std::unique(blocks.begin(), blocks.end()) - blocks.begin());
  uint32_t bits = kMinSlotBits;
  while (bits < 16 && (size_t{1} << bits) < distinct * kSlotsPerBlock) {
    ++bits;
  }
  slot_mask_ = (uint32_t{1} << bits) - 1;
  shift_.assign(size_t{1} << bits, uint8_t(m_ - 1));

  std::vector<std::pair<uint32_t, uint32_t>> ends;  // (slot of the last pair, literal)
  for (uint32_t li = 0; li < literals_.size(); ++li) {
    const auto* p = reinterpret_cast<const unsigned char*>(literals_[li].data());
    for (size_t q = 2; q <= m_; ++q) {  // pair = p[q-2], p[q-1]
      uint32_t b = Slot(p + q - 2);
      shift_[b] = std::min<uint8_t>(shift_[b], uint8_t(m_ - q));
    }
    ends.emplace_back(Slot(p + m_ - 2), li);
  }
  std::sort(ends.begin(), ends.end());
  for (const auto& [slot, li] : ends) {
    if (bucket_slots_.empty() || bucket_slots_.back() != slot) {
      bucket_slots_.push_back(slot);
      buckets_.emplace_back();
    }
    buckets_.back().push_back(li);
  }
}

uint64_t LiteralSet::Hits(std::string_view text, uint64_t open_groups) const {
  if (m_ == 0 || text.size() < m_) {
    return 0;
  }
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  uint64_t hits = 0;
  size_t pos = m_ - 1;  // index of the last byte of the window
  while (pos < n) {
    uint32_t b = Slot(s + pos - 1);
    uint8_t sh = shift_[b];
    if (sh != 0) {
      pos += sh;
      continue;
    }
    size_t start = pos + 1 - m_;
    // Shift 0 only where some literal's m-prefix ends, so the slot is listed.
    size_t bi = size_t(std::lower_bound(bucket_slots_.begin(), bucket_slots_.end(), b) -
                       bucket_slots_.begin());
    for (uint32_t li : buckets_[bi]) {
      const std::string& l = literals_[li];
      uint64_t bit = uint64_t{1} << groups_[li];
      if ((open_groups & bit & ~hits) != 0 && n - start >= l.size() &&
          std::memcmp(s + start, l.data(), l.size()) == 0) {
        hits |= bit;
        if ((bit & 1) != 0) {
          return hits;  // group 0 decides on its own: the caller runs every regex anyway
        }
      }
    }
    ++pos;
  }
  return hits;
}

}  // namespace portcullis
