// Rows a real engine refuses for a value in them: the failure says so (rejects_data), and the
// worker sets such a row aside and goes on (docs/architecture.md, "Rejected rows").
//
// Nothing ingest produces is refused by today's tables: every field is typed, strings are
// written byte for byte, and times outside DateTime's range are stored as its nearest end.
// A table that differs from the binary's declaration can refuse rows, though (an operator's
// ALTER, an older schema), so these tests change one String column of `events` to DateTime
// and send text there: the rows whose text is a time are stored, the others refused. The
// TabSeparated encoding (supported, the format earlier binaries wrote) sends the text the
// engine parses; RowBinary would misread every row of a retyped column.

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
// The retyped column, and what good rows carry in it.
constexpr const char* kRetyped = "utm_id";
constexpr const char* kAsTime = "2026-11-20 10:00:00";

core::Event pageview(const std::string& session, std::int64_t ts, const std::string& id,
                     const std::string& utm_id = kAsTime) {
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
  e.utm_id = utm_id;
  return e;
}

class RejectedRowsContract : public MigratedStoreTest {
 protected:
  void retype_column() {
    store().execute(std::string("ALTER TABLE events MODIFY COLUMN ") + kRetyped +
                    " DateTime('UTC')");
  }
};

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
  retype_column();
  AnalyticsWriter writer(store(), RowFormat::kTabSeparated);
  core::Event bad = pageview("s1", kT0, "x1", "not a time");
  StoreError bad_time = failure_of([&] { writer.write_events({{&bad, 0, 1}}, "t-bad"); });
  EXPECT_TRUE(bad_time.rejects_data()) << bad_time.engine_code() << ": " << bad_time.what();
  EXPECT_FALSE(bad_time.transient());

  core::Event good = pageview("s1", kT0, "x1");  // the same row with a time there is stored
  writer.write_events({{&good, 0, 1}}, "t-good");
  EXPECT_EQ(scalar("SELECT count() FROM events"), "1\n");

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
  retype_column();
  pipeline::StoreSink sink(store(), RowFormat::kTabSeparated);
  const std::string a = std::to_string(kT0) + "-aaaa";
  const std::string b = std::to_string(kT0) + "-bbbb";
  queue.push(0, core::encode_event(pageview(a, kT0, "a1")));
  queue.push(0, core::encode_event(pageview(a, kT0 + 1'000, "a2")));
  const std::string bad = core::encode_event(pageview(b, kT0 + 500, "b1", "not a time"));
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
