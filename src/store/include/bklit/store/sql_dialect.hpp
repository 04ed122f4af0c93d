#pragma once
// The one place where SQL forms are chosen by engine version (docs/architecture.md,
// "Engine versions").
// The schema and the query builder ask this struct; nothing else compares versions.

#include <string>
#include <string_view>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store {

struct SqlDialect {
  // LowCardinality(T) without the experimental setting (18.16 needs it; we use plain T there).
  bool low_cardinality = true;
  // MergeTree setting non_replicated_deduplication_window (dedup of non-replicated inserts).
  bool dedup_window = true;
  // INSERT setting insert_deduplication_token (else the engine's content hash dedups).
  bool dedup_token = true;
  // Column compression codecs (CODEC(...)); without them the engine's default applies.
  bool codecs = true;
  // Sessions read their latest state with FINAL; else with argMax per session
  // (see session_source_sql in the query builder).
  bool sessions_final = true;
  // INSERT ... FORMAT Native with String columns for LowCardinality(String) ones (the engine
  // converts a block's types to the table's; an earlier engine refuses the block).
  bool native_insert = true;
  // MergeTree setting merge_selector_base (24.11 on): how many parts of like size a merge
  // waits for (docs/architecture.md, "Merges").
  bool merge_selector_base = true;

  static SqlDialect for_version(const EngineVersion& v);

  // "LowCardinality(String)" or "String".
  std::string low_card(std::string_view type) const;
  // Table SETTINGS clause (leading space included) for MergeTree-family tables.
  std::string merge_tree_settings() const;
};

}  // namespace bklit::store
