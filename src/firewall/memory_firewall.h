// A Firewall that keeps everything in memory and records every call.
//
// Two users: unit tests (assert on calls() and on what List() returns, stepping time through the
// injected clock), and portcullisd's `backend = "none"` dry run, which logs each call it would
// have made (constructed with log_actions = true). Semantics match NftFirewall: same validation,
// same idempotence, same expiry (entries lapse when the clock passes their expiry).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "firewall/nft_plan.h"
#include "portcullis/firewall.h"

namespace portcullis {

class MemoryFirewall final : public Firewall {
 public:
  using NowFn = std::function<std::chrono::steady_clock::time_point()>;

  // `now` defaults to std::chrono::steady_clock::now.
  explicit MemoryFirewall(bool log_actions = false, NowFn now = nullptr);

  Status SetUpJails(std::span<const JailSpec> jails) override;
  Status RemoveJail(std::string_view jail) override;
  std::vector<std::string> Jails() const override;
  Status Apply(const FirewallBatch& batch) override;
  Result<std::vector<BanEntry>> List(std::string_view jail) override;
  Status Flush(std::string_view jail) override;
  Status Replace(std::string_view jail, std::span<const BanEntry> entries) override;
  Result<std::vector<JailCounters>> Counters() override;
  Status TearDown() override;
  int event_fd() const override { return -1; }
  Status HandleEvents() override { return Status::Ok(); }
  Status Resync() override { return Status::Ok(); }

  // One line per call, in order, e.g. "setup sshd", "ban sshd 192.0.2.1 600000ms",
  // "unban sshd 192.0.2.1", "refresh sshd 2001:db8::/48 permanent", "flush sshd",
  // "replace blocklist 3", "remove sshd", "teardown". Calls that failed validation are not
  // recorded.
  const std::vector<std::string>& calls() const { return calls_; }
  void ClearCalls() { calls_.clear(); }
  // The spec a jail was last set up with, or nullptr.
  const JailSpec* spec(std::string_view jail) const;

 private:
  int64_t NowMs() const;
  void Record(std::string line);

  bool log_actions_;
  NowFn now_;
  std::map<std::string, JailSpec, std::less<>> specs_;
  BanLedger ledger_;
  std::vector<std::string> calls_;
};

}  // namespace portcullis
