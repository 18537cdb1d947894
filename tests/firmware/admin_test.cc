// The firmware's admin queue against a fake card (fake_card.h): the test posts commands into
// the submission ring as a host would and checks what a host would see (the completion in host
// memory, the records written to its buffers) and what the card would see (its registers).
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>
#include <mbufnic_fw/fw.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <vector>

#include "fake_card.h"

namespace mbufnic::hw {
void PrintTo(AdminStatus s, std::ostream* os) { *os << "AdminStatus " << static_cast<int>(s); }
}  // namespace mbufnic::hw

namespace mbufnic::fwtest {
namespace {

using hw::AdminCmd;
using hw::AdminCpl;
using hw::AdminIdentify;
using hw::AdminOp;
using hw::AdminStats;
using hw::AdminStatus;
namespace csr = hw::csr;

constexpr std::uint32_t kNumTxq = 4, kNumRxq = 3;
constexpr std::uint64_t kSq = 0x1'0000'0000, kCq = 0x2'0000'0000, kBuf = 0x3000'0000;
constexpr std::uint64_t kRing = 0x4000'0000, kCplRing = 0x5000'0000;
constexpr std::uint32_t kTxOn = static_cast<std::uint32_t>(hw::AdminOffload::kTxCsum);
constexpr std::uint32_t kRxOn = static_cast<std::uint32_t>(hw::AdminOffload::kRxCsum);
constexpr std::uint32_t kTsoOn = static_cast<std::uint32_t>(hw::AdminOffload::kTso);

constexpr std::uint32_t Admin(std::uint32_t reg) { return csr::admin::kBase + reg; }
constexpr std::uint32_t Txq(std::uint32_t q, std::uint32_t reg) { return csr::txq::Base(q) + reg; }
constexpr std::uint32_t Rxq(std::uint32_t q, std::uint32_t reg) { return csr::rxq::Base(q) + reg; }
constexpr std::uint32_t kMtuReg = csr::port::kBase + csr::port::kMtu;
constexpr std::uint32_t kCsumCtrl = csr::csum::kBase + csr::csum::kCtrl;

AdminCmd Cmd(AdminOp op, std::uint16_t tag = 0x5A5A) {
  AdminCmd c{};
  c.set_opcode(op).set_tag(tag);
  return c;
}

AdminCmd Create(AdminOp op, std::uint16_t q, std::uint8_t log2 = 8) {
  AdminCmd c = Cmd(op);
  c.set_qid(q).set_ring_log2(log2).set_addr0(kRing).set_addr1(kCplRing).set_arg1(32).set_arg2(1000);
  return c;
}

class AdminTest : public ::testing::Test {
 protected:
  AdminTest() : card_(kNumTxq, kNumRxq) {}

  void SetUp() override {
    hal_ = card_.Hal();
    ASSERT_EQ(nic_fw_init(&fw_, &hal_), 0);
    card_.Map(kBuf, 4096);
    Enable(3);
  }

  // The host's side of the handshake: rings of 2^log2 entries, then ctrl.enable.
  void Enable(unsigned log2, std::uint64_t sq = kSq, std::uint64_t cq = kCq) {
    card_.Map(kSq, 64u << 12);
    card_.Map(kCq, 16u << 12);
    card_.Set(Admin(csr::admin::kSqLo), static_cast<std::uint32_t>(sq));
    card_.Set(Admin(csr::admin::kSqHi), static_cast<std::uint32_t>(sq >> 32));
    card_.Set(Admin(csr::admin::kCqLo), static_cast<std::uint32_t>(cq));
    card_.Set(Admin(csr::admin::kCqHi), static_cast<std::uint32_t>(cq >> 32));
    card_.Set(Admin(csr::admin::kRingSize), log2);
    card_.Set(Admin(csr::admin::kProd), 0);
    card_.Set(Admin(csr::admin::kCtrl), 1);
    nic_fw_poll(&fw_);
    entries_ = 1u << log2;
    prod_ = 0;
    cq_slot_ = 0;
  }

  void Disable() {
    card_.Set(Admin(csr::admin::kCtrl), 0);
    nic_fw_poll(&fw_);
  }

  std::uint32_t Status() const { return card_.Get(Admin(csr::admin::kStatus)); }

  // Writes a command at the producer index and rings the doorbell (no poll).
  void Post(const AdminCmd& c) {
    card_.Write(kSq + std::uint64_t{prod_} * 64, c.bytes.data(), 64);
    prod_ = (prod_ + 1) % entries_;
    card_.Set(Admin(csr::admin::kProd), prod_);
  }

  AdminCpl CplAt(std::uint32_t slot) const {
    AdminCpl cpl{};
    const auto b = card_.Read(kCq + std::uint64_t{slot} * 16, 16);
    std::memcpy(cpl.bytes.data(), b.data(), 16);
    return cpl;
  }

  // Posts one command, polls once, returns its completion (checked for tag, opcode, head).
  AdminCpl Run(const AdminCmd& c) {
    Post(c);
    card_.ClearLog();
    EXPECT_EQ(nic_fw_poll(&fw_), 1u);
    const AdminCpl cpl = CplAt(cq_slot_);
    cq_slot_ = (cq_slot_ + 1) % entries_;
    EXPECT_EQ(cpl.tag(), c.tag());
    EXPECT_EQ(cpl.opcode(), c.opcode());
    EXPECT_EQ(cpl.sq_head(), prod_);
    EXPECT_EQ(card_.Get(Admin(csr::admin::kCons)), prod_);
    return cpl;
  }

  AdminStatus RunStatus(const AdminCmd& c) { return Run(c).status(); }

  // A command that must fail with `want` and change no register on the card (the admin
  // queue's doorbell and cons aside).
  void ExpectRefused(const AdminCmd& c, AdminStatus want) {
    auto before = card_.Snapshot();
    const AdminCpl cpl = Run(c);
    EXPECT_EQ(cpl.status(), want);
    EXPECT_EQ(cpl.result(), 0u);
    auto after = card_.Snapshot();
    for (std::uint32_t reg : {csr::admin::kProd, csr::admin::kCons}) {  // the ring moved on
      before.erase(Admin(reg));
      after.erase(Admin(reg));
    }
    EXPECT_EQ(before, after);
    for (const auto& [off, v] : card_.writes()) {
      EXPECT_EQ(off, Admin(csr::admin::kCons)) << "wrote " << v << " to " << std::hex << off;
    }
  }

  AdminIdentify Identify() {
    AdminCmd c = Cmd(AdminOp::kIdentify);
    c.set_addr0(kBuf).set_len(64);
    const AdminCpl cpl = Run(c);
    EXPECT_EQ(cpl.status(), AdminStatus::kOk);
    EXPECT_EQ(cpl.result(), 64u);
    AdminIdentify id{};
    const auto b = card_.Read(kBuf, 64);
    std::memcpy(id.bytes.data(), b.data(), 64);
    return id;
  }

  FakeCard card_;
  nic_fw_hal hal_{};
  nic_fw fw_{};
  std::uint32_t entries_ = 0, prod_ = 0, cq_slot_ = 0;
};

// ---- Init ------------------------------------------------------------------------------------

TEST(AdminInitTest, ReadsTheCardAndSetsDefaults) {
  FakeCard card(kNumTxq, kNumRxq);
  card.Set(csr::csum::kBase + csr::csum::kCtrl, 0);
  card.Set(kMtuReg, 9000);
  nic_fw_hal hal = card.Hal();
  nic_fw fw{};
  ASSERT_EQ(nic_fw_init(&fw, &hal), 0);
  EXPECT_EQ(fw.num_txq, kNumTxq);
  EXPECT_EQ(fw.num_rxq, kNumRxq);
  EXPECT_EQ(fw.max_frame, 9018);
  EXPECT_EQ(fw.caps, kTxOn | kRxOn | kTsoOn);
  EXPECT_EQ(card.Get(kCsumCtrl), csr::csum::ctrl::kTxEnableMask | csr::csum::ctrl::kRxEnableMask);
  EXPECT_EQ(card.Get(kMtuReg), 1500u);
  EXPECT_EQ(card.Get(Admin(csr::admin::kStatus)), 0u);
}

TEST(AdminInitTest, OffloadsFollowCaps) {
  FakeCard card(1, 1);
  card.Set(csr::card::kBase + csr::card::kCaps, csr::card::caps::kRxCsumMask);
  nic_fw_hal hal = card.Hal();
  nic_fw fw{};
  ASSERT_EQ(nic_fw_init(&fw, &hal), 0);
  EXPECT_EQ(fw.caps, kRxOn);
  EXPECT_EQ(card.Get(kCsumCtrl), csr::csum::ctrl::kRxEnableMask);
}

TEST(AdminInitTest, RefusesAnUnknownCard) {
  for (std::uint32_t id : {csr::card::kIdValue ^ 0x00010000u, csr::card::kIdValue + 0x100u}) {
    FakeCard card(1, 1);
    card.Set(csr::card::kBase + csr::card::kId, id);
    nic_fw_hal hal = card.Hal();
    nic_fw fw{};
    EXPECT_NE(nic_fw_init(&fw, &hal), 0) << std::hex << id;
  }
  FakeCard newer(1, 1);  // a later minor version is compatible
  newer.Set(csr::card::kBase + csr::card::kId, csr::card::kIdValue + 1);
  nic_fw_hal hal = newer.Hal();
  nic_fw fw{};
  EXPECT_EQ(nic_fw_init(&fw, &hal), 0);
}

// ---- The handshake and the rings --------------------------------------------------------------

TEST_F(AdminTest, EnableAndDisable) {
  EXPECT_EQ(Status(), csr::admin::status::kEnabledMask);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kIdentify).set_addr0(kBuf).set_len(64)), AdminStatus::kOk);
  Disable();
  EXPECT_EQ(Status(), 0u);
  EXPECT_EQ(card_.Get(Admin(csr::admin::kCons)), 0u);
  // Disabled: a posted command is not served.
  Post(Cmd(AdminOp::kIdentify).set_addr0(kBuf).set_len(64));
  EXPECT_EQ(nic_fw_poll(&fw_), 0u);
  // Enabled again: from index 0, phase 1.
  Enable(2);
  EXPECT_EQ(Status(), csr::admin::status::kEnabledMask);
  const AdminCpl cpl = Run(Cmd(AdminOp::kChangeMtu).set_arg0(1400));
  EXPECT_EQ(cpl.status(), AdminStatus::kOk);
  EXPECT_EQ(cpl.phase(), 1u);
  EXPECT_EQ(cpl.sq_head(), 1u);
}

TEST_F(AdminTest, RingWrapsAndPhaseFlips) {
  Disable();
  Enable(2);  // 4 entries
  for (unsigned i = 0; i < 10; ++i) {
    const AdminCpl cpl =
        Run(Cmd(AdminOp::kChangeMtu, static_cast<std::uint16_t>(i)).set_arg0(1500));
    EXPECT_EQ(cpl.status(), AdminStatus::kOk);
    EXPECT_EQ(cpl.phase(), (i / 4) % 2 == 0 ? 1u : 0u) << i;
    EXPECT_EQ(cpl.sq_head(), (i + 1) % 4) << i;
  }
  EXPECT_EQ(fw_.commands, 10u);
}

TEST_F(AdminTest, SeveralEntriesInOnePoll) {
  for (std::uint16_t t = 1; t <= 5; ++t) Post(Cmd(AdminOp::kChangeMtu, t).set_arg0(1500));
  EXPECT_EQ(nic_fw_poll(&fw_), 5u);
  for (std::uint32_t s = 0; s < 5; ++s) {
    EXPECT_EQ(CplAt(s).tag(), s + 1);
    EXPECT_EQ(CplAt(s).phase(), 1u);
  }
  EXPECT_EQ(card_.Get(Admin(csr::admin::kCons)), 5u);
}

TEST_F(AdminTest, BadRingSetupIsRefused) {
  struct Case {
    unsigned log2;
    std::uint64_t sq, cq;
  };
  for (const Case& c : {Case{0, kSq, kCq}, Case{13, kSq, kCq}, Case{3, kSq + 32, kCq},
                        Case{3, 0, kCq}, Case{3, kSq, kCq + 16}, Case{3, kSq, 0}}) {
    Disable();
    Enable(c.log2, c.sq, c.cq);
    EXPECT_EQ(Status(), csr::admin::status::kErrMask) << c.log2 << " " << c.sq << " " << c.cq;
    Post(Cmd(AdminOp::kChangeMtu).set_arg0(1400));
    EXPECT_EQ(nic_fw_poll(&fw_), 0u);
    EXPECT_EQ(card_.Get(kMtuReg), 1500u);
  }
  Disable();
  EXPECT_EQ(Status(), 0u);
  Enable(3);
  EXPECT_EQ(Status(), csr::admin::status::kEnabledMask);
}

TEST_F(AdminTest, BadProducerIndexStopsServing) {
  card_.Set(Admin(csr::admin::kProd), entries_);
  EXPECT_EQ(nic_fw_poll(&fw_), 0u);
  EXPECT_EQ(Status(), csr::admin::status::kErrMask);
  card_.Set(Admin(csr::admin::kProd), 1);
  EXPECT_EQ(nic_fw_poll(&fw_), 0u);  // stays stopped until ctrl.enable goes to 0
  Disable();
  Enable(3);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeMtu).set_arg0(1400)), AdminStatus::kOk);
}

TEST_F(AdminTest, RingReadErrorStopsServing) {
  card_.fail_dma.insert(kSq);
  Post(Cmd(AdminOp::kChangeMtu).set_arg0(1400));
  EXPECT_EQ(nic_fw_poll(&fw_), 0u);
  EXPECT_EQ(Status(), csr::admin::status::kErrMask);
  EXPECT_EQ(card_.Get(kMtuReg), 1500u);
  EXPECT_EQ(card_.Get(Admin(csr::admin::kCons)), 0u);
}

TEST_F(AdminTest, CompletionWriteErrorStopsServing) {
  card_.fail_dma.insert(kCq);
  Post(Cmd(AdminOp::kChangeMtu).set_arg0(1400));
  EXPECT_EQ(nic_fw_poll(&fw_), 0u);
  EXPECT_EQ(Status(), csr::admin::status::kErrMask);
  EXPECT_EQ(card_.Get(Admin(csr::admin::kCons)), 0u);
}

TEST_F(AdminTest, UnknownOpcode) {
  for (unsigned op : {0u, 11u, 0xFFu})
    ExpectRefused(Cmd(static_cast<AdminOp>(op)), AdminStatus::kBadOpcode);
}

// ---- identify ---------------------------------------------------------------------------------

TEST_F(AdminTest, IdentifyDescribesCardAndFirmware) {
  const AdminIdentify id = Identify();
  EXPECT_EQ(id.fw_version(), (NIC_FW_VERSION_MAJOR << 16) | NIC_FW_VERSION_MINOR);
  EXPECT_EQ(id.card_id(), csr::card::kIdValue);
  EXPECT_EQ(id.offloads(), kTxOn | kRxOn | kTsoOn);
  EXPECT_EQ(id.offloads_on(), kTxOn | kRxOn | kTsoOn);
  EXPECT_EQ(id.num_txq(), kNumTxq);
  EXPECT_EQ(id.num_rxq(), kNumRxq);
  EXPECT_EQ(id.tx_max_descs(), 16u);
  EXPECT_EQ(id.rx_max_bufs(), 8u);
  EXPECT_EQ(id.mtu_min(), 68u);
  EXPECT_EQ(id.mtu_max(), 9018u - 18u);
  EXPECT_EQ(id.mtu(), 1500u);
  EXPECT_EQ(id.max_frame(), 9018u);
  EXPECT_EQ(id.stream_width(), 512u);
  EXPECT_EQ(id.ring_log2_min(), 3u);
  EXPECT_EQ(id.ring_log2_max(), 15u);
  EXPECT_EQ(id.queues_up(), 0u);
}

TEST_F(AdminTest, IdentifyRefusals) {
  const AdminCmd ok = Cmd(AdminOp::kIdentify).set_addr0(kBuf).set_len(64);
  ExpectRefused(AdminCmd(ok).set_len(63), AdminStatus::kBadValue);
  ExpectRefused(AdminCmd(ok).set_qid(1), AdminStatus::kBadReserved);
  ExpectRefused(AdminCmd(ok).set_ring_log2(3), AdminStatus::kBadReserved);
  ExpectRefused(AdminCmd(ok).set_addr1(64), AdminStatus::kBadReserved);
  ExpectRefused(AdminCmd(ok).set_arg0(1), AdminStatus::kBadReserved);
  ExpectRefused(AdminCmd(ok).set_arg1(1), AdminStatus::kBadReserved);
  ExpectRefused(AdminCmd(ok).set_arg2(1), AdminStatus::kBadReserved);
  for (unsigned byte : {1u, 7u, 40u, 63u}) {
    AdminCmd c = ok;
    c.bytes[byte] = 0x80;
    ExpectRefused(c, AdminStatus::kBadReserved);
  }
  // The result buffer is not there: dma_error, nothing written.
  ExpectRefused(AdminCmd(ok).set_addr0(0x7000'0000), AdminStatus::kDmaError);
  card_.fail_dma.insert(kBuf);
  ExpectRefused(ok, AdminStatus::kDmaError);
}

// ---- create / destroy -------------------------------------------------------------------------

TEST_F(AdminTest, CreateTxqProgramsTheQueue) {
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 2, 10)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kRingLo)), static_cast<std::uint32_t>(kRing));
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kRingHi)), 0u);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kCplLo)), static_cast<std::uint32_t>(kCplRing));
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kRingSize)), 10u);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kProd)), 0u);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kIrq)), 32u);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kIrqTime)), 1000u);
  EXPECT_EQ(card_.Get(Txq(2, csr::txq::kCtrl)), csr::txq::ctrl::kEnableMask);
  // Enabled last, after every ring register.
  ASSERT_FALSE(card_.writes().empty());
  const auto last_queue_write = card_.writes()[card_.writes().size() - 2];
  EXPECT_EQ(last_queue_write, std::make_pair(Txq(2, csr::txq::kCtrl), csr::txq::ctrl::kEnableMask));
  EXPECT_EQ(Identify().queues_up(), 1u);
}

TEST_F(AdminTest, CreateRxqWithHighAddresses) {
  AdminCmd c = Create(AdminOp::kCreateRxq, 1, 15);
  c.set_addr0(0x12'3456'7840)
      .set_addr1(0xFFFF'FFFF'FFFF'FFC0)
      .set_arg1(65535)
      .set_arg2((1u << 24) - 1);
  ASSERT_EQ(RunStatus(c), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kRingLo)), 0x3456'7840u);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kRingHi)), 0x12u);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kCplLo)), 0xFFFF'FFC0u);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kCplHi)), 0xFFFF'FFFFu);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kRingSize)), 15u);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kIrq)), 65535u);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kIrqTime)), (1u << 24) - 1);
  EXPECT_EQ(card_.Get(Rxq(1, csr::rxq::kCtrl)), csr::rxq::ctrl::kEnableMask);
  EXPECT_EQ(card_.Get(Txq(1, csr::txq::kCtrl)), 0u);
}

TEST_F(AdminTest, CreateRefusals) {
  for (AdminOp op : {AdminOp::kCreateTxq, AdminOp::kCreateRxq}) {
    const std::uint16_t num = op == AdminOp::kCreateTxq ? kNumTxq : kNumRxq;
    const AdminCmd ok = Create(op, 0);
    ExpectRefused(AdminCmd(ok).set_qid(num), AdminStatus::kBadQueue);
    ExpectRefused(AdminCmd(ok).set_qid(0xFFFF), AdminStatus::kBadQueue);
    ExpectRefused(AdminCmd(ok).set_ring_log2(2), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_ring_log2(16), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_addr0(0), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_addr0(kRing + 8), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_addr1(0), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_addr1(kCplRing + 32), AdminStatus::kBadRing);
    ExpectRefused(AdminCmd(ok).set_arg1(0), AdminStatus::kBadValue);
    ExpectRefused(AdminCmd(ok).set_arg1(65536), AdminStatus::kBadValue);
    ExpectRefused(AdminCmd(ok).set_arg2(1u << 24), AdminStatus::kBadValue);
    ExpectRefused(AdminCmd(ok).set_arg0(1), AdminStatus::kBadReserved);
    ExpectRefused(AdminCmd(ok).set_len(64), AdminStatus::kBadReserved);
    AdminCmd rsvd = ok;
    rsvd.bytes[7] = 1;
    ExpectRefused(rsvd, AdminStatus::kBadReserved);
    ASSERT_EQ(RunStatus(ok), AdminStatus::kOk);
    ExpectRefused(ok, AdminStatus::kQueueExists);
  }
}

TEST_F(AdminTest, CardErrorMidCreateIsUndone) {
  card_.fail_write.insert(Txq(1, csr::txq::kRingSize));
  const AdminCpl cpl = Run(Create(AdminOp::kCreateTxq, 1));
  EXPECT_EQ(cpl.status(), AdminStatus::kCardError);
  EXPECT_EQ(card_.Get(Txq(1, csr::txq::kCtrl)), 0u);
  EXPECT_EQ(card_.Get(Txq(1, csr::txq::kStatus)) & csr::txq::status::kRunningMask, 0u);
  // Failing on the final enable: the queue never runs either.
  card_.fail_write = {};
  card_.fail_write.insert(Txq(1, csr::txq::kIrq));
  EXPECT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 1)), AdminStatus::kCardError);
  EXPECT_EQ(card_.Get(Txq(1, csr::txq::kCtrl)), 0u);
  // Still down: create works once the card does.
  card_.fail_write = {};
  ExpectRefused(Cmd(AdminOp::kDestroyTxq).set_qid(1), AdminStatus::kQueueAbsent);
  EXPECT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 1)), AdminStatus::kOk);
}

TEST_F(AdminTest, DestroyWaitsForTheQueueToStop) {
  card_.stop_lag = 5;
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 3)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateRxq, 2)), AdminStatus::kOk);
  card_.status_reads = 0;
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kDestroyTxq).set_qid(3)), AdminStatus::kOk);
  EXPECT_EQ(card_.status_reads, 6);
  EXPECT_EQ(card_.Get(Txq(3, csr::txq::kCtrl)), 0u);
  EXPECT_EQ(card_.Get(Txq(3, csr::txq::kStatus)), 0u);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kDestroyRxq).set_qid(2)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(Rxq(2, csr::rxq::kCtrl)), 0u);
  EXPECT_EQ(Identify().queues_up(), 0u);
  // Down again: create works.
  EXPECT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 3)), AdminStatus::kOk);
}

TEST_F(AdminTest, DestroyRefusals) {
  for (AdminOp op : {AdminOp::kDestroyTxq, AdminOp::kDestroyRxq}) {
    const std::uint16_t num = op == AdminOp::kDestroyTxq ? kNumTxq : kNumRxq;
    ExpectRefused(Cmd(op).set_qid(0), AdminStatus::kQueueAbsent);
    ExpectRefused(Cmd(op).set_qid(num), AdminStatus::kBadQueue);
    ASSERT_EQ(RunStatus(Create(
                  op == AdminOp::kDestroyTxq ? AdminOp::kCreateTxq : AdminOp::kCreateRxq, 0)),
              AdminStatus::kOk);
    ExpectRefused(Cmd(op).set_qid(0).set_addr0(kRing), AdminStatus::kBadReserved);
    ExpectRefused(Cmd(op).set_qid(0).set_ring_log2(3), AdminStatus::kBadReserved);
  }
}

TEST_F(AdminTest, DestroyTimeoutLeavesTheQueueUpAndDisabled) {
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 0)), AdminStatus::kOk);
  card_.stuck = true;
  card_.status_reads = 0;
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kDestroyTxq).set_qid(0)), AdminStatus::kTimeout);
  EXPECT_EQ(card_.status_reads, 10000);
  EXPECT_EQ(card_.Get(Txq(0, csr::txq::kCtrl)), 0u);
  EXPECT_EQ(Identify().queues_up(), 1u);
  EXPECT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 0)), AdminStatus::kQueueExists);
  card_.stuck = false;
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kDestroyTxq).set_qid(0)), AdminStatus::kOk);
  EXPECT_EQ(Identify().queues_up(), 0u);
}

// ---- MTU and offloads -------------------------------------------------------------------------

TEST_F(AdminTest, ChangeMtu) {
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeMtu).set_arg0(68)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kMtuReg), 68u);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeMtu).set_arg0(9018 - 18)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kMtuReg), 9018u - 18u);
  EXPECT_EQ(Identify().mtu(), 9018u - 18u);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(67), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(9018 - 17), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(0x10000 + 1500), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(1500).set_arg1(1), AdminStatus::kBadReserved);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(1500).set_qid(1), AdminStatus::kBadReserved);
  card_.fail_write.insert(kMtuReg);
  ExpectRefused(Cmd(AdminOp::kChangeMtu).set_arg0(1500), AdminStatus::kCardError);
}

TEST_F(AdminTest, ChangeOffloads) {
  const std::uint32_t tx = csr::csum::ctrl::kTxEnableMask, rx = csr::csum::ctrl::kRxEnableMask;
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeOffloads).set_arg0(kRxOn)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kCsumCtrl), rx);
  EXPECT_EQ(Identify().offloads_on(), kRxOn);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeOffloads).set_arg0(kTxOn)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kCsumCtrl), tx);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeOffloads).set_arg0(kTxOn | kTsoOn)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kCsumCtrl), tx);
  EXPECT_EQ(Identify().offloads_on(), kTxOn | kTsoOn);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kChangeOffloads).set_arg0(0)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(kCsumCtrl), 0u);
  ExpectRefused(Cmd(AdminOp::kChangeOffloads).set_arg0(kTsoOn), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeOffloads).set_arg0(kRxOn | kTsoOn), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeOffloads).set_arg0(8), AdminStatus::kBadValue);
  ExpectRefused(Cmd(AdminOp::kChangeOffloads).set_arg0(kTxOn).set_len(4),
                AdminStatus::kBadReserved);
  card_.fail_write.insert(kCsumCtrl);
  ExpectRefused(Cmd(AdminOp::kChangeOffloads).set_arg0(kTxOn | kRxOn), AdminStatus::kCardError);
  EXPECT_EQ(Identify().offloads_on(), 0u);
}

TEST(AdminOffloadCapsTest, OffloadsTheCardLacks) {
  FakeCard card(1, 1);
  card.Set(csr::card::kBase + csr::card::kCaps, csr::card::caps::kTxCsumMask);
  nic_fw_hal hal = card.Hal();
  nic_fw fw{};
  ASSERT_EQ(nic_fw_init(&fw, &hal), 0);
  card.Map(kSq, 64 * 8);
  card.Map(kCq, 16 * 8);
  card.Set(Admin(csr::admin::kSqHi), kSq >> 32);
  card.Set(Admin(csr::admin::kCqHi), kCq >> 32);
  card.Set(Admin(csr::admin::kRingSize), 3);
  card.Set(Admin(csr::admin::kCtrl), 1);
  nic_fw_poll(&fw);
  std::uint32_t slot = 0;
  for (std::uint32_t on : {kRxOn, kTxOn | kTsoOn, kTxOn}) {
    AdminCmd c = Cmd(AdminOp::kChangeOffloads).set_arg0(on);
    card.Write(kSq + 64 * slot, c.bytes.data(), 64);
    card.Set(Admin(csr::admin::kProd), slot + 1);
    ASSERT_EQ(nic_fw_poll(&fw), 1u);
    AdminCpl cpl{};
    std::memcpy(cpl.bytes.data(), card.Read(kCq + 16 * slot, 16).data(), 16);
    EXPECT_EQ(cpl.status(), on == kTxOn ? AdminStatus::kOk : AdminStatus::kBadValue) << on;
    ++slot;
  }
}

TEST_F(AdminTest, SteerRx) {
  const std::uint32_t port_ctrl = csr::port::kBase + csr::port::kCtrl;
  ExpectRefused(Cmd(AdminOp::kSteerRx).set_arg0(2), AdminStatus::kQueueAbsent);
  ExpectRefused(Cmd(AdminOp::kSteerRx).set_arg0(kNumRxq), AdminStatus::kBadQueue);
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateRxq, 2)), AdminStatus::kOk);
  ExpectRefused(Cmd(AdminOp::kSteerRx).set_arg0(2).set_qid(2), AdminStatus::kBadReserved);
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kSteerRx).set_arg0(2)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(port_ctrl), 2u);
  card_.fail_write.insert(port_ctrl);
  ExpectRefused(Cmd(AdminOp::kSteerRx).set_arg0(2), AdminStatus::kCardError);
  card_.fail_write = {};
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kReset)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(port_ctrl), 0u);
}

// ---- read_stats ---------------------------------------------------------------------------------

class AdminStatsTest : public AdminTest {
 protected:
  void SetCounters() {
    std::uint32_t v = 100;
    for (std::uint32_t off : {csr::csum::kTxFrames, csr::csum::kTxErrors, csr::csum::kRxFrames,
                              csr::csum::kRxL3Bad, csr::csum::kRxL4Bad})
      card_.Set(csr::csum::kBase + off, v++);
    for (std::uint32_t off : {csr::tso::kRequests, csr::tso::kSegments, csr::tso::kErrors})
      card_.Set(csr::tso::kBase + off, v++);
    for (std::uint32_t off : {csr::port::kTxFrames, csr::port::kRxFrames, csr::port::kRxDropNobuf,
                              csr::port::kRxDropBad, csr::port::kDmaRdErr, csr::port::kDmaWrErr})
      card_.Set(csr::port::kBase + off, v++);
    card_.Set64(csr::port::kBase + csr::port::kTxBytesLo, 0x1'2345'6789);
    card_.Set64(csr::port::kBase + csr::port::kRxBytesLo, 0xAB'0000'0001);
    card_.Set(csr::card::kBase + csr::card::kHostDenied, 7);
    card_.Set(Txq(2, csr::txq::kPackets), 200);
    card_.Set(Txq(2, csr::txq::kDrops), 201);
    card_.Set(Txq(2, csr::txq::kErrors), 202);
    card_.Set64(Txq(2, csr::txq::kBytesLo), 0x5'0000'0203);
    card_.Set(Rxq(1, csr::rxq::kPackets), 300);
    card_.Set(Rxq(1, csr::rxq::kDrops), 301);
    card_.Set(Rxq(1, csr::rxq::kErrors), 302);
    card_.Set64(Rxq(1, csr::rxq::kBytesLo), 0x6'0000'0303);
  }

  static AdminCmd Stats(std::uint32_t clear = 0) {
    return Cmd(AdminOp::kReadStats)
        .set_qid(2)
        .set_arg0(1)
        .set_addr0(kBuf)
        .set_len(128)
        .set_arg1(clear);
  }

  AdminStats Buffer() const {
    AdminStats s{};
    std::memcpy(s.bytes.data(), card_.Read(kBuf, 128).data(), 128);
    return s;
  }
};

TEST_F(AdminStatsTest, ReadsEveryCounter) {
  SetCounters();
  const AdminCpl cpl = Run(Stats());
  ASSERT_EQ(cpl.status(), AdminStatus::kOk);
  EXPECT_EQ(cpl.result(), 128u);
  const AdminStats s = Buffer();
  EXPECT_EQ(s.csum_tx_frames(), 100u);
  EXPECT_EQ(s.csum_tx_errors(), 101u);
  EXPECT_EQ(s.csum_rx_frames(), 102u);
  EXPECT_EQ(s.csum_rx_l3_bad(), 103u);
  EXPECT_EQ(s.csum_rx_l4_bad(), 104u);
  EXPECT_EQ(s.tso_requests(), 105u);
  EXPECT_EQ(s.tso_segments(), 106u);
  EXPECT_EQ(s.tso_errors(), 107u);
  EXPECT_EQ(s.port_tx_frames(), 108u);
  EXPECT_EQ(s.port_rx_frames(), 109u);
  EXPECT_EQ(s.port_rx_drop_nobuf(), 110u);
  EXPECT_EQ(s.port_rx_drop_bad(), 111u);
  EXPECT_EQ(s.port_dma_rd_err(), 112u);
  EXPECT_EQ(s.port_dma_wr_err(), 113u);
  EXPECT_EQ(s.port_tx_bytes(), 0x1'2345'6789u);  // high words latched by the low reads
  EXPECT_EQ(s.port_rx_bytes(), 0xAB'0000'0001u);
  EXPECT_EQ(s.host_denied(), 7u);
  EXPECT_EQ(s.txq_packets(), 200u);
  EXPECT_EQ(s.txq_drops(), 201u);
  EXPECT_EQ(s.txq_errors(), 202u);
  EXPECT_EQ(s.txq_bytes(), 0x5'0000'0203u);
  EXPECT_EQ(s.rxq_packets(), 300u);
  EXPECT_EQ(s.rxq_drops(), 301u);
  EXPECT_EQ(s.rxq_errors(), 302u);
  EXPECT_EQ(s.rxq_bytes(), 0x6'0000'0303u);
  EXPECT_TRUE(card_.pulses.empty());  // no clear asked for
  EXPECT_EQ(card_.Get(csr::csum::kBase + csr::csum::kTxFrames), 100u);
}

TEST_F(AdminStatsTest, ClearsAfterTheRead) {
  SetCounters();
  const AdminCpl cpl = Run(Stats(1));
  ASSERT_EQ(cpl.status(), AdminStatus::kOk);
  EXPECT_EQ(Buffer().port_tx_bytes(), 0x1'2345'6789u);
  EXPECT_EQ(card_.pulses[csr::csum::kBase + csr::csum::kErrClear], 1);
  EXPECT_EQ(card_.pulses[csr::tso::kBase + csr::tso::kClear], 1);
  EXPECT_EQ(card_.pulses[csr::port::kBase + csr::port::kClear], 1);
  ASSERT_EQ(RunStatus(Stats()), AdminStatus::kOk);
  const AdminStats s = Buffer();
  EXPECT_EQ(s.csum_tx_frames(), 0u);
  EXPECT_EQ(s.tso_segments(), 0u);
  EXPECT_EQ(s.port_tx_bytes(), 0u);
  EXPECT_EQ(s.txq_packets(), 200u);  // the queues have no clear
}

TEST_F(AdminStatsTest, Refusals) {
  SetCounters();
  ExpectRefused(Stats().set_len(127), AdminStatus::kBadValue);
  ExpectRefused(Stats().set_arg1(2), AdminStatus::kBadValue);
  ExpectRefused(Stats().set_arg1(3), AdminStatus::kBadValue);
  ExpectRefused(Stats().set_qid(kNumTxq), AdminStatus::kBadQueue);
  ExpectRefused(Stats().set_arg0(kNumRxq), AdminStatus::kBadQueue);
  ExpectRefused(Stats().set_ring_log2(1), AdminStatus::kBadReserved);
  ExpectRefused(Stats().set_addr1(64), AdminStatus::kBadReserved);
  ExpectRefused(Stats().set_arg2(1), AdminStatus::kBadReserved);
  // The buffer cannot be written: dma_error, and the counters are not cleared.
  card_.fail_dma.insert(kBuf);
  ExpectRefused(Stats(1), AdminStatus::kDmaError);
  EXPECT_TRUE(card_.pulses.empty());
  card_.fail_dma = {};
  card_.fail_read.insert(Txq(2, csr::txq::kBytesHi));
  ExpectRefused(Stats(1), AdminStatus::kCardError);
}

// ---- reset ----------------------------------------------------------------------------------

TEST_F(AdminStatsTest, ResetPutsTheCardBack) {
  card_.stop_lag = 2;
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 0)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 3)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateRxq, 2)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Cmd(AdminOp::kChangeMtu).set_arg0(8000)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Cmd(AdminOp::kChangeOffloads).set_arg0(kRxOn)), AdminStatus::kOk);
  SetCounters();
  ExpectRefused(Cmd(AdminOp::kReset).set_arg0(1), AdminStatus::kBadReserved);
  ASSERT_EQ(RunStatus(Cmd(AdminOp::kReset)), AdminStatus::kOk);
  EXPECT_EQ(card_.Get(Txq(0, csr::txq::kCtrl)), 0u);
  EXPECT_EQ(card_.Get(Txq(3, csr::txq::kCtrl)), 0u);
  EXPECT_EQ(card_.Get(Rxq(2, csr::rxq::kCtrl)), 0u);
  EXPECT_EQ(card_.Get(Txq(3, csr::txq::kStatus)), 0u);
  EXPECT_EQ(card_.Get(kMtuReg), 1500u);
  EXPECT_EQ(card_.Get(kCsumCtrl), csr::csum::ctrl::kTxEnableMask | csr::csum::ctrl::kRxEnableMask);
  EXPECT_EQ(card_.Get(csr::port::kBase + csr::port::kTxFrames), 0u);
  EXPECT_EQ(card_.Get(csr::csum::kBase + csr::csum::kRxL4Bad), 0u);
  const AdminIdentify id = Identify();
  EXPECT_EQ(id.queues_up(), 0u);
  EXPECT_EQ(id.offloads_on(), kTxOn | kRxOn | kTsoOn);
  EXPECT_EQ(id.mtu(), 1500u);
  // The admin queue itself goes on.
  EXPECT_EQ(Status(), csr::admin::status::kEnabledMask);
}

TEST_F(AdminTest, ResetReportsAQueueThatDoesNotStop) {
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateTxq, 0)), AdminStatus::kOk);
  ASSERT_EQ(RunStatus(Create(AdminOp::kCreateRxq, 0)), AdminStatus::kOk);
  card_.stuck = true;
  EXPECT_EQ(RunStatus(Cmd(AdminOp::kReset)), AdminStatus::kTimeout);
  EXPECT_EQ(card_.Get(Rxq(0, csr::rxq::kCtrl)), 0u);  // it went on with the others
  EXPECT_EQ(card_.Get(kMtuReg), 1500u);
}

}  // namespace
}  // namespace mbufnic::fwtest
