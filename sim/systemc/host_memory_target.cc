#include "systemc/host_memory_target.h"

#include <memory>
#include <span>

namespace mbufnic::sc {

HostMemoryTarget::HostMemoryTarget(const sc_core::sc_module_name& name, sim::HostMemory* memory)
    : sc_module(name), socket("socket"), memory_(memory) {
  socket.register_b_transport(this, &HostMemoryTarget::Transport);
}

void HostMemoryTarget::Transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& /*delay*/) {
  ++transactions_;
  const std::size_t len = gp.get_data_length();
  unsigned char* data = gp.get_data_ptr();
  if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (gp.get_streaming_width() < len) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (memory_ == nullptr) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  sim::DmaResult r;
  if (gp.is_read()) {
    if (gp.get_byte_enable_ptr() != nullptr) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    r = memory_->Read(gp.get_address(), std::span<std::uint8_t>(data, len));
  } else if (const unsigned char* be = gp.get_byte_enable_ptr()) {
    const std::size_t n = gp.get_byte_enable_length();
    if (n == 0) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    auto strobe = std::make_unique<bool[]>(len);
    for (std::size_t i = 0; i < len; ++i) strobe[i] = be[i % n] == TLM_BYTE_ENABLED;
    r = memory_->Write(gp.get_address(), std::span<const std::uint8_t>(data, len),
                       std::span<const bool>(strobe.get(), len));
  } else {
    r = memory_->Write(gp.get_address(), std::span<const std::uint8_t>(data, len));
  }
  switch (r) {
    case sim::DmaResult::kOk:
      gp.set_response_status(tlm::TLM_OK_RESPONSE);
      break;
    case sim::DmaResult::kViolation:
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      break;
    case sim::DmaResult::kInjectedError:
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      break;
  }
}

}  // namespace mbufnic::sc
