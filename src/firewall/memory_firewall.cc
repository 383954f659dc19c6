#include "firewall/memory_firewall.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace portcullis {

namespace {

std::string TimeoutText(const std::optional<std::chrono::milliseconds>& timeout) {
  return timeout ? std::to_string(timeout->count()) + "ms" : "permanent";
}

std::string_view KindName(FirewallBatch::Kind kind) {
  switch (kind) {
    case FirewallBatch::Kind::kBan:
      return "ban";
    case FirewallBatch::Kind::kUnban:
      return "unban";
    case FirewallBatch::Kind::kRefresh:
      return "refresh";
  }
  return "?";
}

}  // namespace

MemoryFirewall::MemoryFirewall(bool log_actions, NowFn now)
    : log_actions_(log_actions), now_(std::move(now)) {
  if (!now_) {
    now_ = [] { return std::chrono::steady_clock::now(); };
  }
}

int64_t MemoryFirewall::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now_().time_since_epoch()).count();
}

void MemoryFirewall::Record(std::string line) {
  if (log_actions_) {
    spdlog::info("firewall (dry run): would {}", line);
  }
  calls_.push_back(std::move(line));
}

const JailSpec* MemoryFirewall::spec(std::string_view jail) const {
  auto it = specs_.find(jail);
  return it == specs_.end() ? nullptr : &it->second;
}

Status MemoryFirewall::SetUpJails(std::span<const JailSpec> jails) {
  for (const JailSpec& spec : jails) {
    PORTCULLIS_RETURN_IF_ERROR(ValidateJailSpec(spec));
  }
  for (const JailSpec& spec : jails) {
    specs_[spec.name] = spec;
    ledger_.AddJail(spec.name);
    Record("setup " + spec.name);
  }
  return Status::Ok();
}

Status MemoryFirewall::RemoveJail(std::string_view jail) {
  auto it = specs_.find(jail);
  if (it != specs_.end()) {
    specs_.erase(it);
  }
  ledger_.RemoveJail(jail);
  Record("remove " + std::string(jail));
  return Status::Ok();
}

std::vector<std::string> MemoryFirewall::Jails() const { return ledger_.JailNames(); }

Status MemoryFirewall::Apply(const FirewallBatch& batch) {
  const int64_t now = NowMs();
  Result<BanPlan> plan = ledger_.PlanBatch(batch, now);
  if (!plan.ok()) {
    return plan.status();
  }
  ledger_.Commit(std::move(*plan), now);
  for (const FirewallBatch::Op& op : batch.ops()) {
    std::string line = std::string(KindName(op.kind)) + " " + op.jail + " " + op.target.ToString();
    if (op.kind != FirewallBatch::Kind::kUnban) {
      line += " " + TimeoutText(op.timeout);
    }
    Record(std::move(line));
  }
  return Status::Ok();
}

Result<std::vector<BanEntry>> MemoryFirewall::List(std::string_view jail) {
  if (!ledger_.HasJail(jail)) {
    return Status::NotFound("no jail named \"" + std::string(jail) + "\"");
  }
  return ledger_.Entries(jail, NowMs());
}

Status MemoryFirewall::Flush(std::string_view jail) {
  if (!ledger_.HasJail(jail)) {
    return Status::NotFound("no jail named \"" + std::string(jail) + "\"");
  }
  const int64_t now = NowMs();
  ledger_.Commit(ledger_.PlanFlush(jail, now), now);
  Record("flush " + std::string(jail));
  return Status::Ok();
}

Status MemoryFirewall::Replace(std::string_view jail, std::span<const BanEntry> entries) {
  const int64_t now = NowMs();
  Result<BanPlan> plan = ledger_.PlanReplace(jail, entries, now);
  if (!plan.ok()) {
    return plan.status();
  }
  ledger_.Commit(std::move(*plan), now);
  Record("replace " + std::string(jail) + " " + std::to_string(entries.size()));
  return Status::Ok();
}

Result<std::vector<JailCounters>> MemoryFirewall::Counters() {
  std::vector<JailCounters> out;
  for (const std::string& name : ledger_.JailNames()) {
    out.push_back(JailCounters{name, 0, 0});
  }
  return out;
}

Status MemoryFirewall::TearDown() {
  specs_.clear();
  ledger_ = BanLedger();
  Record("teardown");
  return Status::Ok();
}

}  // namespace portcullis
