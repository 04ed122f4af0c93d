#pragma once
// `bklit admin dead-letters`: lists the queue records the worker set aside because they do
// not decode (docs/records.md "Dead letters"). Reads the queue the configuration names
// without joining it, so it also runs next to a live server.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <map>
#include <string>

namespace bklit::cli {

struct DeadLettersArgs {
  std::string config_file;
  std::map<std::string, std::string> settings;  // given as flags: data_dir, queue, redis_*
  std::size_t limit = 100;
  bool json = false;
};

void add_dead_letters_command(CLI::App& admin, DeadLettersArgs& args);
int run_dead_letters(const DeadLettersArgs& args);

}  // namespace bklit::cli
