#include "control/client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>

#include "fakes/control_harness.h"
#include "portcullis/protocol.h"

namespace portcullis {
namespace {

// A socket that accepts connections (in the kernel backlog) but never answers.
int ListenSilently(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(CallDaemon, SendsOneRequestAndReturnsTheResponseLine) {
  ControlTempDir dir;
  ControlHarness h;
  std::string path = dir.path("p.sock");
  ASSERT_TRUE(h.server().Listen(path, 0600, std::nullopt).ok());
  h.Start();
  Result<std::string> r = CallDaemon(path, R"({"v":1,"cmd":"ping","id":"x"})", 5000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, R"({"id":"x","ok":true,"result":{"pong":true},"v":1})");
}

TEST(CallDaemon, NoSocketMeansNotRunning) {
  ControlTempDir dir;
  std::string path = dir.path("missing.sock");
  Result<std::string> r = CallDaemon(path, R"({"v":1,"cmd":"ping"})", 1000);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "portcullisd is not running (no socket at " + path + ")");
}

TEST(CallDaemon, StaleSocketMeansNotRunning) {
  ControlTempDir dir;
  std::string path = dir.path("stale.sock");
  int fd = ListenSilently(path);
  ASSERT_GE(fd, 0);
  close(fd);
  Result<std::string> r = CallDaemon(path, R"({"v":1,"cmd":"ping"})", 1000);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "portcullisd is not running (nothing is listening on " + path + ")");
}

TEST(CallDaemon, GivesUpAfterTheTimeout) {
  ControlTempDir dir;
  std::string path = dir.path("silent.sock");
  int fd = ListenSilently(path);
  ASSERT_GE(fd, 0);
  auto start = std::chrono::steady_clock::now();
  Result<std::string> r = CallDaemon(path, R"({"v":1,"cmd":"ping"})", 200);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("did not answer"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  close(fd);
}

TEST(CallDaemon, RefusesOversizedRequestsWithoutSending) {
  std::string big(protocol::kMaxRequestBytes + 1, 'x');
  Result<std::string> r = CallDaemon("/nonexistent/p.sock", big, 1000);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("split the address list"), std::string::npos);
}

TEST(ConnectError, PermissionDeniedNamesTheGroup) {
  Status s = ConnectError("/run/portcullis/portcullis.sock", EACCES, "portcullis");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "permission denied on /run/portcullis/portcullis.sock (are you root or in group "
            "portcullis?)");
  EXPECT_EQ(ConnectError("/s", EACCES, "").message(),
            "permission denied on /s (are you root or in group of the socket?)");
  EXPECT_EQ(ConnectError("/s", ETIMEDOUT, "").code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace portcullis
