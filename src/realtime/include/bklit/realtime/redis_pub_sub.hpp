#pragma once
// PubSub over Redis pub/sub, for deployments of several processes: a message published by any
// process reaches the subscribers of every process connected to the same Redis and prefix.
//
// - Channels are named "<prefix>:<channel>" on Redis, so deployments can share one Redis.
// - publish() queues for a publisher thread (bounded), which PUBLISHes everything queued in one
//   pipelined round trip. While Redis is unreachable, publish() drops and counts (stats()
//   .dropped, healthy() false) and the thread retries with backoff; no message is kept for
//   later, since a live view has no use for old events.
// - One subscriber connection, on its own thread, SUBSCRIBEs each channel that has local
//   subscriptions (UNSUBSCRIBEs when the last one goes), hands messages to the local
//   dispatcher, and after a lost connection reconnects with backoff and subscribes again.
//   Messages published while it was disconnected are lost.

#include <memory>
#include <string>

#include "bklit/core/result.hpp"
#include "bklit/net/redis.hpp"
#include "bklit/realtime/pub_sub.hpp"

namespace bklit::realtime {

// Fails when Redis cannot be reached now (a misconfigured URL should stop a process at start,
// not show up later as an empty live view) or when `prefix` is empty.
core::Result<std::unique_ptr<PubSub>> open_redis_pub_sub(const net::RedisOptions& redis,
                                                         const std::string& prefix,
                                                         const PubSubOptions& options = {});

}  // namespace bklit::realtime
