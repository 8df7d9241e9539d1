#include "core/net/endpoint.h"

#include <gtest/gtest.h>

namespace twin {
namespace {

TEST(Endpoint, ParsesHostPortForms) {
  std::string error;
  auto a = parse_endpoint("broker.local:1883", "127.0.0.1", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "broker.local");
  EXPECT_EQ(a->port, 1883);
  EXPECT_FALSE(a->loopback());
  auto b = parse_endpoint(":50051", "127.0.0.1", &error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_TRUE(b->loopback());
  auto c = parse_endpoint("[::1]:8765", "127.0.0.1", &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->to_string(), "[::1]:8765");
  EXPECT_TRUE(c->loopback());
  auto any = parse_endpoint("127.0.0.1:0", "127.0.0.1", &error, /*allow_port_zero=*/true);
  ASSERT_TRUE(any) << error;
  EXPECT_EQ(any->port, 0);
}

TEST(Endpoint, RefusesBadInputWithAReason) {
  for (const char* bad : {"", "host", "host:", "host:0", "host:65536", "host:12ab", "::1:80",
                          "[::1", "[::1]80", "host:-1"}) {
    std::string error;
    EXPECT_FALSE(parse_endpoint(bad, "127.0.0.1", &error)) << bad;
    EXPECT_NE(error.find("bad endpoint"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace twin
