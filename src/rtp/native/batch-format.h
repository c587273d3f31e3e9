// The datagram batches of io-batch.ts, read and written on the C++ side. Records cross between JavaScript
// and the I/O thread in batches because one call per packet would cost more than the send itself.
//
// A record is a 20-octet little-endian header and the datagram: u32 pair id, u16 remote port, u16 address
// id, f64 time (to send: the deadline, ms, NaN: at once; received: when the I/O thread read it), u16 length,
// u8 channel (0 RTP, 1 RTCP, 255: defines the address id as the text that follows), u8 flags (received
// only: kFlagUnprotected; else zero).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace rtpio {

constexpr size_t kRecordHeader = 20;
constexpr uint8_t kChannelRtp = 0;
constexpr uint8_t kChannelRtcp = 1;
constexpr uint8_t kChannelAddress = 255;
// A received datagram that the pair's SRTP session authenticated and decrypted (srtp.h).
constexpr uint8_t kFlagUnprotected = 1;

// A datagram to send, as read from a batch. `to` is null when the address is not an IP literal.
struct OutRecord {
  uint32_t pair;
  uint8_t channel;
  double due;
  const sockaddr_storage* to;
  socklen_t toLen;
  const std::string* addressText;
  const uint8_t* data;
  size_t length;
};

// Reads batches from JavaScript's BatchWriter, in order; it learns the writer's addresses as they come.
class BatchReader {
 public:
  // Calls `visit(const OutRecord&)` for each datagram; a truncated record ends the batch.
  template <typename Visit>
  void Read(const std::vector<uint8_t>& batch, Visit visit);

 private:
  struct Address {
    sockaddr_storage sa;
    socklen_t len = 0;
    bool ok = false;
    std::string text;
  };
  void Define(uint16_t id, const uint8_t* text, size_t length);
  bool Header(const std::vector<uint8_t>& b, size_t* offset, OutRecord* r, uint16_t* id, uint16_t* port);
  OutRecord Resolve(OutRecord r, uint16_t id, uint16_t port);

  std::vector<Address> addresses_;
  sockaddr_storage scratch_;
  static const std::string kUnknown;
};

// Packs received datagrams for JavaScript's BatchReader, interning the source addresses.
class BatchWriter {
 public:
  BatchWriter() { bytes_.reserve(kInitial); }
  // `at`: when the I/O thread read the datagram (its clock, ms): the arrival the jitter figures use.
  void Add(uint32_t pair, uint8_t channel, const sockaddr_storage& from, const uint8_t* data, size_t length, double at, uint8_t flags = 0);
  bool empty() const { return bytes_.empty(); }
  size_t size() const { return bytes_.size(); }
  // The batch so far; the writer starts a new one (the address ids carry over, as the reader keeps them).
  std::vector<uint8_t> Take();

 private:
  static constexpr size_t kInitial = 64 * 1024;
  void Header(uint32_t pair, uint8_t channel, uint16_t id, uint16_t port, size_t length, double at, uint8_t flags = 0);

  std::vector<uint8_t> bytes_;
  std::unordered_map<std::string, uint16_t> ids_;
};

template <typename Visit>
void BatchReader::Read(const std::vector<uint8_t>& batch, Visit visit) {
  size_t offset = 0;
  OutRecord r;
  uint16_t id, port;
  while (Header(batch, &offset, &r, &id, &port)) {
    if (r.channel == kChannelAddress) Define(id, r.data, r.length);
    else visit(Resolve(r, id, port));
  }
}

}  // namespace rtpio
