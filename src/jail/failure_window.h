// Per-address failure counting for one jail: the "maxretry failures within findtime" rule.
//
// Pure logic: time is an argument (int64 epoch seconds, the failure's own timestamp as read from
// the log), nothing here reads a clock, logs or does I/O. Hosts are already IpAddress values
// (names are resolved before this point). Not thread-safe; the daemon's one loop owns it. Neither
// copyable nor movable (its table's allocator points into it): hold it by std::unique_ptr.
//
// Counting rule. When a failure for an address is recorded at time t, the address is due for a
// ban if some window [a, a + findtime] that contains t holds at least maxretry of its recorded
// failures (t included). A failure exactly findtime seconds older than another still shares its
// window; one second more and it does not. Each failure counts by its own timestamp, so lines
// read out of order (several log files, a replayed old log) are counted correctly, except that a
// failure more than findtime older than the newest one recorded for the same address is
// discarded (it cannot share a window with that newest one; keeping it would make memory grow).
// When an address is due, Record returns a BanTrigger and forgets that address's failures.
//
// Memory is bounded: at most `max_tracked` addresses. Adding one more first drops addresses whose
// newest failure is older than findtime before the newest failure seen in the jail, then, if
// still above 90% of the cap, the 10% with the oldest newest-failure. Each eviction frees at least
// a tenth of the cap, so the cost is amortised O(1) per recorded failure. Per address the table
// stores its newest timestamp plus 32-bit offsets of the older ones (up to 4 inline, more on the
// heap only when maxretry > 5): about 94 bytes per address with 2 failures, measured by
// failure_window_test (ApproximateMemoryUsage counts real allocation sizes).
//
// Matched lines (for notifications) are not stored per address: the jail keeps one ring of the
// last `line_ring_size` matched lines with their address, and a ban returns that address's most
// recent lines from the ring (at most `lines_per_ban`). Lines longer than kMaxLineBytes are cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portcullis/net.h"

namespace portcullis {

struct FailureWindowOptions {
  int maxretry = 5;             // clamped to [1, 10000]
  int64_t findtime = 600;       // seconds; clamped to [0, 2^32 - 1] (about 136 years)
  size_t max_tracked = 100000;  // addresses; values below 10 are treated as 10
  size_t line_ring_size = 256;  // matched lines kept per jail; 0 keeps none
  size_t lines_per_ban = 5;     // lines returned with a ban
};

// The failures that made an address due for a ban.
struct BanTrigger {
  IpAddress address;
  int failures = 0;                // failures in the triggering window (>= maxretry)
  int64_t first_failure = 0;       // oldest failure in that window
  int64_t last_failure = 0;        // newest failure in that window
  std::vector<std::string> lines;  // the address's latest matched lines, oldest first
};

// One tracked address, for `portcullis status JAIL` ("currently failed").
struct TrackedAddress {
  IpAddress address;
  int failures = 0;  // failures kept for it (within findtime of its newest one)
  int64_t last_failure = 0;
};

class FailureWindow {
 public:
  static constexpr size_t kMaxLineBytes = 1024;

  explicit FailureWindow(const FailureWindowOptions& options = {});
  ~FailureWindow();
  FailureWindow(const FailureWindow&) = delete;
  FailureWindow& operator=(const FailureWindow&) = delete;

  // Records one failure of `address` at `time`. `line` is the matched log line (may be empty; it
  // is copied into the ring). Returns a trigger when the address reached maxretry.
  std::optional<BanTrigger> Record(const IpAddress& address, int64_t time,
                                   std::string_view line = {});

  // Drops the address's failures and its lines in the ring (after a manual ban or unban, or an
  // ignore-list change). Returns false if it was not tracked.
  bool Forget(const IpAddress& address);

  // Drops addresses whose newest failure is older than now - findtime; returns how many.
  size_t Expire(int64_t now);

  // Takes effect from the next Record: lowering maxretry does not ban anyone by itself, the next
  // failure of an address that already has enough does. Same clamping as in the options.
  void set_maxretry(int maxretry);
  void set_findtime(int64_t findtime);
  int maxretry() const { return maxretry_; }
  int64_t findtime() const { return findtime_; }

  size_t size() const { return entries_.size(); }
  std::vector<TrackedAddress> Tracked() const;  // unordered
  uint64_t total_failures() const { return total_failures_; }
  uint64_t evicted() const { return evicted_; }  // addresses dropped because of the cap

  // Bytes held: hash table nodes and buckets and timestamp arrays, each allocation counted with
  // its malloc chunk size, plus the line ring.
  size_t ApproximateMemoryUsage() const;

 private:
  // Failure timestamps of one address: `newest` plus `older` offsets back from it, kept sorted
  // newest-first. Up to kInline offsets live in the entry, more on the heap (malloc, counted).
  struct Entry {
    static constexpr uint16_t kInline = 4;
    Entry() = default;
    Entry(Entry&& other) noexcept;
    Entry& operator=(Entry&&) = delete;
    ~Entry();
    const uint32_t* offsets() const { return heap_cap ? heap : inline_offsets; }

    int64_t newest = 0;
    union {
      uint32_t inline_offsets[kInline] = {};
      uint32_t* heap;
    };
    uint16_t older = 0;     // number of offsets
    uint16_t heap_cap = 0;  // 0 while inline
  };

  // Counts every allocation of the table in `*bytes`, with its real chunk size.
  template <typename T>
  struct CountingAllocator {
    using value_type = T;
    size_t* bytes;
    explicit CountingAllocator(size_t* b) : bytes(b) {}
    template <typename U>
    CountingAllocator(const CountingAllocator<U>& o) : bytes(o.bytes) {}  // NOLINT
    T* allocate(size_t n);
    void deallocate(T* p, size_t n);
    template <typename U>
    bool operator==(const CountingAllocator<U>& o) const {
      return bytes == o.bytes;
    }
  };

  struct RingLine {
    IpAddress address;
    bool live = false;  // false once taken by a ban or dropped by Forget
    std::string line;
  };

  using Map = std::unordered_map<IpAddress, Entry, IpAddressHash, std::equal_to<IpAddress>,
                                 CountingAllocator<std::pair<const IpAddress, Entry>>>;

  void Load(const Entry& e, std::vector<int64_t>* out) const;
  void StoreEntry(Entry* e, const std::vector<int64_t>& newest_first);
  void ReleaseHeap(Entry* e);
  void MakeRoom();
  void RememberLine(const IpAddress& address, std::string_view line);
  std::vector<std::string> TakeLines(const IpAddress& address);
  void DropLines(const IpAddress& address);

  int maxretry_;
  int64_t findtime_;
  size_t max_tracked_;
  size_t lines_per_ban_;
  size_t ring_capacity_;
  size_t table_bytes_ = 0;  // must outlive entries_ (declared before it)
  size_t heap_bytes_ = 0;
  Map entries_;
  std::vector<RingLine> ring_;
  size_t ring_next_ = 0;
  int64_t latest_ = INT64_MIN;  // newest failure time recorded in this jail
  uint64_t total_failures_ = 0;
  uint64_t evicted_ = 0;
  std::vector<int64_t> scratch_;
};

}  // namespace portcullis
