#pragma once
// The local log's dead letters: the file "dead-letters" in the queue directory, a sequence
// of CRC-32C frames (record_format.hpp) whose seq is the record's and whose payload is
//
//   i64 time_ms | u32 shard | u32 record size | u16 reason length | reason | record bytes
//
// (little-endian; the record bytes are cut when the record is close to kMaxPayloadBytes).
// Each append is one write and one fdatasync. Readers, also another process while the log is
// open (`bklit admin dead-letters`), stop at the first incomplete or damaged frame, which
// can only be the tail of a write a crash interrupted; the next append overwrites it.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/queue/event_queue.hpp"
#include "local_log/file_util.hpp"

namespace bklit::queue::local_log {

inline constexpr const char* kDeadLetterFileName = "dead-letters";

class DeadLetterFile {
 public:
  explicit DeadLetterFile(int dir_fd) : dir_fd_(dir_fd) {}

  // Appends every letter (time_ms and size are taken as given) and syncs them.
  core::Status append(const std::vector<DeadLetter>& letters);

 private:
  core::Status open_for_append();

  int dir_fd_;
  UniqueFd fd_;
  off_t end_ = 0;  // end of the last intact frame
};

// The newest `limit` dead letters in the directory `dir_fd`, oldest first, each seq once
// (the first time it was stored). None when the file does not exist.
core::Result<std::vector<DeadLetter>> read_dead_letter_file(int dir_fd, std::size_t limit);

}  // namespace bklit::queue::local_log
