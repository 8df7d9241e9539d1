// Speed of the live twin (issue 4, "Speed"): a Sparkplug B edge node publishes through a real
// mosquitto on loopback to a LiveSession (the twin), whose state leaves over gRPC. Everything
// runs on this one machine, broker included, so the parties share its cores.
//
// - LiveIngest/<devices>: sustained ingest. The edge publishes DDATA (10 metrics each, QoS 1,
//   round-robin over the devices: 19 = machining20, 250 = plant250) as fast as the pipeline
//   takes them, with at most kIngestWindow messages between the edge and the twin. Figures:
//   messages and metrics per second the twin applied (from its ingest counters).
// - LiveLatency/<rate>: the edge paces DDATA at `rate` messages/s on a steady schedule over
//   plant250's 250 machines; each carries its sequence number as the value of one tag (the
//   probe). A gRPC client (the generated stub, StreamState, everything) receives the changes;
//   latency = receive time - send time of the probe, one steady clock in one process. Figures:
//   p50/p90/p99/p99.9/max [us] after a warm-up, and twin_*: the part up to the twin's network
//   thread taking the message (edge, broker, the twin's MQTT client).
// - LiveTwinSnapshot, LiveTwinKpis: the periodic work LiveTwin::tick() does on that network
//   thread (messages arriving meanwhile wait), without the network.
// CPU counters [cores]: twin_cpu (the twin's network thread), broker_cpu, edge_cpu (the
// publishing thread), process_cpu (this process: twin, edge, gRPC server and client) and
// other_cpu (the rest of the machine: figures taken while it is well above 0 are disturbed).
//
// The broker: TWIN_BENCH_MQTT=host:port, or else a private /usr/sbin/mosquitto on a free
// loopback port (set_tcp_nodelay on, as the twin's clients; TWIN_BENCH_BROKER_NODELAY=0 leaves
// Nagle on in the broker for comparison). Skipped when there is neither.
// TWIN_BENCH_LIVE_DUMP=FILE writes every probe of the last LiveLatency run to FILE.
//
// These print figures; they never fail on time. scripts/bench.sh keeps them in
// bench/results/<machine>/live.json.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/live/sparkplug_edge.h"
#include "core/live/state_hub.h"
#include "core/live/wall_clock.h"
#include "core/mirror/live_twin.h"
#include "core/net/endpoint.h"
#include "core/net/grpc_service.h"
#include "core/net/live_session.h"
#include "core/net/mqtt_client.h"
#include "core/scene/load.h"
#include "core/telemetry/telemetry.h"
#include "twin/live.grpc.pb.h"

namespace twin {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMetricsPerMessage = 10;    // a gateway's DDATA: 8-12 values of one machine
constexpr uint64_t kIngestWindow = 1000;  // [messages] published, not yet received by the twin
constexpr double kIngestWarmupS = 1.0;    // [s]
constexpr double kIngestMeasureS = 4.0;   // [s]
constexpr double kLatencyWarmupS = 1.0;   // [s] probes sent before this are not counted
constexpr double kLatencyMeasureS = 5.0;  // [s]

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

const Model& scene_model(const std::string& file) {
  static std::map<std::string, Model> models;
  auto it = models.find(file);
  if (it == models.end()) {
    SceneLoadResult r = load_scene_file(std::string(TWIN_SOURCE_DIR) + "/scenes/" + file);
    if (!r.ok()) {
      for (const SceneError& e : r.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      std::abort();
    }
    it = models.emplace(file, std::move(r.model)).first;
  }
  return it->second;
}

// ---- CPU time of threads and processes, from /proc (clock ticks, 10 ms) ----

// [s] user + system time in a /proc/.../stat file; negative if unreadable.
double stat_cpu_s(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1.0;
  std::vector<std::string> fields;
  std::string field;
  for (size_t i = close + 2; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      fields.push_back(field);
      field.clear();
    } else {
      field += text[i];
    }
  }
  if (fields.size() < 13) return -1.0;  // fields[11], [12]: utime, stime (stat fields 14, 15)
  const double ticks =
      std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Thread ids of this process named like the process itself (threads grpc starts name
// themselves; the MQTT clients' threads do not).
std::set<std::string> own_threads() {
  std::set<std::string> out;
  std::ifstream self_comm("/proc/self/comm");
  std::string comm;
  std::getline(self_comm, comm);
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream c(e.path() / "comm");
    std::string name;
    std::getline(c, name);
    if (name == comm) out.insert(e.path().filename().string());
  }
  return out;
}

// The one thread started by `start` (the MQTT client's network thread); empty if unsure.
template <typename Start>
std::string thread_started_by(Start&& start) {
  const std::set<std::string> before = own_threads();
  start();
  std::this_thread::sleep_for(20ms);
  std::vector<std::string> added;
  for (const std::string& t : own_threads()) {
    if (!before.contains(t)) added.push_back(t);
  }
  return added.size() == 1 ? added.front() : std::string();
}

double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double this_thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// [s] CPU time all processes of the machine used (busy time of all cores, /proc/stat).
double machine_busy_s() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // "cpu": the sum over the cores
  double total = 0, idle = 0;
  for (int i = 0; i < 8; ++i) {  // user nice system idle iowait irq softirq steal
    double v = 0;
    in >> v;
    total += v;
    if (i == 3 || i == 4) idle += v;
  }
  return (total - idle) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of the parties, read at the start and the end of a measurement.
struct CpuSample {
  double twin = -1, broker = -1, edge = 0, process = 0, machine = 0;
};

// ---- The broker ----

class BenchBroker {
 public:
  ~BenchBroker() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(10ms);
      }
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // TWIN_BENCH_MQTT, else a private mosquitto. False with the reason in error().
  bool start() {
    if (const char* env = std::getenv("TWIN_BENCH_MQTT"); env && *env) {
      std::string why;
      const auto ep = parse_endpoint(env, "127.0.0.1", &why);
      if (!ep) return fail("TWIN_BENCH_MQTT: " + why);
      endpoint_ = *ep;
      return true;
    }
    const char* binary = "/usr/sbin/mosquitto";
    if (!std::filesystem::exists(binary)) {
      return fail(
          "mosquitto is not installed (apt-get install mosquitto) and TWIN_BENCH_MQTT "
          "is not set");
    }
    char dir_template[] = "/tmp/twin_bench_mqtt.XXXXXX";
    if (!::mkdtemp(dir_template)) return fail("cannot make a temporary directory");
    dir_ = dir_template;
    const int port = free_port();
    if (port <= 0) return fail("no free loopback port");
    const char* nodelay = std::getenv("TWIN_BENCH_BROKER_NODELAY");
    const bool broker_nodelay = !(nodelay && std::string(nodelay) == "0");
    {
      std::ofstream conf(dir_ + "/mosquitto.conf");
      conf << "listener " << port << " 127.0.0.1\n"
           << "allow_anonymous true\n"
           << "persistence false\n"
           << "log_dest stderr\n"
           << "log_type error\nlog_type warning\n"
           << "max_queued_messages 1000000\n"
           << "max_inflight_messages 0\n"
           << "set_tcp_nodelay " << (broker_nodelay ? "true" : "false") << "\n";
    }
    const std::string conf_path = dir_ + "/mosquitto.conf";
    const pid_t pid = ::fork();
    if (pid < 0) return fail("fork failed");
    if (pid == 0) {
      // Its log on stderr, into a file opened here: mosquitto started as root drops to its own
      // user and could not open a file in this directory itself.
      const int log = ::open((dir_ + "/mosquitto.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, 2);
      ::execl(binary, binary, "-c", conf_path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pid_ = pid;
    endpoint_ = Endpoint{"127.0.0.1", static_cast<uint16_t>(port)};
    for (int i = 0; i < 500; ++i) {
      if (accepts(port)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return fail("mosquitto exited at start; see its log in " + dir_);
      }
      std::this_thread::sleep_for(10ms);
    }
    return fail("mosquitto does not accept connections");
  }

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& error() const { return error_; }
  // [s] the broker's CPU time; negative when it is not ours.
  double cpu_s() const {
    return pid_ > 0 ? stat_cpu_s("/proc/" + std::to_string(pid_) + "/stat") : -1.0;
  }

 private:
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = -1;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }
  static bool accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  Endpoint endpoint_;
  std::string dir_;
  pid_t pid_ = -1;
  std::string error_;
};

// ---- The edge node ----

constexpr const char* kGroup = "bench";
constexpr const char* kNode = "line1";

// Sparkplug ids may not hold the MQTT wildcards, so a machine of a parallel station ("Grind#2")
// cannot be a device named after it; such machines publish nothing here (with the default
// rule, device id = machine name, the twin could not map a renamed device back).
bool valid_device_id(const std::string& machine) {
  return machine.find_first_of("+#/") == std::string::npos;
}

// One edge node with the scene's machines as devices (those with valid ids), on its own MQTT
// client. DDATA are built
// and published on the caller's thread (one thread, as the node's seq order requires).
class BenchEdge {
 public:
  BenchEdge(const Model& model, const Endpoint& broker, const std::string& client_id)
      : node_(kGroup, kNode), client_(client_options(broker, client_id)) {
    for (uint32_t m = 0; m < model.machine_count(); ++m) {
      if (!valid_device_id(machine_name(model, m))) continue;
      std::vector<TagSpec> tags = sample_tags(model, m);
      Device d;
      d.machine = machine_name(model, m);
      d.last_ms.assign(tags.size(), 0);
      d.counter.assign(tags.size(), false);
      for (size_t t = 0; t < tags.size(); ++t) {
        const auto signal = static_cast<Signal>(tags[t].signal);
        d.counter[t] = signal == Signal::kPartCount || signal == Signal::kScrapCount;
        // The probe: the first analog tag (not a counter, not a cycle time).
        if (d.probe < 0 && !d.counter[t] && signal != Signal::kCycleTime) {
          d.probe = static_cast<int>(t);
        }
      }
      if (d.probe < 0) d.probe = 0;
      d.probe_name = tags.empty() ? std::string() : tags[static_cast<size_t>(d.probe)].name;
      node_.add_device(d.machine, std::move(tags), {});
      devices_.push_back(std::move(d));
    }
    client_.on_before_connect([this] {
      const SparkplugMessage death = node_.next_death(wall_clock_ms());
      client_.set_will(MqttWill{death.topic, death.payload, 1, false});
    });
    client_.subscribe(node_.command_topic(), 1);
    client_.on_message([this](std::string_view topic, std::span<const uint8_t> payload, bool) {
      if (node_.is_rebirth_request(topic, payload)) rebirth_.store(true);
    });
  }

  void start() { client_.start(); }
  void stop() { client_.stop(); }
  bool wait_connected() { return client_.wait_connected(10s); }
  MqttClient& client() { return client_; }
  size_t device_count() const { return devices_.size(); }
  const std::string& machine(size_t d) const { return devices_[d].machine; }
  const std::string& probe_name(size_t d) const { return devices_[d].probe_name; }

  // NBIRTH + DBIRTHs; again whenever the twin asks for a rebirth (call between messages).
  size_t publish_births() {
    rebirth_.store(false);
    const std::vector<SparkplugMessage> births = node_.births(wall_clock_ms());
    for (const SparkplugMessage& b : births) client_.publish(b.topic, b.payload, 1, false);
    return births.size();
  }
  void births_if_asked() {
    if (rebirth_.load()) publish_births();
  }

  // A DDATA of `device` with kMetricsPerMessage values: its tags in turn, the probe last with
  // `probe_value`. Every value of a tag is timestamped after that tag's previous one (a twin
  // drops a second value at the same millisecond as a duplicate).
  const SparkplugMessage& ddata(uint32_t device, float probe_value) {
    Device& d = devices_[device];
    const size_t n = d.last_ms.size();
    const int64_t now_ms = wall_clock_ms();
    batch_.Clear();
    batch_.set_base_time_ns(now_ms * 1'000'000);
    auto add = [&](size_t tag, float value) {
      const int64_t ms = std::max(now_ms, d.last_ms[tag] + 1);
      d.last_ms[tag] = ms;
      batch_.add_tag(static_cast<uint32_t>(tag));
      batch_.add_time_offset_ns((ms - now_ms) * 1'000'000);
      batch_.add_value(value);
    };
    const size_t probe = static_cast<size_t>(d.probe);
    for (int j = 0; j + 1 < kMetricsPerMessage && n > 0; ++j) {
      size_t tag = d.cursor++ % n;
      if (tag == probe && n > 1) tag = d.cursor++ % n;
      ++d.samples;
      // Counters count up; analog values wander around 50 (deterministic, no generator).
      const float value = d.counter[tag] ? static_cast<float>(d.samples / 64)
                                         : 50.0f + static_cast<float>(d.samples * 37 % 200) * 0.1f;
      add(tag, value);
    }
    if (n > 0) add(probe, probe_value);
    message_ = node_.samples(device, batch_);
    return message_;
  }

  bool publish(const SparkplugMessage& m) { return client_.publish(m.topic, m.payload, 1, false); }

 private:
  struct Device {
    std::string machine;
    std::vector<int64_t> last_ms;  // (n_tags) [ms] timestamp of the tag's last value
    std::vector<bool> counter;     // (n_tags) part or scrap counter
    int probe = -1;                // tag index carrying the probe value
    std::string probe_name;
    uint64_t cursor = 0;   // next tag in turn
    uint64_t samples = 0;  // values sent
  };

  static MqttOptions client_options(const Endpoint& broker, const std::string& client_id) {
    MqttOptions o;
    o.broker = broker;
    o.client_id = client_id;
    o.clean_start = true;
    o.session_expiry_s = 0;
    return o;
  }

  SparkplugEdgeNode node_;
  MqttClient client_;
  std::vector<Device> devices_;
  std::atomic<bool> rebirth_{false};
  telemetry::SampleBatch batch_;  // reused
  SparkplugMessage message_;      // reused
};

// ---- The twin ----

// A LiveSession on the broker, without the per-node rate limit (the default, 10,000 messages
// per node and second, would cap the ingest figure).
LiveSessionOptions session_options(const Endpoint& broker, const std::string& client_id) {
  LiveSessionOptions o;
  o.mqtt.broker = broker;
  o.mqtt.client_id = client_id;
  o.mqtt.clean_start = true;
  o.mqtt.session_expiry_s = 0;
  o.host_id = client_id;
  o.twin.sparkplug.max_messages_per_second = 0;
  return o;
}

// Waits until `done` or the timeout passes.
template <typename Done>
bool wait_for(Done&& done, std::chrono::milliseconds timeout) {
  const auto until = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Connects the twin and the edge, sends the births and waits until the twin has them.
// Returns an error message, or empty.
std::string connect_all(LiveSession& session, BenchEdge& edge, std::string& twin_tid,
                        uint64_t& twin_base_messages) {
  twin_tid = thread_started_by([&] { session.start(); });
  if (!session.client().wait_connected(10s)) {
    return "the twin cannot connect: " + session.client().last_error();
  }
  edge.start();
  if (!edge.wait_connected()) return "the edge cannot connect: " + edge.client().last_error();
  const uint64_t before = session.client().counters().messages_in.load();
  const size_t births = edge.publish_births();
  const bool born = wait_for(
      [&] { return session.client().counters().messages_in.load() >= before + births; }, 10s);
  if (!born) return "the twin did not receive the births";
  std::this_thread::sleep_for(100ms);  // the twin's STATE echo and anything else in flight
  twin_base_messages = session.client().counters().messages_in.load();
  return {};
}

CpuSample cpu_now(const std::string& twin_tid, const BenchBroker& broker) {
  CpuSample s;
  if (!twin_tid.empty()) s.twin = stat_cpu_s("/proc/self/task/" + twin_tid + "/stat");
  s.broker = broker.cpu_s();
  s.edge = this_thread_cpu_s();
  s.process = process_cpu_s();
  s.machine = machine_busy_s();
  return s;
}

void report_cpu(benchmark::State& state, const CpuSample& a, const CpuSample& b, double wall_s) {
  if (a.twin >= 0 && b.twin >= 0) state.counters["twin_cpu"] = (b.twin - a.twin) / wall_s;
  if (a.broker >= 0 && b.broker >= 0) state.counters["broker_cpu"] = (b.broker - a.broker) / wall_s;
  state.counters["edge_cpu"] = (b.edge - a.edge) / wall_s;
  state.counters["process_cpu"] = (b.process - a.process) / wall_s;
  // Other programs on the machine during the measurement [cores]: figures taken while this is
  // well above 0 are not representative.
  const double broker = a.broker >= 0 && b.broker >= 0 ? b.broker - a.broker : 0.0;
  state.counters["other_cpu"] =
      std::max(0.0, (b.machine - a.machine) - (b.process - a.process) - broker) / wall_s;
}

const char* scene_with(int64_t machines) {
  return machines == 250 ? "plant250.yaml" : "machining20.yaml";
}

// ---- LiveTwinPeriodic: the twin's periodic work, without the network ----

// A LiveTwin of plant250 with every tag holding a value (births and one DDATA per machine
// handled directly), clock `now_ns`.
std::unique_ptr<LiveTwin> populated_twin(const Model& model, StateHub& hub, int64_t now_ns) {
  LiveTwinOptions options;
  options.kpi_period_s = 1e9;  // KPIs only when asked (make_kpis)
  auto twin = std::make_unique<LiveTwin>(model, hub, options);
  twin->reset(now_ns - 60'000'000'000);
  SparkplugEdgeNode node(kGroup, kNode);
  std::vector<uint32_t> tag_count;
  for (uint32_t m = 0; m < model.machine_count(); ++m) {
    if (!valid_device_id(machine_name(model, m))) continue;
    std::vector<TagSpec> tags = sample_tags(model, m);
    tag_count.push_back(static_cast<uint32_t>(tags.size()));
    node.add_device(machine_name(model, m), std::move(tags), {});
  }
  auto handle = [&](const SparkplugMessage& m) {
    twin->handle(m.topic,
                 std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.payload.data()),
                                          m.payload.size()),
                 now_ns);
  };
  for (const SparkplugMessage& b : node.births(now_ns / 1'000'000)) handle(b);
  telemetry::SampleBatch batch;
  for (uint32_t d = 0; d < tag_count.size(); ++d) {
    batch.Clear();
    batch.set_base_time_ns(now_ns - 1'000'000'000);
    for (uint32_t t = 0; t < tag_count[d]; ++t) {
      batch.add_tag(t);
      batch.add_time_offset_ns(0);
      batch.add_value(static_cast<float>(t));
    }
    handle(node.samples(d, batch));
  }
  return twin;
}

// What LiveTwin::tick() costs the network thread every 0.2 s (messages arriving meanwhile
// wait): a tick that refreshes the hub snapshot of all 5,000 tags and frees the one it
// replaces. KPIs (once a second) apart: LiveTwinKpis.
void BM_LiveTwinSnapshot(benchmark::State& state) {
  const Model& model = scene_model("plant250.yaml");
  StateHub hub;
  const int64_t start = wall_clock_ns();
  const std::unique_ptr<LiveTwin> twin = populated_twin(model, hub, start);
  int64_t now = start;
  for (auto _ : state) {
    now += 200'000'000;
    twin->tick(now);
  }
  const SnapshotPtr s = hub.snapshot();
  state.counters["tags"] = s ? static_cast<double>(s->tags_size()) : 0.0;
}
BENCHMARK(BM_LiveTwinSnapshot)->Name("LiveTwinSnapshot")->Unit(benchmark::kMicrosecond);

void BM_LiveTwinKpis(benchmark::State& state) {
  const Model& model = scene_model("plant250.yaml");
  StateHub hub;
  const int64_t now = wall_clock_ns();
  const std::unique_ptr<LiveTwin> twin = populated_twin(model, hub, now);
  for (auto _ : state) benchmark::DoNotOptimize(twin->make_kpis(now));
  state.counters["machines"] = static_cast<double>(model.machine_count());
}
BENCHMARK(BM_LiveTwinKpis)->Name("LiveTwinKpis")->Unit(benchmark::kMicrosecond);

// ---- LiveIngest ----

// The argument: devices published (19: machining20 without its parallel grinders; 250: plant250).
void BM_LiveIngest(benchmark::State& state) {
  const Model& model = scene_model(scene_with(state.range(0)));
  BenchBroker broker;
  if (!broker.start()) {
    state.SkipWithError(broker.error().c_str());
    return;
  }
  StateHub hub;
  LiveSession session(model, hub, session_options(broker.endpoint(), "bench-twin-ingest"));
  BenchEdge edge(model, broker.endpoint(), "bench-edge-ingest");
  if (static_cast<int64_t>(edge.device_count()) != state.range(0)) {
    state.SkipWithError("no bundled scene has that many devices (19: machining20, 250: plant250)");
    return;
  }
  std::string twin_tid;
  uint64_t base = 0;
  if (const std::string error = connect_all(session, edge, twin_tid, base); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const MqttClient::Counters& twin_in = session.client().counters();

  uint64_t published = 0;
  uint32_t device = 0;
  const auto publish_for = [&](double seconds) {
    const auto until = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(seconds));
    while (SteadyClock::now() < until) {
      for (int burst = 0; burst < 64; ++burst) {
        if (published >= twin_in.messages_in.load() - base + kIngestWindow) {
          std::this_thread::sleep_for(50us);  // the pipeline is full: let the twin catch up
          break;
        }
        edge.births_if_asked();
        edge.publish(edge.ddata(device, 50.0f));
        device = (device + 1) % static_cast<uint32_t>(edge.device_count());
        ++published;
      }
    }
  };
  // The twin's figures come from its snapshots (refreshed every 0.2 s): the first after the
  // warm-up and the last at the end of the measurement bound the window.
  const auto fresh_snapshot = [&](uint64_t after_seq) {
    SnapshotPtr s;
    const auto until = SteadyClock::now() + 2s;
    while (SteadyClock::now() < until) {
      s = hub.snapshot();
      if (s && s->seq() > after_seq) break;
      publish_for(0.002);
    }
    return s;
  };

  for (auto _ : state) {
    publish_for(kIngestWarmupS);
    const SnapshotPtr first = fresh_snapshot(0);
    const CpuSample cpu0 = cpu_now(twin_tid, broker);
    const uint64_t published0 = published;
    const auto t0 = SteadyClock::now();
    publish_for(kIngestMeasureS);
    const SnapshotPtr last = fresh_snapshot(hub.snapshot() ? hub.snapshot()->seq() : 0);
    const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const CpuSample cpu1 = cpu_now(twin_tid, broker);
    if (!first || !last || last->twin_time_ns() <= first->twin_time_ns()) {
      state.SkipWithError("the twin published no snapshots");
      break;
    }
    const double dt = static_cast<double>(last->twin_time_ns() - first->twin_time_ns()) * 1e-9;
    const live::IngestCounters& a = first->ingest();
    const live::IngestCounters& b = last->ingest();
    state.SetIterationTime(dt);
    state.counters["msgs_per_s"] = static_cast<double>(b.messages() - a.messages()) / dt;
    state.counters["metrics_per_s"] =
        static_cast<double>(b.samples_applied() - a.samples_applied()) / dt;
    state.counters["rejected"] =
        static_cast<double>(b.samples_rejected() - a.samples_rejected() + b.sparkplug_rejected() -
                            a.sparkplug_rejected());
    state.counters["published_per_s"] = static_cast<double>(published - published0) / wall;
    state.counters["devices"] = static_cast<double>(edge.device_count());
    state.counters["metrics_per_msg"] = kMetricsPerMessage;
    report_cpu(state, cpu0, cpu1, wall);
  }
  edge.stop();
  session.stop();
}
BENCHMARK(BM_LiveIngest)
    ->Name("LiveIngest")
    ->Arg(19)
    ->Arg(250)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// ---- LiveLatency ----

// Nearest-rank quantile of sorted values.
double quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}

// Send times of the probes by sequence number [ns, steady clock]; 0 until sent.
using SendTimes = std::vector<std::atomic<int64_t>>;

// The probes the gRPC client received, by sequence number: the latency, and the part of it
// up to the twin's handling of the message (the change's twin_time_ns: the wall clock when the
// twin's network thread took the message from the broker).
class ProbeLog {
 public:
  ProbeLog(const BenchEdge& edge, const SendTimes& sent)
      : sent_(sent), latency_ns_(sent.size()), to_twin_ns_(sent.size()) {
    for (auto& l : latency_ns_) l.store(-1);
    for (size_t d = 0; d < edge.device_count(); ++d) {
      probe_of_[edge.machine(d)] = edge.probe_name(d);
    }
    // Wall clock minus steady clock, its smallest reading (the least delayed between the two).
    wall_minus_steady_ns_ = std::numeric_limits<int64_t>::max();
    for (int i = 0; i < 100; ++i) {
      const int64_t s0 = steady_ns();
      const int64_t w = wall_clock_ns();
      wall_minus_steady_ns_ = std::min(wall_minus_steady_ns_, w - s0);
    }
  }

  // A change received at `now_ns` (steady clock): the probes in it.
  void record(const live::StateChange& change, int64_t now_ns) {
    for (const live::TagValue& t : change.tags()) {
      const auto it = probe_of_.find(t.machine());
      if (it == probe_of_.end() || it->second != t.tag()) continue;
      const double v = t.value();
      if (!(v >= 0.0) || v >= static_cast<double>(sent_.size())) continue;
      const size_t seq = static_cast<size_t>(v);
      const int64_t sent = sent_[seq].load(std::memory_order_acquire);
      if (sent == 0 || latency_ns_[seq].load() >= 0) continue;  // not sent yet, or seen already
      to_twin_ns_[seq].store(change.twin_time_ns() - wall_minus_steady_ns_ - sent);
      latency_ns_[seq].store(now_ns - sent);
      received_.fetch_add(1, std::memory_order_release);
    }
  }

  uint64_t received() const { return received_.load(std::memory_order_acquire); }
  int64_t latency(size_t seq) const { return latency_ns_[seq].load(); }
  int64_t to_twin(size_t seq) const { return to_twin_ns_[seq].load(); }

  // Latencies [ns] of the probes from `first` on, sorted; `to_twin`: the part up to the twin.
  std::vector<int64_t> sorted(size_t first, bool to_twin = false) const {
    std::vector<int64_t> out;
    for (size_t seq = first; seq < latency_ns_.size(); ++seq) {
      if (latency_ns_[seq].load() < 0) continue;
      out.push_back(to_twin ? to_twin_ns_[seq].load() : latency_ns_[seq].load());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  const SendTimes& sent_;
  std::vector<std::atomic<int64_t>> latency_ns_;  // -1 until received
  std::vector<std::atomic<int64_t>> to_twin_ns_;
  std::unordered_map<std::string, std::string> probe_of_;  // machine -> probe tag
  int64_t wall_minus_steady_ns_ = 0;
  std::atomic<uint64_t> received_{0};
};

// The argument: DDATA per second, spread round-robin over plant250's 250 machines (10 values
// each, as LiveIngest). Besides the whole latency, twin_*_us is its part up to the twin's
// network thread taking the message (edge, broker, twin's MQTT client); the rest is the twin's
// handling, the hub and gRPC.
void BM_LiveLatency(benchmark::State& state) {
  const double rate = static_cast<double>(state.range(0));  // [messages/s]
  const Model& model = scene_model("plant250.yaml");
  BenchBroker broker;
  if (!broker.start()) {
    state.SkipWithError(broker.error().c_str());
    return;
  }
  StateHub hub;
  LiveSession session(model, hub, session_options(broker.endpoint(), "bench-twin-lat"));
  GrpcServer::Options go;
  go.listen = Endpoint{"127.0.0.1", 0};
  GrpcServer grpc_server(hub, go);
  const uint16_t grpc_port = grpc_server.start();
  BenchEdge edge(model, broker.endpoint(), "bench-edge-lat");
  std::string twin_tid;
  uint64_t base = 0;
  if (const std::string error = connect_all(session, edge, twin_tid, base); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }

  const size_t total = static_cast<size_t>(rate * (kLatencyWarmupS + kLatencyMeasureS));
  const size_t warmup = static_cast<size_t>(rate * kLatencyWarmupS);
  SendTimes sent_ns(total);
  ProbeLog grpc_log(edge, sent_ns);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = live::TwinService::NewStub(channel);
  grpc::ClientContext context;
  std::thread reader([&] {
    live::StreamRequest request;  // everything, as a dashboard would
    auto stream = stub->StreamState(&context, request);
    live::StateChange change;
    while (stream->Read(&change)) grpc_log.record(change, steady_ns());
    (void)stream->Finish();
  });
  const bool streaming = wait_for([&] { return grpc_server.counters().streams_open == 1; }, 5s);

  for (auto _ : state) {
    if (!streaming) {
      state.SkipWithError("the gRPC stream did not open");
      break;
    }
    const auto period = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(1.0 / rate));
    const auto start = SteadyClock::now() + 10ms;
    CpuSample cpu0;
    SteadyClock::time_point t0;
    uint64_t late = 0;          // sends more than one period behind the schedule
    int64_t max_behind_ns = 0;  // [ns] furthest behind the schedule
    for (size_t seq = 0; seq < total; ++seq) {
      const uint32_t device = static_cast<uint32_t>(seq % edge.device_count());
      edge.births_if_asked();
      const SparkplugMessage& m = edge.ddata(device, static_cast<float>(seq));
      const auto due = start + period * static_cast<int64_t>(seq);
      std::this_thread::sleep_until(due);
      const int64_t now = steady_ns();
      if (seq == warmup) {
        cpu0 = cpu_now(twin_tid, broker);
        t0 = SteadyClock::now();
      }
      const int64_t behind =
          now -
          std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
      max_behind_ns = std::max(max_behind_ns, behind);
      if (behind > period.count()) ++late;
      sent_ns[seq].store(now, std::memory_order_release);
      edge.publish(m);
    }
    const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const CpuSample cpu1 = cpu_now(twin_tid, broker);
    // The last probes: wait until all arrived or none came for half a second.
    uint64_t seen = grpc_log.received();
    for (int quiet = 0; quiet < 50 && seen < total; ++quiet) {
      std::this_thread::sleep_for(10ms);
      const uint64_t now_seen = grpc_log.received();
      if (now_seen != seen) quiet = 0;
      seen = now_seen;
    }
    state.SetIterationTime(wall);

    // Every probe for a closer look (when slow ones come, e.g. in step with the twin's
    // snapshot refresh every 0.2 s): seq, send time [ns, steady], latency, to-twin part [ns].
    if (const char* dump = std::getenv("TWIN_BENCH_LIVE_DUMP"); dump && *dump) {
      std::ofstream out(dump);
      for (size_t seq = 0; seq < total; ++seq) {
        out << seq << ' ' << sent_ns[seq].load() << ' ' << grpc_log.latency(seq) << ' '
            << grpc_log.to_twin(seq) << '\n';
      }
    }
    const std::vector<int64_t> measured = grpc_log.sorted(warmup);
    double mean = 0.0;
    for (const int64_t l : measured) mean += static_cast<double>(l);
    if (!measured.empty()) mean /= static_cast<double>(measured.size());
    state.counters["p50_us"] = quantile(measured, 0.50) * 1e-3;
    state.counters["p90_us"] = quantile(measured, 0.90) * 1e-3;
    state.counters["p99_us"] = quantile(measured, 0.99) * 1e-3;
    state.counters["p99.9_us"] = quantile(measured, 0.999) * 1e-3;
    state.counters["max_us"] = measured.empty() ? 0.0 : static_cast<double>(measured.back()) * 1e-3;
    state.counters["mean_us"] = mean * 1e-3;
    state.counters["count"] = static_cast<double>(measured.size());
    state.counters["lost"] = static_cast<double>(total - warmup - measured.size());
    state.counters["rate_per_s"] = static_cast<double>(total - warmup) / wall;
    state.counters["late_sends"] = static_cast<double>(late);
    state.counters["max_behind_us"] = static_cast<double>(max_behind_ns) * 1e-3;
    state.counters["devices"] = static_cast<double>(edge.device_count());
    const std::vector<int64_t> to_twin = grpc_log.sorted(warmup, true);
    state.counters["twin_p50_us"] = quantile(to_twin, 0.50) * 1e-3;
    state.counters["twin_p99_us"] = quantile(to_twin, 0.99) * 1e-3;
    state.counters["twin_p99.9_us"] = quantile(to_twin, 0.999) * 1e-3;
    report_cpu(state, cpu0, cpu1, wall);
  }
  context.TryCancel();
  reader.join();
  grpc_server.stop();
  edge.stop();
  session.stop();
  hub.close_all();
}
BENCHMARK(BM_LiveLatency)
    ->Name("LiveLatency")
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(10000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace twin
