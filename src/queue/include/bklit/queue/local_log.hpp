#pragma once
// The embedded EventQueue: a durable log of segment files in one local directory.
//
// Layout of `dir`: LOCK (flock'd while open, so a second process or a second open in this
// process is refused), segment files "<first seq, 20 digits>.log" of CRC-32C framed records,
// and "ack" (the consumer's durable position).
//
// Durability: append() hands the payloads to a writer thread, which writes everything
// pending as one write() and one fdatasync(), then runs the callbacks in append order.
// Appends that arrive while an fdatasync runs share the next one (group commit without a
// timer: the batch grows with the load). group_commit_window adds an optional wait before
// each write, ended early once about 1 MiB is pending. It is 0 here; the server's setting
// `queue_group_commit_us` defaults to 1 ms, measured better where fdatasync takes ~0.3 ms
// and worse where it takes milliseconds (docs/architecture.md, bench/README.md "Group
// commit, batch wait"). A segment is fdatasync'ed before the next one is created, and the
// directory is fsync'ed after each creation.
//
// Recovery policy at open (docs/records.md, "Damaged records in the local log"):
// - The last segment may end in a torn write (crash or power loss mid-batch): from its first
//   partial, CRC-failing or out-of-sequence frame that no intact record follows, everything
//   is truncated, with a warning. Those bytes were never reported kDurable unless the disk
//   itself lost synced data.
// - A damaged stretch that intact records follow (in any segment), or that runs to the end
//   of an older segment (all of which were fully synced, so the next segment's name says
//   where its records end), is disk damage: open logs it as an error and keeps going. The
//   records in it are lost; the consumer sets them aside when it reaches them (below).
// - A damaged ack file, a missing segment or a gap between segments (records missing without
//   any bytes) makes open fail with code "queue_corrupt" naming the file: an operator must
//   repair or move the file.
// - When poll() reads a damaged stretch back from disk (found at open, or damaged since),
//   the damaged bytes go to the dead letters with the lost seqs and the reason, durably, and
//   delivery goes on with the next intact record; damaged_records() counts the lost records.
//   Until the dead letter is stored, delivery waits at the damage (it retries on later polls).

// Consumer model: one logical consumer (the worker). poll() hands out each record once per
// process lifetime; ack(0, seq) durably records that every record up to seq is processed
// (clamped to what poll has handed out) and deletes segments whose records are all acked.
// After a restart, poll starts right after the last durable ack (at-least-once delivery).
//
// Dead letters: dead_letter() (and the set-aside of damaged records) appends to the file
// "dead-letters" in `dir` and syncs it before returning; they stay there until an operator
// deletes the file (while the log is closed).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/queue/event_queue.hpp"

namespace bklit::queue {

struct LocalLogOptions {
  std::string dir;
  std::size_t segment_bytes = std::size_t{64} << 20U;
  std::chrono::microseconds group_commit_window{0};
  // Appended but not yet acked bytes (frames included) above which append() answers
  // kOverloaded and stores nothing.
  std::uint64_t max_backlog_bytes = std::uint64_t{4} << 30U;
  // false skips fdatasync (tests and benchmarks only: a crash may then lose acked records).
  bool fsync = true;
  // Appended bytes waiting for the writer thread above which append() answers kOverloaded
  // (bounds memory when the disk stalls).
  std::size_t max_pending_bytes = std::size_t{64} << 20U;
  // Recently written records kept in memory so poll() rarely reads the disk.
  std::size_t max_memory_tail_bytes = std::size_t{32} << 20U;
};

// Opens (creating if needed) the log in options.dir and recovers it. Errors: "queue_dir"
// (cannot create or open the directory, e.g. it is a file), "queue_locked" (already open),
// "queue_corrupt" (see the recovery policy above), "queue_io", "invalid_options".
core::Result<std::unique_ptr<EventQueue>> open_local_log(const LocalLogOptions& options);

// The newest `limit` dead letters of the log in `dir`, oldest first, read without opening
// the log (so also while a server has it open). Errors: "queue_dir" (no such directory),
// "queue_io".
core::Result<std::vector<DeadLetter>> read_local_log_dead_letters(const std::string& dir,
                                                                  std::size_t limit);

}  // namespace bklit::queue
