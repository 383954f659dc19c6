#include "control/client.h"

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "control/socket_util.h"
#include "portcullis/protocol.h"

namespace portcullis {
namespace {

// A status of every ban of a large blocklist can be tens of MB; refuse anything absurd.
constexpr size_t kMaxResponseBytes = size_t{512} << 20;

std::string SocketGroupName(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return "";
  }
  std::vector<char> buf(4096);
  group g{};
  group* found = nullptr;
  if (getgrgid_r(st.st_gid, &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::to_string(st.st_gid);
  }
  return found->gr_name;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status ConnectError(const std::string& socket_path, int err, const std::string& group) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::Unavailable("portcullisd is not running (no socket at " + socket_path + ")");
    case ECONNREFUSED:
      return Status::Unavailable("portcullisd is not running (nothing is listening on " +
                                 socket_path + ")");
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(
          "permission denied on " + socket_path + " (are you root or in group " +
          (group.empty() ? std::string("of the socket") : group) + "?)");
    default:
      return ErrnoStatus("cannot connect to " + socket_path, err);
  }
}

Result<std::string> CallDaemon(const std::string& socket_path, std::string_view request,
                               int timeout_ms) {
  if (request.size() > protocol::kMaxRequestBytes) {
    return Status::InvalidArgument(
        "request is " + std::to_string(request.size()) + " bytes; the daemon accepts at most " +
        std::to_string(protocol::kMaxRequestBytes) + " (split the address list)");
  }
  sockaddr_un addr{};
  PORTCULLIS_RETURN_IF_ERROR(MakeUnixAddress(socket_path, &addr));
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return ErrnoStatus("socket", errno);
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    return ConnectError(socket_path, err, SocketGroupName(socket_path));
  }

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto wait = [&](short events) -> Status {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return Status::Unavailable("portcullisd did not answer on " + socket_path + " within " +
                                   std::to_string(timeout_ms / 1000) + " s");
      }
      pollfd p{fd.get(), events, 0};
      int n = poll(&p, 1, static_cast<int>(left.count()));
      if (n > 0) {
        return Status::Ok();
      }
      if (n < 0 && errno != EINTR) {
        return ErrnoStatus("poll", errno);
      }
    }
  };

  std::string out(request);
  out += '\n';
  size_t sent = 0;
  while (sent < out.size()) {
    PORTCULLIS_RETURN_IF_ERROR(wait(POLLOUT));
    ssize_t n = send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET) {
        break;  // the daemon may have answered already
      }
      return ErrnoStatus("cannot send to " + socket_path, errno);
    }
    sent += static_cast<size_t>(n);
  }

  std::string in;
  char buf[65536];
  for (;;) {
    size_t nl = in.find('\n');
    if (nl != std::string::npos) {
      in.resize(nl);
      return in;
    }
    PORTCULLIS_RETURN_IF_ERROR(wait(POLLIN));
    ssize_t n = recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return ErrnoStatus("cannot read from " + socket_path, errno);
    }
    if (n == 0) {
      return Status::IoError("portcullisd closed the connection on " + socket_path +
                             " without an answer");
    }
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxResponseBytes) {
      return Status::IoError("answer from portcullisd is larger than " +
                             std::to_string(kMaxResponseBytes) + " bytes");
    }
  }
}

}  // namespace portcullis
