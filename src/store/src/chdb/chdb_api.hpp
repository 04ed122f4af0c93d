#pragma once
// The part of chDB's C API we call, declared from its documentation (the npm package ships
// no header). Only pointer types cross the boundary, so the handles stay opaque here.

#include <cstddef>

extern "C" {

struct ChdbConnectionHandle;  // chDB's chdb_connection points at one of these
struct ChdbResultHandle;      // chDB's chdb_result

// chdb_connection* chdb_connect(int argc, char** argv); NULL on failure.
using ChdbConnectFn = ChdbConnectionHandle** (*)(int argc, char** argv);
// void chdb_close_conn(chdb_connection* conn);
using ChdbCloseConnFn = void (*)(ChdbConnectionHandle** conn);
// chdb_result* chdb_query_n(chdb_connection, const char*, size_t, const char*, size_t);
using ChdbQueryNFn = ChdbResultHandle* (*)(ChdbConnectionHandle* conn, const char* query,
                                           std::size_t query_len, const char* format,
                                           std::size_t format_len);
// const char* chdb_result_error(chdb_result*); NULL when the statement succeeded.
using ChdbResultErrorFn = const char* (*)(ChdbResultHandle* result);
using ChdbResultBufferFn = char* (*)(ChdbResultHandle* result);
using ChdbResultLengthFn = std::size_t (*)(ChdbResultHandle* result);
using ChdbDestroyQueryResultFn = void (*)(ChdbResultHandle* result);
// Optional (chDB >= 26.3): whether chDB installs its crash-signal handlers.
using ChdbSetSignalHandlersEnabledFn = void (*)(int enabled);
}
