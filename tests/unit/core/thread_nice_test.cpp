#include <gtest/gtest.h>

#include <thread>

#include "bklit/core/thread_name.hpp"

namespace bklit::core {
namespace {

// Nice values are per thread on Linux: insert pacing lowers and raises the store threads'
// priority without touching the socket threads (docs/architecture.md, "Insert pacing").
TEST(ThreadNice, ChangesOnlyTheCallingThread) {
  const int mine = this_thread_nice();
  int before = 0;
  int after = 0;
  bool lowered = false;
  std::thread t([&] {
    before = this_thread_nice();
    lowered = set_this_thread_nice(before + 3);  // a lower priority needs no privilege
    after = this_thread_nice();
  });
  t.join();
  EXPECT_EQ(before, mine);  // a new thread starts at its creator's value
  ASSERT_TRUE(lowered);
  EXPECT_EQ(after, before + 3);
  EXPECT_EQ(this_thread_nice(), mine);
}

}  // namespace
}  // namespace bklit::core
