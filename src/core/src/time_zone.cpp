#include "bklit/core/time_zone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace bklit::core {
namespace {

constexpr std::size_t kMaxNameBytes = 64;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-' || c == '+';
}

// Rules out anything that is not shaped like a tz name before it touches the file system
// (no "..", no absolute paths, no empty components).
bool well_formed(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string_view::npos || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::ranges::all_of(name, is_name_char);
}

struct ZoneNames {
  bool loaded = false;  // tzdata.zi was read
  std::set<std::string, std::less<>> names;
};

// tzdata.zi lines: "Z <name> ..." declares a zone, "L <target> <name>" a link.
ZoneNames read_tzdata_zi(const std::string& path) {
  ZoneNames z;
  std::ifstream in(path);
  if (!in) return z;
  z.loaded = true;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 3 || line[1] != ' ') continue;
    std::string_view rest = std::string_view(line).substr(2);
    if (line[0] == 'L') {
      auto space = rest.find(' ');
      if (space == std::string_view::npos) continue;
      rest.remove_prefix(space + 1);
    } else if (line[0] != 'Z') {
      continue;
    }
    z.names.emplace(rest.substr(0, rest.find(' ')));
  }
  return z;
}

const ZoneNames& names_in(std::string_view dir) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ZoneNames>, std::less<>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(dir);
  if (it == cache.end()) {
    auto names = std::make_unique<ZoneNames>(read_tzdata_zi(std::string(dir) + "/tzdata.zi"));
    it = cache.emplace(std::string(dir), std::move(names)).first;
  }
  return *it->second;
}

bool is_tzif_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  return in.read(magic.data(), magic.size()) &&
         std::string_view(magic.data(), magic.size()) == "TZif";
}

}  // namespace

bool is_known_time_zone(std::string_view name, std::string_view zoneinfo_dir) {
  if (!well_formed(name)) return false;
  const ZoneNames& z = names_in(zoneinfo_dir);
  if (z.loaded) return z.names.contains(name);
  // posix/ and right/ hold variants of every zone that are not names of their own.
  if (name.starts_with("posix/") || name.starts_with("right/")) return false;
  return is_tzif_file(std::string(zoneinfo_dir) + "/" + std::string(name));
}

Result<std::string> check_time_zone(std::string_view name, std::string_view setting,
                                    std::string_view zoneinfo_dir) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  if (is_known_time_zone(name, zoneinfo_dir)) return std::string(name);
  if (name.empty()) {
    return make_error("invalid_timezone",
                      fmt::format("{} must not be empty; give an IANA time zone such as "
                                  "Europe/Berlin or UTC",
                                  setting));
  }
  if (!is_known_time_zone("UTC", zoneinfo_dir)) {
    return make_error("invalid_timezone",
                      fmt::format("{} '{}' cannot be checked: no IANA time-zone database at {} "
                                  "(install the tzdata package)",
                                  setting, name, zoneinfo_dir));
  }
  return make_error("invalid_timezone",
                    fmt::format("{} '{}' is not a time zone of the IANA database; give a name "
                                "such as Europe/Berlin, America/New_York or UTC",
                                setting, name.substr(0, kMaxNameBytes)));
}

}  // namespace bklit::core
