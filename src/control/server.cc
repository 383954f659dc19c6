#include "control/server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "control/socket_util.h"

namespace portcullis {
namespace {

// One read() per readiness event: small enough that one busy client cannot starve the others in
// a loop iteration, large enough that a 1 MiB request takes 16 events.
constexpr size_t kReadChunk = size_t{64} * 1024;
constexpr int kMaxEventsPerCall = 64;

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

}  // namespace

Result<gid_t> LookupGroup(const std::string& name) {
  std::vector<char> buf(16384);
  group g{};
  group* found = nullptr;
  int err = getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
  if (err != 0) {
    return ErrnoStatus("cannot look up group " + name, err);
  }
  if (found == nullptr) {
    return Status::NotFound("no group '" + name + "'");
  }
  return found->gr_gid;
}

struct ControlServer::Client {
  int fd = -1;
  PeerCredentials peer;
  std::string in;
  std::string out;
  size_t out_pos = 0;    // bytes of `out` already sent
  bool eof = false;      // the client sent EOF; no more reading
  bool closing = false;  // nothing more to answer; close once `out` is sent
  bool active = true;    // bytes read or sent since the last CloseIdle()
  uint32_t interest = 0;

  size_t pending() const { return out.size() - out_pos; }
};

ControlServer::ControlServer(RequestHandler* handler, ServerLimits limits)
    : handler_(handler), limits_(limits) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
}

ControlServer::~ControlServer() {
  while (!clients_.empty()) {
    Close(clients_.begin()->first);
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    // Remove the file only if it is still ours: a successor may already have replaced it.
    struct stat st {};
    if (!path_.empty() && lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_ino == inode_) {
      unlink(path_.c_str());
    }
  }
  if (epoll_fd_ >= 0) {
    close(epoll_fd_);
  }
}

Status ControlServer::Listen(const std::string& path, mode_t mode, std::optional<gid_t> group) {
  if (epoll_fd_ < 0) {
    return ErrnoStatus("epoll_create1", errno);
  }
  if (listen_fd_ >= 0) {
    return Status::InvalidArgument("control server is already listening");
  }
  sockaddr_un addr{};
  PORTCULLIS_RETURN_IF_ERROR(MakeUnixAddress(path, &addr));

  std::string dir = ParentDir(path);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || mkdir(dir.c_str(), 0755) != 0) {
      return ErrnoStatus("cannot create socket directory " + dir, errno);
    }
  }

  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::IoError(path + " exists and is not a socket; not removing it");
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
      return ErrnoStatus("socket", errno);
    }
    int rc = connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    close(probe);
    if (rc == 0) {
      return Status::Unavailable("another portcullisd is listening on " + path);
    }
    if (err != ECONNREFUSED) {
      return ErrnoStatus("cannot probe existing socket " + path, err);
    }
    // Nobody listens: a stale socket left by a daemon that did not exit cleanly.
    if (unlink(path.c_str()) != 0) {
      return ErrnoStatus("cannot remove stale socket " + path, errno);
    }
  } else if (errno != ENOENT) {
    return ErrnoStatus("cannot stat " + path, errno);
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return ErrnoStatus("socket", errno);
  }
  // bind() creates the file with 0777 & ~umask. Create it owner-only, then chown and widen, so
  // no process outside `mode` can connect in between. (umask is process-wide; Listen runs at
  // startup, before the daemon has other threads.)
  mode_t old_umask = umask(0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  umask(old_umask);
  if (rc != 0) {
    close(fd);
    return ErrnoStatus("cannot bind " + path, err);
  }
  auto fail = [&](const std::string& what) {
    Status s = ErrnoStatus(what, errno);
    close(fd);
    unlink(path.c_str());
    return s;
  };
  if (group && chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return fail("cannot set group " + std::to_string(*group) + " on " + path);
  }
  if (chmod(path.c_str(), mode) != 0) {
    return fail("cannot chmod " + path);
  }
  if (lstat(path.c_str(), &st) != 0) {
    return fail("cannot stat " + path);
  }
  if (listen(fd, 128) != 0) {
    return fail("cannot listen on " + path);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return fail("epoll_ctl");
  }

  listen_fd_ = fd;
  path_ = path;
  inode_ = st.st_ino;
  group_ = group;
  return Status::Ok();
}

void ControlServer::OnReadable() {
  epoll_event events[kMaxEventsPerCall];
  int n = epoll_wait(epoll_fd_, events, kMaxEventsPerCall, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      Accept();
      continue;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) {
      continue;  // closed earlier in this batch
    }
    HandleClient(*it->second, events[i].events);
  }
}

void ControlServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: the pending connection stays queued and the listening socket
        // stays readable, which would spin the loop. Stop watching it until a client closes.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_ = true;
        ++stats_.accept_paused;
      }
      return;  // EAGAIN: nothing more to accept
    }
    if (clients_.size() >= limits_.max_clients) {
      close(fd);
      ++stats_.refused_too_many;
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->peer = Credentials(fd);
    c->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = c->interest;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    clients_[fd] = std::move(c);
    ++stats_.accepted;
  }
}

PeerCredentials ControlServer::Credentials(int fd) const {
  PeerCredentials peer;
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return peer;  // uid -1: nobody
  }
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.pid = cred.pid;
  if (!group_) {
    return peer;
  }
  if (cred.gid == *group_) {
    peer.in_group = true;
    return peer;
  }
  // Supplementary groups (Linux 4.13+), as the peer had them at connect().
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 2; ++attempt) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      peer.in_group = std::find(groups.begin(), groups.end(), *group_) != groups.end();
      return peer;
    }
    if (errno != ERANGE) {
      return peer;
    }
    groups.resize(glen / sizeof(gid_t) + 1);
  }
  return peer;
}

void ControlServer::HandleClient(Client& c, uint32_t events) {
  int fd = c.fd;
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c.closing && !c.eof &&
      c.pending() < kPauseOutputBytes) {
    ReadSome(c);
  }
  // Requests left over while output was paused are answered as soon as it has drained. Each
  // round answers at least one request or closes, and the input is bounded, so this ends.
  do {
    if (clients_.count(fd) == 0) {
      return;
    }
    ProcessLines(c);
    Flush(c);
    if (clients_.count(fd) == 0) {
      return;
    }
  } while (!c.closing && c.pending() < kPauseOutputBytes &&
           (c.eof || c.in.find('\n') != std::string::npos));
  Rearm(c);
}

void ControlServer::ReadSome(Client& c) {
  char buf[kReadChunk];
  ssize_t n = read(c.fd, buf, sizeof(buf));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) {
      return;
    }
    Close(c.fd);
    return;
  }
  if (n == 0) {
    c.eof = true;  // ProcessLines answers what is left, then the connection closes
    return;
  }
  c.active = true;
  c.in.append(buf, static_cast<size_t>(n));
  stats_.peak_input_bytes = std::max(stats_.peak_input_bytes, c.in.size());
}

void ControlServer::ProcessLines(Client& c) {
  if (c.closing) {
    return;
  }
  size_t start = 0;
  bool too_large = false;
  while (c.pending() < kPauseOutputBytes) {
    size_t nl = c.in.find('\n', start);
    if (nl == std::string::npos) {
      break;
    }
    if (nl - start > limits_.max_request_bytes) {
      too_large = true;
      break;
    }
    Respond(c, std::string_view(c.in.data() + start, nl - start));
    start = nl + 1;
  }
  c.in.erase(0, start);
  if (!too_large && c.in.find('\n') != std::string::npos) {
    return;  // paused; more later
  }

  // What is left has no newline: a request still arriving, or the last one before EOF.
  if (too_large || c.in.size() > limits_.max_request_bytes) {
    // It can never become valid; answer once and stop reading instead of buffering the rest.
    c.in.clear();
    c.in.shrink_to_fit();
    c.out += handler_->TooLarge(limits_.max_request_bytes);
    c.out += '\n';
    c.closing = true;
    ++stats_.dropped_too_large;
    shutdown(c.fd, SHUT_RD);
    return;
  }
  if (c.eof) {
    // A client may half-close after an unterminated request (printf ... | socat): answer it.
    if (!c.in.empty()) {
      Respond(c, c.in);
    }
    c.in.clear();
    c.closing = true;
  }
}

void ControlServer::Respond(Client& c, std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  if (line.find_first_not_of(" \t") == std::string_view::npos) {
    return;  // blank line: ignore
  }
  ++stats_.requests;
  c.out += handler_->Handle(line, c.peer);
  c.out += '\n';
}

void ControlServer::Flush(Client& c) {
  while (c.pending() > 0) {
    ssize_t n = send(c.fd, c.out.data() + c.out_pos, c.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      Close(c.fd);  // EPIPE, ECONNRESET: the client is gone
      return;
    }
    c.out_pos += static_cast<size_t>(n);
    c.active = true;
  }
  if (c.pending() == 0) {
    c.out.clear();
    c.out_pos = 0;
    if (c.out.capacity() > kPauseOutputBytes) {
      c.out.shrink_to_fit();
    }
  } else if (c.out_pos > kPauseOutputBytes) {
    c.out.erase(0, c.out_pos);  // keep the buffer from only ever growing at the front
    c.out_pos = 0;
  }
  if (c.pending() > limits_.max_output_bytes) {
    ++stats_.dropped_slow;
    Close(c.fd);
  }
}

size_t ControlServer::CloseIdle() {
  std::vector<int> idle;
  for (auto& [fd, c] : clients_) {
    if (!c->active) {
      idle.push_back(fd);
    }
    c->active = false;
  }
  for (int fd : idle) {
    ++stats_.dropped_idle;
    Close(fd);
  }
  return idle.size();
}

bool ControlServer::Rearm(Client& c) {
  if (c.closing && c.pending() == 0) {
    Close(c.fd);
    return false;
  }
  uint32_t want = 0;
  if (!c.closing && !c.eof && c.pending() < kPauseOutputBytes) {
    want |= EPOLLIN;
  }
  if (c.pending() > 0) {
    want |= EPOLLOUT;
  }
  if (want != c.interest) {
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = c.fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
      Close(c.fd);
      return false;
    }
    c.interest = want;
  }
  return true;
}

void ControlServer::Close(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) {
    return;
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  clients_.erase(it);
  if (accept_paused_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0) {
      accept_paused_ = false;
    }
  }
}

}  // namespace portcullis
