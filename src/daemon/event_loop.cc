#include "daemon/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace portcullis {
namespace {

Status Errno(const char* what) {
  return Status::IoError(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

int64_t EventLoop::MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd_ < 0) return Errno("epoll_create1");
  loop->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (loop->timer_fd_ < 0) return Errno("timerfd_create");
  EventLoop* raw = loop.get();
  Status s = loop->Watch(loop->timer_fd_, EPOLLIN, [raw](uint32_t) {
    uint64_t expirations;
    while (read(raw->timer_fd_, &expirations, sizeof expirations) > 0) {
    }
    if (raw->deadline_ms_ != 0 && MonotonicMs() >= raw->deadline_ms_) {
      raw->deadline_ms_ = 0;
      if (raw->on_deadline_) raw->on_deadline_();
    } else {
      raw->ArmTimer();
    }
  });
  if (!s.ok()) return s;
  return loop;
}

EventLoop::~EventLoop() {
  if (signal_fd_ >= 0) close(signal_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Status EventLoop::Watch(int fd, uint32_t events, FdHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  bool known = handlers_.count(fd) != 0;
  if (epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Errno("epoll_ctl");
  }
  handlers_[fd] = std::make_shared<FdHandler>(std::move(handler));
  return Status::Ok();
}

Status EventLoop::Modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return Errno("epoll_ctl");
  return Status::Ok();
}

void EventLoop::Unwatch(int fd) {
  if (handlers_.erase(fd) != 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

Status EventLoop::HandleSignals(std::initializer_list<int> signals, SignalHandler handler) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return Errno("sigprocmask");
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Errno("signalfd");
  signal_handler_ = std::move(handler);
  return Watch(signal_fd_, EPOLLIN, [this](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (signal_handler_) signal_handler_(static_cast<int>(info.ssi_signo));
    }
  });
}

void EventLoop::SetDeadline(int64_t monotonic_ms) {
  deadline_ms_ = monotonic_ms;
  ArmTimer();
}

void EventLoop::ArmTimer() {
  itimerspec spec{};
  if (deadline_ms_ != 0) {
    // Absolute monotonic time; a deadline already past fires at once (1 ns in the past is still
    // a valid, non-zero it_value).
    int64_t ms = deadline_ms_ > 0 ? deadline_ms_ : 1;
    spec.it_value.tv_sec = ms / 1000;
    spec.it_value.tv_nsec = (ms % 1000) * 1000000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

Status EventLoop::Run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  stopping_ = false;
  while (!stopping_) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      // Keep the handler alive even if it unwatches its own fd.
      std::shared_ptr<FdHandler> handler = it->second;
      (*handler)(events[i].events);
    }
    if (on_idle_) on_idle_();
  }
  return Status::Ok();
}

}  // namespace portcullis
