// MQTT connection flags shared by `twin live` and `twin edge`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "core/net/mqtt_client.h"

namespace twin::cli {

struct MqttFlags {
  std::string broker = "127.0.0.1:1883";
  std::string client_id;  // default: per command
  std::string username, password;
  std::string tls_ca, tls_capath, tls_cert, tls_key;
  bool tls = false;
  bool tls_insecure_hostname = false;
};

void add_mqtt_flags(CLI::App& cmd, MqttFlags& f);
// Checks the flags and fills `out`; prints the problem and returns false if they are bad.
bool mqtt_options_from_flags(const MqttFlags& f, const std::string& default_client_id,
                             MqttOptions& out);

}  // namespace twin::cli
