// `mbufnic demo`: the card brought up on a backend (the Verilated RTL by default), a mixed
// workload sent through the host driver, looped back on the wire, received and checked.
#ifndef MBUFNIC_HOST_CLI_DEMO_H_
#define MBUFNIC_HOST_CLI_DEMO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "mbufnic/device.hpp"

namespace mbufnic::cli {

struct DemoOptions {
  std::string backend = "sim";
  std::uint64_t seed = 1;
  int sends = 400;                         // chains handed to the driver
  std::string pcap = "mbufnic-demo.pcap";  // the wire capture ("" for none)
  std::string trace;                       // FST waveform of the card (sim only; "" for none)
  bool offloads = true;                    // off: the driver does checksums and TSO in software
  bool json = false;                       // one JSON object on stdout instead of the summary
  bool verbose = false;                    // per-flow table and the card's counters
};

// Opens `backend` as every command uses the card: in loopback (100 cycles) on a 100 Gb/s wire,
// the frames it sends written to `pcap` and its waveform to `trace` when they are not empty.
// On failure prints "mbufnic <command>: cannot open the card: <why>" and returns null.
std::unique_ptr<device::Device> OpenLoopbackCard(const char *command, const std::string &backend,
                                                 std::uint64_t seed, const std::string &pcap,
                                                 const std::string &trace);

// Runs the demo and prints its report; returns the process exit code: 0 when every check
// passed, 1 when one failed, 2 when the card could not be brought up.
int RunDemo(const DemoOptions &options);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_DEMO_H_
