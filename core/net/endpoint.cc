#include "core/net/endpoint.h"

#include <charconv>

namespace twin {

std::string Endpoint::to_string() const {
  std::string out;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

bool Endpoint::loopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string_view default_host,
                                       std::string* error, bool allow_port_zero) {
  auto fail = [&](std::string_view why) -> std::optional<Endpoint> {
    if (error) {
      error->assign("bad endpoint '");
      error->append(text);
      error->append("': ");
      error->append(why);
    }
    return std::nullopt;
  };
  Endpoint out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("expected ':PORT'");
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected HOST:PORT");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return fail("IPv6 addresses go in brackets");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = std::string(default_host);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size()) {
    return fail("port is not a number");
  }
  if ((port == 0 && !allow_port_zero) || port > 65535) return fail("port outside 1..65535");
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace twin
