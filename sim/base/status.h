// Status and StatusOr: expected failures as values.
//
// Component code never throws across component boundaries; timeouts, resets, disk errors and bad
// input are returned as a Status. Broken invariants are not Statuses: they abort (see assert.h).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sim/base/assert.h"

namespace rmqsim {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,    // the caller passed something malformed (bad address, bad flag)
  kNotFound,           // no such file, no such process, nothing listening
  kAlreadyExists,      // address in use, file exists
  kOutOfRange,         // read past the end of a file
  kFailedPrecondition, // operation not valid in the current state
  kResourceExhausted,  // a bounded buffer or queue is full
  kNoSpace,            // ENOSPC
  kIoError,            // EIO
  kTimeout,            // a deadline passed
  kConnectionRefused,  // nothing listening at the peer
  kConnectionReset,    // the peer reset the connection (RST)
  kClosed,             // the object was closed (locally or by an orderly peer close)
  kUnavailable,        // the peer or service is not reachable right now
  kCancelled,          // the operation was cancelled by its owner
  kCorruption,         // stored data failed a checksum or layout check
  kUnimplemented,      // not supported by this implementation of an interface
  kInternal,           // an unexpected error from the OS or a library
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;

  // Prepends context: "open commitlog/00000: " + message.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

// Shorthands, so error sites read as what went wrong.
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status NoSpaceError(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status TimeoutError(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
inline Status ConnectionRefusedError(std::string m) { return {StatusCode::kConnectionRefused, std::move(m)}; }
inline Status ConnectionResetError(std::string m) { return {StatusCode::kConnectionReset, std::move(m)}; }
inline Status ClosedError(std::string m) { return {StatusCode::kClosed, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status CorruptionError(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status UnimplementedError(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status saying why there is none. Constructing from an OK Status is a bug.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    RMQ_ASSERT_MSG(!status_.ok(), "StatusOr constructed from an OK Status without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { CheckOk(); return *value_; }
  const T& value() const& { CheckOk(); return *value_; }
  T&& value() && { CheckOk(); return std::move(*value_); }
  T* operator->() { CheckOk(); return &*value_; }
  const T* operator->() const { CheckOk(); return &*value_; }
  T& operator*() & { CheckOk(); return *value_; }
  const T& operator*() const& { CheckOk(); return *value_; }
  T&& operator*() && { CheckOk(); return std::move(*value_); }

 private:
  void CheckOk() const {
    RMQ_ASSERT_MSG(status_.ok(), "value() of a failed StatusOr: " + status_.ToString());
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace rmqsim

// Returns early from the enclosing function when `expr` is not OK.
#define RMQ_RETURN_IF_ERROR(expr)            \
  do {                                       \
    ::rmqsim::Status rmq_status_ = (expr);   \
    if (!rmq_status_.ok()) return rmq_status_; \
  } while (0)

#define RMQ_CONCAT_INNER_(a, b) a##b
#define RMQ_CONCAT_(a, b) RMQ_CONCAT_INNER_(a, b)
// `RMQ_ASSIGN_OR_RETURN(auto x, F());` assigns the value or returns the Status.
#define RMQ_ASSIGN_OR_RETURN(lhs, expr)                                   \
  auto RMQ_CONCAT_(rmq_statusor_, __LINE__) = (expr);                     \
  if (!RMQ_CONCAT_(rmq_statusor_, __LINE__).ok())                         \
    return RMQ_CONCAT_(rmq_statusor_, __LINE__).status();                 \
  lhs = std::move(RMQ_CONCAT_(rmq_statusor_, __LINE__)).value()
