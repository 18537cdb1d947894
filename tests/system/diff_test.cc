// Differential: the same seeded traffic on the Verilated card ("sim") and on the C++ model
// ("model") must give the same bytes on the wire, frame by frame, and the same results wherever
// a driver can see them.  Two levels:
//
//   DriverWorkload   a mixed workload (workload.h) through the host driver: the frame sequence
//                    on the wire, the frames handed up with their receive flags and VLAN tags,
//                    the driver's queue statistics and the card's counters.
//   RawRings         frames posted by hand on a transmit ring (offload commands, refused
//                    requests, descriptors with length 0, no eop, too long) and received into a
//                    ring of buffers of assorted sizes (some of length 0): every transmit and
//                    receive completion, byte for byte, and every received frame.
//
// Timing is not compared (the model is not cycle-accurate); everything else must be equal.
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "dma_rings.h"
#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "seg_gen.h"
#include "system_run.h"
#include "workload.h"

namespace mbufnic::systest {
namespace {

namespace csr = hw::csr;
using rtltest::FrameSpec;

bool BothBuilt() {
  const auto names = device::Backends();
  return std::find(names.begin(), names.end(), "sim") != names.end() &&
         std::find(names.begin(), names.end(), "model") != names.end();
}

std::string Hex(std::span<const std::uint8_t> b) {
  static const char *d = "0123456789abcdef";
  std::string s;
  for (auto it = b.rbegin(); it != b.rend(); ++it) {
    s += d[*it >> 4];
    s += d[*it & 15];
  }
  return s;
}

// The first index where two sequences differ, or -1.
template <typename T>
long FirstDifference(const std::vector<T> &a, const std::vector<T> &b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!(a[i] == b[i])) return static_cast<long>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<long>(n);
}

TEST(Differential, DriverWorkload) {
  if (!BothBuilt()) GTEST_SKIP() << "needs both the sim and the model backend";
  const std::vector<Item> items = MakeWorkload({.count = 1500, .seed = 3003});
  RunConfig cfg;
  cfg.dev.loopback_delay = 100;
  cfg.dev.seed = 3;
  cfg.nic.irq_pkts = 4;
  cfg.nic.irq_cycles = 500;
  cfg.backend = "model";
  const RunResult m = RunWorkload(cfg, items);
  cfg.backend = "sim";
  const RunResult s = RunWorkload(cfg, items);
  std::printf(
      "[ system   ] %zu chains, %zu wire frames; model %llu cycles %.2f s, sim %llu "
      "cycles %.2f s\n",
      items.size(), m.wire.size(), static_cast<unsigned long long>(m.cycles), m.wall_seconds,
      static_cast<unsigned long long>(s.cycles), s.wall_seconds);
  ASSERT_EQ(m.wire.size(), WireFrames(items)) << "the model itself is off";

  const long w = FirstDifference(s.wire, m.wire);
  EXPECT_EQ(w, -1) << "wire frame " << w << " differs: sim "
                   << (w >= 0 && static_cast<std::size_t>(w) < s.wire.size() ? s.wire[w].size() : 0)
                   << " bytes, model "
                   << (w >= 0 && static_cast<std::size_t>(w) < m.wire.size() ? m.wire[w].size() : 0)
                   << " bytes (sim sent " << s.wire.size() << ", model " << m.wire.size() << ")";
  const long r = FirstDifference(s.rx, m.rx);
  EXPECT_EQ(r, -1) << "received frame " << r << " differs (sim handed up " << s.rx.size()
                   << ", model " << m.rx.size() << ")";
  EXPECT_EQ(s.tx.packets, m.tx.packets);
  EXPECT_EQ(s.tx.bytes, m.tx.bytes);
  EXPECT_EQ(s.tx.errors, m.tx.errors);
  EXPECT_EQ(s.tx.by_tx_err, m.tx.by_tx_err);
  EXPECT_EQ(s.tx.drops, m.tx.drops);
  EXPECT_EQ(s.tx.collapses, m.tx.collapses);
  EXPECT_EQ(s.tx.defrags, m.tx.defrags);
  EXPECT_EQ(s.rxs.packets, m.rxs.packets);
  EXPECT_EQ(s.rxs.bytes, m.rxs.bytes);
  EXPECT_EQ(s.rxs.errors, m.rxs.errors);
  EXPECT_EQ(s.rxs.drops, m.rxs.drops);
  EXPECT_EQ(s.rxs.csum_l3_bad, m.rxs.csum_l3_bad);
  EXPECT_EQ(s.rxs.csum_l4_bad, m.rxs.csum_l4_bad);
  EXPECT_EQ(s.counters, m.counters)
      << "\n  sim:   " << s.counters.ToString() << "\n  model: " << m.counters.ToString();
  for (const RunResult *x : {&s, &m}) {
    EXPECT_TRUE(x->violations.empty()) << x->violations.front();
    EXPECT_TRUE(x->zones_back);
    EXPECT_EQ(x->bad_chains, 0);
    EXPECT_EQ(x->unsent, 0);
  }
}

// ---- Raw rings ----------------------------------------------------------------------------------

struct RawResult {
  std::vector<hw::TxCpl> tx;
  std::vector<hw::RxCpl> rx;
  std::vector<Frame> rx_data;
  std::vector<Frame> wire;
  CardCounters counters;
  std::vector<std::string> violations;
  bool zones_back = false;
};

// One frame to post: its bytes in `pieces` descriptors (or a special descriptor layout), and its
// offload command.
struct RawFrame {
  Frame bytes;
  hw::TxOffloadCmd cmd{};
  std::size_t pieces = 1;
  enum class Shape { kNormal, kZeroLen, kNoEop, kTooLong } shape = Shape::kNormal;
  // A read error injected on the one byte at this offset of the frame's data (-1: none).
  long fault = -1;
};

std::vector<RawFrame> RawWorkload(std::uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::vector<RawFrame> out;
  for (int i = 0; i < count; ++i) {
    RawFrame f;
    f.pieces = 1 + rng() % 4;
    const int kind = static_cast<int>(rng() % 12);
    if (kind <= 2) {  // as it is, correct or not
      FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 9000, .p_clean = 0.7});
      f.bytes = rtltest::BuildFrame(s);
    } else if (kind <= 5) {  // checksum command
      const rtltest::TxCase tc =
          rtltest::MakeTxCase(rtltest::RandomSpec(rng, {.max_frame_len = 9000, .p_clean = 1.0}));
      f.bytes = tc.seeded;
      f.cmd = devtest::CsumCmd(tc);
    } else if (kind <= 8) {  // segmentation, TCP or UDP
      rtltest::RandomSegOptions so;
      so.max_payload = 30000;
      so.max_segments = 40;
      so.max_mss = 8900;
      const rtltest::SegCase sc = rtltest::RandomSegCase(rng, so);
      f.bytes = sc.frame;
      f.cmd = devtest::SegCmd(sc.req);
    } else if (kind == 9) {  // a request the segmenter refuses, early or at the frame's end
      rtltest::RandomSegOptions so;
      so.max_payload = 5000;
      so.max_mss = 1500;
      const rtltest::SegCase sc = rtltest::RandomSegCase(rng, so);
      SegRequest req = sc.req;
      switch (rng() % 4) {
        case 0:
          req.mss = 0;
          break;
        case 1:
          req.l4hlen = static_cast<std::uint8_t>(req.l4hlen + 4);
          break;
        case 2:
          req.pay_len += 1 + static_cast<std::uint32_t>(rng() % 3000);  // the frame is shorter
          break;
        default:
          req.l2hlen = 13;
          break;
      }
      f.bytes = sc.frame;
      f.cmd = devtest::SegCmd(req);
    } else {  // descriptors the card refuses
      FrameSpec s;
      s.payload_len = 200;
      f.bytes = rtltest::BuildFrame(s);
      f.shape = static_cast<RawFrame::Shape>(1 + rng() % 3);
    }
    // Each piece is a 16 KiB cluster of its own (TxRing::PostFrame).
    f.pieces = std::max(f.pieces, f.bytes.size() / 16000 + 1);
    // One frame in twelve of those posted whole meets a read error somewhere in its data:
    // segmentation requests then send the segments before it, plain frames are dropped.
    if (f.shape == RawFrame::Shape::kNormal && rng() % 12 == 0) {
      f.fault = static_cast<long>(rng() % f.bytes.size());
    }
    out.push_back(std::move(f));
  }
  return out;
}

RawResult RunRaw(const std::string &backend, const std::vector<RawFrame> &frames,
                 std::uint64_t seed) {
  RawResult res;
  const test::ZoneUsage zones0 = test::ZoneUsage::Now();
  {
    device::Options o;
    o.loopback = true;
    o.loopback_delay = 100;
    o.seed = seed;
    std::unique_ptr<device::Device> dev = device::Open(backend, o);
    const int max_descs = static_cast<int>(dev->Read32(csr::card::kBase + csr::card::kTxMaxDescs));
    const std::uint32_t max_frame = dev->Read32(csr::card::kBase + csr::card::kMaxFrame);
    devtest::TxRing tx(*dev, 0, 9);
    devtest::RxRing rx(*dev, 0, 10);
    tx.Start();
    rx.Start();
    // Buffer sizes from their own generator: the k-th buffer posted has the same size on every
    // backend, however the posting is interleaved with the traffic.
    std::mt19937_64 sizes(seed * 7 + 1);
    auto top_up = [&] {
      while (rx.Free() > 0) {
        const std::uint64_t r = sizes() % 64;
        rx.Post(r == 0 ? 0 : static_cast<std::uint16_t>(512u << (r % 4)));
      }
      rx.Doorbell();
    };
    auto poll = [&] {
      for (const hw::TxCpl &c : tx.Poll()) res.tx.push_back(c);
      for (devtest::RxGot &g : rx.Poll()) {
        // vlan_tci means something only with vlan set (docs/card.md, hw/nic.toml): the RTL
        // leaves the frame's bytes 14 and 15 there, the model 0.  No driver may look at it.
        if (!g.cpl.vlan()) g.cpl.set_vlan_tci(0);
        res.rx.push_back(g.cpl);
        res.rx_data.push_back(std::move(g.data));
      }
      for (sim::WireFrame &f : dev->wire()->TakeSent()) res.wire.push_back(std::move(f.data));
      top_up();
    };
    top_up();
    std::size_t posted = 0;
    constexpr std::size_t kBatch = 8;
    for (std::size_t i = 0; i < frames.size(); i += kBatch) {
      for (std::size_t j = i; j < std::min(frames.size(), i + kBatch); ++j) {
        const RawFrame &f = frames[j];
        using Shape = RawFrame::Shape;
        if (f.shape == Shape::kNormal) {
          tx.PostFrame(f.bytes, f.cmd, f.pieces, 3 + j % 61);
          if (f.fault >= 0) {
            // Find the buffer holding byte `fault` among the frame's descriptors.
            std::uint64_t at = static_cast<std::uint64_t>(f.fault);
            for (std::size_t k = 0; k < f.pieces; ++k) {
              const std::uint32_t slot =
                  (tx.prod() - static_cast<std::uint32_t>(f.pieces - k)) & (tx.size() - 1);
              hw::TxDesc desc;
              std::memcpy(desc.bytes.data(), tx.ring_va() + slot * hw::TxDesc::kBytes,
                          hw::TxDesc::kBytes);
              if (at < desc.len()) {
                dev->memory()->InjectError(desc.addr() + at, 1, 1, true, false);
                break;
              }
              at -= desc.len();
            }
          }
        } else if (f.shape == Shape::kZeroLen) {
          tx.PostFrame(f.bytes, f.cmd, 1);
          // The frame's descriptor is rewritten with length 0 (its buffer stays alive).
          std::uint8_t *d = tx.ring_va() + ((tx.prod() - 1) & (tx.size() - 1)) * hw::TxDesc::kBytes;
          hw::TxDesc desc;
          std::memcpy(desc.bytes.data(), d, hw::TxDesc::kBytes);
          desc.set_len(0);
          std::memcpy(d, desc.bytes.data(), hw::TxDesc::kBytes);
        } else if (f.shape == Shape::kNoEop) {
          for (int k = 0; k < max_descs; ++k) {
            auto b = std::make_unique<devtest::DmaBuf>();
            hw::TxDesc d{};
            d.set_addr(b->bus()).set_len(64);
            std::vector<std::unique_ptr<devtest::DmaBuf>> keep;
            keep.push_back(std::move(b));
            tx.Put(d, std::move(keep));
          }
        } else {
          Frame big(max_frame + 1 + j % 100, 0x33);
          std::copy(f.bytes.begin(), f.bytes.end(), big.begin());
          tx.PostFrame(big, f.cmd, 2);
        }
        ++posted;
      }
      tx.Doorbell();
      for (int k = 0; k < 400 && res.tx.size() < posted; ++k) {
        dev->Run(2000);
        poll();
      }
    }
    for (int k = 0; k < 50; ++k) {
      dev->Run(2000);
      poll();
    }
    res.counters = ReadCounters(*dev);
    tx.Stop();
    rx.Stop();
    dev->Run(5000);
    res.violations = dev->memory()->violations();
  }
  res.zones_back = test::ZoneUsage::Now() == zones0;
  return res;
}

TEST(Differential, RawRings) {
  if (!BothBuilt()) GTEST_SKIP() << "needs both the sim and the model backend";
  const std::vector<RawFrame> frames = RawWorkload(4004, 600);
  const RawResult m = RunRaw("model", frames, 4);
  const RawResult s = RunRaw("sim", frames, 4);
  std::printf(
      "[ system   ] %zu frames posted; %zu transmit and %zu receive completions, %zu "
      "frames on the wire\n",
      frames.size(), m.tx.size(), m.rx.size(), m.wire.size());
  // Sanity of the workload itself: errors of every kind, and receive errors too.
  std::vector<int> by_err(16);
  for (const hw::TxCpl &c : m.tx) ++by_err[static_cast<int>(c.err())];
  EXPECT_GT(by_err[static_cast<int>(hw::TxErr::kNone)], 100);
  EXPECT_GT(by_err[static_cast<int>(hw::TxErr::kDescLen)], 0);
  EXPECT_GT(by_err[static_cast<int>(hw::TxErr::kDescCount)], 0);
  EXPECT_GT(by_err[static_cast<int>(hw::TxErr::kSeg)], 0);
  EXPECT_GT(by_err[static_cast<int>(hw::TxErr::kDma)], 0);
  EXPECT_TRUE(std::any_of(m.tx.begin(), m.tx.end(), [](const hw::TxCpl &c) {
    return c.err() == hw::TxErr::kDma && c.segs() > 0;
  })) << "no segmentation request sent segments before a read error";
  EXPECT_GT(
      std::count_if(m.rx.begin(), m.rx.end(), [](const hw::RxCpl &c) { return c.err_desc(); }), 0);

  ASSERT_EQ(s.tx.size(), m.tx.size());
  for (std::size_t i = 0; i < s.tx.size(); ++i) {
    ASSERT_EQ(Hex(s.tx[i].bytes), Hex(m.tx[i].bytes))
        << "transmit completion " << i << ": sim err " << static_cast<int>(s.tx[i].err())
        << " seg_err " << static_cast<int>(s.tx[i].seg_err()) << " segs " << s.tx[i].segs()
        << " descs " << int{s.tx[i].descs()} << "; model err " << static_cast<int>(m.tx[i].err())
        << " seg_err " << static_cast<int>(m.tx[i].seg_err()) << " segs " << m.tx[i].segs()
        << " descs " << int{m.tx[i].descs()};
  }
  const long w = FirstDifference(s.wire, m.wire);
  EXPECT_EQ(w, -1) << "wire frame " << w << " differs (sim sent " << s.wire.size() << ", model "
                   << m.wire.size() << ")";
  for (std::size_t i = 0; i < std::min(s.rx.size(), m.rx.size()); ++i) {
    ASSERT_EQ(Hex(s.rx[i].bytes), Hex(m.rx[i].bytes))
        << "receive completion " << i << ": sim len " << s.rx[i].len() << " bufs "
        << int{s.rx[i].bufs()} << " err_desc " << s.rx[i].err_desc() << "; model len "
        << m.rx[i].len() << " bufs " << int{m.rx[i].bufs()} << " err_desc " << m.rx[i].err_desc();
    ASSERT_TRUE(s.rx_data[i] == m.rx_data[i]) << "received frame " << i;
  }
  EXPECT_EQ(s.rx.size(), m.rx.size());
  EXPECT_EQ(s.counters, m.counters) << "\n  sim:   " << s.counters.ToString()
                                    << "\n  model: " << m.counters.ToString();
  for (const RawResult *x : {&s, &m}) {
    EXPECT_TRUE(x->violations.empty()) << x->violations.front();
    EXPECT_TRUE(x->zones_back);
  }
}

}  // namespace
}  // namespace mbufnic::systest
