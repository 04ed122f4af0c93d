#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "dead_letters_command.hpp"

namespace bklit::cli {

struct AdminArgs {
  std::string data_dir = "./data";
  std::string name;
  std::string domain;
  std::string timezone = "UTC";
  bool public_ingest = false;
  bool json = false;
  DeadLettersArgs dead_letters;
};

void add_admin_commands(CLI::App& app, AdminArgs& args);
int run_admin(CLI::App& app, const AdminArgs& args);

}  // namespace bklit::cli
