#pragma once

#include <string_view>

namespace bklit::core {

// Names the calling thread, so that `top -H`, `perf` and /proc/PID/task/*/comm show which
// stage a thread runs (bench/README.md reports CPU per event by these names). Linux keeps
// the first 15 bytes.
void name_this_thread(std::string_view name);

// The calling thread's nice value (Linux keeps one per thread), and setting it. Lowering it
// (a higher priority) needs CAP_SYS_NICE or a matching RLIMIT_NICE; false when refused.
int this_thread_nice();
bool set_this_thread_nice(int nice);

}  // namespace bklit::core
