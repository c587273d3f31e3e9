// SRTP and SRTCP (RFC 3711; AEAD_AES_128_GCM, RFC 7714) on the I/O thread, with OpenSSL's EVP API as
// Node bundles and exports it: nothing else is linked. JavaScript still parses SDES and derives the
// session keys (src/rtp/srtp/kdf.ts); this side gets those keys per direction and keeps, per SSRC, the
// packet index (ROC, §3.3.1), the SRTCP index and the replay windows (§3.3.2), as the JavaScript
// sender and receiver (src/rtp/srtp/srtp-*.ts) do. Protecting here instead of on the main thread keeps
// 6–10 µs per packet off the thread that must hand packets over ahead of their deadline.
//
// Every OpenSSL context is made once per key (a rekey makes new ones); a packet only re-initialises
// the IV or the HMAC state, so nothing is allocated per packet.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

// OpenSSL's types, declared so that including this header does not pull OpenSSL's into every file.
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace rtpio {

enum class SrtpSuite : uint8_t { kAesCm80 = 0, kAesCm32 = 1, kAesGcm = 2 };

// The session keys of one direction for RTP or RTCP (RFC 3711 §4.3), derived by JavaScript.
struct SrtpSessionKeys {
  std::vector<uint8_t> encryption;  // 16 octets
  std::vector<uint8_t> auth;        // 20 octets (HMAC-SHA1); empty for GCM
  std::vector<uint8_t> salt;        // 14 octets (12 for GCM)
};

// One direction's keying: ours (protect) or the peer's (unprotect).
struct SrtpDirectionConfig {
  SrtpSessionKeys rtp, rtcp;
  std::vector<uint8_t> mki;  // empty: none
  bool encryptRtp = true, encryptRtcp = true;
  int replayWindow = 128;  // receiving direction only
};

struct SrtpConfig {
  SrtpSuite suite = SrtpSuite::kAesCm80;
  SrtpDirectionConfig out, in;
  int srtcpTag32 = 10;  // the SRTCP tag we write under _32: 10 (RFC 3711) or 4 (libre)
  int maxStreams = 16;  // SSRCs a receiver learns before it refuses new ones
};

// Why a received packet was dropped, as src/rtp/srtp/policy.ts names them.
enum SrtpDrop { kTooShort, kMalformed, kMki, kAuth, kReplay, kTooOld, kStreams, kDropReasons };

// Written by the I/O thread, read by JavaScript at any time (relaxed atomics: counters only).
struct SrtpCounters {
  struct Kind {
    std::atomic<uint64_t> ok{0};
    std::atomic<uint64_t> dropped[kDropReasons] = {};
  };
  std::atomic<uint64_t> rtpProtected{0}, rtcpProtected{0};
  std::atomic<uint64_t> protectErrors{0};  // outgoing datagrams that were not RTP/RTCP, or an exhausted index
  std::atomic<uint64_t> rekeys{0};
  Kind rtp, rtcp;
};

// The SRTP replay list (§3.3.2) as a bitmap sliding over packet indices.
class ReplayWindow {
 public:
  explicit ReplayWindow(int size = 128);
  int64_t highest() const { return top_; }
  // 0: acceptable, kReplay or kTooOld. Changes nothing: the caller authenticates first.
  int Check(int64_t index) const;
  void Accept(int64_t index);

 private:
  bool Has(int64_t index) const;
  void Set(int64_t index, bool on);
  std::vector<uint64_t> bits_;
  int64_t size_;
  int64_t top_ = -1;
};

// The ciphers and MAC of one direction, made from its session keys.
class SrtpCrypto {
 public:
  SrtpCrypto(SrtpSuite suite, const SrtpDirectionConfig& c);
  ~SrtpCrypto();
  SrtpCrypto(const SrtpCrypto&) = delete;
  SrtpCrypto& operator=(const SrtpCrypto&) = delete;
  bool ok() const { return ok_; }

  // AES-CM keystream XOR over p[0, n) from the §4.1.1 counter of (salt, ssrc, index).
  bool CounterMode(bool rtcp, uint32_t ssrc, uint64_t index, uint8_t* p, size_t n);
  // HMAC-SHA1 over a || b (b may be empty), the 20 octets into `mac`.
  bool Hmac(bool rtcp, const uint8_t* a, size_t an, const uint8_t* b, size_t bn, uint8_t mac[20]);
  // GCM with the RFC 7714 IV: encrypts (or decrypts and verifies) p[0, n) in place, AAD = aad1 || aad2.
  bool GcmSeal(bool rtcp, const uint8_t iv[12], const uint8_t* aad1, size_t a1, const uint8_t* aad2, size_t a2, uint8_t* p, size_t n, uint8_t* tag, size_t tagLength);
  bool GcmOpen(bool rtcp, const uint8_t iv[12], const uint8_t* aad1, size_t a1, const uint8_t* aad2, size_t a2, uint8_t* p, size_t n, const uint8_t* tag, size_t tagLength);

  const std::vector<uint8_t>& salt(bool rtcp) const { return rtcp ? rtcpSalt_ : rtpSalt_; }

 private:
  SrtpSuite suite_;
  bool ok_ = false;
  std::vector<uint8_t> rtpSalt_, rtcpSalt_;
  EVP_CIPHER_CTX* ctr_[2] = {nullptr, nullptr};     // AES-CTR, [0] RTP [1] RTCP
  EVP_MAC_CTX* mac_[2] = {nullptr, nullptr};        // HMAC-SHA1 keyed once
  EVP_CIPHER_CTX* gcmSeal_[2] = {nullptr, nullptr};  // AES-GCM, key set once
  EVP_CIPHER_CTX* gcmOpen_[2] = {nullptr, nullptr};
};

// One socket pair's SRTP: both directions, the per-SSRC state, the counters.
class SrtpSession {
 public:
  // Octets a protected packet may grow by (tag, SRTCP word, MKI up to 128 bits).
  static constexpr size_t kMaxOverhead = 16 + 4 + 16;

  explicit SrtpSession(std::shared_ptr<SrtpCounters> counters) : counters_(std::move(counters)) {}

  // First keys or new ones (a re-INVITE): the ROC, SRTCP indices and replay windows carry on (RFC 3711
  // §3.2.1 binds them to the SSRC, not to the key). false when OpenSSL refused the keys.
  bool Configure(const SrtpConfig& c);

  // Protects the datagram in place (it grows by the trailer). false: not protectable, counted, not to be sent.
  bool ProtectRtp(std::vector<uint8_t>& packet);
  bool ProtectRtcp(std::vector<uint8_t>& packet);
  // Unprotects p[0, len) in place: the plain length, or -1 (dropped and counted).
  long UnprotectRtp(uint8_t* p, size_t len);
  long UnprotectRtcp(uint8_t* p, size_t len);

  const SrtpCounters& counters() const { return *counters_; }
  uint32_t RolloverCounter(uint32_t ssrc, bool sending) const;

 private:
  struct Outbound {
    uint32_t ssrc;
    int64_t top = -1;
    uint32_t rtcpIndex = 0;
  };
  struct Inbound {
    uint32_t ssrc;
    ReplayWindow rtp, rtcp;
  };
  Outbound& OutStream(uint32_t ssrc);
  Inbound* InStream(uint32_t ssrc);
  long Drop(bool rtcp, SrtpDrop why);
  // One SRTCP tag length: the plain length, or -1 - reason.
  long TryRtcp(uint8_t* p, size_t len, size_t tagLength);

  std::shared_ptr<SrtpCounters> counters_;
  SrtpConfig config_;
  std::unique_ptr<SrtpCrypto> out_, in_;
  std::vector<Outbound> outStreams_;
  std::vector<std::unique_ptr<Inbound>> inStreams_;
  size_t rtcpTags_[2] = {10, 0};  // tag lengths an SRTCP receiver tries, the one that worked last first
  bool configured_ = false;
};

}  // namespace rtpio
