// How long a ban lasts, and the ban history that longer bans for repeat offenders are based on.
//
// Pure logic: no clock (times are arguments), no randomness of its own (the caller passes a
// random 64-bit value, so tests are deterministic), no I/O. The daemon feeds BanHistory from its
// bans and, later, from the SQLite store at startup.
//
// Semantics of the bantime_* knobs (the jail options of the same names):
//   bantime               the ban length; when permanent, every ban is permanent and the other
//                         knobs are ignored.
//   bantime_increment     off: every ban lasts bantime. On: an address's first ban lasts
//                         bantime + rnd, and a ban after `n` earlier ones (n >= 1) lasts
//                           min(ceiling, max(bantime, bantime * factor * m(n))) + rnd
//                         where m(n) = 2^min(n, 20) (the formula), or, when bantime_multipliers is
//                         set, its n-th entry counted from 0 (the last entry repeats).
//   bantime_factor        multiplies the formula and the multipliers; default 1.
//   bantime_maxtime       the ceiling. Unset (or permanent): 10 years, or bantime if that is
//   longer.
//                         The product is computed in floating point and saturates at the ceiling,
//                         so factor 16 with exponent 20 gives the ceiling, never an int64 overflow.
//   bantime_rndtime       adds random % (rndtime + 1) seconds after the ceiling (as fail2ban does),
//                         so bots cannot time their return to the second. Like the other
//                         bantime_* knobs it applies only with bantime_increment on.
//   bantime_overalljails  earlier bans are counted in every jail, not just this one.
// Unlike fail2ban, a ban history never lowers maxretry: a known offender still needs maxretry
// failures to be banned again (fail2ban counts each of its failures as several, which surprises
// users, gh-2046/gh-2506); only the ban length grows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/duration.h"
#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

struct BanPolicyOptions {
  Duration bantime = Duration::Seconds(600);
  bool increment = false;
  double factor = 1.0;
  std::vector<int64_t> multipliers;  // empty: use the formula
  std::optional<Duration> maxtime;   // unset: 10 years (or bantime if longer)
  int64_t rndtime = 0;               // seconds
  bool overalljails = false;
};

// Ten years: the longest finite ban an increment can produce without an explicit maxtime.
inline constexpr int64_t kDefaultMaxBanSeconds = int64_t{10} * 365 * 86400;

// The ban history of addresses: per address and jail, how many times it was banned and when last.
// Like fail2ban's `bips` rows, an (address, jail) record counts as a whole while its last ban is
// recent enough: Count(..., since) is the record's count if its last ban is at or after `since`,
// else 0. Memory: one 16-byte record per (address, jail) ever banned in a hash node (about 72
// bytes each); Purge bounds it.
class BanHistory {
 public:
  // Adds one ban of `address` in `jail` at `time` (epoch seconds).
  void Record(std::string_view jail, const IpAddress& address, int64_t time);
  // Sets a record as loaded from persistent storage (replaces an existing one). count <= 0 removes.
  void Restore(std::string_view jail, const IpAddress& address, int count, int64_t last_ban);

  // Earlier bans of `address` in `jail` whose record is still recent (see above).
  int Count(std::string_view jail, const IpAddress& address, int64_t since) const;
  // The same summed over every jail.
  int CountAllJails(const IpAddress& address, int64_t since) const;
  // Time of the last ban of `address` in `jail`, if any.
  std::optional<int64_t> LastBan(std::string_view jail, const IpAddress& address) const;

  // Drops all records of `address` (e.g. `portcullis unban --forget`); false if there were none.
  bool Forget(const IpAddress& address);
  // Drops records whose last ban is before `before`; returns how many records went.
  size_t Purge(int64_t before);
  size_t record_count() const { return records_.size(); }

 private:
  // Jail names are interned: a handful of jails, many addresses.
  struct Key {
    IpAddress address;
    uint16_t jail = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return IpAddressHash()(k.address) ^ k.jail; }
  };
  struct Entry {
    int64_t last_ban = 0;
    int count = 0;
  };
  std::optional<uint16_t> JailId(std::string_view jail) const;
  uint16_t InternJail(std::string_view jail);

  std::vector<std::string> jails_;  // id -> name
  std::unordered_map<Key, Entry, KeyHash> records_;
};

class BanPolicy {
 public:
  explicit BanPolicy(BanPolicyOptions options) : options_(std::move(options)) {}

  // InvalidArgument naming the knob when a value makes no sense: factor not a finite number > 0,
  // a negative multiplier, negative rndtime, negative bantime or maxtime.
  static Status Validate(const BanPolicyOptions& options);

  // Length of a ban of an address banned `previous_bans` times before (see the header comment).
  // `random` is any uniformly distributed 64-bit value; it only matters when rndtime > 0.
  Duration BanDuration(int previous_bans, uint64_t random = 0) const;

  // Earlier bans that count for a new ban in `jail`: only this jail's, or every jail's with
  // overalljails. Records whose last ban is before `since` do not count.
  int PreviousBans(const BanHistory& history, std::string_view jail, const IpAddress& address,
                   int64_t since) const;

  const BanPolicyOptions& options() const { return options_; }

 private:
  BanPolicyOptions options_;
};

}  // namespace portcullis
