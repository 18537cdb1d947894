// nic_irq_mod at 40 queues (the evaluations' round robin in groups, a count that is not a power
// of two) against a reference of what rtl/top/README.md promises, kept here: random
// completions (half of them on a few busy queues, so one queue's come back to back), and
// register writes as the front end makes them (the arm, the packet threshold, the timer, whole
// words and single bytes, disables and enables).  Every interrupt must be owed: the queue
// armed, completions waiting, and the count at its threshold or the timer run out (never
// early).  Every interrupt owed must come: at once when a completion makes the count reach the
// threshold with no write near it, else within the evaluations' sweep.  And the thresholds
// must read back as written.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "Vnic_irq_mod_q40.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

namespace txq = hw::csr::txq;

constexpr unsigned kQueues = 40;
// How long an owed interrupt may wait when a write, not a completion, made it owed, or when the
// timer ran out: the evaluations look at the queues that want it one a cycle, round robin.
constexpr std::uint64_t kBound = 3 * kQueues + 20;
constexpr unsigned kHist = 16;  // cycles of inputs kept

struct Ref {
  bool armed = true;
  std::uint32_t n = 0;      // completions waiting
  std::uint64_t start = 0;  // the timer's start (cycle)
  bool out = false;         // the timer ran out under an earlier irq_time (may fire)
  bool out_sure = false;    // ... long enough before that it must fire
  std::uint32_t pkts = 1, cycles = 0;
  std::uint32_t pkts_old = 1, cycles_old = 0;
  std::uint64_t cfg_at = 0;    // cycle of the last threshold change
  std::uint64_t wrote_at = 0;  // cycle of the last write of any kind
  bool wrote = false;
  std::uint64_t owed_since = 0;
  bool owed = false;
};

struct Inputs {
  bool cpl = false;
  unsigned cpl_q = 0;
  bool wr = false;
  unsigned q = 0;
  unsigned irq_be = 0, time_be = 0;
  bool off = false, arm = false;
  std::uint32_t data = 0;
  std::uint64_t enable = 0;
};

class IrqMod : public ::testing::Test {
 protected:
  IrqMod() : h_("irq_mod_q40", 9) {
    Vnic_irq_mod_q40& t = h_.top();  // the harness starts the inputs random
    t.enable_i = enable_;
    t.cpl_i = 0;
    t.wr_irq_be_i = 0;
    t.wr_time_be_i = 0;
    t.wr_off_i = 0;
    t.arm_i = 0;
    h_.Reset();
    Run(4, 0);  // the reference starts deciding at cycle 2
  }

  // Runs `cycles` cycles; `load` scales the events (0: none).
  void Run(int cycles, unsigned load) {
    for (int i = 0; i < cycles; ++i) h_.Cycle([&] { Sample(); }, [&] { Drive(load); });
  }

  // Whether queue q's timer has run out at cycle d (a threshold `cycles`).
  static bool Reached(const Ref& r, std::uint32_t cycles, std::uint64_t d, bool sure) {
    if (cycles == 0 || r.n == 0) return false;
    if (sure ? r.out_sure : r.out) return true;
    return d >= r.start + cycles;
  }

  void Sample() {
    Vnic_irq_mod_q40& t = h_.top();
    const std::uint64_t k = cycle_;
    Inputs& in = hist_[k % kHist];
    in = Inputs{};
    in.cpl = t.cpl_i;
    in.cpl_q = t.cpl_q_i;
    in.q = t.sel_q_i;
    in.irq_be = t.wr_irq_be_i;
    in.time_be = t.wr_time_be_i;
    in.off = t.wr_off_i;
    in.arm = t.arm_i;
    in.data = t.wr_data_i;
    in.wr = in.irq_be || in.time_be || in.off || in.arm;
    in.enable = t.enable_i;

    if (k >= 3) {
      Decide(k - 1, t.irq_o);
      // The thresholds read back as the writes up to last cycle left them.
      const Ref& r = ref_[t.sel_q_i];
      EXPECT_EQ(t.rd_irq_o, r.pkts << txq::irq::kPktsShift)
          << "queue " << unsigned{t.sel_q_i} << " cycle " << k;
      EXPECT_EQ(t.rd_time_o, r.cycles << txq::irq_time::kCyclesShift)
          << "queue " << unsigned{t.sel_q_i} << " cycle " << k;
    }
    ++cycle_;
  }

  // Cycle d of the block: the completion that counts at d (taken in at d - 2; not if its queue
  // was disabled at d - 1 or a disable of it, given at d - 2, took effect then), the interrupts
  // decided at d (seen at d + 1), then the write that takes effect at d (given at d - 1).
  void Decide(std::uint64_t d, std::uint64_t irqs) {
    const Inputs& c = hist_[(d - 2) % kHist];
    const Inputs& a1 = hist_[(d - 1) % kHist];
    bool counted_to_threshold = false;
    unsigned cq = 0;
    if (c.cpl && ((a1.enable >> c.cpl_q) & 1) && !(c.wr && c.off && c.q == c.cpl_q)) {
      Ref& r = ref_[c.cpl_q];
      cq = c.cpl_q;
      if (r.n == 0) {
        r.n = 1;
        r.start = d;
        r.out = r.out_sure = false;
      } else if (r.n < 0xffff) {
        ++r.n;
      }
      counted_to_threshold = r.armed && r.n == std::max<std::uint32_t>(r.pkts, 1);
      ++counted_;
    }

    for (unsigned q = 0; q < kQueues; ++q) {
      if (!((irqs >> q) & 1)) continue;
      Ref& r = ref_[q];
      // Owed: armed, waiting, and the count or the timer there, with the thresholds as they
      // are or were in the last few cycles (a decision may use a read that old).
      const bool recent = d < r.cfg_at + 4;
      const bool count = r.n >= std::max<std::uint32_t>(r.pkts, 1) ||
                         (recent && r.n >= std::max<std::uint32_t>(r.pkts_old, 1));
      const bool timer =
          Reached(r, r.cycles, d, false) || (recent && Reached(r, r.cycles_old, d, false));
      EXPECT_TRUE(r.armed) << "queue " << q << " fired unarmed at cycle " << d;
      EXPECT_TRUE(r.n > 0 && (count || timer))
          << "queue " << q << " fired at cycle " << d << " with " << r.n << " waiting (pkts "
          << r.pkts << ", timer " << r.cycles << " from cycle " << r.start << ")";
      if (!count && timer) ++timer_fires_;
      if (r.owed) max_late_ = std::max(max_late_, d - r.owed_since);
      ++fires_;
      r.armed = false;
      r.n = 0;
      r.out = r.out_sure = false;
      r.owed = false;
    }
    // A completion that made the count reach the threshold, with no write to its queue near,
    // fires at once.
    if (counted_to_threshold) {
      const Ref& r = ref_[cq];
      if (!(r.wrote && d < r.wrote_at + 6)) {
        EXPECT_TRUE((irqs >> cq) & 1)
            << "queue " << cq << " reached irq.pkts at cycle " << d << " and did not fire at once";
        ++at_once_;
      }
    }

    const Inputs& w = hist_[(d - 1) % kHist];
    if (w.wr) Write(d, w);

    // Every interrupt owed comes within the bound.
    for (unsigned q = 0; q < kQueues; ++q) {
      Ref& r = ref_[q];
      const bool now_owed =
          r.armed && r.n > 0 &&
          (r.n >= std::max<std::uint32_t>(r.pkts, 1) || Reached(r, r.cycles, d, true));
      if (now_owed && !r.owed) r.owed_since = d;
      r.owed = now_owed;
      if (r.owed) {
        ASSERT_LE(d - r.owed_since, kBound)
            << "queue " << q << " owed an interrupt since cycle " << r.owed_since << " (" << r.n
            << " waiting, pkts " << r.pkts << ", timer " << r.cycles << ")";
      }
    }
  }

  void Write(std::uint64_t d, const Inputs& w) {
    Ref& r = ref_[w.q];
    r.wrote = true;
    r.wrote_at = d;
    std::uint32_t irq_word = r.pkts << txq::irq::kPktsShift;
    std::uint32_t time_word = r.cycles << txq::irq_time::kCyclesShift;
    for (unsigned b = 0; b < 4; ++b) {
      const std::uint32_t m = 0xffu << (8 * b);
      if ((w.irq_be >> b) & 1) irq_word = (irq_word & ~m) | (w.data & m);
      if ((w.time_be >> b) & 1) time_word = (time_word & ~m) | (w.data & m);
    }
    const std::uint32_t pkts = (irq_word & txq::irq::kPktsMask) >> txq::irq::kPktsShift;
    const std::uint32_t cycles =
        (time_word & txq::irq_time::kCyclesMask) >> txq::irq_time::kCyclesShift;
    if (pkts != r.pkts || cycles != r.cycles) {
      r.pkts_old = r.pkts;
      r.cycles_old = r.cycles;
      r.cfg_at = d;
    }
    if (cycles != r.cycles) {
      if (r.cycles == 0) {
        if (r.n > 0) r.start = d;  // turned on: from now
        r.out = r.out_sure = false;
      } else if (cycles == 0) {
        r.out = r.out_sure = false;
      } else if (r.n > 0) {
        // Another value: the start stays; a timer that has run out stays run out (once the
        // sweep has seen it: surely so when it ran out a bound ago).
        r.out = r.out || d >= r.start + r.cycles;
        r.out_sure = r.out_sure || d >= r.start + r.cycles + kBound;
      }
    }
    r.pkts = pkts;
    r.cycles = cycles;
    if (w.off) {
      r.n = 0;
      r.out = r.out_sure = false;
    }
    if (w.arm) r.armed = true;
  }

  unsigned PickQueue() {
    static constexpr unsigned kBusy[] = {0, 7, 8, 39};
    const unsigned r = rng_() % 8;
    return r < 4 ? kBusy[r] : static_cast<unsigned>(rng_() % kQueues);
  }

  // One queue's completions two cycles in three (or every cycle), its threshold far off, its
  // timer 200 cycles, and the host's arm every 300 cycles: the timer must fire although
  // completions of the queue keep coming.
  void Steady(int cycles, bool every_cycle) {
    constexpr unsigned kQ = 5;
    for (int i = 0; i < cycles; ++i) {
      h_.Cycle([&] { Sample(); },
               [&] {
                 Vnic_irq_mod_q40& t = h_.top();
                 const int k = i;
                 t.cpl_i = k >= 8 && (every_cycle || k % 3 != 0);
                 t.cpl_q_i = kQ;
                 t.wr_irq_be_i = 0;
                 t.wr_time_be_i = 0;
                 t.wr_off_i = 0;
                 t.arm_i = 0;
                 t.sel_q_i = kQ;
                 if (k % 300 == 1) {  // the arm, with pkts 60000
                   t.wr_irq_be_i = 0xF;
                   t.wr_data_i = (60000u << txq::irq::kPktsShift) | txq::irq::kArmMask;
                   t.arm_i = 1;
                 } else if (k % 300 == 3) {
                   t.wr_time_be_i = 0xF;
                   t.wr_data_i = 200;
                 }
               });
    }
  }

  void Drive(unsigned load) {
    Vnic_irq_mod_q40& t = h_.top();
    // The front end's enable register follows its write a cycle later.
    enable_ = next_enable_;
    t.enable_i = enable_;
    t.cpl_i = load > 0 && rng_() % 10 < load;
    t.cpl_q_i = static_cast<std::uint8_t>(PickQueue());
    t.wr_irq_be_i = 0;
    t.wr_time_be_i = 0;
    t.wr_off_i = 0;
    t.arm_i = 0;
    t.sel_q_i = static_cast<std::uint8_t>(rng_() % kQueues);
    // A write at most every other cycle, as the front end's sequencer.
    const bool wrote_last = last_wrote_;
    last_wrote_ = false;
    if (load == 0 || wrote_last || rng_() % 6 != 0) return;
    last_wrote_ = true;
    const unsigned q = rng_() % 2 ? PickQueue() : static_cast<unsigned>(rng_() % kQueues);
    t.sel_q_i = static_cast<std::uint8_t>(q);
    const unsigned kind = rng_() % 16;
    const std::uint32_t data = static_cast<std::uint32_t>(rng_());
    if (kind < 7) {  // the host's arm: irq written whole, pkts as it is (now and then another)
      std::uint32_t pkts = ref_[q].pkts;
      if (rng_() % 4 == 0) pkts = static_cast<std::uint32_t>(rng_() % 12);
      t.wr_irq_be_i = 0xF;
      t.wr_data_i = (pkts << txq::irq::kPktsShift) | txq::irq::kArmMask;
      t.arm_i = 1;
    } else if (kind < 9) {  // pkts alone, whole or one byte
      t.wr_irq_be_i = rng_() % 2 ? 0x3 : 0x1;
      t.wr_data_i = data % 16;
    } else if (kind < 13) {  // the timer: off, short, long, one byte
      static constexpr std::uint32_t kCycles[] = {0, 0, 3, 20, 60, 150, 400, 0x20000};
      t.wr_time_be_i = rng_() % 4 ? 0xF : 0x1;
      t.wr_data_i = kCycles[rng_() % std::size(kCycles)];
    } else if (kind < 14 && ((enable_ >> q) & 1)) {  // disable
      t.wr_off_i = 1;
      next_enable_ &= ~(std::uint64_t{1} << q);
    } else {  // enable (no event for the block)
      next_enable_ |= std::uint64_t{1} << q;
      last_wrote_ = false;
    }
  }

  sim::Harness<Vnic_irq_mod_q40> h_;
  std::mt19937_64 rng_{41};
  std::vector<Ref> ref_ = std::vector<Ref>(kQueues);
  std::array<Inputs, kHist> hist_{};
  std::uint64_t enable_ = (std::uint64_t{1} << kQueues) - 1;
  std::uint64_t next_enable_ = enable_;
  std::uint64_t cycle_ = 0;
  bool last_wrote_ = false;
  unsigned fires_ = 0, timer_fires_ = 0, at_once_ = 0, counted_ = 0;
  std::uint64_t max_late_ = 0;  // the longest an owed interrupt waited (cycles)
};

TEST_F(IrqMod, EveryInterruptOwedAndEveryOwedOneComes) {
  Run(300000, 6);
  EXPECT_GT(counted_, 100000u);
  EXPECT_GT(fires_, 10000u);
  EXPECT_GT(at_once_, 2000u);
  EXPECT_GT(timer_fires_, 1000u);
  std::printf("%u interrupts, %u by the timer; an owed one waited at most %llu cycles\n", fires_,
              timer_fires_, static_cast<unsigned long long>(max_late_));
  // Nothing more to do once the longest timer (0x20000 cycles) has run out: busy_o falls.
  Run(0x20000 + 2 * kBound, 0);
  EXPECT_FALSE(h_.top().busy_o);
}

TEST_F(IrqMod, TheTimerFiresWhileCompletionsKeepComing) {
  Steady(20000, false);
  EXPECT_GT(timer_fires_, 50u);
  EXPECT_EQ(timer_fires_, fires_);
  Steady(20000, true);
  EXPECT_GT(timer_fires_, 100u);
  EXPECT_EQ(timer_fires_, fires_);
}

}  // namespace
}  // namespace mbufnic::rtltest
