#include "io-loop.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>

#include <cmath>

namespace rtpio {

namespace {

constexpr uint64_t kTagCommands = ~0ull;
constexpr uint64_t kTagTimer = ~0ull - 1;
constexpr size_t kFlushBytes = 256 * 1024;
// Above this many pairs, deadlines are tens of microseconds apart: the timer's wake-up is close enough
// and a spin would keep a core busy for nothing.
constexpr size_t kSpinPairs = 48;

}  // namespace

IoLoop::IoLoop(const Settings& settings, EventSink& sink)
    : settings_(settings),
      sink_(sink),
      hedge_(settings.hedgeSpinMs, stats_) {}

int IoLoop::Start() {
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return errno;
  timer_.Reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return errno;
  if (int err = commands_.Open()) return err;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTagCommands;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, commands_.fd(), &ev);
  ev.data.u64 = kTagTimer;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev);
  hedge_.Prepare(settings_.hedgePairs);
  thread_ = std::thread([this] { Run(); });
  started_ = true;
  return 0;
}

uint32_t IoLoop::Add(Fd rtp, Fd rtcp) {
  auto p = std::make_unique<SocketPair>();
  p->id = nextId_++;
  p->rtp = std::move(rtp);
  p->rtcp = std::move(rtcp);
  uint32_t id = p->id;
  stats_.sockets++;
  commands_.Push(Command{Command::kAdd, {}, std::move(p)});
  return id;
}

void IoLoop::Send(std::vector<uint8_t> batch) { commands_.Push(Command{Command::kBatch, std::move(batch)}); }

void IoLoop::Close(uint32_t id) {
  Command c{Command::kClose};
  c.id = id;
  commands_.Push(std::move(c));
}

void IoLoop::Srtp(uint32_t id, std::shared_ptr<SrtpConfig> config) {
  auto& counters = srtpCounters_[id];
  if (!counters) counters = std::make_shared<SrtpCounters>();
  Command c{Command::kSrtp};
  c.id = id;
  c.srtp = std::move(config);
  c.counters = counters;
  commands_.Push(std::move(c));
}

std::shared_ptr<const SrtpCounters> IoLoop::SrtpStats(uint32_t id) const {
  auto it = srtpCounters_.find(id);
  return it == srtpCounters_.end() ? nullptr : it->second;
}

void IoLoop::ForgetSrtp(uint32_t id) { srtpCounters_.erase(id); }

void IoLoop::Capture(uint32_t id, std::shared_ptr<PcapFile> file, const sockaddr_storage& rtp, const sockaddr_storage& rtcp) {
  Command c{Command::kCapture};
  c.id = id;
  c.file = std::move(file);
  c.rtp = rtp;
  c.rtcp = rtcp;
  commands_.Push(std::move(c));
}

void IoLoop::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    commands_.Push(Command{Command::kStop});
    thread_.join();
  }
  epoll_.Reset();
  timer_.Reset();
  commands_.Close();
}

int IoLoop::Realtime(int priority) {
  if (stopped_ || !started_) return EINVAL;
  sched_param sp{};
  sp.sched_priority = priority;
  int rc = pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &sp);
  if (rc == 0) hedge_.SetPriority(priority);
  return rc;
}

// ---- the loop -----------------------------------------------------------------------------------

void IoLoop::Run() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // the default 50 us slack would make every wake-up late
  // A name of its own, so that /proc/<pid>/task/*/comm and top -H tell its CPU from V8's threads.
  prctl(PR_SET_NAME, "umphone-rtp", 0, 0, 0);
  epoll_event evs[256];
  for (;;) {
    if (!Drain()) break;
    SendDue();
    Offer();
    double now = MonoMs();
    if (receivedPending_ && now >= receivedFirst_ + settings_.flushMs) Flush();
    double next = INFINITY;
    // Early by `spinMs` only when SendDue will spin: armed early without spinning, the timer would fire
    // again and again until the deadline, and a FIFO thread that never sleeps is throttled by the kernel.
    if (!heap_.empty()) next = heap_.Top()->due - (SpinAllowed() ? settings_.spinMs : 0);
    if (receivedPending_) next = std::min(next, receivedFirst_ + settings_.flushMs);
    Arm(next);
    int n = epoll_wait(epoll_.get(), evs, 256, -1);
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == kTagCommands) {
        commands_.Acknowledge();
      } else if (tag == kTagTimer) {
        uint64_t count;
        ssize_t r = read(timer_.get(), &count, sizeof count);
        (void)r;
        armedFor_ = -1;
      } else {
        auto it = pairs_.find(uint32_t(tag >> 1));
        if (it != pairs_.end()) Receive(it->second.get(), tag & 1);
      }
      if ((i & 15) == 15) SendDue();  // a long burst of arrivals never holds a deadline back
    }
  }
  hedge_.Stop();
  Flush();
  SendDue();  // what is already due leaves (JavaScript stops the engine once the last deadlines passed)
  heap_.Clear();
  std::vector<uint32_t> ids;
  for (auto& kv : pairs_) ids.push_back(kv.first);
  for (uint32_t id : ids) ClosePair(id);
}

bool IoLoop::Drain() {
  for (Command& c : commands_.TakeAll()) {
    switch (c.kind) {
      case Command::kBatch: ReadBatch(c.bytes); break;
      case Command::kAdd: AddPair(std::move(c.pair)); break;
      case Command::kClose: {
        // What is already due goes first: JavaScript closes a pair once its last deadline has passed, and a
        // thread that got the CPU late must not drop those packets (the call counted them as sent).
        SendDue();
        ClosePair(c.id);
        auto e = std::make_unique<Event>();
        e->kind = Event::kClosed;
        e->pair = c.id;
        sink_.Post(std::move(e));  // the ports are free from here on
        break;
      }
      case Command::kSrtp: ApplySrtp(c); break;
      case Command::kCapture: {
        auto it = pairs_.find(c.id);
        if (it == pairs_.end()) break;
        SocketPair* p = it->second.get();
        p->capture = std::move(c.file);
        p->captureRtp = c.rtp;
        p->captureRtcp = c.rtcp;
        break;
      }
      case Command::kStop: return false;
    }
  }
  return true;
}

void IoLoop::AddPair(std::unique_ptr<SocketPair> p) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = uint64_t(p->id) << 1;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, p->rtp.get(), &ev);
  if (p->rtcp.valid()) {
    ev.data.u64 = (uint64_t(p->id) << 1) | 1;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, p->rtcp.get(), &ev);
  }
  uint32_t id = p->id;
  pairs_[id] = std::move(p);
}

void IoLoop::ApplySrtp(Command& c) {
  auto it = pairs_.find(c.id);
  if (it == pairs_.end()) return;
  SocketPair* p = it->second.get();
  if (!p->srtp) p->srtp = std::make_unique<SrtpSession>(c.counters);
  if (!p->srtp->Configure(*c.srtp)) ReportError(p, EINVAL, "SRTP: OpenSSL refused the session keys (wrong lengths?)");
}

void IoLoop::ClosePair(uint32_t id) {
  auto it = pairs_.find(id);
  if (it == pairs_.end()) return;
  hedge_.ReleasePair(id);
  std::unique_ptr<SocketPair> p = std::move(it->second);
  pairs_.erase(it);
  for (const Fd* fd : {&p->rtp, &p->rtcp})
    if (fd->valid()) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd->get(), nullptr);
  stats_.sockets--;
}  // the sockets close here

void IoLoop::Arm(double at) {
  if (at == armedFor_) return;
  armedFor_ = at;
  itimerspec spec{};
  if (std::isfinite(at)) {
    double s = std::floor(at / 1e3);
    spec.it_value.tv_sec = time_t(s);
    spec.it_value.tv_nsec = long((at - s * 1e3) * 1e6);
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

// ---- sending ------------------------------------------------------------------------------------

void IoLoop::ReadBatch(const std::vector<uint8_t>& batch) {
  double now = MonoMs();
  fromJs_.Read(batch, [&](const OutRecord& r) {
    auto it = pairs_.find(r.pair);
    if (it == pairs_.end()) return;
    if (!r.to) {
      ReportError(it->second.get(), EINVAL, "RTP to " + *r.addressText + ": not an IP address (the engine never resolves names)");
      return;
    }
    auto k = std::make_unique<Packet>();
    k->due = r.due;
    k->pair = r.pair;
    k->channel = r.channel;
    k->to = *r.to;
    k->toLen = r.toLen;
    k->data.reserve(r.length + SrtpSession::kMaxOverhead);
    k->data.assign(r.data, r.data + r.length);
    // A captured SRTP pair keeps the plain packet for the pcap (the call's RTP, not its ciphertext).
    if (it->second->capture && it->second->srtp) k->plain = k->data;
    if (!ProtectOutgoing(it->second.get(), *k)) return;
    if (std::isnan(k->due)) return SendNow(*k, now);
    if (k->due < now) stats_.arrivedLate++;
    heap_.Push(std::move(k));
    stats_.queued++;
  });
}

// Off the deadline path: packets reach the thread `leadMs` ahead of their deadline, so protecting them here
// delays no packet, and the hedge thread only ever sees protected bytes.
bool IoLoop::ProtectOutgoing(SocketPair* p, Packet& k) {
  if (!p->srtp) return true;
  return k.channel == kChannelRtcp ? p->srtp->ProtectRtcp(k.data) : p->srtp->ProtectRtp(k.data);
}

// The hedge thread may still be inside its send of the packet before this one (it claimed it, then the
// scheduler took its CPU): sending now would put this packet on the wire first. So wait for that send
// (microseconds, or as long as the preemption lasts) and report its error, as Offer does.
void IoLoop::WaitForHedgeSend() {
  if (!hedge_.running()) return;
  uint32_t failedPair = 0;
  int err = 0;
  while (!hedge_.SlotFree(&failedPair, &err)) {
  }
  if (err) {
    auto failed = pairs_.find(failedPair);
    if (failed != pairs_.end()) ReportError(failed->second.get(), err);
  }
}

bool IoLoop::SpinAllowed() const { return settings_.spinMs > 0 && pairs_.size() <= kSpinPairs; }

// Sends what is due. It spins for the next packet at most once per turn of the loop, so receiving goes on
// between packets.
void IoLoop::SendDue() {
  bool spun = !SpinAllowed();
  while (!heap_.empty()) {
    Packet* k = heap_.Top();
    double now = MonoMs();
    double wait = k->due - now;
    if (wait > 0) {
      if (spun || wait > settings_.spinMs) return;
      spun = true;
      while (wait > 0 && !hedge_.Taken(k)) wait = k->due - (now = MonoMs());
    }
    std::unique_ptr<Packet> owned = heap_.Pop();
    stats_.queued--;
    if (hedge_.Claim(owned.get())) {
      WaitForHedgeSend();
      SendNow(*owned, now);
    } else {
      CaptureOut(*owned);  // the hedge thread sent it, just now
    }
  }
}

void IoLoop::SendNow(const Packet& k, double now) {
  auto it = pairs_.find(k.pair);
  if (it == pairs_.end()) return;
  SocketPair* p = it->second.get();
  if (int err = SendTo(p->SocketFor(k.channel), k.data, k.to, k.toLen)) ReportError(p, err);
  if (!std::isnan(k.due)) stats_.CountSent(now - k.due);
  if (p->capture) CaptureOut(k);
}

// After the send, so the record's time is when the datagram left (and the capture costs no deadline).
void IoLoop::CaptureOut(const Packet& k) {
  auto it = pairs_.find(k.pair);
  if (it == pairs_.end() || !it->second->capture) return;
  SocketPair* p = it->second.get();
  const std::vector<uint8_t>& d = k.plain.empty() ? k.data : k.plain;
  const sockaddr_storage& local = k.channel == kChannelRtcp && p->rtcp.valid() ? p->captureRtcp : p->captureRtp;
  p->capture->AddUdp(WallMs(), local, k.to, d.data(), d.size());
}

void IoLoop::CaptureIn(SocketPair* p, bool rtcpSocket, const uint8_t* d, size_t len, const sockaddr_storage& from, double wallMs) {
  p->capture->AddUdp(wallMs, from, rtcpSocket ? p->captureRtcp : p->captureRtp, d, len);
}

// Offers the next packet due to the hedge thread, once per packet, and starts or stops that thread as the
// number of pairs crosses `hedgePairs`.
void IoLoop::Offer() {
  bool on = hedge_.capable() && SpinAllowed() && !pairs_.empty() && double(pairs_.size()) <= settings_.hedgePairs;
  if (on && !hedge_.running()) hedge_.Start();
  if (!on && hedge_.running()) hedge_.Stop();
  if (!hedge_.running() || heap_.empty()) return hedge_.Withdraw();
  Packet* k = heap_.Top();
  if (hedge_.Offered(k)) return;
  hedge_.Withdraw();
  uint32_t failedPair = 0;
  int err = 0;
  bool free = hedge_.SlotFree(&failedPair, &err);
  if (err) {
    auto failed = pairs_.find(failedPair);
    if (failed != pairs_.end()) ReportError(failed->second.get(), err);
  }
  if (!free) return;
  auto it = pairs_.find(k->pair);
  if (it != pairs_.end()) hedge_.Offer(k, it->second->SocketFor(k->channel));
}

void IoLoop::ReportError(SocketPair* p, int err, const std::string& what) {
  if (!p->reported.insert(err).second) return;
  auto e = std::make_unique<Event>();
  e->kind = Event::kError;
  e->pair = p->id;
  e->message = what.empty() ? std::string("RTP send: ") + strerror(err) : what;
  e->code = ErrnoCode(err);
  sink_.Post(std::move(e));
}

// ---- receiving ----------------------------------------------------------------------------------

void IoLoop::Receive(SocketPair* p, bool rtcpSocket) {
  int fd = rtcpSocket ? p->rtcp.get() : p->rtp.get();
  for (;;) {
    int n = burst_.Read(fd);
    // One reading per recvmmsg burst: the thread reads as soon as the socket is readable, so this is the
    // arrival time to within microseconds, whatever the main thread is doing meanwhile.
    double at = n > 0 ? MonoMs() : 0;
    // The wall clock too when the pair is captured: the pcap record's time.
    double wall = n > 0 && p->capture ? WallMs() : 0;
    for (int i = 0; i < n; i++) {
      uint8_t* d = burst_.data(i);
      size_t len = burst_.length(i);
      // RFC 5761 §4: on a multiplexed port, payload type octets 192..223 are RTCP.
      bool rtcp = rtcpSocket || (!p->rtcp.valid() && len >= 2 && d[1] >= 192 && d[1] <= 223);
      stats_.received++;
      long plain = UnprotectIncoming(p, rtcp, d, len);
      if (plain < 0) continue;  // dropped and counted by the SRTP session
      // The capture writes what the call hears: the decrypted packet (issue 17), at the thread's read time.
      if (p->capture) CaptureIn(p, rtcpSocket, d, size_t(plain), burst_.from(i), wall);
      received_.Add(p->id, rtcp ? kChannelRtcp : kChannelRtp, burst_.from(i), d, size_t(plain), at, p->srtp ? kFlagUnprotected : 0);
      if (!receivedPending_) {
        receivedPending_ = true;
        receivedFirst_ = at;
      }
    }
    if (received_.size() >= kFlushBytes) Flush();
    if (n < RecvBurst::kSize) return;
  }
}

// The datagram's plain length, or -1 when SRTP dropped it (a forgery, a replay...). Plain RTP passes as it is.
long IoLoop::UnprotectIncoming(SocketPair* p, bool rtcp, uint8_t* d, size_t len) {
  if (!p->srtp) return long(len);
  return rtcp ? p->srtp->UnprotectRtcp(d, len) : p->srtp->UnprotectRtp(d, len);
}

void IoLoop::Flush() {
  if (received_.empty()) return;
  auto e = std::make_unique<Event>();
  e->kind = Event::kRecv;
  e->bytes = received_.Take();
  receivedPending_ = false;
  sink_.Post(std::move(e));
}

}  // namespace rtpio
