#include "ban/ban_registry.h"

namespace portcullis {

bool BanRegistry::Put(BanRecord record) {
  Key key{record.jail, record.target};
  auto it = bans_.find(key);
  bool fresh = it == bans_.end();
  if (!fresh && !it->second.permanent) by_end_.erase({it->second.end, key});
  if (!record.permanent) by_end_.insert({record.end, key});
  bans_[key] = std::move(record);
  return fresh;
}

std::optional<BanRecord> BanRegistry::Remove(const std::string& jail, const Cidr& target) {
  auto it = bans_.find(Key{jail, target});
  if (it == bans_.end()) return std::nullopt;
  if (!it->second.permanent) by_end_.erase({it->second.end, it->first});
  BanRecord out = std::move(it->second);
  bans_.erase(it);
  return out;
}

const BanRecord* BanRegistry::Find(const std::string& jail, const Cidr& target) const {
  auto it = bans_.find(Key{jail, target});
  return it == bans_.end() ? nullptr : &it->second;
}

std::vector<const BanRecord*> BanRegistry::List(const std::string& jail) const {
  std::vector<const BanRecord*> out;
  if (jail.empty()) {
    for (const auto& [key, rec] : bans_) out.push_back(&rec);
    return out;
  }
  for (const auto& [key, rec] : bans_) {
    if (key.first == jail) out.push_back(&rec);
  }
  return out;
}

std::vector<const BanRecord*> BanRegistry::Covering(const IpAddress& addr) const {
  std::vector<const BanRecord*> out;
  for (const auto& [key, rec] : bans_) {
    if (rec.target.Contains(addr)) out.push_back(&rec);
  }
  return out;
}

size_t BanRegistry::CountForJail(const std::string& jail) const {
  size_t n = 0;
  for (const auto& [key, rec] : bans_) n += key.first == jail;
  return n;
}

std::vector<BanRecord> BanRegistry::Expire(int64_t now) {
  std::vector<BanRecord> out;
  while (!by_end_.empty() && by_end_.begin()->first <= now) {
    Key key = by_end_.begin()->second;
    by_end_.erase(by_end_.begin());
    auto it = bans_.find(key);
    if (it == bans_.end()) continue;
    out.push_back(std::move(it->second));
    bans_.erase(it);
  }
  return out;
}

std::optional<int64_t> BanRegistry::NextExpiry() const {
  if (by_end_.empty()) return std::nullopt;
  return by_end_.begin()->first;
}

void BanRegistry::Clear() {
  bans_.clear();
  by_end_.clear();
}

}  // namespace portcullis
