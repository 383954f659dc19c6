#include "daemon/daemon.h"

#include <grp.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "config/config_loader.h"
#include "config/filter_file.h"
#include "daemon/logging.h"
#include "daemon/sd_notify.h"
#include "firewall/memory_firewall.h"
#include "firewall/nft_firewall.h"
#include "portcullis/version.h"
#include "store/memory_ban_store.h"
#include "store/sqlite_ban_store.h"
#include "watch/inotify_tailer.h"
#include "watch/journal_source.h"
#include "watch/sd_journal_reader.h"

namespace portcullis {
namespace {

constexpr int64_t kRetryDelayMs = 1000;
constexpr int64_t kPositionSaveIntervalMs = 10000;
// Bans queued while a backlog is read are applied in chunks: the first chunk small so that the
// first attackers are blocked within milliseconds, the next ones twice as large up to the cap, so
// that a flood costs a few transactions (each store commit rewrites every page it touched).
constexpr size_t kFirstBanChunk = 512;
constexpr size_t kMaxBanChunk = 2048;
// utmp is read at most once a second within one loop iteration (see LoggedIn).
constexpr int64_t kLoggedInMaxAgeMs = 1000;
constexpr int64_t kPurgeIntervalMs = 3600 * 1000;
// While control clients are connected, connections without traffic for a whole period are
// closed (ControlServer::CloseIdle): idle for 30 to 60 s. No clients, no wake-ups.
constexpr int64_t kIdleSweepMs = 30 * 1000;
constexpr size_t kMaxStoredMatches = 5;
// Journal sources get PatternIds from here up; the tailer numbers its patterns from 1.
constexpr PatternId kJournalPatternBase = 0x80000000u;

std::string Join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// Splits a Status message that lists errors one per line (config loader) into lines.
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

bool SameFilter(const FilterDef& a, const FilterDef& b) {
  auto same_mode = [](const FilterModeDef& x, const FilterModeDef& y) {
    return x.failregex == y.failregex && x.ignoreregex == y.ignoreregex && x.include == y.include;
  };
  if (a.modes.size() != b.modes.size()) return false;
  for (const auto& [name, mode] : a.modes) {
    auto it = b.modes.find(name);
    if (it == b.modes.end() || !same_mode(mode, it->second)) return false;
  }
  return a.name == b.name && a.failregex == b.failregex && a.ignoreregex == b.ignoreregex &&
         a.prefregex == b.prefregex && a.datepattern == b.datepattern && a.no_date == b.no_date &&
         a.default_mode == b.default_mode && a.vars == b.vars && a.has_session == b.has_session &&
         a.session.key == b.session.key && a.session.remember == b.session.remember &&
         a.session.max_sessions == b.session.max_sessions && a.session.max_age == b.session.max_age;
}

BanPolicyOptions PolicyOptions(const JailConfig& jc) {
  BanPolicyOptions o;
  o.bantime = jc.bantime_permanent ? Duration::Permanent() : Duration::Seconds(jc.bantime);
  o.increment = jc.bantime_increment;
  o.factor = jc.bantime_factor;
  o.multipliers = jc.bantime_multipliers;
  if (jc.bantime_maxtime > 0) o.maxtime = Duration::Seconds(jc.bantime_maxtime);
  o.rndtime = jc.bantime_rndtime;
  o.overalljails = jc.bantime_overalljails;
  return o;
}

LogOptions LogOptionsFor(const DaemonSettings& daemon, bool foreground_stderr) {
  // "stderr" and "journal" mean no file: under systemd, stderr is the journal.
  bool no_file = daemon.log_file == "stderr" || daemon.log_file == "journal";
  LogOptions log;
  log.file = no_file ? "" : daemon.log_file;
  log.to_stderr = foreground_stderr || no_file;
  log.level = std::string(LogLevelName(daemon.log_level));  // "trace" logs as debug
  return log;
}

// "for 9m12s" or "permanently": how long a restored ban still runs.
std::string DescribeRemaining(const BanRecord& rec, int64_t now) {
  if (rec.permanent) return "permanently";
  return "for " + FormatDuration(Duration::Seconds(std::max<int64_t>(0, rec.end - now)));
}

std::string DescribeBanLength(const BanRecord& rec) {
  if (rec.permanent) return "permanently";
  return "for " + FormatDuration(Duration::Seconds(rec.end - rec.start));
}

}  // namespace

int64_t WallNow() { return static_cast<int64_t>(::time(nullptr)); }

double WallNowPrecise() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), rng_(std::random_device{}()) {}

Daemon::~Daemon() {
  if (source_ && store_) {
    SaveSourcePositions();
    (void)store_->Commit();
  }
}

Result<std::unique_ptr<Daemon>> Daemon::Create(const DaemonOptions& options) {
  std::vector<ConfigError> errors;
  Result<Config> config = LoadConfig(options.config_dir, LoadOptions{}, &errors);
  if (!config.ok()) return config.status();
  std::unique_ptr<Daemon> d(new Daemon(options));
  PORTCULLIS_RETURN_IF_ERROR(d->Start(*config));
  return d;
}

Status Daemon::Start(const Config& config) {
  PORTCULLIS_RETURN_IF_ERROR(InitLogging(LogOptionsFor(config.daemon, options_.log_to_stderr)));
  Log().info("Portcullis {} starting (config {})", PORTCULLIS_VERSION, options_.config_dir);

  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  loop_ = std::move(loop).value();

  host_ = NewSystemHostInfo(options_.utmp_path);
  KeepConfig(config);
  RefreshSelfAddresses();

  if (config.firewall.backend == FirewallBackend::kNone) {
    firewall_ = std::make_unique<MemoryFirewall>(/*log_actions=*/true);
    Log().warn("firewall backend is \"none\": nothing is really banned (dry run)");
  } else {
    NftOptions nft;
    nft.table = config.firewall.table;
    nft.priority = config.firewall.priority;
    nft.hook_input = config.firewall.hook_input;
    nft.hook_forward = config.firewall.hook_forward;
    Result<std::unique_ptr<NftFirewall>> fw = NftFirewall::Open(nft);
    if (!fw.ok()) return fw.status().WithContext("firewall");
    firewall_ = std::move(fw).value();
  }

  OpenStore();

  std::map<std::string, JailRuntime> jails;
  std::vector<std::string> errors;
  if (!BuildJails(config, &jails, &errors)) {
    return Status::InvalidArgument(Join(errors, '\n'));
  }
  std::vector<std::string> order;
  for (const JailConfig& jc : config.jails) {
    if (jc.enabled) order.push_back(jc.name);
  }
  PORTCULLIS_RETURN_IF_ERROR(ApplyJails(std::move(jails), std::move(order), config));
  AdoptKernelBans();
  RestoreStoredBans();

  if (firewall_->event_fd() >= 0) {
    PORTCULLIS_RETURN_IF_ERROR(loop_->Watch(firewall_->event_fd(), EPOLLIN, [this](uint32_t) {
      Status s = firewall_->HandleEvents();
      if (!s.ok()) {
        Log().error("firewall: {}; retrying", s.message());
        retry_at_ms_ = EventLoop::MonotonicMs() + kRetryDelayMs;
        ScheduleDeadline();
      }
    }));
  }

  dispatcher_ = std::make_unique<Dispatcher>(this);
  server_ = std::make_unique<ControlServer>(dispatcher_.get());
  std::optional<gid_t> gid;
  if (!config.daemon.socket_group.empty() && config.daemon.socket_group != "root") {
    if (group* g = getgrnam(config.daemon.socket_group.c_str())) {
      gid = g->gr_gid;
    } else {
      Log().warn("socket_group '{}' does not exist; the control socket stays root-only",
                 config.daemon.socket_group);
    }
  }
  PORTCULLIS_RETURN_IF_ERROR(
      server_->Listen(config.daemon.socket, static_cast<mode_t>(config.daemon.socket_mode), gid)
          .WithContext("control socket"));
  PORTCULLIS_RETURN_IF_ERROR(
      loop_->Watch(server_->fd(), EPOLLIN, [this](uint32_t) {
        server_->OnReadable();
        if (server_->client_count() > 0 && next_idle_sweep_ms_ == 0) ScheduleDeadline();
      }));

  PORTCULLIS_RETURN_IF_ERROR(loop_->HandleSignals({SIGHUP, SIGTERM, SIGINT, SIGUSR1},
                                                  [this](int signo) { OnSignal(signo); }));
  loop_->OnDeadline([this] { OnDeadline(); });

  watchdog_interval_ms_ = SdWatchdogIntervalMs() / 2;
  if (watchdog_interval_ms_ > 0) next_watchdog_ms_ = EventLoop::MonotonicMs();

  std::string pid_file = options_.pid_file.empty() ? config.daemon.pid_file : options_.pid_file;
  if (!pid_file.empty()) {
    // stdio, not an ofstream: iostreams would pull the C++ locale machinery into memory for
    // one line (about 0.2 MB of RSS for the daemon's life). And fputs, not fprintf: nothing
    // else in the daemon formats with printf, whose code keeps two 64 KiB windows of libc
    // resident.
    FILE* pf = std::fopen(pid_file.c_str(), "w");
    std::string line = std::to_string(getpid()) + "\n";
    bool ok = pf != nullptr && std::fputs(line.c_str(), pf) >= 0;
    if (pf != nullptr && std::fclose(pf) != 0) ok = false;
    if (!ok) Log().warn("cannot write pid file {}", pid_file);
  }
  return Status::Ok();
}

// Only what the running daemon reads again: the settings, and the enabled jails (a reload
// compares against them). Config::origins (every key's source line, for `config-dump`, which reads
// the files itself) and the disabled jails would stay in memory for the daemon's life unread.
void Daemon::KeepConfig(const Config& config) {
  config_.daemon = config.daemon;
  config_.firewall = config.firewall;
  config_.database = config.database;
  config_.jails.clear();
  for (const JailConfig& jc : config.jails) {
    if (jc.enabled) config_.jails.push_back(jc);
  }
  config_.origins.clear();
}

void Daemon::RefreshSelfAddresses() {
  self_.Clear();
  std::vector<Cidr> blocks;
  for (const IpAddress& a : host_->OwnAddresses()) blocks.emplace_back(a);
  self_.AddAll(blocks);
}

bool Daemon::BuildJails(const Config& config, std::map<std::string, JailRuntime>* out,
                        std::vector<std::string>* errors) {
  std::vector<std::string> dirs = {options_.config_dir + "/filters.d"};
  for (const JailConfig& jc : config.jails) {
    if (!jc.enabled) continue;
    Result<std::string> path = FindFilterFile(jc.filter, dirs);
    if (!path.ok()) {
      errors->push_back("[" + jc.name + "] filter '" + jc.filter + "': " + path.status().message());
      continue;
    }
    Result<FilterDef> def = LoadFilterFile(*path);
    if (!def.ok()) {
      errors->push_back("[" + jc.name + "] " + def.status().message());
      continue;
    }
    if (jc.backend == LogBackend::kJournal && jc.journalmatch.empty() &&
        def->journalmatch.empty()) {
      errors->push_back("[" + jc.name + "] backend \"journal\" needs a journalmatch (the " +
                        "jail has none, nor has its filter '" + jc.filter + "')");
      continue;
    }
    Result<std::unique_ptr<Jail>> jail = Jail::Create(jc, *def, &self_);
    if (!jail.ok()) {
      errors->push_back(jail.status().message());
      continue;
    }
    BanPolicyOptions po = PolicyOptions(jc);
    if (Status s = BanPolicy::Validate(po); !s.ok()) {
      errors->push_back("[" + jc.name + "] " + s.message());
      continue;
    }
    // Host names in ignoreip are resolved here, at start and reload, never on the hot path.
    for (const std::string& host : jc.ignore_hosts) {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) {
        Log().warn("[{}] ignoreip: cannot resolve '{}'", jc.name, host);
        continue;
      }
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
          const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
          (*jail)->AddResolvedIgnore(Cidr(IpAddress::FromV4(ntohl(sin->sin_addr.s_addr))));
        } else if (ai->ai_family == AF_INET6) {
          const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
          (*jail)->AddResolvedIgnore(Cidr(IpAddress::FromBytes({sin6->sin6_addr.s6_addr, 16})));
        }
      }
      freeaddrinfo(res);
    }
    // Failures of addresses this jail already bans (or is about to) do not count again.
    (*jail)->set_banned_check(
        [this, name = jc.name](const IpAddress& a) { return IsBannedOrPending(name, a); });
    JailRuntime rt;
    rt.jail = std::move(jail).value();
    rt.policy = std::make_unique<BanPolicy>(po);
    rt.filter_def = std::move(def).value();
    (*out)[jc.name] = std::move(rt);
  }
  return errors->empty();
}

JailSpec Daemon::SpecFor(const JailConfig& jc) const {
  JailSpec spec;
  spec.name = jc.name;
  if (!jc.all_ports) spec.ports = jc.ports;
  if (!jc.all_protocols) spec.protocols = jc.protocols;
  spec.action = jc.blocktype == BlockType::kDrop ? BlockAction::kDrop : BlockAction::kReject;
  return spec;
}

Status Daemon::ApplyJails(std::map<std::string, JailRuntime> jails, std::vector<std::string> order,
                          const Config& config) {
  std::vector<JailSpec> specs;
  for (const std::string& name : order) specs.push_back(SpecFor(jails.at(name).jail->config()));
  PORTCULLIS_RETURN_IF_ERROR(firewall_->SetUpJails(specs).WithContext("firewall"));

  // Jails that went away: their bans go with them (the firewall drops their sets).
  for (const std::string& installed : firewall_->Jails()) {
    if (jails.count(installed) != 0) continue;
    for (const BanRecord* rec : ledger_.List(installed)) {
      EventLog().info("[{}] Unban {} (jail removed)", installed, rec->target.ToString());
    }
    for (const BanRecord* rec : ledger_.List(installed)) {
      BanRecord copy = *rec;
      ledger_.Remove(copy.jail, copy.target);
    }
    if (store_) store_->RemoveJailBans(installed);
    Status s = firewall_->RemoveJail(installed);
    if (!s.ok()) Log().error("[{}] cannot remove jail from the firewall: {}", installed, s.message());
    else Log().info("[{}] jail removed", installed);
  }

  jails_ = std::move(jails);
  jail_order_ = std::move(order);
  KeepConfig(config);
  PORTCULLIS_RETURN_IF_ERROR(RebuildSources());
  for (const std::string& name : jail_order_) {
    const JailRuntime& rt = jails_.at(name);
    if (journals_.count(name) != 0) continue;  // reads the journal (logged there)
    std::vector<std::string> files;
    for (PatternId p : rt.patterns) {
      for (const std::string& f : source_->ExistingFiles(p)) files.push_back(f);
    }
    if (files.empty()) {
      Log().warn("[{}] none of its log files exist yet ({}); watching for them", name,
                 Join(rt.jail->config().logpath, '\n'));
    }
  }
  return Status::Ok();
}

Status Daemon::RebuildSources() {
  std::vector<FilePosition> positions;
  std::map<std::string, std::string> cursors;  // jail -> journal cursor
  if (source_) {
    positions = source_->Positions();
    loop_->Unwatch(source_->fd());
    for (auto& [name, jj] : journals_) {
      if (jj.source) {
        loop_->Unwatch(jj.source->fd());
        if (!jj.source->cursor().empty()) cursors[name] = jj.source->cursor();
      } else if (!jj.saved_cursor.empty()) {
        cursors[name] = jj.saved_cursor;
      }
    }
  } else {
    Result<std::vector<FilePosition>> saved = store_->LoadPositions();
    if (saved.ok()) {
      positions = std::move(saved).value();
    } else {
      Log().error("database: cannot read saved file positions: {}", saved.status().message());
    }
    Result<std::vector<JournalCursor>> saved_cursors = store_->LoadJournalCursors();
    if (saved_cursors.ok()) {
      for (JournalCursor& c : *saved_cursors) cursors[c.key] = std::move(c.cursor);
    } else {
      Log().error("database: cannot read saved journal cursors: {}",
                  saved_cursors.status().message());
    }
  }
  Result<std::unique_ptr<InotifyTailer>> tailer = InotifyTailer::Create();
  if (!tailer.ok()) return tailer.status();
  source_ = std::move(tailer).value();
  pattern_jails_.clear();
  for (const std::string& name : jail_order_) {
    JailRuntime& rt = jails_.at(name);
    rt.patterns.clear();
    for (const std::string& path : rt.jail->config().logpath) {
      Result<PatternId> id = source_->AddPattern(path, positions);
      if (!id.ok()) {
        Log().error("[{}] cannot watch {}: {}", name, path, id.status().message());
        continue;
      }
      rt.patterns.push_back(*id);
      pattern_jails_[*id].push_back(&rt);
    }
  }
  PORTCULLIS_RETURN_IF_ERROR(loop_->Watch(source_->fd(), EPOLLIN, [this](uint32_t) {
    Status s = source_->OnReadable(*this);
    if (!s.ok()) Log().error("log sources: {}", s.message());
  }));
  RebuildJournalSources(std::move(cursors));
  // Read any backlog behind saved positions now.
  Status s = source_->OnReadable(*this);
  if (!s.ok()) Log().error("log sources: {}", s.message());
  for (auto& [name, jj] : journals_) {
    if (!jj.source) continue;
    Status js = jj.source->OnReadable(*this);
    if (!js.ok()) Log().error("[{}] journal: {}", name, js.message());
  }
  return Status::Ok();
}

std::vector<std::string> Daemon::JournalMatchesFor(const JailRuntime& rt) const {
  const JailConfig& jc = rt.jail->config();
  if (!jc.journalmatch.empty()) return jc.journalmatch;
  // A filter lists alternatives ("any of them selects an entry"): one OR-ed group each.
  std::vector<std::string> out;
  for (const std::string& m : rt.filter_def.journalmatch) {
    if (!out.empty()) out.push_back("+");
    out.push_back(m);
  }
  return out;
}

void Daemon::RebuildJournalSources(std::map<std::string, std::string> cursors) {
  journals_.clear();
  PatternId next_id = kJournalPatternBase;
  for (const std::string& name : jail_order_) {
    JailRuntime& rt = jails_.at(name);
    const JailConfig& jc = rt.jail->config();
    if (jc.backend == LogBackend::kFile) continue;
    std::vector<std::string> matches = JournalMatchesFor(rt);
    if (jc.backend == LogBackend::kAuto) {
      // "auto": the logpath files that exist win; the journal only when none does and the jail
      // itself has a journalmatch (a filter's alone does not switch a jail whose log is merely
      // late). Decided at start and at each reload; never both, or lines would count twice.
      bool any_file = false;
      for (PatternId p : rt.patterns) any_file = any_file || !source_->ExistingFiles(p).empty();
      if (any_file || jc.journalmatch.empty()) continue;
      for (PatternId p : rt.patterns) {
        std::vector<JailRuntime*>& jails = pattern_jails_[p];
        jails.erase(std::remove(jails.begin(), jails.end(), &rt), jails.end());
      }
      rt.patterns.clear();
    }
    JournalJail& jj = journals_[name];
    jj.matches = matches;
    jj.description = "journal";
    for (const std::string& m : matches) jj.description += " " + m;
    if (!jc.journalpath.empty()) jj.description += " in " + Join(jc.journalpath, ' ');
    if (auto it = cursors.find(name); it != cursors.end()) jj.saved_cursor = it->second;

    Result<std::unique_ptr<JournalReader>> reader = OpenSdJournal(jc.journalpath);
    Result<std::unique_ptr<JournalSource>> src = reader.status();
    if (reader.ok()) {
      JournalSource::Options o;
      o.jail = name;
      o.description = jj.description;
      o.pattern = next_id++;
      o.matches = matches;
      o.cursor = jj.saved_cursor;
      src = JournalSource::Create(std::move(reader).value(), std::move(o));
    }
    if (src.ok()) {
      Status w = loop_->Watch((*src)->fd(), EPOLLIN, [this, name](uint32_t) {
        auto it = journals_.find(name);
        if (it == journals_.end() || !it->second.source) return;
        Status s = it->second.source->OnReadable(*this);
        if (!s.ok()) Log().error("[{}] journal: {}", name, s.message());
      });
      if (!w.ok()) src = w;
    }
    if (!src.ok()) {
      jj.error = src.status().message();
      Log().error("[{}] cannot read the systemd journal: {}; the jail runs without input", name,
                  jj.error);
      continue;
    }
    jj.source = std::move(src).value();
    pattern_jails_[next_id - 1].push_back(&rt);
    Log().info("[{}] reading the systemd {} ({})", name, jj.description,
               jj.saved_cursor.empty() ? "new entries" : "after the saved cursor");
  }
}

void Daemon::SaveSourcePositions() {
  store_->SavePositions(source_->Positions());
  std::vector<JournalCursor> cursors;
  for (const auto& [name, jj] : journals_) {
    const std::string& c = jj.source ? jj.source->cursor() : jj.saved_cursor;
    if (!c.empty()) cursors.push_back(JournalCursor{name, c});
  }
  store_->SaveJournalCursors(cursors);
}

void Daemon::AdoptKernelBans() {
  int64_t now = WallNow();
  size_t adopted = 0;
  for (const std::string& name : jail_order_) {
    Result<std::vector<BanEntry>> held = firewall_->List(name);
    if (!held.ok()) {
      Log().error("[{}] cannot list the firewall's bans: {}", name, held.status().message());
      continue;
    }
    for (const BanEntry& e : *held) {
      if (ledger_.Find(name, e.target) != nullptr) continue;
      BanRecord rec;
      rec.jail = name;
      rec.target = e.target;
      rec.start = now;
      rec.permanent = !e.remaining.has_value();
      rec.end = rec.permanent ? 0 : now + (e.remaining->count() + 999) / 1000;
      ledger_.Put(rec);
      ++adopted;
      EventLog().info("[{}] Restore {} {}", name, e.target.ToString(), DescribeRemaining(rec, now));
    }
  }
  if (adopted > 0) Log().info("adopted {} bans already held by the firewall", adopted);
}

Status Daemon::Run() {
  SdNotify("READY=1\nSTATUS=watching " + std::to_string(jail_order_.size()) + " jails");
  Log().info("Portcullis started: {} jails, {} active bans", jail_order_.size(), ledger_.size());
  FlushLog();
  last_position_save_ms_ = EventLoop::MonotonicMs();
  next_purge_ms_ = last_position_save_ms_ + 60 * 1000;  // first purge soon after start
  ScheduleDeadline();
  loop_->OnIdle([this] { AfterIteration(); });
  // The lines read at startup (a backlog written while the daemon was stopped) may have queued
  // bans: commit them now, not after whatever event happens to come first.
  AfterIteration();
  Status s = loop_->Run();
  SdNotify("STOPPING=1");
  CommitPending();
  SaveSourcePositions();
  CommitStore();
  Log().info("Portcullis stopped ({} bans stay in the kernel until they expire)", ledger_.size());
  FlushLog();
  return s;
}

void Daemon::OnSignal(int signo) {
  switch (signo) {
    case SIGHUP: {
      std::vector<std::string> errors = Reload(std::nullopt);
      for (const std::string& e : errors) Log().error("reload: {}", e);
      break;
    }
    case SIGUSR1:
      (void)FlushLogs();
      break;
    default:
      Log().info("signal {}: stopping", signo);
      RequestStop();
      break;
  }
}

void Daemon::OnLine(const LineOrigin& origin, std::string_view line, bool cut) {
  (void)cut;
  double now = WallNowPrecise();
  // A file named by two patterns of one jail must reach that jail once.
  std::vector<JailRuntime*>& done = line_jails_;  // a member: no allocation per line
  done.clear();
  for (PatternId p : origin.patterns) {
    auto it = pattern_jails_.find(p);
    if (it == pattern_jails_.end()) continue;
    for (JailRuntime* rt : it->second) {
      if (std::find(done.begin(), done.end(), rt) != done.end()) continue;
      done.push_back(rt);
      std::optional<BanCandidate> c = rt->jail->OnLine(line, now);
      if (rt->jail->last_found() && Log().should_log(spdlog::level::debug)) {
        Log().debug("[{}] Found {} - {:.0f}", rt->jail->name(),
                    rt->jail->last_found()->first.ToString(), rt->jail->last_found()->second);
      }
      if (c) Consider(*rt, std::move(*c), static_cast<int64_t>(now));
    }
  }
}

void Daemon::OnEvent(const SourceEvent& event) {
  switch (event.kind) {
    case SourceEventKind::kOpened:
      Log().info("following {} ({})", event.path, event.detail);
      break;
    case SourceEventKind::kRotated:
      Log().info("{} was rotated; following the new file", event.path);
      break;
    case SourceEventKind::kTruncated:
      Log().info("{} was truncated; reading it from the start", event.path);
      break;
    case SourceEventKind::kGone:
      Log().info("{} is gone; waiting for it to reappear", event.path);
      break;
    case SourceEventKind::kOversizeLine:
      Log().warn("{}: a line longer than 64 KiB was cut ({} so far)", event.path, event.count);
      break;
    case SourceEventKind::kError:
      Log().error("{}: {}", event.path, event.detail);
      break;
  }
}

Duration Daemon::NextBanTime(const JailRuntime& rt, const IpAddress& addr, int64_t now) {
  const JailConfig& jc = rt.jail->config();
  if (!jc.bantime_increment) {
    return jc.bantime_permanent ? Duration::Permanent() : Duration::Seconds(jc.bantime);
  }
  int64_t since = now - config_.database.purge_age;
  int previous = rt.policy->PreviousBans(history_, jc.name, addr, since);
  BanPolicyOptions po = rt.policy->options();
  po.bantime = jc.bantime_permanent ? Duration::Permanent() : Duration::Seconds(jc.bantime);
  return BanPolicy(po).BanDuration(previous, rng_());
}

void Daemon::Consider(JailRuntime& rt, BanCandidate c, int64_t now) {
  const JailConfig& jc = rt.jail->config();
  Cidr target(c.address);
  if (IsBannedOrPending(jc.name, c.address)) return;  // late lines (Jail checks this first)
  if (self_.Contains(c.address)) {
    // ignoreself = false lets failures from this host count, but a ban never blocks the host
    // from itself.
    Log().warn("[{}] not banning {}: it is an address of this host", jc.name,
               c.address.ToString());
    rt.jail->Forget(c.address);
    return;
  }
  if (jc.ignore_logged_in) {
    for (const IpAddress& a : LoggedIn()) {
      if (a == c.address) {
        ++rt.refused_logged_in;
        Log().warn("[{}] not banning {}: it has a live login session on this host "
                   "(ignore_logged_in)", jc.name, c.address.ToString());
        rt.jail->Forget(c.address);
        return;
      }
    }
  }
  Duration d = NextBanTime(rt, c.address, now);
  PendingBan p;
  p.record.jail = jc.name;
  p.record.target = target;
  p.record.start = now;
  p.record.permanent = d.permanent;
  p.record.end = d.permanent ? 0 : now + d.seconds;
  p.record.failures = c.failures;
  p.matches = std::move(c.matches);
  int64_t since = now - config_.database.purge_age;
  p.record.ban_count = history_.Count(jc.name, c.address, since) + 1;
  pending_keys_.insert({p.record.jail, p.record.target});
  pending_.push_back(std::move(p));
  // A flood is read in one loop turn: apply bans in chunks on the way, so the first attackers are
  // blocked within milliseconds and the queue stays small.
  if (pending_.size() >= ban_chunk_) {
    CommitPending();
    ban_chunk_ = std::min(ban_chunk_ * 2, kMaxBanChunk);
  }
}

void Daemon::CommitPending() {
  if (pending_.empty()) return;
  if (retry_at_ms_ != 0 && EventLoop::MonotonicMs() < retry_at_ms_) return;
  FirewallBatch batch;
  batch.Reserve(pending_.size());
  int64_t now = WallNow();
  for (PendingBan& p : pending_) {
    // A retried ban keeps its end; its length counts from now.
    std::optional<std::chrono::milliseconds> timeout;
    if (!p.record.permanent) {
      int64_t left = std::max<int64_t>(1, p.record.end - now);
      timeout = std::chrono::milliseconds(left * 1000);
    }
    batch.Ban(p.record.jail, p.record.target, timeout);
  }
  Status s = firewall_->Apply(batch);
  if (!s.ok()) {
    Log().error("firewall: {} bans not applied: {}; retrying in 1s", pending_.size(), s.message());
    retry_at_ms_ = EventLoop::MonotonicMs() + kRetryDelayMs;
    (void)firewall_->Resync();
    ScheduleDeadline();
    return;
  }
  retry_at_ms_ = 0;
  // The bans are in the kernel: make them durable before reporting them as applied.
  for (PendingBan& p : pending_) store_->AddBan(ToStored(p.record, std::move(p.matches)));
  CommitStore();
  for (PendingBan& p : pending_) {
    const BanRecord& rec = p.record;
    JailRuntime* rt = FindJail(rec.jail);
    if (rt != nullptr) {
      ++rt->total_banned;
      rt->jail->Forget(rec.target.network());
    }
    history_.Record(rec.jail, rec.target.network(), rec.start);
    LogBan(p.record, nullptr);
    ledger_.Put(std::move(p.record));
  }
  pending_.clear();
  pending_keys_.clear();
  ScheduleDeadline();
}

void Daemon::LogBan(const BanRecord& rec, const char* how) {
  std::string why;
  if (how != nullptr) {
    why = how;
  } else {
    why = std::to_string(rec.failures) + (rec.failures == 1 ? " failure" : " failures");
    if (rec.ban_count > 1) why += ", ban #" + std::to_string(rec.ban_count);
  }
  EventLog().info("[{}] Ban {} {} ({})", rec.jail, rec.target.ToString(), DescribeBanLength(rec),
                  why);
}

void Daemon::OnDeadline() {
  int64_t mono = EventLoop::MonotonicMs();
  for (BanRecord& rec : ledger_.Expire(WallNow())) {
    store_->RemoveBan(rec.jail, rec.target);
    EventLog().info("[{}] Unban {} (expired)", rec.jail, rec.target.ToString());
  }
  if (mono >= next_purge_ms_) {
    next_purge_ms_ = mono + kPurgeIntervalMs;
    const int64_t before = WallNow() - config_.database.purge_age;
    Status ps = store_->Purge(before);
    if (!ps.ok()) Log().error("database purge: {}", ps.message());
    // The in-memory history follows the database: without this it would hold every address
    // ever banned since the start.
    history_.Purge(before);
  }
  CommitStore();
  if (retry_at_ms_ != 0 && mono >= retry_at_ms_) {
    retry_at_ms_ = 0;
    Status s = firewall_->Resync();
    if (!s.ok()) Log().error("firewall resync: {}", s.message());
    CommitPending();
  }
  if (next_idle_sweep_ms_ != 0 && mono >= next_idle_sweep_ms_) {
    next_idle_sweep_ms_ = 0;  // ScheduleDeadline sets the next one if clients remain
    if (size_t n = server_->CloseIdle()) {
      Log().info("control socket: closed {} connection(s) idle for over {} s", n,
                 kIdleSweepMs / 1000);
    }
  }
  if (watchdog_interval_ms_ > 0 && mono >= next_watchdog_ms_) {
    SdNotify("WATCHDOG=1");
    next_watchdog_ms_ = mono + watchdog_interval_ms_;
  }
  ScheduleDeadline();
}

void Daemon::ScheduleDeadline() {
  int64_t mono = EventLoop::MonotonicMs();
  int64_t next = 0;
  auto consider = [&next](int64_t t) {
    if (t > 0 && (next == 0 || t < next)) next = t;
  };
  if (std::optional<int64_t> exp = ledger_.NextExpiry()) {
    // The kernel drops the element at its timeout; log the Unban just after.
    consider(mono + std::max<int64_t>(0, *exp - WallNow()) * 1000 + 50);
  }
  consider(retry_at_ms_);
  if (watchdog_interval_ms_ > 0) consider(next_watchdog_ms_);
  consider(next_purge_ms_);
  if (server_ != nullptr && server_->client_count() > 0) {
    if (next_idle_sweep_ms_ == 0) next_idle_sweep_ms_ = mono + kIdleSweepMs;
    consider(next_idle_sweep_ms_);
  } else {
    next_idle_sweep_ms_ = 0;
  }
  loop_->SetDeadline(next);
}

Daemon::JailRuntime* Daemon::FindJail(const std::string& name) {
  auto it = jails_.find(name);
  return it == jails_.end() ? nullptr : &it->second;
}

void Daemon::AfterIteration() {
  CommitPending();
  EndIteration();
  int64_t now = EventLoop::MonotonicMs();
  if (now - last_position_save_ms_ >= kPositionSaveIntervalMs) {
    SaveSourcePositions();
    last_position_save_ms_ = now;
  }
  CommitStore();
  FlushLog();
}

void Daemon::EndIteration() {
  ban_chunk_ = kFirstBanChunk;
  logged_in_fresh_ = false;
}

const std::vector<IpAddress>& Daemon::LoggedIn() {
  // Read afresh in every loop iteration (a line that arrives after a login sees the session), but
  // a flood read in one long iteration, with thousands of candidates, reads utmp once a second.
  const int64_t now = EventLoop::MonotonicMs();
  if (!logged_in_fresh_ || now - logged_in_read_ms_ >= kLoggedInMaxAgeMs) {
    logged_in_ = host_->LoggedInAddresses();
    logged_in_read_ms_ = now;
    logged_in_fresh_ = true;
  }
  return logged_in_;
}

bool Daemon::IsBannedOrPending(const std::string& jail, const IpAddress& address) const {
  if (ledger_.HoldsHost(jail, address)) return true;
  return !pending_keys_.empty() && pending_keys_.count({jail, Cidr(address)}) != 0;
}

BanRecord Daemon::FromStored(StoredBan b) {
  BanRecord rec;
  rec.jail = std::move(b.jail);
  rec.target = b.target;
  rec.start = b.start;
  rec.end = b.end;
  rec.permanent = b.permanent;
  rec.ban_count = b.ban_count;
  rec.failures = b.failures;
  return rec;
}

StoredBan Daemon::ToStored(const BanRecord& rec, std::vector<std::string> matches) const {
  StoredBan b;
  b.jail = rec.jail;
  b.target = rec.target;
  b.start = rec.start;
  b.end = rec.end;
  b.permanent = rec.permanent;
  b.ban_count = rec.ban_count;
  b.failures = rec.failures;
  if (matches.size() > kMaxStoredMatches) {
    matches.erase(matches.begin(), matches.end() - static_cast<std::ptrdiff_t>(kMaxStoredMatches));
  }
  b.matches = std::move(matches);
  return b;
}

void Daemon::OpenStore() {
  std::string path = config_.database.file;
  if (path.empty() || path == ":memory:") {
    store_ = std::make_unique<MemoryBanStore>();
    (void)store_->Open();
    Log().warn("database disabled: bans and positions are not kept across restarts");
    return;
  }
  SqliteBanStoreOptions o;
  o.path = path;
  o.now = WallNow();
  auto sqlite = std::make_unique<SqliteBanStore>(o);
  Status s = sqlite->Open();
  if (!s.ok()) {
    Log().critical("database {} cannot be used: {}; running WITHOUT persistence (bans held by "
                   "the kernel are still adopted)", path, s.message());
    store_ = std::make_unique<MemoryBanStore>();
    (void)store_->Open();
    return;
  }
  if (sqlite->recovered_from_corruption()) {
    Log().critical("database {} was damaged and has been moved aside: {}", path,
                   sqlite->recovery_message());
  }
  store_ = std::move(sqlite);
}

void Daemon::RestoreStoredBans() {
  int64_t now = WallNow();
  Result<std::vector<HistoryCount>> counts =
      store_->LoadHistoryCounts(now - config_.database.purge_age);
  if (counts.ok()) {
    for (const HistoryCount& h : *counts) {
      history_.Restore(h.jail, h.target.network(), h.count, h.last_ban);
    }
  } else {
    Log().error("database: cannot read ban history: {}", counts.status().message());
  }
  Result<std::vector<StoredBan>> stored = store_->LoadActiveBansWithoutMatches(now);
  if (!stored.ok()) {
    Log().error("database: cannot read active bans: {}", stored.status().message());
    return;
  }
  // Bans the kernel still holds were adopted already: take the stored facts for them (start,
  // count) and do not add them again. The rest go back to the kernel. The adopted ones the
  // database does not know are saved below (ledger records stay put: their addresses identify
  // them).
  std::vector<const BanRecord*> kernel_held = ledger_.List();
  std::unordered_set<const BanRecord*> known;
  // Applied in chunks: one transaction of 100,000 elements is hardly faster than 13 of 8,192,
  // and the chunks keep the batch, the netlink messages and the records small.
  constexpr size_t kRestoreChunk = 8192;
  FirewallBatch batch;
  std::vector<BanRecord> restored;
  size_t adopted = 0, restored_count = 0;
  auto apply_chunk = [&]() -> bool {
    if (!batch.empty()) {
      Status s = firewall_->Apply(batch);
      if (!s.ok()) {
        Log().error("firewall: cannot restore {} saved bans: {}", restored.size(), s.message());
        return false;
      }
    }
    for (BanRecord& rec : restored) {
      EventLog().info("[{}] Restore {} {}", rec.jail, rec.target.ToString(),
                      DescribeRemaining(rec, now));
      ledger_.Put(std::move(rec));
    }
    restored_count += restored.size();
    restored.clear();
    batch = FirewallBatch();
    return true;
  };
  for (StoredBan& b : *stored) {
    if (FindJail(b.jail) == nullptr) {
      store_->RemoveBan(b.jail, b.target);  // the jail is gone from the configuration
      continue;
    }
    BanRecord rec = FromStored(std::move(b));
    if (const BanRecord* held = ledger_.Find(rec.jail, rec.target)) {
      // The kernel's remaining time is the truth for when it ends.
      if (!held->permanent) rec.end = held->end;
      rec.permanent = held->permanent;
      known.insert(held);
      ledger_.Put(std::move(rec));
      ++adopted;
      continue;
    }
    std::optional<std::chrono::milliseconds> timeout;
    if (!rec.permanent) timeout = std::chrono::milliseconds((rec.end - now) * 1000);
    batch.Ban(rec.jail, rec.target, timeout);
    restored.push_back(std::move(rec));
    if (restored.size() >= kRestoreChunk && !apply_chunk()) return;
  }
  *stored = {};
  if (!apply_chunk()) return;
  // Bans only the kernel knew about (a lost or new database) become durable too.
  for (const BanRecord* rec : kernel_held) {
    if (known.count(rec) == 0) store_->PutBan(ToStored(*rec));
  }
  if (restored_count > 0 || adopted > 0) {
    Log().info("restored {} bans from the database ({} were still in the kernel)",
               restored_count + adopted, adopted);
  }
  CommitStore();
}

void Daemon::CommitStore() {
  if (!store_ || store_->pending() == 0) return;
  Status s = store_->Commit();
  if (!s.ok()) Log().error("database: {} (will retry)", s.message());
}

// ---- DaemonFacade ----

std::vector<std::string> Daemon::JailNames() { return jail_order_; }

Result<JailStatus> Daemon::GetJailStatus(const std::string& name, bool with_banned_list) {
  JailRuntime* rt = FindJail(name);
  if (rt == nullptr) return Status::NotFound("no jail named '" + name + "'");
  int64_t now = WallNow();
  rt->jail->Expire(now);
  const JailStats& st = rt->jail->stats();
  JailStatus out;
  out.name = name;
  out.currently_failed = static_cast<int64_t>(rt->jail->currently_failed());
  out.total_failed = static_cast<int64_t>(st.failures);
  for (PatternId p : rt->patterns) {
    for (const std::string& f : source_->ExistingFiles(p)) out.files.push_back(f);
  }
  auto journal = journals_.find(name);
  if (journal != journals_.end()) {
    const JournalJail& jj = journal->second;
    out.files.push_back(jj.error.empty() ? jj.description
                                         : jj.description + " (unavailable: " + jj.error + ")");
  }
  std::vector<const BanRecord*> bans = ledger_.List(name);
  out.currently_banned = static_cast<int64_t>(bans.size());
  if (with_banned_list) {
    for (const BanRecord* rec : bans) out.banned.push_back(rec->target.ToString());
  }
  out.total_banned = static_cast<int64_t>(rt->total_banned);
  if (Result<std::vector<JailCounters>> counters = firewall_->Counters(); counters.ok()) {
    for (const JailCounters& c : *counters) {
      if (c.jail == name) out.packets_blocked = c.packets;
    }
  }
  out.counters = {
      {"lines_read", st.lines_read},
      {"lines_prefiltered", st.lines_skipped},
      {"lines_no_date", st.lines_no_date},
      {"lines_ignoreregex", st.lines_ignored_regex},
      {"lines_missed", st.lines_missed},
      {"failures", st.failures},
      {"ignored_ip", st.ignored_ip},
      {"too_old", st.too_old},
      {"already_banned", st.already_banned},
      {"future_dated", st.future},
      {"host_not_address", st.not_address},
      {"ignored_logged_in", rt->refused_logged_in},
      {"banned", rt->total_banned},
  };
  if (journal != journals_.end()) {
    if (!journal->second.error.empty()) out.counters.push_back({"journal_unavailable", 1});
  } else if (out.files.empty()) {
    out.counters.push_back({"missing_logs", rt->jail->config().logpath.size()});
  }
  return out;
}

Status Daemon::CheckManualTarget(const JailRuntime& rt, const Cidr& target, bool force,
                                 BanOutcome* outcome, std::string* detail) {
  const IpAddress& net = target.network();
  int min_prefix = net.is_v4() ? config_.daemon.min_prefix_v4 : config_.daemon.min_prefix_v6;
  if (target.prefix_len() == 0 ||
      (target.is_host() && (net.IsLoopback() || net.IsUnspecified())) ||
      (!target.is_host() && (target.Contains(*IpAddress::Parse("127.0.0.1")) ||
                             target.Contains(*IpAddress::Parse("::1"))))) {
    *outcome = target.prefix_len() == 0 ? BanOutcome::kRefusedTooWide : BanOutcome::kRefusedLoopback;
    *detail = target.prefix_len() == 0 ? "a ban of every address is never allowed"
                                       : "loopback addresses are never banned";
    return Status::InvalidArgument(*detail);
  }
  for (const IpAddress& own : host_->OwnAddresses()) {
    if (target.Contains(own)) {
      *outcome = BanOutcome::kRefusedOwnAddress;
      *detail = "covers " + own.ToString() + ", an address of this host";
      return Status::InvalidArgument(*detail);
    }
  }
  if (target.prefix_len() < min_prefix && !force) {
    *outcome = BanOutcome::kRefusedTooWide;
    *detail = "prefix shorter than /" + std::to_string(min_prefix) + " (use --force)";
    return Status::InvalidArgument(*detail);
  }
  if (!force) {
    IgnoreVerdict v = rt.jail->CheckIgnored(net);
    if (target.is_host() && v.ignored) {
      *outcome = BanOutcome::kRefusedIgnored;
      *detail = v.reason + " (use --force)";
      return Status::InvalidArgument(*detail);
    }
  }
  return Status::Ok();
}

Result<std::vector<BanResult>> Daemon::Ban(const std::string& jail,
                                           std::span<const std::string> addrs,
                                           std::optional<int64_t> seconds, bool force) {
  JailRuntime* rt = FindJail(jail);
  if (rt == nullptr) return Status::NotFound("no jail named '" + jail + "'");
  int64_t now = WallNow();
  std::vector<BanResult> results(addrs.size());
  FirewallBatch batch;
  std::vector<std::pair<size_t, BanRecord>> applied;
  std::set<Cidr> in_batch;
  for (size_t i = 0; i < addrs.size(); ++i) {
    results[i].addr = addrs[i];
    Result<Cidr> target = Cidr::Parse(addrs[i]);
    if (!target.ok()) {
      results[i].outcome = BanOutcome::kInvalid;
      results[i].detail = target.status().message();
      continue;
    }
    BanOutcome refused;
    if (!CheckManualTarget(*rt, *target, force, &refused, &results[i].detail).ok()) {
      results[i].outcome = refused;
      continue;
    }
    if (!in_batch.insert(*target).second) {
      results[i].outcome = BanOutcome::kAlreadyBanned;
      continue;
    }
    Duration d = seconds ? (*seconds == kPermanentBan ? Duration::Permanent()
                                                      : Duration::Seconds(*seconds))
                         : NextBanTime(*rt, target->network(), now);
    BanRecord rec;
    rec.jail = jail;
    rec.target = *target;
    rec.start = now;
    rec.permanent = d.permanent;
    rec.end = d.permanent ? 0 : now + d.seconds;
    rec.ban_count = history_.Count(jail, target->network(), now - config_.database.purge_age) + 1;
    const BanRecord* existing = ledger_.Find(jail, *target);
    results[i].outcome = existing ? BanOutcome::kAlreadyBanned : BanOutcome::kBanned;
    if (existing != nullptr) {
      // Never shorten an existing ban.
      if (existing->permanent || (!rec.permanent && existing->end >= rec.end)) continue;
      rec.ban_count = existing->ban_count;
    }
    std::optional<std::chrono::milliseconds> timeout;
    if (!rec.permanent) timeout = std::chrono::milliseconds((rec.end - now) * 1000);
    if (existing != nullptr) {
      batch.Refresh(jail, *target, timeout);
    } else {
      batch.Ban(jail, *target, timeout);
    }
    applied.emplace_back(i, std::move(rec));
  }
  if (!batch.empty()) {
    Status s = firewall_->Apply(batch);
    if (!s.ok()) return s.WithContext("firewall");
  }
  for (auto& [i, rec] : applied) {
    bool fresh = results[i].outcome == BanOutcome::kBanned;
    if (fresh) {
      store_->AddBan(ToStored(rec));
    } else {
      store_->PutBan(ToStored(rec));
    }
  }
  CommitStore();
  for (auto& [i, rec] : applied) {
    bool fresh = results[i].outcome == BanOutcome::kBanned;
    if (fresh) {
      ++rt->total_banned;
      history_.Record(jail, rec.target.network(), now);
    }
    rt->jail->Forget(rec.target.network());
    LogBan(rec, fresh ? "manual" : "manual, extended");
    ledger_.Put(std::move(rec));
  }
  ScheduleDeadline();
  return results;
}

Result<std::vector<UnbanResult>> Daemon::Unban(const std::optional<std::string>& jail,
                                               std::span<const std::string> addrs) {
  if (jail && FindJail(*jail) == nullptr) return Status::NotFound("no jail named '" + *jail + "'");
  std::vector<UnbanResult> results(addrs.size());
  FirewallBatch batch;
  std::vector<std::pair<std::string, Cidr>> removed;
  for (size_t i = 0; i < addrs.size(); ++i) {
    results[i].addr = addrs[i];
    Result<Cidr> target = Cidr::Parse(addrs[i]);
    if (!target.ok()) {
      results[i].outcome = UnbanOutcome::kInvalid;
      results[i].detail = target.status().message();
      continue;
    }
    for (const std::string& name : jail_order_) {
      if (jail && *jail != name) continue;
      if (ledger_.Find(name, *target) == nullptr) continue;
      batch.Unban(name, *target);
      removed.emplace_back(name, *target);
      results[i].jails.push_back(name);
    }
    results[i].outcome = results[i].jails.empty() ? UnbanOutcome::kNotBanned : UnbanOutcome::kUnbanned;
  }
  if (!batch.empty()) {
    Status s = firewall_->Apply(batch);
    if (!s.ok()) return s.WithContext("firewall");
  }
  for (const auto& [name, target] : removed) {
    ledger_.Remove(name, target);
    store_->RemoveBan(name, target);
    if (JailRuntime* rt = FindJail(name)) rt->jail->Forget(target.network());
    EventLog().info("[{}] Unban {} (manual)", name, target.ToString());
  }
  ScheduleDeadline();
  return results;
}

Result<int64_t> Daemon::UnbanAll() {
  int64_t n = 0;
  for (const std::string& name : jail_order_) {
    Status s = firewall_->Flush(name);
    if (!s.ok()) return s.WithContext("firewall");
    std::vector<Cidr> targets;
    for (const BanRecord* rec : ledger_.List(name)) targets.push_back(rec->target);
    store_->RemoveJailBans(name);
    for (const Cidr& t : targets) {
      ledger_.Remove(name, t);
      EventLog().info("[{}] Unban {} (unban --all)", name, t.ToString());
      ++n;
    }
  }
  ScheduleDeadline();
  return n;
}

Result<std::vector<ActiveBan>> Daemon::Banned(const std::optional<std::string>& addr) {
  int64_t now = WallNow();
  std::vector<const BanRecord*> recs;
  if (addr) {
    Result<IpAddress> a = IpAddress::Parse(*addr);
    if (!a.ok()) {
      Result<Cidr> c = Cidr::Parse(*addr);
      if (!c.ok()) return a.status();
      for (const BanRecord* r : ledger_.List()) {
        if (r->target == *c) recs.push_back(r);
      }
    } else {
      recs = ledger_.Covering(*a);
    }
  } else {
    recs = ledger_.List();
  }
  std::vector<ActiveBan> out;
  for (const BanRecord* r : recs) {
    ActiveBan b;
    b.jail = r->jail;
    b.addr = r->target.ToString();
    b.seconds_left = r->permanent ? kPermanentBan : r->RemainingAt(now);
    b.banned_at = r->start;
    b.ban_count = r->ban_count;
    b.failures = r->failures;
    if (addr) {
      // The ledger keeps no log lines; the database has the ones that led to this ban.
      Result<std::optional<StoredBan>> stored = store_->LoadBan(r->jail, r->target);
      if (stored.ok() && stored->has_value() && (*stored)->start == r->start) {
        b.matches = std::move((*stored)->matches);
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<PastBan>> Daemon::History(const std::string& addr) {
  Result<Cidr> target = Cidr::Parse(addr);
  if (!target.ok()) return target.status();
  Result<std::vector<HistoryEntry>> entries = store_->History(*target, 1000);
  if (!entries.ok()) return entries.status();
  std::vector<PastBan> out;
  for (const HistoryEntry& e : *entries) {
    PastBan p;
    p.jail = e.jail;
    p.addr = e.target.ToString();
    p.banned_at = e.time;
    p.seconds = e.permanent ? kPermanentBan : e.end - e.time;
    p.failures = e.failures;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> Daemon::Reload(const std::optional<std::string>& jail) {
  SdNotify("RELOADING=1");
  std::vector<std::string> errors;
  std::vector<ConfigError> cerrs;
  Result<Config> config = LoadConfig(options_.config_dir, LoadOptions{}, &cerrs);
  if (!config.ok()) {
    errors = SplitLines(config.status().message());
    SdNotify("READY=1");
    return errors;
  }
  if (jail) {
    const JailConfig* jc = config->FindJail(*jail);
    if (jc == nullptr || !jc->enabled) {
      SdNotify("READY=1");
      return {"no enabled jail named '" + *jail + "' in the configuration"};
    }
    // Only this jail changes; everything else keeps the running configuration.
    Config merged = config_;
    bool found = false;
    for (JailConfig& j : merged.jails) {
      if (j.name == *jail) {
        j = *jc;
        found = true;
      }
    }
    if (!found) merged.jails.push_back(*jc);
    *config = merged;
  }
  std::map<std::string, JailRuntime> built;
  if (!BuildJails(*config, &built, &errors)) {
    SdNotify("READY=1");
    return errors;
  }
  // Unchanged jails keep their state (failure windows, counters); changed ones start afresh.
  std::vector<std::string> order;
  for (const JailConfig& jc : config->jails) {
    if (!jc.enabled) continue;
    order.push_back(jc.name);
    auto old = jails_.find(jc.name);
    const JailConfig* old_config = config_.FindJail(jc.name);
    if (old != jails_.end() && old_config != nullptr && *old_config == jc &&
        SameFilter(old->second.filter_def, built[jc.name].filter_def)) {
      built[jc.name] = std::move(old->second);
    } else if (old != jails_.end()) {
      built[jc.name].total_banned = old->second.total_banned;
      Log().info("[{}] configuration changed: restarted", jc.name);
    } else {
      Log().info("[{}] jail added", jc.name);
    }
  }
  if (config->daemon.log_file != config_.daemon.log_file ||
      config->daemon.log_level != config_.daemon.log_level) {
    Status s = InitLogging(LogOptionsFor(config->daemon, options_.log_to_stderr));
    if (!s.ok()) errors.push_back(s.message());
  }
  Status s = ApplyJails(std::move(built), std::move(order), *config);
  if (!s.ok()) errors.push_back(s.message());
  AdoptKernelBans();
  RefreshSelfAddresses();
  Log().info("configuration reloaded: {} jails", jail_order_.size());
  SdNotify("READY=1");
  return errors;
}

Result<GetValue> Daemon::Get(const std::string& jail, GetKey key) {
  JailRuntime* rt = FindJail(jail);
  if (rt == nullptr) return Status::NotFound("no jail named '" + jail + "'");
  const JailConfig& jc = rt->jail->config();
  switch (key) {
    case GetKey::kMaxRetry:
      return GetValue(int64_t{jc.maxretry});
    case GetKey::kFindTime:
      return GetValue(jc.findtime);
    case GetKey::kBanTime:
      return GetValue(jc.bantime_permanent ? kPermanentBan : jc.bantime);
    case GetKey::kIgnoreIp:
      return GetValue(rt->jail->ignore_list());
  }
  return Status::InvalidArgument("unknown key");
}

Status Daemon::Set(const std::string& jail, const Setting& setting) {
  JailRuntime* rt = FindJail(jail);
  if (rt == nullptr) return Status::NotFound("no jail named '" + jail + "'");
  switch (setting.key) {
    case SetKey::kMaxRetry:
      rt->jail->SetMaxRetry(static_cast<int>(setting.number));
      break;
    case SetKey::kFindTime:
      rt->jail->SetFindTime(setting.number);
      break;
    case SetKey::kBanTime:
      rt->jail->SetBanTime(setting.number == kPermanentBan ? 0 : setting.number,
                           setting.number == kPermanentBan);
      break;
    case SetKey::kAddIgnoreIp:
      PORTCULLIS_RETURN_IF_ERROR(rt->jail->AddIgnore(setting.address));
      break;
    case SetKey::kDelIgnoreIp:
      PORTCULLIS_RETURN_IF_ERROR(rt->jail->DelIgnore(setting.address));
      break;
  }
  Log().info("[{}] setting changed at run time (until the next reload)", jail);
  return Status::Ok();
}

Status Daemon::FlushLogs() {
  Status s = ReopenLogFile();
  if (s.ok()) Log().info("log file reopened");
  return s;
}

void Daemon::RequestStop() {
  stop_requested_ = true;
  loop_->Stop();
}

}  // namespace portcullis
