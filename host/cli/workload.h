// The run every traffic-sending command shares: the card opened on a backend in loopback, the
// driver brought up, sends from a set of flows handed to it in bursts while what comes back is
// taken and checked (traffic.h), until every frame is back; then the figures a user looks at
// (driver and card counters, wire, DMA violations, mbufs given back, cycles, wall time) and the
// ways the commands print them (summary lines, JSON pieces, the stat block).
//
// `mbufnic demo` runs it with the demo's six flows, `mbufnic traffic` with flows built from its
// options, `mbufnic stat` with the demo's flows and usually no sends at all (a fresh card).
#ifndef MBUFNIC_HOST_CLI_WORKLOAD_H_
#define MBUFNIC_HOST_CLI_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "traffic.h"

namespace mbufnic::cli {

// WorkloadOptions::sends when only the duration ends the run.
inline constexpr std::uint64_t kNoSendLimit = std::numeric_limits<std::uint64_t>::max();

struct WorkloadOptions {
  std::string command = "demo";  // in messages: "mbufnic <command>: ..."
  std::string backend = "sim";
  std::uint64_t seed = 1;
  std::string pcap;   // the wire capture ("" for none)
  std::string trace;  // FST waveform of the card (sim only; "" for none)
  bool offloads = true;
  // Chains handed to the driver (0: none, the card is only brought up and read).
  std::uint64_t sends = 0;
  // Wall seconds after which no new send is built (0: no limit); what was built still goes out
  // and comes back before the run ends.
  double duration = 0;
  // Faults injected at random (seeded by `seed`): about one every `fault_every` sends, each one
  // of a transmit DMA read error (the next read of a buffer answers SLVERR), a receive DMA write
  // error (the next write of a buffer), a link pause (1 000 to 40 000 cycles) and a host that
  // takes nothing for 20 000 to 200 000 cycles (its receive ring runs dry).  The checks then
  // place every lost frame (Traffic::AllowLoss) and require each loss to be one the card or the
  // driver counted.  0: no faults.
  std::uint64_t fault_every = 0;
  // The card's MTU, set through its firmware (admin change_mtu) once the driver is up (0: the
  // card's default).
  std::uint32_t mtu = 0;
};

// The options of a run of `command` ("demo", "traffic", "stat") with the common options
// backend, seed and trace; the rest as WorkloadOptions' defaults.
WorkloadOptions WorkloadFor(const std::string &command, const CommonOptions &common);

// Where a run is, for a progress display (at most every 100 ms of wall time, and once at the
// end with done set).
struct WorkloadProgress {
  std::uint64_t sends = 0;       // built so far
  std::uint64_t frames = 0;      // received and checked so far
  std::uint64_t wire_bytes = 0;  // frame bytes the card sent so far
  std::uint64_t cycles = 0;      // card cycles since the driver came up
  double clock_mhz = 250;        // the card's clock
  double wall_seconds = 0;       // since the run started
  bool done = false;
};
using ProgressFn = std::function<void(const WorkloadProgress &)>;

struct WorkloadResult {
  // False when the card could not be opened or brought up (the message is on stderr already);
  // nothing else below is filled then.
  bool opened = false;
  std::string backend;
  std::uint32_t card_id = 0, caps = 0;
  std::vector<FlowSpec> flows;
  std::vector<Traffic::FlowStats> flow_stats;  // by flow, as `flows`
  SendStats sent;
  RecvStats received;
  driver::TxQueueStats tx;  // the driver's transmit and receive queue 0
  driver::RxQueueStats rx;
  device::Counters counters;             // the card's, queue 0's included
  std::vector<device::Counters> queues;  // queue q's counters in the txq/rxq fields of [q]
  int tx_queues = 0, rx_queues = 0;      // queues the card has
  std::uint64_t wire_frames = 0, wire_bytes = 0;
  // The card's port counters the run's accounting compares with the host's and the wire's
  // counts (failures start "accounting:" when they disagree).
  struct Accounting {
    std::uint32_t card_tx_frames = 0, card_rx_frames = 0;
    std::uint64_t card_rx_drops = 0;
  } accounting;
  // Faults injected (WorkloadOptions::fault_every): DMA errors armed and answered (an armed one
  // may find no access before the run ends), link pauses and host pauses with their cycles; and
  // where the checks placed each lost frame.
  struct Faults {
    std::uint64_t tx_dma = 0, rx_dma = 0, tx_dma_answered = 0, rx_dma_answered = 0;
    std::uint64_t link_pauses = 0, link_pause_cycles = 0;
    std::uint64_t host_pauses = 0, host_pause_cycles = 0;
    std::uint64_t total() const { return tx_dma + rx_dma + link_pauses + host_pauses; }
  } faults;
  Traffic::LossStats losses;
  std::size_t dma_violations = 0;
  bool mbufs_returned = false;
  bool stopped_by_time = false;  // the duration ran out before the send count
  std::uint64_t cycles = 0;
  double clock_mhz = 250;
  double wall_seconds = 0;
  std::vector<std::string> failures;  // readable; empty when every check passed

  bool ok() const { return failures.empty(); }
  double simulated_us() const { return static_cast<double>(cycles) / clock_mhz; }
  double wire_gbps() const;
  double cycles_per_second() const;
  double frames_per_second() const;  // frames back per wall second
};

// Runs `flows` through the card as `options` say and checks everything that came back.
WorkloadResult RunWorkload(const WorkloadOptions &options, std::vector<FlowSpec> flows,
                           const ProgressFn &progress = {});

// Opens `backend` as every command uses the card: in loopback (100 cycles) on a 100 Gb/s wire,
// the frames it sends written to `pcap` and its waveform to `trace` when they are not empty.
// On failure prints "mbufnic <command>: cannot open the card: <why>" and returns null.
std::unique_ptr<device::Device> OpenLoopbackCard(const char *command, const std::string &backend,
                                                 std::uint64_t seed, const std::string &pcap,
                                                 const std::string &trace);

// ---- Printing

// The card's capabilities in words ("tx checksum, rx checksum, TSO/USO").
std::string Caps(std::uint32_t caps);
// A byte count in B, kB or MB.
std::string Bytes(std::uint64_t n);

// The figures of a run as JSON: ok, backend, seed, offloads, card, sent, wire, accounting,
// received, card_counters, driver, flows, cycles, clock_mhz, simulated_us, wire_gbps,
// wall_seconds, cycles_per_second, mbufs_returned, dma_violations, failures.
nlohmann::json WorkloadJson(const WorkloadResult &r, const WorkloadOptions &o);
// The card's counters as one object, "<block>_<counter>": value.
nlohmann::json CountersJson(const device::Counters &c);

// The summary a person reads (demo's layout): the card, what was sent, what the card did,
// the wire, what came back, the time; with `verbose` the per-flow table and the counters in a
// line; the result and its failures; then netstat -m, or the whole stat block with `stat`.
struct SummaryStyle {
  std::string what_flows;  // after "N flows", e.g. "(TCP and UDP over IPv4 and IPv6)"
  bool rates = false;      // a line with frames and sends per wall second
  bool verbose = false;
  bool stat = false;
};
void PrintSummary(const WorkloadResult &r, const WorkloadOptions &o, const SummaryStyle &style);

// The stat block: the card's counters as a table, each queue's counters, netstat -m, and with
// `verbose` vmstat -z.  StatJson is the same as JSON: card_counters, queues, zones.
void PrintStat(const WorkloadResult &r, bool verbose);
nlohmann::json StatJson(const WorkloadResult &r);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_WORKLOAD_H_
