// A call's pcap file written from native code: the I/O thread records each datagram of a captured pair as
// it sends or receives it, JavaScript adds the call's SIP frames, and one disk thread for the whole
// process appends to the files. Recording on the main thread (framing, checksums, a record per packet)
// cost it about 0.9 s of CPU per 10 s at 200 calls, and the main thread is what hands packets to the I/O
// thread ahead of their deadlines (docs/measurements/quality.md).
//
// The file format is the one src/capture/pcap-format.ts writes (classic libpcap, little-endian,
// microseconds, Ethernet with zero MAC addresses, as tcpdump writes on `lo`); frames as ip-frames.ts
// builds them (TTL 64, IPv4 "don't fragment", checksums right).
//
// Memory is bounded as in pcap-writer.ts: past `maxQueuedBytes` not yet on disk, a record is dropped and
// counted. The I/O thread only ever takes the file's short lock to append; the disk's latency is the disk
// thread's alone (it writes outside that lock), so a slow disk never holds up a deadline.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rtpio {

struct PcapOptions {
  size_t maxQueuedBytes = 1 << 20;  // not yet on disk, record being added included
  double flushMs = 250;             // a record waits at most about this long before the disk thread writes it
  size_t wakeBytes = 64 * 1024;     // this much waiting wakes the disk thread at once
  uint32_t snaplen = 262144;
};

struct PcapStats {
  uint64_t records = 0;   // accepted (on disk or queued)
  uint64_t dropped = 0;   // dropped because the disk was behind by maxQueuedBytes
  uint64_t written = 0;   // bytes on disk, header included
  uint64_t buffered = 0;  // bytes accepted and not yet on disk
  std::string error;      // the write error that stopped the capture ("" if none)
};

class PcapFile {
 public:
  // Creates (truncates) `path` and queues the global header; nullptr and *err = errno when it cannot.
  static std::shared_ptr<PcapFile> Open(const std::string& path, const PcapOptions& options, int* err);
  ~PcapFile();
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  // Any thread. A UDP datagram between two socket addresses (same family; a v4-mapped IPv6 address
  // counts as IPv4), framed as Ethernet + IP + UDP at `wallMs` (ms since the epoch).
  void AddUdp(double wallMs, const sockaddr_storage& src, const sockaddr_storage& dst, const uint8_t* payload, size_t length);
  // Any thread. A whole Ethernet frame built elsewhere (the SIP frames JavaScript builds), cut to the snaplen.
  void AddFrame(double wallMs, const uint8_t* frame, size_t length);

  // Writes what is queued now, in order (the disk thread; or whoever flushes). Returns false once the
  // file is finished.
  bool WritePending();
  // True when the queued records have waited `flushMs` or fill `wakeBytes`.
  bool Due(double monoMs);
  // Writes everything queued and closes the file; later records are ignored. Idempotent, any thread.
  void Finish();

  PcapStats Stats();

 private:
  PcapFile(int fd, const PcapOptions& options) : fd_(fd), options_(options) {}
  // Room for a record of `included` bytes (header written): its frame's offset in pending_, or -1.
  long Reserve(double wallMs, size_t included, size_t original);
  void Fail(int err);

  const int fd_;
  const PcapOptions options_;

  std::mutex mu_;  // what the adding threads touch: short sections only, never around a write
  std::vector<uint8_t> pending_;
  double pendingSince_ = 0;  // CLOCK_MONOTONIC ms of the first record in pending_
  size_t inFlight_ = 0;      // bytes the disk thread is writing now
  uint64_t records_ = 0, dropped_ = 0;
  uint16_t ipId_ = 1;
  bool finished_ = false, failed_ = false;
  std::string error_;

  std::mutex io_;  // one write at a time, in order: the disk thread's and Finish's
  std::vector<uint8_t> writing_;
  uint64_t position_ = 0;  // under io_; mirrored in written_ for Stats
  std::atomic<uint64_t> written_{0};
  bool closed_ = false;  // under io_
};

// The process's disk thread: started with the first file, never stopped (it sleeps while no file is open).
// Files are registered while open; each is written when due.
void RegisterWithDiskThread(const std::shared_ptr<PcapFile>& file);
// Wakes the disk thread now (a file has wakeBytes waiting).
void WakeDiskThread();

// CLOCK_REALTIME in ms: the capture's timestamps.
double WallMs();

}  // namespace rtpio
