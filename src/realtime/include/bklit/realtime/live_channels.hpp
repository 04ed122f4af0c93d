#pragma once
// Names of the PubSub channels, in one place so publishers and subscribers agree.

#include <string>
#include <string_view>

namespace bklit::realtime {

struct LiveChannels {
  // Live events of one project, as shown by its dashboard's live view.
  static std::string project(std::string_view project_id) {
    std::string channel = "live:";
    channel.append(project_id);
    return channel;
  }
  // Records of the batches workers stored for one project (JSON, see api/live_endpoint.hpp).
  static std::string pipeline(std::string_view project_id) {
    std::string channel = "pipeline:";
    channel.append(project_id);
    return channel;
  }
};

}  // namespace bklit::realtime
