#pragma once
// Helpers shared by the local log tests.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bklit/queue/local_log.hpp"

namespace bklit::queue::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bklit-queue-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string log_dir() const { return (path_ / "log").string(); }

 private:
  std::filesystem::path path_;
};

inline LocalLogOptions test_options(const std::string& dir) {
  LocalLogOptions options;
  options.dir = dir;
  options.group_commit_window = std::chrono::microseconds(200);
  return options;
}

inline std::unique_ptr<EventQueue> open_or_fail(const LocalLogOptions& options) {
  auto log = open_local_log(options);
  if (!log) {
    ADD_FAILURE() << "open_local_log: " << log.error().code << ": " << log.error().message;
    return nullptr;
  }
  return std::move(*log);
}

inline AppendStatus append_sync(EventQueue& queue, std::vector<std::string> payloads) {
  std::promise<AppendStatus> done;
  auto result = done.get_future();
  queue.append(std::move(payloads), [&done](AppendStatus status) { done.set_value(status); });
  return result.get();
}

// Every record currently deliverable, without waiting for more.
inline std::vector<QueueRecord> poll_all(EventQueue& queue) {
  std::vector<QueueRecord> all;
  for (;;) {
    auto batch = queue.poll(1000, std::chrono::milliseconds(0));
    if (batch.empty()) return all;
    for (auto& record : batch) all.push_back(std::move(record));
  }
}

inline std::vector<std::string> payloads_of(const std::vector<QueueRecord>& records) {
  std::vector<std::string> out;
  for (const auto& record : records) out.push_back(record.payload);
  return out;
}

inline std::vector<std::uint64_t> seqs_of(const std::vector<QueueRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& record : records) out.push_back(record.seq);
  return out;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::filesystem::path> segment_files(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bklit::queue::testing
