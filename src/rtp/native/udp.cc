#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

namespace rtpio {

bool ParseAddress(const std::string& text, uint16_t port, sockaddr_storage* sa, socklen_t* len) {
  memset(sa, 0, sizeof *sa);
  auto* v4 = reinterpret_cast<sockaddr_in*>(sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(sa);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return true;
  }
  return false;
}

std::string AddressText(const sockaddr_storage& sa, uint16_t* port) {
  char text[INET6_ADDRSTRLEN] = "";
  *port = 0;
  if (sa.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    *port = ntohs(v4->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    *port = ntohs(v6->sin6_port);
  }
  return text;
}

void SetPort(sockaddr_storage* sa, uint16_t port) {
  if (sa->ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(sa)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(sa)->sin6_port = htons(port);
}

const char* ErrnoCode(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EPERM: return "EPERM";
    case ENOBUFS: return "ENOBUFS";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "";
  }
}

int BindUdp(const std::string& address, int port, int recvBufferSize, int sendBufferSize, Fd* out, int* boundPort) {
  sockaddr_storage sa;
  socklen_t len;
  if (!ParseAddress(address, uint16_t(port), &sa, &len)) return EINVAL;
  Fd fd(socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &recvBufferSize, sizeof recvBufferSize);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sendBufferSize, sizeof sendBufferSize);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) < 0) return errno;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  uint16_t bound;
  AddressText(sa, &bound);
  *boundPort = bound;
  *out = std::move(fd);
  return 0;
}

int SendTo(int fd, const std::vector<uint8_t>& data, const sockaddr_storage& to, socklen_t toLen) {
  ssize_t r = sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), toLen);
  return r < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
}

int RecvBurst::Read(int fd) {
  for (int i = 0; i < kSize; i++) {
    io_[i] = {bufs_[i], sizeof bufs_[i]};
    memset(&msgs_[i], 0, sizeof msgs_[i]);
    msgs_[i].msg_hdr.msg_name = &from_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof from_[i];
    msgs_[i].msg_hdr.msg_iov = &io_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(fd, msgs_, kSize, MSG_DONTWAIT, nullptr);
  return n < 0 ? 0 : n;
}

}  // namespace rtpio
