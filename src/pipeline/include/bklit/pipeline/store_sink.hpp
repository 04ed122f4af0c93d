#pragma once
// The worker's BatchSink on top of the analytics store.

#include "bklit/pipeline/batch_sink.hpp"
#include "bklit/store/row_writer.hpp"

namespace bklit::pipeline {

class StoreSink : public BatchSink {
 public:
  explicit StoreSink(store::AnalyticsStore& store,
                     store::RowFormat format = store::RowFormat::kNative)
      : writer_(store, format) {}
  void write_events(const std::vector<store::StoredEvent>& events,
                    const std::string& dedup_token) override;
  void write_sessions(const std::vector<store::SessionRow>& sessions,
                      const std::string& dedup_token) override;
  std::uint64_t max_event_seq(std::uint32_t shard) override;
  std::vector<store::SessionRow> load_sessions(const std::string& project_id,
                                               const std::vector<std::string>& ids) override;

 private:
  store::AnalyticsWriter writer_;
};

}  // namespace bklit::pipeline
