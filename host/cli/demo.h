// `mbufnic demo`: the card brought up on a backend (the Verilated RTL by default), a mixed
// workload sent through the host driver, looped back on the wire, received and checked.
#ifndef MBUFNIC_HOST_CLI_DEMO_H_
#define MBUFNIC_HOST_CLI_DEMO_H_

#include <string>

#include "common.h"

namespace mbufnic::cli {

struct DemoOptions {
  CommonOptions common;                    // --verbose: per-flow table and the card's counters
  int sends = 400;                         // chains handed to the driver
  std::string pcap = "mbufnic-demo.pcap";  // the wire capture ("" for none)
  bool offloads = true;                    // off: the driver does checksums and TSO in software
  bool stat = false;                       // the stat block (mbufnic stat) after the run
};

// Runs the demo and prints its report; returns the process exit code: 0 when every check
// passed, 1 when one failed, 2 when the card could not be brought up.
int RunDemo(const DemoOptions &options);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_DEMO_H_
