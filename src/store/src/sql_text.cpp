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

std::string insert_statement(std::string_view table, std::string_view columns,
                             std::string_view format, std::string_view dedup_token,
                             std::string_view from_infile, int os_thread_priority) {
  if (!is_identifier(table)) throw StoreError("bad table name for insert");
  if (!is_identifier(format)) throw StoreError("bad format name for insert");
  std::string out = "INSERT INTO ";
  out.append(table).append(" (");
  std::string_view rest = columns;
  bool first = true;
  for (;;) {
    auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!is_identifier(name)) throw StoreError("bad column name for insert");
    if (!first) out.append(", ");
    out.append(name);
    first = false;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  out.push_back(')');
  if (!from_infile.empty()) {
    out.append(" FROM INFILE ");
    append_quoted(out, from_infile);
  }
  const char* settings = " SETTINGS ";
  if (!dedup_token.empty()) {
    out.append(settings).append("insert_deduplication_token = ");
    append_quoted(out, dedup_token);
    settings = ", ";
  }
  if (os_thread_priority != 0) {
    out.append(settings).append("os_thread_priority = ").append(std::to_string(os_thread_priority));
  }
  out.append(" FORMAT ").append(format);
  return out;
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
