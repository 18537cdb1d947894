// The host driver's own cost per packet (mbufnic::driver::Nic on the "model" backend), 64-byte
// frames in bursts of 32, next to the DPDK peer doing the comparable ring work
// (dpdk_ring_side.h: DPDK's mbufs and mempools, descriptor handling in the shape of DPDK's
// simple Intel PMD paths; there is no DPDK driver for this card).
//
// Only the driver's calls are timed (manual time, a clock pair around each): the stack's part
// (building the packets, freeing what was received) and the card's part (Device::Run, or the
// peer's descriptor write-backs) are not, and neither is the time inside the model backend's
// CSR calls (TimedDevice below: on the model a doorbell runs the simulator's bookkeeping; it is
// reported apart as device_ns).  What each row times, per packet (ns_per_pkt):
//   tx/mbufnic/*      Nic::Transmit of 32 chains (one 2 KiB cluster each: descriptors, doorbell)
//                     + Nic::TxComplete (completion ring, m_freem of each chain)
//   tx/dpdk/*         32 descriptors from 32 rte_mbufs, tail store; then the done check and
//                     rte_pktmbuf_free_bulk
//   rx/mbufnic        Nic::Receive of 32 frames: completions to chains, flags, a replacement
//                     cluster per frame, descriptors, doorbell
//   rx/dpdk           32 done descriptors to rte_mbufs with flags, rte_mempool_get_bulk of the
//                     replacements, descriptors, tail store
//   timer/overhead    the clock pair with nothing between, per packet of a burst (both sides
//                     carry it once or twice per burst)
// Transmit variants: plain (no offload); csum_given (CSUM_IP|CSUM_IP_UDP with l2hlen/l3hlen set,
// as DPDK's l2_len/l3_len); csum_parsed (the driver finds the headers itself, as iflib does).
// Those frames sit at the start of a cluster, on a 64-byte line, so the transmit copybreak
// leaves them in place; internal/copybreak:on and :off put the frame in an mbuf's internal
// storage (byte 96, half a line in: how the stack builds a small packet) with the copybreak at
// its default (copied into a bounce slot, the chain freed in Transmit) and off (two lines read).
#include <benchmark/benchmark.h>
#include <sched.h>
#include <sys/mbuf.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/wire.h"
#include "dpdk_ring_side.h"
#include "dpdk_side.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBurst = 32;
constexpr int kLen = 64;

double Ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

// A 64-byte IPv4/UDP frame with correct headers.
std::vector<std::uint8_t> Frame64() {
  std::vector<std::uint8_t> f(kLen, 0);
  const std::uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  const std::uint8_t ip[20] = {0x45, 0, 0,   50, 0, 1, 0,   0,  64,  17,
                               0,    0, 192, 0,  2, 1, 198, 51, 100, 2};
  const std::uint8_t udp[8] = {0x9c, 0x41, 0x9c, 0x42, 0, 30, 0, 0};
  std::memcpy(f.data(), eth, sizeof eth);
  std::memcpy(f.data() + 14, ip, sizeof ip);
  std::memcpy(f.data() + 34, udp, sizeof udp);
  std::uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) sum += static_cast<std::uint32_t>(f[i] << 8 | f[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
  return f;
}

// The model backend with a stopwatch on its CSR accesses.  A doorbell on the model is not an
// MMIO store: it runs the model's register decoder and the host-memory checker's bookkeeping of
// what the write posts (the rights of every buffer the new descriptors name), which on a card is
// the hardware's business.  The time inside Read32/Write32 is kept apart (device_ns) and taken
// out of the driver's figure.
class TimedDevice final : public mbufnic::device::Device {
 public:
  explicit TimedDevice(std::unique_ptr<mbufnic::device::Device> d) : d_(std::move(d)) {}
  std::string_view Name() const override { return d_->Name(); }
  std::uint32_t Read32(std::uint32_t offset) override {
    const Clock::time_point t0 = Clock::now();
    const std::uint32_t v = d_->Read32(offset);
    ns_ += Ns(t0, Clock::now());
    return v;
  }
  void Write32(std::uint32_t offset, std::uint32_t value) override {
    const Clock::time_point t0 = Clock::now();
    d_->Write32(offset, value);
    ns_ += Ns(t0, Clock::now());
  }
  std::uint64_t Run(std::uint64_t cycles) override { return d_->Run(cycles); }
  std::uint64_t Now() const override { return d_->Now(); }
  double ClockMhz() const override { return d_->ClockMhz(); }
  std::vector<std::uint32_t> TakeInterrupts() override { return d_->TakeInterrupts(); }
  mbufnic::sim::Wire *wire() override { return d_->wire(); }
  mbufnic::sim::HostMemory *memory() override { return d_->memory(); }
  // Time spent inside the backend's CSR calls since the last call.
  double TakeNs() {
    const double v = ns_;
    ns_ = 0;
    return v;
  }

 private:
  std::unique_ptr<mbufnic::device::Device> d_;
  double ns_ = 0;
};

std::unique_ptr<TimedDevice> OpenModel() {
  mbufnic::device::Options o;
  o.link_gbps = 0;
  o.loopback = false;
  return std::make_unique<TimedDevice>(mbufnic::device::Open("model", o));
}

void Finish(benchmark::State &state, double timed_ns, double a_ns, double b_ns, const char *a_name,
            const char *b_name) {
  const double pkts = static_cast<double>(state.iterations()) * kBurst;
  state.counters["ns_per_pkt"] = timed_ns / pkts;
  if (a_name != nullptr) state.counters[a_name] = a_ns / pkts;
  if (b_name != nullptr) state.counters[b_name] = b_ns / pkts;
  state.SetItemsProcessed(static_cast<std::int64_t>(pkts));
}

// mode 0: plain; 1: checksum offload with header lengths given; 2: lengths parsed; 3 and 4:
// plain in internal storage, copybreak on (3) and off (4).
void TxMbufnic(benchmark::State &state) {
  const int mode = static_cast<int>(state.range(0));
  const bool internal = mode >= 3;
  auto dev = OpenModel();
  mbufnic::driver::NicOptions o;
  o.rx_queues = 0;
  o.tx_ring_size = 512;
  if (mode == 4) o.tx_copybreak = 0;
  mbufnic::driver::Nic nic(*dev, o);
  const std::vector<std::uint8_t> frame = Frame64();
  struct mbuf *pkts[kBurst];
  double tx_ns = 0, cpl_ns = 0, dev_ns = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {  // the stack
      struct mbuf *m =
          internal ? m_gethdr(M_WAITOK, MT_DATA) : m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
      std::memcpy(mtod(m, void *), frame.data(), kLen);
      m->m_len = m->m_pkthdr.len = kLen;
      if (mode == 1 || mode == 2) {
        m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_UDP;
        m->m_pkthdr.csum_data = 6;
        if (mode == 1) {
          m->m_pkthdr.l2hlen = 14;
          m->m_pkthdr.l3hlen = 20;
        }
      }
      pkts[i] = m;
    }
    dev->TakeNs();
    const Clock::time_point t0 = Clock::now();
    const int took = nic.Transmit(0, pkts, kBurst);
    const Clock::time_point t1 = Clock::now();
    const double in_dev = dev->TakeNs();
    dev->Run(2000);  // the card
    const Clock::time_point t2 = Clock::now();
    const int done = nic.TxComplete(0);
    const Clock::time_point t3 = Clock::now();
    const double in_dev2 = dev->TakeNs();
    if (took != kBurst || done != kBurst) {
      state.SkipWithError("a burst did not go through");
      return;
    }
    tx_ns += Ns(t0, t1) - in_dev;
    cpl_ns += Ns(t2, t3) - in_dev2;
    dev_ns += in_dev + in_dev2;
    state.SetIterationTime((Ns(t0, t1) - in_dev + Ns(t2, t3) - in_dev2) * 1e-9);
  }
  Finish(state, tx_ns + cpl_ns, tx_ns, cpl_ns, "transmit_ns", "complete_ns");
  const double sent = static_cast<double>(state.iterations()) * kBurst;
  state.counters["device_ns"] = dev_ns / sent;
  state.counters["copied"] = static_cast<double>(nic.tx_stats(0).copies) / sent;  // 0 or 1
}

void TxDpdk(benchmark::State &state) {
  const bool csum = state.range(0) != 0;
  const std::vector<std::uint8_t> frame = Frame64();
  double tx_ns = 0, cpl_ns = 0;
  for (auto _ : state) {
    dpdk_ring::TxPrepare(kBurst, frame.data(), kLen, csum);  // the stack
    const Clock::time_point t0 = Clock::now();
    const int took = dpdk_ring::TxBurst();
    const Clock::time_point t1 = Clock::now();
    dpdk_ring::TxCardDone();  // the card
    const Clock::time_point t2 = Clock::now();
    const int done = dpdk_ring::TxClean();
    const Clock::time_point t3 = Clock::now();
    if (took != kBurst || done != kBurst) {
      state.SkipWithError("a burst did not go through");
      return;
    }
    tx_ns += Ns(t0, t1);
    cpl_ns += Ns(t2, t3);
    state.SetIterationTime((Ns(t0, t1) + Ns(t2, t3)) * 1e-9);
  }
  Finish(state, tx_ns + cpl_ns, tx_ns, cpl_ns, "transmit_ns", "complete_ns");
}

void RxMbufnic(benchmark::State &state) {
  auto dev = OpenModel();
  mbufnic::driver::NicOptions o;
  o.tx_queues = 0;
  o.rx_ring_size = 1024;
  mbufnic::driver::Nic nic(*dev, o);
  const std::vector<std::uint8_t> frame = Frame64();
  struct mbuf *out[kBurst];
  double rx_ns = 0, dev_ns = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) dev->wire()->Inject(frame, dev->Now());
    dev->Run(2000);  // the card
    dev->TakeNs();
    const Clock::time_point t0 = Clock::now();
    const int got = nic.Receive(0, out, kBurst);
    const Clock::time_point t1 = Clock::now();
    const double in_dev = dev->TakeNs();
    for (int i = 0; i < got; ++i) m_freem(out[i]);  // the stack
    if (got != kBurst) {
      state.SkipWithError("a burst did not arrive");
      return;
    }
    rx_ns += Ns(t0, t1) - in_dev;
    dev_ns += in_dev;
    state.SetIterationTime((Ns(t0, t1) - in_dev) * 1e-9);
  }
  Finish(state, rx_ns, 0, 0, nullptr, nullptr);
  state.counters["device_ns"] = dev_ns / (static_cast<double>(state.iterations()) * kBurst);
}

void RxDpdk(benchmark::State &state) {
  const std::vector<std::uint8_t> frame = Frame64();
  double rx_ns = 0;
  for (auto _ : state) {
    dpdk_ring::RxCardFill(kBurst, frame.data(), kLen);  // the card
    const Clock::time_point t0 = Clock::now();
    const int got = dpdk_ring::RxBurst(kBurst);
    const Clock::time_point t1 = Clock::now();
    dpdk_ring::RxConsume();  // the stack
    if (got != kBurst) {
      state.SkipWithError("a burst did not arrive");
      return;
    }
    rx_ns += Ns(t0, t1);
    state.SetIterationTime(Ns(t0, t1) * 1e-9);
  }
  Finish(state, rx_ns, 0, 0, nullptr, nullptr);
}

void TimerOverhead(benchmark::State &state) {
  double ns = 0;
  for (auto _ : state) {
    const Clock::time_point t0 = Clock::now();
    const Clock::time_point t1 = Clock::now();
    ns += Ns(t0, t1);
    state.SetIterationTime(Ns(t0, t1) * 1e-9);
  }
  Finish(state, ns, 0, 0, nullptr, nullptr);
}

void Register() {
  benchmark::RegisterBenchmark("tx/mbufnic/plain", TxMbufnic)->Arg(0)->UseManualTime();
  benchmark::RegisterBenchmark("tx/dpdk/plain", TxDpdk)->Arg(0)->UseManualTime();
  benchmark::RegisterBenchmark("tx/mbufnic/csum_given", TxMbufnic)->Arg(1)->UseManualTime();
  benchmark::RegisterBenchmark("tx/mbufnic/csum_parsed", TxMbufnic)->Arg(2)->UseManualTime();
  benchmark::RegisterBenchmark("tx/dpdk/csum", TxDpdk)->Arg(1)->UseManualTime();
  benchmark::RegisterBenchmark("tx/mbufnic/internal/copybreak:on", TxMbufnic)
      ->Arg(3)
      ->UseManualTime();
  benchmark::RegisterBenchmark("tx/mbufnic/internal/copybreak:off", TxMbufnic)
      ->Arg(4)
      ->UseManualTime();
  benchmark::RegisterBenchmark("rx/mbufnic", RxMbufnic)->UseManualTime();
  benchmark::RegisterBenchmark("rx/dpdk", RxDpdk)->UseManualTime();
  benchmark::RegisterBenchmark("timer/overhead", TimerOverhead)->UseManualTime();
}

}  // namespace

int main(int argc, char **argv) {
  // One core, as bench_mbuf: both sides see the same caches.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) std::perror("bench_driver: sched_setaffinity");
  std::string error;
  if (!dpdk_side::Init(&error) || !dpdk_ring::Init(&error)) {
    std::fprintf(stderr, "bench_driver: DPDK would not start: %s\n", error.c_str());
    return 1;
  }
  benchmark::AddCustomContext("mbufnic_flags", MBUFNIC_CXX_FLAGS);
  benchmark::AddCustomContext("dpdk_flags", dpdk_side::Flags());
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
