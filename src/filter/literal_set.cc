#include "filter/literal_set.h"

#include <algorithm>
#include <cstring>

namespace portcullis {
namespace {

inline uint32_t Block(const unsigned char* p) { return (uint32_t(p[0]) << 8) | p[1]; }

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
  if (literals_.empty()) {
    m_ = 0;
    return;
  }
  m_ = literals_[0].size();
  for (const std::string& l : literals_) {
    m_ = std::min(m_, l.size());
  }
  // The shift is stored in a byte; windows longer than 255 gain nothing measurable.
  m_ = std::min<size_t>(m_, 255);
  shift_.assign(65536, uint8_t(m_ - 1));
  bucket_.assign(65536, 0);
  for (uint32_t li = 0; li < literals_.size(); ++li) {
    const auto* p = reinterpret_cast<const unsigned char*>(literals_[li].data());
    for (size_t q = 2; q <= m_; ++q) {  // block = p[q-2], p[q-1]
      uint32_t b = Block(p + q - 2);
      shift_[b] = std::min<uint8_t>(shift_[b], uint8_t(m_ - q));
    }
    uint32_t last = Block(p + m_ - 2);
    if (bucket_[last] == 0) {
      buckets_.emplace_back();
      bucket_[last] = uint16_t(buckets_.size());
    }
    buckets_[bucket_[last] - 1].push_back(li);
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
    uint32_t b = Block(s + pos - 1);
    uint8_t sh = shift_[b];
    if (sh != 0) {
      pos += sh;
      continue;
    }
    size_t start = pos + 1 - m_;
    for (uint32_t li : buckets_[bucket_[b] - 1]) {
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
