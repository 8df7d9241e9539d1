// A real mosquitto broker on a free loopback port for integration tests, with its own config
// and persistence directory, that a test can stop (SIGTERM: saves the persistent sessions; or
// SIGKILL: loses them) and start again on the same port.
#pragma once

#include <string>

#include "core/net/mqtt_client.h"
#include "tests/support/process.h"

namespace twin::test {

class MosquittoBroker {
 public:
  // `dir`: a fresh directory for the config, the log and the persistence file.
  explicit MosquittoBroker(std::string dir, bool persistence = true);
  ~MosquittoBroker();

  // Starts (or restarts) the broker and waits until it accepts connections.
  bool start();
  void stop(int signal);
  bool running() { return process_.running(); }
  int port() const { return port_; }
  std::string log() const;
  // Empty if `mosquitto` is installed, else why the test cannot run.
  static std::string unavailable();

 private:
  std::string dir_;
  int port_ = -1;
  ChildProcess process_;
};

// A client of a broker on this machine's loopback `port`: a clean session, quick reconnects
// (50-300 ms) and a 20 ms tick, for tests that watch or feed the broker.
MqttOptions loopback_client(int port, const std::string& id);

}  // namespace twin::test
