#pragma once
// In-memory BatchSink for worker tests: keeps every insert, answers the replay guard and
// session loads like the store would, and can be told to fail. Like the engines with a dedup
// window, an insert under a dedup token that an earlier stored insert of the same table had is
// a no-op (an insert that failed leaves no token behind).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/pipeline/batch_sink.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::pipeline::testing {

struct SinkEvent {
  core::Event event;
  std::uint32_t shard;
  std::uint64_t seq;
};

struct EventInsert {
  std::string token;
  std::vector<SinkEvent> events;
};

struct SessionInsert {
  std::string token;
  std::vector<store::SessionRow> rows;
};

struct LoadCall {
  std::string project_id;
  std::vector<std::string> session_ids;
};

// What the engine says about a value it cannot store (a rejects_data() StoreError).
inline store::StoreError data_rejection(const std::string& what) {
  return store::StoreError(
      "Code: 117. DB::Exception: Cannot parse input: " + what + " (INCORRECT_DATA)",
      store::StoreFailure::kPermanent, 117);
}

class FakeSink : public BatchSink {
 public:
  void write_events(const std::vector<store::StoredEvent>& events,
                    const std::string& dedup_token) override {
    std::lock_guard lock(mu_);
    event_calls_.push_back({dedup_token, events.size()});
    check("write_events");
    for (const auto& e : events) {
      if (rejected_events_.contains(e.event->event_id)) {
        throw data_rejection("bad value in event " + e.event->event_id);
      }
    }
    if (!dedup_token.empty() && !event_tokens_.insert(dedup_token).second) {
      ++deduplicated_;
      return;
    }
    EventInsert insert{dedup_token, {}};
    for (const auto& e : events) insert.events.push_back({*e.event, e.shard, e.seq});
    event_inserts_.push_back(std::move(insert));
    landed("write_events");
  }

  void write_sessions(const std::vector<store::SessionRow>& sessions,
                      const std::string& dedup_token) override {
    std::lock_guard lock(mu_);
    session_calls_.push_back({dedup_token, sessions.size()});
    if (fail_sessions_) throw std::runtime_error("sessions table unavailable");
    check("write_sessions");
    for (const auto& row : sessions) {
      if (rejected_sessions_.contains(row.session_id)) {
        throw data_rejection("bad value in the row of session " + row.session_id);
      }
    }
    if (!dedup_token.empty() && !session_tokens_.insert(dedup_token).second) {
      ++deduplicated_;
      return;
    }
    session_inserts_.push_back({dedup_token, sessions});
    landed("write_sessions");
  }

  std::uint64_t max_event_seq(std::uint32_t shard) override {
    std::lock_guard lock(mu_);
    check("max_event_seq");
    std::uint64_t max = 0;
    for (const auto& insert : event_inserts_) {
      for (const auto& e : insert.events) {
        if (e.shard == shard) max = std::max(max, e.seq);
      }
    }
    return max;
  }

  std::vector<store::SessionRow> load_sessions(
      const std::string& project_id, const std::vector<std::string>& session_ids) override {
    std::lock_guard lock(mu_);
    check("load_sessions");
    load_calls_.push_back({project_id, session_ids});
    std::map<std::string, store::SessionRow> latest;
    for (const auto& row : all_sessions_locked()) {
      if (row.project_id != project_id) continue;
      bool wanted = std::any_of(session_ids.begin(), session_ids.end(), [&](const auto& id) {
        return row.session_id == id || row.session_id.starts_with(id + "/");
      });
      if (!wanted) continue;
      auto [it, inserted] = latest.try_emplace(row.session_id, row);
      if (!inserted && row.version >= it->second.version) it->second = row;
    }
    std::vector<store::SessionRow> out;
    for (auto& [id, row] : latest) out.push_back(std::move(row));
    return out;
  }

  // Rows that were in the store before the test (another process wrote them).
  void preload(store::SessionRow row) {
    std::lock_guard lock(mu_);
    session_inserts_.push_back({"preload", {std::move(row)}});
  }
  // The next n calls of `method` (of any method when empty) throw.
  void fail_next(int n, const std::string& method = "") {
    std::lock_guard lock(mu_);
    failures_left_[method] = n;
  }
  // The next n calls of `method` throw `error` (e.g. a transient or a data-rejecting
  // StoreError) without storing anything.
  void fail_next_with(int n, const std::string& method, const store::StoreError& error) {
    std::lock_guard lock(mu_);
    typed_failures_[method] = TypedFailure{n, error.what(), error.failure(), error.engine_code()};
  }
  // Every insert holding this event (by event_id) / this session row (by session_id) is
  // rejected for its data.
  void reject_event(const std::string& event_id) {
    std::lock_guard lock(mu_);
    rejected_events_.insert(event_id);
  }
  void reject_session(const std::string& session_id) {
    std::lock_guard lock(mu_);
    rejected_sessions_.insert(session_id);
  }
  void clear_rejections() {
    std::lock_guard lock(mu_);
    rejected_events_.clear();
    rejected_sessions_.clear();
  }
  // The next n inserts of `method` that are stored then throw a transient error anyway (the
  // engine timed out after the insert landed).
  void land_then_fail_next(int n, const std::string& method) {
    std::lock_guard lock(mu_);
    land_then_fail_[method] = n;
  }
  // Inserts dropped because their dedup token was already stored.
  int deduplicated() const {
    std::lock_guard lock(mu_);
    return deduplicated_;
  }
  struct Call {
    std::string token;
    std::size_t rows;
  };
  // Every write call, in order, whatever came of it.
  std::vector<Call> event_calls() const {
    std::lock_guard lock(mu_);
    return event_calls_;
  }
  std::vector<Call> session_calls() const {
    std::lock_guard lock(mu_);
    return session_calls_;
  }
  void set_fail_sessions(bool fail) {
    std::lock_guard lock(mu_);
    fail_sessions_ = fail;
  }
  // Runs at the start of every call, under the sink's lock.
  void on_call(std::function<void(const std::string& method)> fn) {
    std::lock_guard lock(mu_);
    on_call_ = std::move(fn);
  }

  std::vector<SinkEvent> events() const {
    std::lock_guard lock(mu_);
    std::vector<SinkEvent> out;
    for (const auto& insert : event_inserts_) {
      out.insert(out.end(), insert.events.begin(), insert.events.end());
    }
    return out;
  }
  std::vector<EventInsert> event_inserts() const {
    std::lock_guard lock(mu_);
    return event_inserts_;
  }
  std::vector<SessionInsert> session_inserts() const {
    std::lock_guard lock(mu_);
    return session_inserts_;
  }
  std::vector<LoadCall> load_calls() const {
    std::lock_guard lock(mu_);
    return load_calls_;
  }
  // The row ReplacingMergeTree keeps: highest version, the later insert on a tie.
  std::optional<store::SessionRow> session(const std::string& session_id) const {
    std::lock_guard lock(mu_);
    std::optional<store::SessionRow> best;
    for (const auto& row : all_sessions_locked()) {
      if (row.session_id == session_id && (!best || row.version >= best->version)) best = row;
    }
    return best;
  }
  std::set<std::string> session_ids() const {
    std::lock_guard lock(mu_);
    std::set<std::string> ids;
    for (const auto& row : all_sessions_locked()) ids.insert(row.session_id);
    return ids;
  }

 private:
  void check(const std::string& method) {
    if (on_call_) on_call_(method);
    for (const auto& key : {std::string(), method}) {
      auto it = failures_left_.find(key);
      if (it != failures_left_.end() && it->second > 0) {
        --it->second;
        throw std::runtime_error("store unavailable (" + method + ")");
      }
    }
    auto typed = typed_failures_.find(method);
    if (typed != typed_failures_.end() && typed->second.left > 0) {
      --typed->second.left;
      // A new error each time: copies of one would share its message across threads.
      throw store::StoreError(typed->second.what, typed->second.failure, typed->second.code);
    }
  }
  void landed(const std::string& method) {
    auto it = land_then_fail_.find(method);
    if (it != land_then_fail_.end() && it->second > 0) {
      --it->second;
      throw store::StoreError("Code: 209. DB::NetException: Timeout exceeded while reading",
                              store::StoreFailure::kTransient, 209);
    }
  }
  std::vector<store::SessionRow> all_sessions_locked() const {
    std::vector<store::SessionRow> rows;
    for (const auto& insert : session_inserts_) {
      rows.insert(rows.end(), insert.rows.begin(), insert.rows.end());
    }
    return rows;
  }

  mutable std::mutex mu_;
  std::vector<EventInsert> event_inserts_;
  std::vector<SessionInsert> session_inserts_;
  std::vector<LoadCall> load_calls_;
  std::map<std::string, int> failures_left_;
  struct TypedFailure {
    int left = 0;
    std::string what;
    store::StoreFailure failure = store::StoreFailure::kPermanent;
    int code = 0;
  };
  std::map<std::string, TypedFailure> typed_failures_;
  std::map<std::string, int> land_then_fail_;
  std::set<std::string> rejected_events_, rejected_sessions_;
  std::set<std::string> event_tokens_, session_tokens_;
  int deduplicated_ = 0;
  std::vector<Call> event_calls_, session_calls_;
  bool fail_sessions_ = false;
  std::function<void(const std::string&)> on_call_;
};

}  // namespace bklit::pipeline::testing
