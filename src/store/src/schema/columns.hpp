#pragma once
// The analytics columns, declared once: name, ClickHouse type, codec and table, with how each
// is encoded from (and, for sessions, decoded into) the worker's rows. The CREATE TABLE
// statements, the INSERT column lists, the row encoders and the session read-back are all
// derived from these lists, so a column is added in exactly one place.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bklit/store/rows.hpp"
#include "bklit/store/sql_dialect.hpp"

namespace bklit::store {

class RowEncoder;
class RowDecoder;

enum class ColumnType : std::uint8_t {
  kString,
  kLowCardinalityString,  // plain String on engines without LowCardinality
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kInt64,
  kDateTime,  // DateTime('UTC')
  kStringArray,
};

template <typename Row>
struct Column {
  std::string_view name;
  ColumnType type;
  // CODEC(...) arguments, e.g. "Delta, LZ4"; empty = the engine's default compression.
  std::string_view codec;
  void (*encode)(RowEncoder& out, const Row& row);
  // Null for columns that are never read back (derived from another column).
  void (*decode)(RowDecoder& in, Row& row);
};

// Columns of `events` (one row per pageview / custom event) and `sessions` (a versioned row
// per session state), in table order.
std::span<const Column<StoredEvent>> event_table_columns();
std::span<const Column<SessionRow>> session_table_columns();

// The type a Native block declares for a column: its table type, but String for
// LowCardinality(String), which the engine converts on insert.
std::string_view native_type_name(ColumnType type);

// "LowCardinality(String)", "DateTime('UTC')", ... with the codec where the dialect has one.
std::string column_definition_sql(std::string_view name, ColumnType type, std::string_view codec,
                                  const SqlDialect& dialect);

// "a, b, c": every column of the list (insert order), or only those read back.
template <typename Row>
std::string column_list(std::span<const Column<Row>> columns, bool readable_only = false) {
  std::string out;
  for (const auto& c : columns) {
    if (readable_only && c.decode == nullptr) continue;
    if (!out.empty()) out.append(", ");
    out.append(c.name);
  }
  return out;
}

// "(a String, b UInt8, ...)" for CREATE TABLE.
template <typename Row>
std::string column_definitions(std::span<const Column<Row>> columns, const SqlDialect& dialect) {
  std::string out = "(";
  for (const auto& c : columns) {
    if (out.size() > 1) out.append(", ");
    out.append(column_definition_sql(c.name, c.type, c.codec, dialect));
  }
  out.push_back(')');
  return out;
}

}  // namespace bklit::store
