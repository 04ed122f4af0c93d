#include "bklit/core/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>

namespace bklit::core {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;

struct Setting {
  std::string name;     // snake_case; env BKLIT_<UPPER>, flag --<dashes>
  std::string section;  // TOML table it belongs to
  Setter set;
};

Error bad(const std::string& name, const std::string& why) {
  return make_error("bad_config", fmt::format("setting '{}': {}", name, why));
}

template <typename T>
Setting number(std::string name, std::string section, T Config::*field, T min, T max) {
  return {name, std::move(section),
          [name, field, min, max](Config& c, const std::string& v) -> Status {
            T parsed{};
            const char* end = v.data() + v.size();
            auto [ptr, ec] = std::from_chars(v.data(), end, parsed);
            if (ec != std::errc() || ptr != end) return bad(name, "'" + v + "' is not a number");
            if (parsed < min || parsed > max) {
              return bad(name, fmt::format("{} is out of range [{}, {}]", v, min, max));
            }
            c.*field = parsed;
            return Ok{};
          }};
}

Setting text(std::string name, std::string section, std::string Config::*field,
             bool allow_empty = true) {
  return {name, std::move(section),
          [name, field, allow_empty](Config& c, const std::string& v) -> Status {
            if (!allow_empty && v.empty()) return bad(name, "must not be empty");
            c.*field = v;
            return Ok{};
          }};
}

Setting choice(std::string name, std::string section, std::string Config::*field,
               std::vector<std::string> allowed) {
  return {name, std::move(section),
          [name, field, allowed](Config& c, const std::string& v) -> Status {
            if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
              std::string list;
              for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
              return bad(name, "'" + v + "' is not one of " + list);
            }
            c.*field = v;
            return Ok{};
          }};
}

Setting boolean(std::string name, std::string section, bool Config::*field) {
  return {name, std::move(section), [name, field](Config& c, const std::string& v) -> Status {
            if (v == "true" || v == "1" || v == "yes") {
              c.*field = true;
            } else if (v == "false" || v == "0" || v == "no") {
              c.*field = false;
            } else {
              return bad(name, "'" + v + "' is not true or false");
            }
            return Ok{};
          }};
}

Status check_listen(const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return bad("listen", "'" + v + "' is not HOST:PORT");
  }
  int port = 0;
  auto ps = std::string_view(v).substr(colon + 1);
  auto [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (ec != std::errc() || ptr != ps.data() + ps.size() || port < 0 || port > 65535) {
    return bad("listen", "'" + v + "' has no valid port (0-65535)");
  }
  return Ok{};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = [] {
    std::vector<Setting> s;
    s.push_back({"listen", "server", [](Config& c, const std::string& v) -> Status {
                   auto st = check_listen(v);
                   if (!st) return st;
                   c.listen = v;
                   return Ok{};
                 }});
    s.push_back(text("data_dir", "server", &Config::data_dir, false));
    s.push_back(number<int>("io_threads", "server", &Config::io_threads, 0, 256));
    s.push_back({"trusted_proxies", "server", [](Config& c, const std::string& v) -> Status {
                   c.trusted_proxies.clear();
                   std::size_t start = 0;
                   while (start <= v.size()) {
                     auto comma = v.find(',', start);
                     auto item = v.substr(
                         start, comma == std::string::npos ? std::string::npos : comma - start);
                     item.erase(0, item.find_first_not_of(" \t"));
                     item.erase(item.find_last_not_of(" \t") + 1);
                     if (!item.empty()) c.trusted_proxies.push_back(item);
                     if (comma == std::string::npos) break;
                     start = comma + 1;
                   }
                   return Ok{};
                 }});
    s.push_back({"log_level", "server", [](Config& c, const std::string& v) -> Status {
                   static const std::vector<std::string> kLevels = {"trace", "debug", "info",
                                                                    "warn",  "error", "off"};
                   if (std::find(kLevels.begin(), kLevels.end(), v) == kLevels.end()) {
                     return bad("log_level", "'" + v +
                                                 "' is not one of trace, debug, info, warn, "
                                                 "error, off");
                   }
                   c.log_level = v;
                   return Ok{};
                 }});
    using SZ = std::size_t;
    s.push_back(
        number<SZ>("max_frame_bytes", "ingest", &Config::max_frame_bytes, 1024, SZ{16} << 20));
    s.push_back(
        number<SZ>("max_body_bytes", "ingest", &Config::max_body_bytes, 1024, SZ{64} << 20));
    s.push_back(number<SZ>("max_batch_messages", "ingest", &Config::max_batch_messages, 1, 100000));
    s.push_back(
        number<SZ>("max_string_bytes", "ingest", &Config::max_string_bytes, 64, SZ{1} << 20));
    s.push_back(number<SZ>("max_metadata_keys", "ingest", &Config::max_metadata_keys, 0, 1000));
    s.push_back(number<SZ>("max_metadata_value_bytes", "ingest", &Config::max_metadata_value_bytes,
                           1, SZ{1} << 20));
    s.push_back(number<double>("rate_limit_connection_per_s", "ingest",
                               &Config::rate_limit_connection_per_s, 0.001, 1e9));
    s.push_back(number<double>("rate_limit_connection_burst", "ingest",
                               &Config::rate_limit_connection_burst, 1, 1e9));
    s.push_back(number<double>("rate_limit_project_per_s", "ingest",
                               &Config::rate_limit_project_per_s, 0.001, 1e9));
    s.push_back(number<double>("rate_limit_project_burst", "ingest",
                               &Config::rate_limit_project_burst, 1, 1e9));
    s.push_back(
        number<int>("token_cache_ttl_ms", "ingest", &Config::token_cache_ttl_ms, 0, 3600000));
    s.push_back(
        number<int>("max_clock_skew_ms", "ingest", &Config::max_clock_skew_ms, 0, 86400000));
    s.push_back(number<SZ>("max_inflight_per_connection", "ingest",
                           &Config::max_inflight_per_connection, 1, 1000000));
    s.push_back(choice("queue", "backends", &Config::queue, {"local", "redis"}));
    s.push_back(choice("analytics", "backends", &Config::analytics, {"embedded", "clickhouse"}));
    s.push_back(choice("pubsub", "backends", &Config::pubsub, {"local", "redis"}));
    s.push_back(text("redis_url", "redis", &Config::redis_url, false));
    s.push_back(text("redis_prefix", "redis", &Config::redis_prefix, false));
    s.push_back(number<int>("redis_timeout_ms", "redis", &Config::redis_timeout_ms, 10, 600000));
    s.push_back(text("clickhouse_url", "clickhouse", &Config::clickhouse_url, false));
    s.push_back(text("clickhouse_user", "clickhouse", &Config::clickhouse_user, false));
    s.push_back(text("clickhouse_password", "clickhouse", &Config::clickhouse_password));
    s.push_back(text("clickhouse_database", "clickhouse", &Config::clickhouse_database, false));
    s.push_back(number<int>("clickhouse_timeout_ms", "clickhouse", &Config::clickhouse_timeout_ms,
                            100, 3600000));
    s.push_back(boolean("clickhouse_compress", "clickhouse", &Config::clickhouse_compress));
    s.push_back(text("clickhouse_ca_file", "clickhouse", &Config::clickhouse_ca_file));
    s.push_back(boolean("clickhouse_tls_verify", "clickhouse", &Config::clickhouse_tls_verify));
    s.push_back(number<std::uint32_t>("queue_shards", "queue", &Config::queue_shards, 1, 4096));
    s.push_back(
        number<int>("queue_claim_idle_ms", "queue", &Config::queue_claim_idle_ms, 100, 86400000));
    s.push_back(number<int>("queue_lease_ms", "queue", &Config::queue_lease_ms, 200, 600000));
    s.push_back(number<SZ>("queue_segment_bytes", "queue", &Config::queue_segment_bytes,
                           SZ{1} << 16, SZ{4} << 30));
    s.push_back(
        number<int>("queue_group_commit_us", "queue", &Config::queue_group_commit_us, 0, 1000000));
    s.push_back(number<SZ>("queue_max_backlog_bytes", "queue", &Config::queue_max_backlog_bytes,
                           SZ{1} << 20, SZ{1} << 50));
    s.push_back(number<SZ>("batch_max_events", "worker", &Config::batch_max_events, 1, 1000000));
    s.push_back(number<int>("batch_max_wait_ms", "worker", &Config::batch_max_wait_ms, 1, 60000));
    s.push_back(
        number<int>("session_timeout_ms", "worker", &Config::session_timeout_ms, 1000, 86400000));
    s.push_back(text("chdb_library", "storage", &Config::chdb_library));
    s.push_back(text("geo_database", "storage", &Config::geo_database));
    s.push_back(text("geo_database_v6", "storage", &Config::geo_database_v6));
    s.push_back(text("uap_regexes", "storage", &Config::uap_regexes));
    return s;
  }();
  return kSettings;
}

std::string normalize_name(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

const Setting* find_setting(const std::string& name) {
  auto n = normalize_name(name);
  for (const auto& s : settings()) {
    if (s.name == n) return &s;
  }
  return nullptr;
}

std::string toml_value_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (const auto* arr = node.as_array()) {
    std::string joined;
    for (const auto& item : *arr) {
      if (!joined.empty()) joined += ",";
      joined += toml_value_text(item);
    }
    return joined;
  }
  return {};
}

Status apply_file(Config& c, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return make_error("bad_config", fmt::format("config file '{}': {} (line {})", path,
                                                e.description(), e.source().begin.line));
  }
  Status st = Ok{};
  auto apply = [&](const std::string& key, const toml::node& node) -> Status {
    const Setting* s = find_setting(key);
    if (s == nullptr) {
      return make_error("bad_config",
                        fmt::format("config file '{}': unknown setting '{}'", path, key));
    }
    return s->set(c, toml_value_text(node));
  };
  for (const auto& [key, node] : root) {
    if (const auto* table = node.as_table()) {
      for (const auto& [k2, n2] : *table) {
        st = apply(std::string(k2.str()), n2);
        if (!st) return st;
      }
    } else {
      st = apply(std::string(key.str()), node);
      if (!st) return st;
    }
  }
  c.config_file = path;
  return Ok{};
}

}  // namespace

std::vector<std::string> config_setting_names() {
  std::vector<std::string> names;
  for (const auto& s : settings()) names.push_back(s.name);
  return names;
}

Result<Config> load_config(const std::string& config_file,
                           const std::map<std::string, std::string>& flags, char** environ_vars) {
  Config c;
  std::string file = config_file;
  std::map<std::string, std::string> env;
  for (char** e = environ_vars; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, 6) != "BKLIT_") continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(6, eq - 6)), std::string(kv.substr(eq + 1)));
  }
  if (file.empty()) {
    if (auto it = env.find("CONFIG"); it != env.end()) file = it->second;
  }
  if (!file.empty()) {
    auto st = apply_file(c, file);
    if (!st) return st.error();
  }
  for (const auto& [upper, value] : env) {
    if (upper == "CONFIG") continue;
    std::string name = upper;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const Setting* s = find_setting(name);
    // Other tools share the BKLIT_ prefix (scripts, test runners): an unknown variable is
    // reported in `ignored_environment`, not fatal. Unknown flags and file keys are.
    if (s == nullptr) {
      c.ignored_environment.push_back("BKLIT_" + upper);
      continue;
    }
    auto st = s->set(c, value);
    if (!st) return st.error();
  }
  for (const auto& [name, value] : flags) {
    const Setting* s = find_setting(name);
    if (s == nullptr) {
      return make_error("bad_config", fmt::format("flag --{}: unknown setting", name));
    }
    auto st = s->set(c, value);
    if (!st) return st.error();
  }
  if (c.rate_limit_connection_burst < 1 || c.rate_limit_project_burst < 1) {
    return bad("rate_limit_*_burst", "must be at least 1");
  }
  return c;
}

}  // namespace bklit::core
