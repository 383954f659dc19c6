#include "ban/ban_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace portcullis {
namespace {

constexpr int kMaxExponent = 20;

}  // namespace

BanHistory::JailRecord* BanHistory::Find(std::string_view jail, const IpAddress& address) {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) {
    return nullptr;
  }
  for (JailRecord& r : it->second) {
    if (r.jail == jail) {
      return &r;
    }
  }
  return nullptr;
}

void BanHistory::Record(std::string_view jail, const IpAddress& address, int64_t time) {
  if (JailRecord* r = Find(jail, address)) {
    if (r->count < std::numeric_limits<int>::max()) {
      ++r->count;
    }
    r->last_ban = std::max(r->last_ban, time);
    return;
  }
  by_address_[address].push_back({std::string(jail), 1, time});
}

void BanHistory::Restore(std::string_view jail, const IpAddress& address, int count,
                         int64_t last_ban) {
  if (count <= 0) {
    auto it = by_address_.find(address);
    if (it == by_address_.end()) {
      return;
    }
    std::erase_if(it->second, [jail](const JailRecord& r) { return r.jail == jail; });
    if (it->second.empty()) {
      by_address_.erase(it);
    }
    return;
  }
  if (JailRecord* r = Find(jail, address)) {
    r->count = count;
    r->last_ban = last_ban;
    return;
  }
  by_address_[address].push_back({std::string(jail), count, last_ban});
}

int BanHistory::Count(std::string_view jail, const IpAddress& address, int64_t since) const {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) {
    return 0;
  }
  for (const JailRecord& r : it->second) {
    if (r.jail == jail) {
      return r.last_ban >= since ? r.count : 0;
    }
  }
  return 0;
}

int BanHistory::CountAllJails(const IpAddress& address, int64_t since) const {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) {
    return 0;
  }
  int64_t total = 0;
  for (const JailRecord& r : it->second) {
    if (r.last_ban >= since) {
      total += r.count;
    }
  }
  return static_cast<int>(std::min<int64_t>(total, std::numeric_limits<int>::max()));
}

std::optional<int64_t> BanHistory::LastBan(std::string_view jail, const IpAddress& address) const {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) {
    return std::nullopt;
  }
  for (const JailRecord& r : it->second) {
    if (r.jail == jail) {
      return r.last_ban;
    }
  }
  return std::nullopt;
}

bool BanHistory::Forget(const IpAddress& address) { return by_address_.erase(address) > 0; }

size_t BanHistory::Purge(int64_t before) {
  size_t dropped = 0;
  for (auto it = by_address_.begin(); it != by_address_.end();) {
    dropped +=
        std::erase_if(it->second, [before](const JailRecord& r) { return r.last_ban < before; });
    if (it->second.empty()) {
      it = by_address_.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

Status BanPolicy::Validate(const BanPolicyOptions& o) {
  if (!std::isfinite(o.factor) || o.factor <= 0) {
    return Status::InvalidArgument("bantime_factor must be a number greater than 0, not " +
                                   std::to_string(o.factor));
  }
  for (int64_t m : o.multipliers) {
    if (m < 0) {
      return Status::InvalidArgument("bantime_multipliers must not be negative: " +
                                     std::to_string(m));
    }
  }
  if (o.rndtime < 0) {
    return Status::InvalidArgument("bantime_rndtime must not be negative: " +
                                   std::to_string(o.rndtime));
  }
  if (!o.bantime.permanent && o.bantime.seconds < 0) {
    return Status::InvalidArgument("bantime must not be negative: " + FormatDuration(o.bantime));
  }
  if (o.maxtime && !o.maxtime->permanent && o.maxtime->seconds < 0) {
    return Status::InvalidArgument("bantime_maxtime must not be negative: " +
                                   FormatDuration(*o.maxtime));
  }
  return Status::Ok();
}

Duration BanPolicy::BanDuration(int previous_bans, uint64_t random) const {
  const BanPolicyOptions& o = options_;
  if (o.bantime.permanent) {
    return Duration::Permanent();
  }
  const int64_t bantime = std::max<int64_t>(o.bantime.seconds, 0);
  if (!o.increment) {
    return Duration::Seconds(bantime);
  }

  int64_t ceiling = std::max(kDefaultMaxBanSeconds, bantime);
  if (o.maxtime && !o.maxtime->permanent) {
    ceiling = std::max<int64_t>(o.maxtime->seconds, 0);
  }

  int64_t seconds = bantime;
  if (previous_bans > 0) {
    long double multiplier;
    if (!o.multipliers.empty()) {
      const size_t index = std::min(static_cast<size_t>(previous_bans), o.multipliers.size() - 1);
      multiplier = static_cast<long double>(o.multipliers[index]);
    } else {
      multiplier = std::ldexp(1.0L, std::min(previous_bans, kMaxExponent));
    }
    // Validate() keeps factor finite and positive; anything else is treated as 1 rather than
    // turning a config mistake into a ten-year ban.
    const long double factor = std::isfinite(o.factor) && o.factor > 0 ? o.factor : 1.0L;
    // long double holds bantime * factor * 2^20 for any int64 bantime and sane factor without
    // overflow; the comparison saturates before converting back to an integer.
    const long double product = static_cast<long double>(bantime) * factor * multiplier;
    if (product >= static_cast<long double>(ceiling)) {
      seconds = ceiling;
    } else {
      seconds = std::min(std::max(bantime, static_cast<int64_t>(product)), ceiling);
    }
  }
  if (o.rndtime > 0) {
    const uint64_t extra = random % (static_cast<uint64_t>(o.rndtime) + 1);
    if (__builtin_add_overflow(seconds, static_cast<int64_t>(extra), &seconds)) {
      seconds = std::numeric_limits<int64_t>::max();
    }
  }
  return Duration::Seconds(seconds);
}

int BanPolicy::PreviousBans(const BanHistory& history, std::string_view jail,
                            const IpAddress& address, int64_t since) const {
  return options_.overalljails ? history.CountAllJails(address, since)
                               : history.Count(jail, address, since);
}

}  // namespace portcullis
