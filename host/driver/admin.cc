// The admin queue's host side (<mbufnic/admin.hpp>, docs/admin.md).
#include "mbufnic/admin.hpp"

#include <sys/mbuf.h>

#include <atomic>
#include <cstring>
#include <string>

#include "driver_internal.h"

namespace mbufnic::driver {
namespace {

namespace csr = hw::csr;

// Where the rings and the result buffer sit in the one 16 KiB cluster.
constexpr std::uint32_t kSqOffset = 0;
constexpr std::uint32_t kCqOffset = 4096;
constexpr std::uint32_t kResultOffset = 8192;
static_assert(AdminQueue::kEntries * hw::AdminCmd::kBytes <= kCqOffset - kSqOffset);
static_assert(AdminQueue::kEntries * hw::AdminCpl::kBytes <= kResultOffset - kCqOffset);
static_assert(kResultOffset + AdminQueue::kResultBytes <= MJUM16BYTES);

// Cycles the card runs between two looks at the completion ring.
constexpr std::uint64_t kPollStep = 64;

constexpr std::uint32_t kLog2Entries = [] {
  std::uint32_t l = 0;
  while ((1u << l) < static_cast<std::uint32_t>(AdminQueue::kEntries)) ++l;
  return l;
}();
static_assert((1u << kLog2Entries) == static_cast<std::uint32_t>(AdminQueue::kEntries));

}  // namespace

AdminError::AdminError(hw::AdminOp op, hw::AdminStatus status, const std::string &what)
    : DriverError("admin " + std::string(hw::Name(op)) + (what.empty() ? "" : " (" + what + ")") +
                  ": the card's firmware answered " + hw::Name(status)),
      op_(op),
      status_(status) {}

AdminQueue::AdminQueue(device::Device &dev, std::uint64_t timeout_cycles)
    : dev_(dev), timeout_(timeout_cycles) {
  const std::uint32_t id = dev_.Read32(csr::admin::kBase + csr::admin::kId);
  if (!csr::IdCompatible(id, csr::admin::kIdValue)) {
    throw DriverError("the card has no admin queue this driver knows (admin block id word " +
                      std::to_string(id) + ")");
  }
  void *va = nullptr;
  std::uint64_t bus = 0;
  mem_ = RingAlloc(&va, &bus);
  auto *base = static_cast<std::uint8_t *>(va);
  sq_ = reinterpret_cast<hw::AdminCmd *>(base + kSqOffset);
  cq_ = reinterpret_cast<hw::AdminCpl *>(base + kCqOffset);
  result_ = base + kResultOffset;
  result_bus_ = bus + kResultOffset;
  try {
    // A queue left enabled by someone else is stopped first: the firmware starts over.
    if (dev_.Read32(csr::admin::kBase + csr::admin::kCtrl) & csr::admin::ctrl::kEnableMask) {
      dev_.Write32(csr::admin::kBase + csr::admin::kCtrl, 0);
      WaitEnabled(false);
    }
    const std::uint64_t sq = bus + kSqOffset, cq = bus + kCqOffset;
    dev_.Write32(csr::admin::kBase + csr::admin::kSqLo, static_cast<std::uint32_t>(sq));
    dev_.Write32(csr::admin::kBase + csr::admin::kSqHi, static_cast<std::uint32_t>(sq >> 32));
    dev_.Write32(csr::admin::kBase + csr::admin::kCqLo, static_cast<std::uint32_t>(cq));
    dev_.Write32(csr::admin::kBase + csr::admin::kCqHi, static_cast<std::uint32_t>(cq >> 32));
    dev_.Write32(csr::admin::kBase + csr::admin::kRingSize, kLog2Entries);
    dev_.Write32(csr::admin::kBase + csr::admin::kProd, 0);
    dev_.Write32(csr::admin::kBase + csr::admin::kCtrl, csr::admin::ctrl::kEnableMask);
    enabled_ = true;
    WaitEnabled(true);
  } catch (...) {
    if (enabled_) dev_.Write32(csr::admin::kBase + csr::admin::kCtrl, 0);
    FreeRing(mem_);
    throw;
  }
}

AdminQueue::~AdminQueue() {
  if (enabled_) {
    dev_.Write32(csr::admin::kBase + csr::admin::kCtrl, 0);
    try {
      WaitEnabled(false);
    } catch (const DriverError &) {
      // A firmware that does not answer cannot be made to; the memory goes back regardless,
      // as the host-memory rights ended with the disable.
    }
  }
  FreeRing(mem_);
}

void AdminQueue::WaitEnabled(bool on) {
  const std::uint32_t want = on ? csr::admin::status::kEnabledMask : 0;
  for (std::uint64_t waited = 0;; waited += kPollStep) {
    const std::uint32_t status = dev_.Read32(csr::admin::kBase + csr::admin::kStatus);
    if (status & csr::admin::status::kErrMask) {
      throw DriverError("the card's firmware refused the admin rings (admin status err)");
    }
    if ((status & csr::admin::status::kEnabledMask) == want) return;
    if (waited >= timeout_) {
      throw DriverError(std::string("the card's firmware did not ") + (on ? "start" : "stop") +
                        " the admin queue within " + std::to_string(timeout_) + " cycles");
    }
    dev_.Run(kPollStep);
  }
}

AdminResult AdminQueue::Submit(hw::AdminCmd cmd) {
  const std::uint32_t slot = prod_ & (kEntries - 1);
  cmd.set_tag(++tag_);
  std::memcpy(sq_[slot].bytes.data(), cmd.bytes.data(), cmd.bytes.size());
  prod_ = (prod_ + 1) & (kEntries - 1);
  std::atomic_thread_fence(std::memory_order_release);
  dev_.Write32(csr::admin::kBase + csr::admin::kProd, prod_);
  hw::AdminCpl cpl{};
  for (std::uint64_t waited = 0;; waited += kPollStep) {
    std::memcpy(cpl.bytes.data(), cq_[cq_head_].bytes.data(), cpl.bytes.size());
    std::atomic_thread_fence(std::memory_order_acquire);
    if (cpl.phase() == phase_) break;
    if (waited >= timeout_) {
      throw DriverError("admin " + std::string(hw::Name(cmd.opcode())) +
                        ": no completion from the card's firmware within " +
                        std::to_string(timeout_) + " cycles");
    }
    dev_.Run(kPollStep);
  }
  if (++cq_head_ == static_cast<std::uint32_t>(kEntries)) {
    cq_head_ = 0;
    phase_ = !phase_;
  }
  if (cpl.tag() != tag_) {
    throw DriverError("admin " + std::string(hw::Name(cmd.opcode())) + ": completion tag " +
                      std::to_string(cpl.tag()) + ", expected " + std::to_string(tag_));
  }
  ++commands_;
  return AdminResult{cpl.status(), cpl.result(), cpl};
}

AdminResult AdminQueue::Execute(const hw::AdminCmd &cmd) {
  const AdminResult r = Submit(cmd);
  if (r.status != hw::AdminStatus::kOk) {
    const bool queued =
        cmd.opcode() != hw::AdminOp::kIdentify && cmd.opcode() != hw::AdminOp::kChangeMtu &&
        cmd.opcode() != hw::AdminOp::kChangeOffloads && cmd.opcode() != hw::AdminOp::kReset;
    throw AdminError(cmd.opcode(), r.status,
                     queued ? "queue " + std::to_string(cmd.qid()) : std::string());
  }
  return r;
}

hw::AdminIdentify AdminQueue::Identify() {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kIdentify).set_addr0(result_bus_).set_len(kResultBytes);
  const AdminResult r = Execute(c);
  if (r.result < hw::AdminIdentify::kBytes) {
    throw DriverError("admin identify: the firmware wrote " + std::to_string(r.result) +
                      " bytes, expected " + std::to_string(hw::AdminIdentify::kBytes));
  }
  hw::AdminIdentify id{};
  std::memcpy(id.bytes.data(), result_, id.bytes.size());
  return id;
}

namespace {
hw::AdminCmd CreateCmd(hw::AdminOp op, int q, std::uint64_t ring, std::uint64_t cpl, int log2,
                       std::uint16_t irq_pkts, std::uint32_t irq_cycles) {
  hw::AdminCmd c{};
  c.set_opcode(op)
      .set_qid(static_cast<std::uint16_t>(q))
      .set_ring_log2(static_cast<std::uint8_t>(log2))
      .set_addr0(ring)
      .set_addr1(cpl)
      .set_arg1(irq_pkts)
      .set_arg2(irq_cycles);
  return c;
}
}  // namespace

void AdminQueue::CreateTxq(int q, std::uint64_t ring, std::uint64_t cpl, int log2,
                           std::uint16_t irq_pkts, std::uint32_t irq_cycles) {
  Execute(CreateCmd(hw::AdminOp::kCreateTxq, q, ring, cpl, log2, irq_pkts, irq_cycles));
}

void AdminQueue::CreateRxq(int q, std::uint64_t ring, std::uint64_t cpl, int log2,
                           std::uint16_t irq_pkts, std::uint32_t irq_cycles) {
  Execute(CreateCmd(hw::AdminOp::kCreateRxq, q, ring, cpl, log2, irq_pkts, irq_cycles));
}

void AdminQueue::DestroyTxq(int q) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kDestroyTxq).set_qid(static_cast<std::uint16_t>(q));
  Execute(c);
}

void AdminQueue::DestroyRxq(int q) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kDestroyRxq).set_qid(static_cast<std::uint16_t>(q));
  Execute(c);
}

void AdminQueue::ChangeMtu(std::uint32_t mtu) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kChangeMtu).set_arg0(mtu);
  Execute(c);
}

void AdminQueue::ChangeOffloads(std::uint32_t offloads) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kChangeOffloads).set_arg0(offloads);
  Execute(c);
}

void AdminQueue::SteerRx(int q) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kSteerRx).set_arg0(static_cast<std::uint32_t>(q));
  Execute(c);
}

device::Counters AdminQueue::ReadStats(int txq, int rxq, bool clear) {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kReadStats)
      .set_qid(static_cast<std::uint16_t>(txq))
      .set_arg0(static_cast<std::uint32_t>(rxq))
      .set_arg1(clear ? 1u : 0u)
      .set_addr0(result_bus_)
      .set_len(kResultBytes);
  const AdminResult r = Execute(c);
  if (r.result < hw::AdminStats::kBytes) {
    throw DriverError("admin read_stats: the firmware wrote " + std::to_string(r.result) +
                      " bytes, expected " + std::to_string(hw::AdminStats::kBytes));
  }
  hw::AdminStats s{};
  std::memcpy(s.bytes.data(), result_, s.bytes.size());
  device::Counters k;
  k.csum_tx_frames = s.csum_tx_frames();
  k.csum_tx_errors = s.csum_tx_errors();
  k.csum_rx_frames = s.csum_rx_frames();
  k.csum_rx_l3_bad = s.csum_rx_l3_bad();
  k.csum_rx_l4_bad = s.csum_rx_l4_bad();
  k.tso_requests = s.tso_requests();
  k.tso_segments = s.tso_segments();
  k.tso_errors = s.tso_errors();
  k.port_tx_frames = s.port_tx_frames();
  k.port_rx_frames = s.port_rx_frames();
  k.port_tx_bytes = s.port_tx_bytes();
  k.port_rx_bytes = s.port_rx_bytes();
  k.port_rx_drop_nobuf = s.port_rx_drop_nobuf();
  k.port_rx_drop_bad = s.port_rx_drop_bad();
  k.port_dma_rd_err = s.port_dma_rd_err();
  k.port_dma_wr_err = s.port_dma_wr_err();
  k.host_denied = s.host_denied();
  k.txq_packets = s.txq_packets();
  k.txq_drops = s.txq_drops();
  k.txq_errors = s.txq_errors();
  k.txq_bytes = s.txq_bytes();
  k.rxq_packets = s.rxq_packets();
  k.rxq_drops = s.rxq_drops();
  k.rxq_errors = s.rxq_errors();
  k.rxq_bytes = s.rxq_bytes();
  return k;
}

void AdminQueue::Reset() {
  hw::AdminCmd c{};
  c.set_opcode(hw::AdminOp::kReset);
  Execute(c);
}

}  // namespace mbufnic::driver
