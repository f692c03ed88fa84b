// The flags every real-mode server main shares: tracing and logging.
//
//   --trace                 print every trace event to stderr
//   --log-dir DIR           where the log file goes (created if missing; default: logs)
//   --log-level LEVEL       debug, info (default), warn or error
//   --no-log-stderr         log to the file only
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sim/asio/asio_runtime.h"

namespace rmqsim::node {

struct ServerFlags {
  bool trace = false;
  std::string log_dir = "logs";
  std::string log_level = "info";
  bool no_log_stderr = false;
};

void AddServerFlags(CLI::App& app, ServerFlags& flags);

// Fills the runtime's trace and log options: the log file is `<log_dir>/<file_name>` (log_dir
// relative to `base_dir` unless absolute), its directory created. On a bad level or a directory
// or file that cannot be written, prints "<program>: ..." to stderr and returns false.
bool ApplyServerFlags(const ServerFlags& flags, const std::string& program,
                      const std::string& base_dir, const std::string& file_name,
                      real::AsioRuntimeOptions* options);

// Reads a configuration file whole. A missing or unreadable file, or a directory, prints
// "<program>: ..." to stderr and returns false.
bool ReadConfigFile(const std::string& program, const std::string& path, std::string* text);

}  // namespace rmqsim::node
