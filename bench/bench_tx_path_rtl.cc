// Cycle-accurate throughput of the transmit path (Verilated rtl/dma/nic_tx_path at 512 bits)
// from host rings to the MAC, with host memory behind the PCIe Gen4 x16 preset (104 bytes a
// cycle each way, 150-cycle read latency, 128 reads outstanding) and a MAC that never pauses
// (no link limit: the card's own rate).
//
// The driver (tests/rtl/dma/tx_path_bench.h) keeps the rings full: 512-entry rings, frames of
// one buffer each, plain frames with no offload command, spread over 1 or 8 queues; buffers
// start on a 64-byte line (aligned = 1) or at any byte (aligned = 0: a 64-byte frame then
// mostly spans two lines, two read beats).  Counters, over the cycles from the first beat the
// MAC takes to the last:
//   frames_per_cycle, bytes_per_cycle  frames and frame bytes sent per cycle (100 GbE needs
//                                      0.595 frames a cycle at 64 bytes, 50 bytes a cycle);
//   latency_cycles                     one frame on an idle card: cycles from its doorbell to
//                                      its last byte at the MAC;
//   read_beats_per_cycle               share of cycles the AXI read channel carried a beat
//                                      (descriptors and data: the bound is 1);
//   read_stalls_per_cycle              share of cycles a read beat waited for rready;
//   cycles_per_second                  simulation speed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "Vnic_tx_path_w512.h"
#include "tx_path_bench.h"

namespace {

using mbufnic::rtltest::Bytes;
using mbufnic::rtltest::TxBenchOptions;
using mbufnic::rtltest::TxJob;
using Bench = mbufnic::rtltest::TxPathBench<Vnic_tx_path_w512>;

TxJob Frame(size_t len, unsigned q, unsigned serial) {
  TxJob j;
  j.bytes.assign(len, static_cast<uint8_t>(serial));
  j.bytes[9] = static_cast<uint8_t>(q);
  j.bytes[10] = static_cast<uint8_t>(serial >> 8);
  j.bytes[11] = static_cast<uint8_t>(serial);
  j.split = {static_cast<uint32_t>(len)};
  j.wire.push_back(j.bytes);
  return j;
}

void Throughput(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const unsigned queues = static_cast<unsigned>(state.range(1));
  const bool aligned = state.range(2) != 0;
  // About the same number of beats per run at every size.
  const unsigned frames = static_cast<unsigned>(std::max<size_t>(200, 400'000 / (len + 64)));
  double fpc = 0, bpc = 0, cps = 0, lat = 0, rbpc = 0, rstall = 0;
  bool ok = true;
  for (auto _ : state) {
    TxBenchOptions o;
    o.random_offsets = !aligned;
    o.service_every = 16;
    Bench b("bench_tx_path", o);
    // Latency: one frame on an idle card.
    b.Start(0, 9);
    b.Push(0, Frame(len, 0, 0));
    const uint64_t t0 = b.cycle();
    b.Service();
    ok &= b.Run(100'000);
    lat = static_cast<double>(b.sent().empty() ? 0 : b.sent().back().cycle - t0);
    b.MatchWire();
    // Throughput: the rings kept full.
    for (unsigned q = 1; q < queues; ++q) b.Start(q, 9);
    for (unsigned i = 1; i <= frames; ++i) b.Push(i % queues, Frame(len, i % queues, i));
    b.ResetBeatWindow();
    const auto w0 = std::chrono::steady_clock::now();
    const uint64_t c0 = b.cycle();
    ok &= b.Run(50'000'000);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    cps = static_cast<double>(b.cycle() - c0) / secs;
    b.MatchWire();
    ok &= b.problems().empty() && b.violations().empty() && b.protocol_errors() == 0;
    const double span = static_cast<double>(b.last_beat() - b.first_beat() + 1);
    rbpc = static_cast<double>(b.r_beats()) / span;
    rstall = static_cast<double>(b.r_stalls()) / span;
    fpc = frames / span;
    bpc = static_cast<double>(frames) * static_cast<double>(len) / span;
  }
  if (!ok) state.SkipWithError("the run failed its checks (see tests/rtl/dma/tx_path_test)");
  state.counters["frames_per_cycle"] = fpc;
  state.counters["bytes_per_cycle"] = bpc;
  state.counters["latency_cycles"] = lat;
  state.counters["read_beats_per_cycle"] = rbpc;
  state.counters["read_stalls_per_cycle"] = rstall;
  state.counters["cycles_per_second"] = cps;
}

BENCHMARK(Throughput)
    ->ArgNames({"bytes", "queues", "aligned"})
    ->Args({64, 1, 1})
    ->Args({64, 1, 0})
    ->Args({64, 8, 1})
    ->Args({512, 1, 1})
    ->Args({512, 1, 0})
    ->Args({1518, 1, 0})
    ->Args({1518, 8, 0})
    ->Args({9000, 1, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
