// The hedge: while the engine carries a few streams, a second thread on another CPU races the I/O thread
// for every packet, and whichever reaches the deadline first sends it. On a virtual machine the late
// packets of a lone stream are the hypervisor taking one vCPU away for a millisecond or two, rarely both
// at once, so the thread on the other vCPU is on time (docs/rtp-engines.md, figures in
// docs/measurements/rtp-pacing.md).
//
// One slot holds a copy of the packet offered. Its word is (generation << 2) | state: kIdle, the I/O
// thread owns the fields; kOffered, either thread may claim the packet (the hedge thread: kOffered ->
// kSending, the I/O thread: kOffered -> kIdle); kSending, the hedge thread owns the fields and sends;
// kSent, done, the I/O thread takes the slot back (and reports the send's error). The generation makes
// every offer's word unique, so a claim can never take a later packet.
#pragma once

#include <sched.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "deadline-heap.h"
#include "stats.h"

namespace rtpio {

class Hedge {
 public:
  Hedge(double spinMs, Stats& stats) : spinMs_(spinMs), stats_(stats) {}
  ~Hedge();
  Hedge(const Hedge&) = delete;
  Hedge& operator=(const Hedge&) = delete;

  // Whether this process may hedge at all (two CPUs or more): called once, before the I/O thread starts.
  void Prepare(double hedgePairs);
  bool capable() const { return capable_; }
  bool running() const { return running_; }

  // The rest is called from the I/O thread only.

  // Starts the hedge thread on the last CPU and moves the calling (I/O) thread off it: two threads
  // sleeping on one CPU wake late together. With no thread to be had, the engine goes on without.
  void Start();
  // Stops it and gives the I/O thread every CPU back: an engine carrying many calls has no hedge.
  void Stop();

  // Offers `k`, the next packet due, to be sent from `fd` (a copy: the packet stays in the heap).
  void Offer(Packet* k, int fd);
  bool Offered(const Packet* k) const { return k == offered_ || k->offer; }
  // Takes the current offer back; a packet the hedge thread already claimed keeps its `offer`, so Claim
  // then drops it instead of sending it twice.
  void Withdraw();
  // True when the hedge thread has claimed `k` (the I/O thread stops waiting for its deadline).
  bool Taken(const Packet* k) const { return k->offer && word_.load(std::memory_order_relaxed) != k->offer; }
  // For a packet leaving the heap: true when the I/O thread is to send it (not offered, or taken back).
  bool Claim(Packet* k);
  // False while the hedge thread sends from the slot; a finished send's error comes out here, so every
  // send error is reported on the I/O thread.
  bool SlotFree(uint32_t* failedPair, int* err);
  // Before a pair's sockets close: no offer and no send from them is left.
  void ReleasePair(uint32_t pair);

  // SCHED_FIFO for the hedge thread: applied now (it is woken for it) or when it starts.
  void SetPriority(int priority);

 private:
  static constexpr uint64_t kIdle = 0, kOffered = 1, kSending = 2, kSent = 3, kState = 3;
  void Run();

  const double spinMs_;
  Stats& stats_;
  bool capable_ = false;
  bool running_ = false;
  cpu_set_t cpus_;  // where the process may run
  int cpu_ = -1;    // the hedge thread's CPU: the last of cpus_
  std::atomic<int> priority_{0};

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // under mu_
  std::atomic<uint64_t> word_{0};
  double due_ = 0;  // under mu_

  // The slot's packet: written by the I/O thread while kIdle, read by the hedge thread while kSending.
  int fd_ = -1;
  uint32_t pair_ = 0;
  sockaddr_storage to_;
  socklen_t toLen_ = 0;
  std::vector<uint8_t> data_;
  int err_ = 0;

  Packet* offered_ = nullptr;  // the heap's packet now in the slot
  uint64_t generation_ = 0;
};

}  // namespace rtpio
