// nic_csr_axil through its AXI4-Lite port, as the host driver will use it: with the csum block's
// generated definition (nic_csr_tb: pulses, read-only counters, 8-bit address decode) and the
// card block's (nic_csr_card_tb: a 32-bit rw register, full 32-bit decode).  Expected values
// come from the generated C++ header, never from literals, so these tests also hold the
// package's masks and reset values to the host's view of them.  Every test runs with random
// idle cycles on AW/W/AR and random bready/rready; the manager checks the response channels'
// handshake rules on every cycle.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <mbufnic/hw/nic_hw.h>

#include "Vnic_csr_card_tb.h"
#include "Vnic_csr_tb.h"
#include "bfm/axil_manager.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

namespace csum = hw::csr::csum;
namespace card = hw::csr::card;
using sim::AxilConfig;
using sim::AxilManager;
using sim::AxiResp;
using Op = AxilManager::Op;

// A wide Verilator signal as 32-bit words, least significant first.
template <std::size_t N>
std::vector<uint32_t> Words(const VlWide<N>& w) {
  return std::vector<uint32_t>(w.data(), w.data() + N);
}

// One cycle's one-cycle outputs, recorded when any of them is set.
struct Strobe {
  uint64_t cycle;
  uint32_t wr;                  // wr_o
  std::vector<uint32_t> regs;   // regs_o words in the same cycle
  std::vector<uint32_t> pulse;  // wr_pulse_o words (csum only)
  bool clear_counters;          // the typed view of the err_clear pulse (csum only)
};

// A test top, its AXI4-Lite manager and the record of strobes.
template <typename Model>
class Bench {
 public:
  Bench(const std::string& name, uint32_t seed, AxilConfig cfg = {})
      : h_(name, seed), mgr_(sim::AxilPinsOf(h_.top()), seed, cfg) {
    h_.Reset();
  }

  ~Bench() {
    EXPECT_EQ(mgr_.protocol_errors(), 0u)
        << (mgr_.error_log().empty() ? "" : mgr_.error_log().front());
  }

  Model& top() { return h_.top(); }
  AxilManager& mgr() { return mgr_; }
  const std::vector<Strobe>& strobes() const { return strobes_; }
  void ClearStrobes() { strobes_.clear(); }

  void Tick() {
    h_.Cycle([&] { Sample(); }, [&] { mgr_.Drive(); });
  }

  bool Run(uint64_t max_cycles = 100000) {
    return mgr_.RunUntilIdle([&] { Tick(); }, max_cycles);
  }

  Op Read(uint32_t addr) {
    const size_t i = mgr_.Read(addr);
    EXPECT_TRUE(Run()) << "read of " << std::hex << addr << " never completed";
    return mgr_.read_op(i);
  }

  Op Write(uint32_t addr, uint32_t data, uint8_t strb = 0xF) {
    const size_t i = mgr_.Write(addr, data, strb);
    EXPECT_TRUE(Run()) << "write to " << std::hex << addr << " never completed";
    return mgr_.write_op(i);
  }

  // A few cycles with nothing queued, so registered outputs settle.
  void Idle(int n = 3) {
    for (int i = 0; i < n; ++i) Tick();
  }

 private:
  void Sample() {
    mgr_.Sample();
    Model& t = h_.top();
    Strobe s{h_.cycles(), static_cast<uint32_t>(t.wr_o), Words(t.regs_o), {}, false};
    bool any = s.wr != 0;
    if constexpr (requires { t.wr_pulse_o; }) {
      s.pulse = Words(t.wr_pulse_o);
      for (uint32_t w : s.pulse) any |= w != 0;
      s.clear_counters = t.clear_counters_o;
      any |= s.clear_counters;
    }
    if (any) strobes_.push_back(s);
  }

  sim::Harness<Model> h_;
  AxilManager mgr_;
  std::vector<Strobe> strobes_;
};

// ---------------------------------------------------------------------------------------------
// csum block
// ---------------------------------------------------------------------------------------------

class CsumCsr : public ::testing::Test {
 protected:
  // Counters read 0 after reset: what the checksum engines' counters would report.
  CsumCsr() { SetCounters(0); }

  // The host addresses the block at its base; the slave decodes only the block's own bits.
  static uint32_t Addr(uint32_t offset) { return csum::kBase + offset; }

  // The values the counters' inputs hold, by register offset.
  void SetCounters(uint32_t seed) {
    // Seed 0 gives all zeros.
    counters_ = {{csum::kTxFrames, 0x1000'0001u * seed}, {csum::kTxErrors, 0x0200'0030u * seed},
                 {csum::kRxFrames, 0xFFFF'FFFFu * seed}, {csum::kRxL3Bad, 0x8000'0000u * seed},
                 {csum::kRxL4Bad, 0x0000'F00Du * seed}};
    auto& t = b_.top();
    t.tx_frames_i = counters_[csum::kTxFrames];
    t.tx_errors_i = counters_[csum::kTxErrors];
    t.rx_frames_i = counters_[csum::kRxFrames];
    t.rx_l3_bad_i = counters_[csum::kRxL3Bad];
    t.rx_l4_bad_i = counters_[csum::kRxL4Bad];
  }

  Bench<Vnic_csr_tb> b_{"csr_csum", 1};
  std::map<uint32_t, uint32_t> counters_;
};

TEST_F(CsumCsr, IdWordIsTheGeneratedValue) {
  const Op r = b_.Read(Addr(csum::kId));
  EXPECT_EQ(r.resp, AxiResp::kOkay);
  EXPECT_EQ(r.data, csum::kIdValue);
  EXPECT_TRUE(hw::csr::IdCompatible(r.data, csum::kIdValue));
  EXPECT_EQ(r.data >> hw::csr::kIdBlockShift, 0x4353u) << "\"CS\"";
}

TEST_F(CsumCsr, ResetValuesAreTheDefinitions) {
  for (const hw::csr::RegInfo& reg : csum::kRegs) {
    const Op r = b_.Read(Addr(reg.offset));
    EXPECT_EQ(r.resp, AxiResp::kOkay) << reg.name;
    EXPECT_EQ(r.data, reg.reset) << reg.name;
  }
  EXPECT_TRUE(b_.top().tx_enable_o);
  EXPECT_TRUE(b_.top().rx_enable_o);
  EXPECT_TRUE(b_.strobes().empty()) << "reads strobe nothing";
}

TEST_F(CsumCsr, CtrlHonoursByteStrobes) {
  const uint32_t all = csum::ctrl::kTxEnableMask | csum::ctrl::kRxEnableMask;
  ASSERT_EQ(csum::ctrl::kRwMask, all);
  // Bytes 1-3 hold no ctrl bits: writing zeros there changes nothing.
  EXPECT_EQ(b_.Write(Addr(csum::kCtrl), 0, 0b1110).resp, AxiResp::kOkay);
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, all);
  // No strobes at all: nothing written.
  EXPECT_EQ(b_.Write(Addr(csum::kCtrl), 0, 0b0000).resp, AxiResp::kOkay);
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, all);
  // Byte 0 clears both enables, and the typed view follows.
  b_.Write(Addr(csum::kCtrl), 0, 0b0001);
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, 0u);
  EXPECT_FALSE(b_.top().tx_enable_o);
  EXPECT_FALSE(b_.top().rx_enable_o);
  // One field at a time; reserved bits are not stored.
  b_.Write(Addr(csum::kCtrl), 0xFFFF'FFFCu | csum::ctrl::kRxEnableMask);
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, csum::ctrl::kRxEnableMask);
  EXPECT_FALSE(b_.top().tx_enable_o);
  EXPECT_TRUE(b_.top().rx_enable_o);
  b_.Write(Addr(csum::kCtrl), 0xFFFF'FFFFu);
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, all);
  EXPECT_TRUE(b_.top().tx_enable_o);
}

TEST_F(CsumCsr, ReadOnlyRegistersIgnoreWrites) {
  SetCounters(7);
  for (const hw::csr::RegInfo& reg : csum::kRegs) {
    if (reg.rw_mask != 0 || reg.pulse_mask != 0) continue;
    const uint32_t want = reg.offset == csum::kId ? csum::kIdValue : counters_.at(reg.offset);
    EXPECT_EQ(b_.Write(Addr(reg.offset), ~want).resp, AxiResp::kOkay) << reg.name;
    EXPECT_EQ(b_.Read(Addr(reg.offset)).data, want) << reg.name;
  }
  EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, csum::ctrl::kReset) << "ctrl untouched";
  // The err_clear register stores nothing and reads 0.
  b_.Write(Addr(csum::kErrClear), 0xFFFF'FFFFu);
  EXPECT_EQ(b_.Read(Addr(csum::kErrClear)).data, 0u);
}

TEST_F(CsumCsr, WritesStrobeTheirRegisterAndPulseOnlyPulseBits) {
  const uint32_t clear_idx = csum::kErrClear / 4;
  const uint32_t ctrl_idx = csum::kCtrl / 4;

  // Writing 1 to err_clear.counters: one cycle of wr_o[err_clear], of the pulse bit and of
  // the typed clear_counters_o; nothing else.
  b_.Write(Addr(csum::kErrClear), csum::err_clear::kCountersMask);
  b_.Idle();
  ASSERT_EQ(b_.strobes().size(), 1u);
  Strobe s = b_.strobes()[0];
  EXPECT_EQ(s.wr, 1u << clear_idx);
  EXPECT_TRUE(s.clear_counters);
  for (uint32_t i = 0; i < s.pulse.size(); ++i) {
    EXPECT_EQ(s.pulse[i], i == clear_idx ? csum::err_clear::kCountersMask : 0u) << "word " << i;
  }

  // Writing 0 there, or 1 in a byte whose strobe is off: the register strobe, no pulse.
  b_.ClearStrobes();
  b_.Write(Addr(csum::kErrClear), 0);
  b_.Write(Addr(csum::kErrClear), 0xFFFF'FFFFu, 0b1110);
  b_.Idle();
  ASSERT_EQ(b_.strobes().size(), 2u);
  for (const Strobe& t : b_.strobes()) {
    EXPECT_EQ(t.wr, 1u << clear_idx);
    EXPECT_FALSE(t.clear_counters);
    for (uint32_t w : t.pulse) EXPECT_EQ(w, 0u);
  }

  // A ctrl write strobes ctrl only; a write without byte strobes strobes nothing.
  b_.ClearStrobes();
  b_.Write(Addr(csum::kCtrl), 0x3);
  b_.Write(Addr(csum::kCtrl), 0x0, 0);
  b_.Idle();
  ASSERT_EQ(b_.strobes().size(), 1u);
  EXPECT_EQ(b_.strobes()[0].wr, 1u << ctrl_idx);
  EXPECT_FALSE(b_.strobes()[0].clear_counters);

  // The strobe comes with the new value: a doorbell reads regs_o in the strobe's cycle.
  b_.ClearStrobes();
  b_.Write(Addr(csum::kCtrl), csum::ctrl::kRxEnableMask);
  b_.Idle();
  ASSERT_EQ(b_.strobes().size(), 1u);
  EXPECT_EQ(b_.strobes()[0].regs[ctrl_idx], csum::ctrl::kRxEnableMask);
}

TEST_F(CsumCsr, OutOfRangeAnswersSlvErrAndChangesNothing) {
  b_.Write(Addr(csum::kCtrl), csum::ctrl::kTxEnableMask);
  b_.ClearStrobes();
  for (uint32_t off = csum::kNumRegs * 4; off < csum::kSize; off += 4) {
    const Op r = b_.Read(Addr(off));
    EXPECT_EQ(r.resp, AxiResp::kSlvErr) << std::hex << off;
    EXPECT_EQ(r.data, 0u) << std::hex << off;
    EXPECT_EQ(b_.Write(Addr(off), 0xFFFF'FFFFu).resp, AxiResp::kSlvErr) << std::hex << off;
  }
  b_.Idle();
  EXPECT_TRUE(b_.strobes().empty()) << "a refused write strobes nothing";
  // The block still answers, and no stray write reached it.
  const Op r = b_.Read(Addr(csum::kCtrl));
  EXPECT_EQ(r.resp, AxiResp::kOkay);
  EXPECT_EQ(r.data, csum::ctrl::kTxEnableMask);
  EXPECT_EQ(b_.Read(Addr(csum::kId)).data, csum::kIdValue);
}

TEST_F(CsumCsr, AddressAndDataInEitherOrder) {
  // {AW delay, W delay}: address first, data first, both together, far apart.
  const unsigned orders[][2] = {{0, 0}, {0, 6}, {6, 0}, {1, 0}, {0, 1}, {20, 3}, {3, 20}};
  uint32_t v = 0;
  for (const auto& o : orders) {
    v ^= 0x3;
    const size_t w = b_.mgr().Write(Addr(csum::kCtrl), v, 0xF, o[0], o[1]);
    ASSERT_TRUE(b_.Run());
    EXPECT_EQ(b_.mgr().write_op(w).resp, AxiResp::kOkay);
    EXPECT_EQ(b_.Read(Addr(csum::kCtrl)).data, v) << "AW after " << o[0] << ", W after " << o[1];
  }
}

// Many requests in flight at once: writes to ctrl and err_clear (and out of range), reads of
// registers whose value the writes cannot change.  Every response must match, the writes must
// land in order, and each in-range write with a byte strobe must strobe exactly once.
TEST_F(CsumCsr, ConcurrentRandomTraffic) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    AxilConfig cfg;
    cfg.max_idle = seed % 3 == 0 ? 0 : seed;
    cfg.ready_percent = seed % 3 == 0 ? 100 : 40 + 10 * seed;
    Bench<Vnic_csr_tb> b("csr_csum_random", seed, cfg);
    std::mt19937 rng(seed);
    const uint32_t fixed_regs[] = {csum::kId, csum::kTxFrames, csum::kRxL4Bad};
    b.top().tx_frames_i = 0x1234'5678u + seed;
    b.top().rx_l4_bad_i = 0xCAFE'0000u + seed;
    const std::map<uint32_t, uint32_t> fixed = {{csum::kId, csum::kIdValue},
                                                {csum::kTxFrames, 0x1234'5678u + seed},
                                                {csum::kRxL4Bad, 0xCAFE'0000u + seed}};

    uint32_t ctrl = csum::ctrl::kReset;
    unsigned want_ctrl_strobes = 0, want_clear_strobes = 0, want_pulses = 0;
    std::vector<std::pair<size_t, bool>> writes;  // index, in range
    std::vector<std::pair<size_t, uint32_t>> reads;  // index, offset (or ~0u: out of range)
    for (int i = 0; i < 300; ++i) {
      const uint32_t data = rng();
      const uint8_t strb = static_cast<uint8_t>(rng() & 0xF);
      switch (rng() % 4) {
        case 0: {  // ctrl
          writes.push_back({b.mgr().Write(Addr(csum::kCtrl), data, strb), true});
          if (strb & 1) ctrl = (ctrl & ~csum::ctrl::kRwMask) | (data & csum::ctrl::kRwMask);
          want_ctrl_strobes += strb != 0;
          break;
        }
        case 1: {  // err_clear
          writes.push_back({b.mgr().Write(Addr(csum::kErrClear), data, strb), true});
          want_clear_strobes += strb != 0;
          want_pulses += (strb & 1) && (data & csum::err_clear::kCountersMask);
          break;
        }
        case 2: {  // out of range
          const uint32_t words_past = csum::kSize / 4 - csum::kNumRegs;
          const uint32_t off = csum::kNumRegs * 4 + 4 * (rng() % words_past);
          writes.push_back({b.mgr().Write(Addr(off), data, strb), false});
          reads.push_back({b.mgr().Read(Addr(off)), ~0u});
          break;
        }
        default: {
          const uint32_t off = fixed_regs[rng() % 3];
          reads.push_back({b.mgr().Read(Addr(off)), off});
        }
      }
    }
    ASSERT_TRUE(b.Run()) << "the slave stopped answering";
    for (auto [i, in_range] : writes) {
      EXPECT_EQ(b.mgr().write_op(i).resp, in_range ? AxiResp::kOkay : AxiResp::kSlvErr);
    }
    for (auto [i, off] : reads) {
      const Op& r = b.mgr().read_op(i);
      if (off == ~0u) {
        EXPECT_EQ(r.resp, AxiResp::kSlvErr);
        EXPECT_EQ(r.data, 0u);
      } else {
        EXPECT_EQ(r.resp, AxiResp::kOkay);
        EXPECT_EQ(r.data, fixed.at(off)) << std::hex << off;
      }
    }
    b.Idle();
    unsigned ctrl_strobes = 0, clear_strobes = 0, pulses = 0;
    for (const Strobe& s : b.strobes()) {
      ctrl_strobes += (s.wr >> (csum::kCtrl / 4)) & 1;
      clear_strobes += (s.wr >> (csum::kErrClear / 4)) & 1;
      pulses += s.clear_counters;
      EXPECT_EQ(s.wr & ~((1u << (csum::kCtrl / 4)) | (1u << (csum::kErrClear / 4))), 0u);
    }
    EXPECT_EQ(ctrl_strobes, want_ctrl_strobes);
    EXPECT_EQ(clear_strobes, want_clear_strobes);
    EXPECT_EQ(pulses, want_pulses);
    EXPECT_EQ(b.Read(Addr(csum::kCtrl)).data, ctrl);
  }
}

// ---------------------------------------------------------------------------------------------
// card block
// ---------------------------------------------------------------------------------------------

class CardCsr : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& t = b_.top();
    t.caps_i = 0b0011;  // tx_csum, rx_csum
    t.stream_width_i = 512;
    t.max_frame_i = 9216;
    t.queues_i = (8u << 16) | 8u;
    t.tx_max_descs_i = 16;
    t.rx_max_bufs_i = 16;
  }
  Bench<Vnic_csr_card_tb> b_{"csr_card", 2};
};

TEST_F(CardCsr, IdentityAndHardwareValues) {
  EXPECT_EQ(b_.Read(card::kBase + card::kId).data, card::kIdValue);
  const uint32_t caps = b_.Read(card::kCaps).data;
  EXPECT_EQ(caps, card::caps::kTxCsumMask | card::caps::kRxCsumMask);
  EXPECT_EQ(b_.Read(card::kStreamWidth).data, 512u);
  EXPECT_EQ(b_.Read(card::kMaxFrame).data, 9216u);
  EXPECT_EQ(b_.Read(card::kQueues).data, (8u << 16) | 8u);
  EXPECT_EQ(b_.Read(card::kTxMaxDescs).data, 16u);
  EXPECT_EQ(b_.Read(card::kRxMaxBufs).data, 16u);
  const Op r = b_.Read(card::kScratch);
  EXPECT_EQ(r.data, card::scratch::kReset) << "scratch is storage, not the hardware's value";
}

TEST_F(CardCsr, ScratchHonoursEveryByteStrobeCombination) {
  for (uint8_t strb = 0; strb < 16; ++strb) {
    b_.Write(card::kScratch, 0x0102'0304u);
    b_.Write(card::kScratch, 0xA1B2'C3D4u, strb);
    uint32_t want = 0;
    for (int i = 0; i < 4; ++i) {
      const uint32_t lane = 0xFFu << (8 * i);
      want |= ((strb >> i) & 1 ? 0xA1B2'C3D4u : 0x0102'0304u) & lane;
    }
    const Op r = b_.Read(card::kScratch);
    EXPECT_EQ(r.resp, AxiResp::kOkay);
    EXPECT_EQ(r.data, want) << "strb " << int{strb};
    EXPECT_EQ(b_.top().scratch_o, want) << "typed view, strb " << int{strb};
  }
}

// The card block decodes all 32 address bits: anything past its last register is refused,
// including addresses that would alias scratch if the upper bits were ignored.
TEST_F(CardCsr, FullDecodeRefusesEverythingPastTheLastRegister) {
  b_.Write(card::kScratch, 0x5555'AAAAu);
  const uint32_t bad[] = {card::kNumRegs * 4, card::kSize - 4, card::kSize + card::kScratch,
                          csum::kBase,        csum::kBase + card::kScratch, 0xFFFF'FFFCu,
                          0x8000'0010u};
  for (uint32_t a : bad) {
    EXPECT_EQ(b_.Write(a, 0).resp, AxiResp::kSlvErr) << std::hex << a;
    const Op r = b_.Read(a);
    EXPECT_EQ(r.resp, AxiResp::kSlvErr) << std::hex << a;
    EXPECT_EQ(r.data, 0u) << std::hex << a;
  }
  EXPECT_EQ(b_.Read(card::kScratch).data, 0x5555'AAAAu);
}

// One request at a time, random everything, against a model built from the generated
// register table: storage follows the writes' strobes and rw masks, other bits read the
// hardware's values.
TEST(CardCsrRandom, SequentialTrafficMatchesTheModel) {
  for (uint32_t seed = 10; seed < 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    AxilConfig cfg;
    cfg.max_idle = seed % 4;
    cfg.ready_percent = 25 + 15 * (seed % 6);
    Bench<Vnic_csr_card_tb> b("csr_card_random", seed, cfg);
    std::mt19937 rng(seed);
    b.top().caps_i = seed & 0xF;
    b.top().stream_width_i = 64u << (seed % 4);
    b.top().max_frame_i = 1500 + seed;
    b.top().queues_i = (seed << 16) | (seed + 1);
    b.top().tx_max_descs_i = seed % 64;
    b.top().rx_max_bufs_i = seed % 32 + 1;
    const std::map<uint32_t, uint32_t> hw = {{card::kId, card::kIdValue},
                                             {card::kCaps, seed & 0xF},
                                             {card::kStreamWidth, 64u << (seed % 4)},
                                             {card::kMaxFrame, 1500 + seed},
                                             {card::kQueues, (seed << 16) | (seed + 1)},
                                             {card::kTxMaxDescs, seed % 64},
                                             {card::kRxMaxBufs, seed % 32 + 1},
                                             {card::kScratch, 0xDEAD'BEEFu},
                                             {card::kHostDenied, 0}};
    std::map<uint32_t, uint32_t> store;
    for (const hw::csr::RegInfo& reg : card::kRegs) store[reg.offset] = reg.reset;
    auto expect_value = [&](uint32_t off) {
      const hw::csr::RegInfo* reg = nullptr;
      for (const hw::csr::RegInfo& r : card::kRegs) reg = r.offset == off ? &r : reg;
      return (store[off] & reg->rw_mask) | (hw.at(off) & ~reg->rw_mask);
    };
    for (int i = 0; i < 200; ++i) {
      const bool in_range = rng() % 8 != 0;
      const uint32_t off = in_range ? 4 * (rng() % card::kNumRegs)
                                    : card::kNumRegs * 4 + 4 * (rng() % 1000);
      if (rng() % 2) {
        const uint32_t data = rng();
        const uint8_t strb = static_cast<uint8_t>(rng() & 0xF);
        const Op w = b.Write(off, data, strb);
        ASSERT_TRUE(w.done);
        EXPECT_EQ(w.resp, in_range ? AxiResp::kOkay : AxiResp::kSlvErr);
        if (in_range) {
          for (int lane = 0; lane < 4; ++lane) {
            if ((strb >> lane) & 1) {
              const uint32_t m = 0xFFu << (8 * lane);
              store[off] = (store[off] & ~m) | (data & m);
            }
          }
        }
      } else {
        const Op r = b.Read(off);
        ASSERT_TRUE(r.done);
        EXPECT_EQ(r.resp, in_range ? AxiResp::kOkay : AxiResp::kSlvErr);
        EXPECT_EQ(r.data, in_range ? expect_value(off) : 0u) << std::hex << off;
      }
    }
  }
}

// No idle cycles and the response channels always ready: back-to-back requests all complete
// and land in order.
TEST(CardCsrRandom, BackToBackRequests) {
  AxilConfig cfg;
  cfg.max_idle = 0;
  cfg.ready_percent = 100;
  Bench<Vnic_csr_card_tb> b("csr_card_b2b", 3, cfg);
  std::vector<size_t> reads;
  for (uint32_t i = 0; i < 64; ++i) {
    b.mgr().Write(card::kScratch, i * 0x0101'0101u);
    reads.push_back(b.mgr().Read(card::kId));
  }
  ASSERT_TRUE(b.Run());
  for (size_t i : reads) EXPECT_EQ(b.mgr().read_op(i).data, card::kIdValue);
  EXPECT_EQ(b.Read(card::kScratch).data, 63u * 0x0101'0101u);
}

}  // namespace
}  // namespace mbufnic::rtltest
