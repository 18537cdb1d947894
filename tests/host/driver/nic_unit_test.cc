// The Nic against a test double of the card (fake_card.h): the test plays the card's side of
// docs/card.md by hand, reading the descriptors the driver wrote and writing completions and
// receive data, so every rule of the ring protocol and of the chain -> descriptor mapping is
// checked without a card model.  The end-to-end behaviour is nic_model_test's.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "driver_test_util.h"
#include "fake_card.h"
#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/driver.hpp"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_offload.hpp"
#include "seg_gen.h"

namespace mbufnic::drivertest {
namespace {

using driver::DriverError;
using driver::Nic;
using driver::NicOptions;
using rtltest::BuildFrame;
using rtltest::FrameLayout;
using rtltest::FrameSpec;
using rtltest::L3Kind;
using rtltest::L4Kind;

constexpr uint32_t kTx0 = csr::txq::Base(0);
constexpr uint32_t kRx0 = csr::rxq::Base(0);

NicOptions SmallRings() {
  NicOptions o;
  o.tx_ring_size = 32;
  o.rx_ring_size = 32;
  o.quiesce_cycles = 0;  // the test plays the card: nothing completes while the Nic waits
  o.drain_cycles = 10;
  return o;
}

int NonEmptyMbufs(const struct mbuf *m) {
  int n = 0;
  for (; m != nullptr; m = m->m_next) n += m->m_len > 0;
  return n;
}

FrameSpec Spec(L3Kind l3, L4Kind l4, size_t payload, int vlans = 0) {
  FrameSpec s;
  s.l3 = l3;
  s.l4 = l4;
  s.payload_len = payload;
  s.pad_to_min = false;
  for (int i = 0; i < vlans; ++i) s.vlans.push_back(rtltest::VlanTag{});
  return s;
}

// Sends one chain, checks it was taken, and returns what the card would gather.
FakeCard::TxFrame SendOne(Nic &nic, FakeCard &card, struct mbuf *m) {
  struct mbuf *pkts[1] = {m};
  EXPECT_EQ(nic.Transmit(0, pkts, 1), 1);
  std::vector<FakeCard::TxFrame> f = card.TakeTxFrames(0);
  EXPECT_EQ(f.size(), 1u);
  return f.empty() ? FakeCard::TxFrame{} : f[0];
}

// ---- Attach -----------------------------------------------------------------------------------

TEST(NicAttach, RefusesAnUnknownCard) {
  test::LeakCheck leaks;
  for (uint32_t id : {0x4e440101u, 0x4e430201u, 0x4e430100u, 0u, 0xffffffffu}) {
    FakeCard::Params p;
    p.id = id;
    FakeCard card(p);
    EXPECT_THROW(Nic(card, SmallRings()), DriverError) << std::hex << id;
  }
  FakeCard::Params newer;
  newer.id = 0x4e430103;  // a later minor version is compatible
  FakeCard card(newer);
  EXPECT_NO_THROW(Nic(card, SmallRings()));
}

TEST(NicAttach, RefusesBadOptionsAndCardsWithoutDma) {
  test::LeakCheck leaks;
  FakeCard::Params nodma;
  nodma.caps &= ~csr::card::caps::kDmaMask;
  FakeCard c0(nodma);
  EXPECT_THROW(Nic(c0, SmallRings()), DriverError);

  FakeCard card;
  auto bad = [&](auto edit) {
    NicOptions o = SmallRings();
    edit(o);
    EXPECT_THROW(Nic(card, o), DriverError);
  };
  bad([](NicOptions &o) { o.tx_ring_size = 48; });
  bad([](NicOptions &o) { o.tx_ring_size = 16; });    // not above tx_max_descs
  bad([](NicOptions &o) { o.tx_ring_size = 1024; });  // above one 16 KiB cluster
  bad([](NicOptions &o) { o.rx_ring_size = 2048; });
  bad([](NicOptions &o) { o.tx_queues = 9; });
  bad([](NicOptions &o) { o.rx_buf_size = 3000; });
  bad([](NicOptions &o) { o.rx_steer_queue = 1; });
  bad([](NicOptions &o) { o.tx_copybreak = -1; });
  bad([](NicOptions &o) { o.tx_copybreak = driver::kMaxTxCopybreak + 1; });
  // A failed attach after the rings of the first queues were made frees them (LeakCheck).
  bad([](NicOptions &o) {
    o.tx_queues = 2;
    o.rx_queues = 9;
  });
}

TEST(NicAttach, BringsQueuesUpAsTheCardDocumentSays) {
  test::LeakCheck leaks;
  FakeCard card;
  NicOptions o = SmallRings();
  o.tx_queues = 2;
  o.rx_queues = 2;
  o.rx_steer_queue = 1;
  o.irq_pkts = 4;
  o.irq_cycles = 500;
  {
    Nic nic(card, o);
    EXPECT_EQ(nic.tx_max_descs(), 16);
    EXPECT_EQ(nic.rx_max_bufs(), 16);
    EXPECT_EQ(nic.card_tx_queues(), 8);
    EXPECT_EQ(nic.HwAssist(0), uint32_t{CSUM_IP | CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP |
                                        CSUM_IP6_TCP | CSUM_IP_TSO | CSUM_IP6_TSO});
    for (uint32_t q = 0; q < 2; ++q) {
      for (uint32_t base : {csr::txq::Base(q), csr::rxq::Base(q)}) {
        SCOPED_TRACE(base);
        // The firmware's writes (the driver asked through the admin queue): ring, completion
        // ring, size and prod = 0 before the enable, which comes last.
        const auto &w = card.fw_writes();
        size_t enable_at = w.size(), last_setup = 0;
        for (size_t i = 0; i < w.size(); ++i) {
          if (w[i].first == base + csr::txq::kCtrl && w[i].second == 1) enable_at = i;
          for (uint32_t r : {csr::txq::kRingLo, csr::txq::kRingHi, csr::txq::kCplLo,
                             csr::txq::kCplHi, csr::txq::kRingSize}) {
            if (w[i].first == base + r) last_setup = std::max(last_setup, i);
          }
        }
        ASSERT_LT(enable_at, w.size());
        EXPECT_LT(last_setup, enable_at);
        size_t prod0_at = w.size();
        for (size_t i = 0; i < w.size(); ++i) {
          if (w[i].first == base + csr::txq::kProd && w[i].second == 0) prod0_at = i;
        }
        EXPECT_LT(prod0_at, enable_at);
        // The host itself wrote none of the queue's context, only its doorbell and the arm.
        for (auto [off, v] : card.writes()) {
          if (off >= base && off < base + csr::txq::kSize) {
            EXPECT_TRUE(off == base + csr::txq::kProd || off == base + csr::txq::kIrq) << off;
          }
        }
        EXPECT_EQ(card.Reg(base + csr::txq::kRingSize), 5u);
        EXPECT_EQ(card.Reg(base + csr::txq::kIrqTime), 500u);
        EXPECT_EQ(card.Reg(base + csr::txq::kIrq), 4u | csr::txq::irq::kArmMask);  // armed
        for (uint32_t lo : {csr::txq::kRingLo, csr::txq::kCplLo}) {
          const uint64_t bus = (uint64_t{card.Reg(base + lo + 4)} << 32) | card.Reg(base + lo);
          EXPECT_EQ(bus % 64, 0u);
          EXPECT_NE(mbufnic_bustov(bus), nullptr);
        }
        // The completion ring starts zeroed: no entry carries the first pass's phase.
        const auto *cpl = card.Ring<uint8_t>(base, csr::txq::kCplLo, csr::txq::kCplHi);
        for (int i = 0; i < 32 * 16; ++i) ASSERT_EQ(cpl[i], 0) << i;
      }
      // Every receive buffer posted but one, each a cluster of the buffer size in the arena.
      EXPECT_EQ(card.Reg(csr::rxq::Base(q) + csr::rxq::kProd), 31u);
      for (uint32_t i = 0; i < 31; ++i) {
        const hw::RxDesc d = card.RxDescAt(q, i);
        EXPECT_EQ(d.len(), MCLBYTES);
        EXPECT_NE(mbufnic_bustov(d.addr()), nullptr);
      }
    }
    EXPECT_EQ(card.Reg(csr::csum::kBase + csr::csum::kCtrl), 3u);
    EXPECT_EQ(card.Reg(csr::port::kBase + csr::port::kCtrl), 1u);
    card.ClearWrites();
  }
  // Detach: every queue disabled by the firmware, and every ring and buffer back (LeakCheck).
  EXPECT_EQ(card.Reg(kTx0 + csr::txq::kCtrl), 0u);
  EXPECT_EQ(card.Reg(kRx0 + csr::rxq::kCtrl), 0u);
  EXPECT_TRUE(card.WritesTo(kTx0 + csr::txq::kCtrl).empty());
  // ... and the admin queue stopped.
  EXPECT_EQ(card.Reg(csr::admin::kBase + csr::admin::kCtrl), 0u);
  EXPECT_EQ(card.Reg(csr::admin::kBase + csr::admin::kStatus), 0u);
}

TEST(NicAttach, OffloadsTheCardLacksAreInSoftware) {
  FakeCard::Params p;
  p.caps = csr::card::caps::kDmaMask | csr::card::caps::kTxCsumMask;
  FakeCard card(p);
  Nic nic(card, SmallRings());
  EXPECT_EQ(nic.HwAssist(0),
            uint32_t{CSUM_IP | CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP | CSUM_IP6_TCP});
  nic.SetTxOffloads(0, false, true);
  EXPECT_EQ(nic.HwAssist(0), 0u);
  EXPECT_EQ(card.Reg(csr::csum::kBase + csr::csum::kCtrl), 1u);  // no rx_csum on this card
}

// ---- Transmit ---------------------------------------------------------------------------------

// One descriptor per non-empty mbuf, at the mbuf's own bus address (zero copy), eop on the
// last, the command on the first only; the bytes the card gathers are the chain's.  Copybreak is
// off here: the small frames would be copied (CopybreakSmallFrames checks that path).
TEST(NicTransmit, ChainToDescriptors) {
  test::LeakCheck leaks;
  FakeCard card;
  NicOptions o = SmallRings();
  o.tx_copybreak = 0;
  Nic nic(card, o);
  std::mt19937_64 rng(21);
  for (size_t payload : {6u, 200u, 1400u}) {
    for (Layout layout : kAllLayouts) {
      SCOPED_TRACE(LayoutName(layout) + " payload " + std::to_string(payload));
      const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kUdp, payload));
      TestChain c = BuildChain(frame, layout, rng);
      c.m->m_pkthdr.csum_flags = CSUM_IP_UDP;
      c.m->m_pkthdr.csum_data = 6;
      std::vector<uint64_t> bus;
      for (struct mbuf *n = c.m; n != nullptr; n = n->m_next) {
        if (n->m_len > 0) bus.push_back(mbufnic_vtobus(n->m_data));
      }
      const bool fits = NonEmptyMbufs(c.m) <= 16;
      card.ClearWrites();
      FakeCard::TxFrame f = SendOne(nic, card, c.m);
      EXPECT_EQ(f.bytes, frame);
      EXPECT_EQ(card.WritesTo(kTx0 + csr::txq::kProd).size(), 1u);  // one doorbell
      ASSERT_GE(f.descs, 1);
      EXPECT_LE(f.descs, 16);
      hw::TxOffloadCmd want{};
      want.set_csum(
          hw::TxCsumCmd{}.set_l4_en(true).set_udp(true).set_csum_start(34).set_csum_offset(6));
      EXPECT_EQ(f.raw[0].cmd(), want);
      for (int i = 0; i < f.descs; ++i) {
        EXPECT_EQ(f.raw[i].eop(), i == f.descs - 1);
        EXPECT_GT(f.raw[i].len(), 0);
        if (i > 0) {
          EXPECT_EQ(f.raw[i].cmd(), hw::TxOffloadCmd{});
        }
        if (fits) {
          EXPECT_EQ(f.raw[i].addr(), bus[i]) << "descriptor " << i;
        }
      }
      card.CompleteTx(0, f.last, hw::TxErr::kNone, static_cast<uint8_t>(f.descs));
      EXPECT_EQ(nic.TxComplete(0), 1);
      c.m = nullptr;  // freed by TxComplete
      FreeTestChain(c);
    }
  }
  EXPECT_GT(nic.tx_stats(0).collapses, 0u);  // the small-mbuf chains of 1400 bytes
  EXPECT_EQ(nic.tx_stats(0).errors, 0u);
  EXPECT_EQ(nic.tx_stats(0).drops, 0u);
}

// Copybreak: a frame of at most tx_copybreak bytes whose lines or descriptors cost the card more
// than its length needs goes out of its descriptor index's bounce slot (64-byte aligned, in the
// arena, the same address on every pass round the ring) with one descriptor and the command the
// chain asked for; its chain is freed before Transmit returns and TxComplete still counts its
// bytes.  Any other frame is sent in place, and tx_copybreak 0 copies nothing.
TEST(NicTransmit, CopybreakSmallFrames) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(32);
  for (int copybreak : {128, 64, 200, 0}) {
    SCOPED_TRACE("tx_copybreak " + std::to_string(copybreak));
    FakeCard card;
    NicOptions o = SmallRings();
    o.tx_copybreak = copybreak;
    Nic nic(card, o);
    std::map<uint32_t, uint64_t> slot_of;  // ring index -> bounce slot bus address
    uint64_t copies = 0, packets = 0, bytes = 0;
    for (int len : {1, 13, 32, 33, 60, 63, 64, 65, 90, 127, 128, 129, 150, 200, 201, 300}) {
      // A UDP frame asking for its checksum when it is long enough to hold the headers.
      std::vector<uint8_t> frame;
      const bool udp = len >= 42;
      if (udp) {
        frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kUdp, static_cast<size_t>(len - 42)));
      } else {
        for (int i = 0; i < len; ++i) frame.push_back(static_cast<uint8_t>(rng()));
      }
      ASSERT_EQ(frame.size(), static_cast<size_t>(len));
      for (int k = 0; k < kSmallShapes; ++k) {
        SCOPED_TRACE(SmallShapeName(k) + " len " + std::to_string(len));
        const test::ZoneUsage before = test::ZoneUsage::Now();
        TestChain c = SmallShape(frame, k, rng);
        if (udp) {
          c.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_UDP;
          c.m->m_pkthdr.csum_data = 6;
        }
        hw::TxOffloadCmd want{};
        ASSERT_EQ(driver::TxOffloadCommand(c.m, &want), 0);
        const bool copy = CopybreakApplies(c.m, copybreak);
        std::vector<uint64_t> bus;
        for (struct mbuf *n = c.m; n != nullptr; n = n->m_next) {
          if (n->m_len > 0) bus.push_back(mbufnic_vtobus(n->m_data));
        }
        FakeCard::TxFrame f = SendOne(nic, card, c.m);
        c.m = nullptr;
        FreeTestChain(c);  // the other holder of shared clusters
        EXPECT_EQ(f.bytes, frame);
        EXPECT_EQ(f.cmd, want);
        // Copied: the chain is back in its zones already; in place: the ring still holds it.
        EXPECT_EQ(test::ZoneUsage::Now() == before, copy);
        if (copy) {
          ASSERT_EQ(f.descs, 1);
          const uint64_t a = f.raw[0].addr();
          EXPECT_EQ(a % 64, 0u);
          EXPECT_NE(mbufnic_bustov(a), nullptr);
          for (uint64_t b : bus) EXPECT_NE(a, b);
          const auto [it, fresh] = slot_of.emplace(f.last, a);
          EXPECT_EQ(it->second, a) << "ring index " << f.last;
          ++copies;
        } else {
          ASSERT_EQ(f.descs, static_cast<int>(bus.size()));
          for (int i = 0; i < f.descs; ++i) EXPECT_EQ(f.raw[i].addr(), bus[i]);
        }
        card.CompleteTx(0, f.last, hw::TxErr::kNone, static_cast<uint8_t>(f.descs));
        EXPECT_EQ(nic.TxComplete(0), 1);
        EXPECT_EQ(test::ZoneUsage::Now(), before);
        ++packets;
        bytes += static_cast<uint64_t>(len);
      }
    }
    const driver::TxQueueStats &st = nic.tx_stats(0);
    EXPECT_EQ(st.copies, copies);
    EXPECT_EQ(st.packets, packets);
    EXPECT_EQ(st.bytes, bytes);
    EXPECT_EQ(st.errors + st.drops, 0u);
    if (copybreak == 0) {
      EXPECT_EQ(copies, 0u);
    } else {
      EXPECT_GT(copies, 30u);  // the rule is not trivially false
      // Slots of different ring indexes are different memory.
      std::set<uint64_t> distinct;
      for (const auto &[index, a] : slot_of) distinct.insert(a);
      EXPECT_EQ(distinct.size(), slot_of.size());
    }
  }
}

// A small frame still gets its VLAN tag and, with the checksum offload off, its checksums in
// software (both before the copy, so what is copied is the finished frame); an error completion
// of a copied frame is an error, not a packet.
TEST(NicTransmit, CopybreakAfterVlanInsertionAndSoftwareChecksums) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(33);
  FrameSpec tagged = Spec(L3Kind::kIpv4, L4Kind::kUdp, 30);
  tagged.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, 0x0123}};
  const rtltest::TxCase tc = rtltest::MakeTxCase(tagged);
  std::vector<uint8_t> plain = tc.seeded;  // the stack's frame: no tag yet
  plain.erase(plain.begin() + 12, plain.begin() + 16);
  for (bool hw_csum : {true, false}) {
    SCOPED_TRACE(hw_csum ? "card checksums" : "software checksums");
    FakeCard card;
    NicOptions o = SmallRings();
    o.tx_csum = hw_csum;
    Nic nic(card, o);
    for (int k = 0; k < kSmallShapes; ++k) {
      SCOPED_TRACE(SmallShapeName(k));
      TestChain c = SmallShape(plain, k, rng);
      c.m->m_flags |= M_VLANTAG;
      c.m->m_pkthdr.ether_vtag = 0x0123;
      c.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_UDP;
      c.m->m_pkthdr.csum_data = 6;
      FakeCard::TxFrame f = SendOne(nic, card, c.m);
      c.m = nullptr;
      FreeTestChain(c);
      if (hw_csum) {
        EXPECT_EQ(f.bytes, tc.seeded);
        EXPECT_EQ(f.cmd.csum().csum_start(), 38);
        EXPECT_TRUE(f.cmd.csum().ip4_en() && f.cmd.csum().l4_en());
      } else {
        EXPECT_EQ(f.bytes, tc.expected);
        EXPECT_EQ(f.cmd, hw::TxOffloadCmd{});
      }
      card.CompleteTx(0, f.last, k == 3 ? hw::TxErr::kDma : hw::TxErr::kNone);
      EXPECT_EQ(nic.TxComplete(0), 1);
    }
    const driver::TxQueueStats &st = nic.tx_stats(0);
    // The tag goes into leading space or a new mbuf in front: most shapes end up copied, but a
    // buffer that then still fits its lines (a cluster at byte 8 or 32) is sent in place.
    EXPECT_GT(st.copies, static_cast<uint64_t>(kSmallShapes) / 2);
    EXPECT_EQ(st.packets, static_cast<uint64_t>(kSmallShapes - 1));
    EXPECT_EQ(st.bytes, static_cast<uint64_t>(kSmallShapes - 1) * tc.seeded.size());
    EXPECT_EQ(st.errors, 1u);
    EXPECT_EQ(st.by_tx_err[static_cast<size_t>(hw::TxErr::kDma)], 1u);
    EXPECT_EQ(st.sw_csum, hw_csum ? 0u : static_cast<uint64_t>(kSmallShapes));
  }
}

TEST(NicTransmit, FullRingLeavesTheRestWithTheCaller) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(22);
  const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kTcp, 100));
  std::vector<struct mbuf *> pkts;
  for (int i = 0; i < 40; ++i) pkts.push_back(BuildChain(frame, Layout::kOneBuffer, rng).m);
  std::vector<struct mbuf *> orig = pkts;
  card.ClearWrites();
  EXPECT_EQ(nic.Transmit(0, pkts.data(), 40), 31);  // 32 entries, one always empty
  EXPECT_EQ(card.WritesTo(kTx0 + csr::txq::kProd), std::vector<uint32_t>{31});
  EXPECT_EQ(nic.TxFree(0), 0);
  EXPECT_EQ(nic.tx_stats(0).full, 1u);
  for (int i = 31; i < 40; ++i) EXPECT_EQ(pkts[i], orig[i]);  // not taken, untouched
  std::vector<FakeCard::TxFrame> f = card.TakeTxFrames(0);
  ASSERT_EQ(f.size(), 31u);
  for (int i = 0; i < 10; ++i) card.CompleteTx(0, f[i].last);
  EXPECT_EQ(nic.TxComplete(0), 10);
  EXPECT_EQ(nic.TxFree(0), 10);
  EXPECT_EQ(nic.Transmit(0, pkts.data() + 31, 9), 9);
  f = card.TakeTxFrames(0);
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(card.Reg(kTx0 + csr::txq::kProd), 40u % 32);
}

// Completions are found by phase across many passes round the ring; each chain is freed once,
// errors are counted, and no CSR is read on the way.
TEST(NicTransmit, CompletionsAcrossRingPasses) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(23);
  const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv6, L4Kind::kTcp, 300));
  const uint64_t reads = card.reads();
  int sent = 0, errs = 0;
  while (sent < 500) {
    std::vector<struct mbuf *> pkts;
    const int burst = 1 + static_cast<int>(rng() % 7);
    for (int i = 0; i < burst; ++i) pkts.push_back(BuildChain(frame, Layout::kClusters, rng).m);
    ASSERT_EQ(nic.Transmit(0, pkts.data(), burst), burst);
    for (const FakeCard::TxFrame &f : card.TakeTxFrames(0)) {
      const bool err = rng() % 10 == 0;
      errs += err;
      card.CompleteTx(0, f.last, err ? hw::TxErr::kDma : hw::TxErr::kNone,
                      static_cast<uint8_t>(f.descs));
    }
    ASSERT_EQ(nic.TxComplete(0), burst);
    sent += burst;
  }
  EXPECT_EQ(card.reads(), reads);
  EXPECT_EQ(nic.tx_stats(0).packets, static_cast<uint64_t>(sent - errs));
  EXPECT_EQ(nic.tx_stats(0).errors, static_cast<uint64_t>(errs));
  EXPECT_EQ(nic.tx_stats(0).by_tx_err[static_cast<size_t>(hw::TxErr::kDma)],
            static_cast<uint64_t>(errs));
  EXPECT_EQ(nic.tx_stats(0).bytes, static_cast<uint64_t>(sent - errs) * frame.size());
}

TEST(NicTransmit, LongChainsAreCollapsedOrCopied) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(24);
  auto send = [&](struct mbuf *m, const std::vector<uint8_t> &want) {
    FakeCard::TxFrame f = SendOne(nic, card, m);
    EXPECT_EQ(f.bytes, want);
    EXPECT_LE(f.descs, 16);
    card.CompleteTx(0, f.last);
    EXPECT_EQ(nic.TxComplete(0), 1);
  };
  const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kUdp, 3000));

  // Small writable mbufs merge in place (m_collapse).
  send(BuildChain(frame, Layout::kSmallMbufs, rng).m, frame);
  EXPECT_EQ(nic.tx_stats(0).collapses, 1u);

  // Storage the card cannot reach (MEXTADD of heap memory) is copied (m_defrag).
  static std::vector<uint8_t> heap;
  heap = frame;
  struct mbuf *ext = m_gethdr(M_WAITOK, MT_DATA);
  m_extadd(
      ext, reinterpret_cast<char *>(heap.data()), static_cast<u_int>(heap.size()),
      [](struct mbuf *) {}, nullptr, nullptr, 0, EXT_NET_DRV);
  ext->m_len = ext->m_pkthdr.len = static_cast<int>(heap.size());
  send(ext, frame);
  EXPECT_EQ(nic.tx_stats(0).defrags, 1u);

  // A 60 KiB TSO request in 2 KiB clusters needs 30 descriptors; m_defrag's 2 KiB clusters do
  // not help, 16 KiB clusters do.
  rtltest::SegCase sc =
      rtltest::MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, 60000), hw::SegKind::kTcp, 1448);
  TestChain big = BuildChain(sc.frame, Layout::kClusters, rng);
  big.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
  big.m->m_pkthdr.tso_segsz = 1448;
  send(big.m, sc.frame);
  EXPECT_EQ(nic.tx_stats(0).defrags, 3u);  // m_defrag, then the 16 KiB copy
  EXPECT_EQ(nic.tx_stats(0).drops, 0u);
}

// tx_csum off: the driver computes the checksums (the card gets no command), into a private copy
// of headers that live in shared clusters; the other holder of the clusters sees no change.
TEST(NicTransmit, SoftwareChecksumsWhenTheOffloadIsOff) {
  test::LeakCheck leaks;
  FakeCard card;
  NicOptions o = SmallRings();
  o.tx_csum = false;
  Nic nic(card, o);
  std::mt19937_64 rng(25);
  int sent = 0;
  for (int i = 0; i < 60; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 3000});
    if (s.l3 == L3Kind::kNone || s.l4 == L4Kind::kOther) continue;
    if (s.ip4_mf || s.ip4_frag_offset != 0) continue;
    const rtltest::TxCase tc = rtltest::MakeTxCase(s);
    if (!tc.l4_en) continue;
    for (Layout layout : kAllLayouts) {
      SCOPED_TRACE(s.Describe() + " " + LayoutName(layout));
      TestChain c = BuildChain(tc.seeded, layout, rng, tc.csum_start + 20);
      const std::vector<uint8_t> keep_before = ChainBytes(c.keep);
      c.m->m_pkthdr.csum_flags =
          (tc.ip4_en ? CSUM_IP : 0) | (tc.ip4_en ? (tc.udp ? CSUM_IP_UDP : CSUM_IP_TCP)
                                                 : (tc.udp ? CSUM_IP6_UDP : CSUM_IP6_TCP));
      c.m->m_pkthdr.csum_data = tc.csum_offset;
      FakeCard::TxFrame f = SendOne(nic, card, c.m);
      c.m = nullptr;
      EXPECT_EQ(f.bytes, tc.expected);
      EXPECT_EQ(f.cmd, hw::TxOffloadCmd{});
      EXPECT_EQ(ChainBytes(c.keep), keep_before);
      card.CompleteTx(0, f.last);
      EXPECT_EQ(nic.TxComplete(0), 1);
      FreeTestChain(c);
      ++sent;
    }
  }
  EXPECT_GT(sent, 60);
  EXPECT_EQ(nic.tx_stats(0).sw_csum, static_cast<uint64_t>(sent));
  EXPECT_EQ(nic.tx_stats(0).errors + nic.tx_stats(0).drops, 0u);
}

// With the offload on, the bytes go out as the stack seeded them and the command says the rest;
// a frame longer than the card's max_frame (which the card would refuse) is dropped here.
TEST(NicTransmit, HardwareChecksumCommandAndOversizeDrop) {
  test::LeakCheck leaks;
  FakeCard::Params p;
  p.max_frame = 1000;
  FakeCard card(p);
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(26);
  for (size_t payload : {500u, 946u, 947u}) {  // frames of 554, 1000 and 1001 bytes
    const rtltest::TxCase tc = rtltest::MakeTxCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, payload));
    TestChain c = BuildChain(tc.seeded, Layout::kHeaderAndShared, rng);
    c.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP;
    c.m->m_pkthdr.csum_data = 16;
    struct mbuf *pkts[1] = {c.m};
    c.m = nullptr;
    if (tc.seeded.size() > 1000) {
      // Too long for the card: dropped before the ring.
      EXPECT_EQ(nic.Transmit(0, pkts, 1), 1);
      EXPECT_TRUE(card.TakeTxFrames(0).empty());
    } else {
      FakeCard::TxFrame f = SendOne(nic, card, pkts[0]);
      EXPECT_EQ(f.bytes, tc.seeded);
      EXPECT_TRUE(f.cmd.csum().l4_en() && f.cmd.csum().ip4_en());
      card.CompleteTx(0, f.last, hw::TxErr::kNone, static_cast<uint8_t>(f.descs));
      nic.TxComplete(0);
    }
    FreeTestChain(c);
  }
  EXPECT_EQ(nic.tx_stats(0).drops, 1u);
}

// TSO: whatever the stack left in th_sum, the card (or mbufnic_sw_tso) gets the pseudo-header sum
// without the length, as iflib re-seeds it; with the offload off each segment is its own frame.
TEST(NicTransmit, TsoOnTheCardAndInSoftware) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(27);
  for (bool hw_tso : {true, false}) {
    FakeCard card;
    NicOptions o = SmallRings();
    o.tx_ring_size = 256;
    o.tso = hw_tso;
    Nic nic(card, o);
    for (int i = 0; i < 24; ++i) {
      const FrameSpec s = Spec(i % 2 ? L3Kind::kIpv6 : L3Kind::kIpv4, L4Kind::kTcp, rng() % 15000,
                               i % 3 == 0 ? 1 : 0);
      const uint16_t mss = static_cast<uint16_t>(500 + rng() % 1000);
      const rtltest::SegCase sc = rtltest::MakeSegCase(s, hw::SegKind::kTcp, mss);
      // The stack's seed includes the length; make it anything but the right one.
      std::vector<uint8_t> stack = sc.frame;
      const size_t th_sum = sc.req.l2hlen + sc.req.l3hlen + 16;
      stack[th_sum] ^= 0x5a;
      const Layout layout = kAllLayouts[i % 6];
      SCOPED_TRACE(s.Describe() + " " + LayoutName(layout) + (hw_tso ? " card" : " software"));
      TestChain c = BuildChain(stack, layout, rng, sc.req.l2hlen + sc.req.l3hlen + 20);
      const std::vector<uint8_t> keep_before = ChainBytes(c.keep);
      c.m->m_pkthdr.csum_flags =
          s.l3 == L3Kind::kIpv6 ? CSUM_IP6_TCP | CSUM_IP6_TSO : CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
      c.m->m_pkthdr.tso_segsz = mss;
      struct mbuf *pkts[1] = {c.m};
      c.m = nullptr;
      ASSERT_EQ(nic.Transmit(0, pkts, 1), 1);
      std::vector<FakeCard::TxFrame> f = card.TakeTxFrames(0);
      if (hw_tso) {
        ASSERT_EQ(f.size(), 1u);
        EXPECT_EQ(f[0].bytes, sc.frame);
        EXPECT_EQ(f[0].cmd.seg(), sc.req.ToCmd());
        EXPECT_EQ(f[0].cmd.csum(), hw::TxCsumCmd{});
      } else {
        std::vector<std::vector<uint8_t>> segs;
        ASSERT_EQ(SegmentFrame(sc.frame, sc.req, &segs), hw::SegErr::kNone);
        ASSERT_EQ(f.size(), segs.size());
        for (size_t k = 0; k < segs.size(); ++k) {
          EXPECT_EQ(f[k].bytes, segs[k]) << "segment " << k;
          EXPECT_EQ(f[k].cmd, hw::TxOffloadCmd{});
        }
      }
      EXPECT_EQ(ChainBytes(c.keep), keep_before);
      for (const FakeCard::TxFrame &x : f) card.CompleteTx(0, x.last);
      EXPECT_EQ(nic.TxComplete(0), static_cast<int>(f.size()));
      FreeTestChain(c);
    }
    EXPECT_EQ(nic.tx_stats(0).sw_tso, hw_tso ? 0u : 24u);
    EXPECT_EQ(nic.tx_stats(0).errors + nic.tx_stats(0).drops, 0u);
  }
}

// A software TSO request whose segments do not fit the free descriptors waits (stays the
// caller's) instead of being cut.
TEST(NicTransmit, SoftwareTsoWaitsForRoom) {
  test::LeakCheck leaks;
  FakeCard card;
  NicOptions o = SmallRings();
  o.tso = false;
  Nic nic(card, o);
  std::mt19937_64 rng(28);
  const rtltest::SegCase sc =
      rtltest::MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, 20 * 1000), hw::SegKind::kTcp, 1000);
  std::vector<struct mbuf *> pkts;
  for (int i = 0; i < 2; ++i) {
    struct mbuf *m = BuildChain(sc.frame, Layout::kClusters, rng).m;
    m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
    m->m_pkthdr.tso_segsz = 1000;
    pkts.push_back(m);
  }
  EXPECT_EQ(nic.Transmit(0, pkts.data(), 2), 1);  // 20 of 31 descriptors, then 20 > 11
  std::vector<FakeCard::TxFrame> f = card.TakeTxFrames(0);
  ASSERT_EQ(f.size(), 20u);
  for (const FakeCard::TxFrame &x : f) card.CompleteTx(0, x.last);
  EXPECT_EQ(nic.TxComplete(0), 20);
  EXPECT_EQ(nic.Transmit(0, pkts.data() + 1, 1), 1);
  EXPECT_EQ(card.TakeTxFrames(0).size(), 20u);
}

// M_VLANTAG on transmit: the tag goes into the frame (the card has no tag insertion) and the
// checksum command moves with the headers.
TEST(NicTransmit, VlanTagInsertion) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(29);
  FrameSpec plain = Spec(L3Kind::kIpv4, L4Kind::kTcp, 700);
  FrameSpec tagged = plain;
  tagged.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, 0x2123}};
  const std::vector<uint8_t> in = BuildFrame(plain), want = BuildFrame(tagged);
  for (Layout layout : kAllLayouts) {
    SCOPED_TRACE(LayoutName(layout));
    TestChain c = BuildChain(in, layout, rng);
    const std::vector<uint8_t> keep_before = ChainBytes(c.keep);
    c.m->m_flags |= M_VLANTAG;
    c.m->m_pkthdr.ether_vtag = 0x2123;
    c.m->m_pkthdr.csum_flags = CSUM_IP_TCP;
    c.m->m_pkthdr.csum_data = 16;
    FakeCard::TxFrame f = SendOne(nic, card, c.m);
    c.m = nullptr;
    EXPECT_EQ(f.bytes, want);
    EXPECT_EQ(f.cmd.csum().csum_start(), 38);
    EXPECT_EQ(ChainBytes(c.keep), keep_before);
    card.CompleteTx(0, f.last);
    nic.TxComplete(0);
    FreeTestChain(c);
  }
}

TEST(NicTransmit, UnsendableChainsAreDroppedAndCounted) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(30);
  struct mbuf *empty = m_gethdr(M_WAITOK, MT_DATA);  // nothing to send
  struct mbuf *nohdr = m_get(M_WAITOK, MT_DATA);     // not a packet
  nohdr->m_len = 10;
  TestChain sctp =
      BuildChain(BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kTcp, 50)), Layout::kOneBuffer, rng);
  sctp.m->m_pkthdr.csum_flags = CSUM_IP_SCTP;  // a request the card cannot carry out
  struct mbuf *pkts[3] = {empty, nohdr, sctp.m};
  EXPECT_EQ(nic.Transmit(0, pkts, 3), 3);
  EXPECT_TRUE(card.TakeTxFrames(0).empty());
  EXPECT_EQ(nic.tx_stats(0).drops, 2u);
  EXPECT_EQ(nic.tx_stats(0).errors, 1u);
  EXPECT_EQ(nic.TxFree(0), 31);
}

// Chains still on the ring when the Nic goes are freed with it.
TEST(NicTransmit, DetachFreesChainsInFlight) {
  test::LeakCheck leaks;
  FakeCard card;
  std::mt19937_64 rng(31);
  {
    Nic nic(card, SmallRings());
    const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kTcp, 3000));
    std::vector<struct mbuf *> pkts;
    for (int i = 0; i < 5; ++i) pkts.push_back(BuildChain(frame, Layout::kClusters, rng).m);
    EXPECT_EQ(nic.Transmit(0, pkts.data(), 5), 5);
  }
  EXPECT_EQ(card.Now(), 10u);  // drain_cycles given to the card after the disable
}

// ---- Receive ----------------------------------------------------------------------------------

TEST(NicReceive, FramesBecomeChainsWithTheirFlags) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(40);
  const uint64_t reads = card.reads();
  uint32_t prod = 31;
  for (size_t len : {60u, 2048u, 2049u, 4096u, 9000u, 14u}) {
    SCOPED_TRACE(len);
    std::vector<uint8_t> frame(len);
    for (auto &b : frame) b = static_cast<uint8_t>(rng());
    hw::RxCsumResult cs{};
    cs.set_l3_calc(true).set_l3_valid(true).set_l4_calc(true).set_l4_valid(len % 2 == 0);
    const int bufs = card.DeliverRx(0, frame, cs, len == 2049, 0x0abc);
    struct mbuf *out[4] = {};
    ASSERT_EQ(nic.Receive(0, out, 4), 1);
    struct mbuf *m = out[0];
    EXPECT_EQ(ChainBytes(m), frame);
    EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(len));
    EXPECT_EQ(test::ChainCount(m), bufs);
    for (struct mbuf *n = m; n != nullptr; n = n->m_next) {
      EXPECT_EQ(n->m_len, n->m_next ? MCLBYTES : static_cast<int>(len - (bufs - 1) * MCLBYTES));
      EXPECT_EQ((n->m_flags & M_PKTHDR) != 0, n == m);
    }
    EXPECT_EQ(m_sanity(m, 0), 1);
    const uint32_t l4 = len % 2 == 0 ? uint32_t{CSUM_L4_CALC | CSUM_L4_VALID} : 0;
    EXPECT_EQ(m->m_pkthdr.csum_flags, CSUM_L3_CALC | CSUM_L3_VALID | l4);
    EXPECT_EQ(m->m_pkthdr.csum_data, l4 ? 0xffffu : 0u);
    EXPECT_EQ((m->m_flags & M_VLANTAG) != 0, len == 2049);
    if (len == 2049) {
      EXPECT_EQ(m->m_pkthdr.ether_vtag, 0x0abc);
    }
    m_freem(m);
    // As many fresh buffers posted as the frame used, and one doorbell.
    prod += static_cast<uint32_t>(bufs);
    EXPECT_EQ(card.Reg(kRx0 + csr::rxq::kProd), prod % 32);
  }
  EXPECT_EQ(card.reads(), reads);
  EXPECT_EQ(nic.rx_stats(0).packets, 6u);
  EXPECT_EQ(nic.rx_stats(0).csum_l4_bad, 1u);  // the odd length
}

// err_desc and err_dma give the buffers back; an allocation failure drops the frame and keeps its
// buffers on the ring, so the ring never runs dry.
TEST(NicReceive, ErrorsAndAllocationFailuresRecycleTheBuffers) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::vector<uint8_t> frame(3000, 0x5a);
  struct mbuf *out[4];
  auto posted_at = [&](uint32_t i) { return card.RxDescAt(0, i % 32).addr(); };

  const uint64_t a0 = posted_at(0), a1 = posted_at(1), a2 = posted_at(2);
  card.DeliverRx(0, frame, {}, false, 0, /*err_dma=*/true);          // buffers 0, 1
  card.DeliverRx(0, frame, {}, false, 0, false, /*err_desc=*/true);  // buffer 2
  EXPECT_EQ(nic.Receive(0, out, 4), 0);
  EXPECT_EQ(nic.rx_stats(0).errors, 2u);
  // Re-posted in order after the 31 first buffers.
  EXPECT_EQ(posted_at(31), a0);
  EXPECT_EQ(posted_at(32), a1);
  EXPECT_EQ(posted_at(33), a2);
  EXPECT_EQ(card.Reg(kRx0 + csr::rxq::kProd), 34u % 32);

  const uint64_t b3 = posted_at(3), b4 = posted_at(4);
  card.DeliverRx(0, frame);  // buffers 3, 4
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(nic.Receive(0, out, 4), 0);
  mbufnic_fault_reset();
  EXPECT_EQ(nic.rx_stats(0).drops, 1u);
  EXPECT_EQ(posted_at(34), b3);
  EXPECT_EQ(posted_at(35), b4);

  card.DeliverRx(0, frame);
  ASSERT_EQ(nic.Receive(0, out, 4), 1);
  EXPECT_EQ(ChainBytes(out[0]), frame);
  m_freem(out[0]);
}

TEST(NicReceive, BurstsWrapTheRingAndHonourMax) {
  test::LeakCheck leaks;
  FakeCard card;
  NicOptions o = SmallRings();
  o.rx_buf_size = MJUM9BYTES;
  Nic nic(card, o);
  std::mt19937_64 rng(41);
  int delivered = 0, got = 0;
  while (delivered < 300) {
    const int n = 1 + static_cast<int>(rng() % 20);
    std::vector<std::vector<uint8_t>> frames;
    for (int i = 0; i < n; ++i) {
      frames.emplace_back(60 + rng() % 9000, static_cast<uint8_t>(delivered + i));
      EXPECT_EQ(card.DeliverRx(0, frames.back()), 1);  // 9 KiB buffers: one each
    }
    delivered += n;
    for (int i = 0; i < n;) {
      struct mbuf *out[3];
      const int k = nic.Receive(0, out, 3);
      ASSERT_GT(k, 0);
      for (int j = 0; j < k; ++j) {
        EXPECT_EQ(ChainBytes(out[j]), frames[i + j]);
        m_freem(out[j]);
      }
      i += k;
      got += k;
    }
    struct mbuf *none[1];
    EXPECT_EQ(nic.Receive(0, none, 1), 0);
  }
  EXPECT_EQ(got, delivered);
}

// ---- Interrupts -------------------------------------------------------------------------------

TEST(NicPoll, ServicesInterruptsAndRearms) {
  test::LeakCheck leaks;
  FakeCard card;
  Nic nic(card, SmallRings());
  std::mt19937_64 rng(50);
  const std::vector<uint8_t> frame = BuildFrame(Spec(L3Kind::kIpv4, L4Kind::kUdp, 100));
  struct mbuf *pkts[1] = {BuildChain(frame, Layout::kOneBuffer, rng).m};
  ASSERT_EQ(nic.Transmit(0, pkts, 1), 1);
  card.CompleteTx(0, card.TakeTxFrames(0)[0].last);
  card.DeliverRx(0, frame);
  card.RaiseInterrupt(0);      // transmit queue 0
  card.RaiseInterrupt(8 + 0);  // receive queue 0 (NumTxQ + 0)
  card.ClearWrites();
  std::vector<std::vector<uint8_t>> got;
  const int work = nic.Poll(100, [&](int q, struct mbuf *m) {
    EXPECT_EQ(q, 0);
    got.push_back(ChainBytes(m));
    m_freem(m);
  });
  EXPECT_EQ(work, 2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], frame);
  EXPECT_EQ(card.Now(), 100u + 0u);
  EXPECT_EQ(card.WritesTo(kTx0 + csr::txq::kIrq),
            std::vector<uint32_t>{1u | csr::txq::irq::kArmMask});
  EXPECT_EQ(card.WritesTo(kRx0 + csr::rxq::kIrq),
            std::vector<uint32_t>{1u | csr::rxq::irq::kArmMask});

  // A frame that lands between the drain and the arm raises no interrupt of its own: the look
  // after arming finds it, and the next Poll services it without one.
  bool once = true;
  card.on_write = [&](uint32_t off, uint32_t v) {
    if (off == kRx0 + csr::rxq::kIrq && (v & csr::rxq::irq::kArmMask) && once) {
      once = false;
      card.DeliverRx(0, frame);
    }
  };
  card.DeliverRx(0, frame);
  card.RaiseInterrupt(8);
  int frames = 0;
  auto count = [&](int, struct mbuf *m) {
    ++frames;
    m_freem(m);
  };
  EXPECT_EQ(nic.Poll(0, count), 1);
  EXPECT_EQ(nic.Poll(0, count), 1);  // no interrupt raised, serviced as pending
  EXPECT_EQ(frames, 2);
  card.on_write = nullptr;
  EXPECT_EQ(nic.Poll(0, {}), 0);  // nothing raised, nothing pending
  card.DeliverRx(0, frame);
  card.RaiseInterrupt(8);
  EXPECT_EQ(nic.Poll(0, {}), 1);  // freed by Poll without a handler
}

}  // namespace
}  // namespace mbufnic::drivertest
