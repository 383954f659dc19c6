// Daemon: wires configuration, log sources, jails, the firewall and the control socket into the one
// event loop, and applies the jails' decisions.
//
// Per loop iteration: lines read -> jails -> ban candidates queued; after the iteration's events,
// every queued ban goes to the firewall as ONE transaction, then to the ledger and the log. Timed
// bans are expired by the kernel; the ledger's nearest expiry is the loop's deadline, at which the
// daemon logs the Unban lines. Everything runs on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ban/ban_registry.h"
#include "ban/ban_policy.h"
#include "config/settings.h"
#include "control/daemon_facade.h"
#include "control/dispatcher.h"
#include "control/server.h"
#include "daemon/event_loop.h"
#include "daemon/host_info.h"
#include "jail/jail.h"
#include "portcullis/firewall.h"
#include "portcullis/ban_store.h"
#include "portcullis/line_source.h"
#include "watch/journal_source.h"

namespace portcullis {

struct DaemonOptions {
  std::string config_dir = "/etc/portcullis";
  bool log_to_stderr = true;   // foreground without --no-stderr
  std::string pid_file;        // empty = none
  std::string utmp_path;       // empty = the system's (tests point it elsewhere)
};

class Daemon final : public DaemonFacade, private LineSink {
 public:
  // Loads the configuration, opens the firewall, jails, log sources and the control socket.
  // Configuration errors are all reported in the Status message, one per line.
  static Result<std::unique_ptr<Daemon>> Create(const DaemonOptions& options);
  ~Daemon() override;

  // Runs the loop until SIGTERM/SIGINT or `portcullis stop`.
  Status Run();

  // DaemonFacade
  std::vector<std::string> JailNames() override;
  Result<JailStatus> GetJailStatus(const std::string& jail, bool with_banned_list) override;
  Result<std::vector<BanResult>> Ban(const std::string& jail, std::span<const std::string> addrs,
                                     std::optional<int64_t> seconds, bool force) override;
  Result<std::vector<UnbanResult>> Unban(const std::optional<std::string>& jail,
                                         std::span<const std::string> addrs) override;
  Result<int64_t> UnbanAll() override;
  Result<std::vector<ActiveBan>> Banned(const std::optional<std::string>& addr) override;
  Result<std::vector<PastBan>> History(const std::string& addr) override;
  std::vector<std::string> Reload(const std::optional<std::string>& jail) override;
  Result<GetValue> Get(const std::string& jail, GetKey key) override;
  Status Set(const std::string& jail, const Setting& setting) override;
  Status FlushLogs() override;
  void RequestStop() override;

 private:
  struct JailRuntime {
    std::unique_ptr<Jail> jail;
    std::unique_ptr<BanPolicy> policy;
    FilterDef filter_def;
    std::vector<PatternId> patterns;
    uint64_t total_banned = 0;
    uint64_t refused_logged_in = 0;
  };
  struct PendingBan {
    BanRecord record;
    std::vector<std::string> matches;  // for the store; the ledger does not keep them
  };

  explicit Daemon(DaemonOptions options);

  Status Start(const Config& config);
  // Sets config_ to the parts of `config` the running daemon uses.
  void KeepConfig(const Config& config);
  // Builds jails for `config`; on success swaps them in. Errors are appended to `errors`.
  bool BuildJails(const Config& config, std::map<std::string, JailRuntime>* out,
                  std::vector<std::string>* errors);
  Status ApplyJails(std::map<std::string, JailRuntime> jails, std::vector<std::string> order,
                    const Config& config);
  Status RebuildSources();
  // For each jail that reads the systemd journal (backend "journal", or "auto" with none of its
  // logpath files present): opens a JournalSource, resuming at its saved cursor. Part of
  // RebuildSources; errors are kept per jail (status) and logged, never fatal.
  void RebuildJournalSources(std::map<std::string, std::string> cursors);
  // The journal matches a jail uses: its own journalmatch, else its filter's (any one selects).
  std::vector<std::string> JournalMatchesFor(const JailRuntime& rt) const;
  // Queues file positions and journal cursors for the next store commit.
  void SaveSourcePositions();
  void AdoptKernelBans();
  void OpenStore();
  void RestoreStoredBans();
  void CommitStore();
  StoredBan ToStored(const BanRecord& rec, std::vector<std::string> matches = {}) const;
  static BanRecord FromStored(StoredBan stored);  // without the matched lines
  // Whether `jail` bans `address` (exactly, not through a wider block) or has its ban queued.
  bool IsBannedOrPending(const std::string& jail, const IpAddress& address) const;
  // The addresses of live login sessions (ignore_logged_in), cached within a loop iteration.
  const std::vector<IpAddress>& LoggedIn();
  // Called when the loop has drained its events: resets per-iteration state.
  // The work after each loop iteration, and once before the loop starts: commit queued bans,
  // save positions (every 10 s), commit the store, flush the log.
  void AfterIteration();
  void EndIteration();
  void RefreshSelfAddresses();

  // LineSink
  void OnLine(const LineOrigin& origin, std::string_view line, bool cut) override;
  void OnEvent(const SourceEvent& event) override;

  void Consider(JailRuntime& rt, BanCandidate candidate, int64_t now);
  void CommitPending();
  void OnDeadline();
  void ScheduleDeadline();
  void OnSignal(int signo);
  Status CheckManualTarget(const JailRuntime& rt, const Cidr& target, bool force,
                           BanOutcome* outcome, std::string* detail);
  Duration NextBanTime(const JailRuntime& rt, const IpAddress& addr, int64_t now);
  void LogBan(const BanRecord& rec, const char* how);
  JailSpec SpecFor(const JailConfig& jc) const;
  JailRuntime* FindJail(const std::string& name);

  DaemonOptions options_;
  Config config_;  // see KeepConfig: no origins, enabled jails only
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Firewall> firewall_;
  std::unique_ptr<FileLineSource> source_;
  std::unique_ptr<HostInfo> host_;
  std::unique_ptr<BanStore> store_;
  int64_t next_purge_ms_ = 0;
  int64_t next_idle_sweep_ms_ = 0;  // 0: no control clients, no sweep due
  int64_t last_position_save_ms_ = 0;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<ControlServer> server_;

  std::map<std::string, JailRuntime> jails_;
  std::vector<std::string> jail_order_;
  // The jails reading each watched pattern; rebuilt with jails_ (RebuildSources), so the pointers
  // into jails_ stay valid.
  std::unordered_map<PatternId, std::vector<JailRuntime*>> pattern_jails_;
  // Jails reading the systemd journal, by jail name. `source` is null when the journal could not
  // be opened (`error` says why; `portcullis status` shows it). Their lines arrive with a
  // PatternId of kJournalPatternBase + n, routed like file patterns through pattern_jails_.
  struct JournalJail {
    std::unique_ptr<JournalSource> source;
    std::vector<std::string> matches;
    std::string description;  // "journal _COMM=sshd", for status and logs
    std::string error;
    std::string saved_cursor;  // kept while the journal cannot be opened
  };
  std::map<std::string, JournalJail> journals_;
  std::vector<JailRuntime*> line_jails_;  // scratch for OnLine
  AddressSet self_;
  BanRegistry ledger_;
  BanHistory history_;
  std::vector<PendingBan> pending_;
  // (jail, target) of pending_, for O(1) duplicate checks during a flood.
  struct PendingKeyHash {
    size_t operator()(const std::pair<std::string, Cidr>& k) const {
      return std::hash<std::string>()(k.first) * 31 + CidrHash()(k.second);
    }
  };
  std::unordered_set<std::pair<std::string, Cidr>, PendingKeyHash> pending_keys_;
  size_t ban_chunk_ = 512;   // pending bans that trigger a commit within this loop iteration
  std::vector<IpAddress> logged_in_;
  int64_t logged_in_read_ms_ = 0;
  bool logged_in_fresh_ = false;
  int64_t retry_at_ms_ = 0;  // monotonic: retry a failed firewall transaction
  int64_t watchdog_interval_ms_ = 0;
  int64_t next_watchdog_ms_ = 0;
  std::mt19937_64 rng_;
  bool stop_requested_ = false;
};

// Wall-clock epoch seconds.
int64_t WallNow();
double WallNowPrecise();

}  // namespace portcullis
