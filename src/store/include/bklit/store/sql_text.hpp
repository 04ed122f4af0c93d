#pragma once
// Building ClickHouse SQL text safely: every value from outside goes through append_quoted,
// and identifiers are only ever taken from fixed lists (is_identifier guards the rest).

#include <string>
#include <string_view>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store::sql {

// Appends s as a single-quoted ClickHouse string literal. Backslash, quote and control bytes
// are escaped; other bytes (including invalid UTF-8) pass through as the String holds bytes.
// Backslash escapes ClickHouse reads back byte for byte, both in quoted literals and in
// TabSeparated fields (where a quote needs no escape).
void append_escaped(std::string& out, std::string_view s, bool escape_quote);
void append_quoted(std::string& out, std::string_view s);
std::string quote(std::string_view s);

// [A-Za-z_][A-Za-z0-9_]*, at most 64 chars.
bool is_identifier(std::string_view s);

// "INSERT INTO <table> (<columns>) [FROM INFILE '<from_infile>'] [SETTINGS
// insert_deduplication_token = '<token>', os_thread_priority = <nice>] FORMAT <format>": without
// from_infile the rows follow as data; each setting only when given (token non-empty, nice
// non-zero). Throws StoreError when the table, a column or the format is not an identifier.
std::string insert_statement(std::string_view table, std::string_view columns,
                             std::string_view format, std::string_view dedup_token,
                             std::string_view from_infile = {}, int os_thread_priority = 0);

// "26.7.3.1" or "18.16.1" (a trailing newline is fine) -> {26, 7, text}.
EngineVersion parse_engine_version(std::string_view text);

}  // namespace bklit::store::sql
