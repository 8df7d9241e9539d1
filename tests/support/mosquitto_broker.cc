#include "tests/support/mosquitto_broker.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace twin::test {

namespace {

std::string mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "mosquitto";
}

}  // namespace

MosquittoBroker::MosquittoBroker(std::string dir, bool persistence) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  port_ = free_loopback_port();
  std::ofstream conf(dir_ + "/mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "persistence " << (persistence ? "true" : "false") << "\n"
       << "persistence_location " << dir_ << "/\n"
       << "log_dest file " << dir_ << "/mosquitto.log\n"
       << "log_type error\nlog_type warning\nlog_type notice\n"
       << "max_queued_messages 100000\n"
       << "max_inflight_messages 0\n";
}

MosquittoBroker::~MosquittoBroker() {
  process_.stop(SIGKILL);
}

bool MosquittoBroker::start() {
  if (!process_.start({mosquitto_binary(), "-c", dir_ + "/mosquitto.conf"}, dir_,
                      dir_ + "/stdout.txt", dir_ + "/stderr.txt")) {
    return false;
  }
  return wait_for_port(port_, std::chrono::seconds(10));
}

void MosquittoBroker::stop(int signal) {
  process_.stop(signal);
}

std::string MosquittoBroker::log() const {
  return read_file(dir_ + "/mosquitto.log") + read_file(dir_ + "/stderr.txt");
}

std::string MosquittoBroker::unavailable() {
  if (std::filesystem::exists("/usr/sbin/mosquitto") || have_program("mosquitto")) return "";
  return "mosquitto is not installed (apt-get install mosquitto); the live tests need a broker";
}

MqttOptions loopback_client(int port, const std::string& id) {
  MqttOptions o;
  o.broker = Endpoint{"127.0.0.1", static_cast<uint16_t>(port)};
  o.client_id = id;
  o.clean_start = true;
  o.reconnect_min_s = 0.05;
  o.reconnect_max_s = 0.3;
  o.tick_period = std::chrono::milliseconds(20);
  return o;
}

}  // namespace twin::test
