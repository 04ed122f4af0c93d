#pragma once
// Creating a project together with the two tokens every project starts with.

#include <string>
#include <string_view>

#include "bklit/appdb/app_store.hpp"
#include "bklit/core/result.hpp"

namespace bklit::auth {

struct CreatedProject {
  appdb::Project project;
  std::string ingest_token;  // secret for the SDK (scope ingest), shown once
  std::string read_token;    // secret for the Stats API (scope read), shown once
};

// Validates the input, stores the project with a fresh id, and mints one ingest and one
// read token assigned to it. `name`: 1 to 100 characters. `domain`: a host name with an
// optional port, as "shop.example", "localhost:3000" or a pasted URL (scheme and path are
// dropped; stored lowercased). `timezone`: a zone or link name of the IANA time-zone
// database installed on this machine (core/time_zone.hpp), such as "Europe/Berlin".
// Store failures propagate as exceptions.
core::Result<CreatedProject> create_project(appdb::AppStore& store, std::string_view name,
                                            std::string_view domain,
                                            std::string_view timezone = "UTC",
                                            bool public_ingest = false);

// The domain as it will be stored ("shop.example", "localhost:3000"), or an error that
// says what is wrong with it.
core::Result<std::string> normalize_project_domain(std::string_view raw);

}  // namespace bklit::auth
