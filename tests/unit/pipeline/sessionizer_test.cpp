#include "bklit/pipeline/sessionizer.hpp"

#include <gtest/gtest.h>

#include "test_events.hpp"

namespace bklit::pipeline {
namespace {

using testing::custom;
using testing::kMinute;
using testing::kSid;
using testing::kT0;
using testing::pageview;
using testing::session_end;

class SessionizerTest : public ::testing::Test {
 protected:
  ApplyResult feed(const core::Event& e) { return sessionizer_.apply(e, 0, ++seq_); }
  std::vector<store::SessionRow> changed() {
    std::vector<store::SessionRow> rows;
    sessionizer_.take_changed(rows);
    return rows;
  }
  const store::SessionRow& current(const std::string& sid = kSid) {
    const auto* row = sessionizer_.find("proj1", sid);
    EXPECT_NE(row, nullptr);
    return *row;
  }

  Sessionizer sessionizer_;
  std::uint64_t seq_ = 0;
};

TEST_F(SessionizerTest, CountsPageviewsEventsAndDurationUntilSocketClose) {
  feed(pageview(kSid, kT0, "/"));
  feed(pageview(kSid, kT0 + 10'000, "/pricing"));
  feed(custom(kSid, kT0 + 20'000));
  feed(session_end(kSid, kT0 + 60'000));

  const auto& row = current();
  EXPECT_EQ(row.session_id, kSid);
  EXPECT_EQ(row.pageviews, 2u);
  EXPECT_EQ(row.events, 1u);
  EXPECT_FALSE(row.is_bounce());
  EXPECT_EQ(row.start_ms, kT0);
  EXPECT_EQ(row.last_seen_ms, kT0 + 20'000);
  EXPECT_EQ(row.ended_ms, kT0 + 60'000);
  EXPECT_EQ(row.duration_ms(), 60'000);  // the socket closed after the last event
  EXPECT_EQ(row.entry_page, "/");
  EXPECT_EQ(row.exit_page, "/pricing");
  EXPECT_EQ(row.hostname, "example.com");
  EXPECT_EQ(row.country, "DE");

  auto rows = changed();
  ASSERT_EQ(rows.size(), 1u);  // one latest row per session per batch
  EXPECT_EQ(rows[0].pageviews, 2u);
  EXPECT_EQ(rows[0].version, 4u);
  EXPECT_TRUE(changed().empty());
}

TEST_F(SessionizerTest, SinglePageviewIsABounceOfZeroDuration) {
  feed(pageview(kSid, kT0, "/blog/post"));
  feed(session_end(kSid, kT0 + 45'000));
  const auto& row = current();
  EXPECT_TRUE(row.is_bounce());
  EXPECT_EQ(row.duration_ms(), 0);
  EXPECT_EQ(row.entry_page, "/blog/post");
  EXPECT_EQ(row.exit_page, "/blog/post");
}

TEST_F(SessionizerTest, EntryAndExitFollowEventTimeNotArrival) {
  feed(pageview(kSid, kT0 + 5'000, "/second"));
  feed(pageview(kSid, kT0, "/first"));  // arrived late, happened first
  feed(pageview(kSid, kT0 + 9'000, "/third"));
  feed(pageview(kSid, kT0 + 7'000, "/between"));
  const auto& row = current();
  EXPECT_EQ(row.entry_page, "/first");
  EXPECT_EQ(row.exit_page, "/third");
  EXPECT_EQ(row.start_ms, kT0);
  EXPECT_EQ(row.pageviews, 4u);
}

TEST_F(SessionizerTest, ContextComesFromTheFirstPageviewEvenAfterACustomEvent) {
  auto first = custom(kSid, kT0);
  first.source = "newsletter";
  first.country = "FR";
  feed(first);
  EXPECT_EQ(current().source, "newsletter");  // nothing better known yet

  auto entry = pageview(kSid, kT0 + 1'000, "/landing");
  entry.source = "google.com";
  entry.channel = "Organic Search";
  entry.utm_campaign = "spring";
  entry.country = "DE";
  entry.is_new_visitor = true;
  feed(entry);
  auto later = pageview(kSid, kT0 + 2'000, "/other");
  later.source = "bing.com";
  later.country = "US";
  feed(later);

  const auto& row = current();
  EXPECT_EQ(row.source, "google.com");
  EXPECT_EQ(row.channel, "Organic Search");
  EXPECT_EQ(row.utm_campaign, "spring");
  EXPECT_EQ(row.country, "DE");
  EXPECT_TRUE(row.is_new_visitor);
  EXPECT_EQ(row.entry_page, "/landing");
}

TEST_F(SessionizerTest, ThirtyMinutesWithoutEventsOpensTheNextSession) {
  feed(pageview(kSid, kT0, "/"));
  feed(pageview(kSid, kT0 + kMinute, "/a"));
  auto result = feed(pageview(kSid, kT0 + 32 * kMinute, "/b"));
  EXPECT_EQ(result.outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(result.session_id, kSid + "/2");

  auto rows = changed();
  ASSERT_EQ(rows.size(), 2u);  // the closed session's last state and the new one
  EXPECT_EQ(rows[0].session_id, kSid);
  EXPECT_EQ(rows[0].pageviews, 2u);
  EXPECT_EQ(rows[0].exit_page, "/a");
  EXPECT_EQ(rows[1].session_id, kSid + "/2");
  EXPECT_EQ(rows[1].pageviews, 1u);
  EXPECT_EQ(rows[1].entry_page, "/b");
  EXPECT_EQ(rows[1].start_ms, kT0 + 32 * kMinute);

  // A socket close does not keep a session alive past the timeout either.
  feed(session_end(kSid, kT0 + 33 * kMinute));
  EXPECT_EQ(feed(pageview(kSid, kT0 + 64 * kMinute, "/c")).session_id, kSid + "/3");
}

TEST_F(SessionizerTest, ReconnectWithinTheTimeoutContinuesTheSession) {
  feed(pageview(kSid, kT0, "/"));
  feed(session_end(kSid, kT0 + 5'000));
  // The socket closed; the visitor comes back 20 minutes later on a new socket.
  auto result = feed(pageview(kSid, kT0 + 5'000 + 20 * kMinute, "/back"));
  EXPECT_EQ(result.session_id, kSid);
  const auto& row = current();
  EXPECT_EQ(row.pageviews, 2u);
  EXPECT_EQ(row.ended_ms, kT0 + 5'000);  // the last close, until the next one
  EXPECT_EQ(row.duration_ms(), 5'000 + 20 * kMinute);
  EXPECT_EQ(row.exit_page, "/back");

  feed(session_end(kSid, kT0 + 21 * kMinute));
  EXPECT_EQ(current().ended_ms, kT0 + 21 * kMinute);
}

TEST_F(SessionizerTest, SessionEndWithoutALiveSessionChangesNothing) {
  EXPECT_EQ(feed(session_end(kSid, kT0)).outcome, ApplyOutcome::kNoSession);
  EXPECT_EQ(sessionizer_.size(), 0u);
  feed(pageview(kSid, kT0, "/"));
  changed();
  // Closed two hours after the last event: the session had already timed out.
  EXPECT_EQ(feed(session_end(kSid, kT0 + 120 * kMinute)).outcome, ApplyOutcome::kNoSession);
  EXPECT_EQ(current().ended_ms, 0);
  EXPECT_TRUE(changed().empty());
}

TEST_F(SessionizerTest, RedeliveredEventsAreNotCountedTwice) {
  auto a = pageview(kSid, kT0, "/");
  auto b = pageview(kSid, kT0 + 1'000, "/x");
  EXPECT_EQ(sessionizer_.apply(a, 3, 10).outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(sessionizer_.apply(b, 3, 11).outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(sessionizer_.apply(a, 3, 10).outcome, ApplyOutcome::kReplay);
  EXPECT_EQ(sessionizer_.apply(b, 3, 11).outcome, ApplyOutcome::kReplay);
  EXPECT_EQ(current().pageviews, 2u);
  EXPECT_EQ(current().version, 11u);
  EXPECT_EQ(current().last_seq, 11u);
}

TEST_F(SessionizerTest, DiscountTakesBackTheCountOfARejectedEvent) {
  feed(pageview(kSid, kT0, "/"));
  feed(pageview(kSid, kT0 + 10'000, "/rejected"));
  feed(custom(kSid, kT0 + 20'000));
  feed(custom(kSid, kT0 + 30'000));
  auto rows = changed();
  sessionizer_.discount("proj1", kSid, core::EventType::kPageview);
  sessionizer_.discount("proj1", kSid, core::EventType::kCustom);
  const auto& row = current();
  EXPECT_EQ(row.pageviews, 1U);
  EXPECT_EQ(row.events, 1U);
  // Not undone: the times, entry and exit the rejected pageview set (documented).
  EXPECT_EQ(row.exit_page, "/rejected");
  EXPECT_EQ(row.last_seen_ms, kT0 + 30'000);
  EXPECT_TRUE(changed().empty()) << "the caller corrects the rows already taken";
  // The rows taken before are corrected the same way.
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_FALSE(discount_row(rows[0], core::EventType::kPageview));
  EXPECT_FALSE(discount_row(rows[0], core::EventType::kCustom));
  EXPECT_EQ(rows[0].pageviews, 1U);
  EXPECT_EQ(rows[0].events, 1U);
  EXPECT_FALSE(discount_row(rows[0], core::EventType::kCustom));
  EXPECT_TRUE(discount_row(rows[0], core::EventType::kPageview)) << "nothing left to count";
}

TEST_F(SessionizerTest, ASessionOfRejectedEventsOnlyStartsOverWithItsNextEvent) {
  auto rejected = pageview(kSid, kT0, "/rejected");
  rejected.country = "XX";
  rejected.source = "bad.example";
  feed(rejected);
  feed(custom(kSid, kT0 + 1'000));
  changed();
  sessionizer_.discount("proj1", kSid, core::EventType::kPageview);
  sessionizer_.discount("proj1", kSid, core::EventType::kCustom);
  EXPECT_EQ(current().pageviews, 0U);
  EXPECT_EQ(current().events, 0U);

  // A session_end alone does not bring it back.
  EXPECT_EQ(feed(session_end(kSid, kT0 + 2'000)).outcome, ApplyOutcome::kNoSession);
  EXPECT_TRUE(changed().empty());

  const std::uint64_t version_before = current().version;
  auto next = pageview(kSid, kT0 + 5'000, "/good");
  next.source = "news.example";
  EXPECT_EQ(feed(next).session_id, kSid);
  const auto& row = current();
  EXPECT_EQ(row.session_id, kSid) << "the same generation, not a new one";
  EXPECT_EQ(row.pageviews, 1U);
  EXPECT_EQ(row.events, 0U);
  EXPECT_EQ(row.start_ms, kT0 + 5'000);
  EXPECT_EQ(row.last_seen_ms, kT0 + 5'000);
  EXPECT_EQ(row.entry_page, "/good");
  EXPECT_EQ(row.exit_page, "/good");
  EXPECT_EQ(row.country, "DE");
  EXPECT_EQ(row.source, "news.example");
  EXPECT_GT(row.version, version_before);
}

TEST_F(SessionizerTest, DiscountOfAClosedGenerationLeavesTheOpenOneAlone) {
  feed(pageview(kSid, kT0, "/"));
  feed(pageview(kSid, kT0 + 45 * kMinute, "/again"));  // opens kSid/2
  changed();
  sessionizer_.discount("proj1", kSid, core::EventType::kPageview);
  EXPECT_EQ(current().session_id, kSid + "/2");
  EXPECT_EQ(current().pageviews, 1U);
  sessionizer_.discount("proj1", kSid + "/2", core::EventType::kPageview);
  EXPECT_EQ(current().pageviews, 0U);
  sessionizer_.discount("proj1", "1768000000000-unknown", core::EventType::kPageview);  // no-op
}

TEST(SessionizerLoadTest, DecidesWhichSessionsTheStoreMayKnow) {
  SessionizerOptions options;
  options.started_ms = kT0 - 10 * kMinute;
  Sessionizer sessionizer(options);
  // Created with this event, after the process started: new.
  EXPECT_FALSE(sessionizer.may_have_stored_state(pageview(kSid, kT0 + 1'000, "/")));
  // Created five minutes before the event: it may have been evicted or written by others.
  EXPECT_TRUE(sessionizer.may_have_stored_state(pageview(kSid, kT0 + 5 * kMinute, "/")));
  // HTTP events without an SDK session.
  EXPECT_TRUE(sessionizer.may_have_stored_state(pageview("v-abc123-1768000000000", kT0, "/")));
  EXPECT_TRUE(sessionizer.may_have_stored_state(pageview("not-a-timestamp", kT0, "/")));
  sessionizer.apply(pageview(kSid, kT0, "/"), 0, 1);
  EXPECT_FALSE(sessionizer.may_have_stored_state(pageview(kSid, kT0 + 5 * kMinute, "/")));

  // A client clock ten minutes ahead: the clamped timestamp is before the id's creation.
  auto ahead = pageview(std::to_string(kT0 + 10 * kMinute) + "-fast", kT0, "/");
  EXPECT_TRUE(sessionizer.may_have_stored_state(ahead));

  // A fresh id from before this process started may have been written by its predecessor.
  SessionizerOptions restarted;
  restarted.started_ms = kT0 + 30'000;
  Sessionizer after_restart(restarted);
  EXPECT_TRUE(after_restart.may_have_stored_state(pageview(kSid, kT0 + 40'000, "/")));
}

TEST(SessionizerLoadTest, RestoredStateContinuesTheLatestGeneration) {
  Sessionizer sessionizer;
  store::SessionRow first;
  first.project_id = "proj1";
  first.session_id = kSid;
  first.pageviews = 5;
  first.version = 40;
  store::SessionRow second = first;
  second.session_id = kSid + "/2";
  second.start_ms = kT0 + 50 * kMinute;
  second.last_seen_ms = kT0 + 55 * kMinute;
  second.pageviews = 2;
  second.entry_page = "/in";
  second.exit_page = "/out";
  second.last_shard = 0;
  second.last_seq = 90;
  second.version = 90;
  sessionizer.restore("proj1", {kSid}, {first, second});

  // Redelivered old event: already in the stored state.
  EXPECT_EQ(sessionizer.apply(pageview(kSid, kT0 + 55 * kMinute, "/out"), 0, 90).outcome,
            ApplyOutcome::kReplay);
  auto result = sessionizer.apply(pageview(kSid, kT0 + 60 * kMinute, "/next"), 0, 95);
  EXPECT_EQ(result.session_id, kSid + "/2");
  std::vector<store::SessionRow> rows;
  sessionizer.take_changed(rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].pageviews, 3u);
  EXPECT_EQ(rows[0].entry_page, "/in");
  EXPECT_EQ(rows[0].exit_page, "/next");
  EXPECT_GT(rows[0].version, 90u);

  // Past the timeout the next generation is /3, not a reuse of the bare id.
  EXPECT_EQ(sessionizer.apply(pageview(kSid, kT0 + 200 * kMinute, "/"), 0, 96).session_id,
            kSid + "/3");
}

TEST(SessionizerMemoryTest, IdleSessionsLeaveAndTheCapHolds) {
  SessionizerOptions options;
  options.max_sessions = 100;
  options.started_ms = kT0 - kMinute;
  Sessionizer sessionizer(options);
  std::uint64_t seq = 0;
  auto sid = [](int i) { return std::to_string(kT0 + i) + "-s" + std::to_string(i); };
  for (int i = 0; i < 1000; ++i) {
    sessionizer.apply(pageview(sid(i), kT0 + i, "/"), 0, ++seq);
  }
  std::vector<store::SessionRow> rows;
  sessionizer.take_changed(rows);
  EXPECT_EQ(rows.size(), 1000u);
  sessionizer.evict();
  EXPECT_EQ(sessionizer.size(), 100u);
  // The most recently active stayed; a dropped one is looked up in the store again.
  EXPECT_NE(sessionizer.find("proj1", sid(999)), nullptr);
  EXPECT_EQ(sessionizer.find("proj1", sid(0)), nullptr);
  EXPECT_TRUE(sessionizer.may_have_stored_state(pageview(sid(0), kT0 + 1'000, "/")));

  // Forty minutes later every old session is idle past timeout + margin.
  sessionizer.apply(pageview(sid(5000), kT0 + 5000 + 40 * kMinute, "/"), 0, ++seq);
  rows.clear();
  sessionizer.take_changed(rows);
  sessionizer.evict();
  EXPECT_EQ(sessionizer.size(), 1u);
}

TEST(SessionizerMemoryTest, StatesWhoseRowsAreNotStoredYetStayInMemory) {
  // The worker stores a batch's rows while it sessionizes the next one: a state whose row is
  // still on its way to the store must not be dropped, or the next event of that session
  // would read back an older state (or none) and count the session twice.
  SessionizerOptions options;
  options.max_sessions = 10;
  options.started_ms = kT0 - kMinute;
  Sessionizer sessionizer(options);
  std::uint64_t seq = 0;
  auto sid = [](int i) { return std::to_string(kT0 + i) + "-s" + std::to_string(i); };
  std::vector<store::SessionRow> rows;
  for (int i = 0; i < 20; ++i) sessionizer.apply(pageview(sid(i), kT0 + i, "/"), 0, ++seq);
  const std::uint64_t first = sessionizer.take_changed(rows);
  for (int i = 20; i < 40; ++i) sessionizer.apply(pageview(sid(i), kT0 + i, "/"), 0, ++seq);
  const std::uint64_t second = sessionizer.take_changed(rows);
  EXPECT_EQ(second, first + 1);

  // Nothing stored yet: everything stays, over the cap or not.
  EXPECT_EQ(sessionizer.evict(first - 1), 0u);
  EXPECT_EQ(sessionizer.size(), 40u);
  // The first round is stored: only its sessions may go, down to the cap at most.
  EXPECT_EQ(sessionizer.evict(first), 20u);
  EXPECT_EQ(sessionizer.size(), 20u);
  EXPECT_NE(sessionizer.find("proj1", sid(20)), nullptr);
  // Both are stored.
  sessionizer.evict(second);
  EXPECT_EQ(sessionizer.size(), 10u);
  EXPECT_NE(sessionizer.find("proj1", sid(39)), nullptr);
}

}  // namespace
}  // namespace bklit::pipeline
