#include "portcullis/net.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace portcullis {
namespace {

IpAddress Ip(std::string_view text) {
  Result<IpAddress> r = IpAddress::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : IpAddress();
}

Cidr Block(std::string_view text) {
  Result<Cidr> r = Cidr::Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Cidr();
}

std::string Canon(std::string_view text) {
  Result<IpAddress> r = IpAddress::Parse(text);
  return r.ok() ? r->ToString() : "ERROR";
}

TEST(IpAddress, ParsesDottedQuad) {
  IpAddress a = Ip("192.0.2.1");
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.bit_length(), 32);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.v4_host_order(), 0xC0000201u);
  EXPECT_EQ(a.ToString(), "192.0.2.1");
  EXPECT_EQ(Canon("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(Canon("255.255.255.255"), "255.255.255.255");
}

TEST(IpAddress, ReadsLeadingZerosInIpv4AsDecimal) {
  EXPECT_EQ(Ip("192.030.0.6"), Ip("192.30.0.6"));
  EXPECT_EQ(Canon("192.030.0.6"), "192.30.0.6");
  EXPECT_EQ(Canon("010.000.000.001"), "10.0.0.1");
  EXPECT_EQ(Canon("00.0.0.08"), "0.0.0.8");  // not octal: 08 would be invalid octal
  EXPECT_EQ(Canon("0000.1.2.3"), "ERROR");   // at most three digits per octet
}

TEST(IpAddress, RejectsMalformedIpv4) {
  for (const char* bad :
       {"",         "1.2.3",    "1.2.3.4.5",  "256.1.1.1", "1.2.3.256",  "1.2.3.999",
        "1..2.3",   ".1.2.3",   "1.2.3.",     "1.2.3.4.",  "a.b.c.d",    "0x1.2.3.4",
        "1.2.3.-4", "+1.2.3.4", " 1.2.3.4",   "1.2.3.4 ",  "1.2.3.4/24", "1.2.3.4%eth0",
        "1.2.3",    "1",        "1.2.3.4:22", "[1.2.3.4",  "1.2.3.4]",   "[]",
        "[",        "]",        "1.2.3.4\n"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).ok()) << "'" << bad << "'";
  }
}

TEST(IpAddress, RejectsEmbeddedNul) {
  const std::string with_nul("192.0.2.1\0junk", 14);
  EXPECT_FALSE(IpAddress::Parse(with_nul).ok());
  const std::string nul_v6("2001:db8::1\0", 12);
  EXPECT_FALSE(IpAddress::Parse(nul_v6).ok());
  const std::string nul_zone("fe80::1%e\0th0", 13);
  EXPECT_FALSE(IpAddress::Parse(nul_zone).ok());
}

TEST(IpAddress, RejectsOverlongInput) {
  EXPECT_FALSE(IpAddress::Parse(std::string(10000, '1')).ok());
  EXPECT_FALSE(IpAddress::Parse("fe80::1%" + std::string(200, 'e')).ok());
  EXPECT_FALSE(IpAddress::Parse("0000:0000:0000:0000:0000:0000:0000:0000:0").ok());
  EXPECT_FALSE(IpAddress::Parse("00000::1").ok());  // five hex digits in a group
}

TEST(IpAddress, ErrorMessageQuotesTextSafely) {
  Result<IpAddress> r = IpAddress::Parse(std::string("1.2\n\0x", 6));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "invalid IP address '1.2\\x0a\\x00x'");
  Result<IpAddress> long_r = IpAddress::Parse(std::string(300, 'z'));
  ASSERT_FALSE(long_r.ok());
  EXPECT_EQ(long_r.status().message(), "invalid IP address '" + std::string(64, 'z') + "...'");
}

TEST(IpAddress, ParsesAllRfc4291Forms) {
  // Full form, leading zeros, upper case.
  EXPECT_EQ(Canon("2001:0DB8:0000:0000:0008:0800:200C:417A"), "2001:db8::8:800:200c:417a");
  EXPECT_EQ(Canon("2001:db8:0:0:8:800:200c:417a"), "2001:db8::8:800:200c:417a");
  // Compressed forms.
  EXPECT_EQ(Canon("2001:db8::8:800:200c:417a"), "2001:db8::8:800:200c:417a");
  EXPECT_EQ(Canon("ff01::101"), "ff01::101");
  EXPECT_EQ(Canon("::1"), "::1");
  EXPECT_EQ(Canon("::"), "::");
  EXPECT_EQ(Canon("1::"), "1::");
  EXPECT_EQ(Canon("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
  EXPECT_EQ(Canon("::2:3:4:5:6:7:8"), "0:2:3:4:5:6:7:8");
  EXPECT_EQ(Canon("1::8"), "1::8");
  // Mixed form with an embedded IPv4 (not mapped: stays IPv6).
  EXPECT_EQ(Canon("::13.1.68.3"), "::d01:4403");
  EXPECT_EQ(Canon("0:0:0:0:0:0:13.1.68.3"), "::d01:4403");
  EXPECT_EQ(Canon("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
  EXPECT_EQ(Canon("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
  EXPECT_EQ(Canon("1:2:3:4:5::1.2.3.4"), "1:2:3:4:5:0:102:304");
}

TEST(IpAddress, RejectsMalformedIpv6) {
  for (const char* bad : {":::",
                          "::::",
                          "1:::2",
                          ":1::",
                          "1::2::3",
                          "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7",
                          ":",
                          "1:",
                          ":1",
                          "1:2:3:4:5:6:7:8:",
                          ":1:2:3:4:5:6:7:8",
                          "1:2:3:4:5:6:7:8::",
                          "::1:2:3:4:5:6:7:8",
                          "1::2:3:4:5:6:7:8",
                          "g::1",
                          "12345::",
                          "::1.2.3",
                          "::1.2.3.4.5",
                          "::1.2.3.4:1",
                          "1.2.3.4::",
                          "1:2:3:4:5:6:7:1.2.3.4",
                          "::256.0.0.1",
                          "2001:db8::1%",
                          "2001:db8::1%eth 0",
                          "[2001:db8::1",
                          "2001:db8::1]",
                          "[[::1]]",
                          "::1/128",
                          " ::1",
                          "::1 ",
                          "2001:db8:::1",
                          "fe80::1%eth0%1",
                          "::-1",
                          "::+1"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).ok()) << "'" << bad << "'";
  }
}

TEST(IpAddress, FormatsRfc5952Canonically) {
  // 4.1 no leading zeros; 4.2.1 longest run; 4.2.2 a single zero group is not compressed;
  // 4.2.3 first of equal runs; 4.3 lower case.
  EXPECT_EQ(Canon("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(Canon("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
  EXPECT_EQ(Canon("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(Canon("2001:DB8::ABCD"), "2001:db8::abcd");
  EXPECT_EQ(Canon("0:0:1:0:0:0:0:0"), "0:0:1::");
  EXPECT_EQ(Canon("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
  EXPECT_EQ(Canon("0:1:0:1:0:1:0:1"), "0:1:0:1:0:1:0:1");
  EXPECT_EQ(Canon("fe80:0:0:0:0:0:0:1"), "fe80::1");
}

TEST(IpAddress, TurnsIpv4MappedIntoIpv4) {
  IpAddress a = Ip("::ffff:192.0.2.1");
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a, Ip("192.0.2.1"));
  EXPECT_EQ(a.ToString(), "192.0.2.1");
  EXPECT_EQ(Ip("::FFFF:c000:0201"), Ip("192.0.2.1"));
  EXPECT_EQ(Ip("0:0:0:0:0:ffff:192.0.2.1"), Ip("192.0.2.1"));
  EXPECT_EQ(Ip("[::ffff:192.0.2.1]"), Ip("192.0.2.1"));
  EXPECT_EQ(Ip("::ffff:192.030.0.6"), Ip("192.30.0.6"));
  std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7};
  EXPECT_EQ(IpAddress::FromV6(mapped), Ip("198.51.100.7"));
  EXPECT_EQ(IpAddress::FromBytes(mapped), Ip("198.51.100.7"));
  // ::ffff:0:1.2.3.4 (SIIT translated) and ::1.2.3.4 (compatible) are not mapped.
  EXPECT_TRUE(Ip("::ffff:0:1.2.3.4").is_v6());
  EXPECT_TRUE(Ip("::1.2.3.4").is_v6());
}

TEST(IpAddress, StripsBracketsAndZones) {
  EXPECT_EQ(Ip("[2001:db8::1]"), Ip("2001:db8::1"));
  EXPECT_EQ(Ip("[192.0.2.1]"), Ip("192.0.2.1"));
  EXPECT_EQ(Ip("fe80::1%eth0"), Ip("fe80::1"));
  EXPECT_EQ(Ip("fe80::1%2"), Ip("fe80::1"));
  EXPECT_EQ(Ip("[fe80::1%enp0s31f6]"), Ip("fe80::1"));
  EXPECT_EQ(Ip("fe80::1%eth0").ToString(), "fe80::1");
}

TEST(IpAddress, ClassifiesSpecialAddresses) {
  EXPECT_TRUE(Ip("127.0.0.1").IsLoopback());
  EXPECT_TRUE(Ip("127.255.1.2").IsLoopback());
  EXPECT_TRUE(Ip("::1").IsLoopback());
  EXPECT_TRUE(Ip("::ffff:127.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("128.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("::2").IsLoopback());
  EXPECT_FALSE(Ip("::").IsLoopback());

  EXPECT_TRUE(Ip("0.0.0.0").IsUnspecified());
  EXPECT_TRUE(Ip("::").IsUnspecified());
  EXPECT_TRUE(IpAddress().IsUnspecified());
  EXPECT_FALSE(Ip("::1").IsUnspecified());
  EXPECT_FALSE(Ip("0.0.0.1").IsUnspecified());

  EXPECT_TRUE(Ip("169.254.0.1").IsLinkLocal());
  EXPECT_FALSE(Ip("169.253.0.1").IsLinkLocal());
  EXPECT_TRUE(Ip("fe80::1").IsLinkLocal());
  EXPECT_TRUE(Ip("febf:ffff::1").IsLinkLocal());
  EXPECT_FALSE(Ip("fec0::1").IsLinkLocal());
  EXPECT_FALSE(Ip("fe7f::1").IsLinkLocal());
}

TEST(IpAddress, OrdersAndComparesByFamilyAndBytes) {
  EXPECT_NE(Ip("0.0.0.0"), Ip("::"));
  EXPECT_LT(Ip("192.0.2.1"), Ip("192.0.2.2"));
  EXPECT_LT(Ip("10.0.0.1"), Ip("192.0.2.2"));
  EXPECT_LT(Ip("2001:db8::1"), Ip("2001:db8::2"));
}

TEST(IpAddress, FromBytesRoundTrips) {
  const uint8_t v4[4] = {203, 0, 113, 9};
  EXPECT_EQ(IpAddress::FromBytes(v4).ToString(), "203.0.113.9");
  const uint8_t bad[5] = {1, 2, 3, 4, 5};
  EXPECT_EQ(IpAddress::FromBytes(bad), IpAddress());
  IpAddress a = Ip("2001:db8::7");
  EXPECT_EQ(IpAddress::FromBytes(a.bytes()), a);
  EXPECT_EQ(IpAddress::FromV4(0xCB007109u).ToString(), "203.0.113.9");
  EXPECT_EQ(Ip("2001:db8::7").v4_host_order(), 0u);
}

TEST(IpAddress, HashSeparatesFamiliesAndAddresses) {
  IpAddressHash h;
  EXPECT_NE(h(Ip("0.0.0.0")), h(Ip("::")));
  std::unordered_set<size_t> seen;
  for (uint32_t k = 0; k < 1000; ++k) seen.insert(h(IpAddress::FromV4(0xC0000200u + k)));
  EXPECT_EQ(seen.size(), 1000u);
  std::unordered_set<IpAddress, IpAddressHash> set{Ip("192.0.2.1"), Ip("::ffff:192.0.2.1"),
                                                   Ip("2001:db8::1"), Ip("[2001:db8::1]")};
  EXPECT_EQ(set.size(), 2u);
}

// Random addresses, biased to many zero groups, must print as glibc's inet_ntop does (which
// follows RFC 5952 except for the dotted forms it uses when the first 80 bits are zero) and parse
// back to themselves.
TEST(IpAddress, FormatsLikeInetNtopAndRoundTrips) {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    std::array<uint8_t, 16> b{};
    for (int k = 0; k < 8; ++k) {
      if (rng() % 2) {
        const uint32_t w = (rng() % 4 == 0) ? rng() % 16 : rng() & 0xffff;
        b[2 * k] = static_cast<uint8_t>(w >> 8);
        b[2 * k + 1] = static_cast<uint8_t>(w);
      }
    }
    const IpAddress a = IpAddress::FromV6(b);
    const std::string text = a.ToString();
    Result<IpAddress> back = IpAddress::Parse(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(*back, a) << text;
    bool first80_zero = true;
    for (int k = 0; k < 10; ++k) first80_zero = first80_zero && b[k] == 0;
    if (first80_zero) continue;
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, b.data(), buf, sizeof buf), nullptr);
    ASSERT_EQ(text, buf);
  }
}

// Differential test against glibc's inet_pton on random short strings over the address alphabet:
// whenever glibc accepts, we accept the same address; whenever we accept a string without an
// embedded dotted quad (where our leading-zero rule differs), glibc accepts it too. Nothing
// crashes.
TEST(IpAddress, AgreesWithInetPtonOnRandomText) {
  std::mt19937 rng(777);
  static constexpr char kAlphabet[] = "0123456789abcdefABCDEF:.%[]/ g";
  int accepted = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    const size_t len = rng() % 24;
    for (size_t k = 0; k < len; ++k) {
      // Weighted towards digits and colons so that a useful share of the strings is valid.
      const uint32_t pick = rng() % 10;
      if (pick < 3) {
        s += ':';
      } else if (pick < 4) {
        s += '.';
      } else if (pick < 5) {
        s += '0';
      } else {
        s += kAlphabet[rng() % (sizeof kAlphabet - 1)];
      }
    }
    Result<IpAddress> ours = IpAddress::Parse(s);
    in6_addr v6;
    in_addr v4;
    const bool glibc6 = inet_pton(AF_INET6, s.c_str(), &v6) == 1;
    const bool glibc4 = inet_pton(AF_INET, s.c_str(), &v4) == 1;
    if (glibc6) {
      std::array<uint8_t, 16> b;
      std::memcpy(b.data(), &v6, 16);
      ASSERT_TRUE(ours.ok()) << s;
      ASSERT_EQ(*ours, IpAddress::FromV6(b)) << s;
    }
    if (glibc4) {
      ASSERT_TRUE(ours.ok()) << s;
      ASSERT_EQ(*ours, IpAddress::FromBytes(
                           std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v4), 4)))
          << s;
    }
    if (ours.ok()) {
      ++accepted;
      if (s.find_first_of(".%[]") == std::string::npos) {
        ASSERT_TRUE(glibc6) << s;
      }
      ASSERT_EQ(s.substr(0, s.find('%')).find_first_of("/ g"), std::string::npos) << s;
    }
  }
  EXPECT_GT(accepted, 100);
}

TEST(IpAddress, SurvivesArbitraryBytes) {
  std::mt19937 rng(99);
  for (int iter = 0; iter < 100000; ++iter) {
    std::string s(rng() % 60, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    Result<IpAddress> r = IpAddress::Parse(s);
    Result<Cidr> c = Cidr::Parse(s);
    (void)r;
    (void)c;
  }
}

TEST(Cidr, ParsesAndClearsHostBits) {
  Cidr c = Block("192.0.2.7/24");
  EXPECT_EQ(c.network(), Ip("192.0.2.0"));
  EXPECT_EQ(c.prefix_len(), 24);
  EXPECT_EQ(c.ToString(), "192.0.2.0/24");
  EXPECT_FALSE(c.is_host());
  EXPECT_EQ(Block("2001:db8:1234::5/32").ToString(), "2001:db8::/32");
  EXPECT_EQ(Block("2001:db8::ff/121").ToString(), "2001:db8::80/121");
  EXPECT_EQ(Block("203.0.113.255/31").ToString(), "203.0.113.254/31");
}

TEST(Cidr, BareAddressIsHostBlock) {
  Cidr c = Block("192.0.2.1");
  EXPECT_TRUE(c.is_host());
  EXPECT_EQ(c.prefix_len(), 32);
  EXPECT_EQ(c.ToString(), "192.0.2.1");
  EXPECT_EQ(Block("192.0.2.1/32").ToString(), "192.0.2.1");
  EXPECT_EQ(Block("2001:db8::1").prefix_len(), 128);
  EXPECT_EQ(Block("2001:db8::1/128").ToString(), "2001:db8::1");
  EXPECT_EQ(Cidr(Ip("2001:db8::1")), Block("2001:db8::1/128"));
}

TEST(Cidr, AcceptsZeroPrefix) {
  Cidr all4 = Block("0.0.0.0/0");
  EXPECT_TRUE(all4.Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(all4.Contains(Ip("::1")));
  EXPECT_EQ(all4.last(), Ip("255.255.255.255"));
  Cidr all6 = Block("::/0");
  EXPECT_TRUE(all6.Contains(Ip("2001:db8::1")));
  EXPECT_EQ(all6.last(), Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("1.2.3.4/0").ToString(), "0.0.0.0/0");
}

TEST(Cidr, HandlesMappedAndBracketedForms) {
  EXPECT_EQ(Block("::ffff:192.0.2.0/120"), Block("192.0.2.0/24"));
  EXPECT_EQ(Block("::ffff:192.0.2.9/128"), Block("192.0.2.9/32"));
  EXPECT_EQ(Block("::ffff:192.0.2.0/96"), Block("0.0.0.0/0"));
  EXPECT_FALSE(Cidr::Parse("::ffff:192.0.2.0/95").ok());
  EXPECT_EQ(Block("[2001:db8::]/32"), Block("2001:db8::/32"));
  EXPECT_EQ(Block("fe80::1%eth0/64"), Block("fe80::/64"));
}

TEST(Cidr, RejectsBadPrefixes) {
  for (const char* bad :
       {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/+8", "192.0.2.0/8/8",
        "192.0.2.0/ 8", "192.0.2.0/0x8", "192.0.2.0/1000", "2001:db8::/129", "/24", "", "/",
        "192.0.2/24", "garbage/8", "192.0.2.0/24 "}) {
    EXPECT_FALSE(Cidr::Parse(bad).ok()) << "'" << bad << "'";
  }
  Result<Cidr> r = Cidr::Parse("192.0.2.0/33");
  EXPECT_EQ(r.status().message(), "invalid address block '192.0.2.0/33'");
  EXPECT_FALSE(Cidr::Make(Ip("192.0.2.0"), 33).ok());
  EXPECT_FALSE(Cidr::Make(Ip("192.0.2.0"), -1).ok());
  EXPECT_FALSE(Cidr::Make(Ip("::"), 129).ok());
  EXPECT_TRUE(Cidr::Make(Ip("::"), 128).ok());
}

TEST(Cidr, ContainsAddressesAndBlocks) {
  Cidr net = Block("198.51.100.0/24");
  EXPECT_TRUE(net.Contains(Ip("198.51.100.0")));
  EXPECT_TRUE(net.Contains(Ip("198.51.100.255")));
  EXPECT_FALSE(net.Contains(Ip("198.51.101.0")));
  EXPECT_FALSE(net.Contains(Ip("::ffff:198.51.101.0")));
  EXPECT_TRUE(net.Contains(Ip("::ffff:198.51.100.3")));
  EXPECT_FALSE(net.Contains(Ip("2001:db8::1")));
  EXPECT_TRUE(net.Contains(Block("198.51.100.128/25")));
  EXPECT_TRUE(net.Contains(net));
  EXPECT_FALSE(net.Contains(Block("198.51.0.0/16")));
  EXPECT_FALSE(Block("198.51.100.128/25").Contains(net));

  Cidr v6 = Block("2001:db8:aa::/48");
  EXPECT_TRUE(v6.Contains(Ip("2001:db8:aa:ffff:1::1")));
  EXPECT_FALSE(v6.Contains(Ip("2001:db8:ab::")));
  EXPECT_FALSE(v6.Contains(Ip("0.0.0.0")));
  Cidr v6_long = Block("2001:db8::/100");
  EXPECT_TRUE(v6_long.Contains(Ip("2001:db8::fff:ffff")));
  EXPECT_FALSE(v6_long.Contains(Ip("2001:db8::1000:0")));
}

TEST(Cidr, FirstAndLast) {
  Cidr c = Block("203.0.113.64/26");
  EXPECT_EQ(c.first(), Ip("203.0.113.64"));
  EXPECT_EQ(c.last(), Ip("203.0.113.127"));
  Cidr h = Block("203.0.113.5");
  EXPECT_EQ(h.first(), h.last());
  Cidr v6 = Block("2001:db8::/64");
  EXPECT_EQ(v6.first(), Ip("2001:db8::"));
  EXPECT_EQ(v6.last(), Ip("2001:db8::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("2001:db8::/63").last(), Ip("2001:db8:0:1:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("2001:db8::/65").last(), Ip("2001:db8::7fff:ffff:ffff:ffff"));
}

TEST(Cidr, HashDistinguishesPrefixes) {
  CidrHash h;
  EXPECT_NE(h(Block("192.0.2.0/24")), h(Block("192.0.2.0/25")));
  std::unordered_set<Cidr, CidrHash> set{Block("192.0.2.0/24"), Block("192.0.2.9/24"),
                                         Block("192.0.2.0/25")};
  EXPECT_EQ(set.size(), 2u);
}

TEST(AddressSet, MergesOverlappingAndAdjacentBlocks) {
  AddressSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Contains(Ip("192.0.2.1")));
  s.Add(Block("192.0.2.0/25"));
  s.Add(Block("192.0.2.128/25"));  // adjacent: merges
  EXPECT_EQ(s.range_count(), 1u);
  s.Add(Block("192.0.2.7"));  // inside: no change
  EXPECT_EQ(s.range_count(), 1u);
  s.Add(Block("198.51.100.0/24"));
  EXPECT_EQ(s.range_count(), 2u);
  s.Add(Block("192.0.0.0/16"));  // swallows the first range
  EXPECT_EQ(s.range_count(), 2u);
  s.Add(Block("2001:db8::/32"));
  s.Add(Block("::1"));
  EXPECT_EQ(s.range_count(), 4u);
  EXPECT_FALSE(s.empty());

  EXPECT_TRUE(s.Contains(Ip("192.0.255.255")));
  EXPECT_TRUE(s.Contains(Ip("192.0.0.0")));
  EXPECT_FALSE(s.Contains(Ip("192.1.0.0")));
  EXPECT_FALSE(s.Contains(Ip("191.255.255.255")));
  EXPECT_TRUE(s.Contains(Ip("198.51.100.77")));
  EXPECT_TRUE(s.Contains(Ip("::ffff:198.51.100.77")));
  EXPECT_TRUE(s.Contains(Ip("2001:db8:ffff::1")));
  EXPECT_TRUE(s.Contains(Ip("::1")));
  EXPECT_FALSE(s.Contains(Ip("::2")));
  EXPECT_FALSE(s.Contains(Ip("2001:db9::")));
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.Contains(Ip("::1")));
}

TEST(AddressSet, BridgingBlockMergesSeveralRanges) {
  AddressSet s;
  s.Add(Block("10.0.0.1"));
  s.Add(Block("10.0.0.3"));
  s.Add(Block("10.0.0.5"));
  EXPECT_EQ(s.range_count(), 3u);
  s.Add(Block("10.0.0.0/29"));
  EXPECT_EQ(s.range_count(), 1u);
  s.Add(Block("255.255.255.255"));
  s.Add(Block("255.255.255.254"));
  EXPECT_EQ(s.range_count(), 2u);
  s.Add(Block("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  s.Add(Block("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
  s.Add(Block("::/0"));
  EXPECT_EQ(s.range_count(), 3u);
  EXPECT_TRUE(s.Contains(Ip("1234::")));
}

TEST(AddressSet, AddAllMatchesRepeatedAddAndLinearScan) {
  std::mt19937 rng(4242);
  std::vector<Cidr> blocks;
  for (int k = 0; k < 3000; ++k) {
    const uint32_t base = 0xC6330000u | (rng() & 0xffff);  // within 198.51.0.0/16
    blocks.push_back(*Cidr::Make(IpAddress::FromV4(base), 20 + static_cast<int>(rng() % 13)));
    std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[4] = static_cast<uint8_t>(rng());
    b[5] = static_cast<uint8_t>(rng());
    blocks.push_back(*Cidr::Make(IpAddress::FromV6(b), 36 + static_cast<int>(rng() % 93)));
  }
  AddressSet bulk, one_by_one;
  bulk.AddAll(blocks);
  for (const Cidr& c : blocks) one_by_one.Add(c);
  EXPECT_EQ(bulk.range_count(), one_by_one.range_count());
  for (int k = 0; k < 3000; ++k) {
    IpAddress probe;
    if (k % 2) {
      probe = IpAddress::FromV4(0xC6330000u | (rng() & 0xffff));
    } else {
      std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
      for (int j = 4; j < 16; ++j) b[j] = static_cast<uint8_t>(j < 6 ? rng() : rng() % 3);
      probe = IpAddress::FromV6(b);
    }
    bool expected = false;
    for (const Cidr& c : blocks) expected = expected || c.Contains(probe);
    ASSERT_EQ(bulk.Contains(probe), expected) << probe.ToString();
    ASSERT_EQ(one_by_one.Contains(probe), expected) << probe.ToString();
  }
}

}  // namespace
}  // namespace portcullis
