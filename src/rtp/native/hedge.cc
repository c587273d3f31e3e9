#include "hedge.h"

#include <pthread.h>
#include <sys/prctl.h>

#include <chrono>
#include <system_error>

#include "udp.h"

namespace rtpio {

Hedge::~Hedge() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Hedge::Prepare(double hedgePairs) {
  if (hedgePairs < 1 || sched_getaffinity(0, sizeof cpus_, &cpus_) != 0 || CPU_COUNT(&cpus_) < 2) return;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &cpus_)) cpu_ = c;
  capable_ = true;
}

void Hedge::Start() {
  cpu_set_t others = cpus_;
  CPU_CLR(cpu_, &others);
  pthread_setaffinity_np(pthread_self(), sizeof others, &others);
  stop_ = false;  // the thread is not running: no lock needed
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error&) {  // EAGAIN: no thread to be had
    capable_ = false;
    pthread_setaffinity_np(pthread_self(), sizeof cpus_, &cpus_);
    return;
  }
  running_ = true;
}

void Hedge::Stop() {
  if (!running_) return;
  Withdraw();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  running_ = false;
  pthread_setaffinity_np(pthread_self(), sizeof cpus_, &cpus_);
}

void Hedge::Withdraw() {
  if (!offered_) return;
  uint64_t w = offered_->offer;
  if (word_.compare_exchange_strong(w, w & ~kState)) offered_->offer = 0;
  offered_ = nullptr;
}

bool Hedge::Claim(Packet* k) {
  if (!k->offer) return true;
  if (k == offered_) offered_ = nullptr;
  uint64_t w = k->offer;
  return word_.compare_exchange_strong(w, w & ~kState);
}

bool Hedge::SlotFree(uint32_t* failedPair, int* err) {
  *err = 0;
  uint64_t w = word_.load(std::memory_order_acquire);
  uint64_t state = w & kState;
  if (state == kSending) return false;
  if (state == kSent) {
    *failedPair = pair_;
    *err = err_;
    err_ = 0;
    word_.store(w & ~kState, std::memory_order_relaxed);
  }
  return true;
}

void Hedge::Offer(Packet* k, int fd) {
  fd_ = fd;
  pair_ = k->pair;
  to_ = k->to;
  toLen_ = k->toLen;
  data_.assign(k->data.begin(), k->data.end());
  k->offer = (++generation_ << 2) | kOffered;
  offered_ = k;
  {
    std::lock_guard<std::mutex> lock(mu_);
    due_ = k->due;
    word_.store(k->offer, std::memory_order_release);
  }
  cv_.notify_one();
}

void Hedge::ReleasePair(uint32_t pair) {
  if (offered_ && offered_->pair == pair) Withdraw();
  while ((word_.load(std::memory_order_acquire) & kState) == kSending && pair_ == pair) std::this_thread::yield();
}

void Hedge::SetPriority(int priority) {
  priority_.store(priority);
  cv_.notify_one();
}

// Sleeps until `spinMs_` before the offered packet's deadline, spins to it, claims the packet and sends
// it. The spin is longer than the I/O thread's because this thread's wake-up is later (it starts cold).
void Hedge::Run() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  prctl(PR_SET_NAME, "umphone-hedge", 0, 0, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu_, &one);
  pthread_setaffinity_np(pthread_self(), sizeof one, &one);
  int priority = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (int want = priority_.load(std::memory_order_relaxed); want != priority) {
      sched_param sp{};
      sp.sched_priority = want;
      pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
      priority = want;
    }
    uint64_t w = word_.load(std::memory_order_acquire);
    if ((w & kState) != kOffered) {
      cv_.wait(lock);
      continue;
    }
    double due = due_;
    double wake = due - spinMs_;
    if (MonoMs() < wake) {
      // steady_clock is CLOCK_MONOTONIC, the clock of every deadline here
      cv_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(int64_t(wake * 1e6))));
      continue;
    }
    lock.unlock();
    double now;
    while ((now = MonoMs()) < due && word_.load(std::memory_order_relaxed) == w) {
    }
    uint64_t expected = w;
    if (word_.compare_exchange_strong(expected, (w & ~kState) | kSending, std::memory_order_acquire)) {
      err_ = SendTo(fd_, data_, to_, toLen_);
      stats_.hedged++;
      stats_.CountSent(now - due);
      word_.store((w & ~kState) | kSent, std::memory_order_release);
    }
    lock.lock();
  }
}

}  // namespace rtpio
