// mbufnic::sc::WireLink: sim/core's wire model joined to the card's tx and rx sockets.
//
// from_card (target; bind card.tx to it): each frame the card sends goes to sim::Wire::Sent at
// the card's cycle: kept for the test, written to the pcap, and in loopback queued for the
// receive port.  While the wire holds a link pause (sim::Wire::Pause) it annotates the time left
// of it, which holds the card's MAC.
// to_card (initiator; bind it to card.rx): a thread hands each frame the wire has due
// (sim::Wire::RxDue: loopback, injected, read from a pcap, spaced at the link rate) to the card,
// bad frames with a FrameInfo extension.
// Cycles are the card's (Card::current_cycle()), so the wire's pcap stamps and due times are the
// ones the "sim" backend gives.
#ifndef MBUFNIC_SIM_SYSTEMC_WIRE_LINK_H_
#define MBUFNIC_SIM_SYSTEMC_WIRE_LINK_H_

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>

#include "core/wire.h"
#include "systemc/card.h"

namespace mbufnic::sc {

class WireLink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<WireLink> from_card;
  tlm_utils::simple_initiator_socket<WireLink> to_card;

  WireLink(const sc_core::sc_module_name& name, const Card& card, sim::Wire* wire = nullptr);

  // The wire from now on (nullptr: frames sent are dropped, none received).
  void Attach(sim::Wire* wire);
  // Wakes the delivery thread: a test injected a frame between sc_start calls.
  void Kick() { kick_.notify(sc_core::SC_ZERO_TIME); }

 private:
  void FromCard(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void Deliver();

  const Card& card_;
  sim::Wire* wire_;
  sc_core::sc_event kick_;
};

}  // namespace mbufnic::sc

#endif  // MBUFNIC_SIM_SYSTEMC_WIRE_LINK_H_
