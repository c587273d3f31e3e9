// The native RTP I/O thread: it owns the RTP/RTCP sockets, sends every packet at its deadline and hands
// what the sockets receive to JavaScript in batches. JavaScript still builds every packet and handles
// everything received; only the sockets and the send timing live here, because a send or a receive
// through dgram costs about three times the kernel's own work (docs/rtp-engines.md).
//
// One epoll set holds the command queue's eventfd, a timerfd armed at the next deadline (absolute,
// CLOCK_MONOTONIC, 1 ns timer slack) and every socket. Packets wait in a min-heap by deadline; with few
// streams the thread wakes `spinMs` early and spins to the deadline, since a timer wake-up is tens of
// microseconds late. Datagrams are read with recvmmsg and go to JavaScript `flushMs` after the first one
// of a batch (or at 256 KiB).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "batch-format.h"
#include "command-queue.h"
#include "deadline-heap.h"
#include "fd.h"
#include "hedge.h"
#include "pcap-sink.h"
#include "socket-pair.h"
#include "stats.h"
#include "udp.h"

namespace rtpio {

struct Settings {
  double flushMs = 2;
  double spinMs = 0.05;
  double hedgePairs = 0;  // the hedge races for packets while the engine has 1 to this many pairs
  double hedgeSpinMs = 0.5;
  int recvBufferSize = 1 << 20;
  int sendBufferSize = 1 << 20;
};

// What goes to JavaScript: a batch of received datagrams, a socket error, or a pair closed.
struct Event {
  enum Kind { kRecv, kError, kClosed } kind;
  std::vector<uint8_t> bytes;
  uint32_t pair = 0;
  std::string message, code;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called on the I/O thread; takes the event over.
  virtual void Post(std::unique_ptr<Event> e) = 0;
};

class IoLoop {
 public:
  IoLoop(const Settings& settings, EventSink& sink);
  ~IoLoop() { Stop(); }
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  // Starts the thread: 0, or the errno of the epoll set, eventfd or timerfd that could not be made.
  int Start();

  // From JavaScript's thread. Add takes a pair's bound sockets and returns its id.
  uint32_t Add(Fd rtp, Fd rtcp);
  void Send(std::vector<uint8_t> batch);
  // The pair's sockets close on the I/O thread after everything sent before; then a kClosed event.
  void Close(uint32_t id);
  // SRTP keys for a pair (first keys or a rekey), applied in order with the batches sent before and after.
  void Srtp(uint32_t id, std::shared_ptr<SrtpConfig> config);
  // The pair's SRTP counters (null when it never had keys); they outlive the pair until ForgetSrtp.
  std::shared_ptr<const SrtpCounters> SrtpStats(uint32_t id) const;
  void ForgetSrtp(uint32_t id);
  // Records every datagram pair `id` sends or receives from now on into `file` (null: stops), with
  // `rtp`/`rtcp` as the local ends.
  void Capture(uint32_t id, std::shared_ptr<PcapFile> file, const sockaddr_storage& rtp, const sockaddr_storage& rtcp);
  // Flushes what was received, closes every socket, joins the thread. Idempotent.
  void Stop();
  // SCHED_FIFO for the I/O thread and its hedge thread: 0 or the errno of the refusal.
  int Realtime(int priority);

  const Settings& settings() const { return settings_; }
  const Stats& stats() const { return stats_; }

 private:
  void Run();
  bool Drain();
  void AddPair(std::unique_ptr<SocketPair> p);
  void ClosePair(uint32_t id);
  void ReadBatch(const std::vector<uint8_t>& batch);
  void ApplySrtp(Command& c);
  // SRTP hooks: plain → protected before a packet is queued; protected → plain before it goes to JavaScript.
  bool ProtectOutgoing(SocketPair* p, Packet& k);
  long UnprotectIncoming(SocketPair* p, bool rtcp, uint8_t* d, size_t len);
  void WaitForHedgeSend();
  bool SpinAllowed() const;
  void SendDue();
  void SendNow(const Packet& k, double now);
  void Offer();
  void Receive(SocketPair* p, bool rtcpSocket);
  // The capture's two hooks: a datagram as sent (plaintext, at its real send time) and as received.
  void CaptureOut(const Packet& k);
  void CaptureIn(SocketPair* p, bool rtcpSocket, const uint8_t* d, size_t len, const sockaddr_storage& from, double wallMs);
  void Flush();
  void Arm(double at);
  void ReportError(SocketPair* p, int err, const std::string& what = "");

  const Settings settings_;
  EventSink& sink_;
  Stats stats_;
  CommandQueue commands_;
  Fd epoll_, timer_;
  std::thread thread_;
  bool started_ = false, stopped_ = false;
  uint32_t nextId_ = 1;  // JavaScript's thread
  std::unordered_map<uint32_t, std::shared_ptr<SrtpCounters>> srtpCounters_;  // JavaScript's thread

  // Owned by the I/O thread.
  std::unordered_map<uint32_t, std::unique_ptr<SocketPair>> pairs_;
  DeadlineHeap heap_;
  Hedge hedge_;
  BatchReader fromJs_;
  BatchWriter received_;
  RecvBurst burst_;
  double receivedFirst_ = 0;
  bool receivedPending_ = false;
  double armedFor_ = -1;
};

}  // namespace rtpio
