// nic_queue_csr, one queue's register block, through its AXI4-Lite port (random idle cycles and
// ready drops, handshakes checked every cycle), with its direction's counters in RAM
// (nic_queue_stats, four queues): the ring registers reach the path, what the path reports reads
// back, and the counters count the events of this queue and of no other (events go to queues 0
// to 5, numbers 4 and 5 beyond the block's count).  The byte counter is 64 bits kept as two
// 32-bit lanes with the carry added at the next event; reading bytes_lo latches bytes_hi, and
// the pair must always read as a value the count really had.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>

#include <cstdint>
#include <random>
#include <set>

#include "Vnic_queue_csr_tb.h"
#include "bfm/axil_manager.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

namespace txq = hw::csr::txq;
using sim::AxilManager;

class QueueCsr : public ::testing::Test {
 protected:
  QueueCsr() : h_("queue_csr", 7), mgr_(sim::AxilPinsOf(h_.top()), 7) { h_.Reset(); }
  ~QueueCsr() override {
    EXPECT_EQ(mgr_.protocol_errors(), 0u)
        << (mgr_.error_log().empty() ? "" : mgr_.error_log().front());
  }

  // One cycle; `events` (when set) drives the next cycle's event inputs.
  void Tick() {
    h_.Cycle(
        [&] {
          mgr_.Sample();
          Vnic_queue_csr_tb &t = h_.top();
          const bool mine = t.cpl_i && t.cpl_q_i == 0;
          if (mine && !t.cpl_err_i) {
            ++packets_;
            bytes_ += t.cpl_bytes_i;
            had_.insert(bytes_);
          }
          if (mine && t.cpl_err_i) ++errors_;
          if (t.drop_i && t.drop_q_i == 0) ++drops_;
        },
        [&] {
          mgr_.Drive();
          Vnic_queue_csr_tb &t = h_.top();
          t.cpl_i = t.cpl_err_i = t.drop_i = 0;
          if (events_ && rng_() % 3 != 0) {
            t.cpl_i = 1;
            // Half to this queue, so its events come back to back as often as apart.
            t.cpl_q_i = rng_() % 2 ? 0 : static_cast<std::uint16_t>(rng_() % 6);
            t.cpl_err_i = rng_() % 8 == 0;
            // Large counts, so the low half wraps every few events.
            t.cpl_bytes_i = static_cast<std::uint32_t>(rng_());
            t.drop_i = t.cpl_err_i;
            t.drop_q_i = t.cpl_q_i;
          }
        });
  }

  std::uint32_t Read(std::uint32_t off) {
    const std::size_t i = mgr_.Read(txq::Base(0) + off);
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); })) << "read of " << off << " never completed";
    return mgr_.read_op(i).data;
  }
  void Write(std::uint32_t off, std::uint32_t v) {
    mgr_.Write(txq::Base(0) + off, v);
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); })) << "write of " << off << " never completed";
  }
  // bytes_lo then bytes_hi, both in flight together.
  std::uint64_t ReadBytes() {
    const std::size_t lo = mgr_.Read(txq::Base(0) + txq::kBytesLo);
    const std::size_t hi = mgr_.Read(txq::Base(0) + txq::kBytesHi);
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); }));
    return std::uint64_t{mgr_.read_op(hi).data} << 32 | mgr_.read_op(lo).data;
  }

  sim::Harness<Vnic_queue_csr_tb> h_;
  AxilManager mgr_;
  std::mt19937_64 rng_{11};
  bool events_ = false;
  std::uint64_t packets_ = 0, bytes_ = 0, errors_ = 0, drops_ = 0;
  std::set<std::uint64_t> had_{0};  // every value the byte count went through
};

TEST_F(QueueCsr, RingRegistersReachThePathAndItsReportReadsBack) {
  Vnic_queue_csr_tb &t = h_.top();
  EXPECT_EQ(Read(txq::kId), txq::kIdValue);
  Write(txq::kRingLo, 0x89ab'c000u);
  Write(txq::kRingHi, 0x0000'0012u);
  Write(txq::kCplLo, 0x4455'6600u);
  Write(txq::kCplHi, 0x0000'0001u);
  Write(txq::kRingSize, 9);
  Write(txq::kProd, 0x1234);
  Write(txq::kCtrl, 1);
  h_.Cycle([] {}, [] {});
  EXPECT_EQ(t.ring_base_o, 0x12'89ab'c000ull);
  EXPECT_EQ(t.cpl_base_o, 0x1'4455'6600ull);
  EXPECT_EQ(t.log2_o, 9);
  EXPECT_EQ(t.prod_o, 0x1234);
  EXPECT_EQ(t.enable_o, 1);
  t.cons_i = 0x0321;
  t.running_i = 1;
  t.err_i = 0;
  EXPECT_EQ(Read(txq::kCons), 0x0321u);
  EXPECT_EQ(Read(txq::kStatus) & 1u, 1u);  // running
  // The counters' RAM starts with random contents (the harness randomizes what reset leaves).
  EXPECT_EQ(Read(txq::kPackets), 0u);
  EXPECT_EQ(Read(txq::kBytesHi), 0u);
  EXPECT_EQ(ReadBytes(), 0u);
  EXPECT_EQ(Read(txq::kDrops), 0u);
  EXPECT_EQ(Read(txq::kErrors), 0u);
}

TEST_F(QueueCsr, CountersCountEveryEventAndTheBytePairReadsAsOneValue) {
  events_ = true;
  std::uint64_t last = 0;
  for (int i = 0; i < 400; ++i) {
    const std::uint64_t v = ReadBytes();
    EXPECT_TRUE(had_.count(v)) << "bytes read " << v << ", a value the count never had";
    EXPECT_GE(v, last);
    last = v;
    for (int k = static_cast<int>(rng_() % 4); k > 0; --k) Tick();
  }
  events_ = false;
  Tick();
  Tick();
  ASSERT_GT(bytes_, std::uint64_t{1} << 36);  // the low half wrapped many times
  EXPECT_EQ(ReadBytes(), bytes_);
  EXPECT_EQ(Read(txq::kPackets), static_cast<std::uint32_t>(packets_));
  EXPECT_EQ(Read(txq::kErrors), static_cast<std::uint32_t>(errors_));
  EXPECT_EQ(Read(txq::kDrops), static_cast<std::uint32_t>(drops_));
  EXPECT_GT(errors_, 0u);
}

}  // namespace
}  // namespace mbufnic::rtltest
