// errno -> Status for the control socket (server and client), and the Unix address helper.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

// "<what>: <strerror(err)>". EACCES and EPERM become PermissionDenied, everything else IoError.
Status ErrnoStatus(std::string_view what, int err);

// Fills `addr` for `path`; InvalidArgument if the path does not fit in sun_path (107 bytes).
Status MakeUnixAddress(const std::string& path, sockaddr_un* addr);

}  // namespace portcullis
