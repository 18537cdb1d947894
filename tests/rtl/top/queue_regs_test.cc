// nic_queue_regs, the register front end of every queue of one direction, with five transmit
// queues (txq's layout and masks) through its AXI4-Lite port (random idle cycles and ready
// drops, handshakes checked every cycle).  A reference kept here from the generated register
// table (hw::csr::txq::kRegs: reset values, storage, pulse and management bits) says what
// every access must answer: random writes and reads over queues inside the count and past it
// (DECERR), words past the layout (SLVERR), byte strobes, privileged and unprivileged writes
// (an unprivileged one touching a management bit is refused whole and pulses deny_o), with
// the ring registers of every queue on the outputs checked after each write; every producer
// index written must pulse the doorbell for its queue, in the first cycle the output shows it
// (checked every cycle against the outputs, and counted against the reference).  Interrupts and
// counters must follow their own queue's events only; the byte counter's two halves must read
// as one value the count really had.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>

#include "Vnic_queue_regs_tb.h"
#include "bfm/axil_manager.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

namespace txq = hw::csr::txq;
using sim::AxilManager;
using sim::AxiResp;

constexpr unsigned kQueues = 5;  // the test top's NumQ

// Bits [lsb, lsb + width) of a port, narrow (an integer) or wide (Verilator's word array).
template <typename P>
std::uint64_t Bits(const P& p, unsigned lsb, unsigned width) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    const unsigned b = lsb + i;
    std::uint64_t bit;
    if constexpr (std::is_integral_v<P>) {
      bit = (static_cast<std::uint64_t>(p) >> b) & 1;
    } else {
      bit = (p[b / 32] >> (b % 32)) & 1;
    }
    v |= bit << i;
  }
  return v;
}

struct Counts {
  std::uint32_t packets = 0, errors = 0, drops = 0;
  std::uint64_t bytes = 0;
};

class QueueRegs : public ::testing::Test {
 protected:
  QueueRegs() : h_("queue_regs", 9), mgr_(sim::AxilPinsOf(h_.top()), 9) {
    h_.Reset();
    ResetModel();
    // What the path reports, different for every queue.
    Vnic_queue_regs_tb& t = h_.top();
    t.running_i = 0;
    t.err_i = 0;
    for (unsigned q = 0; q < kQueues; ++q) {
      cons_[q] = static_cast<std::uint16_t>(0x1000 * (q + 1) + q);
      running_[q] = q % 2;
      err_[q] = (q + 3) % 16;
      SetPort(t.cons_i, 16 * q, 16, cons_[q]);
      t.running_i |= static_cast<std::uint8_t>(running_[q] << q);
      t.err_i |= static_cast<std::uint32_t>(err_[q]) << (4 * q);
    }
  }
  ~QueueRegs() override {
    EXPECT_EQ(mgr_.protocol_errors(), 0u)
        << (mgr_.error_log().empty() ? "" : mgr_.error_log().front());
  }

  template <typename P>
  static void SetPort(P& p, unsigned lsb, unsigned width, std::uint64_t v) {
    for (unsigned i = 0; i < width; ++i) {
      const unsigned b = lsb + i;
      p[b / 32] = (p[b / 32] & ~(1u << (b % 32))) | static_cast<std::uint32_t>((v >> i) & 1)
                                                        << (b % 32);
    }
  }

  void Tick() {
    h_.Cycle(
        [&] {
          mgr_.Sample();
          Vnic_queue_regs_tb& t = h_.top();
          if (t.deny_o) ++denies_;
          if (t.db_o) {
            EXPECT_LT(t.db_q_o, kQueues);
            if (t.db_q_o < kQueues) ++doorbells_[t.db_q_o];
          }
          for (unsigned q = 0; q < kQueues; ++q) {
            const std::uint64_t prod = Bits(t.prod_o, 16 * q, 16);
            if (prod != prod_seen_[q]) {
              EXPECT_TRUE(t.db_o && t.db_q_o == q) << "queue " << q << "'s prod changed alone";
            }
            prod_seen_[q] = prod;
          }
          for (unsigned q = 0; q < kQueues; ++q) {
            if ((t.irq_o >> q) & 1) ++irqs_[q];
          }
          if (t.cpl_i && t.cpl_q_i < kQueues) {
            Counts& c = counts_[t.cpl_q_i];
            if (t.cpl_err_i) {
              ++c.errors;
            } else {
              ++c.packets;
              c.bytes += t.cpl_bytes_i;
              if (t.cpl_q_i == 0) had_.insert(c.bytes);
            }
          }
          if (t.drop_i && t.drop_q_i < kQueues) ++counts_[t.drop_q_i].drops;
        },
        [&] {
          mgr_.Drive();
          Vnic_queue_regs_tb& t = h_.top();
          t.priv_i = priv_;
          t.cpl_i = t.cpl_err_i = t.drop_i = 0;
          if (events_ && rng_() % 3 != 0) {
            t.cpl_i = 1;
            // Half to queue 0, so its events come back to back as often as apart; some past
            // the count (counted nowhere).
            t.cpl_q_i = rng_() % 2 ? 0 : static_cast<std::uint16_t>(rng_() % (kQueues + 2));
            t.cpl_err_i = rng_() % 8 == 0;
            t.cpl_bytes_i = static_cast<std::uint32_t>(rng_());  // the low half wraps often
            t.drop_i = t.cpl_err_i;
            t.drop_q_i = t.cpl_q_i;
          }
          if (cpl_to_ >= 0) {
            t.cpl_i = 1;
            t.cpl_q_i = static_cast<std::uint16_t>(cpl_to_);
            t.cpl_err_i = 0;
            t.cpl_bytes_i = 64;
            cpl_to_ = -1;
          }
        });
  }
  void Run() {
    EXPECT_TRUE(mgr_.RunUntilIdle([&] { Tick(); })) << "an access never completed";
  }

  struct Result {
    std::uint32_t data;
    AxiResp resp;
  };
  Result Read(unsigned q, std::uint32_t off) {
    const std::size_t i = mgr_.Read(txq::Base(q) + off);
    Run();
    return {mgr_.read_op(i).data, mgr_.read_op(i).resp};
  }
  AxiResp Write(unsigned q, std::uint32_t off, std::uint32_t v, std::uint8_t strb = 0xF,
                bool priv = true) {
    priv_ = priv;
    const std::size_t i = mgr_.Write(txq::Base(q) + off, v, strb);
    Run();
    priv_ = false;
    return mgr_.write_op(i).resp;
  }

  // The reference: the storage after reset, what a write does and answers, what a read
  // answers.
  void ResetModel() {
    for (auto& q : store_) {
      for (unsigned i = 0; i < txq::kNumRegs; ++i)
        q[i] = txq::kRegs[i].reset & txq::kRegs[i].rw_mask;
    }
  }
  AxiResp ModelWrite(unsigned q, unsigned word, std::uint32_t v, std::uint8_t strb, bool priv) {
    if (q >= kQueues) return AxiResp::kDecErr;
    if (word >= txq::kNumRegs) return AxiResp::kSlvErr;
    const hw::csr::RegInfo& r = txq::kRegs[word];
    std::uint32_t be = 0;
    for (unsigned b = 0; b < 4; ++b) be |= (strb >> b & 1u) ? 0xFFu << (8 * b) : 0;
    if (!priv && ((v ^ store_[q][word]) & be & r.mgmt_mask) != 0) {
      ++model_denies_;
      return AxiResp::kSlvErr;
    }
    store_[q][word] = (store_[q][word] & ~(be & r.rw_mask)) | (v & be & r.rw_mask);
    if (word == txq::kProd / 4 && strb != 0) ++model_doorbells_[q];
    return AxiResp::kOkay;
  }
  Result ModelRead(unsigned q, unsigned word) const {
    if (q >= kQueues) return {0, AxiResp::kDecErr};
    if (word >= txq::kNumRegs) return {0, AxiResp::kSlvErr};
    const std::uint32_t off = word * 4;
    if (off == txq::kId) return {txq::kIdValue, AxiResp::kOkay};
    if (off == txq::kCons) return {cons_[q], AxiResp::kOkay};
    if (off == txq::kStatus) {
      return {running_[q] << txq::status::kRunningShift | err_[q] << txq::status::kErrShift,
              AxiResp::kOkay};
    }
    const Counts& c = counts_[q];
    if (off == txq::kPackets) return {c.packets, AxiResp::kOkay};
    if (off == txq::kErrors) return {c.errors, AxiResp::kOkay};
    if (off == txq::kDrops) return {c.drops, AxiResp::kOkay};
    if (off == txq::kBytesLo) return {static_cast<std::uint32_t>(c.bytes), AxiResp::kOkay};
    if (off == txq::kBytesHi) return {static_cast<std::uint32_t>(c.bytes >> 32), AxiResp::kOkay};
    return {store_[q][word], AxiResp::kOkay};
  }

  // Every queue's ring registers on the outputs, against the reference; the bases through
  // the path's read port, one queue after the other (a read without a clock).
  void CheckOutputs() {
    Vnic_queue_regs_tb& t = h_.top();
    for (unsigned q = 0; q < kQueues; ++q) {
      const auto& s = store_[q];
      SCOPED_TRACE(q);
      t.base_q_i = static_cast<std::uint8_t>(q);
      t.eval();
      EXPECT_EQ(Bits(t.enable_o, q, 1), s[txq::kCtrl / 4] & 1);
      EXPECT_EQ(t.ring_base_o, std::uint64_t{s[txq::kRingHi / 4]} << 32 | s[txq::kRingLo / 4]);
      EXPECT_EQ(t.cpl_base_o, std::uint64_t{s[txq::kCplHi / 4]} << 32 | s[txq::kCplLo / 4]);
      EXPECT_EQ(Bits(t.log2_o, 4 * q, 4), s[txq::kRingSize / 4] & 0xF);
      EXPECT_EQ(Bits(t.prod_o, 16 * q, 16), s[txq::kProd / 4] & 0xFFFF);
    }
  }

  sim::Harness<Vnic_queue_regs_tb> h_;
  AxilManager mgr_;
  std::mt19937_64 rng_{13};
  bool priv_ = false, events_ = false;
  int cpl_to_ = -1;  // one completion to this queue next cycle
  std::array<std::array<std::uint32_t, txq::kNumRegs>, kQueues> store_{};
  std::array<std::uint16_t, kQueues> cons_{};
  std::array<std::uint32_t, kQueues> running_{}, err_{};
  std::array<Counts, kQueues> counts_{};
  std::array<unsigned, kQueues> irqs_{};
  std::array<unsigned, kQueues> doorbells_{}, model_doorbells_{};
  std::array<std::uint64_t, kQueues> prod_seen_{};
  unsigned denies_ = 0, model_denies_ = 0;
  std::set<std::uint64_t> had_{0};  // every value queue 0's byte count went through
};

TEST_F(QueueRegs, EveryAccessAnswersAsTheReferenceSays) {
  // After reset: every register of every queue, and a few past the count and the layout.
  for (unsigned q = 0; q < kQueues + 2; ++q) {
    for (unsigned w = 0; w < txq::kNumRegs + 2; ++w) {
      const Result got = Read(q, 4 * w), want = ModelRead(q, w);
      EXPECT_EQ(got.resp, want.resp) << "queue " << q << " word " << w;
      EXPECT_EQ(got.data, want.data) << "queue " << q << " word " << w;
    }
  }
  EXPECT_EQ(Read(255, txq::kId).resp, AxiResp::kDecErr);  // the window's last copy
  CheckOutputs();

  unsigned writes = 0, refused = 0;
  for (int n = 0; n < 3000; ++n) {
    // Mostly the queues that exist and the words of the layout, storage words most.
    const unsigned q = rng_() % 10 == 0 ? kQueues + rng_() % 251 : rng_() % kQueues;
    const unsigned w = rng_() % 10 == 0 ? rng_() % 32 : rng_() % txq::kNumRegs;
    if (rng_() % 2) {
      const std::uint8_t strb = rng_() % 4 == 0 ? static_cast<std::uint8_t>(rng_() % 16) : 0xF;
      const bool priv = rng_() % 2;
      std::uint32_t v = static_cast<std::uint32_t>(rng_());
      // Unprivileged writes that leave the management bits as they are, often: those pass.
      if (!priv && q < kQueues && w < txq::kNumRegs && rng_() % 2) {
        const std::uint32_t m = txq::kRegs[w].mgmt_mask;
        v = (v & ~m) | (store_[q][w] & m);
      }
      const AxiResp want = ModelWrite(q, w, v, strb, priv);
      EXPECT_EQ(Write(q, 4 * w, v, strb, priv), want) << "write queue " << q << " word " << w;
      ++writes;
      if (want == AxiResp::kSlvErr && w < txq::kNumRegs) ++refused;
      CheckOutputs();
    } else {
      const Result got = Read(q, 4 * w), want = ModelRead(q, w);
      EXPECT_EQ(got.resp, want.resp) << "read queue " << q << " word " << w;
      EXPECT_EQ(got.data, want.data) << "read queue " << q << " word " << w;
    }
  }
  EXPECT_EQ(denies_, model_denies_);
  EXPECT_GT(model_denies_, 50u);
  EXPECT_EQ(doorbells_, model_doorbells_);
  for (unsigned q = 0; q < kQueues; ++q) EXPECT_GT(model_doorbells_[q], 3u) << "queue " << q;
  EXPECT_GT(writes - refused, 1000u);
  // And every register once more.
  for (unsigned q = 0; q < kQueues; ++q) {
    for (unsigned w = 0; w < txq::kNumRegs; ++w) {
      EXPECT_EQ(Read(q, 4 * w).data, ModelRead(q, w).data) << "queue " << q << " word " << w;
    }
  }
}

TEST_F(QueueRegs, ResetClearsTheBasesAndAFirstWriteLeavesTheRestZero) {
  // The ring and completion bases are in a RAM, which reset does not clear: a queue's bases
  // read 0 after reset (on the bus and on the path's port) until its first base write, and
  // that write leaves the bytes it does not name 0, not what the RAM held.
  const unsigned words[] = {txq::kRingLo, txq::kRingHi, txq::kCplLo, txq::kCplHi};
  for (unsigned q = 0; q < kQueues; ++q) {
    for (unsigned off : words) {
      const std::uint32_t v = 0xA5A5A5A5u ^ (q << 8) ^ off;
      ASSERT_EQ(ModelWrite(q, off / 4, v, 0xF, true), AxiResp::kOkay);
      ASSERT_EQ(Write(q, off, v), AxiResp::kOkay);
    }
  }
  CheckOutputs();
  h_.Reset();
  ResetModel();
  auto all_as_the_reference = [&] {
    for (unsigned q = 0; q < kQueues; ++q) {
      for (unsigned off : words) {
        EXPECT_EQ(Read(q, off).data, ModelRead(q, off / 4).data) << "queue " << q << " @" << off;
      }
    }
    CheckOutputs();
  };
  all_as_the_reference();
  // One byte of queue 2's cpl_hi, then two of queue 4's ring_lo and one of its ring_hi.
  ASSERT_EQ(ModelWrite(2, txq::kCplHi / 4, 0x12345678u, 0x4, true), AxiResp::kOkay);
  ASSERT_EQ(Write(2, txq::kCplHi, 0x12345678u, 0x4), AxiResp::kOkay);
  ASSERT_EQ(ModelWrite(4, txq::kRingLo / 4, 0x9ABCDEF0u, 0x3, true), AxiResp::kOkay);
  ASSERT_EQ(Write(4, txq::kRingLo, 0x9ABCDEF0u, 0x3), AxiResp::kOkay);
  ASSERT_EQ(ModelWrite(4, txq::kRingHi / 4, 0x0F0F0F0Fu, 0x8, true), AxiResp::kOkay);
  ASSERT_EQ(Write(4, txq::kRingHi, 0x0F0F0F0Fu, 0x8), AxiResp::kOkay);
  EXPECT_EQ(Read(2, txq::kCplHi).data, 0x00340000u);
  EXPECT_EQ(Read(4, txq::kRingLo).data, 0x0000DEF0u);
  all_as_the_reference();
}

TEST_F(QueueRegs, InterruptsFollowTheirQueueAndArmIsTheHosts) {
  // Every queue enabled, interrupt at every completion (pkts 1, the reset value), armed.
  for (unsigned q = 0; q < kQueues; ++q) ASSERT_EQ(Write(q, txq::kCtrl, 1), AxiResp::kOkay);
  cpl_to_ = 3;
  for (int i = 0; i < 10; ++i) Tick();
  EXPECT_EQ(irqs_, (std::array<unsigned, kQueues>{0, 0, 0, 1, 0}));
  // Disarmed now: more completions wait.
  cpl_to_ = 3;
  for (int i = 0; i < 10; ++i) Tick();
  EXPECT_EQ(irqs_[3], 1u);
  // The host may arm (irq.pkts written back unchanged); arming queue 1 leaves queue 3 waiting,
  // arming queue 3 fires it at once for the completion that waited.
  const std::uint32_t pkts = ModelRead(3, txq::kIrq / 4).data;
  EXPECT_EQ(Write(1, txq::kIrq, pkts | 1u << txq::irq::kArmShift, 0xF, false), AxiResp::kOkay);
  for (int i = 0; i < 10; ++i) Tick();
  EXPECT_EQ(irqs_, (std::array<unsigned, kQueues>{0, 0, 0, 1, 0}));
  EXPECT_EQ(Write(3, txq::kIrq, pkts | 1u << txq::irq::kArmShift, 0xF, false), AxiResp::kOkay);
  for (int i = 0; i < 10; ++i) Tick();
  EXPECT_EQ(irqs_, (std::array<unsigned, kQueues>{0, 0, 0, 2, 0}));
  // Changing the threshold is the firmware's: refused to the host, and nothing is armed.
  EXPECT_EQ(Write(3, txq::kIrq, 5u | 1u << txq::irq::kArmShift, 0xF, false), AxiResp::kSlvErr);
  EXPECT_EQ(denies_, 1u);
  cpl_to_ = 3;
  for (int i = 0; i < 10; ++i) Tick();
  EXPECT_EQ(irqs_[3], 2u);
  EXPECT_EQ(Read(3, txq::kIrq).data, pkts);
}

TEST_F(QueueRegs, CountersCountTheirQueueAndTheBytePairReadsAsOneValue) {
  events_ = true;
  std::uint64_t last = 0;
  for (int i = 0; i < 300; ++i) {
    // bytes_lo then bytes_hi, both in flight together.
    const std::size_t lo = mgr_.Read(txq::Base(0) + txq::kBytesLo);
    const std::size_t hi = mgr_.Read(txq::Base(0) + txq::kBytesHi);
    Run();
    const std::uint64_t v = std::uint64_t{mgr_.read_op(hi).data} << 32 | mgr_.read_op(lo).data;
    EXPECT_TRUE(had_.count(v)) << "bytes read " << v << ", a value the count never had";
    EXPECT_GE(v, last);
    last = v;
    // Now and then another queue's counter, which must not disturb queue 0's latch.
    if (i % 7 == 0) Read(1 + rng_() % (kQueues - 1), txq::kPackets);
  }
  events_ = false;
  for (int i = 0; i < 4; ++i) Tick();
  ASSERT_GT(counts_[0].bytes, std::uint64_t{1} << 36);  // the low half wrapped many times
  for (unsigned q = 0; q < kQueues; ++q) {
    SCOPED_TRACE(q);
    EXPECT_GT(counts_[q].packets, 0u);
    EXPECT_EQ(Read(q, txq::kPackets).data, counts_[q].packets);
    EXPECT_EQ(Read(q, txq::kErrors).data, counts_[q].errors);
    EXPECT_EQ(Read(q, txq::kDrops).data, counts_[q].drops);
    EXPECT_EQ(Read(q, txq::kBytesLo).data, static_cast<std::uint32_t>(counts_[q].bytes));
    EXPECT_EQ(Read(q, txq::kBytesHi).data, static_cast<std::uint32_t>(counts_[q].bytes >> 32));
  }
}

}  // namespace
}  // namespace mbufnic::rtltest
