#pragma once
// Configuration of every role. Precedence: flags > BKLIT_* environment > TOML file >
// defaults. Each setting has one name: TOML key "a.b" <-> env BKLIT_A_B <-> flag --a-b.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::core {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  int io_threads = 0;                        // 0 = one per core
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs whose X-Forwarded-For is honoured
  std::string log_level = "info";

  // [ingest]
  std::size_t max_frame_bytes = 32 * 1024;   // WebSocket message; bigger closes with 1009
  std::size_t max_body_bytes = 1024 * 1024;  // HTTP body; bigger answers 413
  std::size_t max_batch_messages = 500;      // POST /api/track array length
  std::size_t max_string_bytes = 2048;       // any single string field (URLs, UA)
  std::size_t max_metadata_keys = 30;
  std::size_t max_metadata_value_bytes = 500;
  double rate_limit_connection_per_s = 50;  // messages per second per connection
  double rate_limit_connection_burst = 200;
  double rate_limit_project_per_s = 20000;  // messages per second per project
  double rate_limit_project_burst = 40000;
  int token_cache_ttl_ms = 10000;
  int max_clock_skew_ms = 5 * 60 * 1000;  // client timestamps further off get receive time
  std::size_t max_inflight_per_connection = 1024;

  // Backends (docs/architecture.md, "Deployments"). Split roles (`bklit ingest`,
  // `worker`, `api`) need the shared ones: queue "redis", analytics "clickhouse", pubsub "redis".
  std::string queue = "local";         // "local" (log in data_dir) | "redis" (Redis Streams)
  std::string analytics = "embedded";  // "embedded" (chDB in data_dir) | "clickhouse" (server)
  std::string pubsub = "local";        // "local" (in-process) | "redis"

  // [redis]
  std::string redis_url = "redis://127.0.0.1:6379";  // redis://[[user]:password@]host[:port][/db]
  std::string redis_prefix = "bklit";                // key and channel prefix
  int redis_timeout_ms = 5000;

  // [clickhouse]
  std::string clickhouse_url = "http://127.0.0.1:8123";  // http:// or https://
  std::string clickhouse_user = "default";
  std::string clickhouse_password;
  std::string clickhouse_database = "bklit";
  int clickhouse_timeout_ms = 30000;
  bool clickhouse_compress = true;
  std::string clickhouse_ca_file;  // TLS: CA bundle; empty = system default
  bool clickhouse_tls_verify = true;

  // [queue]
  std::uint32_t queue_shards = 16;  // Redis: streams; fixed once the first process started
  int queue_claim_idle_ms = 30000;  // Redis: pending entries idle this long are reclaimed
  int queue_lease_ms = 10000;       // Redis: a worker owns a shard this long per renewal
  std::size_t queue_segment_bytes = 64 * 1024 * 1024;
  int queue_group_commit_us = 1000;  // extra wait to gather appends into one fsync
  std::size_t queue_max_backlog_bytes = std::size_t{4} * 1024 * 1024 * 1024;  // beyond: 503

  // [worker]
  std::size_t batch_max_events = 50000;
  int batch_max_wait_ms = 200;
  int session_timeout_ms = 30 * 60 * 1000;

  // [storage]
  std::string chdb_library;  // empty = search next to the executable and in node_modules
  std::string geo_database;  // MaxMind .mmdb (IPv4); empty = search node_modules
  std::string geo_database_v6;
  std::string uap_regexes = "/usr/share/uap-core/regexes.yaml";

  std::string config_file;                       // where the file settings came from, if any
  std::vector<std::string> ignored_environment;  // BKLIT_* variables that name no setting
};

// Loads defaults <- file (if given or BKLIT_CONFIG) <- environment <- flags.
// `flags` maps setting names (with dashes or underscores) to their values.
// Any unknown key or bad value fails with a message naming the setting.
Result<Config> load_config(const std::string& config_file,
                           const std::map<std::string, std::string>& flags, char** environ_vars);

// Names of every setting, for --help and flag registration.
std::vector<std::string> config_setting_names();

// What one setting means, from the declaration that also parses it.
struct SettingInfo {
  std::string name;           // snake_case
  std::string section;        // TOML table
  std::string meaning;        // one phrase
  std::string unit;           // "ms", "bytes", ...; empty when the value has none
  std::string default_value;  // as a flag would give it; empty when the default is empty
  std::string empty_default;  // what an empty default means ("none", "found in node_modules")

  std::string default_text() const;  // default_value, else empty_default
  // "<meaning> (unit: ms; default: 10000; env BKLIT_NAME)", for --help.
  std::string help_text() const;
};

// Every setting in declaration order.
std::vector<SettingInfo> config_settings();

// The README's configuration table (Markdown), generated from the same declaration; a test
// fails when README.md and this disagree.
std::string config_reference_markdown();

}  // namespace bklit::core
