// mbufnic::sc::Card: the Verilated RTL card (nic_top, 512 bits) as a SystemC module with
// TLM-2.0 sockets, for virtual platforms.
//
//            csr (target) ──▶ ┌────────────────────────────┐ ──▶ dma (initiator): host memory
//   AXI4-Lite CSR accesses    │ Vnic_top_sc (verilator --sc │     the card's AXI4 master, a
//   one 32-bit access each    │ of nic_top_sc.sv: 64-bit    │     transaction per burst
//                             │ lanes, no sc_bv ports)      │
//             rx (target) ──▶ │                             │ ──▶ tx (initiator): the wire
//   a frame per transaction   └────────────────────────────┘     a frame per transaction
//                                       │ irq (sc_out<uint32_t>): the interrupt pulses
//
// Inside, one SC_THREAD is the card's clock (250 MHz, a 4 ns period) and runs the bus models of
// sim/bfm on the RTL's pins exactly as the "sim" backend does: each cycle they sample what the
// rising edge transfers, the edge is evaluated, they drive the next inputs, the falling edge is
// evaluated.  So a transaction through these sockets moves the same bits on the same cycles as
// the plain C++ model does, and the bus models' protocol checks watch the RTL here too:
//   - csr: b_transport of a 4-byte read or write (byte enables allowed on writes) becomes an
//     AXI4-Lite access; the caller waits (in simulated time) until the response, and an
//     SLVERR/DECERR response is TLM_GENERIC_ERROR_RESPONSE / TLM_ADDRESS_ERROR_RESPONSE.
//   - mgmt: the same, on the card's management port, where the firmware runs (docs/admin.md):
//     its writes may change the management-side fields the host's may not.  mgmt_irq() is the
//     card's request for the firmware's attention.
//   - dma: each AXI4 burst the card issues is one b_transport, a read when the AR is accepted
//     and a write when its last W beat is in (byte enables from the strobes).  The PCIe link
//     between card and host (bandwidth each way, outstanding reads, round trip) is modelled
//     here from the preset in CardConfig; a target's annotated delay is added to a read's first
//     beat.  A response other than OK answers the burst with SLVERR.  b_transport is called from
//     the clock thread: a target that calls wait() stalls the card for that long.
//   - tx: each whole frame the MAC took, as a write whose data is the frame, when its last beat
//     left; the MAC takes beats no faster than CardConfig::link_gbps.  A delay the target
//     annotates holds the MAC (tready low) for that long: a link pause.
//   - rx: a write whose data is a frame enters the receive port (a beat a cycle, as a MAC cannot
//     wait); a FrameInfo extension with bad set marks it bad (tuser on the last beat).  Frames
//     queue in arrival order; the sender paces them (at the link rate).
// Idle skipping: while the RTL says idle_o and no bus model has anything under way, the clock
// thread waits for the next event (a DMA response due, a CSR access, a frame) instead of
// clocking: nothing in the card can change meanwhile (rtl/top/README.md).
//
// One Card per process: a SystemC design is elaborated once and cannot be torn down, and the
// Verilated model uses the thread's VerilatedContext.  Reset() starts it over (the "systemc"
// device backend does so on every Open).
#ifndef MBUFNIC_SIM_SYSTEMC_CARD_H_
#define MBUFNIC_SIM_SYSTEMC_CARD_H_

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "core/host_memory.h"

namespace mbufnic::sc {

// The card's clock period (250 MHz).
inline const sc_core::sc_time kCardPeriod(4, sc_core::SC_NS);

struct CardConfig {
  // The PCIe link between card and host memory.
  sim::PcieConfig pcie = sim::PcieGen4x16();
  // The port's rate in Gb/s (0: unlimited).
  double link_gbps = 100.0;
  // Seeds the bus models' random choices (none are random with the defaults).
  std::uint64_t seed = 1;
};

// Optional extension on a frame sent to the rx socket: the MAC saw the frame bad.
struct FrameInfo : tlm::tlm_extension<FrameInfo> {
  bool bad = false;
  tlm::tlm_extension_base* clone() const override { return new FrameInfo(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    bad = static_cast<const FrameInfo&>(other).bad;
  }
};

class Card : public sc_core::sc_module {
 public:
  static constexpr unsigned kNumTxQ = 8;
  static constexpr unsigned kNumRxQ = 8;
  // Cycles reset is held by Reset() (they count in cycle()).
  static constexpr unsigned kResetCycles = 8;

  tlm_utils::simple_target_socket<Card> csr;
  tlm_utils::simple_target_socket<Card> mgmt;
  tlm_utils::simple_initiator_socket<Card> dma;
  tlm_utils::simple_initiator_socket<Card> tx;
  tlm_utils::simple_target_socket<Card> rx;
  // Interrupt pulses: bit q for txq q, bit kNumTxQ + q for rxq q, high for one cycle.
  sc_core::sc_out<std::uint32_t> irq;

  explicit Card(const sc_core::sc_module_name& name, const CardConfig& config = {});
  ~Card() override;
  Card(const Card&) = delete;
  Card& operator=(const Card&) = delete;

  // Starts the card over: new bus models for `config`, reset held kResetCycles cycles from the
  // next one, cycle() back to 0.  Anything in flight is dropped (a CSR access waiting in
  // b_transport answers TLM_GENERIC_ERROR_RESPONSE).  Call it between sc_start calls.
  void Reset(const CardConfig& config);

  // Makes the clock thread call sc_core::sc_pause() at the start of the next cycle, before it
  // runs: for a program that drives the simulation from outside (the "systemc" backend) and
  // wants it back on a cycle boundary after a CSR access, so that Run(n) then covers n cycles.
  void PauseAtNextCycle();

  // Called with every CSR write before the card sees it, with whether it came through the mgmt
  // socket (a host-memory model learns of ring addresses and doorbells so:
  // sim::HostMemory::OnCsrWrite).
  void set_csr_observer(std::function<void(std::uint32_t, std::uint32_t, bool)> observer);
  // Called in every cycle the irq output is not zero, with its value (the device backend
  // collects the interrupt vectors so; a pulse in two cycles running is two calls).
  void set_irq_observer(std::function<void(std::uint32_t)> observer);

  // Cycles since the last Reset (or since elaboration), reset included; idle cycles skipped
  // count too.  evaluated_cycles(): those really clocked.
  std::uint64_t cycle() const;
  // The cycle under way (or starting) at the present simulated time, counted as cycle() counts:
  // what a module stamps an event of this time step with.
  std::uint64_t current_cycle() const;
  std::uint64_t evaluated_cycles() const;
  bool idle() const;
  // The card asks the firmware to look at the admin queue (nic_top mgmt_irq_o), and the event
  // notified in each cycle that request goes up.
  bool mgmt_irq() const;
  const sc_core::sc_event& mgmt_irq_event() const;
  // Protocol errors the bus models saw the RTL make, with the first few described.
  unsigned protocol_errors() const;
  std::vector<std::string> protocol_error_log() const;

 private:
  struct Impl;
  void ClockThread();
  void CsrTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void MgmtTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void PortTransport(bool mgmt, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void RxTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  std::unique_ptr<Impl> impl_;
};

}  // namespace mbufnic::sc

#endif  // MBUFNIC_SIM_SYSTEMC_CARD_H_
