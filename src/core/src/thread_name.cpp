#include "bklit/core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace bklit::core {

void name_this_thread(std::string_view name) {
  std::array<char, 16> buf{};
  std::memcpy(buf.data(), name.data(), std::min(name.size(), buf.size() - 1));
  pthread_setname_np(pthread_self(), buf.data());
}

}  // namespace bklit::core
