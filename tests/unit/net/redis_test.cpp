// RedisConnection against a real redis-server, and parse_redis_url.
#include "bklit/net/redis.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "server_process.hpp"

namespace bklit::net {
namespace {

using testing::RedisServer;

RedisOptions options_for(const RedisServer& server) {
  auto parsed = parse_redis_url(server.url());
  EXPECT_TRUE(parsed.ok());
  RedisOptions options = *parsed;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.command_timeout = std::chrono::milliseconds(2000);
  return options;
}

TEST(ParseRedisUrl, HostOnlyUsesDefaults) {
  auto r = parse_redis_url("redis://cache.internal");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "cache.internal");
  EXPECT_EQ(r->port, 6379);
  EXPECT_EQ(r->db, 0);
  EXPECT_TRUE(r->username.empty());
  EXPECT_TRUE(r->password.empty());
}

TEST(ParseRedisUrl, FullForm) {
  auto r = parse_redis_url("redis://worker:s3cr%40t@10.0.0.5:6380/3");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->username, "worker");
  EXPECT_EQ(r->password, "s3cr@t");
  EXPECT_EQ(r->host, "10.0.0.5");
  EXPECT_EQ(r->port, 6380);
  EXPECT_EQ(r->db, 3);
}

TEST(ParseRedisUrl, PasswordWithoutUser) {
  auto r = parse_redis_url("redis://:pw@h");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->username.empty());
  EXPECT_EQ(r->password, "pw");
  auto shorthand = parse_redis_url("redis://pw@h:1/");
  ASSERT_TRUE(shorthand.ok());
  EXPECT_EQ(shorthand->password, "pw");
  EXPECT_EQ(shorthand->port, 1);
  EXPECT_EQ(shorthand->db, 0);
}

TEST(ParseRedisUrl, Ipv6Literal) {
  auto r = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "::1");
  EXPECT_EQ(r->port, 7000);
}

TEST(ParseRedisUrl, RejectsBadInput) {
  for (const char* url :
       {"http://h", "rediss://h", "redis://", "redis://h:", "redis://h:0", "redis://h:70000",
        "redis://h:12x", "redis://h/db", "redis://h/-1", "redis://[::1", "redis://:pw@:6379"}) {
    auto r = parse_redis_url(url);
    EXPECT_FALSE(r.ok()) << url;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "invalid_redis_url");
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(RedisConnection, CommandsAreBinarySafe) {
  RedisServer server;
  RedisConnection conn(options_for(server));
  std::string value("a\0b\r\nc", 6);
  auto set = conn.command({"SET", "k", value});
  EXPECT_EQ(set.type, RedisReply::Type::kStatus);
  EXPECT_EQ(set.str, "OK");
  auto get = conn.command({"GET", "k"});
  EXPECT_EQ(get.type, RedisReply::Type::kString);
  EXPECT_EQ(get.str, value);
  EXPECT_TRUE(conn.command({"GET", "missing"}).is_nil());
  auto incr = conn.command({"INCRBY", "n", "5"});
  EXPECT_EQ(incr.type, RedisReply::Type::kInteger);
  EXPECT_EQ(incr.integer, 5);
  auto err = conn.command({"INCR", "k"});
  EXPECT_TRUE(err.is_error());
  EXPECT_TRUE(conn.connected());  // an error reply is not a connection failure
}

TEST(RedisConnection, PipelineKeepsOrder) {
  RedisServer server;
  RedisConnection conn(options_for(server));
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 100; ++i) cmds.push_back({"RPUSH", "list", std::to_string(i)});
  cmds.push_back({"LRANGE", "list", "0", "-1"});
  cmds.push_back({"NOSUCHCOMMAND"});
  auto replies = conn.pipeline(cmds);
  ASSERT_EQ(replies.size(), 102U);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(replies[i].integer, i + 1);
  ASSERT_EQ(replies[100].type, RedisReply::Type::kArray);
  ASSERT_EQ(replies[100].elements.size(), 100U);
  EXPECT_EQ(replies[100].elements[42].str, "42");
  EXPECT_TRUE(replies[101].is_error());
}

TEST(RedisConnection, SelectsDatabaseAndAuthenticates) {
  RedisServer server;
  RedisConnection admin(options_for(server));
  ASSERT_EQ(admin.command({"CONFIG", "SET", "requirepass", "hunter2"}).str, "OK");

  RedisOptions bad = options_for(server);
  bad.password = "wrong";
  RedisConnection wrong(bad);
  EXPECT_THROW(wrong.command({"PING"}), RedisError);

  auto opts = parse_redis_url("redis://:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/2");
  ASSERT_TRUE(opts.ok());
  RedisConnection db2(*opts);
  ASSERT_EQ(db2.command({"SET", "where", "two"}).str, "OK");
  auto other =
      parse_redis_url("redis://default:hunter2@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(other.ok());
  RedisConnection db0(*other);
  EXPECT_TRUE(db0.command({"GET", "where"}).is_nil());
}

TEST(RedisConnection, ThrowsWhileDownAndReconnectsAfterRestart) {
  RedisServer server;
  RedisConnection conn(options_for(server));
  ASSERT_EQ(conn.command({"SET", "k", "v"}).str, "OK");
  server.stop();
  EXPECT_THROW(conn.command({"GET", "k"}), RedisError);
  EXPECT_FALSE(conn.connected());
  EXPECT_THROW(conn.command({"GET", "k"}), RedisError);  // connect refused
  server.start();
  auto get = conn.command({"GET", "k"});  // the call reconnected
  // Redis answers LOADING (an error reply, not a connection failure) while it replays AOF.
  for (int i = 0; i < 200 && get.is_error() && get.str.rfind("LOADING", 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    get = conn.command({"GET", "k"});
  }
  EXPECT_EQ(get.str, "v");  // AOF kept the key
}

TEST(RedisConnection, AConnectionTheServerClosedWhileIdleIsReplacedBeforeTheNextCommand) {
  // A restart between two commands must not cost the next command (a publisher would drop
  // it, the queue would answer an append with kFailed): the closed socket is noticed before
  // anything is sent on it.
  RedisServer server;
  RedisConnection conn(options_for(server));
  ASSERT_EQ(conn.command({"SET", "k", "v"}).str, "OK");
  server.restart();
  RedisReply get;
  ASSERT_NO_THROW(get = conn.command({"GET", "k"}));
  for (int i = 0; i < 200 && get.is_error() && get.str.rfind("LOADING", 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    get = conn.command({"GET", "k"});
  }
  EXPECT_EQ(get.str, "v");
  server.restart();
  std::vector<RedisReply> replies;
  ASSERT_NO_THROW(replies = conn.pipeline({{"PING"}, {"PING"}}));
  ASSERT_EQ(replies.size(), 2u);
}

TEST(RedisConnection, ReadPushWaitsForPubSubMessages) {
  RedisServer server;
  RedisConnection sub(options_for(server));
  RedisConnection pub(options_for(server));
  auto ack = sub.command({"SUBSCRIBE", "chan"});
  ASSERT_EQ(ack.type, RedisReply::Type::kArray);
  EXPECT_FALSE(sub.read_push(std::chrono::milliseconds(50)).has_value());
  EXPECT_EQ(pub.command({"PUBLISH", "chan", "one"}).integer, 1);
  EXPECT_EQ(pub.command({"PUBLISH", "chan", "two"}).integer, 1);
  auto first = sub.read_push(std::chrono::milliseconds(2000));
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->elements.size(), 3U);
  EXPECT_EQ(first->elements[0].str, "message");
  EXPECT_EQ(first->elements[2].str, "one");
  auto second = sub.read_push(std::chrono::milliseconds(2000));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->elements[2].str, "two");
  EXPECT_FALSE(sub.read_push(std::chrono::milliseconds(20)).has_value());
}

}  // namespace
}  // namespace bklit::net
