// SimDevice: the "sim" backend of the device seam, the Verilated RTL card in this process.
//
// It clocks nic_top (rtl/top, 512-bit datapath) with the simulation's bus models around it:
//   - CSRs through an AXI4-Lite manager (sim/bfm/axil_manager.h).  Read32/Write32 run the
//     clock until the access has its response, so a CSR access costs card cycles as it would
//     on the card; every write is shown to the host-memory model first (HostMemory::OnCsrWrite)
//     so it knows what the host posted before the card can act on it.
//   - DMA through an AXI4 slave (sim/bfm/axi_mem.h) serving the host-memory model, which checks
//     every access against docs/card.md's rules and applies the PCIe timing preset.
//   - The network port through the MAC models (sim/bfm/axis_mac.h) and the wire model (link
//     rate, loopback, pcap, injection).
// Interrupts are the irq_o pulses, collected as they happen and handed out by TakeInterrupts.
//
// Idle skipping: when the card reports idle_o (nothing in flight, no interrupt timer running)
// and neither the bus models nor the wire have anything due, Run() moves the clock straight to
// the next event (a frame due on the wire, a delayed DMA response) or to the end of the run,
// without evaluating the model.  The card's state cannot change in those cycles, so the result
// is the same as clocking through them; only the waveform shows the gap as one step.
//
// The Verilated model stays behind the pimpl: code that uses SimDevice needs no Verilator
// headers.  Open("sim") makes one (sim/card/README.md says how the backend is registered).
#ifndef MBUFNIC_SIM_CARD_SIM_DEVICE_H_
#define MBUFNIC_SIM_CARD_SIM_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mbufnic/device.hpp>

namespace mbufnic::sim {

class SimDevice final : public device::Device {
 public:
  // The card's build: what nic_top was verilated with (sim/CMakeLists.txt).
  static constexpr unsigned kDataWidth = 512;
  static constexpr unsigned kNumTxQ = 8;
  static constexpr unsigned kNumRxQ = 8;

  // Throws device::DeviceError for bad options (unknown PCIe preset, unwritable pcap or
  // waveform path).
  explicit SimDevice(const device::Options& options = {});
  ~SimDevice() override;
  SimDevice(const SimDevice&) = delete;
  SimDevice& operator=(const SimDevice&) = delete;

  std::string_view Name() const override { return "sim"; }
  std::uint32_t Read32(std::uint32_t offset) override;
  void Write32(std::uint32_t offset, std::uint32_t value) override;
  std::uint64_t Run(std::uint64_t cycles) override;
  std::uint64_t Now() const override;
  std::vector<std::uint32_t> TakeInterrupts() override;
  Wire* wire() override;
  HostMemory* memory() override;
  device::MgmtPort* mgmt() override;

  // ---- Beyond the seam, for tests and benchmarks.
  // AXI response of the last Read32/Write32: 0 OKAY, 2 SLVERR (a block's hole), 3 DECERR
  // (no block at that address).
  std::uint8_t last_resp() const;
  // Cycles the model was actually evaluated (Now() minus the cycles skipped while idle).
  std::uint64_t evaluated_cycles() const;
  // Protocol errors the bus models saw on the card's ports (AXI4-Lite, AXI4, streams), with
  // the first few described.  A correct card has none.
  unsigned protocol_errors() const;
  std::vector<std::string> protocol_error_log() const;
  // The card's idle_o as of the last evaluated cycle.
  bool idle() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes Open("sim") construct a SimDevice.  Idempotent.  See sim/card/README.md.
void RegisterSimBackend();

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_CARD_SIM_DEVICE_H_
