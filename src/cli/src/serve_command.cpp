#include "serve_command.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bklit/core/config.hpp"
#include "bklit/core/log.hpp"
#include "data_layout.hpp"
#include "server_app.hpp"

extern char** environ;

namespace bklit::cli {

namespace {

void add_role_command(CLI::App& app, ServeArgs& args, const std::string& role,
                      const std::string& description) {
  auto* serve = app.add_subcommand(role, description);
  serve->callback([&args, role] { args.role = role; });
  serve->add_option("--config", args.config_file, "TOML configuration file");
  // Meaning, unit and default come from the declaration of the settings (core/config.cpp),
  // which the README's configuration table is checked against.
  for (const auto& setting : core::config_settings()) {
    std::string flag = setting.name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    serve
        ->add_option_function<std::string>(
            "--" + flag,
            [&args, name = setting.name](const std::string& v) { args.flags[name] = v; },
            setting.help_text())
        ->group("Settings [" + setting.section + "]");
  }
}

}  // namespace

void add_serve_command(CLI::App& app, ServeArgs& args) {
  add_role_command(app, args, "serve", "Run every role (ingest, worker, API) in one process");
  add_role_command(app, args, "ingest",
                   "Run HTTP/WebSocket ingest only (needs queue = redis, pubsub = redis)");
  add_role_command(app, args, "worker",
                   "Consume the queue and write the analytics store (needs queue = redis, "
                   "analytics = clickhouse, pubsub = redis)");
  add_role_command(app, args, "api",
                   "Serve the Stats API and the live relay (needs analytics = clickhouse, "
                   "pubsub = redis)");
}

bool is_role_command(const std::string& name) {
  return name == "serve" || name == "ingest" || name == "worker" || name == "api";
}

int run_serve(const ServeArgs& args) {
  auto config = core::load_config(args.config_file, args.flags, environ);
  if (!config) {
    std::cerr << "error: " << config.error().message << "\n";
    return 2;
  }
  core::log::init(config->log_level);
  for (const auto& name : config->ignored_environment) {
    core::log::warn(fmt::format("environment variable {} names no setting; ignored", name));
  }

  // Signals are taken by one thread with sigwait, so no library handler (the embedded
  // engine installs its own) decides how this process stops.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Roles roles = args.role == "serve" ? Roles::serve() : Roles::only(args.role);
  if (auto valid = validate_backends(roles, *config); !valid) {
    std::cerr << "error: " << valid.error().message << "\n";
    return 2;
  }
  ServerApp app(*config, roles);
  auto started = app.start();
  if (!started) {
    std::cerr << "error: " << started.error().message << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  core::log::info(fmt::format("signal {} received: stopping (a second signal exits at once)", sig));
  std::thread second([signals]() mutable {
    int again = 0;
    sigwait(&signals, &again);
    core::log::warn("second signal: exiting now");
    _exit(130);
  });
  second.detach();
  app.stop();
  core::log::info("stopped cleanly");
  // The embedded engine's static teardown is not needed once every store is closed.
  std::cout.flush();
  _exit(0);
}

}  // namespace bklit::cli
