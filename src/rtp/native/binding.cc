// The addon's JavaScript face (N-API): `new IoThread(settings, onEvent)` with bind, send, close, capture,
// stats, realtime, ref, stop and the pair's SRTP (srtp, srtpStats, srtpForget); `new PcapFile(path,
// options)` with write, flush, close, finishSync and stats; `now()`, the clock of every deadline; and
// `SrtpContext`, the I/O thread's SRTP without sockets, for the tests. io-native.ts and native-pcap.ts type them.
#define NAPI_VERSION 8
#include <node_api.h>

#include <string.h>

#include <cmath>
#include <memory>
#include <string>

#include "io-loop.h"
#include "pcap-sink.h"

namespace rtpio {
namespace {

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, nullptr, "rtp_io: N-API call failed: " #call); \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

void ThrowErrno(napi_env env, int err, const std::string& what) {
  const char* code = *ErrnoCode(err) ? ErrnoCode(err) : "ERR_SOCKET";
  std::string msg = what + ": " + strerror(err);
  napi_value m, c, e;
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_set_named_property(env, e, "code", c);
  napi_throw(env, e);
}

double NumberProp(napi_env env, napi_value obj, const char* name, double fallback) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return fallback;
  napi_get_named_property(env, obj, name, &v);
  double d;
  return napi_get_value_double(env, v, &d) == napi_ok && std::isfinite(d) ? d : fallback;
}

// ---- SRTP keys from JavaScript ----------------------------------------------------------------------

bool BytesProp(napi_env env, napi_value obj, const char* name, std::vector<uint8_t>* out) {
  napi_value v;
  bool has = false, isBuffer = false;
  out->clear();
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return true;
  napi_get_named_property(env, obj, name, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return true;
  if (napi_is_buffer(env, v, &isBuffer) != napi_ok || !isBuffer) return false;
  void* data;
  size_t len;
  napi_get_buffer_info(env, v, &data, &len);
  out->assign(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + len);
  return true;
}

bool BoolProp(napi_env env, napi_value obj, const char* name, bool fallback) {
  napi_value v;
  bool has = false, b;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return fallback;
  napi_get_named_property(env, obj, name, &v);
  return napi_get_value_bool(env, v, &b) == napi_ok ? b : fallback;
}

bool ObjectProp(napi_env env, napi_value obj, const char* name, napi_value* out) {
  bool has = false;
  napi_valuetype t;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return false;
  napi_get_named_property(env, obj, name, out);
  return napi_typeof(env, *out, &t) == napi_ok && t == napi_object;
}

bool ReadKeys(napi_env env, napi_value obj, SrtpSessionKeys* k) {
  return BytesProp(env, obj, "encryption", &k->encryption) && BytesProp(env, obj, "auth", &k->auth) && BytesProp(env, obj, "salt", &k->salt);
}

bool ReadDirection(napi_env env, napi_value obj, SrtpDirectionConfig* d) {
  napi_value rtp, rtcp;
  if (!ObjectProp(env, obj, "rtp", &rtp) || !ObjectProp(env, obj, "rtcp", &rtcp)) return false;
  if (!ReadKeys(env, rtp, &d->rtp) || !ReadKeys(env, rtcp, &d->rtcp) || !BytesProp(env, obj, "mki", &d->mki)) return false;
  d->encryptRtp = BoolProp(env, obj, "encryptRtp", true);
  d->encryptRtcp = BoolProp(env, obj, "encryptRtcp", true);
  d->replayWindow = int(NumberProp(env, obj, "replayWindow", 128));
  return d->mki.size() <= 16;
}

// { suite: 0 | 1 | 2, out: Direction, in: Direction, srtcpTag32, maxStreams } as io-native.ts builds it.
std::shared_ptr<SrtpConfig> ReadSrtpConfig(napi_env env, napi_value obj) {
  auto c = std::make_shared<SrtpConfig>();
  napi_value out, in;
  double suite = NumberProp(env, obj, "suite", -1);
  if (suite != 0 && suite != 1 && suite != 2) return nullptr;
  c->suite = SrtpSuite(int(suite));
  if (!ObjectProp(env, obj, "out", &out) || !ObjectProp(env, obj, "in", &in)) return nullptr;
  if (!ReadDirection(env, out, &c->out) || !ReadDirection(env, in, &c->in)) return nullptr;
  c->srtcpTag32 = NumberProp(env, obj, "srtcpTag32", 10) == 4 ? 4 : 10;
  c->maxStreams = int(NumberProp(env, obj, "maxStreams", 16));
  return c;
}

napi_value SrtpCountersObject(napi_env env, const SrtpCounters& c) {
  static const char* const kReasons[kDropReasons] = {"tooShort", "malformed", "mki", "auth", "replay", "tooOld", "streams"};
  napi_value out, v;
  napi_create_object(env, &out);
  auto set = [&](napi_value o, const char* name, uint64_t x) {
    napi_create_double(env, double(x), &v);
    napi_set_named_property(env, o, name, v);
  };
  set(out, "rtpProtected", c.rtpProtected.load());
  set(out, "rtcpProtected", c.rtcpProtected.load());
  set(out, "protectErrors", c.protectErrors.load());
  set(out, "rekeys", c.rekeys.load());
  for (int k = 0; k < 2; k++) {
    const SrtpCounters::Kind& kind = k ? c.rtcp : c.rtp;
    napi_value o;
    napi_create_object(env, &o);
    set(o, "ok", kind.ok.load());
    for (int r = 0; r < kDropReasons; r++) set(o, kReasons[r], kind.dropped[r].load());
    napi_set_named_property(env, out, k ? "rtcp" : "rtp", o);
  }
  return out;
}

// A session without sockets, on JavaScript's thread: the same code the I/O thread runs, for the tests
// (RFC test vectors, agreement with the JavaScript implementation) and nothing else.
class SrtpContext {
 public:
  static napi_value DefineClass(napi_env env) {
    napi_property_descriptor methods[] = {
        {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"protectRtp", nullptr, Protect<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"protectRtcp", nullptr, Protect<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"unprotectRtp", nullptr, Unprotect<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"unprotectRtcp", nullptr, Unprotect<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"rolloverCounter", nullptr, Roc, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"loop", nullptr, Loop, nullptr, nullptr, nullptr, napi_default, nullptr},
    };
    napi_value cls;
    if (napi_define_class(env, "SrtpContext", NAPI_AUTO_LENGTH, New, nullptr, sizeof methods / sizeof methods[0], methods, &cls) != napi_ok) return nullptr;
    return cls;
  }

 private:
  SrtpContext() : counters_(std::make_shared<SrtpCounters>()), session_(counters_) {}

  template <size_t N>
  static SrtpContext* Self(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
    size_t argc = N;
    napi_value that;
    void* self = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, &that, nullptr) != napi_ok || napi_unwrap(env, that, &self) != napi_ok) {
      napi_throw_type_error(env, nullptr, "rtp_io: not an SrtpContext");
      return nullptr;
    }
    return static_cast<SrtpContext*>(self);
  }

  static bool Apply(napi_env env, SrtpContext* self, napi_value config) {
    auto c = ReadSrtpConfig(env, config);
    if (!c) {
      napi_throw_type_error(env, nullptr, "rtp_io: SRTP config: want { suite, out, in } with Buffer keys");
      return false;
    }
    if (!self->session_.Configure(*c)) {
      napi_throw_error(env, nullptr, "rtp_io: OpenSSL refused the SRTP session keys");
      return false;
    }
    return true;
  }

  // new SrtpContext(config)
  static napi_value New(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], that;
    CHECK(napi_get_cb_info(env, info, &argc, argv, &that, nullptr));
    std::unique_ptr<SrtpContext> self(new SrtpContext());
    if (!Apply(env, self.get(), argv[0])) return nullptr;
    CHECK(napi_wrap(env, that, self.get(), [](napi_env, void* data, void*) { delete static_cast<SrtpContext*>(data); }, nullptr, nullptr));
    self.release();
    return that;
  }

  static napi_value Configure(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    SrtpContext* self = Self(env, info, argv);
    if (!self || !Apply(env, self, argv[0])) return nullptr;
    return Undefined(env);
  }

  // protectRtp(buffer) -> a new Buffer, or null when it could not be protected
  template <bool kRtcp>
  static napi_value Protect(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    SrtpContext* self = Self(env, info, argv);
    if (!self) return nullptr;
    void* data;
    size_t len;
    CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
    std::vector<uint8_t> packet(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + len);
    bool ok = kRtcp ? self->session_.ProtectRtcp(packet) : self->session_.ProtectRtp(packet);
    napi_value out;
    if (!ok) {
      napi_get_null(env, &out);
      return out;
    }
    CHECK(napi_create_buffer_copy(env, packet.size(), packet.data(), nullptr, &out));
    return out;
  }

  // unprotectRtp(buffer) -> the plain packet (a new Buffer), or null when dropped (see stats())
  template <bool kRtcp>
  static napi_value Unprotect(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    SrtpContext* self = Self(env, info, argv);
    if (!self) return nullptr;
    void* data;
    size_t len;
    CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
    std::vector<uint8_t> packet(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + len);
    long plain = kRtcp ? self->session_.UnprotectRtcp(packet.data(), len) : self->session_.UnprotectRtp(packet.data(), len);
    napi_value out;
    if (plain < 0) {
      napi_get_null(env, &out);
      return out;
    }
    CHECK(napi_create_buffer_copy(env, size_t(plain), packet.data(), nullptr, &out));
    return out;
  }

  static napi_value Stats(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    SrtpContext* self = Self(env, info, argv);
    if (!self) return nullptr;
    return SrtpCountersObject(env, *self->counters_);
  }

  // rolloverCounter(ssrc, sending) -> the ROC of that SSRC
  static napi_value Roc(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    SrtpContext* self = Self(env, info, argv);
    if (!self) return nullptr;
    uint32_t ssrc;
    bool sending;
    CHECK(napi_get_value_uint32(env, argv[0], &ssrc));
    CHECK(napi_get_value_bool(env, argv[1], &sending));
    napi_value v;
    napi_create_uint32(env, self->session_.RolloverCounter(ssrc, sending), &v);
    return v;
  }

  // loop(rtpPacket, count) -> packets that made the round trip: protects and unprotects the packet `count`
  // times (sequence number 0, 1, …) in C++, as the I/O thread does, for `npm run bench srtp` to time
  // without one N-API call per packet. Needs a context whose two directions share one key.
  static napi_value Loop(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    SrtpContext* self = Self(env, info, argv);
    if (!self) return nullptr;
    void* data;
    size_t len;
    uint32_t count;
    CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
    CHECK(napi_get_value_uint32(env, argv[1], &count));
    const uint8_t* src = static_cast<uint8_t*>(data);
    std::vector<uint8_t> packet;
    packet.reserve(len + SrtpSession::kMaxOverhead);
    uint32_t ok = 0;
    for (uint32_t i = 0; i < count && len >= 12; i++) {
      packet.assign(src, src + len);
      packet[2] = uint8_t(i >> 8);
      packet[3] = uint8_t(i);
      if (self->session_.ProtectRtp(packet) && self->session_.UnprotectRtp(packet.data(), packet.size()) >= 0) ok++;
    }
    napi_value v;
    napi_create_uint32(env, ok, &v);
    return v;
  }

  std::shared_ptr<SrtpCounters> counters_;
  SrtpSession session_;
};

// What a JavaScript PcapFile object wraps. The type tag tells it apart from an IoThread when one is
// passed to IoThread.capture.
const napi_type_tag kPcapTag = {0x756d70686f6e6570ull, 0x6361702066696c65ull};

struct PcapHandle {
  std::shared_ptr<PcapFile> file;
};

// A flush or close on a libuv pool thread (the disk's latency never on JavaScript's thread), resolving a
// promise when done.
struct PcapWork {
  std::shared_ptr<PcapFile> file;
  bool close;
  napi_deferred deferred;
  napi_async_work work;
};

class PcapFileClass {
 public:
  static napi_value Define(napi_env env) {
    napi_property_descriptor methods[] = {
        {"write", nullptr, Write, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"flush", nullptr, Flush, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"finishSync", nullptr, FinishSync, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"stats", nullptr, GetStats, nullptr, nullptr, nullptr, napi_default, nullptr},
    };
    napi_value cls;
    if (napi_define_class(env, "PcapFile", NAPI_AUTO_LENGTH, New, nullptr, sizeof methods / sizeof methods[0], methods, &cls) != napi_ok) return nullptr;
    return cls;
  }

  // The file behind a JavaScript PcapFile, or null when `v` is not one.
  static std::shared_ptr<PcapFile> From(napi_env env, napi_value v) {
    bool tagged = false;
    void* h = nullptr;
    if (napi_check_object_type_tag(env, v, &kPcapTag, &tagged) != napi_ok || !tagged) return nullptr;
    if (napi_unwrap(env, v, &h) != napi_ok || !h) return nullptr;
    return static_cast<PcapHandle*>(h)->file;
  }

 private:
  template <size_t N>
  static PcapHandle* Self(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
    size_t argc = N;
    napi_value that;
    void* h = nullptr;
    bool tagged = false;
    if (napi_get_cb_info(env, info, &argc, argv, &that, nullptr) != napi_ok || napi_check_object_type_tag(env, that, &kPcapTag, &tagged) != napi_ok ||
        !tagged || napi_unwrap(env, that, &h) != napi_ok) {
      napi_throw_type_error(env, nullptr, "rtp_io: not a PcapFile");
      return nullptr;
    }
    return static_cast<PcapHandle*>(h);
  }

  // new PcapFile(path, { maxQueuedBytes, flushMs, snaplen }); throws with .code when it cannot be created
  static napi_value New(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], that;
    CHECK(napi_get_cb_info(env, info, &argc, argv, &that, nullptr));
    char path[4096];
    size_t plen;
    CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen));
    PcapOptions o;
    o.maxQueuedBytes = size_t(NumberProp(env, argv[1], "maxQueuedBytes", double(o.maxQueuedBytes)));
    o.flushMs = NumberProp(env, argv[1], "flushMs", o.flushMs);
    o.snaplen = uint32_t(NumberProp(env, argv[1], "snaplen", o.snaplen));
    int err = 0;
    auto file = PcapFile::Open(std::string(path, plen), o, &err);
    if (!file) {
      ThrowErrno(env, err, std::string("open ") + std::string(path, plen));
      return nullptr;
    }
    auto* h = new PcapHandle{std::move(file)};
    if (napi_wrap(env, that, h, Finalize, nullptr, nullptr) != napi_ok || napi_type_tag_object(env, that, &kPcapTag) != napi_ok) {
      h->file->Finish();
      delete h;
      napi_throw_error(env, nullptr, "rtp_io: cannot wrap the pcap file");
      return nullptr;
    }
    return that;
  }

  // Garbage-collected: the file is finished (nothing more can be added from JavaScript).
  static void Finalize(napi_env, void* data, void*) {
    auto* h = static_cast<PcapHandle*>(data);
    h->file->Finish();
    delete h;
  }

  // write(wallMs, frame): one whole Ethernet frame (a Buffer or Uint8Array)
  static napi_value Write(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    PcapHandle* h = Self(env, info, argv);
    if (!h) return nullptr;
    double wallMs;
    CHECK(napi_get_value_double(env, argv[0], &wallMs));
    napi_typedarray_type type;
    size_t length, offset;
    void* data;
    napi_value ab;
    CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &offset));
    h->file->AddFrame(wallMs, static_cast<const uint8_t*>(data), length);
    return Undefined(env);
  }

  static napi_value Schedule(napi_env env, napi_callback_info info, bool close) {
    napi_value argv[1];
    PcapHandle* h = Self(env, info, argv);
    if (!h) return nullptr;
    auto* w = new PcapWork{h->file, close, nullptr, nullptr};
    napi_value promise, name;
    CHECK(napi_create_promise(env, &w->deferred, &promise));
    napi_create_string_utf8(env, close ? "umphone-pcap-close" : "umphone-pcap-flush", NAPI_AUTO_LENGTH, &name);
    CHECK(napi_create_async_work(
        env, nullptr, name,
        [](napi_env, void* data) {
          auto* w = static_cast<PcapWork*>(data);
          if (w->close) w->file->Finish();
          else w->file->WritePending();
        },
        [](napi_env env, napi_status, void* data) {
          std::unique_ptr<PcapWork> w(static_cast<PcapWork*>(data));
          napi_resolve_deferred(env, w->deferred, Undefined(env));
          napi_delete_async_work(env, w->work);
        },
        w, &w->work));
    CHECK(napi_queue_async_work(env, w->work));
    return promise;
  }

  // flush() -> Promise: everything added so far is on disk
  static napi_value Flush(napi_env env, napi_callback_info info) { return Schedule(env, info, false); }
  // close() -> Promise: everything added is on disk and the file closed; later records are ignored
  static napi_value Close(napi_env env, napi_callback_info info) { return Schedule(env, info, true); }

  // finishSync(): the same as close, before returning (the process is exiting)
  static napi_value FinishSync(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    PcapHandle* h = Self(env, info, argv);
    if (!h) return nullptr;
    h->file->Finish();
    return Undefined(env);
  }

  // stats() -> { records, dropped, written, buffered, error }
  static napi_value GetStats(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    PcapHandle* h = Self(env, info, argv);
    if (!h) return nullptr;
    PcapStats st = h->file->Stats();
    napi_value out, v;
    napi_create_object(env, &out);
    auto set = [&](const char* name, double x) {
      napi_create_double(env, x, &v);
      napi_set_named_property(env, out, name, v);
    };
    set("records", double(st.records));
    set("dropped", double(st.dropped));
    set("written", double(st.written));
    set("buffered", double(st.buffered));
    napi_create_string_utf8(env, st.error.c_str(), st.error.size(), &v);
    napi_set_named_property(env, out, "error", v);
    return out;
  }
};

// One I/O thread, and the threadsafe function that carries its events to `onEvent` on JavaScript's thread.
class IoThread final : public EventSink {
 public:
  static napi_value DefineClass(napi_env env);

  explicit IoThread(const Settings& settings) : loop_(settings, *this) {}

  void Post(std::unique_ptr<Event> e) override {
    if (napi_call_threadsafe_function(tsfn_, e.get(), napi_tsfn_nonblocking) == napi_ok) e.release();
  }

 private:
  // `this` of a method call, its arguments (those not given are undefined) and the object behind it.
  template <size_t N>
  static IoThread* Self(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
    size_t argc = N;
    napi_value that;
    void* self = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, &that, nullptr) != napi_ok || napi_unwrap(env, that, &self) != napi_ok) {
      napi_throw_type_error(env, nullptr, "rtp_io: not an IoThread");
      return nullptr;
    }
    return static_cast<IoThread*>(self);
  }

  // Joins the thread (flushing what was received); with `env`, also lets go of the threadsafe function.
  void StopThread(napi_env env) {
    if (stopped_) return;
    stopped_ = true;
    loop_.Stop();
    if (env) {
      napi_remove_env_cleanup_hook(env, Cleanup, this);
      napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    }
  }

  // The environment is going away (a worker or the process ends) with the thread still running.
  static void Cleanup(void* arg) { static_cast<IoThread*>(arg)->StopThread(nullptr); }

  // Garbage-collected: never leave the thread running.
  static void Finalize(napi_env env, void* data, void*) {
    std::unique_ptr<IoThread> self(static_cast<IoThread*>(data));
    self->StopThread(env);
  }

  static void CallJs(napi_env env, napi_value fn, void*, void* data) {
    std::unique_ptr<Event> e(static_cast<Event*>(data));
    if (env == nullptr || fn == nullptr) return;
    napi_value argv[4], global;
    napi_get_global(env, &global);
    size_t argc = 2;
    if (e->kind == Event::kRecv) {
      void* mem;
      napi_create_string_utf8(env, "recv", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_arraybuffer(env, e->bytes.size(), &mem, &argv[1]);
      memcpy(mem, e->bytes.data(), e->bytes.size());
    } else if (e->kind == Event::kClosed) {
      napi_create_string_utf8(env, "closed", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_uint32(env, e->pair, &argv[1]);
    } else {
      napi_create_string_utf8(env, "error", NAPI_AUTO_LENGTH, &argv[0]);
      napi_create_uint32(env, e->pair, &argv[1]);
      napi_create_string_utf8(env, e->message.c_str(), e->message.size(), &argv[2]);
      napi_create_string_utf8(env, e->code.c_str(), e->code.size(), &argv[3]);
      argc = 4;
    }
    napi_call_function(env, global, fn, argc, argv, nullptr);
  }

  // new IoThread(settings, onEvent)
  static napi_value New(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], that;
    CHECK(napi_get_cb_info(env, info, &argc, argv, &that, nullptr));
    Settings s;
    s.flushMs = NumberProp(env, argv[0], "flushMs", s.flushMs);
    s.spinMs = NumberProp(env, argv[0], "spinMs", s.spinMs);
    s.hedgePairs = NumberProp(env, argv[0], "hedgePairs", s.hedgePairs);
    s.hedgeSpinMs = NumberProp(env, argv[0], "hedgeSpinMs", s.hedgeSpinMs);
    s.recvBufferSize = int(NumberProp(env, argv[0], "recvBufferSize", s.recvBufferSize));
    s.sendBufferSize = int(NumberProp(env, argv[0], "sendBufferSize", s.sendBufferSize));
    auto self = std::make_unique<IoThread>(s);
    napi_value name;
    napi_create_string_utf8(env, "umphone-rtp-io", NAPI_AUTO_LENGTH, &name);
    CHECK(napi_create_threadsafe_function(env, argv[1], nullptr, name, 0, 1, nullptr, nullptr, nullptr, CallJs, &self->tsfn_));
    if (int err = self->loop_.Start()) {
      napi_release_threadsafe_function(self->tsfn_, napi_tsfn_release);
      ThrowErrno(env, err, "rtp_io: epoll/eventfd/timerfd");
      return nullptr;
    }
    napi_add_env_cleanup_hook(env, Cleanup, self.get());
    if (napi_wrap(env, that, self.get(), Finalize, nullptr, nullptr) != napi_ok) {
      self->StopThread(env);
      napi_throw_error(env, nullptr, "rtp_io: cannot wrap the I/O thread");
      return nullptr;
    }
    self.release();  // owned by the JavaScript object from here on (Finalize)
    return that;
  }

  // bind(address, port, rtcpMux) -> [id, rtpPort, rtcpPort]; throws with .code (EADDRINUSE...)
  static napi_value Bind(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    IoThread* self = Self(env, info, argv);
    if (!self) return nullptr;
    if (self->stopped_) {
      napi_throw_error(env, nullptr, "rtp_io: the I/O thread has stopped");
      return nullptr;
    }
    char addr[256];
    size_t alen;
    int32_t port;
    bool mux;
    CHECK(napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen));
    CHECK(napi_get_value_int32(env, argv[1], &port));
    CHECK(napi_get_value_bool(env, argv[2], &mux));
    std::string address(addr, alen);
    const Settings& s = self->loop_.settings();
    Fd rtp, rtcp;
    int rtpPort = 0, rtcpPort = 0;
    if (int err = BindUdp(address, port, s.recvBufferSize, s.sendBufferSize, &rtp, &rtpPort)) {
      ThrowErrno(env, err, "bind " + address + ":" + std::to_string(port));
      return nullptr;
    }
    if (mux) {
      rtcpPort = rtpPort;
    } else {
      int want = port == 0 ? 0 : port + 1;
      if (int err = BindUdp(address, want, s.recvBufferSize, s.sendBufferSize, &rtcp, &rtcpPort)) {
        ThrowErrno(env, err, "bind " + address + ":" + std::to_string(want));
        return nullptr;
      }
    }
    uint32_t id = self->loop_.Add(std::move(rtp), std::move(rtcp));
    napi_value out, v;
    napi_create_array_with_length(env, 3, &out);
    uint32_t values[3] = {id, uint32_t(rtpPort), uint32_t(rtcpPort)};
    for (uint32_t i = 0; i < 3; i++) {
      napi_create_uint32(env, values[i], &v);
      napi_set_element(env, out, i, v);
    }
    return out;
  }

  // capture(id, pcapFile | null, address, rtpPort, rtcpPort): every datagram of pair `id` from now on is
  // also written to the file, between `address`:port (the local end) and the peer
  static napi_value Capture(napi_env env, napi_callback_info info) {
    napi_value argv[5];
    IoThread* self = Self(env, info, argv);
    if (!self || self->stopped_) return Undefined(env);
    uint32_t id;
    int32_t rtpPort, rtcpPort;
    CHECK(napi_get_value_uint32(env, argv[0], &id));
    std::shared_ptr<PcapFile> file = PcapFileClass::From(env, argv[1]);
    char addr[256];
    size_t alen;
    CHECK(napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen));
    CHECK(napi_get_value_int32(env, argv[3], &rtpPort));
    CHECK(napi_get_value_int32(env, argv[4], &rtcpPort));
    sockaddr_storage rtp, rtcp;
    socklen_t len;
    if (!ParseAddress(std::string(addr, alen), uint16_t(rtpPort), &rtp, &len) || !ParseAddress(std::string(addr, alen), uint16_t(rtcpPort), &rtcp, &len)) {
      napi_throw_type_error(env, nullptr, "rtp_io: capture: not an IP address");
      return nullptr;
    }
    self->loop_.Capture(id, std::move(file), rtp, rtcp);
    return Undefined(env);
  }

  // send(arrayBuffer): a batch in the io-batch.ts format
  static napi_value Send(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self || self->stopped_) return Undefined(env);
    void* data;
    size_t len;
    CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &len));
    auto* bytes = static_cast<uint8_t*>(data);
    self->loop_.Send(std::vector<uint8_t>(bytes, bytes + len));
    return Undefined(env);
  }

  // close(id): the pair's sockets close on the I/O thread after everything sent before; then the event
  // "closed" with the id
  static napi_value Close(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self || self->stopped_) return Undefined(env);
    uint32_t id;
    CHECK(napi_get_value_uint32(env, argv[0], &id));
    self->loop_.Close(id);
    return Undefined(env);
  }

  // srtp(id, config): SRTP keys for the pair (first keys or a rekey), in order with what was sent before
  static napi_value Srtp(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    IoThread* self = Self(env, info, argv);
    if (!self || self->stopped_) return Undefined(env);
    uint32_t id;
    CHECK(napi_get_value_uint32(env, argv[0], &id));
    auto c = ReadSrtpConfig(env, argv[1]);
    if (!c) {
      napi_throw_type_error(env, nullptr, "rtp_io: SRTP config: want { suite, out, in } with Buffer keys");
      return nullptr;
    }
    self->loop_.Srtp(id, std::move(c));
    return Undefined(env);
  }

  // srtpStats(id) -> the pair's SRTP counters, or null when it never had keys (or they were forgotten)
  static napi_value SrtpStats(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self) return nullptr;
    uint32_t id;
    CHECK(napi_get_value_uint32(env, argv[0], &id));
    auto c = self->loop_.SrtpStats(id);
    if (!c) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return SrtpCountersObject(env, *c);
  }

  // srtpForget(id): lets go of a closed pair's SRTP counters
  static napi_value SrtpForget(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self) return nullptr;
    uint32_t id;
    CHECK(napi_get_value_uint32(env, argv[0], &id));
    self->loop_.ForgetSrtp(id);
    return Undefined(env);
  }

  static napi_value GetStats(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self) return nullptr;
    const Stats& st = self->loop_.stats();
    napi_value out, v;
    napi_create_object(env, &out);
    auto set = [&](const char* name, double x) {
      napi_create_double(env, x, &v);
      napi_set_named_property(env, out, name, v);
    };
    set("delivered", double(st.delivered.load()));
    set("late", double(st.late.load()));
    set("maxLateMs", st.maxLateMs.load());
    set("arrivedLate", double(st.arrivedLate.load()));
    set("received", double(st.received.load()));
    set("queued", double(st.queued.load()));
    set("sockets", double(st.sockets.load()));
    set("hedged", double(st.hedged.load()));
    return out;
  }

  // realtime(priority) -> 0 or an errno: SCHED_FIFO for the I/O thread (and the hedge thread) alone
  static napi_value Realtime(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self) return nullptr;
    int32_t priority;
    CHECK(napi_get_value_int32(env, argv[0], &priority));
    napi_value v;
    napi_create_int32(env, self->stopped_ ? EINVAL : self->loop_.Realtime(priority), &v);
    return v;
  }

  // ref(on): whether the thread's events keep Node's event loop alive
  static napi_value Ref(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (!self || self->stopped_) return Undefined(env);
    bool on;
    CHECK(napi_get_value_bool(env, argv[0], &on));
    if (on) napi_ref_threadsafe_function(env, self->tsfn_);
    else napi_unref_threadsafe_function(env, self->tsfn_);
    return Undefined(env);
  }

  // stop(): flushes what was received, closes every socket, joins the thread
  static napi_value Stop(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    IoThread* self = Self(env, info, argv);
    if (self) self->StopThread(env);
    return self ? Undefined(env) : nullptr;
  }

  IoLoop loop_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool stopped_ = false;
};

napi_value IoThread::DefineClass(napi_env env) {
  napi_property_descriptor methods[] = {
      {"bind", nullptr, Bind, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"capture", nullptr, Capture, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, GetStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"srtp", nullptr, Srtp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"srtpStats", nullptr, SrtpStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"srtpForget", nullptr, SrtpForget, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"realtime", nullptr, Realtime, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ref", nullptr, Ref, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stop", nullptr, Stop, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value cls;
  if (napi_define_class(env, "IoThread", NAPI_AUTO_LENGTH, New, nullptr, sizeof methods / sizeof methods[0], methods, &cls) != napi_ok) return nullptr;
  return cls;
}

napi_value Now(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_double(env, MonoMs(), &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value cls = IoThread::DefineClass(env);
  napi_value srtp = SrtpContext::DefineClass(env);
  napi_value pcap = PcapFileClass::Define(env);
  if (!cls || !srtp || !pcap) return nullptr;
  napi_property_descriptor props[] = {
      {"IoThread", nullptr, nullptr, nullptr, nullptr, cls, napi_default, nullptr},
      {"SrtpContext", nullptr, nullptr, nullptr, nullptr, srtp, napi_default, nullptr},
      {"PcapFile", nullptr, nullptr, nullptr, nullptr, pcap, napi_default, nullptr},
      {"now", nullptr, Now, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace rtpio

NAPI_MODULE(NODE_GYP_MODULE_NAME, rtpio::Init)
