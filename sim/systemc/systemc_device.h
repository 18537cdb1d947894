// SystemcDevice: the "systemc" backend of the device seam: the card's SystemC model
// (mbufnic::sc::Card, the Verilated --sc RTL behind TLM-2.0 sockets) in a small platform of
// this process, driven from outside the simulation.
//
// The platform (elaborated at the first Open, kept for the life of the process: a SystemC
// design cannot be elaborated twice):
//
//   HostPort ──csr──▶ Card ──dma──▶ HostMemoryTarget (sim::HostMemory of this Open)
//                      │ tx ▲ rx
//                      ▼    │
//                     WireLink (sim::Wire of this Open: link pauses, loopback, pcap, injection)
//
// Read32/Write32 hand the access to HostPort's thread, which makes it a TLM transaction on the
// csr socket, and run the simulation (sc_start) until it is answered; every write reaches the
// host-memory model first (Card::set_csr_observer), as on the "sim" backend.  Run(n) is
// sc_start for n card periods.  Each Open starts the card over (Card::Reset) with a new memory
// and wire model; one SystemcDevice may be open at a time, and only in the thread that opened the
// first (SystemC's kernel belongs to one thread).  The sim/ and systemc/ backends give the same
// wire output for the same driver calls: the card's bridges are the same bus models.
#ifndef MBUFNIC_SIM_SYSTEMC_SYSTEMC_DEVICE_H_
#define MBUFNIC_SIM_SYSTEMC_SYSTEMC_DEVICE_H_

#include <cstdint>
#include <mbufnic/device.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mbufnic::sc {

class SystemcDevice final : public device::Device {
 public:
  // Throws device::DeviceError for bad options (unknown PCIe preset, unwritable pcap, a
  // waveform: those come from the "sim" backend) and when another SystemcDevice is open.
  explicit SystemcDevice(const device::Options& options = {});
  ~SystemcDevice() override;
  SystemcDevice(const SystemcDevice&) = delete;
  SystemcDevice& operator=(const SystemcDevice&) = delete;

  std::string_view Name() const override { return "systemc"; }
  std::uint32_t Read32(std::uint32_t offset) override;
  void Write32(std::uint32_t offset, std::uint32_t value) override;
  std::uint64_t Run(std::uint64_t cycles) override;
  std::uint64_t Now() const override;
  std::vector<std::uint32_t> TakeInterrupts() override;
  sim::Wire* wire() override;
  sim::HostMemory* memory() override;
  device::MgmtPort* mgmt() override;

  // ---- Beyond the seam, for tests and benchmarks.
  // TLM response status of the last Read32/Write32 (tlm::tlm_response_status as an int:
  // 1 OK, -1 generic error (AXI SLVERR), -2 address error (DECERR)).
  int last_status() const;
  std::uint64_t evaluated_cycles() const;
  unsigned protocol_errors() const;
  std::vector<std::string> protocol_error_log() const;
  bool idle() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes Open("systemc") construct a SystemcDevice.  Idempotent.
void RegisterSystemcBackend();

}  // namespace mbufnic::sc

#endif  // MBUFNIC_SIM_SYSTEMC_SYSTEMC_DEVICE_H_
