#pragma once
// gzip for request bodies (ClickHouse reads `Content-Encoding: gzip` on every version).

#include <string>
#include <string_view>

namespace bklit::store::clickhouse_http {

// Compresses `data` into a gzip member (level 1: inserts are CPU-bound on the worker, and the
// first level already shrinks TabSeparated rows several times). Throws StoreError on failure.
std::string gzip_compress(std::string_view data);

}  // namespace bklit::store::clickhouse_http
