// Rows a real engine refuses for a value in them: the failure says so (rejects_data), and the
// worker sets such a row aside and goes on (docs/architecture.md, "Rejected rows").
//
// The rejected value: a time after 9999-12-31. Our TabSeparated encoding writes it with a
// five-digit year, which neither engine parses into a DateTime column. It does not reach the
// store in production: ingest replaces client times more than max_clock_skew_ms from the
// server's clock, and the default RowBinary encoding writes DateTime as 32 bits, which no
// engine refuses. No value was found that the engines reject through that path, so this test
// uses the TabSeparated encoding (supported, the format earlier binaries wrote).

#include <gtest/gtest.h>

#include "../../unit/pipeline/fake_queue.hpp"
#include "../../unit/pipeline/test_events.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/pipeline/store_sink.hpp"
#include "bklit/pipeline/worker.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

const std::int64_t kT0 =
    (core::days_from_civil(2026, 11, 20) * 86400 + std::int64_t{10} * 3600) * 1000;
const std::int64_t kYear10000 = core::days_from_civil(10000, 1, 1) * 86400 * 1000;

core::Event pageview(const std::string& session, std::int64_t ts, const std::string& id) {
  core::Event e;
  e.type = core::EventType::kPageview;
  e.event_id = id;
  e.project_id = "p1";
  e.session_id = session;
  e.visitor_id = 42;
  e.timestamp_ms = ts;
  e.received_ms = ts;
  e.hostname = "example.com";
  e.pathname = "/" + id;
  return e;
}

class RejectedRowsContract : public MigratedStoreTest {};

// Runs `fn`, which must throw a StoreError, and returns it.
template <typename Fn>
StoreError failure_of(Fn&& fn) {
  try {
    fn();
  } catch (const StoreError& e) {
    return e;
  }
  ADD_FAILURE() << "no StoreError";
  return StoreError("none");
}

TEST_P(RejectedRowsContract, TheEngineSaysWhenItRejectsAValue) {
  AnalyticsWriter writer(store(), RowFormat::kTabSeparated);
  SessionRow row;
  row.project_id = "p1";
  row.session_id = "s1";
  row.start_ms = kYear10000;
  row.last_seen_ms = kYear10000;
  row.pageviews = 1;
  row.version = 1;
  StoreError bad_time = failure_of([&] { writer.write_sessions({row}, "t-bad"); });
  EXPECT_TRUE(bad_time.rejects_data()) << bad_time.engine_code() << ": " << bad_time.what();
  EXPECT_FALSE(bad_time.transient());

  row.start_ms = row.last_seen_ms = kT0;  // the same row, in range, is stored
  writer.write_sessions({row}, "t-good");
  EXPECT_EQ(scalar("SELECT count() FROM sessions"), "1\n");

  // Rows that end inside a value.
  StoreError truncated = failure_of([&] {
    store().insert("sessions", "project_id, visitor_id", "RowBinary",
                   std::string("\x02p1\x01\x02", 5), "");
  });
  EXPECT_TRUE(truncated.rejects_data()) << truncated.engine_code() << ": " << truncated.what();

  // The statement, not the rows: not a data rejection.
  StoreError no_table = failure_of(
      [&] { store().insert("no_such_table", "a", "TabSeparated", std::string("1\n"), ""); });
  EXPECT_FALSE(no_table.rejects_data()) << no_table.engine_code() << ": " << no_table.what();
}

TEST_P(RejectedRowsContract, TheWorkerSetsARejectedRowAsideAndGoesOn) {
  pipeline::testing::FakeQueue queue;
  pipeline::StoreSink sink(store(), RowFormat::kTabSeparated);
  const std::string a = std::to_string(kT0) + "-aaaa";
  const std::string b = std::to_string(kT0) + "-bbbb";
  queue.push(0, core::encode_event(pageview(a, kT0, "a1")));
  queue.push(0, core::encode_event(pageview(a, kT0 + 1'000, "a2")));
  const std::string bad = core::encode_event(pageview(b, kYear10000, "b1"));
  const std::uint64_t bad_seq = queue.push(0, bad);
  queue.push(0, core::encode_event(pageview(a, kT0 + 2'000, "a3")));
  pipeline::WorkerOptions options;
  options.batch_max_wait = std::chrono::milliseconds(50);
  options.retry_min = std::chrono::milliseconds(1);
  options.retry_max = std::chrono::milliseconds(10);
  pipeline::Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(pipeline::testing::eventually([&] { return queue.unacked() == 0; }));
  queue.push(0, core::encode_event(pageview(a, kT0 + 3'000, "a4")));
  ASSERT_TRUE(pipeline::testing::eventually([&] { return queue.unacked() == 0; }));
  worker.stop();

  EXPECT_EQ(scalar("SELECT count() FROM events WHERE session_id = '" + a + "'"), "4\n");
  EXPECT_EQ(scalar("SELECT pageviews FROM sessions FINAL WHERE session_id = '" + a + "'"), "4\n");
  auto letters = queue.dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  // Current ClickHouse says CANNOT_PARSE_DATETIME, 18.16 CANNOT_PARSE_INPUT_ASSERTION_FAILED.
  EXPECT_EQ(letters[0].seq, bad_seq);
  EXPECT_EQ(letters[0].payload, bad);
  const std::string code = GetParam() == Engine::kChdb ? "Code: 41" : "Code: 27";
  EXPECT_NE(letters[0].reason.find(code), std::string::npos) << letters[0].reason;
  EXPECT_EQ(worker.stats().rejected_events, 1U);
  EXPECT_EQ(scalar("SELECT count() FROM events WHERE session_id = '" + b + "'"), "0\n");
  // B's session had only the rejected event: it is no visit.
  EXPECT_EQ(scalar("SELECT count() FROM sessions WHERE session_id = '" + b + "'"), "0\n");
}

INSTANTIATE_TEST_SUITE_P(Store, RejectedRowsContract,
                         ::testing::Values(Engine::kChdb, Engine::kClickHouse),
                         [](const auto& info) { return engine_name(info.param); });

}  // namespace
}  // namespace bklit::store::contract
