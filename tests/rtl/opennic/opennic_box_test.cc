// The OpenNIC box (rtl/opennic/nic_opennic_box.sv) as the shell sees it.  Transmit: FreeBSD-style
// packets (mbuf chains with csum_flags, csum_data, tso_segsz, header lengths) get their metadata
// header from the host's own code (opennic::PrependTxMeta, through the driver's mapping), go in
// through the H2C port, and every frame or segment that leaves toward the MAC must equal the
// software twins' (SegmentFrame for TSO; the frame generator's fully checksummed frame
// otherwise), with tuser_size its length on every beat and the route in tuser_src/dst; host frames
// without a header are dropped and counted.  Receive: generated frames (good and bad checksums,
// IPv4/IPv6, TCP/UDP, VLANs, fragments, truncations) must reach the host behind the receive
// header that the twin's verdict (ClassifyRxChecksums) gives, with tuser_size covering both.
// Both directions run at once, under random source idles and sink back-pressure.
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "Vnic_opennic_box.h"
#include "bfm/axis.h"
#include "frame_gen.h"
#include "harness.h"
#include "mbufnic/opennic_meta.hpp"
#include "mbufnic/sw_csum.hpp"
#include "mbufnic/sw_offload.hpp"
#include "seg_gen.h"

namespace mbufnic::rtltest {
namespace {

using Frame = std::vector<uint8_t>;
using Model = Vnic_opennic_box;
using Source = sim::AxisSource<VlWide<16>, QData, QData>;
using Sink = sim::AxisSink<VlWide<16>, QData, QData>;

constexpr uint16_t kTxSrc = 0x0001;           // PhysFunc 0
constexpr uint16_t kTxDst = 0x0040;           // MacPort 0
constexpr size_t kTxCsumBuffer = 256 + 9216;  // nic_tx_offload's MaxHdrBytes + MaxMss, whole beats

// A host packet: the mbuf chain's bytes with the metadata header in front (made by
// PrependTxMeta), and what must leave toward the MAC for it.
struct TxInput {
  Frame wire;                 // through H2C
  std::vector<Frame> expect;  // toward the MAC, in order
  std::string what;
  bool bad_meta = false;
};

// Chain the frame in small mbufs, set the request, and prepend the header with the host code.
Frame PrependWithHostCode(const Frame& frame, uint32_t flags, uint32_t field, uint16_t mss,
                          uint8_t l2, uint8_t l3, uint8_t l4) {
  struct mbuf* m = m_gethdr(M_WAITOK, MT_DATA);
  m->m_len = 0;
  m->m_pkthdr.len = 0;
  // Several mbufs, the first with no leading space, so M_PREPEND puts a new mbuf in front.
  for (size_t at = 0; at < frame.size();) {
    const int n = static_cast<int>(std::min<size_t>(frame.size() - at, 700));
    EXPECT_EQ(m_append(m, n, reinterpret_cast<const char*>(frame.data() + at)), 1);
    at += static_cast<size_t>(n);
  }
  m->m_pkthdr.csum_flags = flags;
  m->m_pkthdr.csum_data = field;  // the checksum field's offset
  m->m_pkthdr.tso_segsz = mss;
  m->m_pkthdr.l2hlen = l2;
  m->m_pkthdr.l3hlen = l3;
  m->m_pkthdr.l4hlen = l4;
  EXPECT_EQ(opennic::PrependTxMeta(&m), 0);
  Frame out(static_cast<size_t>(m->m_pkthdr.len));
  m_copydata(m, 0, m->m_pkthdr.len, reinterpret_cast<caddr_t>(out.data()));
  m_freem(m);
  return out;
}

// A TCP segmentation request, as FreeBSD's stack hands it (th_sum seeded for TSO, as the driver
// re-seeds it); lengths given or left for the mapping to parse.
TxInput TsoInput(std::mt19937_64& rng, int i) {
  RandomSegOptions o;
  o.max_payload = 20000;
  o.max_segments = 12;
  FrameSpec s = RandomSegSpec(rng, o);
  SegCase c = MakeSegCase(s, hw::SegKind::kTcp, RandomSegMss(rng, o));
  if (c.req.pay_len > uint32_t{c.req.mss} * o.max_segments) {
    c = MakeSegCase(s, hw::SegKind::kTcp, static_cast<uint16_t>(c.req.pay_len / 8 + 1));
  }
  TxInput in;
  const bool v6 = c.req.ipv6;
  const bool lengths = i % 2 == 0;
  in.wire = PrependWithHostCode(
      c.frame, v6 ? CSUM_IP6_TSO | CSUM_IP6_TCP : CSUM_IP_TSO | CSUM_IP_TCP | CSUM_IP, 16,
      c.req.mss, lengths ? c.req.l2hlen : 0, lengths ? c.req.l3hlen : 0,
      lengths ? c.req.l4hlen : 0);
  EXPECT_EQ(SegmentFrame(c.frame, c.req, &in.expect), hw::SegErr::kNone);
  in.what = "TSO " + c.spec.Describe() + " mss " + std::to_string(c.req.mss) + " pay_len " +
            std::to_string(c.req.pay_len);
  return in;
}

// A frame with checksum offload requests (or none), as the stack leaves it.
TxInput CsumInput(std::mt19937_64& rng, int i) {
  RandomSpecOptions o;
  o.p_clean = 1.0;
  o.max_frame_len = 3000;
  FrameSpec s = RandomSpec(rng, o);
  TxCase t = MakeTxCase(s);
  uint32_t flags = 0;
  if (t.ip4_en) flags |= CSUM_IP;
  if (t.l4_en) {
    const bool v4 = s.l3 == L3Kind::kIpv4;
    flags |= t.udp ? (v4 ? CSUM_IP_UDP : CSUM_IP6_UDP) : (v4 ? CSUM_IP_TCP : CSUM_IP6_TCP);
  }
  // Half give the lengths; the others leave them to the mapping, as FreeBSD's stack does.
  uint8_t l2 = 0, l3 = 0;
  if (i % 2 == 0 && flags != 0) {
    l2 = t.l3_offset;
    l3 = static_cast<uint8_t>(t.csum_start - t.l3_offset);
  }
  TxInput in;
  in.wire = PrependWithHostCode(t.seeded, flags, t.csum_offset, 0, l2, l3, 0);
  // The checksum engine's twin under the command the case itself describes (not the header's).
  hw::TxCsumCmd cmd{};
  cmd.set_csum_start(t.csum_start)
      .set_csum_offset(t.csum_offset)
      .set_l3_offset(t.l3_offset)
      .set_l4_en(t.l4_en)
      .set_ip4_en(t.ip4_en)
      .set_udp(t.udp);
  Frame want = t.seeded;
  InsertTxChecksums(want, cmd, kTxCsumBuffer);
  in.expect.push_back(std::move(want));
  in.what = "checksum " + s.Describe();
  return in;
}

// A host frame without a transmit header: a bare frame, or a receive header in front.
TxInput BadInput(std::mt19937_64& rng, int i) {
  RandomSpecOptions o;
  o.max_frame_len = 1500;
  TxInput in;
  do {
    in.wire = BuildFrame(RandomSpec(rng, o));
  } while (in.wire.empty());
  if (i % 2 == 1) {
    const opennic::Meta rx = opennic::EncodeRxMeta(static_cast<uint16_t>(in.wire.size()), {});
    in.wire.insert(in.wire.begin(), rx.begin(), rx.end());
  }
  in.bad_meta = true;
  in.what = "no transmit header";
  return in;
}

class OpennicBox : public ::testing::Test {
 protected:
  struct Result {
    std::vector<Frame> tx, c2h;
    uint64_t meta_errs = 0;
  };

  Result Run(const std::vector<TxInput>& tx, const std::vector<Frame>& rx, uint64_t seed,
             double idle, double stall, const char* what) {
    sim::Harness<Model> h(std::string("opennic_box_") + what, seed);
    Model& t = h.top();
    Source h2c({&t.s_axis_qdma_h2c_tdata, &t.s_axis_qdma_h2c_tkeep, &t.s_axis_qdma_h2c_tlast,
                nullptr, &t.s_axis_qdma_h2c_tvalid, &t.s_axis_qdma_h2c_tready},
               seed * 4 + 1, idle);
    Source mac_rx({&t.s_axis_adap_rx_250mhz_tdata, &t.s_axis_adap_rx_250mhz_tkeep,
                   &t.s_axis_adap_rx_250mhz_tlast, nullptr, &t.s_axis_adap_rx_250mhz_tvalid,
                   &t.s_axis_adap_rx_250mhz_tready},
                  seed * 4 + 2, idle);
    Sink mac_tx({&t.m_axis_adap_tx_250mhz_tdata, &t.m_axis_adap_tx_250mhz_tkeep,
                 &t.m_axis_adap_tx_250mhz_tlast, nullptr, &t.m_axis_adap_tx_250mhz_tvalid,
                 &t.m_axis_adap_tx_250mhz_tready},
                seed * 4 + 3, stall);
    Sink c2h({&t.m_axis_qdma_c2h_tdata, &t.m_axis_qdma_c2h_tkeep, &t.m_axis_qdma_c2h_tlast, nullptr,
              &t.m_axis_qdma_c2h_tvalid, &t.m_axis_qdma_c2h_tready},
             seed * 4 + 4, stall);
    h.Reset();
    mac_tx.Drive();
    c2h.Drive();
    t.eval();

    size_t tx_frames = 0;
    uint64_t beats = 0;
    for (const TxInput& in : tx) {
      h2c.Push(in.wire);
      tx_frames += in.expect.size();
      beats += in.wire.size() / 64 + 1;
      for (const Frame& f : in.expect) beats += f.size() / 64 + 1;
    }
    for (const Frame& f : rx) {
      mac_rx.Push(f);
      beats += 2 * (f.size() / 64 + 2);
    }

    // tuser_size/src/dst on every beat that moves: the same on each beat of a frame, and its
    // length; the route as the parameters say.
    Result r;
    std::vector<uint16_t> tx_sizes, c2h_sizes;
    std::vector<std::string> faults;
    auto beat = [&](bool fire, bool last, uint16_t size, uint16_t src, uint16_t dst,
                    uint16_t want_src, uint16_t want_dst, std::vector<uint16_t>* sizes,
                    const std::deque<sim::AxisFrame>& done, const char* port) {
      if (!fire) return;
      sizes->push_back(size);
      if (src != want_src || dst != want_dst) {
        faults.push_back(std::string(port) + ": tuser_src/dst " + std::to_string(src) + "/" +
                         std::to_string(dst));
      }
      if (!last) return;
      // The sink has just taken this frame (it samples first).
      const size_t len = done.back().data.size();
      for (uint16_t s : *sizes) {
        if (s != len) {
          faults.push_back(std::string(port) + " frame " + std::to_string(done.size() - 1) +
                           ": tuser_size " + std::to_string(s) + ", length " + std::to_string(len));
          break;
        }
      }
      sizes->clear();
    };
    // The incoming sideband as the shell drives it: the frame's length, the route.
    auto drive_in_user = [&] {
      t.s_axis_qdma_h2c_tuser_size = 0;
      t.s_axis_qdma_h2c_tuser_src = kTxSrc;
      t.s_axis_qdma_h2c_tuser_dst = 0;
      t.s_axis_adap_rx_250mhz_tuser_src = kTxDst;
      t.s_axis_adap_rx_250mhz_tuser_dst = 0;
      const size_t k = h2c.frames_sent();
      if (k < tx.size()) t.s_axis_qdma_h2c_tuser_size = static_cast<uint16_t>(tx[k].wire.size());
      const size_t j = mac_rx.frames_sent();
      t.s_axis_adap_rx_250mhz_tuser_size = j < rx.size() ? static_cast<uint16_t>(rx[j].size()) : 0;
    };

    const uint64_t budget = 6 * beats + 300 * (tx.size() + rx.size()) + 5000;
    uint64_t c = 0;
    for (; c < budget && (mac_tx.frames().size() < tx_frames || c2h.frames().size() < rx.size() ||
                          !h2c.done() || !mac_rx.done());
         ++c) {
      h.Cycle(
          [&] {
            const bool tx_fire = t.m_axis_adap_tx_250mhz_tvalid && t.m_axis_adap_tx_250mhz_tready;
            const bool c2h_fire = t.m_axis_qdma_c2h_tvalid && t.m_axis_qdma_c2h_tready;
            h2c.Sample();
            mac_rx.Sample();
            mac_tx.Sample();
            c2h.Sample();
            beat(tx_fire, t.m_axis_adap_tx_250mhz_tlast, t.m_axis_adap_tx_250mhz_tuser_size,
                 t.m_axis_adap_tx_250mhz_tuser_src, t.m_axis_adap_tx_250mhz_tuser_dst, kTxSrc,
                 kTxDst, &tx_sizes, mac_tx.frames(), "TX");
            beat(c2h_fire, t.m_axis_qdma_c2h_tlast, t.m_axis_qdma_c2h_tuser_size,
                 t.m_axis_qdma_c2h_tuser_src, t.m_axis_qdma_c2h_tuser_dst, kTxDst, kTxSrc,
                 &c2h_sizes, c2h.frames(), "C2H");
            r.meta_errs += t.tx_meta_err_o;
          },
          [&] {
            h2c.Drive();
            mac_rx.Drive();
            mac_tx.Drive();
            c2h.Drive();
            drive_in_user();
          });
    }
    RecordProperty(std::string(what) + "_cycles", static_cast<int>(c));
    EXPECT_LT(c, budget) << "hang: TX " << mac_tx.frames().size() << " of " << tx_frames << ", C2H "
                         << c2h.frames().size() << " of " << rx.size();
    for (int i = 0; i < 200; ++i) {
      h.Cycle([&] { r.meta_errs += t.tx_meta_err_o; }, [] {});
    }
    for (const auto* s : {&mac_tx, &c2h}) {
      EXPECT_TRUE(s->violations().empty()) << s->violations().front();
    }
    for (size_t i = 0; i < faults.size() && i < 5; ++i) ADD_FAILURE() << faults[i];
    for (const auto& f : mac_tx.frames()) r.tx.push_back(f.data);
    for (const auto& f : c2h.frames()) r.c2h.push_back(f.data);
    return r;
  }

  // Every expected frame, in order, byte for byte; the receive headers from the twin's verdict.
  void Check(const std::vector<TxInput>& tx, const std::vector<Frame>& rx, uint64_t seed,
             double idle, double stall, const char* what) {
    Result r = Run(tx, rx, seed, idle, stall, what);
    size_t k = 0, bad = 0, bad_meta = 0;
    for (const TxInput& in : tx) {
      bad_meta += in.bad_meta;
      for (size_t s = 0; s < in.expect.size(); ++s, ++k) {
        if (k >= r.tx.size()) break;
        if (r.tx[k] != in.expect[s] && ++bad <= 3) {
          size_t at = 0;
          while (at < r.tx[k].size() && at < in.expect[s].size() &&
                 r.tx[k][at] == in.expect[s][at]) {
            ++at;
          }
          ADD_FAILURE() << in.what << ": frame " << s << " of " << in.expect.size()
                        << " differs: length " << r.tx[k].size() << " vs " << in.expect[s].size()
                        << ", first difference at byte " << at;
        }
      }
    }
    EXPECT_EQ(r.tx.size(), k) << "frames toward the MAC";
    EXPECT_EQ(bad, 0u) << "frames toward the MAC that differ from the software twins";
    EXPECT_EQ(r.meta_errs, bad_meta) << "tx_meta_err_o pulses";

    ASSERT_EQ(r.c2h.size(), rx.size()) << "frames to the host";
    size_t bad_rx = 0;
    for (size_t i = 0; i < rx.size(); ++i) {
      const hw::RxCsumResult verdict = ClassifyRxChecksums(rx[i]);
      const opennic::Meta meta =
          opennic::EncodeRxMeta(static_cast<uint16_t>(rx[i].size()), verdict);
      Frame want(meta.begin(), meta.end());
      want.insert(want.end(), rx[i].begin(), rx[i].end());
      opennic::RxMeta got;
      const bool parsed = opennic::ParseRxMeta(r.c2h[i], &got);
      if ((r.c2h[i] != want || !parsed || got.result != verdict) && ++bad_rx <= 3) {
        ADD_FAILURE() << "receive frame " << i << " (" << rx[i].size() << " B): header "
                      << (parsed ? "parsed" : "not parsed") << ", verdict "
                      << (parsed && got.result == verdict ? "matches" : "differs") << ", length "
                      << r.c2h[i].size() << " vs " << want.size();
      }
    }
    EXPECT_EQ(bad_rx, 0u) << "frames to the host that differ from header + frame";
  }
};

std::vector<TxInput> TxMix(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<TxInput> out;
  for (int i = 0; i < n; ++i) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 4) {
      out.push_back(TsoInput(rng, i));
    } else if (kind < 9) {
      out.push_back(CsumInput(rng, i));
    } else {
      out.push_back(BadInput(rng, i));
    }
  }
  return out;
}

std::vector<Frame> RxMix(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<Frame> out;
  while (out.size() < static_cast<size_t>(n)) {
    Frame f = BuildFrame(RandomSpec(rng));
    if (!f.empty()) out.push_back(std::move(f));
  }
  return out;
}

// Both directions at once, with no idles and no back-pressure, then with both.
TEST_F(OpennicBox, RandomTrafficBothWaysMatchesTheSoftwareTwins) {
  const double idles[] = {0.0, 0.3, 0.1};
  const double stalls[] = {0.0, 0.3, 0.6};
  for (int round = 0; round < 3; ++round) {
    Check(TxMix(100 + round, 150), RxMix(200 + round, 600), 7 + round, idles[round], stalls[round],
          ("random" + std::to_string(round)).c_str());
    if (HasFailure()) return;
  }
}

// Every length from 1 to 200 bytes after the header, and around each beat boundary of a larger
// frame: the realignment by the header's 32 bytes at every position of the last beat, each way.
TEST_F(OpennicBox, EveryLastBeatLengthBothWays) {
  std::vector<TxInput> tx;
  std::vector<Frame> rx;
  std::mt19937_64 rng(3);
  std::vector<size_t> lengths;
  for (size_t n = 1; n <= 200; ++n) lengths.push_back(n);
  for (size_t n = 1400; n <= 1540; ++n) lengths.push_back(n);
  for (size_t n : lengths) {
    Frame f(n);
    for (auto& b : f) b = static_cast<uint8_t>(rng());
    f[0] = 0x02;  // not the magic: a bare frame is not a header either way
    TxInput in;
    in.wire = PrependWithHostCode(f, 0, 0, 0, 0, 0, 0);
    in.expect.push_back(f);
    in.what = "plain frame of " + std::to_string(n) + " bytes";
    tx.push_back(std::move(in));
    rx.push_back(f);
  }
  Check(tx, rx, 11, 0.2, 0.2, "lengths");
}

}  // namespace
}  // namespace mbufnic::rtltest
