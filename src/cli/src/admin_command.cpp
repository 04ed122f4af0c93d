#include "admin_command.hpp"

#include <boost/json.hpp>
#include <filesystem>
#include <iostream>

#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/project_setup.hpp"
#include "data_layout.hpp"

namespace bklit::cli {

void add_admin_commands(CLI::App& app, AdminArgs& args) {
  auto* admin = app.add_subcommand("admin", "Administration of a data directory");
  admin->require_subcommand(1);
  auto* create = admin->add_subcommand("create-project",
                                       "Create a project with an ingest token and a read token");
  create
      ->add_option("--data-dir", args.data_dir,
                   "Data directory, created on first use (path; default: ./data; env "
                   "BKLIT_DATA_DIR)")
      ->envname("BKLIT_DATA_DIR");
  create->add_option("--name", args.name, "Project name, 1 to 100 characters (required)")
      ->required();
  create
      ->add_option("--domain", args.domain,
                   "Site host name with an optional port, e.g. shop.example or localhost:3000; "
                   "its subdomains are included (required)")
      ->required();
  create->add_option("--timezone", args.timezone,
                     "IANA time zone that report days and hours are counted in, e.g. "
                     "Europe/Berlin (default: UTC)");
  create->add_flag("--public", args.public_ingest,
                   "Accept events without a token; origin checks still apply (default: off)");
  create->add_flag("--json", args.json,
                   "Print the project and its tokens as one JSON object (default: text)");
  add_dead_letters_command(*admin, args.dead_letters);
}

namespace {

// Every admin failure is one line on stderr and exit code 1 (usage errors: CLI11's code, see
// main.cpp).
int fail(std::string_view message) {
  std::string line(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "error: " << line << "\n";
  return 1;
}

int create_project(const AdminArgs& args) {
  // SQLite in WAL mode allows this while a server runs on the same data directory.
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(args.data_dir, ec) && !fs::is_directory(args.data_dir, ec)) {
    return fail("--data-dir '" + args.data_dir + "' is not a directory");
  }
  fs::create_directories(args.data_dir, ec);
  if (ec) {
    return fail("cannot create data directory '" + args.data_dir + "': " + ec.message());
  }
  auto app_store = appdb::open_sqlite_store(app_db_path(args.data_dir));
  if (!app_store) return fail(app_store.error().message);
  auto created =
      auth::create_project(**app_store, args.name, args.domain, args.timezone, args.public_ingest);
  if (!created) {
    // Name the flag the user typed.
    const auto& e = created.error();
    return fail(e.code == "invalid_timezone" ? "--" + e.message : e.message);
  }
  const auto& p = created->project;
  if (args.json) {
    boost::json::object out{{"project_id", p.id},
                            {"name", p.name},
                            {"domain", p.domain},
                            {"timezone", p.timezone},
                            {"ingest_token", created->ingest_token},
                            {"read_token", created->read_token}};
    std::cout << boost::json::serialize(out) << std::endl;
  } else {
    std::cout << "Project created.\n"
              << "  project_id:   " << p.id << "\n"
              << "  domain:       " << p.domain << "\n"
              << "  timezone:     " << p.timezone << "\n"
              << "  ingest_token: " << created->ingest_token << "\n"
              << "  read_token:   " << created->read_token << "\n"
              << "The tokens are shown once; only their hashes are stored.\n";
  }
  return 0;
}

}  // namespace

int run_admin(CLI::App& app, const AdminArgs& args) {
  auto* admin = app.get_subcommand("admin");
  // The app database or the file system failing (locked, read-only, corrupt, disk full) is
  // reported like bad input: one line, no stack trace.
  try {
    if (admin->got_subcommand("create-project")) return create_project(args);
    if (admin->got_subcommand("dead-letters")) return run_dead_letters(args.dead_letters);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 2;
}

}  // namespace bklit::cli
