#pragma once
// The embedded AppStore: one SQLite file (WAL mode) shared by every thread of the process
// and, safely, by several processes on the same machine.

#include <memory>
#include <string>

#include "bklit/appdb/app_store.hpp"
#include "bklit/core/result.hpp"

namespace bklit::appdb {

// Opens or creates the database at db_path (its parent folder too) and applies pending
// migrations. Fails with a clear message when the file cannot be opened or was written by a
// newer bklit. The returned store may be used from any number of threads at once; its
// methods throw std::runtime_error only when SQLite itself fails (disk full, I/O error).
core::Result<std::unique_ptr<AppStore>> open_sqlite_store(const std::string& db_path);

}  // namespace bklit::appdb
