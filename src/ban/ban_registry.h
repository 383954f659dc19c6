// The daemon's own record of active bans: what it asked the firewall to hold, since when, until
// when, and why. The kernel does the expiry work (element timeouts); the ledger mirrors it for
// `status`, for the Unban log line when a ban ends, for ban increments and for persistence.
//
// Pure: times are wall-clock epoch seconds passed in by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

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
  std::vector<std::string> matches;  // a few matched log lines

  int64_t RemainingAt(int64_t now) const { return permanent ? -1 : (end > now ? end - now : 0); }
};

class BanRegistry {
 public:
  // Inserts or replaces the ban of `record.target` in `record.jail`. Returns true if it was new.
  bool Put(BanRecord record);
  // Removes and returns the ban, if any.
  std::optional<BanRecord> Remove(const std::string& jail, const Cidr& target);
  const BanRecord* Find(const std::string& jail, const Cidr& target) const;

  // Every active ban of `jail`, or of all jails when `jail` is empty, ordered by jail then target.
  std::vector<const BanRecord*> List(const std::string& jail = "") const;
  // Every jail holding a ban that covers `addr`.
  std::vector<const BanRecord*> Covering(const IpAddress& addr) const;
  size_t size() const { return bans_.size(); }
  size_t CountForJail(const std::string& jail) const;

  // Removes and returns every timed ban with end <= now.
  std::vector<BanRecord> Expire(int64_t now);
  // The earliest end among timed bans, if any.
  std::optional<int64_t> NextExpiry() const;

  void Clear();

 private:
  using Key = std::pair<std::string, Cidr>;
  std::map<Key, BanRecord> bans_;
  std::set<std::pair<int64_t, Key>> by_end_;  // timed bans only
};

}  // namespace portcullis
