// Sample lines for filters.d/apache-badbots.toml, written for this project from the formats of
// Apache/nginx combined access logs (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class ApacheBadbotsFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("apache-badbots");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(ApacheBadbotsFilter, KnownHarvestersAndSpamTools) {
  ExpectFailure(*filter_,
                "192.0.2.7 - - [22/Nov/2026:10:00:01 +0000] \"GET /contact.html HTTP/1.1\" 200 "
                "5120 \"-\" \"EmailCollector/1.0\"",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "192.0.2.8 - - [22/Nov/2026:10:00:02 +0000] \"POST /blog/post-1/trackback/ "
                "HTTP/1.0\" 302 0 \"http://spam.example/\" \"TrackBack/1.02\"",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "2001:db8::9 - - [22/Nov/2026:10:00:03 +0000] \"GET / HTTP/1.1\" 404 196 \"-\" "
                "\"Mozilla/5.0 (compatible; Nmap Scripting Engine; "
                "https://nmap.org/book/nse.html)\"",
                "2001:db8::9");
  ExpectFailure(*filter_,
                "192.0.2.10 - - [22/Nov/2026:10:00:04 +0000] \"GET /index.php?id=1 HTTP/1.1\" 200 "
                "812 \"-\" \"sqlmap/1.8#stable (https://sqlmap.org)\" \"-\"",
                "192.0.2.10");
}

TEST_F(ApacheBadbotsFilter, IgnoresOrdinaryBrowsersAndCrawlers) {
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:05 +0000] \"GET / HTTP/1.1\" 200 5120 \"-\" "
                  "\"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"");
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:06 +0000] \"GET /robots.txt HTTP/1.1\" 200 64 "
                  "\"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; "
                  "+http://www.google.com/bot.html)\"");
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:07 +0000] \"GET /search?q=EmailCollector "
                  "HTTP/1.1\" 200 812 \"-\" \"curl/8.5.0\"");
}

TEST_F(ApacheBadbotsFilter, OnlyTheFirstFieldIsTheAddress) {
  ExpectFailure(*filter_,
                "198.51.100.23 - - [22/Nov/2026:10:00:08 +0000] \"GET /?a=203.0.113.5 HTTP/1.1\" "
                "200 5120 \"http://192.0.2.66/\" \"EmailSiphon from 192.0.2.66 [client "
                "203.0.113.5]\"",
                "198.51.100.23");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:09 gw sshd[1]: Invalid user EmailCollector from 203.0.113.5 port 22");
}

}  // namespace
}  // namespace portcullis::testing
