// The driver end to end on a card backend in loopback (MBUFNIC_E2E_BACKEND: "model", or "sim" for
// the Verilated RTL, or "systemc" for the same RTL as a SystemC module): chains of every layout go
// out with and without offload requests, come back through the card's receive side, and are
// compared byte for byte with what FreeBSD's contract says must be on the wire: the frame itself,
// its checksummed form (the frame generator's), or SegmentFrame's segments.  Receive flags are
// checked against the receive checksum reference. Every test ends with the zones as they were (no
// mbuf leaked or freed twice) and with no DMA access outside what the driver posted (the
// host-memory model's checker).
//
// On a real card ("xrt:0", driver_nic_xrt_test) the same tests run on a kernel built with
// LOOPBACK=1 (docs/xrt.md): the card has no host-memory model, so the DMA check is the
// simulated backends' alone; frames sent are counted by the card's port counter instead of the
// wire model; the one test that compares captured wire bytes skips.  "kernel"
// (driver_nic_kernel_test, tests/rtl/kernel) is that loopback kernel Verilated and driven as
// the xrt backend drives a card, with the host-memory model watching its DMA.
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "driver_test_util.h"
#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_offload.hpp"
#include "rx_csum_ref.h"
#include "seg_gen.h"

#ifndef MBUFNIC_E2E_BACKEND
#define MBUFNIC_E2E_BACKEND "model"
#endif

namespace mbufnic::drivertest {
namespace {

using driver::Nic;
using driver::NicOptions;
using rtltest::FrameSpec;
using rtltest::L3Kind;
using rtltest::L4Kind;

constexpr const char *kBackend = MBUFNIC_E2E_BACKEND;
// The backend's family, as Backends() lists it: "xrt" for "xrt:0".
const std::string kFamily = std::string(kBackend).substr(0, std::string(kBackend).find(':'));

// What a received frame must be: its bytes, and the receive flags derived from them.
struct Expect {
  std::vector<uint8_t> frame;
  std::string what;
  bool offloaded = false;  // its checksums came from an offload (card or driver)
};

class NicE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto names = device::Backends();
    if (std::find(names.begin(), names.end(), kFamily) == names.end()) {
      GTEST_SKIP() << "backend " << kBackend << " is not in this build";
    }
    // A card's DMA arena is the host buffer the process's first open makes, so the card is
    // opened before anything reads the zones (docs/xrt.md, "One card per process").
    if (kFamily == "xrt") device::Open(kBackend, {});
    leaks_ = std::make_unique<test::LeakCheck>();
    usage_at_start_ = test::ZoneUsage::Now();
  }
  void TearDown() override {
    nic_.reset();
    if (dev_ != nullptr) ExpectNoDmaViolation();
    dev_.reset();
    leaks_.reset();
    mbufnic_fault_reset();
  }

  void Open(const NicOptions &o, bool loopback = true) {
    // A test that opens again closes the card it had first (the systemc backend has one card
    // per process), with the check TearDown makes.
    nic_.reset();
    if (dev_ != nullptr) {
      ExpectNoDmaViolation();
      dev_.reset();
    }
    device::Options d;
    d.loopback = loopback;
    d.loopback_delay = 200;
    d.seed = 7;
    dev_ = device::Open(kBackend, d);
    // The DMA checker every test ends with, on every backend that simulates host memory.
    ASSERT_TRUE(dev_->memory() != nullptr || kFamily == "xrt");
    tx_frames_at_open_ = dev_->Read32(hw::csr::port::kBase + hw::csr::port::kTxFrames);
    nic_ = std::make_unique<Nic>(*dev_, o);
  }

  // No DMA access outside what the driver posted, where a host-memory model watched.
  void ExpectNoDmaViolation() {
    if (dev_->memory() == nullptr) return;
    const auto &v = dev_->memory()->violations();
    EXPECT_TRUE(v.empty()) << v.size() << " DMA violations, first: " << v.front();
  }

  // Frames the card has put on the wire since Open: the port's tx_frames counter (32 bits,
  // wrapping), which is all a card has; where a wire model watched, it must agree with it.
  uint64_t SentFrames() {
    const uint32_t counted =
        dev_->Read32(hw::csr::port::kBase + hw::csr::port::kTxFrames) - tx_frames_at_open_;
    if (dev_->wire() != nullptr) {
      EXPECT_EQ(counted, dev_->wire()->sent_frames());
    }
    return counted;
  }

  // Sends one chain on queue q and records what must come back; polls while the ring is full.
  void Send(int q, struct mbuf *m, std::vector<Expect> expected) {
    for (Expect &e : expected) want_.push_back(std::move(e));
    for (int tries = 0; tries < 10000; ++tries) {
      if (nic_->Transmit(q, &m, 1) == 1) return;
      PollOnce();
    }
    m_freem(m);
    FAIL() << "transmit queue " << q << " never drained";
  }

  void PollOnce() {
    nic_->Poll(2000, [this](int, struct mbuf *m) { Check(m); });
  }

  // Polls until every expected frame came back (or the card stays idle for a long time).
  void Drain() {
    size_t last = want_.size();
    int idle = 0;
    while (!want_.empty() && idle < 200) {
      PollOnce();
      idle = want_.size() == last ? idle + 1 : 0;
      last = want_.size();
    }
    EXPECT_TRUE(want_.empty()) << want_.size()
                               << " frames never came back, first: " << want_.front().what;
    for (int i = 0; i < 20; ++i) PollOnce();  // the last transmit completions
  }

  void Check(struct mbuf *m) {
    ++received_;
    const std::vector<uint8_t> got = ChainBytes(m);
    EXPECT_EQ(m_sanity(m, 0), 1);
    EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(got.size()));
    if (want_.empty()) {
      ADD_FAILURE() << "unexpected frame of " << got.size() << " bytes";
      m_freem(m);
      return;
    }
    const Expect e = std::move(want_.front());
    want_.pop_front();
    if (got != e.frame) {
      if (++mismatches_ <= 5) {
        ADD_FAILURE() << "frame " << received_ << " (" << e.what << "): got " << got.size()
                      << " bytes, want " << e.frame.size();
      }
      m_freem(m);
      return;
    }
    uint32_t data = 0, flags = 0;
    if (rx_csum_) flags = ExpectedRxFlags(e.frame, &data);
    EXPECT_EQ(m->m_pkthdr.csum_flags, flags) << e.what;
    EXPECT_EQ(m->m_pkthdr.csum_data, data) << e.what;
    l4_good_ += (m->m_pkthdr.csum_flags & CSUM_L4_VALID) != 0;
    if (e.offloaded && rx_csum_) {
      // What an offload wrote must check out wherever the card could check it.
      const rtltest::RxCsumRef ref = rtltest::ClassifyRx(e.frame);
      EXPECT_TRUE(!ref.l4_calc || ref.l4_valid) << e.what;
      EXPECT_TRUE(!ref.l3_calc || ref.l3_valid) << e.what;
    }
    const uint16_t type = static_cast<uint16_t>((e.frame[12] << 8) | e.frame[13]);
    const bool tagged = type == rtltest::kTpidCustomer || type == rtltest::kTpidService;
    EXPECT_EQ((m->m_flags & M_VLANTAG) != 0, tagged) << e.what;
    if (tagged) {
      EXPECT_EQ(m->m_pkthdr.ether_vtag, (e.frame[14] << 8) | e.frame[15]) << e.what;
    }
    m_freem(m);
  }

  // A few hundred sends of every kind on queue q.
  void SendMix(int q, int count, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < count; ++i) {
      const Layout layout = kAllLayouts[rng() % 6];
      const int kind = static_cast<int>(rng() % 5);
      std::vector<Expect> ex;
      TestChain c;
      std::string what = "send " + std::to_string(i) + " " + LayoutName(layout);
      if (kind == 0 || kind == 4) {
        // As it is: a correct frame, or (kind 4) one with a bad checksum or a broken header.
        FrameSpec s =
            rtltest::RandomSpec(rng, {.max_frame_len = 9000, .p_clean = kind == 0 ? 1.0 : 0.0});
        s.truncate = 0;  // a frame shorter than its headers is sent as it is, but keep it whole
        const std::vector<uint8_t> f = rtltest::BuildFrame(s);
        c = BuildChain(f, layout, rng);
        ex.push_back({f, what + " raw " + s.Describe(), false});
      } else if (kind == 1) {
        // Checksum offload, FreeBSD-seeded.
        FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 9000, .p_clean = 1.0});
        const rtltest::TxCase tc = rtltest::MakeTxCase(s);
        c = BuildChain(tc.seeded, layout, rng, tc.csum_start + 20);
        uint32_t f = tc.ip4_en ? CSUM_IP : 0;
        if (tc.l4_en) {
          f |= tc.ip4_en ? (tc.udp ? CSUM_IP_UDP : CSUM_IP_TCP)
                         : (tc.udp ? CSUM_IP6_UDP : CSUM_IP6_TCP);
          c.m->m_pkthdr.csum_data = tc.csum_offset;
        }
        c.m->m_pkthdr.csum_flags = f;
        // Without l4_en (an IP fragment, another protocol) the L4 bytes are the generator's and
        // only the IPv4 header checksum is asked for: `expected` is right either way.
        ex.push_back({tc.expected, what + " csum " + s.Describe(), true});
      } else if (kind == 2) {
        // TSO (TCP only: FreeBSD has no UDP segmentation flag); the stack's th_sum is replaced.
        rtltest::RandomSegOptions so;
        so.max_payload = 30000;
        so.max_segments = 40;
        so.max_mss = 8900;  // with 256 bytes of headers, within the receive side's 9216
        rtltest::SegCase sc = rtltest::RandomSegCase(rng, so);
        if (sc.req.kind != hw::SegKind::kTcp)
          sc = rtltest::MakeSegCase(sc.spec, hw::SegKind::kTcp, sc.req.mss);
        if (sc.frame.size() > 16000 && layout == Layout::kOneBuffer) continue;
        std::vector<std::vector<uint8_t>> segs;
        ASSERT_EQ(SegmentFrame(sc.frame, sc.req, &segs), hw::SegErr::kNone);
        std::vector<uint8_t> stack = sc.frame;
        stack[sc.req.l2hlen + sc.req.l3hlen + 16] ^= 0xa5;
        c = BuildChain(stack, layout, rng, sc.req.l2hlen + sc.req.l3hlen + sc.req.l4hlen);
        c.m->m_pkthdr.csum_flags =
            sc.req.ipv6 ? CSUM_IP6_TCP | CSUM_IP6_TSO : CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
        c.m->m_pkthdr.tso_segsz = sc.req.mss;
        for (size_t k = 0; k < segs.size(); ++k) {
          ex.push_back(
              {segs[k], what + " tso seg " + std::to_string(k) + " " + sc.spec.Describe(), true});
        }
      } else {
        // M_VLANTAG: the driver puts the tag in.
        FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 8000, .p_clean = 1.0});
        s.vlans.clear();
        s.pad_to_min = false;
        const std::vector<uint8_t> f = rtltest::BuildFrame(s);
        const uint16_t tci = static_cast<uint16_t>(rng() & 0xffff);
        s.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, tci}};
        c = BuildChain(f, layout, rng);
        c.m->m_flags |= M_VLANTAG;
        c.m->m_pkthdr.ether_vtag = tci;
        ex.push_back({rtltest::BuildFrame(s), what + " vlan " + s.Describe(), false});
      }
      struct mbuf *m = c.m;
      c.m = nullptr;
      sent_frames_ += ex.size();
      Send(q, m, std::move(ex));
      // The other holder of shared clusters lets go at once: the card reads through the
      // driver's reference.
      FreeTestChain(c);
      if (i % 16 == 0) PollOnce();
    }
  }

  std::unique_ptr<test::LeakCheck> leaks_;
  test::ZoneUsage usage_at_start_;
  std::unique_ptr<device::Device> dev_;
  std::unique_ptr<Nic> nic_;
  std::deque<Expect> want_;
  bool rx_csum_ = true;
  uint32_t tx_frames_at_open_ = 0;
  uint64_t received_ = 0, sent_frames_ = 0, l4_good_ = 0;
  int mismatches_ = 0;
};

TEST_F(NicE2e, LoopbackWithCardOffloads) {
  NicOptions o;
  o.irq_pkts = 8;
  o.irq_cycles = 1000;
  Open(o);
  SendMix(0, 400, 1);
  Drain();
  EXPECT_EQ(received_, sent_frames_);
  const driver::TxQueueStats &tx = nic_->tx_stats(0);
  EXPECT_EQ(tx.errors, 0u);
  EXPECT_EQ(tx.drops, 0u);
  EXPECT_EQ(tx.sw_csum + tx.sw_tso, 0u);
  EXPECT_GT(tx.collapses + tx.defrags, 0u);
  EXPECT_EQ(nic_->rx_stats(0).drops + nic_->rx_stats(0).errors, 0u);
  EXPECT_GT(l4_good_, received_ / 3);
  EXPECT_GT(nic_->rx_stats(0).csum_l3_bad + nic_->rx_stats(0).csum_l4_bad, 0u);
}

// Every offload off: the driver does the checksums and the segmentation, and the bytes on the
// wire are the same.
TEST_F(NicE2e, LoopbackWithSoftwareOffloads) {
  NicOptions o;
  o.tx_csum = false;
  o.tso = false;
  o.rx_csum = false;
  rx_csum_ = false;
  Open(o);
  SendMix(0, 300, 2);
  Drain();
  EXPECT_EQ(received_, sent_frames_);
  const driver::TxQueueStats &tx = nic_->tx_stats(0);
  EXPECT_EQ(tx.errors, 0u);
  EXPECT_EQ(tx.drops, 0u);
  EXPECT_GT(tx.sw_csum, 0u);
  EXPECT_GT(tx.sw_tso, 0u);
}

// Transmit copybreak: frames of 1 to 160 bytes in every small shape (single buffers at assorted
// offsets, chains), raw, with the card's checksums, or with a VLAN tag to insert, go out with
// copybreak at its default and off.  The wire carries the same bytes both times, the copies are
// the frames the rule picks (never one above the threshold), and each pass ends with every mbuf
// back and no DMA access outside the posted descriptors (the bounce slots are what they name).
TEST_F(NicE2e, CopybreakOnTheWire) {
  std::vector<std::vector<uint8_t>> wire[2];
  for (int pass = 0; pass < 2; ++pass) {
    const int copybreak = pass == 0 ? NicOptions{}.tx_copybreak : 0;
    SCOPED_TRACE("tx_copybreak " + std::to_string(copybreak));
    ASSERT_EQ(NicOptions{}.tx_copybreak, 128);
    NicOptions o;
    o.rx_queues = 0;
    o.tx_copybreak = copybreak;
    o.irq_pkts = 8;
    o.irq_cycles = 1000;
    Open(o, /*loopback=*/false);
    if (dev_->wire() == nullptr) {
      GTEST_SKIP() << "compares the wire model's capture; " << kBackend << " has none";
    }
    std::mt19937_64 rng(11);
    std::vector<std::vector<uint8_t>> want;
    uint64_t copies_min = 0, copies_max = 0;  // the VLAN frames' shapes change before the choice
    const auto poll = [&] { nic_->Poll(500, [](int, struct mbuf *m) { m_freem(m); }); };
    for (int len = 1; len <= 160; ++len) {
      for (int j = 0; j < 3; ++j) {
        const int k = (len + 5 * j) % kSmallShapes;
        SCOPED_TRACE(SmallShapeName(k) + " len " + std::to_string(len));
        std::vector<uint8_t> frame(static_cast<size_t>(len)), out;
        uint32_t flags = 0;
        bool vlan = false;
        if (len >= 42 && j != 2) {
          FrameSpec spec;
          spec.l4 = L4Kind::kUdp;
          spec.payload_len = static_cast<size_t>(len - 42);
          spec.pad_to_min = false;
          const rtltest::TxCase tc = rtltest::MakeTxCase(spec);
          frame = tc.seeded;
          out = tc.expected;
          flags = CSUM_IP | CSUM_IP_UDP;
        } else {
          for (uint8_t &b : frame) b = static_cast<uint8_t>(rng());
          out = frame;
          vlan = j == 2 && len >= 16;
          if (vlan) {
            const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(len), 0x2a};
            out.insert(out.begin() + 12, tag, tag + 4);
          }
        }
        ASSERT_EQ(frame.size(), static_cast<size_t>(len));
        TestChain c = SmallShape(frame, k, rng);
        c.m->m_pkthdr.csum_flags = flags;
        c.m->m_pkthdr.csum_data = flags != 0 ? 6 : 0;
        if (vlan) {
          c.m->m_flags |= M_VLANTAG;
          c.m->m_pkthdr.ether_vtag = static_cast<uint16_t>(len << 8 | 0x2a);
          copies_max += len + 4 <= copybreak;
        } else {
          const bool copy = CopybreakApplies(c.m, copybreak);
          copies_min += copy;
          copies_max += copy;
        }
        ASSERT_EQ(out.size() > 128, len + (vlan ? 4 : 0) > 128);
        want.push_back(out);
        struct mbuf *m = c.m;
        c.m = nullptr;
        int tries = 0;
        while (nic_->Transmit(0, &m, 1) == 0 && ++tries < 1000) poll();
        ASSERT_LT(tries, 1000) << "the ring never drained";
        FreeTestChain(c);
      }
      if (len % 8 == 0) poll();
    }
    const uint64_t frames = want.size();
    for (int i = 0; i < 400 && nic_->tx_stats(0).packets < frames; ++i) poll();
    const driver::TxQueueStats &tx = nic_->tx_stats(0);
    EXPECT_EQ(tx.packets, frames);
    EXPECT_EQ(tx.errors + tx.drops, 0u);
    EXPECT_GE(tx.copies, copies_min);
    EXPECT_LE(tx.copies, copies_max);
    if (copybreak == 0) {
      EXPECT_EQ(tx.copies, 0u);
    } else {
      EXPECT_GT(tx.copies, frames / 3);
    }
    for (sim::WireFrame &f : dev_->wire()->TakeSent()) wire[pass].push_back(std::move(f.data));
    ASSERT_EQ(wire[pass].size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(wire[pass][i], want[i]) << "frame " << i << " of " << want[i].size() << " bytes";
    }
    nic_.reset();
    ExpectNoDmaViolation();
    dev_.reset();
    EXPECT_EQ(test::ZoneUsage::Now(), usage_at_start_);
  }
  EXPECT_EQ(wire[0], wire[1]);
}

// Several transmit queues into one steered receive queue: each queue's frames keep their order,
// and nothing is lost.
TEST_F(NicE2e, SeveralQueues) {
  NicOptions o;
  o.tx_queues = 4;
  o.rx_queues = 2;
  o.rx_steer_queue = 1;
  Open(o);
  std::mt19937_64 rng(3);
  std::vector<std::deque<std::vector<uint8_t>>> sent(4);
  int frames = 0, got = 0;
  // Each received frame must be the oldest one still due from one of the queues.
  auto take = [&](int q, struct mbuf *m) {
    EXPECT_EQ(q, 1);
    const std::vector<uint8_t> f = ChainBytes(m);
    m_freem(m);
    ++got;
    for (auto &s : sent) {
      if (!s.empty() && s.front() == f) {
        s.pop_front();
        return;
      }
    }
    ADD_FAILURE() << "frame " << got << " is not the next of any queue";
  };
  for (int round = 0; round < 50; ++round) {
    for (int q = 0; q < 4; ++q) {
      FrameSpec s;
      s.payload_len = 100 + rng() % 1400;
      s.payload_seed = static_cast<uint64_t>(round * 4 + q);
      s.pattern = rtltest::PayloadPattern::kRandom;
      sent[q].push_back(rtltest::BuildFrame(s));
      struct mbuf *m = BuildChain(sent[q].back(), Layout::kClusters, rng).m;
      ASSERT_EQ(nic_->Transmit(q, &m, 1), 1);
      ++frames;
    }
    nic_->Poll(500, take);
  }
  for (int i = 0; i < 200 && got < frames; ++i) nic_->Poll(2000, take);
  for (int i = 0; i < 20; ++i) nic_->Poll(2000, take);
  EXPECT_EQ(got, frames);
  for (int q = 0; q < 4; ++q) EXPECT_EQ(nic_->tx_stats(q).packets, 50u) << q;
  EXPECT_EQ(nic_->rx_stats(0).packets, 0u);
  EXPECT_EQ(nic_->rx_stats(1).packets, static_cast<uint64_t>(frames));
}

// Receive buffers that cannot be replaced: frames are dropped and counted, the ring keeps its
// buffers, and once memory is back every frame arrives.
TEST_F(NicE2e, ReceiveSurvivesAllocationFailures) {
  NicOptions o;
  o.rx_ring_size = 64;
  Open(o);
  std::mt19937_64 rng(4);
  auto frame = [&](int i) {
    FrameSpec s;
    s.payload_len = 200 + static_cast<size_t>(i);
    return rtltest::BuildFrame(s);
  };
  int got = 0;
  auto count = [&](int, struct mbuf *m) {
    ++got;
    m_freem(m);
  };
  mbufnic_fault_seed(9);
  mbufnic_fault_set_alloc_failure_ppm(300000);
  for (int i = 0; i < 200; ++i) {
    struct mbuf *m = BuildChain(frame(i), Layout::kOneBuffer, rng).m;  // M_WAITOK: never fails
    for (int t = 0; t < 100 && nic_->Transmit(0, &m, 1) == 0; ++t) nic_->Poll(500, count);
    nic_->Poll(300, count);
  }
  for (int i = 0; i < 100; ++i) nic_->Poll(2000, count);
  mbufnic_fault_reset();
  const driver::RxQueueStats &rx = nic_->rx_stats(0);
  EXPECT_GT(rx.drops, 0u);
  EXPECT_EQ(got + static_cast<int>(rx.drops), 200);
  // Memory is back: every frame arrives.
  got = 0;
  for (int i = 0; i < 100; ++i) {
    struct mbuf *m = BuildChain(frame(i), Layout::kOneBuffer, rng).m;
    ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
    nic_->Poll(300, count);
  }
  for (int i = 0; i < 100 && got < 100; ++i) nic_->Poll(2000, count);
  EXPECT_EQ(got, 100);
}

// One send of the allocation-failure sweep below and the frames it must put on the wire: plain
// frames in every layout, VLAN insertion, software checksums and software TSO (the driver's
// M_NOWAIT paths: a private copy of shared headers, M_PREPEND of the tag, m_collapse/m_defrag,
// the segments), of sizes from copybreak-small to jumbo.
struct SweepSend {
  TestChain chain;
  std::vector<std::vector<uint8_t>> frames;
};

SweepSend MakeSweepSend(std::mt19937_64 &rng, int i) {
  SweepSend out;
  const Layout layout = kAllLayouts[i % 6];
  switch (i % 4) {
    case 0: {
      FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 4000, .p_clean = 1.0});
      s.truncate = 0;
      const std::vector<uint8_t> f = rtltest::BuildFrame(s);
      out.chain = BuildChain(f, layout, rng);
      out.frames.push_back(f);
      break;
    }
    case 1: {
      FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 3000, .p_clean = 1.0});
      s.vlans.clear();
      s.pad_to_min = false;
      out.chain = BuildChain(rtltest::BuildFrame(s), layout, rng);
      const uint16_t tci = static_cast<uint16_t>(rng() & 0xffff);
      out.chain.m->m_flags |= M_VLANTAG;
      out.chain.m->m_pkthdr.ether_vtag = tci;
      s.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, tci}};
      out.frames.push_back(rtltest::BuildFrame(s));
      break;
    }
    case 2: {
      FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 4000, .p_clean = 1.0});
      const rtltest::TxCase tc = rtltest::MakeTxCase(s);
      out.chain = BuildChain(tc.seeded, layout, rng, tc.csum_start + 20);
      uint32_t f = tc.ip4_en ? CSUM_IP : 0;
      if (tc.l4_en) {
        f |= tc.ip4_en ? (tc.udp ? CSUM_IP_UDP : CSUM_IP_TCP)
                       : (tc.udp ? CSUM_IP6_UDP : CSUM_IP6_TCP);
        out.chain.m->m_pkthdr.csum_data = tc.csum_offset;
      }
      out.chain.m->m_pkthdr.csum_flags = f;
      out.frames.push_back(tc.expected);
      break;
    }
    default: {
      rtltest::RandomSegOptions so;
      so.max_payload = 12000;
      so.max_segments = 12;
      so.max_mss = 2000;
      rtltest::SegCase sc = rtltest::RandomSegCase(rng, so);
      if (sc.req.kind != hw::SegKind::kTcp)
        sc = rtltest::MakeSegCase(sc.spec, hw::SegKind::kTcp, sc.req.mss);
      EXPECT_EQ(SegmentFrame(sc.frame, sc.req, &out.frames), hw::SegErr::kNone);
      out.chain = BuildChain(sc.frame, layout, rng, sc.req.l2hlen + sc.req.l3hlen + sc.req.l4hlen);
      out.chain.m->m_pkthdr.csum_flags =
          sc.req.ipv6 ? CSUM_IP6_TCP | CSUM_IP6_TSO : CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
      out.chain.m->m_pkthdr.tso_segsz = sc.req.mss;
    }
  }
  return out;
}

// Allocation failure at every point of transmit and receive: a fixed workload is run once to
// count its M_NOWAIT allocations, then again once per allocation with that one failing.  Each
// time the failure is reported (a transmit or receive drop), what arrives is what was sent with
// only the counted losses missing, traffic flows again at once, and every mbuf and cluster is
// back when the driver detaches.  Checksums and TSO in software, so that the driver allocates.
TEST_F(NicE2e, EveryAllocationFailureIsCountedAndRecovered) {
  constexpr int kSends = 24;
  NicOptions o;
  o.tx_csum = false;
  o.tso = false;
  o.rx_ring_size = 64;
  o.rx_buf_size = MJUM9BYTES;
  struct Run {
    uint64_t allocs = 0, expected = 0, received = 0, in_order = 0, tx_drops = 0, rx_drops = 0;
    bool recovered = false;
  };
  // One run on a fresh card, the fail_nth-th M_NOWAIT allocation failing (counting starts with
  // the workload).
  auto run = [&](uint64_t fail_nth) {
    Run r;
    Open(o);
    std::vector<std::vector<uint8_t>> want;
    size_t next = 0;  // received frames must be an in-order selection of `want`
    auto take = [&](int, struct mbuf *m) {
      ++r.received;
      EXPECT_EQ(m_sanity(m, 0), 1);
      const std::vector<uint8_t> got = ChainBytes(m);
      while (next < want.size() && want[next] != got) ++next;
      if (next < want.size()) {
        ++r.in_order;
        ++next;
      }
      m_freem(m);
    };
    std::mt19937_64 rng(21);
    mbufnic_fault_reset();
    mbufnic_fault_fail_nth(fail_nth);
    for (int i = 0; i < kSends; ++i) {
      SweepSend s = MakeSweepSend(rng, i);
      for (auto &f : s.frames) want.push_back(std::move(f));
      struct mbuf *m = s.chain.m;
      s.chain.m = nullptr;
      for (int t = 0; t < 1000 && nic_->Transmit(0, &m, 1) == 0; ++t) nic_->Poll(500, take);
      if (m != nullptr) {
        ADD_FAILURE() << "send " << i << " never taken";
        m_freem(m);
      }
      FreeTestChain(s.chain);
      nic_->Poll(300, take);
    }
    for (int i = 0; i < 60; ++i) nic_->Poll(2000, take);
    r.allocs = mbufnic_fault_alloc_count();
    mbufnic_fault_reset();
    r.expected = want.size();
    r.tx_drops = nic_->tx_stats(0).drops;
    r.rx_drops = nic_->rx_stats(0).drops;
    // Memory is back: the next frames all arrive.
    const uint64_t before = r.received;
    for (int i = 0; i < 8; ++i) {
      FrameSpec s;
      s.payload_len = 100 + 300 * static_cast<size_t>(i);
      want.push_back(rtltest::BuildFrame(s));
      struct mbuf *m = BuildChain(want.back(), Layout::kClusters, rng).m;
      EXPECT_EQ(nic_->Transmit(0, &m, 1), 1);
      if (m != nullptr) m_freem(m);
      nic_->Poll(300, take);
    }
    for (int i = 0; i < 40 && r.received < before + 8; ++i) nic_->Poll(2000, take);
    r.recovered = r.received == before + 8;
    nic_.reset();
    ExpectNoDmaViolation();
    dev_.reset();
    return r;
  };
  const test::ZoneUsage start = test::ZoneUsage::Now();
  // Counted only while injection is armed: armed at an allocation never reached, none fails.
  const Run clean = run(std::numeric_limits<uint64_t>::max());
  ASSERT_EQ(clean.received, clean.expected + 8);
  ASSERT_EQ(clean.in_order, clean.received);
  ASSERT_EQ(clean.tx_drops + clean.rx_drops, 0u);
  const uint64_t points = clean.allocs;
  ASSERT_GT(points, 20u) << "the workload should allocate on both sides";
  // The Verilated card runs every 4th point (and the last): a fresh card per run is slower.  The
  // Vitis kernel every 16th: it has no idle hint to skip quiet cycles by, and what the sweep
  // tests is the driver's, already swept on the other backends.
  const uint64_t step = kFamily == "model" ? 1 : kFamily == "kernel" ? 16 : 4;
  uint64_t tx_hit = 0, rx_hit = 0;
  for (uint64_t n = 1; n <= points; n += (n + step > points && n != points) ? points - n : step) {
    SCOPED_TRACE("allocation " + std::to_string(n) + " of " + std::to_string(points) + " fails");
    const Run r = run(n);
    EXPECT_EQ(r.tx_drops + r.rx_drops, 1u) << "the failure was not counted once";
    EXPECT_EQ(r.in_order, r.received) << "a frame came back changed or out of order";
    const uint64_t lost = r.expected + 8 - r.received;
    // A receive drop loses one frame; a transmit drop one send (all the segments of a TSO).
    if (r.rx_drops == 1) {
      EXPECT_EQ(lost, 1u);
    } else if (r.tx_drops == 1) {
      EXPECT_GE(lost, 1u);
    }
    EXPECT_TRUE(r.recovered) << "traffic did not flow again after the failure";
    EXPECT_TRUE(test::ZoneUsage::Now() == start) << "mbufs or clusters not given back";
    tx_hit += r.tx_drops;
    rx_hit += r.rx_drops;
  }
  // Both sides were hit by the sweep.
  EXPECT_GT(tx_hit, 0u);
  EXPECT_GT(rx_hit, 0u);
  RecordProperty("allocation_points", static_cast<int>(points));
}

// A TSO request the segmenter refuses (MSS 0) comes back as an error completion counted by its
// tx_err; in software mbufnic_sw_tso refuses it before the ring.  Either way the chain is freed
// once and nothing reaches the wire.
TEST_F(NicE2e, RefusedRequestsAreCounted) {
  for (bool hw_tso : {true, false}) {
    NicOptions o;
    o.tso = hw_tso;
    Open(o);
    std::mt19937_64 rng(6);
    const rtltest::SegCase sc = rtltest::MakeSegCase(FrameSpec{}, hw::SegKind::kTcp, 100);
    struct mbuf *m = BuildChain(sc.frame, Layout::kClusters, rng).m;
    m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
    m->m_pkthdr.tso_segsz = 0;
    ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
    for (int i = 0; i < 20; ++i) nic_->Poll(1000, [](int, struct mbuf *x) { m_freem(x); });
    const driver::TxQueueStats &tx = nic_->tx_stats(0);
    EXPECT_EQ(tx.errors, 1u);
    EXPECT_EQ(tx.by_tx_err[static_cast<size_t>(hw::TxErr::kSeg)], hw_tso ? 1u : 0u);
    EXPECT_EQ(tx.packets, 0u);
    EXPECT_EQ(nic_->rx_stats(0).packets, 0u);
    EXPECT_EQ(SentFrames(), 0u);
    nic_.reset();
    ExpectNoDmaViolation();
    dev_.reset();
  }
}

// Detach with frames on the ring: by default they go out first; with no time to wait, the
// queues are disabled under them.  Either way everything is freed and, after the disable, the
// card touches nothing (docs/card.md: it finishes the frame in flight and writes nothing more).
TEST_F(NicE2e, DetachWithFramesInFlight) {
  for (bool quiesce : {true, false}) {
    SCOPED_TRACE(quiesce ? "quiesce" : "abort");
    NicOptions o;
    if (!quiesce) o.quiesce_cycles = 0;
    Open(o);
    std::mt19937_64 rng(5);
    for (int i = 0; i < 200; ++i) {
      FrameSpec s;
      s.payload_len = 1000;
      struct mbuf *m = BuildChain(rtltest::BuildFrame(s), Layout::kClusters, rng).m;
      ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
      if (i == 100) dev_->Run(3000);
    }
    nic_.reset();
    if (quiesce) {
      EXPECT_EQ(SentFrames(), 200u);
    } else {
      EXPECT_LT(SentFrames(), 200u);
    }
    ExpectNoDmaViolation();
    dev_.reset();
  }
}

}  // namespace
}  // namespace mbufnic::drivertest
