// Cycle-accurate throughput of the checksum engines (Verilated RTL, 512-bit stream): bytes and
// frames per clock cycle with no source idles and no sink back-pressure, and how fast the
// simulation itself runs (simulated cycles per wall-clock second).
//
// Counters per case: bytes_per_cycle (line rate at 250 MHz is 64), frames_per_cycle (100 GbE
// with 64-byte frames needs 0.595), cycles_per_second (simulation speed).  A frame's bytes
// exclude the FCS and the inter-frame gap, which the MAC adds.
#include <benchmark/benchmark.h>
#include <mbufnic/hw/nic_hw.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "Vnic_csum_rx_w512.h"
#include "Vnic_csum_tx_w512.h"
#include "bfm/axis.h"
#include "harness.h"

namespace {

using namespace mbufnic::sim;

// A frame with a valid-looking IPv4/UDP header stack; content does not change timing.
std::vector<uint8_t> Frame(size_t len) {
  std::vector<uint8_t> f(len, 0x5a);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  return f;
}

// Streams `frames` frames of `len` bytes through the model; returns the cycles from the first
// input beat to the last output beat.
template <typename Model>
uint64_t Stream(size_t len, int frames, uint64_t user) {
  Harness<Model> h("bench");
  auto& t = h.top();
  using S = AxisSource<std::remove_reference_t<decltype(t.s_axis_tdata_i)>, std::remove_reference_t<decltype(t.s_axis_tkeep_i)>, uint64_t>;
  using K = AxisSink<std::remove_reference_t<decltype(t.m_axis_tdata_o)>, std::remove_reference_t<decltype(t.m_axis_tkeep_o)>,
                     std::remove_reference_t<decltype(t.m_axis_tuser_o)>>;
  uint64_t no_user = 0;
  uint64_t* src_user = nullptr;
  if constexpr (requires { t.s_axis_tuser_i; }) {
    src_user = reinterpret_cast<uint64_t*>(&t.s_axis_tuser_i);
  } else {
    src_user = &no_user;
  }
  S src({&t.s_axis_tdata_i, &t.s_axis_tkeep_i, &t.s_axis_tlast_i, src_user, &t.s_axis_tvalid_i,
         &t.s_axis_tready_o},
        1);
  K sink({&t.m_axis_tdata_o, &t.m_axis_tkeep_o, &t.m_axis_tlast_o, &t.m_axis_tuser_o,
          &t.m_axis_tvalid_o, &t.m_axis_tready_i},
         2);
  t.enable_i = 1;
  if constexpr (requires { t.s_axis_tdrop_i; }) t.s_axis_tdrop_i = 0;
  h.Reset();
  auto f = Frame(len);
  for (int i = 0; i < frames; ++i) src.Push(f, user);
  uint64_t first = 0;
  bool started = false;
  while (sink.frames().size() < size_t(frames)) {
    h.Cycle(
        [&] {
          if (!started && t.s_axis_tvalid_i) {
            started = true;
            first = h.cycles();
          }
          src.Sample();
          sink.Sample();
        },
        [&] {
          src.Drive();
          sink.Drive();
        });
    if (h.cycles() > 100'000'000) break;
  }
  return h.cycles() - first;
}

template <typename Model>
void Run(benchmark::State& state, uint64_t user) {
  const size_t len = state.range(0);
  const int frames = len >= 4096 ? 400 : 4000;
  uint64_t cycles = 0, total_frames = 0;
  for (auto _ : state) {
    cycles += Stream<Model>(len, frames, user);
    total_frames += frames;
  }
  state.counters["bytes_per_cycle"] = double(total_frames * len) / double(cycles);
  state.counters["frames_per_cycle"] = double(total_frames) / double(cycles);
  state.counters["cycles_per_second"] =
      benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
}

// TX command: UDP checksum from byte 34 into offset 6, IPv4 header at 14.
uint64_t TxCmd() {
  mbufnic::hw::TxCsumCmd c{};
  c.set_csum_start(34).set_csum_offset(6).set_l3_offset(14);
  c.set_l4_en(true).set_ip4_en(true).set_udp(true);
  uint64_t v;
  static_assert(sizeof(c) == sizeof(v));
  std::memcpy(&v, &c, sizeof(v));
  return v;
}

void BM_csum_tx_512(benchmark::State& s) { Run<Vnic_csum_tx_w512>(s, TxCmd()); }
void BM_csum_rx_512(benchmark::State& s) { Run<Vnic_csum_rx_w512>(s, 0); }

BENCHMARK(BM_csum_tx_512)->Arg(64)->Arg(576)->Arg(1500)->Arg(9000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_csum_rx_512)->Arg(64)->Arg(576)->Arg(1500)->Arg(9000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
