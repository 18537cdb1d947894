#include "systemc/card.h"

#include <verilated.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <utility>

#include "Vnic_top_sc.h"
#include "bfm/axi_mem.h"
#include "bfm/axil_manager.h"
#include "bfm/axis_mac.h"
#include "core/wire.h"

namespace mbufnic::sc {

namespace {

using sc_core::sc_signal;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

// A 512-bit bus as the eight 64-bit lanes nic_top_sc.sv cuts it into (lane k: bytes 8k..8k+7).
using Lanes = std::array<std::uint64_t, 8>;

// The card's pins as plain values, typed and named as the C++ model's (Vnic_top_w512) are, so
// that sim/bfm's bus models serve them unchanged; the clock thread copies them to and from the
// SystemC signals around each edge.
struct Pins {
  std::uint32_t s_axil_awaddr_i = 0;
  std::uint8_t s_axil_awprot_i = 0, s_axil_awvalid_i = 0, s_axil_awready_o = 0;
  std::uint32_t s_axil_wdata_i = 0;
  std::uint8_t s_axil_wstrb_i = 0, s_axil_wvalid_i = 0, s_axil_wready_o = 0;
  std::uint8_t s_axil_bresp_o = 0, s_axil_bvalid_o = 0, s_axil_bready_i = 0;
  std::uint32_t s_axil_araddr_i = 0;
  std::uint8_t s_axil_arprot_i = 0, s_axil_arvalid_i = 0, s_axil_arready_o = 0;
  std::uint32_t s_axil_rdata_o = 0;
  std::uint8_t s_axil_rresp_o = 0, s_axil_rvalid_o = 0, s_axil_rready_i = 0;

  std::uint32_t s_mgmt_axil_awaddr_i = 0;
  std::uint8_t s_mgmt_axil_awprot_i = 0, s_mgmt_axil_awvalid_i = 0, s_mgmt_axil_awready_o = 0;
  std::uint32_t s_mgmt_axil_wdata_i = 0;
  std::uint8_t s_mgmt_axil_wstrb_i = 0, s_mgmt_axil_wvalid_i = 0, s_mgmt_axil_wready_o = 0;
  std::uint8_t s_mgmt_axil_bresp_o = 0, s_mgmt_axil_bvalid_o = 0, s_mgmt_axil_bready_i = 0;
  std::uint32_t s_mgmt_axil_araddr_i = 0;
  std::uint8_t s_mgmt_axil_arprot_i = 0, s_mgmt_axil_arvalid_i = 0, s_mgmt_axil_arready_o = 0;
  std::uint32_t s_mgmt_axil_rdata_o = 0;
  std::uint8_t s_mgmt_axil_rresp_o = 0, s_mgmt_axil_rvalid_o = 0, s_mgmt_axil_rready_i = 0;

  std::uint64_t m_axi_araddr_o = 0;
  std::uint8_t m_axi_arlen_o = 0, m_axi_arvalid_o = 0, m_axi_arready_i = 0;
  Lanes m_axi_rdata_i{};
  std::uint8_t m_axi_rresp_i = 0, m_axi_rlast_i = 0, m_axi_rvalid_i = 0, m_axi_rready_o = 0;
  std::uint64_t m_axi_awaddr_o = 0;
  std::uint8_t m_axi_awlen_o = 0, m_axi_awvalid_o = 0, m_axi_awready_i = 0;
  Lanes m_axi_wdata_o{};
  std::uint64_t m_axi_wstrb_o = 0;
  std::uint8_t m_axi_wlast_o = 0, m_axi_wvalid_o = 0, m_axi_wready_i = 0;
  std::uint8_t m_axi_bresp_i = 0, m_axi_bvalid_i = 0, m_axi_bready_o = 0;

  std::uint64_t m_axi_rxd_araddr_o = 0;
  std::uint8_t m_axi_rxd_arlen_o = 0, m_axi_rxd_arvalid_o = 0, m_axi_rxd_arready_i = 0;
  Lanes m_axi_rxd_rdata_i{};
  std::uint8_t m_axi_rxd_rresp_i = 0, m_axi_rxd_rlast_i = 0, m_axi_rxd_rvalid_i = 0;
  std::uint8_t m_axi_rxd_rready_o = 0;

  Lanes m_axis_tx_tdata_o{};
  std::uint64_t m_axis_tx_tkeep_o = 0;
  std::uint8_t m_axis_tx_tlast_o = 0, m_axis_tx_tvalid_o = 0, m_axis_tx_tready_i = 0;

  Lanes s_axis_rx_tdata_i{};
  std::uint64_t s_axis_rx_tkeep_i = 0;
  std::uint8_t s_axis_rx_tlast_i = 0, s_axis_rx_tuser_i = 0, s_axis_rx_tvalid_i = 0;

  std::uint32_t irq_o = 0;
  std::uint8_t idle_o = 0;
  std::uint8_t mgmt_irq_o = 0;
};

// The pins other than the lanes, by Verilated port type: X(type, name).
// clang-format off
#define MBUFNIC_SC_INPUTS(X)            \
  X(std::uint32_t, s_axil_awaddr_i)     \
  X(std::uint32_t, s_axil_awprot_i)     \
  X(bool, s_axil_awvalid_i)             \
  X(std::uint32_t, s_axil_wdata_i)      \
  X(std::uint32_t, s_axil_wstrb_i)      \
  X(bool, s_axil_wvalid_i)              \
  X(bool, s_axil_bready_i)              \
  X(std::uint32_t, s_axil_araddr_i)     \
  X(std::uint32_t, s_axil_arprot_i)     \
  X(bool, s_axil_arvalid_i)             \
  X(bool, s_axil_rready_i)              \
  X(std::uint32_t, s_mgmt_axil_awaddr_i)\
  X(std::uint32_t, s_mgmt_axil_awprot_i)\
  X(bool, s_mgmt_axil_awvalid_i)        \
  X(std::uint32_t, s_mgmt_axil_wdata_i) \
  X(std::uint32_t, s_mgmt_axil_wstrb_i) \
  X(bool, s_mgmt_axil_wvalid_i)         \
  X(bool, s_mgmt_axil_bready_i)         \
  X(std::uint32_t, s_mgmt_axil_araddr_i)\
  X(std::uint32_t, s_mgmt_axil_arprot_i)\
  X(bool, s_mgmt_axil_arvalid_i)        \
  X(bool, s_mgmt_axil_rready_i)         \
  X(bool, m_axi_arready_i)              \
  X(std::uint32_t, m_axi_rresp_i)       \
  X(bool, m_axi_rlast_i)                \
  X(bool, m_axi_rvalid_i)               \
  X(bool, m_axi_awready_i)              \
  X(bool, m_axi_wready_i)               \
  X(std::uint32_t, m_axi_bresp_i)       \
  X(bool, m_axi_bvalid_i)               \
  X(bool, m_axi_rxd_arready_i)          \
  X(std::uint32_t, m_axi_rxd_rresp_i)   \
  X(bool, m_axi_rxd_rlast_i)            \
  X(bool, m_axi_rxd_rvalid_i)           \
  X(bool, m_axis_tx_tready_i)           \
  X(std::uint64_t, s_axis_rx_tkeep_i)   \
  X(bool, s_axis_rx_tlast_i)            \
  X(bool, s_axis_rx_tuser_i)            \
  X(bool, s_axis_rx_tvalid_i)
#define MBUFNIC_SC_OUTPUTS(X)           \
  X(bool, s_axil_awready_o)             \
  X(bool, s_axil_wready_o)              \
  X(std::uint32_t, s_axil_bresp_o)      \
  X(bool, s_axil_bvalid_o)              \
  X(bool, s_axil_arready_o)             \
  X(std::uint32_t, s_axil_rdata_o)      \
  X(std::uint32_t, s_axil_rresp_o)      \
  X(bool, s_axil_rvalid_o)              \
  X(bool, s_mgmt_axil_awready_o)        \
  X(bool, s_mgmt_axil_wready_o)         \
  X(std::uint32_t, s_mgmt_axil_bresp_o) \
  X(bool, s_mgmt_axil_bvalid_o)         \
  X(bool, s_mgmt_axil_arready_o)        \
  X(std::uint32_t, s_mgmt_axil_rdata_o) \
  X(std::uint32_t, s_mgmt_axil_rresp_o) \
  X(bool, s_mgmt_axil_rvalid_o)         \
  X(std::uint64_t, m_axi_araddr_o)      \
  X(std::uint32_t, m_axi_arlen_o)       \
  X(bool, m_axi_arvalid_o)              \
  X(bool, m_axi_rready_o)               \
  X(std::uint64_t, m_axi_awaddr_o)      \
  X(std::uint32_t, m_axi_awlen_o)       \
  X(bool, m_axi_awvalid_o)              \
  X(std::uint64_t, m_axi_wstrb_o)       \
  X(bool, m_axi_wlast_o)                \
  X(bool, m_axi_wvalid_o)               \
  X(bool, m_axi_bready_o)               \
  X(std::uint64_t, m_axi_rxd_araddr_o)  \
  X(std::uint32_t, m_axi_rxd_arlen_o)   \
  X(bool, m_axi_rxd_arvalid_o)          \
  X(bool, m_axi_rxd_rready_o)           \
  X(std::uint64_t, m_axis_tx_tkeep_o)   \
  X(bool, m_axis_tx_tlast_o)            \
  X(bool, m_axis_tx_tvalid_o)           \
  X(std::uint32_t, irq_o)               \
  X(bool, idle_o)                       \
  X(bool, mgmt_irq_o)
// The lanes: X(bus, index, verilated port name).
#define MBUFNIC_SC_LANES(X, bus, pre, post)                                            \
  X(bus, 0, pre##0##post) X(bus, 1, pre##1##post) X(bus, 2, pre##2##post)              \
  X(bus, 3, pre##3##post) X(bus, 4, pre##4##post) X(bus, 5, pre##5##post)              \
  X(bus, 6, pre##6##post) X(bus, 7, pre##7##post)
// clang-format on

// A CSR access waiting in CsrTransport for its AXI4-Lite response.
struct CsrOp {
  bool mgmt = false;  // on the management port (the firmware's), not the host's
  bool write = false;
  std::uint32_t addr = 0;
  std::uint32_t data = 0;
  std::uint8_t strb = 0xF;
  bool issued = false;
  std::size_t index = 0;  // in the AxiLite manager
  bool done = false;
  bool dropped = false;  // a Reset took it away
  std::uint8_t resp = 0;
  std::uint64_t started = 0;
  sc_core::sc_event finished;
};

// A CSR access that takes longer than this has hung the bus (the demux answers every address
// within a few cycles): it is answered with an error and counted as a protocol error.
constexpr std::uint64_t kCsrTimeout = 100000;
// The AXI4-Lite manager keeps every request it issued: a fresh one after this many.
constexpr std::size_t kAxilRecycle = 4096;
// Bytes a frame costs the link beyond its own (preamble, start delimiter, gap), as sim::Wire
// counts them.
constexpr std::uint32_t kFrameOverhead = 20;

// Whole cycles in `t`, rounded up.
std::uint64_t CyclesIn(const sc_time& t) {
  const std::uint64_t p = kCardPeriod.value();
  return (t.value() + p - 1) / p;
}

}  // namespace

struct Card::Impl {
  // The DMA side of the AXI bridge: sim::AxiMemSlave's memory, served through the dma socket.
  struct TlmMemory {
    TlmMemory(Impl* impl, sim::PcieConfig pcie) : d(impl), link(std::move(pcie)) {}
    Impl* d;
    sim::PcieConfig link;
    std::uint64_t read_delay = 0;
    std::vector<unsigned char> enables;

    const sim::PcieConfig& pcie() const { return link; }
    sim::DmaResult Read(std::uint64_t bus, std::span<std::uint8_t> out) {
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_READ_COMMAND);
      gp.set_address(bus);
      gp.set_data_ptr(out.data());
      gp.set_data_length(static_cast<unsigned>(out.size()));
      gp.set_streaming_width(static_cast<unsigned>(out.size()));
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_time delay = SC_ZERO_TIME;
      d->card->dma->b_transport(gp, delay);
      read_delay = CyclesIn(delay);
      if (gp.is_response_ok()) return sim::DmaResult::kOk;
      std::memset(out.data(), 0, out.size());
      return sim::DmaResult::kViolation;
    }
    sim::DmaResult Write(std::uint64_t bus, std::span<const std::uint8_t> data,
                         std::span<const bool> strobe = {}) {
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_WRITE_COMMAND);
      gp.set_address(bus);
      gp.set_data_ptr(const_cast<unsigned char*>(data.data()));
      gp.set_data_length(static_cast<unsigned>(data.size()));
      gp.set_streaming_width(static_cast<unsigned>(data.size()));
      if (!strobe.empty()) {
        enables.resize(strobe.size());
        for (std::size_t i = 0; i < strobe.size(); ++i) enables[i] = strobe[i] ? 0xFF : 0x00;
        gp.set_byte_enable_ptr(enables.data());
        gp.set_byte_enable_length(static_cast<unsigned>(enables.size()));
      }
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_time delay = SC_ZERO_TIME;  // a posted write: the card does not wait for it
      d->card->dma->b_transport(gp, delay);
      return gp.is_response_ok() ? sim::DmaResult::kOk : sim::DmaResult::kViolation;
    }
    std::uint64_t TakeReadDelay() { return std::exchange(read_delay, 0); }
  };

  // The MAC's side of the wire: link-rate credit kept here, whole frames out through tx.
  struct TxPort {
    TxPort(Impl* impl, const sim::WireConfig& link) : d(impl), serializer(link) {}
    Impl* d;
    sim::Wire serializer;  // credit only: loopback off, no pcap, frames not kept
    std::uint64_t hold_until = 0;

    bool TxCredit(std::uint64_t cycle, std::uint32_t bytes) const {
      return cycle >= hold_until && serializer.TxCredit(cycle, bytes);
    }
    void TxConsume(std::uint64_t cycle, std::uint32_t bytes) { serializer.TxConsume(cycle, bytes); }
    void Sent(std::span<const std::uint8_t> frame, std::uint64_t cycle) {
      serializer.TxConsume(cycle, kFrameOverhead);
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_WRITE_COMMAND);
      gp.set_address(0);
      gp.set_data_ptr(const_cast<unsigned char*>(frame.data()));
      gp.set_data_length(static_cast<unsigned>(frame.size()));
      gp.set_streaming_width(static_cast<unsigned>(frame.size()));
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_time delay = SC_ZERO_TIME;
      d->card->tx->b_transport(gp, delay);
      if (delay > SC_ZERO_TIME) hold_until = std::max(hold_until, cycle + 1 + CyclesIn(delay));
    }
  };

  // Frames the rx socket took, for the MAC's receive side, in arrival order.
  struct RxQueue {
    std::deque<sim::WireFrame> frames;
    const sim::WireFrame* RxDue(std::uint64_t /*cycle*/) const {
      return frames.empty() ? nullptr : &frames.front();
    }
    void RxPop(std::uint64_t /*cycle*/) { frames.pop_front(); }
    std::uint64_t NextEvent() const {
      return frames.empty() ? std::numeric_limits<std::uint64_t>::max() : 0;
    }
  };

  Impl(Card* c, const CardConfig& cfg)
      : card(c),
        config(cfg),
        ctx(MakeContext(cfg.seed)),
        top(MakeTop(ctx.get())),
        clk("clk", false),
        rst("rst", true) {
    top->clk_i(clk);
    top->rst_i(rst);
#define MBUFNIC_SC_BIND(type, name) top->name(sig_##name);
    MBUFNIC_SC_INPUTS(MBUFNIC_SC_BIND)
    MBUFNIC_SC_OUTPUTS(MBUFNIC_SC_BIND)
#undef MBUFNIC_SC_BIND
#define MBUFNIC_SC_BIND_LANE(bus, k, port) top->port(lane_##bus[k]);
    MBUFNIC_SC_LANES(MBUFNIC_SC_BIND_LANE, m_axi_rdata_i, m_axi_rdata, _i)
    MBUFNIC_SC_LANES(MBUFNIC_SC_BIND_LANE, m_axi_rxd_rdata_i, m_axi_rxd_rdata, _i)
    MBUFNIC_SC_LANES(MBUFNIC_SC_BIND_LANE, m_axi_wdata_o, m_axi_wdata, _o)
    MBUFNIC_SC_LANES(MBUFNIC_SC_BIND_LANE, m_axis_tx_tdata_o, m_axis_tx_tdata, _o)
    MBUFNIC_SC_LANES(MBUFNIC_SC_BIND_LANE, s_axis_rx_tdata_i, s_axis_rx_tdata, _i)
#undef MBUFNIC_SC_BIND_LANE
    NewBusModels();
    reset_left = kResetCycles;
  }

  // The card's own Verilator context: a Verilated model of another card (the "sim" backend) in
  // the same thread sets the thread's, and may be gone by the time this one runs.
  static std::unique_ptr<VerilatedContext> MakeContext(std::uint64_t seed) {
    auto c = std::make_unique<VerilatedContext>();
    // Registers without a reset start from random values, the same for the same seed.
    c->randReset(2);
    c->randSeed(static_cast<int>((seed ^ (seed >> 31)) & 0x7fffffff));
    return c;
  }

  // The --sc model takes the thread's context when it is built.
  static std::unique_ptr<Vnic_top_sc> MakeTop(VerilatedContext* context) {
    Verilated::threadContextp(context);
    return std::make_unique<Vnic_top_sc>("rtl");
  }

  sim::WireConfig SerializerConfig() const {
    sim::WireConfig w;
    w.link_gbps = config.link_gbps;
    w.clock_mhz = 250.0;
    return w;
  }

  void NewBusModels() {
    axil.reset();
    mgmt_axil.reset();
    axi.reset();
    axi_rxd.reset();
    mac_tx.reset();
    mac_rx.reset();
    pins = Pins{};
    mgmt_irq_was = false;
    memory.emplace(this, config.pcie);
    tx_port.emplace(this, SerializerConfig());
    rx_queue.frames.clear();
    NewAxil();
    // The card's two DMA masters on one PCIe link, seeded as in the "sim" backend.
    link.emplace(config.pcie, sim::AxiMemSlave<Pins, TlmMemory>::kBeatBytes);
    axi = std::make_unique<sim::AxiMemSlave<Pins, TlmMemory>>(
        pins, *memory, &*link, static_cast<std::uint32_t>(config.seed * 3 + 1));
    axi_rxd = std::make_unique<sim::AxiMemSlave<sim::RxdPins<Pins>, TlmMemory>>(
        rxd_pins, *memory, &*link, static_cast<std::uint32_t>(config.seed * 13 + 4));
    mac_tx = std::make_unique<sim::MacTx<Pins, TxPort>>(
        pins, *tx_port, static_cast<std::uint32_t>(config.seed * 5 + 2));
    mac_rx = std::make_unique<sim::MacRx<Pins, RxQueue>>(pins, rx_queue);
    WriteInputs();
  }

  void NewAxil() {
    // No random idles or back-pressure, and the same seeds, as in the "sim" backend.
    axil.emplace(sim::AxilPinsOf(pins), static_cast<std::uint32_t>(config.seed * 7 + axil_epoch),
                 sim::AxilConfig{0, 100});
    mgmt_axil.emplace(sim::MgmtAxilPinsOf(pins),
                      static_cast<std::uint32_t>(config.seed * 11 + axil_epoch),
                      sim::AxilConfig{0, 100});
    ++axil_epoch;
    axil_ops = 0;
  }

  sim::AxilManager& PortOf(const CsrOp& op) { return op.mgmt ? *mgmt_axil : *axil; }

  void ReadOutputs() {
#define MBUFNIC_SC_READ(type, name) pins.name = static_cast<decltype(pins.name)>(sig_##name.read());
    MBUFNIC_SC_OUTPUTS(MBUFNIC_SC_READ)
#undef MBUFNIC_SC_READ
    if (pins.m_axi_wvalid_o) {
      for (unsigned k = 0; k < 8; ++k) pins.m_axi_wdata_o[k] = lane_m_axi_wdata_o[k].read();
    }
    if (pins.m_axis_tx_tvalid_o) {
      for (unsigned k = 0; k < 8; ++k) pins.m_axis_tx_tdata_o[k] = lane_m_axis_tx_tdata_o[k].read();
    }
  }

  void WriteInputs() {
#define MBUFNIC_SC_WRITE(type, name) sig_##name.write(static_cast<type>(pins.name));
    MBUFNIC_SC_INPUTS(MBUFNIC_SC_WRITE)
#undef MBUFNIC_SC_WRITE
    for (unsigned k = 0; k < 8; ++k) {
      lane_m_axi_rdata_i[k].write(pins.m_axi_rdata_i[k]);
      lane_m_axi_rxd_rdata_i[k].write(pins.m_axi_rxd_rdata_i[k]);
      lane_s_axis_rx_tdata_i[k].write(pins.s_axis_rx_tdata_i[k]);
    }
  }

  bool Quiet() const {
    return pins.idle_o && reset_left == 0 && new_ops.empty() && axil->Idle() && mgmt_axil->Idle() &&
           axi->Idle() && axi_rxd->Idle() && mac_tx->Idle() && mac_rx->Idle();
  }

  // The rising edge: the model evaluates in the next delta cycle, its outputs are updated at the
  // end of that one.
  void RisingEdge() {
    clk.write(true);
    sc_core::wait(SC_ZERO_TIME);
    sc_core::wait(SC_ZERO_TIME);
  }

  // Ends the cycle: the inputs for the next one and the falling edge go in together (one
  // evaluation), then a period passes.
  void EndCycle() {
    clk.write(false);
    ++now;
    ++evaluated;
    at += kCardPeriod;
    sc_core::wait(kCardPeriod);
  }

  void ResetCycle() {
    Verilated::threadContextp(ctx.get());
    rst.write(true);
    RisingEdge();
    WriteInputs();
    if (--reset_left == 0) rst.write(false);
    EndCycle();
  }

  void Cycle() {
    Verilated::threadContextp(ctx.get());  // assertions and $stop: this card's context
    ReadOutputs();
    axil->Sample();
    mgmt_axil->Sample();
    axi->Sample(now);
    axi_rxd->Sample(now);
    mac_tx->Sample(now);
    mac_rx->Sample(now);
    if (pins.irq_o != 0 && irq_observer) irq_observer(pins.irq_o);
    RisingEdge();
    ReadOutputs();
    // CSR accesses asked for by now (the caller's b_transport ran at this time step's first
    // delta) go out on the pins from this cycle, as the "sim" backend issues them.
    IssueCsrOps();
    axil->Drive();
    mgmt_axil->Drive();
    axi->Drive(now);
    axi_rxd->Drive(now);
    mac_tx->Drive(now);
    mac_rx->Drive(now);
    WriteInputs();
    card->irq.write(pins.irq_o);
    if (pins.mgmt_irq_o && !mgmt_irq_was) mgmt_irq_event.notify(SC_ZERO_TIME);
    mgmt_irq_was = pins.mgmt_irq_o != 0;
    FinishCsrOps();
    EndCycle();
  }

  void IssueCsrOps() {
    while (!new_ops.empty()) {
      CsrOp* op = new_ops.front();
      new_ops.pop_front();
      sim::AxilManager& port = PortOf(*op);
      op->index =
          op->write ? port.Write(op->addr, op->data, op->strb, 0, 0) : port.Read(op->addr, 0);
      op->issued = true;
      op->started = now;
      ++axil_ops;
      ops.push_back(op);
    }
  }

  void FinishCsrOps() {
    for (auto it = ops.begin(); it != ops.end();) {
      CsrOp* op = *it;
      sim::AxilManager& port = PortOf(*op);
      const sim::AxilManager::Op r = op->write ? port.write_op(op->index) : port.read_op(op->index);
      if (r.done) {
        op->done = true;
        op->resp = static_cast<std::uint8_t>(r.resp);
        if (!op->write) op->data = r.data;
        op->finished.notify(SC_ZERO_TIME);
        it = ops.erase(it);
      } else if (now - op->started >= kCsrTimeout) {
        ++csr_timeouts;
        if (timeout_log.size() < 16) {
          timeout_log.push_back("csr: access at " + std::to_string(op->addr) +
                                " got no response in " + std::to_string(kCsrTimeout) + " cycles");
        }
        op->done = true;
        op->dropped = true;
        op->finished.notify(SC_ZERO_TIME);
        it = ops.erase(it);
      } else {
        ++it;
      }
    }
    if (axil_ops >= kAxilRecycle && ops.empty() && new_ops.empty() && axil->Idle() &&
        mgmt_axil->Idle()) {
      axil_protocol_errors += axil->protocol_errors() + mgmt_axil->protocol_errors();
      for (const std::string& e : axil->error_log()) {
        if (axil_error_log.size() < 16) axil_error_log.push_back(e);
      }
      for (const std::string& e : mgmt_axil->error_log()) {
        if (axil_error_log.size() < 16) axil_error_log.push_back("mgmt: " + e);
      }
      NewAxil();
    }
  }

  void DropCsrOps() {
    for (auto* list : {&ops, &new_ops}) {
      for (CsrOp* op : *list) {
        op->done = true;
        op->dropped = true;
        op->finished.notify(SC_ZERO_TIME);
      }
      list->clear();
    }
  }

  void ApplyReset() {
    DropCsrOps();
    NewBusModels();
    now = 0;
    evaluated = 0;
    reset_left = kResetCycles;
    reset_request.reset();
  }

  // Waits for the next event while quiet; false when there is none to wait for.
  bool SkipIdle() {
    const std::uint64_t next =
        std::min({mac_rx->NextEvent(now), axi->NextEvent(now), axi_rxd->NextEvent(now)});
    if (next <= now) return false;
    if (next == std::numeric_limits<std::uint64_t>::max()) {
      sc_core::wait(kick);
    } else {
      sc_core::wait(kCardPeriod * static_cast<double>(next - now), kick);
    }
    // Back onto the clock's grid: the cycle at or after the present.
    const sc_time t = sc_core::sc_time_stamp();
    const std::uint64_t k = CyclesIn(t - at);
    const sc_time edge = at + kCardPeriod * static_cast<double>(k);
    now += k;
    at = edge;
    if (edge > t) sc_core::wait(edge - t);
    return true;
  }

  Card* card;
  CardConfig config;
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vnic_top_sc> top;
  sc_signal<bool> clk;
  sc_signal<bool> rst;
#define MBUFNIC_SC_SIGNAL(type, name) sc_signal<type> sig_##name;
  MBUFNIC_SC_INPUTS(MBUFNIC_SC_SIGNAL)
  MBUFNIC_SC_OUTPUTS(MBUFNIC_SC_SIGNAL)
#undef MBUFNIC_SC_SIGNAL
  std::array<sc_signal<std::uint64_t>, 8> lane_m_axi_rdata_i, lane_m_axi_rxd_rdata_i,
      lane_m_axi_wdata_o, lane_m_axis_tx_tdata_o, lane_s_axis_rx_tdata_i;

  Pins pins;
  sim::RxdPins<Pins> rxd_pins{pins};
  std::optional<TlmMemory> memory;
  std::optional<sim::PcieLink> link;
  std::optional<TxPort> tx_port;
  RxQueue rx_queue;
  std::optional<sim::AxilManager> axil;
  std::optional<sim::AxilManager> mgmt_axil;
  std::unique_ptr<sim::AxiMemSlave<Pins, TlmMemory>> axi;
  std::unique_ptr<sim::AxiMemSlave<sim::RxdPins<Pins>, TlmMemory>> axi_rxd;
  std::unique_ptr<sim::MacTx<Pins, TxPort>> mac_tx;
  std::unique_ptr<sim::MacRx<Pins, RxQueue>> mac_rx;

  std::deque<CsrOp*> new_ops;  // waiting for the clock thread to issue them
  std::deque<CsrOp*> ops;      // issued, waiting for their response
  std::function<void(std::uint32_t, std::uint32_t, bool)> csr_observer;
  std::function<void(std::uint32_t)> irq_observer;
  std::optional<CardConfig> reset_request;
  sc_core::sc_event kick;  // something for a quiet card to do
  sc_core::sc_event mgmt_irq_event;
  bool mgmt_irq_was = false;
  bool pause_requested = false;

  std::uint64_t now = 0;      // cycles since the last reset
  sc_time at = SC_ZERO_TIME;  // when cycle `now` starts
  std::uint64_t evaluated = 0;
  unsigned reset_left = 0;
  std::uint32_t axil_epoch = 0;
  std::size_t axil_ops = 0;
  unsigned axil_protocol_errors = 0;
  unsigned csr_timeouts = 0;
  std::vector<std::string> axil_error_log;
  std::vector<std::string> timeout_log;
};

Card::Card(const sc_core::sc_module_name& name, const CardConfig& config)
    : sc_module(name), csr("csr"), mgmt("mgmt"), dma("dma"), tx("tx"), rx("rx"), irq("irq") {
  impl_ = std::make_unique<Impl>(this, config);
  csr.register_b_transport(this, &Card::CsrTransport);
  mgmt.register_b_transport(this, &Card::MgmtTransport);
  rx.register_b_transport(this, &Card::RxTransport);
  SC_HAS_PROCESS(Card);
  SC_THREAD(ClockThread);
}

Card::~Card() {
  if (impl_ && impl_->top) {
    Verilated::threadContextp(impl_->ctx.get());
    impl_->top->final();
  }
}

void Card::ClockThread() {
  Impl& d = *impl_;
  d.at = sc_core::sc_time_stamp();
  for (;;) {
    if (d.pause_requested) {
      // At the start of cycle `now`, before any of it runs: the caller of sc_start gets the
      // simulation back on a cycle boundary.
      d.pause_requested = false;
      sc_core::sc_pause();
      sc_core::wait(SC_ZERO_TIME);
    }
    if (d.reset_request) {
      d.config = *d.reset_request;
      d.ApplyReset();
    }
    if (d.reset_left > 0) {
      d.ResetCycle();
      continue;
    }
    if (!d.pause_requested && d.Quiet() && d.SkipIdle()) continue;
    d.Cycle();
  }
}

void Card::Reset(const CardConfig& config) {
  impl_->reset_request = config;
  impl_->kick.notify(SC_ZERO_TIME);
}

void Card::PauseAtNextCycle() {
  impl_->pause_requested = true;
  impl_->kick.notify(SC_ZERO_TIME);
}

void Card::set_csr_observer(std::function<void(std::uint32_t, std::uint32_t, bool)> observer) {
  impl_->csr_observer = std::move(observer);
}

void Card::set_irq_observer(std::function<void(std::uint32_t)> observer) {
  impl_->irq_observer = std::move(observer);
}

void Card::CsrTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  PortTransport(false, gp, delay);
}

void Card::MgmtTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  PortTransport(true, gp, delay);
}

void Card::PortTransport(bool mgmt, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  Impl& d = *impl_;
  // Loosely timed initiators hand their local time offset in: the access starts after it.
  if (delay > SC_ZERO_TIME) {
    sc_core::wait(delay);
    delay = SC_ZERO_TIME;
  }
  const std::uint64_t addr = gp.get_address();
  if (gp.get_data_length() != 4 || gp.get_streaming_width() < 4) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if ((addr & 3) != 0 || addr > 0xFFFFFFFFu) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  CsrOp op;
  op.mgmt = mgmt;
  op.write = gp.is_write();
  op.addr = static_cast<std::uint32_t>(addr);
  if (!gp.is_read() && !gp.is_write()) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (const unsigned char* be = gp.get_byte_enable_ptr()) {
    if (!op.write) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    const unsigned n = gp.get_byte_enable_length();
    op.strb = 0;
    for (unsigned i = 0; i < 4 && n > 0; ++i) {
      if (be[i % n] == TLM_BYTE_ENABLED) op.strb |= static_cast<std::uint8_t>(1u << i);
    }
  }
  if (op.write) {
    std::memcpy(&op.data, gp.get_data_ptr(), 4);
    if (d.csr_observer) d.csr_observer(op.addr, op.data, mgmt);
  }
  d.new_ops.push_back(&op);
  d.kick.notify(SC_ZERO_TIME);
  while (!op.done) sc_core::wait(op.finished);
  if (op.dropped) {
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  if (!op.write) std::memcpy(gp.get_data_ptr(), &op.data, 4);
  switch (static_cast<sim::AxiResp>(op.resp)) {
    case sim::AxiResp::kOkay:
    case sim::AxiResp::kExOkay:
      gp.set_response_status(tlm::TLM_OK_RESPONSE);
      break;
    case sim::AxiResp::kSlvErr:
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      break;
    case sim::AxiResp::kDecErr:
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      break;
  }
}

void Card::RxTransport(tlm::tlm_generic_payload& gp, sc_core::sc_time& /*delay*/) {
  Impl& d = *impl_;
  if (!gp.is_write()) {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  sim::WireFrame f;
  f.data.assign(gp.get_data_ptr(), gp.get_data_ptr() + gp.get_data_length());
  f.cycle = current_cycle();
  FrameInfo* info = nullptr;
  gp.get_extension(info);
  f.bad = info != nullptr && info->bad;
  d.rx_queue.frames.push_back(std::move(f));
  d.kick.notify(SC_ZERO_TIME);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

std::uint64_t Card::cycle() const {
  // Cycles done, from the clock: the thread may be asleep (idle) while cycles pass.
  const Impl& d = *impl_;
  const sc_time t = sc_core::sc_time_stamp();
  // `at` is when cycle `now` starts: from then on, cycles pass whether clocked or skipped; in
  // the period before it the thread has just finished cycle now - 1, so `now` cycles are done.
  if (t >= d.at) return d.now + (t - d.at).value() / kCardPeriod.value();
  return d.now + 1 - CyclesIn(d.at - t);
}

std::uint64_t Card::current_cycle() const {
  // The cycle that starts at the present time or is under way: the same whether or not the
  // clock thread has run yet in this time step.
  const Impl& d = *impl_;
  const sc_time t = sc_core::sc_time_stamp();
  if (t >= d.at) return d.now + (t - d.at).value() / kCardPeriod.value();
  return d.now - CyclesIn(d.at - t);
}
std::uint64_t Card::evaluated_cycles() const { return impl_->evaluated; }
bool Card::idle() const { return impl_->pins.idle_o != 0; }
bool Card::mgmt_irq() const { return impl_->pins.mgmt_irq_o != 0; }
const sc_core::sc_event& Card::mgmt_irq_event() const { return impl_->mgmt_irq_event; }

unsigned Card::protocol_errors() const {
  const Impl& d = *impl_;
  return d.axil_protocol_errors + d.axil->protocol_errors() + d.mgmt_axil->protocol_errors() +
         d.axi->protocol_errors() + d.axi_rxd->protocol_errors() + d.mac_tx->protocol_errors() +
         d.csr_timeouts;
}

std::vector<std::string> Card::protocol_error_log() const {
  const Impl& d = *impl_;
  std::vector<std::string> out = d.axil_error_log;
  for (const std::string& e : d.axil->error_log()) out.push_back("axil: " + e);
  for (const std::string& e : d.mgmt_axil->error_log()) out.push_back("mgmt axil: " + e);
  for (const std::string& e : d.axi->error_log()) out.push_back("axi: " + e);
  for (const std::string& e : d.axi_rxd->error_log()) out.push_back("axi rxd: " + e);
  for (const std::string& e : d.mac_tx->error_log()) out.push_back("mac tx: " + e);
  for (const std::string& e : d.timeout_log) out.push_back(e);
  return out;
}

}  // namespace mbufnic::sc

// libsystemc's main() calls sc_main, so every program that links SystemC needs one to link,
// though programs with their own main() (the tests, the mbufnic command) never call it.  It is
// here, in the object every user of the card pulls in, and weak: a SystemC program
// (sc_main_example.cc) brings its own.
extern "C" __attribute__((weak)) int sc_main(int /*argc*/, char* /*argv*/[]) {
  std::fputs("mbufnic: this program has its own main(); sc_main is not its entry point\n", stderr);
  return 1;
}
