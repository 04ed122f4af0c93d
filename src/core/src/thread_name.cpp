#include "bklit/core/thread_name.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace bklit::core {

void name_this_thread(std::string_view name) {
  std::array<char, 16> buf{};
  std::memcpy(buf.data(), name.data(), std::min(name.size(), buf.size() - 1));
  pthread_setname_np(pthread_self(), buf.data());
}

namespace {
id_t this_thread_id() { return static_cast<id_t>(::syscall(SYS_gettid)); }
}  // namespace

int this_thread_nice() { return ::getpriority(PRIO_PROCESS, this_thread_id()); }

bool set_this_thread_nice(int nice) {
  return ::setpriority(PRIO_PROCESS, this_thread_id(), nice) == 0;
}

}  // namespace bklit::core
