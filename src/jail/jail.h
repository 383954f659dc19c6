// Jail: one configured jail's detection pipeline, from a log line to a ban candidate.
//
//   line -> Filter (failregex, date) -> failure (host, time)
//        -> ignore checks (loopback, this host's own addresses, ignoreip)
//        -> too old for findtime?  -> FailureWindow (maxretry within findtime) -> BanCandidate
//
// Pure logic: no clock reads (the caller passes `now`), no logging, no I/O. The daemon turns
// candidates into bans (ban policy, logged-in check, firewall) and logs them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "filter/filter.h"
#include "filter/filter_def.h"
#include "jail/failure_window.h"
#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

// Why lines did or did not lead to bans: `portcullis status JAIL` prints these, to answer
// "my filter matches but nothing is banned".
struct JailStats {
  uint64_t lines_read = 0;
  uint64_t lines_skipped = 0;   // prefilter: none of the filter's literals in the line
  uint64_t lines_no_date = 0;
  uint64_t lines_ignored_regex = 0;
  uint64_t lines_missed = 0;
  uint64_t failures = 0;        // lines that matched a failregex (total failed)
  uint64_t ignored_ip = 0;      // failure from an ignored address (ignoreip, loopback, own)
  uint64_t too_old = 0;         // failure older than findtime
  uint64_t future = 0;          // failure dated more than a minute after now (time zone?)
  uint64_t not_address = 0;     // host is a name, not an address (not resolved on the hot path)
  uint64_t ban_candidates = 0;  // reached maxretry
  uint64_t already_banned = 0;  // failure from an address this jail bans already (late lines)
};

struct BanCandidate {
  IpAddress address;
  int failures = 0;
  int64_t first_failure = 0;
  int64_t last_failure = 0;
  std::vector<std::string> matches;
  std::string user;  // user of the last failure, if the filter captured one
};

// What decides that an address must never be banned by this jail.
struct IgnoreVerdict {
  bool ignored = false;
  std::string reason;  // "loopback", "own address", "ignoreip 192.0.2.0/24"
};

class Jail {
 public:
  // `self` (may be null) holds this host's own addresses (ignoreself); it must outlive the jail.
  static Result<std::unique_ptr<Jail>> Create(const JailConfig& config, const FilterDef& filter,
                                              const AddressSet* self);

  const std::string& name() const { return config_.name; }
  const JailConfig& config() const { return config_; }

  // The hot path: one line of a file this jail watches.
  std::optional<BanCandidate> OnLine(std::string_view line, double now);

  IgnoreVerdict CheckIgnored(const IpAddress& address) const;

  // Runtime changes (`portcullis set`); they last until the next reload.
  void SetMaxRetry(int maxretry);
  void SetFindTime(int64_t seconds);
  void SetBanTime(int64_t seconds, bool permanent);
  Status AddIgnore(std::string_view text);
  Status DelIgnore(std::string_view text);
  // Adds resolved addresses of `ignore_hosts` (the daemon resolves names off the hot path).
  void AddResolvedIgnore(const Cidr& block);

  // Failure windows drop entries older than findtime.
  void Expire(int64_t now) { window_->Expire(now); }
  size_t currently_failed() const { return window_->size(); }
  const JailStats& stats() const { return stats_; }
  // The address and time of the failure counted by the last OnLine call, if it counted one (for
  // the daemon's "Found" log line).
  const std::optional<std::pair<IpAddress, double>>& last_found() const { return last_found_; }
  std::vector<std::string> ignore_list() const;
  // Forgets the pending failures of `address` (after a manual ban or unban).
  void Forget(const IpAddress& address) { window_->Forget(address); }

  // Tells whether this jail already bans (or is about to ban) an address. Failures of such an
  // address are counted in the stats (total failed, already_banned) but not recorded in the
  // failure window: a backlog read after a ban, or lines logged while the ban is being applied,
  // must not produce candidates over and over. Null (the default) means nothing is banned.
  using BannedCheck = std::function<bool(const IpAddress&)>;
  void set_banned_check(BannedCheck check) { banned_check_ = std::move(check); }

 private:
  Jail(JailConfig config, std::unique_ptr<Filter> filter);
  void RebuildIgnoreSet();

  JailConfig config_;
  std::unique_ptr<Filter> filter_;
  std::unique_ptr<FailureWindow> window_;
  const AddressSet* self_ = nullptr;
  std::vector<Cidr> ignore_cidrs_;  // config ignoreip + runtime additions + resolved names
  AddressSet ignore_set_;
  JailStats stats_;
  BannedCheck banned_check_;
  std::optional<std::pair<IpAddress, double>> last_found_;
};

}  // namespace portcullis
