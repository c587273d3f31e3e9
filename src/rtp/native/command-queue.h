// What JavaScript asks of the I/O thread, in order: a queue under a mutex and an eventfd that wakes the
// thread's epoll_wait.
#pragma once

#include <errno.h>
#include <sys/eventfd.h>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "fd.h"
#include "socket-pair.h"

namespace rtpio {

struct Command {
  enum Kind { kBatch, kAdd, kClose, kStop, kSrtp, kCapture } kind;
  std::vector<uint8_t> bytes;        // kBatch: io-batch.ts records
  std::unique_ptr<SocketPair> pair;  // kAdd
  uint32_t id = 0;                   // kClose, kSrtp, kCapture
  std::shared_ptr<SrtpConfig> srtp;  // kSrtp: the keys
  std::shared_ptr<SrtpCounters> counters;
  std::shared_ptr<PcapFile> file;    // kCapture (null: stop capturing)
  sockaddr_storage rtp, rtcp;        // kCapture: the local ends
};

class CommandQueue {
 public:
  // 0, or the errno of the eventfd that could not be made.
  int Open() {
    event_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    return event_.valid() ? 0 : errno;
  }
  int fd() const { return event_.get(); }
  void Close() { event_.Reset(); }

  void Push(Command&& c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      commands_.push_back(std::move(c));
    }
    uint64_t one = 1;
    ssize_t r = write(event_.get(), &one, sizeof one);
    (void)r;
  }

  // Everything queued so far; the eventfd is read by the loop when epoll reports it.
  std::deque<Command> TakeAll() {
    std::deque<Command> work;
    std::lock_guard<std::mutex> lock(mu_);
    work.swap(commands_);
    return work;
  }

  void Acknowledge() {
    uint64_t count;
    ssize_t r = read(event_.get(), &count, sizeof count);
    (void)r;
  }

 private:
  Fd event_;
  std::mutex mu_;
  std::deque<Command> commands_;
};

}  // namespace rtpio
