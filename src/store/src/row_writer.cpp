#include "bklit/store/row_writer.hpp"

#include <charconv>

#include "bklit/core/clock.hpp"
#include "bklit/store/sql_text.hpp"

namespace bklit::store {
namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void two_digits(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// "YYYY-MM-DD hh:mm:ss" in UTC: the text form every engine version parses into a
// DateTime('UTC') column.
void append_utc_datetime(std::string& out, std::int64_t ms) {
  std::int64_t secs = ms > 0 ? ms / 1000 : 0;  // DateTime cannot hold times before 1970
  auto sod = static_cast<unsigned>(secs % 86400);
  int y = 1970;
  unsigned m = 1, d = 1;
  core::civil_from_days(secs / 86400, y, m, d);
  append_uint(out, static_cast<std::uint64_t>(y));
  out.push_back('-');
  two_digits(out, m);
  out.push_back('-');
  two_digits(out, d);
  out.push_back(' ');
  two_digits(out, sod / 3600);
  out.push_back(':');
  two_digits(out, sod / 60 % 60);
  out.push_back(':');
  two_digits(out, sod % 60);
}

// An Array(String) field: the quoted-literal form ['a','b']. The TSV reader parses it straight
// from the escaped text, so each byte is escaped once (quote included), not twice.
void append_tsv_string_array(std::string& out, const core::Event& e, bool keys) {
  out.push_back('[');
  for (std::size_t i = 0; i < e.metadata.size(); ++i) {
    if (i > 0) out.push_back(',');
    sql::append_quoted(out, keys ? e.metadata[i].first : e.metadata[i].second);
  }
  out.push_back(']');
}

// Fields in table column order, tab-separated.
class RowBuilder {
 public:
  explicit RowBuilder(std::string& out) : out_(out) {}
  void sep() {
    if (!first_) out_.push_back('\t');
    first_ = false;
  }
  void str(std::string_view v) {
    sep();
    sql::append_escaped(out_, v, /*escape_quote=*/false);  // a TabSeparated field
  }
  void u64(std::uint64_t v) {
    sep();
    append_uint(out_, v);
  }
  void i64(std::int64_t v) {
    sep();
    append_int(out_, v);
  }
  void flag(bool v) {
    sep();
    out_.push_back(v ? '1' : '0');
  }
  void datetime(std::int64_t ms) {
    sep();
    append_utc_datetime(out_, ms);
  }
  void end() { out_.push_back('\n'); }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string_view event_columns() {
  return "project_id, ts, timestamp_ms, received_ms, type, event_id, session_id, visitor_id, "
         "url, hostname, pathname, query, referrer, referrer_host, source, channel, "
         "utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, click_id, "
         "country, region, city, browser, browser_version, os, os_version, device_type, is_bot, "
         "screen_width, screen_height, viewport_width, viewport_height, screen_class, language, "
         "timezone, is_new_visitor, landing_page, tracking_id, event_name, meta_keys, "
         "meta_values, shard, seq";
}

std::string_view session_columns() {
  return "project_id, session_id, visitor_id, start_ts, start_ms, last_seen_ms, ended_ms, "
         "entry_page, exit_page, hostname, pageviews, events, referrer_host, source, channel, "
         "utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, click_id, "
         "country, region, city, browser, browser_version, os, os_version, device_type, "
         "screen_class, language, is_new_visitor, is_bot, last_shard, last_seq, version";
}

void append_event_row(std::string& out, const core::Event& e, std::uint32_t shard,
                      std::uint64_t seq) {
  RowBuilder r(out);
  r.str(e.project_id);
  r.datetime(e.timestamp_ms);
  r.i64(e.timestamp_ms);
  r.i64(e.received_ms);
  r.u64(static_cast<std::uint64_t>(e.type));
  r.str(e.event_id);
  r.str(e.session_id);
  r.u64(e.visitor_id);
  r.str(e.url);
  r.str(e.hostname);
  r.str(e.pathname);
  r.str(e.query);
  r.str(e.referrer);
  r.str(e.referrer_host);
  r.str(e.source);
  r.str(e.channel);
  r.str(e.utm_source);
  r.str(e.utm_medium);
  r.str(e.utm_campaign);
  r.str(e.utm_term);
  r.str(e.utm_content);
  r.str(e.utm_id);
  r.str(e.click_id);
  r.str(e.country);
  r.str(e.region);
  r.str(e.city);
  r.str(e.browser);
  r.str(e.browser_version);
  r.str(e.os);
  r.str(e.os_version);
  r.str(e.device_type);
  r.flag(e.is_bot);
  r.u64(e.screen_width);
  r.u64(e.screen_height);
  r.u64(e.viewport_width);
  r.u64(e.viewport_height);
  r.str(e.screen_class);
  r.str(e.language);
  r.str(e.timezone);
  r.flag(e.is_new_visitor);
  r.str(e.landing_page);
  r.str(e.tracking_id);
  r.str(e.event_type);
  r.sep();
  append_tsv_string_array(out, e, true);
  r.sep();
  append_tsv_string_array(out, e, false);
  r.u64(shard);
  r.u64(seq);
  r.end();
}

void append_session_row(std::string& out, const SessionRow& s) {
  RowBuilder r(out);
  r.str(s.project_id);
  r.str(s.session_id);
  r.u64(s.visitor_id);
  r.datetime(s.start_ms);
  r.i64(s.start_ms);
  r.i64(s.last_seen_ms);
  r.i64(s.ended_ms);
  r.str(s.entry_page);
  r.str(s.exit_page);
  r.str(s.hostname);
  r.u64(s.pageviews);
  r.u64(s.events);
  r.str(s.referrer_host);
  r.str(s.source);
  r.str(s.channel);
  r.str(s.utm_source);
  r.str(s.utm_medium);
  r.str(s.utm_campaign);
  r.str(s.utm_term);
  r.str(s.utm_content);
  r.str(s.utm_id);
  r.str(s.click_id);
  r.str(s.country);
  r.str(s.region);
  r.str(s.city);
  r.str(s.browser);
  r.str(s.browser_version);
  r.str(s.os);
  r.str(s.os_version);
  r.str(s.device_type);
  r.str(s.screen_class);
  r.str(s.language);
  r.flag(s.is_new_visitor);
  r.flag(s.is_bot);
  r.u64(s.last_shard);
  r.u64(s.last_seq);
  r.u64(s.version);
  r.end();
}

}  // namespace bklit::store
