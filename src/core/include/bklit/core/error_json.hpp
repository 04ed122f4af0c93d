#pragma once
// The one shape of every error a client reads (docs/api.md, "Errors"): a JSON object with
// "code" (stable, machine-readable) and "message" (a sentence a person can act on), plus
// "request_id" when the server logged the failure under that id. An HTTP error body is that
// object; a WebSocket error frame (SDK socket, live relay) is the same object with
// "type":"error" first; a rejected message of POST /api/track carries the same two fields.

#include <string>
#include <string_view>

namespace bklit::core {

// Appends `"code":...,"message":...` (and `,"request_id":...` when not empty) to an object
// being written, without braces.
void append_error_fields(std::string& out, std::string_view code, std::string_view message,
                         std::string_view request_id = {});

// {"code":...,"message":...[,"request_id":...]}
std::string error_json(std::string_view code, std::string_view message,
                       std::string_view request_id = {});

// {"type":"error","code":...,"message":...}
std::string error_frame(std::string_view code, std::string_view message);

}  // namespace bklit::core
