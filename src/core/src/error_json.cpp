#include "bklit/core/error_json.hpp"

#include "bklit/core/json.hpp"

namespace bklit::core {

void append_error_fields(std::string& out, std::string_view code, std::string_view message,
                         std::string_view request_id) {
  out += R"("code":)";
  append_json_string(out, code);
  out += R"(,"message":)";
  append_json_string(out, message);
  if (!request_id.empty()) {
    out += R"(,"request_id":)";
    append_json_string(out, request_id);
  }
}

std::string error_json(std::string_view code, std::string_view message,
                       std::string_view request_id) {
  std::string out = "{";
  append_error_fields(out, code, message, request_id);
  out.push_back('}');
  return out;
}

std::string error_frame(std::string_view code, std::string_view message) {
  std::string out = R"({"type":"error",)";
  append_error_fields(out, code, message);
  out.push_back('}');
  return out;
}

}  // namespace bklit::core
