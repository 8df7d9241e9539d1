// Running the outside peers of the interop tests (node scripts from npm packages): a shell
// command from the source root with stdout and stderr captured apart, and a check that node and
// the packages a test needs are installed.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>

namespace twin::test {

// `s` in single quotes for sh.
std::string shell_quote(const std::string& s);

struct CommandResult {
  int code = -1;    // exit code, -1 when it did not exit normally
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` with sh from the source root (TWIN_SOURCE_DIR).
CommandResult run_in_source_dir(const std::string& command);

// "" when node is on PATH and every package has a package.json under dir/node_modules, else
// what is missing and the command that installs it.
std::string missing_node_packages(const std::filesystem::path& dir,
                                  std::initializer_list<const char*> packages);

}  // namespace twin::test
