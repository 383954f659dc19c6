#include "jail/failure_window.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace portcullis {
namespace {

constexpr int kMaxMaxretry = 10000;
constexpr int64_t kMaxFindtime = std::numeric_limits<uint32_t>::max();
constexpr size_t kMinTracked = 10;

// Timestamps come from log lines, so they can be anything; window bounds saturate instead of
// overflowing.
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? INT64_MAX : INT64_MIN;
  }
  return r;
}

int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? INT64_MIN : INT64_MAX;
  }
  return r;
}

int ClampMaxretry(int m) { return std::clamp(m, 1, kMaxMaxretry); }
int64_t ClampFindtime(int64_t f) { return std::clamp<int64_t>(f, 0, kMaxFindtime); }

// What an allocation really costs: the usable chunk plus glibc's size header.
size_t ChunkBytes(void* p) { return malloc_usable_size(p) + sizeof(size_t); }

void* CountedMalloc(size_t n, size_t* bytes) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    std::abort();  // out of memory: nothing sensible to do in a daemon loop
  }
  *bytes += ChunkBytes(p);
  return p;
}

void CountedFree(void* p, size_t* bytes) {
  if (p == nullptr) {
    return;
  }
  *bytes -= ChunkBytes(p);
  std::free(p);
}

}  // namespace

template <typename T>
T* FailureWindow::CountingAllocator<T>::allocate(size_t n) {
  // T is a pointer type for the bucket array; sizeof(T) is still what is wanted.
  return static_cast<T*>(
      CountedMalloc(n * sizeof(T), bytes));  // NOLINT(bugprone-sizeof-expression)
}

template <typename T>
void FailureWindow::CountingAllocator<T>::deallocate(T* p, size_t) {
  CountedFree(p, bytes);
}

FailureWindow::Entry::Entry(Entry&& other) noexcept
    : newest(other.newest), older(other.older), heap_cap(other.heap_cap) {
  std::memcpy(inline_offsets, other.inline_offsets, sizeof inline_offsets);
  other.heap_cap = 0;
  other.older = 0;
}

FailureWindow::Entry::~Entry() {
  if (heap_cap) {
    std::free(heap);
  }
}

FailureWindow::FailureWindow(const FailureWindowOptions& options)
    : maxretry_(ClampMaxretry(options.maxretry)),
      findtime_(ClampFindtime(options.findtime)),
      max_tracked_(std::max(options.max_tracked, kMinTracked)),
      lines_per_ban_(options.lines_per_ban),
      ring_capacity_(options.line_ring_size),
      entries_(0, IpAddressHash(), std::equal_to<IpAddress>(),
               CountingAllocator<std::pair<const IpAddress, Entry>>(&table_bytes_)) {
  // The table's per-address value; the memory target (< 200 bytes per address) depends on it.
  static_assert(sizeof(Entry) == 32);
}

FailureWindow::~FailureWindow() = default;

void FailureWindow::set_maxretry(int maxretry) { maxretry_ = ClampMaxretry(maxretry); }
void FailureWindow::set_findtime(int64_t findtime) { findtime_ = ClampFindtime(findtime); }

void FailureWindow::Load(const Entry& e, std::vector<int64_t>* out) const {
  out->clear();
  const uint32_t* off = e.offsets();
  for (int k = e.older - 1; k >= 0; --k) {
    out->push_back(e.newest - off[k]);
  }
  out->push_back(e.newest);
}

void FailureWindow::StoreEntry(Entry* e, const std::vector<int64_t>& ascending) {
  const size_t older = ascending.size() - 1;
  e->newest = ascending.back();
  if (older > Entry::kInline && older > e->heap_cap) {
    ReleaseHeap(e);
    const size_t cap = std::max<size_t>(older, size_t{2} * Entry::kInline);
    e->heap = static_cast<uint32_t*>(CountedMalloc(cap * sizeof(uint32_t), &heap_bytes_));
    e->heap_cap = static_cast<uint16_t>(cap);
  }
  uint32_t* off = e->heap_cap ? e->heap : e->inline_offsets;
  for (size_t k = 0; k < older; ++k) {
    off[k] = static_cast<uint32_t>(e->newest - ascending[older - 1 - k]);
  }
  e->older = static_cast<uint16_t>(older);
}

void FailureWindow::ReleaseHeap(Entry* e) {
  if (e->heap_cap == 0) {
    return;
  }
  CountedFree(e->heap, &heap_bytes_);
  e->heap_cap = 0;
  e->older = 0;
}

std::optional<BanTrigger> FailureWindow::Record(const IpAddress& address, int64_t time,
                                                std::string_view line) {
  ++total_failures_;
  latest_ = std::max(latest_, time);
  RememberLine(address, line);

  auto it = entries_.find(address);
  if (it == entries_.end()) {
    if (maxretry_ == 1) {
      return BanTrigger{address, 1, time, time, TakeLines(address)};
    }
    if (entries_.size() >= max_tracked_) {
      MakeRoom();
    }
    it = entries_.try_emplace(address).first;
    scratch_.assign(1, time);
  } else {
    Load(it->second, &scratch_);
    scratch_.insert(std::upper_bound(scratch_.begin(), scratch_.end(), time), time);
  }
  std::vector<int64_t>& v = scratch_;

  // The fullest window [v[i], v[i] + findtime] that contains `time`. Windows are anchored at a
  // failure: any window can slide right until its left edge meets one without losing failures.
  const int64_t lowest_start = SatSub(time, findtime_);
  size_t best = 0, best_i = 0, j = 0;
  for (size_t i = 0; i < v.size() && v[i] <= time; ++i) {
    if (v[i] < lowest_start) {
      continue;
    }
    const int64_t end = SatAdd(v[i], findtime_);
    j = std::max(j, i);
    while (j < v.size() && v[j] <= end) {
      ++j;
    }
    if (j - i > best) {
      best = j - i;
      best_i = i;
    }
  }
  if (best >= static_cast<size_t>(maxretry_)) {
    BanTrigger trigger{address, static_cast<int>(best), v[best_i], v[best_i + best - 1], {}};
    ReleaseHeap(&it->second);
    entries_.erase(it);
    trigger.lines = TakeLines(address);
    return trigger;
  }

  // Keep only failures that can still share a window with the newest one.
  const int64_t keep_from = SatSub(v.back(), findtime_);
  v.erase(v.begin(), std::lower_bound(v.begin(), v.end(), keep_from));
  StoreEntry(&it->second, v);
  return std::nullopt;
}

void FailureWindow::MakeRoom() {
  const size_t target = max_tracked_ - max_tracked_ / 10;
  const int64_t cutoff = SatSub(latest_, findtime_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.newest < cutoff) {
      ReleaseHeap(&it->second);
      it = entries_.erase(it);
      ++evicted_;
    } else {
      ++it;
    }
  }
  if (entries_.size() <= target) {
    return;
  }

  // Drop the (size - target) addresses with the oldest newest-failure. nth_element finds the
  // threshold in linear time; ties at the threshold are dropped until the count is reached.
  const size_t drop = entries_.size() - target;
  std::vector<int64_t> times;
  times.reserve(entries_.size());
  for (const auto& [address, entry] : entries_) {
    times.push_back(entry.newest);
  }
  std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(drop - 1), times.end());
  const int64_t threshold = times[drop - 1];
  size_t ties_to_drop = drop - static_cast<size_t>(std::count_if(
                                   times.begin(), times.begin() + static_cast<ptrdiff_t>(drop - 1),
                                   [threshold](int64_t t) { return t < threshold; }));
  for (auto it = entries_.begin(); it != entries_.end();) {
    const int64_t n = it->second.newest;
    if (n < threshold || (n == threshold && ties_to_drop > 0)) {
      if (n == threshold) {
        --ties_to_drop;
      }
      ReleaseHeap(&it->second);
      it = entries_.erase(it);
      ++evicted_;
    } else {
      ++it;
    }
  }
}

bool FailureWindow::Forget(const IpAddress& address) {
  DropLines(address);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    return false;
  }
  ReleaseHeap(&it->second);
  entries_.erase(it);
  return true;
}

size_t FailureWindow::Expire(int64_t now) {
  const int64_t cutoff = SatSub(now, findtime_);
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.newest < cutoff) {
      ReleaseHeap(&it->second);
      it = entries_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

std::vector<TrackedAddress> FailureWindow::Tracked() const {
  std::vector<TrackedAddress> out;
  out.reserve(entries_.size());
  for (const auto& [address, entry] : entries_) {
    out.push_back({address, entry.older + 1, entry.newest});
  }
  return out;
}

size_t FailureWindow::ApproximateMemoryUsage() const {
  size_t ring = ring_.capacity() * sizeof(RingLine);
  for (const RingLine& r : ring_) {
    if (r.line.capacity() > 15) {
      ring += r.line.capacity() + 1;  // beyond the inline (SSO) buffer
    }
  }
  return table_bytes_ + heap_bytes_ + ring + scratch_.capacity() * sizeof(int64_t);
}

void FailureWindow::RememberLine(const IpAddress& address, std::string_view line) {
  if (ring_capacity_ == 0 || line.empty()) {
    return;
  }
  line = line.substr(0, kMaxLineBytes);
  if (ring_.size() < ring_capacity_) {
    ring_.push_back({address, true, std::string(line)});
    ring_next_ = ring_.size() % ring_capacity_;
    return;
  }
  RingLine& slot = ring_[ring_next_];
  slot.address = address;
  slot.live = true;
  slot.line.assign(line);
  ring_next_ = (ring_next_ + 1) % ring_capacity_;
}

std::vector<std::string> FailureWindow::TakeLines(const IpAddress& address) {
  std::vector<std::string> lines;
  const size_t n = ring_.size();
  // Newest first; every line of the address is retired so that none is reported twice.
  for (size_t k = 0; k < n; ++k) {
    RingLine& r = ring_[(ring_next_ + n - 1 - k) % n];
    if (!r.live || r.address != address) {
      continue;
    }
    if (lines.size() < lines_per_ban_) {
      lines.push_back(std::move(r.line));
    }
    r.live = false;
    r.line.clear();
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

void FailureWindow::DropLines(const IpAddress& address) {
  for (RingLine& r : ring_) {
    if (r.live && r.address == address) {
      r.live = false;
      r.line.clear();
    }
  }
}

}  // namespace portcullis
