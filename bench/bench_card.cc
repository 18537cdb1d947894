// Whole-card throughput through the host driver on a card backend: "sim" (the Verilated RTL,
// the cycle-accurate figure), "systemc" (the same RTL as a SystemC module behind TLM-2.0
// sockets: the same cycles, its own simulation speed) and "model" (the C++ behavioural model),
// whichever this build has.
// The measurement itself (what is sent, the window, the formulas) is host/cli/throughput.h,
// shared with `mbufnic bench`; this program registers one benchmark per backend, link, direction
// and frame size and reports its figures as counters.
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
//   frames                              transmit: frames on the wire; receive: frames handed up
// card_duplex runs transmit and receive at once (throughput::MeasureDuplex) and reports
// tx_frames_per_cycle, tx_line_gbps, rx_frames_per_cycle, rx_line_gbps and rx_dropped.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mbufnic/device.hpp"
#include "throughput.h"

namespace {

namespace tp = mbufnic::throughput;

void Report(benchmark::State &state, const tp::Measurement &m, bool tx, bool tso) {
  if (!m.ok()) {
    state.SkipWithError(m.error.c_str());
    return;
  }
  state.counters["frames_per_cycle"] = m.frames_per_cycle;
  state.counters["bytes_per_cycle"] = m.bytes_per_cycle;
  state.counters["gbps"] = m.gbps;
  state.counters["line_gbps"] = m.line_gbps;
  state.counters["sim_cycles_per_s"] = m.sim_cycles_per_s;
  state.counters["sim_pkts_per_s"] = m.sim_pkts_per_s;
  if (tso) state.counters["payload_gbps"] = m.payload_gbps;
  if (!tx) {
    state.counters["dropped"] = m.dropped;
    state.counters["dropped_nobuf"] = m.dropped_nobuf;
  }
  state.counters["frames"] = static_cast<double>(m.frames);
}

void Tx(benchmark::State &state, const std::string &backend, double link, std::size_t len,
        bool tso) {
  for (auto _ : state) Report(state, tp::MeasureTx(backend, link, len, tso), true, tso);
}

void Rx(benchmark::State &state, const std::string &backend, double link, std::size_t len) {
  for (auto _ : state) Report(state, tp::MeasureRx(backend, link, len), false, false);
}

// Full duplex: both directions' frame rates and the receive drops, tx_ and rx_ in front.
void Duplex(benchmark::State &state, const std::string &backend, double link, std::size_t len) {
  for (auto _ : state) {
    const tp::Duplex d = tp::MeasureDuplex(backend, link, len);
    if (!d.tx.ok() || !d.rx.ok()) {
      state.SkipWithError((d.tx.ok() ? d.rx : d.tx).error.c_str());
      return;
    }
    for (const auto &[side, m] : {std::pair{"tx_", &d.tx}, std::pair{"rx_", &d.rx}}) {
      const std::string p = side;
      state.counters[p + "frames_per_cycle"] = m->frames_per_cycle;
      state.counters[p + "line_gbps"] = m->line_gbps;
    }
    state.counters["rx_dropped"] = d.rx.dropped;
    state.counters["sim_cycles_per_s"] = d.tx.sim_cycles_per_s;
  }
}

benchmark::internal::Benchmark *Once(benchmark::internal::Benchmark *b) {
  return b->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
}

void Register() {
  const std::vector<std::string> have = mbufnic::device::Backends();
  for (const char *backend : {"sim", "systemc", "model"}) {
    if (std::find(have.begin(), have.end(), backend) == have.end()) continue;
    const std::string b = backend;
    for (const double link : {0.0, 100.0}) {
      const std::string l = link == 0 ? "/link:unlimited" : "/link:100G";
      for (const std::size_t len : {64, 128, 256, 512, 1024, 1518, 4096, 9000}) {
        Once(
            benchmark::RegisterBenchmark(("card_tx/" + b + l + "/" + std::to_string(len)).c_str(),
                                         [=](benchmark::State &s) { Tx(s, b, link, len, false); }));
      }
      for (const std::size_t mss : {1448, 8948}) {
        Once(benchmark::RegisterBenchmark(
            ("card_tx/" + b + l + "/tso64k_mss" + std::to_string(mss)).c_str(),
            [=](benchmark::State &s) { Tx(s, b, link, mss, true); }));
      }
      for (const std::size_t len : {64, 128, 256, 512, 1024, 1518, 4096, 9000}) {
        Once(benchmark::RegisterBenchmark(("card_rx/" + b + l + "/" + std::to_string(len)).c_str(),
                                          [=](benchmark::State &s) { Rx(s, b, link, len); }));
      }
      for (const std::size_t len : {64, 128, 256, 1518, 9000}) {
        Once(benchmark::RegisterBenchmark(
            ("card_duplex/" + b + l + "/" + std::to_string(len)).c_str(),
            [=](benchmark::State &s) { Duplex(s, b, link, len); }));
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
