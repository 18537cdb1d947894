// AxiMemSlave against a scripted AXI master, at 64, 256 and 512 bits, without Verilator: a
// stand-in model exposes the m_axi_* pins as plain members (a VlWide-like struct beyond 64
// bits), and a small master in the test drives them with the same two-phase order a Verilated
// bench uses.  Checks: data of reads and strobed writes, read latency, the bandwidth budget,
// ready stalls, SLVERR for refused accesses, protocol-error counting.
#include "bfm/axi_mem.h"

#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "core/host_memory.h"
#include "mbufnic/runtime.h"

namespace mbufnic::sim {
namespace {

// Like Verilator's VlWide<N>: N 32-bit words, least significant first.
template <std::size_t N>
struct Wide {
  std::uint32_t w[N];
  std::uint32_t* data() { return w; }
  const std::uint32_t* data() const { return w; }
};

template <std::size_t Bits>
using DataOf = std::conditional_t<(Bits <= 64), std::uint64_t, Wide<Bits / 32>>;
template <std::size_t Bits>
using StrbOf =
    std::conditional_t<(Bits / 8 <= 8), std::uint8_t,
                       std::conditional_t<(Bits / 8 <= 32), std::uint32_t, std::uint64_t>>;

template <std::size_t Bits>
struct FakeModel {
  std::uint64_t m_axi_araddr_o = 0;
  std::uint8_t m_axi_arlen_o = 0, m_axi_arvalid_o = 0, m_axi_arready_i = 0;
  DataOf<Bits> m_axi_rdata_i{};
  std::uint8_t m_axi_rresp_i = 0, m_axi_rlast_i = 0, m_axi_rvalid_i = 0, m_axi_rready_o = 0;
  std::uint64_t m_axi_awaddr_o = 0;
  std::uint8_t m_axi_awlen_o = 0, m_axi_awvalid_o = 0, m_axi_awready_i = 0;
  DataOf<Bits> m_axi_wdata_o{};
  StrbOf<Bits> m_axi_wstrb_o = 0;
  std::uint8_t m_axi_wlast_o = 0, m_axi_wvalid_o = 0, m_axi_wready_i = 0;
  std::uint8_t m_axi_bresp_i = 0, m_axi_bvalid_i = 0, m_axi_bready_o = 0;
};

// 16 KiB of DMA memory from a jumbo cluster, with a 4 KiB-aligned window of 8 KiB in it.
struct Buffer {
  Buffer() {
    m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
    auto* p = mtod(m, std::uint8_t*);
    const std::uint64_t b = mbufnic_vtobus(p);
    const std::uint64_t aligned = (b + 4095) & ~std::uint64_t{4095};
    va = p + (aligned - b);
    bus = aligned;
  }
  ~Buffer() { m_freem(m); }
  struct mbuf* m;
  std::uint8_t* va;
  std::uint64_t bus;
};

// A scripted master: reads and writes queued up front, issued in order; rready and bready
// drop at random when asked.  `w_first` sends each write's data before its address.
template <std::size_t Bits>
class Master {
 public:
  static constexpr std::size_t kB = Bits / 8;
  struct Rd {
    std::uint64_t addr;
    unsigned beats;
    std::vector<std::uint8_t> data;
    std::vector<std::uint8_t> resp;
    std::uint64_t ar_cycle = 0, first_beat_cycle = 0;
    bool last_ok = true;
  };
  struct Wr {
    std::uint64_t addr;
    std::vector<std::uint8_t> bytes;  // written from addr on
    unsigned beats = 0;
    std::uint8_t resp = 0xff;
    int wlast_beat = -1;  // override: raise wlast on this beat (protocol-error tests)
  };

  Master(FakeModel<Bits>& m, unsigned ready_percent, std::uint32_t seed, bool w_first = false)
      : m_(m), ready_percent_(ready_percent), rng_(seed), w_first_(w_first) {}

  void Read(std::uint64_t addr, unsigned beats) { rd_.push_back(Rd{addr, beats, {}, {}}); }
  void Write(std::uint64_t addr, std::vector<std::uint8_t> bytes, int wlast_beat = -1) {
    Wr w{addr, std::move(bytes)};
    const std::uint64_t first = addr & ~std::uint64_t{kB - 1};
    w.beats = static_cast<unsigned>((addr + w.bytes.size() - first + kB - 1) / kB);
    w.wlast_beat = wlast_beat;
    wr_.push_back(std::move(w));
  }

  void Sample(std::uint64_t cycle) {
    if (m_.m_axi_arvalid_o && m_.m_axi_arready_i) {
      rd_[ar_next_].ar_cycle = cycle;
      ++ar_next_;
      m_.m_axi_arvalid_o = 0;
    }
    if (m_.m_axi_rvalid_i && m_.m_axi_rready_o) {
      Rd& r = rd_[r_next_];
      if (r.resp.empty()) r.first_beat_cycle = cycle;
      const auto* p = reinterpret_cast<const std::uint8_t*>(&m_.m_axi_rdata_i);
      r.data.insert(r.data.end(), p, p + kB);
      r.resp.push_back(m_.m_axi_rresp_i);
      const bool last = r.resp.size() == r.beats;
      if (static_cast<bool>(m_.m_axi_rlast_i) != last) r.last_ok = false;
      if (last) ++r_next_;
    }
    if (m_.m_axi_awvalid_o && m_.m_axi_awready_i) {
      ++aw_next_;
      m_.m_axi_awvalid_o = 0;
    }
    if (m_.m_axi_wvalid_o && m_.m_axi_wready_i) {
      m_.m_axi_wvalid_o = 0;
      if (++w_beat_ == wr_[w_next_].beats) {
        ++w_next_;
        w_beat_ = 0;
      }
    }
    if (m_.m_axi_bvalid_i && m_.m_axi_bready_o) wr_[b_next_++].resp = m_.m_axi_bresp_i;
  }

  void Drive() {
    if (!m_.m_axi_arvalid_o && ar_next_ < rd_.size()) {
      m_.m_axi_araddr_o = rd_[ar_next_].addr;
      m_.m_axi_arlen_o = static_cast<std::uint8_t>(rd_[ar_next_].beats - 1);
      m_.m_axi_arvalid_o = 1;
    }
    // AW of a write goes out once its data is all out when w_first_, else right away.
    if (!m_.m_axi_awvalid_o && aw_next_ < wr_.size() && (!w_first_ || aw_next_ < w_next_)) {
      m_.m_axi_awaddr_o = wr_[aw_next_].addr;
      m_.m_axi_awlen_o = static_cast<std::uint8_t>(wr_[aw_next_].beats - 1);
      m_.m_axi_awvalid_o = 1;
    }
    if (!m_.m_axi_wvalid_o && w_next_ < wr_.size()) {
      const Wr& w = wr_[w_next_];
      const std::uint64_t first = w.addr & ~std::uint64_t{kB - 1};
      auto* p = reinterpret_cast<std::uint8_t*>(&m_.m_axi_wdata_o);
      std::uint64_t strb = 0;
      for (std::size_t i = 0; i < kB; ++i) {
        const std::uint64_t a = first + w_beat_ * kB + i;
        const bool in = a >= w.addr && a < w.addr + w.bytes.size();
        p[i] = in ? w.bytes[a - w.addr] : 0xEE;
        if (in) strb |= std::uint64_t{1} << i;
      }
      m_.m_axi_wstrb_o = static_cast<StrbOf<Bits>>(strb);
      m_.m_axi_wlast_o = w.wlast_beat >= 0 ? w_beat_ == static_cast<unsigned>(w.wlast_beat)
                                           : w_beat_ + 1 == w.beats;
      m_.m_axi_wvalid_o = 1;
    }
    m_.m_axi_rready_o = Chance();
    m_.m_axi_bready_o = Chance();
  }

  bool Done() const { return r_next_ == rd_.size() && b_next_ == wr_.size(); }
  const std::deque<Rd>& reads() const { return rd_; }
  const std::deque<Wr>& writes() const { return wr_; }

 private:
  bool Chance() {
    return ready_percent_ >= 100 ||
           std::uniform_int_distribution<unsigned>(0, 99)(rng_) < ready_percent_;
  }

  FakeModel<Bits>& m_;
  unsigned ready_percent_;
  std::mt19937 rng_;
  bool w_first_;
  std::deque<Rd> rd_;
  std::deque<Wr> wr_;
  std::size_t ar_next_ = 0, r_next_ = 0, aw_next_ = 0, w_next_ = 0, b_next_ = 0;
  unsigned w_beat_ = 0;
};

template <typename T>
class AxiMemTest : public ::testing::Test {};

template <std::size_t B>
struct Width {
  static constexpr std::size_t kBits = B;
};
using Widths = ::testing::Types<Width<64>, Width<256>, Width<512>>;
TYPED_TEST_SUITE(AxiMemTest, Widths);

// Runs slave and master until the master is done; returns the cycles taken.
template <std::size_t Bits>
std::uint64_t Run(AxiMemSlave<FakeModel<Bits>>& s, Master<Bits>& m, std::uint64_t limit = 200000) {
  std::uint64_t c = 0;
  for (; !m.Done() && c < limit; ++c) {
    s.Sample(c);
    m.Sample(c);
    m.Drive();
    s.Drive(c);
  }
  return c;
}

PcieConfig Fast() { return PcieConfig{"test", 0, 3, 8}; }  // unlimited bandwidth

TYPED_TEST(AxiMemTest, ReadsReturnWholeLinesInOrderAfterTheLatency) {
  constexpr std::size_t kBits = TypeParam::kBits, kB = kBits / 8;
  Buffer buf;
  for (int i = 0; i < 8192; ++i) buf.va[i] = static_cast<std::uint8_t>(i * 7 + 1);
  HostMemory mem(PcieConfig{"test", 0, 20, 8}, 0, 0);
  mem.Grant(buf.bus, 8192, true, false);
  FakeModel<kBits> model;
  AxiMemSlave<FakeModel<kBits>> slave(model, mem, 5);
  Master<kBits> master(model, 60, 9);
  // Unaligned start, several bursts outstanding, one ending at a 4 KiB boundary.
  master.Read(buf.bus + 3, 4);
  master.Read(buf.bus + 100, 1);
  master.Read(buf.bus + 4096 - 2 * kB, 2);
  master.Read(buf.bus + 4096 + 1, 1);
  Run(slave, master);
  ASSERT_TRUE(master.Done());
  for (const auto& r : master.reads()) {
    const std::uint64_t first = r.addr & ~std::uint64_t{kB - 1};
    ASSERT_EQ(r.data.size(), r.beats * kB);
    EXPECT_EQ(0, std::memcmp(r.data.data(), buf.va + (first - buf.bus), r.data.size()))
        << "read at +" << r.addr - buf.bus;
    for (auto resp : r.resp) EXPECT_EQ(resp, 0);
    EXPECT_TRUE(r.last_ok);
    EXPECT_GE(r.first_beat_cycle, r.ar_cycle + 20);
  }
  EXPECT_EQ(slave.protocol_errors(), 0u);
  EXPECT_TRUE(mem.violations().empty());
  EXPECT_TRUE(slave.Idle());
  EXPECT_EQ(slave.read_bursts(), 4u);
}

TYPED_TEST(AxiMemTest, WritesApplyExactlyTheStrobedBytes) {
  constexpr std::size_t kBits = TypeParam::kBits;
  for (bool w_first : {false, true}) {
    Buffer buf;
    std::memset(buf.va, 0x55, 8192);
    HostMemory mem(Fast(), 0, 0);
    mem.Grant(buf.bus, 8192, false, true);
    FakeModel<kBits> model;
    AxiMemSlave<FakeModel<kBits>> slave(model, mem, 3, AxiMemConfig{0, 30, 30});
    Master<kBits> master(model, 50, 11, w_first);
    std::mt19937 rng(1);
    std::vector<std::uint8_t> expect(buf.va, buf.va + 8192);
    for (auto [off, len] : {std::pair{5, 3}, {64, 64}, {130, 300}, {4000, 96}, {1, 1}}) {
      std::vector<std::uint8_t> bytes(len);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
      std::copy(bytes.begin(), bytes.end(), expect.begin() + off);
      master.Write(buf.bus + off, bytes);
    }
    Run(slave, master);
    ASSERT_TRUE(master.Done()) << "w_first " << w_first;
    EXPECT_EQ(0, std::memcmp(expect.data(), buf.va, 8192)) << "w_first " << w_first;
    for (const auto& w : master.writes()) EXPECT_EQ(w.resp, 0);
    EXPECT_EQ(slave.protocol_errors(), 0u);
    EXPECT_TRUE(mem.violations().empty());
    EXPECT_EQ(mem.bytes_written(), 3u + 64 + 300 + 96 + 1);
    EXPECT_TRUE(slave.Idle());
  }
}

TYPED_TEST(AxiMemTest, RefusedAccessesAnswerSlvErr) {
  constexpr std::size_t kBits = TypeParam::kBits, kB = kBits / 8;
  Buffer buf;
  std::memset(buf.va, 0x55, 8192);
  HostMemory mem(Fast(), 0, 0);
  mem.Grant(buf.bus, 4096, true, true);  // the second page is not granted
  mem.InjectError(buf.bus + 1024, 64, 1, true, false);
  FakeModel<kBits> model;
  AxiMemSlave<FakeModel<kBits>> slave(model, mem, 3);
  Master<kBits> master(model, 100, 1);
  master.Read(buf.bus + 4096, 2);           // violation
  master.Read(buf.bus + 1024, 1);           // injected error
  master.Read(buf.bus + 1024, 1);           // injection used up: fine
  master.Write(buf.bus + 4100, {1, 2, 3});  // violation
  Run(slave, master);
  ASSERT_TRUE(master.Done());
  const auto& r = master.reads();
  EXPECT_EQ(r[0].resp, std::vector<std::uint8_t>(2, 2));
  EXPECT_EQ(r[1].resp, std::vector<std::uint8_t>(1, 2));
  EXPECT_EQ(r[2].resp, std::vector<std::uint8_t>(1, 0));
  EXPECT_EQ(r[0].data, std::vector<std::uint8_t>(2 * kB, 0));
  EXPECT_EQ(master.writes()[0].resp, 2);
  EXPECT_EQ(buf.va[4100], 0x55);
  EXPECT_EQ(mem.violations().size(), 2u);
  EXPECT_EQ(slave.read_errors(), 2u);
  EXPECT_EQ(slave.write_errors(), 1u);
}

TYPED_TEST(AxiMemTest, ProtocolErrorsAreCounted) {
  constexpr std::size_t kBits = TypeParam::kBits, kB = kBits / 8;
  Buffer buf;
  HostMemory mem(Fast(), 0, 0);
  mem.set_checking(false);
  FakeModel<kBits> model;
  AxiMemSlave<FakeModel<kBits>> slave(model, mem, 3);
  Master<kBits> master(model, 100, 1);
  master.Read(buf.bus + 4096 - kB, 2);                             // crosses 4 KiB
  master.Write(buf.bus, std::vector<std::uint8_t>(3 * kB, 1), 1);  // wlast on beat 1 of 3
  Run(slave, master, 2000);
  EXPECT_GE(slave.protocol_errors(), 2u);
  ASSERT_FALSE(slave.error_log().empty());
  EXPECT_NE(slave.error_log()[0].find("4 KiB"), std::string::npos) << slave.error_log()[0];
}

TYPED_TEST(AxiMemTest, BandwidthFollowsThePreset) {
  constexpr std::size_t kBits = TypeParam::kBits, kB = kBits / 8;
  Buffer buf;
  HostMemory mem(PcieGen3x16(), 0, 0);
  mem.set_checking(false);
  FakeModel<kBits> model;
  AxiMemSlave<FakeModel<kBits>> slave(model, mem, 3);
  Master<kBits> master(model, 100, 1);
  const unsigned beats = static_cast<unsigned>(std::min<std::size_t>(64, 4096 / kB));
  const int bursts = 200;
  for (int i = 0; i < bursts; ++i) master.Read(buf.bus + (i % 2) * 4096, beats);
  const std::uint64_t cycles = Run(slave, master);
  ASSERT_TRUE(master.Done());
  const double bytes = static_cast<double>(bursts) * beats * kB;
  // Streaming rate: the slower of the bus width and the preset (52 B/cycle), after the first
  // latency.
  const double rate = bytes / static_cast<double>(cycles - PcieGen3x16().read_latency);
  const double expect = std::min<double>(kB, PcieGen3x16().bytes_per_cycle);
  EXPECT_NEAR(rate, expect, expect * 0.03) << cycles << " cycles";
}

// A card with a second, read-only master named as nic_top's m_axi_rxd (AR and R only).
struct RxdModel {
  std::uint64_t m_axi_rxd_araddr_o = 0;
  std::uint8_t m_axi_rxd_arlen_o = 0, m_axi_rxd_arvalid_o = 0, m_axi_rxd_arready_i = 0;
  DataOf<512> m_axi_rxd_rdata_i{};
  std::uint8_t m_axi_rxd_rresp_i = 0, m_axi_rxd_rlast_i = 0, m_axi_rxd_rvalid_i = 0;
  std::uint8_t m_axi_rxd_rready_o = 0;
};

// Two masters streaming reads on one link get the link's bandwidth between them, not a bus
// width each (on links of their own each gets its bus width); and however many masters a link
// has, no more read bursts are outstanding on it than it has tags, and waiting masters get
// freed tags in turn (neither starves the other).
struct TwoMasters {
  std::uint64_t beats = 0;                 // R beats both masters took from cycle 200 on
  std::uint64_t beats_a = 0, beats_b = 0;  // of them, a's and b's
  std::uint64_t most = 0;                  // read bursts outstanding at once, both masters together
  unsigned protocol_errors = 0;
};

TwoMasters StreamTwo(HostMemory& mem, std::uint64_t bus, bool shared, std::uint64_t cycles) {
  constexpr std::size_t kB = 64;
  PcieLink link(mem.pcie(), kB);
  FakeModel<512> a, b;
  AxiMemSlave<FakeModel<512>> sa(a, mem, shared ? &link : nullptr, 3);
  AxiMemSlave<FakeModel<512>> sb(b, mem, shared ? &link : nullptr, 4);
  Master<512> ma(a, 100, 1), mb(b, 100, 2);
  for (int i = 0; i < 200; ++i) {
    ma.Read(bus + (i % 2) * 4096, 64);
    mb.Read(bus + 8192, 16);  // shorter bursts: more of them in flight
    mb.Read(bus + 8192 + 1024, 16);
  }
  TwoMasters out;
  std::uint64_t ar = 0, last = 0;
  for (std::uint64_t c = 0; c < cycles; ++c) {
    for (FakeModel<512>* m : {&a, &b}) {
      ar += m->m_axi_arvalid_o && m->m_axi_arready_i;
      const bool beat = m->m_axi_rvalid_i && m->m_axi_rready_o;
      last += beat && m->m_axi_rlast_i;
      if (c >= 200) {
        out.beats += beat;
        (m == &a ? out.beats_a : out.beats_b) += beat;
      }
    }
    out.most = std::max(out.most, ar - last);
    sa.Sample(c);
    sb.Sample(c);
    ma.Sample(c);
    mb.Sample(c);
    ma.Drive();
    mb.Drive();
    sa.Drive(c);
    sb.Drive(c);
  }
  EXPECT_FALSE(ma.Done() || mb.Done()) << "both must still be streaming";
  out.protocol_errors = sa.protocol_errors() + sb.protocol_errors();
  return out;
}

TEST(AxiMemLink, TwoMastersShareTheBandwidth) {
  Buffer buf;
  const double gen4 = PcieGen4x16().bytes_per_cycle;  // more than one 512-bit bus, less than two
  // Tags for every burst: bandwidth is the only limit.
  HostMemory mem(PcieConfig{"test", gen4, 20, 1000}, 0, 0);
  mem.set_checking(false);
  for (const bool shared : {true, false}) {
    SCOPED_TRACE(shared ? "one link" : "a link each");
    const TwoMasters t = StreamTwo(mem, buf.bus, shared, 2200);
    const double rate = static_cast<double>(t.beats * 64) / 2000.0;
    const double expect = shared ? gen4 : 128.0;
    EXPECT_NEAR(rate, expect, expect * 0.03);
    EXPECT_EQ(t.protocol_errors, 0u);
  }
}

TEST(AxiMemLink, TwoMastersShareTheReadTags) {
  Buffer buf;
  HostMemory mem(PcieConfig{"test", 0, 20, 6}, 0, 0);
  mem.set_checking(false);
  const TwoMasters shared = StreamTwo(mem, buf.bus, true, 1200);
  EXPECT_EQ(shared.most, 6u);
  EXPECT_EQ(StreamTwo(mem, buf.bus, false, 1200).most, 12u);
  // Neither master starves (b got nothing when a, driven first, took every freed tag): each
  // gets tags in turn, though a's 64-beat bursts hold theirs four times as long as b's.
  EXPECT_GE(shared.beats_a, 1000u / 5) << shared.beats_b;
  EXPECT_GE(shared.beats_b, 1000u / 5) << shared.beats_a;
}

// A master with AR and R only (RxdPins over nic_top's m_axi_rxd names) is served whole lines,
// in order, on the link it shares.
TEST(AxiMemLink, ReadOnlyMaster) {
  constexpr std::size_t kB = 64;
  Buffer buf;
  for (int i = 0; i < 8192; ++i) buf.va[i] = static_cast<std::uint8_t>(i * 13 + 5);
  HostMemory mem(PcieConfig{"test", 0, 10, 8}, 0, 0);
  mem.Grant(buf.bus, 8192, true, false);
  PcieLink link(mem.pcie(), kB);
  RxdModel model;
  RxdPins<RxdModel> pins(model);
  AxiMemSlave<RxdPins<RxdModel>> slave(pins, mem, &link, 7);
  static_assert(!AxiMemSlave<RxdPins<RxdModel>>::kWrites);
  const std::uint64_t addrs[] = {buf.bus + 16, buf.bus + 4096 - 128, buf.bus + 5000};
  const unsigned beats[] = {3, 2, 1};
  std::vector<std::uint8_t> got;
  std::vector<std::uint8_t> want;
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t first = addrs[i] & ~std::uint64_t{kB - 1};
    want.insert(want.end(), buf.va + (first - buf.bus), buf.va + (first - buf.bus) + beats[i] * kB);
  }
  unsigned next = 0, lasts = 0;
  for (std::uint64_t c = 0; c < 1000 && lasts < 3; ++c) {
    slave.Sample(c);
    if (model.m_axi_rxd_arvalid_o && model.m_axi_rxd_arready_i) {
      model.m_axi_rxd_arvalid_o = 0;
      ++next;
    }
    if (model.m_axi_rxd_rvalid_i && model.m_axi_rxd_rready_o) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(&model.m_axi_rxd_rdata_i);
      got.insert(got.end(), p, p + kB);
      EXPECT_EQ(model.m_axi_rxd_rresp_i, 0);
      lasts += model.m_axi_rxd_rlast_i;
    }
    if (!model.m_axi_rxd_arvalid_o && next < 3) {
      model.m_axi_rxd_araddr_o = addrs[next];
      model.m_axi_rxd_arlen_o = static_cast<std::uint8_t>(beats[next] - 1);
      model.m_axi_rxd_arvalid_o = 1;
    }
    model.m_axi_rxd_rready_o = c % 3 != 0;
    slave.Drive(c);
  }
  EXPECT_EQ(lasts, 3u);
  EXPECT_EQ(got, want);
  EXPECT_EQ(slave.read_bursts(), 3u);
  EXPECT_EQ(slave.protocol_errors(), 0u);
  EXPECT_TRUE(slave.Idle());
}

}  // namespace
}  // namespace mbufnic::sim
