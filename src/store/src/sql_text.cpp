#include "bklit/store/sql_text.hpp"

#include <charconv>

namespace bklit::store::sql {

void append_escaped(std::string& out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    switch (c) {
      case '\'':
        if (escape_quote) {
          out.append("\\'");
        } else {
          out.push_back(c);
        }
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\0':
        out.append("\\0");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.push_back(c);
    }
  }
}

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('\'');
  append_escaped(out, s, true);
  out.push_back('\'');
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_quoted(out, s);
  return out;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

EngineVersion parse_engine_version(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  EngineVersion v;
  v.text = std::string(text);
  const char* p = text.data();
  const char* end = p + text.size();
  auto r = std::from_chars(p, end, v.major);
  if (r.ec == std::errc() && r.ptr < end && *r.ptr == '.') {
    std::from_chars(r.ptr + 1, end, v.minor);
  }
  return v;
}

}  // namespace bklit::store::sql
