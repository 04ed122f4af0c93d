#include "bklit/store/chdb_store.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bklit/store/sql_text.hpp"
#include "chdb/chdb_library.hpp"
#include "engine_error.hpp"

namespace bklit::store {
namespace {

namespace fs = std::filesystem;
// Linux nice value of the engine's merge threads: 5 gives them about a third of the CPU share
// of a normal thread while both want the core.
constexpr int kMergeNice = 5;
constexpr std::string_view kLibraryRelPath = "node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";

// The process's one chDB connection, shared by every store opened on its path.
class ChdbConnection {
 public:
  ChdbConnection(const chdb::ChdbLibrary* lib, ChdbConnectionHandle** conn, std::string path)
      : lib_(lib), conn_(conn), path_(std::move(path)) {}
  ~ChdbConnection() {
    lib_->close_conn(conn_);
    if (rows_fd_ >= 0) close(rows_fd_);
  }
  ChdbConnection(const ChdbConnection&) = delete;
  ChdbConnection& operator=(const ChdbConnection&) = delete;

  const std::string& path() const { return path_; }

  // Runs one statement; throws StoreError with the engine's message when it fails.
  std::string run(std::string_view sql, std::string_view format) {
    // One statement at a time: chDB executes a connection's queries one by one anyway, and
    // the lock keeps result handling simple (see the measurements in the store report).
    std::lock_guard lock(mutex_);
    return run_locked(sql, format);
  }

  // Rows do not travel inline after the statement: chDB ends inline data at the first empty
  // line ("\n\n"), which binary rows can hold anywhere. They go through an in-memory file
  // (memfd) that the statement reads with FROM INFILE, cleared again after each insert.
  void insert(std::string_view table, std::string_view columns, std::string_view format,
              std::string_view rows, std::string_view dedup_token, int nice) {
    std::lock_guard lock(mutex_);
    if (rows_fd_ < 0) {
      rows_fd_ = memfd_create("bklit-insert-rows", MFD_CLOEXEC);
      if (rows_fd_ < 0) throw StoreError(std::string("memfd_create: ") + std::strerror(errno));
    }
    struct Clear {
      int fd;
      ~Clear() {
        // Frees the rows' memory; should that fail, the next insert overwrites them anyway.
        if (ftruncate(fd, 0) != 0) return;
      }
    } clear{rows_fd_};
    std::size_t written = 0;
    while (written < rows.size()) {
      ssize_t n = pwrite(rows_fd_, rows.data() + written, rows.size() - written,
                         static_cast<off_t>(written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw StoreError(std::string("writing insert rows: ") + std::strerror(errno));
      written += static_cast<std::size_t>(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(rows_fd_);
    run_locked(sql::insert_statement(table, columns, format, dedup_token, path, nice),
               "TabSeparated");
  }

 private:
  std::string run_locked(std::string_view sql, std::string_view format) {
    ChdbResultHandle* result =
        lib_->query_n(*conn_, sql.data(), sql.size(), format.data(), format.size());
    // No result at all means the engine itself is not usable (out of memory, shutting down).
    if (result == nullptr) {
      throw StoreError("chDB returned no result for a statement", StoreFailure::kTransient);
    }
    struct Destroy {
      const chdb::ChdbLibrary* lib;
      ChdbResultHandle* r;
      ~Destroy() { lib->destroy_query_result(r); }
    } destroy{lib_, result};
    if (const char* error = lib_->result_error(result); error != nullptr && *error != '\0') {
      const int code = clickhouse_error_code(error);
      throw StoreError(
          std::string("chDB: ") + error + " [statement: " + std::string(sql.substr(0, 300)) + "]",
          classify_clickhouse_code(code), code);
    }
    const char* buf = lib_->result_buffer(result);
    std::size_t len = lib_->result_length(result);
    return buf != nullptr ? std::string(buf, len) : std::string();
  }

  const chdb::ChdbLibrary* lib_;
  ChdbConnectionHandle** conn_;
  std::string path_;
  std::mutex mutex_;
  int rows_fd_ = -1;  // the insert rows file, created on the first insert
};

std::mutex g_registry_mutex;
std::weak_ptr<ChdbConnection> g_connection;  // alive while any store uses it

// Every catchable signal's disposition, so that what chDB does to them while starting can be
// undone: the server owns SIGINT/SIGTERM, sanitizers own SIGSEGV and friends.
class SignalDispositions {
 public:
  SignalDispositions() {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      saved_[sig].valid = sigaction(sig, nullptr, &saved_[sig].action) == 0;
    }
  }
  void restore() const {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (saved_[sig].valid) sigaction(sig, &saved_[sig].action, nullptr);
    }
  }

 private:
  struct Saved {
    struct sigaction action {};
    bool valid = false;
  };
  Saved saved_[NSIG];
};

core::Result<std::shared_ptr<ChdbConnection>> connect(const chdb::ChdbLibrary* lib,
                                                      const std::string& path) {
  auto saved = std::make_unique<SignalDispositions>();
  // chDB's crash handlers would sleep for minutes before dying; opting out resets them.
  if (lib->set_signal_handlers_enabled != nullptr) lib->set_signal_handlers_enabled(0);
  // Engine configuration for a small machine shared with the I/O threads (the measurements
  // are in bench/README.md, "Store path"): two merge threads (chDB's default, kept explicit),
  // run at a lower CPU priority (nice) so that merges take the cores the socket threads leave
  // idle. Merges still run at full speed on an idle machine, and parts piling up past the
  // table's limits slow the inserts down, so the store cannot fall behind for good.
  constexpr std::size_t kArgs = 5;
  std::array<std::string, kArgs> args = {
      "bklit", "--path=" + path, "--", "--background_pool_size=2",
      "--os_threads_nice_value_merge_mutate=" + std::to_string(kMergeNice)};
  std::array<char*, kArgs + 1> argv{};  // NULL-terminated, as main's argv
  for (std::size_t i = 0; i < args.size(); ++i) argv[i] = args[i].data();
  ChdbConnectionHandle** conn = lib->connect(static_cast<int>(args.size()), argv.data());
  saved->restore();
  if (conn == nullptr || *conn == nullptr) {
    return core::make_error("chdb_open",
                            "cannot open the chDB store at " + path +
                                " (is it a writable directory, not in use by "
                                "another process?)",
                            500);
  }
  return std::make_shared<ChdbConnection>(lib, conn, path);
}

class ChdbStore final : public AnalyticsStore {
 public:
  explicit ChdbStore(std::shared_ptr<ChdbConnection> conn) : conn_(std::move(conn)) {}

  void execute(std::string_view sql) override { conn_->run(sql, "TabSeparated"); }

  std::string query(std::string_view sql, std::string_view format) override {
    return conn_->run(sql, format);
  }

  void insert(std::string_view table, std::string_view columns, std::string_view format,
              std::string_view rows, std::string_view dedup_token) override {
    conn_->insert(table, columns, format, rows, dedup_token,
                  insert_nice_.load(std::memory_order_relaxed));
  }

  void set_insert_nice(int nice) override {
    insert_nice_.store(std::clamp(nice, -20, 19), std::memory_order_relaxed);
  }

  EngineVersion version() override {
    std::call_once(version_once_, [this] {
      version_ = sql::parse_engine_version(conn_->run("SELECT version()", "TabSeparated"));
    });
    return version_;
  }

  bool healthy() override {
    try {
      return conn_->run("SELECT 1", "TabSeparated").starts_with("1");
    } catch (const StoreError&) {
      return false;
    }
  }

 private:
  std::shared_ptr<ChdbConnection> conn_;
  std::once_flag version_once_;
  EngineVersion version_;
  std::atomic<int> insert_nice_{0};
};

std::string exe_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

std::string find_chdb_library() {
  std::vector<fs::path> candidates;
  if (std::string dir = exe_dir(); !dir.empty()) {
    fs::path base(dir);
    candidates.push_back(base / "libchdb.so");
    fs::path up = base;
    for (int level = 0; level < 3; ++level) {
      up = up.parent_path();
      candidates.push_back(up / kLibraryRelPath);
    }
  }
  candidates.push_back(fs::current_path() / kLibraryRelPath);
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return {};
}

core::Result<std::unique_ptr<AnalyticsStore>> open_chdb_store(const std::string& data_path,
                                                              const std::string& library_path) {
  std::string lib_path = library_path.empty() ? find_chdb_library() : library_path;
  if (lib_path.empty()) {
    return core::make_error("chdb_library",
                            "libchdb.so not found next to the executable or in node_modules; "
                            "set storage.chdb_library",
                            500);
  }
  auto lib = chdb::load_chdb_library(lib_path);
  if (!lib) return lib.error();

  std::error_code ec;
  fs::create_directories(data_path, ec);
  if (ec || !fs::is_directory(data_path)) {
    return core::make_error("chdb_open", "chDB data path " + data_path + " is not a directory",
                            500);
  }
  std::string canonical = fs::weakly_canonical(data_path, ec).string();

  std::lock_guard lock(g_registry_mutex);
  std::shared_ptr<ChdbConnection> conn = g_connection.lock();
  if (conn) {
    if (conn->path() != canonical) {
      return core::make_error("chdb_open",
                              "chDB already has " + conn->path() +
                                  " open in this process; only one data path is allowed",
                              500);
    }
  } else {
    auto opened = connect(*lib, canonical);
    if (!opened) return opened.error();
    conn = std::move(opened.value());
    g_connection = conn;
  }
  return std::unique_ptr<AnalyticsStore>(std::make_unique<ChdbStore>(std::move(conn)));
}

}  // namespace bklit::store
