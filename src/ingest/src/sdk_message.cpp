#include "bklit/ingest/sdk_message.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace bklit::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

core::Error invalid(std::string message) {
  return core::make_error("invalid_message", std::move(message));
}

class Fields {
 public:
  Fields(object obj, const MessageLimits& limits, std::string_view where)
      : obj_(obj), limits_(limits), where_(where) {}

  // Reads an optional string (null and absent give ""); fails on other types or length.
  bool text(std::string_view key, std::string& out, bool required = false,
            std::size_t max_bytes = 0) {
    if (max_bytes == 0) max_bytes = limits_.max_string_bytes;
    element value;
    if (obj_[key].get(value) != simdjson::SUCCESS || value.is_null()) {
      if (required) fail(fmt::format("{}.{} is required", where_, key), "missing_field");
      return !required;
    }
    std::string_view s;
    if (value.get(s) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{} must be a string", where_, key));
    }
    if (s.size() > max_bytes) {
      return fail(fmt::format("{}.{} is longer than {} bytes", where_, key, max_bytes),
                  "string_too_long");
    }
    if (required && s.empty()) {
      return fail(fmt::format("{}.{} must not be empty", where_, key), "missing_field");
    }
    out.assign(s);
    return true;
  }

  bool boolean(std::string_view key, bool& out) {
    element value;
    if (obj_[key].get(value) != simdjson::SUCCESS || value.is_null()) return true;
    if (value.get(out) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{} must be true or false", where_, key));
    }
    return true;
  }

  // {"width":..,"height":..} with whole numbers in [0, 100000].
  bool size(std::string_view key, int& width, int& height) {
    element value;
    if (obj_[key].get(value) != simdjson::SUCCESS || value.is_null()) return true;
    object o;
    if (value.get(o) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{} must be an object with width and height", where_, key));
    }
    for (auto [name, out] : {std::pair<std::string_view, int*>{"width", &width},
                             std::pair<std::string_view, int*>{"height", &height}}) {
      element n;
      if (o[name].get(n) != simdjson::SUCCESS || n.is_null()) continue;
      double d = 0;
      if (n.get(d) != simdjson::SUCCESS || d < 0 || d > 100000) {
        return fail(fmt::format("{}.{}.{} must be a number from 0 to 100000", where_, key, name));
      }
      *out = static_cast<int>(d);
    }
    return true;
  }

  bool metadata(std::vector<std::pair<std::string, std::string>>& out) {
    element value;
    if (obj_["metadata"].get(value) != simdjson::SUCCESS || value.is_null()) return true;
    object o;
    if (value.get(o) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.metadata must be an object", where_));
    }
    if (o.size() > limits_.max_metadata_keys) {
      return fail(
          fmt::format("{}.metadata has more than {} properties", where_, limits_.max_metadata_keys),
          "too_many_properties");
    }
    out.reserve(o.size());
    for (auto field : o) {
      if (field.key.empty() || field.key.size() > 100) {
        return fail(fmt::format("{}.metadata keys must be 1 to 100 bytes", where_));
      }
      std::string v;
      switch (field.value.type()) {
        case element_type::STRING: {
          std::string_view s;
          if (field.value.get(s) != simdjson::SUCCESS) return fail("unreadable metadata value");
          if (s.size() > limits_.max_metadata_value_bytes) {
            return fail(fmt::format("{}.metadata.{} is longer than {} bytes", where_, field.key,
                                    limits_.max_metadata_value_bytes),
                        "string_too_long");
          }
          v.assign(s);
          break;
        }
        case element_type::INT64:
          v = std::to_string(int64_t(field.value));
          break;
        case element_type::UINT64:
          v = std::to_string(uint64_t(field.value));
          break;
        case element_type::DOUBLE:
          v = fmt::format("{}", double(field.value));
          break;
        case element_type::BOOL:
          v = bool(field.value) ? "true" : "false";
          break;
        case element_type::NULL_VALUE:
          break;
        default:
          return fail(fmt::format("{}.metadata.{} must be a string, number, boolean or null "
                                  "(nested objects and arrays are not allowed)",
                                  where_, field.key),
                      "nested_metadata");
      }
      out.emplace_back(std::string(field.key), std::move(v));
    }
    return true;
  }

  bool failed() const { return failed_; }
  const core::Error& error() const { return error_; }

 private:
  bool fail(std::string message, std::string code = "invalid_field") {
    if (!failed_) {
      failed_ = true;
      error_ = core::make_error(std::move(code), std::move(message));
    }
    return false;
  }

  object obj_;
  const MessageLimits& limits_;
  std::string_view where_;
  bool failed_ = false;
  core::Error error_;
};

core::Result<SdkMessage> parse_element(element root, const MessageLimits& limits) {
  object msg;
  if (root.get(msg) != simdjson::SUCCESS) return invalid("a message must be a JSON object");
  std::string_view type;
  if (msg["type"].get(type) != simdjson::SUCCESS) {
    return core::make_error("missing_field", "message.type is required");
  }
  SdkMessage out;
  Fields top(msg, limits, "message");
  if (!top.text("apiKey", out.api_key, false, 256)) return top.error();
  if (type == "auth") {
    out.kind = SdkMessage::Kind::kAuth;
    if (out.api_key.empty()) return core::make_error("missing_field", "auth needs an apiKey");
    return out;
  }
  if (type != "pageview" && type != "event") {
    return core::make_error(
        "unknown_type", fmt::format("unknown message type '{}'; expected auth, pageview or event",
                                    type.substr(0, 40)));
  }
  object data;
  if (msg["data"].get(data) != simdjson::SUCCESS) {
    return core::make_error("missing_field", "message.data must be an object");
  }
  Fields f(data, limits, "data");
  if (type == "pageview") {
    out.kind = SdkMessage::Kind::kPageview;
    auto& p = out.pageview;
    f.text("url", p.url, true) && f.text("timestamp", p.timestamp, false, 64) &&
        f.text("referrer", p.referrer) && f.text("userAgent", p.user_agent) &&
        f.text("language", p.language, false, 64) && f.text("timezone", p.timezone, false, 64) &&
        f.text("landingPage", p.landing_page) && f.text("sessionId", p.session_id, false, 128) &&
        f.text("projectId", p.project_id, false, 128) &&
        f.size("viewport", p.viewport_width, p.viewport_height) &&
        f.size("screen", p.screen_width, p.screen_height) &&
        f.boolean("isNewVisitor", p.is_new_visitor);
  } else {
    out.kind = SdkMessage::Kind::kEvent;
    auto& e = out.event;
    f.text("trackingId", e.tracking_id, true, 200) &&
        f.text("eventType", e.event_type, false, 100) &&
        f.text("timestamp", e.timestamp, false, 64) &&
        f.text("sessionId", e.session_id, false, 128) &&
        f.text("projectId", e.project_id, false, 128) && f.text("url", e.url) &&
        f.text("userAgent", e.user_agent) && f.metadata(e.metadata);
  }
  if (f.failed()) return f.error();
  return out;
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

}  // namespace

core::Result<SdkMessage> parse_sdk_message(std::string_view json, const MessageLimits& limits) {
  element root;
  auto err = thread_parser().parse(json.data(), json.size()).get(root);
  if (err != simdjson::SUCCESS) {
    return core::make_error("invalid_json", "message is not valid JSON (UTF-8 text)");
  }
  return parse_element(root, limits);
}

core::Result<std::vector<core::Result<SdkMessage>>> parse_sdk_batch(std::string_view json,
                                                                    const MessageLimits& limits) {
  element root;
  auto err = thread_parser().parse(json.data(), json.size()).get(root);
  if (err != simdjson::SUCCESS) {
    return core::make_error("invalid_json", "request body is not valid JSON (UTF-8 text)");
  }
  std::vector<core::Result<SdkMessage>> out;
  simdjson::dom::array arr;
  if (root.get(arr) == simdjson::SUCCESS) {
    if (arr.size() > limits.max_batch_messages) {
      return core::make_error(
          "too_many_messages",
          fmt::format("a request may carry at most {} messages", limits.max_batch_messages), 413);
    }
    if (arr.size() == 0) return core::make_error("empty_batch", "the array has no messages");
    out.reserve(arr.size());
    for (auto item : arr) out.push_back(parse_element(item, limits));
  } else if (root.type() == element_type::OBJECT) {
    out.push_back(parse_element(root, limits));
  } else {
    return core::make_error("invalid_message", "the body must be a JSON array of messages");
  }
  return out;
}

}  // namespace bklit::ingest
