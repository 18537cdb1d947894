#include "kernel_card.h"

#include <verilated.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vnic_kernel.h"
#include "bfm/axi_mem.h"
#include "bfm/axil_manager.h"
#include "core/host_memory.h"
#include "firmware_host.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "registry.h"
#include "sim_options.h"

namespace mbufnic::kerneltest {
namespace {

using sim::AxilManager;
using sim::AxiResp;
using Top = Vnic_kernel;

constexpr int kResetCycles = 8;
constexpr std::uint64_t kCsrTimeout = 100000;

// The kernel's DMA master under the m_axi_* names sim::AxiMemSlave reads and drives.
struct GmemPins {
  explicit GmemPins(Top& k)
      : m_axi_araddr_o(k.m_axi_gmem_araddr),
        m_axi_arlen_o(k.m_axi_gmem_arlen),
        m_axi_arvalid_o(k.m_axi_gmem_arvalid),
        m_axi_arready_i(k.m_axi_gmem_arready),
        m_axi_rdata_i(k.m_axi_gmem_rdata),
        m_axi_rresp_i(k.m_axi_gmem_rresp),
        m_axi_rlast_i(k.m_axi_gmem_rlast),
        m_axi_rvalid_i(k.m_axi_gmem_rvalid),
        m_axi_rready_o(k.m_axi_gmem_rready),
        m_axi_awaddr_o(k.m_axi_gmem_awaddr),
        m_axi_awlen_o(k.m_axi_gmem_awlen),
        m_axi_awvalid_o(k.m_axi_gmem_awvalid),
        m_axi_awready_i(k.m_axi_gmem_awready),
        m_axi_wdata_o(k.m_axi_gmem_wdata),
        m_axi_wstrb_o(k.m_axi_gmem_wstrb),
        m_axi_wlast_o(k.m_axi_gmem_wlast),
        m_axi_wvalid_o(k.m_axi_gmem_wvalid),
        m_axi_wready_i(k.m_axi_gmem_wready),
        m_axi_bresp_i(k.m_axi_gmem_bresp),
        m_axi_bvalid_i(k.m_axi_gmem_bvalid),
        m_axi_bready_o(k.m_axi_gmem_bready) {}
  QData& m_axi_araddr_o;
  CData& m_axi_arlen_o;
  CData& m_axi_arvalid_o;
  CData& m_axi_arready_i;
  VlWide<16>& m_axi_rdata_i;
  CData& m_axi_rresp_i;
  CData& m_axi_rlast_i;
  CData& m_axi_rvalid_i;
  CData& m_axi_rready_o;
  QData& m_axi_awaddr_o;
  CData& m_axi_awlen_o;
  CData& m_axi_awvalid_o;
  CData& m_axi_awready_i;
  VlWide<16>& m_axi_wdata_o;
  QData& m_axi_wstrb_o;
  CData& m_axi_wlast_o;
  CData& m_axi_wvalid_o;
  CData& m_axi_wready_i;
  CData& m_axi_bresp_i;
  CData& m_axi_bvalid_i;
  CData& m_axi_bready_o;
};

class KernelCard final : public device::Device {
 public:
  explicit KernelCard(const device::Options& o)
      : mem_(device::PcieOf(o, "kernel"), kNumTxQ, kNumRxQ),
        ctx_(std::make_unique<VerilatedContext>()),
        top_(std::make_unique<Top>(ctx_.get(), "nic_kernel")),
        pins_(*top_),
        axi_(pins_, mem_, static_cast<std::uint32_t>(o.seed * 3 + 1)),
        ctl_(sim::ControlAxilPinsOf(*top_), static_cast<std::uint32_t>(o.seed * 7 + 1),
             sim::AxilConfig{0, 100}) {
    top_->ap_clk = 0;
    top_->ap_rst_n = 0;
    top_->m_axis_tx_tready = 1;
    top_->s_axis_rx_tvalid = 0;
    top_->eval();
    for (int i = 0; i < kResetCycles; ++i) Cycle();
    top_->ap_rst_n = 1;
    for (int i = 0; i < kResetCycles; ++i) Cycle();  // the kernel's reset pipeline
    fw_.Start();
  }
  ~KernelCard() override {
    Verilated::threadContextp(ctx_.get());
    top_->final();
  }

  std::string_view Name() const override { return "kernel"; }

  std::uint32_t Read32(std::uint32_t offset) override {
    const AxilManager::Op op = Access(false, offset, 0);
    return op.data;
  }
  void Write32(std::uint32_t offset, std::uint32_t value) override {
    mem_.OnCsrWrite(offset, value, /*privileged=*/false);
    Access(true, offset, value);
    if (offset - hw::csr::admin::kBase < hw::csr::admin::kSize) fw_.Service();
  }
  std::uint64_t Run(std::uint64_t cycles) override {
    for (std::uint64_t n = 0; n < cycles; ++n) Cycle();
    CheckProtocol();
    return cycles;
  }
  std::uint64_t Now() const override { return now_; }
  std::vector<std::uint32_t> TakeInterrupts() override {
    std::vector<std::uint32_t> out;
    if (irq_seen_) {
      for (std::uint32_t v = 0; v < kNumTxQ + kNumRxQ; ++v) out.push_back(v);
    }
    irq_seen_ = false;
    return out;
  }
  sim::HostMemory* memory() override { return &mem_; }
  device::MgmtPort* mgmt() override { return &mgmt_port_; }

 private:
  void Cycle() {
    Verilated::threadContextp(ctx_.get());
    ctl_.Sample();
    axi_.Sample(now_);
    if (top_->__SYM__interrupt) irq_seen_ = true;
    top_->ap_clk = 1;
    top_->eval();
    ctl_.Drive();
    axi_.Drive(now_);
    top_->ap_clk = 0;
    top_->eval();
    ++now_;
  }

  // The bus models' protocol checks on the kernel's two ports: a breach fails the test that
  // made it (gtest reports the exception), as soon as the clock stops.
  void CheckProtocol() const {
    if (axi_.protocol_errors() != 0) {
      throw std::runtime_error("kernel: AXI4 master protocol error: " + axi_.error_log().front());
    }
    if (ctl_.protocol_errors() != 0) {
      throw std::runtime_error("kernel: control port protocol error: " + ctl_.error_log().front());
    }
  }

  // One access through the control port, the clock run until its response.
  AxilManager::Op Access(bool write, std::uint32_t addr, std::uint32_t value) {
    const std::size_t i = write ? ctl_.Write(addr, value, 0xF, 0, 0) : ctl_.Read(addr, 0);
    for (std::uint64_t n = 0;; ++n) {
      const AxilManager::Op op = write ? ctl_.write_op(i) : ctl_.read_op(i);
      if (op.done) {
        CheckProtocol();
        return op;
      }
      if (n == kCsrTimeout) {
        throw std::runtime_error("kernel: control port access at " + std::to_string(addr) +
                                 " got no response");
      }
      Cycle();
    }
  }

  sim::HostMemory mem_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Top> top_;
  GmemPins pins_;
  sim::AxiMemSlave<GmemPins> axi_;
  AxilManager ctl_;
  // The firmware's port: the window's upper half, each write shown to the host-memory model.
  device::MgmtPort mgmt_port_{[this](std::uint32_t offset, std::uint32_t* value) {
                                const AxilManager::Op op = Access(false, kMgmtWindow + offset, 0);
                                *value = op.data;
                                return op.resp == AxiResp::kOkay;
                              },
                              [this](std::uint32_t offset, std::uint32_t value) {
                                mem_.OnCsrWrite(offset, value, /*privileged=*/true);
                                return Access(true, kMgmtWindow + offset, value).resp ==
                                       AxiResp::kOkay;
                              }};
  device::FirmwareHost fw_{mgmt_port_, device::ArenaDma()};
  std::uint64_t now_ = 0;
  bool irq_seen_ = false;
};

}  // namespace

void RegisterKernelCard() {
  device::RegisterBackend("kernel", [](const device::Options& o) {
    return std::unique_ptr<device::Device>(std::make_unique<KernelCard>(o));
  });
}

namespace {
// Linked into its test executables directly, so this runs in each of them.
const bool kRegistered = (RegisterKernelCard(), true);
}  // namespace

}  // namespace mbufnic::kerneltest
