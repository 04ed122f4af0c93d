#include "bklit/pipeline/definition_registrar.hpp"

#include "bklit/core/clock.hpp"

namespace bklit::pipeline {

std::size_t DefinitionRegistrar::observe(const std::vector<store::StoredEvent>& events) {
  std::size_t created = 0;
  std::lock_guard lock(mu_);
  for (const auto& stored : events) {
    const core::Event& e = *stored.event;
    if (e.type != core::EventType::kCustom || e.tracking_id.empty()) continue;
    std::string key = e.project_id + '\n' + e.tracking_id;
    if (known_.count(key) != 0) continue;
    appdb::EventDefinition def;
    def.project_id = e.project_id;
    def.tracking_id = e.tracking_id;
    def.name = e.tracking_id;
    def.created_ms = core::now_ms();
    if (app_.ensure_event_definition(def)) ++created;
    // The set only saves round trips; forgetting it is harmless (ensure is idempotent).
    if (known_.size() >= max_known_) known_.clear();
    known_.insert(std::move(key));
  }
  return created;
}

}  // namespace bklit::pipeline
