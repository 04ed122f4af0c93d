#include "bklit/pipeline/stored_batch_notice.hpp"

#include <boost/json.hpp>
#include <map>
#include <string_view>
#include <utility>

#include "bklit/realtime/live_channels.hpp"

namespace bklit::pipeline {

void publish_stored_batch(realtime::PubSub& pubsub, const std::vector<store::StoredEvent>& events,
                          const std::vector<store::SessionRow>& sessions, std::int64_t at_ms) {
  struct Counts {
    std::size_t events = 0, sessions = 0;
  };
  std::map<std::string_view, Counts> per_project;
  for (const auto& e : events) ++per_project[e.event->project_id].events;
  for (const auto& s : sessions) ++per_project[s.project_id].sessions;
  for (const auto& [project, counts] : per_project) {
    boost::json::object notice{{"type", "stored"},
                               {"events", counts.events},
                               {"sessions", counts.sessions},
                               {"at", at_ms}};
    pubsub.publish(realtime::LiveChannels::pipeline(project), boost::json::serialize(notice));
  }
}

}  // namespace bklit::pipeline
