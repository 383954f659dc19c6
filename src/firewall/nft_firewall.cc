#include "firewall/nft_firewall.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/capability.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "firewall/nft_plan.h"

namespace portcullis {

namespace {

// Not in Debian 12's kernel headers (Linux 6.9, "table adoption").
constexpr uint32_t kTableFlagPersist = 0x4;

// nftables datatypes (nftables include/datatype.h): userspace metadata that `nft list` uses.
constexpr uint32_t kTypeIpv4Addr = 7;
constexpr uint32_t kTypeIpv6Addr = 8;
constexpr uint32_t kTypeInetProto = 12;
constexpr uint32_t kTypeInetService = 13;

// nftables' rule userdata tag for comments (nftables include/rule.h).
constexpr uint8_t kUdataRuleComment = 0;

// Longest ban we hand to the kernel: ten years. Longer ones become permanent-looking but still
// timed; the kernel's own limit depends on its version, so we clamp here instead.
constexpr int64_t kMaxTimeoutMs = int64_t{3650} * 24 * 3600 * 1000;

// One received netlink datagram. The kernel builds dump replies of at most 32 KiB (it caps them
// at SKB_WITH_OVERHEAD(32768) however large our buffer) and acks, errors and notifications of at
// most NLMSG_GOODSIZE (a page, up to 8 KiB); each recv returns one datagram. A longer one would
// be reported as truncated, not misread.
constexpr size_t kReceiveBuffer = size_t{32} * 1024;
constexpr int kCommandRcvBuf = 4 * 1024 * 1024;
constexpr int kEventRcvBuf = 16 * 1024 * 1024;
constexpr size_t kMinSndBuf = size_t{1024} * 1024;
// Batches with at least this many elements are sent with the event subscription paused.
constexpr size_t kQuietBatchElements = 1000;
// Upper bound for one non-element message we build (table, set, chain, rule).
constexpr size_t kMaxObjectMessage = 8192;

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One set element as sent to or read from the kernel.
struct Element {
  std::array<uint8_t, 16> key{};
  uint8_t key_len = 4;
  bool interval_end = false;
  bool has_timeout = false;
  uint64_t timeout_ms = 0;
  uint64_t expiration_ms = 0;  // read back only
};

Element MakeElement(const IpAddress& address) {
  Element e;
  std::memcpy(e.key.data(), address.data(), address.size());
  e.key_len = static_cast<uint8_t>(address.size());
  return e;
}

void SetTimeout(Element& e, int64_t expiry_ms, int64_t now_ms) {
  if (expiry_ms == kNeverMs) {
    return;
  }
  e.has_timeout = true;
  int64_t left = std::clamp<int64_t>(expiry_ms - now_ms, 1, kMaxTimeoutMs);
  e.timeout_ms = static_cast<uint64_t>(left);
}

IpAddress ElementAddress(const Element& e) {
  return IpAddress::FromBytes(std::span<const uint8_t>(e.key.data(), e.key_len));
}

// ---- Batch building ---------------------------------------------------------------------------

// A netlink batch (BATCH_BEGIN ... BATCH_END) in one contiguous buffer, remembering for every
// message what it was for, so a kernel error can be reported against it.
class Batch {
 public:
  Batch(uint32_t* seq, std::string_view table) : seq_(seq), table_(table) {
    buf_.resize(size_t{64} * 1024);
    Begin();
  }

  // Room for the next message of at most `max_bytes`; returns where to build it.
  char* Reserve(size_t max_bytes) {
    if (buf_.size() < used_ + max_bytes) {
      buf_.resize(std::max(buf_.size() * 2, used_ + max_bytes));
    }
    return buf_.data() + used_;
  }

  uint32_t NextSeq() { return (*seq_)++; }

  // Sizes the buffer for about `elements` more set elements, so a big batch is built without
  // repeated growing and copying.
  void ReserveElements(size_t elements) {
    size_t want = used_ + elements * ElementBytes(16, true, false) + size_t{64} * 1024;
    if (buf_.size() < want) {
      buf_.resize(want);
    }
  }

  // Accounts for a message just built at Reserve()'s pointer.
  void Done(nlmsghdr* nlh, std::string what, std::vector<uint32_t> element_offsets = {}) {
    messages_.push_back(
        Message{nlh->nlmsg_seq, used_, std::move(what), std::move(element_offsets)});
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
    ++object_messages_;
  }

  void End() {
    nlmsghdr* nlh = nftnl_batch_end(Reserve(NLMSG_HDRLEN + 64), NextSeq());
    messages_.push_back(Message{nlh->nlmsg_seq, used_, "end of batch", {}});
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  }

  uint32_t NewSetId() { return next_set_id_++; }
  const std::string& table() const { return table_; }
  const char* data() const { return buf_.data(); }
  size_t size() const { return used_; }
  // Messages other than BEGIN/END.
  size_t object_messages() const { return object_messages_; }

  struct Message {
    uint32_t seq;
    size_t offset;
    std::string what;
    std::vector<uint32_t> element_offsets;  // element starts, relative to the message
  };
  const Message* FindMessage(uint32_t seq) const {
    for (const Message& m : messages_) {
      if (m.seq == seq) {
        return &m;
      }
    }
    return nullptr;
  }

 private:
  void Begin() {
    nlmsghdr* nlh = nftnl_batch_begin(Reserve(NLMSG_HDRLEN + 64), NextSeq());
    messages_.push_back(Message{nlh->nlmsg_seq, used_, "start of batch", {}});
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  }

  uint32_t* seq_;
  std::string table_;
  std::vector<char> buf_;
  size_t used_ = 0;
  size_t object_messages_ = 0;
  uint32_t next_set_id_ = 1;
  std::vector<Message> messages_;
};

// Element messages (NEWSETELEM / DELSETELEM) are built by hand with libmnl rather than through
// nftnl_set_elem objects: for 100k elements that avoids 100k allocations, and we know each
// element's offset, so an extended-ack offset can name the element the kernel refused.
void PutElements(Batch& b, uint16_t type, uint16_t flags, const std::string& set, uint32_t set_id,
                 std::span<const Element> elements, std::string_view verb) {
  size_t i = 0;
  do {
    char* at = b.Reserve(kElementListBudget + 4096);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, type, NFPROTO_INET, flags, b.NextSeq());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, b.table().c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
    if (set_id != 0) {
      mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(set_id));
    }
    std::vector<uint32_t> offsets;
    const size_t first = i;
    if (!elements.empty()) {
      nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
      size_t bytes = 0;
      for (; i < elements.size(); ++i) {
        const Element& e = elements[i];
        size_t eb = ElementBytes(e.key_len, e.has_timeout, e.interval_end);
        if (bytes + eb > kElementListBudget) {
          break;
        }
        bytes += eb;
        offsets.push_back(nlh->nlmsg_len);
        nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
        mnl_attr_put(nlh, NFTA_DATA_VALUE, e.key_len, e.key.data());
        mnl_attr_nest_end(nlh, key);
        if (e.interval_end) {
          mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
        }
        if (e.has_timeout) {
          mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(e.timeout_ms));
        }
        mnl_attr_nest_end(nlh, elem);
      }
      mnl_attr_nest_end(nlh, list);
    }
    std::string what = std::string(verb) + " " + std::to_string(i - first) + " element(s) " +
                       (type == NFT_MSG_DELSETELEM ? "from" : "to") + " set " + set;
    if (elements.empty()) {
      what = std::string(verb) + " set " + set;
    }
    b.Done(nlh, std::move(what), std::move(offsets));
  } while (i < elements.size());
}

// ---- libnftnl object helpers --------------------------------------------------------------------

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;

void PutTable(Batch& b, uint16_t type, uint32_t flags) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, b.table().c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  if (type == NFT_MSG_NEWTABLE) {
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, flags);
  }
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), type, NFPROTO_INET,
                                        type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, b.NextSeq());
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  b.Done(nlh,
         std::string(type == NFT_MSG_NEWTABLE ? "create" : "delete") + " table inet " + b.table());
}

struct ChainDef {
  const char* name;
  uint32_t hook;
};

void PutChain(Batch& b, const ChainDef& def, int priority) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, b.table().c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, def.name);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, def.hook);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, priority);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_NEWCHAIN,
                                        NFPROTO_INET, NLM_F_CREATE, b.NextSeq());
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  b.Done(nlh, std::string("create chain ") + def.name);
}

void PutDelChain(Batch& b, const std::string& name) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, b.table().c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, name.c_str());
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_DELCHAIN,
                                        NFPROTO_INET, 0, b.NextSeq());
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  b.Done(nlh, "delete chain " + name);
}

void PutFlushChain(Batch& b, const std::string& chain) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, b.table().c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_DELRULE, NFPROTO_INET,
                                        0, b.NextSeq());
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  b.Done(nlh, "flush chain " + chain);
}

// Creates a named set (returns its batch-local id) or an anonymous constant one.
uint32_t PutSet(Batch& b, const std::string& name, uint32_t key_type, uint32_t key_len,
                uint32_t flags) {
  SetPtr s(nftnl_set_alloc());
  uint32_t id = b.NewSetId();
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, b.table().c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, key_type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, key_len);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_NEWSET, NFPROTO_INET,
                                        NLM_F_CREATE, b.NextSeq());
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  b.Done(nlh, "create set " + name);
  return id;
}

uint32_t PutJailSet(Batch& b, const std::string& jail, NftSetKind kind) {
  uint32_t flags = NFT_SET_TIMEOUT | (IsInterval(kind) ? NFT_SET_INTERVAL : 0);
  return PutSet(b, NftSetName(jail, kind), IsV6(kind) ? kTypeIpv6Addr : kTypeIpv4Addr,
                IsV6(kind) ? 16 : 4, flags);
}

void PutDelSet(Batch& b, const std::string& name) {
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, b.table().c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_DELSET, NFPROTO_INET,
                                        0, b.NextSeq());
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  b.Done(nlh, "delete set " + name);
}

void AddExpr(nftnl_rule* r, nftnl_expr* e) { nftnl_rule_add_expr(r, e); }

nftnl_expr* Meta(uint32_t key) {
  nftnl_expr* e = nftnl_expr_alloc("meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  return e;
}

nftnl_expr* CmpEq(const void* data, uint32_t len) {
  nftnl_expr* e = nftnl_expr_alloc("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  return e;
}

nftnl_expr* Payload(uint32_t base, uint32_t offset, uint32_t len) {
  nftnl_expr* e = nftnl_expr_alloc("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  return e;
}

nftnl_expr* Lookup(const std::string& set, uint32_t set_id) {
  nftnl_expr* e = nftnl_expr_alloc("lookup");
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
  if (set_id != 0) {
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
  }
  return e;
}

// Ports merged and sorted, so an interval set never gets overlapping ranges.
std::vector<PortRange> MergePorts(std::vector<PortRange> ports) {
  std::sort(ports.begin(), ports.end(),
            [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
  std::vector<PortRange> out;
  for (const PortRange& p : ports) {
    if (!out.empty() && uint32_t{p.first} <= uint32_t{out.back().last} + 1) {
      out.back().last = std::max(out.back().last, p.last);
    } else {
      out.push_back(p);
    }
  }
  return out;
}

// An anonymous constant set for `meta l4proto { tcp, udp }` or `th dport { 22, 8000-8100 }`.
uint32_t PutAnonymousSet(Batch& b, bool ports, std::span<const PortRange> port_ranges,
                         std::span<const Protocol> protocols) {
  bool interval = false;
  for (const PortRange& p : port_ranges) {
    interval |= p.first != p.last;
  }
  uint32_t flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | (interval ? NFT_SET_INTERVAL : 0);
  uint32_t id =
      PutSet(b, "__set%d", ports ? kTypeInetService : kTypeInetProto, ports ? 2 : 1, flags);
  std::vector<Element> elems;
  if (ports) {
    for (const PortRange& p : port_ranges) {
      Element e;
      e.key_len = 2;
      uint16_t first = htons(p.first);
      std::memcpy(e.key.data(), &first, 2);
      elems.push_back(e);
      if (interval && p.last != 65535) {
        Element end;
        end.key_len = 2;
        uint16_t after = htons(static_cast<uint16_t>(p.last + 1));
        std::memcpy(end.key.data(), &after, 2);
        end.interval_end = true;
        elems.push_back(end);
      }
    }
  } else {
    for (Protocol p : protocols) {
      Element e;
      e.key_len = 1;
      e.key[0] = static_cast<uint8_t>(p);
      elems.push_back(e);
    }
  }
  PutElements(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "__set%d", id, elems, "add");
  return id;
}

// One rule: `ip saddr @set [meta l4proto ...] [th dport ...] counter <verdict>` tagged with the
// jail name as its comment (Counters and Verify find our rules by it).
void PutRule(Batch& b, const std::string& chain, const JailSpec& spec, NftSetKind kind,
             uint32_t set_id, std::span<const Protocol> protocols, bool tcp_reset) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, b.table().c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_udata_buf* ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
  nftnl_udata_put_strz(ud, kUdataRuleComment, spec.name.c_str());
  nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
                      nftnl_udata_buf_len(ud));
  nftnl_udata_buf_free(ud);

  const bool v6 = IsV6(kind);
  uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
  AddExpr(r.get(), Meta(NFT_META_NFPROTO));
  AddExpr(r.get(), CmpEq(&nfproto, 1));
  AddExpr(r.get(), Payload(NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, v6 ? 16 : 4));
  AddExpr(r.get(), Lookup(NftSetName(spec.name, kind), set_id));
  if (!protocols.empty()) {
    AddExpr(r.get(), Meta(NFT_META_L4PROTO));
    if (protocols.size() == 1) {
      uint8_t proto = static_cast<uint8_t>(protocols[0]);
      AddExpr(r.get(), CmpEq(&proto, 1));
    } else {
      uint32_t id = PutAnonymousSet(b, false, {}, protocols);
      AddExpr(r.get(), Lookup("__set%d", id));
    }
  }
  if (!spec.ports.empty()) {
    std::vector<PortRange> ports = MergePorts(spec.ports);
    AddExpr(r.get(), Payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));
    if (ports.size() == 1 && ports[0].first == ports[0].last) {
      uint16_t port = htons(ports[0].first);
      AddExpr(r.get(), CmpEq(&port, 2));
    } else {
      uint32_t id = PutAnonymousSet(b, true, ports, {});
      AddExpr(r.get(), Lookup("__set%d", id));
    }
  }
  AddExpr(r.get(), nftnl_expr_alloc("counter"));
  if (spec.action == BlockAction::kDrop) {
    nftnl_expr* e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
    AddExpr(r.get(), e);
  } else {
    nftnl_expr* e = nftnl_expr_alloc("reject");
    if (tcp_reset) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
    } else {
      nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
      nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
    }
    AddExpr(r.get(), e);
  }
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(b.Reserve(kMaxObjectMessage), NFT_MSG_NEWRULE, NFPROTO_INET,
                                        NLM_F_APPEND | NLM_F_CREATE, b.NextSeq());
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  b.Done(nlh, "add rule for set " + NftSetName(spec.name, kind) + " to chain " + chain);
}

// The rule groups of a jail: with "tcp reset", TCP gets its own rule ending in a reset and the
// other protocols keep the ICMP reject.
struct RuleGroup {
  std::vector<Protocol> protocols;
  bool tcp_reset;
};

std::vector<RuleGroup> RuleGroups(const JailSpec& spec) {
  const bool has_tcp = std::find(spec.protocols.begin(), spec.protocols.end(), Protocol::kTcp) !=
                       spec.protocols.end();
  if (spec.action == BlockAction::kReject && spec.reject_with_tcp_reset &&
      (has_tcp || spec.protocols.empty())) {
    std::vector<RuleGroup> groups{{{Protocol::kTcp}, true}};
    std::vector<Protocol> others;
    for (Protocol p : spec.protocols) {
      if (p != Protocol::kTcp) {
        others.push_back(p);
      }
    }
    if (!others.empty() || spec.protocols.empty()) {
      groups.push_back({others, false});
    }
    return groups;
  }
  return {{spec.protocols, false}};
}

// ---- Parsing ------------------------------------------------------------------------------------

// libmnl's iteration macros rely on C's implicit void* conversion; these are the C++ spelling.
template <typename F>
void ForEachAttr(const nlmsghdr* nlh, size_t offset, F f) {
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a)) {
    f(a);
  }
}

template <typename F>
void ForEachNested(const nlattr* nest, F f) {
  const char* tail =
      static_cast<const char*>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
  for (auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a)) {
    f(a);
  }
}

std::vector<Element> ParseElements(const nlmsghdr* nlh, std::string* set_name) {
  std::vector<Element> out;
  ForEachAttr(nlh, sizeof(nfgenmsg), [&](const nlattr* attr) {
    uint16_t type = mnl_attr_get_type(attr);
    if (type == NFTA_SET_ELEM_LIST_SET && set_name != nullptr) {
      *set_name = mnl_attr_get_str(attr);
    }
    if (type != NFTA_SET_ELEM_LIST_ELEMENTS) {
      return;
    }
    ForEachNested(attr, [&](const nlattr* elem) {
      Element e;
      ForEachNested(elem, [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
          case NFTA_SET_ELEM_KEY:
            ForEachNested(a, [&](const nlattr* v) {
              if (mnl_attr_get_type(v) == NFTA_DATA_VALUE) {
                uint16_t len = std::min<uint16_t>(mnl_attr_get_payload_len(v), 16);
                std::memcpy(e.key.data(), mnl_attr_get_payload(v), len);
                e.key_len = static_cast<uint8_t>(len);
              }
            });
            break;
          case NFTA_SET_ELEM_FLAGS:
            e.interval_end = (ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END) != 0;
            break;
          case NFTA_SET_ELEM_TIMEOUT:
            e.has_timeout = true;
            e.timeout_ms = be64toh(mnl_attr_get_u64(a));
            break;
          case NFTA_SET_ELEM_EXPIRATION:
            e.expiration_ms = be64toh(mnl_attr_get_u64(a));
            break;
          default:
            break;
        }
      });
      out.push_back(e);
    });
  });
  return out;
}

// What a set holds, as segments with absolute expiry (for interval sets) or hosts.
struct SetContent {
  std::vector<std::pair<IpAddress, int64_t>> hosts;
  std::vector<Segment> segments;
  // For List: timeout as installed, per host / segment (nullopt: permanent).
  std::vector<std::optional<int64_t>> timeouts;
};

int64_t ExpiryOf(const Element& e, int64_t now_ms) {
  if (!e.has_timeout) {
    return kNeverMs;
  }
  return now_ms + static_cast<int64_t>(e.expiration_ms);
}

SetContent Decode(NftSetKind kind, std::vector<Element> elems, int64_t now_ms) {
  SetContent out;
  const IpFamily family = IsV6(kind) ? IpFamily::kV6 : IpFamily::kV4;
  if (!IsInterval(kind)) {
    out.hosts.reserve(elems.size());
    for (const Element& e : elems) {
      out.hosts.emplace_back(ElementAddress(e), ExpiryOf(e, now_ms));
      out.timeouts.push_back(e.has_timeout ? std::optional<int64_t>(e.timeout_ms) : std::nullopt);
    }
    return out;
  }
  // Interval sets come back as start and end elements in no useful order. Sort by key with ends
  // before starts at equal keys (an end followed by a start at the same key are adjacent ranges).
  auto value = [](const Element& e) {
    Uint128 v = 0;
    for (int i = 0; i < e.key_len; ++i) {
      v = (v << 8) | e.key[i];
    }
    return v;
  };
  std::sort(elems.begin(), elems.end(), [&](const Element& a, const Element& b) {
    Uint128 va = value(a), vb = value(b);
    if (va != vb) {
      return va < vb;
    }
    return a.interval_end && !b.interval_end;
  });
  for (size_t i = 0; i < elems.size(); ++i) {
    const Element& e = elems[i];
    if (e.interval_end) {
      continue;
    }
    Uint128 first = value(e);
    Uint128 last = MaxAddressValue(family);
    if (i + 1 < elems.size()) {
      last = value(elems[i + 1]) - 1;
    }
    out.segments.push_back({first, last, ExpiryOf(e, now_ms)});
    out.timeouts.push_back(e.has_timeout ? std::optional<int64_t>(e.timeout_ms) : std::nullopt);
  }
  return out;
}

// Whether we hold CAP_NET_ADMIN (effective), to tell "not root" from "table owned by another".
bool HasNetAdmin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return geteuid() == 0;
  return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

int RunCallback(const nlmsghdr* nlh, void* data) {
  auto* fn = static_cast<std::function<int(const nlmsghdr*)>*>(data);
  return (*fn)(nlh);
}

}  // namespace

// ---- Netlink socket -----------------------------------------------------------------------------

class NlSocket {
 public:
  ~NlSocket() {
    if (nl_ != nullptr) {
      mnl_socket_close(nl_);
    }
  }

  Status Open(unsigned groups, int rcvbuf) {
    privileged_ = HasNetAdmin();
    nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0));
    if (nl_ == nullptr) {
      return KernelError(errno, "open netlink socket", "", privileged_);
    }
    if (mnl_socket_bind(nl_, groups, MNL_SOCKET_AUTOPID) < 0) {
      return KernelError(errno, "bind netlink socket", "", privileged_);
    }
    portid_ = mnl_socket_get_portid(nl_);
    int one = 1;
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(nl_, NETLINK_CAP_ACK, &one, sizeof(one));
    // Best effort: without CAP_NET_ADMIN FORCE fails, and the plain call is capped by rmem_max.
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
      setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    return Status::Ok();
  }

  // The receive buffer, allocated on first use and not zero-filled: the event socket of an idle
  // daemon never reads, and untouched pages stay out of the resident set.
  char* buffer() {
    if (buf_ == nullptr) {
      buf_.reset(new char[kReceiveBuffer]);
    }
    return buf_.get();
  }

  int fd() const { return mnl_socket_get_fd(nl_); }
  uint32_t* seq() { return &seq_; }

  void SetMembership(unsigned group, bool member) {
    int g = static_cast<int>(group);
    setsockopt(fd(), SOL_NETLINK, member ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &g,
               sizeof(g));
  }

  // Sends a whole batch as one datagram and collects the kernel's verdict. nfnetlink handles the
  // batch synchronously inside sendmsg(), so every error is queued by the time it returns; we do
  // not ask for per-message acks, only failures produce replies.
  Status Send(const Batch& b) {
    if (b.size() + 4096 > sndbuf_) {
      int want = static_cast<int>(SendBufferFor(b.size(), kMinSndBuf));
      if (setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0 &&
          setsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0) {
        return KernelError(errno, "size netlink send buffer", "", privileged_);
      }
      sndbuf_ = static_cast<size_t>(want);
    }
    if (mnl_socket_sendto(nl_, b.data(), b.size()) < 0) {
      int err = errno;
      std::string what = "send batch of " + std::to_string(b.size()) + " bytes";
      if (err == EMSGSIZE) {
        what += " (raise net.core.wmem_max)";
      }
      return KernelError(err, what, "", privileged_);
    }
    Status first_error;
    while (true) {
      // MSG_TRUNC: n is the datagram's real length, so a truncated reply is noticed.
      ssize_t n = recv(fd(), buffer(), kReceiveBuffer, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break;
        }
        if (errno == ENOBUFS) {
          if (first_error.ok()) {
            first_error = KernelError(ENOBUFS, "read batch errors", "", privileged_);
          }
          continue;
        }
        return KernelError(errno, "read batch result", "", privileged_);
      }
      if (static_cast<size_t>(n) > kReceiveBuffer) {
        if (first_error.ok()) {
          first_error =
              KernelError(EMSGSIZE, "read batch errors (reply truncated)", "", privileged_);
        }
        n = static_cast<ssize_t>(kReceiveBuffer);
      }
      for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf_.get());
           mnl_nlmsg_ok(nlh, static_cast<int>(n));
           nlh = mnl_nlmsg_next(nlh, reinterpret_cast<int*>(&n))) {
        if (nlh->nlmsg_type != NLMSG_ERROR) {
          continue;
        }
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error == 0 || !first_error.ok()) {
          continue;
        }
        first_error = ErrorFor(b, nlh, err);
      }
    }
    return first_error;
  }

  // Runs one request (a get or a dump) and feeds every reply message to `fn`. A dump that the
  // kernel marks as interrupted by a concurrent change is reported as EINTR for the caller to
  // retry.
  Status Request(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& build,
                 const std::function<void(const nlmsghdr*)>& fn, std::string_view what) {
    char req[kMaxObjectMessage];
    uint32_t seq = seq_++;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_INET, flags | NLM_F_ACK, seq);
    build(nlh);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
      return KernelError(errno, what, "", privileged_);
    }
    bool interrupted = false;
    std::function<int(const nlmsghdr*)> cb = [&](const nlmsghdr* m) {
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) {
        interrupted = true;
      }
      fn(m);
      return MNL_CB_OK;
    };
    while (true) {
      // libmnl fails with ENOSPC on a truncated datagram.
      ssize_t n = mnl_socket_recvfrom(nl_, buffer(), kReceiveBuffer);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return KernelError(errno, what, "", privileged_);
      }
      int ret = mnl_cb_run(buf_.get(), static_cast<size_t>(n), seq, portid_,
                           reinterpret_cast<mnl_cb_t>(RunCallback), &cb);
      if (ret < 0) {
        return KernelError(errno, what, "", privileged_);
      }
      if (ret == MNL_CB_STOP) {
        break;
      }
    }
    if (interrupted) {
      return Status::IoError(std::string(what) + ": interrupted");
    }
    return Status::Ok();
  }

 private:
  Status ErrorFor(const Batch& b, const nlmsghdr* nlh, const nlmsgerr* err) {
    const Batch::Message* m = b.FindMessage(err->msg.nlmsg_seq);
    std::string what = m ? m->what : "batch message " + std::to_string(err->msg.nlmsg_seq);
    std::string extack;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
      size_t off = sizeof(nlmsghdr) + sizeof(nlmsgerr);
      if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
        off += err->msg.nlmsg_len - NLMSG_HDRLEN;
      }
      const char* base = reinterpret_cast<const char*>(nlh);
      for (const nlattr* a = reinterpret_cast<const nlattr*>(base + MNL_ALIGN(off)); mnl_attr_ok(
               a, static_cast<int>(nlh->nlmsg_len - (reinterpret_cast<const char*>(a) - base)));
           a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
          extack = mnl_attr_get_str(a);
        }
        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS && m != nullptr) {
          uint32_t at = mnl_attr_get_u32(a);
          const auto& offs = m->element_offsets;
          auto it = std::upper_bound(offs.begin(), offs.end(), at);
          if (it != offs.begin()) {
            // The element is still in our batch buffer: NFTA_LIST_ELEM { KEY { VALUE } ... }.
            const char* at_elem = b.data() + m->offset + *(it - 1);
            const auto* elem = reinterpret_cast<const nlattr*>(at_elem);
            const auto* key = static_cast<const nlattr*>(mnl_attr_get_payload(elem));
            const auto* value = static_cast<const nlattr*>(mnl_attr_get_payload(key));
            uint16_t len = mnl_attr_get_payload_len(value);
            what += " (element ";
            what += len == 4 || len == 16
                        ? IpAddress::FromBytes(
                              std::span<const uint8_t>(
                                  static_cast<const uint8_t*>(mnl_attr_get_payload(value)), len))
                              .ToString()
                        : "?";
            what += ")";
          }
        }
      }
    }
    return KernelError(-err->error, what, extack, privileged_);
  }

  bool privileged_ = false;
  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = static_cast<uint32_t>(time(nullptr));
  size_t sndbuf_ = 0;
  std::unique_ptr<char[]> buf_;
};

// ---- The firewall -------------------------------------------------------------------------------

struct NftFirewall::Impl {
  NftOptions options;
  NlSocket cmd;
  std::unique_ptr<NlSocket> events;
  uint32_t table_flags = 0;
  bool update_supported = false;
  bool torn_down = false;
  bool pending_check = false;  // events were off during a bulk change: verify on next occasion
  size_t adopted = 0;
  size_t restores = 0;
  std::map<std::string, JailSpec, std::less<>> specs;
  BanLedger ledger;

  std::vector<ChainDef> Chains() const {
    std::vector<ChainDef> out;
    if (options.hook_input) {
      out.push_back({"input", NF_INET_LOCAL_IN});
    }
    if (options.hook_forward) {
      out.push_back({"forward", NF_INET_FORWARD});
    }
    return out;
  }

  Batch NewBatch() { return Batch(cmd.seq(), options.table); }

  // Sends a batch. For big ones we leave the event group first: the kernel builds one
  // notification per element only while someone listens, which doubles the cost of a 100k ban and
  // floods our own event socket. Afterwards we rejoin and check our objects directly, so an
  // outside change in that short window is still caught.
  Status SendBatch(const Batch& b, size_t elements) {
    const bool quiet = events != nullptr && elements >= kQuietBatchElements;
    if (quiet) {
      events->SetMembership(NFNLGRP_NFTABLES, false);
    }
    Status st = cmd.Send(b);
    if (quiet) {
      events->SetMembership(NFNLGRP_NFTABLES, true);
      pending_check = true;
    }
    return st;
  }

  // ---- reading the kernel ----

  // Whether our table exists; fills `flags` when it does.
  Result<bool> GetTable(uint32_t* flags) {
    bool found = false;
    Status st = cmd.Request(
        NFT_MSG_GETTABLE, 0,
        [&](nlmsghdr* nlh) {
          TablePtr t(nftnl_table_alloc());
          nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, options.table.c_str());
          nftnl_table_nlmsg_build_payload(nlh, t.get());
        },
        [&](const nlmsghdr* nlh) {
          TablePtr t(nftnl_table_alloc());
          if (nftnl_table_nlmsg_parse(nlh, t.get()) == 0) {
            found = true;
            if (flags) {
              *flags = nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS);
            }
          }
        },
        "get table inet " + options.table);
    if (!st.ok()) {
      if (st.code() == StatusCode::kNotFound) {
        return false;
      }
      return st;
    }
    return found;
  }

  Result<std::vector<std::string>> ListSets() {
    std::vector<std::string> names;
    Status st = cmd.Request(
        NFT_MSG_GETSET, NLM_F_DUMP,
        [&](nlmsghdr* nlh) {
          SetPtr s(nftnl_set_alloc());
          nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, options.table.c_str());
          nftnl_set_nlmsg_build_payload(nlh, s.get());
        },
        [&](const nlmsghdr* nlh) {
          SetPtr s(nftnl_set_alloc());
          if (nftnl_set_nlmsg_parse(nlh, s.get()) == 0 &&
              options.table == nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) {
            names.emplace_back(nftnl_set_get_str(s.get(), NFTNL_SET_NAME));
          }
        },
        "list sets of table inet " + options.table);
    if (!st.ok()) {
      return st;
    }
    return names;
  }

  Result<std::vector<Element>> DumpSet(const std::string& set) {
    for (int attempt = 0;; ++attempt) {
      std::vector<Element> out;
      Status st = cmd.Request(
          NFT_MSG_GETSETELEM, NLM_F_DUMP,
          [&](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, options.table.c_str());
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
          },
          [&](const nlmsghdr* nlh) {
            std::vector<Element> part = ParseElements(nlh, nullptr);
            out.insert(out.end(), part.begin(), part.end());
          },
          "list elements of set " + set);
      if (st.ok()) {
        return out;
      }
      if (st.code() != StatusCode::kIoError || attempt == 3) {
        return st;
      }
    }
  }

  // Rules per chain and per jail comment: count and counter totals.
  struct RuleInfo {
    std::map<std::string, size_t> per_chain;
    std::map<std::string, JailCounters> per_jail;
  };
  Result<RuleInfo> DumpRules() {
    RuleInfo info;
    Status st = cmd.Request(
        NFT_MSG_GETRULE, NLM_F_DUMP,
        [&](nlmsghdr* nlh) {
          RulePtr r(nftnl_rule_alloc());
          nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, options.table.c_str());
          nftnl_rule_nlmsg_build_payload(nlh, r.get());
        },
        [&](const nlmsghdr* nlh) {
          RulePtr r(nftnl_rule_alloc());
          if (nftnl_rule_nlmsg_parse(nlh, r.get()) != 0) {
            return;
          }
          if (options.table != nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE)) {
            return;
          }
          info.per_chain[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)]++;
          std::string jail;
          if (nftnl_rule_is_set(r.get(), NFTNL_RULE_USERDATA)) {
            uint32_t len = 0;
            const void* data = nftnl_rule_get_data(r.get(), NFTNL_RULE_USERDATA, &len);
            nftnl_udata_parse(
                data, len,
                [](const nftnl_udata* attr, void* out) {
                  if (nftnl_udata_type(attr) == kUdataRuleComment) {
                    *static_cast<std::string*>(out) =
                        static_cast<const char*>(nftnl_udata_get(attr));
                  }
                  return 0;
                },
                &jail);
          }
          if (jail.empty()) {
            return;
          }
          JailCounters& c = info.per_jail[jail];
          c.jail = jail;
          nftnl_expr_iter* it = nftnl_expr_iter_create(r.get());
          for (nftnl_expr* e = nftnl_expr_iter_next(it); e != nullptr;
               e = nftnl_expr_iter_next(it)) {
            if (std::strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0) {
              c.packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
              c.bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
            }
          }
          nftnl_expr_iter_destroy(it);
        },
        "list rules of table inet " + options.table);
    if (!st.ok()) {
      return st;
    }
    return info;
  }

  // Reads every set of our table into a fresh ledger (kernel truth).
  Result<BanLedger> ReadKernel(int64_t now_ms) {
    BanLedger fresh;
    Result<std::vector<std::string>> sets = ListSets();
    if (!sets.ok()) {
      return sets.status();
    }
    for (const std::string& name : *sets) {
      auto parsed = ParseNftSetName(name);
      if (!parsed) {
        continue;
      }
      auto& [jail_name, kind] = *parsed;
      Result<std::vector<Element>> elems = DumpSet(name);
      if (!elems.ok()) {
        return elems.status();
      }
      fresh.AddJail(jail_name);
      BanLedger::Jail* jail = fresh.FindMutable(jail_name);
      SetContent content = Decode(kind, std::move(*elems), now_ms);
      for (auto& [address, expiry] : content.hosts) {
        jail->hosts[address] = expiry;
      }
      const IpFamily family = IsV6(kind) ? IpFamily::kV6 : IpFamily::kV4;
      for (const Segment& s : content.segments) {
        for (const Cidr& c : RangeToCidrs(s.first, s.last, family)) {
          jail->nets[c] = s.expiry_ms;
        }
      }
      if (IsInterval(kind)) {
        jail->segments[IsV6(kind) ? 1 : 0] = std::move(content.segments);
      }
    }
    return fresh;
  }

  // ---- writing ----

  // Named sets for every ledger jail, rules for every jail with a spec, chains; on an empty table.
  void PutJailRules(Batch& b, const std::map<std::string, uint32_t>& new_set_ids) {
    for (const ChainDef& chain : Chains()) {
      for (const auto& [name, spec] : specs) {
        for (NftSetKind kind : kAllSetKinds) {
          auto it = new_set_ids.find(NftSetName(name, kind));
          uint32_t id = it == new_set_ids.end() ? 0 : it->second;
          for (const RuleGroup& g : RuleGroups(spec)) {
            PutRule(b, chain.name, spec, kind, id, g.protocols, g.tcp_reset);
          }
        }
      }
    }
  }

  size_t ExpectedRulesPerChain() const {
    size_t n = 0;
    for (const auto& [name, spec] : specs) {
      n += 4 * RuleGroups(spec).size();
    }
    return n;
  }

  void PutHostElements(Batch& b, const std::string& set, const std::vector<HostChange>& changes,
                       int64_t now_ms) {
    std::vector<Element> del, add;
    for (const HostChange& c : changes) {
      Element e = MakeElement(c.address);
      switch (c.kind) {
        case HostChange::Kind::kAdd:
          SetTimeout(e, c.expiry_ms, now_ms);
          add.push_back(e);
          break;
        case HostChange::Kind::kRemove:
          del.push_back(e);
          break;
        case HostChange::Kind::kUpdate:
          // Re-adding updates a timeout in place on 6.12+; otherwise, and whenever a ban turns
          // permanent or timed, delete and re-add within the same transaction.
          if (!update_supported || c.expiry_ms == kNeverMs || c.old_expiry_ms == kNeverMs) {
            del.push_back(e);
          }
          SetTimeout(e, c.expiry_ms, now_ms);
          add.push_back(e);
          break;
      }
    }
    if (!del.empty()) {
      PutElements(b, NFT_MSG_DELSETELEM, 0, set, 0, del, "delete");
    }
    if (!add.empty()) {
      PutElements(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, set, 0, add, "add");
    }
  }

  static std::vector<Element> SegmentElements(std::span<const Segment> segs, IpFamily family,
                                              bool with_timeout, int64_t now_ms) {
    std::vector<Element> out;
    out.reserve(segs.size() * 2);
    const Uint128 max = MaxAddressValue(family);
    for (const Segment& s : segs) {
      Element start = MakeElement(AddressFromValue(s.first, family));
      if (with_timeout) {
        SetTimeout(start, s.expiry_ms, now_ms);
      }
      out.push_back(start);
      if (s.last != max) {
        Element end = MakeElement(AddressFromValue(s.last + 1, family));
        end.interval_end = true;
        out.push_back(end);
      }
    }
    return out;
  }

  void PutPlan(Batch& b, const BanPlan& plan, int64_t now_ms) {
    for (const JailChanges& jc : plan.jails) {
      if (jc.flush_hosts) {
        for (NftSetKind kind : kAllSetKinds) {
          PutElements(b, NFT_MSG_DELSETELEM, 0, NftSetName(jc.jail, kind), 0, {}, "flush");
        }
      }
      PutHostElements(b, NftSetName(jc.jail, NftSetKind::kHost4), jc.hosts4, now_ms);
      PutHostElements(b, NftSetName(jc.jail, NftSetKind::kHost6), jc.hosts6, now_ms);
      for (int f = 0; f < 2; ++f) {
        if (!jc.nets_changed[f]) {
          continue;
        }
        const IpFamily family = f == 0 ? IpFamily::kV4 : IpFamily::kV6;
        const std::string set = NftSetName(jc.jail, f == 0 ? NftSetKind::kNet4 : NftSetKind::kNet6);
        std::vector<Element> del = SegmentElements(jc.nets[f].remove, family, false, now_ms);
        std::vector<Element> add = SegmentElements(jc.nets[f].add, family, true, now_ms);
        if (!del.empty()) {
          PutElements(b, NFT_MSG_DELSETELEM, 0, set, 0, del, "delete");
        }
        if (!add.empty()) {
          PutElements(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, set, 0, add, "add");
        }
      }
    }
  }

  // The whole table from the ledger: used after outside removal, and by Resync.
  Status Rebuild(bool table_exists) {
    const int64_t now = SteadyNowMs();
    ledger.Purge(now);
    Batch b = NewBatch();
    if (table_exists) {
      PutTable(b, NFT_MSG_DELTABLE, 0);
    }
    PutTable(b, NFT_MSG_NEWTABLE, table_flags);
    for (const ChainDef& c : Chains()) {
      PutChain(b, c, options.priority);
    }
    std::map<std::string, uint32_t> ids;
    for (const std::string& name : ledger.JailNames()) {
      const BanLedger::Jail* jail = ledger.Find(name);
      for (NftSetKind kind : kAllSetKinds) {
        ids[NftSetName(name, kind)] = PutJailSet(b, name, kind);
      }
      std::vector<HostChange> h4, h6;
      for (const auto& [address, expiry] : jail->hosts) {
        (address.is_v4() ? h4 : h6).push_back({HostChange::Kind::kAdd, address, expiry, 0});
      }
      PutHostElements(b, NftSetName(name, NftSetKind::kHost4), h4, now);
      PutHostElements(b, NftSetName(name, NftSetKind::kHost6), h6, now);
      for (int f = 0; f < 2; ++f) {
        const IpFamily family = f == 0 ? IpFamily::kV4 : IpFamily::kV6;
        std::vector<Element> add = SegmentElements(jail->segments[f], family, true, now);
        if (!add.empty()) {
          PutElements(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
                      NftSetName(name, f == 0 ? NftSetKind::kNet4 : NftSetKind::kNet6), 0, add,
                      "add");
        }
      }
    }
    PutJailRules(b, ids);
    b.End();
    return SendBatch(b, ledger.size());
  }

  // The priority of one of our chains, or nullopt if it does not exist.
  Result<std::optional<int>> ChainPriority(const std::string& name) {
    std::optional<int> prio;
    Status st = cmd.Request(
        NFT_MSG_GETCHAIN, 0,
        [&](nlmsghdr* nlh) {
          ChainPtr ch(nftnl_chain_alloc());
          nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, options.table.c_str());
          nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, name.c_str());
          nftnl_chain_nlmsg_build_payload(nlh, ch.get());
        },
        [&](const nlmsghdr* nlh) {
          ChainPtr ch(nftnl_chain_alloc());
          if (nftnl_chain_nlmsg_parse(nlh, ch.get()) == 0) {
            prio = nftnl_chain_get_s32(ch.get(), NFTNL_CHAIN_PRIO);
          }
        },
        "get chain " + name);
    if (!st.ok() && st.code() != StatusCode::kNotFound) {
      return st;
    }
    return prio;
  }

  // Claims an existing table of the right kind: sets our flags (an orphaned persistent table takes
  // the owner flag again), adds missing chains and removes chains of hooks no longer wanted. A
  // chain whose priority changed cannot be updated in place: then the table is rebuilt.
  Status Claim(uint32_t flags) {
    Batch b = NewBatch();
    PutTable(b, NFT_MSG_NEWTABLE, flags);
    const ChainDef all[] = {{"input", NF_INET_LOCAL_IN}, {"forward", NF_INET_FORWARD}};
    std::vector<ChainDef> wanted = Chains();
    for (const ChainDef& c : all) {
      Result<std::optional<int>> prio = ChainPriority(c.name);
      if (!prio.ok()) {
        return prio.status();
      }
      bool want = std::any_of(wanted.begin(), wanted.end(),
                              [&](const ChainDef& w) { return w.hook == c.hook; });
      if (want && *prio && **prio != options.priority) {
        return Rebuild(true);
      }
      if (want && !*prio) {
        PutChain(b, c, options.priority);
      }
      if (!want && *prio) {
        PutFlushChain(b, c.name);
        PutDelChain(b, c.name);
      }
    }
    b.End();
    return cmd.Send(b);
  }

  // Whether the kernel still has every object we installed.
  Result<bool> Intact() {
    uint32_t flags = 0;
    Result<bool> exists = GetTable(&flags);
    if (!exists.ok()) {
      return exists.status();
    }
    if (!*exists) {
      return false;
    }
    Result<std::vector<std::string>> sets = ListSets();
    if (!sets.ok()) {
      return sets.status();
    }
    std::set<std::string> have(sets->begin(), sets->end());
    for (const std::string& jail : ledger.JailNames()) {
      for (NftSetKind kind : kAllSetKinds) {
        if (!have.count(NftSetName(jail, kind))) {
          return false;
        }
      }
    }
    Result<RuleInfo> rules = DumpRules();
    if (!rules.ok()) {
      return rules.status();
    }
    const size_t expected = ExpectedRulesPerChain();
    for (const ChainDef& c : Chains()) {
      auto it = rules->per_chain.find(c.name);
      size_t n = it == rules->per_chain.end() ? 0 : it->second;
      if (n != expected) {
        return false;
      }
    }
    // Chains with no rules do not show in the rule dump; an empty expected set is checked here.
    if (expected == 0) {
      for (const ChainDef& c : Chains()) {
        Result<std::optional<int>> prio = ChainPriority(c.name);
        if (!prio.ok()) {
          return prio.status();
        }
        if (!*prio) {
          return false;
        }
      }
    }
    return true;
  }

  Status RestoreIfNeeded(std::string_view why) {
    if (torn_down) {
      return Status::Ok();
    }
    Result<bool> intact = Intact();
    if (!intact.ok()) {
      return intact.status();
    }
    if (*intact) {
      return Status::Ok();
    }
    uint32_t flags = 0;
    Result<bool> exists = GetTable(&flags);
    if (!exists.ok()) {
      return exists.status();
    }
    Status st = Rebuild(*exists);
    if (!st.ok()) {
      return st.WithContext("restore table inet " + options.table);
    }
    ++restores;
    spdlog::warn(
        "firewall: table inet {} was changed from outside ({}); re-created it with {} ban(s)",
        options.table, why, ledger.size());
    return Status::Ok();
  }

  // Runs a plan; if the kernel disagrees with the ledger (an element expired a moment early, or
  // someone else changed our sets), reload the ledger from the kernel and try once more.
  template <typename MakePlan>
  Status Execute(MakePlan make_plan) {
    for (int attempt = 0;; ++attempt) {
      const int64_t now = SteadyNowMs();
      Result<BanPlan> plan = make_plan(now);
      if (!plan.ok()) {
        return plan.status();
      }
      if (plan->empty()) {
        ledger.Commit(std::move(*plan), now);
        return Status::Ok();
      }
      Batch b = NewBatch();
      b.ReserveElements(plan->element_count());
      PutPlan(b, *plan, now);
      b.End();
      Status st = SendBatch(b, plan->element_count());
      if (st.ok()) {
        ledger.Commit(std::move(*plan), now);
        if (pending_check) {
          pending_check = false;
          return RestoreIfNeeded("changed while events were paused");
        }
        return st;
      }
      const bool mismatch = st.code() == StatusCode::kNotFound ||
                            st.message().find("already exists") != std::string::npos;
      if (!mismatch || attempt > 0) {
        return st;
      }
      Result<BanLedger> fresh = ReadKernel(SteadyNowMs());
      if (!fresh.ok()) {
        return st;
      }
      // Jails whose sets vanished entirely are restored rather than forgotten.
      for (const std::string& name : ledger.JailNames()) {
        if (!fresh->HasJail(name)) {
          return RestoreIfNeeded("sets missing");
        }
      }
      ledger = std::move(*fresh);
    }
  }

  Status Probe() {
    // A scratch set inside our own table: add an element with a 1 h timeout, add it again with
    // 2 h, and read back which timeout the kernel kept (Linux 6.12+ updates it in place).
    const std::string scratch = "_probe";
    Batch b = NewBatch();
    PutSet(b, scratch, kTypeIpv4Addr, 4, NFT_SET_TIMEOUT);
    Element e = MakeElement(IpAddress::FromV4(0xC0000201));  // 192.0.2.1
    e.has_timeout = true;
    e.timeout_ms = uint64_t{3600} * 1000;
    PutElements(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, scratch, 0, std::span(&e, 1), "add");
    b.End();
    PORTCULLIS_RETURN_IF_ERROR(cmd.Send(b).WithContext("probe"));
    Batch b2 = NewBatch();
    e.timeout_ms = uint64_t{2} * 3600 * 1000;
    PutElements(b2, NFT_MSG_NEWSETELEM, NLM_F_CREATE, scratch, 0, std::span(&e, 1), "add");
    b2.End();
    Status st = cmd.Send(b2);
    if (st.ok()) {
      Result<std::vector<Element>> got = DumpSet(scratch);
      update_supported =
          got.ok() && got->size() == 1 && (*got)[0].timeout_ms > uint64_t{5400} * 1000;
    }
    Batch b3 = NewBatch();
    PutDelSet(b3, scratch);
    b3.End();
    return cmd.Send(b3).WithContext("probe cleanup");
  }
};

// ---- Public methods -----------------------------------------------------------------------------

NftFirewall::NftFirewall(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftFirewall::~NftFirewall() = default;

Result<std::unique_ptr<NftFirewall>> NftFirewall::Open(const NftOptions& options) {
  PORTCULLIS_RETURN_IF_ERROR(ValidateTableName(options.table));
  if (!options.hook_input && !options.hook_forward) {
    return Status::InvalidArgument("firewall: choose at least one hook (input, forward)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  PORTCULLIS_RETURN_IF_ERROR(impl->cmd.Open(0, kCommandRcvBuf));
  if (options.watch_events) {
    // Subscribe before reading the ruleset, so nothing that happens after the read is missed.
    impl->events = std::make_unique<NlSocket>();
    PORTCULLIS_RETURN_IF_ERROR(impl->events->Open(1u << (NFNLGRP_NFTABLES - 1), kEventRcvBuf));
  }

  uint32_t existing_flags = 0;
  Result<bool> exists = impl->GetTable(&existing_flags);
  if (!exists.ok()) {
    return exists.status();
  }
  if (*exists) {
    Result<BanLedger> adopted = impl->ReadKernel(SteadyNowMs());
    if (!adopted.ok()) {
      return adopted.status().WithContext("adopt existing bans");
    }
    impl->ledger = std::move(*adopted);
    impl->adopted = impl->ledger.size();
  }

  // Ownership: owner + persist where possible (see the header and docs/firewall.md).
  const uint32_t owned = NFT_TABLE_F_OWNER | kTableFlagPersist;
  std::vector<uint32_t> candidates;
  switch (options.ownership) {
    case NftOptions::Ownership::kAuto:
      candidates = {owned, 0};
      break;
    case NftOptions::Ownership::kOwner:
      candidates = {owned};
      break;
    case NftOptions::Ownership::kNone:
      candidates = {0};
      break;
  }
  Status last;
  for (uint32_t flags : candidates) {
    impl->table_flags = flags;
    const bool persist_matches =
        (existing_flags & kTableFlagPersist) == (flags & kTableFlagPersist);
    if (*exists && persist_matches) {
      last = impl->Claim(flags);
    } else {
      // No table, or one whose persist flag we cannot change in place: build it from scratch
      // (with any adopted bans) in one transaction.
      last = impl->Rebuild(*exists);
    }
    if (last.ok()) {
      break;
    }
    if (last.code() != StatusCode::kUnavailable &&
        last.message().find("Invalid argument") == std::string::npos) {
      break;
    }
  }
  if (!last.ok()) {
    return last;
  }
  PORTCULLIS_RETURN_IF_ERROR(impl->Probe());
  return std::unique_ptr<NftFirewall>(new NftFirewall(std::move(impl)));
}

Status NftFirewall::SetUpJails(std::span<const JailSpec> jails) {
  for (const JailSpec& spec : jails) {
    PORTCULLIS_RETURN_IF_ERROR(ValidateJailSpec(spec));
  }
  Impl& m = *impl_;
  if (m.torn_down) {
    // Used again after TearDown: start over with an empty table.
    PORTCULLIS_RETURN_IF_ERROR(m.Rebuild(false));
    m.torn_down = false;
  }
  auto previous = m.specs;
  Batch b = m.NewBatch();
  std::map<std::string, uint32_t> ids;
  std::vector<std::string> created;
  for (const JailSpec& spec : jails) {
    if (!m.ledger.HasJail(spec.name)) {
      for (NftSetKind kind : kAllSetKinds) {
        ids[NftSetName(spec.name, kind)] = PutJailSet(b, spec.name, kind);
      }
      created.push_back(spec.name);
    }
    m.specs[spec.name] = spec;
  }
  for (const ChainDef& c : m.Chains()) {
    PutFlushChain(b, c.name);
  }
  m.PutJailRules(b, ids);
  b.End();
  Status st = m.cmd.Send(b);
  if (!st.ok()) {
    m.specs = std::move(previous);
    return st;
  }
  for (const std::string& name : created) {
    m.ledger.AddJail(name);
  }
  m.torn_down = false;
  return Status::Ok();
}

Status NftFirewall::RemoveJail(std::string_view jail) {
  Impl& m = *impl_;
  if (!m.ledger.HasJail(jail)) {
    return Status::Ok();
  }
  auto previous = m.specs;
  auto it = m.specs.find(jail);
  if (it != m.specs.end()) {
    m.specs.erase(it);
  }
  Batch b = m.NewBatch();
  for (const ChainDef& c : m.Chains()) {
    PutFlushChain(b, c.name);
  }
  m.PutJailRules(b, {});
  for (NftSetKind kind : kAllSetKinds) {
    PutDelSet(b, NftSetName(jail, kind));
  }
  b.End();
  Status st = m.cmd.Send(b);
  if (!st.ok()) {
    m.specs = std::move(previous);
    return st;
  }
  m.ledger.RemoveJail(jail);
  return Status::Ok();
}

std::vector<std::string> NftFirewall::Jails() const { return impl_->ledger.JailNames(); }

Status NftFirewall::Apply(const FirewallBatch& batch) {
  Impl& m = *impl_;
  return m.Execute([&](int64_t now) { return m.ledger.PlanBatch(batch, now); });
}

Status NftFirewall::Flush(std::string_view jail) {
  Impl& m = *impl_;
  if (!m.ledger.HasJail(jail)) {
    return Status::NotFound("no jail named \"" + std::string(jail) + "\"");
  }
  return m.Execute([&](int64_t now) -> Result<BanPlan> { return m.ledger.PlanFlush(jail, now); });
}

Status NftFirewall::Replace(std::string_view jail, std::span<const BanEntry> entries) {
  Impl& m = *impl_;
  return m.Execute([&](int64_t now) { return m.ledger.PlanReplace(jail, entries, now); });
}

Result<std::vector<BanEntry>> NftFirewall::List(std::string_view jail) {
  Impl& m = *impl_;
  if (!m.ledger.HasJail(jail)) {
    return Status::NotFound("no jail named \"" + std::string(jail) + "\"");
  }
  std::vector<BanEntry> out;
  for (NftSetKind kind : kAllSetKinds) {
    Result<std::vector<Element>> elems = m.DumpSet(NftSetName(jail, kind));
    if (!elems.ok()) {
      return elems.status();
    }
    const IpFamily family = IsV6(kind) ? IpFamily::kV6 : IpFamily::kV4;
    const int64_t now = SteadyNowMs();
    // Remaining time comes straight from the kernel's expiration, not from our clock.
    SetContent content = Decode(kind, std::move(*elems), now);
    auto make = [&](const Cidr& target, std::optional<int64_t> timeout, int64_t expiry) {
      BanEntry e{target, std::nullopt, std::nullopt};
      if (timeout) {
        e.timeout = std::chrono::milliseconds(*timeout);
        e.remaining = std::chrono::milliseconds(expiry - now);
      }
      return e;
    };
    if (!IsInterval(kind)) {
      out.reserve(out.size() + content.hosts.size());
      for (size_t i = 0; i < content.hosts.size(); ++i) {
        out.push_back(
            make(Cidr(content.hosts[i].first), content.timeouts[i], content.hosts[i].second));
      }
    } else {
      for (size_t i = 0; i < content.segments.size(); ++i) {
        const Segment& s = content.segments[i];
        for (const Cidr& c : RangeToCidrs(s.first, s.last, family)) {
          out.push_back(make(c, content.timeouts[i], s.expiry_ms));
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), BanOrder);
  return out;
}

Result<std::vector<JailCounters>> NftFirewall::Counters() {
  Result<Impl::RuleInfo> rules = impl_->DumpRules();
  if (!rules.ok()) {
    return rules.status();
  }
  std::vector<JailCounters> out;
  for (const std::string& name : impl_->ledger.JailNames()) {
    auto it = rules->per_jail.find(name);
    out.push_back(it == rules->per_jail.end() ? JailCounters{name, 0, 0} : it->second);
  }
  return out;
}

Status NftFirewall::TearDown() {
  Impl& m = *impl_;
  Batch b = m.NewBatch();
  PutTable(b, NFT_MSG_DELTABLE, 0);
  b.End();
  Status st = m.cmd.Send(b);
  if (!st.ok() && st.code() != StatusCode::kNotFound) {
    return st;
  }
  m.torn_down = true;
  m.specs.clear();
  m.ledger = BanLedger();
  return Status::Ok();
}

int NftFirewall::event_fd() const { return impl_->events ? impl_->events->fd() : -1; }

Status NftFirewall::HandleEvents() {
  Impl& m = *impl_;
  if (!m.events) {
    return Status::Ok();
  }
  bool suspicious = false;
  bool lost = false;
  char* buf = m.events->buffer();
  while (true) {
    ssize_t n = recv(m.events->fd(), buf, kReceiveBuffer, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      if (errno == ENOBUFS) {
        lost = true;
        continue;
      }
      return KernelError(errno, "read nftables events", "");
    }
    if (static_cast<size_t>(n) > kReceiveBuffer) {
      lost = true;  // a notification we could not read whole: resynchronise as after ENOBUFS
      continue;
    }
    int len = static_cast<int>(n);
    for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) {
        continue;
      }
      const uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
      if (type != NFT_MSG_DELTABLE && type != NFT_MSG_DELCHAIN && type != NFT_MSG_DELSET &&
          type != NFT_MSG_DELRULE) {
        continue;
      }
      const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
      if (nfg->nfgen_family != NFPROTO_INET) {
        continue;
      }
      // The first attribute of every one of these messages is the table name.
      ForEachAttr(nlh, sizeof(nfgenmsg), [&](const nlattr* attr) {
        if (mnl_attr_get_type(attr) == 1 && m.options.table == mnl_attr_get_str(attr)) {
          suspicious = true;
        }
      });
    }
  }
  if (lost) {
    return Resync();
  }
  if (suspicious) {
    return m.RestoreIfNeeded("object removed");
  }
  return Status::Ok();
}

Status NftFirewall::Resync() {
  Impl& m = *impl_;
  if (m.torn_down) {
    return Status::Ok();
  }
  PORTCULLIS_RETURN_IF_ERROR(m.RestoreIfNeeded("resync"));
  // Structure is intact; compare contents and rebuild if the kernel lost or gained bans.
  const int64_t now = SteadyNowMs();
  m.ledger.Purge(now);
  Result<BanLedger> kernel = m.ReadKernel(now);
  if (!kernel.ok()) {
    return kernel.status();
  }
  bool same = true;
  for (const std::string& name : m.ledger.JailNames()) {
    const BanLedger::Jail* ours = m.ledger.Find(name);
    const BanLedger::Jail* theirs = kernel->Find(name);
    if (theirs == nullptr || theirs->hosts.size() != ours->hosts.size()) {
      same = false;
      break;
    }
    for (const auto& [address, expiry] : ours->hosts) {
      if (!theirs->hosts.count(address)) {
        same = false;
        break;
      }
    }
    for (int f = 0; f < 2 && same; ++f) {
      if (theirs->segments[f].size() != ours->segments[f].size()) {
        same = false;
      }
    }
    if (!same) {
      break;
    }
  }
  if (same) {
    return Status::Ok();
  }
  PORTCULLIS_RETURN_IF_ERROR(m.Rebuild(true));
  ++m.restores;
  spdlog::warn("firewall: bans in table inet {} differed from ours; re-installed {} ban(s)",
               m.options.table, m.ledger.size());
  return Status::Ok();
}

bool NftFirewall::timeout_update_supported() const { return impl_->update_supported; }
bool NftFirewall::owns_table() const { return (impl_->table_flags & NFT_TABLE_F_OWNER) != 0; }
size_t NftFirewall::adopted_bans() const { return impl_->adopted; }
size_t NftFirewall::restore_count() const { return impl_->restores; }

}  // namespace portcullis
