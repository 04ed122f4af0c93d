#include "bklit/core/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>

namespace bklit::core {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;
using Shower = std::function<std::string(const Config&)>;

// What --help and the README's configuration table say about a setting.
struct Doc {
  std::string meaning;       // what it does, one phrase
  std::string unit;          // "ms", "bytes", ...; empty when the value has none
  std::string when_empty{};  // what an empty default means ("none", "found in node_modules")
};

struct Setting {
  std::string name;     // snake_case; env BKLIT_<UPPER>, flag --<dashes>
  std::string section;  // TOML table it belongs to
  Doc doc;
  Setter set;
  Shower show;  // the value in `Config`, as it would be written in a flag
};

Error bad(const std::string& name, const std::string& why) {
  return make_error("bad_config", fmt::format("setting '{}': {}", name, why));
}

template <typename T>
Setting number(std::string name, std::string section, T Config::*field, T min, T max, Doc doc) {
  Setter set = [name, field, min, max](Config& c, const std::string& v) -> Status {
    T parsed{};
    const char* end = v.data() + v.size();
    auto [ptr, ec] = std::from_chars(v.data(), end, parsed);
    if (ec != std::errc() || ptr != end) return bad(name, "'" + v + "' is not a number");
    if (parsed < min || parsed > max) {
      return bad(name, fmt::format("{} is out of range [{}, {}]", v, min, max));
    }
    c.*field = parsed;
    return Ok{};
  };
  Shower show = [field](const Config& c) { return fmt::format("{}", c.*field); };
  return {std::move(name), std::move(section), std::move(doc), std::move(set), std::move(show)};
}

Setting text(std::string name, std::string section, std::string Config::*field, Doc doc,
             bool allow_empty = true) {
  Setter set = [name, field, allow_empty](Config& c, const std::string& v) -> Status {
    if (!allow_empty && v.empty()) return bad(name, "must not be empty");
    c.*field = v;
    return Ok{};
  };
  Shower show = [field](const Config& c) { return c.*field; };
  return {std::move(name), std::move(section), std::move(doc), std::move(set), std::move(show)};
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& a : items) list += (list.empty() ? "\"" : ", \"") + a + "\"";
  return list;
}

Setting choice(std::string name, std::string section, std::string Config::*field,
               const std::vector<std::string>& allowed, Doc doc) {
  Setter set = [name, field, allowed](Config& c, const std::string& v) -> Status {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return bad(name, "'" + v + "' is not one of " + quoted_list(allowed));
    }
    c.*field = v;
    return Ok{};
  };
  Shower show = [field](const Config& c) { return c.*field; };
  return {std::move(name), std::move(section), std::move(doc), std::move(set), std::move(show)};
}

Setting boolean(std::string name, std::string section, bool Config::*field, Doc doc) {
  Setter set = [name, field](Config& c, const std::string& v) -> Status {
    if (v == "true" || v == "1" || v == "yes") {
      c.*field = true;
    } else if (v == "false" || v == "0" || v == "no") {
      c.*field = false;
    } else {
      return bad(name, "'" + v + "' is not true or false");
    }
    return Ok{};
  };
  Shower show = [field](const Config& c) { return std::string(c.*field ? "true" : "false"); };
  return {std::move(name), std::move(section), std::move(doc), std::move(set), std::move(show)};
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

// The one declaration of every setting: parsing, --help and the README table come from it.
const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = [] {
    std::vector<Setting> s;
    s.push_back({"listen",
                 "server",
                 {"address of HTTP and WebSocket", "HOST:PORT"},
                 [](Config& c, const std::string& v) -> Status {
                   auto st = check_listen(v);
                   if (!st) return st;
                   c.listen = v;
                   return Ok{};
                 },
                 [](const Config& c) { return c.listen; }});
    s.push_back(text("data_dir", "server", &Config::data_dir,
                     {"app.db (SQLite), queue/ (local log), analytics/ (chDB)", "path"}, false));
    s.push_back(number<int>("io_threads", "server", &Config::io_threads, 0, 256,
                            {"network threads; 0 = one per core", "threads"}));
    s.push_back({"trusted_proxies",
                 "server",
                 {"comma-separated IPs/CIDRs whose `X-Forwarded-For` is honoured", "", "none"},
                 [](Config& c, const std::string& v) -> Status {
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
                 },
                 [](const Config& c) {
                   std::string joined;
                   for (const auto& p : c.trusted_proxies)
                     joined += (joined.empty() ? "" : ",") + p;
                   return joined;
                 }});
    s.push_back(
        choice("log_level", "server", &Config::log_level,
               {"trace", "debug", "info", "warn", "error", "off"},
               {"least severe log line written: trace, debug, info, warn, error, off", ""}));
    using SZ = std::size_t;
    s.push_back(number<SZ>("max_frame_bytes", "ingest", &Config::max_frame_bytes, 1024,
                           SZ{16} << 20,
                           {"larger WebSocket messages close the socket with 1009", "bytes"}));
    s.push_back(number<SZ>("max_body_bytes", "ingest", &Config::max_body_bytes, 1024, SZ{64} << 20,
                           {"larger HTTP bodies answer 413", "bytes"}));
    s.push_back(number<SZ>("max_batch_messages", "ingest", &Config::max_batch_messages, 1, 100000,
                           {"messages per `/api/track` request", "messages"}));
    s.push_back(number<SZ>("max_string_bytes", "ingest", &Config::max_string_bytes, 64, SZ{1} << 20,
                           {"longest URL, referrer, user agent... (longer is rejected)", "bytes"}));
    s.push_back(number<SZ>("max_metadata_keys", "ingest", &Config::max_metadata_keys, 0, 1000,
                           {"custom event properties per event", "keys"}));
    s.push_back(number<SZ>("max_metadata_value_bytes", "ingest", &Config::max_metadata_value_bytes,
                           1, SZ{1} << 20, {"longest custom event property value", "bytes"}));
    s.push_back(number<double>("rate_limit_connection_per_s", "ingest",
                               &Config::rate_limit_connection_per_s, 0.001, 1e9,
                               {"sustained messages per WebSocket connection", "messages/s"}));
    s.push_back(number<double>("rate_limit_connection_burst", "ingest",
                               &Config::rate_limit_connection_burst, 1, 1e9,
                               {"messages a WebSocket connection may send at once", "messages"}));
    s.push_back(number<double>(
        "rate_limit_project_per_s", "ingest", &Config::rate_limit_project_per_s, 0.001, 1e9,
        {"sustained messages per project (each process's share)", "messages/s"}));
    s.push_back(number<double>("rate_limit_project_burst", "ingest",
                               &Config::rate_limit_project_burst, 1, 1e9,
                               {"messages a project may send at once", "messages"}));
    s.push_back(number<int>("token_cache_ttl_ms", "ingest", &Config::token_cache_ttl_ms, 0, 3600000,
                            {"how long token and project lookups are cached", "ms"}));
    s.push_back(number<int>(
        "max_clock_skew_ms", "ingest", &Config::max_clock_skew_ms, 0, 86400000,
        {"client timestamps older than this (or in the future) get the receive time", "ms"}));
    s.push_back(number<SZ>("max_inflight_per_connection", "ingest",
                           &Config::max_inflight_per_connection, 1, 1000000,
                           {"unacked messages before a socket stops being read", "messages"}));
    s.push_back(choice("queue", "backends", &Config::queue, {"local", "redis"},
                       {"event queue: `local` (log in data_dir) or `redis` (Redis Streams)", ""}));
    s.push_back(
        choice("analytics", "backends", &Config::analytics, {"embedded", "clickhouse"},
               {"analytics store: `embedded` (chDB in data_dir) or `clickhouse` (a server)", ""}));
    s.push_back(choice("pubsub", "backends", &Config::pubsub, {"local", "redis"},
                       {"live fan-out: `local` (in-process) or `redis`", ""}));
    s.push_back(text("redis_url", "redis", &Config::redis_url,
                     {"Redis server, `redis://[[user]:password@]host[:port][/db]`", "URL"}, false));
    s.push_back(text("redis_prefix", "redis", &Config::redis_prefix,
                     {"prefix of every Redis key and channel", ""}, false));
    s.push_back(number<int>("redis_timeout_ms", "redis", &Config::redis_timeout_ms, 10, 600000,
                            {"longest wait for one Redis command", "ms"}));
    s.push_back(text("clickhouse_url", "clickhouse", &Config::clickhouse_url,
                     {"ClickHouse HTTP interface, `http://` or `https://`", "URL"}, false));
    s.push_back(text("clickhouse_user", "clickhouse", &Config::clickhouse_user,
                     {"ClickHouse user", ""}, false));
    s.push_back(text("clickhouse_password", "clickhouse", &Config::clickhouse_password,
                     {"ClickHouse password", "", "none"}));
    s.push_back(text("clickhouse_database", "clickhouse", &Config::clickhouse_database,
                     {"ClickHouse database (created when missing)", ""}, false));
    s.push_back(number<int>("clickhouse_timeout_ms", "clickhouse", &Config::clickhouse_timeout_ms,
                            100, 3600000, {"longest wait for one ClickHouse request", "ms"}));
    s.push_back(boolean("clickhouse_compress", "clickhouse", &Config::clickhouse_compress,
                        {"gzip request and response bodies", ""}));
    s.push_back(text("clickhouse_ca_file", "clickhouse", &Config::clickhouse_ca_file,
                     {"CA bundle for https", "path", "the system's"}));
    s.push_back(boolean("clickhouse_tls_verify", "clickhouse", &Config::clickhouse_tls_verify,
                        {"verify the server's TLS certificate and host name", ""}));
    s.push_back(number<std::uint32_t>(
        "queue_shards", "queue", &Config::queue_shards, 1, 4096,
        {"Redis: streams the queue is split into; fixed once the first process started",
         "streams"}));
    s.push_back(number<int>("queue_claim_idle_ms", "queue", &Config::queue_claim_idle_ms, 100,
                            86400000,
                            {"Redis: pending entries idle this long are reclaimed", "ms"}));
    s.push_back(number<int>("queue_lease_ms", "queue", &Config::queue_lease_ms, 200, 600000,
                            {"Redis: how long a worker owns a shard per renewal", "ms"}));
    s.push_back(number<SZ>("queue_segment_bytes", "queue", &Config::queue_segment_bytes,
                           SZ{1} << 16, SZ{4} << 30, {"local log segment size", "bytes"}));
    s.push_back(number<int>("queue_group_commit_us", "queue", &Config::queue_group_commit_us, 0,
                            1000000, {"wait before each fsync to gather appends; 0 = none", "µs"}));
    s.push_back(number<SZ>(
        "queue_max_backlog_bytes", "queue", &Config::queue_max_backlog_bytes, SZ{1} << 20,
        SZ{1} << 50, {"unprocessed backlog beyond which ingest answers \"overloaded\"", "bytes"}));
    s.push_back(number<SZ>("batch_max_events", "worker", &Config::batch_max_events, 1, 1000000,
                           {"events per store insert", "events"}));
    s.push_back(number<int>("batch_max_wait_ms", "worker", &Config::batch_max_wait_ms, 1, 60000,
                            {"longest a batch waits to fill", "ms"}));
    s.push_back(number<int>("session_timeout_ms", "worker", &Config::session_timeout_ms, 1000,
                            86400000, {"inactivity that ends a session", "ms"}));
    s.push_back(
        text("chdb_library", "storage", &Config::chdb_library,
             {"path of `libchdb.so`", "path", "found next to the executable or in node_modules"}));
    s.push_back(text("geo_database", "storage", &Config::geo_database,
                     {"MaxMind-format city database (IPv4)", "path", "found in node_modules"}));
    s.push_back(text("geo_database_v6", "storage", &Config::geo_database_v6,
                     {"MaxMind-format city database (IPv6)", "path", "found in node_modules"}));
    s.push_back(text("uap_regexes", "storage", &Config::uap_regexes,
                     {"user-agent rules (uap-core)", "path"}));
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

std::vector<SettingInfo> config_settings() {
  const Config defaults{};
  std::vector<SettingInfo> out;
  for (const auto& s : settings()) {
    std::string value = s.show(defaults);
    std::string when_empty = value.empty() ? s.doc.when_empty : std::string();
    out.push_back(
        {s.name, s.section, s.doc.meaning, s.doc.unit, std::move(value), std::move(when_empty)});
  }
  return out;
}

std::string SettingInfo::default_text() const {
  if (default_value.empty()) return empty_default.empty() ? "empty" : empty_default;
  return default_value;
}

std::string SettingInfo::help_text() const {
  std::string out = meaning;
  out += unit.empty() ? " (" : " (unit: " + unit + "; ";
  out += "default: " + default_text() + "; env BKLIT_";
  for (char c : name) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  out += ")";
  return out;
}

std::string config_reference_markdown() {
  std::string out = "| setting | table | default | unit | meaning |\n|---|---|---|---|---|\n";
  for (const auto& s : config_settings()) {
    std::string shown = s.default_value.empty() ? s.default_text() : "`" + s.default_value + "`";
    out += fmt::format("| {} | {} | {} | {} | {} |\n", s.name, s.section, shown, s.unit, s.meaning);
  }
  return out;
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
