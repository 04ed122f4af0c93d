#include "bklit/pipeline/store_sink.hpp"

namespace bklit::pipeline {

void StoreSink::write_events(const std::vector<store::StoredEvent>& events,
                             const std::string& dedup_token) {
  writer_.write_events(events, dedup_token);
}

void StoreSink::write_sessions(const std::vector<store::SessionRow>& sessions,
                               const std::string& dedup_token) {
  writer_.write_sessions(sessions, dedup_token);
}

std::uint64_t StoreSink::max_event_seq(std::uint32_t shard) { return writer_.max_event_seq(shard); }

std::vector<store::SessionRow> StoreSink::load_sessions(const std::string& project_id,
                                                        const std::vector<std::string>& ids) {
  return writer_.load_sessions(project_id, ids);
}

}  // namespace bklit::pipeline
