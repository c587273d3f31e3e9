// One call's RTP/RTCP sockets as the I/O thread holds them.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_set>

#include "batch-format.h"
#include "fd.h"
#include "srtp.h"
#include "pcap-sink.h"

namespace rtpio {

struct SocketPair {
  uint32_t id;
  Fd rtp;
  Fd rtcp;  // invalid: RTCP multiplexed on the RTP socket (RFC 5761)
  std::unique_ptr<SrtpSession> srtp;  // null: plain RTP
  std::unordered_set<int> reported;  // errno values already reported: one report each, never a flood
  // The call's pcap file (null: not captured) and the local ends it writes: the RTP and the RTCP
  // socket's address as the call announces it (a wildcard bind is written as the media address).
  std::shared_ptr<PcapFile> capture;
  sockaddr_storage captureRtp, captureRtcp;

  // The socket a packet leaves from: RTCP from the RTCP socket unless it is multiplexed.
  int SocketFor(uint8_t channel) const { return channel == kChannelRtcp && rtcp.valid() ? rtcp.get() : rtp.get(); }
};

}  // namespace rtpio
