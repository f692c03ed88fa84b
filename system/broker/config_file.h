// The broker's small JSON config files (topics.json, delayOffset.json), persisted as RocketMQ's
// ConfigManager does (MixAll.string2File): write "<file>.tmp", move the old file to "<file>.bak",
// rename the temp file into place. Unlike Java the temp file is fsynced before the renames, so
// a power loss leaves the old or the new content, never an empty file. Loading reads the file, or
// the .bak when the file is missing, empty or rejected by the parser.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sim/base/lifetime.h"
#include "sim/base/status.h"
#include "sim/runtime/runtime.h"

namespace rmqsim::broker {

// Reads a whole file. kNotFound when missing.
StatusOr<std::string> ReadWholeFile(FileSystem& fs, const std::string& path);

class ConfigFile {
 public:
  using Parser = std::function<Status(const std::string& text)>;
  using DoneCallback = std::function<void(const Status&)>;

  // How the previous file becomes "<file>.bak". kRename: moved there (the file is missing for a
  // moment: Load() then reads the .bak). kCopy: its text is copied there and the temp file
  // replaces the file in one rename, so the file is never missing (for files read by something
  // without the .bak fallback, such as the broker's -c file).
  enum class Backup { kRename, kCopy };

  ConfigFile(Runtime& rt, std::string path, Backup backup = Backup::kRename)
      : rt_(rt), path_(std::move(path)), backup_(backup) {}
  ~ConfigFile() = default;
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;

  // Feeds the file (or its .bak) to `parse`. OK without calling `parse` when neither exists;
  // an error when both exist and neither parses.
  Status Load(const Parser& parse);

  // Persists `content`. Writes are serialized: a write asked for while one runs replaces any
  // queued content and runs after it. `done` (optional) runs on the executor, never inside.
  void Persist(std::string content, DoneCallback done = nullptr);
  const std::string& path() const { return path_; }
  uint64_t persist_count() const { return persist_count_; }

 private:
  void StartWrite();
  Status CopyToBackup();
  void Finish(const Status& st);

  Runtime& rt_;
  std::string path_;
  Backup backup_;
  bool writing_ = false;
  bool queued_ = false;
  std::string queued_content_;
  std::vector<DoneCallback> current_done_;
  std::vector<DoneCallback> queued_done_;
  std::unique_ptr<File> tmp_;
  uint64_t persist_count_ = 0;
  LifetimeGuard guard_;
};

}  // namespace rmqsim::broker
