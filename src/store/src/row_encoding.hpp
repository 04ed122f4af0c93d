#pragma once
// Field-level encoders for the insert formats (RowBinary and TabSeparated, which every engine
// version reads, and Native), and the RowBinary decoder used to read session rows back. The
// column declarations (schema/columns.hpp) call these in column order, row after row; for
// Native each column has its own encoder and buffer, since a Native column's data for our
// scalar types is exactly the RowBinary encoding of each of its values in turn.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bklit/store/row_writer.hpp"

namespace bklit::store {

class RowEncoder {
 public:
  RowEncoder(std::string& out, RowFormat format) : out_(out), format_(format) {}

  // Native: `out` receives one column's values, row after row; an Array column's end offsets
  // (UInt64, running over the block) go to `out` and its elements to `elements`.
  RowEncoder(std::string& out, std::string& elements)
      : out_(out), format_(RowFormat::kNative), elements_(&elements) {}
  // A Native block's column or row count (LEB128).
  void count(std::uint64_t n) { varint(n); }

  void begin_row() { first_ = true; }
  void end_row() {
    if (format_ == RowFormat::kTabSeparated) out_.push_back('\n');
  }

  void string(std::string_view v);
  void u8(std::uint8_t v) { fixed(v); }
  void u16(std::uint16_t v) { fixed(v); }
  void u32(std::uint32_t v) { fixed(v); }
  void u64(std::uint64_t v) { fixed(v); }
  void i64(std::int64_t v) { fixed(v); }
  // DateTime (seconds, UTC) from Unix milliseconds; times before 1970 become 1970.
  void datetime(std::int64_t ms);
  // Array(String) of the keys (or values) of a list of pairs.
  void string_array(const std::vector<std::pair<std::string, std::string>>& pairs, bool keys);

 private:
  void sep() {
    if (!first_) out_.push_back('\t');
    first_ = false;
  }
  void varint(std::uint64_t v);
  void text_uint(std::uint64_t v);
  void text_int(std::int64_t v);
  // RowBinary: little-endian fixed-width integers.
  template <typename T>
  void fixed(T v) {
    if (format_ == RowFormat::kTabSeparated) {
      if constexpr (std::is_signed_v<T>) {
        text_int(v);
      } else {
        text_uint(v);
      }
      return;
    }
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    std::array<char, sizeof(T)> bytes{};
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      bytes[i] = static_cast<char>(static_cast<std::uint8_t>(u >> (8 * i)));
    }
    out_.append(bytes.data(), bytes.size());
  }

  std::string& out_;
  RowFormat format_;
  bool first_ = true;
  std::string* elements_ = nullptr;  // Native: where Array elements go
  std::uint64_t array_end_ = 0;      // Native: elements of this Array column so far
};

// Reads RowBinary fields in order; throws StoreError on truncated input.
class RowDecoder {
 public:
  explicit RowDecoder(std::string_view in) : in_(in) {}
  bool at_end() const { return in_.empty(); }

  std::string string();
  std::uint8_t u8() { return fixed<std::uint8_t>(); }
  std::uint16_t u16() { return fixed<std::uint16_t>(); }
  std::uint32_t u32() { return fixed<std::uint32_t>(); }
  std::uint64_t u64() { return fixed<std::uint64_t>(); }
  std::int64_t i64() { return fixed<std::int64_t>(); }

 private:
  std::uint64_t varint();
  std::string_view take(std::size_t n);
  template <typename T>
  T fixed() {
    std::string_view bytes = take(sizeof(T));
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      u |= static_cast<std::make_unsigned_t<T>>(static_cast<std::uint8_t>(bytes[i])) << (8 * i);
    }
    return static_cast<T>(u);
  }

  std::string_view in_;
};

}  // namespace bklit::store
