#pragma once
// Real servers for contract tests: a child process on 127.0.0.1 on a free port, with its
// data in a temp folder, stopped (SIGTERM, then SIGKILL) at scope exit. Header-only so every
// test executable can include it without a library.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace bklit::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// One child process started from argv; restartable with the same arguments.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  void start(const std::vector<std::string>& argv, const std::string& log_path) {
    if (pid_ > 0) throw std::runtime_error("already running");
    if (::access(argv.at(0).c_str(), X_OK) != 0) {
      throw std::runtime_error(argv[0] + " is not installed (scripts/bootstrap.sh installs it)");
    }
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      std::FILE* log = std::fopen(log_path.c_str(), "a");
      if (log != nullptr) {
        ::dup2(::fileno(log), 1);
        ::dup2(::fileno(log), 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::_Exit(127);
    }
    pid_ = pid;
  }

  // SIGKILL when `hard`, else SIGTERM and SIGKILL after 20 s; waits for the exit.
  void stop(bool hard = false) {
    if (pid_ <= 0) return;
    ::kill(pid_, hard ? SIGKILL : SIGTERM);
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Waits until `port` accepts connections; throws with the server's log after `timeout`.
inline void wait_for_port(int port, const std::string& log_path, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!port_accepts(port)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("server on port " + std::to_string(port) + " did not start; log:\n" +
                               read_text(log_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Debian's redis-server with AOF (appendfsync always: an XADD reply means on disk), on a
// free loopback port, data in a temp folder. restart() keeps port and data.
class RedisServer {
 public:
  RedisServer() : port_(free_port()) { start(); }

  void start() {
    std::string log = dir_.file("redis.log");
    proc_.start({"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                 "--dir", dir_.path().string(), "--appendonly", "yes", "--appendfsync", "always",
                 "--save", "", "--daemonize", "no", "--logfile", log},
                log);
    wait_for_port(port_, log, std::chrono::seconds(20));
  }
  void stop(bool hard = false) { proc_.stop(hard); }
  void restart(bool hard = false) {
    stop(hard);
    start();
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  int port_;
  ChildProcess proc_;
};

}  // namespace bklit::testing
