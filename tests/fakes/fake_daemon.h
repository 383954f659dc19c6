// FakeDaemon: an in-memory DaemonFacade for tests of the control socket and the CLI.
//
// Records every call as one line of text in `calls` (e.g. "Ban sshd 192.0.2.1,198.51.100.7 for=3600
// force=0"), so tests assert on exactly what the daemon was asked. Holds a small, editable model:
// jails with a status and settings, and a list of bans that Ban/Unban/UnbanAll/Banned work on.
// Bans of an address the model does not consider valid (no '.' and no ':') come back kInvalid;
// loopback ("127." prefix or "::1") kRefusedLoopback; addresses listed in the jail's ignoreip
// kRefusedIgnored unless forced. `fail_next` makes the next facade call fail with that Status.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/daemon_facade.h"

namespace portcullis {

class FakeDaemon : public DaemonFacade {
 public:
  struct Jail {
    JailStatus status;
    int64_t maxretry = 5;
    int64_t findtime = 600;
    int64_t bantime = 600;
    std::vector<std::string> ignoreip;
  };

  FakeDaemon();  // one jail "sshd" watching /var/log/auth.log, and "recidive"

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

  std::vector<std::string> calls;
  std::map<std::string, Jail> jails;  // name -> model
  std::vector<std::string> jail_order;
  std::vector<ActiveBan> bans;
  std::vector<PastBan> history;
  std::vector<std::string> reload_errors;  // returned by the next Reload
  std::optional<Status> fail_next;
  bool stop_requested = false;

 private:
  bool TakeFailure(Status* out);
};

}  // namespace portcullis
