#include "config/filter_ref.h"

#include <gtest/gtest.h>

namespace portcullis {
namespace {

TEST(FilterRef, PlainName) {
  Result<FilterRef> ref = ParseFilterRef("sshd");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->name, "sshd");
  EXPECT_EQ(ref->mode, "");
}

TEST(FilterRef, NameWithMode) {
  for (const char* text : {"sshd[mode=aggressive]", " sshd [ mode = aggressive ] ",
                           "sshd[mode=\"aggressive\"]", "sshd[mode='aggressive']"}) {
    Result<FilterRef> ref = ParseFilterRef(text);
    ASSERT_TRUE(ref.ok()) << text << ": " << ref.status().ToString();
    EXPECT_EQ(ref->name, "sshd") << text;
    EXPECT_EQ(ref->mode, "aggressive") << text;
  }
}

TEST(FilterRef, RejectsMalformedText) {
  EXPECT_EQ(ParseFilterRef("").status().message(),
            "\"\" is not a filter name (letters, digits, '_', '-', '.')");
  EXPECT_EQ(ParseFilterRef("ssh d").status().message(),
            "\"ssh d\" is not a filter name (letters, digits, '_', '-', '.')");
  EXPECT_EQ(ParseFilterRef("sshd[mode=aggressive").status().message(),
            "missing ']' after the filter arguments");
  EXPECT_EQ(ParseFilterRef("sshd[aggressive]").status().message(),
            "expected mode=NAME inside the brackets, got \"aggressive\"");
  EXPECT_EQ(ParseFilterRef("nftables[type=allports]").status().message(),
            "unknown filter argument \"type\" (only mode=NAME is supported)");
  EXPECT_EQ(ParseFilterRef("sshd[mode=]").status().message(),
            "\"\" is not a mode name (letters, digits, '_', '-', '.')");
  EXPECT_EQ(ParseFilterRef("../etc/passwd").status().message(),
            "\"../etc/passwd\" is not a filter name (letters, digits, '_', '-', '.')");
}

TEST(FilterRef, ValidNames) {
  EXPECT_TRUE(IsValidName("nginx-http-auth"));
  EXPECT_TRUE(IsValidName("postfix_sasl.2"));
  EXPECT_FALSE(IsValidName(".hidden"));
  EXPECT_FALSE(IsValidName("-x"));
  EXPECT_FALSE(IsValidName("a/b"));
  EXPECT_FALSE(IsValidName(std::string(65, 'a')));
}

}  // namespace
}  // namespace portcullis
