#include "system/remoting/frame_decoder.h"

#include <algorithm>

namespace rmqsim::remoting {

namespace {
uint32_t ReadBe32(const std::byte* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
}  // namespace

FrameDecoder::FrameDecoder(uint32_t frame_length_max) : frame_length_max_(frame_length_max) {
  RMQ_ASSERT_MSG(
      frame_length_max_ >= limits::kFrameLengthMin && frame_length_max_ <= limits::kFrameLengthMax,
      "frame_length_max out of range");
}

Status FrameDecoder::Fail(Status s) {
  error_ = std::move(s);
  buffer_.clear();
  buffer_.shrink_to_fit();
  read_pos_ = 0;
  return error_;
}

Status FrameDecoder::CheckPrefix(std::span<const std::byte> data) const {
  if (data.size() < 4) return Status::Ok();
  const uint32_t length = ReadBe32(data.data());
  if (length > frame_length_max_) {
    return InvalidArgumentError("frame length " + std::to_string(length) + " exceeds the limit " +
                                std::to_string(frame_length_max_) + " (a frame is at most " +
                                std::to_string(uint64_t{frame_length_max_} + 4) +
                                " bytes with its length field)");
  }
  if (length < limits::kFrameLengthMin) {
    return InvalidArgumentError("frame length " + std::to_string(length) +
                                " is less than 4: no room for the header-length word");
  }
  if (data.size() < 8) return Status::Ok();
  const uint32_t word = ReadBe32(data.data() + 4);
  const uint32_t header_length = word & limits::kHeaderLengthMax;
  if (header_length > length - 4) {
    return CorruptionError("header length " + std::to_string(header_length) +
                           " exceeds frame length - 4 = " + std::to_string(length - 4));
  }
  const uint32_t type = word >> 24;
  if (type != static_cast<uint32_t>(SerializeType::JSON) &&
      type != static_cast<uint32_t>(SerializeType::ROCKETMQ)) {
    return InvalidArgumentError("unknown serialization type " + std::to_string(type) +
                                " in the header-length word (expected 0 JSON or 1 ROCKETMQ)");
  }
  return Status::Ok();
}

size_t FrameDecoder::DecodeFrames(std::span<const std::byte> data, const CommandHandler& on_command,
                                  bool& stopped) {
  size_t pos = 0;
  while (!stopped) {
    auto rest = data.subspan(pos);
    Status prefix = CheckPrefix(rest);
    if (!prefix.ok()) {
      error_ = std::move(prefix);
      return pos;
    }
    if (rest.size() < 4) break;
    const uint32_t length = ReadBe32(rest.data());
    if (rest.size() - 4 < length) break;
    auto decoded = RemotingCommand::DecodePayload(rest.subspan(4, length));
    if (!decoded.ok()) {
      error_ = decoded.status();
      return pos;
    }
    pos += 4 + static_cast<size_t>(length);
    ++frames_decoded_;
    if (!on_command(std::move(decoded).value())) stopped = true;
  }
  return pos;
}

Status FrameDecoder::Feed(std::span<const std::byte> bytes, const CommandHandler& on_command) {
  if (!error_.ok()) return error_;
  bool stopped = false;
  std::span<const std::byte> leftover;
  if (buffered_bytes() == 0) {
    // Fast path: decode straight from the input; only a trailing partial frame is copied.
    buffer_.clear();
    read_pos_ = 0;
    size_t used = DecodeFrames(bytes, on_command, stopped);
    if (!error_.ok()) return Fail(error_);
    leftover = bytes.subspan(used);
  } else {
    buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    auto view = AsBytes(std::string_view(buffer_).substr(read_pos_));
    size_t used = DecodeFrames(view, on_command, stopped);
    if (!error_.ok()) return Fail(error_);
    read_pos_ += used;
    if (read_pos_ == buffer_.size()) {
      buffer_.clear();
      read_pos_ = 0;
    } else if (read_pos_ > buffer_.size() / 2) {
      buffer_.erase(0, read_pos_);
      read_pos_ = 0;
    }
  }
  if (!leftover.empty()) {
    buffer_.append(reinterpret_cast<const char*>(leftover.data()), leftover.size());
  }
  // Reserve room for the whole pending frame once its length is known, so that a large frame
  // arriving in many segments is not reallocated again and again.
  if (buffered_bytes() >= 4) {
    const uint32_t length =
        ReadBe32(reinterpret_cast<const std::byte*>(buffer_.data()) + read_pos_);
    if (length <= frame_length_max_) buffer_.reserve(read_pos_ + 4 + static_cast<size_t>(length));
  }
  return Status::Ok();
}

}  // namespace rmqsim::remoting
