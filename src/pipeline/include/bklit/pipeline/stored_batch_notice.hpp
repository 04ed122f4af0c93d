#pragma once
// What a worker tells live dashboards after each stored batch: one record per project on
// PubSub channel LiveChannels::pipeline, relayed as is by the api's live socket
// (api/live_endpoint.hpp):
//   {"type":"stored","events":n,"sessions":m,"at":<Unix ms>}

#include <cstdint>
#include <vector>

#include "bklit/realtime/pub_sub.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::pipeline {

void publish_stored_batch(realtime::PubSub& pubsub, const std::vector<store::StoredEvent>& events,
                          const std::vector<store::SessionRow>& sessions, std::int64_t at_ms);

}  // namespace bklit::pipeline
