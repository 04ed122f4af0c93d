#pragma once
// Small ASCII and percent-encoding helpers for URL and referrer parsing.

#include <cstddef>
#include <string>
#include <string_view>

namespace bklit::enrich {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX (invalid escapes stay literal) and, for form-encoded query values, '+'.
std::string percent_decode(std::string_view s, bool plus_is_space);

// Drops control characters and bytes that are not valid UTF-8, trims surrounding spaces
// and cuts at max_bytes without splitting a character.
std::string clean_text(std::string_view s, std::size_t max_bytes);

// Longest prefix of s no longer than max_bytes that does not end inside a UTF-8 character.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace bklit::enrich
