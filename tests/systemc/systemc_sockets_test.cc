// The card's TLM-2.0 sockets as a virtual platform uses them, and the two targets of sim/systemc
// on their own: what each transaction answers, and what it changes.
//
// One SystemC design per process: every test shares the platform below, elaborated once, and
// makes its transactions from the Initiator's thread (b_transport may wait): Run(fn) hands fn
// to the thread and runs the simulation until fn has returned.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "systemc/card.h"
#include "systemc/host_memory_target.h"
#include "systemc/wire_link.h"

namespace {

namespace csr = mbufnic::hw::csr;
using mbufnic::sc::Card;
using mbufnic::sc::HostMemoryTarget;
using mbufnic::sc::kCardPeriod;
using mbufnic::sc::WireLink;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

class Initiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> to_csr;
  tlm_utils::simple_initiator_socket<Initiator> to_mgmt;    // the card's management side
  tlm_utils::simple_initiator_socket<Initiator> to_memory;  // a HostMemoryTarget of its own

  explicit Initiator(const sc_core::sc_module_name& name)
      : sc_module(name), to_csr("to_csr"), to_mgmt("to_mgmt"), to_memory("to_memory") {
    SC_HAS_PROCESS(Initiator);
    SC_THREAD(Serve);
  }

  void Run(std::function<void()> fn) {
    work_ = std::move(fn);
    done_ = false;
    go_.notify(SC_ZERO_TIME);
    sc_core::sc_start(kCardPeriod * 1e6);
    ASSERT_TRUE(done_) << "the transactions did not finish";
  }

 private:
  void Serve() {
    for (;;) {
      sc_core::wait(go_);
      work_();
      done_ = true;
      sc_core::sc_pause();
    }
  }

  std::function<void()> work_;
  bool done_ = false;
  sc_core::sc_event go_;
};

// The card with the targets of sim/systemc, a second HostMemoryTarget for the target's own
// tests, and the initiator.
struct Platform {
  Platform()
      : mem(mbufnic::sim::PcieGen4x16(), Card::kNumTxQ, Card::kNumRxQ),
        wire(mbufnic::sim::WireConfig{}),
        own_mem(mbufnic::sim::PcieGen4x16(), Card::kNumTxQ, Card::kNumRxQ),
        irq("irq"),
        card("card"),
        memory("memory", &mem),
        link("wire", card, &wire),
        own_memory("own_memory", &own_mem),
        host("host") {
    host.to_csr.bind(card.csr);
    host.to_mgmt.bind(card.mgmt);
    host.to_memory.bind(own_memory.socket);
    card.dma.bind(memory.socket);
    card.tx.bind(link.from_card);
    link.to_card.bind(card.rx);
    card.irq(irq);
  }
  mbufnic::sim::HostMemory mem;
  mbufnic::sim::Wire wire;
  mbufnic::sim::HostMemory own_mem;
  sc_core::sc_signal<std::uint32_t> irq;
  Card card;
  HostMemoryTarget memory;
  WireLink link;
  HostMemoryTarget own_memory;
  Initiator host;
};

Platform& P() {
  static Platform* p = [] {
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    auto* platform = new Platform;
    // Elaboration and initialisation: every thread runs to its first wait, so that the
    // initiator is waiting for work before the first test hands it some.
    sc_core::sc_start(SC_ZERO_TIME);
    return platform;
  }();
  return *p;
}

struct Tx {
  tlm::tlm_response_status status;
  std::uint32_t value;
};

using Fw = tlm::tlm_fw_transport_if<>;

// One transaction into `to` (an initiator socket's target, or a target socket's own export);
// `be` empty means no byte enables.
Tx Transact(Fw& to, tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, unsigned len,
            std::vector<std::uint8_t> be = {}, sc_time* delay = nullptr, unsigned streaming = 0) {
  tlm::tlm_generic_payload gp;
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(len);
  gp.set_streaming_width(streaming != 0 ? streaming : len);
  if (!be.empty()) {
    gp.set_byte_enable_ptr(be.data());
    gp.set_byte_enable_length(static_cast<unsigned>(be.size()));
  }
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time zero = SC_ZERO_TIME;
  to.b_transport(gp, delay != nullptr ? *delay : zero);
  std::uint32_t v = 0;
  std::memcpy(&v, data, len < 4 ? len : 4);
  return {gp.get_response_status(), v};
}

Fw& To(tlm_utils::simple_initiator_socket<Initiator>& s) { return *s.operator->(); }

Tx Csr(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t value = 0,
       std::vector<std::uint8_t> be = {}, unsigned len = 4) {
  std::uint8_t data[8] = {};
  std::memcpy(data, &value, 4);
  return Transact(To(P().host.to_csr), cmd, addr, data, len, std::move(be));
}

Tx Mgmt(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t value = 0) {
  std::uint8_t data[8] = {};
  std::memcpy(data, &value, 4);
  return Transact(To(P().host.to_mgmt), cmd, addr, data, 4);
}

constexpr std::uint32_t kScratch = csr::card::kBase + csr::card::kScratch;

// The mgmt socket is the card's management side (docs/admin.md): it writes what the csr socket
// may not (a refused host write is TLM_GENERIC_ERROR_RESPONSE and changes nothing), and a host
// admin doorbell raises mgmt_irq until the management side answers.
TEST(CardMgmtSocket, WritesWhatTheHostMayNotAndRaisesMgmtIrq) {
  P().host.Run([] {
    const std::uint32_t ring = csr::txq::Base(4) + csr::txq::kRingLo;
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, ring, 0x4000u).status, tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, ring).value, 0u);
    EXPECT_EQ(Mgmt(tlm::TLM_WRITE_COMMAND, ring, 0x4000u).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, ring).value, 0x4000u);
    EXPECT_EQ(Mgmt(tlm::TLM_WRITE_COMMAND, ring, 0).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(Mgmt(tlm::TLM_READ_COMMAND, csr::card::kBase + csr::card::kHostDenied).value, 1u);

    const std::uint32_t ctrl = csr::admin::kBase + csr::admin::kCtrl;
    const std::uint32_t status = csr::admin::kBase + csr::admin::kStatus;
    EXPECT_FALSE(P().card.mgmt_irq());
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, ctrl, csr::admin::ctrl::kEnableMask).status,
              tlm::TLM_OK_RESPONSE);
    sc_core::wait(kCardPeriod * 3.0);
    EXPECT_TRUE(P().card.mgmt_irq());
    // The management side answers the handshake (as the firmware does): the request drops.
    EXPECT_EQ(Mgmt(tlm::TLM_WRITE_COMMAND, status, csr::admin::status::kEnabledMask).status,
              tlm::TLM_OK_RESPONSE);
    sc_core::wait(kCardPeriod * 3.0);
    EXPECT_FALSE(P().card.mgmt_irq());
    Csr(tlm::TLM_WRITE_COMMAND, ctrl, 0);
    Mgmt(tlm::TLM_WRITE_COMMAND, status, 0);
    sc_core::wait(kCardPeriod * 3.0);
    EXPECT_FALSE(P().card.mgmt_irq());
  });
}

TEST(CardCsrSocket, ReadsWritesAndTheirStatuses) {
  P().host.Run([] {
    const Tx id = Csr(tlm::TLM_READ_COMMAND, csr::card::kBase + csr::card::kId);
    EXPECT_EQ(id.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(id.value, csr::card::kIdValue);
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch, 0x1122'3344u).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, kScratch).value, 0x1122'3344u);
    // Byte enables on a write: only bytes 1 and 2 change.
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch, 0xAABB'CCDDu, {0, 0xFF, 0xFF, 0}).status,
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, kScratch).value, 0x11BB'CC44u);
    // AXI4-Lite answers: a block's hole is SLVERR, no block is DECERR.
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, csr::card::kBase + 0x80).status,
              tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, 0x0010'0000).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  });
}

TEST(CardCsrSocket, WhatItCannotCarryIsRefusedAndChangesNothing) {
  P().host.Run([] {
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch, 0x5555'5555u).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch, 1, {}, 2).status,
              tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch, 1, {}, 8).status,
              tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, kScratch + 2, 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_WRITE_COMMAND, 0x1'0000'0000ull, 1).status,
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, kScratch, 0, {0xFF, 0xFF, 0xFF, 0xFF}).status,
              tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_IGNORE_COMMAND, kScratch).status, tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, kScratch).value, 0x5555'5555u);
  });
  EXPECT_EQ(P().card.protocol_errors(), 0u);
}

TEST(CardCsrSocket, AnAnnotatedDelayComesFirstAndTheAccessTakesCycles) {
  P().host.Run([] {
    std::uint8_t data[4] = {};
    sc_time delay(1, sc_core::SC_US);
    const sc_time t0 = sc_core::sc_time_stamp();
    const Tx r = Transact(To(P().host.to_csr), tlm::TLM_READ_COMMAND,
                          csr::card::kBase + csr::card::kId, data, 4, {}, &delay);
    EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(delay, SC_ZERO_TIME) << "the delay was taken, not handed back";
    const sc_time took = sc_core::sc_time_stamp() - t0;
    EXPECT_GE(took, sc_time(1, sc_core::SC_US) + kCardPeriod * 2.0);
    EXPECT_LE(took, sc_time(1, sc_core::SC_US) + kCardPeriod * 20.0);
  });
}

TEST(CardRxSocket, FramesFromTheWireReachThePortAndNothingElseIsTaken) {
  // The card's rx socket is bound to the wire link: frames reach it through the wire.
  mbufnic::sim::Wire& w = P().wire;
  P().host.Run([&] {
    Csr(tlm::TLM_WRITE_COMMAND, csr::port::kBase + csr::port::kClear, 0xFFFF'FFFFu);
    const std::uint32_t before =
        Csr(tlm::TLM_READ_COMMAND, csr::port::kBase + csr::port::kRxFrames).value;
    w.Inject(std::vector<std::uint8_t>(64, 0x5A), P().card.cycle());
    w.Inject(std::vector<std::uint8_t>(64, 0x5A), P().card.cycle(), /*bad=*/true);
    P().link.Kick();
    sc_core::wait(kCardPeriod * 200.0);
    EXPECT_EQ(Csr(tlm::TLM_READ_COMMAND, csr::port::kBase + csr::port::kRxFrames).value,
              before + 2);
    // No queue takes them: one dropped for want of a buffer, one for being bad.
    EXPECT_GE(Csr(tlm::TLM_READ_COMMAND, csr::port::kBase + csr::port::kRxDropBad).value, 1u);
  });
  std::vector<std::uint8_t> frame(64, 1);
  EXPECT_EQ(Transact(*P().card.rx.get_base_export().operator->(), tlm::TLM_READ_COMMAND, 0,
                     frame.data(), 64)
                .status,
            tlm::TLM_COMMAND_ERROR_RESPONSE);
}

// A bus address in the runtime's DMA arena, with room for 2 KiB.
struct Buf {
  Buf() : m(m_getcl(M_WAITOK, MT_DATA, 0)), va(mtod(m, std::uint8_t*)), bus(mbufnic_vtobus(va)) {}
  ~Buf() { m_freem(m); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  struct mbuf* m;
  std::uint8_t* va;
  std::uint64_t bus;
};

TEST(HostMemoryTarget, ServesWhatTheHostAllowedWithByteEnables) {
  Buf b;
  std::memset(b.va, 0x11, 256);
  mbufnic::sim::HostMemory& mem = P().own_mem;
  mem.Grant(b.bus, 256, true, true);
  Fw& s = To(P().host.to_memory);
  std::array<std::uint8_t, 64> line{};
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(line[0], 0x11);
  EXPECT_EQ(line[63], 0x11);
  // A write whose enables pattern (2 bytes on, 2 off) repeats over 8 bytes.
  std::array<std::uint8_t, 8> data{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(Transact(s, tlm::TLM_WRITE_COMMAND, b.bus, data.data(), 8, {0xFF, 0xFF, 0, 0}).status,
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(std::vector<std::uint8_t>(b.va, b.va + 8),
            (std::vector<std::uint8_t>{1, 2, 0x11, 0x11, 5, 6, 0x11, 0x11}));
  EXPECT_TRUE(mem.violations().empty());
  mem.Revoke(b.bus, 256, true, true);
}

TEST(HostMemoryTarget, RefusesWhatTheHostDidNotAllowAndSaysWhy) {
  Buf b;
  std::memset(b.va, 0x22, 64);
  mbufnic::sim::HostMemory& mem = P().own_mem;
  mem.ClearViolations();
  Fw& s = To(P().host.to_memory);
  std::array<std::uint8_t, 64> line{};
  line.fill(0xEE);
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(line[0], 0) << "a refused read gives zeros";
  std::array<std::uint8_t, 4> data{9, 9, 9, 9};
  EXPECT_EQ(Transact(s, tlm::TLM_WRITE_COMMAND, b.bus, data.data(), 4).status,
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(b.va[0], 0x22) << "a refused write changes nothing";
  EXPECT_EQ(mem.violations().size(), 2u);
  mem.ClearViolations();
  // An injected error answers as one.
  mem.Grant(b.bus, 64, true, false);
  mem.InjectError(b.bus, 64, 1, true, false);
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_OK_RESPONSE);
  mem.Revoke(b.bus, 64, true, false);
  // Forms it does not carry.
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64, {}, nullptr, 8).status,
            tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64, {0xFF}).status,
            tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  EXPECT_EQ(Transact(s, tlm::TLM_IGNORE_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_COMMAND_ERROR_RESPONSE);
  P().own_memory.Attach(nullptr);
  EXPECT_EQ(Transact(s, tlm::TLM_READ_COMMAND, b.bus, line.data(), 64).status,
            tlm::TLM_ADDRESS_ERROR_RESPONSE);
  P().own_memory.Attach(&mem);
  EXPECT_TRUE(mem.violations().empty());
}

TEST(WireLink, SendsWhatTheCardSentAndHoldsTheMacThroughAPause) {
  mbufnic::sim::Wire& w = P().wire;
  w.TakeSent();
  // The card's tx socket is the link's from_card; a frame sent through it is on the wire at the
  // card's cycle, and a pause is handed back as the delay that holds the MAC.
  Fw& link = *P().link.from_card.get_base_export().operator->();
  std::vector<std::uint8_t> frame(100, 0x77);
  sc_time delay = SC_ZERO_TIME;
  EXPECT_EQ(Transact(link, tlm::TLM_WRITE_COMMAND, 0, frame.data(), 100, {}, &delay).status,
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(delay, SC_ZERO_TIME);
  std::vector<mbufnic::sim::WireFrame> sent = w.TakeSent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].data, frame);
  EXPECT_EQ(sent[0].cycle, P().card.current_cycle());
  w.Pause(P().card.current_cycle(), 300);
  EXPECT_EQ(Transact(link, tlm::TLM_WRITE_COMMAND, 0, frame.data(), 100, {}, &delay).status,
            tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(delay, kCardPeriod * 300.0);
  EXPECT_EQ(Transact(link, tlm::TLM_READ_COMMAND, 0, frame.data(), 100).status,
            tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(w.TakeSent().size(), 1u) << "a read is no frame";
}

}  // namespace
