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
  create->add_option("--data-dir", args.data_dir, "Data directory (created on first use)")
      ->envname("BKLIT_DATA_DIR");
  create->add_option("--name", args.name, "Project name")->required();
  create->add_option("--domain", args.domain, "Site domain, e.g. shop.example")->required();
  create->add_option("--timezone", args.timezone, "IANA time zone of the reports");
  create->add_flag("--public", args.public_ingest, "Accept events without a token");
  create->add_flag("--json", args.json, "Print one JSON object");
}

int run_admin(CLI::App& app, const AdminArgs& args) {
  auto* admin = app.get_subcommand("admin");
  if (!admin->got_subcommand("create-project")) return 2;
  // SQLite in WAL mode allows this while a server runs on the same data directory.
  std::error_code ec;
  std::filesystem::create_directories(args.data_dir, ec);
  if (ec) {
    std::cerr << "error: cannot create data directory '" << args.data_dir << "': " << ec.message()
              << "\n";
    return 1;
  }
  auto app_store = appdb::open_sqlite_store(app_db_path(args.data_dir));
  if (!app_store) {
    std::cerr << "error: " << app_store.error().message << "\n";
    return 1;
  }
  auto created =
      auth::create_project(**app_store, args.name, args.domain, args.timezone, args.public_ingest);
  if (!created) {
    std::cerr << "error: " << created.error().message << "\n";
    return 1;
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
              << "  ingest_token: " << created->ingest_token << "\n"
              << "  read_token:   " << created->read_token << "\n"
              << "The tokens are shown once; only their hashes are stored.\n";
  }
  return 0;
}

}  // namespace bklit::cli
