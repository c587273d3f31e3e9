/*
 * The floor of the RTP pacing benchmark's 1-call point: the least a sender on this machine can do.
 * One RTP stream (172-byte PCMU packets, SSRC "FLOR") every 20 ms to 127.0.0.1:PORT, each packet on an
 * absolute CLOCK_MONOTONIC deadline: clock_nanosleep until SPIN_US before it, then spin on the clock.
 * No event loop, no other work: what is left in its gaps on the wire is the machine (timer wake-ups,
 * hypervisor steal), measured in the same run as our sender and SIPp. Run under `chrt -f` like them.
 *
 * Usage: rtp-floor-sender SECONDS PORT SPIN_US. Prints one JSON line when done: packets sent and its own
 * lateness at send time (p50, p99, max, ms).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static double Ms(const struct timespec *a, const struct timespec *b) {
  return (double)(a->tv_sec - b->tv_sec) * 1e3 + (double)(a->tv_nsec - b->tv_nsec) / 1e6;
}

static void AddNs(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) { t->tv_nsec -= 1000000000L; t->tv_sec++; }
  while (t->tv_nsec < 0) { t->tv_nsec += 1000000000L; t->tv_sec--; }
}

static int Cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: rtp-floor-sender SECONDS PORT SPIN_US\n");
    return 2;
  }
  const int n = atoi(argv[1]) * 50;
  const int port = atoi(argv[2]);
  const long spinNs = atol(argv[3]) * 1000L;
  if (n <= 0 || port <= 0 || port > 65535 || spinNs < 0) {
    fprintf(stderr, "rtp-floor-sender: bad arguments\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 1; }
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((unsigned short)port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned char pkt[172];
  for (int i = 12; i < 172; i++) pkt[i] = 0xff;  // PCMU silence
  pkt[0] = 0x80;                                  // V=2
  pkt[1] = 0;                                     // PT 0
  pkt[8] = 'F'; pkt[9] = 'L'; pkt[10] = 'O'; pkt[11] = 'R';
  double *late = malloc(sizeof(double) * (size_t)n);
  if (!late) return 1;
  struct timespec due;
  clock_gettime(CLOCK_MONOTONIC, &due);
  AddNs(&due, 20000000L);
  for (int i = 0; i < n; i++, AddNs(&due, 20000000L)) {
    struct timespec wake = due, now;
    AddNs(&wake, -spinNs);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
    do clock_gettime(CLOCK_MONOTONIC, &now); while (Ms(&now, &due) < 0);
    const unsigned seq = (unsigned)i, ts = (unsigned)i * 160u;
    pkt[2] = (unsigned char)(seq >> 8); pkt[3] = (unsigned char)seq;
    pkt[4] = (unsigned char)(ts >> 24); pkt[5] = (unsigned char)(ts >> 16);
    pkt[6] = (unsigned char)(ts >> 8); pkt[7] = (unsigned char)ts;
    if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0) perror("sendto");
    late[i] = Ms(&now, &due);
  }
  qsort(late, (size_t)n, sizeof(double), Cmp);
  printf("{\"sent\":%d,\"lateP50Ms\":%.4f,\"lateP99Ms\":%.4f,\"lateMaxMs\":%.4f}\n", n, late[n / 2], late[n * 99 / 100], late[n - 1]);
  return 0;
}
