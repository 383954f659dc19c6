#include "cli/socket_path.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fakes/control_harness.h"

namespace portcullis::cli {
namespace {

TEST(SocketPathFromToml, FindsTheKeyUnderDaemon) {
  EXPECT_EQ(SocketPathFromToml("[daemon]\nsocket = \"/run/pc.sock\"\n"), "/run/pc.sock");
  EXPECT_EQ(SocketPathFromToml("# top\n[jail.sshd]\nsocket = \"/no\"\n[ daemon ]\n"
                               "  loglevel = \"info\"\n  socket='/tmp/x y.sock'  # comment\n"),
            "/tmp/x y.sock");
  EXPECT_EQ(SocketPathFromToml("daemon.socket = \"/a\\\\b\\\".sock\"\n"), "/a\\b\".sock");
}

TEST(SocketPathFromToml, IgnoresOtherSectionsAndMissingKey) {
  EXPECT_EQ(SocketPathFromToml("[other]\nsocket = \"/no\"\n"), std::nullopt);
  EXPECT_EQ(SocketPathFromToml("[daemon]\n#socket = \"/no\"\nsockets = \"/no\"\n"), std::nullopt);
  EXPECT_EQ(SocketPathFromToml(""), std::nullopt);
  EXPECT_EQ(SocketPathFromToml("[daemon]\nsocket = \"unterminated\n"), std::nullopt);
}

TEST(SocketPathFromConfigDir, ReadsTheFileOrFallsBackToTheDefault) {
  ControlTempDir dir;
  EXPECT_EQ(SocketPathFromConfigDir(dir.path("")), "/run/portcullis/portcullis.sock");
  std::ofstream(dir.path("portcullis.toml")) << "[daemon]\r\nsocket = \"/tmp/t.sock\"\r\n";
  EXPECT_EQ(SocketPathFromConfigDir(dir.path("")), "/tmp/t.sock");
  // The local override wins, as in the daemon; without the key there, portcullis.toml counts.
  std::ofstream(dir.path("portcullis.local.toml")) << "[daemon]\nsocket = \"/tmp/local.sock\"\n";
  EXPECT_EQ(SocketPathFromConfigDir(dir.path("")), "/tmp/local.sock");
  std::ofstream(dir.path("portcullis.local.toml")) << "[daemon]\nlog_level = \"debug\"\n";
  EXPECT_EQ(SocketPathFromConfigDir(dir.path("")), "/tmp/t.sock");
}

}  // namespace
}  // namespace portcullis::cli
