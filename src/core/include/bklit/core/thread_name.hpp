#pragma once

#include <string_view>

namespace bklit::core {

// Names the calling thread, so that `top -H`, `perf` and /proc/PID/task/*/comm show which
// stage a thread runs (bench/README.md reports CPU per event by these names). Linux keeps
// the first 15 bytes.
void name_this_thread(std::string_view name);

}  // namespace bklit::core
