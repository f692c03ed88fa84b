// Names and small helpers of put_message_result.h and get_message_result.h.
#include "system/common/java_string.h"
#include "system/store/get_message_result.h"
#include "system/store/put_message_result.h"

namespace rmqsim::store {

std::string_view PutMessageStatusName(PutMessageStatus s) {
  switch (s) {
    case PutMessageStatus::kPutOk:
      return "PUT_OK";
    case PutMessageStatus::kFlushDiskTimeout:
      return "FLUSH_DISK_TIMEOUT";
    case PutMessageStatus::kFlushSlaveTimeout:
      return "FLUSH_SLAVE_TIMEOUT";
    case PutMessageStatus::kSlaveNotAvailable:
      return "SLAVE_NOT_AVAILABLE";
    case PutMessageStatus::kServiceNotAvailable:
      return "SERVICE_NOT_AVAILABLE";
    case PutMessageStatus::kCreateMapedFileFailed:
      return "CREATE_MAPEDFILE_FAILED";
    case PutMessageStatus::kMessageIllegal:
      return "MESSAGE_ILLEGAL";
    case PutMessageStatus::kPropertiesSizeExceeded:
      return "PROPERTIES_SIZE_EXCEEDED";
    case PutMessageStatus::kOsPageCacheBusy:
      return "OS_PAGECACHE_BUSY";
    case PutMessageStatus::kUnknownError:
      return "UNKNOWN_ERROR";
  }
  return "?";
}

std::string_view GetMessageStatusName(GetMessageStatus s) {
  switch (s) {
    case GetMessageStatus::kFound:
      return "FOUND";
    case GetMessageStatus::kNoMatchedMessage:
      return "NO_MATCHED_MESSAGE";
    case GetMessageStatus::kMessageWasRemoving:
      return "MESSAGE_WAS_REMOVING";
    case GetMessageStatus::kOffsetFoundNull:
      return "OFFSET_FOUND_NULL";
    case GetMessageStatus::kOffsetOverflowBadly:
      return "OFFSET_OVERFLOW_BADLY";
    case GetMessageStatus::kOffsetOverflowOne:
      return "OFFSET_OVERFLOW_ONE";
    case GetMessageStatus::kOffsetTooSmall:
      return "OFFSET_TOO_SMALL";
    case GetMessageStatus::kNoMatchedLogicQueue:
      return "NO_MATCHED_LOGIC_QUEUE";
    case GetMessageStatus::kNoMessageInQueue:
      return "NO_MESSAGE_IN_QUEUE";
  }
  return "?";
}

MessageFilter MessageFilter::FromTagsExpression(std::string_view sub_string) {
  if (sub_string.empty() || sub_string == "*") return All();
  MessageFilter f;
  f.match_all = false;
  size_t i = 0;
  while (i <= sub_string.size()) {
    size_t j = sub_string.find("||", i);
    if (j == std::string_view::npos) j = sub_string.size();
    std::string_view tag = common::JavaTrim(sub_string.substr(i, j - i));
    if (!tag.empty()) f.tag_codes.insert(common::JavaStringHashCode(tag));
    if (j == sub_string.size()) break;
    i = j + 2;
  }
  return f;
}

bool MessageFilter::IsMatchedByConsumeQueue(std::optional<int64_t> tags_code) const {
  if (!tags_code.has_value() || match_all) return true;
  return tag_codes.contains(static_cast<int32_t>(*tags_code));
}

common::Bytes GetMessageResult::ConcatenatedBody() const {
  common::Bytes out;
  out.reserve(static_cast<size_t>(buffer_total_size));
  for (const auto& b : message_buffers) out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace rmqsim::store
