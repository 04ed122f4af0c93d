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

namespace {

enum class CodeClass {
  kTransient,      // can go away by itself: retry the same statement later
  kDataRejection,  // an INSERT's rows hold a value the engine refuses: the same rows fail again
};

struct KnownCode {
  int code;
  CodeClass kind;
};

// The codes that mean more than "the engine rejected the statement" (kPermanent, every code
// not listed). Data rejections are what an INSERT raises for a value in its rows that does
// not parse or does not fit its column's type (docs/architecture.md, "Rejected rows").
// Names as in ClickHouse's src/Common/ErrorCodes.cpp.
constexpr auto kKnownCodes = std::to_array<KnownCode>({
    {6, CodeClass::kDataRejection},    // CANNOT_PARSE_TEXT
    {19, CodeClass::kDataRejection},   // SIZE_OF_FIXED_STRING_DOESNT_MATCH
    {25, CodeClass::kDataRejection},   // CANNOT_PARSE_ESCAPE_SEQUENCE
    {26, CodeClass::kDataRejection},   // CANNOT_PARSE_QUOTED_STRING
    {27, CodeClass::kDataRejection},   // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    {32, CodeClass::kDataRejection},   // ATTEMPT_TO_READ_AFTER_EOF
    {33, CodeClass::kDataRejection},   // CANNOT_READ_ALL_DATA
    {38, CodeClass::kDataRejection},   // CANNOT_PARSE_DATE
    {41, CodeClass::kDataRejection},   // CANNOT_PARSE_DATETIME
    {53, CodeClass::kDataRejection},   // TYPE_MISMATCH
    {69, CodeClass::kDataRejection},   // ARGUMENT_OUT_OF_BOUND
    {72, CodeClass::kDataRejection},   // CANNOT_PARSE_NUMBER
    {117, CodeClass::kDataRejection},  // INCORRECT_DATA
    {128, CodeClass::kDataRejection},  // TOO_LARGE_ARRAY_SIZE
    {130, CodeClass::kDataRejection},  // CANNOT_READ_ARRAY_FROM_TEXT
    {131, CodeClass::kDataRejection},  // TOO_LARGE_STRING_SIZE
    {159, CodeClass::kTransient},      // TIMEOUT_EXCEEDED
    {160, CodeClass::kTransient},      // TOO_SLOW
    {173, CodeClass::kTransient},      // CANNOT_ALLOCATE_MEMORY
    {201, CodeClass::kTransient},      // QUOTA_EXPIRED (a quota interval is used up)
    {202, CodeClass::kTransient},      // TOO_MANY_SIMULTANEOUS_QUERIES
    {203, CodeClass::kTransient},      // NO_FREE_CONNECTION
    {204, CodeClass::kTransient},      // CANNOT_FSYNC
    {209, CodeClass::kTransient},      // SOCKET_TIMEOUT
    {210, CodeClass::kTransient},      // NETWORK_ERROR
    {225, CodeClass::kTransient},      // NO_ZOOKEEPER
    {236, CodeClass::kTransient},      // ABORTED
    {241, CodeClass::kTransient},      // MEMORY_LIMIT_EXCEEDED
    {242, CodeClass::kTransient},      // TABLE_IS_READ_ONLY (a replica lost Keeper)
    {243, CodeClass::kTransient},      // NOT_ENOUGH_SPACE
    {244, CodeClass::kTransient},      // UNEXPECTED_ZOOKEEPER_ERROR
    {252, CodeClass::kTransient},      // TOO_MANY_PARTS
    {254, CodeClass::kTransient},      // NO_ACTIVE_REPLICAS
    {265, CodeClass::kTransient},      // NO_AVAILABLE_REPLICA
    {279, CodeClass::kTransient},      // ALL_CONNECTION_TRIES_FAILED
    {285, CodeClass::kTransient},      // TOO_FEW_LIVE_REPLICAS
    {286, CodeClass::kTransient},      // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
    {319, CodeClass::kTransient},      // UNKNOWN_STATUS_OF_INSERT
    {321, CodeClass::kDataRejection},  // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    {335, CodeClass::kTransient},      // BARRIER_TIMEOUT
    {349, CodeClass::kDataRejection},  // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
    {364, CodeClass::kTransient},      // RECEIVED_ERROR_TOO_MANY_REQUESTS
    {373, CodeClass::kTransient},      // SESSION_IS_LOCKED
    {384, CodeClass::kTransient},      // PART_IS_TEMPORARILY_LOCKED
    {394, CodeClass::kTransient},      // QUERY_WAS_CANCELLED
    {410, CodeClass::kTransient},      // EXTERNAL_SERVER_IS_NOT_RESPONDING
    {415, CodeClass::kTransient},      // ALL_REPLICAS_LOST
    {425, CodeClass::kTransient},      // SYSTEM_ERROR
    {439, CodeClass::kTransient},      // CANNOT_SCHEDULE_TASK
    {999, CodeClass::kTransient},      // KEEPER_EXCEPTION
});

const KnownCode* find_code(int code) {
  const auto* it = std::find_if(kKnownCodes.begin(), kKnownCodes.end(),
                                [code](const KnownCode& k) { return k.code == code; });
  return it == kKnownCodes.end() ? nullptr : it;
}

}  // namespace

StoreFailure classify_clickhouse_code(int code) {
  const KnownCode* known = find_code(code);
  return known != nullptr && known->kind == CodeClass::kTransient ? StoreFailure::kTransient
                                                                  : StoreFailure::kPermanent;
}

bool clickhouse_code_rejects_data(int code) {
  const KnownCode* known = find_code(code);
  return known != nullptr && known->kind == CodeClass::kDataRejection;
}

bool StoreError::rejects_data() const noexcept {
  return clickhouse_code_rejects_data(engine_code_);
}

}  // namespace bklit::store
