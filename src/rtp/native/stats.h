// The I/O thread's counters: written by the sending threads, read by JavaScript at any time.
#pragma once

#include <atomic>
#include <cstdint>

namespace rtpio {

struct Stats {
  std::atomic<uint64_t> delivered{0};    // sent at (or after) their deadline
  std::atomic<uint64_t> late{0};         // of which more than 1 ms after it
  std::atomic<uint64_t> arrivedLate{0};  // reached the thread after their deadline (produced late)
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> queued{0};
  std::atomic<uint64_t> sockets{0};      // pairs bound and not yet closed
  std::atomic<uint64_t> hedged{0};       // sent by the hedge thread
  std::atomic<double> maxLateMs{0};

  // A packet sent `lateMs` after its deadline, by either sending thread.
  void CountSent(double lateMs) {
    delivered++;
    if (lateMs > 1) late++;
    double max = maxLateMs.load(std::memory_order_relaxed);
    while (lateMs > max && !maxLateMs.compare_exchange_weak(max, lateMs, std::memory_order_relaxed)) {
    }
  }
};

}  // namespace rtpio
