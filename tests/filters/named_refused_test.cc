// Sample lines for filters.d/named-refused.toml, written for this project from the formats of
// BIND 9 query, transfer and update denials (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class NamedRefusedFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("named-refused");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(NamedRefusedFilter, DeniedQueriesTransfersAndUpdates) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 ns1 named[812]: client @0x7f2a1c0b5e68 192.0.2.7#53211 "
                "(example.org): query (cache) 'example.org/ANY/IN' denied",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 ns1 named[812]: client 192.0.2.8#53212: view external: query "
                "'example.com/A/IN' denied",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "22-Nov-2026 10:00:03.123 security: error: client @0x7f2a1c0b5e68 "
                "2001:db8::9#53213 (example.org): zone transfer 'example.org/AXFR/IN' denied",
                "2001:db8::9");
  ExpectFailure(*filter_,
                "22-Nov-2026 10:00:04.123 client @0x7f2a1c0b5e68 192.0.2.10#53214 (example.org): "
                "bad zone transfer request: 'example.org/IN': non-authoritative zone (NOTAUTH)",
                "192.0.2.10");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 ns1 named[812]: client @0x7f2a1c0b5e68 192.0.2.11#53215 "
                "(example.org): view internal: query (cache) 'example.org/A/IN' denied "
                "(allow-query-cache did not match)",
                "192.0.2.11");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 ns1 named[812]: 22-Nov-2026 10:00:06.123 update-security: error: "
                "client @0x7f2a1c0b5e68 192.0.2.12#53216/key k1: update 'example.org/IN' denied",
                "192.0.2.12");
}

TEST_F(NamedRefusedFilter, IgnoresApprovedAndInformational) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:07 ns1 named[812]: client @0x7f2a1c0b5e68 192.0.2.7#53217 "
                  "(example.org): transfer of 'example.org/IN': AXFR started (serial 2026112201)");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:08 ns1 named[812]: client @0x7f2a1c0b5e68 192.0.2.7#53218 "
                  "(example.org): query: example.org IN A +E(0)K (198.51.100.2)");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:09 ns1 named[812]: zone example.org/IN: loaded serial 2026112201");
}

TEST_F(NamedRefusedFilter, QueryNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 ns1 named[812]: client @0x7f2a1c0b5e68 198.51.100.23#53219 "
                "(client\\032203.0.113.5#1:): query (cache) 'client 203.0.113.5#1: query (cache) "
                "/A/IN' denied",
                "198.51.100.23");
}

}  // namespace
}  // namespace portcullis::testing
