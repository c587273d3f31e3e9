#include "pcap-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <thread>

#include "udp.h"

namespace rtpio {

namespace {

constexpr size_t kRecordHeader = 16;
constexpr size_t kEthernet = 14;
constexpr size_t kIpv4 = 20, kIpv6 = 40, kUdp = 8;
constexpr uint8_t kProtocolUdp = 17;

void Le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}

void Be16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

// One's complement sum of big-endian 16-bit words (RFC 1071), not yet folded.
uint64_t SumWords(const uint8_t* p, size_t n, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < n; i += 2) sum += (uint32_t(p[i]) << 8) | p[i + 1];
  if (i < n) sum += uint32_t(p[i]) << 8;
  return sum;
}

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum & 0xffff);
}

// The IP address bytes of a socket address (4 or 16) and its port; a v4-mapped IPv6 address gives its
// IPv4 bytes, so a dual-stack socket's peers frame as IPv4 next to an IPv4 local address.
size_t AddressBytes(const sockaddr_storage& sa, const uint8_t** bytes, uint16_t* port) {
  if (sa.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
    *bytes = reinterpret_cast<const uint8_t*>(&v4->sin_addr);
    *port = ntohs(v4->sin_port);
    return 4;
  }
  if (sa.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    *port = ntohs(v6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      *bytes = reinterpret_cast<const uint8_t*>(&v6->sin6_addr) + 12;
      return 4;
    }
    *bytes = reinterpret_cast<const uint8_t*>(&v6->sin6_addr);
    return 16;
  }
  return 0;
}

// Writes all of `b` at `at`: 0 or the errno.
int WriteAll(int fd, const std::vector<uint8_t>& b, uint64_t at) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = pwrite(fd, b.data() + off, b.size() - off, off_t(at + off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ENOSPC;
    off += size_t(n);
  }
  return 0;
}

struct DiskThread {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<PcapFile>> files;
  bool kicked = false;
  std::thread thread;

  void Run() {
    std::vector<std::shared_ptr<PcapFile>> work;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        // Every 50 ms while files are open: no file waits much longer than its flushMs.
        if (files.empty()) cv.wait(lock, [&] { return kicked || !files.empty(); });
        else cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return kicked; });
        kicked = false;
        work = files;
      }
      double now = MonoMs();
      std::vector<PcapFile*> done;
      for (auto& f : work)
        if (f->Due(now) && !f->WritePending()) done.push_back(f.get());
      work.clear();
      if (done.empty()) continue;
      std::lock_guard<std::mutex> lock(mu);
      for (PcapFile* d : done)
        for (size_t i = 0; i < files.size(); i++)
          if (files[i].get() == d) {
            files.erase(files.begin() + long(i));
            break;
          }
    }
  }
};

// Never destroyed: a process that exits with the thread asleep must not run its destructor (a joinable
// std::thread's destructor terminates the process).
DiskThread* Disk() {
  static DiskThread* disk = [] {
    auto* d = new DiskThread();
    d->thread = std::thread([d] { d->Run(); });
    d->thread.detach();
    return d;
  }();
  return disk;
}

}  // namespace

double WallMs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void RegisterWithDiskThread(const std::shared_ptr<PcapFile>& file) {
  DiskThread* d = Disk();
  std::lock_guard<std::mutex> lock(d->mu);
  d->files.push_back(file);
  d->cv.notify_one();
}

void WakeDiskThread() {
  DiskThread* d = Disk();
  {
    std::lock_guard<std::mutex> lock(d->mu);
    d->kicked = true;
  }
  d->cv.notify_one();
}

std::shared_ptr<PcapFile> PcapFile::Open(const std::string& path, const PcapOptions& options, int* err) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  std::shared_ptr<PcapFile> f(new PcapFile(fd, options));
  // The global header: magic (microseconds), version 2.4, zone 0, sigfigs 0, snaplen, link type Ethernet.
  f->pending_.resize(24);
  uint8_t* h = f->pending_.data();
  Le32(h, 0xa1b2c3d4);
  h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
  Le32(h + 8, 0);
  Le32(h + 12, 0);
  Le32(h + 16, options.snaplen);
  Le32(h + 20, 1);
  f->pendingSince_ = MonoMs();
  RegisterWithDiskThread(f);
  return f;
}

PcapFile::~PcapFile() { Finish(); }

long PcapFile::Reserve(double wallMs, size_t included, size_t original) {
  if (finished_ || failed_) return -1;
  size_t need = kRecordHeader + included;
  if (pending_.size() + inFlight_ + need > options_.maxQueuedBytes) {
    dropped_++;
    return -1;
  }
  if (pending_.empty()) pendingSince_ = MonoMs();
  size_t at = pending_.size();
  pending_.resize(at + need);
  // Rounded once, on the total, so 999.9996 ms never becomes "0 s + 1 000 000 us".
  int64_t us = wallMs > 0 ? int64_t(wallMs * 1000 + 0.5) : 0;
  uint8_t* h = pending_.data() + at;
  Le32(h, uint32_t(us / 1000000));
  Le32(h + 4, uint32_t(us % 1000000));
  Le32(h + 8, uint32_t(included));
  Le32(h + 12, uint32_t(original));
  records_++;
  return long(at + kRecordHeader);
}

void PcapFile::AddUdp(double wallMs, const sockaddr_storage& src, const sockaddr_storage& dst, const uint8_t* payload, size_t length) {
  const uint8_t *s, *d;
  uint16_t sport, dport;
  size_t family = AddressBytes(src, &s, &sport);
  if (family == 0 || AddressBytes(dst, &d, &dport) != family) return;  // no frame carries both
  size_t ip = family == 4 ? kIpv4 : kIpv6;
  size_t udpLength = kUdp + length;
  if (udpLength > (family == 4 ? 0xffff - kIpv4 : 0xffff)) return;
  size_t frameLength = kEthernet + ip + udpLength;
  if (frameLength > options_.snaplen) return;  // never: RTP is far below the default snaplen
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    long at = Reserve(wallMs, frameLength, frameLength);
    if (at < 0) return;
    uint8_t* f = pending_.data() + at;
    memset(f, 0, kEthernet + ip + kUdp);
    Be16(f + 12, family == 4 ? 0x0800 : 0x86dd);
    uint8_t* h = f + kEthernet;
    if (family == 4) {
      h[0] = 0x45;
      Be16(h + 2, uint32_t(kIpv4 + udpLength));
      Be16(h + 4, ipId_++);
      Be16(h + 6, 0x4000);
      h[8] = 64;
      h[9] = kProtocolUdp;
      memcpy(h + 12, s, 4);
      memcpy(h + 16, d, 4);
      Be16(h + 10, Fold(SumWords(h, kIpv4, 0)));
    } else {
      h[0] = 0x60;
      Be16(h + 4, uint32_t(udpLength));
      h[6] = kProtocolUdp;
      h[7] = 64;
      memcpy(h + 8, s, 16);
      memcpy(h + 24, d, 16);
    }
    uint8_t* u = h + ip;
    Be16(u, sport);
    Be16(u + 2, dport);
    Be16(u + 4, uint32_t(udpLength));
    memcpy(u + kUdp, payload, length);
    // The pseudo-header: both addresses, the protocol and the UDP length (RFC 768, RFC 8200 §8.1).
    uint64_t sum = SumWords(s, family, 0);
    sum = SumWords(d, family, sum);
    sum += kProtocolUdp + udpLength;
    uint16_t c = Fold(SumWords(u, udpLength, sum));
    Be16(u + 6, c == 0 ? 0xffff : c);  // RFC 768: a computed zero is sent as all ones
    wake = pending_.size() >= options_.wakeBytes && pending_.size() - (kRecordHeader + frameLength) < options_.wakeBytes;
  }
  if (wake) WakeDiskThread();
}

void PcapFile::AddFrame(double wallMs, const uint8_t* frame, size_t length) {
  size_t included = length < options_.snaplen ? length : options_.snaplen;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    long at = Reserve(wallMs, included, length);
    if (at < 0) return;
    memcpy(pending_.data() + at, frame, included);
    wake = pending_.size() >= options_.wakeBytes && pending_.size() - (kRecordHeader + included) < options_.wakeBytes;
  }
  if (wake) WakeDiskThread();
}

bool PcapFile::Due(double monoMs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return true;
  return !pending_.empty() && (pending_.size() >= options_.wakeBytes || monoMs - pendingSince_ >= options_.flushMs);
}

bool PcapFile::WritePending() {
  std::lock_guard<std::mutex> io(io_);
  if (closed_) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return false;  // Finish writes the rest itself
    writing_.swap(pending_);
    inFlight_ = writing_.size();
  }
  int err = writing_.empty() ? 0 : WriteAll(fd_, writing_, position_);
  if (!err) position_ += writing_.size();
  written_ = position_;
  writing_.clear();  // keeps its capacity: the next swap reuses it
  std::lock_guard<std::mutex> lock(mu_);
  inFlight_ = 0;
  if (err) Fail(err);
  return true;
}

void PcapFile::Fail(int err) {
  if (failed_) return;
  failed_ = true;
  error_ = strerror(err);
  pending_.clear();
}

void PcapFile::Finish() {
  std::lock_guard<std::mutex> io(io_);
  if (closed_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    writing_.swap(pending_);
    inFlight_ = writing_.size();
  }
  int err = writing_.empty() ? 0 : WriteAll(fd_, writing_, position_);
  if (!err) position_ += writing_.size();
  written_ = position_;
  writing_.clear();
  if (close(fd_) < 0 && !err) err = errno;
  closed_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  inFlight_ = 0;
  if (err) Fail(err);
}

PcapStats PcapFile::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  PcapStats s;
  s.records = records_;
  s.dropped = dropped_;
  s.written = written_.load();
  s.buffered = pending_.size() + inFlight_;
  s.error = error_;
  return s;
}

}  // namespace rtpio
