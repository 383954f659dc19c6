// Test helpers for the control socket: a temporary directory, and a ControlServer answering
// with a Dispatcher over a FakeDaemon on its own thread (standing in for the daemon's loop).
#pragma once

#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "control/dispatcher.h"
#include "control/server.h"
#include "fakes/fake_daemon.h"

namespace portcullis {

class ControlTempDir {
 public:
  ControlTempDir() {
    char tmpl[] = "/tmp/pc-ctl-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~ControlTempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs a ControlServer (Dispatcher over FakeDaemon) on its own thread, like the daemon's loop.
class ControlHarness {
 public:
  explicit ControlHarness(ServerLimits limits = {})
      : dispatcher_(&fake_), server_(&dispatcher_, limits) {}
  ~ControlHarness() { Stop(); }

  FakeDaemon& fake() { return fake_; }  // only before Start()
  ControlServer& server() { return server_; }

  void Start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{server_.fd(), POLLIN, 0};
        poll(&p, 1, 5);
        server_.OnReadable();
        std::lock_guard<std::mutex> lock(mu_);
        stats_ = server_.stats();
        clients_ = server_.client_count();
      }
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // Waits up to 5 s for `pred(stats, clients)`.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (pred(stats_, clients_)) {
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  ServerStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  FakeDaemon fake_;
  Dispatcher dispatcher_;
  ControlServer server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  ServerStats stats_;
  size_t clients_ = 0;
};

}  // namespace portcullis
