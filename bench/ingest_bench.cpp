// ingest_bench: CPU cost per SDK message of the ingest stage on one thread, without the
// network and the queue: parse (parse_sdk_message), validate, authorize, rate-limit and
// enrich (IngestService::build_event: page URL, referrer and channel, user agent, geo,
// visitor id) and encode the queue record (core::encode_event). The messages are the
// realistic sessions of bklit-loadgen (bench/loadgen/traffic.cpp), each session on its own
// ClientContext as on a WebSocket, with a real SQLite app store, token cache, uap-core rules
// and geo database. Run under `valgrind --tool=callgrind` for instruction counts by function
// (bench/README.md). Timing is reported, never asserted.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/project_setup.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/config.hpp"
#include "bklit/core/event.hpp"
#include "bklit/enrich/geo.hpp"
#include "bklit/enrich/user_agent.hpp"
#include "bklit/ingest/ingest_service.hpp"
#include "bklit/ingest/sdk_message.hpp"
#include "loadgen/traffic.hpp"

namespace {

struct Message {
  std::size_t session;
  std::string json;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace bklit;
  CLI::App app{"ingest stage cost per SDK message (parse, enrich, encode)"};
  std::size_t messages = 200000;
  std::size_t rounds = 3;
  std::string uap = "/usr/share/uap-core/regexes.yaml";
  app.add_option("--messages", messages, "messages per round")->capture_default_str();
  app.add_option("--rounds", rounds, "rounds (the first warms the caches)")->capture_default_str();
  app.add_option("--uap-regexes", uap, "uap-core rules")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto dir =
      std::filesystem::temp_directory_path() / ("bklit-ingest-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{dir};

  auto store = appdb::open_sqlite_store((dir / "app.db").string());
  if (!store) {
    std::cerr << store.error().message << "\n";
    return 1;
  }
  auto created = auth::create_project(**store, "Bench", "bench.example");
  if (!created) {
    std::cerr << created.error().message << "\n";
    return 1;
  }
  core::Config config;
  config.rate_limit_project_per_s = 1e9;
  config.rate_limit_project_burst = 1e9;
  auth::TokenVerifier tokens(**store, std::chrono::milliseconds(config.token_cache_ttl_ms));
  auto ua = enrich::UserAgentParser::load(uap);
  if (!ua) {
    std::cerr << ua.error().message << "\n";
    return 1;
  }
  std::unique_ptr<enrich::GeoLocator> geo;
  auto geo_path = enrich::GeoLocator::find_default_database(false);
  if (!geo_path.empty()) {
    auto opened =
        enrich::GeoLocator::open(geo_path, enrich::GeoLocator::find_default_database(true));
    if (opened) geo = std::move(*opened);
  }
  ingest::IngestDeps deps;
  deps.config = &config;
  deps.app = store->get();
  deps.tokens = &tokens;
  deps.user_agents = ua->get();
  deps.geo = geo.get();
  auto proxies = enrich::TrustedProxies::parse({});
  ingest::IngestService service(deps, std::move(*proxies));

  // The messages of whole sessions, as loadgen sends them.
  const auto& project_id = created->project.id;
  loadgen::Traffic traffic(project_id, created->ingest_token, "bench.example", 42);
  std::vector<loadgen::Session> sessions;
  std::vector<Message> wire;
  const auto now = core::now_ms();
  while (wire.size() < messages) {
    sessions.push_back(traffic.next_session(now));
    const auto& s = sessions.back();
    for (std::size_t i = 0; i < s.steps.size() && wire.size() < messages; ++i) {
      Message m{sessions.size() - 1, {}};
      traffic.append_message(m.json, s, i, now);
      wire.push_back(std::move(m));
    }
  }

  std::size_t bytes = 0;
  for (std::size_t round = 0; round < rounds; ++round) {
    std::vector<ingest::ClientContext> contexts(sessions.size());
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      auto& c = contexts[i];
      c.websocket = true;
      c.project_id = project_id;
      c.session_id = sessions[i].session_id;
      c.origin = "https://bench.example";
      c.user_agent = std::string(sessions[i].user_agent->text);
      c.client_ip = sessions[i].client_ip;
      c.api_key = created->ingest_token;
    }
    std::size_t ok = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto cpu0 = std::clock();
    for (const auto& m : wire) {
      auto parsed = ingest::parse_sdk_message(m.json, service.limits());
      if (!parsed) continue;
      auto event = service.build_event(*parsed, contexts[m.session], core::now_ms());
      if (!event) continue;
      bytes += core::encode_event(*event).size();
      ++ok;
    }
    const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "round %zu: %zu messages (%zu accepted), %.2f us CPU per message, %.0f messages/s on "
        "one core (wall %.2f s)\n",
        round + 1, wire.size(), ok, cpu_s * 1e6 / static_cast<double>(wire.size()),
        static_cast<double>(wire.size()) / cpu_s, wall_s);
    if (ok != wire.size()) {
      std::fprintf(stderr, "%zu messages were refused: the benchmark input is wrong\n",
                   wire.size() - ok);
      return 1;
    }
  }
  std::printf("mean encoded record: %.0f bytes\n",
              static_cast<double>(bytes) / static_cast<double>(wire.size() * rounds));
  return 0;
}
