// Open() and the backend registry: "model" is built in, everything else registers itself
// (registry.h).
#include "mbufnic/device.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>

#include "mbufnic/hw/nic_hw.h"
#include "model_device.h"
#include "registry.h"

namespace mbufnic::device {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendFactory> factories;  // sorted: Backends() lists them in order
  std::map<std::string, NamedBackendFactory> families;  // by base name ("xrt")
};

Registry& TheRegistry() {
  // Built on first use, so a backend may register from a static initialiser of any library.
  static Registry* r = [] {
    auto* reg = new Registry;
    reg->factories.emplace("model", [](const Options& o) -> std::unique_ptr<Device> {
      return std::make_unique<ModelDevice>(o);
    });
    return reg;
  }();
  return *r;
}

}  // namespace

void RegisterBackend(std::string name, BackendFactory factory) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.factories.insert_or_assign(std::move(name), std::move(factory));
}

void RegisterBackendFamily(std::string base, NamedBackendFactory factory) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.families.insert_or_assign(std::move(base), std::move(factory));
}

std::vector<std::string> Backends() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  for (const auto& [base, factory] : r.families) names.push_back(base);
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<Device> Open(std::string_view name, const Options& options) {
  const std::string_view base = name.substr(0, name.find(':'));
  BackendFactory factory;
  NamedBackendFactory family;
  {
    Registry& r = TheRegistry();
    std::lock_guard lock(r.mu);
    if (auto it = r.factories.find(std::string(name)); it != r.factories.end()) {
      factory = it->second;
    } else if (auto f = r.families.find(std::string(base)); f != r.families.end()) {
      family = f->second;
    }
  }
  // Made outside the lock: a factory may take long (building a model) or open another device.
  if (family) return family(name, options);
  if (!factory) {
    std::string list;
    for (const std::string& n : Backends()) list += (list.empty() ? "" : ", ") + n;
    // Backends the project knows but this build lacks say what they need.
    std::string why = "unknown device '" + std::string(name) + "'";
    if (base == "xrt") {
      why = "device '" + std::string(name) +
            "': the xrt backend (a real Alveo card) is not in this build; it is built when CMake "
            "finds XRT (set XRT_DIR)";
    } else if (base == "systemc") {
      why =
          "device 'systemc': the SystemC/TLM-2.0 backend is not in this build; it is built "
          "with the RTL when SystemC is installed (libsystemc-dev) and MBUFNIC_BUILD_SYSTEMC "
          "is on";
    }
    throw DeviceError(why + "; this build has: " + list);
  }
  return factory(options);
}

std::string Counters::ToString() const {
  std::ostringstream o;
  o << "csum.tx_frames=" << csum_tx_frames << " csum.tx_errors=" << csum_tx_errors
    << " csum.rx_frames=" << csum_rx_frames << " csum.rx_l3_bad=" << csum_rx_l3_bad
    << " csum.rx_l4_bad=" << csum_rx_l4_bad << " tso.requests=" << tso_requests
    << " tso.segments=" << tso_segments << " tso.errors=" << tso_errors
    << " port.tx_frames=" << port_tx_frames << " port.tx_bytes=" << port_tx_bytes
    << " port.rx_frames=" << port_rx_frames << " port.rx_bytes=" << port_rx_bytes
    << " port.rx_drop_nobuf=" << port_rx_drop_nobuf << " port.rx_drop_bad=" << port_rx_drop_bad
    << " port.dma_rd_err=" << port_dma_rd_err << " port.dma_wr_err=" << port_dma_wr_err
    << " card.host_denied=" << host_denied << " txq.packets=" << txq_packets
    << " txq.bytes=" << txq_bytes << " txq.drops=" << txq_drops << " txq.errors=" << txq_errors
    << " rxq.packets=" << rxq_packets << " rxq.bytes=" << rxq_bytes << " rxq.drops=" << rxq_drops
    << " rxq.errors=" << rxq_errors;
  return o.str();
}

Counters ReadCounters(Device& dev, unsigned txq, unsigned rxq) {
  namespace csr = hw::csr;
  Counters c;
  auto rd = [&](std::uint32_t off) { return dev.Read32(off); };
  auto rd64 = [&](std::uint32_t lo, std::uint32_t hi) {
    const std::uint64_t l = rd(lo);  // latches the high word
    return l | (std::uint64_t{rd(hi)} << 32);
  };
  c.csum_tx_frames = rd(csr::csum::kBase + csr::csum::kTxFrames);
  c.csum_tx_errors = rd(csr::csum::kBase + csr::csum::kTxErrors);
  c.csum_rx_frames = rd(csr::csum::kBase + csr::csum::kRxFrames);
  c.csum_rx_l3_bad = rd(csr::csum::kBase + csr::csum::kRxL3Bad);
  c.csum_rx_l4_bad = rd(csr::csum::kBase + csr::csum::kRxL4Bad);
  c.tso_requests = rd(csr::tso::kBase + csr::tso::kRequests);
  c.tso_segments = rd(csr::tso::kBase + csr::tso::kSegments);
  c.tso_errors = rd(csr::tso::kBase + csr::tso::kErrors);
  const std::uint32_t p = csr::port::kBase;
  c.port_tx_frames = rd(p + csr::port::kTxFrames);
  c.port_tx_bytes = rd64(p + csr::port::kTxBytesLo, p + csr::port::kTxBytesHi);
  c.port_rx_frames = rd(p + csr::port::kRxFrames);
  c.port_rx_bytes = rd64(p + csr::port::kRxBytesLo, p + csr::port::kRxBytesHi);
  c.port_rx_drop_nobuf = rd(p + csr::port::kRxDropNobuf);
  c.port_rx_drop_bad = rd(p + csr::port::kRxDropBad);
  c.port_dma_rd_err = rd(p + csr::port::kDmaRdErr);
  c.port_dma_wr_err = rd(p + csr::port::kDmaWrErr);
  c.host_denied = rd(csr::card::kBase + csr::card::kHostDenied);
  const std::uint32_t t = csr::txq::Base(txq);
  c.txq_packets = rd(t + csr::txq::kPackets);
  c.txq_bytes = rd64(t + csr::txq::kBytesLo, t + csr::txq::kBytesHi);
  c.txq_drops = rd(t + csr::txq::kDrops);
  c.txq_errors = rd(t + csr::txq::kErrors);
  const std::uint32_t r = csr::rxq::Base(rxq);
  c.rxq_packets = rd(r + csr::rxq::kPackets);
  c.rxq_bytes = rd64(r + csr::rxq::kBytesLo, r + csr::rxq::kBytesHi);
  c.rxq_drops = rd(r + csr::rxq::kDrops);
  c.rxq_errors = rd(r + csr::rxq::kErrors);
  return c;
}

}  // namespace mbufnic::device
