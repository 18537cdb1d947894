// nic_queue_stats at 200 queues (a count that is not a power of two) against a reference kept
// here: random completions and drops, half of them on a few busy queues so one queue's events
// come back to back and one or two cycles apart (the cases the read-modify-write pipeline
// forwards), some on queue numbers past the count (counted nowhere), and reads of every counter
// of random queues all the while.  A read must answer exactly what the reference held three
// cycles before it was taken (the RAM's write latency, nic_stat_ram); bytes_hi answers what the
// queue's last bytes_lo read latched.  Reset must leave every counter reading zero although the
// RAMs keep what they held (the harness also starts them random).
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "Vnic_queue_stats_q200.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

namespace txq = hw::csr::txq;

constexpr unsigned kQueues = 200;
constexpr unsigned kRegs[] = {txq::kPackets / 4, txq::kBytesLo / 4, txq::kBytesHi / 4,
                              txq::kDrops / 4,   txq::kErrors / 4,  txq::kCtrl / 4};

struct Counts {
  std::uint32_t packets = 0, errors = 0, drops = 0;
  std::uint64_t bytes = 0;
};

class QueueStats : public ::testing::Test {
 protected:
  QueueStats() : h_("queue_stats_q200", 5) { h_.Reset(); }

  std::uint16_t PickQueue() {
    static constexpr std::uint16_t kBusy[] = {0, 1, 137, 199};
    const unsigned r = rng_() % 8;
    if (r < 4) return kBusy[r];
    if (r == 4) return static_cast<std::uint16_t>(kQueues + rng_() % 100);  // counted nowhere
    return static_cast<std::uint16_t>(rng_() % kQueues);
  }

  // The register's value in `c` (what a read of queue q answers), bytes_hi from the latch.
  std::uint32_t Expect(const Counts& c, unsigned q, unsigned reg) const {
    if (reg == txq::kPackets / 4) return c.packets;
    if (reg == txq::kErrors / 4) return c.errors;
    if (reg == txq::kDrops / 4) return c.drops;
    if (reg == txq::kBytesLo / 4) return static_cast<std::uint32_t>(c.bytes);
    if (reg == txq::kBytesHi / 4) return latch_[q];
    return 0;  // not a counter
  }

  // Runs `cycles` cycles with events when `events`, random reads when `reads`; every read is
  // checked.
  void Run(int cycles, bool events, bool reads = true) {
    for (int i = 0; i < cycles; ++i) {
      h_.Cycle([&] { Sample(); }, [&] { Drive(events, reads); });
    }
  }

  // Reads every register of every queue in turn (no events), each checked.
  void Sweep() {
    sweep_ = 0;
    const int before = reads_;
    for (int i = 0; i < 200000 && reads_ - before < static_cast<int>(kQueues * std::size(kRegs));
         ++i) {
      h_.Cycle([&] { Sample(); }, [&] { Drive(false, true); });
    }
    EXPECT_EQ(reads_ - before, static_cast<int>(kQueues * std::size(kRegs)));
    sweep_ = -1;
  }

  void Sample() {
    Vnic_queue_stats_q200& t = h_.top();
    // The edge takes the events on the inputs now.
    if (t.cpl_i && t.cpl_q_i < kQueues) {
      Counts& c = ref_[t.cpl_q_i];
      if (t.cpl_err_i) {
        ++c.errors;
      } else {
        ++c.packets;
        c.bytes += t.cpl_bytes_i;
      }
    }
    if (t.drop_i && t.drop_q_i < kQueues) ++ref_[t.drop_q_i].drops;
    // A read is taken in the first cycle rd_i is high with none under way: it answers the
    // reference as it was three cycles before.
    if (t.rd_i && !reading_) {
      reading_ = true;
      taken_ = hist_[(cycle_ + kHist - 3) % kHist][rd_q_];
    }
    if (t.rd_done_o) {
      EXPECT_TRUE(reading_);
      const std::uint32_t want = Expect(taken_, rd_q_, rd_reg_);
      EXPECT_EQ(t.rd_data_o, want)
          << "queue " << rd_q_ << " register " << rd_reg_ << " at cycle " << cycle_;
      if (rd_reg_ == txq::kBytesLo / 4)
        latch_[rd_q_] = static_cast<std::uint32_t>(taken_.bytes >> 32);
      ++reads_;
      reading_ = false;
      done_ = true;
    }
    hist_[cycle_ % kHist] = ref_;  // after this cycle's edge
    ++cycle_;
  }

  void Drive(bool events, bool reads) {
    Vnic_queue_stats_q200& t = h_.top();
    t.cpl_i = events && rng_() % 4 != 0;
    t.cpl_q_i = PickQueue();
    t.cpl_err_i = rng_() % 8 == 0;
    t.cpl_bytes_i = static_cast<std::uint32_t>(rng_());  // large: the low lane wraps often
    t.drop_i = events && rng_() % 3 == 0;
    t.drop_q_i = PickQueue();
    // rd_i falls for a cycle after each answer (as nic_queue_regs' does), then a new read
    // starts now and then.
    if (done_) {
      t.rd_i = 0;
      done_ = false;
    } else if (sweep_ >= 0 && !reading_ && !t.rd_i) {
      rd_q_ = static_cast<unsigned>(sweep_) / std::size(kRegs);
      rd_reg_ = kRegs[static_cast<unsigned>(sweep_) % std::size(kRegs)];
      ++sweep_;
      t.rd_i = 1;
      t.rd_q_i = static_cast<std::uint8_t>(rd_q_);
      t.rd_reg_i = static_cast<std::uint8_t>(rd_reg_);
    } else if (reads && !reading_ && !t.rd_i && rng_() % 3 == 0) {
      rd_q_ = rng_() % 2 ? PickQueue() % kQueues : static_cast<unsigned>(rng_() % kQueues);
      rd_reg_ = kRegs[rng_() % std::size(kRegs)];
      t.rd_i = 1;
      t.rd_q_i = static_cast<std::uint8_t>(rd_q_);
      t.rd_reg_i = static_cast<std::uint8_t>(rd_reg_);
    }
  }

  static constexpr unsigned kHist = 8;
  sim::Harness<Vnic_queue_stats_q200> h_;
  std::mt19937_64 rng_{23};
  std::vector<Counts> ref_ = std::vector<Counts>(kQueues);
  std::array<std::vector<Counts>, kHist> hist_{ref_, ref_, ref_, ref_, ref_, ref_, ref_, ref_};
  std::vector<std::uint32_t> latch_ = std::vector<std::uint32_t>(kQueues);
  std::uint64_t cycle_ = 0;
  bool reading_ = false, done_ = false;
  int sweep_ = -1;  // the next (queue, register) of a sweep, or -1
  unsigned rd_q_ = 0, rd_reg_ = 0;
  Counts taken_;
  int reads_ = 0;
};

TEST_F(QueueStats, ReadsAnswerExactlyWhileEventsRun) {
  Run(60000, true);
  Run(40, false, false);
  EXPECT_FALSE(h_.top().busy_o);
  EXPECT_GT(reads_, 5000);
  Sweep();
  // The busy queues' byte counts passed 2^32 many times, so the chained lane was exercised.
  EXPECT_GT(ref_[0].bytes, std::uint64_t{1} << 38);
  EXPECT_GT(ref_[199].drops, 1000u);
}

TEST_F(QueueStats, ResetLeavesEveryCounterReadingZero) {
  Run(5000, true);
  Run(40, false, false);
  Sweep();  // every latch written, so none reads zero by chance below
  h_.Reset();
  for (Counts& c : ref_) c = Counts{};
  for (auto& h : hist_) h = ref_;
  std::fill(latch_.begin(), latch_.end(), 0u);
  reading_ = done_ = false;
  h_.top().rd_i = 0;
  Sweep();           // every register of every queue must read zero
  Run(20000, true);  // and count from zero again
  Run(40, false, false);
  Sweep();
}

}  // namespace
}  // namespace mbufnic::rtltest
