#include "systemc/wire_link.h"

#include <limits>
#include <span>
#include <vector>

namespace mbufnic::sc {

WireLink::WireLink(const sc_core::sc_module_name& name, const Card& card, sim::Wire* wire)
    : sc_module(name), from_card("from_card"), to_card("to_card"), card_(card), wire_(wire) {
  from_card.register_b_transport(this, &WireLink::FromCard);
  SC_HAS_PROCESS(WireLink);
  SC_THREAD(Deliver);
}

void WireLink::Attach(sim::Wire* wire) {
  wire_ = wire;
  Kick();
}

void WireLink::FromCard(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (!gp.is_write() || gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  if (wire_ == nullptr) return;
  const std::uint64_t cycle = card_.current_cycle();
  wire_->Sent(std::span<const std::uint8_t>(gp.get_data_ptr(), gp.get_data_length()), cycle);
  const std::uint64_t resume = wire_->ResumeAt(cycle);
  if (resume > cycle) delay += kCardPeriod * static_cast<double>(resume - cycle);
  Kick();  // in loopback the frame is now due at the receive port later
}

void WireLink::Deliver() {
  std::vector<std::uint8_t> data;
  for (;;) {
    if (wire_ == nullptr) {
      sc_core::wait(kick_);
      continue;
    }
    const std::uint64_t now = card_.current_cycle();
    if (const sim::WireFrame* f = wire_->RxDue(now)) {
      data = f->data;
      FrameInfo info;
      info.bad = f->bad;
      wire_->RxPop(now);
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_WRITE_COMMAND);
      gp.set_address(0);
      gp.set_data_ptr(data.data());
      gp.set_data_length(static_cast<unsigned>(data.size()));
      gp.set_streaming_width(static_cast<unsigned>(data.size()));
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      gp.set_extension(&info);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      to_card->b_transport(gp, delay);
      gp.clear_extension(&info);
    }
    // The wire spaces frames at the link rate: the next may be due a few cycles on.
    const std::uint64_t next = wire_->NextEvent();
    if (next == std::numeric_limits<std::uint64_t>::max()) {
      sc_core::wait(kick_);
    } else {
      const std::uint64_t ahead = next > now ? next - now : 1;
      sc_core::wait(kCardPeriod * static_cast<double>(ahead), kick_);
    }
  }
}

}  // namespace mbufnic::sc
