// The stored message layout (reference §4.1): one commit-log record, also the unit of a
// PULL_MESSAGE response body (§4.5), VIEW_MESSAGE_BY_ID / QUERY_MESSAGE bodies and the body of
// CHECK_TRANSACTION_STATE. Sources: CommitLog.calMsgLength / checkMessageAndReturnSize and
// MessageDecoder.encode / decode in apache/rocketmq 4.9.8.
//
//  offset (IPv4 hosts)  size  field
//   0                    4    TOTALSIZE            whole record, this field included
//   4                    4    MAGICCODE            kMessageMagicCode
//   8                    4    BODYCRC              Crc32Masked(body)
//  12                    4    QUEUEID
//  16                    4    FLAG                 user flag
//  20                    8    QUEUEOFFSET          logical offset in the consume queue
//  28                    8    PHYSICALOFFSET       commit-log offset of this record
//  36                    4    SYSFLAG              §4.3; bits 4/5 select 20-byte IPv6 hosts
//  40                    8    BORNTIMESTAMP        ms
//  48                    8    BORNHOST             IPv4 + int port (IPv6: 16 + 4)
//  56                    8    STORETIMESTAMP       ms
//  64                    8    STOREHOST            IPv4 + int port (IPv6: 16 + 4)
//  72                    4    RECONSUMETIMES
//  76                    8    PREPARED TRANSACTION OFFSET
//  84                    4+B  BODYLEN + BODY       as stored (compressed if sysFlag bit 0)
//  88+B                  1+T  TOPICLEN + TOPIC     2-byte length in 5.x V2 records
//  89+B+T                2+P  PROPLEN + PROPERTIES §4.2, length a Java short
//
// A commit-log segment ends with an 8-byte blank marker: TOTALSIZE = the space left in the file,
// MAGICCODE = kBlankMagicCode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "system/common/byte_buffer.h"
#include "system/common/host_address.h"
#include "system/common/message.h"

namespace rmqsim::common {

// MessageDecoder.MESSAGE_MAGIC_CODE = -626843481.
inline constexpr int32_t kMessageMagicCode = static_cast<int32_t>(0xDAA320A7u);
// 5.x MessageDecoder.MESSAGE_MAGIC_CODE_V2 = -626843477: same layout, 2-byte topic length.
inline constexpr int32_t kMessageMagicCodeV2 = static_cast<int32_t>(0xDAA320ABu);
// CommitLog.BLANK_MAGIC_CODE = -875286124.
inline constexpr int32_t kBlankMagicCode = static_cast<int32_t>(0xCBD43194u);
// CommitLog END_FILE_MIN_BLANK_LENGTH: a record is appended only if it leaves room for this.
inline constexpr int32_t kEndFileMinBlankLength = 4 + 4;

// Fixed positions (MessageDecoder; valid whatever the host families, as hosts come later).
inline constexpr size_t kMagicCodePosition = 4;
inline constexpr size_t kBodyCrcPosition = 8;
inline constexpr size_t kQueueIdPosition = 12;
inline constexpr size_t kFlagPosition = 16;
inline constexpr size_t kQueueOffsetPosition = 20;
inline constexpr size_t kPhysicalOffsetPosition = 28;
inline constexpr size_t kSysFlagPosition = 36;
inline constexpr size_t kBornTimestampPosition = 40;
inline constexpr size_t kBornHostPosition = 48;
// Store timestamp position with an IPv4 born host (MessageDecoder's commented constant).
inline constexpr size_t kStoreTimestampPositionIpv4 = 56;

// Topic length limits: a Java byte (V1) or short (V2).
inline constexpr int32_t kStoredTopicMaxBytesV1 = 127;
inline constexpr int32_t kStoredTopicMaxBytesV2 = 32767;

// A decoded or to-be-encoded stored message (MessageExt).
struct MessageExt {
  Message message;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t commit_log_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp_ms = 0;
  HostAddress born_host;
  int64_t store_timestamp_ms = 0;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  // Set by the decoder. The encoder ignores both and writes Crc32Masked(body) and the real size.
  int32_t body_crc = 0;
  int32_t store_size = 0;
  // kMessageMagicCode (4.x) or kMessageMagicCodeV2 (5.x, 2-byte topic length).
  int32_t magic_code = kMessageMagicCode;

  // The broker's message id: STOREHOST + PHYSICALOFFSET (§4.6).
  std::string OffsetMsgId() const;

  friend bool operator==(const MessageExt&, const MessageExt&) = default;
};

// CommitLog.calMsgLength: the record size for these lengths and host families (sysFlag bits 4
// and 5); `topic_length_bytes` is 1 (V1) or 2 (V2). 64-bit so oversize inputs do not wrap.
int64_t CalMsgLength(int32_t sys_flag, int64_t body_length, int64_t topic_length,
                     int64_t properties_length, int topic_length_bytes = 1);

// sys_flag with bits 4 and 5 set from the host families.
int32_t SysFlagWithHostBits(int32_t sys_flag, const HostAddress& born, const HostAddress& store);

// Encodes one record. The encoder writes BODYCRC = Crc32Masked(body), TOTALSIZE = the real size,
// and SYSFLAG with bits 4/5 set from the host families (other bits as given). Fails with
// kInvalidArgument for a topic longer than the magic code allows, properties that cannot be
// encoded or exceed 32767 bytes, or a record over INT32_MAX bytes.
StatusOr<Bytes> EncodeStoredMessage(const MessageExt& msg,
                                    PropertiesStyle style = PropertiesStyle::kNoTrailingSeparator);
// Same, appended to `out` (left unchanged on error).
Status AppendStoredMessage(const MessageExt& msg, Bytes* out,
                           PropertiesStyle style = PropertiesStyle::kNoTrailingSeparator);

// The 8-byte end-of-segment marker: TOTALSIZE = `total_size` (the space left), kBlankMagicCode.
Bytes EncodeBlankRecord(int32_t total_size);

struct StoredRecordHeader {
  int32_t total_size = 0;
  int32_t magic_code = 0;
  bool is_blank() const { return magic_code == kBlankMagicCode; }
};

// Reads and checks the first 8 bytes: a known magic code and a plausible TOTALSIZE (at least the
// smallest record, or 8 for a blank). Does not look at the rest. kCorruption otherwise.
StatusOr<StoredRecordHeader> PeekStoredRecordHeader(ByteSpan bytes);

struct DecodeOptions {
  // Compare BODYCRC with Crc32Masked(body) (CommitLog checkCRC). A mismatch is kCorruption.
  bool check_crc = true;
  // Offset of bytes[0] in the caller's larger buffer or file; only used in error messages.
  uint64_t base_offset = 0;
};

// One decoded record: a message, or the blank end-of-segment marker.
struct StoredRecord {
  bool is_blank = false;
  int32_t total_size = 0;  // bytes the record occupies (TOTALSIZE)
  MessageExt message;      // only for a message
};

// Decodes the record at the start of `bytes` (anything after it is ignored). Every failure is
// kCorruption and names the offset and the field: unknown magic code, TOTALSIZE beyond the
// buffer or below the minimum, negative or oversize lengths, TOTALSIZE not equal to the size the
// lengths imply, BODYCRC mismatch.
StatusOr<StoredRecord> DecodeStoredRecord(ByteSpan bytes, const DecodeOptions& options = {});
// Same, but a blank marker is an error: for places that hold messages only.
StatusOr<MessageExt> DecodeStoredMessage(ByteSpan bytes, const DecodeOptions& options = {});

// Decodes a PULL_MESSAGE body (§4.5): records back to back until the buffer ends, no count
// prefix. An empty body gives no messages. Errors name the record index and its byte offset.
StatusOr<std::vector<MessageExt>> DecodeStoredMessages(ByteSpan bytes,
                                                       const DecodeOptions& options = {});

}  // namespace rmqsim::common
