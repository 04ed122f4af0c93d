#include "session_ids.hpp"

#include <charconv>

namespace bklit::pipeline {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> sdk_id_created_ms(std::string_view session_id) {
  auto dash = session_id.find('-');
  // 10..16 digits covers Unix ms from 2001 to far beyond any real clock.
  if (dash == std::string_view::npos || dash < 10 || dash > 16 || dash + 1 == session_id.size()) {
    return std::nullopt;
  }
  auto digits = session_id.substr(0, dash);
  if (!all_digits(digits)) return std::nullopt;
  std::int64_t ms = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), ms);
  return ms;
}

std::string generation_id(std::string_view sdk_id, std::uint32_t generation) {
  std::string id(sdk_id);
  if (generation > 1) {
    id.push_back('/');
    id.append(std::to_string(generation));
  }
  return id;
}

StoredId parse_stored_id(std::string_view stored_id) {
  auto slash = stored_id.rfind('/');
  if (slash == std::string_view::npos) return {stored_id, 1};
  auto suffix = stored_id.substr(slash + 1);
  std::uint32_t n = 0;
  if (!all_digits(suffix) || suffix.size() > 9) return {stored_id, 1};
  std::from_chars(suffix.data(), suffix.data() + suffix.size(), n);
  if (n < 2) return {stored_id, 1};
  return {stored_id.substr(0, slash), n};
}

}  // namespace bklit::pipeline
