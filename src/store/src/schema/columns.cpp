#include "schema/columns.hpp"

#include <array>
#include <type_traits>

#include "row_encoding.hpp"

namespace bklit::store {
namespace {

// The struct a column's member pointer refers to.
const core::Event& fields(const StoredEvent& row) { return *row.event; }
const SessionRow& fields(const SessionRow& row) { return row; }

template <typename T>
constexpr ColumnType type_of() {
  if constexpr (std::is_same_v<T, std::string>) return ColumnType::kString;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, core::EventType>) {
    return ColumnType::kUInt8;
  }
  if constexpr (std::is_same_v<T, std::uint16_t>) return ColumnType::kUInt16;
  if constexpr (std::is_same_v<T, std::uint32_t>) return ColumnType::kUInt32;
  if constexpr (std::is_same_v<T, std::uint64_t>) return ColumnType::kUInt64;
  if constexpr (std::is_same_v<T, std::int64_t>) return ColumnType::kInt64;
}

template <typename T>
void encode_value(RowEncoder& out, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.string(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out.u8(v ? 1 : 0);
  } else if constexpr (std::is_same_v<T, core::EventType>) {
    out.u8(static_cast<std::uint8_t>(v));
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    out.u16(v);
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    out.u32(v);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    out.u64(v);
  } else {
    static_assert(std::is_same_v<T, std::int64_t>);
    out.i64(v);
  }
}

template <typename T>
void decode_value(RowDecoder& in, T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    v = in.string();
  } else if constexpr (std::is_same_v<T, bool>) {
    v = in.u8() != 0;
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    v = in.u16();
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    v = in.u32();
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    v = in.u64();
  } else {
    static_assert(std::is_same_v<T, std::int64_t>);
    v = in.i64();
  }
}

template <typename Class, typename T>
T member_type_of(T Class::*);

// A column holding one member of the row (of its event, for events): its ClickHouse type
// follows from the C++ type, `low_cardinality` picks LowCardinality(String) for strings.
template <typename Row, auto Member>
constexpr Column<Row> member(std::string_view name, bool low_cardinality = false,
                             std::string_view codec = {}) {
  using T = decltype(member_type_of(Member));
  ColumnType type = type_of<T>();
  if (low_cardinality) type = ColumnType::kLowCardinalityString;
  Column<Row> c{name, type, codec, nullptr, nullptr};
  c.encode = [](RowEncoder& out, const Row& row) { encode_value(out, fields(row).*Member); };
  if constexpr (std::is_same_v<Row, SessionRow>) {
    c.decode = [](RowDecoder& in, Row& row) { decode_value(in, row.*Member); };
  }
  return c;
}

template <auto Member>
constexpr Column<StoredEvent> ev(std::string_view name, bool low_cardinality = false,
                                 std::string_view codec = {}) {
  return member<StoredEvent, Member>(name, low_cardinality, codec);
}
template <auto Member>
constexpr Column<SessionRow> ss(std::string_view name, bool low_cardinality = false) {
  return member<SessionRow, Member>(name, low_cardinality);
}

constexpr bool kLc = true;
constexpr std::string_view kDelta = "Delta, LZ4";  // slowly growing integers

using E = core::Event;
using S = SessionRow;

// `ts` (seconds, UTC) drives partitions, the order key and time buckets; `timestamp_ms` keeps
// the exact time. (shard, seq) is the event's queue position: the replay guard.
const std::array<Column<StoredEvent>, 47> kEventColumns = {{
    ev<&E::project_id>("project_id", kLc),
    {"ts",
     ColumnType::kDateTime,
     {},
     [](RowEncoder& out, const StoredEvent& r) { out.datetime(r.event->timestamp_ms); },
     nullptr},
    ev<&E::timestamp_ms>("timestamp_ms", false, kDelta),
    ev<&E::received_ms>("received_ms", false, kDelta),
    ev<&E::type>("type"),
    ev<&E::event_id>("event_id"),
    ev<&E::session_id>("session_id"),
    ev<&E::visitor_id>("visitor_id"),
    ev<&E::url>("url"),
    ev<&E::hostname>("hostname", kLc),
    ev<&E::pathname>("pathname"),
    ev<&E::query>("query"),
    ev<&E::referrer>("referrer"),
    ev<&E::referrer_host>("referrer_host", kLc),
    ev<&E::source>("source", kLc),
    ev<&E::channel>("channel", kLc),
    ev<&E::utm_source>("utm_source", kLc),
    ev<&E::utm_medium>("utm_medium", kLc),
    ev<&E::utm_campaign>("utm_campaign", kLc),
    ev<&E::utm_term>("utm_term"),
    ev<&E::utm_content>("utm_content"),
    ev<&E::utm_id>("utm_id"),
    ev<&E::click_id>("click_id", kLc),
    ev<&E::country>("country", kLc),
    ev<&E::region>("region", kLc),
    ev<&E::city>("city", kLc),
    ev<&E::browser>("browser", kLc),
    ev<&E::browser_version>("browser_version", kLc),
    ev<&E::os>("os", kLc),
    ev<&E::os_version>("os_version", kLc),
    ev<&E::device_type>("device_type", kLc),
    ev<&E::is_bot>("is_bot"),
    ev<&E::screen_width>("screen_width"),
    ev<&E::screen_height>("screen_height"),
    ev<&E::viewport_width>("viewport_width"),
    ev<&E::viewport_height>("viewport_height"),
    ev<&E::screen_class>("screen_class", kLc),
    ev<&E::language>("language", kLc),
    ev<&E::timezone>("timezone", kLc),
    ev<&E::is_new_visitor>("is_new_visitor"),
    ev<&E::landing_page>("landing_page"),
    ev<&E::tracking_id>("tracking_id", kLc),
    ev<&E::event_type>("event_name", kLc),
    {"meta_keys",
     ColumnType::kStringArray,
     {},
     [](RowEncoder& out, const StoredEvent& r) { out.string_array(r.event->metadata, true); },
     nullptr},
    {"meta_values",
     ColumnType::kStringArray,
     {},
     [](RowEncoder& out, const StoredEvent& r) { out.string_array(r.event->metadata, false); },
     nullptr},
    {"shard",
     ColumnType::kUInt32,
     {},
     [](RowEncoder& out, const StoredEvent& r) { out.u32(r.shard); },
     nullptr},
    {"seq", ColumnType::kUInt64, kDelta,
     [](RowEncoder& out, const StoredEvent& r) { out.u64(r.seq); }, nullptr},
}};

// The order key holds only what never changes within a session (the worker keeps start_ms
// fixed), so the latest `version` replaces older rows.
const std::array<Column<SessionRow>, 37> kSessionColumns = {{
    ss<&S::project_id>("project_id", kLc),
    ss<&S::session_id>("session_id"),
    ss<&S::visitor_id>("visitor_id"),
    {"start_ts",
     ColumnType::kDateTime,
     {},
     [](RowEncoder& out, const SessionRow& s) { out.datetime(s.start_ms); },
     nullptr},
    ss<&S::start_ms>("start_ms"),
    ss<&S::last_seen_ms>("last_seen_ms"),
    ss<&S::ended_ms>("ended_ms"),
    ss<&S::entry_page>("entry_page"),
    ss<&S::exit_page>("exit_page"),
    ss<&S::hostname>("hostname", kLc),
    ss<&S::pageviews>("pageviews"),
    ss<&S::events>("events"),
    ss<&S::referrer_host>("referrer_host", kLc),
    ss<&S::source>("source", kLc),
    ss<&S::channel>("channel", kLc),
    ss<&S::utm_source>("utm_source", kLc),
    ss<&S::utm_medium>("utm_medium", kLc),
    ss<&S::utm_campaign>("utm_campaign", kLc),
    ss<&S::utm_term>("utm_term"),
    ss<&S::utm_content>("utm_content"),
    ss<&S::utm_id>("utm_id"),
    ss<&S::click_id>("click_id", kLc),
    ss<&S::country>("country", kLc),
    ss<&S::region>("region", kLc),
    ss<&S::city>("city", kLc),
    ss<&S::browser>("browser", kLc),
    ss<&S::browser_version>("browser_version", kLc),
    ss<&S::os>("os", kLc),
    ss<&S::os_version>("os_version", kLc),
    ss<&S::device_type>("device_type", kLc),
    ss<&S::screen_class>("screen_class", kLc),
    ss<&S::language>("language", kLc),
    ss<&S::is_new_visitor>("is_new_visitor"),
    ss<&S::is_bot>("is_bot"),
    ss<&S::last_shard>("last_shard"),
    ss<&S::last_seq>("last_seq"),
    ss<&S::version>("version"),
}};

std::string_view type_sql(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
    case ColumnType::kLowCardinalityString:
      return "String";
    case ColumnType::kUInt8:
      return "UInt8";
    case ColumnType::kUInt16:
      return "UInt16";
    case ColumnType::kUInt32:
      return "UInt32";
    case ColumnType::kUInt64:
      return "UInt64";
    case ColumnType::kInt64:
      return "Int64";
    case ColumnType::kDateTime:
      return "DateTime('UTC')";
    case ColumnType::kStringArray:
      return "Array(String)";
  }
  return "String";
}

}  // namespace

std::span<const Column<StoredEvent>> event_table_columns() { return kEventColumns; }
std::span<const Column<SessionRow>> session_table_columns() { return kSessionColumns; }
std::string_view native_type_name(ColumnType type) { return type_sql(type); }

std::string column_definition_sql(std::string_view name, ColumnType type, std::string_view codec,
                                  const SqlDialect& dialect) {
  std::string out(name);
  out.push_back(' ');
  if (type == ColumnType::kLowCardinalityString) {
    out.append(dialect.low_card("String"));
  } else {
    out.append(type_sql(type));
  }
  if (!codec.empty() && dialect.codecs) out.append(" CODEC(").append(codec).append(")");
  return out;
}

}  // namespace bklit::store
