#include "firewall/nft_plan.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace portcullis {

namespace {

IpFamily FamilyOf(int index) { return index == 0 ? IpFamily::kV4 : IpFamily::kV6; }

bool Expired(int64_t expiry_ms, int64_t now_ms) { return expiry_ms <= now_ms; }

std::optional<int64_t> LiveHost(const BanLedger::Jail& jail, const IpAddress& address,
                                int64_t now_ms) {
  auto it = jail.hosts.find(address);
  if (it == jail.hosts.end() || Expired(it->second, now_ms)) {
    return std::nullopt;
  }
  return it->second;
}

std::map<Cidr, int64_t> LiveNets(const BanLedger::Jail& jail, int64_t now_ms) {
  std::map<Cidr, int64_t> out;
  for (const auto& [cidr, expiry] : jail.nets) {
    if (!Expired(expiry, now_ms)) {
      out.emplace_hint(out.end(), cidr, expiry);
    }
  }
  return out;
}

std::vector<Segment> LiveSegments(const std::vector<Segment>& segments, int64_t now_ms) {
  std::vector<Segment> out;
  out.reserve(segments.size());
  for (const Segment& s : segments) {
    if (!Expired(s.expiry_ms, now_ms)) {
      out.push_back(s);
    }
  }
  return out;
}

// Turns the staged final state of each touched jail into the kernel changes it needs.
void FillChanges(const BanLedger& ledger, BanPlan& plan, int64_t now_ms) {
  plan.jails.clear();
  plan.jails.reserve(plan.staged.size());
  for (const BanPlan::Staged& st : plan.staged) {
    const BanLedger::Jail& jail = *ledger.Find(st.jail);
    JailChanges jc;
    jc.jail = st.jail;
    jc.flush_hosts = st.flush_hosts;
    jc.flush_nets = st.flush_hosts;
    jc.hosts4.reserve(st.hosts.size());
    for (const auto& [address, next] : st.hosts) {
      std::optional<int64_t> old;
      if (!st.flush_hosts && !st.old.empty()) {
        auto o = st.old.find(address);
        if (o != st.old.end()) {
          old = o->second;
        }
      }
      std::optional<int64_t> staged_expiry;
      if (next != kRemovedMs) {
        staged_expiry = next;
      }
      std::vector<HostChange>& out = address.is_v4() ? jc.hosts4 : jc.hosts6;
      std::optional<int64_t> expiry = staged_expiry;
      if (expiry && Expired(*expiry, now_ms)) {
        expiry.reset();  // a zero timeout bans nothing
      }
      if (!old && expiry) {
        out.push_back({HostChange::Kind::kAdd, address, *expiry, kNeverMs});
      } else if (old && !expiry) {
        out.push_back({HostChange::Kind::kRemove, address, kNeverMs, *old});
      } else if (old && expiry && *old != *expiry) {
        out.push_back({HostChange::Kind::kUpdate, address, *expiry, *old});
      }
    }
    if (st.nets) {
      for (int f = 0; f < 2; ++f) {
        jc.new_segments[f] = MergeBans(*st.nets, FamilyOf(f), now_ms);
        if (st.flush_hosts) {
          jc.nets[f].add = jc.new_segments[f];
          jc.nets_changed[f] = true;
          continue;
        }
        std::vector<Segment> before = LiveSegments(jail.segments[f], now_ms);
        if (before != jc.new_segments[f]) {
          jc.nets[f] = DiffSegments(before, jc.new_segments[f]);
          jc.nets_changed[f] = true;
        }
      }
    }
    plan.jails.push_back(std::move(jc));
  }
}

constexpr size_t kNlaHeader = 4;
size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

// ---- Names -------------------------------------------------------------------------------------

std::string NftSetName(std::string_view jail, NftSetKind kind) {
  std::string name(jail);
  switch (kind) {
    case NftSetKind::kHost4:
      return name + "-4";
    case NftSetKind::kHost6:
      return name + "-6";
    case NftSetKind::kNet4:
      return name + "-n4";
    case NftSetKind::kNet6:
      return name + "-n6";
  }
  return name;
}

std::optional<std::pair<std::string, NftSetKind>> ParseNftSetName(std::string_view set_name) {
  struct Suffix {
    std::string_view text;
    NftSetKind kind;
  };
  static constexpr Suffix kSuffixes[] = {{"-n4", NftSetKind::kNet4},
                                         {"-n6", NftSetKind::kNet6},
                                         {"-4", NftSetKind::kHost4},
                                         {"-6", NftSetKind::kHost6}};
  for (const Suffix& s : kSuffixes) {
    if (set_name.size() > s.text.size() && set_name.ends_with(s.text)) {
      std::string_view jail = set_name.substr(0, set_name.size() - s.text.size());
      if (!ValidateJailName(jail).ok()) {
        return std::nullopt;
      }
      return std::make_pair(std::string(jail), s.kind);
    }
  }
  return std::nullopt;
}

NftSetKind SetKindFor(const Cidr& target) {
  if (target.is_host()) {
    return target.family() == IpFamily::kV4 ? NftSetKind::kHost4 : NftSetKind::kHost6;
  }
  return target.family() == IpFamily::kV4 ? NftSetKind::kNet4 : NftSetKind::kNet6;
}

bool IsV6(NftSetKind kind) { return kind == NftSetKind::kHost6 || kind == NftSetKind::kNet6; }
bool IsInterval(NftSetKind kind) { return kind == NftSetKind::kNet4 || kind == NftSetKind::kNet6; }

Status ValidateTableName(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return Status::InvalidArgument("table name \"" + std::string(name) +
                                   "\" must have 1 to 32 characters");
  }
  bool letter = (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z');
  if (!letter || !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Status::InvalidArgument("table name \"" + std::string(name) +
                                   "\" must start with a letter and contain only letters, digits, "
                                   "'_' and '-'");
  }
  return Status::Ok();
}

// ---- Ranges ------------------------------------------------------------------------------------

Uint128 AddressValue(const IpAddress& address) {
  Uint128 v = 0;
  for (uint8_t b : address.bytes()) {
    v = (v << 8) | b;
  }
  return v;
}

IpAddress AddressFromValue(Uint128 value, IpFamily family) {
  if (family == IpFamily::kV4) {
    return IpAddress::FromV4(static_cast<uint32_t>(value));
  }
  std::array<uint8_t, 16> bytes{};
  for (int i = 15; i >= 0; --i) {
    bytes[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
  return IpAddress::FromV6(bytes);
}

Uint128 MaxAddressValue(IpFamily family) {
  return family == IpFamily::kV4 ? Uint128{0xffffffffu} : ~Uint128{0};
}

std::vector<Segment> MergeBans(const std::map<Cidr, int64_t>& bans, IpFamily family,
                               int64_t now_ms) {
  // Sweep over range boundaries keeping the expiries of the blocks covering the current position;
  // the latest one wins. O(n log n) for blocklists of any size.
  struct Event {
    Uint128 pos;
    bool start;
    int64_t expiry;
  };
  const Uint128 max = MaxAddressValue(family);
  std::vector<Event> events;
  for (const auto& [cidr, expiry] : bans) {
    if (cidr.family() != family || Expired(expiry, now_ms)) {
      continue;
    }
    Uint128 first = AddressValue(cidr.first());
    Uint128 last = AddressValue(cidr.last());
    events.push_back({first, true, expiry});
    if (last != max) {
      events.push_back({last + 1, false, expiry});
    }
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.pos < b.pos; });
  std::vector<Segment> out;
  std::multiset<int64_t> active;
  for (size_t i = 0; i < events.size();) {
    Uint128 pos = events[i].pos;
    for (; i < events.size() && events[i].pos == pos; ++i) {
      if (events[i].start) {
        active.insert(events[i].expiry);
      } else {
        active.erase(active.find(events[i].expiry));
      }
    }
    if (active.empty()) {
      continue;
    }
    Uint128 last = i < events.size() ? events[i].pos - 1 : max;
    int64_t expiry = *active.rbegin();
    if (!out.empty() && out.back().expiry_ms == expiry && out.back().last + 1 == pos) {
      out.back().last = last;
    } else {
      out.push_back({pos, last, expiry});
    }
  }
  return out;
}

SegmentDiff DiffSegments(std::span<const Segment> before, std::span<const Segment> after) {
  auto less = [](const Segment& a, const Segment& b) {
    if (a.first != b.first) {
      return a.first < b.first;
    }
    if (a.last != b.last) {
      return a.last < b.last;
    }
    return a.expiry_ms < b.expiry_ms;
  };
  SegmentDiff diff;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(diff.remove), less);
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(diff.add), less);
  return diff;
}

std::vector<Cidr> RangeToCidrs(Uint128 first, Uint128 last, IpFamily family) {
  const int bits = family == IpFamily::kV4 ? 32 : 128;
  std::vector<Cidr> out;
  if (first > last) {
    return out;
  }
  while (true) {
    int k = 0;  // block of 2^k addresses starting at `first`
    while (k < bits) {
      if (k + 1 == bits) {
        if (first == 0 && last == MaxAddressValue(family)) {
          k = bits;
        }
        break;
      }
      Uint128 size = Uint128{1} << (k + 1);
      if ((first & (size - 1)) != 0 || size - 1 > last - first) {
        break;
      }
      ++k;
    }
    Result<Cidr> c = Cidr::Make(AddressFromValue(first, family), bits - k);
    if (c.ok()) {
      out.push_back(*c);
    }
    if (k == bits) {
      break;
    }
    Uint128 block_last = first + ((Uint128{1} << k) - 1);
    if (block_last >= last) {
      break;
    }
    first = block_last + 1;
  }
  return out;
}

// ---- Ledger ------------------------------------------------------------------------------------

bool JailChanges::empty() const {
  return !flush_hosts && !flush_nets && hosts4.empty() && hosts6.empty() && !nets_changed[0] &&
         !nets_changed[1];
}

size_t BanPlan::element_count() const {
  size_t n = 0;
  for (const JailChanges& jc : jails) {
    n += jc.hosts4.size() + jc.hosts6.size();
    for (int f = 0; f < 2; ++f) {
      n += 2 * (jc.nets[f].add.size() + jc.nets[f].remove.size());
    }
  }
  return n;
}

bool BanPlan::empty() const {
  return std::all_of(jails.begin(), jails.end(), [](const JailChanges& jc) { return jc.empty(); });
}

int64_t ExpiryFor(std::optional<std::chrono::milliseconds> timeout, int64_t now_ms) {
  if (!timeout) {
    return kNeverMs;
  }
  int64_t t = timeout->count();
  if (t > kNeverMs - 1 - now_ms) {
    return kNeverMs - 1;
  }
  return now_ms + t;
}

bool BanLedger::HasJail(std::string_view jail) const { return jails_.find(jail) != jails_.end(); }

void BanLedger::AddJail(std::string_view jail) {
  if (!HasJail(jail)) {
    jails_.emplace(std::string(jail), Jail{});
  }
}

void BanLedger::RemoveJail(std::string_view jail) {
  auto it = jails_.find(jail);
  if (it != jails_.end()) {
    jails_.erase(it);
  }
}

std::vector<std::string> BanLedger::JailNames() const {
  std::vector<std::string> out;
  for (const auto& [name, jail] : jails_) {
    out.push_back(name);
  }
  return out;
}

const BanLedger::Jail* BanLedger::Find(std::string_view jail) const {
  auto it = jails_.find(jail);
  return it == jails_.end() ? nullptr : &it->second;
}

BanLedger::Jail* BanLedger::FindMutable(std::string_view jail) {
  auto it = jails_.find(jail);
  return it == jails_.end() ? nullptr : &it->second;
}

Result<BanPlan> BanLedger::PlanBatch(const FirewallBatch& batch, int64_t now_ms) const {
  BanPlan plan;
  std::map<std::string, size_t, std::less<>> index;
  const size_t jail_count = jails_.size();
  // Bursts usually name one jail over and over: remember the last one instead of looking it up.
  const std::string* last_name = nullptr;
  const Jail* jail = nullptr;
  size_t slot = 0;
  for (const FirewallBatch::Op& op : batch.ops()) {
    if (last_name == nullptr || *last_name != op.jail) {
      jail = Find(op.jail);
      if (jail == nullptr) {
        return Status::NotFound("no jail named \"" + op.jail + "\"");
      }
      auto it = index.find(op.jail);
      if (it == index.end()) {
        it = index.emplace(op.jail, plan.staged.size()).first;
        plan.staged.push_back(BanPlan::Staged{op.jail, false, {}, {}, std::nullopt});
        // One jail per batch is the common case: size for the whole batch up front.
        if (jail_count == 1) {
          plan.staged.back().hosts.reserve(batch.size());
        }
      }
      slot = it->second;
      last_name = &op.jail;
    }
    if (op.timeout && op.timeout->count() < 0) {
      return Status::InvalidArgument("negative timeout for " + op.target.ToString());
    }
    BanPlan::Staged& st = plan.staged[slot];
    const int64_t expiry = ExpiryFor(op.timeout, now_ms);
    if (op.target.is_host()) {
      const IpAddress& address = op.target.network();
      auto [sit, first_touch] = st.hosts.try_emplace(address, kRemovedMs);
      if (first_touch) {
        std::optional<int64_t> live = LiveHost(*jail, address, now_ms);
        if (live) {
          sit->second = *live;
          st.old.emplace(address, *live);
        }
      }
      int64_t& next = sit->second;
      switch (op.kind) {
        case FirewallBatch::Kind::kBan:
          next = next == kRemovedMs ? expiry : std::max(next, expiry);
          break;
        case FirewallBatch::Kind::kRefresh:
          next = expiry;
          break;
        case FirewallBatch::Kind::kUnban:
          next = kRemovedMs;
          break;
      }
    } else {
      if (!st.nets) {
        st.nets = LiveNets(*jail, now_ms);
      }
      auto nit = st.nets->find(op.target);
      switch (op.kind) {
        case FirewallBatch::Kind::kBan:
          if (nit == st.nets->end()) {
            st.nets->emplace(op.target, expiry);
          } else {
            nit->second = std::max(nit->second, expiry);
          }
          break;
        case FirewallBatch::Kind::kRefresh:
          (*st.nets)[op.target] = expiry;
          break;
        case FirewallBatch::Kind::kUnban:
          if (nit != st.nets->end()) {
            st.nets->erase(nit);
          }
          break;
      }
    }
  }
  FillChanges(*this, plan, now_ms);
  return plan;
}

BanPlan BanLedger::PlanFlush(std::string_view jail, int64_t now_ms) const {
  BanPlan plan;
  if (!HasJail(jail)) {
    return plan;
  }
  plan.staged.push_back(
      BanPlan::Staged{std::string(jail), true, {}, {}, std::map<Cidr, int64_t>{}});
  FillChanges(*this, plan, now_ms);
  return plan;
}

Result<BanPlan> BanLedger::PlanReplace(std::string_view jail, std::span<const BanEntry> entries,
                                       int64_t now_ms) const {
  if (!HasJail(jail)) {
    return Status::NotFound("no jail named \"" + std::string(jail) + "\"");
  }
  BanPlan plan;
  BanPlan::Staged st{std::string(jail), true, {}, {}, std::map<Cidr, int64_t>{}};
  st.hosts.reserve(entries.size());
  for (const BanEntry& e : entries) {
    if (e.timeout && e.timeout->count() < 0) {
      return Status::InvalidArgument("negative timeout for " + e.target.ToString());
    }
    const int64_t expiry = ExpiryFor(e.timeout, now_ms);
    if (e.target.is_host()) {
      auto [it, inserted] = st.hosts.emplace(e.target.network(), expiry);
      if (!inserted) {
        it->second = std::max(it->second, expiry);
      }
    } else {
      auto [it, inserted] = st.nets->emplace(e.target, expiry);
      if (!inserted) {
        it->second = std::max(it->second, expiry);
      }
    }
  }
  plan.staged.push_back(std::move(st));
  FillChanges(*this, plan, now_ms);
  return plan;
}

void BanLedger::Commit(BanPlan&& plan, int64_t now_ms) {
  for (size_t i = 0; i < plan.staged.size(); ++i) {
    BanPlan::Staged& st = plan.staged[i];
    Jail* jail = FindMutable(st.jail);
    if (jail == nullptr) {
      continue;
    }
    if (st.flush_hosts) {
      jail->hosts.clear();
    }
    jail->hosts.reserve(jail->hosts.size() + st.hosts.size());
    for (auto it = st.hosts.begin(); it != st.hosts.end();) {
      auto cur = it++;
      const int64_t next = cur->second;
      if (next == kRemovedMs || Expired(next, now_ms)) {
        jail->hosts.erase(cur->first);
        continue;
      }
      auto placed = jail->hosts.insert(st.hosts.extract(cur));
      if (!placed.inserted) {
        placed.position->second = next;
      }
    }
    if (st.nets) {
      jail->nets = std::move(*st.nets);
      for (int f = 0; f < 2; ++f) {
        jail->segments[f] = std::move(plan.jails[i].new_segments[f]);
      }
    }
  }
  plan.staged.clear();
  plan.jails.clear();
}

void BanLedger::Purge(int64_t now_ms) {
  for (auto& [name, jail] : jails_) {
    std::erase_if(jail.hosts, [&](const auto& kv) { return Expired(kv.second, now_ms); });
    std::erase_if(jail.nets, [&](const auto& kv) { return Expired(kv.second, now_ms); });
    for (auto& segs : jail.segments) {
      std::erase_if(segs, [&](const Segment& s) { return Expired(s.expiry_ms, now_ms); });
    }
  }
}

std::vector<BanEntry> BanLedger::Entries(std::string_view jail_name, int64_t now_ms) const {
  std::vector<BanEntry> out;
  const Jail* jail = Find(jail_name);
  if (jail == nullptr) {
    return out;
  }
  auto entry = [&](const Cidr& target, int64_t expiry) {
    BanEntry e{target, std::nullopt, std::nullopt};
    if (expiry != kNeverMs) {
      e.remaining = std::chrono::milliseconds(expiry - now_ms);
      e.timeout = e.remaining;
    }
    return e;
  };
  for (const auto& [address, expiry] : jail->hosts) {
    if (!Expired(expiry, now_ms)) {
      out.push_back(entry(Cidr(address), expiry));
    }
  }
  for (const auto& [cidr, expiry] : jail->nets) {
    if (!Expired(expiry, now_ms)) {
      out.push_back(entry(cidr, expiry));
    }
  }
  std::sort(out.begin(), out.end(), BanOrder);
  return out;
}

bool BanOrder(const BanEntry& a, const BanEntry& b) {
  if (a.target.family() != b.target.family()) {
    return a.target.family() == IpFamily::kV4;
  }
  if (a.target.network() != b.target.network()) {
    return a.target.network() < b.target.network();
  }
  return a.target.prefix_len() < b.target.prefix_len();
}

size_t BanLedger::size() const {
  size_t n = 0;
  for (const auto& [name, jail] : jails_) {
    n += jail.hosts.size() + jail.nets.size();
  }
  return n;
}

// ---- Message-size math -------------------------------------------------------------------------

size_t ElementBytes(size_t key_len, bool with_timeout, bool with_flags) {
  size_t n = kNlaHeader;              // NFTA_LIST_ELEM
  n += kNlaHeader;                    // NFTA_SET_ELEM_KEY
  n += kNlaHeader + Align4(key_len);  // NFTA_DATA_VALUE
  if (with_flags) {
    n += kNlaHeader + 4;  // NFTA_SET_ELEM_FLAGS (u32)
  }
  if (with_timeout) {
    n += kNlaHeader + 8;  // NFTA_SET_ELEM_TIMEOUT (u64)
  }
  return n;
}

size_t MessagesForElements(size_t count, size_t element_bytes) {
  if (count == 0) {
    return 0;
  }
  size_t per_message = kElementListBudget / element_bytes;
  return (count + per_message - 1) / per_message;
}

size_t SendBufferFor(size_t batch_bytes, size_t floor_bytes) {
  size_t want = batch_bytes + size_t{64} * 1024;
  want = (want + 4095) & ~size_t{4095};
  return std::max(want, floor_bytes);
}

// ---- Errors ------------------------------------------------------------------------------------

Status KernelError(int error, std::string_view what, std::string_view extack, bool privileged) {
  std::string msg(what);
  msg += ": ";
  auto with_extack = [&](std::string text) {
    if (!extack.empty()) {
      text += " (kernel: ";
      text += extack;
      text += ")";
    }
    return text;
  };
  switch (error) {
    case EPERM:
    case EACCES:
      if (privileged) {
        return Status::PermissionDenied(
            with_extack(msg +
                        "operation not permitted: another process owns the table (is a second "
                        "portcullisd running?)"));
      }
      return Status::PermissionDenied(
          with_extack(msg + "operation not permitted: needs CAP_NET_ADMIN (run as root)"));
    case EPROTONOSUPPORT:
    case EAFNOSUPPORT:
      return Status::Unavailable(
          with_extack(msg + "the kernel has no nf_tables support (needs CONFIG_NF_TABLES and "
                            "CONFIG_NF_TABLES_INET; try `modprobe nf_tables`)"));
    case EOPNOTSUPP:
      return Status::Unavailable(
          with_extack(msg + "the kernel does not support this nftables feature"));
    case ENOENT:
      return Status::NotFound(with_extack(msg + "no such table, chain, set or element"));
    case EEXIST:
      return Status::IoError(with_extack(msg + "already exists or overlaps an existing interval"));
    case ERANGE:
      return Status::InvalidArgument(with_extack(msg + "timeout out of range for this kernel"));
    case ENOBUFS:
    case EMSGSIZE:
      return Status::IoError(with_extack(msg + std::strerror(error) +
                                         " (netlink socket buffer too small for the batch)"));
    case EBUSY:
      return Status::IoError(with_extack(msg + "object is in use (referenced by another rule)"));
    case ERESTART:
      return Status::IoError(
          with_extack(msg + "the ruleset changed during the transaction; retry"));
    default:
      return Status::IoError(with_extack(msg + std::strerror(error)));
  }
}

}  // namespace portcullis
