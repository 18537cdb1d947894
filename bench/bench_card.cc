// Whole-card throughput through the host driver on a card backend: "sim" (the Verilated RTL,
// the cycle-accurate figure) and "model" (the C++ behavioural model), whichever this build has.
//
// Transmit: the driver keeps the transmit ring full of frames of one size (one buffer each) or
// of 64 KiB TCP segmentation requests, the card sends them; the window runs from the cycle the
// first frame's last byte left to the last one's, so ring fill-up and drain are left out.
// Receive: frames of one size are offered at the receive port as fast as the link lets them in
// (the wire model: one frame starts per cycle at most, one beat a cycle), the driver takes them
// and refills the ring; the window runs from the first frame handed up to the last.  The card
// cannot hold the port back (no tready): what it cannot take it drops, counted.
// Host time is not simulated: the driver reacts within 64 cycles, so the figures are the card's
// own limit behind PCIe Gen4 x16 (the host-memory preset), with the link unlimited
// (link_gbps = 0) or at 100 Gb/s.
//
// Counters (from simulated cycles, Device::Now, at the card's 250 MHz):
//   frames_per_cycle, bytes_per_cycle   frame bytes (no preamble, gap or FCS)
//   gbps                                frame bytes in Gb/s at 250 MHz
//   line_gbps                           with 20 bytes of preamble, start and gap per frame (what
//                                       the link model carries; 100 means line rate)
//   payload_gbps                        TSO: TCP payload delivered
//   dropped, dropped_nobuf              receive: frames the card dropped (port rx_drop_nobuf +
//                                       rx_drop_bad), and of them for want of buffers or room
//   sim_cycles_per_s, sim_pkts_per_s    simulation speed, wall clock
#include <benchmark/benchmark.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/wire.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"

namespace {

using mbufnic::device::Device;
namespace csr = mbufnic::hw::csr;

constexpr double kClockMhz = 250.0;
constexpr std::uint64_t kStep = 64;  // cycles between two looks of the driver at its rings
constexpr std::size_t kL2 = 14, kL3 = 20, kL4 = 20;

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

std::unique_ptr<Device> OpenCard(const std::string &backend, double link_gbps) {
  mbufnic::device::Options o;
  o.pcie = "gen4";
  o.link_gbps = link_gbps;
  o.loopback = false;
  o.seed = 1;
  return mbufnic::device::Open(backend, o);
}

struct Window {
  std::uint64_t frames = 0, bytes = 0;  // inside the window (after the first frame)
  std::uint64_t first = 0, last = 0;    // cycles
  bool started = false;
  void Add(std::uint64_t cycle, std::size_t len) {
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

void Report(benchmark::State &state, const Window &w, std::uint64_t sim_cycles, double wall,
            std::uint64_t packets) {
  const double fpc = static_cast<double>(w.frames) / w.Cycles();
  const double bpc = static_cast<double>(w.bytes) / w.Cycles();
  state.counters["frames_per_cycle"] = fpc;
  state.counters["bytes_per_cycle"] = bpc;
  state.counters["gbps"] = bpc * 8 * kClockMhz / 1000;
  state.counters["line_gbps"] = (bpc + 20 * fpc) * 8 * kClockMhz / 1000;
  state.counters["sim_cycles_per_s"] = static_cast<double>(sim_cycles) / wall;
  state.counters["sim_pkts_per_s"] = static_cast<double>(packets) / wall;
}

// Transmit `count` frames (or requests) of `frame` through the driver, the ring kept full.
void Tx(benchmark::State &state, const std::string &backend, double link, std::size_t len,
        bool tso) {
  const std::vector<std::uint8_t> frame = tso ? TsoRequest() : UdpFrame(len);
  const std::uint16_t mss = static_cast<std::uint16_t>(tso ? len : 0);
  const int count =
      tso ? 48 : static_cast<int>(std::clamp<std::size_t>(150000 * 64 / len, 600, 20000));
  for (auto _ : state) {
    auto dev = OpenCard(backend, link);
    mbufnic::driver::NicOptions o;
    o.rx_queues = 0;
    o.tx_ring_size = 512;
    mbufnic::driver::Nic nic(*dev, o);
    Window w;
    std::uint64_t payload = 0, on_wire = 0;
    const std::uint64_t c0 = dev->Now();
    const auto t0 = std::chrono::steady_clock::now();
    int queued = 0, done = 0;
    constexpr int kBurst = 32;
    struct mbuf *burst[kBurst];
    while (done < count) {
      // Refill: whole bursts while the ring has room for them.
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
      dev->Run(kStep);
      done += nic.TxComplete(0);
      for (mbufnic::sim::WireFrame &f : dev->wire()->TakeSent()) {
        w.Add(f.cycle, f.data.size());
        ++on_wire;
        if (tso && w.frames > 0) payload += f.data.size() - (kL2 + kL3 + kL4);
      }
      if (dev->Now() - c0 > 200'000'000) {
        state.SkipWithError("the card stopped sending");
        return;
      }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (nic.tx_stats(0).errors != 0 ||
        nic.tx_stats(0).packets != static_cast<std::uint64_t>(count)) {
      state.SkipWithError("transmit errors");
      return;
    }
    Report(state, w, dev->Now() - c0, wall, on_wire);
    if (tso)
      state.counters["payload_gbps"] =
          static_cast<double>(payload) / w.Cycles() * 8 * kClockMhz / 1000;
    state.counters["frames"] = static_cast<double>(on_wire);
  }
}

// Receive `count` frames offered at the port as fast as the link allows.
void Rx(benchmark::State &state, const std::string &backend, double link, std::size_t len) {
  const std::vector<std::uint8_t> frame = UdpFrame(len);
  const int count = static_cast<int>(std::clamp<std::size_t>(150000 * 64 / len, 600, 20000));
  for (auto _ : state) {
    auto dev = OpenCard(backend, link);
    mbufnic::driver::NicOptions o;
    o.tx_queues = 0;
    o.rx_ring_size = 1024;
    o.rx_buf_size = len <= MCLBYTES ? MCLBYTES : len <= MJUMPAGESIZE ? MJUMPAGESIZE : MJUM9BYTES;
    o.poll_rx_budget = 1024;
    mbufnic::driver::Nic nic(*dev, o);
    const std::uint64_t c0 = dev->Now();
    for (int i = 0; i < count; ++i) dev->wire()->Inject(frame, c0);
    const auto t0 = std::chrono::steady_clock::now();
    Window w;
    int got = 0, idle = 0;
    struct mbuf *out[256];
    while (idle < 100) {
      dev->Run(kStep);
      int n = 0, k;
      while ((k = nic.Receive(0, out, 256)) > 0) {
        for (int i = 0; i < k; ++i) {
          w.Add(dev->Now(), static_cast<std::size_t>(out[i]->m_pkthdr.len));
          m_freem(out[i]);
        }
        n += k;
      }
      got += n;
      idle = n == 0 && dev->wire()->rx_pending() == 0 ? idle + 1 : 0;
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::uint32_t nobuf = dev->Read32(csr::port::kBase + csr::port::kRxDropNobuf);
    const std::uint32_t bad = dev->Read32(csr::port::kBase + csr::port::kRxDropBad);
    const std::uint32_t dropped = nobuf + bad;
    if (got + static_cast<int>(dropped) != count) {
      state.SkipWithError("frames lost without being counted");
      return;
    }
    Report(state, w, dev->Now() - c0, wall, static_cast<std::uint64_t>(got));
    state.counters["dropped"] = dropped;
    state.counters["dropped_nobuf"] = nobuf;  // the card found too few buffers (or no room)
    state.counters["frames"] = got;
  }
}

void Register() {
  const std::vector<std::string> have = mbufnic::device::Backends();
  for (const char *backend : {"sim", "model"}) {
    if (std::find(have.begin(), have.end(), backend) == have.end()) continue;
    const std::string b = backend;
    for (const double link : {0.0, 100.0}) {
      const std::string l = link == 0 ? "/link:unlimited" : "/link:100G";
      for (const std::size_t len : {64, 128, 256, 512, 1024, 1518, 4096, 9000}) {
        benchmark::RegisterBenchmark(("card_tx/" + b + l + "/" + std::to_string(len)).c_str(),
                                     [=](benchmark::State &s) { Tx(s, b, link, len, false); })
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
      for (const std::size_t mss : {1448, 8948}) {
        benchmark::RegisterBenchmark(
            ("card_tx/" + b + l + "/tso64k_mss" + std::to_string(mss)).c_str(),
            [=](benchmark::State &s) { Tx(s, b, link, mss, true); })
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
      for (const std::size_t len : {64, 128, 256, 512, 1024, 1518, 4096, 9000}) {
        benchmark::RegisterBenchmark(("card_rx/" + b + l + "/" + std::to_string(len)).c_str(),
                                     [=](benchmark::State &s) { Rx(s, b, link, len); })
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char **argv) {
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
