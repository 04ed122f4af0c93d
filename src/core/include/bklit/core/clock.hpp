#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace bklit::core {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Parses ISO 8601 / RFC 3339 ("2026-11-26T10:00:00.000Z", offsets allowed) to Unix ms.
// Returns false on anything else.
bool parse_iso8601_ms(std::string_view text, std::int64_t& out_ms);

// "2026-11-26T10:00:00.000Z"
std::string format_iso8601_ms(std::int64_t ms);
// The same, appended to `out`.
void append_iso8601_ms(std::string& out, std::int64_t ms);

// Days since 1970-01-01 for a civil date, and back (proleptic Gregorian).
std::int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d);

}  // namespace bklit::core
