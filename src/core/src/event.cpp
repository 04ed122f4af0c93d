#include "bklit/core/event.hpp"

#include <array>
#include <string>
#include <utility>

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

// The queue record format; docs/records.md says what a change may and may not do.
//   version 1: [1][type][the first 42 fields]                    (read only)
//   version 2: [2][type][varint field count N][N fields]         (written)
constexpr std::uint8_t kVersion1 = 1;
constexpr std::uint8_t kVersion2 = 2;
constexpr std::uint8_t kWrittenVersion = kVersion2;
constexpr std::size_t kVersion1Fields = 42;

// Wire order of the fields, for decode errors. Append-only, like for_each_field.
constexpr auto kFieldNames = std::to_array<std::string_view>(
    {"event_id",       "project_id",      "session_id",   "visitor_id",
     "timestamp_ms",   "received_ms",     "url",          "hostname",
     "pathname",       "query",           "referrer",     "referrer_host",
     "source",         "channel",         "utm_source",   "utm_medium",
     "utm_campaign",   "utm_term",        "utm_content",  "utm_id",
     "click_id",       "country",         "region",       "city",
     "browser",        "browser_version", "os",           "os_version",
     "device_type",    "is_bot",          "screen_width", "screen_height",
     "viewport_width", "viewport_height", "screen_class", "language",
     "timezone",       "is_new_visitor",  "landing_page", "tracking_id",
     "event_type",     "metadata"});

// Applies f to every field in wire order. A new field is appended at the end, here and in
// kFieldNames; nothing is ever removed, reordered or re-typed (docs/records.md).
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

// Reads fields in wire order. Only the first `fields` are in the record: the later ones
// keep the defaults of a value-initialized Event. The first field that does not parse is
// remembered for the error message.
class Reader {
 public:
  Reader(std::string_view in, std::size_t fields) : in_(in), fields_left_(fields) {}
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }
  std::size_t size() const { return in_.size(); }
  std::size_t fields_read() const { return fields_read_; }
  std::size_t fields_left() const { return fields_left_; }

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
    if (!next_field()) return;
    auto v = view();
    if (ok_) s.assign(v);
  }
  void operator()(bool& b) {
    if (!next_field()) return;
    if (pos_ >= in_.size()) {
      ok_ = false;
      return;
    }
    b = in_[pos_++] != 0;
  }
  void operator()(std::uint16_t& v) {
    if (!next_field()) return;
    auto x = varint();
    if (x > 0xffff) ok_ = false;
    v = static_cast<std::uint16_t>(x);
  }
  void operator()(std::uint64_t& v) {
    if (next_field()) v = varint();
  }
  void operator()(std::int64_t& v) {
    if (!next_field()) return;
    auto z = varint();
    v = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  void operator()(std::vector<std::pair<std::string, std::string>>& kv) {
    if (!next_field()) return;
    auto n = varint();
    // Each pair takes at least two bytes: this bounds what a damaged count allocates.
    if (!ok_ || n > (in_.size() - pos_) / 2) {
      ok_ = false;
      return;
    }
    kv.resize(n);
    for (auto& [k, v] : kv) {
      auto key = view();
      auto value = view();
      if (!ok_) return;
      k.assign(key);
      v.assign(value);
    }
  }

 private:
  // False when the field is not in the record (or an earlier one failed): leave it alone.
  bool next_field() {
    if (!ok_ || fields_left_ == 0) return false;
    --fields_left_;
    ++fields_read_;
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t fields_left_;
  std::size_t fields_read_ = 0;
  bool ok_ = true;
};

// Sets every field to a value-initialized Event's value, keeping the strings' buffers.
struct Clear {
  void operator()(std::string& s) const { s.clear(); }
  void operator()(bool& b) const { b = false; }
  void operator()(std::uint16_t& v) const { v = 0; }
  void operator()(std::uint64_t& v) const { v = 0; }
  void operator()(std::int64_t& v) const { v = 0; }
  void operator()(std::vector<std::pair<std::string, std::string>>& kv) const { kv.clear(); }
};

// How many fields this build knows (the length of for_each_field).
std::size_t known_fields() {
  static const std::size_t count = [] {
    std::size_t n = 0;
    Event e;
    for_each_field(e, [&n](const auto&) { ++n; });
    return n;
  }();
  return count;
}

std::string field_name(std::size_t index) {  // 1-based, as in error messages
  constexpr std::size_t kNamed = kFieldNames.size();
  std::string name = index >= 1 && index <= kNamed ? std::string(kFieldNames[index - 1])
                                                   : "#" + std::to_string(index);
  return "'" + name + "' (" + std::to_string(index) + " of " + std::to_string(known_fields()) + ")";
}

Error undecodable(std::string message) {
  return make_error("record_undecodable", std::move(message), 500);
}

// Where the fields start and how many the record holds; an error for a record this build
// cannot read at all.
struct Layout {
  std::size_t fields_offset = 0;
  std::size_t fields = 0;
  bool extensible = false;  // fields beyond the known ones may follow (version 2)
};

Result<Layout> layout_of(std::string_view bytes) {
  if (bytes.empty()) return undecodable("empty record");
  const auto version = static_cast<std::uint8_t>(bytes[0]);
  if (version != kVersion1 && version != kVersion2) {
    return undecodable("unknown record format version " + std::to_string(version) +
                       " (this build reads versions 1 and 2; a newer bklit may have written it)");
  }
  if (bytes.size() < 2) return undecodable("record ends after its version byte");
  if (version == kVersion1) return Layout{2, kVersion1Fields, false};
  Reader header(bytes.substr(2), 0);
  const std::uint64_t fields = header.varint();
  if (!header.ok()) return undecodable("record ends inside its field count");
  return Layout{2 + header.pos(), static_cast<std::size_t>(fields), true};
}

}  // namespace

std::string encode_event(const Event& event) {
  std::string out;
  out.reserve(256 + event.url.size() + event.referrer.size());
  out.push_back(static_cast<char>(kWrittenVersion));
  out.push_back(static_cast<char>(event.type));
  Writer w(out);
  w.varint(known_fields());
  for_each_field(event, w);
  return out;
}

std::optional<SessionKey> peek_session_key(std::string_view bytes) {
  auto layout = layout_of(bytes);
  if (!layout || layout->fields < 3) return std::nullopt;
  Reader r(bytes.substr(layout->fields_offset), 3);
  std::array<std::string_view, 3> ids;
  for (auto& id : ids) id = r.view();
  if (!r.ok()) return std::nullopt;
  return SessionKey{ids[1], ids[2]};
}

Status decode_event_into(std::string_view bytes, Event& e) {
  auto layout = layout_of(bytes);
  if (!layout) return layout.error();
  const auto type = static_cast<std::uint8_t>(bytes[1]);
  if (type < 1 || type > 3) return undecodable("unknown event type " + std::to_string(type));
  // Fields the record does not hold keep a value-initialized Event's defaults (every one is
  // empty, zero or false); strings are cleared rather than replaced, so a reused Event keeps
  // its buffers.
  for_each_field(e, Clear{});
  e.type = static_cast<EventType>(type);
  Reader r(bytes.substr(layout->fields_offset), layout->fields);
  for_each_field(e, r);
  if (!r.ok()) {
    return undecodable("field " + field_name(r.fields_read()) + " is truncated or malformed");
  }
  // Fields past the known ones come from a newer writer: this build ignores them. Bytes
  // past the fields the record announces are damage.
  if (r.pos() != r.size() && !(layout->extensible && r.fields_left() > 0)) {
    return undecodable(std::to_string(r.size() - r.pos()) + " unexpected bytes after " +
                       (r.fields_read() == 0 ? std::string("the header")
                                             : "field " + field_name(r.fields_read())));
  }
  return Ok{};
}

Result<Event> decode_event(std::string_view bytes) {
  // Decoded in place and every path returns `out`, so the event is never moved (NRVO).
  Result<Event> out{Event{}};
  auto status = decode_event_into(bytes, *out);
  if (!status) out = status.error();
  return out;
}

}  // namespace bklit::core
