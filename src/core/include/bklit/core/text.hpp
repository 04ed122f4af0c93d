#pragma once
// The one set of text helpers: ASCII case, trimming, percent-decoding and UTF-8. Every
// parser of outside text (URLs, headers, query strings, names) uses these, so they agree.

#include <cstddef>
#include <string>
#include <string_view>

namespace bklit::core {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lowered(std::string_view s);

// ASCII-only case-insensitive comparison (host names, header names, URL schemes).
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// Without leading and trailing C0 control characters and spaces (bytes 0x00-0x20): the
// set the WHATWG URL standard strips from a URL, and a superset of HTTP's optional
// whitespace, so a header value, a pasted domain and a URL are trimmed alike.
std::string_view trim(std::string_view s);

// 0-15 for a hex digit, -1 otherwise.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX; an escape that is not two hex digits stays literal (as browsers do), and
// with plus_is_space (form-encoded query values) '+' becomes a space. The result may hold
// any bytes, including NUL and invalid UTF-8: callers that store it clean it.
std::string percent_decode(std::string_view s, bool plus_is_space);

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, surrogates or code
// points above U+10FFFF) that starts at s[i], or 0 when there is none. i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);
bool is_valid_utf8(std::string_view s);

// Number of code points; bytes of invalid sequences count one each.
std::size_t utf8_length(std::string_view s);

// Longest prefix of at most max_bytes that does not end inside a UTF-8 sequence.
std::string_view utf8_truncate(std::string_view s, std::size_t max_bytes);

// Text fit to store and show: invalid UTF-8 dropped, control characters turned into
// spaces, trimmed, and cut at max_bytes without splitting a character.
std::string clean_text(std::string_view s, std::size_t max_bytes);

}  // namespace bklit::core
