#include "chdb/chdb_library.hpp"

#include <dlfcn.h>

#include <memory>
#include <mutex>

namespace bklit::store::chdb {
namespace {

std::mutex g_mutex;
ChdbLibrary* g_library = nullptr;  // intentionally leaked: see the header

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  return out != nullptr;
}

}  // namespace

core::Result<const ChdbLibrary*> load_chdb_library(const std::string& path) {
  std::lock_guard lock(g_mutex);
  if (g_library != nullptr) {
    if (g_library->path != path) {
      return core::make_error("chdb_library",
                              "libchdb.so is already loaded from " + g_library->path +
                                  "; cannot load a second copy from " + path,
                              500);
    }
    return static_cast<const ChdbLibrary*>(g_library);
  }
  // RTLD_LOCAL keeps the engine's bundled symbols (its own libc++, etc.) from
  // interposing on ours.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return core::make_error(
        "chdb_library",
        "cannot load chDB library " + path + ": " + (why != nullptr ? why : "unknown error"), 500);
  }
  auto lib = std::make_unique<ChdbLibrary>();
  lib->path = path;
  bool ok = resolve(handle, "chdb_connect", lib->connect) &&
            resolve(handle, "chdb_close_conn", lib->close_conn) &&
            resolve(handle, "chdb_query_n", lib->query_n) &&
            resolve(handle, "chdb_result_error", lib->result_error) &&
            resolve(handle, "chdb_result_buffer", lib->result_buffer) &&
            resolve(handle, "chdb_result_length", lib->result_length) &&
            resolve(handle, "chdb_destroy_query_result", lib->destroy_query_result);
  if (!ok) {
    dlclose(handle);
    return core::make_error("chdb_library",
                            "chDB library " + path + " lacks the chdb_connect/chdb_query_n C API " +
                                "(chDB 3.x or newer is required)",
                            500);
  }
  resolve(handle, "chdb_set_signal_handlers_enabled", lib->set_signal_handlers_enabled);
  g_library = lib.release();
  return static_cast<const ChdbLibrary*>(g_library);
}

}  // namespace bklit::store::chdb
