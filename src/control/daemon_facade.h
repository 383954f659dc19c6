// DaemonFacade: everything the control socket may ask of the running daemon.
//
// The daemon (src/daemon/) implements this; the Dispatcher (dispatcher.h) calls it after it has
// checked the protocol version, the command, the argument types and the caller's privileges. So
// an implementation may assume: jail names are 1..64 bytes of printable ASCII without spaces;
// addresses are non-empty strings of at most 64 bytes (but NOT yet parsed: parsing them and
// refusing bad ones is the implementation's job, per address); durations are already seconds.
//
// All calls come from the daemon's own event-loop thread (the control server runs in that loop),
// one at a time, and must not block on the network; they may take a moment for a firewall batch.
// Every method is a plain question or command; nothing here owns or outlives the call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "portcullis/status.h"

namespace portcullis {

// Ban lengths in seconds; this value means "until unbanned".
inline constexpr int64_t kPermanentBan = -1;

// What `status JAIL` shows (fail2ban's fields plus ours).
struct JailStatus {
  std::string name;
  int64_t currently_failed = 0;    // hosts with failures inside findtime now
  int64_t total_failed = 0;        // failures matched since start
  std::vector<std::string> files;  // log files watched (or "journal: MATCH" entries)
  int64_t currently_banned = 0;
  int64_t total_banned = 0;         // bans since start
  uint64_t packets_blocked = 0;     // from the firewall's counters; 0 if unknown
  std::vector<std::string> banned;  // addresses/CIDRs banned now, canonical text
  // Named counters reported as they are (later: lines_read, lines_matched, ignored_ignoreip,
  // too_old, ...). They appear in the JSON under "counters" and in the human output.
  std::vector<std::pair<std::string, uint64_t>> counters;
};

enum class BanOutcome {
  kBanned,             // newly banned
  kAlreadyBanned,      // was banned in this jail already (its expiry is extended to the new end)
  kRefusedIgnored,     // in the jail's ignoreip; `force` lifts this refusal
  kRefusedLoopback,    // 127.0.0.0/8, ::1, 0.0.0.0, :: — never banned, even with force
  kRefusedOwnAddress,  // one of this host's own addresses — never banned, even with force
  kRefusedTooWide,     // prefix shorter than the jail allows (e.g. /8); `force` lifts this
  kInvalid,            // not an address or CIDR
};

struct BanResult {
  std::string addr;  // as given by the client
  BanOutcome outcome = BanOutcome::kInvalid;
  std::string detail;  // optional human context ("in ignoreip 192.0.2.0/24", parse error)
};

enum class UnbanOutcome {
  kUnbanned,   // removed from every jail listed in `jails`
  kNotBanned,  // no matching ban
  kInvalid,    // not an address or CIDR
};

struct UnbanResult {
  std::string addr;
  UnbanOutcome outcome = UnbanOutcome::kInvalid;
  std::vector<std::string> jails;  // where it was unbanned
  std::string detail;
};

// One active ban.
struct ActiveBan {
  std::string jail;
  std::string addr;          // canonical address or CIDR text
  int64_t seconds_left = 0;  // kPermanentBan if it never expires
  int64_t banned_at = 0;     // wall-clock Unix seconds of the ban
  int64_t ban_count = 1;     // how many times this address was banned in this jail (recidive)
  int64_t failures = 0;      // failures that led to the ban (0 for manual bans)
  // The log lines that led to the ban (oldest first), from the database; filled only when one
  // address is asked about.
  std::vector<std::string> matches;
};

// One past (or current) ban, for `banned --history ADDR`.
struct PastBan {
  std::string jail;
  std::string addr;          // canonical address or CIDR text
  int64_t banned_at = 0;     // wall-clock Unix seconds
  int64_t seconds = 0;       // planned length; kPermanentBan for a permanent ban
  int64_t failures = 0;      // failures that led to it (0 for a manual ban)
};

// Keys `get` can read from the daemon. ("banned" and "logpath" are answered from JailStatus.)
enum class GetKey { kMaxRetry, kFindTime, kBanTime, kIgnoreIp };
// A number (maxretry; findtime/bantime in seconds, bantime may be kPermanentBan) or a list.
using GetValue = std::variant<int64_t, std::vector<std::string>>;

// Keys `set` can change at run time. The change lasts until the next reload.
enum class SetKey { kMaxRetry, kFindTime, kBanTime, kAddIgnoreIp, kDelIgnoreIp };
struct Setting {
  SetKey key = SetKey::kMaxRetry;
  int64_t number = 0;   // maxretry (>= 1), findtime (> 0 s), bantime (> 0 s or kPermanentBan)
  std::string address;  // addignoreip / delignoreip: address or CIDR text, not yet parsed
};

class DaemonFacade {
 public:
  virtual ~DaemonFacade() = default;

  // Names of the configured jails, in configuration order.
  virtual std::vector<std::string> JailNames() = 0;
  // NotFound if there is no such jail. With `with_banned_list` false, `banned` may stay empty
  // (the overview of all jails needs only the counts, and a blocklist jail can hold 100 000s).
  virtual Result<JailStatus> GetJailStatus(const std::string& jail, bool with_banned_list) = 0;

  // Bans every address in `jail` as one firewall transaction. `seconds`: nullopt = the jail's
  // bantime (with its increment rules), kPermanentBan, or a positive length. One result per
  // input address, same order. NotFound for an unknown jail; IoError if the firewall batch
  // failed (then nothing was banned).
  virtual Result<std::vector<BanResult>> Ban(const std::string& jail,
                                             std::span<const std::string> addrs,
                                             std::optional<int64_t> seconds, bool force) = 0;
  // Removes the bans on these addresses from `jail`, or from every jail if nullopt. A CIDR
  // removes that exact ban entry. NotFound for an unknown jail.
  virtual Result<std::vector<UnbanResult>> Unban(const std::optional<std::string>& jail,
                                                 std::span<const std::string> addrs) = 0;
  // Removes every ban in every jail (and from the store). Returns how many were removed.
  virtual Result<int64_t> UnbanAll() = 0;

  // Active bans; with `addr`, the bans covering that address (a banned CIDR that contains it
  // counts). InvalidArgument if `addr` is not an address.
  virtual Result<std::vector<ActiveBan>> Banned(const std::optional<std::string>& addr) = 0;
  // Past bans of exactly `addr` (an address or CIDR), newest first, from the ban database.
  // InvalidArgument if `addr` is not an address or CIDR.
  virtual Result<std::vector<PastBan>> History(const std::string& addr) = 0;

  // Re-reads the configuration (of one jail, or everything). Returns the errors; empty means
  // the new configuration is active. On errors the old configuration keeps running.
  // An unknown jail is reported as an error.
  virtual std::vector<std::string> Reload(const std::optional<std::string>& jail) = 0;

  // NotFound for an unknown jail.
  virtual Result<GetValue> Get(const std::string& jail, GetKey key) = 0;
  // NotFound for an unknown jail; InvalidArgument for a bad address (add/delignoreip) or a
  // delignoreip of an entry that is not there.
  virtual Status Set(const std::string& jail, const Setting& setting) = 0;

  // Reopens the daemon's log file (after logrotate).
  virtual Status FlushLogs() = 0;
  // Asks the loop to exit after this iteration; the reply to `stop` is still sent.
  virtual void RequestStop() = 0;
};

}  // namespace portcullis
