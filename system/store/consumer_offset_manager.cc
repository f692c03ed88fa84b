#include "system/store/consumer_offset_manager.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "sim/base/buggify.h"
#include "system/common/java_string.h"

namespace rmqsim::store {
namespace {

constexpr char kTopicGroupSeparator = '@';

std::string Key(const std::string& topic, const std::string& group) {
  return topic + kTopicGroupSeparator + group;
}

// "topic@group" split at the only '@' (Java: split("@") must give two parts).
bool SplitKey(const std::string& key, std::string* topic, std::string* group) {
  size_t at = key.find(kTopicGroupSeparator);
  if (at == std::string::npos || key.find(kTopicGroupSeparator, at + 1) != std::string::npos) {
    return false;
  }
  *topic = key.substr(0, at);
  *group = key.substr(at + 1);
  return !topic->empty() && !group->empty();
}

// fastjson writes integer map keys bare ({0:250}); quote them so a standard parser accepts the
// document. Only object keys outside strings are touched.
std::string QuoteBareIntegerKeys(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  bool expect_key = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      expect_key = false;
      out += c;
      continue;
    }
    if (c == '{' || c == ',') {
      expect_key = true;
      out += c;
      continue;
    }
    if (expect_key && (c == '-' || std::isdigit(static_cast<unsigned char>(c)))) {
      size_t j = i + 1;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      size_t k = j;
      while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      if (k < text.size() && text[k] == ':') {
        out += '"';
        out.append(text.substr(i, j - i));
        out += '"';
        i = j - 1;
        expect_key = false;
        continue;
      }
    }
    if (!std::isspace(static_cast<unsigned char>(c))) expect_key = false;
    out += c;
  }
  return out;
}

std::string JsonString(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ConsumerOffsetManager::ConsumerOffsetManager(Runtime& rt, ConsumerOffsetManagerOptions options)
    : rt_(rt), options_(std::move(options)) {}

ConsumerOffsetManager::~ConsumerOffsetManager() {
  if (timer_.valid()) rt_.executor().Cancel(timer_);
}

// --------------------------------------------------------------------------------- offsets

void ConsumerOffsetManager::CommitOffset(std::string_view client_host, const std::string& group,
                                         const std::string& topic, int32_t queue_id,
                                         int64_t offset) {
  if (offset < 0) return;
  QueueOffsets& q = offset_table_[Key(topic, group)];
  auto it = q.find(queue_id);
  if (it != q.end() && offset < it->second) {
    // Java logs "[NOTIFYME]update consumer offset less than store" and stores it anyway.
    rt_.Trace(TraceEvent("ConsumerOffsetMovedBack")
                  .Detail("Key", Key(topic, group))
                  .Detail("QueueId", queue_id)
                  .Detail("From", it->second)
                  .Detail("To", offset)
                  .Detail("ClientHost", std::string(client_host)));
  }
  q[queue_id] = offset;
}

int64_t ConsumerOffsetManager::QueryOffset(const std::string& group, const std::string& topic,
                                           int32_t queue_id) const {
  auto it = offset_table_.find(Key(topic, group));
  if (it == offset_table_.end()) return -1;
  auto q = it->second.find(queue_id);
  return q == it->second.end() ? -1 : q->second;
}

const ConsumerOffsetManager::QueueOffsets* ConsumerOffsetManager::QueryOffsets(
    const std::string& group, const std::string& topic) const {
  auto it = offset_table_.find(Key(topic, group));
  return it == offset_table_.end() ? nullptr : &it->second;
}

std::set<std::string> ConsumerOffsetManager::WhichTopicByConsumer(const std::string& group) const {
  std::set<std::string> out;
  std::string t, g;
  for (const auto& [key, q] : offset_table_) {
    if (SplitKey(key, &t, &g) && g == group) out.insert(t);
  }
  return out;
}

std::set<std::string> ConsumerOffsetManager::WhichGroupByTopic(const std::string& topic) const {
  std::set<std::string> out;
  std::string t, g;
  for (const auto& [key, q] : offset_table_) {
    if (SplitKey(key, &t, &g) && t == topic) out.insert(g);
  }
  return out;
}

void ConsumerOffsetManager::CloneOffset(const std::string& src_group, const std::string& dest_group,
                                        const std::string& topic) {
  auto it = offset_table_.find(Key(topic, src_group));
  if (it == offset_table_.end()) return;
  QueueOffsets copy = it->second;
  offset_table_[Key(topic, dest_group)] = std::move(copy);
}

void ConsumerOffsetManager::RemoveOffset(const std::string& group) {
  std::string t, g;
  for (auto it = offset_table_.begin(); it != offset_table_.end();) {
    if (SplitKey(it->first, &t, &g) && g == group) {
      it = offset_table_.erase(it);
    } else {
      ++it;
    }
  }
}

// ------------------------------------------------------------------------------------ JSON

std::string ConsumerOffsetManager::Encode(bool pretty) const {
  const std::string nl = pretty ? "\n" : "";
  const std::string t1 = pretty ? "\t" : "";
  const std::string t2 = pretty ? "\t\t" : "";
  std::string out = "{" + nl + t1 + "\"offsetTable\":{" + nl;
  bool first_key = true;
  for (const auto& [key, queues] : offset_table_) {
    if (!first_key) out += "," + nl;
    first_key = false;
    out += t2 + JsonString(key) + ":{";
    bool first_q = true;
    for (const auto& [id, offset] : queues) {
      if (!first_q) out += ",";
      first_q = false;
      out += "\"" + std::to_string(id) + "\":" + std::to_string(offset);
    }
    out += "}";
  }
  out += nl + t1 + "}" + nl + "}";
  return out;
}

Status ConsumerOffsetManager::Decode(std::string_view json) {
  const std::string text = QuoteBareIntegerKeys(json);
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("consumer offsets: not valid JSON");
  if (!doc.is_object()) return InvalidArgumentError("consumer offsets: not a JSON object");
  OffsetTable table;
  auto it = doc.find("offsetTable");
  if (it != doc.end() && !it->is_null()) {
    if (!it->is_object())
      return InvalidArgumentError("consumer offsets: offsetTable not an object");
    for (const auto& [key, queues] : it->items()) {
      if (queues.is_null()) continue;
      if (!queues.is_object()) {
        return InvalidArgumentError("consumer offsets: offsetTable." + key + " not an object");
      }
      QueueOffsets& q = table[key];
      for (const auto& [id_text, value] : queues.items()) {
        auto id = common::ParseJavaInt(id_text, "queue id");
        if (!id.ok()) return id.status().WithContext("consumer offsets: offsetTable." + key);
        int64_t offset = 0;
        if (value.is_number_integer()) {
          offset = value.get<int64_t>();
        } else if (value.is_string()) {
          auto parsed = common::ParseJavaLong(value.get<std::string>(), "offset");
          if (!parsed.ok()) return parsed.status().WithContext("consumer offsets: " + key);
          offset = *parsed;
        } else {
          return InvalidArgumentError("consumer offsets: offsetTable." + key + "." + id_text +
                                      " is not an integer");
        }
        q[*id] = offset;
      }
    }
  }
  offset_table_ = std::move(table);
  return Status::Ok();
}

Status ConsumerOffsetManager::SyncFromMaster(std::string_view json) {
  OffsetTable mine = offset_table_;
  RMQ_RETURN_IF_ERROR(Decode(json));
  for (auto& [key, queues] : mine) offset_table_.try_emplace(key, std::move(queues));
  Persist();
  return Status::Ok();
}

// ---------------------------------------------------------------------------- persistence

StatusOr<std::string> ConsumerOffsetManager::ReadWholeFile(const std::string& path) const {
  RMQ_ASSIGN_OR_RETURN(auto f, rt_.fs().Open(path, OpenMode::kOpenExisting));
  RMQ_ASSIGN_OR_RETURN(uint64_t size, f->Size());
  if (size > limits::kConsumerOffsetFileBytesMax) {
    return ResourceExhaustedError("'" + path + "' is " + std::to_string(size) +
                                  " bytes, more than the limit " +
                                  std::to_string(limits::kConsumerOffsetFileBytesMax));
  }
  std::string out(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    auto n = f->ReadAt(
        done, std::span(reinterpret_cast<std::byte*>(out.data()) + done, out.size() - done));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    done += *n;
  }
  out.resize(done);
  f->Close();
  return out;
}

Status ConsumerOffsetManager::Load() {
  const std::string& path = options_.config_file_path;
  auto text = ReadWholeFile(path);
  Status main_status;
  if (text.ok() && !text->empty()) {
    main_status = Decode(*text);
    if (main_status.ok()) {
      rt_.Trace(TraceEvent("ConsumerOffsetLoaded")
                    .Detail("Path", path)
                    .Detail("Keys", offset_table_.size())
                    .Detail("FromBackup", false));
      return Status::Ok();
    }
  } else if (!text.ok() && text.status().code() != StatusCode::kNotFound) {
    main_status = text.status();
  }
  // loadBak: the file is missing, empty or broken.
  auto bak = ReadWholeFile(path + ".bak");
  if (bak.ok() && !bak->empty()) {
    Status st = Decode(*bak);
    if (!st.ok()) return st.WithContext("load '" + path + ".bak'");
    rt_.Trace(TraceEvent("ConsumerOffsetLoaded")
                  .Detail("Path", path + ".bak")
                  .Detail("Keys", offset_table_.size())
                  .Detail("FromBackup", true)
                  .Detail("MainError", main_status.ToString()));
    return Status::Ok();
  }
  if (!bak.ok() && bak.status().code() != StatusCode::kNotFound) {
    return bak.status().WithContext("load '" + path + ".bak'");
  }
  rt_.Trace(TraceEvent("ConsumerOffsetLoaded")
                .Detail("Path", path)
                .Detail("Keys", offset_table_.size())
                .Detail("FromBackup", false)
                .Detail("MainError", main_status.ToString()));
  return Status::Ok();
}

void ConsumerOffsetManager::Start() {
  if (started_) return;
  started_ = true;
  timer_ = rt_.executor().ScheduleAfter(options_.persist_first_delay,
                                        guard_.Wrap([this] { PersistTick(); }));
}

void ConsumerOffsetManager::PersistTick() {
  timer_ = {};
  if (!started_) return;
  Persist();
  Duration wait = options_.flush_consumer_offset_interval;
  // BUGGIFY: the next persist runs up to 5 s late (BrokerController's scheduled executor behind a
  // slow persist or a GC pause): a crash then rolls committed offsets back further and consumers
  // see more messages again, as RocketMQ's at-least-once delivery allows.
  if (RMQ_BUGGIFY(rt_)) wait += rt_.random().UniformDuration(Duration::zero(), seconds(5));
  timer_ = rt_.executor().ScheduleAfter(wait, guard_.Wrap([this] { PersistTick(); }));
}

void ConsumerOffsetManager::Shutdown(DoneCallback done) {
  started_ = false;
  if (timer_.valid()) rt_.executor().Cancel(timer_);
  timer_ = {};
  Persist(std::move(done));
}

void ConsumerOffsetManager::Persist(DoneCallback done) {
  if (persisting_) {
    persist_again_ = true;
    if (done) next_done_.push_back(std::move(done));
    return;
  }
  if (done) current_done_.push_back(std::move(done));
  StartPersist();
}

void ConsumerOffsetManager::StartPersist() {
  persisting_ = true;
  const std::string& path = options_.config_file_path;
  const std::string tmp = path + ".tmp";
  auto fail = [this](Status st) {
    rt_.executor().Post(guard_.Wrap([this, st] { FinishPersist(st); }));
  };
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    Status dir = rt_.fs().CreateDirectories(path.substr(0, slash));
    if (!dir.ok()) return fail(dir);
  }
  auto f = rt_.fs().Open(tmp, OpenMode::kCreateTruncate);
  if (!f.ok()) return fail(f.status());
  const std::string json = Encode(true);
  Status st =
      (*f)->WriteAt(0, std::span(reinterpret_cast<const std::byte*>(json.data()), json.size()));
  if (!st.ok()) return fail(st);
  if (!options_.fsync_before_rename) {
    (*f)->Close();
    rt_.executor().Post(guard_.Wrap([this, tmp] { InstallTemp(tmp); }));
    return;
  }
  tmp_file_ = std::move(*f);
  tmp_file_->Sync(guard_.Wrap([this, tmp](const Status& s) {
    tmp_file_->Close();
    tmp_file_.reset();
    if (!s.ok()) {
      FinishPersist(s);
      return;
    }
    InstallTemp(tmp);
  }));
}

void ConsumerOffsetManager::InstallTemp(const std::string& tmp) {
  const std::string& path = options_.config_file_path;
  if (rt_.fs().Exists(path)) {
    Status st = rt_.fs().Rename(path, path + ".bak");
    if (!st.ok()) return FinishPersist(st);
  }
  FinishPersist(rt_.fs().Rename(tmp, path));
}

void ConsumerOffsetManager::FinishPersist(const Status& st) {
  persisting_ = false;
  if (st.ok()) {
    ++persist_count_;
  } else {
    rt_.Trace(TraceEvent("ConsumerOffsetPersistFailed", Severity::kWarn)
                  .Detail("Path", options_.config_file_path)
                  .Detail("Error", st.ToString()));
  }
  auto done = std::move(current_done_);
  current_done_.clear();
  for (auto& d : done) d(st);
  if (persist_again_ && !persisting_) {
    persist_again_ = false;
    current_done_ = std::move(next_done_);
    next_done_.clear();
    StartPersist();
  }
}

}  // namespace rmqsim::store
