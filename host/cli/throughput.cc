// The throughput measurement shared by bench_card and `mbufnic bench` (throughput.h).
#include "throughput.h"

#include <sys/mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include "core/wire.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"

namespace mbufnic::throughput {
namespace {

using device::Device;
namespace csr = hw::csr;

constexpr std::uint64_t kStep = 64;  // cycles between two looks of the driver at its rings
constexpr std::size_t kL2 = 14, kL3 = 20, kL4 = 20;
// A transmit run that has not finished after this many cycles has stopped.
constexpr std::uint64_t kTxGiveUp = 200'000'000;

// An IPv4/UDP frame of `len` bytes (no offload asked: the bytes go as they are).
std::vector<std::uint8_t> UdpFrame(std::size_t len) {
  std::vector<std::uint8_t> f(len);
  for (std::size_t i = 0; i < len; ++i) f[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const std::uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  std::memcpy(f.data(), mac, 12);
  f[12] = 0x08;
  f[13] = 0x00;
  const std::size_t ip_len = len - kL2;
  f[14] = 0x45;
  f[15] = 0;
  f[16] = static_cast<std::uint8_t>(ip_len >> 8);
  f[17] = static_cast<std::uint8_t>(ip_len);
  f[22] = 64;
  f[23] = 17;
  f[24] = f[25] = 0;
  const std::uint8_t addrs[8] = {192, 0, 2, 1, 198, 51, 100, 2};
  std::memcpy(&f[26], addrs, 8);
  std::uint32_t sum = 0;
  for (std::size_t i = 14; i < 34; i += 2) sum += static_cast<std::uint32_t>(f[i] << 8 | f[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
  const std::size_t udp_len = ip_len - kL3;
  f[34] = 0x9c;
  f[35] = 0x41;
  f[36] = 0x9c;
  f[37] = 0x42;
  f[38] = static_cast<std::uint8_t>(udp_len >> 8);
  f[39] = static_cast<std::uint8_t>(udp_len);
  f[40] = f[41] = 0;  // no UDP checksum
  return f;
}

// A 64 KiB TCP/IPv4 segmentation request as tcp_output hands it over: a 65535-byte IP packet.
std::vector<std::uint8_t> TsoRequest() {
  std::vector<std::uint8_t> f = UdpFrame(kL2 + 65535);
  f[23] = 6;
  f[24] = f[25] = 0;
  std::memset(&f[34], 0, kL4);
  f[34] = 0x9c;
  f[35] = 0x41;
  f[36] = 0x00;
  f[37] = 0x50;
  f[38] = 0x12;  // sequence number
  f[46] = (kL4 / 4) << 4;
  f[47] = 0x18;  // PSH, ACK
  f[48] = 0xff;  // window
  return f;
}

// The packet in mbufs of the size the stack would use: one cluster of the right zone, or
// 16 KiB jumbo clusters for a TSO request.
struct mbuf *Chain(const std::vector<std::uint8_t> &bytes) {
  const int len = static_cast<int>(bytes.size());
  if (len <= MJUM9BYTES) {
    struct mbuf *m = m_get3(len, M_WAITOK, MT_DATA, M_PKTHDR);
    std::memcpy(mtod(m, void *), bytes.data(), bytes.size());
    m->m_len = m->m_pkthdr.len = len;
    return m;
  }
  struct mbuf *head = nullptr, **tail = &head;
  for (int off = 0; off < len;) {
    struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, head == nullptr ? M_PKTHDR : 0, MJUM16BYTES);
    const int n = std::min(MJUM16BYTES, len - off);
    std::memcpy(mtod(m, void *), bytes.data() + off, static_cast<std::size_t>(n));
    m->m_len = n;
    *tail = m;
    tail = &m->m_next;
    off += n;
  }
  head->m_pkthdr.len = len;
  return head;
}

// The receive buffer zone a frame of `len` bytes fits in, as a driver would choose it.
int RxBufSize(std::size_t len) {
  return len <= MCLBYTES ? MCLBYTES : len <= MJUMPAGESIZE ? MJUMPAGESIZE : MJUM9BYTES;
}

// A card and its driver.  The driver goes first (members are destroyed in reverse order).
struct Card {
  std::unique_ptr<Device> dev;
  std::unique_ptr<driver::Nic> nic;
};

// The card alone on its wire (no loopback: what it sends is only captured, what it receives is
// injected), brought up by the driver with one queue in each direction measured: transmit a
// 512-entry ring, receive a 1024-entry one of buffers the frame fits in.  Sets r.count (and
// r2.count for a duplex run); dev is null when the card cannot be opened (r says why).
Card OpenCard(const std::string &backend, double link_gbps, std::size_t frame_len, bool tso,
              bool tx, bool rx, const MeasureOptions &mo, Measurement &r) {
  r.count = mo.count > 0 ? mo.count : DefaultCount(frame_len, tso);
  driver::NicOptions n;
  n.tx_queues = tx ? 1 : 0;
  n.rx_queues = rx ? 1 : 0;
  n.tx_ring_size = 512;
  n.rx_ring_size = 1024;
  n.rx_buf_size = RxBufSize(frame_len);
  n.poll_rx_budget = 1024;
  device::Options o;
  o.pcie = "gen4";
  o.link_gbps = link_gbps;
  o.loopback = false;
  o.seed = mo.seed;
  o.waves = mo.waves;
  Card card;
  try {
    card.dev = device::Open(backend, o);
  } catch (const std::exception &e) {
    r.status = Measurement::Status::kCannotOpen;
    r.error = e.what();
    return card;
  }
  card.nic = std::make_unique<driver::Nic>(*card.dev, n);
  return card;
}

void Fail(Measurement &r, const char *why) {
  r.status = Measurement::Status::kFailed;
  r.error = why;
}

// Frames and bytes over the window from the first frame after the warm-up to the last.
struct Window {
  std::uint64_t frames = 0, bytes = 0;  // inside the window (after its first frame)
  std::uint64_t first = 0, last = 0;    // cycles
  bool started = false;
  int warmup = 0;  // frames still to pass before the window opens
  void Add(std::uint64_t cycle, std::size_t len) {
    if (warmup > 0) {
      --warmup;
      return;
    }
    if (!started) {
      started = true;
      first = last = cycle;
      return;
    }
    ++frames;
    bytes += len;
    last = cycle;
  }
  double Cycles() const { return static_cast<double>(std::max<std::uint64_t>(1, last - first)); }
};

// Cycles at the card's clock to Gb/s.
double Gbps(double bytes_per_cycle, double clock_mhz) {
  return bytes_per_cycle * 8 * clock_mhz / 1000;
}

void Fill(Measurement &r, const Window &w, const Device &dev, std::uint64_t c0, double wall,
          std::uint64_t packets) {
  r.window_frames = w.frames;
  r.window_bytes = w.bytes;
  r.window_cycles = w.Cycles();
  r.frames_per_cycle = static_cast<double>(w.frames) / w.Cycles();
  r.bytes_per_cycle = static_cast<double>(w.bytes) / w.Cycles();
  r.gbps = Gbps(r.bytes_per_cycle, dev.ClockMhz());
  r.line_gbps = Gbps(r.bytes_per_cycle + kLineOverhead * r.frames_per_cycle, dev.ClockMhz());
  r.sim_cycles = dev.Now() - c0;
  r.wall_seconds = wall;
  r.sim_cycles_per_s = static_cast<double>(r.sim_cycles) / wall;
  r.sim_pkts_per_s = static_cast<double>(packets) / wall;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int DefaultCount(std::size_t frame_len, bool tso) {
  if (tso) return 48;
  return static_cast<int>(std::clamp<std::size_t>(150000 * 64 / frame_len, 600, 20000));
}

MeasureOptions Quick(std::size_t frame_len, bool tso) {
  MeasureOptions o;
  // About a million bytes (20 000 cycles at 100 Gb/s): the receive window is read at the
  // driver's looks, 64 cycles apart, which is within half a percent of that.
  o.count =
      tso ? 16
          : static_cast<int>(std::clamp<std::size_t>(1'000'000 / (frame_len + 20), 120, 12000));
  // A quarter of the run (at 64 bytes 2 976 frames), well past the wire's start-up burst; for
  // TSO, the segments of a quarter of the requests.
  const int per_request = static_cast<int>((65535 - kL3 - kL4 + frame_len - 1) / frame_len);
  o.warmup = o.count / 4 * (tso ? per_request : 1);
  return o;
}

namespace {

// The transmit side of a run: keeps queue 0's ring full of `count` frames (or requests) and
// counts what leaves the card.
struct TxSide {
  std::vector<std::uint8_t> frame;
  bool tso = false;
  std::uint16_t mss = 0;
  int count = 0, queued = 0, done = 0;
  Window w;
  std::uint64_t payload = 0, on_wire = 0;

  TxSide(std::size_t frame_len, bool is_tso, int n, int warmup)
      : frame(is_tso ? TsoRequest() : UdpFrame(frame_len)),
        tso(is_tso),
        mss(static_cast<std::uint16_t>(is_tso ? frame_len : 0)),
        count(n) {
    w.warmup = warmup;
  }
  bool Finished() const { return done >= count; }
  // Before a step: whole bursts while the ring has room for them.
  void Refill(driver::Nic &nic) {
    constexpr int kBurst = 32;
    struct mbuf *burst[kBurst];
    // A request takes one descriptor per 16 KiB cluster, a frame one.
    const int per = tso ? 5 : 1;
    while (queued < count && nic.TxFree(0) >= per * kBurst) {
      const int n = std::min(kBurst, count - queued);
      for (int i = 0; i < n; ++i) {
        burst[i] = Chain(frame);
        if (tso) {
          burst[i]->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
          burst[i]->m_pkthdr.tso_segsz = mss;
        }
      }
      const int took = nic.Transmit(0, burst, n);
      for (int i = took; i < n; ++i) m_freem(burst[i]);
      queued += took;
      if (took < n) break;
    }
  }
  // After a step: completions, and the frames the card sent.
  void Collect(driver::Nic &nic, Device &dev) {
    done += nic.TxComplete(0);
    for (sim::WireFrame &f : dev.wire()->TakeSent()) {
      w.Add(f.cycle, f.data.size());
      ++on_wire;
      if (tso && w.frames > 0) payload += f.data.size() - (kL2 + kL3 + kL4);
    }
  }
  // Whether every frame completed without error; fills r if so.
  bool Report(Measurement &r, const driver::Nic &nic, const Device &dev, std::uint64_t c0,
              double wall) const {
    if (nic.tx_stats(0).errors != 0 ||
        nic.tx_stats(0).packets != static_cast<std::uint64_t>(count)) {
      Fail(r, "transmit errors");
      return false;
    }
    Fill(r, w, dev, c0, wall, on_wire);
    if (tso) r.payload_gbps = Gbps(static_cast<double>(payload) / w.Cycles(), dev.ClockMhz());
    r.frames = on_wire;
    return true;
  }
};

// The receive side: `count` frames offered at the port at the start (the wire model lets them in
// as fast as the link allows), taken by the driver from queue 0.
struct RxSide {
  int count = 0, got = 0;
  Window w;

  RxSide(Device &dev, std::size_t frame_len, int n, int warmup) : count(n) {
    w.warmup = warmup;
    const std::vector<std::uint8_t> frame = UdpFrame(frame_len);
    const std::uint64_t now = dev.Now();
    for (int i = 0; i < count; ++i) dev.wire()->Inject(frame, now);
  }
  // After a step: one burst of the frames handed up (a look takes one burst, as a poll loop
  // would: the driver's doorbell writes run the card's clock, so taking bursts until none is
  // left would keep the look going as long as frames arrive); how many.
  int Collect(driver::Nic &nic, const Device &dev) {
    struct mbuf *out[256];
    const int n = nic.Receive(0, out, 256);
    for (int i = 0; i < n; ++i) {
      w.Add(dev.Now(), static_cast<std::size_t>(out[i]->m_pkthdr.len));
      m_freem(out[i]);
    }
    got += n;
    return n;
  }
  // Whether every frame offered was handed up or counted as dropped; fills r if so.
  bool Report(Measurement &r, Device &dev, std::uint64_t c0, double wall) const {
    const std::uint32_t nobuf = dev.Read32(csr::port::kBase + csr::port::kRxDropNobuf);
    const std::uint32_t bad = dev.Read32(csr::port::kBase + csr::port::kRxDropBad);
    if (got + static_cast<int>(nobuf + bad) != count) {
      Fail(r, "frames lost without being counted");
      return false;
    }
    Fill(r, w, dev, c0, wall, static_cast<std::uint64_t>(got));
    r.dropped = nobuf + bad;
    r.dropped_nobuf = nobuf;  // the card found too few buffers (or no room)
    r.frames = static_cast<std::uint64_t>(got);
    return true;
  }
};

// Receive is done when nothing came up for this many looks in a row with nothing left on the
// wire.
constexpr int kRxIdleLooks = 100;

}  // namespace

Measurement MeasureTx(const std::string &backend, double link_gbps, std::size_t frame_len, bool tso,
                      const MeasureOptions &mo) {
  Measurement r;
  const Card card = OpenCard(backend, link_gbps, frame_len, tso, true, false, mo, r);
  if (card.dev == nullptr) return r;
  Device &dev = *card.dev;
  driver::Nic &nic = *card.nic;
  TxSide tx(frame_len, tso, r.count, mo.warmup);
  const std::uint64_t c0 = dev.Now();
  const auto t0 = std::chrono::steady_clock::now();
  while (!tx.Finished()) {
    tx.Refill(nic);
    dev.Run(kStep);
    tx.Collect(nic, dev);
    if (dev.Now() - c0 > kTxGiveUp) {
      Fail(r, "the card stopped sending");
      return r;
    }
  }
  tx.Report(r, nic, dev, c0, Since(t0));
  return r;
}

Measurement MeasureRx(const std::string &backend, double link_gbps, std::size_t frame_len,
                      const MeasureOptions &mo) {
  Measurement r;
  const Card card = OpenCard(backend, link_gbps, frame_len, false, false, true, mo, r);
  if (card.dev == nullptr) return r;
  Device &dev = *card.dev;
  driver::Nic &nic = *card.nic;
  const std::uint64_t c0 = dev.Now();
  RxSide rx(dev, frame_len, r.count, mo.warmup);
  const auto t0 = std::chrono::steady_clock::now();
  for (int idle = 0; idle < kRxIdleLooks;) {
    dev.Run(kStep);
    const int n = rx.Collect(nic, dev);
    idle = n == 0 && dev.wire()->rx_pending() == 0 ? idle + 1 : 0;
  }
  rx.Report(r, dev, c0, Since(t0));
  return r;
}

Duplex MeasureDuplex(const std::string &backend, double link_gbps, std::size_t frame_len,
                     const MeasureOptions &mo) {
  Duplex d;
  const Card card = OpenCard(backend, link_gbps, frame_len, false, true, true, mo, d.tx);
  if (card.dev == nullptr) {
    d.rx = d.tx;
    return d;
  }
  d.rx.count = d.tx.count;
  Device &dev = *card.dev;
  driver::Nic &nic = *card.nic;
  const std::uint64_t c0 = dev.Now();
  TxSide tx(frame_len, false, d.tx.count, mo.warmup);
  RxSide rx(dev, frame_len, d.rx.count, mo.warmup);
  const auto t0 = std::chrono::steady_clock::now();
  for (int idle = 0; !tx.Finished() || idle < kRxIdleLooks;) {
    tx.Refill(nic);
    dev.Run(kStep);
    tx.Collect(nic, dev);
    const int n = rx.Collect(nic, dev);
    idle = n == 0 && dev.wire()->rx_pending() == 0 ? idle + 1 : 0;
    if (dev.Now() - c0 > kTxGiveUp) {
      Fail(d.tx, "the card stopped sending");
      return d;
    }
  }
  const double wall = Since(t0);
  tx.Report(d.tx, nic, dev, c0, wall);
  rx.Report(d.rx, dev, c0, wall);
  return d;
}

}  // namespace mbufnic::throughput
