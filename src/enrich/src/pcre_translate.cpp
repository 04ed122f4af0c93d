#include "src/pcre_translate.hpp"

namespace bklit::enrich {

std::optional<std::string> translate_pcre_for_re2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool changed = false;
  bool in_class = false;
  bool after_quantifier = false;  // the previous token was *, +, ?, or {n,m}
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char next = pattern[i + 1];
      if (!in_class && next == 'Z') {
        out += '$';
        changed = true;
      } else {
        out += c;
        out += next;
      }
      ++i;
      after_quantifier = false;
      continue;
    }
    if (in_class) {
      out += c;
      // A ']' right after '[' or '[^' is a literal, not the end of the class.
      if (c == ']' && !(out.size() >= 2 && out[out.size() - 2] == '[') &&
          !(out.size() >= 3 && out[out.size() - 2] == '^' && out[out.size() - 3] == '[')) {
        in_class = false;
      }
      continue;
    }
    if (c == '[') {
      in_class = true;
      after_quantifier = false;
      out += c;
      continue;
    }
    if (c == '+' && after_quantifier) {
      changed = true;  // possessive: drop the '+'
      after_quantifier = false;
      continue;
    }
    if (c == '(' && pattern.substr(i, 3) == "(?>") {
      out += "(?:";
      i += 2;
      changed = true;
      after_quantifier = false;
      continue;
    }
    if (c == '{') {
      auto close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        out.append(pattern.substr(i, close - i + 1));
        i = close;
        after_quantifier = true;
        continue;
      }
    }
    out += c;
    // "a+?" is lazy, not possessive: after '?' following a quantifier, stop.
    if (c == '*' || c == '+') {
      after_quantifier = true;
    } else if (c == '?') {
      after_quantifier =
          !after_quantifier && !out.empty() && out.size() >= 2 && out[out.size() - 2] != '(';
    } else {
      after_quantifier = false;
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

std::string relax_counted_repetitions(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      out += c;
      if (c == ']' && !(out.size() >= 2 && out[out.size() - 2] == '[') &&
          !(out.size() >= 3 && out[out.size() - 2] == '^' && out[out.size() - 3] == '[')) {
        in_class = false;
      }
      continue;
    }
    if (c == '[') in_class = true;
    if (c == '{') {
      // {m,n} with both numbers given; {m} and {m,} are left alone.
      std::size_t j = i + 1;
      int low = 0, high = 0;
      bool has_low = false, has_high = false;
      while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
        low = low * 10 + (pattern[j++] - '0');
        has_low = true;
      }
      if (has_low && j < pattern.size() && pattern[j] == ',') {
        ++j;
        while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
          high = high * 10 + (pattern[j++] - '0');
          has_high = true;
        }
        if (has_high && j < pattern.size() && pattern[j] == '}' && high > kMaxKeptRepeat) {
          out += low == 0 ? '*' : '+';
          i = j;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

}  // namespace bklit::enrich
