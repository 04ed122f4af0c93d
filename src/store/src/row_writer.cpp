#include "bklit/store/row_writer.hpp"

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

}  // namespace

std::string_view format_name(RowFormat format) {
  return format == RowFormat::kRowBinary ? "RowBinary" : "TabSeparated";
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

}  // namespace bklit::store
