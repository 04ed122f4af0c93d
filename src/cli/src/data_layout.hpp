#pragma once
// Where each embedded store lives inside the data directory.
#include <string>

namespace bklit::cli {

inline std::string app_db_path(const std::string& data_dir) { return data_dir + "/app.db"; }
inline std::string queue_dir(const std::string& data_dir) { return data_dir + "/queue"; }
inline std::string analytics_dir(const std::string& data_dir) { return data_dir + "/analytics"; }

}  // namespace bklit::cli
