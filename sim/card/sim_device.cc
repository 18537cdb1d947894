#include "card/sim_device.h"

#include <mbufnic/hw/nic_hw.h>
#include <verilated.h>
#include <verilated_fst_c.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "Vnic_top_w512.h"
#include "bfm/axi_mem.h"
#include "bfm/axil_manager.h"
#include "bfm/axis_mac.h"
#include "core/host_memory.h"
#include "core/wire.h"
#include "firmware_host.h"
#include "registry.h"
#include "sim_options.h"

namespace mbufnic::sim {

namespace {

using Top = Vnic_top_w512;

// Reset is held this many cycles after Open (they count in Now()).
constexpr int kResetCycles = 8;
// A CSR access that takes longer than this has hung the bus: the demux answers every address
// within a few cycles, so this only trips on a broken card.
constexpr std::uint64_t kCsrTimeout = 100000;
// The AXI4-Lite manager keeps every request it issued; start a fresh one after this many so a
// long run of doorbells does not grow memory.
constexpr std::size_t kAxilRecycle = 4096;

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// VerilatedContext::randSeed takes an int; fold the 64-bit seed into it.
int FoldSeed(std::uint64_t s) { return static_cast<int>((s ^ (s >> 31)) & 0x7fffffff); }

}  // namespace

struct SimDevice::Impl {
  explicit Impl(const device::Options& o)
      : options(o),
        mem(device::PcieOf(o, "sim"), kNumTxQ, kNumRxQ),
        wire(device::WireConfigOf(o, "sim")),
        ctx(MakeContext(o)),
        top(std::make_unique<Top>(ctx.get(), "nic_top")),
        link(mem.pcie(), AxiMemSlave<Top>::kBeatBytes),
        axi(*top, mem, &link, static_cast<std::uint32_t>(o.seed * 3 + 1)),
        rxd_pins(*top),
        axi_rxd(rxd_pins, mem, &link, static_cast<std::uint32_t>(o.seed * 13 + 4)),
        mac_tx(*top, wire, static_cast<std::uint32_t>(o.seed * 5 + 2)),
        mac_rx(*top, wire),
        mgmt_port(MgmtPortOf()),
        fw(mgmt_port, mem) {
    NewAxil();
    if (!o.waves.empty()) {
      trace = std::make_unique<VerilatedFstC>();
      top->trace(trace.get(), 99);
      trace->open(o.waves.c_str());
    }
    // Reset with the bus models out of the way: until reset has settled the registers, the
    // model's outputs are whatever Verilator's random initial values made them.
    top->clk_i = 0;
    top->rst_i = 1;
    top->eval();
    for (int i = 0; i < kResetCycles; ++i) {
      top->clk_i = 1;
      top->eval();
      Dump();
      top->clk_i = 0;
      top->eval();
      Dump();
      ++now;
      ++evaluated;
    }
    top->rst_i = 0;
    top->eval();
    // The firmware starts once the card is out of reset, on the card's clock.
    fw.Start();
  }

  ~Impl() {
    // Verilator 5.006 takes a model's scopes (which --assert creates) out of the thread's
    // current context, not the model's own: make it this model's, or the newest card opened in
    // this thread (perhaps closed already) would be used.
    Verilated::threadContextp(ctx.get());
    top->final();
    if (trace) trace->close();
    trace.reset();
    top.reset();
  }

  static std::unique_ptr<VerilatedContext> MakeContext(const device::Options& o) {
    if (!o.waves.empty()) device::CheckWritable(o.waves, "waveform", "sim");
    auto c = std::make_unique<VerilatedContext>();
    c->randReset(2);
    c->randSeed(FoldSeed(o.seed));
    if (!o.waves.empty()) c->traceEverOn(true);
    return c;
  }

  void NewAxil() {
    axil.reset();
    mgmt.reset();
    // No random idles or back-pressure: the driver's and the firmware's accesses are what they
    // are; the CSR slaves' handshakes were tested with random ones (tests/rtl/hw).
    axil.emplace(AxilPinsOf(*top), static_cast<std::uint32_t>(options.seed * 7 + axil_epoch),
                 AxilConfig{0, 100});
    mgmt.emplace(MgmtAxilPinsOf(*top), static_cast<std::uint32_t>(options.seed * 11 + axil_epoch),
                 AxilConfig{0, 100});
    ++axil_epoch;
  }

  // The card's management port (the firmware's), clocked like the host's accesses; the
  // host-memory model sees each write first, as it sees the host's.
  device::MgmtPort MgmtPortOf() {
    return device::MgmtPort{
        [this](std::uint32_t offset, std::uint32_t* value) {
          const std::size_t i = mgmt->Read(offset, 0);
          const AxilManager::Op op =
              Complete([&] { return mgmt->read_op(i); }, "management read", offset, false);
          MaybeRecycle();
          *value = op.data;
          return op.resp == AxiResp::kOkay;
        },
        [this](std::uint32_t offset, std::uint32_t value) {
          mem.OnCsrWrite(offset, value, /*privileged=*/true);
          const std::size_t i = mgmt->Write(offset, value, 0xF, 0, 0);
          const AxilManager::Op op =
              Complete([&] { return mgmt->write_op(i); }, "management write", offset, false);
          MaybeRecycle();
          return op.resp == AxiResp::kOkay;
        }};
  }

  // One evaluated clock cycle: every bus model samples what the rising edge transfers, the
  // edge, then every model drives the next cycle's inputs.
  void Cycle() {
    Verilated::threadContextp(ctx.get());  // $stop, errors and X values: this card's context
    axil->Sample();
    mgmt->Sample();
    axi.Sample(now);
    axi_rxd.Sample(now);
    mac_tx.Sample(now);
    mac_rx.Sample(now);
    const std::uint32_t irq = top->irq_o;
    if (irq != 0) {
      for (unsigned v = 0; v < kNumTxQ + kNumRxQ; ++v) {
        if ((irq >> v) & 1) interrupts.push_back(v);
      }
    }
    top->clk_i = 1;
    top->eval();
    Dump();
    axil->Drive();
    mgmt->Drive();
    axi.Drive(now);
    axi_rxd.Drive(now);
    mac_tx.Drive(now);
    mac_rx.Drive(now);
    top->clk_i = 0;
    top->eval();
    Dump();
    ++now;
    ++evaluated;
  }

  void Dump() {
    if (trace) trace->dump(ctx->time());
    ctx->timeInc(1);
  }

  // True when clocking would change nothing until the next event: the card is idle and no
  // model has a transfer under way.
  bool Quiet() const {
    return top->idle_o && axil->Idle() && mgmt->Idle() && axi.Idle() && axi_rxd.Idle() &&
           mac_tx.Idle() && mac_rx.Idle();
  }

  void Skip(std::uint64_t to) {
    ctx->timeInc(2 * (to - now));
    now = to;
  }

  std::uint64_t Run(std::uint64_t cycles) {
    const std::uint64_t end = now + cycles;
    while (now < end) {
      if (Quiet()) {
        const std::uint64_t next =
            std::min({end, mac_rx.NextEvent(now), axi.NextEvent(now), axi_rxd.NextEvent(now)});
        if (next > now) {
          Skip(next);
          continue;
        }
      }
      Cycle();
    }
    return cycles;
  }

  // Runs the clock until request `i` of an AXI4-Lite manager has its response; last_resp is the
  // host's (host = true).
  template <typename Get>
  AxilManager::Op Complete(Get&& get, const char* what, std::uint32_t offset, bool host = true) {
    for (std::uint64_t n = 0; !get().done; ++n) {
      if (n == kCsrTimeout) {
        throw std::runtime_error(std::string("sim: CSR ") + what + " at " + Hex(offset) +
                                 " got no response in " + std::to_string(kCsrTimeout) +
                                 " cycles");
      }
      Cycle();
    }
    AxilManager::Op op = get();
    if (host) last_resp = static_cast<std::uint8_t>(op.resp);
    return op;
  }

  void MaybeRecycle() {
    if (++axil_ops >= kAxilRecycle && axil->Idle() && mgmt->Idle()) {
      axil_protocol_errors += axil->protocol_errors() + mgmt->protocol_errors();
      for (const std::string& e : axil->error_log()) {
        if (axil_error_log.size() < 16) axil_error_log.push_back(e);
      }
      for (const std::string& e : mgmt->error_log()) {
        if (axil_error_log.size() < 16) axil_error_log.push_back("mgmt: " + e);
      }
      NewAxil();
      axil_ops = 0;
    }
  }

  // Everything that can refuse the options comes first, so that no Verilated model is built
  // (and torn down half-made) for options that fail.
  device::Options options;
  HostMemory mem;
  Wire wire;
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Top> top;
  std::unique_ptr<VerilatedFstC> trace;
  std::optional<AxilManager> axil;
  std::optional<AxilManager> mgmt;  // the firmware's port
  // The card's two DMA masters on one PCIe link: m_axi, and m_axi_rxd (receive descriptors).
  PcieLink link;
  AxiMemSlave<Top> axi;
  RxdPins<Top> rxd_pins;
  AxiMemSlave<RxdPins<Top>> axi_rxd;
  MacTx<Top> mac_tx;
  MacRx<Top> mac_rx;
  device::MgmtPort mgmt_port;
  device::FirmwareHost fw;

  std::uint64_t now = 0;
  std::uint64_t evaluated = 0;
  std::vector<std::uint32_t> interrupts;
  std::uint8_t last_resp = 0;
  std::uint32_t axil_epoch = 0;
  std::size_t axil_ops = 0;
  unsigned axil_protocol_errors = 0;
  std::vector<std::string> axil_error_log;
};

SimDevice::SimDevice(const device::Options& options)
    : impl_(std::make_unique<Impl>(options)) {}

SimDevice::~SimDevice() = default;

std::uint32_t SimDevice::Read32(std::uint32_t offset) {
  Impl& d = *impl_;
  const std::size_t i = d.axil->Read(offset, 0);
  const AxilManager::Op op = d.Complete([&] { return d.axil->read_op(i); }, "read", offset);
  d.MaybeRecycle();
  return op.data;
}

void SimDevice::Write32(std::uint32_t offset, std::uint32_t value) {
  Impl& d = *impl_;
  // The host-memory model learns of ring addresses, enables and doorbells before the card
  // can act on them.
  d.mem.OnCsrWrite(offset, value, /*privileged=*/false);
  const std::size_t i = d.axil->Write(offset, value, 0xF, 0, 0);
  d.Complete([&] { return d.axil->write_op(i); }, "write", offset);
  d.MaybeRecycle();
  // Work for the firmware reaches it only through the admin block (docs/admin.md).
  if (offset - hw::csr::admin::kBase < hw::csr::admin::kSize) d.fw.Service();
}

std::uint64_t SimDevice::Run(std::uint64_t cycles) { return impl_->Run(cycles); }

std::uint64_t SimDevice::Now() const { return impl_->now; }

std::vector<std::uint32_t> SimDevice::TakeInterrupts() {
  std::vector<std::uint32_t> out;
  out.swap(impl_->interrupts);
  return out;
}

Wire* SimDevice::wire() { return &impl_->wire; }
HostMemory* SimDevice::memory() { return &impl_->mem; }
device::MgmtPort* SimDevice::mgmt() { return &impl_->mgmt_port; }

std::uint8_t SimDevice::last_resp() const { return impl_->last_resp; }
std::uint64_t SimDevice::evaluated_cycles() const { return impl_->evaluated; }
bool SimDevice::idle() const { return impl_->top->idle_o; }

unsigned SimDevice::protocol_errors() const {
  const Impl& d = *impl_;
  return d.axil_protocol_errors + d.axil->protocol_errors() + d.mgmt->protocol_errors() +
         d.axi.protocol_errors() + d.axi_rxd.protocol_errors() + d.mac_tx.protocol_errors();
}

std::vector<std::string> SimDevice::protocol_error_log() const {
  const Impl& d = *impl_;
  std::vector<std::string> out = d.axil_error_log;
  for (const std::string& e : d.axil->error_log()) out.push_back("axil: " + e);
  for (const std::string& e : d.mgmt->error_log()) out.push_back("mgmt axil: " + e);
  for (const std::string& e : d.axi.error_log()) out.push_back("axi: " + e);
  for (const std::string& e : d.axi_rxd.error_log()) out.push_back("axi rxd: " + e);
  for (const std::string& e : d.mac_tx.error_log()) out.push_back("mac tx: " + e);
  return out;
}

void RegisterSimBackend() {
  device::RegisterBackend("sim", [](const device::Options& options) {
    return std::unique_ptr<device::Device>(std::make_unique<SimDevice>(options));
  });
}

namespace {
// Registration when the program starts.  The library is linked whole (sim/card/CMakeLists.txt),
// so this runs in every program that links the backend, whether or not it names SimDevice.
const bool kRegistered = (RegisterSimBackend(), true);
}  // namespace

}  // namespace mbufnic::sim
