#include "control/server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakes/control_harness.h"

namespace portcullis {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one line (without '\n'); nullopt on EOF, error or timeout. `buffer` keeps what follows.
std::optional<std::string> ReadLine(int fd, std::string* buffer, int timeout_ms = 5000) {
  for (;;) {
    size_t nl = buffer->find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer->substr(0, nl);
      buffer->erase(0, nl + 1);
      return line;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return std::nullopt;
    }
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      return std::nullopt;
    }
    buffer->append(buf, static_cast<size_t>(n));
  }
}

// True if the peer closed (EOF or reset) within the timeout; pending data is discarded.
bool ReadsEof(int fd, int timeout_ms = 5000) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return false;
    }
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      return true;
    }
  }
}

json Parse(const std::optional<std::string>& line) {
  if (!line) {
    return json();
  }
  return json::parse(*line, nullptr, false);
}

const std::string kPing = R"({"v":1,"cmd":"ping"})";

TEST(LookupGroup, FindsGroupsByName) {
  Result<gid_t> root = LookupGroup("root");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, 0u);
  EXPECT_EQ(LookupGroup("no-such-group-pc").status().code(), StatusCode::kNotFound);
}

TEST(ControlServerListen, CreatesSocketWithModeAndGroup) {
  ControlTempDir dir;
  ControlHarness h;
  std::string path = dir.path("run/portcullis.sock");  // parent created on demand
  ASSERT_TRUE(h.server().Listen(path, 0660, getegid()).ok());
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, getegid());
}

TEST(ControlServerListen, RemovesItsSocketOnDestruction) {
  ControlTempDir dir;
  std::string path = dir.path("s.sock");
  {
    ControlHarness h;
    ASSERT_TRUE(h.server().Listen(path, 0600, std::nullopt).ok());
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ControlServerListen, RefusesWhenAnotherServerAnswers) {
  ControlTempDir dir;
  std::string path = dir.path("s.sock");
  ControlHarness first;
  ASSERT_TRUE(first.server().Listen(path, 0600, std::nullopt).ok());
  ControlHarness second;
  Status s = second.server().Listen(path, 0600, std::nullopt);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "another portcullisd is listening on " + path);
  first.Start();
  int fd = Connect(path);  // the first server still owns the path
  ASSERT_GE(fd, 0);
  std::string buf;
  EXPECT_TRUE(SendAll(fd, kPing + "\n"));
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["result"]["pong"], true);
  close(fd);
}

TEST(ControlServerListen, ReplacesAStaleSocket) {
  ControlTempDir dir;
  std::string path = dir.path("s.sock");
  int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(stale);  // the file stays behind, nobody listens
  ControlHarness h;
  ASSERT_TRUE(h.server().Listen(path, 0600, std::nullopt).ok());
  h.Start();
  int fd = Connect(path);
  ASSERT_GE(fd, 0);
  close(fd);
}

TEST(ControlServerListen, NeverRemovesANonSocket) {
  ControlTempDir dir;
  std::string path = dir.path("s.sock");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fclose(f);
  }
  ControlHarness h;
  Status s = h.server().Listen(path, 0600, std::nullopt);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), path + " exists and is not a socket; not removing it");
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(ControlServerListen, RefusesAPathTooLongForSunPath) {
  ControlHarness h;
  Status s = h.server().Listen("/tmp/" + std::string(200, 'x'), 0600, std::nullopt);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUpServer(ServerLimits limits = {}) {
    harness_ = std::make_unique<ControlHarness>(limits);
    path_ = dir_.path("portcullis.sock");
    for (int i = 0; i < 2000; ++i) {  // `banned` answers with ~180 KB
      ActiveBan b;
      b.jail = "sshd";
      b.addr = "198.51.100." + std::to_string(i % 256) + "/" + std::to_string(i);
      harness_->fake().bans.push_back(b);
    }
    ASSERT_TRUE(harness_->server().Listen(path_, 0600, std::nullopt).ok());
    harness_->Start();
  }
  void TearDown() override {
    if (harness_) {
      harness_->Stop();
    }
  }

  ControlTempDir dir_;
  std::string path_;
  std::unique_ptr<ControlHarness> harness_;
};

// Runs the server on this thread until `done()` or 5 s.
// `done` is called once per round (it may consume what it checks).
template <typename Done>
bool PumpUntil(ControlServer& server, Done done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    pollfd p{server.fd(), POLLIN, 0};
    poll(&p, 1, 10);
    server.OnReadable();
  }
  return false;
}

TEST(ControlServerIdle, ConnectionsWithoutTrafficForAWholePeriodAreClosed) {
  ControlTempDir dir;
  ControlHarness harness;  // not started: the server runs on this thread
  ControlServer& server = harness.server();
  std::string path = dir.path("portcullis.sock");
  ASSERT_TRUE(server.Listen(path, 0600, std::nullopt).ok());
  int idle = Connect(path);
  int busy = Connect(path);
  ASSERT_GE(idle, 0);
  ASSERT_GE(busy, 0);
  ASSERT_TRUE(PumpUntil(server, [&] { return server.client_count() == 2; }));

  // Connecting is traffic: nobody is closed at the first sweep after it.
  EXPECT_EQ(server.CloseIdle(), 0u);
  ASSERT_TRUE(SendAll(busy, kPing + "\n"));
  std::string buf;
  std::optional<std::string> answer;
  ASSERT_TRUE(PumpUntil(server, [&] {
    answer = ReadLine(busy, &buf, 0);
    return answer.has_value();
  }));
  EXPECT_EQ(Parse(answer)["result"]["pong"], true);

  // A whole period without traffic closes `idle`; `busy` asked something in it.
  EXPECT_EQ(server.CloseIdle(), 1u);
  EXPECT_TRUE(ReadsEof(idle));
  EXPECT_EQ(server.client_count(), 1u);
  // Still usable after the sweep...
  ASSERT_TRUE(SendAll(busy, kPing + "\n"));
  ASSERT_TRUE(PumpUntil(server, [&] { return ReadLine(busy, &buf, 0).has_value(); }));
  EXPECT_EQ(server.CloseIdle(), 0u);
  // ...and closed after a whole quiet period of its own.
  EXPECT_EQ(server.CloseIdle(), 1u);
  EXPECT_TRUE(ReadsEof(busy));
  EXPECT_EQ(server.client_count(), 0u);
  EXPECT_EQ(server.stats().dropped_idle, 2u);
  close(idle);
  close(busy);
}

TEST_F(ControlServerTest, FiftyConcurrentClients) {
  SetUpServer();
  constexpr int kClients = 50;
  constexpr int kRequests = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      int fd = Connect(path_);
      if (fd < 0) {
        return;
      }
      std::string buf;
      // One at a time, then a pipelined batch.
      for (int i = 0; i < kRequests; ++i) {
        json req = {{"v", 1}, {"cmd", i % 2 ? "status" : "ping"}, {"id", c * 1000 + i}};
        if (!SendAll(fd, req.dump() + "\n")) {
          break;
        }
        json r = Parse(ReadLine(fd, &buf));
        if (r.is_object() && r["ok"] == true && r["id"] == c * 1000 + i) {
          ++good;
        }
      }
      std::string batch;
      for (int i = 0; i < kRequests; ++i) {
        batch += json({{"v", 1}, {"cmd", "version"}, {"id", i}}).dump() + "\n";
      }
      SendAll(fd, batch);
      for (int i = 0; i < kRequests; ++i) {
        json r = Parse(ReadLine(fd, &buf));
        if (r.is_object() && r["ok"] == true && r["id"] == i) {
          ++good;
        }
      }
      close(fd);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(good.load(), kClients * kRequests * 2);
  EXPECT_TRUE(harness_->WaitFor(
      [](const ServerStats& s, size_t clients) { return clients == 0 && s.accepted == 50; }));
}

TEST_F(ControlServerTest, GarbageGetsErrorsAndTheConnectionStaysUsable) {
  SetUpServer();
  int fd = Connect(path_);
  ASSERT_GE(fd, 0);
  std::string garbage = "garbage\n";
  garbage += std::string("\x00\x01\xff\xfe", 4) + "\n";
  garbage += "{\"v\":1}\r\n";
  garbage += "\n   \n";  // blank lines are ignored
  garbage += kPing + "\r\n";
  ASSERT_TRUE(SendAll(fd, garbage));
  std::string buf;
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["code"], "bad_request");
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["code"], "bad_request");
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["code"], "bad_request");
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["result"]["pong"], true);
  close(fd);
}

TEST_F(ControlServerTest, TenMegabyteRequestGetsErrorAndCloseWithoutBuffering) {
  SetUpServer();
  int fd = Connect(path_);
  ASSERT_GE(fd, 0);
  std::thread writer([fd] {
    std::string chunk(1 << 20, 'A');
    for (int i = 0; i < 10; ++i) {
      if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) {
        break;  // EPIPE once closed
      }
    }
  });
  std::string buf;
  json r = Parse(ReadLine(fd, &buf));
  EXPECT_EQ(r["code"], "too_large") << r.dump();
  EXPECT_TRUE(ReadsEof(fd));
  writer.join();
  close(fd);
  ASSERT_TRUE(harness_->WaitFor([](const ServerStats& s, size_t clients) {
    return clients == 0 && s.dropped_too_large == 1;
  }));
  EXPECT_LE(harness_->stats().peak_input_bytes, protocol::kMaxRequestBytes + size_t{64} * 1024);

  // A request of exactly the limit is still read and answered (as a bad request here).
  int fd2 = Connect(path_);
  std::string big = "{\"v\":1,\"cmd\":\"ping\",\"x\":\"";
  big += std::string(protocol::kMaxRequestBytes - big.size() - 2, 'x') + "\"}";
  ASSERT_EQ(big.size(), protocol::kMaxRequestBytes);
  std::thread writer2([&] { SendAll(fd2, big + "\n" + kPing + "\n"); });
  std::string buf2;
  EXPECT_EQ(Parse(ReadLine(fd2, &buf2))["error"], "unknown field 'x'");
  EXPECT_EQ(Parse(ReadLine(fd2, &buf2))["result"]["pong"], true);
  writer2.join();
  close(fd2);
}

TEST_F(ControlServerTest, AClientThatNeverReadsDoesNotBlockOthers) {
  // 20 answers of ~180 KB: far more than the socket buffers hold, so the server must pause.
  constexpr int kBacklog = 20;
  SetUpServer();
  int slow = Connect(path_);
  ASSERT_GE(slow, 0);
  fcntl(slow, F_SETFL, O_NONBLOCK);
  const std::string big_request = R"({"v":1,"cmd":"banned"})"
                                  "\n";
  std::string requests;
  for (int i = 0; i < kBacklog; ++i) {
    requests += big_request;
  }
  size_t sent = 0;
  // Send until the kernel pushes back; never read.
  for (int tries = 0; tries < 200 && sent < requests.size(); ++tries) {
    ssize_t n = send(slow, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(sent, requests.size());

  // Meanwhile another client is answered promptly.
  auto start = std::chrono::steady_clock::now();
  int fd = Connect(path_);
  ASSERT_GE(fd, 0);
  std::string buf;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(SendAll(fd, kPing + "\n"));
    EXPECT_EQ(Parse(ReadLine(fd, &buf, 2000))["result"]["pong"], true);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  close(fd);

  // The slow client is paused (most of its requests wait unread), not dropped, and gets every
  // answer once it reads.
  EXPECT_LT(harness_->stats().requests, static_cast<uint64_t>(kBacklog / 2 + 10));
  fcntl(slow, F_SETFL, 0);
  std::string slow_buf;
  int answers = 0;
  for (int i = 0; i < kBacklog; ++i) {
    json r = Parse(ReadLine(slow, &slow_buf));
    if (r.is_object() && r["ok"] == true && r["result"]["bans"].size() == 2000) {
      ++answers;
    }
  }
  EXPECT_EQ(answers, kBacklog);
  close(slow);
  EXPECT_EQ(harness_->stats().dropped_slow, 0u);
}

TEST_F(ControlServerTest, ClientWhoseUnsentOutputExceedsTheCapIsDropped) {
  ServerLimits limits;
  limits.max_output_bytes = 4096;
  SetUpServer(limits);
  int slow = Connect(path_);
  ASSERT_GE(slow, 0);
  fcntl(slow, F_SETFL, O_NONBLOCK);
  const std::string big_request = R"({"v":1,"cmd":"banned"})"
                                  "\n";
  for (int i = 0; i < 50; ++i) {
    send(slow, big_request.data(), big_request.size(), MSG_NOSIGNAL);
  }
  EXPECT_TRUE(harness_->WaitFor(
      [](const ServerStats& s, size_t clients) { return s.dropped_slow == 1 && clients == 0; }));
  fcntl(slow, F_SETFL, 0);
  EXPECT_TRUE(ReadsEof(slow));
  close(slow);
}

TEST_F(ControlServerTest, DisconnectMidRequestIsHarmless) {
  SetUpServer();
  for (int i = 0; i < 10; ++i) {
    int fd = Connect(path_);
    ASSERT_GE(fd, 0);
    SendAll(fd, R"({"v":1,"cmd":"pi)");
    close(fd);
  }
  EXPECT_TRUE(harness_->WaitFor(
      [](const ServerStats& s, size_t clients) { return s.accepted == 10 && clients == 0; }));
  int fd = Connect(path_);
  std::string buf;
  ASSERT_TRUE(SendAll(fd, kPing + "\n"));
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["result"]["pong"], true);
  close(fd);
}

TEST_F(ControlServerTest, HalfCloseAfterUnterminatedRequestIsAnswered) {
  SetUpServer();
  int fd = Connect(path_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, kPing + "\n" + kPing));
  shutdown(fd, SHUT_WR);
  std::string buf;
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["result"]["pong"], true);
  EXPECT_EQ(Parse(ReadLine(fd, &buf))["result"]["pong"], true);
  EXPECT_TRUE(ReadsEof(fd));
  close(fd);
}

TEST_F(ControlServerTest, PassesPeerCredentials) {
  SetUpServer();
  // The test runs as some uid; root may ban, anyone else is refused by the dispatcher.
  int fd = Connect(path_);
  std::string buf;
  ASSERT_TRUE(SendAll(fd, R"({"v":1,"cmd":"stop"})"
                          "\n"));
  json r = Parse(ReadLine(fd, &buf));
  if (geteuid() == 0) {
    EXPECT_EQ(r["ok"], true) << r.dump();
  } else {
    EXPECT_EQ(r["code"], "permission_denied") << r.dump();
    EXPECT_NE(r["error"].get<std::string>().find("uid " + std::to_string(geteuid())),
              std::string::npos);
  }
  close(fd);
}

TEST_F(ControlServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerLimits limits;
  limits.max_clients = 3;
  SetUpServer(limits);
  std::vector<int> fds;
  fds.reserve(3);
  for (int i = 0; i < 3; ++i) {
    fds.push_back(Connect(path_));
  }
  ASSERT_TRUE(harness_->WaitFor([](const ServerStats&, size_t clients) { return clients == 3; }));
  int extra = Connect(path_);
  ASSERT_GE(extra, 0);
  EXPECT_TRUE(ReadsEof(extra));
  close(extra);
  std::string buf;
  ASSERT_TRUE(SendAll(fds[0], kPing + "\n"));
  EXPECT_EQ(Parse(ReadLine(fds[0], &buf))["result"]["pong"], true);
  for (int fd : fds) {
    close(fd);
  }
  EXPECT_EQ(harness_->stats().refused_too_many, 1u);
}

// Out of file descriptors, accept() fails but the connection stays queued; the server must not
// spin on the readable listening socket, and must resume once a client leaves. Runs in a child
// process because it lowers RLIMIT_NOFILE.
TEST(ControlServerLimits, PausesAcceptingWhenOutOfDescriptors) {
  ControlTempDir dir;
  std::string path = dir.path("p.sock");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FakeDaemon fake;
    Dispatcher dispatcher(&fake);
    ControlServer server(&dispatcher);
    if (!server.Listen(path, 0600, std::nullopt).ok()) {
      _exit(10);
    }
    auto readable = [&](int timeout_ms) {
      pollfd p{server.fd(), POLLIN, 0};
      return poll(&p, 1, timeout_ms) > 0;
    };
    int a = Connect(path);
    if (a < 0 || !readable(1000)) {
      _exit(11);
    }
    server.OnReadable();
    if (server.client_count() != 1) {
      _exit(12);
    }
    int b = Connect(path);  // queued, not yet accepted
    if (b < 0) {
      _exit(13);
    }
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 64;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      _exit(14);
    }
    while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) {
    }
    if (!readable(1000)) {
      _exit(15);
    }
    server.OnReadable();  // accept4 fails with EMFILE
    if (server.stats().accept_paused != 1) {
      _exit(16);
    }
    if (readable(100)) {
      _exit(17);  // not readable any more: no busy loop
    }
    close(a);  // the first client leaves; its slot frees up
    if (!readable(1000)) {
      _exit(18);
    }
    server.OnReadable();  // sees a's EOF, closes it, watches the listening socket again
    for (int i = 0; i < 10 && server.stats().accepted < 2; ++i) {
      if (readable(1000)) {
        server.OnReadable();
      }
    }
    if (server.stats().accepted != 2) {
      _exit(19);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace portcullis
