#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bklit/queue/local_log.hpp"
#include "local_log_test_util.hpp"

namespace bklit::queue::testing {
namespace {

// Deterministic content so the parent can tell an intact record from a damaged one.
std::string payload_for(std::uint64_t id) {
  std::string payload = "id:" + std::to_string(id) + ":";
  payload.append(100 + id % 400, static_cast<char>('a' + id % 26));
  return payload;
}

bool parse_id(const std::string& payload, std::uint64_t& id) {
  if (!payload.starts_with("id:")) return false;
  const auto end = payload.find(':', 3);
  if (end == std::string::npos) return false;
  id = std::stoull(payload.substr(3, end - 3));
  return payload == payload_for(id);
}

// Runs in the forked child until killed: four threads append as fast as the log lets them,
// and every append reported durable is written to `report_fd`.
[[noreturn]] void append_until_killed(const LocalLogOptions& options, int report_fd,
                                      std::uint64_t first_id) {
  auto opened = open_local_log(options);
  if (!opened) ::_exit(2);
  EventQueue& log = **opened;
  std::atomic<std::uint64_t> next_id{first_id};
  std::atomic<int> in_flight{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        while (in_flight.load() > 256) std::this_thread::yield();
        const std::uint64_t id = next_id++;
        ++in_flight;
        log.append({payload_for(id)}, [&, id](AppendStatus status) {
          if (status == AppendStatus::kDurable) {
            if (::write(report_fd, &id, sizeof(id)) != sizeof(id)) ::_exit(3);
          }
          --in_flight;
        });
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(60));  // the parent kills us long before
  ::_exit(4);
}

TEST(LocalLogCrash, SigkillWhileAppendingLosesNoRecordReportedDurable) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.segment_bytes = 256 * 1024;  // several rotations per round
  std::set<std::uint64_t> durable;

  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      append_until_killed(options, fds[1], static_cast<std::uint64_t>(round) * 100'000'000);
    }
    ::close(fds[1]);
    const std::size_t kill_after = 2000 + 1500 * static_cast<std::size_t>(round);
    std::size_t reported = 0;
    bool killed = false;
    std::uint64_t id = 0;
    for (;;) {
      const ssize_t n = ::read(fds[0], &id, sizeof(id));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      ASSERT_EQ(n, static_cast<ssize_t>(sizeof(id)));
      durable.insert(id);
      if (++reported >= kill_after && !killed) {
        ASSERT_EQ(::kill(child, SIGKILL), 0);
        killed = true;
      }
    }
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the child ended on its own with status " << wstatus;

    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    auto records = poll_all(*log);
    std::set<std::uint64_t> present;
    for (std::size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(records[i].seq, i + 1) << "seqs stay dense and start at 1";
      std::uint64_t record_id = 0;
      ASSERT_TRUE(parse_id(records[i].payload, record_id)) << "damaged record at seq " << i + 1;
      EXPECT_TRUE(present.insert(record_id).second) << "record " << record_id << " twice";
    }
    std::size_t missing = 0;
    for (std::uint64_t want : durable) missing += present.count(want) == 0 ? 1 : 0;
    EXPECT_EQ(missing, 0U) << "of " << durable.size() << " records reported durable";
  }
}

}  // namespace
}  // namespace bklit::queue::testing
