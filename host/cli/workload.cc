// The run demo, traffic and stat share, and how they print it (workload.h).
#include "workload.h"

#include <fmt/core.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"

namespace mbufnic::cli {

namespace {

namespace csr = hw::csr;
using Clock = std::chrono::steady_clock;

constexpr int kBurst = 32;                  // chains per Transmit call
constexpr std::uint64_t kPollCycles = 500;  // card cycles between two looks of the driver
// The card made no progress for this long: it is stuck (it never should be).
constexpr std::uint64_t kStallCycles = 2'000'000;
constexpr auto kProgressEvery = std::chrono::milliseconds(100);

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::array<std::uint64_t, MBUFNIC_ZONE_COUNT> ZonesInUse() {
  mbufnic_thread_cache_drain();
  std::array<std::uint64_t, MBUFNIC_ZONE_COUNT> used{};
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
    struct mbufnic_zone_stats st {};
    mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
    used[static_cast<std::size_t>(z)] = st.used;
  }
  return used;
}

// One counter of the card: the block it is in (as in hw/nic.toml) and its name there.
struct CounterRow {
  const char *block;
  const char *name;
  std::uint64_t value;
};

// The card-wide counters, in the order the stat table shows them.
std::vector<CounterRow> CounterRows(const device::Counters &c) {
  return {
      {"port", "tx_frames", c.port_tx_frames},
      {"port", "tx_bytes", c.port_tx_bytes},
      {"port", "rx_frames", c.port_rx_frames},
      {"port", "rx_bytes", c.port_rx_bytes},
      {"port", "rx_drop_nobuf", c.port_rx_drop_nobuf},
      {"port", "rx_drop_bad", c.port_rx_drop_bad},
      {"port", "dma_rd_err", c.port_dma_rd_err},
      {"port", "dma_wr_err", c.port_dma_wr_err},
      {"csum", "tx_frames", c.csum_tx_frames},
      {"csum", "tx_errors", c.csum_tx_errors},
      {"csum", "rx_frames", c.csum_rx_frames},
      {"csum", "rx_l3_bad", c.csum_rx_l3_bad},
      {"csum", "rx_l4_bad", c.csum_rx_l4_bad},
      {"tso", "requests", c.tso_requests},
      {"tso", "segments", c.tso_segments},
      {"tso", "errors", c.tso_errors},
      {"card", "host_denied", c.host_denied},
  };
}

// One queue's counters (the txq and rxq fields of a Counters read for that queue).
std::vector<CounterRow> QueueRows(const device::Counters &c) {
  return {
      {"txq", "packets", c.txq_packets}, {"txq", "bytes", c.txq_bytes},
      {"txq", "drops", c.txq_drops},     {"txq", "errors", c.txq_errors},
      {"rxq", "packets", c.rxq_packets}, {"rxq", "bytes", c.rxq_bytes},
      {"rxq", "drops", c.rxq_drops},     {"rxq", "errors", c.rxq_errors},
  };
}

// With faults injected: every frame lost is one a fault explains and the card or the driver
// counted.  Transmit: each send that did not reach the wire whole is one transmit error (with
// the offloads a send is one descriptor chain with one completion, lost whole or, for a
// segmentation request, from the segment the read error fell in; without them the driver
// segments it and each segment lost is an error of its own), and each error is a DMA error.
// Receive: each frame the wire carried and the host never got is a drop the card counted or an
// error or drop the driver counted.
void CheckFaultLosses(WorkloadResult &r, const WorkloadOptions &o, std::uint64_t card_rx_drops) {
  const Traffic::LossStats &l = r.losses;
  const auto fail = [&](std::string what) { r.failures.push_back("faults: " + std::move(what)); };
  if (l.wire_frames != r.wire_frames) {
    fail(fmt::format("{} frames on the wire, {} of them matched to a send", r.wire_frames,
                     l.wire_frames));
  }
  if (r.wire_frames + l.tx_frames != r.sent.expected_frames) {
    fail(fmt::format("{} frames expected, {} on the wire and {} lost on transmit",
                     r.sent.expected_frames, r.wire_frames, l.tx_frames));
  }
  const std::uint64_t tx_lost = o.offloads ? l.tx_sends + l.tx_partial : l.tx_frames;
  if (tx_lost != r.tx.errors) {
    fail(fmt::format("{} {} lost on transmit, {} transmit errors counted", tx_lost,
                     o.offloads ? "sends" : "frames", r.tx.errors));
  }
  const std::uint64_t dma_errors = r.tx.by_tx_err[static_cast<std::size_t>(hw::TxErr::kDma)];
  if (dma_errors != r.tx.errors) {
    fail(fmt::format("{} transmit errors, only {} of them DMA errors", r.tx.errors, dma_errors));
  }
  if (r.tx.errors > r.faults.tx_dma_answered) {
    fail(fmt::format("{} transmit errors from {} injected read errors", r.tx.errors,
                     r.faults.tx_dma_answered));
  }
  if (r.rx.errors > r.faults.rx_dma_answered) {
    fail(fmt::format("{} receive errors from {} injected write errors", r.rx.errors,
                     r.faults.rx_dma_answered));
  }
  const std::uint64_t rx_counted = card_rx_drops + r.rx.errors + r.rx.drops;
  if (l.rx_frames != rx_counted) {
    fail(
        fmt::format("{} frames on the wire never handed up; the card dropped {}, the driver "
                    "counted {} errors and {} drops",
                    l.rx_frames, card_rx_drops, r.rx.errors, r.rx.drops));
  }
}

}  // namespace

double WorkloadResult::wire_gbps() const {
  const double us = simulated_us();
  return us > 0 ? static_cast<double>(wire_bytes) * 8 / (us * 1e3) : 0;
}

double WorkloadResult::cycles_per_second() const {
  return wall_seconds > 0 ? static_cast<double>(cycles) / wall_seconds : 0;
}

double WorkloadResult::frames_per_second() const {
  return wall_seconds > 0 ? static_cast<double>(received.frames) / wall_seconds : 0;
}

std::unique_ptr<device::Device> OpenLoopbackCard(const char *command, const std::string &backend,
                                                 std::uint64_t seed, const std::string &pcap,
                                                 const std::string &trace) {
  device::Options dopt;
  dopt.seed = seed;
  dopt.loopback = true;
  dopt.loopback_delay = 100;
  dopt.link_gbps = 100.0;
  dopt.pcap_out = pcap;
  dopt.waves = trace;
  try {
    return device::Open(backend, dopt);
  } catch (const std::exception &e) {
    fmt::print(stderr, "mbufnic {}: cannot open the card: {}\n", command, e.what());
    return nullptr;
  }
}

WorkloadOptions WorkloadFor(const std::string &command, const CommonOptions &common) {
  WorkloadOptions w;
  w.command = command;
  w.backend = common.backend;
  w.seed = common.seed;
  w.trace = common.trace;
  return w;
}

WorkloadResult RunWorkload(const WorkloadOptions &o, std::vector<FlowSpec> flows,
                           const ProgressFn &progress) {
  const auto wall0 = Clock::now();
  const auto zones0 = ZonesInUse();
  WorkloadResult r;
  std::unique_ptr<device::Device> dev =
      OpenLoopbackCard(o.command.c_str(), o.backend, o.seed, o.pcap, o.trace);
  if (dev == nullptr) return r;

  auto traffic_owner = std::make_unique<Traffic>(std::move(flows), o.seed, o.offloads);
  Traffic &traffic = *traffic_owner;
  std::vector<std::string> violations;
  sim::Wire *const wire = dev->wire();
  sim::HostMemory *const mem = dev->memory();
  const bool faults = o.fault_every > 0;
  if (faults) {
    if (wire == nullptr || mem == nullptr) {
      fmt::print(stderr,
                 "mbufnic {}: backend {} has no wire or host-memory model to inject faults into\n",
                 o.command, dev->Name());
      return r;
    }
    traffic.AllowLoss();
  }
  // The faults' own generator, so that the traffic is the same with and without them.
  std::mt19937_64 fault_rng(o.seed ^ 0xfa017fa017ull);
  {
    driver::NicOptions nopt;
    nopt.tx_csum = nopt.tso = nopt.rx_csum = o.offloads;
    std::unique_ptr<driver::Nic> nic;
    try {
      nic = std::make_unique<driver::Nic>(*dev, nopt);
    } catch (const std::exception &e) {
      fmt::print(stderr, "mbufnic {}: cannot bring the card up: {}\n", o.command, e.what());
      return r;
    }
    if (o.mtu != 0 && o.mtu != nic->mtu()) {
      try {
        nic->SetMtu(o.mtu);
      } catch (const std::exception &e) {
        fmt::print(stderr, "mbufnic {}: cannot set the card's MTU: {}\n", o.command, e.what());
        return r;
      }
    }
    r.card_id = nic->card_id();
    r.caps = nic->caps();
    r.tx_queues = nic->card_tx_queues();
    r.rx_queues = nic->card_rx_queues();
    const std::uint64_t start_cycle = dev->Now();
    const auto at = [&](bool done) {
      WorkloadProgress p;
      p.sends = traffic.sent().sends;
      p.frames = traffic.received().frames;
      p.wire_bytes = wire != nullptr ? wire->sent_bytes() : traffic.received().bytes;
      p.cycles = dev->Now() - start_cycle;
      p.clock_mhz = dev->ClockMhz();
      p.wall_seconds = Seconds(wall0);
      p.done = done;
      return p;
    };

    // Send in bursts, let the card run, take what came back; until every frame is back.
    std::vector<struct mbuf *> pending;
    std::uint64_t built = 0, limit = o.sends;
    std::uint64_t last_progress = dev->Now(), last_frames = 0, last_built = 0;
    auto last_report = Clock::now();
    const auto handler = [&](int, struct mbuf *m) { traffic.Check(m); };
    // The frames the card sent: matched to their sends when frames may be lost, else let go
    // (the wire keeps each one until it is taken).
    const auto drain_wire = [&] {
      if (wire == nullptr) return;
      for (const sim::WireFrame &f : wire->TakeSent()) traffic.OnWire(f.data.data(), f.data.size());
    };
    WorkloadResult::Faults &fr = r.faults;
    const auto inject_fault = [&] {
      const auto between = [&](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(fault_rng);
      };
      switch (fault_rng() % 4) {
        case 0:
          mem->InjectBufferError(false);
          ++fr.tx_dma;
          break;
        case 1:
          mem->InjectBufferError(true);
          ++fr.rx_dma;
          break;
        case 2: {
          const std::uint64_t n = between(1000, 40000);
          wire->Pause(dev->Now(), n);
          ++fr.link_pauses;
          fr.link_pause_cycles += n;
          break;
        }
        default: {
          const std::uint64_t n = between(20000, 200000);
          dev->Run(n);  // the host is busy elsewhere: no completion taken, no buffer posted
          ++fr.host_pauses;
          fr.host_pause_cycles += n;
          break;
        }
      }
    };
    // With faults the frames lost are not known until the end: the run is over when every
    // send has completed and every frame the wire carried is accounted for by the receiving
    // side (handed up, or counted by the driver or the card as dropped).
    const auto all_settled = [&] {
      if (nic->TxFree(0) < nopt.tx_ring_size - 1 || wire->rx_pending() != 0) return false;
      const std::uint64_t card_drops =
          dev->Read32(csr::port::kBase + csr::port::kRxDropNobuf) +
          std::uint64_t{dev->Read32(csr::port::kBase + csr::port::kRxDropBad)};
      const driver::RxQueueStats &rx = nic->rx_stats(0);
      return traffic.received().frames + rx.errors + rx.drops + card_drops >= wire->sent_frames();
    };
    for (;;) {
      if (o.duration > 0 && limit > built && Seconds(wall0) >= o.duration) {
        limit = built;  // time is up: what was built still goes out
        r.stopped_by_time = true;
      }
      while (pending.size() < kBurst && built < limit) {
        ++built;
        if (struct mbuf *m = traffic.NextSend()) pending.push_back(m);
        if (faults && fault_rng() % o.fault_every == 0) inject_fault();
      }
      if (!pending.empty()) {
        const int n = nic->Transmit(0, pending.data(), static_cast<int>(pending.size()));
        pending.erase(pending.begin(), pending.begin() + n);
      }
      nic->Poll(kPollCycles, handler);
      drain_wire();
      const std::uint64_t frames = traffic.received().frames;
      if (built == limit && pending.empty() &&
          (faults ? all_settled() : frames >= traffic.sent().expected_frames)) {
        break;
      }
      if (frames != last_frames || built != last_built) {
        last_frames = frames;
        last_built = built;
        last_progress = dev->Now();
      } else if (dev->Now() - last_progress > kStallCycles) {
        r.failures.push_back(
            fmt::format("no frame came back for {} cycles: {} of {} expected frames received",
                        kStallCycles, frames, traffic.sent().expected_frames));
        break;
      }
      if (progress && Clock::now() - last_report >= kProgressEvery) {
        last_report = Clock::now();
        progress(at(false));
      }
    }
    for (struct mbuf *m : pending) m_freem(m);
    // The last completions.
    for (int i = 0; i < 100 && nic->TxFree(0) < nopt.tx_ring_size - 1; ++i) {
      nic->Poll(kPollCycles, handler);
    }
    drain_wire();
    if (progress) progress(at(true));
    r.cycles = dev->Now() - start_cycle;
    r.tx = nic->tx_stats(0);
    r.rx = nic->rx_stats(0);
    // The card's counters through its firmware (admin read_stats), as a user's tool asks.
    r.counters = nic->ReadStats();
    for (int q = 0; q < std::max(r.tx_queues, r.rx_queues); ++q) {
      r.queues.push_back(
          nic->ReadStats(std::min(q, r.tx_queues - 1), std::min(q, r.rx_queues - 1)));
    }
    // Detach: every ring and buffer goes back to the runtime.
  }
  r.opened = true;
  const bool have_wire = wire != nullptr;
  if (have_wire) {
    r.wire_frames = wire->sent_frames();
    r.wire_bytes = wire->sent_bytes();
  }
  if (mem != nullptr) {
    violations = mem->violations();
    r.faults.tx_dma_answered = mem->injected_read_errors();
    r.faults.rx_dma_answered = mem->injected_write_errors();
  }
  r.clock_mhz = dev->ClockMhz();
  r.backend = std::string(dev->Name());
  dev.reset();  // closes the capture
  traffic.Finish();
  r.sent = traffic.sent();
  r.received = traffic.received();
  r.flow_stats = traffic.flow_stats();
  r.flows = traffic.flows();
  for (const std::string &e : traffic.errors()) r.failures.push_back(e);
  if (r.received.errors > traffic.errors().size()) {
    r.failures.push_back(fmt::format("... {} failed checks in all", r.received.errors));
  }
  r.losses = traffic.losses();
  r.dma_violations = violations.size();
  for (const std::string &v : violations) r.failures.push_back("DMA violation: " + v);
  const device::Counters &cc = r.counters;
  const std::uint64_t card_rx_drops = std::uint64_t{cc.port_rx_drop_nobuf} + cc.port_rx_drop_bad;
  if (faults) {
    CheckFaultLosses(r, o, card_rx_drops);
  } else {
    if (r.tx.errors != 0) r.failures.push_back(fmt::format("{} transmit errors", r.tx.errors));
    if (r.wire_frames != r.sent.expected_frames) {
      r.failures.push_back(
          fmt::format("{} frames on the wire, {} expected", r.wire_frames, r.sent.expected_frames));
    }
  }
  // Every frame accounted for by counts kept apart: the host's (the frames its sends make, the
  // frames it took back), the wire model's, and the card's own port counters (32 bits, so
  // compared modulo 2^32).  Looped back, every frame on the wire reaches the card's receive
  // port (rx_frames counts them all), which hands it up or counts it dropped.
  const auto lo = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  r.accounting.card_tx_frames = cc.port_tx_frames;
  r.accounting.card_rx_frames = cc.port_rx_frames;
  r.accounting.card_rx_drops = card_rx_drops;
  if (have_wire) {
    if (cc.port_tx_frames != lo(r.wire_frames)) {
      r.failures.push_back(fmt::format("accounting: the card counted {} frames sent, the wire {}",
                                       cc.port_tx_frames, r.wire_frames));
    }
    if (cc.port_rx_frames != lo(r.wire_frames)) {
      r.failures.push_back(fmt::format("accounting: {} frames on the wire, the card took {}",
                                       r.wire_frames, cc.port_rx_frames));
    }
  }
  // What the card did not drop it handed up; the frames of those the driver counted as errors
  // (a failed buffer write) or dropped (no replacement buffer) never reach the host.
  const std::uint64_t host_lost = r.rx.errors + r.rx.drops;
  if (lo(cc.port_rx_frames - card_rx_drops) != lo(r.received.frames + host_lost)) {
    r.failures.push_back(
        fmt::format("accounting: the card took {} frames and dropped {}, the host got {} and the "
                    "driver lost {}",
                    cc.port_rx_frames, card_rx_drops, r.received.frames, host_lost));
  }
  if (!faults && card_rx_drops != 0) {
    r.failures.push_back(fmt::format("the card dropped {} received frames",
                                     cc.port_rx_drop_nobuf + cc.port_rx_drop_bad));
  }
  // The flows' send buffers go back (what the peer never acknowledged is still in them).
  traffic_owner.reset();
  r.mbufs_returned = ZonesInUse() == zones0;
  if (!r.mbufs_returned) {
    r.failures.push_back("mbufs or clusters were not given back (see netstat -m)");
  }
  r.wall_seconds = Seconds(wall0);
  return r;
}

std::string Caps(std::uint32_t caps) {
  std::string s;
  auto add = [&](std::uint32_t mask, const char *name) {
    if ((caps & mask) != 0) s += (s.empty() ? "" : ", ") + std::string(name);
  };
  add(csr::card::caps::kTxCsumMask, "tx checksum");
  add(csr::card::caps::kRxCsumMask, "rx checksum");
  add(csr::card::caps::kTsoMask, "TSO/USO");
  return s.empty() ? "none" : s;
}

std::string Bytes(std::uint64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.1f} MB", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f} kB", static_cast<double>(n) / 1e3);
  return fmt::format("{} B", n);
}

nlohmann::json CountersJson(const device::Counters &c) {
  nlohmann::json j = nlohmann::json::object();
  for (const CounterRow &row : CounterRows(c)) {
    j[fmt::format("{}_{}", row.block, row.name)] = row.value;
  }
  return j;
}

nlohmann::json WorkloadJson(const WorkloadResult &r, const WorkloadOptions &o) {
  const SendStats &sent = r.sent;
  const RecvStats &recv = r.received;
  nlohmann::json j;
  j["ok"] = r.ok();
  j["backend"] = r.backend;
  j["seed"] = o.seed;
  j["offloads"] = o.offloads;
  j["card"] = {{"id", r.card_id}, {"caps", Caps(r.caps)}};
  j["sent"] = {{"sends", sent.sends},           {"payload_bytes", sent.payload_bytes},
               {"tso_sends", sent.tso_sends},   {"csum_sends", sent.csum_sends},
               {"vlan_sends", sent.vlan_sends}, {"expected_frames", sent.expected_frames}};
  j["wire"] = {{"frames", r.wire_frames}, {"bytes", r.wire_bytes}, {"pcap", o.pcap}};
  // Frames counted at each step: the same number throughout when nothing was lost.
  j["accounting"] = {{"expected_frames", sent.expected_frames},
                     {"card_tx_frames", r.accounting.card_tx_frames},
                     {"wire_frames", r.wire_frames},
                     {"card_rx_frames", r.accounting.card_rx_frames},
                     {"card_rx_drops", r.accounting.card_rx_drops},
                     {"received_frames", recv.frames}};
  if (o.fault_every > 0) {
    const WorkloadResult::Faults &f = r.faults;
    j["faults"] = {{"every", o.fault_every},
                   {"tx_dma", f.tx_dma},
                   {"tx_dma_answered", f.tx_dma_answered},
                   {"rx_dma", f.rx_dma},
                   {"rx_dma_answered", f.rx_dma_answered},
                   {"link_pauses", f.link_pauses},
                   {"link_pause_cycles", f.link_pause_cycles},
                   {"host_pauses", f.host_pauses},
                   {"host_pause_cycles", f.host_pause_cycles}};
    j["losses"] = {{"tx_frames", r.losses.tx_frames},
                   {"tx_sends", r.losses.tx_sends},
                   {"tx_partial_sends", r.losses.tx_partial},
                   {"rx_frames", r.losses.rx_frames},
                   {"driver_tx_errors", r.tx.errors},
                   {"driver_rx_errors", r.rx.errors},
                   {"driver_rx_drops", r.rx.drops}};
  }
  j["received"] = {{"frames", recv.frames},
                   {"bytes", recv.bytes},
                   {"payload_bytes", recv.payload_bytes},
                   {"l3_valid", recv.l3_valid},
                   {"l4_valid", recv.l4_valid},
                   {"not_checked", recv.not_checked},
                   {"vlan", recv.vlan},
                   {"errors", recv.errors}};
  j["card_counters"] = CountersJson(r.counters);
  j["driver"] = {{"tx_packets", r.tx.packets},  {"tx_errors", r.tx.errors},
                 {"sw_csum", r.tx.sw_csum},     {"sw_tso", r.tx.sw_tso},
                 {"collapses", r.tx.collapses}, {"defrags", r.tx.defrags},
                 {"rx_packets", r.rx.packets},  {"rx_errors", r.rx.errors}};
  nlohmann::json flows = nlohmann::json::array();
  for (std::size_t i = 0; i < r.flow_stats.size(); ++i) {
    const Traffic::FlowStats &fs = r.flow_stats[i];
    const FlowSpec &f = r.flows[i];
    flows.push_back({{"name", f.name},
                     {"l3", f.l3 == L3::kIpv4 ? "ipv4" : "ipv6"},
                     {"l4", f.l4 == L4::kTcp ? "tcp" : "udp"},
                     {"vlan", f.vlan},
                     {"tso", f.tso},
                     {"mss", f.l4 == L4::kTcp ? nlohmann::json(f.mss) : nlohmann::json()},
                     {"min_len", f.min_len},
                     {"max_len", f.max_len},
                     {"sends", fs.sends},
                     {"sent_bytes", fs.sent_bytes},
                     {"frames", fs.frames},
                     {"received_bytes", fs.recv_bytes}});
  }
  j["flows"] = flows;
  j["cycles"] = r.cycles;
  j["clock_mhz"] = r.clock_mhz;
  j["simulated_us"] = r.simulated_us();
  j["wire_gbps"] = r.wire_gbps();
  j["wall_seconds"] = r.wall_seconds;
  j["cycles_per_second"] = r.cycles_per_second();
  j["mbufs_returned"] = r.mbufs_returned;
  j["dma_violations"] = r.dma_violations;
  j["failures"] = r.failures;
  return j;
}

void PrintSummary(const WorkloadResult &r, const WorkloadOptions &o, const SummaryStyle &style) {
  const SendStats &sent = r.sent;
  const RecvStats &recv = r.received;
  const device::Counters &cc = r.counters;
  fmt::print("mbufnic {}: the card on backend '{}', card id {:#010x} ({})\n", o.command, r.backend,
             r.card_id, Caps(r.caps));
  fmt::print(
      "  sent      {} sends in {} flows {}, {} of payload: "
      "{} TSO requests, {} tagged for a VLAN\n",
      sent.sends, r.flows.size(), style.what_flows, Bytes(sent.payload_bytes), sent.tso_sends,
      sent.vlan_sends);
  if (o.offloads) {
    fmt::print(
        "  card      checksums inserted in {} frames; {} TSO requests cut into {} segments\n",
        cc.csum_tx_frames, cc.tso_requests, cc.tso_segments);
  } else {
    fmt::print("  driver    offloads off: {} checksums and {} TSO sends done in software\n",
               r.tx.sw_csum, r.tx.sw_tso);
  }
  fmt::print("  wire      {} frames, {} (capture: {})\n", r.wire_frames, Bytes(r.wire_bytes),
             o.pcap.empty() ? "none" : o.pcap);
  if (o.fault_every > 0) {
    const WorkloadResult::Faults &f = r.faults;
    fmt::print(
        "  faults    {} injected: {} tx DMA ({} answered), {} rx DMA ({} answered), {} link "
        "pauses ({} cycles), {} host pauses ({} cycles)\n",
        f.total(), f.tx_dma, f.tx_dma_answered, f.rx_dma, f.rx_dma_answered, f.link_pauses,
        f.link_pause_cycles, f.host_pauses, f.host_pause_cycles);
    fmt::print(
        "  lost      {} frames on transmit ({} sends short, each a counted tx error), "
        "{} on receive (card drops {}, driver errors {} and drops {})\n",
        r.losses.tx_frames, r.losses.tx_sends + r.losses.tx_partial, r.losses.rx_frames,
        r.accounting.card_rx_drops, r.rx.errors, r.rx.drops);
  }
  fmt::print("  received  {} frames, {} of payload checked byte for byte, in order per flow\n",
             recv.frames, Bytes(recv.payload_bytes));
  if (o.offloads) {
    fmt::print("  rx csum   card says good: {} IPv4 headers, {} TCP/UDP; bad: {} and {}\n",
               recv.l3_valid, recv.l4_valid, cc.csum_rx_l3_bad, cc.csum_rx_l4_bad);
  } else {
    fmt::print("  rx csum   off on the card; every checksum checked in software\n");
  }
  fmt::print(
      "  time      {} cycles = {:.1f} us at {:.0f} MHz, {:.1f} Gb/s on the wire; "
      "{:.2f} s wall, {:.0f} k cycles/s\n",
      r.cycles, r.simulated_us(), r.clock_mhz, r.wire_gbps(), r.wall_seconds,
      r.cycles_per_second() / 1e3);
  if (style.rates) {
    fmt::print("  rate      {:.0f} frames and {:.0f} sends per wall second{}\n",
               r.frames_per_second(),
               r.wall_seconds > 0 ? static_cast<double>(sent.sends) / r.wall_seconds : 0,
               r.stopped_by_time ? "; stopped by the duration" : "");
  }
  if (style.verbose) {
    std::size_t width = 14;
    for (const FlowSpec &f : r.flows) width = std::max(width, f.name.size());
    fmt::print("\n  {:<{}} {:>6} {:>12} {:>7} {:>12}\n", "flow", width, "sends", "bytes sent",
               "frames", "bytes back");
    for (std::size_t i = 0; i < r.flow_stats.size(); ++i) {
      const Traffic::FlowStats &fs = r.flow_stats[i];
      fmt::print("  {:<{}} {:>6} {:>12} {:>7} {:>12}\n", r.flows[i].name, width, fs.sends,
                 fs.sent_bytes, fs.frames, fs.recv_bytes);
    }
    fmt::print(
        "\n  card counters: port tx {} frames / {} bytes, rx {} frames / {} bytes, "
        "rx drops {} + {}; csum tx {} rx {}; tso requests {} segments {} errors {}\n",
        cc.port_tx_frames, cc.port_tx_bytes, cc.port_rx_frames, cc.port_rx_bytes,
        cc.port_rx_drop_nobuf, cc.port_rx_drop_bad, cc.csum_tx_frames, cc.csum_rx_frames,
        cc.tso_requests, cc.tso_segments, cc.tso_errors);
    fmt::print("  driver: {} collapsed, {} defragmented chains; {} DMA violations\n",
               r.tx.collapses, r.tx.defrags, r.dma_violations);
  }
  if (r.ok() && o.fault_every > 0) {
    fmt::print(
        "  result    every frame lost to a fault was counted, the rest came back intact; no DMA "
        "violation; every mbuf given back\n\n");
  } else if (r.ok()) {
    fmt::print(
        "  result    every packet came back intact; no DMA violation; every mbuf given back\n\n");
  } else {
    fmt::print("  result    FAILED:\n");
    for (const std::string &f : r.failures) fmt::print("    {}\n", f);
    fmt::print("\n");
  }
  std::fflush(stdout);
  if (style.stat) {
    PrintStat(r, style.verbose);
  } else {
    mbufnic_print_netstat_m(stdout);
  }
}

void PrintStat(const WorkloadResult &r, bool verbose) {
  // Two counters a line, grouped by block: "port  tx_frames  3227  tx_bytes  4528732".
  fmt::print("card counters (the firmware's read_stats: csum, tso, port and card blocks):\n");
  const std::vector<CounterRow> rows = CounterRows(r.counters);
  std::string block;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const bool first = rows[i].block != block;
    if (first) block = rows[i].block;
    const bool pair = i + 1 < rows.size() && rows[i + 1].block == block;
    fmt::print("  {:<5} {:<14}{:>12}", first ? block : "", rows[i].name, rows[i].value);
    if (pair) {
      ++i;
      fmt::print("   {:<14}{:>12}", rows[i].name, rows[i].value);
    }
    fmt::print("\n");
  }
  // Each queue on one line: transmit (txq) counters, then receive (rxq) counters.
  constexpr std::array<int, 4> kWidth = {10, 14, 7, 7};  // packets, bytes, drops, errors
  fmt::print("\nqueue counters (the firmware's read_stats: txq and rxq blocks):\n");
  fmt::print("  {:>5} {:-^43} {:-^43}\n  {:>5}", "", " transmit ", " receive ", "queue");
  const std::vector<CounterRow> heads = QueueRows(device::Counters{});
  for (std::size_t i = 0; i < heads.size(); ++i) {
    fmt::print(" {:>{}}", heads[i].name, kWidth[i % kWidth.size()] + (i % 4 == 0 ? 2 : 0));
  }
  fmt::print("\n");
  for (std::size_t q = 0; q < r.queues.size(); ++q) {
    fmt::print("  {:>5}", q);
    const std::vector<CounterRow> row = QueueRows(r.queues[q]);
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool has = row[i].block[0] == 't' ? q < static_cast<std::size_t>(r.tx_queues)
                                              : q < static_cast<std::size_t>(r.rx_queues);
      fmt::print(" {:>{}}", has ? fmt::format("{}", row[i].value) : "-",
                 kWidth[i % kWidth.size()] + (i % 4 == 0 ? 2 : 0));
    }
    fmt::print("\n");
  }
  fmt::print("\n");
  std::fflush(stdout);
  mbufnic_print_netstat_m(stdout);
  if (verbose) {
    std::printf("\n");
    mbufnic_print_vmstat_z(stdout);
  }
  std::fflush(stdout);
}

nlohmann::json StatJson(const WorkloadResult &r) {
  nlohmann::json j;
  j["card_counters"] = CountersJson(r.counters);
  nlohmann::json queues = nlohmann::json::array();
  for (std::size_t q = 0; q < r.queues.size(); ++q) {
    nlohmann::json one = {{"queue", q}};
    for (const CounterRow &row : QueueRows(r.queues[q])) {
      const bool has = row.block[0] == 't' ? q < static_cast<std::size_t>(r.tx_queues)
                                           : q < static_cast<std::size_t>(r.rx_queues);
      if (has) one[fmt::format("{}_{}", row.block, row.name)] = row.value;
    }
    queues.push_back(one);
  }
  j["queues"] = queues;
  mbufnic_thread_cache_drain();
  nlohmann::json zones = nlohmann::json::array();
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
    struct mbufnic_zone_stats st {};
    mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
    zones.push_back({{"name", st.name},
                     {"size", st.size},
                     {"limit", st.limit},
                     {"used", st.used},
                     {"free", st.free},
                     {"requests", st.requests},
                     {"failures", st.failures},
                     {"sleeps", st.sleeps}});
  }
  j["zones"] = zones;
  return j;
}

}  // namespace mbufnic::cli
