#pragma once
// The consumer's durable position: file "ack" in the log directory, replaced atomically
// (write "ack.tmp", fdatasync, rename, fsync the directory), so a crash leaves either the
// old or the new position. Content: u64 acked seq, u32 CRC-32C of those 8 bytes, u32 magic.

#include <cstdint>

#include "bklit/core/result.hpp"

namespace bklit::queue::local_log {

// 0 when no ack file exists yet; an error when it exists but is damaged.
core::Result<std::uint64_t> read_ack_file(int dir_fd);

core::Status write_ack_file(int dir_fd, std::uint64_t acked_seq);

}  // namespace bklit::queue::local_log
