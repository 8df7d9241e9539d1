#include "core/cli/mqtt_flags.h"

#include "core/cli/cli_common.h"

namespace twin::cli {

void add_mqtt_flags(CLI::App& cmd, MqttFlags& f) {
  cmd.add_option("--mqtt", f.broker, "MQTT broker")->type_name("HOST:PORT")->capture_default_str();
  cmd.add_option("--client-id", f.client_id, "MQTT client id (keys the persistent session)");
  cmd.add_option("--username", f.username, "MQTT user name");
  cmd.add_option("--password", f.password, "MQTT password (or env TWIN_MQTT_PASSWORD)")
      ->envname("TWIN_MQTT_PASSWORD");
  cmd.add_flag("--tls", f.tls, "Connect with TLS (the broker's certificate is checked)");
  cmd.add_option("--tls-ca", f.tls_ca, "CA certificates (PEM) that may sign the broker's")
      ->check(CLI::ExistingFile);
  cmd.add_option("--tls-capath", f.tls_capath, "Directory of CA certificates")
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--tls-cert", f.tls_cert, "Client certificate (PEM)")->check(CLI::ExistingFile);
  cmd.add_option("--tls-key", f.tls_key, "Client private key (PEM)")->check(CLI::ExistingFile);
  cmd.add_flag("--tls-insecure-hostname", f.tls_insecure_hostname,
               "Accept a broker certificate issued for another host name (tests only)");
}

bool mqtt_options_from_flags(const MqttFlags& f, const std::string& default_client_id,
                             MqttOptions& out) {
  std::string error;
  const auto broker = parse_endpoint(f.broker, "127.0.0.1", &error);
  if (!broker) {
    print_error("--mqtt: " + error);
    return false;
  }
  out.broker = *broker;
  out.client_id = f.client_id.empty() ? default_client_id : f.client_id;
  out.username = f.username;
  out.password = f.password;
  const bool any_tls = f.tls || !f.tls_ca.empty() || !f.tls_capath.empty() || !f.tls_cert.empty();
  if (any_tls) {
    if (f.tls_ca.empty() && f.tls_capath.empty()) {
      print_error("--tls needs --tls-ca or --tls-capath to check the broker's certificate");
      return false;
    }
    if (f.tls_cert.empty() != f.tls_key.empty()) {
      print_error("--tls-cert and --tls-key go together");
      return false;
    }
    out.tls.enabled = true;
    out.tls.ca_file = f.tls_ca;
    out.tls.ca_path = f.tls_capath;
    out.tls.cert_file = f.tls_cert;
    out.tls.key_file = f.tls_key;
    out.tls.insecure_hostname = f.tls_insecure_hostname;
  }
  return true;
}

}  // namespace twin::cli
