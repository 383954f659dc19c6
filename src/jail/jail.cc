#include "jail/jail.h"

#include <algorithm>
#include <cmath>

namespace portcullis {

Jail::Jail(JailConfig config, std::unique_ptr<Filter> filter)
    : config_(std::move(config)), filter_(std::move(filter)) {
  FailureWindowOptions opts;
  opts.maxretry = config_.maxretry;
  opts.findtime = config_.findtime;
  opts.max_tracked = static_cast<size_t>(std::max(1, config_.max_tracked));
  window_ = std::make_unique<FailureWindow>(opts);
  ignore_cidrs_ = config_.ignore_cidrs;
  RebuildIgnoreSet();
}

Result<std::unique_ptr<Jail>> Jail::Create(const JailConfig& config, const FilterDef& filter,
                                           const AddressSet* self) {
  FilterOptions options;
  options.datepattern = config.datepattern;
  options.logtimezone = config.logtimezone;
  Result<std::unique_ptr<Filter>> compiled = Filter::Compile(filter, config.mode, options);
  if (!compiled.ok()) return compiled.status().WithContext("jail [" + config.name + "]");
  std::unique_ptr<Jail> jail(new Jail(config, std::move(compiled).value()));
  jail->self_ = config.ignoreself ? self : nullptr;
  return jail;
}

void Jail::RebuildIgnoreSet() {
  ignore_set_.Clear();
  ignore_set_.AddAll(ignore_cidrs_);
}

IgnoreVerdict Jail::CheckIgnored(const IpAddress& address) const {
  if (address.IsLoopback() || address.IsUnspecified()) return {true, "loopback"};
  if (self_ != nullptr && self_->Contains(address)) return {true, "own address"};
  if (ignore_set_.Contains(address)) {
    for (const Cidr& c : ignore_cidrs_) {
      if (c.Contains(address)) return {true, "ignoreip " + c.ToString()};
    }
    return {true, "ignoreip"};
  }
  return {};
}

std::optional<BanCandidate> Jail::OnLine(std::string_view line, double now) {
  ++stats_.lines_read;
  last_found_.reset();
  LineResult r = filter_->Process(line, now);
  switch (r.kind) {
    case LineKind::kSkipped:
      ++stats_.lines_skipped;
      return std::nullopt;
    case LineKind::kNoDate:
      ++stats_.lines_no_date;
      return std::nullopt;
    case LineKind::kIgnored:
      ++stats_.lines_ignored_regex;
      return std::nullopt;
    case LineKind::kMissed:
    case LineKind::kRemembered:
      ++stats_.lines_missed;
      return std::nullopt;
    case LineKind::kFailure:
      break;
  }
  ++stats_.failures;
  const Failure& f = *r.failure;
  if (!f.address) {
    ++stats_.not_address;
    return std::nullopt;
  }
  if (CheckIgnored(*f.address).ignored) {
    ++stats_.ignored_ip;
    return std::nullopt;
  }
  if (banned_check_ && banned_check_(*f.address)) {
    ++stats_.already_banned;
    return std::nullopt;
  }
  double t = f.time;
  if (t < now - static_cast<double>(config_.findtime)) {
    ++stats_.too_old;
    return std::nullopt;
  }
  if (t > now + 60) {
    // A timestamp from the future is a time zone problem more often than an attack; count it as
    // happening now so it neither vanishes nor lingers.
    ++stats_.future;
    t = now;
  }
  last_found_.emplace(*f.address, t);
  std::optional<BanTrigger> trigger =
      window_->Record(*f.address, static_cast<int64_t>(std::floor(t)), line);
  if (!trigger) return std::nullopt;
  ++stats_.ban_candidates;
  BanCandidate c;
  c.address = trigger->address;
  c.failures = trigger->failures;
  c.first_failure = trigger->first_failure;
  c.last_failure = trigger->last_failure;
  c.matches = std::move(trigger->lines);
  c.user = f.user;
  return c;
}

void Jail::SetMaxRetry(int maxretry) {
  config_.maxretry = maxretry;
  window_->set_maxretry(maxretry);
}

void Jail::SetFindTime(int64_t seconds) {
  config_.findtime = seconds;
  window_->set_findtime(seconds);
}

void Jail::SetBanTime(int64_t seconds, bool permanent) {
  config_.bantime = seconds;
  config_.bantime_permanent = permanent;
}

Status Jail::AddIgnore(std::string_view text) {
  Result<Cidr> block = Cidr::Parse(text);
  if (!block.ok()) return block.status();
  if (std::find(ignore_cidrs_.begin(), ignore_cidrs_.end(), *block) == ignore_cidrs_.end()) {
    ignore_cidrs_.push_back(*block);
    RebuildIgnoreSet();
  }
  return Status::Ok();
}

Status Jail::DelIgnore(std::string_view text) {
  Result<Cidr> block = Cidr::Parse(text);
  if (!block.ok()) return block.status();
  auto it = std::find(ignore_cidrs_.begin(), ignore_cidrs_.end(), *block);
  if (it == ignore_cidrs_.end()) {
    return Status::InvalidArgument(block->ToString() + " is not in the ignore list of [" +
                                   config_.name + "]");
  }
  ignore_cidrs_.erase(it);
  RebuildIgnoreSet();
  return Status::Ok();
}

void Jail::AddResolvedIgnore(const Cidr& block) {
  ignore_cidrs_.push_back(block);
  RebuildIgnoreSet();
}

std::vector<std::string> Jail::ignore_list() const {
  std::vector<std::string> out;
  for (const Cidr& c : ignore_cidrs_) out.push_back(c.ToString());
  for (const std::string& h : config_.ignore_hosts) out.push_back(h);
  return out;
}

}  // namespace portcullis
