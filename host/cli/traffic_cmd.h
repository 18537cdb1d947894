// `mbufnic traffic`: a generator for long runs.  Flows built from the options (protocols, IP
// versions, send sizes, MSS, MTU, VLAN) send as FreeBSD's stack sends (traffic.h) through the
// card in loopback, for a number of sends or a wall-clock duration, every frame checked on the
// way back; a progress bar on a terminal, a summary or JSON at the end.
#ifndef MBUFNIC_HOST_CLI_TRAFFIC_CMD_H_
#define MBUFNIC_HOST_CLI_TRAFFIC_CMD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "traffic.h"

namespace mbufnic::cli {

struct TrafficOptions {
  CommonOptions common;       // --verbose: per-flow table and the card's counters
  int flows = 4;              // 1 to 64
  std::string proto = "mix";  // tcp, udp or mix (flows alternate TCP and UDP)
  std::string ip = "mix";     // 4, 6 or mix (IPv4 and IPv6 flows alternate)
  std::string size;           // payload bytes per send, "N" or "MIN-MAX" ("": each flow's most)
  int mss = 1448;             // TCP payload per segment over IPv4; IPv6 flows use mss - 20
  int mtu = 1500;             // IP MTU: UDP datagrams and TCP segments fit it
  int vlan = 0;               // every flow tagged for this VLAN (M_VLANTAG); 0: untagged
  bool tso = true;            // TCP sends above the MSS go as one TSO request
  bool offloads = true;       // off: the driver does checksums and TSO in software
  std::uint64_t sends = 0;    // 0: not given (10000 unless a duration is)
  double duration = 0;        // wall seconds; 0: not given
  std::string pcap;           // the wire capture ("" for none)
  int progress = -1;          // 1 on, 0 off, -1 on when stderr is a terminal (and not --json)
  bool stat = false;          // the stat block after the run
  std::uint64_t faults = 0;   // about one fault injected every N sends (WorkloadOptions); 0: none
};

// The flows `o` asks for, or the reason they cannot be made (a message for a user).
struct FlowPlan {
  std::vector<FlowSpec> flows;
  std::string error;
};
FlowPlan PlanFlows(const TrafficOptions &o);

// Returns the exit code: 0 every check passed, 1 one failed, 2 bad options or no card.
int RunTraffic(const TrafficOptions &o);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_TRAFFIC_CMD_H_
