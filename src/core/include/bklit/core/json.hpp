#pragma once
// Small helpers for writing JSON by hand on hot paths (acks, JSONEachRow rows).
#include <string>
#include <string_view>

namespace bklit::core {

// Appends s as a JSON string literal (with quotes), escaping per RFC 8259. Invalid UTF-8
// bytes are replaced with U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);
std::string json_quote(std::string_view s);

}  // namespace bklit::core
