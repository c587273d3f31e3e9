#include "batch-format.h"

#include <string.h>

#include <cmath>

#include "udp.h"

namespace rtpio {

namespace {

uint16_t Get16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
void Put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
void Put32(uint8_t* p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i)); }

}  // namespace

const std::string BatchReader::kUnknown = "?";

bool BatchReader::Header(const std::vector<uint8_t>& b, size_t* offset, OutRecord* r, uint16_t* id, uint16_t* port) {
  if (*offset + kRecordHeader > b.size()) return false;
  const uint8_t* h = &b[*offset];
  r->pair = Get32(h);
  *port = Get16(h + 4);
  *id = Get16(h + 6);
  memcpy(&r->due, h + 8, 8);  // little-endian double, as on every platform Node runs this on
  r->length = Get16(h + 16);
  r->channel = h[18];
  size_t start = *offset + kRecordHeader;
  *offset = start + r->length;
  if (*offset > b.size()) return false;
  r->data = b.data() + start;
  return true;
}

void BatchReader::Define(uint16_t id, const uint8_t* text, size_t length) {
  if (addresses_.size() <= id) addresses_.resize(id + 1);
  Address& a = addresses_[id];
  a.text.assign(reinterpret_cast<const char*>(text), length);
  a.ok = ParseAddress(a.text, 0, &a.sa, &a.len);
}

OutRecord BatchReader::Resolve(OutRecord r, uint16_t id, uint16_t port) {
  r.to = nullptr;
  r.toLen = 0;
  r.addressText = id < addresses_.size() ? &addresses_[id].text : &kUnknown;
  if (id < addresses_.size() && addresses_[id].ok) {
    scratch_ = addresses_[id].sa;
    SetPort(&scratch_, port);
    r.to = &scratch_;
    r.toLen = addresses_[id].len;
  }
  return r;
}

void BatchWriter::Header(uint32_t pair, uint8_t channel, uint16_t id, uint16_t port, size_t length, double at, uint8_t flags) {
  size_t o = bytes_.size();
  bytes_.resize(o + kRecordHeader);
  uint8_t* h = &bytes_[o];
  Put32(h, pair);
  Put16(h + 4, port);
  Put16(h + 6, id);
  memcpy(h + 8, &at, 8);
  Put16(h + 16, uint16_t(length));
  h[18] = channel;
  h[19] = flags;
}

void BatchWriter::Add(uint32_t pair, uint8_t channel, const sockaddr_storage& from, const uint8_t* data, size_t length, double at, uint8_t flags) {
  uint16_t port;
  std::string key = AddressText(from, &port);
  auto it = ids_.find(key);
  uint16_t id;
  if (it == ids_.end()) {
    // Past 65536 sources the ids start over: a definition always comes before its first use in the same
    // batch, so the reader simply overwrites.
    if (ids_.size() >= 0x10000) ids_.clear();
    id = uint16_t(ids_.size());
    ids_.emplace(key, id);
    Header(0, kChannelAddress, id, 0, key.size(), NAN);
    bytes_.insert(bytes_.end(), key.begin(), key.end());
  } else {
    id = it->second;
  }
  Header(pair, channel, id, port, length, at, flags);
  bytes_.insert(bytes_.end(), data, data + length);
}

std::vector<uint8_t> BatchWriter::Take() {
  std::vector<uint8_t> out;
  out.reserve(kInitial);
  out.swap(bytes_);
  return out;
}

}  // namespace rtpio
