// GET /readyz and GET /healthz as a load balancer or an operator reads them.
#include "bklit/api/readiness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "../pipeline/fake_queue.hpp"
#include "../pipeline/fake_sink.hpp"
#include "../pipeline/test_events.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/pipeline/worker.hpp"
#include "bklit/queue/local_log.hpp"
#include "temp_dir.hpp"

namespace bklit::api {
namespace {

boost::json::object parse(const std::string& body) { return boost::json::parse(body).as_object(); }

// Sends one request through the routes and waits for the answer.
net::HttpResponse get(const net::Router& router, const std::string& path) {
  net::HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.target = path;
  std::promise<net::HttpResponse> answer;
  router.handle(std::move(request),
                [&answer](net::HttpResponse res) { answer.set_value(std::move(res)); });
  return answer.get_future().get();
}

TEST(Readiness, AnIngestReportsItsQueueOnly) {
  bklit::testing::TempDir dir;
  queue::LocalLogOptions options;
  options.dir = dir.file("queue");
  auto queue = queue::open_local_log(options);
  ASSERT_TRUE(queue.ok()) << queue.error().message;

  auto readiness = check_readiness({"ingest", queue->get(), nullptr, nullptr, nullptr});
  EXPECT_TRUE(readiness.ready);
  auto doc = parse(readiness.body);
  EXPECT_EQ(doc.at("status").as_string(), "ready");
  EXPECT_EQ(doc.at("role").as_string(), "ingest");
  EXPECT_TRUE(doc.at("queue").as_bool());
  EXPECT_EQ(doc.at("queue_damaged_records").to_number<std::uint64_t>(), 0U);
  EXPECT_FALSE(doc.contains("store"));
  EXPECT_FALSE(doc.contains("worker"));

  // A closed queue accepts no appends: the process must leave the load balancer.
  (*queue)->close();
  readiness = check_readiness({"ingest", queue->get(), nullptr, nullptr, nullptr});
  EXPECT_FALSE(readiness.ready);
  doc = parse(readiness.body);
  EXPECT_EQ(doc.at("status").as_string(), "not_ready");
  EXPECT_FALSE(doc.at("queue").as_bool());
}

TEST(Readiness, AWorkerReportsWhatItWrote) {
  pipeline::testing::FakeQueue queue;
  pipeline::testing::FakeSink sink;
  pipeline::WorkerOptions options;
  options.batch_max_wait = std::chrono::milliseconds(20);
  pipeline::Worker worker(queue, sink, options);
  queue.push(0, core::encode_event(pipeline::testing::pageview(pipeline::testing::kSid,
                                                               pipeline::testing::kT0, "/")));
  worker.start();
  ASSERT_TRUE(pipeline::testing::eventually([&] { return worker.stats().batches > 0; }));

  auto readiness = check_readiness({"worker", &queue, nullptr, &worker, nullptr});
  worker.stop();
  EXPECT_TRUE(readiness.ready);
  auto doc = parse(readiness.body);
  EXPECT_EQ(doc.at("role").as_string(), "worker");
  EXPECT_TRUE(doc.at("worker").as_bool());
  EXPECT_EQ(doc.at("events_written").to_number<std::uint64_t>(), 1U);
  EXPECT_GE(doc.at("batches").to_number<std::uint64_t>(), 1U);
  EXPECT_EQ(doc.at("rejected_events").to_number<std::uint64_t>(), 0U);
  EXPECT_EQ(doc.at("rejected_sessions").to_number<std::uint64_t>(), 0U);
  EXPECT_EQ(doc.at("retrying_since_ms").to_number<std::int64_t>(), 0);
  EXPECT_EQ(doc.at("retrying_attempts").to_number<std::uint64_t>(), 0U);
  EXPECT_EQ(doc.at("retrying_call").as_string(), "");
}

TEST(Readiness, AWorkerStuckOnAFailingStoreShowsSince) {
  pipeline::testing::FakeQueue queue;
  pipeline::testing::FakeSink sink;
  sink.fail_next(1'000'000, "write_events");
  pipeline::WorkerOptions options;
  options.batch_max_wait = std::chrono::milliseconds(20);
  options.retry_min = std::chrono::milliseconds(1);
  options.retry_max = std::chrono::milliseconds(2);
  pipeline::Worker worker(queue, sink, options);
  queue.push(0, core::encode_event(pipeline::testing::pageview(pipeline::testing::kSid,
                                                               pipeline::testing::kT0, "/")));
  const std::int64_t before = core::now_ms();
  worker.start();
  ASSERT_TRUE(pipeline::testing::eventually([&] { return worker.stats().retrying_attempts >= 3; }));
  auto readiness = check_readiness({"worker", &queue, nullptr, &worker, nullptr});
  worker.stop();
  // Still ready (the process runs; a store outage is the store's part), but visibly stuck.
  EXPECT_TRUE(readiness.ready);
  auto doc = parse(readiness.body);
  EXPECT_GE(doc.at("retrying_since_ms").to_number<std::int64_t>(), before);
  EXPECT_GE(doc.at("retrying_attempts").to_number<std::uint64_t>(), 3U);
  EXPECT_EQ(doc.at("retrying_call").as_string(), "write_events");
  EXPECT_GE(doc.at("unstored_since_ms").to_number<std::int64_t>(), before);
  EXPECT_EQ(doc.at("events_written").to_number<std::uint64_t>(), 0U);
}

TEST(HealthRoutes, ReadyzAnswers503WhileAPartIsDown) {
  bklit::testing::TempDir dir;
  queue::LocalLogOptions options;
  options.dir = dir.file("queue");
  auto queue = queue::open_local_log(options);
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  core::ThreadPool blocking(1, 8);
  ReadinessDeps deps{"serve", queue->get(), nullptr, nullptr, &blocking};
  net::Router router;
  add_health_routes(router, deps);

  auto healthz = get(router, "/healthz");
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(parse(healthz.body).at("status").as_string(), "ok");

  auto ready = get(router, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(parse(ready.body).at("status").as_string(), "ready");

  (*queue)->close();
  auto not_ready = get(router, "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(parse(not_ready.body).at("status").as_string(), "not_ready");
  blocking.shutdown();
}

}  // namespace
}  // namespace bklit::api
