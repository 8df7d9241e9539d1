#include "tests/support/interop.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "tests/support/process.h"

namespace twin::test {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q.append("'\\''");
    } else {
      q += c;
    }
  }
  q += '\'';
  return q;
}

CommandResult run_in_source_dir(const std::string& command) {
  static std::atomic<int> counter{0};
  const fs::path err_path =
      fs::temp_directory_path() / ("twin_interop_" + std::to_string(::getpid()) + "_" +
                                   std::to_string(counter.fetch_add(1)) + ".err");
  std::string cmd("cd ");
  cmd.append(shell_quote(TWIN_SOURCE_DIR));
  cmd.append(" && ");
  cmd.append(command);
  cmd.append(" 2>");
  cmd.append(shell_quote(err_path.string()));
  CommandResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err_path.string());
  std::error_code ec;
  fs::remove(err_path, ec);
  return r;
}

std::string missing_node_packages(const fs::path& dir,
                                  std::initializer_list<const char*> packages) {
  if (!have_program("node")) return "node is not installed (or not on PATH)";
  for (const char* package : packages) {
    if (!fs::exists(dir / "node_modules" / package / "package.json")) {
      std::string why("npm package ");
      why.append(package);
      why.append(" missing in ");
      why.append((dir / "node_modules").string());
      why.append("; run: npm ci --prefix ");
      why.append(fs::relative(dir, TWIN_SOURCE_DIR).string());
      return why;
    }
  }
  return "";
}

}  // namespace twin::test
