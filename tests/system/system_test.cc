// System tests: the host driver and a whole card backend (MBUFNIC_SYSTEM_BACKEND: "model", or
// "sim" for the Verilated RTL) in loopback, as a user of the card would run them.
//
//   MixedWorkload*     thousands of chains of every kind (workload.h) through the driver; every
//                      frame on the wire and every frame received is compared with what
//                      FreeBSD's contract says it must be, the capture is checked by tshark
//                      (checksums, TSO sequence numbers per flow), the receive flags, the
//                      driver's and the card's counters must agree with what was sent.
//   Bad input          descriptors no driver would write (len 0, an address outside the DMA
//                      arena, no eop, too long, a refused TSO request, bad ring registers), DMA
//                      errors on a transmit buffer, a receive buffer and the rings, receive with
//                      no buffers posted, and malformed frames from the wire: the card reports
//                      each (error completion, counter, queue status) and later traffic flows.
//
// Every test ends with every mbuf back in its zone and no DMA access the host did not allow,
// except the ones a test provokes on purpose, which it must find reported.
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "dma_rings.h"
#include "driver_test_util.h"
#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "rx_csum_ref.h"
#include "seg_gen.h"
#include "system_run.h"
#include "tshark.h"
#include "workload.h"

#ifndef MBUFNIC_SYSTEM_BACKEND
#define MBUFNIC_SYSTEM_BACKEND "model"
#endif
// Chains per mixed-workload test: the model is fast enough for thousands; the Verilated card is
// given fewer so that each test stays within a minute on the development machine.
#ifndef MBUFNIC_SYSTEM_CHAINS
#define MBUFNIC_SYSTEM_CHAINS 1500
#endif

namespace mbufnic::systest {
namespace {

namespace csr = hw::csr;
using devtest::Running;
using devtest::RunUntil;
using devtest::RxRing;
using devtest::StatusErr;
using devtest::TxRing;
using drivertest::ExpectedRxFlags;
using rtltest::FrameSpec;

constexpr const char *kBackend = MBUFNIC_SYSTEM_BACKEND;
constexpr int kChains = MBUFNIC_SYSTEM_CHAINS;

bool BackendBuilt() {
  const auto names = device::Backends();
  return std::find(names.begin(), names.end(), kBackend) != names.end();
}

bool OuterTag(const Frame &f, std::uint16_t *tci) {
  if (f.size() < 16) return false;
  const std::uint16_t type = static_cast<std::uint16_t>((f[12] << 8) | f[13]);
  if (type != rtltest::kTpidCustomer && type != rtltest::kTpidService) return false;
  *tci = static_cast<std::uint16_t>((f[14] << 8) | f[15]);
  return true;
}

// What is wrong with a received frame against the frame that must have arrived (bytes, receive
// checksum flags, VLAN tag), or "" when nothing is.
std::string RxMismatch(const RxRecord &got, const Frame &want, bool rx_csum) {
  if (got.bytes != want) {
    return "got " + std::to_string(got.bytes.size()) + " bytes, want " +
           std::to_string(want.size()) + (got.bytes.size() == want.size() ? " (they differ)" : "");
  }
  std::uint32_t data = 0;
  const std::uint32_t flags = rx_csum ? ExpectedRxFlags(want, &data) : 0;
  if (got.csum_flags != flags || got.data != data) {
    return "csum_flags " + std::to_string(got.csum_flags) + " csum_data " +
           std::to_string(got.data) + ", want " + std::to_string(flags) + " " +
           std::to_string(data);
  }
  std::uint16_t tci = 0;
  const bool tagged = OuterTag(want, &tci);
  if (got.vlan != tagged || got.vtag != tci) {
    return "M_VLANTAG " + std::to_string(got.vlan) + " ether_vtag " + std::to_string(got.vtag) +
           ", want " + std::to_string(tagged) + " " + std::to_string(tci);
  }
  return "";
}

void ExpectReceived(const RxRecord &got, const Frame &want, bool rx_csum, const std::string &what) {
  const std::string m = RxMismatch(got, want, rx_csum);
  EXPECT_TRUE(m.empty()) << what << ": " << m;
}

std::uint64_t Sum(const std::vector<Frame> &frames) {
  std::uint64_t n = 0;
  for (const Frame &f : frames) n += f.size();
  return n;
}

// ==== The mixed workload =========================================================================

// Everything a run of `items` must show, bar the capture (CheckCapture).
void CheckRun(const RunResult &r, const std::vector<Item> &items, bool rx_csum) {
  std::vector<Frame> want;
  std::vector<const Item *> owner;
  std::size_t tso_requests = 0, tso_segments = 0;
  std::uint64_t gathered = 0;
  for (const Item &it : items) {
    for (const Frame &f : it.wire) {
      want.push_back(f);
      owner.push_back(&it);
    }
    if (it.mss != 0) {
      ++tso_requests;
      tso_segments += it.wire.size();
    }
    gathered += it.gathered();
  }
  std::uint32_t l3_bad = 0, l4_bad = 0;
  for (const Frame &f : want) {
    const rtltest::RxCsumRef ref = rtltest::ClassifyRx(f);
    l3_bad += ref.l3_calc && !ref.l3_valid;
    l4_bad += ref.l4_calc && !ref.l4_valid;
  }
  const std::uint64_t bytes = Sum(want);

  EXPECT_EQ(r.unsent, 0);
  // The wire: exactly the frames FreeBSD's contract asks for, in order.
  EXPECT_EQ(r.wire.size(), want.size());
  int bad = 0;
  for (std::size_t i = 0; i < std::min(r.wire.size(), want.size()) && bad < 5; ++i) {
    if (r.wire[i] != want[i]) {
      ++bad;
      ADD_FAILURE() << "wire frame " << i << " (" << owner[i]->what << "): " << r.wire[i].size()
                    << " bytes, want " << want[i].size();
    }
  }
  // The receive side: every frame back, with its flags.
  EXPECT_EQ(r.rx.size(), want.size());
  EXPECT_EQ(r.bad_chains, 0);
  bad = 0;
  for (std::size_t i = 0; i < std::min(r.rx.size(), want.size()) && bad < 5; ++i) {
    const std::string m = RxMismatch(r.rx[i], want[i], rx_csum);
    if (!m.empty()) {
      ++bad;
      ADD_FAILURE() << "received frame " << i << " (" << owner[i]->what << "): " << m;
    }
  }
  // The driver's counts.
  EXPECT_EQ(r.tx.packets, items.size());
  EXPECT_EQ(r.tx.bytes, gathered);
  EXPECT_EQ(r.tx.errors, 0u);
  EXPECT_EQ(r.tx.drops, 0u);
  EXPECT_EQ(r.tx.sw_csum + r.tx.sw_tso, 0u);
  EXPECT_EQ(r.rxs.packets, want.size());
  EXPECT_EQ(r.rxs.bytes, bytes);
  EXPECT_EQ(r.rxs.errors + r.rxs.drops, 0u);
  if (rx_csum) {
    EXPECT_EQ(r.rxs.csum_l3_bad, l3_bad);
    EXPECT_EQ(r.rxs.csum_l4_bad, l4_bad);
  }
  // The card's.
  const CardCounters &c = r.counters;
  SCOPED_TRACE(c.ToString());
  EXPECT_EQ(c.port_tx_frames, want.size());
  EXPECT_EQ(c.port_tx_bytes, bytes);
  EXPECT_EQ(c.port_rx_frames, want.size());
  EXPECT_EQ(c.port_rx_bytes, bytes);
  EXPECT_EQ(c.port_rx_drop_nobuf + c.port_rx_drop_bad, 0u);
  EXPECT_EQ(c.port_dma_rd_err + c.port_dma_wr_err, 0u);
  EXPECT_EQ(c.txq_packets, items.size());
  EXPECT_EQ(c.txq_bytes, gathered);
  EXPECT_EQ(c.txq_drops + c.txq_errors, 0u);
  EXPECT_EQ(c.rxq_packets, want.size());
  EXPECT_EQ(c.rxq_bytes, bytes);
  EXPECT_EQ(c.rxq_drops + c.rxq_errors, 0u);
  EXPECT_EQ(c.tso_requests, tso_requests);
  EXPECT_EQ(c.tso_segments, tso_segments);
  EXPECT_EQ(c.tso_errors, 0u);
  EXPECT_EQ(c.csum_tx_frames, want.size());
  EXPECT_EQ(c.csum_tx_errors, 0u);
  EXPECT_EQ(c.csum_rx_frames, want.size());
  if (rx_csum) {
    EXPECT_EQ(c.csum_rx_l3_bad, l3_bad);
    EXPECT_EQ(c.csum_rx_l4_bad, l4_bad);
  }
  // The host's side of the bargain.
  EXPECT_TRUE(r.violations.empty())
      << r.violations.size() << " DMA violations, first: " << r.violations.front();
  EXPECT_TRUE(r.zones_back) << "an mbuf, cluster or tag was leaked or freed twice";
}

std::uint32_t ParseU32(const std::string &s) {
  return static_cast<std::uint32_t>(std::stoull(s.empty() ? "0" : s, nullptr, 0));
}

// tshark's reading of the capture: no checksum it finds bad where every checksum must be right,
// and each TSO request's segments form one flow of its own whose sequence numbers run on
// without a gap or an overlap from the request's first byte to its last.
void CheckCapture(const std::string &pcap, const std::vector<Item> &items) {
  if (!rtltest::TsharkAvailable()) {
    std::printf("[ system   ] tshark not available: the capture is not checked\n");
    return;
  }
  const rtltest::TsharkResult st = rtltest::CheckChecksums(pcap);
  const std::vector<std::vector<std::string>> tcp =
      rtltest::TsharkFields(pcap, {"ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport",
                                   "tcp.dstport", "tcp.seq_raw", "tcp.len"});
  const std::size_t n = WireFrames(items);
  ASSERT_EQ(st.size(), n);
  ASSERT_EQ(tcp.size(), n);
  std::size_t k = 0;
  int bad = 0;
  std::size_t checked = 0, flows = 0;
  std::map<std::string, const Item *> flow_owner;
  for (const Item &it : items) {
    const std::size_t first = k;
    for (std::size_t s = 0; s < it.wire.size(); ++s, ++k) {
      if (!it.checksums_valid) continue;
      ++checked;
      const rtltest::TsharkStatus &t = st[k];
      if ((t.ip == rtltest::kTsharkBad || t.tcp == rtltest::kTsharkBad ||
           t.udp == rtltest::kTsharkBad) &&
          bad++ < 5) {
        ADD_FAILURE() << "tshark finds a bad checksum in frame " << k + 1 << " (" << it.what
                      << "): ip " << t.ip << " tcp " << t.tcp << " udp " << t.udp;
      }
    }
    if (it.mss == 0) continue;
    ++flows;
    SCOPED_TRACE(it.what);
    // One 4-tuple for every segment, and no other request's.
    const auto tuple = [&](std::size_t i) {
      const auto &f = tcp[i];
      return f[0] + f[1] + ">" + f[2] + f[3] + ":" + f[4] + ">" + f[5];
    };
    const std::string flow = tuple(first);
    EXPECT_TRUE(flow_owner.emplace(flow, &it).second) << "flow " << flow << " seen twice";
    std::uint32_t seq = it.tso_seq;
    std::uint64_t pay = 0;
    for (std::size_t i = first; i < k; ++i) {
      ASSERT_EQ(tuple(i), flow) << "frame " << i + 1;
      ASSERT_FALSE(tcp[i][6].empty()) << "frame " << i + 1 << ": tshark found no TCP header";
      EXPECT_EQ(ParseU32(tcp[i][6]), seq) << "frame " << i + 1 << ": a hole or an overlap";
      const std::uint32_t len = ParseU32(tcp[i][7]);
      EXPECT_TRUE(len <= it.mss) << "frame " << i + 1 << ": " << len << " > mss";
      seq += len;
      pay += len;
    }
    EXPECT_EQ(pay, it.tso_pay) << "the segments do not carry the whole request";
  }
  EXPECT_GT(checked, n / 2);
  EXPECT_GT(flows, 0u);
}

class SystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!BackendBuilt()) GTEST_SKIP() << "backend " << kBackend << " is not in this build";
    leaks_ = std::make_unique<test::LeakCheck>();
  }
  void TearDown() override {
    nic_.reset();
    if (dev_ != nullptr) {
      const auto &v = dev_->memory()->violations();
      EXPECT_TRUE(v.empty()) << v.size() << " DMA violations, first: " << v.front();
    }
    dev_.reset();
    leaks_.reset();
    mbufnic_fault_reset();
  }

  void Open(const driver::NicOptions &o = {}) {
    device::Options d;
    d.loopback = true;
    d.loopback_delay = 200;
    d.seed = 11;
    dev_ = device::Open(kBackend, d);
    nic_ = std::make_unique<driver::Nic>(*dev_, o);
  }

  void Poll(std::uint64_t cycles = 2000) {
    nic_->Poll(cycles, [this](int q, struct mbuf *m) {
      RxRecord r;
      r.queue = q;
      r.bytes = drivertest::ChainBytes(m);
      EXPECT_EQ(m_sanity(m, 0), 1);
      EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(r.bytes.size()));
      r.csum_flags = m->m_pkthdr.csum_flags;
      r.data = m->m_pkthdr.csum_data;
      r.vlan = (m->m_flags & M_VLANTAG) != 0;
      r.vtag = r.vlan ? m->m_pkthdr.ether_vtag : 0;
      got_.push_back(std::move(r));
      m_freem(m);
    });
  }

  // Polls until `n` more frames came in (or nothing moved for a long time).
  void WaitFor(std::size_t n) {
    const std::size_t want = got_.size() + n;
    std::size_t last = got_.size();
    for (int idle = 0; got_.size() < want && idle < 100;) {
      Poll();
      idle = got_.size() == last ? idle + 1 : 0;
      last = got_.size();
    }
    for (int i = 0; i < 5; ++i) Poll();
    EXPECT_EQ(got_.size(), want);
  }

  // `count` ordinary frames through the driver, all of which must come back: the card still
  // works.  Returns the frames sent.
  std::vector<Frame> Traffic(int count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Frame> sent;
    const std::size_t before = got_.size();
    for (int i = 0; i < count; ++i) {
      FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 3000, .p_clean = 1.0});
      s.truncate = 0;
      sent.push_back(rtltest::BuildFrame(s));
      struct mbuf *m = drivertest::BuildChain(sent.back(), drivertest::Layout::kClusters, rng).m;
      bool ok = false;
      for (int t = 0; t < 1000 && !ok; ++t) {
        ok = nic_->Transmit(0, &m, 1) == 1;
        if (!ok) Poll();
      }
      if (!ok) {
        m_freem(m);
        ADD_FAILURE() << "the transmit ring never drained";
      }
    }
    WaitFor(sent.size());
    for (std::size_t i = 0; i < sent.size() && before + i < got_.size(); ++i) {
      ExpectReceived(got_[before + i], sent[i], true, "traffic frame " + std::to_string(i));
    }
    return sent;
  }

  // The violations a test provoked: at least one, each for the reason given; then forgotten.
  void ExpectViolations(const std::string &why) {
    const auto &v = dev_->memory()->violations();
    EXPECT_FALSE(v.empty()) << "the provoked DMA violation was not reported";
    for (const std::string &s : v) EXPECT_NE(s.find(why), std::string::npos) << s;
    dev_->memory()->ClearViolations();
  }

  std::uint32_t Reg(std::uint32_t off) { return dev_->Read32(off); }
  std::uint64_t Reg64(std::uint32_t lo, std::uint32_t hi) {
    const std::uint64_t l = Reg(lo);
    return l | (std::uint64_t{Reg(hi)} << 32);
  }
  std::uint32_t Port(std::uint32_t reg) { return Reg(csr::port::kBase + reg); }
  // A bus address no arena byte has.
  static std::uint64_t OutsideArena() {
    mbufnic_arena_info info{};
    mbufnic_arena_get_info(&info);
    return info.bus_base + info.reserved + (std::uint64_t{1} << 20);
  }

  std::unique_ptr<test::LeakCheck> leaks_;
  std::unique_ptr<device::Device> dev_;
  std::unique_ptr<driver::Nic> nic_;
  std::vector<RxRecord> got_;
};

// Every kind of chain with the receive side in 2 KiB clusters: jumbo frames and TSO segments
// arrive in several buffers.
TEST_F(SystemTest, MixedWorkloadMultiBufferReceive) {
  const std::vector<Item> items = MakeWorkload({.count = kChains, .seed = 1001});
  RunConfig cfg;
  cfg.backend = kBackend;
  cfg.dev.loopback_delay = 200;
  cfg.dev.seed = 1;
  cfg.dev.pcap_out = TempPath("mixed_2k");
  cfg.nic.irq_pkts = 8;
  cfg.nic.irq_cycles = 1000;
  const RunResult r = RunWorkload(cfg, items);
  std::printf("[ system   ] %s: %zu chains, %zu wire frames, %llu cycles, %.1f s\n", kBackend,
              items.size(), r.wire.size(), static_cast<unsigned long long>(r.cycles),
              r.wall_seconds);
  // The mix must really hold every kind, every layout and the edges it claims to.
  std::map<Kind, int> kinds;
  std::map<drivertest::Layout, int> layouts;
  std::size_t biggest_tso = 0, max_frame = 0;
  for (const Item &it : items) {
    ++kinds[it.kind];
    ++layouts[it.layout];
    if (it.mss != 0) biggest_tso = std::max(biggest_tso, it.bytes.size());
    for (const Frame &f : it.wire) max_frame = std::max(max_frame, f.size());
  }
  EXPECT_EQ(kinds.size(), static_cast<std::size_t>(kNumKinds));
  EXPECT_EQ(layouts.size(), std::size(drivertest::kAllLayouts));
  EXPECT_GT(biggest_tso, 60000u);
  EXPECT_EQ(max_frame, 9216u);
  CheckRun(r, items, true);
  EXPECT_GT(r.tx.collapses + r.tx.defrags, 0u);
  CheckCapture(cfg.dev.pcap_out, items);
  std::remove(cfg.dev.pcap_out.c_str());
}

// The same with 9 KiB jumbo clusters on the receive side (one buffer per frame), the receive
// checksum engine off, and interrupts on every completion.
TEST_F(SystemTest, MixedWorkloadJumboClusters) {
  const std::vector<Item> items = MakeWorkload({.count = kChains, .seed = 2002});
  RunConfig cfg;
  cfg.backend = kBackend;
  cfg.dev.loopback_delay = 50;
  cfg.dev.seed = 2;
  cfg.dev.pcap_out = TempPath("mixed_9k");
  cfg.nic.rx_buf_size = MJUM9BYTES;
  cfg.nic.rx_csum = false;
  cfg.poll_every = 8;
  const RunResult r = RunWorkload(cfg, items);
  std::printf("[ system   ] %s: %zu chains, %zu wire frames, %llu cycles, %.1f s\n", kBackend,
              items.size(), r.wire.size(), static_cast<unsigned long long>(r.cycles),
              r.wall_seconds);
  CheckRun(r, items, false);
  CheckCapture(cfg.dev.pcap_out, items);
  std::remove(cfg.dev.pcap_out.c_str());
}

// ==== Descriptors no driver would write ==========================================================

// A second transmit queue, driven by hand next to the driver's, gets descriptors with length 0,
// an address outside the arena, no eop within tx_max_descs, a frame over max_frame and a TSO
// request with MSS 0.  Each gets its error completion and nothing on the wire; the good frames
// among them go out; the queue keeps running; the driver's traffic flows before and after.
TEST_F(SystemTest, BadTransmitDescriptors) {
  Open();
  Traffic(20, 1);
  const int max_descs = nic_->tx_max_descs();
  TxRing raw(*dev_, 1, 6);
  raw.Start();
  FrameSpec fs;
  fs.payload_len = 300;
  const Frame good = rtltest::BuildFrame(fs);
  auto buf_with = [](std::span<const std::uint8_t> bytes) {
    auto b = std::make_unique<devtest::DmaBuf>();
    std::memcpy(b->va(), bytes.data(), bytes.size());
    return b;
  };
  auto put = [&](std::uint64_t addr, std::uint16_t len, bool eop,
                 std::unique_ptr<devtest::DmaBuf> keep, const hw::TxOffloadCmd &cmd = {}) {
    hw::TxDesc d{};
    d.set_addr(addr).set_len(len).set_eop(eop).set_cmd(cmd);
    std::vector<std::unique_ptr<devtest::DmaBuf>> k;
    if (keep) k.push_back(std::move(keep));
    raw.Put(d, std::move(k));
  };
  // 1: length 0.
  {
    auto b = buf_with(good);
    const std::uint64_t a = b->bus();
    put(a, 0, true, std::move(b));
  }
  // 2: an address outside the DMA arena: the read is refused (a violation the checker must
  // report) and answered with an error.
  put(OutsideArena(), 200, true, nullptr);
  // 3: tx_max_descs descriptors without eop: consumed as one dropped frame; the next frame, one
  // good descriptor, starts after them.
  for (int i = 0; i < max_descs; ++i) {
    auto b = buf_with(good);
    const std::uint64_t a = b->bus();
    put(a, 64, false, std::move(b));
  }
  {
    auto b = buf_with(good);
    const std::uint64_t a = b->bus();
    put(a, static_cast<std::uint16_t>(good.size()), true, std::move(b));
  }
  // 4: longer than max_frame and no segmentation asked for.
  const std::uint32_t max_frame = nic_->max_frame();
  {
    Frame big(max_frame / 2 + 100, 0x5a);
    auto b1 = buf_with(big);
    auto b2 = buf_with(big);
    const std::uint64_t a1 = b1->bus(), a2 = b2->bus();
    put(a1, static_cast<std::uint16_t>(big.size()), false, std::move(b1));
    put(a2, static_cast<std::uint16_t>(big.size()), true, std::move(b2));
  }
  // 5: a TSO request with MSS 0.
  const rtltest::SegCase sc = rtltest::MakeSegCase(FrameSpec{}, hw::SegKind::kTcp, 100);
  {
    SegRequest req = sc.req;
    req.mss = 0;
    auto b = buf_with(sc.frame);
    const std::uint64_t a = b->bus();
    put(a, static_cast<std::uint16_t>(sc.frame.size()), true, std::move(b), devtest::SegCmd(req));
  }
  // 6: a good frame with a checksum request.
  const rtltest::TxCase tc = rtltest::MakeTxCase(fs);
  {
    auto b = buf_with(tc.seeded);
    const std::uint64_t a = b->bus();
    put(a, static_cast<std::uint16_t>(tc.seeded.size()), true, std::move(b), devtest::CsumCmd(tc));
  }
  const std::uint32_t rd_err0 = Port(csr::port::kDmaRdErr);
  raw.Doorbell();
  std::vector<hw::TxCpl> cpl;
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (const hw::TxCpl &c : raw.Poll()) cpl.push_back(c);
    return cpl.size() >= 7;
  }));
  WaitFor(2);  // the two good frames come back to the driver's receive queue
  ASSERT_EQ(cpl.size(), 7u);
  struct Want {
    hw::TxErr err;
    int segs;
  };
  const Want want[] = {{hw::TxErr::kDescLen, 0},   {hw::TxErr::kDma, 0},
                       {hw::TxErr::kDescCount, 0}, {hw::TxErr::kNone, 1},
                       {hw::TxErr::kDescLen, 0},   {hw::TxErr::kSeg, 0},
                       {hw::TxErr::kNone, 1}};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(cpl[i].err(), want[i].err) << "completion " << i;
    EXPECT_EQ(cpl[i].segs(), want[i].segs) << "completion " << i;
  }
  EXPECT_EQ(cpl[2].descs(), max_descs);
  EXPECT_EQ(cpl[5].seg_err(), hw::SegErr::kMss);
  ASSERT_GE(got_.size(), 22u);
  ExpectReceived(got_[20], good, true, "the frame after the descriptors without eop");
  ExpectReceived(got_[21], tc.expected, true, "the checksummed frame");
  ExpectViolations("outside the DMA arena");
  EXPECT_GT(Port(csr::port::kDmaRdErr), rd_err0);
  const std::uint32_t q1 = csr::txq::Base(1);
  EXPECT_EQ(Reg(q1 + csr::txq::kPackets), 2u);
  EXPECT_EQ(Reg(q1 + csr::txq::kErrors), 5u);
  EXPECT_EQ(Reg(q1 + csr::txq::kDrops), 5u);
  EXPECT_EQ(Reg64(q1 + csr::txq::kBytesLo, q1 + csr::txq::kBytesHi),
            good.size() + tc.seeded.size());
  EXPECT_TRUE(Running(*dev_, q1));
  EXPECT_EQ(Reg(csr::tso::kBase + csr::tso::kLastErr) & csr::tso::last_err::kCodeMask,
            static_cast<std::uint32_t>(hw::SegErr::kMss));

  // Ring registers the card must refuse: a producer index past the ring, a misaligned ring, a
  // size of 0.  Each stops the queue with its reason; disabling clears it; a proper bring-up
  // works again.
  dev_->Write32(q1 + csr::txq::kProd, 64);
  EXPECT_FALSE(Running(*dev_, q1));
  EXPECT_EQ(StatusErr(*dev_, q1), hw::QueueErr::kProd);
  raw.Stop();
  EXPECT_EQ(StatusErr(*dev_, q1), hw::QueueErr::kNone);
  TxRing ring2(*dev_, 1, 5);
  devtest::BringUp(*dev_, q1, ring2.ring_bus() + 32, ring2.cpl_bus(), 5);
  EXPECT_EQ(StatusErr(*dev_, q1), hw::QueueErr::kRingAlign);
  ring2.Stop();
  devtest::BringUp(*dev_, q1, ring2.ring_bus(), ring2.cpl_bus(), 0);
  EXPECT_EQ(StatusErr(*dev_, q1), hw::QueueErr::kSize);
  ring2.Stop();
  ring2.Start();
  EXPECT_TRUE(Running(*dev_, q1));
  ring2.PostFrame(good);
  ring2.Doorbell();
  std::vector<hw::TxCpl> c2;
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (const hw::TxCpl &c : ring2.Poll()) c2.push_back(c);
    return !c2.empty();
  }));
  EXPECT_EQ(c2[0].err(), hw::TxErr::kNone);
  WaitFor(1);
  ring2.Stop();
  dev_->Run(2000);

  Traffic(20, 2);
  EXPECT_EQ(nic_->tx_stats(0).errors, 0u);
  EXPECT_EQ(nic_->rx_stats(0).errors + nic_->rx_stats(0).drops, 0u);
}

// A second receive queue, fed by hand: a buffer posted with length 0 comes back alone with
// err_desc and nothing written; a buffer outside the arena gets the frame's write refused (a
// violation) and err_dma; the buffers around them receive their frames; the queue runs on.
TEST_F(SystemTest, BadReceiveDescriptors) {
  Open();
  RxRing raw(*dev_, 1, 5);
  raw.Start();
  raw.Post(0);
  raw.Post(2048);
  raw.PostAt(OutsideArena(), 2048);
  raw.Post(2048);
  raw.Doorbell();
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 1);
  std::vector<Frame> frames;
  for (int i = 0; i < 3; ++i) {
    FrameSpec s;
    s.payload_len = 400 + 100 * static_cast<std::size_t>(i);
    s.src_port = static_cast<std::uint16_t>(7000 + i);
    frames.push_back(rtltest::BuildFrame(s));
    dev_->wire()->Inject(frames.back(), dev_->Now());
  }
  const std::uint32_t wr_err0 = Port(csr::port::kDmaWrErr);
  std::vector<devtest::RxGot> got;
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
    return got.size() >= 4;
  }));
  dev_->Run(5000);
  for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[0].cpl.err_desc());
  EXPECT_EQ(got[0].cpl.bufs(), 1u);
  EXPECT_EQ(got[0].cpl.len(), 0u);
  EXPECT_EQ(got[0].cpl.desc_index(), 0u);
  EXPECT_FALSE(got[1].cpl.err_desc() || got[1].cpl.err_dma());
  EXPECT_EQ(got[1].data, frames[0]);
  EXPECT_TRUE(got[2].cpl.err_dma());
  EXPECT_EQ(got[2].cpl.len(), frames[1].size());
  EXPECT_FALSE(got[3].cpl.err_desc() || got[3].cpl.err_dma());
  EXPECT_EQ(got[3].data, frames[2]);
  ExpectViolations("outside the DMA arena");
  EXPECT_GT(Port(csr::port::kDmaWrErr), wr_err0);
  const std::uint32_t q1 = csr::rxq::Base(1);
  EXPECT_EQ(Reg(q1 + csr::rxq::kErrors), 2u);
  EXPECT_EQ(Reg(q1 + csr::rxq::kPackets), 2u);
  EXPECT_TRUE(Running(*dev_, q1));
  // The queue runs on.
  raw.Post(2048);
  raw.Doorbell();
  FrameSpec s;
  s.payload_len = 999;
  const Frame last = rtltest::BuildFrame(s);
  dev_->wire()->Inject(last, dev_->Now());
  got.clear();
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
    return !got.empty();
  }));
  EXPECT_EQ(got[0].data, last);
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 0);
  raw.Stop();
  dev_->Run(2000);
  Traffic(20, 3);
}

// ==== DMA errors =================================================================================

// A read error on one buffer of a chain the driver sends: an error completion (dma), nothing on
// the wire, the chain freed once; the frames after it go out.
TEST_F(SystemTest, DmaErrorOnTransmitBuffer) {
  Open();
  Traffic(10, 4);
  std::mt19937_64 rng(4);
  FrameSpec s;
  s.payload_len = 5000;
  const Frame f = rtltest::BuildFrame(s);
  drivertest::TestChain c = drivertest::BuildChain(f, drivertest::Layout::kClusters, rng);
  struct mbuf *second = c.m->m_next;
  ASSERT_NE(second, nullptr);
  const std::uint64_t sent0 = dev_->wire()->sent_frames();
  const std::uint32_t rd_err0 = Port(csr::port::kDmaRdErr);
  dev_->memory()->InjectError(mbufnic_vtobus(mtod(second, void *)),
                              static_cast<std::uint64_t>(second->m_len), 1, true, false);
  ASSERT_EQ(nic_->Transmit(0, &c.m, 1), 1);
  for (int i = 0; i < 20; ++i) Poll();
  const driver::TxQueueStats &tx = nic_->tx_stats(0);
  EXPECT_EQ(tx.errors, 1u);
  EXPECT_EQ(tx.by_tx_err[static_cast<std::size_t>(hw::TxErr::kDma)], 1u);
  EXPECT_EQ(dev_->wire()->sent_frames(), sent0);
  EXPECT_GT(Port(csr::port::kDmaRdErr), rd_err0);
  EXPECT_EQ(Reg(csr::txq::Base(0) + csr::txq::kErrors), 1u);
  EXPECT_EQ(got_.size(), 10u);
  EXPECT_EQ(nic_->TxQueueStatus(0) & csr::txq::status::kRunningMask,
            csr::txq::status::kRunningMask);
  Traffic(20, 5);
  EXPECT_EQ(tx.packets, 30u);
}

// A write error on the receive buffer a frame lands in: err_dma, the driver counts an error and
// puts the buffer back on the ring, the frame is not handed up; the next frames are.
TEST_F(SystemTest, DmaErrorOnReceiveBuffer) {
  Open();
  Traffic(10, 6);
  // The buffer the card fills next: the descriptor at the receive queue's consumer index, read
  // from the driver's ring (found through the ring address registers).
  const std::uint32_t q0 = csr::rxq::Base(0);
  const std::uint64_t ring = Reg64(q0 + csr::rxq::kRingLo, q0 + csr::rxq::kRingHi);
  const std::uint32_t cons = Reg(q0 + csr::rxq::kCons) & csr::rxq::cons::kIndexMask;
  hw::RxDesc d;
  std::memcpy(d.bytes.data(),
              static_cast<const std::uint8_t *>(mbufnic_bustov(ring)) + cons * hw::RxDesc::kBytes,
              hw::RxDesc::kBytes);
  const std::uint32_t wr_err0 = Port(csr::port::kDmaWrErr);
  dev_->memory()->InjectError(d.addr(), d.len(), 1, false, true);
  FrameSpec s;
  s.payload_len = 700;
  std::mt19937_64 rng(6);
  struct mbuf *m =
      drivertest::BuildChain(rtltest::BuildFrame(s), drivertest::Layout::kOneBuffer, rng).m;
  ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
  for (int i = 0; i < 20; ++i) Poll();
  EXPECT_EQ(got_.size(), 10u);
  EXPECT_EQ(nic_->rx_stats(0).errors, 1u);
  EXPECT_GT(Port(csr::port::kDmaWrErr), wr_err0);
  EXPECT_EQ(Reg(q0 + csr::rxq::kErrors), 1u);
  EXPECT_EQ(nic_->tx_stats(0).errors, 0u);
  Traffic(30, 7);
}

// Errors on the rings themselves stop the queue with the reason in its status (docs/card.md:
// the ring cannot be trusted); the host takes the queue down and up again (here: detaches and
// attaches the driver), loses no mbuf, and traffic flows.
TEST_F(SystemTest, DmaErrorsOnRings) {
  Open();
  Traffic(10, 8);
  // The driver's transmit descriptor ring: the next descriptor read fails.
  const std::uint32_t t0 = csr::txq::Base(0);
  const std::uint64_t tring = Reg64(t0 + csr::txq::kRingLo, t0 + csr::txq::kRingHi);
  dev_->memory()->InjectError(tring, std::uint64_t{512} * hw::TxDesc::kBytes, 1, true, false);
  std::mt19937_64 rng(8);
  for (int i = 0; i < 5; ++i) {
    FrameSpec s;
    s.payload_len = 100;
    struct mbuf *m =
        drivertest::BuildChain(rtltest::BuildFrame(s), drivertest::Layout::kClusters, rng).m;
    ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
  }
  for (int i = 0; i < 10; ++i) Poll();
  std::uint32_t st = nic_->TxQueueStatus(0);
  EXPECT_EQ(st & csr::txq::status::kRunningMask, 0u);
  EXPECT_EQ((st & csr::txq::status::kErrMask) >> csr::txq::status::kErrShift,
            static_cast<std::uint32_t>(hw::QueueErr::kDescDma));
  EXPECT_EQ(got_.size(), 10u);
  // Detach frees the five chains the card never completed.
  nic_.reset();
  nic_ = std::make_unique<driver::Nic>(*dev_, driver::NicOptions{});
  Traffic(10, 9);

  // The driver's receive completion ring: the next completion write fails.
  const std::uint32_t r0 = csr::rxq::Base(0);
  const std::uint64_t rcpl = Reg64(r0 + csr::rxq::kCplLo, r0 + csr::rxq::kCplHi);
  dev_->memory()->InjectError(rcpl, std::uint64_t{1024} * hw::RxCpl::kBytes, 1, false, true);
  const std::uint32_t nobuf0 = Port(csr::port::kRxDropNobuf);
  for (int i = 0; i < 3; ++i) {
    FrameSpec s;
    s.payload_len = 200;
    struct mbuf *m =
        drivertest::BuildChain(rtltest::BuildFrame(s), drivertest::Layout::kClusters, rng).m;
    ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
    for (int k = 0; k < 3; ++k) Poll();
  }
  for (int i = 0; i < 10; ++i) Poll();
  st = nic_->RxQueueStatus(0);
  EXPECT_EQ(st & csr::rxq::status::kRunningMask, 0u);
  EXPECT_EQ((st & csr::rxq::status::kErrMask) >> csr::rxq::status::kErrShift,
            static_cast<std::uint32_t>(hw::QueueErr::kCplDma));
  EXPECT_EQ(got_.size(), 20u);
  // The two frames after the failed completion found the queue stopped.
  EXPECT_EQ(Port(csr::port::kRxDropNobuf), nobuf0 + 2);
  EXPECT_EQ(nic_->tx_stats(0).packets, 13u);  // Traffic(10) and the three
  nic_.reset();
  nic_ = std::make_unique<driver::Nic>(*dev_, driver::NicOptions{});
  Traffic(10, 10);

  // A receive descriptor ring the card cannot read (a second queue, by hand): desc_dma; frames
  // steered there are dropped for want of buffers; set up again, it receives.
  {
    RxRing raw(*dev_, 2, 4);
    raw.Start();
    dev_->memory()->InjectError(raw.ring_bus(), 16 * hw::RxDesc::kBytes, 1, true, false);
    for (int i = 0; i < 4; ++i) raw.Post(2048);
    raw.Doorbell();
    dev_->Run(2000);
    const std::uint32_t q2 = csr::rxq::Base(2);
    EXPECT_FALSE(Running(*dev_, q2));
    EXPECT_EQ(StatusErr(*dev_, q2), hw::QueueErr::kDescDma);
    raw.Stop();
    dev_->Run(2000);
  }
  {
    RxRing raw(*dev_, 2, 4);
    raw.Start();
    for (int i = 0; i < 4; ++i) raw.Post(2048);
    raw.Doorbell();
    devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 2);
    FrameSpec s;
    s.payload_len = 321;
    const Frame f = rtltest::BuildFrame(s);
    dev_->wire()->Inject(f, dev_->Now());
    std::vector<devtest::RxGot> got;
    ASSERT_TRUE(RunUntil(*dev_, [&] {
      for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
      return !got.empty();
    }));
    EXPECT_EQ(got[0].data, f);
    devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 0);
    raw.Stop();
    dev_->Run(2000);
  }
  Traffic(10, 11);
}

// ==== Receive without buffers ====================================================================

// A receive queue with no buffers posted drops every frame (counted, nothing written), as does
// one with too few for the frame and one that is not running; once buffers are posted, frames
// arrive.
TEST_F(SystemTest, ReceiveWithNoBuffers) {
  Open();
  RxRing raw(*dev_, 1, 5);
  raw.Start();
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 1);
  const std::uint32_t nobuf0 = Port(csr::port::kRxDropNobuf);
  const std::uint32_t rx0 = Port(csr::port::kRxFrames);
  const std::uint64_t written0 = dev_->memory()->bytes_written();
  auto frame = [](std::size_t payload, std::uint16_t port) {
    FrameSpec s;
    s.payload_len = payload;
    s.src_port = port;
    return rtltest::BuildFrame(s);
  };
  for (int i = 0; i < 5; ++i) dev_->wire()->Inject(frame(500, 100), dev_->Now());
  dev_->Run(20000);
  const std::uint32_t q1 = csr::rxq::Base(1);
  EXPECT_EQ(Port(csr::port::kRxFrames), rx0 + 5);
  EXPECT_EQ(Port(csr::port::kRxDropNobuf), nobuf0 + 5);
  EXPECT_EQ(Reg(q1 + csr::rxq::kDrops), 5u);
  EXPECT_EQ(Reg(q1 + csr::rxq::kPackets), 0u);
  EXPECT_TRUE(Running(*dev_, q1));
  EXPECT_TRUE(raw.Poll().empty());
  EXPECT_EQ(dev_->memory()->bytes_written(), written0) << "a dropped frame wrote something";

  // Two buffers for a frame that needs three.
  raw.Post(2048);
  raw.Post(2048);
  raw.Doorbell();
  dev_->wire()->Inject(frame(5000, 101), dev_->Now());
  dev_->Run(20000);
  EXPECT_EQ(Port(csr::port::kRxDropNobuf), nobuf0 + 6);
  EXPECT_EQ(Reg(q1 + csr::rxq::kDrops), 6u);
  EXPECT_TRUE(raw.Poll().empty());
  EXPECT_EQ(dev_->memory()->bytes_written(), written0);

  // Enough buffers: the next frames arrive, the first in the two waiting buffers and a third.
  for (int i = 0; i < 10; ++i) raw.Post(2048);
  raw.Doorbell();
  const std::vector<Frame> frames = {frame(5000, 102), frame(60, 103), frame(1400, 104)};
  for (const Frame &f : frames) dev_->wire()->Inject(f, dev_->Now());
  std::vector<devtest::RxGot> got;
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
    return got.size() >= 3;
  }));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].cpl.bufs(), 3u);
  EXPECT_EQ(got[0].cpl.desc_index(), 0u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(got[i].data, frames[i]) << i;
  EXPECT_EQ(Reg(q1 + csr::rxq::kPackets), 3u);

  // Steered to a queue that was never enabled: dropped, counted at the port.
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 3);
  for (int i = 0; i < 2; ++i) dev_->wire()->Inject(frame(300, 105), dev_->Now());
  dev_->Run(20000);
  EXPECT_EQ(Port(csr::port::kRxDropNobuf), nobuf0 + 8);

  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 0);
  raw.Stop();
  dev_->Run(2000);
  Traffic(20, 12);
  EXPECT_EQ(nic_->rx_stats(0).errors + nic_->rx_stats(0).drops, 0u);
}

// A frame that would need more than rx_max_bufs buffers is a bad frame (port.rx_drop_bad), not a
// shortage; a frame that fits the same small buffers arrives.
TEST_F(SystemTest, FrameNeedingTooManyBuffersIsBad) {
  Open();
  RxRing raw(*dev_, 1, 6);
  raw.Start();
  for (int i = 0; i < 40; ++i) raw.Post(256);
  raw.Doorbell();
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 1);
  const std::uint32_t bad0 = Port(csr::port::kRxDropBad);
  const int max_bufs = nic_->rx_max_bufs();
  FrameSpec s;
  s.payload_len = static_cast<std::size_t>(max_bufs) * 256 + 100;
  dev_->wire()->Inject(rtltest::BuildFrame(s), dev_->Now());
  s.payload_len = 900;
  const Frame fits = rtltest::BuildFrame(s);
  dev_->wire()->Inject(fits, dev_->Now());
  std::vector<devtest::RxGot> got;
  ASSERT_TRUE(RunUntil(*dev_, [&] {
    for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
    return !got.empty();
  }));
  dev_->Run(5000);
  for (devtest::RxGot &g : raw.Poll()) got.push_back(std::move(g));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, fits);
  EXPECT_EQ(got[0].cpl.bufs(), (fits.size() + 255) / 256);
  EXPECT_EQ(got[0].cpl.desc_index(), 0u) << "the dropped frame used up buffers";
  EXPECT_EQ(Port(csr::port::kRxDropBad), bad0 + 1);
  EXPECT_EQ(Reg(csr::rxq::Base(1) + csr::rxq::kDrops), 0u);
  devtest::MgmtWrite(*dev_, csr::port::kBase + csr::port::kCtrl, 0);
  raw.Stop();
  dev_->Run(2000);
  Traffic(10, 13);
}

// ==== Malformed frames from the wire =============================================================

// Frames the MAC marks bad, runts, frames cut short, garbage, wrong length fields and frames
// over max_frame, injected at the receive port: the bad ones are dropped and counted, the rest
// arrive as they are with the receive flags the checksum engine's contract gives them.
TEST_F(SystemTest, MalformedFramesFromTheWire) {
  Open();
  std::mt19937_64 rng(14);
  struct Case {
    Frame f;
    bool mac_bad = false;
    bool dropped = false;
    std::string what;
  };
  std::vector<Case> cases;
  auto random_bytes = [&](std::size_t n) {
    Frame f(n);
    for (auto &b : f) b = static_cast<std::uint8_t>(rng());
    return f;
  };
  FrameSpec plain;
  plain.payload_len = 500;
  cases.push_back({rtltest::BuildFrame(plain), true, true, "good frame with a bad FCS"});
  cases.push_back({random_bytes(1), false, true, "1-byte runt"});
  cases.push_back({random_bytes(13), false, true, "13-byte runt"});
  cases.push_back({random_bytes(14), false, false, "bare Ethernet header"});
  cases.push_back({random_bytes(20), false, false, "20 bytes of garbage"});
  cases.push_back({random_bytes(59), false, false, "59 bytes of garbage"});
  cases.push_back({random_bytes(9217), false, true, "one byte over max_frame"});
  cases.push_back({random_bytes(12000), false, true, "12000 bytes"});
  cases.push_back({random_bytes(3000), true, true, "garbage with a bad FCS"});
  for (int i = 0; i < 40; ++i) {
    // Garbage behind an IPv4 or IPv6 ethertype, so the parser goes in.
    Frame f = random_bytes(14 + rng() % 1500);
    const bool v6 = rng() % 2;
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    if (!v6 && f.size() > 14) f[14] = static_cast<std::uint8_t>(0x45 + rng() % 3);
    cases.push_back({f, false, false, "garbage behind ethertype " + std::to_string(f[12])});
  }
  for (int i = 0; i < 60; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 9000, .p_clean = 0.0});
    if (i % 3 == 0) {
      // Cut anywhere, down to just past the Ethernet header.
      const Frame whole = rtltest::BuildFrame(s);
      s.truncate = whole.size() - std::min<std::size_t>(whole.size(), 14 + rng() % whole.size());
    }
    switch (i % 5) {
      case 0:
        s.ip4_total_len = static_cast<std::uint16_t>(rng());
        break;
      case 1:
        s.udp_len = static_cast<std::uint16_t>(rng());
        s.l4 = rtltest::L4Kind::kUdp;
        break;
      case 2:
        s.ip6_payload_len = static_cast<std::uint16_t>(rng());
        s.l3 = rtltest::L3Kind::kIpv6;
        break;
      case 3:
        s.ip4_ihl = static_cast<std::uint8_t>(rng() % 5);
        s.l3 = rtltest::L3Kind::kIpv4;
        break;
      default:
        s.ip_version = static_cast<std::uint8_t>(rng() % 16);
        break;
    }
    Frame f = rtltest::BuildFrame(s);
    if (f.size() < 14) continue;
    cases.push_back({std::move(f), false, false, s.Describe()});
  }
  std::shuffle(cases.begin() + 9, cases.end(), rng);
  const std::uint32_t rx0 = Port(csr::port::kRxFrames);
  const std::uint32_t bad0 = Port(csr::port::kRxDropBad);
  std::size_t dropped = 0;
  for (const Case &c : cases) {
    dev_->wire()->Inject(c.f, dev_->Now(), c.mac_bad);
    dropped += c.dropped;
  }
  WaitFor(cases.size() - dropped);
  std::size_t k = 0;
  for (const Case &c : cases) {
    if (c.dropped) continue;
    if (k >= got_.size()) break;
    SCOPED_TRACE("injected frame " + c.what);
    ExpectReceived(got_[k++], c.f, true, c.what);
  }
  EXPECT_EQ(Port(csr::port::kRxFrames), rx0 + cases.size());
  EXPECT_EQ(Port(csr::port::kRxDropBad), bad0 + dropped);
  EXPECT_EQ(Port(csr::port::kRxDropNobuf), 0u);
  EXPECT_EQ(nic_->rx_stats(0).packets, cases.size() - dropped);
  EXPECT_EQ(nic_->rx_stats(0).errors + nic_->rx_stats(0).drops, 0u);
  EXPECT_EQ(Reg(csr::rxq::Base(0) + csr::rxq::kPackets), cases.size() - dropped);
  // And the card goes on.
  Traffic(30, 15);
}

}  // namespace
}  // namespace mbufnic::systest
