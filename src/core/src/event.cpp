#include "bklit/core/event.hpp"

#include <cstring>
#include <type_traits>

namespace bklit::core {

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::kPageview:
      return "pageview";
    case EventType::kCustom:
      return "event";
    case EventType::kSessionEnd:
      return "session_end";
  }
  return "unknown";
}

namespace {

constexpr std::uint8_t kFormatVersion = 1;

// Applies f to every field in wire order. Adding a field: append it here and bump
// kFormatVersion only if old records must still decode differently.
template <typename E, typename F>
void for_each_field(E& e, F&& f) {
  f(e.event_id), f(e.project_id), f(e.session_id), f(e.visitor_id), f(e.timestamp_ms),
      f(e.received_ms);
  f(e.url), f(e.hostname), f(e.pathname), f(e.query);
  f(e.referrer), f(e.referrer_host), f(e.source), f(e.channel);
  f(e.utm_source), f(e.utm_medium), f(e.utm_campaign), f(e.utm_term), f(e.utm_content), f(e.utm_id),
      f(e.click_id);
  f(e.country), f(e.region), f(e.city);
  f(e.browser), f(e.browser_version), f(e.os), f(e.os_version), f(e.device_type), f(e.is_bot);
  f(e.screen_width), f(e.screen_height), f(e.viewport_width), f(e.viewport_height),
      f(e.screen_class), f(e.language), f(e.timezone), f(e.is_new_visitor), f(e.landing_page);
  f(e.tracking_id), f(e.event_type), f(e.metadata);
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void operator()(const std::string& s) {
    varint(s.size());
    out_.append(s);
  }
  void operator()(bool b) { out_.push_back(b ? 1 : 0); }
  void operator()(std::uint16_t v) { varint(v); }
  void operator()(std::uint64_t v) { varint(v); }
  void operator()(std::int64_t v) {  // zigzag
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void operator()(const std::vector<std::pair<std::string, std::string>>& kv) {
    varint(kv.size());
    for (const auto& [k, v] : kv) {
      (*this)(k);
      (*this)(v);
    }
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) break;
      auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  std::string_view view() {
    auto n = varint();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void operator()(std::string& s) {
    auto n = varint();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    s.assign(in_.substr(pos_, n));
    pos_ += n;
  }
  void operator()(bool& b) {
    if (pos_ >= in_.size()) {
      ok_ = false;
      return;
    }
    b = in_[pos_++] != 0;
  }
  void operator()(std::uint16_t& v) {
    auto x = varint();
    if (x > 0xffff) ok_ = false;
    v = static_cast<std::uint16_t>(x);
  }
  void operator()(std::uint64_t& v) { v = varint(); }
  void operator()(std::int64_t& v) {
    auto z = varint();
    v = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  void operator()(std::vector<std::pair<std::string, std::string>>& kv) {
    auto n = varint();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    kv.resize(n);
    for (auto& [k, v] : kv) {
      (*this)(k);
      (*this)(v);
    }
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string encode_event(const Event& event) {
  std::string out;
  out.reserve(256 + event.url.size() + event.referrer.size());
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(event.type));
  Writer w(out);
  for_each_field(event, w);
  return out;
}

std::optional<SessionKey> peek_session_key(std::string_view bytes) {
  if (bytes.size() < 2 || static_cast<std::uint8_t>(bytes[0]) != kFormatVersion) {
    return std::nullopt;
  }
  Reader r(bytes.substr(2));
  std::string_view ids[3];
  for (auto& id : ids) id = r.view();
  if (!r.ok()) return std::nullopt;
  return SessionKey{ids[1], ids[2]};
}

std::optional<Event> decode_event(std::string_view bytes) {
  if (bytes.size() < 2 || static_cast<std::uint8_t>(bytes[0]) != kFormatVersion) {
    return std::nullopt;
  }
  auto type = static_cast<std::uint8_t>(bytes[1]);
  if (type < 1 || type > 3) return std::nullopt;
  Event e;
  e.type = static_cast<EventType>(type);
  Reader r(bytes.substr(2));
  for_each_field(e, r);
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return e;
}

}  // namespace bklit::core
