// "HOST:PORT" as given on the command line (--mqtt, --grpc, --foxglove), checked once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twin {

struct Endpoint {
  std::string host;   // name or address; IPv6 literals without brackets
  uint16_t port = 0;  // 1..65535

  std::string to_string() const;  // "host:port", "[::1]:port" for IPv6
  bool loopback() const;          // localhost, 127.x.x.x or ::1
};

// Parses "host:port", "[v6addr]:port" or ":port" (host = default_host). Port 0 ("any free
// port") only for servers (`allow_port_zero`). On failure returns nothing and says why in
// `error`.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string_view default_host,
                                       std::string* error, bool allow_port_zero = false);

}  // namespace twin
