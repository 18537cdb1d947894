// The transmit path (rtl/dma/nic_tx_path.sv) against the software twins, through host memory
// and the MAC (tx_path_bench.h): random frames split into 1..16 buffers at random byte offsets
// on several queues, plain or with checksum and segmentation commands, must reach the wire
// byte for byte as the host's software does them (the transmit checksum oracle, SegmentFrame),
// and every completion must be right field by field, phase included across ring wraps.  Error
// cases: zero-length and too long frames, too many descriptors, refused segmentation, read
// errors on data (error completion, nothing on the wire), a descriptor read error (that queue
// stops, the others go on), a completion write error, bad ring set-ups, disable under load.
// Every run is bounded in cycles, and must make no DMA violation and no protocol error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "Vnic_tx_path_w512.h"
#ifdef MBUFNIC_TX_PATH_W64
#include "Vnic_tx_path_w64.h"
#endif
#include "frame_gen.h"
#include "mbufnic/sw_offload.hpp"
#include "seg_gen.h"
#include "tx_oracle.h"
#include "tx_path_bench.h"

namespace mbufnic::rtltest {
namespace {

// The checksum engine's buffer in nic_tx_offload: MaxHdrBytes + MaxMss.
constexpr size_t kCsumBuffer = 256 + 9216;

// Puts the queue and a serial number into the source MAC, so every wire frame can be traced
// to its queue (the checksums do not cover the Ethernet header).
void Stamp(Bytes& f, unsigned q, unsigned serial) {
  if (f.size() < 12) return;
  f[9] = static_cast<uint8_t>(0xA0 + q);
  f[10] = static_cast<uint8_t>(serial >> 8);
  f[11] = static_cast<uint8_t>(serial);
}

// `len` bytes cut into 1..max_parts buffers (at least enough that none exceeds kTxMaxBuf),
// some of them tiny.
std::vector<uint32_t> Split(std::mt19937_64& rng, size_t len, unsigned max_parts) {
  const unsigned lo = static_cast<unsigned>((len + kTxMaxBuf - 1) / kTxMaxBuf);
  const unsigned hi = static_cast<unsigned>(std::min<size_t>(max_parts, len));
  unsigned k = lo + static_cast<unsigned>(rng() % (std::max(hi, lo) - lo + 1));
  if (rng() % 3 == 0) k = lo;  // often one buffer (or the fewest)
  std::vector<uint32_t> parts(k, static_cast<uint32_t>(len / k));
  for (size_t i = 0; i < len % k; ++i) ++parts[i];
  for (unsigned n = 0; n < 2 * k; ++n) {
    const size_t a = rng() % k, b = rng() % k;
    if (a == b || parts[a] <= 1) continue;
    uint32_t move = static_cast<uint32_t>(1 + rng() % (parts[a] - 1));
    move = std::min<uint32_t>(move, static_cast<uint32_t>(kTxMaxBuf) - parts[b]);
    parts[a] -= move;
    parts[b] += move;
  }
  return parts;
}

hw::TxCsumCmd CsumCmd(const TxCmd& c) {
  hw::TxCsumCmd out{};
  const uint64_t v = c.Encode();
  std::memcpy(out.bytes.data(), &v, sizeof v);
  return out;
}

// A frame that is not segmented: a generated frame seeded for checksum offload, with its
// checksum command (or none), as the checksum engine must send it.
TxJob PlainJob(std::mt19937_64& rng, unsigned q, unsigned serial, bool with_csum, bool csum_on,
               unsigned max_parts, size_t max_len = 3000) {
  RandomSpecOptions o;
  o.p_clean = 1.0;
  o.max_frame_len = max_len;
  TxCase t = MakeTxCase(RandomSpec(rng, o));
  TxJob j;
  j.bytes = t.seeded;
  Stamp(j.bytes, q, serial);
  TxCmd c;
  if (with_csum) c = {t.csum_start, t.csum_offset, t.l3_offset, 0, t.l4_en, t.ip4_en, t.udp};
  j.cmd.set_csum(CsumCmd(c));
  j.wire.push_back(csum_on ? TxOracle(j.bytes, c, kCsumBuffer).frame : j.bytes);
  j.split = Split(rng, j.bytes.size(), max_parts);
  j.what = std::string(with_csum ? "plain+csum " : "plain ") + std::to_string(j.bytes.size()) +
           " B in " + std::to_string(j.split.size());
  return j;
}

// Random bytes, no command: the packer's corner cases (1-byte frames, odd lengths).
TxJob RawJob(std::mt19937_64& rng, unsigned q, unsigned serial, size_t len, unsigned max_parts) {
  TxJob j;
  j.bytes.resize(len);
  for (auto& b : j.bytes) b = static_cast<uint8_t>(rng());
  Stamp(j.bytes, q, serial);
  j.wire.push_back(j.bytes);
  j.split = Split(rng, len, max_parts);
  j.what = "raw " + std::to_string(len) + " B in " + std::to_string(j.split.size());
  return j;
}

// A segmentation request and the segments the software twin makes of it.
TxJob SegJob(std::mt19937_64& rng, unsigned q, unsigned serial, unsigned max_parts,
             uint32_t max_payload, uint32_t max_segments) {
  RandomSegOptions o;
  o.max_payload = max_payload;
  o.max_segments = max_segments;
  SegCase c = RandomSegCase(rng, o);
  TxJob j;
  j.bytes = c.frame;
  Stamp(j.bytes, q, serial);
  j.seg_err = SegmentFrame(j.bytes, c.req, &j.wire);
  j.cmd.set_seg(c.req.ToCmd());
  j.split = Split(rng, j.bytes.size(), max_parts);
  j.what = "segmentation " + c.spec.Describe() + " mss " + std::to_string(c.req.mss) + " pay_len " +
           std::to_string(c.req.pay_len) + " in " + std::to_string(j.split.size());
  return j;
}

template <typename Model>
class TxPath : public ::testing::Test {
 protected:
  using Bench = TxPathBench<Model>;
  static constexpr bool kNarrow = Bench::kBeat < 64;
  // The 64-bit model moves a beat of 8 bytes: fewer and smaller frames keep it quick.
  static constexpr unsigned kScale = kNarrow ? 4 : 1;

  static std::string Name(const char* what) {
    return "tx_path_w" + std::to_string(Bench::kBeat * 8) + "_" + what;
  }

  // What every bench must end with: no problem, no violation, no protocol error, every
  // expected frame on the wire and nothing else, events that agree, and idle.
  static void Finish(Bench& b, bool ran, const char* what) {
    EXPECT_TRUE(ran) << what << ": did not finish in its cycle budget (" << b.Pending()
                     << " jobs left) at cycle " << b.cycle();
    b.MatchWire();
    for (const auto& p : b.problems()) ADD_FAILURE() << what << ": " << p;
    for (size_t i = 0; i < std::min<size_t>(5, b.violations().size()); ++i) {
      ADD_FAILURE() << what << ": DMA violation: " << b.violations()[i];
    }
    EXPECT_EQ(b.violations().size(), 0u) << what << ": DMA violations";
    for (const auto& p : b.protocol_log()) ADD_FAILURE() << what << ": " << p;
    EXPECT_EQ(b.protocol_errors(), 0u) << what;
    EXPECT_EQ(b.wire_evts(), b.wire_frames()) << what << ": wire_frame_o pulses";
    EXPECT_EQ(b.wire_evt_bytes(), b.wire_bytes()) << what << ": wire_bytes_o";
    if (ran) {
      EXPECT_TRUE(b.Idle()) << what << ": idle_o at the end";
    }
  }
};

using Models = ::testing::Types<Vnic_tx_path_w512
#ifdef MBUFNIC_TX_PATH_W64
                                ,
                                Vnic_tx_path_w64
#endif
                                >;
TYPED_TEST_SUITE(TxPath, Models);

// Random traffic on all eight queues, rings of 8 to 512 entries: plain frames with and without
// checksum commands, raw frames of 1 to 200 bytes, segmentation requests up to 64 KiB, each in
// 1..16 buffers at any byte offset; once with every handshake stalling at random, once at the
// 100 Gb/s link rate.
TYPED_TEST(TxPath, RandomFramesMatchTheSoftwareTwins) {
  const unsigned log2s[kTxQueues] = {3, 5, 6, 9, 4, 7, 8, 6};
  for (int round = 0; round < 2; ++round) {
    TxBenchOptions o;
    o.seed = 11 + round;
    if (round == 0) {
      o.ar_stall = o.aw_stall = o.w_stall = 20;
      o.mac_stall = 30;
    } else {
      o.link_gbps = 100;
    }
    typename TestFixture::Bench b(TestFixture::Name(("random" + std::to_string(round)).c_str()), o);
    auto& rng = b.rng();
    size_t frames = 0, segments = 0;
    for (unsigned q = 0; q < kTxQueues; ++q) {
      b.Start(q, log2s[q]);
      const unsigned parts = std::min<unsigned>(kTxMaxDescs, (1u << log2s[q]) - 1);
      for (unsigned i = 0; i < 200 / TestFixture::kScale; ++i) {
        const unsigned pick = static_cast<unsigned>(rng() % 40);
        TxJob j;
        if (pick < 18)
          j = PlainJob(rng, q, i, true, true, parts);
        else if (pick < 24)
          j = PlainJob(rng, q, i, false, true, parts);
        else if (pick < 28)
          j = RawJob(rng, q, i, 1 + rng() % 200, parts);
        else if (pick < 39)
          j = SegJob(rng, q, i, parts, TestFixture::kNarrow ? 6000 : 24000, 24);
        else
          j = SegJob(rng, q, i, parts, TestFixture::kNarrow ? 20000 : 65535, 48);
        ASSERT_EQ(j.seg_err, hw::SegErr::kNone) << j.what;
        frames += 1;
        segments += j.wire.size();
        b.Push(q, std::move(j));
      }
    }
    const bool ran = b.Run(8'000'000);
    TestFixture::Finish(b, ran, "random traffic");
    EXPECT_EQ(b.completions(), frames);
    EXPECT_EQ(b.cpl_evts(), frames) << "cpl_evt_o pulses";
    EXPECT_EQ(b.cpl_evt_bytes(), b.good_bytes()) << "cpl_evt_bytes_o";
    for (unsigned q = 0; q < kTxQueues; ++q) {
      EXPECT_EQ(b.cpl_evts(q), b.Completed(q)) << "cpl_evt_queue_o " << q;
    }
    EXPECT_EQ(b.wire_frames(), segments);
    EXPECT_EQ(b.rd_errs(), 0u);
    EXPECT_EQ(b.wr_errs(), 0u);
    if (this->HasFailure()) return;
  }
}

// With the checksum engine off (csum.ctrl.tx_enable = 0) frames leave exactly as the buffers
// hold them, whatever their checksum command says.
TYPED_TEST(TxPath, ChecksumOffSendsTheBytesAsTheyAre) {
  TxBenchOptions o;
  o.seed = 23;
  o.csum_enable = false;
  typename TestFixture::Bench b(TestFixture::Name("csum_off"), o);
  auto& rng = b.rng();
  b.Start(4, 6);
  for (unsigned i = 0; i < 60; ++i) {
    TxJob j = PlainJob(rng, 4, i, true, false, 6);
    ASSERT_EQ(j.wire.front(), j.bytes);
    b.Push(4, std::move(j));
  }
  const bool ran = b.Run(400'000);
  TestFixture::Finish(b, ran, "checksum off");
  EXPECT_EQ(b.Completed(4), 60u);
}

// Tiny rings: 2 entries (one frame of one descriptor at a time) and 4 entries; the phase bit
// must flip on every pass round the completion ring, and desc_index must wrap.
TYPED_TEST(TxPath, CompletionPhaseFlipsAcrossWraps) {
  TxBenchOptions o;
  o.seed = 3;
  typename TestFixture::Bench b(TestFixture::Name("wraps"), o);
  auto& rng = b.rng();
  b.Start(0, 1);
  b.Start(5, 2);
  for (unsigned i = 0; i < 40; ++i) {
    b.Push(0, RawJob(rng, 0, i, 60 + rng() % 100, 1));
    b.Push(5, RawJob(rng, 5, i, 60 + rng() % 300, 3));
  }
  const bool ran = b.Run(400'000);
  TestFixture::Finish(b, ran, "wraps");
  EXPECT_EQ(b.Completed(0), 40u);
  EXPECT_EQ(b.Completed(5), 40u);
  // cons runs on with the ring: after 40 one-descriptor frames on a 2-entry ring it is 0 again.
  EXPECT_EQ(b.Cons(0), 0u);
}

// A completion ring that crosses a 256 KiB boundary of the bus address: the card adds the
// slot to the base's low 18 bits and takes the high bits plus one on a carry.  512 entries
// (4 KiB) from 2 KiB below the boundary, three times round.
TYPED_TEST(TxPath, CompletionRingAcrossA256KiBBoundary) {
  TxBenchOptions o;
  o.seed = 9;
  typename TestFixture::Bench b(TestFixture::Name("across"), o);
  auto& rng = b.rng();
  ASSERT_TRUE(b.Start(3, 9, 0, 0, true)) << "no place across a 256 KiB boundary";
  const uint64_t cpl_bus = b.CplBase(3);
  ASSERT_NE(cpl_bus >> 18, (cpl_bus + 8 * 512 - 1) >> 18) << "the ring does not cross";
  for (unsigned i = 0; i < 1400; ++i) b.Push(3, RawJob(rng, 3, i, 60 + rng() % 100, 1));
  const bool ran = b.Run(2'000'000);
  TestFixture::Finish(b, ran, "across");
  EXPECT_EQ(b.Completed(3), 1400u);
}

// Sixteen descriptors of 100 bytes and no eop: the card's segment limit reached, the frame is
// dropped with a desc_count error completion.
TxJob NoEopJob(std::mt19937_64& rng, unsigned q, unsigned n) {
  TxJob j = RawJob(rng, q, n, 16 * 100, 16);
  j.split.assign(16, 100);
  j.eop = false;
  j.wire.clear();
  j.err = hw::TxErr::kDescCount;
  j.what = "16 descriptors without eop";
  return j;
}

// Descriptor errors between good frames: each bad frame gets its error completion, sends
// nothing, has none of its buffers read, and the queue goes on.
TYPED_TEST(TxPath, BadDescriptorsGiveErrorCompletions) {
  TxBenchOptions o;
  o.seed = 5;
  typename TestFixture::Bench b(TestFixture::Name("bad_desc"), o);
  auto& rng = b.rng();
  b.Start(2, 6);
  unsigned n = 0;
  auto good = [&] { b.Push(2, PlainJob(rng, 2, n++, true, true, 4)); };
  good();
  {  // a zero-length descriptor in the middle
    TxJob j = PlainJob(rng, 2, n++, true, true, 3);
    j.split.insert(j.split.begin() + 1, 0);
    j.wire.clear();
    j.err = hw::TxErr::kDescLen;
    j.what = "zero-length descriptor";
    b.Push(2, std::move(j));
  }
  good();
  {  // one byte longer than MaxFrameBytes
    TxJob j = RawJob(rng, 2, n++, kTxMaxFrame + 1, 3);
    j.wire.clear();
    j.err = hw::TxErr::kDescLen;
    j.what = "9217-byte frame";
    b.Push(2, std::move(j));
  }
  {  // exactly MaxFrameBytes is fine
    TxJob j = RawJob(rng, 2, n++, kTxMaxFrame, 5);
    b.Push(2, std::move(j));
  }
  {  // a segmentation request longer than headers + 65535
    TxJob j = RawJob(rng, 2, n++, kTxMaxSegFrame + 1, 6);
    hw::SegCmd sc{};
    sc.set_kind(hw::SegKind::kTcp).set_mss(1448).set_l2hlen(14).set_l3hlen(20).set_l4hlen(20);
    j.cmd.set_seg(sc);
    j.wire.clear();
    j.err = hw::TxErr::kDescLen;
    j.what = "segmentation request of 65792 bytes";
    b.Push(2, std::move(j));
  }
  good();
  // One dropped frame of sixteen descriptors, then sixteen with eop on the last: fine.
  b.Push(2, NoEopJob(rng, 2, n++));
  {
    TxJob j = RawJob(rng, 2, n++, 16 * 70, 16);
    j.split.assign(16, 70);
    b.Push(2, std::move(j));
  }
  {  // a request the segmenter refuses: error completion seg/mss, nothing sent
    TxJob j = SegJob(rng, 2, n++, 3, 4000, 8);
    hw::SegCmd sc = j.cmd.seg();
    sc.set_mss(0);
    j.cmd.set_seg(sc);
    j.wire.clear();
    j.err = hw::TxErr::kSeg;
    j.seg_err = hw::SegErr::kMss;
    j.what = "segmentation request with mss 0";
    b.Push(2, std::move(j));
  }
  good();
  const bool ran = b.Run(600'000);
  TestFixture::Finish(b, ran, "bad descriptors");
  EXPECT_EQ(b.Completed(2), n);
  EXPECT_EQ(b.cpl_evts(), n);
}

// Sixteen descriptors without an eop as the last thing posted: the frame is judged once the
// sixteenth is stored (the card's segment limit), not when a seventeenth arrives, which never
// does: its error completion comes, and the queue is left idle.
TYPED_TEST(TxPath, TooManyDescriptorsAreJudgedWithNothingPostedAfter) {
  TxBenchOptions o;
  o.seed = 6;
  typename TestFixture::Bench b(TestFixture::Name("desc_count_last"), o);
  auto& rng = b.rng();
  b.Start(2, 6);
  b.Push(2, PlainJob(rng, 2, 0, true, true, 4));
  b.Push(2, NoEopJob(rng, 2, 1));
  const bool ran = b.Run(100'000);
  TestFixture::Finish(b, ran, "desc_count last");
  EXPECT_EQ(b.Completed(2), 2u);
}

// Read errors on frame data: the frame completes with err dma and never reaches the wire (a
// segmentation request: at most the segments wholly before the fault); the frames around it
// are unharmed; rd_err_o counts the failed bursts.
TYPED_TEST(TxPath, ReadErrorsDropTheFrame) {
  TxBenchOptions o;
  o.seed = 7;
  o.mac_stall = 20;
  typename TestFixture::Bench b(TestFixture::Name("rd_err"), o);
  auto& rng = b.rng();
  unsigned bad = 0;
  for (unsigned q : {1u, 6u}) {
    b.Start(q, 7);
    for (unsigned i = 0; i < 60 / TestFixture::kScale; ++i) {
      TxJob j = (i % 5 == 4) ? SegJob(rng, q, i, 8, TestFixture::kNarrow ? 4000 : 12000, 12)
                             : PlainJob(rng, q, i, true, true, 8);
      if (i % 3 == 1) {
        j.bad_read_buf = static_cast<int>(rng() % j.split.size());
        j.err = hw::TxErr::kDma;
        j.seg_err = hw::SegErr::kNone;
        j.what += " with a read error on buffer " + std::to_string(j.bad_read_buf);
        ++bad;
      }
      b.Push(q, std::move(j));
    }
  }
  const bool ran = b.Run(2'000'000);
  TestFixture::Finish(b, ran, "read errors");
  EXPECT_EQ(b.rd_errs(), bad);
  EXPECT_EQ(b.axi().read_errors(), bad);
}

// A descriptor read answered with an error stops that queue (desc_dma); the other queues
// finish everything; disable clears the status and a fresh start works.
TYPED_TEST(TxPath, DescriptorReadErrorStopsOnlyItsQueue) {
  TxBenchOptions o;
  o.seed = 9;
  typename TestFixture::Bench b(TestFixture::Name("desc_err"), o);
  auto& rng = b.rng();
  for (unsigned q : {0u, 3u, 4u}) {
    b.Start(q, 6);
    for (unsigned i = 0; i < 40; ++i) b.Push(q, PlainJob(rng, q, i, true, true, 4, 1500));
  }
  // Queue 3's descriptors at ring index 20 are read with an error.
  b.mem().InjectError(b.RingBase(3) + 32 * 20, 32, 1, true, false);
  uint64_t c = 0;
  for (; c < 1'000'000 && (b.Pending(0) || b.Pending(4) || b.Running(3)); ++c) b.Step();
  EXPECT_FALSE(b.Running(3));
  EXPECT_EQ(b.Err(3), hw::QueueErr::kDescDma);
  EXPECT_LE(b.Completed(3), 20u);
  EXPECT_EQ(b.Pending(0), 0u);
  EXPECT_EQ(b.Pending(4), 0u);
  b.Stop(3);
  b.Cycles(20);
  EXPECT_EQ(b.Err(3), hw::QueueErr::kNone);
  b.Cycles(500);
  b.Start(3, 4);
  for (unsigned i = 0; i < 30; ++i) b.Push(3, PlainJob(rng, 3, 100 + i, true, true, 4, 1500));
  const bool ran = b.Run(1'000'000);
  TestFixture::Finish(b, ran, "descriptor read error");
  EXPECT_TRUE(b.Running(3));
  EXPECT_EQ(b.Completed(3), 30u);
  EXPECT_EQ(b.rd_errs(), 1u);
}

// A completion write answered with an error stops the queue with cpl_dma.  Completions of a
// queue share a write when they share a bus line, so the failed write may carry the completions
// before the one whose bytes were refused, back to its line's start; the ones before that land.
TYPED_TEST(TxPath, CompletionWriteErrorStopsTheQueue) {
  TxBenchOptions o;
  o.seed = 13;
  typename TestFixture::Bench b(TestFixture::Name("cpl_err"), o);
  auto& rng = b.rng();
  b.Start(7, 5);
  constexpr unsigned kBad = 14;  // in the ring's second line at 512 bits
  const unsigned per_line = std::max<unsigned>(1, TestFixture::Bench::kBeat / 8);
  b.mem().InjectError(b.CplBase(7) + 8 * kBad, 8, 1, false, true);
  for (unsigned i = 0; i < 24; ++i) b.Push(7, RawJob(rng, 7, i, 64 + rng() % 500, 2));
  uint64_t c = 0;
  for (; c < 200'000 && b.Err(7) == hw::QueueErr::kNone; ++c) b.Step();
  ASSERT_FALSE(b.Running(7));
  // From the stop on the queue writes nothing: a line still being gathered is dropped.  (The
  // write stage holds a line for a cycle, so one handed over as the stop came still leaves.)
  b.Cycles(2);
  const uint64_t at_stop = b.cpl_writes();
  b.Cycles(2000);
  EXPECT_EQ(b.cpl_writes(), at_stop) << "completion lines written after the queue stopped";
  EXPECT_EQ(b.Err(7), hw::QueueErr::kCplDma);
  EXPECT_LE(b.Completed(7), kBad);
  EXPECT_GE(b.Completed(7), kBad / per_line * per_line) << "a line before the bad one was lost";
  EXPECT_EQ(b.wr_errs(), 1u);
  b.Stop(7);
  const bool ran = b.Run(100'000);
  TestFixture::Finish(b, ran, "completion write error");
  // Completions the card had already issued when the error came back may land after it; the
  // driver, reading in order, stops at the missing one.
  EXPECT_GE(b.cpl_evts(), b.Completed(7)) << "completions written";
  EXPECT_LE(b.cpl_evts(), 20u) << "completions written";
}

// Back-to-back small frames of one queue: their completions go out several to a write at 512
// bits (eight share a line), one to a write at 64; every one is reaped and announced.
TYPED_TEST(TxPath, CompletionsShareWrites) {
  TxBenchOptions o;
  o.seed = 19;
  typename TestFixture::Bench b(TestFixture::Name("cpl_lines"), o);
  auto& rng = b.rng();
  b.Start(3, 8);
  constexpr unsigned kFrames = 128;
  for (unsigned i = 0; i < kFrames; ++i) b.Push(3, RawJob(rng, 3, i, 60 + rng() % 40, 1));
  const bool ran = b.Run(400'000);
  TestFixture::Finish(b, ran, "completion lines");
  EXPECT_EQ(b.Completed(3), kFrames);
  EXPECT_EQ(b.cpl_evts(3), kFrames);
  if (TestFixture::kNarrow) {
    EXPECT_EQ(b.cpl_writes(), kFrames);
  } else {
    EXPECT_GE(b.cpl_writes(), kFrames / 8);
    EXPECT_LE(b.cpl_writes(), kFrames / 4) << "completions were not gathered into lines";
  }
}

// Bad ring set-ups stop the queue with the matching error and write nothing; disable clears it.
TYPED_TEST(TxPath, BadRingSetupsStopTheQueue) {
  TxBenchOptions o;
  o.seed = 17;
  typename TestFixture::Bench b(TestFixture::Name("setup"), o);
  struct Case {
    unsigned log2, ring_skew, cpl_skew;
    hw::QueueErr err;
  };
  const Case cases[] = {{6, 32, 0, hw::QueueErr::kRingAlign},
                        {6, 0, 8, hw::QueueErr::kRingAlign},
                        {0, 0, 0, hw::QueueErr::kSize},
                        {6, 0, 0, hw::QueueErr::kNone}};
  for (const Case& k : cases) {
    b.Start(1, k.log2, k.ring_skew, k.cpl_skew);
    b.Cycles(10);
    EXPECT_EQ(b.Err(1), k.err) << "log2 " << k.log2 << " skews " << k.ring_skew << "/"
                               << k.cpl_skew;
    EXPECT_EQ(b.Running(1), k.err == hw::QueueErr::kNone);
    b.Stop(1);
    b.Cycles(10);
    EXPECT_EQ(b.Err(1), hw::QueueErr::kNone);
    EXPECT_FALSE(b.Running(1));
  }
  // A producer index at or past the ring size, written while running.
  b.Start(1, 3);
  b.Cycles(10);
  EXPECT_TRUE(b.Running(1));
  b.SetProd(1, 8);
  b.Cycles(10);
  EXPECT_EQ(b.Err(1), hw::QueueErr::kProd);
  EXPECT_FALSE(b.Running(1));
  b.Stop(1);
  b.Cycles(10);
  const bool ran = b.Run(1000);
  TestFixture::Finish(b, ran, "ring set-ups");
  EXPECT_EQ(b.cpl_evts(), 0u);
  EXPECT_EQ(b.axi().read_bursts(), 0u);
}

// Disable under load: what is in flight finishes, nothing is written afterwards, and the queue
// starts afresh.
TYPED_TEST(TxPath, DisableStopsCompletions) {
  TxBenchOptions o;
  o.seed = 19;
  typename TestFixture::Bench b(TestFixture::Name("disable"), o);
  auto& rng = b.rng();
  b.Start(2, 7);
  b.Start(6, 7);
  for (unsigned i = 0; i < 100; ++i) {
    b.Push(2, PlainJob(rng, 2, i, true, true, 4, 1500));
    b.Push(6, PlainJob(rng, 6, i, true, true, 4, 1500));
  }
  for (uint64_t c = 0; c < 400'000 && b.Completed(2) < 30; ++c) b.Step();
  b.Stop(2);
  // A write the card had already issued may still land; give it time, then snapshot queue 2's
  // completion ring: nothing may change it from now on, while queue 6 goes on.
  b.Cycles(64);
  const uint64_t cpl_bus = b.CplBase(2);
  std::vector<uint8_t> before(8 * 128);
  std::memcpy(before.data(), mbufnic_bustov(cpl_bus), before.size());
  const bool ran = b.Run(1'000'000);
  std::vector<uint8_t> after(before.size());
  std::memcpy(after.data(), mbufnic_bustov(cpl_bus), after.size());
  size_t changed = 0;
  for (size_t i = 0; i < before.size(); i += 8) {
    changed += std::memcmp(before.data() + i, after.data() + i, 8) != 0;
  }
  EXPECT_EQ(changed, 0u) << "completion entries written after disable";
  EXPECT_EQ(b.Completed(6), 100u);
  TestFixture::Finish(b, ran, "disable");
  EXPECT_FALSE(b.Running(2));
  b.Start(2, 4);
  for (unsigned i = 0; i < 20; ++i) b.Push(2, PlainJob(rng, 2, 200 + i, true, true, 4, 1500));
  EXPECT_TRUE(b.Run(200'000));
  EXPECT_EQ(b.Completed(2), 20u);
  b.MatchWire();
  for (const auto& p : b.problems()) ADD_FAILURE() << p;
}

}  // namespace
}  // namespace mbufnic::rtltest
