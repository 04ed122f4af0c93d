#pragma once
// CPU time for the store benchmarks: this thread's, the whole process's (every thread, the
// engine's insert and merge threads included), and per thread name from /proc, so that the
// engine's merge threads can be told from the caller.

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace bench {

inline double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

inline double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// CPU seconds (user + system) of every live thread of this process, summed by thread name
// (threads that ended in between are missing: compare totals with process_cpu_s()).
inline std::map<std::string, double> cpu_by_thread_name() {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return out;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream stat(std::string("/proc/self/task/") + entry->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto open = line.find('(');
    auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    // Fields after the name: state is field 3; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    out[name] += (utime + stime) / tick;
  }
  closedir(dir);
  return out;
}

// after - before, per name, leaving out names that used (almost) nothing.
inline std::map<std::string, double> cpu_delta(const std::map<std::string, double>& before,
                                               const std::map<std::string, double>& after) {
  std::map<std::string, double> out;
  for (const auto& [name, s] : after) {
    auto it = before.find(name);
    double d = s - (it == before.end() ? 0.0 : it->second);
    if (d >= 0.01) out[name] = d;
  }
  return out;
}

}  // namespace bench
