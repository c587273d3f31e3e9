#include "srtp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

namespace rtpio {

namespace {

constexpr int64_t kMaxSrtpIndex = int64_t(1) << 48;  // §3.3.1: the index is 48 bits
constexpr uint32_t kMaxSrtcpIndex = 0x7fffffff;      // §3.4: 31 bits

uint16_t Be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t Be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// Fetched once per process: fetching is a lookup in OpenSSL's provider tables, too slow per context.
EVP_CIPHER* Cipher(const char* name) {
  return EVP_CIPHER_fetch(nullptr, name, nullptr);
}
EVP_CIPHER* AesCtr() {
  static EVP_CIPHER* c = Cipher("AES-128-CTR");
  return c;
}
EVP_CIPHER* AesGcm() {
  static EVP_CIPHER* c = Cipher("AES-128-GCM");
  return c;
}
EVP_MAC* HmacSha1Mac() {
  static EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return m;
}

// Where the RTP header ends (fixed header, CSRCs, extension) within p[0, len), or -1.
long RtpHeaderLength(const uint8_t* p, size_t len) {
  if (len < 12) return -1;
  size_t n = 12 + (p[0] & 0x0f) * 4;
  if (p[0] & 0x10) {
    if (len < n + 4) return -1;
    n += 4 + size_t(Be16(p + n + 2)) * 4;
  }
  return n <= len ? long(n) : -1;
}

// Appendix A: the index nearest the highest one seen, `top` (v = ROC − 1, ROC or ROC + 1).
int64_t EstimateIndex(uint16_t seq, int64_t top) {
  int64_t roc = top >> 16;
  int64_t sl = top & 0xffff;
  int64_t v = roc;
  if (sl < 0x8000) {
    if (int64_t(seq) - sl > 0x8000) v = roc - 1;
  } else if (sl - 0x8000 > int64_t(seq)) {
    v = roc + 1;
  }
  return v * 0x10000 + seq;
}

size_t RtpTagLength(SrtpSuite s) { return s == SrtpSuite::kAesGcm ? 16 : s == SrtpSuite::kAesCm32 ? 4 : 10; }

// RFC 7714 §8.1 (RTP: 00 00 || SSRC || ROC || SEQ) and §9.1 (RTCP: 00 00 || SSRC || 00 00 || index), XOR salt.
void GcmIv(const std::vector<uint8_t>& salt, uint32_t ssrc, uint32_t hi, uint32_t lo, bool rtcp, uint8_t iv[12]) {
  memset(iv, 0, 12);
  PutBe32(iv + 2, ssrc);
  if (rtcp) {
    PutBe32(iv + 8, lo);
  } else {
    PutBe32(iv + 6, hi);
    iv[10] = uint8_t(lo >> 8);
    iv[11] = uint8_t(lo);
  }
  for (size_t i = 0; i < 12 && i < salt.size(); i++) iv[i] ^= salt[i];
}

}  // namespace

// ---- replay window --------------------------------------------------------------------------------

ReplayWindow::ReplayWindow(int size) {
  if (size < 64) size = 64;
  if (size > 32768) size = 32768;
  size_ = (int64_t(size) + 31) / 32 * 32;  // as replay-window.ts rounds it
  bits_.assign(size_t(size_ / 32), 0);
}

int ReplayWindow::Check(int64_t index) const {
  if (index > top_) return 0;
  if (index < 0 || top_ - index >= size_) return kTooOld;
  return Has(index) ? kReplay : 0;
}

void ReplayWindow::Accept(int64_t index) {
  if (index > top_) {
    int64_t advance = index - top_;
    if (top_ < 0 || advance >= size_) {
      for (auto& w : bits_) w = 0;
    } else {
      for (int64_t i = top_ + 1; i < index; i++) Set(i, false);
    }
    top_ = index;
  }
  Set(index, true);
}

bool ReplayWindow::Has(int64_t index) const {
  int64_t slot = index % size_;
  return (bits_[size_t(slot >> 5)] >> (slot & 31)) & 1;
}

void ReplayWindow::Set(int64_t index, bool on) {
  int64_t slot = index % size_;
  uint32_t bit = uint32_t(1) << (slot & 31);
  if (on) bits_[size_t(slot >> 5)] |= bit;
  else bits_[size_t(slot >> 5)] &= ~bit;
}

// ---- crypto of one direction ---------------------------------------------------------------------

SrtpCrypto::SrtpCrypto(SrtpSuite suite, const SrtpDirectionConfig& c) : suite_(suite), rtpSalt_(c.rtp.salt), rtcpSalt_(c.rtcp.salt) {
  const SrtpSessionKeys* keys[2] = {&c.rtp, &c.rtcp};
  for (int i = 0; i < 2; i++) {
    const SrtpSessionKeys& k = *keys[i];
    if (k.encryption.size() != 16) return;
    if (suite == SrtpSuite::kAesGcm) {
      if (k.salt.size() != 12 || !AesGcm()) return;
      gcmSeal_[i] = EVP_CIPHER_CTX_new();
      gcmOpen_[i] = EVP_CIPHER_CTX_new();
      if (!gcmSeal_[i] || !gcmOpen_[i]) return;
      if (EVP_EncryptInit_ex2(gcmSeal_[i], AesGcm(), k.encryption.data(), nullptr, nullptr) != 1) return;
      if (EVP_DecryptInit_ex2(gcmOpen_[i], AesGcm(), k.encryption.data(), nullptr, nullptr) != 1) return;
    } else {
      if (k.salt.size() != 14 || k.auth.size() != 20 || !AesCtr() || !HmacSha1Mac()) return;
      ctr_[i] = EVP_CIPHER_CTX_new();
      if (!ctr_[i] || EVP_EncryptInit_ex2(ctr_[i], AesCtr(), k.encryption.data(), nullptr, nullptr) != 1) return;
      mac_[i] = EVP_MAC_CTX_new(HmacSha1Mac());
      char digest[] = "SHA1";
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
      if (!mac_[i] || EVP_MAC_init(mac_[i], k.auth.data(), k.auth.size(), params) != 1) return;
    }
  }
  ok_ = true;
}

SrtpCrypto::~SrtpCrypto() {
  for (int i = 0; i < 2; i++) {
    EVP_CIPHER_CTX_free(ctr_[i]);
    EVP_MAC_CTX_free(mac_[i]);
    EVP_CIPHER_CTX_free(gcmSeal_[i]);
    EVP_CIPHER_CTX_free(gcmOpen_[i]);
  }
}

bool SrtpCrypto::CounterMode(bool rtcp, uint32_t ssrc, uint64_t index, uint8_t* p, size_t n) {
  // §4.1.1: IV = (k_s × 2^16) XOR (SSRC × 2^64) XOR (i × 2^16)
  uint8_t iv[16] = {0};
  const std::vector<uint8_t>& salt = rtcp ? rtcpSalt_ : rtpSalt_;
  memcpy(iv, salt.data(), 14);
  for (int b = 0; b < 4; b++) iv[4 + b] ^= uint8_t(ssrc >> (24 - 8 * b));
  for (int b = 0; b < 6; b++) iv[8 + b] ^= uint8_t(index >> (40 - 8 * b));
  EVP_CIPHER_CTX* ctx = ctr_[rtcp];
  int outl = 0;
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1) return false;
  return n == 0 || EVP_EncryptUpdate(ctx, p, &outl, p, int(n)) == 1;
}

bool SrtpCrypto::Hmac(bool rtcp, const uint8_t* a, size_t an, const uint8_t* b, size_t bn, uint8_t mac[20]) {
  EVP_MAC_CTX* ctx = mac_[rtcp];
  size_t outl = 0;
  // A null key re-initialises with the key set at construction: no allocation, no key schedule.
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 || EVP_MAC_update(ctx, a, an) != 1) return false;
  if (bn && EVP_MAC_update(ctx, b, bn) != 1) return false;
  return EVP_MAC_final(ctx, mac, &outl, 20) == 1 && outl == 20;
}

bool SrtpCrypto::GcmSeal(bool rtcp, const uint8_t iv[12], const uint8_t* aad1, size_t a1, const uint8_t* aad2, size_t a2, uint8_t* p, size_t n, uint8_t* tag, size_t tagLength) {
  EVP_CIPHER_CTX* ctx = gcmSeal_[rtcp];
  int outl = 0;
  uint8_t scratch[16];
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1) return false;
  if (a1 && EVP_EncryptUpdate(ctx, nullptr, &outl, aad1, int(a1)) != 1) return false;
  if (a2 && EVP_EncryptUpdate(ctx, nullptr, &outl, aad2, int(a2)) != 1) return false;
  if (n && EVP_EncryptUpdate(ctx, p, &outl, p, int(n)) != 1) return false;
  if (EVP_EncryptFinal_ex(ctx, scratch, &outl) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(tagLength), tag) == 1;
}

bool SrtpCrypto::GcmOpen(bool rtcp, const uint8_t iv[12], const uint8_t* aad1, size_t a1, const uint8_t* aad2, size_t a2, uint8_t* p, size_t n, const uint8_t* tag, size_t tagLength) {
  EVP_CIPHER_CTX* ctx = gcmOpen_[rtcp];
  int outl = 0;
  uint8_t scratch[16], expected[16];
  memcpy(expected, tag, tagLength);
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr) != 1) return false;
  if (a1 && EVP_DecryptUpdate(ctx, nullptr, &outl, aad1, int(a1)) != 1) return false;
  if (a2 && EVP_DecryptUpdate(ctx, nullptr, &outl, aad2, int(a2)) != 1) return false;
  // In place: a packet that then fails is dropped, so its bytes no longer matter.
  if (n && EVP_DecryptUpdate(ctx, p, &outl, p, int(n)) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(tagLength), expected) != 1) return false;
  return EVP_DecryptFinal_ex(ctx, scratch, &outl) == 1;
}

// ---- the session ---------------------------------------------------------------------------------

bool SrtpSession::Configure(const SrtpConfig& c) {
  auto out = std::make_unique<SrtpCrypto>(c.suite, c.out);
  auto in = std::make_unique<SrtpCrypto>(c.suite, c.in);
  if (!out->ok() || !in->ok()) return false;
  if (configured_) counters_->rekeys++;
  config_ = c;
  out_ = std::move(out);
  in_ = std::move(in);
  rtcpTags_[0] = c.suite == SrtpSuite::kAesGcm ? 16 : 10;
  rtcpTags_[1] = c.suite == SrtpSuite::kAesCm32 ? 4 : 0;  // libre writes 4 under _32 (suites.ts)
  configured_ = true;
  return true;
}

SrtpSession::Outbound& SrtpSession::OutStream(uint32_t ssrc) {
  for (auto& s : outStreams_)
    if (s.ssrc == ssrc) return s;
  outStreams_.push_back(Outbound{ssrc});
  return outStreams_.back();
}

SrtpSession::Inbound* SrtpSession::InStream(uint32_t ssrc) {
  for (auto& s : inStreams_)
    if (s->ssrc == ssrc) return s.get();
  return nullptr;
}

uint32_t SrtpSession::RolloverCounter(uint32_t ssrc, bool sending) const {
  if (sending) {
    for (auto& s : outStreams_)
      if (s.ssrc == ssrc) return s.top < 0 ? 0 : uint32_t(s.top >> 16);
    return 0;
  }
  for (auto& s : inStreams_)
    if (s->ssrc == ssrc) return s->rtp.highest() < 0 ? 0 : uint32_t(s->rtp.highest() >> 16);
  return 0;
}

long SrtpSession::Drop(bool rtcp, SrtpDrop why) {
  (rtcp ? counters_->rtcp : counters_->rtp).dropped[why]++;
  return -1;
}

bool SrtpSession::ProtectRtp(std::vector<uint8_t>& packet) {
  size_t end = packet.size();
  long hl = RtpHeaderLength(packet.data(), end);
  if (!configured_ || hl < 0 || (packet[0] >> 6) != 2) {
    counters_->protectErrors++;
    return false;
  }
  uint32_t ssrc = Be32(&packet[8]);
  uint16_t seq = Be16(&packet[2]);
  Outbound& s = OutStream(ssrc);
  int64_t index = s.top < 0 ? seq : EstimateIndex(seq, s.top);
  if (index < 0) index = seq;
  if (index >= kMaxSrtpIndex) {  // §9.2: the master key must change first
    counters_->protectErrors++;
    return false;
  }
  if (index > s.top) s.top = index;
  const bool aead = config_.suite == SrtpSuite::kAesGcm;
  const size_t tag = RtpTagLength(config_.suite);
  const std::vector<uint8_t>& mki = config_.out.mki;
  // §3.1: [MKI] then tag; RFC 7714 §8.2: the tag is part of the cipher text, the MKI follows it.
  size_t mkiAt = aead ? end + tag : end;
  size_t tagAt = aead ? end : end + mki.size();
  packet.resize(end + tag + mki.size());
  uint8_t* p = packet.data();
  if (!mki.empty()) memcpy(p + mkiAt, mki.data(), mki.size());
  bool ok;
  if (aead) {
    uint8_t iv[12];
    GcmIv(out_->salt(false), ssrc, uint32_t(index >> 16), uint32_t(index & 0xffff), false, iv);
    // §8.3: not encrypting, the whole packet is AAD
    ok = config_.out.encryptRtp ? out_->GcmSeal(false, iv, p, size_t(hl), nullptr, 0, p + hl, end - size_t(hl), p + tagAt, tag)
                                : out_->GcmSeal(false, iv, p, end, nullptr, 0, p + end, 0, p + tagAt, tag);
  } else {
    ok = !config_.out.encryptRtp || out_->CounterMode(false, ssrc, uint64_t(index), p + hl, end - size_t(hl));
    // §4.2: M = authenticated portion || ROC
    uint8_t roc[4], mac[20];
    PutBe32(roc, uint32_t(index >> 16));
    ok = ok && out_->Hmac(false, p, end, roc, 4, mac);
    if (ok) memcpy(p + tagAt, mac, tag);
  }
  if (!ok) {
    counters_->protectErrors++;
    return false;
  }
  counters_->rtpProtected++;
  return true;
}

bool SrtpSession::ProtectRtcp(std::vector<uint8_t>& packet) {
  size_t end = packet.size();
  if (!configured_ || end < 8 || (packet[0] >> 6) != 2) {
    counters_->protectErrors++;
    return false;
  }
  uint32_t ssrc = Be32(&packet[4]);
  Outbound& s = OutStream(ssrc);
  uint32_t index = s.rtcpIndex;
  if (index > kMaxSrtcpIndex) {
    counters_->protectErrors++;
    return false;
  }
  s.rtcpIndex++;
  const bool aead = config_.suite == SrtpSuite::kAesGcm;
  const size_t tag = aead ? 16 : config_.suite == SrtpSuite::kAesCm32 ? size_t(config_.srtcpTag32) : 10;
  const std::vector<uint8_t>& mki = config_.out.mki;
  const bool encrypt = config_.out.encryptRtcp;
  // §3.4: E||index, [MKI], tag; RFC 7714 §9.2: tag, E||index, [MKI]
  size_t wordAt = aead ? end + tag : end;
  size_t mkiAt = wordAt + 4;
  size_t tagAt = aead ? end : mkiAt + mki.size();
  packet.resize(end + 4 + tag + mki.size());
  uint8_t* p = packet.data();
  PutBe32(p + wordAt, (encrypt ? 0x80000000u : 0) | index);
  if (!mki.empty()) memcpy(p + mkiAt, mki.data(), mki.size());
  bool ok;
  if (aead) {
    uint8_t iv[12];
    GcmIv(out_->salt(true), ssrc, 0, index, true, iv);
    ok = encrypt ? out_->GcmSeal(true, iv, p, 8, p + wordAt, 4, p + 8, end - 8, p + tagAt, tag)
                 : out_->GcmSeal(true, iv, p, end, p + wordAt, 4, p + end, 0, p + tagAt, tag);
  } else {
    ok = !encrypt || out_->CounterMode(true, ssrc, index, p + 8, end - 8);
    uint8_t mac[20];
    ok = ok && out_->Hmac(true, p, wordAt + 4, nullptr, 0, mac);
    if (ok) memcpy(p + tagAt, mac, tag);
  }
  if (!ok) {
    counters_->protectErrors++;
    return false;
  }
  counters_->rtcpProtected++;
  return true;
}

long SrtpSession::UnprotectRtp(uint8_t* p, size_t len) {
  if (!configured_) return Drop(false, kMalformed);
  const bool aead = config_.suite == SrtpSuite::kAesGcm;
  const size_t tag = RtpTagLength(config_.suite);
  const std::vector<uint8_t>& mki = config_.in.mki;
  const size_t overhead = tag + mki.size();
  if (len < 12 + overhead) return Drop(false, kTooShort);
  size_t end = len - overhead;
  long hl = RtpHeaderLength(p, end);
  if ((p[0] >> 6) != 2 || hl < 0) return Drop(false, kMalformed);
  size_t mkiAt = aead ? end + tag : end;
  size_t tagAt = aead ? end : end + mki.size();
  if (!mki.empty() && memcmp(p + mkiAt, mki.data(), mki.size()) != 0) return Drop(false, kMki);
  uint32_t ssrc = Be32(p + 8);
  uint16_t seq = Be16(p + 2);
  Inbound* stream = InStream(ssrc);
  int64_t index = seq;
  if (stream) {
    int64_t top = stream->rtp.highest();
    index = top < 0 ? seq : EstimateIndex(seq, top);
    if (index >= kMaxSrtpIndex) return Drop(false, kTooOld);
    if (int v = stream->rtp.Check(index)) return Drop(false, SrtpDrop(v));
  } else if (inStreams_.size() >= size_t(config_.maxStreams)) {
    return Drop(false, kStreams);
  }
  // §3.3: authenticate before the index or the replay list is trusted, decrypt only what authenticated.
  if (aead) {
    uint8_t iv[12];
    GcmIv(in_->salt(false), ssrc, uint32_t(index >> 16), uint32_t(index & 0xffff), false, iv);
    bool ok = config_.in.encryptRtp ? in_->GcmOpen(false, iv, p, size_t(hl), nullptr, 0, p + hl, end - size_t(hl), p + tagAt, tag)
                                    : in_->GcmOpen(false, iv, p, end, nullptr, 0, p + end, 0, p + tagAt, tag);
    if (!ok) return Drop(false, kAuth);
  } else {
    uint8_t roc[4], mac[20];
    PutBe32(roc, uint32_t(index >> 16));
    if (!in_->Hmac(false, p, end, roc, 4, mac) || CRYPTO_memcmp(mac, p + tagAt, tag) != 0) return Drop(false, kAuth);
    if (config_.in.encryptRtp && !in_->CounterMode(false, ssrc, uint64_t(index), p + hl, end - size_t(hl))) return Drop(false, kAuth);
  }
  if (!stream) {
    inStreams_.push_back(std::make_unique<Inbound>(Inbound{ssrc, ReplayWindow(config_.in.replayWindow), ReplayWindow(config_.in.replayWindow)}));
    stream = inStreams_.back().get();
  }
  stream->rtp.Accept(index);
  counters_->rtp.ok++;
  return long(end);
}

long SrtpSession::UnprotectRtcp(uint8_t* p, size_t len) {
  if (!configured_) return Drop(true, kMalformed);
  int reason = -1;
  for (int i = 0; i < 2 && rtcpTags_[i]; i++) {
    long r = TryRtcp(p, len, rtcpTags_[i]);
    if (r >= 0) {
      // The length that worked is tried first from now on (libre's 4 or everyone else's 10).
      if (i > 0) std::swap(rtcpTags_[0], rtcpTags_[1]);
      counters_->rtcp.ok++;
      return r;
    }
    // The first length's verdict is the one reported, unless the packet was too short for it.
    if (reason < 0 || reason == kTooShort) reason = int(-1 - r);
  }
  return Drop(true, SrtpDrop(reason < 0 ? kTooShort : reason));
}

long SrtpSession::TryRtcp(uint8_t* p, size_t len, size_t tag) {
  const bool aead = config_.suite == SrtpSuite::kAesGcm;
  const std::vector<uint8_t>& mki = config_.in.mki;
  const size_t overhead = tag + 4 + mki.size();
  if (len < 8 + overhead) return -1 - kTooShort;
  if ((p[0] >> 6) != 2) return -1 - kMalformed;
  size_t end = len - overhead;
  size_t wordAt = aead ? end + tag : end;
  size_t mkiAt = wordAt + 4;
  size_t tagAt = aead ? end : mkiAt + mki.size();
  if (!mki.empty() && memcmp(p + mkiAt, mki.data(), mki.size()) != 0) return -1 - kMki;
  uint32_t ssrc = Be32(p + 4);
  uint32_t word = Be32(p + wordAt);
  bool encrypted = (word & 0x80000000u) != 0;
  uint32_t index = word & kMaxSrtcpIndex;
  Inbound* stream = InStream(ssrc);
  if (stream) {
    if (int v = stream->rtcp.Check(index)) return -1 - v;
  } else if (inStreams_.size() >= size_t(config_.maxStreams)) {
    return -1 - kStreams;
  }
  if (aead) {
    uint8_t iv[12];
    GcmIv(in_->salt(true), ssrc, 0, index, true, iv);
    bool ok = encrypted ? in_->GcmOpen(true, iv, p, 8, p + wordAt, 4, p + 8, end - 8, p + tagAt, tag)
                        : in_->GcmOpen(true, iv, p, end, p + wordAt, 4, p + end, 0, p + tagAt, tag);
    if (!ok) return -1 - kAuth;
  } else {
    uint8_t mac[20];
    if (!in_->Hmac(true, p, wordAt + 4, nullptr, 0, mac) || CRYPTO_memcmp(mac, p + tagAt, tag) != 0) return -1 - kAuth;
    if (encrypted && !in_->CounterMode(true, ssrc, index, p + 8, end - 8)) return -1 - kAuth;
  }
  if (!stream) {
    inStreams_.push_back(std::make_unique<Inbound>(Inbound{ssrc, ReplayWindow(config_.in.replayWindow), ReplayWindow(config_.in.replayWindow)}));
    stream = inStreams_.back().get();
  }
  stream->rtcp.Accept(index);
  return long(end);
}

}  // namespace rtpio
