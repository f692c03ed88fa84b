#include "system/client/offset_store.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "sim/base/assert.h"
#include "sim/base/trace.h"
#include "system/common/byte_buffer.h"

namespace rmqsim::client {

void OffsetStore::UpdateOffset(const MessageQueue& mq, int64_t offset, bool increase_only) {
  if (!increase_only) committed_floor_.erase(mq);  // an explicit reset
  auto it = offset_table_.find(mq);
  if (it == offset_table_.end()) {
    offset_table_.emplace(mq, offset);
  } else if (!increase_only || offset > it->second) {
    it->second = offset;
  }
}

void OffsetStore::NoteCommitted(const MessageQueue& mq, int64_t offset) {
  auto [it, inserted] = committed_floor_.emplace(mq, offset);
  if (inserted) return;
  RMQ_ASSERT_MSG(offset >= it->second,
                 "committed offset of " + mq.ToString() + " went backwards from " +
                     std::to_string(it->second) + " to " + std::to_string(offset) +
                     " without a reset (updateOffset with increaseOnly false, or a removal)");
  it->second = offset;
}

int64_t OffsetStore::ReadOffsetFromMemory(const MessageQueue& mq) const {
  auto it = offset_table_.find(mq);
  return it == offset_table_.end() ? kOffsetNotFound : it->second;
}

// ------------------------------------------------------------------------- remote

Task<int64_t> RemoteBrokerOffsetStore::ReadOffsetFromStore(MessageQueue mq) {
  auto r = co_await instance_.QueryConsumerOffset(group_, mq);
  if (r.ok()) {
    UpdateOffset(mq, *r, false);
    co_return *r;
  }
  // A broker answer that is not SUCCESS (QUERY_NOT_FOUND) means "no offset"; anything else
  // (no broker, transport error) is a read error.
  co_return BrokerErrorCode(r.status()) >= 0 ? kOffsetNotFound : kOffsetReadError;
}

void RemoteBrokerOffsetStore::UpdateConsumeOffsetToBroker(const MessageQueue& mq, int64_t offset) {
  NoteCommitted(mq, offset);
  Status s = instance_.UpdateConsumerOffsetOneway(group_, mq, offset);
  if (s.ok()) {
    ++offsets_sent_;
  } else {
    instance_.runtime().Trace(TraceEvent("ConsumerOffsetNotSent", Severity::kWarn)
                                  .Detail("Group", group_)
                                  .Detail("Queue", mq.ToString())
                                  .Detail("Error", s.ToString()));
  }
}

void RemoteBrokerOffsetStore::PersistAll(const std::set<MessageQueue>& mqs) {
  if (mqs.empty()) return;
  for (auto it = offset_table_.begin(); it != offset_table_.end();) {
    if (mqs.contains(it->first)) {
      UpdateConsumeOffsetToBroker(it->first, it->second);
      ++it;
    } else {
      auto gone = it++;
      Forget(gone);
    }
  }
}

void RemoteBrokerOffsetStore::Persist(const MessageQueue& mq) {
  auto it = offset_table_.find(mq);
  if (it != offset_table_.end()) UpdateConsumeOffsetToBroker(mq, it->second);
}

// ------------------------------------------------------------------------- local file

std::string EncodeOffsetsJson(const std::map<MessageQueue, int64_t>& offsets) {
  nlohmann::json table = nlohmann::json::array();
  for (const auto& [mq, offset] : offsets) {
    table.push_back({{"brokerName", mq.broker_name},
                     {"offset", offset},
                     {"queueId", mq.queue_id},
                     {"topic", mq.topic}});
  }
  nlohmann::json root = {{"offsetTable", table}};
  return root.dump();
}

StatusOr<std::map<MessageQueue, int64_t>> DecodeOffsetsJson(std::string_view json) {
  auto root = nlohmann::json::parse(json, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("offsetTable") ||
      !root["offsetTable"].is_array()) {
    return CorruptionError("offsets file: expected {\"offsetTable\":[...]}");
  }
  std::map<MessageQueue, int64_t> out;
  size_t index = 0;
  for (const auto& e : root["offsetTable"]) {
    if (!e.is_object() || !e.contains("brokerName") || !e["brokerName"].is_string() ||
        !e.contains("topic") || !e["topic"].is_string() || !e.contains("queueId") ||
        !e["queueId"].is_number_integer() || !e.contains("offset") ||
        !e["offset"].is_number_integer()) {
      return CorruptionError("offsets file: offsetTable[" + std::to_string(index) +
                             "] needs brokerName, topic, queueId and offset");
    }
    MessageQueue mq{e["topic"].get<std::string>(), e["brokerName"].get<std::string>(),
                    e["queueId"].get<int32_t>()};
    out[mq] = e["offset"].get<int64_t>();
    ++index;
  }
  return out;
}

LocalFileOffsetStore::LocalFileOffsetStore(Runtime& rt, std::string dir,
                                           const std::string& client_id, const std::string& group)
    : rt_(rt), dir_(dir + "/" + client_id + "/" + group), path_(dir_ + "/offsets.json") {}

Status LocalFileOffsetStore::Load() {
  if (!rt_.fs().Exists(path_)) return Status::Ok();
  RMQ_ASSIGN_OR_RETURN(auto file, rt_.fs().Open(path_, OpenMode::kOpenExisting));
  RMQ_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string text(size, '\0');
  if (size > 0) {
    std::span<std::byte> out(reinterpret_cast<std::byte*>(text.data()), text.size());
    RMQ_ASSIGN_OR_RETURN(size_t n, file->ReadAt(0, out));
    text.resize(n);
  }
  if (text.empty()) return Status::Ok();
  auto offsets = DecodeOffsetsJson(text);
  if (!offsets.ok()) return offsets.status().WithContext(path_);
  persisted_ = std::move(*offsets);
  for (const auto& [mq, offset] : persisted_) UpdateOffset(mq, offset, false);
  return Status::Ok();
}

Task<int64_t> LocalFileOffsetStore::ReadOffsetFromStore(MessageQueue mq) {
  auto it = persisted_.find(mq);
  if (it == persisted_.end()) co_return kOffsetNotFound;
  UpdateOffset(mq, it->second, false);
  co_return it->second;
}

void LocalFileOffsetStore::PersistAll(const std::set<MessageQueue>& mqs) {
  if (mqs.empty()) return;
  WriteFile(mqs);
}

void LocalFileOffsetStore::Persist(const MessageQueue&) {}  // as Java: only persistAll writes

void LocalFileOffsetStore::WriteFile(std::set<MessageQueue> mqs) {
  if (writing_) {
    pending_ = std::move(mqs);
    return;
  }
  std::map<MessageQueue, int64_t> content;
  for (const auto& [mq, offset] : offset_table_) {
    if (mqs.contains(mq)) {
      NoteCommitted(mq, offset);
      content[mq] = offset;
    }
  }
  auto fail = [this](const Status& s) {
    rt_.Trace(TraceEvent("ConsumerOffsetFileWriteFailed", Severity::kWarn)
                  .Detail("Path", path_)
                  .Detail("Error", s.ToString()));
  };
  Status dirs = rt_.fs().CreateDirectories(dir_);
  if (!dirs.ok()) return fail(dirs);
  const std::string tmp = path_ + ".tmp";
  auto file = rt_.fs().Open(tmp, OpenMode::kCreateTruncate);
  if (!file.ok()) return fail(file.status());
  std::string text = EncodeOffsetsJson(content);
  Status appended = (*file)->Append(common::AsByteSpan(text));
  if (!appended.ok()) return fail(appended);
  writing_ = true;
  std::shared_ptr<File> handle(std::move(*file));
  handle->Sync(guard_.Wrap(
      [this, handle, tmp, content = std::move(content), fail](const Status& synced) mutable {
        handle->Close();
        writing_ = false;
        if (!synced.ok()) {
          fail(synced);
        } else if (Status renamed = rt_.fs().Rename(tmp, path_); !renamed.ok()) {
          fail(renamed);
        } else {
          persisted_ = std::move(content);
          ++files_written_;
        }
        if (pending_) {
          auto next = std::move(*pending_);
          pending_.reset();
          WriteFile(std::move(next));
        }
      }));
}

}  // namespace rmqsim::client
