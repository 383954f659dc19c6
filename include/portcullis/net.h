// IP addresses, CIDR blocks and address sets.
//
// Pure value types: no DNS, no sockets. Parsing never crashes and never accepts garbage:
// any input that is not exactly an address (or a CIDR) is an InvalidArgument error.
// Accepted address spellings: dotted IPv4 ("192.0.2.1"), any RFC 4291 IPv6 text
// ("2001:db8::1", "::ffff:192.0.2.1"), IPv6 in brackets ("[2001:db8::1]"), and a "%zone" suffix on
// IPv6 (stripped). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address, so the same
// attacker is counted once whichever way a service logs it.
//
// Details of the IPv4 spelling: exactly four decimal octets of one to three digits. Leading zeros
// are accepted and read as DECIMAL, so "192.030.0.6" is 192.30.0.6 (some services log that way,
// and inet_aton would read it as octal, inet_pton refuses it). Short forms ("1.2.3"), hex octets
// and surrounding whitespace are rejected. Brackets are accepted around IPv4 too ("[192.0.2.1]",
// as postfix logs it). Text longer than 128 bytes is rejected without being scanned.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/status.h"

namespace portcullis {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0

  static Result<IpAddress> Parse(std::string_view text);
  static IpAddress FromV4(uint32_t host_order);
  // An IPv4-mapped address (::ffff:a.b.c.d) becomes IPv4, as in Parse.
  static IpAddress FromV6(const std::array<uint8_t, 16>& network_order);
  // `bytes` is 4 or 16 bytes in network order; anything else returns 0.0.0.0. Mapped IPv6 -> IPv4.
  static IpAddress FromBytes(std::span<const uint8_t> bytes);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }
  int bit_length() const { return is_v4() ? 32 : 128; }

  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }
  std::span<const uint8_t> bytes() const { return {bytes_.data(), size()}; }
  uint32_t v4_host_order() const;  // 0 for IPv6

  bool IsLoopback() const;     // 127.0.0.0/8, ::1
  bool IsUnspecified() const;  // 0.0.0.0, ::
  bool IsLinkLocal() const;    // 169.254.0.0/16, fe80::/10

  // Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed).
  std::string ToString() const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4 bytes, the rest stay zero
  IpFamily family_ = IpFamily::kV4;
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const;
};

// An address block. The network address always has its host bits cleared.
class Cidr {
 public:
  Cidr() = default;
  // The block of exactly one address (/32 or /128).
  explicit Cidr(const IpAddress& host);
  // Host bits of `addr` are cleared. `prefix_len` must be within the family's bit length.
  static Result<Cidr> Make(const IpAddress& addr, int prefix_len);

  // "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128 block). Host bits set in the
  // text ("192.0.2.7/24") are cleared, as ignore lists are often written that way. Any prefix
  // length up to the family's bit length is accepted, /0 included: refusing absurdly wide bans is
  // the daemon's job, not the parser's. A mapped block "::ffff:192.0.2.0/120" is the IPv4 block
  // 192.0.2.0/24; mapped prefixes shorter than /96 are rejected.
  static Result<Cidr> Parse(std::string_view text);

  const IpAddress& network() const { return network_; }
  int prefix_len() const { return prefix_len_; }
  IpFamily family() const { return network_.family(); }
  bool is_host() const { return prefix_len_ == network_.bit_length(); }

  bool Contains(const IpAddress& addr) const;
  bool Contains(const Cidr& other) const;
  IpAddress first() const { return network_; }
  IpAddress last() const;

  // "192.0.2.0/24"; a single host prints without the suffix ("192.0.2.1").
  std::string ToString() const;

  auto operator<=>(const Cidr&) const = default;
  bool operator==(const Cidr&) const = default;

 private:
  IpAddress network_;
  int prefix_len_ = 32;
};

struct CidrHash {
  size_t operator()(const Cidr& c) const;
};

// A set of address blocks answering "is this address covered by any block" in O(log n).
// Blocks are kept as merged, sorted ranges per family; adding overlapping blocks is fine.
// Used for ignore lists (a handful of entries) and blocklists (hundreds of thousands).
class AddressSet {
 public:
  void Add(const Cidr& block);  // O(log n) search plus O(n) vector shift; use AddAll for bulk
  void AddAll(std::span<const Cidr> blocks);  // one sort for many blocks
  void Clear();

  bool Contains(const IpAddress& addr) const;
  bool empty() const;
  // Number of merged ranges (not of blocks added).
  size_t range_count() const;

 private:
  struct V4Range {
    uint32_t first, last;
  };
  struct V6Range {
    std::array<uint8_t, 16> first, last;
  };
  void Normalize();

  std::vector<V4Range> v4_;
  std::vector<V6Range> v6_;
};

}  // namespace portcullis
