#include "config/port_spec.h"

#include <gtest/gtest.h>

#include <vector>

namespace portcullis {
namespace {

std::vector<PortRange> Ranges(std::string_view text) {
  Result<PortSpec> spec = ParsePortText(text, BuiltinServices());
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
  if (!spec.ok()) return {};
  EXPECT_FALSE(spec->all);
  return spec->ranges;
}

std::string Error(std::string_view text) {
  Result<PortSpec> spec = ParsePortText(text, BuiltinServices());
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? "" : spec.status().message();
}

TEST(PortSpec, NumbersNamesAndRanges) {
  EXPECT_EQ(Ranges("22"), (std::vector<PortRange>{{22, 22}}));
  EXPECT_EQ(Ranges("ssh"), (std::vector<PortRange>{{22, 22}}));
  EXPECT_EQ(Ranges("http,https"), (std::vector<PortRange>{{80, 80}, {443, 443}}));
  EXPECT_EQ(Ranges("1000:2000"), (std::vector<PortRange>{{1000, 2000}}));
  EXPECT_EQ(Ranges("1000-2000"), (std::vector<PortRange>{{1000, 2000}}));
  EXPECT_EQ(Ranges("ftp-data"), (std::vector<PortRange>{{20, 20}}));
  EXPECT_EQ(Ranges("ftp,ftp-data,ftps,ftps-data"), (std::vector<PortRange>{{20, 21}, {989, 990}}));
  EXPECT_EQ(Ranges(" smtp , submission , smtps "),
            (std::vector<PortRange>{{25, 25}, {465, 465}, {587, 587}}));
}

TEST(PortSpec, AllSwallowsEverythingElse) {
  Result<PortSpec> spec = ParsePortText("all", BuiltinServices());
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->all);
  EXPECT_TRUE(spec->ranges.empty());
}

TEST(PortSpec, MergesOverlappingAndAdjacentRanges) {
  EXPECT_EQ(Ranges("10:20,15:30,31,40,8"), (std::vector<PortRange>{{8, 8}, {10, 31}, {40, 40}}));
  EXPECT_EQ(Ranges("443,80,443"), (std::vector<PortRange>{{80, 80}, {443, 443}}));
}

TEST(PortSpec, Errors) {
  EXPECT_EQ(Error("0"), "port \"0\" is not in 1..65535");
  EXPECT_EQ(Error("65536"), "port \"65536\" is not in 1..65535");
  EXPECT_EQ(Error("9999999999"), "port \"9999999999\" is not in 1..65535");
  EXPECT_EQ(Error("sshh"), "unknown service name \"sshh\"");
  EXPECT_EQ(Error("2000:1000"), "port range \"2000:1000\" ends before it starts");
  EXPECT_EQ(Error("http,,https"), "empty item in port list \"http,,https\"");
  EXPECT_EQ(Error(""), "empty item in port list \"\"");
  EXPECT_EQ(Error("10:"), "port range \"10:\" is incomplete");
}

TEST(PortSpec, ServicesFileIsAFallbackAfterTheBuiltinTable) {
  ServicesFileResolver resolver(
      "# comment\n"
      "ssh\t\t2222/tcp\t\t\t# would shadow the built-in entry\n"
      "gopher\t\t70/tcp\n"
      "kerberos\t88/tcp\t\tkerberos5 krb5\n"
      "broken\t\tnotaport/tcp\n");
  EXPECT_EQ(resolver.Lookup("ssh"), 22);
  EXPECT_EQ(resolver.Lookup("gopher"), 70);
  EXPECT_EQ(resolver.Lookup("krb5"), 88);
  EXPECT_EQ(resolver.Lookup("broken"), std::nullopt);
  EXPECT_EQ(resolver.Lookup("nonexistent"), std::nullopt);
  Result<PortSpec> spec = ParsePortText("gopher,ssh", resolver);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->ranges, (std::vector<PortRange>{{22, 22}, {70, 70}}));
  // CRLF line ends, a last line without '\n', aliases after the number.
  ServicesFileResolver crlf("gopher 70/tcp\r\nkerberos 88/udp kerberos5 krb5\r\nnntp 119/tcp");
  EXPECT_EQ(crlf.Lookup("gopher"), 70);
  EXPECT_EQ(crlf.Lookup("kerberos5"), 88);
  EXPECT_EQ(crlf.Lookup("krb5"), 88);
  EXPECT_EQ(crlf.Lookup("nntp"), 119);
}

TEST(PortSpec, RangeToString) {
  EXPECT_EQ(PortRangeToString({22, 22}), "22");
  EXPECT_EQ(PortRangeToString({1000, 2000}), "1000:2000");
}

}  // namespace
}  // namespace portcullis
