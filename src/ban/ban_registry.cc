#include "ban/ban_registry.h"

#include <algorithm>

namespace portcullis {

bool BanRegistry::Put(BanRecord record) {
  auto jit = jails_.find(record.jail);
  if (jit == jails_.end()) jit = jails_.emplace(record.jail, JailBans()).first;
  JailBans& jb = jit->second;
  auto it = jb.bans.find(record.target);
  const bool fresh = it == jb.bans.end();
  if (fresh) {
    ++size_;
    if (record.target.is_host()) jb.hosts.insert(record.target.network());
    const Cidr target = record.target;
    it = jb.bans.emplace(target, Slot{std::move(record), kNotQueued}).first;
  } else {
    it->second.rec = std::move(record);
  }
  Slot* slot = &it->second;
  const bool queued = slot->heap_pos != kNotQueued;
  if (slot->rec.permanent) {
    if (queued) HeapErase(slot);
  } else if (queued) {
    HeapFix(slot->heap_pos);
  } else {
    HeapPush(slot);
  }
  return fresh;
}

std::optional<BanRecord> BanRegistry::Remove(std::string_view jail, const Cidr& target) {
  auto jit = jails_.find(jail);
  if (jit == jails_.end()) return std::nullopt;
  JailBans& jb = jit->second;
  auto it = jb.bans.find(target);
  if (it == jb.bans.end()) return std::nullopt;
  if (it->second.heap_pos != kNotQueued) HeapErase(&it->second);
  BanRecord out = std::move(it->second.rec);
  jb.bans.erase(it);
  if (target.is_host()) jb.hosts.erase(target.network());
  --size_;
  return out;
}

const BanRecord* BanRegistry::Find(std::string_view jail, const Cidr& target) const {
  auto jit = jails_.find(jail);
  if (jit == jails_.end()) return nullptr;
  auto it = jit->second.bans.find(target);
  return it == jit->second.bans.end() ? nullptr : &it->second.rec;
}

bool BanRegistry::HoldsHost(std::string_view jail, const IpAddress& address) const {
  auto jit = jails_.find(jail);
  return jit != jails_.end() && jit->second.hosts.count(address) != 0;
}

std::vector<const BanRecord*> BanRegistry::List(std::string_view jail) const {
  std::vector<const BanRecord*> out;
  auto add = [&out](const JailBans& jb) {
    size_t first = out.size();
    for (const auto& [target, slot] : jb.bans) out.push_back(&slot.rec);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const BanRecord* a, const BanRecord* b) { return a->target < b->target; });
  };
  if (jail.empty()) {
    out.reserve(size_);
    for (const auto& [name, jb] : jails_) add(jb);
  } else if (auto jit = jails_.find(jail); jit != jails_.end()) {
    add(jit->second);
  }
  return out;
}

std::vector<const BanRecord*> BanRegistry::Covering(const IpAddress& addr) const {
  std::vector<const BanRecord*> out;
  for (const auto& [name, jb] : jails_) {
    for (const auto& [target, slot] : jb.bans) {
      if (target.Contains(addr)) out.push_back(&slot.rec);
    }
  }
  return out;
}

size_t BanRegistry::CountForJail(std::string_view jail) const {
  auto jit = jails_.find(jail);
  return jit == jails_.end() ? 0 : jit->second.bans.size();
}

std::vector<BanRecord> BanRegistry::Expire(int64_t now) {
  std::vector<BanRecord> out;
  while (!heap_.empty() && heap_.front()->rec.end <= now) {
    Slot* slot = heap_.front();
    HeapErase(slot);
    JailBans& jb = jails_.find(slot->rec.jail)->second;
    const Cidr target = slot->rec.target;
    out.push_back(std::move(slot->rec));
    jb.bans.erase(target);
    if (target.is_host()) jb.hosts.erase(target.network());
    --size_;
  }
  return out;
}

std::optional<int64_t> BanRegistry::NextExpiry() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front()->rec.end;
}

void BanRegistry::Clear() {
  heap_.clear();
  jails_.clear();
  size_ = 0;
}

void BanRegistry::Place(uint32_t pos, Slot* slot) {
  heap_[pos] = slot;
  slot->heap_pos = pos;
}

bool BanRegistry::SiftUp(uint32_t pos) {
  Slot* slot = heap_[pos];
  const uint32_t start = pos;
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (heap_[parent]->rec.end <= slot->rec.end) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, slot);
  return pos != start;
}

void BanRegistry::SiftDown(uint32_t pos) {
  Slot* slot = heap_[pos];
  const uint32_t n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->rec.end < heap_[child]->rec.end) ++child;
    if (slot->rec.end <= heap_[child]->rec.end) break;
    Place(pos, heap_[child]);
    pos = child;
  }
  Place(pos, slot);
}

void BanRegistry::HeapPush(Slot* slot) {
  heap_.push_back(slot);
  slot->heap_pos = static_cast<uint32_t>(heap_.size() - 1);
  SiftUp(slot->heap_pos);
}

void BanRegistry::HeapFix(uint32_t pos) {
  if (!SiftUp(pos)) SiftDown(pos);
}

void BanRegistry::HeapErase(Slot* slot) {
  const uint32_t pos = slot->heap_pos;
  slot->heap_pos = kNotQueued;
  Slot* last = heap_.back();
  heap_.pop_back();
  if (last == slot) return;
  Place(pos, last);
  HeapFix(pos);
}

}  // namespace portcullis
