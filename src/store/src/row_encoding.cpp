#include "row_encoding.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "bklit/core/clock.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/sql_text.hpp"

namespace bklit::store {
namespace {

void two_digits(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// DateTime holds unsigned 32-bit seconds: 1970-01-01 00:00:00 to 2106-02-07 06:28:15 UTC.
// Both formats clamp to that range, so they store the same value for any input (RowBinary
// would otherwise wrap, and the text form would print a year the engine cannot read).
constexpr std::int64_t kMaxDateTimeSeconds = 4294967295;
std::int64_t unix_seconds(std::int64_t ms) {
  if (ms <= 0) return 0;
  return std::min(ms / 1000, kMaxDateTimeSeconds);
}

}  // namespace

// RowBinary strings: a LEB128 length, then the bytes.
void RowEncoder::varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>(static_cast<std::uint8_t>(v) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void RowEncoder::text_uint(std::uint64_t v) {
  sep();
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out_.append(buf.data(), r.ptr);
}

void RowEncoder::text_int(std::int64_t v) {
  sep();
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out_.append(buf.data(), r.ptr);
}

void RowEncoder::string(std::string_view v) {
  if (format_ != RowFormat::kTabSeparated) {
    varint(v.size());
    out_.append(v);
    return;
  }
  sep();
  sql::append_escaped(out_, v, /*escape_quote=*/false);  // a TabSeparated field
}

void RowEncoder::datetime(std::int64_t ms) {
  const std::int64_t secs = unix_seconds(ms);
  if (format_ != RowFormat::kTabSeparated) {
    fixed(static_cast<std::uint32_t>(secs));
    return;
  }
  // "YYYY-MM-DD hh:mm:ss" in UTC: the text form every engine version parses into a
  // DateTime('UTC') column.
  sep();
  auto sod = static_cast<unsigned>(secs % 86400);
  int y = 1970;
  unsigned m = 1;
  unsigned d = 1;
  core::civil_from_days(secs / 86400, y, m, d);
  std::array<char, 8> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), y);
  out_.append(buf.data(), r.ptr);
  out_.push_back('-');
  two_digits(out_, m);
  out_.push_back('-');
  two_digits(out_, d);
  out_.push_back(' ');
  two_digits(out_, sod / 3600);
  out_.push_back(':');
  two_digits(out_, sod / 60 % 60);
  out_.push_back(':');
  two_digits(out_, sod % 60);
}

void RowEncoder::string_array(const std::vector<std::pair<std::string, std::string>>& pairs,
                              bool keys) {
  if (format_ == RowFormat::kRowBinary) {
    varint(pairs.size());
    for (const auto& [key, value] : pairs) string(keys ? key : value);
    return;
  }
  if (format_ == RowFormat::kNative) {
    array_end_ += pairs.size();
    fixed(array_end_);
    RowEncoder elements(*elements_, RowFormat::kRowBinary);
    for (const auto& [key, value] : pairs) elements.string(keys ? key : value);
    return;
  }
  // The quoted-literal form ['a','b']. The TSV reader parses it straight from the escaped
  // text, so each byte is escaped once (quote included), not twice.
  sep();
  out_.push_back('[');
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out_.push_back(',');
    sql::append_quoted(out_, keys ? pairs[i].first : pairs[i].second);
  }
  out_.push_back(']');
}

std::string_view RowDecoder::take(std::size_t n) {
  if (in_.size() < n) throw StoreError("truncated RowBinary row from the store");
  std::string_view out = in_.substr(0, n);
  in_.remove_prefix(n);
  return out;
}

std::uint64_t RowDecoder::varint() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto byte = static_cast<std::uint8_t>(take(1)[0]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  throw StoreError("bad RowBinary length from the store");
}

std::string RowDecoder::string() {
  std::uint64_t n = varint();
  return std::string(take(static_cast<std::size_t>(n)));
}

}  // namespace bklit::store
