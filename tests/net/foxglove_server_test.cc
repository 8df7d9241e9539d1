// The Foxglove WebSocket server and the twin's bridge onto it, checked from the wire: a small
// WebSocket client written here on a blocking socket (so the frames are checked against the
// protocol spec, not against websocketpp's own reading of it, and a client can stop reading at
// will), and an outside client: tests/net/interop/foxglove_client.mjs with @foxglove/ws-protocol,
// `ws` and protobufjs (npm ci --prefix tests/net/interop), decoding from the advertised schemas.
#include "core/net/foxglove_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <google/protobuf/descriptor.pb.h>

#include "core/live/state_hub.h"
#include "core/net/foxglove_bridge.h"
#include "replay/telemetry_writer.h"
#include "tests/support/interop.h"
#include "twin/live.pb.h"
#include "twin/telemetry.pb.h"

namespace twin {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSubprotocol = "foxglove.websocket.v1";
constexpr milliseconds kWait{2000};  // longest wait for something that should come at once

bool wait_until(const std::function<bool()>& done, milliseconds timeout = kWait) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

std::string base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t bits = 0;
  int n_bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding
    bits = (bits << 6) | static_cast<uint32_t>(v);
    n_bits += 6;
    if (n_bits >= 8) {
      n_bits -= 8;
      out.push_back(static_cast<char>((bits >> n_bits) & 0xFF));
    }
  }
  return out;
}

uint64_t get_le(std::string_view bytes, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  }
  return v;
}

struct Frame {
  uint8_t opcode = 0;  // 1 text, 2 binary, 8 close
  std::string payload;
};

// A decoded MessageData frame.
struct MessageData {
  uint32_t subscription = 0;
  uint64_t timestamp_ns = 0;
  std::string payload;
};

std::optional<MessageData> message_data(const Frame& frame) {
  if (frame.opcode != 2 || frame.payload.size() < 13 || frame.payload[0] != 0x01) {
    return std::nullopt;
  }
  MessageData m;
  m.subscription = static_cast<uint32_t>(get_le(frame.payload, 1, 4));
  m.timestamp_ns = get_le(frame.payload, 5, 8);
  m.payload = frame.payload.substr(13);
  return m;
}

// A WebSocket client on a blocking socket, enough of RFC 6455 for these tests: one handshake,
// masked frames out, unfragmented frames in.
class TestClient {
 public:
  TestClient() = default;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  ~TestClient() { close_socket(); }

  // Connects and sends the opening handshake offering `protocol` ("" offers none). `rcvbuf`
  // [bytes] > 0 shrinks the socket's receive buffer (a client that stalls then stalls sooner).
  // Returns whether the server answered 101 Switching Protocols.
  bool connect(uint16_t port, const std::string& protocol = kSubprotocol, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    const int one = 1;  // requests go out at once, not held back by Nagle's algorithm
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return false;
    }
    std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:";
    request.append(std::to_string(port))
        .append(
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    if (!protocol.empty()) request.append("Sec-WebSocket-Protocol: ").append(protocol + "\r\n");
    request.append("\r\n");
    if (!write_all(request)) return false;
    const auto deadline = Clock::now() + kWait;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return false;
    }
    response_ = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    return response_.rfind("HTTP/1.1 101", 0) == 0;
  }

  const std::string& response() const { return response_; }

  bool send_text(std::string_view text) { return send_frame(0x1, text); }
  bool send_binary(std::string_view bytes) { return send_frame(0x2, bytes); }

  // The next frame, or nothing on timeout, end of stream or error.
  std::optional<Frame> read(milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    if (!need(2, deadline)) return std::nullopt;
    Frame frame;
    frame.opcode = static_cast<uint8_t>(buffer_[0]) & 0x0F;
    uint64_t length = static_cast<uint8_t>(buffer_[1]) & 0x7F;
    size_t header = 2;
    if (length >= 126) {
      const size_t n = length == 126 ? 2 : 8;
      if (!need(2 + n, deadline)) return std::nullopt;
      length = 0;
      for (size_t i = 0; i < n; ++i) length = (length << 8) | static_cast<uint8_t>(buffer_[2 + i]);
      header += n;
    }
    if (!need(header + length, deadline)) return std::nullopt;
    frame.payload = buffer_.substr(header, length);
    buffer_.erase(0, header + length);
    return frame;
  }

  // The next text message with op `op`, skipping others (binary ones included).
  std::optional<json> read_op(const std::string& op, milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const auto frame = read(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      if (!frame) return std::nullopt;
      if (frame->opcode != 1) continue;
      json j = json::parse(frame->payload, nullptr, false);
      if (j.is_object() && j.value("op", "") == op) return j;
    }
    return std::nullopt;
  }

  // The next MessageData frame, skipping text messages.
  std::optional<MessageData> read_message(milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const auto frame = read(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      if (!frame) return std::nullopt;
      if (frame->opcode == 2) return message_data(*frame);
    }
    return std::nullopt;
  }

  // Requests are handled in order: once the status answering a request that is always bad
  // arrives, every request sent before it has been handled.
  bool sync() { return send_text("{}") && read_op("status").has_value(); }

  // Reads the serverInfo and the first advertise.
  bool read_greeting() { return read_op("serverInfo") && read_op("advertise"); }

  void close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool send_frame(uint8_t opcode, std::string_view payload) {
    // Clients must mask; a fixed key is as valid as a random one and keeps runs identical.
    const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string frame;
    frame.push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
      frame.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xFFFF) {  // the shortest length form is mandatory
      frame.push_back(static_cast<char>(0x80 | 126));
      frame.push_back(static_cast<char>(payload.size() >> 8));
      frame.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
      frame.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i) {
        frame.push_back(static_cast<char>((uint64_t{payload.size()} >> (8 * i)) & 0xFF));
      }
    }
    for (uint8_t k : key) frame.push_back(static_cast<char>(k));
    for (size_t i = 0; i < payload.size(); ++i) {
      frame.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i % 4]));
    }
    return write_all(frame);
  }

  bool fill(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  bool need(uint64_t n, Clock::time_point deadline) {
    while (buffer_.size() < n) {
      if (!fill(deadline)) return false;
    }
    return true;
  }

  int fd_ = -1;
  std::string buffer_;    // received, not yet parsed
  std::string response_;  // the handshake response
};

FoxgloveServer::Options test_options() {
  FoxgloveServer::Options options;
  options.listen = Endpoint{"127.0.0.1", 0};
  options.name = "twin-test";
  return options;
}

std::string subscribe_request(const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
  json list = json::array();
  for (const auto& [id, channel] : pairs) list.push_back({{"id", id}, {"channelId", channel}});
  return json{{"op", "subscribe"}, {"subscriptions", list}}.dump();
}

TEST(FoxgloveServer, GreetsWithServerInfoAndAdvertisesChannels) {
  FoxgloveServer server(test_options());
  const std::string kpis_schema = descriptor_set_of(live::Kpis::descriptor());
  const uint32_t kpis = server.add_channel("/a", "twin.live.Kpis", kpis_schema);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  ASSERT_NE(server.port(), 0);

  TestClient client;
  ASSERT_TRUE(client.connect(server.port())) << client.response();
  EXPECT_NE(client.response().find(std::string("Sec-WebSocket-Protocol: ") + kSubprotocol),
            std::string::npos)
      << client.response();
  const auto info = client.read_op("serverInfo");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->value("name", ""), "twin-test");
  EXPECT_TRUE(info->at("capabilities").is_array());

  const auto advertise = client.read_op("advertise");
  ASSERT_TRUE(advertise);
  ASSERT_EQ(advertise->at("channels").size(), 1u);
  const json& channel = advertise->at("channels")[0];
  EXPECT_EQ(channel.at("id").get<uint32_t>(), kpis);
  EXPECT_EQ(channel.at("topic"), "/a");
  EXPECT_EQ(channel.at("encoding"), "protobuf");
  EXPECT_EQ(channel.at("schemaEncoding"), "protobuf");
  EXPECT_EQ(channel.at("schemaName"), "twin.live.Kpis");
  const std::string schema = base64_decode(channel.at("schema").get<std::string>());
  EXPECT_TRUE(schema == kpis_schema);
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(schema));
  bool has_live = false;
  for (const auto& file : set.file()) has_live = has_live || file.name() == "twin/live.proto";
  EXPECT_TRUE(has_live);

  // A channel added later reaches the clients already connected.
  const uint32_t later = server.add_channel("/b", "twin.telemetry.Alarm",
                                            descriptor_set_of(telemetry::Alarm::descriptor()));
  EXPECT_NE(later, kpis);
  const auto more = client.read_op("advertise");
  ASSERT_TRUE(more);
  ASSERT_EQ(more->at("channels").size(), 1u);
  EXPECT_EQ(more->at("channels")[0].at("id").get<uint32_t>(), later);
  EXPECT_EQ(more->at("channels")[0].at("topic"), "/b");

  // And a client connecting now sees both at once.
  TestClient second;
  ASSERT_TRUE(second.connect(server.port()));
  ASSERT_TRUE(second.read_op("serverInfo"));
  const auto both = second.read_op("advertise");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->at("channels").size(), 2u);
  EXPECT_TRUE(wait_until([&] { return server.counters().clients == 2; }));
  EXPECT_EQ(server.counters().clients_total, 2u);
}

TEST(FoxgloveServer, RefusesClientsWithoutTheSubprotocol) {
  FoxgloveServer server(test_options());
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  TestClient stranger;
  EXPECT_FALSE(stranger.connect(server.port(), ""));
  EXPECT_FALSE(stranger.response().empty());
  EXPECT_EQ(server.counters().bad_requests, 1u);
  EXPECT_EQ(server.counters().clients_total, 0u);
  TestClient client;
  EXPECT_TRUE(client.connect(server.port()));
}

TEST(FoxgloveServer, PortZeroPicksAFreePortAndABusyPortFails) {
  FoxgloveServer first(test_options());
  std::string error;
  ASSERT_TRUE(first.start(&error)) << error;
  ASSERT_NE(first.port(), 0);
  FoxgloveServer::Options options = test_options();
  options.listen.port = first.port();
  FoxgloveServer second(options);
  EXPECT_FALSE(second.start(&error));
  EXPECT_NE(error.find(std::to_string(first.port())), std::string::npos) << error;
  EXPECT_FALSE(first.start(&error)) << "started twice";
}

TEST(FoxgloveServer, SubscribersReceiveMessageDataWithTheirSubscriptionIds) {
  FoxgloveServer server(test_options());
  const std::string schema = descriptor_set_of(live::Kpis::descriptor());
  const uint32_t a = server.add_channel("/a", "twin.live.Kpis", schema);
  const uint32_t b = server.add_channel("/b", "twin.live.Kpis", schema);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;

  TestClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.read_greeting());
  TestClient bystander;  // connected, subscribed to nothing
  ASSERT_TRUE(bystander.connect(server.port()));
  ASSERT_TRUE(bystander.read_greeting());
  EXPECT_FALSE(server.has_subscribers(a));
  ASSERT_TRUE(client.send_text(subscribe_request({{7, a}, {9, b}})));
  ASSERT_TRUE(client.sync());
  EXPECT_TRUE(server.has_subscribers(a));
  EXPECT_TRUE(server.has_subscribers(b));

  const int64_t t1 = 1'700'000'000'123'456'789;
  ASSERT_TRUE(server.publish(a, t1, "first"));
  ASSERT_TRUE(server.publish(b, t1 + 1, std::string("\0\1\2", 3)));
  ASSERT_TRUE(server.publish(a, t1 + 2, ""));
  const auto m1 = client.read_message();
  const auto m2 = client.read_message();
  const auto m3 = client.read_message();
  ASSERT_TRUE(m1 && m2 && m3);
  EXPECT_EQ(m1->subscription, 7u);
  EXPECT_EQ(m1->timestamp_ns, static_cast<uint64_t>(t1));
  EXPECT_EQ(m1->payload, "first");
  EXPECT_EQ(m2->subscription, 9u);
  EXPECT_EQ(m2->timestamp_ns, static_cast<uint64_t>(t1 + 1));
  EXPECT_EQ(m2->payload, std::string("\0\1\2", 3));
  EXPECT_EQ(m3->subscription, 7u);
  EXPECT_EQ(m3->payload, "");

  // After unsubscribing from /a only /b's messages arrive.
  ASSERT_TRUE(client.send_text(R"({"op":"unsubscribe","subscriptionIds":[7]})"));
  ASSERT_TRUE(client.sync());
  EXPECT_FALSE(server.has_subscribers(a));
  ASSERT_TRUE(server.publish(a, t1 + 3, "not for you"));
  ASSERT_TRUE(server.publish(b, t1 + 4, "last"));
  const auto m4 = client.read_message();
  ASSERT_TRUE(m4);
  EXPECT_EQ(m4->subscription, 9u);
  EXPECT_EQ(m4->payload, "last");

  // The subscription id may be reused once free.
  ASSERT_TRUE(client.send_text(subscribe_request({{7, a}})));
  ASSERT_TRUE(client.sync());
  ASSERT_TRUE(server.publish(a, t1 + 5, "again"));
  const auto m5 = client.read_message();
  ASSERT_TRUE(m5);
  EXPECT_EQ(m5->subscription, 7u);
  EXPECT_EQ(m5->payload, "again");

  EXPECT_FALSE(bystander.read_message(milliseconds(50)));
  EXPECT_EQ(server.counters().messages_sent, 5u);
  EXPECT_EQ(server.counters().dropped, 0u);
}

TEST(FoxgloveServer, BadRequestsGetAStatusAndServingGoesOn) {
  FoxgloveServer server(test_options());
  const std::string schema = descriptor_set_of(live::Kpis::descriptor());
  const uint32_t a = server.add_channel("/a", "twin.live.Kpis", schema);
  const uint32_t b = server.add_channel("/b", "twin.live.Kpis", schema);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  TestClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.read_greeting());
  ASSERT_TRUE(client.send_text(subscribe_request({{1, a}})));

  struct Case {
    std::string request;  // text sent (binary when it starts with \x01)
    int level;            // expected status level: 1 warning, 2 error
  };
  const std::vector<Case> cases = {
      {"this is not json", 2},
      {"[1, 2, 3]", 2},
      {R"({"op": 5})", 2},
      {R"({"op": "getParameters", "parameterNames": []})", 1},
      {R"({"op": "subscribe"})", 2},
      {R"({"op": "subscribe", "subscriptions": [{"id": 2, "channelId": 999}]})", 2},
      {R"({"op": "subscribe", "subscriptions": [{"id": -1, "channelId": 1}]})", 2},
      {R"({"op": "subscribe", "subscriptions": [{"id": 2.5, "channelId": 1}]})", 2},
      {R"({"op": "subscribe", "subscriptions": [{"id": 4294967296, "channelId": 1}]})", 2},
      {R"({"op": "subscribe", "subscriptions": ["x"]})", 2},
      {subscribe_request({{1, b}}), 2},  // subscription id in use
      {subscribe_request({{3, a}}), 2},  // channel already subscribed
      {R"({"op": "unsubscribe", "subscriptionIds": [42]})", 1},
      {R"({"op": "unsubscribe", "subscriptionIds": "all"})", 2},
      {"\x01\x01\x00\x00\x00data", 2},
  };
  for (const Case& c : cases) {
    const bool binary = c.request[0] == '\x01';
    ASSERT_TRUE(binary ? client.send_binary(c.request) : client.send_text(c.request));
    const auto status = client.read_op("status");
    ASSERT_TRUE(status) << c.request;
    EXPECT_EQ(status->value("level", -1), c.level) << c.request << " -> " << status->dump();
    EXPECT_FALSE(status->value("message", "").empty());
  }
  EXPECT_EQ(server.counters().bad_requests, cases.size());

  // Still serving, the first subscription intact.
  ASSERT_TRUE(server.publish(a, 5, "ok"));
  const auto m = client.read_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->subscription, 1u);
  EXPECT_EQ(m->payload, "ok");
  TestClient another;
  EXPECT_TRUE(another.connect(server.port()));
  EXPECT_TRUE(another.read_greeting());
}

// Publishes `n` messages of `size` bytes on `channel`, each starting with its index, pacing
// itself on `received` (at most `window` messages ahead of the fast client). Returns the longest
// single publish() call.
Clock::duration publish_paced(FoxgloveServer& server, uint32_t channel, uint32_t n, size_t size,
                              const std::atomic<uint32_t>& received, uint32_t window) {
  std::string payload(size, 'x');
  Clock::duration longest{};
  for (uint32_t i = 0; i < n; ++i) {
    if (!wait_until([&] { return received.load() + window > i; })) break;
    std::memcpy(payload.data(), &i, sizeof i);
    const auto t0 = Clock::now();
    server.publish(channel, i, payload);
    longest = std::max(longest, Clock::now() - t0);
  }
  return longest;
}

TEST(FoxgloveServer, StalledClientLosesMessagesWhileOthersReceiveEverything) {
  FoxgloveServer::Options options = test_options();
  options.max_client_backlog_bytes = 256 << 10;
  FoxgloveServer server(options);
  const uint32_t channel =
      server.add_channel("/bulk", "twin.live.Kpis", descriptor_set_of(live::Kpis::descriptor()));
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;

  TestClient stalled;
  ASSERT_TRUE(stalled.connect(server.port(), kSubprotocol, /*rcvbuf=*/4096));
  ASSERT_TRUE(stalled.read_greeting());
  ASSERT_TRUE(stalled.send_text(subscribe_request({{1, channel}})));
  ASSERT_TRUE(stalled.sync());  // and from now on it never reads

  TestClient fast;
  ASSERT_TRUE(fast.connect(server.port()));
  ASSERT_TRUE(fast.read_greeting());
  ASSERT_TRUE(fast.send_text(subscribe_request({{2, channel}})));
  ASSERT_TRUE(fast.sync());

  // 1200 x 16 KiB = 19 MiB, far beyond what the stalled client's socket buffers absorb; the fast
  // client is kept within 8 messages (128 KiB < the bound), so it must lose nothing.
  constexpr uint32_t kMessages = 1200;
  constexpr size_t kSize = 16 << 10;
  std::atomic<uint32_t> received{0};
  std::atomic<bool> in_order{true};
  std::thread reader([&] {
    for (uint32_t i = 0; i < kMessages; ++i) {
      const auto m = fast.read_message();
      if (!m) break;
      uint32_t index = 0;
      std::memcpy(&index, m->payload.data(), sizeof index);
      if (index != i || m->subscription != 2 || m->payload.size() != kSize) in_order = false;
      received = i + 1;
    }
  });
  const auto longest = publish_paced(server, channel, kMessages, kSize, received, 8);
  reader.join();

  EXPECT_EQ(received.load(), kMessages);
  EXPECT_TRUE(in_order.load());
  // Every message went to the fast client or was dropped for the stalled one (the server thread
  // may still be on the stalled client's turn of the last message).
  EXPECT_TRUE(wait_until([&] {
    const auto c = server.counters();
    return c.messages_sent + c.dropped == 2 * uint64_t{kMessages};
  })) << server.counters().messages_sent
      << " sent, " << server.counters().dropped << " dropped";
  EXPECT_GT(server.counters().dropped, 0u);
  EXPECT_LT(longest, milliseconds(100)) << "publish() waited on a client";

  const auto t0 = Clock::now();
  server.stop();
  EXPECT_LT(Clock::now() - t0, milliseconds(1000));
}

TEST(FoxgloveServer, StopWithClientsConnectedIsPrompt) {
  FoxgloveServer::Options options = test_options();
  options.max_client_backlog_bytes = 64 << 10;
  FoxgloveServer server(options);
  const uint32_t channel =
      server.add_channel("/bulk", "twin.live.Kpis", descriptor_set_of(live::Kpis::descriptor()));
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  TestClient polite;
  ASSERT_TRUE(polite.connect(server.port()));
  ASSERT_TRUE(polite.read_greeting());
  TestClient stalled;
  ASSERT_TRUE(stalled.connect(server.port(), kSubprotocol, 4096));
  ASSERT_TRUE(stalled.read_greeting());
  ASSERT_TRUE(stalled.send_text(subscribe_request({{1, channel}})));
  ASSERT_TRUE(stalled.sync());
  {
    // A TCP connection that never sends its handshake.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    std::this_thread::sleep_for(milliseconds(20));
    // Fill the stalled client's buffers until the server drops for it.
    const std::string payload(64 << 10, 'y');
    ASSERT_TRUE(wait_until([&] {
      server.publish(channel, 1, payload);
      return server.counters().dropped > 0;
    }));
    const auto t0 = Clock::now();
    server.stop();
    EXPECT_LT(Clock::now() - t0, milliseconds(1000));
    ::close(fd);
  }
  // The polite client was told: a close frame (or the end of the stream).
  const auto frame = polite.read(milliseconds(500));
  if (frame) {
    EXPECT_EQ(frame->opcode, 8);
  }
  EXPECT_EQ(server.counters().clients, 0u);
  EXPECT_FALSE(server.publish(channel, 2, "after stop"));
}

// ---- The bridge ------------------------------------------------------------------------------

live::TagValue* add_tag(live::StateChange& change, const std::string& machine,
                        const std::string& tag, int64_t time_ns, double value) {
  live::TagValue* t = change.add_tags();
  t->set_machine(machine);
  t->set_tag(tag);
  t->set_time_ns(time_ns);
  t->set_value(value);
  t->set_unit(tag == "temperature" ? "degC" : "A");
  return t;
}

// The i-th change of the bridge tests: tags of M1 and M2 every time (and of an unlisted
// machine), a mode change of M2 on even i, two alarms on i == 1, KPIs on i == 2.
live::StateChange known_change(uint64_t i) {
  live::StateChange c;
  c.set_seq(i);
  const int64_t t = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 250'000'000;
  c.set_twin_time_ns(t);
  c.set_source_time_ns(t - 1000);
  add_tag(c, "M1", "temperature", t - 5000, 40.0 + 0.25 * static_cast<double>(i));
  add_tag(c, "M2", "current", t - 4000, 3.5 + static_cast<double>(i));
  add_tag(c, "M1", "current", t - 3000, 1.0 / 8.0 * static_cast<double>(i));
  add_tag(c, "X9", "current", t - 2000, -1.0);  // not in the scene
  if (i % 2 == 0) {
    live::MachineMode* mode = c.add_modes();
    mode->set_machine("M2");
    mode->set_mode(i % 4 == 0 ? telemetry::MODE_RUNNING : telemetry::MODE_DOWN);
    mode->set_since_ns(t - 100);
  }
  if (i == 1) {
    for (int k = 0; k < 2; ++k) {
      telemetry::Alarm* alarm = c.add_alarms();
      alarm->set_time_ns(t - 10 * k);
      alarm->set_machine(k == 0 ? "M1" : "M2");
      alarm->set_code(k == 0 ? "OVERTEMP" : "VIBRATION_HIGH");
      alarm->set_severity(k == 0 ? telemetry::SEVERITY_CRITICAL : telemetry::SEVERITY_WARNING);
      alarm->set_active(true);
      alarm->set_tag("temperature");
      alarm->set_value(91.5 + k);
    }
  }
  if (i == 2) {
    live::RulEstimate* rul = c.add_rul();
    rul->set_time_ns(t - 50);
    rul->set_machine("M1");
    rul->set_tag("vibration");
    rul->set_suspected(telemetry::FaultTruth::KIND_BEARING_WEAR);
    rul->set_median_s(5400.0);
    rul->set_lo_s(1800.0);
    rul->set_hi_s(9000.0);
    live::Kpis* kpis = c.mutable_kpis();
    kpis->set_time_ns(t);
    kpis->set_line_good(1234);
    kpis->set_line_oee(0.625);
    kpis->set_bottleneck("M2");
    live::MachineKpis* m = kpis->add_machines();
    m->set_machine("M1");
    m->set_oee(0.75);
  }
  return c;
}

// Publishes changes 0..n-1 into the hub once every wanted channel has a subscriber.
std::thread feed_when_subscribed(StateHub& hub, FoxgloveServer& server,
                                 std::vector<uint32_t> channels, uint64_t n, milliseconds timeout) {
  return std::thread([&hub, &server, channels = std::move(channels), n, timeout] {
    const bool ready = wait_until(
        [&] {
          return std::all_of(channels.begin(), channels.end(),
                             [&](uint32_t ch) { return server.has_subscribers(ch); });
        },
        timeout);
    if (!ready) return;
    for (uint64_t i = 0; i < n; ++i) {
      hub.publish(std::make_shared<const live::StateChange>(known_change(i)));
    }
  });
}

TEST(FoxgloveBridge, SplitsChangesIntoTheTwinChannels) {
  StateHub hub;
  FoxgloveServer server(test_options());
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  FoxgloveBridge bridge(hub, server, {"M1", "M2", "M3"});

  TestClient client;
  ASSERT_TRUE(client.connect(server.port()));
  ASSERT_TRUE(client.read_op("serverInfo"));
  std::map<std::string, json> channels;  // topic -> advertised channel
  while (channels.size() < 7) {
    const auto advertise = client.read_op("advertise");
    ASSERT_TRUE(advertise) << channels.size() << " channels advertised";
    for (const json& c : advertise->at("channels")) channels[c.at("topic").get<std::string>()] = c;
  }
  for (const char* topic : {"/twin/state", "/twin/kpis", "/twin/alarms", "/twin/rul",
                            "/twin/machines/M1", "/twin/machines/M2", "/twin/machines/M3"}) {
    ASSERT_EQ(channels.count(topic), 1u) << topic;
  }
  EXPECT_EQ(channels["/twin/state"].at("schemaName"), "twin.live.StateChange");
  EXPECT_EQ(channels["/twin/kpis"].at("schemaName"), "twin.live.Kpis");
  EXPECT_EQ(channels["/twin/alarms"].at("schemaName"), "twin.telemetry.Alarm");
  EXPECT_EQ(channels["/twin/rul"].at("schemaName"), "twin.live.RulEstimate");
  EXPECT_EQ(channels["/twin/machines/M1"].at("schemaName"), "twin.live.StateChange");
  EXPECT_EQ(channels["/twin/machines/M1"].at("id").get<uint32_t>(), bridge.machine_channel(0));

  // Subscription id = 100 + channel id; M3 never appears in a change.
  std::vector<std::pair<uint32_t, uint32_t>> subscriptions;
  std::map<uint32_t, std::string> topic_of;  // subscription id -> topic
  for (const auto& [topic, c] : channels) {
    const uint32_t id = c.at("id").get<uint32_t>();
    subscriptions.emplace_back(100 + id, id);
    topic_of[100 + id] = topic;
  }
  ASSERT_TRUE(client.send_text(subscribe_request(subscriptions)));
  ASSERT_TRUE(client.sync());
  for (int i = 0; i < 3; ++i)
    hub.publish(std::make_shared<const live::StateChange>(known_change(i)));

  // 3 state + 3 M1 + 3 M2 + 2 alarms + 1 RUL + 1 KPIs.
  std::map<std::string, std::vector<MessageData>> got;
  for (int k = 0; k < 13; ++k) {
    const auto m = client.read_message();
    ASSERT_TRUE(m) << "message " << k;
    ASSERT_EQ(topic_of.count(m->subscription), 1u);
    got[topic_of[m->subscription]].push_back(*m);
  }
  EXPECT_FALSE(client.read_message(milliseconds(50))) << "more messages than expected";

  ASSERT_EQ(got["/twin/state"].size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    const MessageData& m = got["/twin/state"][i];
    live::StateChange change;
    ASSERT_TRUE(change.ParseFromString(m.payload));
    EXPECT_TRUE(change.SerializeAsString() == known_change(i).SerializeAsString());
    EXPECT_EQ(m.timestamp_ns, static_cast<uint64_t>(known_change(i).twin_time_ns()));
  }
  for (const char* machine : {"M1", "M2"}) {
    const auto& list = got[std::string("/twin/machines/") + machine];
    ASSERT_EQ(list.size(), 3u) << machine;
    for (uint64_t i = 0; i < 3; ++i) {
      live::StateChange part;
      ASSERT_TRUE(part.ParseFromString(list[i].payload));
      const live::StateChange whole = known_change(i);
      EXPECT_EQ(part.seq(), i);
      EXPECT_EQ(part.twin_time_ns(), whole.twin_time_ns());
      EXPECT_EQ(list[i].timestamp_ns, static_cast<uint64_t>(whole.twin_time_ns()));
      int tags = 0;
      for (const auto& tag : whole.tags()) {
        if (tag.machine() != machine) continue;
        ASSERT_LT(tags, part.tags_size());
        EXPECT_TRUE(part.tags(tags).SerializeAsString() == tag.SerializeAsString());
        ++tags;
      }
      EXPECT_EQ(part.tags_size(), tags);
      int modes = 0;
      for (const auto& mode : whole.modes()) modes += mode.machine() == machine ? 1 : 0;
      EXPECT_EQ(part.modes_size(), modes);
      EXPECT_EQ(part.alarms_size(), 0);
      EXPECT_FALSE(part.has_kpis());
    }
  }
  ASSERT_EQ(got["/twin/alarms"].size(), 2u);
  for (int k = 0; k < 2; ++k) {
    telemetry::Alarm alarm;
    ASSERT_TRUE(alarm.ParseFromString(got["/twin/alarms"][k].payload));
    EXPECT_TRUE(alarm.SerializeAsString() == known_change(1).alarms(k).SerializeAsString());
  }
  ASSERT_EQ(got["/twin/rul"].size(), 1u);
  live::RulEstimate rul;
  ASSERT_TRUE(rul.ParseFromString(got["/twin/rul"][0].payload));
  EXPECT_TRUE(rul.SerializeAsString() == known_change(2).rul(0).SerializeAsString());
  ASSERT_EQ(got["/twin/kpis"].size(), 1u);
  live::Kpis kpis;
  ASSERT_TRUE(kpis.ParseFromString(got["/twin/kpis"][0].payload));
  EXPECT_TRUE(kpis.SerializeAsString() == known_change(2).kpis().SerializeAsString());
  EXPECT_EQ(got["/twin/kpis"][0].timestamp_ns,
            static_cast<uint64_t>(known_change(2).twin_time_ns()));
  EXPECT_EQ(got.count("/twin/machines/M3"), 0u);

  bridge.stop();
  const auto c = bridge.counters();
  EXPECT_EQ(c.changes, 3u);
  EXPECT_EQ(c.messages, 13u);
  EXPECT_EQ(c.unknown_machine, 3u);
  EXPECT_EQ(c.hub_dropped, 0u);
}

// ---- An outside client -----------------------------------------------------------------------

const fs::path kInteropDir = fs::path(TWIN_SOURCE_DIR) / "tests" / "net" / "interop";

// int64 fields come as decimal strings (toObject longs: String); absent means 0.
int64_t long_field(const json& object, const char* key) {
  return object.contains(key) ? std::stoll(object.at(key).get<std::string>()) : 0;
}

TEST(FoxgloveInterop, NodeClientDecodesTheTwinChannelsFromTheAdvertisedSchemas) {
  const std::string missing =
      test::missing_node_packages(kInteropDir, {"@foxglove/ws-protocol", "ws", "protobufjs"});
  if (!missing.empty()) GTEST_SKIP() << missing;

  StateHub hub;
  FoxgloveServer server(test_options());
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  FoxgloveBridge bridge(hub, server, {"M1", "M2"});

  constexpr uint64_t kChanges = 4;
  // state 4 + M1 4 + alarms 2 + KPIs 1
  constexpr int kExpected = 11;
  std::thread feeder = feed_when_subscribed(hub, server,
                                            {bridge.state_channel(), bridge.kpis_channel(),
                                             bridge.alarms_channel(), bridge.machine_channel(0)},
                                            kChanges, milliseconds(4000));
  const std::string url = "ws://127.0.0.1:" + std::to_string(server.port());
  std::string command("node tests/net/interop/foxglove_client.mjs ");
  command.append(test::shell_quote(url));
  command.append(" /twin/state,/twin/kpis,/twin/alarms,/twin/machines/M1 ");
  command.append(std::to_string(kExpected));
  command.append(" 4000");
  const test::CommandResult node = test::run_in_source_dir(command);
  feeder.join();
  ASSERT_EQ(node.code, 0) << "foxglove_client.mjs failed:\n"
                          << node.err << "\nstdout:\n"
                          << node.out;

  std::map<std::string, std::vector<json>> messages;  // topic -> decoded messages
  std::string protocol, name;
  std::stringstream lines(node.out);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    const std::string event = j.value("event", "");
    if (event == "open") protocol = j.value("protocol", "");
    if (event == "serverInfo") name = j.value("name", "");
    if (event == "message") messages[j.at("topic").get<std::string>()].push_back(j);
  }
  EXPECT_EQ(protocol, kSubprotocol);
  EXPECT_EQ(name, "twin-test");

  const auto& state = messages["/twin/state"];
  ASSERT_EQ(state.size(), kChanges);
  for (uint64_t i = 0; i < kChanges; ++i) {
    const live::StateChange want = known_change(i);
    const json& m = state[i].at("message");
    EXPECT_EQ(state[i].at("schemaName"), "twin.live.StateChange");
    EXPECT_EQ(state[i].at("timestamp"), std::to_string(want.twin_time_ns()));
    EXPECT_EQ(long_field(m, "seq"), static_cast<int64_t>(want.seq()));
    EXPECT_EQ(long_field(m, "twin_time_ns"), want.twin_time_ns());
    ASSERT_EQ(m.at("tags").size(), static_cast<size_t>(want.tags_size()));
    for (int k = 0; k < want.tags_size(); ++k) {
      const json& tag = m.at("tags")[static_cast<size_t>(k)];
      EXPECT_EQ(tag.at("machine"), want.tags(k).machine());
      EXPECT_EQ(tag.at("tag"), want.tags(k).tag());
      EXPECT_EQ(tag.at("value").get<double>(), want.tags(k).value());
      EXPECT_EQ(tag.at("unit"), want.tags(k).unit());
      EXPECT_EQ(long_field(tag, "time_ns"), want.tags(k).time_ns());
    }
    const size_t modes = m.contains("modes") ? m.at("modes").size() : 0;
    ASSERT_EQ(modes, static_cast<size_t>(want.modes_size()));
    for (int k = 0; k < want.modes_size(); ++k) {
      EXPECT_EQ(m.at("modes")[static_cast<size_t>(k)].at("mode"),
                telemetry::Mode_Name(want.modes(k).mode()));
    }
  }

  const auto& m1 = messages["/twin/machines/M1"];
  ASSERT_EQ(m1.size(), kChanges);
  for (uint64_t i = 0; i < kChanges; ++i) {
    const json& m = m1[i].at("message");
    ASSERT_EQ(m.at("tags").size(), 2u);
    for (const json& tag : m.at("tags")) EXPECT_EQ(tag.at("machine"), "M1");
    // What a Foxglove plot of /twin/machines/M1.tags[:]{tag=="temperature"}.value would show.
    EXPECT_EQ(m.at("tags")[0].at("tag"), "temperature");
    EXPECT_EQ(m.at("tags")[0].at("value").get<double>(), 40.0 + 0.25 * static_cast<double>(i));
    EXPECT_EQ(m1[i].at("timestamp"), std::to_string(known_change(i).twin_time_ns()));
  }

  const auto& alarms = messages["/twin/alarms"];
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_EQ(alarms[0].at("message").at("code"), "OVERTEMP");
  EXPECT_EQ(alarms[0].at("message").at("severity"), "SEVERITY_CRITICAL");
  EXPECT_EQ(alarms[1].at("message").at("code"), "VIBRATION_HIGH");
  EXPECT_EQ(alarms[1].at("message").at("value").get<double>(), 92.5);

  const auto& kpis = messages["/twin/kpis"];
  ASSERT_EQ(kpis.size(), 1u);
  EXPECT_EQ(long_field(kpis[0].at("message"), "line_good"), 1234);
  EXPECT_EQ(kpis[0].at("message").at("line_oee").get<double>(), 0.625);
  EXPECT_EQ(kpis[0].at("message").at("bottleneck"), "M2");
  EXPECT_EQ(kpis[0].at("message").at("machines")[0].at("oee").get<double>(), 0.75);
}

}  // namespace
}  // namespace twin
