// mbufnic::sc::HostMemoryTarget: sim/core's host-memory model behind a TLM-2.0 target socket,
// the default target of the card's dma socket.
//
// A read or write transaction is one sim::HostMemory::Read or Write at its address, so every
// access is checked against what the host posted (docs/card.md) and error injection works as on
// the "sim" backend.  Byte enables are honoured on writes (a pattern shorter than the data
// repeats, as TLM-2.0 says); reads take none.  Responses: OK; TLM_ADDRESS_ERROR_RESPONSE for a
// violation or when no memory is attached; TLM_GENERIC_ERROR_RESPONSE for an injected error;
// TLM_BURST_ERROR_RESPONSE for a streaming width shorter than the data; TLM_COMMAND_ERROR_RESPONSE
// for an ignore command.  It annotates no delay: the card's DMA bridge models the PCIe link,
// host memory's latency included, from its preset.
#ifndef MBUFNIC_SIM_SYSTEMC_HOST_MEMORY_TARGET_H_
#define MBUFNIC_SIM_SYSTEMC_HOST_MEMORY_TARGET_H_

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>

#include "core/host_memory.h"

namespace mbufnic::sc {

class HostMemoryTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<HostMemoryTarget> socket;

  explicit HostMemoryTarget(const sc_core::sc_module_name& name, sim::HostMemory* memory = nullptr);

  // The memory served from now on (nullptr: none; every access is refused).
  void Attach(sim::HostMemory* memory) { memory_ = memory; }
  sim::HostMemory* memory() const { return memory_; }
  std::uint64_t transactions() const { return transactions_; }

 private:
  void Transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  sim::HostMemory* memory_;
  std::uint64_t transactions_ = 0;
};

}  // namespace mbufnic::sc

#endif  // MBUFNIC_SIM_SYSTEMC_HOST_MEMORY_TARGET_H_
