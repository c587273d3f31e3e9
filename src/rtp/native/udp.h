// UDP sockets for the I/O thread: addresses, binding, one datagram out, bursts in.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fd.h"

namespace rtpio {

// CLOCK_MONOTONIC in ms: the clock of every deadline, on both sides of the addon.
inline double MonoMs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// An IP literal (v4 or v6) and a port as a socket address; false when `text` is not one. The engine never
// resolves names: a lookup would block the thread that keeps the deadlines.
bool ParseAddress(const std::string& text, uint16_t port, sockaddr_storage* sa, socklen_t* len);

// The address as text (empty when neither v4 nor v6) and its port.
std::string AddressText(const sockaddr_storage& sa, uint16_t* port);

void SetPort(sockaddr_storage* sa, uint16_t port);

// Node's name for an errno ("EADDRINUSE"...), "" when it has none we report.
const char* ErrnoCode(int err);

// A non-blocking UDP socket bound to `address`:`port` (0: any), with the given buffer sizes. 0 or the errno.
int BindUdp(const std::string& address, int port, int recvBufferSize, int sendBufferSize, Fd* out, int* boundPort);

// One datagram out: 0, or the errno worth reporting (a full buffer drops the packet silently, as dgram does).
int SendTo(int fd, const std::vector<uint8_t>& data, const sockaddr_storage& to, socklen_t toLen);

// Up to kSize datagrams in one recvmmsg call. Lives inside the I/O thread's state (32 KiB of buffers).
class RecvBurst {
 public:
  static constexpr int kSize = 16;
  // How many datagrams were read (0 when none is waiting, or on an error queued on the socket).
  int Read(int fd);
  uint8_t* data(int i) { return bufs_[i]; }  // writable: SRTP decrypts in place
  size_t length(int i) const { return msgs_[i].msg_len; }
  const sockaddr_storage& from(int i) const { return from_[i]; }

 private:
  uint8_t bufs_[kSize][2048];
  mmsghdr msgs_[kSize];
  iovec io_[kSize];
  sockaddr_storage from_[kSize];
};

}  // namespace rtpio
