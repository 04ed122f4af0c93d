#include "engine_error.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace bklit::store {

int clickhouse_error_code(std::string_view message) {
  constexpr std::string_view kPrefix = "Code: ";
  auto at = message.find(kPrefix);
  if (at == std::string_view::npos) return 0;
  std::string_view digits = message.substr(at + kPrefix.size());
  int code = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (ec != std::errc() || end == digits.data() || code < 0) return 0;
  return code;
}

StoreFailure classify_clickhouse_code(int code) {
  // Names as in ClickHouse's src/Common/ErrorCodes.cpp.
  static constexpr std::array kTransient = {
      159,  // TIMEOUT_EXCEEDED
      160,  // TOO_SLOW
      173,  // CANNOT_ALLOCATE_MEMORY
      201,  // QUOTA_EXPIRED (a quota interval is used up)
      202,  // TOO_MANY_SIMULTANEOUS_QUERIES
      203,  // NO_FREE_CONNECTION
      204,  // CANNOT_FSYNC
      209,  // SOCKET_TIMEOUT
      210,  // NETWORK_ERROR
      225,  // NO_ZOOKEEPER
      236,  // ABORTED
      241,  // MEMORY_LIMIT_EXCEEDED
      242,  // TABLE_IS_READ_ONLY (a replica lost Keeper)
      243,  // NOT_ENOUGH_SPACE
      244,  // UNEXPECTED_ZOOKEEPER_ERROR
      252,  // TOO_MANY_PARTS
      254,  // NO_ACTIVE_REPLICAS
      265,  // NO_AVAILABLE_REPLICA
      279,  // ALL_CONNECTION_TRIES_FAILED
      285,  // TOO_FEW_LIVE_REPLICAS
      286,  // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
      319,  // UNKNOWN_STATUS_OF_INSERT
      335,  // BARRIER_TIMEOUT
      364,  // RECEIVED_ERROR_TOO_MANY_REQUESTS
      373,  // SESSION_IS_LOCKED
      384,  // PART_IS_TEMPORARILY_LOCKED
      394,  // QUERY_WAS_CANCELLED
      410,  // EXTERNAL_SERVER_IS_NOT_RESPONDING
      415,  // ALL_REPLICAS_LOST
      425,  // SYSTEM_ERROR
      439,  // CANNOT_SCHEDULE_TASK
      999,  // KEEPER_EXCEPTION
  };
  return std::find(kTransient.begin(), kTransient.end(), code) != kTransient.end()
             ? StoreFailure::kTransient
             : StoreFailure::kPermanent;
}

}  // namespace bklit::store
