#include "clickhouse_http/gzip.hpp"

#include <zlib.h>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store::clickhouse_http {

std::string gzip_compress(std::string_view data) {
  if (data.size() > 0xFFFFFFFFU) throw StoreError("gzip: body too large");
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper instead of zlib's.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw StoreError("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw StoreError("gzip: deflate did not finish");
  out.resize(produced);
  return out;
}

}  // namespace bklit::store::clickhouse_http
