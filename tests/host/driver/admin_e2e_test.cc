// The admin queue through the driver's AdminQueue on a card backend (MBUFNIC_E2E_BACKEND:
// "model", "sim" for the Verilated RTL, "systemc" for it behind TLM sockets), with the card's
// firmware answering (docs/admin.md): every command, every invalid form of each with the status
// it must get, and for every refusal the proof that it changed nothing (every management-side
// register of the card read back the same).  The card's registers, read through the host's CSR
// port, are the independent view of what a command did.  Every test ends with no DMA access
// outside what the host posted and no mbuf leaked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbuf_test_util.h"
#include "mbufnic/admin.hpp"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"

#ifndef MBUFNIC_E2E_BACKEND
#define MBUFNIC_E2E_BACKEND "model"
#endif

namespace mbufnic::drivertest {
namespace {

namespace csr = hw::csr;
using driver::AdminError;
using driver::AdminQueue;
using hw::AdminCmd;
using hw::AdminOp;
using hw::AdminStatus;

constexpr const char *kBackend = MBUFNIC_E2E_BACKEND;

// Ring memory for a queue the test creates: a zeroed 16 KiB cluster, both rings in it.
struct Rings {
  Rings() {
    m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
    std::memset(mtod(m, void *), 0, MJUM16BYTES);
    bus = mbufnic_vtobus(mtod(m, void *));
  }
  ~Rings() { m_freem(m); }
  Rings(const Rings &) = delete;
  Rings &operator=(const Rings &) = delete;
  std::uint64_t desc() const { return bus; }
  std::uint64_t cpl() const { return bus + 8192; }
  struct mbuf *m;
  std::uint64_t bus;
};

AdminCmd Create(AdminOp op, int q, const Rings &r, int log2 = 5, std::uint32_t pkts = 1,
                std::uint32_t cycles = 0) {
  AdminCmd c{};
  c.set_opcode(op)
      .set_qid(static_cast<std::uint16_t>(q))
      .set_ring_log2(static_cast<std::uint8_t>(log2))
      .set_addr0(r.desc())
      .set_addr1(r.cpl())
      .set_arg1(pkts)
      .set_arg2(cycles);
  return c;
}

AdminCmd Op(AdminOp op) {
  AdminCmd c{};
  c.set_opcode(op);
  return c;
}

class AdminE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto names = device::Backends();
    if (std::find(names.begin(), names.end(), kBackend) == names.end()) {
      GTEST_SKIP() << "backend " << kBackend << " is not in this build";
    }
    leaks_ = std::make_unique<test::LeakCheck>();
    device::Options o;
    o.loopback = true;
    dev_ = device::Open(kBackend, o);
    aq_ = std::make_unique<AdminQueue>(*dev_);
  }
  void TearDown() override {
    aq_.reset();
    if (dev_ != nullptr && dev_->memory() != nullptr) {
      const auto &v = dev_->memory()->violations();
      EXPECT_TRUE(v.empty()) << v.size() << " DMA violations, first: " << v.front();
    }
    dev_.reset();
    leaks_.reset();
  }

  std::uint32_t Reg(std::uint32_t offset) { return dev_->Read32(offset); }

  // Every bit the management side may write, across the card (but the admin queue's own
  // consumer index, which moves past every command): what a refused command must not change.
  std::map<std::uint32_t, std::uint32_t> ManagementState() {
    std::map<std::uint32_t, std::uint32_t> s;
    for (const csr::BlockInfo &b : csr::kBlocks) {
      if (b.base == csr::admin::kBase) continue;
      const std::uint32_t copies = b.count == 1 ? 1 : 8;
      for (std::uint32_t i = 0; i < copies; ++i) {
        for (std::uint32_t off = 0; off < b.size; off += 4) {
          const csr::RegInfo *r = csr::FindReg(b.base + i * b.size + off);
          if (r == nullptr || (r->mgmt_mask & r->rw_mask) == 0) continue;
          s[b.base + i * b.size + off] = Reg(b.base + i * b.size + off) & r->rw_mask;
        }
      }
    }
    return s;
  }

  // `cmd` is refused with `want`, and the card is as it was.
  void Refused(const AdminCmd &cmd, AdminStatus want, const std::string &what) {
    SCOPED_TRACE(what);
    const auto before = ManagementState();
    const driver::AdminResult r = aq_->Submit(cmd);
    EXPECT_EQ(hw::Name(r.status), std::string(hw::Name(want)));
    EXPECT_EQ(r.cpl.opcode(), cmd.opcode());
    EXPECT_EQ(r.result, 0u);
    EXPECT_EQ(ManagementState(), before);
  }

  std::unique_ptr<test::LeakCheck> leaks_;
  std::unique_ptr<device::Device> dev_;
  std::unique_ptr<AdminQueue> aq_;
};

TEST_F(AdminE2e, IdentifyTellsWhatTheCardRegistersSay) {
  const hw::AdminIdentify id = aq_->Identify();
  EXPECT_EQ(id.fw_version(), (1u << 16) | 0u);
  EXPECT_EQ(id.card_id(), Reg(csr::card::kBase + csr::card::kId));
  const std::uint32_t queues = Reg(csr::card::kBase + csr::card::kQueues);
  EXPECT_EQ(id.num_txq(), queues & 0xffff);
  EXPECT_EQ(id.num_rxq(), queues >> 16);
  EXPECT_EQ(id.tx_max_descs(), Reg(csr::card::kBase + csr::card::kTxMaxDescs));
  EXPECT_EQ(id.rx_max_bufs(), Reg(csr::card::kBase + csr::card::kRxMaxBufs));
  EXPECT_EQ(id.max_frame(), Reg(csr::card::kBase + csr::card::kMaxFrame));
  EXPECT_EQ(id.stream_width(), Reg(csr::card::kBase + csr::card::kStreamWidth));
  constexpr std::uint32_t kAll = 7;  // tx_csum, rx_csum, tso
  EXPECT_EQ(id.offloads(), kAll);
  EXPECT_EQ(id.offloads_on(), kAll);
  EXPECT_EQ(Reg(csr::csum::kBase + csr::csum::kCtrl), 3u);  // both engines on
  EXPECT_EQ(id.mtu(), 1500u);
  EXPECT_EQ(id.mtu(), Reg(csr::port::kBase + csr::port::kMtu));
  EXPECT_EQ(id.mtu_min(), 68u);
  EXPECT_EQ(id.mtu_max(), id.max_frame() - 18u);
  EXPECT_EQ(id.ring_log2_min(), 3u);
  EXPECT_EQ(id.ring_log2_max(), 15u);
  EXPECT_EQ(id.queues_up(), 0u);
  EXPECT_EQ(aq_->commands(), 1u);
}

TEST_F(AdminE2e, QueuesAreCreatedAndDestroyedOnTheManagementSide) {
  Rings t, r;
  aq_->CreateTxq(2, t.desc(), t.cpl(), 6, 8, 1000);
  aq_->CreateRxq(5, r.desc(), r.cpl(), 4, 1, 0);
  const std::uint32_t tq = csr::txq::Base(2), rq = csr::rxq::Base(5);
  EXPECT_EQ(Reg(tq + csr::txq::kRingLo), static_cast<std::uint32_t>(t.desc()));
  EXPECT_EQ(Reg(tq + csr::txq::kRingHi), static_cast<std::uint32_t>(t.desc() >> 32));
  EXPECT_EQ(Reg(tq + csr::txq::kCplLo), static_cast<std::uint32_t>(t.cpl()));
  EXPECT_EQ(Reg(tq + csr::txq::kRingSize), 6u);
  EXPECT_EQ(Reg(tq + csr::txq::kIrq), 8u);
  EXPECT_EQ(Reg(tq + csr::txq::kIrqTime), 1000u);
  EXPECT_EQ(Reg(tq + csr::txq::kCtrl), csr::txq::ctrl::kEnableMask);
  EXPECT_EQ(Reg(rq + csr::rxq::kRingSize), 4u);
  EXPECT_EQ(Reg(rq + csr::rxq::kCplHi), static_cast<std::uint32_t>(r.cpl() >> 32));
  dev_->Run(100);
  EXPECT_NE(Reg(tq + csr::txq::kStatus) & csr::txq::status::kRunningMask, 0u);
  EXPECT_NE(Reg(rq + csr::rxq::kStatus) & csr::rxq::status::kRunningMask, 0u);
  EXPECT_EQ(aq_->Identify().queues_up(), 2u);
  // Steering to a queue that is up.
  aq_->SteerRx(5);
  EXPECT_EQ(Reg(csr::port::kBase + csr::port::kCtrl), 5u);

  aq_->DestroyTxq(2);
  aq_->DestroyRxq(5);
  EXPECT_EQ(Reg(tq + csr::txq::kCtrl), 0u);
  EXPECT_EQ(Reg(tq + csr::txq::kStatus) & csr::txq::status::kRunningMask, 0u);
  EXPECT_EQ(Reg(rq + csr::rxq::kStatus) & csr::rxq::status::kRunningMask, 0u);
  EXPECT_EQ(aq_->Identify().queues_up(), 0u);
  // And up again on the same rings.
  aq_->CreateTxq(2, t.desc(), t.cpl(), 6, 8, 1000);
  aq_->DestroyTxq(2);
}

TEST_F(AdminE2e, EveryInvalidCommandIsRefusedAndChangesNothing) {
  Rings a, b;
  const hw::AdminIdentify id = aq_->Identify();
  const int ntx = id.num_txq(), nrx = id.num_rxq();
  aq_->CreateTxq(1, a.desc(), a.cpl());  // for queue_exists

  // Opcodes and reserved bytes.
  for (std::uint8_t op : {0, 11, 0x80, 0xff}) {
    AdminCmd c{};
    c.bytes[0] = op;
    Refused(c, AdminStatus::kBadOpcode, "opcode " + std::to_string(op));
  }
  for (std::size_t byte : {1u, 7u, 41u, 63u}) {
    AdminCmd c = Op(AdminOp::kReset);
    c.bytes[byte] = 0x10;
    Refused(c, AdminStatus::kBadReserved, "reserved byte " + std::to_string(byte));
  }
  {
    AdminCmd c = Op(AdminOp::kChangeMtu);
    c.set_arg0(1500).set_qid(1);
    Refused(c, AdminStatus::kBadReserved, "change_mtu with a queue");
    c = Create(AdminOp::kCreateRxq, 2, b);
    c.set_arg0(1);
    Refused(c, AdminStatus::kBadReserved, "create with arg0");
    c = Op(AdminOp::kDestroyTxq);
    c.set_qid(1).set_addr0(64);
    Refused(c, AdminStatus::kBadReserved, "destroy with an address");
  }

  // Queues.
  Refused(Create(AdminOp::kCreateTxq, ntx, b), AdminStatus::kBadQueue, "create past the txqs");
  Refused(Create(AdminOp::kCreateRxq, nrx, b), AdminStatus::kBadQueue, "create past the rxqs");
  Refused(Create(AdminOp::kCreateTxq, 1, b), AdminStatus::kQueueExists, "create twice");
  {
    AdminCmd c = Op(AdminOp::kDestroyRxq);
    c.set_qid(3);
    Refused(c, AdminStatus::kQueueAbsent, "destroy a queue never made");
    c.set_qid(static_cast<std::uint16_t>(nrx));
    Refused(c, AdminStatus::kBadQueue, "destroy past the rxqs");
  }
  Refused(Create(AdminOp::kCreateTxq, 2, b, 2), AdminStatus::kBadRing, "ring_log2 2");
  Refused(Create(AdminOp::kCreateTxq, 2, b, 16), AdminStatus::kBadRing, "ring_log2 16");
  {
    AdminCmd c = Create(AdminOp::kCreateRxq, 2, b);
    c.set_addr0(0);
    Refused(c, AdminStatus::kBadRing, "descriptor ring at 0");
    c = Create(AdminOp::kCreateRxq, 2, b);
    c.set_addr1(b.cpl() + 8);
    Refused(c, AdminStatus::kBadRing, "completion ring not 64-byte aligned");
  }
  Refused(Create(AdminOp::kCreateTxq, 2, b, 5, 0), AdminStatus::kBadValue, "irq after 0");
  Refused(Create(AdminOp::kCreateTxq, 2, b, 5, 65536), AdminStatus::kBadValue, "irq pkts 2^16");
  Refused(Create(AdminOp::kCreateTxq, 2, b, 5, 1, 1u << 24), AdminStatus::kBadValue,
          "irq timer 2^24");
  {
    AdminCmd c = Op(AdminOp::kSteerRx);
    c.set_arg0(4);
    Refused(c, AdminStatus::kQueueAbsent, "steer to a queue not set up");
    c.set_arg0(static_cast<std::uint32_t>(nrx));
    Refused(c, AdminStatus::kBadQueue, "steer past the rxqs");
  }

  // MTU and offloads.
  for (std::uint32_t mtu : {0u, 67u, id.mtu_max() + 1u, 65535u}) {
    AdminCmd c = Op(AdminOp::kChangeMtu);
    c.set_arg0(mtu);
    Refused(c, AdminStatus::kBadValue, "mtu " + std::to_string(mtu));
  }
  for (std::uint32_t bits : {8u, 4u, 6u, 0x80000007u}) {
    AdminCmd c = Op(AdminOp::kChangeOffloads);
    c.set_arg0(bits);
    Refused(c, AdminStatus::kBadValue, "offloads " + std::to_string(bits));
  }

  // Result buffers: too short, and one the card may not write (outside the DMA arena).
  {
    AdminCmd c = Op(AdminOp::kIdentify);
    c.set_addr0(aq_->result_bus()).set_len(hw::AdminIdentify::kBytes - 1);
    Refused(c, AdminStatus::kBadValue, "identify into 63 bytes");
    c = Op(AdminOp::kReadStats);
    c.set_addr0(aq_->result_bus()).set_len(hw::AdminStats::kBytes - 1);
    Refused(c, AdminStatus::kBadValue, "read_stats into 127 bytes");
    c.set_len(hw::AdminStats::kBytes).set_arg0(static_cast<std::uint32_t>(nrx));
    Refused(c, AdminStatus::kBadQueue, "read_stats of a receive queue past the card's");
    c.set_arg0(0).set_arg1(2);
    Refused(c, AdminStatus::kBadValue, "read_stats with an unknown flag");
  }
  if (dev_->memory() != nullptr) {
    AdminCmd c = Op(AdminOp::kIdentify);
    c.set_addr0(0x10).set_len(64);
    Refused(c, AdminStatus::kDmaError, "identify into memory outside the arena");
    EXPECT_EQ(dev_->memory()->violations().size(), 1u);
    dev_->memory()->ClearViolations();
  }

  // The queue refused nothing of its own: it is still up, and the admin queue still serves.
  EXPECT_EQ(aq_->Identify().queues_up(), 1u);
  aq_->DestroyTxq(1);
}

TEST_F(AdminE2e, MtuOffloadsAndResetChangeTheCard) {
  aq_->ChangeMtu(9000);
  EXPECT_EQ(Reg(csr::port::kBase + csr::port::kMtu), 9000u);
  EXPECT_EQ(aq_->Identify().mtu(), 9000u);
  aq_->ChangeOffloads(static_cast<std::uint32_t>(hw::AdminOffload::kRxCsum));
  EXPECT_EQ(Reg(csr::csum::kBase + csr::csum::kCtrl), csr::csum::ctrl::kRxEnableMask);
  EXPECT_EQ(aq_->Identify().offloads_on(), 2u);
  aq_->ChangeOffloads(0);
  EXPECT_EQ(Reg(csr::csum::kBase + csr::csum::kCtrl), 0u);

  Rings t, r;
  aq_->CreateTxq(0, t.desc(), t.cpl());
  aq_->CreateRxq(3, r.desc(), r.cpl());
  aq_->SteerRx(3);
  aq_->Reset();
  EXPECT_EQ(Reg(csr::txq::Base(0) + csr::txq::kCtrl), 0u);
  EXPECT_EQ(Reg(csr::rxq::Base(3) + csr::rxq::kCtrl), 0u);
  EXPECT_EQ(Reg(csr::port::kBase + csr::port::kCtrl), 0u);
  EXPECT_EQ(Reg(csr::port::kBase + csr::port::kMtu), 1500u);
  EXPECT_EQ(Reg(csr::csum::kBase + csr::csum::kCtrl), 3u);
  const hw::AdminIdentify id = aq_->Identify();
  EXPECT_EQ(id.queues_up(), 0u);
  EXPECT_EQ(id.offloads_on(), 7u);
  // Queues can be made again after a reset.
  aq_->CreateTxq(0, t.desc(), t.cpl());
  aq_->DestroyTxq(0);
}

// read_stats against the card's own counters (read through the CSRs), after traffic in
// loopback, and its clear.  The host's refused writes are in it too.
TEST_F(AdminE2e, ReadStatsIsWhatTheCountersSayAndClears) {
  // Traffic through the driver (which brings the card up through its own admin queue).
  aq_.reset();
  {
    driver::Nic nic(*dev_);
    std::vector<std::uint8_t> frame(200, 0x5a);
    frame[12] = 0x08;
    frame[13] = 0x00;
    for (int i = 0; i < 5; ++i) {
      struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
      ASSERT_EQ(
          m_append(m, static_cast<int>(frame.size()), reinterpret_cast<const char *>(frame.data())),
          1);
      ASSERT_EQ(nic.Transmit(0, &m, 1), 1);
    }
    int got = 0;
    for (int i = 0; i < 200 && got < 5; ++i) {
      nic.Poll(500, [&](int, struct mbuf *m) {
        ++got;
        m_freem(m);
      });
    }
    EXPECT_EQ(got, 5);
    // A host write the card refuses: counted in card.host_denied.
    dev_->Write32(csr::txq::Base(0) + csr::txq::kRingLo, 0x40);

    const device::Counters csrs = device::ReadCounters(*dev_);
    const device::Counters fw = nic.ReadStats();
    EXPECT_EQ(fw, csrs) << "firmware: " << fw.ToString() << "\nCSRs: " << csrs.ToString();
    EXPECT_EQ(fw.port_tx_frames, 5u);
    EXPECT_EQ(fw.port_rx_frames, 5u);
    EXPECT_EQ(fw.txq_packets, 5u);
    EXPECT_EQ(fw.rxq_packets, 5u);
    EXPECT_EQ(fw.host_denied, 1u);
    // Cleared after the read: the card-wide counters start over (the queues' have no clear).
    EXPECT_EQ(nic.ReadStats(0, 0, true), fw);
    const device::Counters after = device::ReadCounters(*dev_);
    EXPECT_EQ(after.port_tx_frames, 0u);
    EXPECT_EQ(after.port_rx_bytes, 0u);
    EXPECT_EQ(after.csum_tx_frames, 0u);
    EXPECT_EQ(after.tso_requests, 0u);
    EXPECT_EQ(after.txq_packets, 5u);
  }
  aq_ = std::make_unique<AdminQueue>(*dev_);
}

// The MTU is the port's: a received frame longer than MTU + 18 bytes (an Ethernet header and a
// VLAN tag) is dropped as bad and counted; one of exactly that length comes through.
TEST_F(AdminE2e, TheMtuLimitsTheFramesThePortTakes) {
  aq_.reset();
  {
    driver::NicOptions o;
    o.mtu = 1500;
    driver::Nic nic(*dev_, o);
    EXPECT_EQ(nic.mtu(), 1500u);
    EXPECT_EQ(Reg(csr::port::kBase + csr::port::kMtu), 1500u);
    const auto frame = [](std::size_t len) {
      std::vector<std::uint8_t> f(len, 0x33);
      f[12] = 0x88;  // an ethertype nobody parses: the frame is taken as it is
      f[13] = 0xb5;
      return f;
    };
    const std::uint32_t bad0 = device::ReadCounters(*dev_).port_rx_drop_bad;
    dev_->wire()->Inject(frame(1518), dev_->Now());
    dev_->wire()->Inject(frame(1519), dev_->Now() + 500);
    std::vector<std::size_t> got;
    const auto take = [&](int, struct mbuf *m) {
      got.push_back(static_cast<std::size_t>(m->m_pkthdr.len));
      m_freem(m);
    };
    for (int i = 0; i < 20; ++i) nic.Poll(200, take);
    EXPECT_EQ(got, std::vector<std::size_t>{1518});
    EXPECT_EQ(device::ReadCounters(*dev_).port_rx_drop_bad, bad0 + 1);
    // Jumbo: raised through the firmware, the long frame comes through.
    nic.SetMtu(9000);
    EXPECT_EQ(Reg(csr::port::kBase + csr::port::kMtu), 9000u);
    dev_->wire()->Inject(frame(9018), dev_->Now());
    dev_->wire()->Inject(frame(9019), dev_->Now() + 2000);
    got.clear();
    for (int i = 0; i < 20; ++i) nic.Poll(500, take);
    EXPECT_EQ(got, std::vector<std::size_t>{9018});
    EXPECT_EQ(device::ReadCounters(*dev_).port_rx_drop_bad, bad0 + 2);
    // An MTU the card cannot take is refused, and the MTU stays.
    EXPECT_THROW(nic.SetMtu(9203), AdminError);
    EXPECT_EQ(nic.mtu(), 9000u);
  }
  aq_ = std::make_unique<AdminQueue>(*dev_);
}

// The admin queue's own start and stop: the firmware answers in status; rings it cannot use are
// refused (status.err) until the host withdraws them, and a good setup then works.
TEST_F(AdminE2e, TheHandshakeAndRingsTheFirmwareRefuses) {
  const std::uint32_t ad = csr::admin::kBase;
  EXPECT_EQ(Reg(ad + csr::admin::kStatus), csr::admin::status::kEnabledMask);
  aq_.reset();
  EXPECT_EQ(Reg(ad + csr::admin::kStatus), 0u);
  EXPECT_EQ(Reg(ad + csr::admin::kCtrl), 0u);

  Rings r;
  dev_->Write32(ad + csr::admin::kSqLo, static_cast<std::uint32_t>(r.bus + 8));  // unaligned
  dev_->Write32(ad + csr::admin::kSqHi, static_cast<std::uint32_t>(r.bus >> 32));
  dev_->Write32(ad + csr::admin::kCqLo, static_cast<std::uint32_t>(r.cpl()));
  dev_->Write32(ad + csr::admin::kCqHi, static_cast<std::uint32_t>(r.cpl() >> 32));
  dev_->Write32(ad + csr::admin::kRingSize, 4);
  dev_->Write32(ad + csr::admin::kCtrl, csr::admin::ctrl::kEnableMask);
  dev_->Run(1000);
  EXPECT_EQ(Reg(ad + csr::admin::kStatus), csr::admin::status::kErrMask);
  dev_->Write32(ad + csr::admin::kCtrl, 0);
  dev_->Run(1000);
  EXPECT_EQ(Reg(ad + csr::admin::kStatus), 0u);
  // A size of 0 is refused the same way.
  dev_->Write32(ad + csr::admin::kSqLo, static_cast<std::uint32_t>(r.bus));
  dev_->Write32(ad + csr::admin::kRingSize, 0);
  dev_->Write32(ad + csr::admin::kCtrl, csr::admin::ctrl::kEnableMask);
  dev_->Run(1000);
  EXPECT_EQ(Reg(ad + csr::admin::kStatus), csr::admin::status::kErrMask);
  dev_->Write32(ad + csr::admin::kCtrl, 0);
  dev_->Run(1000);

  aq_ = std::make_unique<AdminQueue>(*dev_);
  EXPECT_EQ(aq_->Identify().queues_up(), 0u);
  // More commands than the ring has entries: the rings wrap, the phase flips.
  for (int i = 0; i < 3 * AdminQueue::kEntries; ++i)
    aq_->ChangeMtu(1500 + static_cast<std::uint32_t>(i));
  EXPECT_EQ(Reg(csr::port::kBase + csr::port::kMtu), 1500u + 3 * AdminQueue::kEntries - 1);
}

}  // namespace
}  // namespace mbufnic::drivertest
