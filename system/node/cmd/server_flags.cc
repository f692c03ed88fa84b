#include "system/node/cmd/server_flags.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "sim/runtime/log.h"

namespace rmqsim::node {

void AddServerFlags(CLI::App& app, ServerFlags& flags) {
  app.add_flag("--trace", flags.trace, "Print every trace event to stderr");
  app.add_option("--log-dir", flags.log_dir,
                 "Directory of the log file (created if missing; relative to --data-dir where "
                 "there is one)");
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error");
  app.add_flag("--no-log-stderr", flags.no_log_stderr, "Write log lines to the file only");
}

bool ApplyServerFlags(const ServerFlags& flags, const std::string& program,
                      const std::string& base_dir, const std::string& file_name,
                      real::AsioRuntimeOptions* options) {
  auto level = ParseLogLevel(flags.log_level);
  if (!level.has_value()) {
    std::fprintf(stderr, "%s: --log-level: '%s' is not one of debug, info, warn, error\n",
                 program.c_str(), flags.log_level.c_str());
    return false;
  }
  namespace fs = std::filesystem;
  fs::path dir(flags.log_dir);
  if (dir.is_relative() && !base_dir.empty()) dir = fs::path(base_dir) / dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "%s: --log-dir: cannot create %s: %s\n", program.c_str(),
                 dir.string().c_str(), ec.message().c_str());
    return false;
  }
  const fs::path file = dir / file_name;
  if (!std::ofstream(file, std::ios::app)) {
    std::fprintf(stderr, "%s: --log-dir: cannot write %s\n", program.c_str(),
                 file.string().c_str());
    return false;
  }
  options->trace_to_stderr = flags.trace;
  options->log_file = file.string();
  options->log_to_stderr = !flags.no_log_stderr;
  options->log_level = *level;
  return true;
}

bool ReadConfigFile(const std::string& program, const std::string& path, std::string* text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::fprintf(stderr, "%s: -c %s: is a directory, not a configuration file\n", program.c_str(),
                 path.c_str());
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", program.c_str(), path.c_str());
    return false;
  }
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    std::fprintf(stderr, "%s: cannot read %s\n", program.c_str(), path.c_str());
    return false;
  }
  *text = s.str();
  return true;
}

}  // namespace rmqsim::node
