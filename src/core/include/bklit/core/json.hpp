#pragma once
// Small helpers for writing JSON by hand on hot paths (acks, JSONEachRow rows).
#include <string>
#include <string_view>

namespace bklit::core {

// Appends s as a JSON string literal (with quotes), escaping per RFC 8259. Invalid UTF-8
// bytes are replaced with U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);
std::string json_quote(std::string_view s);

// Truncates to at most max_bytes without splitting a UTF-8 sequence.
std::string_view utf8_truncate(std::string_view s, std::size_t max_bytes);
bool is_valid_utf8(std::string_view s);

}  // namespace bklit::core
