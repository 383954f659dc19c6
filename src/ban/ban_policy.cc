#include "ban/ban_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace portcullis {
namespace {

constexpr int kMaxExponent = 20;

}  // namespace

std::optional<uint16_t> BanHistory::JailId(std::string_view jail) const {
  for (size_t i = 0; i < jails_.size(); ++i) {
    if (jails_[i] == jail) return static_cast<uint16_t>(i);
  }
  return std::nullopt;
}

uint16_t BanHistory::InternJail(std::string_view jail) {
  if (std::optional<uint16_t> id = JailId(jail)) return *id;
  jails_.emplace_back(jail);  // jail names come from the configuration: never 65,536 of them
  return static_cast<uint16_t>(jails_.size() - 1);
}

void BanHistory::Record(std::string_view jail, const IpAddress& address, int64_t time) {
  Entry& r = records_[Key{address, InternJail(jail)}];
  if (r.count < std::numeric_limits<int>::max()) {
    ++r.count;
  }
  r.last_ban = r.count == 1 ? time : std::max(r.last_ban, time);
}

void BanHistory::Restore(std::string_view jail, const IpAddress& address, int count,
                         int64_t last_ban) {
  if (count <= 0) {
    if (std::optional<uint16_t> id = JailId(jail)) records_.erase(Key{address, *id});
    return;
  }
  records_[Key{address, InternJail(jail)}] = {last_ban, count};
}

int BanHistory::Count(std::string_view jail, const IpAddress& address, int64_t since) const {
  std::optional<uint16_t> id = JailId(jail);
  if (!id) {
    return 0;
  }
  auto it = records_.find(Key{address, *id});
  return it != records_.end() && it->second.last_ban >= since ? it->second.count : 0;
}

int BanHistory::CountAllJails(const IpAddress& address, int64_t since) const {
  int64_t total = 0;
  for (size_t i = 0; i < jails_.size(); ++i) {
    auto it = records_.find(Key{address, static_cast<uint16_t>(i)});
    if (it != records_.end() && it->second.last_ban >= since) {
      total += it->second.count;
    }
  }
  return static_cast<int>(std::min<int64_t>(total, std::numeric_limits<int>::max()));
}

std::optional<int64_t> BanHistory::LastBan(std::string_view jail, const IpAddress& address) const {
  std::optional<uint16_t> id = JailId(jail);
  if (!id) {
    return std::nullopt;
  }
  auto it = records_.find(Key{address, *id});
  if (it == records_.end()) {
    return std::nullopt;
  }
  return it->second.last_ban;
}

bool BanHistory::Forget(const IpAddress& address) {
  bool any = false;
  for (size_t i = 0; i < jails_.size(); ++i) {
    any |= records_.erase(Key{address, static_cast<uint16_t>(i)}) > 0;
  }
  return any;
}

size_t BanHistory::Purge(int64_t before) {
  return std::erase_if(records_, [before](const auto& kv) { return kv.second.last_ban < before; });
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
