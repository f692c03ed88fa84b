// Named limits and defaults of the remoting layer, each with the reason for its value. The
// simulator is meant to hit these bounds on purpose; a bound that is hit shows up as a Status.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/time.h"

namespace rmqsim::remoting::limits {

// Largest frame on the wire, the 4-byte length field included. Java's NettyDecoder is a Netty
// LengthFieldBasedFrameDecoder with maxFrameLength 16777216 (property
// com.rocketmq.remoting.frameMaxLength), and Netty applies that limit to the whole frame.
inline constexpr uint32_t kFrameBytesMax = 16 * 1024 * 1024;
// Largest legal value of the length field (it counts the bytes after itself): 16777212.
inline constexpr uint32_t kFrameLengthMax = kFrameBytesMax - 4;
// Smallest legal value of the length field: the header-length word must fit.
inline constexpr uint32_t kFrameLengthMin = 4;
// The header length travels in the low 24 bits of the header-length word.
inline constexpr uint32_t kHeaderLengthMax = 0xFFFFFF;

// Requests waiting for a response on one channel, plus (client only) requests waiting for their
// connection to be established. Java bounds asynchronous and oneway invocations with
// 65535-permit semaphores (NettyClientConfig.clientAsyncSemaphoreValue /
// clientOnewaySemaphoreValue); a long-polling consumer keeps about one PULL_MESSAGE per queue in
// flight, far below this. Reaching it means the peer stopped answering: new requests fail fast
// with kResourceExhausted rather than growing the map without bound.
inline constexpr size_t kInflightRequestsPerChannelMax = 65535;

// Bytes a server holds of frames not yet complete, over all its connections (each one holds at
// most one frame: kFrameBytesMax). Netty has no such cap: 30 connections each sending 15 MiB of
// an unfinished frame grew a broker by 450 MB. Past it, the connection holding the most is closed
// (rmqsim's addition). 256 MiB leaves room for 60 clients sending 4 MiB messages at once.
inline constexpr size_t kServerBufferedInputMax = 256 * 1024 * 1024;
// A frame whose first bytes arrived this long ago and which is still incomplete when more bytes
// come closes its connection (a slow sender holding a buffer; rmqsim's addition). The idle
// timeout covers a sender that goes silent.
inline constexpr Duration kPartialFrameTimeoutDefault = seconds(60);

// Client connect timeout: com.rocketmq.remoting.client.connect.timeout = 3000 ms.
inline constexpr Duration kConnectTimeoutDefault = seconds(3);
// A channel with no read or write for this long is closed, on both sides:
// NettyServerConfig.serverChannelMaxIdleTimeSeconds and
// NettyClientConfig.clientChannelMaxIdleTimeSeconds, both 120.
inline constexpr Duration kChannelIdleTimeoutDefault = seconds(120);

}  // namespace rmqsim::remoting::limits
