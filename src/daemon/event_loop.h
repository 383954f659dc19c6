// The daemon's one event loop: epoll over file descriptors, one timerfd for the nearest deadline,
// and a signalfd for SIGHUP/SIGTERM/SIGINT/SIGUSR1.
//
// The loop knows only file descriptors and deadlines. Handlers run on the loop's thread and must
// not block. Nothing here polls: with no I/O and no deadline, the process sleeps in epoll_wait.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "portcullis/status.h"

namespace portcullis {

class EventLoop {
 public:
  using FdHandler = std::function<void(uint32_t events)>;
  using SignalHandler = std::function<void(int signo)>;
  using Callback = std::function<void()>;

  static Result<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (not owned) for `events` (EPOLLIN, EPOLLOUT...). Re-adding an fd replaces it.
  Status Watch(int fd, uint32_t events, FdHandler handler);
  Status Modify(int fd, uint32_t events);
  void Unwatch(int fd);

  // Blocks these signals for the process and delivers them through the loop.
  Status HandleSignals(std::initializer_list<int> signals, SignalHandler handler);

  // Sets (or moves) the one deadline of the loop, in CLOCK_MONOTONIC milliseconds; 0 clears it.
  // When it passes, `on_deadline` (set once) runs.
  void SetDeadline(int64_t monotonic_ms);
  void OnDeadline(Callback cb) { on_deadline_ = std::move(cb); }

  // Runs after every batch of events, before sleeping again: where the daemon commits the
  // decisions of this iteration (one firewall transaction, one database transaction).
  void OnIdle(Callback cb) { on_idle_ = std::move(cb); }

  // Runs until Stop(). Returns an error only if epoll itself fails.
  Status Run();
  void Stop() { stopping_ = true; }

  static int64_t MonotonicMs();

 private:
  EventLoop() = default;
  void ArmTimer();

  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  int signal_fd_ = -1;
  int64_t deadline_ms_ = 0;
  bool stopping_ = false;
  std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;
  SignalHandler signal_handler_;
  Callback on_deadline_;
  Callback on_idle_;
};

}  // namespace portcullis
