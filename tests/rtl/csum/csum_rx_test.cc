// The receive checksum engine (rtl/csum/nic_csum_rx.sv) at 64, 256 and 512 bits.  Every verdict
// is checked against the software reference (tests/support/rx_csum_ref), whose sums come
// from the host's checksum code, and a sample against tshark's own checksum validation.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "Vnic_csum_rx_w256.h"
#include "Vnic_csum_rx_w512.h"
#include "Vnic_csum_rx_w64.h"
#include "frame_gen.h"
#include "pcap_file.h"
#include "rx_csum_ref.h"
#include "stream_bench.h"
#include "tshark.h"

namespace mbufnic::rtltest {
namespace {

constexpr size_t kWindow = 128;  // the engine's default HdrWindowBytes
constexpr int kMaxExt = 4;       // and MaxExtHeaders

// The engine's sideband, decoded with the generated host header.
RxCsumRef Decode(uint64_t user) {
  hw::RxCsumResult r{};
  static_assert(sizeof(r) == sizeof(user));
  std::memcpy(&r, &user, sizeof(user));
  RxCsumRef d{};
  d.l3_calc = r.l3_calc();
  d.l3_valid = r.l3_valid();
  d.l4_calc = r.l4_calc();
  d.l4_valid = r.l4_valid();
  d.ip_frag = r.ip_frag();
  d.l3_type = static_cast<int>(r.l3_type());
  d.l4_proto = static_cast<uint8_t>(r.l4_proto());
  d.l3_offset = static_cast<uint8_t>(r.l3_offset());
  d.l4_offset = static_cast<uint8_t>(r.l4_offset());
  d.l4_sum = static_cast<uint16_t>(r.l4_sum());
  d.vlan_count = static_cast<int>(r.vlan_count());
  return d;
}

std::string Describe(const RxCsumRef& r) {
  char b[200];
  std::snprintf(b, sizeof b,
                "l3 %d calc %d valid %d | l4 proto %u calc %d valid %d sum %04x | frag %d "
                "l3off %u l4off %u vlans %d",
                r.l3_type, r.l3_calc, r.l3_valid, r.l4_proto, r.l4_calc, r.l4_valid, r.l4_sum,
                r.ip_frag, r.l3_offset, r.l4_offset, r.vlan_count);
  return b;
}

template <typename Model>
class CsumRx : public ::testing::Test {
 protected:
  using Bench = StreamBench<Model>;
  static constexpr size_t kBytes = Bench::kBytes;

  static std::string Name(const char* what) {
    return std::string("csum_rx_w") + std::to_string(kBytes * 8) + "_" + what;
  }

  // Streams the frames through the engine; returns the verdicts (empty on a hang).
  std::vector<RxCsumRef> Run(const std::vector<std::vector<uint8_t>>& frames, uint64_t seed,
                             double idle, double stall, const char* what) {
    Bench b(Name(what), seed, idle, stall);
    b.top().enable_i = 1;
    uint64_t beats = 0;
    for (const auto& f : frames) {
      b.Push(f);
      beats += (f.size() + kBytes - 1) / kBytes;
    }
    uint64_t budget = 4 * beats + 64 * frames.size() + 1000;
    if (!b.RunUntil(frames.size(), budget)) {
      ADD_FAILURE() << "hang: " << b.sink().frames().size() << " of " << frames.size()
                    << " frames out after " << budget << " cycles";
      return {};
    }
    for (int i = 0; i < 50; ++i) b.Step();
    EXPECT_EQ(b.sink().frames().size(), frames.size()) << "extra frames";
    EXPECT_TRUE(b.sink().violations().empty()) << b.sink().violations().front();
    std::vector<RxCsumRef> out;
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto& got = b.sink().frames()[i];
      EXPECT_EQ(got.data, frames[i]) << "frame " << i << " changed on its way through";
      out.push_back(Decode(got.user));
    }
    return out;
  }

  // Runs and compares every verdict with the reference.
  void Check(const std::vector<std::vector<uint8_t>>& frames, uint64_t seed, double idle,
             double stall, const char* what) {
    auto got = Run(frames, seed, idle, stall, what);
    ASSERT_EQ(got.size(), frames.size());
    int bad = 0;
    for (size_t i = 0; i < frames.size() && bad < 5; ++i) {
      RxCsumRef want = ClassifyRx(frames[i], kWindow, kMaxExt);
      if (Describe(got[i]) != Describe(want)) {
        ++bad;
        ADD_FAILURE() << what << " frame " << i << " (" << frames[i].size() << " B)\n  got  "
                      << Describe(got[i]) << "\n  want " << Describe(want);
      }
    }
  }
};

using Models = ::testing::Types<Vnic_csum_rx_w64, Vnic_csum_rx_w256, Vnic_csum_rx_w512>;
TYPED_TEST_SUITE(CsumRx, Models);

// Generated frames over every protocol knob: VLANs, IPv4 options and fragments, IPv6 extension
// headers, TCP options, UDP, corrupted checksums, truncations, padding, disagreeing lengths.
TYPED_TEST(CsumRx, RandomFrames) {
  for (uint64_t seed : {21u, 22u}) {
    std::mt19937_64 rng(seed);
    std::vector<std::vector<uint8_t>> frames;
    for (int i = 0; i < 5000; ++i) frames.push_back(BuildFrame(RandomSpec(rng)));
    this->Check(frames, seed, seed == 21 ? 0.3 : 0.0, seed == 21 ? 0.3 : 0.05, "random");
  }
}

// Valid frames with bytes flipped in the first 80: the parser must never call garbage valid.
TYPED_TEST(CsumRx, CorruptedHeaders) {
  std::mt19937_64 rng(23);
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 3000; ++i) {
    auto f = BuildFrame(RandomSpec(rng));
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      size_t at = rng() % std::min<size_t>(f.size(), 80);
      f[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    if (rng() % 4 == 0) f.resize(1 + rng() % f.size());  // and some truncated anywhere
    frames.push_back(std::move(f));
  }
  this->Check(frames, 23, 0.2, 0.2, "corrupted");
}

// Short and odd frames: shorter than an Ethernet header, every last-beat length (tkeep
// pattern), a frame exactly at the header window, random bytes.
TYPED_TEST(CsumRx, ShortAndOddFrames) {
  std::mt19937_64 rng(24);
  std::vector<std::vector<uint8_t>> frames;
  for (size_t len = 1; len <= 200; ++len) {
    std::vector<uint8_t> f(len);
    for (auto& x : f) x = static_cast<uint8_t>(rng());
    frames.push_back(f);
  }
  FrameSpec s;
  s.l3 = L3Kind::kIpv4;
  s.l4 = L4Kind::kTcp;
  for (size_t pay = 0; pay < 2 * TestFixture::kBytes + 3; ++pay) {
    s.payload_len = pay;
    frames.push_back(BuildFrame(s));
  }
  this->Check(frames, 24, 0.1, 0.1, "short");
}

// Line rate: with no back-pressure the input never waits and equal frames leave back to back.
TYPED_TEST(CsumRx, OneBeatPerCycleAtEverySize) {
  constexpr size_t B = TestFixture::kBytes;
  for (size_t len : {60ul, 64ul, 65ul, 576ul, 1500ul, 9000ul}) {
    typename TestFixture::Bench b(TestFixture::Name("linerate"), 5, 0.0, 0.0);
    b.top().enable_i = 1;
    FrameSpec s;
    s.l3 = L3Kind::kIpv4;
    s.l4 = L4Kind::kUdp;
    s.payload_len = len - 14 - 20 - 8;
    auto f = BuildFrame(s);
    ASSERT_EQ(f.size(), len);
    const int n = len > 2000 ? 12 : 100;
    for (int i = 0; i < n; ++i) b.Push(f);
    const uint64_t total = n * ((len + B - 1) / B);
    typename TestFixture::Bench::LineRate r;
    ASSERT_TRUE(b.RunLineRate(n, total, &r)) << "len " << len;
    EXPECT_EQ(r.in_stalls, 0u) << "input waited, len " << len;
    EXPECT_EQ(r.out_gaps, 0u) << "dead cycles between frames, len " << len;
    for (auto& o : b.sink().frames()) EXPECT_TRUE(Decode(o.user).l4_valid);
  }
}

// tshark's checksum validation agrees with the engine on a sample of generated frames.
TYPED_TEST(CsumRx, AgreesWithTshark) {
  if (!TsharkAvailable()) GTEST_SKIP() << "tshark is not installed (scripts/setup.sh installs it)";
  std::mt19937_64 rng(25);
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 600; ++i) frames.push_back(BuildFrame(RandomSpec(rng)));
  auto got = this->Run(frames, 25, 0.1, 0.1, "tshark");
  ASSERT_EQ(got.size(), frames.size());
  std::string path = ::testing::TempDir() + TestFixture::Name("tshark") + ".pcap";
  WritePcap(path, frames);
  auto ts = CheckChecksums(path);
  ASSERT_EQ(ts.size(), frames.size());
  int compared = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const RxCsumRef& e = got[i];
    const TsharkStatus& t = ts[i];
    // tshark: 0 bad, 1 good.  Compare where both sides computed a verdict.
    if (e.l3_calc && (t.ip == 0 || t.ip == 1)) {
      EXPECT_EQ(e.l3_valid, t.ip == 1) << "frame " << i << ": " << Describe(e);
      ++compared;
    }
    int l4 = e.l4_proto == 6 ? t.tcp : t.udp;
    if (e.l4_calc && !e.ip_frag && (l4 == 0 || l4 == 1)) {
      EXPECT_EQ(e.l4_valid, l4 == 1) << "frame " << i << ": " << Describe(e);
      ++compared;
    }
  }
  EXPECT_GT(compared, 300);
}

}  // namespace
}  // namespace mbufnic::rtltest
