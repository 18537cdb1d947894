// The transmit checksum engine (rtl/csum/nic_csum_tx.sv) at 64, 256 and 512 bits, against the
// software oracle built on the host's checksum code, under random source idles and sink
// back-pressure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "Vnic_csum_tx_w256.h"
#include "Vnic_csum_tx_w512.h"
#include "Vnic_csum_tx_w64.h"
#include "frame_gen.h"
#include "pcap_file.h"
#include "stream_bench.h"
#include "tshark.h"
#include "tx_oracle.h"

namespace mbufnic::rtltest {
namespace {

constexpr size_t kMaxFrame = 9216;  // the engine's default MaxFrameBytes

template <typename Model>
class CsumTx : public ::testing::Test {
 protected:
  using Bench = StreamBench<Model>;
  static constexpr size_t kBytes = Bench::kBytes;
  static constexpr size_t kBuffer = (kMaxFrame + kBytes - 1) / kBytes * kBytes;

  struct Case {
    std::vector<uint8_t> frame;
    TxCmd cmd;
  };

  static std::string Name(const char* what) {
    return std::string("csum_tx_w") + std::to_string(kBytes * 8) + "_" + what;
  }

  // Runs every case through the engine and checks each output frame and status against the
  // oracle, and the stream rules on the output.
  std::vector<sim::AxisFrame> Check(const std::vector<Case>& cases, uint64_t seed, double idle,
                                    double stall, const char* what) {
    Bench b(Name(what), seed, idle, stall);
    b.top().enable_i = 1;
    uint64_t beats = 0;
    for (const Case& c : cases) {
      b.Push(c.frame, c.cmd.Encode());
      beats += (c.frame.size() + kBytes - 1) / kBytes;
    }
    // Generous: every beat twice over for idles and stalls, plus pipeline latency per frame.
    uint64_t budget = 4 * beats + 64 * cases.size() + 1000;
    bool finished = b.RunUntil(cases.size(), budget);
    EXPECT_TRUE(finished)
        << "hang: " << b.sink().frames().size() << " of " << cases.size() << " frames out after "
        << budget << " cycles";
    if (!finished) return {};
    for (int i = 0; i < 50; ++i) b.Step();
    EXPECT_EQ(b.sink().frames().size(), cases.size()) << "extra frames";
    EXPECT_TRUE(b.sink().violations().empty()) << b.sink().violations().front();
    auto& out = b.sink().frames();
    size_t bad = 0;
    for (size_t i = 0; i < cases.size() && i < out.size() && bad < 5; ++i) {
      TxResult want = TxOracle(cases[i].frame, cases[i].cmd, kBuffer);
      TxStatus got = TxStatus::Decode(out[i].user);
      const TxCmd& c = cases[i].cmd;
      std::string ctx = "frame " + std::to_string(i) + " len " +
                        std::to_string(cases[i].frame.size()) + " start " +
                        std::to_string(c.csum_start) + " offset " + std::to_string(c.csum_offset) +
                        " l3 " + std::to_string(c.l3_offset) + " l4_en " + std::to_string(c.l4_en) +
                        " ip4_en " + std::to_string(c.ip4_en) + " udp " + std::to_string(c.udp);
      bool ok = true;
      EXPECT_EQ(got.err_l4, want.status.err_l4) << ctx, ok &= got.err_l4 == want.status.err_l4;
      EXPECT_EQ(got.err_ip4, want.status.err_ip4) << ctx, ok &= got.err_ip4 == want.status.err_ip4;
      EXPECT_EQ(got.err_oversize, want.status.err_oversize) << ctx;
      ok &= got.err_oversize == want.status.err_oversize;
      if (out[i].data != want.frame) {
        ok = false;
        size_t at = 0;
        while (at < want.frame.size() && at < out[i].data.size() &&
               out[i].data[at] == want.frame[at]) {
          ++at;
        }
        ADD_FAILURE() << ctx << ": output differs first at byte " << at << " (got length "
                      << out[i].data.size() << ")";
      }
      bad += !ok;
    }
    return {out.begin(), out.end()};
  }

  static Case RandomCase(std::mt19937_64& rng) {
    auto pick = [&](size_t lo, size_t hi) {  // inclusive
      return std::uniform_int_distribution<size_t>(lo, hi)(rng);
    };
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
    Case c;
    size_t len;
    unsigned r = pick(0, 99);
    if (r < 10) len = pick(1, 59);
    else if (r < 40) len = pick(60, 128);
    else if (r < 70) len = pick(129, 1518);
    else if (r < 95) len = pick(1519, kMaxFrame);
    else len = pick(kMaxFrame + 1, kMaxFrame + 3000);
    c.frame.resize(len);
    for (auto& x : c.frame) x = static_cast<uint8_t>(rng());
    if (chance(0.05)) std::fill(c.frame.begin(), c.frame.end(), 0xff);  // carry-heavy data
    TxCmd& m = c.cmd;
    m.l4_en = chance(0.75);
    m.ip4_en = chance(0.5);
    m.udp = chance(0.3);
    m.csum_init = static_cast<uint16_t>(rng());
    if (chance(0.7)) {
      // A plausible header stack: IPv4 header at l3, the L4 range after it.
      unsigned ihl = chance(0.9) ? static_cast<unsigned>(pick(5, 15)) : static_cast<unsigned>(pick(0, 4));
      m.l3_offset = static_cast<uint8_t>(pick(0, 64));
      if (m.l3_offset < len) c.frame[m.l3_offset] = static_cast<uint8_t>((chance(0.95) ? 0x40 : 0x60) | ihl);
      m.csum_start = static_cast<uint16_t>(m.l3_offset + 4 * ihl + pick(0, 24));
      m.csum_offset = static_cast<uint8_t>(chance(0.5) ? (chance(0.5) ? 16 : 6) : pick(0, 255));
    } else {
      m.l3_offset = static_cast<uint8_t>(pick(0, 255));
      m.csum_start = static_cast<uint16_t>(chance(0.9) ? pick(0, std::min<size_t>(len + 8, 600))
                                                      : pick(0, 65535));
      m.csum_offset = static_cast<uint8_t>(pick(0, 255));
    }
    return c;
  }
};

using Models = ::testing::Types<Vnic_csum_tx_w64, Vnic_csum_tx_w256, Vnic_csum_tx_w512>;
TYPED_TEST_SUITE(CsumTx, Models);

// Hand-picked corner cases, each named by what it guards.
TYPED_TEST(CsumTx, DirectedCases) {
  using Case = typename TestFixture::Case;
  constexpr size_t B = TestFixture::kBytes;
  std::vector<Case> cases;
  auto add = [&](std::vector<uint8_t> f, TxCmd cmd) { cases.push_back({std::move(f), cmd}); };
  TxCmd l4;
  l4.l4_en = true;

  // End-around carry: ff ff + ff ff + 00 01 must fold to 0x0001, checksum 0xfffe.
  {
    std::vector<uint8_t> f(64, 0);
    f[0] = f[1] = f[2] = f[3] = 0xff;
    f[5] = 0x01;
    TxCmd c = l4;
    c.csum_start = 0;
    c.csum_offset = 6;
    add(f, c);
  }
  // A UDP sum that comes out 0x0000 is sent as 0xffff; the same sum without `udp` stays 0.
  {
    std::vector<uint8_t> f(60, 0);
    f[20] = 0xff;
    f[21] = 0xff;  // sum 0xffff -> checksum 0x0000
    TxCmd c = l4;
    c.csum_start = 20;
    c.csum_offset = 4;
    c.udp = true;
    add(f, c);
    c.udp = false;
    add(f, c);
  }
  // Odd start (byte pairing relative to start), field straddling a beat boundary, field in the
  // last two bytes, start at 0, start at the last byte.
  for (size_t len : {61ul, 64ul, 65ul, 2 * B + 3, 3 * B}) {
    std::vector<uint8_t> f(len);
    for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(i * 37 + 11);
    TxCmd c = l4;
    c.csum_init = 0x1234;
    for (size_t start : {0ul, 1ul, 13ul, len - 2}) {
      c.csum_start = static_cast<uint16_t>(start);
      c.csum_offset = 0;
      add(f, c);
      c.csum_offset = static_cast<uint8_t>(std::min<size_t>(255, len - 2 - start));
      add(f, c);
    }
    if (len > B + 1) {
      c.csum_start = 0;
      c.csum_offset = static_cast<uint8_t>(std::min<size_t>(B - 1, 255));  // straddles
      add(f, c);
    }
  }
  // Bad commands: start at or past the end, field past the end by one byte.
  {
    std::vector<uint8_t> f(100, 0x5a);
    TxCmd c = l4;
    c.csum_start = 100;
    add(f, c);
    c.csum_start = 60000;
    add(f, c);
    c.csum_start = 90;
    c.csum_offset = 9;  // field would be bytes 99..100
    add(f, c);
  }
  // IPv4 header checksum: no options, full options, IHL < 5, version 6, header past the end,
  // and a header whose checksum field the L4 range would cover.
  for (unsigned vihl : {0x45u, 0x4fu, 0x44u, 0x65u}) {
    std::vector<uint8_t> f(200);
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<uint8_t>(i ^ 0xa5);
    f[14] = static_cast<uint8_t>(vihl);
    TxCmd c;
    c.ip4_en = true;
    c.l3_offset = 14;
    add(f, c);
    c.l4_en = true;
    c.csum_start = static_cast<uint16_t>(14 + 4 * (vihl & 0xf));
    c.csum_offset = 16;
    add(f, c);
    c.csum_start = 20;  // covers the IPv4 checksum field: both refused
    add(f, c);
  }
  {
    std::vector<uint8_t> f(40, 0);
    f[30] = 0x45;
    TxCmd c;
    c.ip4_en = true;
    c.l3_offset = 30;  // header would end at 50
    add(f, c);
  }
  // Every last-beat length (every tkeep pattern) around a small frame.
  for (size_t len = 60; len < 60 + 2 * B; ++len) {
    std::vector<uint8_t> f(len, 0xc3);
    f[14] = 0x45;
    TxCmd c = l4;
    c.ip4_en = true;
    c.l3_offset = 14;
    c.csum_start = 34;
    c.csum_offset = 6;
    add(f, c);
  }
  // Tiny frames, the largest frame the engine buffers, and frames past it (sent unchanged).
  add(std::vector<uint8_t>(1, 0x77), l4);
  for (size_t len : {kMaxFrame, kMaxFrame + 1, kMaxFrame + B, 3 * kMaxFrame}) {
    std::vector<uint8_t> f(len);
    for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(i * 7);
    TxCmd c = l4;
    c.csum_start = 34;
    c.csum_offset = 16;
    add(f, c);
  }
  this->Check(cases, 1, 0.0, 0.0, "directed");
  this->Check(cases, 2, 0.4, 0.4, "directed_stalls");
}

// Random frames and commands, valid and invalid, with idles and back-pressure.
TYPED_TEST(CsumTx, RandomFramesAndCommands) {
  using Case = typename TestFixture::Case;
  for (uint64_t seed : {11u, 12u}) {
    std::mt19937_64 rng(seed);
    std::vector<Case> cases;
    for (int i = 0; i < 5000; ++i) cases.push_back(TestFixture::RandomCase(rng));
    this->Check(cases, seed, seed == 11 ? 0.3 : 0.0, seed == 11 ? 0.3 : 0.05, "random");
  }
}

// Real packets seeded the FreeBSD way (IPv4 header checksum 0, the pseudo-header sum in the L4
// field, csum_init 0): the engine's output is the fully correct packet, and tshark agrees.
TYPED_TEST(CsumTx, RealPacketsComeOutCorrect) {
  using Case = typename TestFixture::Case;
  std::mt19937_64 rng(31);
  RandomSpecOptions clean;
  clean.p_clean = 1.0;
  std::vector<Case> cases;
  std::vector<std::vector<uint8_t>> expected;
  for (int i = 0; i < 3000; ++i) {
    TxCase t = MakeTxCase(RandomSpec(rng, clean));
    TxCmd c;
    c.csum_start = t.csum_start;
    c.csum_offset = t.csum_offset;
    c.l3_offset = t.l3_offset;
    c.l4_en = t.l4_en;
    c.ip4_en = t.ip4_en;
    c.udp = t.udp;
    cases.push_back({t.seeded, c});
    expected.push_back(t.expected);
  }
  auto out = this->Check(cases, 31, 0.2, 0.2, "packets");
  ASSERT_EQ(out.size(), cases.size());
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].data, expected[i]) << "packet " << i;
    EXPECT_EQ(out[i].user, 0u) << "packet " << i;
    frames.push_back(out[i].data);
  }
  if (!TsharkAvailable()) GTEST_SKIP() << "tshark is not installed (scripts/setup.sh installs it)";
  // tshark on a sample (the first 400): every checksum it can verify is good.
  frames.resize(400);
  std::string path = ::testing::TempDir() + TestFixture::Name("packets") + ".pcap";
  WritePcap(path, frames);
  auto ts = CheckChecksums(path);
  ASSERT_EQ(ts.size(), frames.size());
  int good = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    for (int st : {ts[i].ip, ts[i].tcp, ts[i].udp}) {
      EXPECT_NE(st, 0) << "tshark: bad checksum in packet " << i;
      good += st == 1;
    }
  }
  EXPECT_GT(good, 400);
}

// Line rate: with no idles and no back-pressure the input never waits, and frames of one size
// leave back to back with no dead cycle.
TYPED_TEST(CsumTx, OneBeatPerCycleAtEverySize) {
  constexpr size_t B = TestFixture::kBytes;
  for (size_t len : {60ul, 64ul, 65ul, 576ul, 1500ul, 9000ul, kMaxFrame}) {
    typename TestFixture::Bench b(TestFixture::Name("linerate"), 5, 0.0, 0.0);
    b.top().enable_i = 1;
    const int n = len > 2000 ? 12 : 60;
    TxCmd c;
    c.l4_en = c.ip4_en = true;
    c.l3_offset = 14;
    c.csum_start = 34;
    c.csum_offset = 16;
    std::vector<uint8_t> f(len, 0x11);
    f[14] = 0x45;
    for (int i = 0; i < n; ++i) b.Push(f, c.Encode());
    typename TestFixture::Bench::LineRate r;
    ASSERT_TRUE(b.RunLineRate(n, n * ((len + B - 1) / B), &r)) << "len " << len;
    EXPECT_EQ(r.in_stalls, 0u) << "input waited, len " << len;
    EXPECT_EQ(r.out_gaps, 0u) << "dead cycles between frames, len " << len;
  }
}

// With the enable low (CSR csum.ctrl.tx_enable = 0) every frame passes untouched.
TYPED_TEST(CsumTx, DisabledPassesFramesUnchanged) {
  typename TestFixture::Bench b(TestFixture::Name("disabled"), 3, 0.2, 0.2);
  b.top().enable_i = 0;
  std::mt19937_64 rng(3);
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 200; ++i) {
    auto c = TestFixture::RandomCase(rng);
    c.cmd.l4_en = c.cmd.ip4_en = true;
    sent.push_back(c.frame);
    b.Push(c.frame, c.cmd.Encode());
  }
  ASSERT_TRUE(b.RunUntil(sent.size(), 10'000'000));
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(b.sink().frames()[i].data, sent[i]) << i;
    uint64_t want_status = sent[i].size() > TestFixture::kBuffer ? 4 : 0;
    EXPECT_EQ(b.sink().frames()[i].user, want_status) << i;
  }
}

// A frame whose last beat carries tdrop (an upstream block cut it short) never leaves and is not
// counted (frame_o and error_o count what leaves); the frames after it are untouched by it.
TYPED_TEST(CsumTx, DropMarkedFramesNeverLeave) {
  typename TestFixture::Bench b(TestFixture::Name("drop"), 4, 0.2, 0.2);
  b.top().enable_i = 1;
  std::mt19937_64 rng(4);
  std::vector<typename TestFixture::Case> cases;
  for (int i = 0; i < 60; ++i) {
    auto c = TestFixture::RandomCase(rng);
    if (c.frame.size() <= TestFixture::kBuffer) cases.push_back(c);  // oversize cannot drop
  }
  size_t events = 0;
  auto count = [&] { events += b.top().error_o + b.top().frame_o; };
  // First half marked bad: nothing comes out.
  b.top().s_axis_tdrop_i = 1;
  const size_t half = cases.size() / 2;
  for (size_t i = 0; i < half; ++i) b.Push(cases[i].frame, cases[i].cmd.Encode());
  for (int c = 0; c < 400'000 && !b.source().done(); ++c) b.Step(count);
  for (int c = 0; c < 2000; ++c) b.Step(count);
  ASSERT_TRUE(b.source().done()) << "the engine stopped taking dropped frames";
  EXPECT_EQ(b.sink().frames().size(), 0u) << "a dropped frame left";
  EXPECT_EQ(events, 0u) << "frame_o or error_o pulsed for a dropped frame";
  // Then good frames: each comes out as the oracle says.
  b.top().s_axis_tdrop_i = 0;
  for (size_t i = half; i < cases.size(); ++i) b.Push(cases[i].frame, cases[i].cmd.Encode());
  size_t frames = 0;
  auto count_frames = [&] { frames += b.top().frame_o; };
  for (int c = 0; c < 10'000'000 && frames < cases.size() - half; ++c) b.Step(count_frames);
  for (int c = 0; c < 2000; ++c) b.Step(count_frames);
  EXPECT_EQ(frames, cases.size() - half) << "frame_o pulses for the frames sent";
  ASSERT_EQ(b.sink().frames().size(), cases.size() - half);
  for (size_t i = half; i < cases.size(); ++i) {
    TxResult want = TxOracle(cases[i].frame, cases[i].cmd, TestFixture::kBuffer);
    EXPECT_EQ(b.sink().frames()[i - half].data, want.frame) << i;
  }
}

}  // namespace
}  // namespace mbufnic::rtltest
