// mbufnic: the command-line front end.
//
//   mbufnic demo    the card on a backend (the Verilated RTL by default): a mixed workload built
//                   as FreeBSD's stack builds it, sent through the host driver, looped back,
//                   received and checked; a summary, and the wire as a pcap (demo.h)
//   mbufnic traffic the same machinery as a configurable generator for long runs: flows,
//                   protocols, sizes, MSS, VLAN, a send count or a duration, a progress bar on a
//                   terminal (traffic_cmd.h)
//   mbufnic replay  a capture's frames through the card as they are (or, with --tso, its TCP
//                   segments put back into TSO sends), compared with what comes back (replay.h)
//   mbufnic bench   transmit and receive throughput at a range of frame sizes: a table and a
//                   gnuplot plot (bench.h)
//   mbufnic stat    the card's counters read through its CSRs, and netstat -m / vmstat -z style
//                   statistics of the mbuf runtime, on a fresh card or after some sends
//                   (stat_cmd.h)
//
// Every subcommand takes --backend, --seed, --trace, --json, --verbose and --help; the run
// they share lives in workload.h.
//
// Exit codes: 0 done (demo, traffic: every check passed), 1 a check failed (bench: a
// measurement or gnuplot failed), 2 bad arguments or a card that cannot be opened (with a
// message on stderr).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "bench.h"
#include "common.h"
#include "demo.h"
#include "mbufnic/device.hpp"
#include "replay.h"
#include "stat_cmd.h"
#include "traffic_cmd.h"

namespace {

using mbufnic::cli::CommonOptions;

std::string BackendHelp() {
  std::string list;
  for (const std::string &n : mbufnic::device::Backends()) list += (list.empty() ? "" : ", ") + n;
  return "Card backend: sim (the Verilated RTL), model (the C++ model), systemc, xrt:N (a card); "
         "this build has: " +
         list;
}

// The options every subcommand has.
void AddCommon(CLI::App *app, CommonOptions &c, const std::string &verbose_help) {
  app->add_option("-b,--backend", c.backend, BackendHelp())->capture_default_str();
  app->add_option("--seed", c.seed, "Random seed: a seed reproduces a run bit for bit")
      ->capture_default_str();
  app->add_option("--trace", c.trace, "Write an FST waveform of the card here (sim)");
  app->add_flag("--json", c.json, "Print the results as one JSON object");
  app->add_flag("-v,--verbose", c.verbose, verbose_help);
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"mbufnic: SmartNIC offload co-design, host runtime and card"};
  app.require_subcommand(1);

  mbufnic::cli::DemoOptions demo_opt;
  bool no_offloads = false;
  CLI::App *demo = app.add_subcommand(
      "demo",
      "Bring the card up, send a mixed workload through the driver, loop it back, check it");
  AddCommon(demo, demo_opt.common, "Per-flow table and the card's counters");
  demo->add_option("-n,--sends", demo_opt.sends, "Chains handed to the driver")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  bool no_pcap = false;
  demo->add_option("--pcap", demo_opt.pcap, "Write the frames the card sent to this pcap file")
      ->capture_default_str();
  demo->add_flag("--no-pcap", no_pcap, "Write no capture");
  demo->add_flag("--no-offloads", no_offloads,
                 "Turn the card's offloads off: the driver does checksums and TSO in software");
  demo->add_flag("--stat", demo_opt.stat, "After the run, the card's counters as mbufnic stat");

  mbufnic::cli::TrafficOptions tr_opt;
  bool tr_no_offloads = false, tr_no_tso = false, tr_progress = false, tr_no_progress = false;
  CLI::App *traffic = app.add_subcommand(
      "traffic", "Generate traffic through the card for a count or a time, every frame checked");
  AddCommon(traffic, tr_opt.common, "Per-flow table and the card's counters");
  traffic->add_option("--flows", tr_opt.flows, "Number of flows (1 to 64)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  traffic->add_option("--proto", tr_opt.proto, "tcp, udp, or mix (flows alternate)")
      ->check(CLI::IsMember({"tcp", "udp", "mix"}))
      ->capture_default_str();
  traffic->add_option("--ip", tr_opt.ip, "4, 6, or mix (flows alternate)")
      ->check(CLI::IsMember({"4", "6", "mix"}))
      ->capture_default_str();
  traffic->add_option("--size", tr_opt.size,
                      "Payload bytes per send, N or MIN-MAX (default: up to what each flow "
                      "carries: 64 KiB with TSO, the MSS without, the MTU for UDP)");
  traffic->add_option("--mss", tr_opt.mss, "TCP payload per segment over IPv4 (IPv6: 20 less)")
      ->check(CLI::Range(64, 9000))
      ->capture_default_str();
  traffic->add_option("--mtu", tr_opt.mtu, "IP MTU (above 1500: jumbo frames)")
      ->check(CLI::Range(1280, 9000))
      ->capture_default_str();
  traffic->add_option("--vlan", tr_opt.vlan, "Tag every flow for this VLAN (1 to 4094)")
      ->check(CLI::Range(1, 4094));
  traffic
      ->add_option("-n,--sends", tr_opt.sends,
                   "Chains handed to the driver (default 10000 unless --duration is given)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000'000}));
  traffic
      ->add_option("-t,--duration", tr_opt.duration,
                   "Wall-clock seconds of sending (with --sends: whichever ends first)")
      ->check(CLI::Validator(
          [](std::string &v) {
            double d = 0;
            return CLI::detail::lexical_cast(v, d) && d > 0 ? std::string()
                                                            : "want seconds, more than 0: " + v;
          },
          "SECONDS > 0"));
  traffic->add_flag("--no-tso", tr_no_tso, "TCP sends no longer than the MSS, no TSO requests");
  traffic->add_flag("--no-offloads", tr_no_offloads,
                    "Turn the card's offloads off: the driver does checksums and TSO in software");
  traffic->add_option("--pcap", tr_opt.pcap, "Write the frames the card sent to this pcap file");
  CLI::Option *prog = traffic->add_flag(
      "--progress", tr_progress, "Show the progress line on stderr even when it is not a terminal");
  traffic->add_flag("--no-progress", tr_no_progress, "Never show the progress line")
      ->excludes(prog);
  traffic->add_flag("--stat", tr_opt.stat, "After the run, the card's counters as mbufnic stat");
  traffic
      ->add_option("--faults", tr_opt.faults,
                   "Inject a fault about every N sends (DMA errors, link pauses, a host that "
                   "stops taking frames); every loss must be one the card or driver counted")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));

  mbufnic::cli::ReplayOptions replay_opt;
  CLI::App *replay = app.add_subcommand(
      "replay", "Send a capture's frames through the card as they are and compare what comes back");
  replay->add_option("in", replay_opt.in, "The capture (pcap or pcapng, Ethernet)")->required();
  replay->add_flag("--tso", replay_opt.tso,
                   "Coalesce each TCP flow's segments into TSO sends for the card to cut again");
  replay->add_option("-o,--out", replay_opt.out, "Write the frames the card sent to this pcap");
  AddCommon(replay, replay_opt.common, "List every difference");

  mbufnic::cli::BenchOptions bench_opt;
  CLI::App *bench = mbufnic::cli::AddBenchCommand(app, bench_opt);
  AddCommon(bench, bench_opt.common, "A line on stderr for every run as it finishes");

  mbufnic::cli::StatOptions stat_opt;
  CLI::App *stat = app.add_subcommand(
      "stat", "The card's counters, and netstat -m style statistics of the mbufs");
  AddCommon(stat, stat_opt.common, "vmstat -z as well");
  stat->add_option("-n,--sends", stat_opt.sends,
                   "Send this many of the demo's chains first (0: a fresh card)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help prints and exits 0; a usage error prints its message and exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*demo) {
    demo_opt.offloads = !no_offloads;
    if (no_pcap) demo_opt.pcap.clear();
    return mbufnic::cli::RunDemo(demo_opt);
  }
  if (*traffic) {
    tr_opt.offloads = !tr_no_offloads;
    tr_opt.tso = !tr_no_tso;
    tr_opt.progress = tr_progress ? 1 : tr_no_progress ? 0 : -1;
    return mbufnic::cli::RunTraffic(tr_opt);
  }
  if (*bench) return mbufnic::cli::RunBench(bench_opt);
  if (*replay) return mbufnic::cli::RunReplay(replay_opt);
  return mbufnic::cli::RunStat(stat_opt);
}
