// Cycle-accurate throughput of the transmit offload pipeline (Verilated nic_tso + nic_csum_tx) on
// 64 KiB TCP segmentation requests, at 64-, 256- and 512-bit streams and MSS 536, 1448 and 8948.
//
// Eight requests go in back to back with no source idles and no sink back-pressure; the counters
// cover the cycles from the first beat on the wire side to the last:
//   wire_bytes_per_cycle     bytes of segments sent (headers replicated), per cycle;
//   payload_bytes_per_cycle  request payload delivered, per cycle;
//   beats_per_cycle          share of cycles that carry a beat (1 = no idle cycle at all);
//   ideal_wire_bytes_per_cycle  the most a stream of this width can carry for these segments
//                               (every segment's last beat is partly empty);
//   cycles_per_second        simulation speed.
// At 250 MHz, 64 bytes per cycle is 128 Gb/s; 100 GbE needs 50.
#include <benchmark/benchmark.h>
#include <mbufnic/hw/nic_hw.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "Vnic_tx_offload_w256.h"
#include "Vnic_tx_offload_w512.h"
#include "Vnic_tx_offload_w64.h"
#include "bfm/axis.h"
#include "harness.h"

namespace {

using namespace mbufnic::sim;

constexpr size_t kL2 = 14, kL3 = 20, kL4 = 32;  // Ethernet, IPv4, TCP with 12 bytes of options
constexpr size_t kHdr = kL2 + kL3 + kL4;
constexpr size_t kRequest = 65536;              // a 64 KiB request frame
constexpr size_t kPayload = kRequest - kHdr;
constexpr int kRequests = 8;

// A request frame whose headers pass the segmenter's checks; the payload does not change timing.
std::vector<uint8_t> Request() {
  std::vector<uint8_t> f(kRequest, 0x5a);
  f[12] = 0x08;
  f[13] = 0x00;
  f[kL2] = 0x45;
  f[kL2 + 9] = 6;
  f[kL2 + kL3 + 12] = (kL4 / 4) << 4;
  f[kL2 + kL3 + 13] = 0x18;
  return f;
}

uint64_t SegCmd(uint16_t mss) {
  mbufnic::hw::SegCmd c{};
  c.set_mss(mss).set_l2hlen(kL2).set_l3hlen(kL3).set_l4hlen(kL4);
  c.set_kind(mbufnic::hw::SegKind::kTcp).set_pay_len(kPayload);
  uint64_t v;
  static_assert(sizeof(c) == sizeof(v));
  std::memcpy(&v, &c, sizeof(v));
  return v;
}

template <typename Model>
void Run(benchmark::State& state) {
  const auto mss = static_cast<uint16_t>(state.range(0));
  uint64_t cycles = 0, beats = 0, wire = 0, sim_cycles = 0;
  for (auto _ : state) {
    Harness<Model> h("bench");
    auto& t = h.top();
    using TD = std::remove_reference_t<decltype(t.s_axis_tdata_i)>;
    using TK = std::remove_reference_t<decltype(t.s_axis_tkeep_i)>;
    using TU = std::remove_reference_t<decltype(t.s_axis_tuser_i)>;
    using MD = std::remove_reference_t<decltype(t.m_axis_tdata_o)>;
    using MK = std::remove_reference_t<decltype(t.m_axis_tkeep_o)>;
    using MU = std::remove_reference_t<decltype(t.m_axis_tuser_o)>;
    AxisSource<TD, TK, TU> src({&t.s_axis_tdata_i, &t.s_axis_tkeep_i, &t.s_axis_tlast_i,
                                &t.s_axis_tuser_i, &t.s_axis_tvalid_i, &t.s_axis_tready_o},
                               1);
    AxisSink<MD, MK, MU> sink({&t.m_axis_tdata_o, &t.m_axis_tkeep_o, &t.m_axis_tlast_o,
                               &t.m_axis_tuser_o, &t.m_axis_tvalid_o, &t.m_axis_tready_i},
                              2);
    t.csum_enable_i = 1;
    t.s_axis_tdrop_i = 0;
    h.Reset();
    const auto req = Request();
    for (int i = 0; i < kRequests; ++i) src.Push(req, 0, SegCmd(mss));
    const size_t segs = kRequests * ((kPayload + mss - 1) / mss);
    uint64_t first = 0, last = 0, out_beats = 0;
    bool started = false;
    while (sink.frames().size() < segs && h.cycles() < 50'000'000) {
      h.Cycle(
          [&] {
            if (t.m_axis_tvalid_o && t.m_axis_tready_i) {
              if (!started) first = h.cycles();
              started = true;
              last = h.cycles();
              ++out_beats;
            }
            src.Sample();
            sink.Sample();
          },
          [&] {
            src.Drive();
            sink.Drive();
          });
    }
    if (sink.frames().size() != segs) {
      state.SkipWithError("the segments did not all come out");
      return;
    }
    for (const auto& f : sink.frames()) wire += f.data.size();
    cycles += last - first + 1;
    beats += out_beats;
    sim_cycles += h.cycles();
  }
  const size_t width =
      SignalBytes<std::remove_reference_t<decltype(std::declval<Model&>().m_axis_tdata_o)>>();
  // The best a stream can do: each segment takes whole beats.
  double ideal_bytes = 0, ideal_beats = 0;
  for (size_t off = 0; off < kPayload; off += mss) {
    const size_t seg = kHdr + std::min<size_t>(mss, kPayload - off);
    ideal_bytes += double(seg);
    ideal_beats += double((seg + width - 1) / width);
  }
  state.counters["wire_bytes_per_cycle"] = double(wire) / double(cycles);
  state.counters["payload_bytes_per_cycle"] =
      double(kPayload) * kRequests * double(state.iterations()) / double(cycles);
  state.counters["beats_per_cycle"] = double(beats) / double(cycles);
  state.counters["ideal_wire_bytes_per_cycle"] = ideal_bytes / ideal_beats;
  state.counters["cycles_per_second"] =
      benchmark::Counter(double(sim_cycles), benchmark::Counter::kIsRate);
}

void BM_tso_64(benchmark::State& s) { Run<Vnic_tx_offload_w64>(s); }
void BM_tso_256(benchmark::State& s) { Run<Vnic_tx_offload_w256>(s); }
void BM_tso_512(benchmark::State& s) { Run<Vnic_tx_offload_w512>(s); }

BENCHMARK(BM_tso_64)->Arg(536)->Arg(1448)->Arg(8948)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tso_256)->Arg(536)->Arg(1448)->Arg(8948)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tso_512)->Arg(536)->Arg(1448)->Arg(8948)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
