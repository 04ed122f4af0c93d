#pragma once
// Debian's clickhouse-server (18.16 on bookworm) for contract and integration tests: a child
// process on 127.0.0.1 with free HTTP, native and interserver ports, its config, users and data
// in a temp folder. stop()/start()/restart() keep the ports and the data. Header-only, like
// server_process.hpp whose ChildProcess / free_port it uses.
//
// Measured on the 2-core CI machine: ready (answers /ping) about 0.1 s after exec; a graceful
// stop (SIGTERM) takes about 2 s, so teardown kills it (the data is thrown away anyway).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "server_process.hpp"
#include "temp_dir.hpp"

namespace bklit::testing {

// One HTTP/1.0 GET on 127.0.0.1:port; the response (status line, headers, body) or "" when
// nothing answered. Enough to poll /ping without pulling an HTTP client into test support.
inline std::string http_get_local(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, n);
    }
  }
  ::close(fd);
  return response;
}

class ClickHouseServer {
 public:
  static constexpr const char* kBinary = "/usr/sbin/clickhouse-server";
  // A second user with a password, to test credentials (`default` has none).
  static constexpr const char* kUser = "bklit";
  static constexpr const char* kPassword = "s3cret-pw";

  // With `tls`, also serves https on https_port() with a fresh self-signed certificate for
  // 127.0.0.1 (made with the openssl tool), whose PEM is cert_file().
  explicit ClickHouseServer(bool tls = false) : tls_(tls) {
    std::set<int> ports;
    while (ports.size() < 4) ports.insert(free_port());
    auto it = ports.begin();
    http_port_ = *it++;
    tcp_port_ = *it++;
    interserver_port_ = *it++;
    https_port_ = *it;
    if (tls_) make_certificate();
    write_config();
    start();
  }
  ~ClickHouseServer() { stop(/*hard=*/true); }
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  // Starts the server and waits until /ping answers (throws with its logs after 30 s).
  void start() {
    proc_.start({kBinary, "--config-file=" + dir_.file("config.xml")}, dir_.file("stdout.log"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (http_get_local(http_port_, "/ping").find("Ok.") == std::string::npos) {
      if (has_exited() || std::chrono::steady_clock::now() > deadline) {
        proc_.stop(true);  // reaps it either way
        throw std::runtime_error("clickhouse-server did not start; logs:\n" + logs());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // SIGKILL when `hard` (MergeTree inserts are on disk once acknowledged), else SIGTERM.
  void stop(bool hard = false) { proc_.stop(hard); }
  void restart(bool hard = false) {
    stop(hard);
    start();
  }

  bool running() const { return proc_.running(); }
  int http_port() const { return http_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  std::string https_url() const { return "https://127.0.0.1:" + std::to_string(https_port_); }
  std::string cert_file() const { return dir_.file("cert.pem"); }
  const TempDir& dir() const { return dir_; }

  std::string logs() const {
    return read_text(dir_.file("stdout.log")) + read_text(dir_.file("server.err.log"));
  }

 private:
  // A zombie (exited, not yet reaped): ChildProcess::stop reaps it later.
  bool has_exited() const {
    std::string stat = read_text("/proc/" + std::to_string(proc_.pid()) + "/stat");
    auto paren = stat.rfind(')');
    return stat.empty() ||
           (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
  }

  void make_certificate() {
    std::string cmd =
        "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
        "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
        dir_.file("key.pem") + "' -out '" + cert_file() + "' >'" + dir_.file("openssl.log") +
        "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("openssl could not make a test certificate: " +
                               read_text(dir_.file("openssl.log")));
    }
  }

  void write_config() {
    const std::string root = dir_.path().string();
    for (const char* sub : {"data", "tmp", "user_files", "format_schemas"}) {
      std::filesystem::create_directories(dir_.path() / sub);
    }
    // Everything the package's /etc config would decide is set here: paths under the temp
    // folder instead of /var/lib, our own users file, caches of 64 MB instead of the shipped
    // 5-8 GB, and IPv4 loopback only.
    std::ofstream config(dir_.file("config.xml"));
    config << "<?xml version=\"1.0\"?>\n<yandex>\n"
           << "  <logger><level>warning</level><log>" << root << "/server.log</log><errorlog>"
           << root << "/server.err.log</errorlog><size>10M</size><count>1</count></logger>\n"
           << "  <http_port>" << http_port_ << "</http_port>\n"
           << "  <tcp_port>" << tcp_port_ << "</tcp_port>\n"
           << "  <interserver_http_port>" << interserver_port_ << "</interserver_http_port>\n"
           << "  <listen_host>127.0.0.1</listen_host>\n";
    if (tls_) {
      config << "  <https_port>" << https_port_ << "</https_port>\n"
             << "  <openSSL><server><certificateFile>" << cert_file()
             << "</certificateFile><privateKeyFile>" << dir_.file("key.pem")
             << "</privateKeyFile><verificationMode>none</verificationMode>"
             << "<loadDefaultCAFile>false</loadDefaultCAFile>"
             << "<disableProtocols>sslv2,sslv3</disableProtocols></server></openSSL>\n";
    }
    config << "  <path>" << root << "/data/</path>\n"
           << "  <tmp_path>" << root << "/tmp/</tmp_path>\n"
           << "  <user_files_path>" << root << "/user_files/</user_files_path>\n"
           << "  <format_schema_path>" << root << "/format_schemas/</format_schema_path>\n"
           << "  <users_config>" << root << "/users.xml</users_config>\n"
           << "  <default_profile>default</default_profile>\n"
           << "  <default_database>default</default_database>\n"
           << "  <mark_cache_size>67108864</mark_cache_size>\n"
           << "  <uncompressed_cache_size>67108864</uncompressed_cache_size>\n"
           << "  <max_concurrent_queries>100</max_concurrent_queries>\n"
           << "  <keep_alive_timeout>3</keep_alive_timeout>\n"
           << "  <timezone>UTC</timezone>\n"
           << "</yandex>\n";
    std::ofstream users(dir_.file("users.xml"));
    users << "<?xml version=\"1.0\"?>\n<yandex>\n"
          << "  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default>"
          << "</profiles>\n"
          << "  <users>\n"
          << "    <default><password></password><networks><ip>127.0.0.1</ip></networks>"
          << "<profile>default</profile><quota>default</quota></default>\n"
          << "    <" << kUser << "><password>" << kPassword << "</password><networks><ip>127.0.0.1"
          << "</ip></networks><profile>default</profile><quota>default</quota></" << kUser << ">\n"
          << "  </users>\n"
          << "  <quotas><default></default></quotas>\n"
          << "</yandex>\n";
  }

  TempDir dir_;
  bool tls_ = false;
  int http_port_ = 0, tcp_port_ = 0, interserver_port_ = 0, https_port_ = 0;
  ChildProcess proc_;
};

}  // namespace bklit::testing
