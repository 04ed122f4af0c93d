#include "bklit/pipeline/sessionizer.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "bklit/core/log.hpp"
#include "session_ids.hpp"

namespace bklit::pipeline {

namespace {

// An SDK id whose creation time is this close to the event is a session that started
// with this event (or just before it), so the store cannot know it yet. Also the margin
// for the clock-offset estimate when comparing creation times with server time.
constexpr std::int64_t kFreshIdWindowMs = 60'000;

std::int64_t received_of(const core::Event& event) {
  return event.received_ms != 0 ? event.received_ms : event.timestamp_ms;
}

std::int64_t last_activity(const store::SessionRow& row) {
  return std::max(row.last_seen_ms, row.ended_ms);
}

}  // namespace

Sessionizer::Sessionizer(SessionizerOptions options)
    : options_(options),
      timeout_ms_(options.session_timeout.count()),
      forgotten_before_ms_(options.started_ms) {}

Sessionizer::~Sessionizer() = default;

const std::string& Sessionizer::make_key(std::string_view project_id,
                                         std::string_view sdk_id) const {
  key_buf_.assign(project_id);
  key_buf_.push_back('\0');
  key_buf_.append(sdk_id);
  return key_buf_;
}

bool Sessionizer::may_have_stored_state(const core::Event& event) const {
  auto created = sdk_id_created_ms(event.session_id);
  // An id "created" well after its event comes from a client clock running ahead (the
  // timestamp was clamped): its age says nothing, so look it up.
  if (created && std::abs(event.timestamp_ms - *created) <= kFreshIdWindowMs) {
    // The SDK id carries the client's clock; move it to server time with this event's
    // offset. Created after everything this process forgot: the store cannot know it.
    std::int64_t created_server = *created + (received_of(event) - event.timestamp_ms);
    if (created_server >= forgotten_before_ms_ + kFreshIdWindowMs) return false;
  }
  return states_.find(make_key(event.project_id, event.session_id)) == states_.end();
}

void Sessionizer::restore(const std::string& project_id,
                          const std::vector<std::string>& requested_ids,
                          std::vector<store::SessionRow> rows) {
  std::unordered_set<std::string_view> requested(requested_ids.begin(), requested_ids.end());
  struct Best {
    store::SessionRow* row;
    std::uint32_t generation;
  };
  std::unordered_map<std::string_view, Best> best;
  for (auto& row : rows) {
    StoredId id{row.session_id, 1};
    if (!requested.contains(id.base)) {
      id = parse_stored_id(row.session_id);
      if (id.generation == 1 || !requested.contains(id.base)) {
        core::log::warn("pipeline: store returned session '" + row.session_id +
                        "' that was not asked for; ignored");
        continue;
      }
    }
    auto [it, inserted] = best.try_emplace(id.base, Best{&row, id.generation});
    if (!inserted &&
        (id.generation > it->second.generation ||
         (id.generation == it->second.generation && row.version > it->second.row->version))) {
      it->second = Best{&row, id.generation};
    }
  }
  for (auto& [base, found] : best) {
    auto [it, inserted] = states_.try_emplace(make_key(project_id, base));
    if (!inserted) continue;  // memory is newer than the store
    State& state = it->second;
    state.key = &it->first;
    state.row = std::move(*found.row);
    state.row.project_id = project_id;
    state.generation = found.generation;
    if (state.row.pageviews > 0) {
      // Pageview times are not stored; the session bounds are the closest safe guess.
      state.first_pageview_ms = state.row.start_ms;
      state.last_pageview_ms = state.row.last_seen_ms;
    }
    state.last_received_ms = stream_now_ms_;
    // Restored ids are found again by the same rule, so pushing them out of memory need
    // not widen the reload window.
    state.created_server_ms = std::numeric_limits<std::int64_t>::min();
    lru_push_back(state);
  }
}

ApplyResult Sessionizer::apply(const core::Event& event, std::uint32_t shard, std::uint64_t seq) {
  const std::int64_t received = received_of(event);
  stream_now_ms_ = std::max(stream_now_ms_, received);
  const std::int64_t ts = event.timestamp_ms;
  auto it = states_.find(make_key(event.project_id, event.session_id));

  auto is_replay = [&](const State& s) {
    return s.row.version != 0 && s.row.last_shard == shard && seq <= s.row.last_seq;
  };

  if (event.type == core::EventType::kSessionEnd) {
    if (it == states_.end()) return {ApplyOutcome::kNoSession, {}};
    State& state = it->second;
    if (is_replay(state)) return {ApplyOutcome::kReplay, state.row.session_id};
    // Every event of this generation was rejected by the store: there is no visit to end.
    if (state.emptied) return {ApplyOutcome::kNoSession, {}};
    // A socket that closes after the session timed out does not stretch that session.
    if (ts - last_activity(state.row) > timeout_ms_) return {ApplyOutcome::kNoSession, {}};
    state.row.ended_ms = std::max(state.row.ended_ms, ts);
    mark_changed(state, shard, seq);
    touch(state, received);
    return {ApplyOutcome::kApplied, state.row.session_id};
  }

  State* state = nullptr;
  if (it == states_.end()) {
    state = &create(key_buf_, event, event.session_id, received);
  } else {
    state = &it->second;
    if (is_replay(*state)) return {ApplyOutcome::kReplay, state->row.session_id};
    if (state->emptied) {
      start_over(*state, event);
    } else if (ts - last_activity(state->row) > timeout_ms_) {
      if (state->dirty) retired_.push_back(state->row);
      open_generation(*state, event, event.session_id, state->generation + 1);
    }
  }

  store::SessionRow& row = state->row;
  row.start_ms = std::min(row.start_ms, ts);
  row.last_seen_ms = std::max(row.last_seen_ms, ts);
  if (event.type == core::EventType::kPageview) {
    // Entry and exit follow event time, not arrival order (HTTP batches may arrive late).
    if (row.pageviews == 0 || ts < state->first_pageview_ms) {
      row.entry_page = event.pathname;
      row.hostname = event.hostname;
      state->first_pageview_ms = ts;
      take_context(*state, event);
    }
    if (row.pageviews == 0 || ts >= state->last_pageview_ms) {
      row.exit_page = event.pathname;
      state->last_pageview_ms = ts;
    }
    ++row.pageviews;
  } else {
    ++row.events;
  }
  mark_changed(*state, shard, seq);
  touch(*state, received);
  return {ApplyOutcome::kApplied, row.session_id};
}

Sessionizer::State& Sessionizer::create(const std::string& key, const core::Event& event,
                                        std::string_view sdk_id, std::int64_t received) {
  auto [it, inserted] = states_.try_emplace(key);
  State& state = it->second;
  state.key = &it->first;
  state.row.project_id = event.project_id;
  auto created = sdk_id_created_ms(sdk_id);
  // Ids of other shapes are always looked up in the store, so they need no reload window.
  state.created_server_ms = created ? *created + (received - event.timestamp_ms)
                                    : std::numeric_limits<std::int64_t>::min();
  open_generation(state, event, sdk_id, 1);
  lru_push_back(state);
  return state;
}

void Sessionizer::open_generation(State& state, const core::Event& event, std::string_view sdk_id,
                                  std::uint32_t generation) {
  std::string project = std::move(state.row.project_id);
  state.row = store::SessionRow{};
  state.row.project_id = std::move(project);
  state.row.session_id = generation_id(sdk_id, generation);
  state.generation = generation;
  state.row.start_ms = event.timestamp_ms;
  state.row.last_seen_ms = event.timestamp_ms;
  state.first_pageview_ms = 0;
  state.last_pageview_ms = 0;
  take_context(state, event);
}

// The generation keeps its id and its replay guard (version, last queue position); everything
// the discounted events had set is taken from `event` instead, as for a new generation.
void Sessionizer::start_over(State& state, const core::Event& event) {
  store::SessionRow& row = state.row;
  const std::uint64_t version = row.version;
  const std::uint32_t last_shard = row.last_shard;
  const std::uint64_t last_seq = row.last_seq;
  const std::string session_id = std::move(row.session_id);
  open_generation(state, event, parse_stored_id(session_id).base, state.generation);
  row.version = version;
  row.last_shard = last_shard;
  row.last_seq = last_seq;
  state.emptied = false;
}

bool discount_row(store::SessionRow& row, core::EventType type) {
  if (type == core::EventType::kPageview && row.pageviews > 0) --row.pageviews;
  if (type == core::EventType::kCustom && row.events > 0) --row.events;
  return row.pageviews == 0 && row.events == 0;
}

void Sessionizer::discount(std::string_view project_id, std::string_view stored_session_id,
                           core::EventType type) {
  auto it = states_.find(make_key(project_id, parse_stored_id(stored_session_id).base));
  if (it == states_.end()) return;
  State& state = it->second;
  if (state.row.session_id != stored_session_id) return;  // a later generation is open now
  if (discount_row(state.row, type)) state.emptied = true;
}

void Sessionizer::take_context(State& state, const core::Event& e) {
  store::SessionRow& row = state.row;
  row.visitor_id = e.visitor_id;
  row.referrer_host = e.referrer_host;
  row.source = e.source;
  row.channel = e.channel;
  row.utm_source = e.utm_source;
  row.utm_medium = e.utm_medium;
  row.utm_campaign = e.utm_campaign;
  row.utm_term = e.utm_term;
  row.utm_content = e.utm_content;
  row.utm_id = e.utm_id;
  row.click_id = e.click_id;
  row.country = e.country;
  row.region = e.region;
  row.city = e.city;
  row.browser = e.browser;
  row.browser_version = e.browser_version;
  row.os = e.os;
  row.os_version = e.os_version;
  row.device_type = e.device_type;
  row.screen_class = e.screen_class;
  row.language = e.language;
  row.is_new_visitor = e.is_new_visitor;
  row.is_bot = e.is_bot;
  if (row.hostname.empty()) row.hostname = e.hostname;
}

void Sessionizer::mark_changed(State& state, std::uint32_t shard, std::uint64_t seq) {
  store::SessionRow& row = state.row;
  // Within a shard this equals seq, so a state rebuilt from replayed events gets the same
  // version as before and any later state a higher one; +1 covers a change of shard.
  row.version = std::max<std::uint64_t>(row.version + 1, seq);
  row.last_shard = shard;
  row.last_seq = seq;
  if (!state.dirty) {
    state.dirty = true;
    dirty_.push_back(&state);
  }
}

void Sessionizer::touch(State& state, std::int64_t received) {
  state.last_received_ms = std::max(state.last_received_ms, received);
  if (lru_tail_ == &state) return;
  lru_unlink(state);
  lru_push_back(state);
}

std::uint64_t Sessionizer::take_changed(std::vector<store::SessionRow>& out) {
  ++rounds_taken_;
  for (auto& row : retired_) out.push_back(std::move(row));
  retired_.clear();
  for (State* state : dirty_) {
    out.push_back(state->row);
    state->dirty = false;
    state->taken_round = rounds_taken_;
  }
  dirty_.clear();
  return rounds_taken_;
}

std::size_t Sessionizer::evict(std::uint64_t stored_round) {
  std::size_t dropped = 0;
  const std::int64_t idle_before = stream_now_ms_ - timeout_ms_ - options_.eviction_margin.count();
  auto stored = [stored_round](const State* s) {
    return !s->dirty && s->taken_round <= stored_round;
  };
  while (lru_head_ != nullptr && stored(lru_head_) && lru_head_->last_received_ms < idle_before) {
    erase(*lru_head_);
    ++dropped;
  }
  while (states_.size() > options_.max_sessions && lru_head_ != nullptr && stored(lru_head_)) {
    if (!cap_warned_) {
      core::log::warn("pipeline: more than " + std::to_string(options_.max_sessions) +
                      " open sessions in memory; dropping the least recently active (their "
                      "state is reloaded from the store when they return)");
      cap_warned_ = true;
    }
    forgotten_before_ms_ = std::max(forgotten_before_ms_, lru_head_->created_server_ms);
    erase(*lru_head_);
    ++dropped;
  }
  return dropped;
}

std::size_t Sessionizer::forget_shard(std::uint32_t shard, std::int64_t now_ms) {
  forgotten_before_ms_ = std::max(forgotten_before_ms_, now_ms);
  std::vector<State*> doomed;
  for (auto& [key, state] : states_) {
    if (state.row.last_shard == shard) doomed.push_back(&state);
  }
  for (State* state : doomed) {
    if (state->dirty) {
      // Only between batches is this safe; a dirty state would lose a change.
      throw std::logic_error("Sessionizer::forget_shard with unsaved changes");
    }
    erase(*state);
  }
  return doomed.size();
}

const store::SessionRow* Sessionizer::find(std::string_view project_id,
                                           std::string_view sdk_id) const {
  auto it = states_.find(make_key(project_id, sdk_id));
  return it == states_.end() ? nullptr : &it->second.row;
}

void Sessionizer::lru_unlink(State& state) {
  if (state.lru_prev != nullptr) {
    state.lru_prev->lru_next = state.lru_next;
  } else if (lru_head_ == &state) {
    lru_head_ = state.lru_next;
  }
  if (state.lru_next != nullptr) {
    state.lru_next->lru_prev = state.lru_prev;
  } else if (lru_tail_ == &state) {
    lru_tail_ = state.lru_prev;
  }
  state.lru_prev = state.lru_next = nullptr;
}

void Sessionizer::lru_push_back(State& state) {
  state.lru_prev = lru_tail_;
  state.lru_next = nullptr;
  if (lru_tail_ != nullptr) lru_tail_->lru_next = &state;
  lru_tail_ = &state;
  if (lru_head_ == nullptr) lru_head_ = &state;
}

void Sessionizer::erase(State& state) {
  lru_unlink(state);
  auto it = states_.find(*state.key);
  states_.erase(it);
}

}  // namespace bklit::pipeline
