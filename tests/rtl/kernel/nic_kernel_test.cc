// nic_kernel, the card as a Vitis RTL kernel, through its one AXI4-Lite control port as XRT
// drives it: the lower half of the window is the card's host port and the upper half (from
// 0x20000) the same register map through its management port, where the xrt backend runs the
// card's firmware (docs/xrt.md).  A management-side field refuses the lower half (SLVERR,
// unchanged, counted in card.host_denied) and takes the upper; both halves read the same
// registers; the kernel's DMA master stays quiet through all of it.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>
#include <verilated.h>

#include <cstdint>
#include <memory>

#include "Vnic_kernel.h"
#include "bfm/axil_manager.h"

namespace mbufnic::rtltest {
namespace {

namespace csr = hw::csr;
using sim::AxilManager;
using sim::AxiResp;

// xrt_backend.h's kXrtMgmtWindow; the xrt backend is not in this build to include it from.
constexpr std::uint32_t kMgmtWindow = 0x20000;

class NicKernel : public ::testing::Test {
 protected:
  NicKernel()
      : ctx_(std::make_unique<VerilatedContext>()),
        k_(std::make_unique<Vnic_kernel>(ctx_.get(), "nic_kernel")),
        mgr_(sim::ControlAxilPinsOf(*k_), 5) {
    k_->ap_clk = 0;
    k_->ap_rst_n = 0;
    k_->m_axi_gmem_awready = k_->m_axi_gmem_wready = k_->m_axi_gmem_arready = 1;
    k_->m_axi_gmem_bvalid = k_->m_axi_gmem_rvalid = 0;
    k_->m_axis_tx_tready = 1;
    k_->s_axis_rx_tvalid = 0;
    k_->eval();
    for (int i = 0; i < 8; ++i) Tick();
    k_->ap_rst_n = 1;
    for (int i = 0; i < 8; ++i) Tick();
  }
  ~NicKernel() override {
    k_->final();
    EXPECT_EQ(mgr_.protocol_errors(), 0u)
        << (mgr_.error_log().empty() ? "" : mgr_.error_log().front());
    EXPECT_EQ(dma_requests_, 0u) << "the kernel's AXI master asked for host memory";
  }

  void Tick() {
    mgr_.Sample();
    if (k_->m_axi_gmem_arvalid || k_->m_axi_gmem_awvalid || k_->m_axi_gmem_wvalid) {
      ++dma_requests_;
    }
    k_->ap_clk = 1;
    k_->eval();
    mgr_.Drive();
    k_->ap_clk = 0;
    k_->eval();
  }

  AxilManager::Op Read(std::uint32_t addr) {
    const std::size_t i = mgr_.Read(addr);
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); })) << "read of " << std::hex << addr;
    return mgr_.read_op(i);
  }
  AxiResp Write(std::uint32_t addr, std::uint32_t value) {
    const std::size_t i = mgr_.Write(addr, value);
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); })) << "write of " << std::hex << addr;
    return mgr_.write_op(i).resp;
  }
  // A register's value through both halves, which must agree and answer OKAY.
  std::uint32_t Both(std::uint32_t offset) {
    const AxilManager::Op host = Read(offset);
    const AxilManager::Op mgmt = Read(kMgmtWindow + offset);
    EXPECT_EQ(host.resp, AxiResp::kOkay) << std::hex << offset;
    EXPECT_EQ(mgmt.resp, AxiResp::kOkay) << std::hex << offset;
    EXPECT_EQ(host.data, mgmt.data) << "the halves disagree at " << std::hex << offset;
    return host.data;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vnic_kernel> k_;
  AxilManager mgr_;
  unsigned dma_requests_ = 0;
};

TEST_F(NicKernel, BothHalvesReadTheCardsRegisterMap) {
  EXPECT_EQ(Both(csr::card::kBase + csr::card::kId), csr::card::kIdValue);
  EXPECT_EQ(Both(csr::admin::kBase + csr::admin::kId), csr::admin::kIdValue);
  EXPECT_EQ(Both(csr::port::kBase + csr::port::kMtu), csr::port::mtu::kReset);
  EXPECT_EQ(Both(csr::txq::Base(0) + csr::txq::kId), csr::txq::kIdValue);
  EXPECT_EQ(Both(csr::rxq::Base(0) + csr::rxq::kId), csr::rxq::kIdValue);
  // Past the card's last receive queue, both halves answer DECERR as the card does.
  const std::uint32_t queues = Both(csr::card::kBase + csr::card::kQueues);
  const std::uint32_t rxq = (queues & csr::card::queues::kRxMask) >> csr::card::queues::kRxShift;
  EXPECT_EQ(Read(csr::rxq::Base(rxq)).resp, AxiResp::kDecErr);
  EXPECT_EQ(Read(kMgmtWindow + csr::rxq::Base(rxq)).resp, AxiResp::kDecErr);
}

TEST_F(NicKernel, TheManagementFieldsTakeOnlyTheUpperHalf) {
  const std::uint32_t mtu = csr::port::kBase + csr::port::kMtu;
  const std::uint32_t denied = csr::card::kBase + csr::card::kHostDenied;
  ASSERT_EQ(Both(denied), 0u);

  EXPECT_EQ(Write(mtu, 9000), AxiResp::kSlvErr);
  EXPECT_EQ(Both(mtu), csr::port::mtu::kReset) << "the host half changed the MTU";
  EXPECT_EQ(Both(denied), 1u);

  EXPECT_EQ(Write(kMgmtWindow + mtu, 9000), AxiResp::kOkay);
  EXPECT_EQ(Both(mtu), 9000u);
  EXPECT_EQ(Both(denied), 1u) << "a management write was counted as a refused host write";

  // A queue context too: the ring size of transmit queue 0.
  const std::uint32_t ring = csr::txq::Base(0) + csr::txq::kRingSize;
  EXPECT_EQ(Write(ring, 9), AxiResp::kSlvErr);
  EXPECT_EQ(Both(ring), 0u);
  EXPECT_EQ(Write(kMgmtWindow + ring, 9), AxiResp::kOkay);
  EXPECT_EQ(Both(ring), 9u);
  EXPECT_EQ(Both(denied), 2u);
}

TEST_F(NicKernel, HostRegistersTakeEitherHalf) {
  const std::uint32_t scratch = csr::card::kBase + csr::card::kScratch;
  EXPECT_EQ(Write(scratch, 0x1234'5678u), AxiResp::kOkay);
  EXPECT_EQ(Both(scratch), 0x1234'5678u);
  EXPECT_EQ(Write(kMgmtWindow + scratch, 0x0bad'cafeu), AxiResp::kOkay);
  EXPECT_EQ(Both(scratch), 0x0bad'cafeu);
  // The admin queue's doorbell is the host's (the producer index).
  const std::uint32_t prod = csr::admin::kBase + csr::admin::kProd;
  EXPECT_EQ(Write(prod, 3), AxiResp::kOkay);
  EXPECT_EQ(Both(prod), 3u);
  EXPECT_EQ(Both(csr::card::kBase + csr::card::kHostDenied), 0u);
}

}  // namespace
}  // namespace mbufnic::rtltest
