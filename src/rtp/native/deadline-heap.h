// The packets waiting for their deadline, earliest first; ties leave in the order they arrived.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace rtpio {

struct Packet {
  double due;  // CLOCK_MONOTONIC ms; NaN: at once
  uint32_t pair;
  uint8_t channel;
  sockaddr_storage to;
  socklen_t toLen;
  std::vector<uint8_t> data;
  // The datagram as JavaScript gave it, when `data` was changed after (SRTP protected it) and the pair is
  // captured: the capture writes what the call sent, not its ciphertext. Empty: `data` is that.
  std::vector<uint8_t> plain;
  uint64_t offer = 0;  // the hedge slot's word while this packet is offered to the hedge thread, else 0
  uint64_t seq = 0;    // arrival order, set by the heap
};

class DeadlineHeap {
 public:
  void Push(std::unique_ptr<Packet> p) {
    p->seq = seq_++;
    heap_.push_back(std::move(p));
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }
  Packet* Top() const { return heap_.front().get(); }
  std::unique_ptr<Packet> Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    std::unique_ptr<Packet> p = std::move(heap_.back());
    heap_.pop_back();
    return p;
  }
  bool empty() const { return heap_.empty(); }
  void Clear() { heap_.clear(); }

 private:
  static bool Later(const std::unique_ptr<Packet>& a, const std::unique_ptr<Packet>& b) {
    return a->due > b->due || (a->due == b->due && a->seq > b->seq);
  }
  std::vector<std::unique_ptr<Packet>> heap_;
  uint64_t seq_ = 0;
};

}  // namespace rtpio
