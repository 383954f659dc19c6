// The daemon's own record of active bans: what it asked the firewall to hold, since when, until
// when, and why. The kernel does the expiry work (element timeouts); the ledger mirrors it for
// `status`, for the Unban log line when a ban ends, for ban increments and for persistence.
// Matched log lines are not kept here: they go to the ban store with the ban.
//
// Pure: times are wall-clock epoch seconds passed in by the caller.
//
// Cost: a flood can leave tens of thousands of bans, so the layout is lean: per jail a hash table
// keyed by target plus a flat set of banned single addresses (looked up for every failure line,
// see Jail), and an indexed binary heap of expiries. About 200 bytes per ban.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tsl/hopscotch_set.h>

#include "portcullis/net.h"

namespace portcullis {

struct BanRecord {
  std::string jail;
  Cidr target;
  int64_t start = 0;
  int64_t end = 0;         // ignored when permanent
  bool permanent = false;
  int ban_count = 1;       // how many times this target was banned (this one included)
  int failures = 0;        // failures that led to this ban (0 for manual bans)

  int64_t RemainingAt(int64_t now) const { return permanent ? -1 : (end > now ? end - now : 0); }
};

class BanRegistry {
 public:
  // Inserts or replaces the ban of `record.target` in `record.jail`. Returns true if it was new.
  bool Put(BanRecord record);
  // Removes and returns the ban, if any.
  std::optional<BanRecord> Remove(std::string_view jail, const Cidr& target);
  const BanRecord* Find(std::string_view jail, const Cidr& target) const;
  // Whether `jail` holds a ban of exactly this one address (a /32 or /128 target).
  bool HoldsHost(std::string_view jail, const IpAddress& address) const;

  // Every active ban of `jail`, or of all jails when `jail` is empty, ordered by jail then target.
  std::vector<const BanRecord*> List(std::string_view jail = {}) const;
  // Every jail holding a ban that covers `addr`, ordered by jail.
  std::vector<const BanRecord*> Covering(const IpAddress& addr) const;
  size_t size() const { return size_; }
  size_t CountForJail(std::string_view jail) const;

  // Removes and returns every timed ban with end <= now, earliest end first.
  std::vector<BanRecord> Expire(int64_t now);
  // The earliest end among timed bans, if any.
  std::optional<int64_t> NextExpiry() const;

  void Clear();

 private:
  static constexpr uint32_t kNotQueued = UINT32_MAX;
  struct Slot {
    BanRecord rec;
    uint32_t heap_pos = kNotQueued;  // index in heap_ while the ban is timed
  };
  struct JailBans {
    std::unordered_map<Cidr, Slot, CidrHash> bans;  // node-based: slot addresses stay put
    // The targets of `bans` that are single addresses, in an open-addressing table: HoldsHost
    // runs for every failure line and must cost one cache miss, not the three of a node lookup.
    tsl::hopscotch_set<IpAddress, IpAddressHash> hosts;
  };

  // heap_ is a binary min-heap on rec.end of the timed bans' slots; each slot knows its position,
  // so a ban that is removed or changed leaves the heap at once (8 bytes per timed ban).
  void HeapPush(Slot* slot);
  void HeapErase(Slot* slot);
  void HeapFix(uint32_t pos);  // after the end at `pos` changed
  bool SiftUp(uint32_t pos);
  void SiftDown(uint32_t pos);
  void Place(uint32_t pos, Slot* slot);

  std::map<std::string, JailBans, std::less<>> jails_;
  std::vector<Slot*> heap_;
  size_t size_ = 0;
};

}  // namespace portcullis
