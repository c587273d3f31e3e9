// The native RTP I/O thread: the same job as io-worker.ts (own the RTP/RTCP sockets, send every packet
// at its deadline, hand what the sockets receive to the main thread in batches), in a POSIX thread
// instead of a JavaScript worker. io-native.ts drives it with the worker's protocol (io-protocol.ts), so
// io-engine.ts runs on either.
//
// Why native: on loopback a send or a receive costs ~4-7 us of kernel time; through dgram (JS, libuv,
// one epoll wake and two recvmsg calls per datagram, a callback per packet) the same costs ~15 us. At
// 1000 calls both ways (50 000 packets a second each way) the JS paths need more than a core by
// themselves, this thread about two thirds of one (measured: bench/rtp-pacing.bench.ts).
//
// The thread: one epoll set holding an eventfd (commands from the main thread), a timerfd (the next
// deadline, absolute, CLOCK_MONOTONIC, timer slack 1 ns) and every socket. Packets wait in a min-heap by
// deadline (ties in arrival order); with few streams the last `spinMs` before a deadline is spent
// spinning on the clock, so the packet leaves on time although the timer's wake-up is ~0.04 ms late. Received datagrams are read with
// recvmmsg (one call drains a socket) and packed in the io-batch.ts format; a batch goes to JavaScript
// `flushMs` after its first datagram (or at 256 KiB) through a thread-safe function.
//
// The hedge: with at most `hedgePairs` streams and two CPUs or more, a second thread races the I/O thread
// for every packet. The I/O thread offers it the packet at the top of the heap (a copy, in one slot); both
// sleep until just before its deadline (`spinMs`, `hedgeSpinMs`), spin, and the first to reach it claims the packet (one
// compare-and-swap on the slot's word) and sends it; the other drops it. On a virtual machine the late
// packets of a lone stream are the hypervisor taking the CPU away for 0.3-2 ms, and it takes one vCPU at a
// time (measured: two senders pinned to either vCPU, 30 s, 20 and 25 packets > 0.25 ms late, 1 coinciding),
// so the thread on the other vCPU sends on time. Measured with a C prototype in the same run as a lone
// sender: p99 0.11-0.13 ms instead of 0.20-0.67, packets > 0.25 ms late 0-2 instead of 8-72 in 1 500.
// The two must sleep on different CPUs: unpinned, the hedge thread (woken by the offer on the I/O
// thread's CPU) armed its timer there, both timers fired from one CPU, and both were late together
// (measured: 21 packets > 0.25 ms late in 1 500, as many as without the hedge). So while hedging, the
// hedge thread runs on the last CPU the process may use and the I/O thread on the others. The hedge
// thread wakes `hedgeSpinMs` (0.5 ms) early, not 0.15: its wake-up is ~0.1 ms late at the median here,
// with a tail. On the wire, 1 call, 30 s runs: p99 0.03-0.11 ms in 5 runs (0.03-0.27 with a 0.15 ms spin
// in the same hour), where the engine without the hedge had 0.12-0.76 and a bare C sender 0.09-1.06.
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <queue>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

constexpr int kHeader = 20;
constexpr uint8_t kChannelRtp = 0;
constexpr uint8_t kChannelRtcp = 1;
constexpr uint8_t kChannelAddress = 255;
constexpr uint64_t kTagEvent = ~0ull;
constexpr uint64_t kTagTimer = ~0ull - 1;
constexpr size_t kFlushBytes = 256 * 1024;
constexpr size_t kSpinPairs = 48;  // above this many socket pairs, no spin (see SendDue)

double MonoMs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

uint16_t Get16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
void Put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
void Put32(uint8_t* p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i)); }

// An IP literal (v4 or v6) and a port as a socket address; false when `text` is not one.
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

struct Settings {
  double flushMs = 2;
  double spinMs = 0.05;
  double hedgePairs = 0;  // the hedge thread races for packets while the engine has at most this many pairs
  double hedgeSpinMs = 0.5;  // the hedge thread's spin before a deadline
  int recvBufferSize = 1 << 20;
  int sendBufferSize = 1 << 20;
};

struct Pair {
  uint32_t id;
  int rtp;
  int rtcp;  // -1: RTCP multiplexed on the RTP socket (RFC 5761)
  std::unordered_set<int> reported;  // errno values already reported for this pair
};

struct Packet {
  double due;
  uint64_t seq;
  uint32_t pair;
  uint8_t channel;
  sockaddr_storage to;
  socklen_t toLen;
  std::vector<uint8_t> data;
  uint64_t offer = 0;  // the hedge slot's word while this packet was offered to the hedge thread, else 0
};

// The one packet offered to the hedge thread. Its word is (generation << 2) | state: kIdle, the I/O thread
// owns the fields; kOffered, either thread may claim the packet (the hedge thread: kOffered -> kSending,
// the I/O thread: kOffered -> kIdle); kSending, the hedge thread owns the fields and sends; kSent, done, the
// I/O thread takes the slot back (and reports `err`). The generation makes every offer's word unique, so
// a claim can never take a later packet. `due` is written and read under `mu`.
struct HedgeSlot {
  static constexpr uint64_t kIdle = 0, kOffered = 1, kSending = 2, kSent = 3, kState = 3;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;  // under mu
  std::atomic<uint64_t> word{0};
  double due = 0;
  int fd = -1;
  uint32_t pair = 0;
  sockaddr_storage to;
  socklen_t toLen = 0;
  std::vector<uint8_t> data;
  int err = 0;
};

// The socket a packet leaves from: RTCP from the RTCP socket unless it is multiplexed.
int SocketFor(const Pair* p, uint8_t channel) { return (channel == kChannelRtcp && p->rtcp >= 0) ? p->rtcp : p->rtp; }

// One datagram out: 0, or the errno worth reporting (a full buffer drops the packet silently, like dgram).
int SendTo(int fd, const std::vector<uint8_t>& data, const sockaddr_storage& to, socklen_t toLen) {
  ssize_t r = sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), toLen);
  return r < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
}

struct Later {
  bool operator()(const Packet* a, const Packet* b) const { return a->due > b->due || (a->due == b->due && a->seq > b->seq); }
};

struct Command {
  enum Kind { kBatch, kAdd, kClose, kStop } kind;
  std::vector<uint8_t> bytes;
  Pair* pair = nullptr;
  uint32_t id = 0;
};

// What goes to JavaScript: a batch of received datagrams, a socket error, or a pair closed.
struct Event {
  enum Kind { kRecv, kError, kClosed } kind;
  std::vector<uint8_t> bytes;
  uint32_t socket = 0;
  std::string message, code;
};

struct Address {
  sockaddr_storage sa;
  socklen_t len;
  bool ok;
  std::string text;
};

struct Engine {
  Settings settings;
  napi_threadsafe_function tsfn = nullptr;
  std::thread thread;
  int ep = -1, efd = -1, tfd = -1;
  std::mutex mu;
  std::deque<Command> commands;
  bool stopped = false;
  uint32_t nextId = 1;

  // Counters, read from the main thread.
  std::atomic<uint64_t> delivered{0}, late{0}, arrivedLate{0}, received{0}, queued{0}, sockets{0}, hedged{0};
  std::atomic<double> maxLateMs{0};

  HedgeSlot hedge;
  bool hedgeCapable = false;  // hedgePairs >= 1 and two CPUs or more (set before the I/O thread starts)
  bool hedgeRunning = false;  // the hedge thread exists: only while hedging (I/O thread)
  cpu_set_t cpus;             // where the process may run
  int hedgeCpu = -1;          // the hedge thread's CPU (the last of `cpus`)
  std::atomic<int> rtPriority{0};  // SCHED_FIFO priority of the I/O threads, 0: not raised
  Packet* offered = nullptr;  // the packet in the hedge slot (I/O thread)
  uint64_t generation = 0;

  // Owned by the I/O thread.
  std::unordered_map<uint32_t, Pair*> pairs;
  std::priority_queue<Packet*, std::vector<Packet*>, Later> heap;
  uint64_t seq = 0;
  std::vector<Address> sendAddresses;  // the main thread's address ids (io-batch.ts interning)
  std::vector<uint8_t> recvBatch;
  std::unordered_map<std::string, uint16_t> recvIds;
  double recvFirst = 0;
  bool recvPending = false;
  double armedFor = -1;

  void Post(Event* e) {
    if (napi_call_threadsafe_function(tsfn, e, napi_tsfn_nonblocking) != napi_ok) delete e;
  }

  void Signal() {
    uint64_t one = 1;
    ssize_t r = write(efd, &one, sizeof one);
    (void)r;
  }

  void Push(Command&& c) {
    {
      std::lock_guard<std::mutex> lock(mu);
      commands.push_back(std::move(c));
    }
    Signal();
  }

  // ---- sending ------------------------------------------------------------------------------------

  void ReportError(Pair* p, int err, const std::string& what = "") {
    if (!p || !p->reported.insert(err).second) return;  // once per pair and errno: never a flood
    auto* e = new Event{Event::kError, {}, p->id, what.empty() ? std::string("RTP send: ") + strerror(err) : what, ""};
    const char* name = err == EACCES ? "EACCES" : err == ENETUNREACH ? "ENETUNREACH" : err == EHOSTUNREACH ? "EHOSTUNREACH"
                       : err == EPERM ? "EPERM" : err == ENOBUFS ? "ENOBUFS" : err == EINVAL ? "EINVAL" : err == EAFNOSUPPORT ? "EAFNOSUPPORT" : "";
    e->code = name;
    Post(e);
  }

  void SendNow(Packet* k, double now) {
    auto it = pairs.find(k->pair);
    if (it != pairs.end()) {
      Pair* p = it->second;
      if (int err = SendTo(SocketFor(p, k->channel), k->data, k->to, k->toLen)) ReportError(p, err);
      if (!std::isnan(k->due)) Count(now - k->due);
    }
    delete k;
  }

  // A packet sent `lateMs` after its deadline (by either sending thread).
  void Count(double lateMs) {
    delivered++;
    if (lateMs > 1) late++;
    double max = maxLateMs.load(std::memory_order_relaxed);
    while (lateMs > max && !maxLateMs.compare_exchange_weak(max, lateMs, std::memory_order_relaxed)) {
    }
  }

  // ---- the hedge ----------------------------------------------------------------------------------

  bool HedgeOn() const { return hedgeCapable && SpinAllowed() && !pairs.empty() && double(pairs.size()) <= settings.hedgePairs; }

  // Takes the offer back. When the hedge thread has already claimed it, the packet keeps its `offer`, so
  // SendDue drops it instead of sending it twice.
  void Withdraw() {
    if (!offered) return;
    uint64_t w = offered->offer;
    if (hedge.word.compare_exchange_strong(w, w & ~HedgeSlot::kState)) offered->offer = 0;
    offered = nullptr;
  }

  // True when the I/O thread may write the slot: not while the hedge thread sends from it. A send done
  // reports its error here, on the I/O thread, like every other.
  bool SlotFree() {
    uint64_t w = hedge.word.load(std::memory_order_acquire);
    uint64_t state = w & HedgeSlot::kState;
    if (state == HedgeSlot::kSending) return false;
    if (state == HedgeSlot::kSent) {
      auto it = pairs.find(hedge.pair);
      if (hedge.err && it != pairs.end()) ReportError(it->second, hedge.err);
      hedge.err = 0;
      hedge.word.store(w & ~HedgeSlot::kState, std::memory_order_relaxed);
    }
    return true;
  }

  // Offers the next packet due to the hedge thread (once per packet, after SendDue).
  void Offer() {
    bool on = HedgeOn();
    if (on != hedgeRunning) {
      if (on) StartHedge();
      else StopHedge();
    }
    if (!on || heap.empty()) return Withdraw();
    Packet* k = heap.top();
    if (k == offered || k->offer) return;  // offered already, or sent by the hedge thread already
    Withdraw();
    if (!SlotFree()) return;
    auto it = pairs.find(k->pair);
    if (it == pairs.end()) return;
    Pair* p = it->second;
    hedge.fd = SocketFor(p, k->channel);
    hedge.pair = k->pair;
    hedge.to = k->to;
    hedge.toLen = k->toLen;
    hedge.data.assign(k->data.begin(), k->data.end());
    k->offer = (++generation << 2) | HedgeSlot::kOffered;
    offered = k;
    {
      std::lock_guard<std::mutex> lock(hedge.mu);
      hedge.due = k->due;
      hedge.word.store(k->offer, std::memory_order_release);
    }
    hedge.cv.notify_one();
  }

  // The hedge thread: sleeps until `hedgeSpinMs` before the offered packet's deadline, spins, claims, sends.
  void HedgeRun() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(hedgeCpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    int priority = 0;
    std::unique_lock<std::mutex> lock(hedge.mu);
    while (!hedge.stop) {
      if (int want = rtPriority.load(std::memory_order_relaxed); want != priority) {  // raised after it started
        sched_param sp{};
        sp.sched_priority = want;
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        priority = want;
      }
      uint64_t w = hedge.word.load(std::memory_order_acquire);
      if ((w & HedgeSlot::kState) != HedgeSlot::kOffered) {
        hedge.cv.wait(lock);
        continue;
      }
      double due = hedge.due;
      double wake = due - settings.hedgeSpinMs;
      if (MonoMs() < wake) {
        // steady_clock is CLOCK_MONOTONIC, the clock of every deadline here
        hedge.cv.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(int64_t(wake * 1e6))));
        continue;
      }
      lock.unlock();
      double now;
      while ((now = MonoMs()) < due && hedge.word.load(std::memory_order_relaxed) == w) {
      }
      uint64_t expected = w;
      if (hedge.word.compare_exchange_strong(expected, (w & ~HedgeSlot::kState) | HedgeSlot::kSending, std::memory_order_acquire)) {
        hedge.err = SendTo(hedge.fd, hedge.data, hedge.to, hedge.toLen);
        hedged++;
        Count(now - due);
        hedge.word.store((w & ~HedgeSlot::kState) | HedgeSlot::kSent, std::memory_order_release);
      }
      lock.lock();
    }
  }

  // Whether the engine may hedge at all: called once, before the I/O thread starts.
  void CanHedge() {
    if (settings.hedgePairs < 1 || sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) < 2) return;
    for (int c = 0; c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &cpus)) hedgeCpu = c;
    hedgeCapable = true;
  }

  // The hedge thread exists only while hedging (1 to hedgePairs pairs), and only then is the I/O thread
  // kept off its CPU, so an engine carrying many calls is the engine without the hedge. Measured at 1000
  // calls, 15-s runs: with a hedge thread left asleep and pinned, p99 > 2 ms in 5 of 10 runs, without one
  // in 1 of 10, started and stopped like this in 1 of 7 (2.05 ms); the point is noisy, the cause unknown.
  void StartHedge() {
    cpu_set_t mine = cpus;
    CPU_CLR(hedgeCpu, &mine);
    pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
    hedge.stop = false;  // the thread is not running: no lock needed
    try {
      hedge.thread = std::thread([this] { HedgeRun(); });
    } catch (const std::system_error&) {  // no thread to be had (EAGAIN): go on without the hedge
      hedgeCapable = false;
      pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
      return;
    }
    hedgeRunning = true;
  }

  void StopHedge() {
    if (!hedgeRunning) return;
    Withdraw();
    {
      std::lock_guard<std::mutex> lock(hedge.mu);
      hedge.stop = true;
    }
    hedge.cv.notify_one();
    hedge.thread.join();
    hedgeRunning = false;
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
  }

  // Sends what is due. Spins for the next packet when it is at most `spinMs` away — once per turn of the
  // loop, so receiving goes on between packets, and only while the thread carries few streams: with many,
  // deadlines are tens of microseconds apart, the timer's wake-up (~0.04 ms late) is good enough and a
  // spin would keep a core busy for nothing.
  bool SpinAllowed() const { return settings.spinMs > 0 && pairs.size() <= kSpinPairs; }

  void SendDue() {
    bool spun = !SpinAllowed();
    while (!heap.empty()) {
      Packet* k = heap.top();
      double now = MonoMs();
      double wait = k->due - now;
      if (wait > 0) {
        if (spun || wait > settings.spinMs) return;
        spun = true;
        while (wait > 0 && (!k->offer || hedge.word.load(std::memory_order_relaxed) == k->offer)) wait = k->due - (now = MonoMs());
      }
      heap.pop();
      queued--;
      if (k->offer) {  // offered to the hedge thread: send it only if this thread claims it first
        if (k == offered) offered = nullptr;
        uint64_t w = k->offer;
        if (!hedge.word.compare_exchange_strong(w, w & ~HedgeSlot::kState)) {
          delete k;
          continue;
        }
      }
      SendNow(k, now);
    }
  }

  void ReadBatch(const std::vector<uint8_t>& b) {
    size_t o = 0;
    double now = MonoMs();
    while (o + kHeader <= b.size()) {
      const uint8_t* h = &b[o];
      uint32_t socket = Get32(h);
      uint16_t port = Get16(h + 4);
      uint16_t id = Get16(h + 6);
      double due;
      memcpy(&due, h + 8, 8);  // little-endian double, as on every platform Node runs this on
      uint16_t length = Get16(h + 16);
      uint8_t channel = h[18];
      size_t start = o + kHeader;
      o = start + length;
      if (o > b.size()) return;
      if (channel == kChannelAddress) {
        std::string text(reinterpret_cast<const char*>(&b[start]), length);
        if (sendAddresses.size() <= id) sendAddresses.resize(id + 1);
        Address& a = sendAddresses[id];
        a.text = text;
        a.ok = ParseAddress(text, 0, &a.sa, &a.len);
        continue;
      }
      auto pit = pairs.find(socket);
      if (pit == pairs.end()) continue;
      if (id >= sendAddresses.size() || !sendAddresses[id].ok) {
        std::string text = id < sendAddresses.size() ? sendAddresses[id].text : "?";
        ReportError(pit->second, EINVAL, "RTP to " + text + ": not an IP address (the engine never resolves names)");
        continue;
      }
      auto* k = new Packet{due, seq++, socket, channel, sendAddresses[id].sa, sendAddresses[id].len, std::vector<uint8_t>(&b[start], &b[start] + length)};
      if (k->to.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&k->to)->sin_port = htons(port);
      else reinterpret_cast<sockaddr_in6*>(&k->to)->sin6_port = htons(port);
      if (std::isnan(due)) {
        SendNow(k, now);
        continue;
      }
      if (due < now) arrivedLate++;
      heap.push(k);
      queued++;
    }
  }

  // ---- receiving ----------------------------------------------------------------------------------

  void Flush() {
    if (recvBatch.empty()) return;
    auto* e = new Event{Event::kRecv, std::move(recvBatch)};
    recvBatch = std::vector<uint8_t>();
    recvBatch.reserve(64 * 1024);
    recvPending = false;
    Post(e);
  }

  void Header(uint32_t socket, uint8_t channel, uint16_t id, uint16_t port, size_t length) {
    size_t o = recvBatch.size();
    recvBatch.resize(o + kHeader);
    uint8_t* h = &recvBatch[o];
    Put32(h, socket);
    Put16(h + 4, port);
    Put16(h + 6, id);
    double nan = NAN;
    memcpy(h + 8, &nan, 8);
    Put16(h + 16, uint16_t(length));
    h[18] = channel;
    h[19] = 0;
  }

  void Append(Pair* p, uint8_t channel, const sockaddr_storage& from, const uint8_t* data, size_t length) {
    char text[INET6_ADDRSTRLEN] = "";
    uint16_t port = 0;
    if (from.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<const sockaddr_in*>(&from);
      inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (from.ss_family == AF_INET6) {
      auto* v6 = reinterpret_cast<const sockaddr_in6*>(&from);
      inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    std::string key(text);
    auto it = recvIds.find(key);
    uint16_t id;
    if (it == recvIds.end()) {
      // The reader keeps ids across batches; past 65536 sources start over (a definition always comes
      // before its first use in the same batch, so the reader simply overwrites).
      if (recvIds.size() >= 0x10000) recvIds.clear();
      id = uint16_t(recvIds.size());
      recvIds.emplace(key, id);
      Header(0, kChannelAddress, id, 0, key.size());
      recvBatch.insert(recvBatch.end(), key.begin(), key.end());
    } else {
      id = it->second;
    }
    Header(p->id, channel, id, port, length);
    recvBatch.insert(recvBatch.end(), data, data + length);
    received++;
    if (!recvPending) {
      recvPending = true;
      recvFirst = MonoMs();
    }
  }

  void Receive(Pair* p, bool rtcpSocket) {
    constexpr int kBurst = 16;
    static thread_local uint8_t bufs[kBurst][2048];
    mmsghdr msgs[kBurst];
    iovec io[kBurst];
    sockaddr_storage from[kBurst];
    int fd = rtcpSocket ? p->rtcp : p->rtp;
    for (;;) {
      for (int i = 0; i < kBurst; i++) {
        io[i] = {bufs[i], sizeof bufs[i]};
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_iov = &io[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd, msgs, kBurst, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;  // EAGAIN, or an ICMP error queued on the socket: nothing to hand over
      for (int i = 0; i < n; i++) {
        const uint8_t* d = bufs[i];
        size_t len = msgs[i].msg_len;
        uint8_t channel = kChannelRtp;
        // RFC 5761 §4: on a multiplexed port, payload type octets 192..223 are RTCP.
        if (rtcpSocket || (p->rtcp < 0 && len >= 2 && d[1] >= 192 && d[1] <= 223)) channel = kChannelRtcp;
        Append(p, channel, from[i], d, len);
      }
      if (recvBatch.size() >= kFlushBytes) Flush();
      if (n < kBurst) return;
    }
  }

  // ---- the loop -----------------------------------------------------------------------------------

  void ClosePair(uint32_t id) {
    auto it = pairs.find(id);
    if (it == pairs.end()) return;
    Pair* p = it->second;
    if (offered && offered->pair == id) Withdraw();
    while ((hedge.word.load(std::memory_order_acquire) & HedgeSlot::kState) == HedgeSlot::kSending && hedge.pair == id) std::this_thread::yield();
    pairs.erase(it);
    for (int fd : {p->rtp, p->rtcp}) {
      if (fd < 0) continue;
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
    }
    delete p;
    sockets--;
  }

  bool Drain() {
    std::deque<Command> work;
    {
      std::lock_guard<std::mutex> lock(mu);
      work.swap(commands);
    }
    for (Command& c : work) {
      switch (c.kind) {
        case Command::kBatch: ReadBatch(c.bytes); break;
        case Command::kAdd: {
          Pair* p = c.pair;
          pairs[p->id] = p;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = uint64_t(p->id) << 1;
          epoll_ctl(ep, EPOLL_CTL_ADD, p->rtp, &ev);
          if (p->rtcp >= 0) {
            ev.data.u64 = (uint64_t(p->id) << 1) | 1;
            epoll_ctl(ep, EPOLL_CTL_ADD, p->rtcp, &ev);
          }
          break;
        }
        case Command::kClose:
          ClosePair(c.id);
          Post(new Event{Event::kClosed, {}, c.id});  // the ports are free from here on
          break;
        case Command::kStop: return false;
      }
    }
    return true;
  }

  void Arm(double at) {
    if (at == armedFor) return;
    armedFor = at;
    itimerspec spec{};
    if (std::isfinite(at)) {
      double s = std::floor(at / 1e3);
      spec.it_value.tv_sec = time_t(s);
      spec.it_value.tv_nsec = long((at - s * 1e3) * 1e6);
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  void Run() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // the default 50 us slack would make every wake-up late
    epoll_event evs[256];
    for (;;) {
      if (!Drain()) break;
      SendDue();
      Offer();
      double now = MonoMs();
      if (recvPending && now >= recvFirst + settings.flushMs) Flush();
      double next = INFINITY;
      // Wake `spinMs` early only when SendDue will spin: armed early without spinning, the timer would
      // fire again and again until the deadline (a FIFO thread that never sleeps is then throttled by the
      // kernel for 50 ms a second: measured, p99 40 ms at 200 calls).
      if (!heap.empty()) next = heap.top()->due - (SpinAllowed() ? settings.spinMs : 0);
      if (recvPending) next = std::min(next, recvFirst + settings.flushMs);
      Arm(next);
      int n = epoll_wait(ep, evs, 256, -1);
      for (int i = 0; i < n; i++) {
        uint64_t tag = evs[i].data.u64;
        uint64_t count;
        if (tag == kTagEvent) {
          ssize_t r = read(efd, &count, sizeof count);
          (void)r;
        } else if (tag == kTagTimer) {
          ssize_t r = read(tfd, &count, sizeof count);
          (void)r;
          armedFor = -1;
        } else {
          auto it = pairs.find(uint32_t(tag >> 1));
          if (it != pairs.end()) Receive(it->second, tag & 1);
        }
        if ((i & 15) == 15) SendDue();  // a long burst of arrivals never holds a deadline back
      }
    }
    Withdraw();
    StopHedge();
    Flush();
    while (!heap.empty()) {
      delete heap.top();
      heap.pop();
    }
    std::vector<uint32_t> ids;
    for (auto& kv : pairs) ids.push_back(kv.first);
    for (uint32_t id : ids) ClosePair(id);
  }
};

// ---- JavaScript side ------------------------------------------------------------------------------

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, nullptr, "rtp_io: N-API call failed: " #call); \
      return nullptr;                                                \
    }                                                                \
  } while (0)

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

void ThrowErrno(napi_env env, int err, const std::string& what) {
  const char* code = err == EADDRINUSE ? "EADDRINUSE" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EACCES ? "EACCES" : err == EINVAL ? "EINVAL" : "ERR_SOCKET";
  std::string msg = what + ": " + strerror(err);
  napi_value m, c, e;
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_set_named_property(env, e, "code", c);
  napi_throw(env, e);
}

void CallJs(napi_env env, napi_value fn, void*, void* data) {
  auto* e = static_cast<Event*>(data);
  if (env != nullptr && fn != nullptr) {
    napi_value argv[4];
    napi_value global;
    napi_get_global(env, &global);
    if (e->kind == Event::kRecv) {
      void* mem;
      napi_create_string_utf8(env, "recv", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_arraybuffer(env, e->bytes.size(), &mem, &argv[1]);
      memcpy(mem, e->bytes.data(), e->bytes.size());
      napi_call_function(env, global, fn, 2, argv, nullptr);
    } else if (e->kind == Event::kClosed) {
      napi_create_string_utf8(env, "closed", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_uint32(env, e->socket, &argv[1]);
      napi_call_function(env, global, fn, 2, argv, nullptr);
    } else {
      napi_create_string_utf8(env, "error", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_uint32(env, e->socket, &argv[1]);
      napi_create_string_utf8(env, e->message.c_str(), e->message.size(), &argv[2]);
      napi_create_string_utf8(env, e->code.c_str(), e->code.size(), &argv[3]);
      napi_call_function(env, global, fn, 4, argv, nullptr);
    }
  }
  delete e;
}

void StopEngine(Engine* g) {
  if (g->stopped) return;
  g->stopped = true;
  g->Push(Command{Command::kStop});
  if (g->thread.joinable()) g->thread.join();
  close(g->ep);
  close(g->efd);
  close(g->tfd);
}

void Cleanup(void* arg) {
  auto* g = static_cast<Engine*>(arg);
  StopEngine(g);
}

void Finalize(napi_env env, void* data, void*) {
  auto* g = static_cast<Engine*>(data);
  if (!g->stopped) {  // dropped without stop(): never leave the thread running
    StopEngine(g);
    napi_remove_env_cleanup_hook(env, Cleanup, g);
    napi_release_threadsafe_function(g->tsfn, napi_tsfn_release);
  }
  delete g;
}

Engine* Unwrap(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) {
    napi_throw_type_error(env, nullptr, "rtp_io: not an engine handle");
    return nullptr;
  }
  return static_cast<Engine*>(p);
}

// A call's arguments (those not given are undefined) and the engine handle that comes first.
template <size_t N>
Engine* EngineArgs(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, "rtp_io: cannot read the arguments");
    return nullptr;
  }
  return Unwrap(env, argv[0]);
}

double NumberProp(napi_env env, napi_value obj, const char* name, double fallback) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return fallback;
  napi_get_named_property(env, obj, name, &v);
  double d;
  return napi_get_value_double(env, v, &d) == napi_ok && std::isfinite(d) ? d : fallback;
}

// create(settings, onEvent) -> handle
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto* g = new Engine();
  g->settings.flushMs = NumberProp(env, argv[0], "flushMs", 2);
  g->settings.spinMs = NumberProp(env, argv[0], "spinMs", 0.05);
  g->settings.hedgePairs = NumberProp(env, argv[0], "hedgePairs", 0);
  g->settings.hedgeSpinMs = NumberProp(env, argv[0], "hedgeSpinMs", 0.5);
  g->settings.recvBufferSize = int(NumberProp(env, argv[0], "recvBufferSize", 1 << 20));
  g->settings.sendBufferSize = int(NumberProp(env, argv[0], "sendBufferSize", 1 << 20));
  g->ep = epoll_create1(EPOLL_CLOEXEC);
  g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (g->ep < 0 || g->efd < 0 || g->tfd < 0) {
    ThrowErrno(env, errno, "rtp_io: epoll/eventfd/timerfd");
    delete g;
    return nullptr;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTagEvent;
  epoll_ctl(g->ep, EPOLL_CTL_ADD, g->efd, &ev);
  ev.data.u64 = kTagTimer;
  epoll_ctl(g->ep, EPOLL_CTL_ADD, g->tfd, &ev);
  g->recvBatch.reserve(64 * 1024);
  napi_value name;
  napi_create_string_utf8(env, "umphone-rtp-io", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_threadsafe_function(env, argv[1], nullptr, name, 0, 1, nullptr, nullptr, nullptr, CallJs, &g->tsfn));
  napi_add_env_cleanup_hook(env, Cleanup, g);
  g->CanHedge();
  g->thread = std::thread([g] { g->Run(); });
  napi_value handle;
  CHECK(napi_create_external(env, g, Finalize, nullptr, &handle));
  return handle;
}

napi_value Now(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_double(env, MonoMs(), &v);
  return v;
}

int BindOne(int family, const std::string& address, int port, const Settings& s, int* boundPort) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s.recvBufferSize, sizeof s.recvBufferSize);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s.sendBufferSize, sizeof s.sendBufferSize);
  sockaddr_storage sa;
  socklen_t len;
  if (!ParseAddress(address, uint16_t(port), &sa, &len) || sa.ss_family != family) {
    close(fd);
    return -EINVAL;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *boundPort = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&sa)->sin_port : reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port);
  return fd;
}

// bind(handle, address, port, rtcpMux) -> [id, rtpPort, rtcpPort]; throws with .code (EADDRINUSE...)
napi_value Bind(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Engine* g = EngineArgs(env, info, argv);
  if (!g) return nullptr;
  char addr[256];
  size_t alen;
  CHECK(napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &alen));
  int32_t port;
  bool mux;
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_bool(env, argv[3], &mux));
  std::string address(addr, alen);
  int family = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  int rtpPort = 0, rtcpPort = 0;
  int rtp = BindOne(family, address, port, g->settings, &rtpPort);
  if (rtp < 0) {
    ThrowErrno(env, -rtp, "bind " + address + ":" + std::to_string(port));
    return nullptr;
  }
  int rtcp = -1;
  if (!mux) {
    int want = port == 0 ? 0 : port + 1;
    rtcp = BindOne(family, address, want, g->settings, &rtcpPort);
    if (rtcp < 0) {
      close(rtp);
      ThrowErrno(env, -rtcp, "bind " + address + ":" + std::to_string(want));
      return nullptr;
    }
  } else {
    rtcpPort = rtpPort;
  }
  auto* p = new Pair{g->nextId++, rtp, rtcp, {}};
  g->sockets++;
  Command c{Command::kAdd};
  c.pair = p;
  g->Push(std::move(c));
  napi_value out, v;
  napi_create_array_with_length(env, 3, &out);
  napi_create_uint32(env, p->id, &v);
  napi_set_element(env, out, 0, v);
  napi_create_uint32(env, uint32_t(rtpPort), &v);
  napi_set_element(env, out, 1, v);
  napi_create_uint32(env, uint32_t(rtcpPort), &v);
  napi_set_element(env, out, 2, v);
  return out;
}

// send(handle, arrayBuffer): a batch in the io-batch.ts format
napi_value Send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Engine* g = EngineArgs(env, info, argv);
  if (!g || g->stopped) return Undefined(env);
  void* data;
  size_t len;
  CHECK(napi_get_arraybuffer_info(env, argv[1], &data, &len));
  Command c{Command::kBatch};
  c.bytes.assign(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + len);
  g->Push(std::move(c));
  return Undefined(env);
}

// close(handle, id): the pair's sockets close in the I/O thread, after everything sent before; then
// the event "closed" with the id
napi_value ClosePair(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Engine* g = EngineArgs(env, info, argv);
  if (!g || g->stopped) return Undefined(env);
  uint32_t id;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  Command c{Command::kClose};
  c.id = id;
  g->Push(std::move(c));
  return Undefined(env);
}

napi_value Stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Engine* g = EngineArgs(env, info, argv);
  if (!g) return nullptr;
  napi_value out, v;
  napi_create_object(env, &out);
  auto set = [&](const char* name, double x) {
    napi_create_double(env, x, &v);
    napi_set_named_property(env, out, name, v);
  };
  set("delivered", double(g->delivered.load()));
  set("late", double(g->late.load()));
  set("maxLateMs", g->maxLateMs.load());
  set("arrivedLate", double(g->arrivedLate.load()));
  set("received", double(g->received.load()));
  set("queued", double(g->queued.load()));
  set("sockets", double(g->sockets.load()));
  set("hedged", double(g->hedged.load()));
  return out;
}

// realtime(handle, priority) -> 0 or an errno: SCHED_FIFO for the I/O thread (and the hedge thread) alone
napi_value Realtime(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Engine* g = EngineArgs(env, info, argv);
  if (!g) return nullptr;
  int32_t prio;
  CHECK(napi_get_value_int32(env, argv[1], &prio));
  int rc = EINVAL;
  if (!g->stopped) {
    sched_param sp{};
    sp.sched_priority = prio;
    rc = pthread_setschedparam(g->thread.native_handle(), SCHED_FIFO, &sp);
    if (rc == 0) {  // the hedge thread raises itself, now (woken for it) or when it starts
      g->rtPriority.store(prio);
      g->hedge.cv.notify_one();
    }
  }
  napi_value v;
  napi_create_int32(env, rc, &v);
  return v;
}

napi_value RefTsfn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Engine* g = EngineArgs(env, info, argv);
  if (!g || g->stopped) return Undefined(env);
  bool on;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  if (on) napi_ref_threadsafe_function(env, g->tsfn);
  else napi_unref_threadsafe_function(env, g->tsfn);
  return Undefined(env);
}

// stop(handle): flushes what was received, closes every socket, joins the thread
napi_value Stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Engine* g = EngineArgs(env, info, argv);
  if (!g || g->stopped) return Undefined(env);
  StopEngine(g);
  napi_remove_env_cleanup_hook(env, Cleanup, g);
  napi_release_threadsafe_function(g->tsfn, napi_tsfn_release);
  return Undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"now", nullptr, Now, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bind", nullptr, Bind, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, ClosePair, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"realtime", nullptr, Realtime, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ref", nullptr, RefTsfn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stop", nullptr, Stop, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
