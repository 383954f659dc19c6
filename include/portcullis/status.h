// Status and Result<T>: how every fallible function in Portcullis reports failure.
//
// Our code does not throw. A function that can fail returns Status (no value) or Result<T>
// (a value or a Status). Both are [[nodiscard]]. Result<T> is shaped like std::expected, which
// GCC 12 does not provide. The message carries the context a user needs to act: file:line:key
// for configuration, the nft object and strerror for the kernel.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace portcullis {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input is wrong (config, request, address text)
  kNotFound,          // a named thing (file, jail, ban) does not exist
  kIoError,           // the OS or the kernel refused or failed
  kPermissionDenied,  // missing privilege (CAP_NET_ADMIN, uid 0, file mode)
  kUnavailable,       // a service is not there (daemon not running, nf_tables missing)
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status PermissionDenied(std::string msg) {
    return Status(StatusCode::kPermissionDenied, std::move(msg));
  }
  static Status Unavailable(std::string msg) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid argument: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::string_view StatusCodeName(StatusCode code);

// A value of type T, or a non-OK Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result built from an OK Status has no value");
    if (status_.ok()) status_ = Status::InvalidArgument("internal error: empty result");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace portcullis

// Propagates a non-OK Status from an expression that yields Status.
#define PORTCULLIS_RETURN_IF_ERROR(expr)           \
  do {                                             \
    ::portcullis::Status portcullis_status_ = (expr); \
    if (!portcullis_status_.ok()) return portcullis_status_; \
  } while (0)
