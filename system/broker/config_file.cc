#include "system/broker/config_file.h"

#include <span>
#include <vector>

namespace rmqsim::broker {

StatusOr<std::string> ReadWholeFile(FileSystem& fs, const std::string& path) {
  auto f = fs.Open(path, OpenMode::kOpenExisting);
  if (!f.ok()) return f.status();
  auto size = (*f)->Size();
  if (!size.ok()) return size.status();
  std::string out(*size, '\0');
  size_t done = 0;
  while (done < out.size()) {
    auto n = (*f)->ReadAt(
        done,
        std::span<std::byte>(reinterpret_cast<std::byte*>(out.data()) + done, out.size() - done));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    done += *n;
  }
  out.resize(done);
  return out;
}

Status ConfigFile::Load(const Parser& parse) {
  Status main_error;
  for (const std::string& p : {path_, path_ + ".bak"}) {
    if (!rt_.fs().Exists(p)) continue;
    auto text = ReadWholeFile(rt_.fs(), p);
    if (!text.ok()) {
      if (main_error.ok()) main_error = text.status();
      continue;
    }
    if (text->empty()) continue;
    Status st = parse(*text);
    if (st.ok()) return st;
    if (main_error.ok()) main_error = st;
  }
  if (!main_error.ok()) {
    return CorruptionError(path_ +
                           ": neither the file nor its .bak is usable: " + main_error.message());
  }
  return Status::Ok();
}

void ConfigFile::Persist(std::string content, DoneCallback done) {
  queued_ = true;
  queued_content_ = std::move(content);
  if (done) queued_done_.push_back(std::move(done));
  if (!writing_) StartWrite();
}

void ConfigFile::StartWrite() {
  writing_ = true;
  queued_ = false;
  current_done_ = std::move(queued_done_);
  queued_done_.clear();
  std::string content = std::move(queued_content_);
  queued_content_.clear();
  const std::string tmp = path_ + ".tmp";
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos) {
    Status st = rt_.fs().CreateDirectories(path_.substr(0, slash));
    if (!st.ok()) {
      rt_.executor().Post(guard_.Wrap([this, st] { Finish(st); }));
      return;
    }
  }
  auto f = rt_.fs().Open(tmp, OpenMode::kCreateTruncate);
  if (!f.ok()) {
    Status st = f.status();
    rt_.executor().Post(guard_.Wrap([this, st] { Finish(st); }));
    return;
  }
  tmp_ = std::move(*f);
  Status st = tmp_->Append(std::span<const std::byte>(
      reinterpret_cast<const std::byte*>(content.data()), content.size()));
  if (!st.ok()) {
    rt_.executor().Post(guard_.Wrap([this, st] { Finish(st); }));
    return;
  }
  tmp_->Sync(guard_.Wrap([this, tmp](const Status& sync) {
    tmp_->Close();
    tmp_.reset();
    if (!sync.ok()) {
      Finish(sync);
      return;
    }
    if (rt_.fs().Exists(path_)) {
      Status bak = backup_ == Backup::kRename ? rt_.fs().Rename(path_, path_ + ".bak")
                                              : CopyToBackup();
      if (!bak.ok()) {
        Finish(bak);
        return;
      }
    }
    Finish(rt_.fs().Rename(tmp, path_));
  }));
}

Status ConfigFile::CopyToBackup() {
  RMQ_ASSIGN_OR_RETURN(std::string old, ReadWholeFile(rt_.fs(), path_));
  RMQ_ASSIGN_OR_RETURN(auto bak, rt_.fs().Open(path_ + ".bak", OpenMode::kCreateTruncate));
  Status st = bak->Append(std::as_bytes(std::span(old.data(), old.size())));
  bak->Close();
  return st;
}

void ConfigFile::Finish(const Status& st) {
  if (st.ok()) {
    ++persist_count_;
  } else {
    rt_.Trace(TraceEvent("BrokerConfigPersistFailed", Severity::kWarn)
                  .Detail("Path", path_)
                  .Detail("Error", st.ToString()));
  }
  auto done = std::move(current_done_);
  current_done_.clear();
  writing_ = false;
  for (auto& d : done) d(st);
  if (queued_ && !writing_) StartWrite();
}

}  // namespace rmqsim::broker
