// The device seam: everything the driver needs from a card, and nothing else.
//
// A backend is a card the driver can talk to: "sim" (the Verilated RTL in this process),
// "model" (the C++ behavioural model: same protocol, same bytes on the wire, much faster),
// later "systemc" and "xrt:N" (a real Alveo card).  The driver sees 32-bit CSRs, the card's
// clock, and interrupt messages; DMA memory is the runtime's arena (<mbufnic/runtime.h>), which
// the card reaches by bus address.  Simulated backends also expose their wire and their
// host-memory model, so tests can capture, inject and check.
#ifndef MBUFNIC_DEVICE_HPP_
#define MBUFNIC_DEVICE_HPP_

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mbufnic::sim {
class Wire;
class HostMemory;
}  // namespace mbufnic::sim

namespace mbufnic::device {

// Raised when a backend cannot be opened (unknown name, card not found, bad options).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  // Seeds every random choice of a simulated backend: a seed reproduces a run bit for bit.
  std::uint64_t seed = 1;
  // Host-memory model preset of simulated backends: "gen4" (PCIe Gen4 x16) or "gen3".
  std::string pcie = "gen4";
  // Frames the card sends come back to its receive port after loopback_delay cycles.
  bool loopback = false;
  std::uint64_t loopback_delay = 100;
  // Link rate of the wire model in Gb/s (0: as fast as the card goes).
  double link_gbps = 100.0;
  // Write every frame the card sends to this pcap file (empty: none).
  std::string pcap_out;
  // Write an FST waveform of the whole card here (sim only; empty: none).
  std::string waves;
  // Program a real card with this xclbin (xrt only; empty: the file $MBUFNIC_XCLBIN names).
  std::string xclbin;
};

// The card's management port, where its firmware runs (docs/admin.md): CSR accesses that may
// change the management-side fields the host's port may not.  Each call returns true when the
// access answered OKAY.  Simulated backends show their host-memory model every write first, as
// they do the host's.
struct MgmtPort {
  std::function<bool(std::uint32_t offset, std::uint32_t* value)> read;
  std::function<bool(std::uint32_t offset, std::uint32_t value)> write;
};

class Device {
 public:
  virtual ~Device() = default;

  // The backend's name as Open() took it ("sim", "model", ...).
  virtual std::string_view Name() const = 0;

  // CSR access, at byte offsets of the card's address map (mbufnic::hw::csr).
  virtual std::uint32_t Read32(std::uint32_t offset) = 0;
  virtual void Write32(std::uint32_t offset, std::uint32_t value) = 0;

  // Lets the card run for `cycles` cycles of its clock.  A simulated card that is idle with
  // nothing due skips straight to the next event or the end.  Returns the cycles that passed.
  virtual std::uint64_t Run(std::uint64_t cycles) = 0;
  // Card clock cycles since Open().
  virtual std::uint64_t Now() const = 0;
  // Card clock in MHz (250 on the card), to turn cycles into time.
  virtual double ClockMhz() const { return 250.0; }

  // Interrupt messages raised since the last call, oldest first: vector q for transmit queue
  // q, NumTxQ + q for receive queue q.
  virtual std::vector<std::uint32_t> TakeInterrupts() = 0;

  // The simulated wire and host-memory model, or nullptr on hardware.
  virtual sim::Wire* wire() { return nullptr; }
  virtual sim::HostMemory* memory() { return nullptr; }
  // The card's management port on simulated backends, for tests and tools that play the
  // firmware's part (the backend's own firmware shares it); nullptr on hardware.
  virtual MgmtPort* mgmt() { return nullptr; }
};

// The card's counters a user looks at: the csum, tso and port blocks, the card's refused host
// writes, and one transmit and one receive queue (docs/card.md, hw/nic.toml), as ReadCounters()
// reads them and the admin command read_stats returns them (driver::AdminQueue::ReadStats).
struct Counters {
  std::uint32_t csum_tx_frames = 0, csum_tx_errors = 0, csum_rx_frames = 0, csum_rx_l3_bad = 0,
                csum_rx_l4_bad = 0;
  std::uint32_t tso_requests = 0, tso_segments = 0, tso_errors = 0;
  std::uint32_t port_tx_frames = 0, port_rx_frames = 0, port_rx_drop_nobuf = 0,
                port_rx_drop_bad = 0, port_dma_rd_err = 0, port_dma_wr_err = 0;
  // Host writes the card refused for touching its management side (card block).
  std::uint32_t host_denied = 0;
  std::uint64_t port_tx_bytes = 0, port_rx_bytes = 0;
  std::uint32_t txq_packets = 0, txq_drops = 0, txq_errors = 0;
  std::uint64_t txq_bytes = 0;
  std::uint32_t rxq_packets = 0, rxq_drops = 0, rxq_errors = 0;
  std::uint64_t rxq_bytes = 0;
  bool operator==(const Counters&) const = default;
  // One "block.name=value" per counter, space-separated.
  std::string ToString() const;
};

// Reads them through the CSRs, 64-bit counters low word first (the read of the low word
// latches the high one).  CSR reads: not for a fast path.
Counters ReadCounters(Device& dev, unsigned txq = 0, unsigned rxq = 0);

// Opens a backend by name: "sim", "model" (and whatever else this build has; Backends()).
// Throws DeviceError with a message a user can act on.
std::unique_ptr<Device> Open(std::string_view name, const Options& options = {});
// Names of the backends compiled into this build.
std::vector<std::string> Backends();

}  // namespace mbufnic::device

#endif  // MBUFNIC_DEVICE_HPP_
