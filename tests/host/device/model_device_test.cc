// The device seam and the "model" backend, driven the way a driver drives the card: CSR writes
// through Device::Write32, descriptor and completion rings in the DMA arena, frames from the
// frame generator.  What comes out is checked against the software twins (SegmentFrame, the
// transmit checksum twin, the receive classifier), against tshark, and against docs/card.md;
// the host-memory model watches every DMA access and must report no violation unless a test
// provokes one.
#include "model_device.h"

#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "dma_rings.h"
#include "frame_gen.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_csum.hpp"
#include "mbufnic/sw_offload.hpp"
#include "registry.h"
#include "rx_csum_ref.h"
#include "seg_gen.h"
#include "tshark.h"

namespace mbufnic::device {
namespace {

namespace csr = hw::csr;
using rtltest::FrameSpec;
using rtltest::MakeTxCase;
using rtltest::TxCase;
using Frame = std::vector<uint8_t>;

constexpr unsigned kNumTxQ = 8;

// The queue helpers (DmaBuf, TxRing, RxRing, CsumCmd, SegCmd, RunUntil, Status) are shared
// with the system tests: tests/support/dma_rings.h.
using devtest::BringUp;
using devtest::CsumCmd;
using devtest::DmaBuf;
using devtest::MgmtWrite;
using devtest::Running;
using devtest::RunUntil;
using devtest::RxGot;
using devtest::RxRing;
using devtest::SegCmd;
using devtest::StatusErr;
using devtest::TxRing;

// ==== Helpers ===================================================================================

std::unique_ptr<Device> OpenModel(Options o = {}) { return Open("model", o); }

std::string TempPath(const char* what) {
  return ::testing::TempDir() + "model_device_" + what + "_" + std::to_string(getpid()) + ".pcap";
}

// Every test ends by asking the host-memory model: a card that touched anything the host did
// not allow fails the test.  The fixture owns the devices, so it can ask after the test body.
class ModelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& d : owned_) Check(*d);
  }
  Device& Watch(std::unique_ptr<Device> d) {
    owned_.push_back(std::move(d));
    return *owned_.back();
  }
  // Checks and closes a device before the test ends (to flush its pcap file, say).
  void Close(Device& dev) {
    for (auto it = owned_.begin(); it != owned_.end(); ++it) {
      if (it->get() == &dev) {
        Check(dev);
        owned_.erase(it);
        return;
      }
    }
  }
  static void Check(Device& d) {
    EXPECT_TRUE(d.memory()->violations().empty())
        << d.memory()->violations().size()
        << " DMA violations, first: " << d.memory()->violations().front();
  }
  std::vector<std::unique_ptr<Device>> owned_;
};

// ==== The seam ==================================================================================

TEST(DeviceSeam, ModelIsAlwaysABackend) {
  const std::vector<std::string> names = Backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "model"), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  auto dev = Open("model");
  EXPECT_EQ(dev->Name(), "model");
  EXPECT_EQ(dev->ClockMhz(), 250.0);
  EXPECT_EQ(dev->Now(), 0u);
  EXPECT_NE(dev->wire(), nullptr);
  EXPECT_NE(dev->memory(), nullptr);
}

TEST(DeviceSeam, UnknownNameListsWhatTheBuildHas) {
  std::string list;
  for (const std::string& n : Backends()) list += (list.empty() ? "" : ", ") + n;
  try {
    Open("nope");
    FAIL() << "Open(\"nope\") did not throw";
  } catch (const DeviceError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown device 'nope'; this build has: " + list);
  }
}

TEST(DeviceSeam, RegisteredBackendsOpenByName) {
  Options seen;
  RegisterBackend("test-stub", [&seen](const Options& o) -> std::unique_ptr<Device> {
    seen = o;
    return std::make_unique<ModelDevice>(o);
  });
  const std::vector<std::string> names = Backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-stub"), names.end());
  Options o;
  o.seed = 42;
  o.link_gbps = 25;
  auto dev = Open("test-stub", o);
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(seen.seed, 42u);
  EXPECT_EQ(dev->wire()->config().link_gbps, 25.0);
}

// A family of cards ("xrt:0", "xrt:0000:03:00.1"): one factory gets the whole name; an exact
// registration of the same name wins; Backends() lists the family once by its base name.
TEST(DeviceSeam, BackendFamiliesTakeEveryNameOfTheirBase) {
  std::vector<std::string> names_seen;
  RegisterBackendFamily("test-fam", [&names_seen](std::string_view name, const Options& o) {
    names_seen.emplace_back(name);
    return std::unique_ptr<Device>(std::make_unique<ModelDevice>(o));
  });
  EXPECT_NE(Open("test-fam:0"), nullptr);
  EXPECT_NE(Open("test-fam:0000:03:00.1"), nullptr);
  EXPECT_NE(Open("test-fam"), nullptr);
  EXPECT_EQ(names_seen,
            (std::vector<std::string>{"test-fam:0", "test-fam:0000:03:00.1", "test-fam"}));
  bool exact = false;
  RegisterBackend("test-fam:9", [&exact](const Options& o) -> std::unique_ptr<Device> {
    exact = true;
    return std::make_unique<ModelDevice>(o);
  });
  EXPECT_NE(Open("test-fam:9"), nullptr);
  EXPECT_TRUE(exact);
  EXPECT_EQ(names_seen.size(), 3u) << "the exact registration was passed over";
  const std::vector<std::string> names = Backends();
  EXPECT_EQ(std::count(names.begin(), names.end(), "test-fam"), 1);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THROW(Open("test-famx:0"), DeviceError) << "a base is matched whole";
}

TEST(DeviceSeam, BadOptionsAreDeviceErrors) {
  Options o;
  o.pcie = "gen9";
  EXPECT_THROW(Open("model", o), DeviceError);
  o = {};
  o.waves = "card.fst";
  EXPECT_THROW(Open("model", o), DeviceError);
  o = {};
  o.link_gbps = -1;
  EXPECT_THROW(Open("model", o), DeviceError);
  o = {};
  o.pcap_out = "/nonexistent-dir/x.pcap";
  EXPECT_THROW(Open("model", o), DeviceError);
  ModelParams p;
  p.rx_max_bufs = 32;  // rx_cpl.bufs has 5 bits
  EXPECT_THROW(ModelDevice({}, p), DeviceError);
}

// ==== CSR space =================================================================================

TEST_F(ModelTest, CardBlockDescribesTheRtlCard) {
  Device& dev = Watch(OpenModel());
  EXPECT_TRUE(
      csr::IdCompatible(dev.Read32(csr::card::kBase + csr::card::kId), csr::card::kIdValue));
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kCaps),
            csr::card::caps::kTxCsumMask | csr::card::caps::kRxCsumMask |
                csr::card::caps::kTsoMask | csr::card::caps::kDmaMask);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kStreamWidth), 512u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kMaxFrame), 9216u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kQueues), 8u | (8u << 16));
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kTxMaxDescs), 16u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kRxMaxBufs), 16u);
}

TEST_F(ModelTest, EveryBlockHasItsIdWordAndNothingElseAnswers) {
  Device& dev = Watch(OpenModel());
  EXPECT_EQ(dev.Read32(csr::csum::kBase), csr::csum::kIdValue);
  EXPECT_EQ(dev.Read32(csr::tso::kBase), csr::tso::kIdValue);
  EXPECT_EQ(dev.Read32(csr::port::kBase), csr::port::kIdValue);
  EXPECT_EQ(dev.Read32(csr::admin::kBase), csr::admin::kIdValue);
  for (unsigned q = 0; q < 8; ++q) {
    EXPECT_EQ(dev.Read32(csr::txq::Base(q)), csr::txq::kIdValue) << q;
    EXPECT_EQ(dev.Read32(csr::rxq::Base(q)), csr::rxq::kIdValue) << q;
  }
  // Copies the card does not build, offsets past a block's registers, gaps between blocks.
  EXPECT_EQ(dev.Read32(csr::txq::Base(8)), 0u);
  EXPECT_EQ(dev.Read32(csr::rxq::Base(8)), 0u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kNumRegs * 4), 0u);
  EXPECT_EQ(dev.Read32(csr::txq::Base(0) + csr::txq::kNumRegs * 4), 0u);
  EXPECT_EQ(dev.Read32(csr::admin::kBase + csr::admin::kSize), 0u);
  EXPECT_EQ(dev.Read32(0xfffffffc), 0u);
}

// A register walk, as a bus test does: reset values (but what the firmware set when the card
// started: every offload on), then every writable bit written as 1 and as 0 reads back through
// the management port, and nothing else changes (w1p bits read 0).  From the host's port, a
// write that would change a management-side field changes nothing and is counted.
TEST_F(ModelTest, RegistersResetAndReadBackWhatIsWritable) {
  Device& dev = Watch(OpenModel());
  MgmtPort& mgmt = *dev.mgmt();
  struct Block {
    uint32_t base;
    std::span<const csr::RegInfo> regs;
  };
  const Block blocks[] = {
      {csr::card::kBase, csr::card::kRegs},   {csr::csum::kBase, csr::csum::kRegs},
      {csr::tso::kBase, csr::tso::kRegs},     {csr::port::kBase, csr::port::kRegs},
      {csr::admin::kBase, csr::admin::kRegs}, {csr::txq::Base(3), csr::txq::kRegs},
      {csr::rxq::Base(5), csr::rxq::kRegs},
  };
  const uint32_t csum_ctrl = csr::csum::kBase + csr::csum::kCtrl;
  for (const Block& b : blocks) {
    for (const csr::RegInfo& r : b.regs) {
      if (r.rw_mask == 0) continue;
      SCOPED_TRACE(r.name);
      const uint32_t want = b.base + r.offset == csum_ctrl ? csr::csum::ctrl::kRwMask : r.reset;
      EXPECT_EQ(dev.Read32(b.base + r.offset) & r.rw_mask, want & r.rw_mask);
    }
  }
  uint32_t denied = 0;
  for (const Block& b : blocks) {
    for (const csr::RegInfo& r : b.regs) {
      if (r.rw_mask == 0 || std::string(r.name) == "ctrl") continue;  // enables have effects
      SCOPED_TRACE(std::string(r.name) + " at " + std::to_string(b.base + r.offset));
      const uint32_t before = dev.Read32(b.base + r.offset);
      dev.Write32(b.base + r.offset, 0xffffffff);
      if (r.mgmt_mask != 0) {
        EXPECT_EQ(dev.Read32(b.base + r.offset), before);
        ++denied;
      } else {
        EXPECT_EQ(dev.Read32(b.base + r.offset), r.rw_mask);
      }
      ASSERT_TRUE(mgmt.write(b.base + r.offset, 0xffffffff));
      EXPECT_EQ(dev.Read32(b.base + r.offset), r.rw_mask);
      ASSERT_TRUE(mgmt.write(b.base + r.offset, 0));
      EXPECT_EQ(dev.Read32(b.base + r.offset), 0u);
    }
  }
  EXPECT_GT(denied, 10u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kHostDenied), denied);
  // The host may write a mixed register's own fields when it leaves the others as they are:
  // a queue's interrupt arm next to its packet threshold.
  const uint32_t irq = csr::txq::Base(1) + csr::txq::kIrq;
  ASSERT_TRUE(mgmt.write(irq, 4));
  dev.Write32(irq, 4 | csr::txq::irq::kArmMask);
  dev.Write32(irq, 5 | csr::txq::irq::kArmMask);
  EXPECT_EQ(dev.Read32(irq), 4u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kHostDenied), denied + 1);
  // Read-only registers ignore writes.
  dev.Write32(csr::card::kBase + csr::card::kMaxFrame, 1);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kMaxFrame), 9216u);
  dev.Write32(csr::txq::Base(0) + csr::txq::kCons, 7);
  EXPECT_EQ(dev.Read32(csr::txq::Base(0) + csr::txq::kCons), 0u);
}

TEST_F(ModelTest, ParametersAreConstructorOptions) {
  ModelParams p;
  p.num_txq = 2;
  p.num_rxq = 3;
  p.tx_max_descs = 4;
  p.rx_max_bufs = 5;
  p.stream_width = 256;
  p.cap_tso = false;
  Device& dev = Watch(std::make_unique<ModelDevice>(Options{}, p));
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kQueues), 2u | (3u << 16));
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kTxMaxDescs), 4u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kRxMaxBufs), 5u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kStreamWidth), 256u);
  EXPECT_EQ(dev.Read32(csr::card::kBase + csr::card::kCaps) & csr::card::caps::kTsoMask, 0u);
  EXPECT_EQ(dev.Read32(csr::txq::Base(2)), 0u);
  EXPECT_EQ(dev.Read32(csr::rxq::Base(2)), csr::rxq::kIdValue);
}

// ==== Transmit ==================================================================================

// Posts `frames` through a ring of 2^log2 entries, refilling as completions come back, until
// every frame has completed.  Returns the completions in order.
std::vector<hw::TxCpl> SendAll(Device& dev, TxRing& ring, const std::vector<Frame>& frames,
                               const std::vector<hw::TxOffloadCmd>& cmds,
                               const std::vector<size_t>& pieces) {
  std::vector<hw::TxCpl> cpls;
  size_t next = 0;
  for (int guard = 0; cpls.size() < frames.size() && guard < 100000; ++guard) {
    bool posted = false;
    while (next < frames.size() && ring.Free() >= pieces[next]) {
      ring.PostFrame(frames[next], cmds[next], pieces[next]);
      ++next;
      posted = true;
    }
    if (posted) ring.Doorbell();
    dev.Run(500);
    for (const hw::TxCpl& c : ring.Poll()) cpls.push_back(c);
  }
  return cpls;
}

TEST_F(ModelTest, FramesWithoutOffloadLeaveUnchangedAndCompleteInOrderAcrossWraps) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 2, 5);  // 32 entries: 150 frames of 1 to 4 descriptors wrap it many times
  ring.Start();
  std::mt19937_64 rng(11);
  std::vector<Frame> frames;
  std::vector<hw::TxOffloadCmd> cmds;
  std::vector<size_t> pieces;
  for (int i = 0; i < 150; ++i) {
    frames.push_back(rtltest::BuildFrame(rtltest::RandomSpec(rng, {.max_frame_len = 9216})));
    cmds.push_back({});
    pieces.push_back(1 + rng() % 4);
  }
  const std::vector<hw::TxCpl> cpls = SendAll(dev, ring, frames, cmds, pieces);
  ASSERT_EQ(cpls.size(), frames.size());

  uint32_t index = 0;
  uint64_t bytes = 0;
  for (size_t i = 0; i < cpls.size(); ++i) {
    SCOPED_TRACE(i);
    const size_t n = std::min(pieces[i], frames[i].size());
    index = (index + n) & 31;
    EXPECT_EQ(cpls[i].err(), hw::TxErr::kNone);
    EXPECT_EQ(cpls[i].descs(), n);
    EXPECT_EQ(cpls[i].desc_index(), (index - 1) & 31);
    EXPECT_EQ(cpls[i].segs(), 1u);
    bytes += frames[i].size();
  }
  const std::vector<sim::WireFrame> sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), frames.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i].data, frames[i]) << "frame " << i;
  // The link rate: 100 Gb/s at 250 MHz is 50 bytes a cycle, with 20 bytes of overhead per frame
  // and at most one maximal frame (9236 bytes) saved up, so frames i+1..j take at least their
  // bytes less that budget over 50 cycles after frame i; and a frame of n bytes takes its n / 64
  // beats whatever the budget.
  for (size_t i = 0; i < sent.size(); ++i) {
    double bytes = 0;
    for (size_t j = i + 1; j < sent.size(); ++j) {
      bytes += sent[j].data.size() + 20;
      ASSERT_GE(static_cast<double>(sent[j].cycle - sent[i].cycle) + 1, (bytes - 9236) / 50)
          << i << " to " << j;
    }
    if (i > 0) {
      EXPECT_GE(sent[i].cycle - sent[i - 1].cycle, (sent[i].data.size() + 63) / 64) << i;
    }
  }
  const uint32_t b = csr::txq::Base(2);
  EXPECT_EQ(dev.Read32(b + csr::txq::kPackets), frames.size());
  EXPECT_EQ(dev.Read32(b + csr::txq::kBytesLo), bytes);
  EXPECT_EQ(dev.Read32(b + csr::txq::kBytesHi), 0u);
  EXPECT_EQ(dev.Read32(b + csr::txq::kErrors), 0u);
  EXPECT_EQ(dev.Read32(b + csr::txq::kCons), ring.prod());
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kTxFrames), frames.size());
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kTxBytesLo), bytes);
  EXPECT_EQ(dev.Read32(csr::csum::kBase + csr::csum::kTxFrames), frames.size());
}

// A link pause (sim::Wire::Pause) holds every frame the card would send meanwhile: they leave
// after it, whole and in order, and their completions follow them.
TEST_F(ModelTest, LinkPauseHoldsFramesAndLosesNone) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 0, 5);
  ring.Start();
  std::mt19937_64 rng(12);
  std::vector<Frame> frames;
  for (int i = 0; i < 20; ++i) {
    frames.push_back(rtltest::BuildFrame(rtltest::RandomSpec(rng, {.max_frame_len = 1518})));
  }
  const std::uint64_t until = dev.Now() + 30000;
  dev.wire()->Pause(dev.Now(), 30000);
  const std::vector<hw::TxCpl> cpls =
      SendAll(dev, ring, frames, std::vector<hw::TxOffloadCmd>(frames.size()),
              std::vector<size_t>(frames.size(), 1));
  ASSERT_EQ(cpls.size(), frames.size());
  const std::vector<sim::WireFrame> sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), frames.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].data, frames[i]) << i;
    EXPECT_GE(sent[i].cycle, until) << "frame " << i << " left during the pause";
  }
  EXPECT_GE(dev.Now(), until);
}

TEST_F(ModelTest, ChecksumCommandsGiveTheTwinsBytes) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 0, 6);
  ring.Start();
  std::mt19937_64 rng(12);
  std::vector<Frame> frames, expected;
  std::vector<hw::TxOffloadCmd> cmds;
  std::vector<size_t> pieces;
  for (int i = 0; i < 120; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 9216});
    if (s.l3 == rtltest::L3Kind::kNone) s.l3 = rtltest::L3Kind::kIpv4;
    const TxCase t = MakeTxCase(s);
    frames.push_back(t.seeded);
    cmds.push_back(CsumCmd(t));
    pieces.push_back(1 + rng() % 3);
    // The twin of nic_csum_tx, and the frame generator's own idea of a correct frame.
    Frame twin = t.seeded;
    InsertTxChecksums(twin, cmds.back().csum(), 9472);
    EXPECT_EQ(twin, t.expected) << s.Describe();
    expected.push_back(twin);
  }
  ASSERT_EQ(SendAll(dev, ring, frames, cmds, pieces).size(), frames.size());
  const auto sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), expected.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i].data, expected[i]) << i;
  EXPECT_EQ(dev.Read32(csr::csum::kBase + csr::csum::kTxErrors), 0u);
}

TEST_F(ModelTest, SegmentationGivesSegmentFramesBytesAndTsharkAgrees) {
  Options o;
  o.pcap_out = TempPath("tso");
  Device& dev = Watch(OpenModel(o));
  TxRing ring(dev, 1, 7);
  ring.Start();
  std::mt19937_64 rng(13);
  std::vector<Frame> frames;
  std::vector<hw::TxOffloadCmd> cmds;
  std::vector<size_t> pieces;
  std::vector<Frame> expected;
  std::vector<bool> ipv6;
  std::vector<hw::SegKind> kinds;
  size_t segs = 0;
  for (int i = 0; i < 40; ++i) {
    const rtltest::SegCase c =
        rtltest::RandomSegCase(rng, {.max_payload = 40000, .max_segments = 48});
    frames.push_back(c.frame);
    cmds.push_back(SegCmd(c.req));
    // Up to 16 descriptors, none longer than a jumbo cluster.
    pieces.push_back(std::max<size_t>(1 + rng() % 8, (c.frame.size() + 16000) / 16001));
    std::vector<Frame> out;
    ASSERT_EQ(SegmentFrame(c.frame, c.req, &out), hw::SegErr::kNone);
    for (Frame& f : out) {
      ipv6.push_back(c.req.ipv6);
      kinds.push_back(c.req.kind);
      expected.push_back(std::move(f));
    }
    segs += out.size();
  }
  const std::vector<hw::TxCpl> cpls = SendAll(dev, ring, frames, cmds, pieces);
  ASSERT_EQ(cpls.size(), frames.size());
  for (size_t i = 0; i < cpls.size(); ++i) {
    std::vector<Frame> out;
    SegmentFrame(frames[i], SegRequest::FromCmd(cmds[i].seg()), &out);
    EXPECT_EQ(cpls[i].err(), hw::TxErr::kNone);
    EXPECT_EQ(cpls[i].segs(), out.size());
  }
  const auto sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), expected.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i].data, expected[i]) << "segment " << i;
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kRequests), frames.size());
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kSegments), segs);
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kErrors), 0u);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kTxFrames), segs);

  // tshark reads the capture the wire wrote and checks every checksum itself.
  Close(dev);
  if (!rtltest::TsharkAvailable()) GTEST_SKIP() << "tshark is not installed";
  const rtltest::TsharkResult ts = rtltest::CheckChecksums(o.pcap_out);
  ASSERT_EQ(ts.size(), expected.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ts[i].ip, ipv6[i] ? rtltest::kTsharkAbsent : rtltest::kTsharkGood);
    EXPECT_EQ(kinds[i] == hw::SegKind::kTcp ? ts[i].tcp : ts[i].udp, rtltest::kTsharkGood);
  }
  std::remove(o.pcap_out.c_str());
}

TEST_F(ModelTest, ChecksumEngineOffSendsCommandsUndone) {
  Device& dev = Watch(OpenModel());
  MgmtWrite(dev, csr::csum::kBase + csr::csum::kCtrl, csr::csum::ctrl::kRxEnableMask);
  TxRing ring(dev, 0, 4);
  ring.Start();
  std::mt19937_64 rng(14);
  FrameSpec s;
  s.payload_len = 3000;
  const TxCase t = MakeTxCase(s);
  const rtltest::SegCase c = rtltest::MakeSegCase(s, hw::SegKind::kTcp, 1000);
  ASSERT_EQ(SendAll(dev, ring, {t.seeded, c.frame}, {CsumCmd(t), SegCmd(c.req)}, {1, 1}).size(),
            2u);
  const auto sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].data, t.seeded);  // the command is ignored
  // Segments keep the segmenter's fields but the checksums the request carried.
  std::vector<Frame> out;
  SegmentFrame(c.frame, c.req, &out);
  const size_t l4 = size_t{c.req.l2hlen} + c.req.l3hlen;
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(sent[1 + i].data.size(), out[i].size());
    Frame want = out[i];
    std::memcpy(want.data() + l4 + 16, c.frame.data() + l4 + 16, 2);
    std::memcpy(want.data() + c.req.l2hlen + 10, c.frame.data() + c.req.l2hlen + 10, 2);
    EXPECT_EQ(sent[1 + i].data, want);
  }
}

TEST_F(ModelTest, QueuesTakeTurnsFrameByFrame) {
  Device& dev = Watch(OpenModel());
  TxRing a(dev, 1, 5), b(dev, 6, 5);
  a.Start();
  b.Start();
  FrameSpec s;
  s.payload_len = 100;
  for (int i = 0; i < 10; ++i) {
    s.src_port = static_cast<uint16_t>(1000 + i);  // queue 1's frames
    a.PostFrame(rtltest::BuildFrame(s), {}, 1 + i % 3);
    s.src_port = static_cast<uint16_t>(2000 + i);  // queue 6's
    b.PostFrame(rtltest::BuildFrame(s));
  }
  a.Doorbell();
  b.Doorbell();
  dev.Run(20000);
  EXPECT_EQ(a.Poll().size(), 10u);
  EXPECT_EQ(b.Poll().size(), 10u);
  const auto sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), 20u);
  // Frames alternate between the queues (whichever had its descriptors first starts), each
  // queue's in its own order.
  auto src_port = [&](size_t i) {  // TCP source port, after 14 + 20 header bytes
    return (sent[i].data[34] << 8) | sent[i].data[35];
  };
  int next[2] = {1000, 2000};
  const size_t first = src_port(0) >= 2000 ? 1 : 0;
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(src_port(i), next[(first + i) % 2]++) << i;
  // Each queue's interrupt vector is its own.
  std::vector<uint32_t> irqs = dev.TakeInterrupts();
  std::sort(irqs.begin(), irqs.end());
  EXPECT_EQ(irqs, (std::vector<uint32_t>{1, 6}));
}

// ==== Transmit errors ===========================================================================

TEST_F(ModelTest, FrameErrorsGiveErrorCompletionsAndTheQueueGoesOn) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 4, 6);
  ring.Start();
  FrameSpec s;
  s.payload_len = 200;
  const Frame good = rtltest::BuildFrame(s);

  // 1. A descriptor of length 0 in a two-descriptor frame.
  auto zb = std::make_unique<DmaBuf>();
  hw::TxDesc z{};
  z.set_addr(zb->bus()).set_len(0);
  std::vector<std::unique_ptr<DmaBuf>> keep;
  keep.push_back(std::move(zb));
  ring.Put(z, std::move(keep));
  ring.PostFrame(good);
  // 2. A good frame.
  ring.PostFrame(good);
  // 3. Seventeen descriptors without eop: the first 16 are one dropped frame; the 17th (with
  // eop) is a frame of its own.
  for (int i = 0; i < 17; ++i) {
    auto b = std::make_unique<DmaBuf>();
    std::memcpy(b->va(), good.data(), 64);
    hw::TxDesc t{};
    t.set_addr(b->bus()).set_len(64).set_eop(i == 16);
    std::vector<std::unique_ptr<DmaBuf>> k;
    k.push_back(std::move(b));
    ring.Put(t, std::move(k));
  }
  // 4. A frame longer than max_frame (9217 bytes in two descriptors).
  ring.PostFrame(Frame(9217, 0x5a), {}, 2);
  // 5. A read error on the frame's data: injected on its buffer.
  ring.PostFrame(good);
  hw::TxDesc last;
  std::memcpy(last.bytes.data(), ring.ring_va() + size_t{(ring.prod() - 1) & 63} * 32, 32);
  dev.memory()->InjectError(last.addr(), last.len(), 1, true, false);
  // 6. A segmentation request the segmenter refuses (mss 0).
  const rtltest::SegCase c = rtltest::MakeSegCase(s, hw::SegKind::kTcp, 100);
  SegRequest bad = c.req;
  bad.mss = 0;
  ring.PostFrame(c.frame, SegCmd(bad));
  // 7. A good frame after all that.
  ring.PostFrame(good);
  ring.Doorbell();
  std::vector<hw::TxCpl> cpls;
  ASSERT_TRUE(RunUntil(dev, [&] {
    for (const auto& c2 : ring.Poll()) cpls.push_back(c2);
    return cpls.size() >= 8;
  }));
  ASSERT_EQ(cpls.size(), 8u);
  EXPECT_EQ(cpls[0].err(), hw::TxErr::kDescLen);
  EXPECT_EQ(cpls[0].descs(), 2u);
  EXPECT_EQ(cpls[0].segs(), 0u);
  EXPECT_EQ(cpls[1].err(), hw::TxErr::kNone);
  EXPECT_EQ(cpls[2].err(), hw::TxErr::kDescCount);
  EXPECT_EQ(cpls[2].descs(), 16u);
  EXPECT_EQ(cpls[2].desc_index(), 18u);
  EXPECT_EQ(cpls[3].err(), hw::TxErr::kNone);  // the 17th descriptor, alone
  EXPECT_EQ(cpls[3].desc_index(), 19u);
  EXPECT_EQ(cpls[4].err(), hw::TxErr::kDescLen);
  EXPECT_EQ(cpls[5].err(), hw::TxErr::kDma);
  EXPECT_EQ(cpls[5].segs(), 0u);
  EXPECT_EQ(cpls[6].err(), hw::TxErr::kSeg);
  EXPECT_EQ(cpls[6].seg_err(), hw::SegErr::kMss);
  EXPECT_EQ(cpls[7].err(), hw::TxErr::kNone);

  const auto sent = dev.wire()->TakeSent();
  ASSERT_EQ(sent.size(), 3u);  // frames 2, the lone 17th descriptor, and 7
  EXPECT_EQ(sent[0].data, good);
  EXPECT_EQ(sent[1].data, Frame(good.begin(), good.begin() + 64));
  EXPECT_EQ(sent[2].data, good);
  const uint32_t b = csr::txq::Base(4);
  EXPECT_EQ(dev.Read32(b + csr::txq::kPackets), 3u);
  EXPECT_EQ(dev.Read32(b + csr::txq::kErrors), 5u);
  EXPECT_EQ(dev.Read32(b + csr::txq::kDrops), 5u);
  EXPECT_TRUE(Running(dev, b));
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kDmaRdErr), 1u);
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kErrors), 1u);
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kLastErr),
            static_cast<uint32_t>(hw::SegErr::kMss));
  // The clear pulse zeroes the counters but keeps the record of the last refusal.
  MgmtWrite(dev, csr::tso::kBase + csr::tso::kClear, csr::tso::clear::kCountersMask);
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kErrors), 0u);
  EXPECT_EQ(dev.Read32(csr::tso::kBase + csr::tso::kLastErr),
            static_cast<uint32_t>(hw::SegErr::kMss));
}

TEST_F(ModelTest, BadDescriptorAddressesAreViolationsAnsweredAsDmaErrors) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 0, 4);
  ring.Start();
  FrameSpec s;
  const Frame good = rtltest::BuildFrame(s);
  // Outside the arena.
  hw::TxDesc out{};
  out.set_addr(0x1000).set_len(100).set_eop(true);
  ring.Put(out);
  // Inside the arena, but the host rewrote the descriptor after ringing the doorbell: the card
  // reads a buffer the posted descriptor did not name.
  ring.PostFrame(good);
  ring.PostFrame(good);
  ring.Doorbell();
  DmaBuf other;
  hw::TxDesc swapped{};
  swapped.set_addr(other.bus()).set_len(100).set_eop(true);
  std::memcpy(ring.ring_va() + 2 * 32, swapped.bytes.data(), 32);
  std::vector<hw::TxCpl> cpls;
  ASSERT_TRUE(RunUntil(dev, [&] {
    for (const auto& c : ring.Poll()) cpls.push_back(c);
    return cpls.size() >= 3;
  }));
  EXPECT_EQ(cpls[0].err(), hw::TxErr::kDma);
  EXPECT_EQ(cpls[1].err(), hw::TxErr::kNone);
  EXPECT_EQ(cpls[2].err(), hw::TxErr::kDma);
  const auto& v = dev.memory()->violations();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NE(v[0].find("outside the DMA arena"), std::string::npos) << v[0];
  EXPECT_NE(v[1].find("not a posted descriptor or a buffer one names"), std::string::npos) << v[1];
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kDmaRdErr), 2u);
  EXPECT_EQ(dev.wire()->TakeSent().size(), 1u);

  // A receive buffer outside the arena: the data write is refused, the completion says so.
  RxRing rx(dev, 0, 4);
  rx.Start();
  rx.PostAt(0x2000, 2048);
  rx.Doorbell();
  dev.wire()->Inject(good, dev.Now());
  std::vector<RxGot> got;
  ASSERT_TRUE(RunUntil(dev, [&] {
    for (auto& g : rx.Poll()) got.push_back(std::move(g));
    return !got.empty();
  }));
  EXPECT_TRUE(got[0].cpl.err_dma());
  EXPECT_EQ(got[0].cpl.len(), good.size());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_NE(v[2].find("write of"), std::string::npos) << v[2];
  EXPECT_NE(v[2].find("outside the DMA arena"), std::string::npos) << v[2];
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kDmaWrErr), 1u);
  dev.memory()->ClearViolations();  // provoked on purpose
}

// A buffer in the last burst below 2^64 (desc_fuzz found one): the read is refused and
// answered as a DMA error, and the card goes on.  The burst loop once wrapped to address 0 there
// and read on for ever.
TEST_F(ModelTest, ABufferAtTheTopOfTheBusIsADmaErrorNotAHang) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 0, 4);
  ring.Start();
  hw::TxDesc top{};
  top.set_addr(~uint64_t{0} - 0x1005).set_len(100).set_eop(true);
  ring.Put(top);
  ring.PostFrame(rtltest::BuildFrame(FrameSpec{}));
  ring.Doorbell();
  std::vector<hw::TxCpl> cpls;
  ASSERT_TRUE(RunUntil(dev, [&] {
    for (const auto& c : ring.Poll()) cpls.push_back(c);
    return cpls.size() >= 2;
  }));
  EXPECT_EQ(cpls[0].err(), hw::TxErr::kDma);
  EXPECT_EQ(cpls[1].err(), hw::TxErr::kNone);
  ASSERT_FALSE(dev.memory()->violations().empty());
  EXPECT_NE(dev.memory()->violations()[0].find("outside the DMA arena"), std::string::npos);
  dev.memory()->ClearViolations();  // provoked on purpose
}

TEST_F(ModelTest, DisablingAQueueStopsItsWritesAtOnce) {
  Device& dev = Watch(OpenModel());
  TxRing ring(dev, 0, 6);
  ring.Start();
  std::mt19937_64 rng(15);
  for (int i = 0; i < 40; ++i) {
    ring.PostFrame(rtltest::BuildFrame(rtltest::RandomSpec(rng, {.max_frame_len = 9216})));
  }
  ring.Doorbell();
  dev.Run(1500);
  const size_t before = ring.Poll().size();
  EXPECT_GT(before, 0u);
  EXPECT_LT(before, 40u);
  MgmtWrite(dev, csr::txq::Base(0) + csr::txq::kCtrl, 0);
  const std::vector<uint8_t> snapshot(ring.cpl_va(), ring.cpl_va() + 64 * hw::TxCpl::kBytes);
  dev.Run(100000);
  EXPECT_EQ(std::vector<uint8_t>(ring.cpl_va(), ring.cpl_va() + 64 * hw::TxCpl::kBytes), snapshot);
  EXPECT_FALSE(Running(dev, csr::txq::Base(0)));
  EXPECT_EQ(StatusErr(dev, csr::txq::Base(0)), hw::QueueErr::kNone);
  // Frames already gathered may still leave; no frame is sent twice or made up.
  EXPECT_LE(dev.wire()->TakeSent().size(), 40u);
}

// 64-bit byte counters: the high word is latched when the low word is read, so a reader that
// reads low then high sees one value even while the counter moves.  Takes 4 GiB of traffic:
// 65 600 segmentation requests of 65 535 payload bytes, from the same buffers every time.
TEST_F(ModelTest, ByteCountersCarryIntoTheHighWordAndLatchIt) {
  Options o;
  o.link_gbps = 0;  // as fast as the card goes
  Device& dev = Watch(OpenModel(o));
  TxRing ring(dev, 0, 9);
  ring.Start();
  FrameSpec s;
  s.payload_len = 65535;
  const rtltest::SegCase c = rtltest::MakeSegCase(s, hw::SegKind::kTcp, 9000);
  const Frame& f = c.frame;
  constexpr size_t kPieces = 5;
  std::vector<std::unique_ptr<DmaBuf>> bufs;
  std::vector<hw::TxDesc> descs;
  for (size_t i = 0, off = 0; i < kPieces; ++i) {
    const size_t n = (f.size() - off) / (kPieces - i);
    bufs.push_back(std::make_unique<DmaBuf>());
    std::memcpy(bufs.back()->va(), f.data() + off, n);
    hw::TxDesc d{};
    d.set_addr(bufs.back()->bus()).set_len(static_cast<uint16_t>(n)).set_eop(i + 1 == kPieces);
    if (i == 0) d.set_cmd(SegCmd(c.req));
    descs.push_back(d);
    off += n;
  }
  const uint32_t b = csr::txq::Base(0);
  const uint64_t frames_to_4g = (uint64_t{1} << 32) / f.size() + 1;
  uint64_t posted = 0, done = 0;
  uint32_t lo_early = 0;
  auto send = [&](uint64_t until) {
    while (done < until) {
      bool any = false;
      while (posted < until && ring.Free() >= kPieces) {
        for (const hw::TxDesc& d : descs) ring.Put(d);
        ++posted;
        any = true;
      }
      if (any) ring.Doorbell();
      // Short steps: the wire keeps what it sent until asked, and freeing little at a time
      // spares the allocator from giving memory back to the system on every step.
      dev.Run(1000);
      done += ring.Poll().size();
      dev.wire()->TakeSent();
    }
  };
  send(frames_to_4g - 10);
  EXPECT_EQ(dev.Read32(b + csr::txq::kBytesHi), 0u);
  lo_early = dev.Read32(b + csr::txq::kBytesLo);  // latches high = 0
  EXPECT_EQ(lo_early, (frames_to_4g - 10) * f.size());
  send(frames_to_4g + 10);
  // Not read low since: still the high word of the earlier read.
  EXPECT_EQ(dev.Read32(b + csr::txq::kBytesHi), 0u);
  const uint32_t lo = dev.Read32(b + csr::txq::kBytesLo);
  const uint32_t hi = dev.Read32(b + csr::txq::kBytesHi);
  EXPECT_EQ((uint64_t{hi} << 32) | lo, (frames_to_4g + 10) * f.size());
  EXPECT_EQ(hi, 1u);
  EXPECT_EQ(dev.Read32(b + csr::txq::kPackets), frames_to_4g + 10);
  // The port counts wire bytes: the segments, headers repeated.
  const uint32_t plo = dev.Read32(csr::port::kBase + csr::port::kTxBytesLo);
  const uint32_t phi = dev.Read32(csr::port::kBase + csr::port::kTxBytesHi);
  std::vector<Frame> segs;
  SegmentFrame(f, c.req, &segs);
  uint64_t seg_bytes = 0;
  for (const Frame& x : segs) seg_bytes += x.size();
  EXPECT_EQ((uint64_t{phi} << 32) | plo, (frames_to_4g + 10) * seg_bytes);
  // The clear pulse zeroes both words.
  MgmtWrite(dev, csr::port::kBase + csr::port::kClear, csr::port::clear::kCountersMask);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kTxBytesLo), 0u);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kTxBytesHi), 0u);
}

TEST_F(ModelTest, RingStateErrorsStopTheQueueUntilReEnabled) {
  Device& dev = Watch(OpenModel());
  DmaBuf mem;
  const uint64_t base = mem.bus() + mem.aligned_off();
  const uint32_t b = csr::txq::Base(1);

  BringUp(dev, b, base + 32, base + 4096, 4);  // ring not 64-byte aligned
  EXPECT_FALSE(Running(dev, b));
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kRingAlign);
  MgmtWrite(dev, b + csr::txq::kCtrl, 0);
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kNone);  // disabling clears status

  BringUp(dev, b, base, base + 4096, 0);  // log2 0
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kSize);
  MgmtWrite(dev, b + csr::txq::kCtrl, 0);
  BringUp(dev, b, base, base + 4096, 4);
  EXPECT_TRUE(Running(dev, b));
  dev.Write32(b + csr::txq::kProd, 16);  // not below the ring size
  EXPECT_FALSE(Running(dev, b));
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kProd);
  MgmtWrite(dev, b + csr::txq::kCtrl, 0);

  // A descriptor read answered with an error.
  TxRing ring(dev, 1, 4);
  ring.Start();
  EXPECT_TRUE(Running(dev, b));
  FrameSpec s;
  ring.PostFrame(rtltest::BuildFrame(s));
  dev.memory()->InjectError(ring.ring_bus(), 32, 1, true, false);
  ring.Doorbell();
  dev.Run(2000);
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kDescDma);
  EXPECT_TRUE(ring.Poll().empty());
  EXPECT_TRUE(dev.wire()->TakeSent().empty());

  // A completion write answered with an error.
  MgmtWrite(dev, b + csr::txq::kCtrl, 0);
  TxRing ring2(dev, 1, 4);
  ring2.Start();
  dev.memory()->InjectError(ring2.cpl_bus(), 8, 1, false, true);
  ring2.PostFrame(rtltest::BuildFrame(s));
  ring2.PostFrame(rtltest::BuildFrame(s));
  ring2.Doorbell();
  dev.Run(5000);
  EXPECT_EQ(StatusErr(dev, b), hw::QueueErr::kCplDma);
  EXPECT_TRUE(ring2.Poll().empty());  // nothing written after the failed completion
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kDmaWrErr), 1u);

  // Re-enabled, the queue works from index 0 again.
  MgmtWrite(dev, b + csr::txq::kCtrl, 0);
  TxRing ring3(dev, 1, 4);
  ring3.Start();
  ring3.PostFrame(rtltest::BuildFrame(s));
  ring3.Doorbell();
  ASSERT_TRUE(RunUntil(dev, [&] { return !ring3.Poll().empty(); }));
  EXPECT_TRUE(Running(dev, b));
}

// ==== Receive ===================================================================================

TEST_F(ModelTest, LoopbackDeliversFramesWithChecksumVerdictsAndVlanTags) {
  Options o;
  o.loopback = true;
  Device& dev = Watch(OpenModel(o));
  MgmtWrite(dev, csr::port::kBase + csr::port::kCtrl, 3);  // every frame to rxq 3
  // Jumbo frames: the port's MTU at its largest (the firmware starts the card at 1500).
  MgmtWrite(dev, csr::port::kBase + csr::port::kMtu, 9216 - 18);
  TxRing tx(dev, 0, 6);
  RxRing rx(dev, 3, 7);
  tx.Start();
  rx.Start();
  // Small buffers: big frames take several, up to rx_max_bufs.
  for (int i = 0; i < 127; ++i) rx.Post(i % 2 ? 2048 : 1000);
  rx.Doorbell();

  std::mt19937_64 rng(21);
  std::vector<Frame> frames, expected;
  std::vector<hw::TxOffloadCmd> cmds;
  std::vector<size_t> pieces;
  std::vector<std::vector<rtltest::VlanTag>> vlans;
  for (int i = 0; i < 40; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng, {.max_frame_len = 9000});
    if (s.l3 == rtltest::L3Kind::kNone) s.l3 = rtltest::L3Kind::kIpv6;
    if (i % 3 == 0) s.vlans = {{rtltest::kTpidCustomer, static_cast<uint16_t>(0x2000 + i)}};
    if (i % 3 == 1) s.vlans.clear();
    vlans.push_back(s.vlans);
    const TxCase t = MakeTxCase(s);
    frames.push_back(t.seeded);
    cmds.push_back(CsumCmd(t));
    pieces.push_back(1);
    expected.push_back(t.expected);
  }
  ASSERT_EQ(SendAll(dev, tx, frames, cmds, pieces).size(), frames.size());
  std::vector<RxGot> got;
  ASSERT_TRUE(RunUntil(dev, [&] {
    for (auto& g : rx.Poll()) got.push_back(std::move(g));
    return got.size() >= frames.size();
  }));
  ASSERT_EQ(got.size(), frames.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    const hw::RxCpl& c = got[i].cpl;
    EXPECT_EQ(got[i].data, expected[i]);
    EXPECT_EQ(c.len(), expected[i].size());
    EXPECT_FALSE(c.err_desc());
    EXPECT_FALSE(c.err_dma());
    // Buffers alternate 1000 and 2048 bytes from an even index.
    EXPECT_GE(c.bufs(), (expected[i].size() + 2047) / 2048);
    EXPECT_EQ(c.csum(), ClassifyRxChecksums(expected[i]));
    const rtltest::RxCsumRef ref = rtltest::ClassifyRx(expected[i]);
    if (ref.l4_calc) {
      EXPECT_TRUE(c.csum().l4_valid());
    }
    // The outer tag, C or S, whatever the frame generator chose (i % 3 == 1: none).
    EXPECT_EQ(c.vlan(), !vlans[i].empty());
    if (!vlans[i].empty()) {
      EXPECT_EQ(c.vlan_tci(), vlans[i].front().tci);
    }
    bytes += expected[i].size();
  }
  const uint32_t b = csr::rxq::Base(3);
  EXPECT_EQ(dev.Read32(b + csr::rxq::kPackets), frames.size());
  EXPECT_EQ(dev.Read32(b + csr::rxq::kBytesLo), bytes);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kRxFrames), frames.size());
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kRxBytesLo), bytes);
  EXPECT_EQ(dev.Read32(csr::csum::kBase + csr::csum::kRxFrames), frames.size());
  EXPECT_EQ(dev.Read32(csr::csum::kBase + csr::csum::kRxL4Bad), 0u);
}

TEST_F(ModelTest, ReceiveDropsFollowTheContract) {
  Device& dev = Watch(OpenModel());
  sim::Wire& w = *dev.wire();
  FrameSpec s;
  s.payload_len = 1000;
  const Frame f = rtltest::BuildFrame(s);
  const uint32_t b = csr::rxq::Base(0);
  const uint32_t port = csr::port::kBase;

  // The queue is not running: dropped for want of buffers.
  w.Inject(f, dev.Now());
  dev.Run(1000);
  EXPECT_EQ(dev.Read32(port + csr::port::kRxDropNobuf), 1u);
  EXPECT_EQ(dev.Read32(b + csr::rxq::kDrops), 1u);

  RxRing rx(dev, 0, 6);
  rx.Start();
  // Running, but no buffer posted.
  w.Inject(f, dev.Now());
  dev.Run(1000);
  EXPECT_EQ(dev.Read32(port + csr::port::kRxDropNobuf), 2u);
  EXPECT_EQ(dev.Read32(b + csr::rxq::kDrops), 2u);

  // Bad frames: marked by the MAC, shorter than 14 bytes, longer than max_frame, or needing
  // more than rx_max_bufs buffers (16 buffers of 64 bytes hold 1024 bytes).
  for (int i = 0; i < 16; ++i) rx.Post(64);
  rx.Doorbell();
  w.Inject(f, dev.Now(), true);
  w.Inject(Frame(13, 1), dev.Now());
  w.Inject(Frame(9217, 1), dev.Now());
  w.Inject(f, dev.Now());
  dev.Run(5000);
  EXPECT_EQ(dev.Read32(port + csr::port::kRxDropBad), 4u);
  EXPECT_EQ(dev.Read32(b + csr::rxq::kDrops), 2u);
  EXPECT_EQ(dev.Read32(port + csr::port::kRxFrames), 6u);
  EXPECT_TRUE(rx.Poll().empty());

  // A frame that fits takes one of the posted buffers.
  Frame small(60, 0);
  std::copy(f.begin(), f.begin() + 60, small.begin());
  w.Inject(small, dev.Now());
  dev.Run(2000);
  auto got = rx.Poll();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].cpl.bufs(), 1u);
  EXPECT_EQ(got[0].data, small);
  EXPECT_EQ(dev.Read32(b + csr::rxq::kCons), 1u);  // the bad frame took no buffer
}

TEST_F(ModelTest, ZeroLengthBuffersComeBackAloneAndWriteErrorsAreReported) {
  Device& dev = Watch(OpenModel());
  sim::Wire& w = *dev.wire();
  RxRing rx(dev, 0, 5);
  rx.Start();
  rx.Post(0);
  rx.Post(4000);
  rx.Post(4000);
  rx.Doorbell();
  FrameSpec s;
  s.payload_len = 500;
  const Frame f = rtltest::BuildFrame(s);
  w.Inject(f, 10);
  dev.Run(3000);
  auto got = rx.Poll();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].cpl.err_desc());
  EXPECT_EQ(got[0].cpl.bufs(), 1u);
  EXPECT_EQ(got[0].cpl.len(), 0u);
  EXPECT_EQ(got[0].cpl.desc_index(), 0u);
  EXPECT_FALSE(got[1].cpl.err_desc());
  EXPECT_EQ(got[1].cpl.desc_index(), 1u);
  EXPECT_EQ(got[1].data, f);

  // A write error on the next frame's data: err_dma, and the queue goes on.
  uint8_t* desc = rx.ring_va() + 2 * hw::RxDesc::kBytes;
  hw::RxDesc rd;
  std::memcpy(rd.bytes.data(), desc, hw::RxDesc::kBytes);
  dev.memory()->InjectError(rd.addr(), 1, 1, false, true);
  w.Inject(f, dev.Now());
  dev.Run(3000);
  got = rx.Poll();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].cpl.err_dma());
  EXPECT_TRUE(Running(dev, csr::rxq::Base(0)));
  EXPECT_EQ(dev.Read32(csr::rxq::Base(0) + csr::rxq::kErrors), 2u);
  EXPECT_EQ(dev.Read32(csr::rxq::Base(0) + csr::rxq::kPackets), 1u);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kDmaWrErr), 1u);
}

// A length-0 buffer after the first buffer a frame would use ends the walk: the frame is
// dropped for want of buffers (a completion never covers a length-0 buffer, as in nic_rx_plan),
// and the length-0 buffer comes back alone when it reaches the head.
TEST_F(ModelTest, ZeroLengthBufferInsideAFrameDropsTheFrame) {
  Device& dev = Watch(OpenModel());
  sim::Wire& w = *dev.wire();
  RxRing rx(dev, 0, 5);
  rx.Start();
  rx.Post(512);
  rx.Post(0);
  rx.Post(4000);
  rx.Doorbell();
  FrameSpec s;
  s.payload_len = 1000;  // needs more than the first buffer
  w.Inject(rtltest::BuildFrame(s), 10);
  s.payload_len = 300;  // fits the first buffer
  const Frame small = rtltest::BuildFrame(s);
  w.Inject(small, 10);
  w.Inject(small, 10);
  dev.Run(5000);
  const auto got = rx.Poll();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].cpl.desc_index(), 0u);
  EXPECT_EQ(got[0].data, small);
  EXPECT_TRUE(got[1].cpl.err_desc());
  EXPECT_EQ(got[1].cpl.desc_index(), 1u);
  EXPECT_EQ(got[2].cpl.desc_index(), 2u);
  EXPECT_EQ(got[2].data, small);
  EXPECT_EQ(dev.Read32(csr::port::kBase + csr::port::kRxDropNobuf), 1u);
}

TEST_F(ModelTest, ReceiveChecksumEngineOffReportsNothingChecked) {
  Device& dev = Watch(OpenModel());
  RxRing rx(dev, 0, 4);
  rx.Start();
  for (int i = 0; i < 4; ++i) rx.Post(2048);
  rx.Doorbell();
  FrameSpec s;
  s.vlans = {{rtltest::kTpidService, 0x0abc}};
  s.payload_len = 300;
  const Frame f = rtltest::BuildFrame(s);
  dev.wire()->Inject(f, 0);
  dev.Run(2000);
  MgmtWrite(dev, csr::csum::kBase + csr::csum::kCtrl, csr::csum::ctrl::kTxEnableMask);
  dev.wire()->Inject(f, dev.Now());
  dev.Run(2000);
  const auto got = rx.Poll();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].cpl.csum().l4_valid());
  EXPECT_TRUE(got[0].cpl.csum().l3_valid());
  EXPECT_EQ(got[1].cpl.csum(), hw::RxCsumResult{});
  // The VLAN tag is the receive path's, not the checksum engine's: still reported.
  EXPECT_TRUE(got[1].cpl.vlan());
  EXPECT_EQ(got[1].cpl.vlan_tci(), 0x0abc);
  EXPECT_EQ(got[1].data, f);
  EXPECT_EQ(dev.Read32(csr::csum::kBase + csr::csum::kRxFrames), 2u);
}

TEST_F(ModelTest, ReceiveCompletionsCarryPhaseAcrossWraps) {
  Device& dev = Watch(OpenModel());
  MgmtWrite(dev, csr::port::kBase + csr::port::kMtu, 9216 - 18);  // jumbo frames pass
  RxRing rx(dev, 0, 3);                                           // 8 entries
  rx.Start();
  std::mt19937_64 rng(23);
  std::vector<Frame> sent;
  std::vector<RxGot> got;
  for (int round = 0; round < 10; ++round) {
    while (rx.Free() > 0) rx.Post(9216);
    rx.Doorbell();
    for (int i = 0; i < 5; ++i) {
      sent.push_back(rtltest::BuildFrame(rtltest::RandomSpec(rng, {.max_frame_len = 9216})));
      dev.wire()->Inject(sent.back(), dev.Now());
    }
    dev.Run(20000);
    for (auto& g : rx.Poll()) got.push_back(std::move(g));
  }
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, sent[i]) << i;
}

// ==== Interrupts ================================================================================

TEST_F(ModelTest, InterruptsFireAtThePacketThresholdAndWaitForTheArm) {
  Device& dev = Watch(OpenModel());
  const uint32_t b = csr::rxq::Base(2);
  MgmtWrite(dev, csr::port::kBase + csr::port::kCtrl, 2);
  MgmtWrite(dev, b + csr::rxq::kIrq, 4);  // every 4 completions
  RxRing rx(dev, 2, 6);
  rx.Start();
  for (int i = 0; i < 60; ++i) rx.Post(2048);
  rx.Doorbell();
  FrameSpec s;
  const Frame f = rtltest::BuildFrame(s);
  auto inject = [&](int n) {
    for (int i = 0; i < n; ++i) dev.wire()->Inject(f, dev.Now());
    dev.Run(5000);
  };
  // Armed out of reset: the fourth completion fires, then the interrupt is disarmed.
  inject(3);
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  inject(1);
  EXPECT_EQ(dev.TakeInterrupts(), std::vector<uint32_t>{kNumTxQ + 2});
  inject(8);
  EXPECT_TRUE(dev.TakeInterrupts().empty());  // not armed
  // Arming with the threshold already met fires at once: nothing written before is lost.
  dev.Write32(b + csr::rxq::kIrq, 4 | csr::rxq::irq::kArmMask);
  EXPECT_EQ(dev.TakeInterrupts(), std::vector<uint32_t>{kNumTxQ + 2});
  EXPECT_EQ(dev.Read32(b + csr::rxq::kIrq), 4u);  // arm reads 0
  dev.Write32(b + csr::rxq::kIrq, 4 | csr::rxq::irq::kArmMask);
  inject(3);
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  inject(1);
  EXPECT_EQ(dev.TakeInterrupts().size(), 1u);
  EXPECT_EQ(rx.Poll().size(), 16u);
}

TEST_F(ModelTest, TheModerationTimerFiresAfterItsCycles) {
  Device& dev = Watch(OpenModel());
  const uint32_t b = csr::txq::Base(5);
  MgmtWrite(dev, b + csr::txq::kIrq, 100);       // more than will come
  MgmtWrite(dev, b + csr::txq::kIrqTime, 5000);  // 20 us
  TxRing tx(dev, 5, 4);
  tx.Start();
  FrameSpec s;
  tx.PostFrame(rtltest::BuildFrame(s));
  tx.Doorbell();
  // Cycle by cycle until the completion is in the ring: it was written in the last cycle.
  for (int i = 0; i < 100000 && tx.Poll().empty(); ++i) dev.Run(1);
  const uint64_t cpl_seen = dev.Now();
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  dev.Run(4990);
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  dev.Run(20);
  EXPECT_EQ(dev.TakeInterrupts(), std::vector<uint32_t>{5});
  EXPECT_EQ(dev.Now(), cpl_seen + 5010);
}

// As the card's nic_irq_mod: a timer changed from one value that is not 0 to another keeps its
// start, and one that had run out (while the interrupt was disarmed) stays run out.
TEST_F(ModelTest, AChangedTimerKeepsItsStart) {
  Device& dev = Watch(OpenModel());
  const uint32_t b = csr::txq::Base(5);
  MgmtWrite(dev, b + csr::txq::kIrq, 100);  // more than will come
  MgmtWrite(dev, b + csr::txq::kIrqTime, 5000);
  TxRing tx(dev, 5, 4);
  tx.Start();
  FrameSpec s;
  auto send_one = [&] {
    tx.PostFrame(rtltest::BuildFrame(s));
    tx.Doorbell();
    for (int i = 0; i < 100000 && tx.Poll().empty(); ++i) dev.Run(1);
    return dev.Now();
  };
  const uint64_t first = send_one();
  dev.Run(3000);
  MgmtWrite(dev, b + csr::txq::kIrqTime, 4000);  // 1000 cycles left, not 4000
  dev.Run(990);
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  dev.Run(20);
  EXPECT_EQ(dev.TakeInterrupts(), std::vector<uint32_t>{5});
  EXPECT_EQ(dev.Now(), first + 4010);
  // Disarmed now: the next completion's timer runs out unsignalled; made longer, it stays out,
  // so the arm fires at once.
  send_one();
  dev.Run(4100);
  MgmtWrite(dev, b + csr::txq::kIrqTime, 9000);
  dev.Run(10);
  EXPECT_TRUE(dev.TakeInterrupts().empty());
  dev.Write32(b + csr::txq::kIrq, 100 | csr::txq::irq::kArmMask);
  EXPECT_EQ(dev.TakeInterrupts(), std::vector<uint32_t>{5});
}

// ==== Time ======================================================================================

TEST_F(ModelTest, RunsAreReproducibleAndIdleTimeIsSkipped) {
  auto once = [](std::vector<uint64_t>* cycles, std::vector<uint64_t>* cpl_at) {
    auto d = OpenModel();
    TxRing tx(*d, 0, 5);
    tx.Start();
    std::mt19937_64 rng(31);
    for (int i = 0; i < 20; ++i) {
      tx.PostFrame(rtltest::BuildFrame(rtltest::RandomSpec(rng, {.max_frame_len = 9216})));
    }
    tx.Doorbell();
    for (int i = 0; i < 400; ++i) {
      d->Run(100);
      if (!tx.Poll().empty()) cpl_at->push_back(d->Now());
    }
    for (const auto& f : d->wire()->TakeSent()) cycles->push_back(f.cycle);
    EXPECT_TRUE(d->memory()->violations().empty());
    // Nothing left to do: a long run passes in one step.
    EXPECT_EQ(d->Run(1'000'000'000'000), 1'000'000'000'000u);
  };
  std::vector<uint64_t> a, b, ca, cb;
  once(&a, &ca);
  once(&b, &cb);
  ASSERT_EQ(a.size(), 20u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ca, cb);
  // A frame cannot leave before its descriptor and data have crossed PCIe twice (150 cycles of
  // latency each on Gen4).
  EXPECT_GT(a[0], 300u);
}

}  // namespace
}  // namespace mbufnic::device
