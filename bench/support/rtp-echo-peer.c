/*
 * The far end of the RTP pacing benchmark, in C (rtp-echo-peer.ts does the same in Node): N UDP sockets
 * on 127.0.0.1 that send every datagram straight back where it came from. It exists because the peer
 * shares this 2-core machine with the process under test: four Node echo processes needed ~0.9 core at
 * 1000 calls and, starved, returned echoes seconds late; this one needs about a third of that (one
 * epoll set, recvmmsg per ready socket, sendto back).
 *
 * Usage: rtp-echo-peer N. Prints {"ports":[...]} as one line, echoes until stdin closes, then prints
 * {"echoed":n}. Built by the benchmark with the system's cc into its temporary folder.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  int ep = epoll_create1(0);
  int *fds = calloc(n, sizeof *fds);
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = (unsigned long long)-1;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);  /* stdin: its end stops the peer */
  printf("{\"ports\":[");
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
      perror("rtp-echo-peer: socket");
      return 1;
    }
    fds[i] = fd;
    ev.data.u64 = (unsigned long long)i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    printf(i ? ",%d" : "%d", ntohs(a.sin_port));
  }
  printf("]}\n");
  fflush(stdout);
  enum { BURST = 16 };
  static unsigned char buf[BURST][2048];
  struct mmsghdr msgs[BURST];
  struct iovec io[BURST];
  struct sockaddr_in from[BURST];
  struct epoll_event ready[256];
  long echoed = 0;
  for (;;) {
    int k = epoll_wait(ep, ready, 256, -1);
    for (int r = 0; r < k; r++) {
      if (ready[r].data.u64 == (unsigned long long)-1) {
        char c[64];
        if (read(0, c, sizeof c) <= 0) goto done;
        continue;
      }
      int fd = fds[ready[r].data.u64];
      for (int i = 0; i < BURST; i++) {
        io[i] = (struct iovec){buf[i], sizeof buf[i]};
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_iov = &io[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int got = recvmmsg(fd, msgs, BURST, MSG_DONTWAIT, NULL);
      for (int i = 0; i < got; i++) {
        io[i].iov_len = msgs[i].msg_len;
        if (sendto(fd, buf[i], msgs[i].msg_len, 0, (struct sockaddr *)&from[i], msgs[i].msg_hdr.msg_namelen) >= 0) echoed++;
      }
    }
  }
done:
  printf("{\"echoed\":%ld}\n", echoed);
  fflush(stdout);
  return 0;
}
