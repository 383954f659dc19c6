#include "daemon/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace portcullis {
namespace {

// A datagram socket standing in for systemd's notify socket; restores $NOTIFY_SOCKET on exit.
class NotifySocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("NOTIFY_SOCKET");
    had_old_ = old != nullptr;
    if (had_old_) {
      old_ = old;
    }
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
  }

  void TearDown() override {
    if (fd_ >= 0) {
      close(fd_);
    }
    if (!dir_.empty()) {
      unlink((dir_ + "/notify").c_str());
      rmdir(dir_.c_str());
    }
    if (had_old_) {
      setenv("NOTIFY_SOCKET", old_.c_str(), 1);
    } else {
      unsetenv("NOTIFY_SOCKET");
    }
  }

  // Binds to `name` ('@' = abstract) and points $NOTIFY_SOCKET at it.
  void Bind(const std::string& name) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(name.size(), sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    }
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }

  std::string PathInTempDir() {
    char tmpl[] = "/tmp/portcullis-notify-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      return "";
    }
    dir_ = tmpl;
    return dir_ + "/notify";
  }

  // The next datagram, or "<none>" when nothing is queued.
  std::string Receive() {
    char buf[512];
    ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
  }

  int fd_ = -1;
  std::string dir_;
  bool had_old_ = false;
  std::string old_;
};

TEST_F(NotifySocketTest, SendsOneDatagramToAPathSocket) {
  std::string path = PathInTempDir();
  ASSERT_FALSE(path.empty());
  Bind(path);
  SdNotify("READY=1\nSTATUS=watching 3 jails");
  EXPECT_EQ(Receive(), "READY=1\nSTATUS=watching 3 jails");
  SdNotify("WATCHDOG=1");
  EXPECT_EQ(Receive(), "WATCHDOG=1");
  EXPECT_EQ(Receive(), "<none>");
}

TEST_F(NotifySocketTest, SendsToAnAbstractSocketNamedWithAt) {
  Bind("@portcullis-notify-test-" + std::to_string(getpid()));
  SdNotify("STOPPING=1");
  EXPECT_EQ(Receive(), "STOPPING=1");
}

TEST_F(NotifySocketTest, IgnoresAddressesThatAreNotUnixSockets) {
  Bind("@portcullis-notify-test-" + std::to_string(getpid()));
  // The same name without '@' is a relative path: not a valid notify address, nothing is sent
  // (and in particular not to our abstract socket).
  setenv("NOTIFY_SOCKET", ("portcullis-notify-test-" + std::to_string(getpid())).c_str(), 1);
  SdNotify("READY=1");
  setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
  SdNotify("READY=1");
  unsetenv("NOTIFY_SOCKET");
  SdNotify("READY=1");
  EXPECT_EQ(Receive(), "<none>");
}

TEST(SdWatchdog, ReadsTheIntervalInMilliseconds) {
  EXPECT_EQ(WatchdogIntervalMs("30000000", nullptr, 42), 30000);
  EXPECT_EQ(WatchdogIntervalMs("30000000", "42", 42), 30000);
  EXPECT_EQ(WatchdogIntervalMs("1500", nullptr, 42), 1);
  EXPECT_EQ(WatchdogIntervalMs("500", nullptr, 42), 1);  // still on, not rounded to "off"
}

TEST(SdWatchdog, IsOffWhenUnsetMalformedOrForAnotherProcess) {
  EXPECT_EQ(WatchdogIntervalMs(nullptr, nullptr, 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("", nullptr, 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("0", nullptr, 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("-5", nullptr, 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("30s", nullptr, 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("30000000", "41", 42), 0);
  EXPECT_EQ(WatchdogIntervalMs("30000000", "x", 42), 0);
}

TEST(SdWatchdog, ReadsTheEnvironment) {
  const char* old_usec = std::getenv("WATCHDOG_USEC");
  const char* old_pid = std::getenv("WATCHDOG_PID");
  std::string saved_usec = old_usec ? old_usec : "";
  std::string saved_pid = old_pid ? old_pid : "";
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(SdWatchdogIntervalMs(), 20000);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_EQ(SdWatchdogIntervalMs(), 0);
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(SdWatchdogIntervalMs(), 20000);
  unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(SdWatchdogIntervalMs(), 0);
  if (old_usec != nullptr) {
    setenv("WATCHDOG_USEC", saved_usec.c_str(), 1);
  }
  if (old_pid != nullptr) {
    setenv("WATCHDOG_PID", saved_pid.c_str(), 1);
  }
}

}  // namespace
}  // namespace portcullis
