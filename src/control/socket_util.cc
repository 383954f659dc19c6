#include "control/socket_util.h"

#include <cerrno>
#include <cstring>

namespace portcullis {

Status ErrnoStatus(std::string_view what, int err) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  if (err == EACCES || err == EPERM) {
    return Status::PermissionDenied(std::move(msg));
  }
  return Status::IoError(std::move(msg));
}

Status MakeUnixAddress(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  // sun_path must hold the path plus its terminating NUL.
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) {
    return Status::InvalidArgument("socket path '" + path + "' must be 1 to " +
                                   std::to_string(sizeof(addr->sun_path) - 1) + " bytes");
  }
  std::memcpy(addr->sun_path, path.data(), path.size());
  return Status::Ok();
}

}  // namespace portcullis
