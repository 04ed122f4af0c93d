#include "bklit/store/row_writer.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "row_encoding.hpp"
#include "schema/columns.hpp"

namespace bklit::store {
namespace {

template <typename Row>
void append_row(std::string& out, std::span<const Column<Row>> columns, const Row& row,
                RowFormat format) {
  RowEncoder encoder(out, format);
  encoder.begin_row();
  for (const auto& column : columns) column.encode(encoder, row);
  encoder.end_row();
}

// A Native block without block info (the form of Native in a file or an HTTP body): LEB128
// column and row counts, then per column its name, its type name and its values, each scalar
// value in its RowBinary encoding, row after row; an Array column is the running end offset
// of each row (UInt64) followed by all the elements. One pass over the rows fills a buffer
// per column (reused by the thread's next block), then the block is assembled.
// `rows` holds rows or pointers to them.
template <typename Row, typename Rows>
void append_block(std::string& out, std::span<const Column<Row>> columns, const Rows& rows) {
  auto row_of = [](const auto& r) -> const Row& {
    if constexpr (std::is_pointer_v<std::decay_t<decltype(r)>>) {
      return *r;
    } else {
      return r;
    }
  };
  thread_local std::vector<std::string> buffers;
  buffers.resize(std::max(buffers.size(), 2 * columns.size()));
  std::vector<RowEncoder> encoders;
  encoders.reserve(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    buffers[2 * c].clear();
    buffers[2 * c + 1].clear();
    encoders.emplace_back(buffers[2 * c], buffers[2 * c + 1]);
  }
  for (const auto& r : rows) {
    const Row& row = row_of(r);
    for (std::size_t c = 0; c < columns.size(); ++c) columns[c].encode(encoders[c], row);
  }
  RowEncoder header(out, RowFormat::kNative);
  header.count(columns.size());
  header.count(rows.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    header.string(columns[c].name);
    header.string(native_type_name(columns[c].type));
    out.append(buffers[2 * c]).append(buffers[2 * c + 1]);
  }
}

}  // namespace

std::string_view format_name(RowFormat format) {
  switch (format) {
    case RowFormat::kRowBinary:
      return "RowBinary";
    case RowFormat::kTabSeparated:
      return "TabSeparated";
    case RowFormat::kNative:
      return "Native";
  }
  return "RowBinary";
}

std::string_view event_columns() {
  static const std::string list = column_list(event_table_columns());
  return list;
}

std::string_view session_columns() {
  static const std::string list = column_list(session_table_columns());
  return list;
}

void append_event_row(std::string& out, const StoredEvent& e, RowFormat format) {
  append_row(out, event_table_columns(), e, format);
}

void append_session_row(std::string& out, const SessionRow& s, RowFormat format) {
  append_row(out, session_table_columns(), s, format);
}

void append_event_block(std::string& out, std::span<const StoredEvent* const> rows) {
  append_block(out, event_table_columns(), rows);
}

void append_session_block(std::string& out, std::span<const SessionRow> rows) {
  append_block(out, session_table_columns(), rows);
}

}  // namespace bklit::store
