#pragma once
// Shapes of the session ids the pipeline sees: SDK ids "<creation ms>-<random>", ids of
// other shapes ("v-<visitor>-<start ms>" for HTTP events without one), and the stored ids
// "<sdk id>/<n>" of sessions reopened after a timeout.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bklit::pipeline {

// Creation time (Unix ms) in an SDK id such as "1732612345678-k3j2h4g5f6d7s"; nullopt for
// any other shape.
std::optional<std::int64_t> sdk_id_created_ms(std::string_view session_id);

// The stored id of generation n of an SDK session: the SDK id itself for n == 1.
std::string generation_id(std::string_view sdk_id, std::uint32_t generation);

// Splits a stored id "<base>/<n>" (n >= 2) into base and n; "<id>" alone is generation 1.
struct StoredId {
  std::string_view base;
  std::uint32_t generation = 1;
};
StoredId parse_stored_id(std::string_view stored_id);

}  // namespace bklit::pipeline
