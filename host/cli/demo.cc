// `mbufnic demo` (demo.h).
#include "demo.h"

#include <fmt/core.h>
#include <sys/mbuf.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "traffic.h"

namespace mbufnic::cli {

namespace {

namespace csr = hw::csr;

constexpr int kBurst = 32;                  // chains per Transmit call
constexpr std::uint64_t kPollCycles = 500;  // card cycles between two looks of the driver
// The card made no progress for this long: it is stuck (it never should be).
constexpr std::uint64_t kStallCycles = 2'000'000;

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

}  // namespace

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

int RunDemo(const DemoOptions &o) {
  const auto wall0 = std::chrono::steady_clock::now();
  const auto zones0 = ZonesInUse();
  std::unique_ptr<device::Device> dev =
      OpenLoopbackCard("demo", o.backend, o.seed, o.pcap, o.trace);
  if (dev == nullptr) return 2;

  auto traffic_owner = std::make_unique<Traffic>(DemoFlows(), o.seed, o.offloads);
  Traffic &traffic = *traffic_owner;
  std::vector<std::string> failures;
  std::uint64_t cycles = 0, start_cycle = 0;
  std::uint32_t card_id = 0, caps = 0;
  int ring = 0;
  driver::TxQueueStats txs;
  driver::RxQueueStats rxs;
  device::Counters cc;
  std::uint64_t wire_frames = 0, wire_bytes = 0;
  std::vector<std::string> violations;
  {
    driver::NicOptions nopt;
    nopt.tx_csum = nopt.tso = nopt.rx_csum = o.offloads;
    std::unique_ptr<driver::Nic> nic;
    try {
      nic = std::make_unique<driver::Nic>(*dev, nopt);
    } catch (const std::exception &e) {
      fmt::print(stderr, "mbufnic demo: cannot bring the card up: {}\n", e.what());
      return 2;
    }
    card_id = nic->card_id();
    caps = nic->caps();
    ring = nopt.tx_ring_size;
    start_cycle = dev->Now();

    // Send in bursts, let the card run, take what came back; until every frame is back.
    std::vector<struct mbuf *> pending;
    int built = 0;
    std::uint64_t last_progress = dev->Now(), last_frames = 0, last_built = 0;
    const auto handler = [&](int, struct mbuf *m) { traffic.Check(m); };
    for (;;) {
      while (pending.size() < kBurst && built < o.sends) {
        ++built;
        if (struct mbuf *m = traffic.NextSend()) pending.push_back(m);
      }
      if (!pending.empty()) {
        const int n = nic->Transmit(0, pending.data(), static_cast<int>(pending.size()));
        pending.erase(pending.begin(), pending.begin() + n);
      }
      nic->Poll(kPollCycles, handler);
      const std::uint64_t frames = traffic.received().frames;
      if (built == o.sends && pending.empty() && frames >= traffic.sent().expected_frames) break;
      if (frames != last_frames || static_cast<std::uint64_t>(built) != last_built) {
        last_frames = frames;
        last_built = static_cast<std::uint64_t>(built);
        last_progress = dev->Now();
      } else if (dev->Now() - last_progress > kStallCycles) {
        failures.push_back(
            fmt::format("no frame came back for {} cycles: {} of {} expected frames received",
                        kStallCycles, frames, traffic.sent().expected_frames));
        break;
      }
    }
    for (struct mbuf *m : pending) m_freem(m);
    // The last completions.
    for (int i = 0; i < 100 && nic->TxFree(0) < ring - 1; ++i) nic->Poll(kPollCycles, handler);
    cycles = dev->Now() - start_cycle;
    txs = nic->tx_stats(0);
    rxs = nic->rx_stats(0);
    cc = device::ReadCounters(*dev);
    // Detach: every ring and buffer goes back to the runtime.
  }
  if (sim::Wire *w = dev->wire()) {
    wire_frames = w->sent_frames();
    wire_bytes = w->sent_bytes();
  }
  if (sim::HostMemory *mem = dev->memory()) violations = mem->violations();
  const double mhz = dev->ClockMhz();
  const std::string backend(dev->Name());
  dev.reset();  // closes the capture
  traffic.Finish();
  const SendStats sent = traffic.sent();
  const RecvStats recv = traffic.received();
  const std::vector<Traffic::FlowStats> fs = traffic.flow_stats();
  std::vector<std::string> flow_names;
  for (const FlowSpec &f : traffic.flows()) flow_names.push_back(f.name);
  for (const std::string &e : traffic.errors()) failures.push_back(e);
  if (recv.errors > traffic.errors().size()) {
    failures.push_back(fmt::format("... {} failed checks in all", recv.errors));
  }
  for (const std::string &v : violations) failures.push_back("DMA violation: " + v);
  if (txs.errors != 0) failures.push_back(fmt::format("{} transmit errors", txs.errors));
  if (wire_frames != sent.expected_frames) {
    failures.push_back(
        fmt::format("{} frames on the wire, {} expected", wire_frames, sent.expected_frames));
  }
  if (cc.port_rx_drop_nobuf + cc.port_rx_drop_bad != 0) {
    failures.push_back(fmt::format("the card dropped {} received frames",
                                   cc.port_rx_drop_nobuf + cc.port_rx_drop_bad));
  }
  // The flows' send buffers go back (what the peer never acknowledged is still in them).
  traffic_owner.reset();
  const auto zones1 = ZonesInUse();
  const bool leak_free = zones1 == zones0;
  if (!leak_free) failures.push_back("mbufs or clusters were not given back (see netstat -m)");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double sim_us = static_cast<double>(cycles) / mhz;
  const double gbps = sim_us > 0 ? static_cast<double>(wire_bytes) * 8 / (sim_us * 1e3) : 0;
  const bool ok = failures.empty();
  std::uint64_t tso_frames = 0;  // segments the card (or the driver) made of TSO sends
  if (o.offloads) tso_frames = cc.tso_segments;

  if (o.json) {
    nlohmann::json j;
    j["ok"] = ok;
    j["backend"] = backend;
    j["seed"] = o.seed;
    j["offloads"] = o.offloads;
    j["card"] = {{"id", card_id}, {"caps", Caps(caps)}};
    j["sent"] = {{"sends", sent.sends},           {"payload_bytes", sent.payload_bytes},
                 {"tso_sends", sent.tso_sends},   {"csum_sends", sent.csum_sends},
                 {"vlan_sends", sent.vlan_sends}, {"expected_frames", sent.expected_frames}};
    j["wire"] = {{"frames", wire_frames}, {"bytes", wire_bytes}, {"pcap", o.pcap}};
    j["received"] = {{"frames", recv.frames},
                     {"bytes", recv.bytes},
                     {"payload_bytes", recv.payload_bytes},
                     {"l3_valid", recv.l3_valid},
                     {"l4_valid", recv.l4_valid},
                     {"not_checked", recv.not_checked},
                     {"vlan", recv.vlan},
                     {"errors", recv.errors}};
    j["card_counters"] = {{"csum_tx_frames", cc.csum_tx_frames},
                          {"csum_rx_frames", cc.csum_rx_frames},
                          {"csum_rx_l3_bad", cc.csum_rx_l3_bad},
                          {"csum_rx_l4_bad", cc.csum_rx_l4_bad},
                          {"tso_requests", cc.tso_requests},
                          {"tso_segments", cc.tso_segments},
                          {"tso_errors", cc.tso_errors},
                          {"port_tx_frames", cc.port_tx_frames},
                          {"port_tx_bytes", cc.port_tx_bytes},
                          {"port_rx_frames", cc.port_rx_frames},
                          {"port_rx_bytes", cc.port_rx_bytes},
                          {"port_rx_drop_nobuf", cc.port_rx_drop_nobuf},
                          {"port_rx_drop_bad", cc.port_rx_drop_bad}};
    j["driver"] = {{"tx_packets", txs.packets},  {"tx_errors", txs.errors},
                   {"sw_csum", txs.sw_csum},     {"sw_tso", txs.sw_tso},
                   {"collapses", txs.collapses}, {"defrags", txs.defrags},
                   {"rx_packets", rxs.packets},  {"rx_errors", rxs.errors}};
    nlohmann::json flows = nlohmann::json::array();
    for (std::size_t i = 0; i < fs.size(); ++i) {
      flows.push_back({{"name", flow_names[i]},
                       {"sends", fs[i].sends},
                       {"sent_bytes", fs[i].sent_bytes},
                       {"frames", fs[i].frames},
                       {"received_bytes", fs[i].recv_bytes}});
    }
    j["flows"] = flows;
    j["cycles"] = cycles;
    j["clock_mhz"] = mhz;
    j["simulated_us"] = sim_us;
    j["wire_gbps"] = gbps;
    j["wall_seconds"] = wall;
    j["cycles_per_second"] = wall > 0 ? static_cast<double>(cycles) / wall : 0;
    j["mbufs_returned"] = leak_free;
    j["dma_violations"] = violations.size();
    j["failures"] = failures;
    fmt::print("{}\n", j.dump(2));
    return ok ? 0 : 1;
  }

  fmt::print("mbufnic demo: the card on backend '{}', card id {:#010x} ({})\n", backend, card_id,
             Caps(caps));
  fmt::print(
      "  sent      {} sends in {} flows (TCP and UDP over IPv4 and IPv6), {} of payload: "
      "{} TSO requests, {} tagged for a VLAN\n",
      sent.sends, flow_names.size(), Bytes(sent.payload_bytes), sent.tso_sends, sent.vlan_sends);
  if (o.offloads) {
    fmt::print(
        "  card      checksums inserted in {} frames; {} TSO requests cut into {} segments\n",
        cc.csum_tx_frames, cc.tso_requests, tso_frames);
  } else {
    fmt::print("  driver    offloads off: {} checksums and {} TSO sends done in software\n",
               txs.sw_csum, txs.sw_tso);
  }
  fmt::print("  wire      {} frames, {} (capture: {})\n", wire_frames, Bytes(wire_bytes),
             o.pcap.empty() ? "none" : o.pcap);
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
      cycles, sim_us, mhz, gbps, wall, wall > 0 ? static_cast<double>(cycles) / wall / 1e3 : 0);
  if (o.verbose) {
    fmt::print("\n  {:<14} {:>6} {:>12} {:>7} {:>12}\n", "flow", "sends", "bytes sent", "frames",
               "bytes back");
    for (std::size_t i = 0; i < fs.size(); ++i) {
      fmt::print("  {:<14} {:>6} {:>12} {:>7} {:>12}\n", flow_names[i], fs[i].sends,
                 fs[i].sent_bytes, fs[i].frames, fs[i].recv_bytes);
    }
    fmt::print(
        "\n  card counters: port tx {} frames / {} bytes, rx {} frames / {} bytes, "
        "rx drops {} + {}; csum tx {} rx {}; tso requests {} segments {} errors {}\n",
        cc.port_tx_frames, cc.port_tx_bytes, cc.port_rx_frames, cc.port_rx_bytes,
        cc.port_rx_drop_nobuf, cc.port_rx_drop_bad, cc.csum_tx_frames, cc.csum_rx_frames,
        cc.tso_requests, cc.tso_segments, cc.tso_errors);
    fmt::print("  driver: {} collapsed, {} defragmented chains; {} DMA violations\n", txs.collapses,
               txs.defrags, violations.size());
  }
  if (ok) {
    fmt::print(
        "  result    every packet came back intact; no DMA violation; every mbuf given back\n\n");
  } else {
    fmt::print("  result    FAILED:\n");
    for (const std::string &f : failures) fmt::print("    {}\n", f);
    fmt::print("\n");
  }
  std::fflush(stdout);
  mbufnic_print_netstat_m(stdout);
  return ok ? 0 : 1;
}

}  // namespace mbufnic::cli
