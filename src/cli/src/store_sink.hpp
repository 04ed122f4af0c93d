#pragma once
// The worker's BatchSink on top of the analytics store.

#include "bklit/pipeline/batch_sink.hpp"
#include "bklit/store/row_writer.hpp"

namespace bklit::cli {

class StoreSink : public pipeline::BatchSink {
 public:
  explicit StoreSink(store::AnalyticsStore& store) : writer_(store) {}
  void write_events(const std::vector<store::StoredEvent>& events,
                    const std::string& dedup_token) override {
    writer_.write_events(events, dedup_token);
  }
  void write_sessions(const std::vector<store::SessionRow>& sessions,
                      const std::string& dedup_token) override {
    writer_.write_sessions(sessions, dedup_token);
  }
  std::uint64_t max_event_seq(std::uint32_t shard) override {
    return writer_.max_event_seq(shard);
  }
  std::vector<store::SessionRow> load_sessions(const std::string& project_id,
                                               const std::vector<std::string>& ids) override {
    return writer_.load_sessions(project_id, ids);
  }

 private:
  store::AnalyticsWriter writer_;
};

}  // namespace bklit::cli
