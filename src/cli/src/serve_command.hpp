#pragma once
#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace bklit::cli {

struct ServeArgs {
  std::string config_file;
  std::string role = "serve";                // serve, ingest, worker or api
  std::map<std::string, std::string> flags;  // setting name -> value, only those given
};

void add_serve_command(CLI::App& app, ServeArgs& args);
bool is_role_command(const std::string& name);
int run_serve(const ServeArgs& args);

}  // namespace bklit::cli
