#pragma once
// A lean WebSocket client (RFC 6455) for the load generator's SDK sockets.
//
// Why not Beast's websocket stream, as before 2026-12-08: on the persistent shape the
// loadgen shares the two cores with the server, and Beast's per-message asynchronous write
// and read, its buffers and its per-frame mask generation cost the loadgen ~3 µs of CPU per
// message, CPU the server then did not get (bench/README.md, "A leaner load generator").
// What goes on the wire is unchanged: every message is its own masked text frame, sent with
// its own write() as a browser does (frames coalesce only when the socket buffer is full),
// and the upgrade carries the same headers.
//
// One connection lives on one thread (the loadgen's io_context per thread), so nothing here
// is synchronized.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bklit::loadgen {

class WsClient : public std::enable_shared_from_this<WsClient> {
 public:
  using Header = std::pair<std::string_view, std::string_view>;

  // Held by a shared_ptr: its timers and its writer keep it alive while they run.
  explicit WsClient(const boost::asio::any_io_executor& ex);

  // TCP connect (5 s limit), then the HTTP upgrade of `target` with `headers` (10 s limit).
  // Returns "" on success, else what failed ("connect_failed" or "handshake_failed").
  boost::asio::awaitable<std::string> open(
      const boost::asio::ip::tcp::resolver::results_type& endpoints, std::string_view host_header,
      std::string_view target, const std::vector<Header>& headers);

  // Sends `payload` as one masked text frame: written at once when the socket takes it,
  // else queued behind what is already waiting (in order). False once the connection is
  // gone.
  bool send_text(std::string_view payload);

  // Reads until the connection ends, calling `on_text` for every text message and
  // answering pings. Returns the server's close code, or 0 when the connection ended
  // without a close frame (reset, EOF, or our own close after a timeout).
  boost::asio::awaitable<std::uint16_t> read_loop(std::function<void(std::string_view)> on_text);

  // Sends a close frame (1000) and gives the server 5 s to answer before the socket is
  // closed; read_loop then ends.
  void close();

  bool open_now() const { return open_; }

 private:
  void write_frame(std::uint8_t opcode, std::string_view payload);
  boost::asio::awaitable<void> write_pending();
  void lost();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;  // connect, handshake and close deadlines
  std::vector<char> in_;             // received bytes not yet handled
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::string frame_;    // the frame being written
  std::string pending_;  // frames the socket did not take yet
  std::string message_;  // a fragmented message being assembled
  bool writing_ = false;
  bool open_ = false;
  bool close_sent_ = false;
  std::uint64_t mask_state_;
};

}  // namespace bklit::loadgen
