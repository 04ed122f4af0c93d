#include "bklit/core/clock.hpp"

#include <array>
#include <cstdio>

namespace bklit::core {

// Howard Hinnant's public-domain civil calendar algorithms (documented in "chrono-Compatible
// Low-Level Date Algorithms"), written out here for the proleptic Gregorian calendar.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

bool parse_iso8601_ms(std::string_view s, std::int64_t& out_ms) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return false;
  }
  std::int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    bool neg = s[pos] == '-';
    if (!digits(s, pos + 1, 2, oh)) return false;
    std::size_t mpos = pos + 3;
    if (mpos < s.size() && s[mpos] == ':') ++mpos;
    if (!digits(s, mpos, 2, om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_min = (oh * 60 + om) * (neg ? -1 : 1);
    pos = mpos + 2;
  } else {
    return false;  // a timestamp without zone is ambiguous
  }
  if (pos != s.size()) return false;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  out_ms = ((days * 86400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + ms;
  return true;
}

void append_iso8601_ms(std::string& out, std::int64_t ms) {
  std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  auto milli = static_cast<int>(ms - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  auto rem = static_cast<int>(secs - days * 86400);
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  // "YYYY-MM-DDTHH:MM:SS.mmmZ", digit by digit (the load generator writes one per message).
  std::array<char, 24> buf{};
  auto put = [&buf](std::size_t at, int value, std::size_t digits) {
    for (std::size_t i = digits; i-- > 0;) {
      buf[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  if (y < 0 || y > 9999) {  // outside four digits: as printf writes it
    std::array<char, 48> wide{};
    const int n = std::snprintf(wide.data(), wide.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y,
                                m, d, rem / 3600, (rem / 60) % 60, rem % 60, milli);
    out.append(wide.data(), static_cast<std::size_t>(n));
    return;
  }
  put(0, y, 4);
  buf[4] = '-';
  put(5, static_cast<int>(m), 2);
  buf[7] = '-';
  put(8, static_cast<int>(d), 2);
  buf[10] = 'T';
  put(11, rem / 3600, 2);
  buf[13] = ':';
  put(14, (rem / 60) % 60, 2);
  buf[16] = ':';
  put(17, rem % 60, 2);
  buf[19] = '.';
  put(20, milli, 3);
  buf[23] = 'Z';
  out.append(buf.data(), buf.size());
}

std::string format_iso8601_ms(std::int64_t ms) {
  std::string out;
  append_iso8601_ms(out, ms);
  return out;
}

}  // namespace bklit::core
