#pragma once
// A value or a user-facing error. Bad input from outside is normal: parsers and validators
// return Result<T> and the edge turns the error into an HTTP status or a WebSocket frame.

#include <string>
#include <utility>
#include <variant>

namespace bklit::core {

struct Error {
  std::string code;     // stable machine-readable code, e.g. "invalid_json"
  std::string message;  // one sentence a user can act on
  int http_status = 400;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string code, std::string message, int http_status = 400) {
  return Error{std::move(code), std::move(message), http_status};
}

}  // namespace bklit::core
