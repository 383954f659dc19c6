#include "portcullis/net.h"

#include <algorithm>
#include <cstring>

#include "common/quote.h"

namespace portcullis {
namespace {

// Longer than any address we accept: 45 characters of IPv6 with embedded IPv4, plus brackets and
// an interface zone. Anything longer is rejected before it is looked at, so an attacker-controlled
// log field cannot make us scan far.
constexpr size_t kMaxAddressText = 128;

std::string Quote(std::string_view text) { return QuoteForMessage(text); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Dotted quad, exactly four decimal octets of one to three digits each. Leading zeros are read as
// decimal ("192.030.0.6" is 192.30.0.6), unlike inet_aton's octal: some services log that way
// and an attacker must not escape a ban by choosing a spelling. No hex, no short forms ("1.2.3").
bool ParseV4(std::string_view s, uint8_t out[4]) {
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || s[i] != '.') {
        return false;
      }
      ++i;
    }
    int value = 0;
    size_t digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (++digits > 3) {
        return false;
      }
      value = value * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0 || value > 255) {
      return false;
    }
    out[octet] = static_cast<uint8_t>(value);
  }
  return i == s.size();
}

// RFC 4291 section 2.2: eight groups of one to four hex digits, at most one "::" standing for one
// or more zero groups, and optionally a dotted quad as the last 32 bits.
bool ParseV6(std::string_view s, std::array<uint8_t, 16>* out) {
  uint16_t words[8] = {};
  int n = 0;
  int gap = -1;  // index in `words` where "::" stands, or -1
  size_t i = 0;
  if (s.empty()) {
    return false;
  }
  if (s[0] == ':') {
    if (s.size() < 2 || s[1] != ':') {
      return false;
    }
    gap = 0;
    i = 2;
  }
  while (i < s.size()) {
    if (n == 8) {
      return false;
    }
    size_t end = s.find(':', i);
    if (end == std::string_view::npos) {
      end = s.size();
    }
    const std::string_view token = s.substr(i, end - i);
    if (token.find('.') != std::string_view::npos) {
      if (end != s.size() || n > 6) {
        return false;
      }
      uint8_t v4[4];
      if (!ParseV4(token, v4)) {
        return false;
      }
      words[n++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      words[n++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      i = end;
      break;
    }
    if (token.empty() || token.size() > 4) {
      return false;
    }
    unsigned value = 0;
    for (char c : token) {
      const int h = HexValue(c);
      if (h < 0) {
        return false;
      }
      value = value << 4 | static_cast<unsigned>(h);
    }
    words[n++] = static_cast<uint16_t>(value);
    i = end;
    if (i == s.size()) {
      break;
    }
    ++i;  // the ':'
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) {
        return false;
      }
      gap = n;
      ++i;
    } else if (i == s.size()) {
      return false;  // a single trailing ':'
    }
  }
  if (gap >= 0) {
    if (n == 8) {
      return false;  // "::" must stand for at least one group
    }
    const int tail = n - gap;
    std::memmove(&words[8 - tail], &words[gap], sizeof(uint16_t) * static_cast<size_t>(tail));
    std::fill(&words[gap], &words[8 - tail], uint16_t{0});
  } else if (n != 8) {
    return false;
  }
  for (size_t k = 0; k < 8; ++k) {
    (*out)[2 * k] = static_cast<uint8_t>(words[k] >> 8);
    (*out)[2 * k + 1] = static_cast<uint8_t>(words[k] & 0xff);
  }
  return true;
}

bool IsV4Mapped(const std::array<uint8_t, 16>& b) {
  for (int k = 0; k < 10; ++k) {
    if (b[k] != 0) {
      return false;
    }
  }
  return b[10] == 0xff && b[11] == 0xff;
}

// A zone names an interface (or its index); interface names are short and printable.
bool IsValidZone(std::string_view zone) {
  if (zone.empty()) {
    return false;
  }
  for (char c : zone) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '%' || c == '/' || c == '[' || c == ']') {
      return false;
    }
  }
  return true;
}

// 128-bit arithmetic on network-order byte arrays, for ranges.
struct U128 {
  uint64_t hi, lo;
};

U128 Load(const std::array<uint8_t, 16>& b) {
  U128 v{0, 0};
  for (int k = 0; k < 8; ++k) {
    v.hi = v.hi << 8 | b[k];
  }
  for (int k = 8; k < 16; ++k) {
    v.lo = v.lo << 8 | b[k];
  }
  return v;
}

std::array<uint8_t, 16> Store(U128 v) {
  std::array<uint8_t, 16> b{};
  for (int k = 7; k >= 0; --k, v.hi >>= 8) {
    b[k] = static_cast<uint8_t>(v.hi);
  }
  for (int k = 15; k >= 8; --k, v.lo >>= 8) {
    b[k] = static_cast<uint8_t>(v.lo);
  }
  return b;
}

// Mask with the top `prefix_len` bits set, over 32 bits for IPv4.
uint32_t MaskV4(int prefix_len) { return prefix_len == 0 ? 0u : ~uint32_t{0} << (32 - prefix_len); }

U128 MaskV6(int prefix_len) {
  U128 m{0, 0};
  if (prefix_len >= 64) {
    m.hi = ~uint64_t{0};
    m.lo = prefix_len == 64 ? 0 : ~uint64_t{0} << (128 - prefix_len);
  } else if (prefix_len > 0) {
    m.hi = ~uint64_t{0} << (64 - prefix_len);
  }
  return m;
}

std::array<uint8_t, 16> V6Bytes(const IpAddress& a) {
  std::array<uint8_t, 16> b{};
  std::copy(a.data(), a.data() + 16, b.begin());
  return b;
}

}  // namespace

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  const std::string_view original = text;
  auto fail = [&original]() {
    return Status::InvalidArgument("invalid IP address " + Quote(original));
  };
  if (text.empty() || text.size() > kMaxAddressText) {
    return fail();
  }
  if (text.front() == '[') {
    if (text.size() < 2 || text.back() != ']') {
      return fail();
    }
    text = text.substr(1, text.size() - 2);
  }
  if (text.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (!ParseV4(text, v4)) {
      return fail();
    }
    return FromBytes(std::span<const uint8_t>(v4, 4));
  }
  const size_t percent = text.find('%');
  if (percent != std::string_view::npos) {
    if (!IsValidZone(text.substr(percent + 1))) {
      return fail();
    }
    text = text.substr(0, percent);
  }
  std::array<uint8_t, 16> v6;
  if (!ParseV6(text, &v6)) {
    return fail();
  }
  return FromV6(v6);
}

IpAddress IpAddress::FromV4(uint32_t host_order) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::FromV6(const std::array<uint8_t, 16>& network_order) {
  IpAddress a;
  if (IsV4Mapped(network_order)) {
    std::copy(network_order.begin() + 12, network_order.end(), a.bytes_.begin());
    a.family_ = IpFamily::kV4;
    return a;
  }
  a.bytes_ = network_order;
  a.family_ = IpFamily::kV6;
  return a;
}

IpAddress IpAddress::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() == 4) {
    IpAddress a;
    std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
    return a;
  }
  if (bytes.size() == 16) {
    std::array<uint8_t, 16> b;
    std::copy(bytes.begin(), bytes.end(), b.begin());
    return FromV6(b);
  }
  return IpAddress();
}

uint32_t IpAddress::v4_host_order() const {
  if (!is_v4()) {
    return 0;
  }
  return uint32_t{bytes_[0]} << 24 | uint32_t{bytes_[1]} << 16 | uint32_t{bytes_[2]} << 8 |
         uint32_t{bytes_[3]};
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) {
    return bytes_[0] == 127;
  }
  for (int k = 0; k < 15; ++k) {
    if (bytes_[k] != 0) {
      return false;
    }
  }
  return bytes_[15] == 1;
}

bool IpAddress::IsUnspecified() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == 0; });
}

bool IpAddress::IsLinkLocal() const {
  if (is_v4()) {
    return bytes_[0] == 169 && bytes_[1] == 254;
  }
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

std::string IpAddress::ToString() const {
  if (is_v4()) {
    std::string out;
    for (int k = 0; k < 4; ++k) {
      if (k > 0) {
        out += '.';
      }
      out += std::to_string(bytes_[k]);
    }
    return out;
  }
  uint16_t words[8];
  for (size_t k = 0; k < 8; ++k) {
    words[k] = static_cast<uint16_t>(bytes_[2 * k] << 8 | bytes_[2 * k + 1]);
  }
  // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first one
  // on a tie; a lone zero group is written as "0".
  int best_start = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (words[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && words[j] == 0) {
      ++j;
    }
    if (j - k > best_len) {
      best_start = k;
      best_len = j - k;
    }
    k = j;
  }
  if (best_len < 2) {
    best_start = -1;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int k = 0; k < 8; ++k) {
    if (k == best_start) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (words[k] >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out += kHex[nibble];
        started = true;
      }
    }
  }
  return out;
}

size_t IpAddressHash::operator()(const IpAddress& a) const {
  // Two 64-bit halves folded with a multiplicative mix; the family is folded in so that
  // 0.0.0.0 and :: differ.
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, a.data(), 8);
  if (a.is_v6()) {
    std::memcpy(&lo, a.data() + 8, 8);
  }
  uint64_t h = hi * 0x9e3779b97f4a7c15ULL;
  h ^= (lo + static_cast<uint64_t>(a.family())) * 0xc2b2ae3d27d4eb4fULL;
  h ^= h >> 31;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 29;
  return static_cast<size_t>(h);
}

Cidr::Cidr(const IpAddress& host) : network_(host), prefix_len_(host.bit_length()) {}

Result<Cidr> Cidr::Make(const IpAddress& addr, int prefix_len) {
  if (prefix_len < 0 || prefix_len > addr.bit_length()) {
    return Status::InvalidArgument("prefix length /" + std::to_string(prefix_len) +
                                   " is out of range for " + addr.ToString());
  }
  Cidr c;
  c.prefix_len_ = prefix_len;
  if (addr.is_v4()) {
    c.network_ = IpAddress::FromV4(addr.v4_host_order() & MaskV4(prefix_len));
  } else {
    std::array<uint8_t, 16> b;
    std::copy(addr.data(), addr.data() + 16, b.begin());
    U128 v = Load(b);
    const U128 m = MaskV6(prefix_len);
    v.hi &= m.hi;
    v.lo &= m.lo;
    // `addr` is never IPv4-mapped (FromV6 turns those into IPv4), and clearing low bits cannot
    // make it so, so the network stays IPv6.
    c.network_ = IpAddress::FromV6(Store(v));
  }
  return c;
}

Result<Cidr> Cidr::Parse(std::string_view text) {
  auto fail = [&text]() { return Status::InvalidArgument("invalid address block " + Quote(text)); };
  if (text.empty() || text.size() > kMaxAddressText + 4) {
    return fail();
  }
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  Result<IpAddress> addr = IpAddress::Parse(addr_text);
  if (!addr.ok()) {
    return fail();
  }
  if (slash == std::string_view::npos) {
    return Cidr(*addr);
  }
  const std::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3) {
    return fail();
  }
  int len = 0;
  for (char c : len_text) {
    if (!IsDigit(c)) {
      return fail();
    }
    len = len * 10 + (c - '0');
  }
  if (addr->is_v4() && addr_text.find(':') != std::string_view::npos) {
    // "::ffff:192.0.2.0/120" names IPv4 addresses in mapped form: the prefix counts 96 mapped bits.
    // A shorter prefix would cover non-mapped IPv6 space, which one IPv4 block cannot express.
    if (len < 96 || len > 128) {
      return fail();
    }
    len -= 96;
  }
  if (len > addr->bit_length()) {
    return fail();
  }
  return Make(*addr, len);
}

bool Cidr::Contains(const IpAddress& addr) const {
  if (addr.family() != family()) {
    return false;
  }
  if (addr.is_v4()) {
    return (addr.v4_host_order() & MaskV4(prefix_len_)) == network_.v4_host_order();
  }
  const U128 a = Load(V6Bytes(addr));
  const U128 n = Load(V6Bytes(network_));
  const U128 m = MaskV6(prefix_len_);
  return (a.hi & m.hi) == n.hi && (a.lo & m.lo) == n.lo;
}

bool Cidr::Contains(const Cidr& other) const {
  return other.family() == family() && other.prefix_len_ >= prefix_len_ && Contains(other.network_);
}

IpAddress Cidr::last() const {
  if (network_.is_v4()) {
    return IpAddress::FromV4(network_.v4_host_order() | ~MaskV4(prefix_len_));
  }
  std::array<uint8_t, 16> b;
  std::copy(network_.data(), network_.data() + 16, b.begin());
  U128 v = Load(b);
  const U128 m = MaskV6(prefix_len_);
  v.hi |= ~m.hi;
  v.lo |= ~m.lo;
  return IpAddress::FromV6(Store(v));
}

std::string Cidr::ToString() const {
  if (is_host()) {
    return network_.ToString();
  }
  return network_.ToString() + "/" + std::to_string(prefix_len_);
}

size_t CidrHash::operator()(const Cidr& c) const {
  return IpAddressHash()(c.network()) ^
         (static_cast<size_t>(c.prefix_len()) * 0x9e3779b97f4a7c15ULL);
}

namespace {

// True if a range starting at `next_first` touches or overlaps one ending at `last`.
bool Adjacent(uint32_t last, uint32_t next_first) {
  return last == UINT32_MAX || next_first <= last + 1;
}

bool Adjacent(const std::array<uint8_t, 16>& last, const std::array<uint8_t, 16>& next_first) {
  U128 l = Load(last);
  if (l.hi == UINT64_MAX && l.lo == UINT64_MAX) {
    return true;
  }
  if (++l.lo == 0) {
    ++l.hi;
  }
  return next_first <= Store(l);
}

template <typename Range>
void MergeSorted(std::vector<Range>* ranges) {
  if (ranges->empty()) {
    return;
  }
  std::sort(ranges->begin(), ranges->end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  size_t out = 0;
  for (size_t k = 1; k < ranges->size(); ++k) {
    Range& cur = (*ranges)[out];
    const Range& next = (*ranges)[k];
    if (Adjacent(cur.last, next.first)) {
      if (next.last > cur.last) {
        cur.last = next.last;
      }
    } else {
      (*ranges)[++out] = next;
    }
  }
  ranges->resize(out + 1);
}

// Inserts one range into sorted, merged `ranges`, keeping them so: O(log n) search plus the
// vector shift, instead of a full sort per Add.
template <typename Range>
void InsertMerged(std::vector<Range>* ranges, Range r) {
  auto& v = *ranges;
  // First range that could touch r: the last one starting at or before r.first, else the next.
  auto it = std::upper_bound(v.begin(), v.end(), r.first,
                             [](const auto& value, const Range& x) { return value < x.first; });
  if (it != v.begin() && Adjacent(std::prev(it)->last, r.first)) {
    --it;
  }
  auto end = it;
  while (end != v.end() && Adjacent(r.last, end->first)) {
    if (end->first < r.first) {
      r.first = end->first;
    }
    if (end->last > r.last) {
      r.last = end->last;
    }
    ++end;
  }
  if (it == end) {
    v.insert(it, r);
  } else {
    *it = r;
    v.erase(std::next(it), end);
  }
}

template <typename Range, typename Key>
bool ContainsIn(const std::vector<Range>& v, const Key& key) {
  auto it = std::upper_bound(v.begin(), v.end(), key,
                             [](const Key& value, const Range& x) { return value < x.first; });
  if (it == v.begin()) {
    return false;
  }
  return !(std::prev(it)->last < key);
}

}  // namespace

void AddressSet::Add(const Cidr& block) {
  if (block.family() == IpFamily::kV4) {
    InsertMerged(&v4_, V4Range{block.first().v4_host_order(), block.last().v4_host_order()});
  } else {
    InsertMerged(&v6_, V6Range{V6Bytes(block.first()), V6Bytes(block.last())});
  }
}

void AddressSet::AddAll(std::span<const Cidr> blocks) {
  for (const Cidr& block : blocks) {
    if (block.family() == IpFamily::kV4) {
      v4_.push_back({block.first().v4_host_order(), block.last().v4_host_order()});
    } else {
      v6_.push_back({V6Bytes(block.first()), V6Bytes(block.last())});
    }
  }
  Normalize();
}

void AddressSet::Clear() {
  v4_.clear();
  v6_.clear();
}

bool AddressSet::Contains(const IpAddress& addr) const {
  if (addr.is_v4()) {
    return ContainsIn(v4_, addr.v4_host_order());
  }
  return ContainsIn(v6_, V6Bytes(addr));
}

bool AddressSet::empty() const { return v4_.empty() && v6_.empty(); }

size_t AddressSet::range_count() const { return v4_.size() + v6_.size(); }

void AddressSet::Normalize() {
  MergeSorted(&v4_);
  MergeSorted(&v6_);
}

}  // namespace portcullis
