// mbufnic: the command-line front end.
//
//   mbufnic demo   the card on a backend (the Verilated RTL by default): a mixed workload built
//                  as FreeBSD's stack builds it, sent through the host driver, looped back,
//                  received and checked; a summary, and the wire as a pcap (demo.h)
//   mbufnic replay a capture's frames through the card as they are (or, with --tso, its TCP
//                  segments put back into TSO sends), compared with what comes back (replay.h)
//   mbufnic stat   netstat -m and vmstat -z style statistics of the mbuf runtime
//
// Exit codes: 0 done (demo: every check passed), 1 a check failed, 2 bad arguments or a card
// that cannot be opened (with a message on stderr).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "demo.h"
#include "mbufnic/device.hpp"
#include "mbufnic/runtime.h"
#include "replay.h"

namespace {

std::string BackendHelp() {
  std::string list;
  for (const std::string &n : mbufnic::device::Backends()) list += (list.empty() ? "" : ", ") + n;
  return "Card backend: sim (the Verilated RTL), model (the C++ model); this build has: " + list;
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
  demo->add_option("-b,--backend", demo_opt.backend, BackendHelp())->capture_default_str();
  demo->add_option("--seed", demo_opt.seed, "Random seed: a seed reproduces a run bit for bit")
      ->capture_default_str();
  demo->add_option("-n,--sends", demo_opt.sends, "Chains handed to the driver")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  bool no_pcap = false;
  demo->add_option("--pcap", demo_opt.pcap, "Write the frames the card sent to this pcap file")
      ->capture_default_str();
  demo->add_flag("--no-pcap", no_pcap, "Write no capture");
  demo->add_option("--trace", demo_opt.trace, "Write an FST waveform of the card here (sim)");
  demo->add_flag("--no-offloads", no_offloads,
                 "Turn the card's offloads off: the driver does checksums and TSO in software");
  demo->add_flag("--json", demo_opt.json, "Print the results as one JSON object");
  demo->add_flag("-v,--verbose", demo_opt.verbose, "Per-flow table and the card's counters");

  mbufnic::cli::ReplayOptions replay_opt;
  CLI::App *replay = app.add_subcommand(
      "replay", "Send a capture's frames through the card as they are and compare what comes back");
  replay->add_option("in", replay_opt.in, "The capture (pcap or pcapng, Ethernet)")->required();
  replay->add_flag("--tso", replay_opt.tso,
                   "Coalesce each TCP flow's segments into TSO sends for the card to cut again");
  replay->add_option("-o,--out", replay_opt.out, "Write the frames the card sent to this pcap");
  replay->add_option("-b,--backend", replay_opt.backend, BackendHelp())->capture_default_str();
  replay->add_option("--seed", replay_opt.seed, "Random seed of the simulated card")
      ->capture_default_str();
  replay->add_option("--trace", replay_opt.trace, "Write an FST waveform of the card here (sim)");
  replay->add_flag("--json", replay_opt.json, "Print the results as one JSON object");
  replay->add_flag("-v,--verbose", replay_opt.verbose, "List every difference");

  CLI::App *stat = app.add_subcommand("stat", "Print netstat -m and vmstat -z style statistics");
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
  if (*replay) return mbufnic::cli::RunReplay(replay_opt);
  if (*stat) {
    mbufnic_print_netstat_m(stdout);
    std::printf("\n");
    mbufnic_print_vmstat_z(stdout);
  }
  return 0;
}
