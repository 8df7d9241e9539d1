// Child processes for integration tests (a broker, a node script): started with argv, output
// to files, stopped with a signal. The destructor kills what is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace twin::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Runs argv[0] (looked up on PATH) in `dir` with stdout/stderr to the given files.
  bool start(const std::vector<std::string>& argv, const std::string& dir,
             const std::string& stdout_path, const std::string& stderr_path);
  // Sends `signal` and waits up to `timeout` for the exit (then SIGKILL). Returns the exit code
  // (128 + signal when killed), -1 if nothing was running.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits for the process to end by itself; -1 on timeout (it keeps running).
  int wait(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// A free TCP port on 127.0.0.1 (bound and released; good enough for tests on one machine).
int free_loopback_port();
// True once something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);
std::string read_file(const std::string& path);
// An empty directory for one test, unique per process: <tmp>/twin_<name>_<pid>.
std::string fresh_temp_dir(const std::string& name);
// True if `program` is on PATH.
bool have_program(const std::string& program);

}  // namespace twin::test
