// bklit: one executable, subcommands. main only wires the commands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "admin_command.hpp"
#include "serve_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Bklit: real-time, privacy-friendly web analytics"};
  app.require_subcommand(1);
  bklit::cli::ServeArgs serve_args;
  bklit::cli::add_serve_command(app, serve_args);
  bklit::cli::AdminArgs admin_args;
  bklit::cli::add_admin_commands(app, admin_args);
  // A usage error is one line on stderr and CLI11's non-zero exit code; --help still prints
  // the help and exits 0.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + " (see --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const auto* sub : app.get_subcommands()) {
      if (bklit::cli::is_role_command(sub->get_name())) return bklit::cli::run_serve(serve_args);
    }
    return bklit::cli::run_admin(app, admin_args);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
