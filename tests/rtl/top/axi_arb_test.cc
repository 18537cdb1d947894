// nic_axi_rd_arb and nic_axi_wr_arb: two DMA clients sharing one AXI4 master, under random
// handshakes on every side and with few outstanding bursts allowed (MaxOutstanding = 4), so
// the grant FIFOs fill, and the write arbiter's per-client W buffers shallower than a burst
// (WBufDepth = 4), so they fill too.
//
// Each burst's payload is a function of its address, and each client's addresses carry the
// client's number, so a beat that reaches the wrong client, a W beat separated from its AW,
// or a response out of order shows up as a wrong value.  Checked: every read burst's beats
// reach the client that asked, in order, with rlast on the right beat; every write burst's W
// beats reach the bus after its AW and together, in AW order; every B reaches its client in
// its order; the arbiters come back to idle; and both clients get turns.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <random>
#include <vector>

#include "Vnic_axi_rd_arb_w64.h"
#include "Vnic_axi_wr_arb_w64.h"
#include "harness.h"

namespace {

constexpr int kClients = 2;
constexpr int kBursts = 400;  // per client and direction

struct Burst {
  std::uint64_t addr;
  unsigned beats;
};

// The data of beat `i` of the burst at `addr`.
std::uint64_t Pattern(std::uint64_t addr, unsigned i) {
  std::uint64_t x = addr * 0x9E37'79B9'7F4A'7C15ull + i * 0xBF58'476D'1CE4'E5B9ull;
  return x ^ (x >> 29);
}
// The response a burst at `addr` gets: SLVERR for some, so a B or R can be told apart.
std::uint8_t RespOf(std::uint64_t addr) { return (addr >> 6) & 1 ? 2 : 0; }

std::vector<Burst> MakeBursts(int client, std::mt19937& rng) {
  std::vector<Burst> out;
  for (int k = 0; k < kBursts; ++k) {
    const std::uint64_t addr = (std::uint64_t(client + 1) << 56) |
                               (std::uint64_t(k) << 12) | (std::uint64_t(rng() % 64) << 6);
    out.push_back({addr, 1 + static_cast<unsigned>(rng() % 8)});
  }
  return out;
}

void SetWord(VlWide<4>& w, int i, std::uint64_t v) {
  w[2 * i] = static_cast<std::uint32_t>(v);
  w[2 * i + 1] = static_cast<std::uint32_t>(v >> 32);
}

bool Chance(std::mt19937& rng, int percent) { return static_cast<int>(rng() % 100) < percent; }

TEST(AxiRdArb, BeatsReachTheirClientInOrder) {
  mbufnic::sim::Harness<Vnic_axi_rd_arb_w64> h("axi_rd_arb", 5);
  auto& t = h.top();
  std::mt19937 rng(5);
  std::vector<Burst> todo[kClients];
  std::size_t next[kClients] = {};
  std::deque<Burst> expect[kClients];     // issued by the client, not yet fully answered
  unsigned beat[kClients] = {};
  std::size_t done[kClients] = {};
  for (int c = 0; c < kClients; ++c) todo[c] = MakeBursts(c, rng);

  struct SlaveBurst {
    Burst b;
    std::uint64_t due;
    unsigned beat;
  };
  std::deque<SlaveBurst> slave;
  std::uint64_t first_grant_cycle[kClients] = {~0ull, ~0ull};
  int errors = 0;

  t.s_axi_arvalid_i = 0;
  t.s_axi_rready_i = 0;
  t.m_axi_arready_i = 0;
  t.m_axi_rvalid_i = 0;
  h.Reset();

  for (std::uint64_t cyc = 0; cyc < 200000; ++cyc) {
    if (done[0] == kBursts && done[1] == kBursts) break;
    h.Cycle(
        [&] {
          // Client AR handshakes.
          for (int c = 0; c < kClients; ++c) {
            if (((t.s_axi_arvalid_i >> c) & 1) && ((t.s_axi_arready_o >> c) & 1)) {
              expect[c].push_back(todo[c][next[c]++]);
              if (first_grant_cycle[c] == ~0ull) first_grant_cycle[c] = cyc;
            }
          }
          // R toward the clients: at most one valid, and only for an outstanding burst.
          const unsigned rv = t.s_axi_rvalid_o;
          if (rv == 3) ++errors;
          for (int c = 0; c < kClients; ++c) {
            if (!((rv >> c) & 1) || !((t.s_axi_rready_i >> c) & 1)) continue;
            if (expect[c].empty()) {
              ADD_FAILURE() << "R beat for client " << c << " with nothing outstanding";
              ++errors;
              continue;
            }
            const Burst& b = expect[c].front();
            EXPECT_EQ(t.s_axi_rdata_o, Pattern(b.addr, beat[c])) << "client " << c;
            EXPECT_EQ(t.s_axi_rresp_o, RespOf(b.addr));
            const bool last = beat[c] + 1 == b.beats;
            EXPECT_EQ(t.s_axi_rlast_o, last) << "client " << c << " beat " << beat[c];
            if (++beat[c] == b.beats) {
              beat[c] = 0;
              expect[c].pop_front();
              ++done[c];
            }
          }
          // The bus side.
          if (t.m_axi_arvalid_o && t.m_axi_arready_i) {
            slave.push_back({{t.m_axi_araddr_o, t.m_axi_arlen_o + 1u}, cyc + 3 + rng() % 20, 0});
          }
          if (t.m_axi_rvalid_i && t.m_axi_rready_o) {
            if (++slave.front().beat == slave.front().b.beats) slave.pop_front();
          }
        },
        [&] {
          // Clients: hold AR until taken, then the next after a random pause.
          unsigned arvalid = t.s_axi_arvalid_i & ~t.s_axi_arready_o;
          for (int c = 0; c < kClients; ++c) {
            if (!((arvalid >> c) & 1) && next[c] < todo[c].size() && Chance(rng, 60)) {
              const Burst& b = todo[c][next[c]];
              SetWord(t.s_axi_araddr_i, c, b.addr);
              t.s_axi_arlen_i = (t.s_axi_arlen_i & ~(0xFF << (8 * c))) | ((b.beats - 1) << (8 * c));
              arvalid |= 1u << c;
            }
          }
          t.s_axi_arvalid_i = arvalid;
          t.s_axi_rready_i = (Chance(rng, 70) ? 1 : 0) | (Chance(rng, 70) ? 2 : 0);
          // Bus: random arready, R beats in order once due, held until taken.
          t.m_axi_arready_i = Chance(rng, 60);
          if (!(t.m_axi_rvalid_i && !t.m_axi_rready_o)) {
            t.m_axi_rvalid_i = 0;
            if (!slave.empty() && slave.front().due <= cyc && Chance(rng, 80)) {
              const SlaveBurst& s = slave.front();
              t.m_axi_rdata_i = Pattern(s.b.addr, s.beat);
              t.m_axi_rresp_i = RespOf(s.b.addr);
              t.m_axi_rlast_i = s.beat + 1 == s.b.beats;
              t.m_axi_rvalid_i = 1;
            }
          }
        });
  }
  EXPECT_EQ(done[0], std::size_t{kBursts});
  EXPECT_EQ(done[1], std::size_t{kBursts});
  EXPECT_EQ(errors, 0);
  RecordProperty("cycles", std::to_string(h.cycles()));
  for (int i = 0; i < 10; ++i) h.Cycle([] {}, [&] { t.s_axi_arvalid_i = 0; });
  EXPECT_TRUE(t.idle_o);
}

TEST(AxiWrArb, WriteBurstsStayWholeInAwOrder) {
  mbufnic::sim::Harness<Vnic_axi_wr_arb_w64> h("axi_wr_arb", 9);
  auto& t = h.top();
  std::mt19937 rng(9);
  std::vector<Burst> todo[kClients];
  std::size_t aw_next[kClients] = {};   // next AW to present
  std::size_t w_burst[kClients] = {};   // burst whose W beats the client is sending
  unsigned w_beat[kClients] = {};
  std::deque<Burst> b_expect[kClients];  // AWs taken, B not yet seen
  std::size_t done[kClients] = {};
  for (int c = 0; c < kClients; ++c) todo[c] = MakeBursts(c, rng);

  std::deque<Burst> slave_aw;  // AWs taken by the bus, W not complete
  unsigned slave_beat = 0;
  struct Resp {
    std::uint8_t resp;
    std::uint64_t due;
  };
  std::deque<Resp> slave_b;
  int turns_switched = 0, last_client = -1;

  t.s_axi_awvalid_i = 0;
  t.s_axi_wvalid_i = 0;
  t.s_axi_bready_i = 0;
  t.m_axi_awready_i = 0;
  t.m_axi_wready_i = 0;
  t.m_axi_bvalid_i = 0;
  h.Reset();

  for (std::uint64_t cyc = 0; cyc < 200000; ++cyc) {
    if (done[0] == kBursts && done[1] == kBursts) break;
    h.Cycle(
        [&] {
          for (int c = 0; c < kClients; ++c) {
            if (((t.s_axi_awvalid_i >> c) & 1) && ((t.s_axi_awready_o >> c) & 1)) {
              b_expect[c].push_back(todo[c][aw_next[c]++]);
            }
            if (((t.s_axi_wvalid_i >> c) & 1) && ((t.s_axi_wready_o >> c) & 1)) {
              if (++w_beat[c] == todo[c][w_burst[c]].beats) {
                w_beat[c] = 0;
                ++w_burst[c];
              }
            }
            if (((t.s_axi_bvalid_o >> c) & 1) && ((t.s_axi_bready_i >> c) & 1)) {
              ASSERT_FALSE(b_expect[c].empty()) << "B for client " << c << " with none due";
              EXPECT_EQ(t.s_axi_bresp_o, RespOf(b_expect[c].front().addr)) << "client " << c;
              b_expect[c].pop_front();
              ++done[c];
            }
          }
          ASSERT_NE(t.s_axi_bvalid_o, 3u) << "B offered to both clients";
          // The bus: W beats only after their AW, together, in AW order.
          if (t.m_axi_awvalid_o && t.m_axi_awready_i) {
            slave_aw.push_back({t.m_axi_awaddr_o, t.m_axi_awlen_o + 1u});
            const int c = static_cast<int>(t.m_axi_awaddr_o >> 56) - 1;
            if (c != last_client) ++turns_switched;
            last_client = c;
          }
          if (t.m_axi_wvalid_o && t.m_axi_wready_i) {
            ASSERT_FALSE(slave_aw.empty()) << "W beat before its AW at cycle " << cyc;
            const Burst& b = slave_aw.front();
            EXPECT_EQ(t.m_axi_wdata_o, Pattern(b.addr, slave_beat)) << "burst at " << b.addr;
            EXPECT_EQ(t.m_axi_wstrb_o, 0xFFu);
            EXPECT_EQ(t.m_axi_wlast_o, slave_beat + 1 == b.beats);
            if (++slave_beat == b.beats) {
              slave_beat = 0;
              slave_b.push_back({RespOf(b.addr), cyc + 2 + rng() % 10});
              slave_aw.pop_front();
            }
          }
          if (t.m_axi_bvalid_i && t.m_axi_bready_o) slave_b.pop_front();
        },
        [&] {
          unsigned awvalid = t.s_axi_awvalid_i & ~t.s_axi_awready_o;
          unsigned wvalid = t.s_axi_wvalid_i & ~t.s_axi_wready_o;
          for (int c = 0; c < kClients; ++c) {
            if (!((awvalid >> c) & 1) && aw_next[c] < todo[c].size() && Chance(rng, 50)) {
              const Burst& b = todo[c][aw_next[c]];
              SetWord(t.s_axi_awaddr_i, c, b.addr);
              t.s_axi_awlen_i = (t.s_axi_awlen_i & ~(0xFF << (8 * c))) | ((b.beats - 1) << (8 * c));
              awvalid |= 1u << c;
            }
            // W beats of a burst whose AW is out (or going out now), with random gaps: a
            // client may present W before its AW is taken, as AXI allows.  An AW still shown
            // after its last burst was taken (valid is only dropped once ready is seen) names
            // no further burst: no W past the last one.
            if (!((wvalid >> c) & 1) && w_burst[c] < todo[c].size() &&
                w_burst[c] < aw_next[c] + ((awvalid >> c) & 1) && Chance(rng, 70)) {
              const Burst& b = todo[c][w_burst[c]];
              SetWord(t.s_axi_wdata_i, c, Pattern(b.addr, w_beat[c]));
              t.s_axi_wstrb_i = 0xFFFF;
              t.s_axi_wlast_i = (t.s_axi_wlast_i & ~(1u << c)) |
                                ((w_beat[c] + 1 == b.beats ? 1u : 0u) << c);
              wvalid |= 1u << c;
            }
          }
          t.s_axi_awvalid_i = awvalid;
          t.s_axi_wvalid_i = wvalid;
          t.s_axi_bready_i = (Chance(rng, 70) ? 1 : 0) | (Chance(rng, 70) ? 2 : 0);
          t.m_axi_awready_i = Chance(rng, 50);
          t.m_axi_wready_i = Chance(rng, 70);
          if (!(t.m_axi_bvalid_i && !t.m_axi_bready_o)) {
            t.m_axi_bvalid_i = 0;
            if (!slave_b.empty() && slave_b.front().due <= cyc) {
              t.m_axi_bresp_i = slave_b.front().resp;
              t.m_axi_bvalid_i = 1;
            }
          }
        });
  }
  EXPECT_EQ(done[0], std::size_t{kBursts});
  EXPECT_EQ(done[1], std::size_t{kBursts});
  EXPECT_GT(turns_switched, kBursts / 4) << "round robin should interleave the clients";
  for (int i = 0; i < 20; ++i) h.Cycle([] {}, [] {});
  EXPECT_TRUE(t.idle_o);
}

}  // namespace
