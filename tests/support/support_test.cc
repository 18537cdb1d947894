// The RTL test support library checked on its own: generated frames against tshark and against a
// naive checksum written here, the receive reference against what each frame's spec implies and
// against directed corner cases, and the transmit cases against a software model of the engine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <mbufnic/cksum.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "frame_gen.h"
#include "pcap_file.h"
#include "rx_csum_ref.h"
#include "tshark.h"

namespace mbufnic::rtltest {
namespace {

constexpr size_t kWindow = 128;
constexpr int kMaxExt = 4;
constexpr const char* kNoTshark = "tshark is not installed (scripts/setup.sh installs it)";

using Frame = std::vector<uint8_t>;

// A deliberately plain ones'-complement sum, independent of the host's vectorised code: 16-bit
// big-endian words, folded with end-around carries, never normalised.
uint16_t NaiveSum(std::span<const uint8_t> b, uint32_t initial = 0) {
  uint64_t s = initial;
  for (size_t i = 0; i < b.size(); i += 2) {
    s += static_cast<uint64_t>(b[i]) << 8;
    if (i + 1 < b.size()) s += b[i + 1];
  }
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The host's sum, numeric view.
uint16_t HostSum(std::span<const uint8_t> b) {
  return ntohs(mbufnic_cksum_raw(b.data(), b.size(), 0));
}

uint16_t Get16(const Frame& f, size_t at) {
  return static_cast<uint16_t>((f[at] << 8) | f[at + 1]);
}

// The pseudo-header sum computed from a frame's own bytes.
uint16_t PseudoFromFrame(const Frame& f, size_t l3, bool ipv6, uint8_t proto, size_t l4_len) {
  std::vector<uint8_t> ph;
  if (ipv6) {
    ph.assign(f.begin() + l3 + 8, f.begin() + l3 + 40);
    ph.insert(ph.end(),
              {static_cast<uint8_t>(l4_len >> 24), static_cast<uint8_t>(l4_len >> 16),
               static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len), 0, 0, 0, proto});
  } else {
    ph.assign(f.begin() + l3 + 12, f.begin() + l3 + 20);
    ph.insert(ph.end(),
              {0, proto, static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len)});
  }
  return NaiveSum(ph);
}

bool IsFragment(const FrameSpec& s) {
  if (s.l3 == L3Kind::kIpv4) return s.ip4_mf || s.ip4_frag_offset != 0;
  if (s.l3 == L3Kind::kIpv6) {
    for (const Ipv6Ext& e : s.ip6_ext)
      if (e.type == Ipv6ExtType::kFragment && (e.more_fragments || e.frag_offset != 0)) return true;
  }
  return false;
}

bool TcpOrUdp(const FrameSpec& s) { return s.l3 != L3Kind::kNone && s.l4 != L4Kind::kOther; }

// ---------------------------------------------------------------------------------------------
// Frame generator.

TEST(SupportFrameGen, DefaultTcpFrameIsByteExact) {
  FrameSpec s;
  FrameLayout lay;
  Frame f = BuildFrame(s, &lay);
  ASSERT_EQ(f.size(), 60u);  // 54 bytes padded
  EXPECT_EQ(Get16(f, 12), 0x0800);
  EXPECT_EQ(f[14], 0x45);
  EXPECT_EQ(Get16(f, 16), 40);  // total length: the padding is not in the datagram
  EXPECT_EQ(f[23], 6);
  EXPECT_EQ(f[46], 0x50);  // data offset 5
  EXPECT_EQ(lay.l3_offset, 14u);
  EXPECT_EQ(lay.l4_offset, 34u);
  EXPECT_EQ(lay.l4_length, 20u);
  EXPECT_EQ(lay.l4_csum_field, 50u);
  EXPECT_EQ(lay.datagram_end, 54u);
  EXPECT_EQ(lay.full_length, 60u);
  for (size_t i = 54; i < 60; ++i) EXPECT_EQ(f[i], 0) << i;
  EXPECT_EQ(NaiveSum(std::span(f).subspan(14, 20)), 0xffff);
  EXPECT_EQ(NaiveSum(std::span(f).subspan(34, 20), PseudoFromFrame(f, 14, false, 6, 20)), 0xffff);
  // The seeded pseudo-header sum, by hand: 192.0.2.1 + 198.51.100.2 + 6 + 20.
  EXPECT_EQ(lay.pseudo_sum,
            NaiveSum(std::vector<uint8_t>{192, 0, 2, 1, 198, 51, 100, 2, 0, 6, 0, 20}));
}

TEST(SupportFrameGen, VlanTagsAndIpv6ExtensionChain) {
  FrameSpec s;
  s.vlans = {{kTpidService, 0x0064}, {kTpidCustomer, 0x2005}};
  s.l3 = L3Kind::kIpv6;
  s.l4 = L4Kind::kUdp;
  s.ip6_ext = {{Ipv6ExtType::kHopByHop, 0}, {Ipv6ExtType::kRouting, 1}, {Ipv6ExtType::kFragment}};
  s.payload_len = 7;
  FrameLayout lay;
  Frame f = BuildFrame(s, &lay);
  EXPECT_EQ(Get16(f, 12), 0x88A8);
  EXPECT_EQ(Get16(f, 14), 0x0064);
  EXPECT_EQ(Get16(f, 16), 0x8100);
  EXPECT_EQ(Get16(f, 20), 0x86DD);
  EXPECT_EQ(lay.l3_offset, 22u);
  EXPECT_EQ(f[22] >> 4, 6);
  EXPECT_EQ(f[22 + 6], 0);     // hop-by-hop first
  EXPECT_EQ(f[62], 43);        // then routing
  EXPECT_EQ(f[70], 44);        // then fragment
  EXPECT_EQ(f[71], 1);         // routing Hdr Ext Len 1: 16 bytes
  EXPECT_EQ(f[72], 253);       // routing type
  EXPECT_EQ(f[73], 0);         // segments left
  EXPECT_EQ(f[86], 17);        // fragment header's next header: UDP
  EXPECT_EQ(Get16(f, 88), 0);  // atomic fragment
  EXPECT_EQ(lay.l4_offset, 94u);
  EXPECT_EQ(Get16(f, 22 + 4), 32 + 8 + 7);  // payload length
  EXPECT_EQ(Get16(f, 94 + 4), 8 + 7);       // UDP length, odd
  EXPECT_EQ(f.size(), 94u + 15u);
  EXPECT_EQ(NaiveSum(std::span(f).subspan(94), PseudoFromFrame(f, 22, true, 17, 15)), 0xffff);
}

TEST(SupportFrameGen, UdpResultZeroIsSentAsFfff) {
  // Walk the source port until the UDP checksum comes out as 0: it must be sent as 0xFFFF.
  FrameSpec s;
  s.l4 = L4Kind::kUdp;
  s.payload_len = 5;
  for (int port = 0; port <= 0xffff; ++port) {
    s.src_port = static_cast<uint16_t>(port);
    FrameLayout lay;
    Frame f = BuildFrame(s, &lay);
    if (Get16(f, lay.l4_csum_field) != 0xffff) continue;
    EXPECT_EQ(NaiveSum(std::span(f).subspan(lay.l4_offset, lay.l4_length), lay.pseudo_sum), 0xffff);
    RxCsumRef r = ClassifyRx(f);
    EXPECT_TRUE(r.l4_calc && r.l4_valid) << r.ToString();
    TxCase tc = MakeTxCase(s);
    EXPECT_EQ(Get16(tc.expected, lay.l4_csum_field), 0xffff);
    return;
  }
  FAIL() << "no port gives a UDP checksum of 0";
}

TEST(SupportFrameGen, CorruptedChecksumsAreNeverEquivalent) {
  // A computed checksum is never 0xFFFF (that needs an all-zero sum), but TCP can compute 0x0000
  // and UDP then sends 0xFFFF: the corrupted value must be neither ones'-complement zero (nor 0,
  // "no checksum", for UDP).  Walk the source port to reach those cases.
  for (L4Kind l4 : {L4Kind::kTcp, L4Kind::kUdp}) {
    FrameSpec s;
    s.l4 = l4;
    bool found = false;
    for (int port = 0; port <= 0xffff && !found; ++port) {
      s.src_port = static_cast<uint16_t>(port);
      s.corrupt_l4_csum = false;
      FrameLayout lay;
      Frame f = BuildFrame(s, &lay);
      uint16_t good = Get16(f, lay.l4_csum_field);
      if (good != 0 && good != 0xffff) continue;
      found = true;
      EXPECT_EQ(good, l4 == L4Kind::kTcp ? 0x0000 : 0xffff);
      s.corrupt_l4_csum = true;
      Frame bad = BuildFrame(s);
      uint16_t wrong = Get16(bad, lay.l4_csum_field);
      EXPECT_NE(wrong, 0);
      EXPECT_NE(wrong, 0xffff);
      RxCsumRef r = ClassifyRx(bad);
      EXPECT_TRUE(r.l4_calc && !r.l4_valid) << r.ToString();
    }
    EXPECT_TRUE(found) << static_cast<int>(l4);
  }
}

TEST(SupportFrameGen, RandomFramesHaveRightChecksumsAndLengths) {
  std::mt19937_64 rng(1);
  int clean = 0, checked_l4 = 0;
  for (int i = 0; i < 5000; ++i) {
    FrameSpec s = RandomSpec(rng);
    FrameLayout lay;
    Frame f = BuildFrame(s, &lay);
    SCOPED_TRACE(s.Describe());
    ASSERT_GE(lay.full_length, kMinFrame);
    ASSERT_LE(lay.full_length, 9216u);
    ASSERT_EQ(f.size(), lay.full_length - std::min(s.truncate, lay.full_length));
    if (!s.Clean()) continue;
    ++clean;
    if (s.l3 == L3Kind::kIpv4) {
      ASSERT_EQ(NaiveSum(std::span(f).subspan(lay.l3_offset, lay.l3_header_len)), 0xffff);
    }
    if (TcpOrUdp(s)) {
      uint16_t pseudo =
          PseudoFromFrame(f, lay.l3_offset, s.l3 == L3Kind::kIpv6, lay.final_proto, lay.l4_length);
      ASSERT_EQ(pseudo, lay.pseudo_sum);
      ASSERT_EQ(NaiveSum(std::span(f).subspan(lay.l4_offset, lay.l4_length), pseudo), 0xffff);
      if (s.l4 == L4Kind::kUdp) {
        ASSERT_NE(Get16(f, lay.l4_csum_field), 0);
      }
      ++checked_l4;
    }
    for (size_t k = lay.datagram_end + s.trailer_len; k < f.size(); ++k) ASSERT_EQ(f[k], 0);
  }
  EXPECT_GT(clean, 2500);
  EXPECT_GT(checked_l4, 2000);
}

TEST(SupportFrameGen, RandomSpecCoversEveryKnob) {
  std::mt19937_64 rng(2);
  std::map<std::string, int> seen;
  size_t min_len = SIZE_MAX, max_len = 0;
  for (int i = 0; i < 20000; ++i) {
    FrameSpec s = RandomSpec(rng);
    FrameLayout lay;
    BuildFrame(s, &lay);
    min_len = std::min(min_len, lay.full_length);
    max_len = std::max(max_len, lay.full_length);
    seen["clean"] += s.Clean();
    seen["vlan1"] += s.vlans.size() == 1;
    seen["vlan2"] += s.vlans.size() == 2;
    seen["stag"] += !s.vlans.empty() && s.vlans[0].tpid == kTpidService;
    seen["l3none"] += s.l3 == L3Kind::kNone;
    seen["ipv4"] += s.l3 == L3Kind::kIpv4;
    seen["ipv6"] += s.l3 == L3Kind::kIpv6;
    seen["ip4opts"] += s.l3 == L3Kind::kIpv4 && s.ip4_options_len > 0;
    seen["ip4opts40"] += s.l3 == L3Kind::kIpv4 && s.ip4_options_len == 40;
    seen["ip4frag"] += s.l3 == L3Kind::kIpv4 && IsFragment(s);
    seen["ip6ext"] += s.l3 == L3Kind::kIpv6 && !s.ip6_ext.empty();
    seen["ip6ext>4"] += s.l3 == L3Kind::kIpv6 && s.ip6_ext.size() > 4;
    seen["ip6frag"] += s.l3 == L3Kind::kIpv6 && IsFragment(s);
    for (const Ipv6Ext& e : s.ip6_ext) {
      if (s.l3 != L3Kind::kIpv6) break;
      seen["ext" + std::to_string(static_cast<int>(e.type))]++;
      seen["atomic"] += e.type == Ipv6ExtType::kFragment && !e.more_fragments && !e.frag_offset;
    }
    seen["tcp"] += TcpOrUdp(s) && s.l4 == L4Kind::kTcp;
    seen["tcpopts"] += TcpOrUdp(s) && s.l4 == L4Kind::kTcp && s.tcp_options_len > 0;
    seen["udp"] += TcpOrUdp(s) && s.l4 == L4Kind::kUdp;
    seen["l4other"] += s.l3 != L3Kind::kNone && s.l4 == L4Kind::kOther;
    seen["zeros"] += s.pattern == PayloadPattern::kZeros;
    seen["ones"] += s.pattern == PayloadPattern::kOnes;
    seen["corrupt_ip4"] += s.corrupt_ip4_csum;
    seen["corrupt_l4"] += s.corrupt_l4_csum;
    seen["udp_zero_v4"] += s.udp_csum_zero && s.l3 == L3Kind::kIpv4;
    seen["udp_zero_v6"] += s.udp_csum_zero && s.l3 == L3Kind::kIpv6;
    seen["truncate"] += s.truncate > 0;
    seen["trailer"] += s.trailer_len > 0;
    seen["ip4_total_len"] += s.ip4_total_len.has_value();
    seen["ip6_payload_len"] += s.ip6_payload_len.has_value();
    seen["udp_len"] += s.udp_len.has_value();
    seen["bad_ihl"] += s.ip4_ihl.has_value();
    seen["bad_version"] += s.ip_version.has_value();
    seen["len60"] += lay.full_length == 60;
    seen["jumbo"] += lay.full_length > 1518;
  }
  for (const char* k : {"vlan1",
                        "vlan2",
                        "stag",
                        "l3none",
                        "ipv4",
                        "ipv6",
                        "ip4opts",
                        "ip4opts40",
                        "ip4frag",
                        "ip6ext",
                        "ip6ext>4",
                        "ip6frag",
                        "ext0",
                        "ext43",
                        "ext44",
                        "ext60",
                        "atomic",
                        "tcp",
                        "tcpopts",
                        "udp",
                        "l4other",
                        "zeros",
                        "ones",
                        "corrupt_ip4",
                        "corrupt_l4",
                        "udp_zero_v4",
                        "udp_zero_v6",
                        "truncate",
                        "trailer",
                        "ip4_total_len",
                        "ip6_payload_len",
                        "udp_len",
                        "bad_ihl",
                        "bad_version",
                        "len60",
                        "jumbo"}) {
    EXPECT_GE(seen[k], 20) << k;
  }
  EXPECT_GT(seen["clean"], 11000);  // valid frames are favoured
  EXPECT_EQ(min_len, 60u);
  EXPECT_EQ(max_len, 9216u);
  // The maximum is a parameter.
  RandomSpecOptions small;
  small.max_frame_len = 200;
  for (int i = 0; i < 2000; ++i) {
    FrameLayout lay;
    BuildFrame(RandomSpec(rng, small), &lay);
    ASSERT_LE(lay.full_length, 200u);
  }
}

// ---------------------------------------------------------------------------------------------
// pcap files.

TEST(SupportPcapFile, RoundTrip) {
  std::mt19937_64 rng(3);
  std::vector<Frame> frames;
  for (int i = 0; i < 50; ++i) frames.push_back(BuildFrame(RandomSpec(rng)));
  frames.push_back(Frame(9216, 0xab));
  frames.push_back(Frame{1, 2, 3});
  std::string path = ::testing::TempDir() + "test_support_roundtrip.pcap";
  WritePcap(path, frames);
  EXPECT_EQ(ReadPcap(path), frames);
  std::remove(path.c_str());
}

TEST(SupportPcapFile, ErrorsThrow) {
  EXPECT_THROW(PcapWriter("/nonexistent-dir/x.pcap"), std::runtime_error);
  EXPECT_THROW(ReadPcap("/nonexistent-dir/x.pcap"), std::runtime_error);
  std::string path = ::testing::TempDir() + "test_support_errors.pcap";
  PcapWriter w(path);
  EXPECT_THROW(w.Write(Frame(70000)), std::runtime_error);
  w.Write(Frame(60));
  EXPECT_EQ(w.frames(), 1u);
  w.Close();
  EXPECT_THROW(w.Write(Frame(60)), std::runtime_error);
  EXPECT_EQ(ReadPcap(path).size(), 1u);
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------------------------
// tshark as an independent judge of the generator.

std::string WriteTemp(const std::string& name, const std::vector<Frame>& frames) {
  std::string path = ::testing::TempDir() + name;
  WritePcap(path, frames);
  return path;
}

TEST(SupportTshark, JudgesGeneratedFramesAsTheSpecSays) {
  if (!TsharkAvailable()) GTEST_SKIP() << kNoTshark;
  std::mt19937_64 rng(4);
  std::vector<FrameSpec> specs;
  std::vector<Frame> frames;
  std::vector<FrameLayout> layouts;
  for (int i = 0; i < 400; ++i) {
    specs.push_back(RandomSpec(rng));
    layouts.emplace_back();
    frames.push_back(BuildFrame(specs.back(), &layouts.back()));
  }
  std::string path = WriteTemp("test_support_tshark.pcap", frames);
  TsharkResult ts = CheckChecksums(path);
  ASSERT_EQ(ts.size(), frames.size());
  std::map<std::string, int> checked;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameSpec& s = specs[i];
    const TsharkStatus& t = ts[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + s.Describe() + " | tshark ip " +
                 std::to_string(t.ip) + " tcp " + std::to_string(t.tcp) + " udp " +
                 std::to_string(t.udp));
    const bool intact = frames[i].size() >= layouts[i].datagram_end;
    const int l4 = s.l4 == L4Kind::kTcp ? t.tcp : t.udp;
    if (s.l3 != L3Kind::kIpv4) {
      EXPECT_EQ(t.ip, kTsharkAbsent);
    }
    if (s.l3 == L3Kind::kNone) {
      EXPECT_EQ(t.tcp, kTsharkAbsent);
      EXPECT_EQ(t.udp, kTsharkAbsent);
      continue;
    }
    const bool header_ok = !s.ip4_ihl && !s.ip_version;
    if (s.l3 == L3Kind::kIpv4 && header_ok && !s.ip4_total_len &&
        frames[i].size() >= layouts[i].l3_offset + layouts[i].l3_header_len) {
      EXPECT_EQ(t.ip, s.corrupt_ip4_csum ? kTsharkBad : kTsharkGood);
      ++checked[s.corrupt_ip4_csum ? "ip bad" : "ip good"];
    }
    if (!TcpOrUdp(s) || !header_ok) continue;
    if (IsFragment(s)) {
      EXPECT_NE(l4, kTsharkGood);
      EXPECT_NE(l4, kTsharkBad);
      ++checked["fragment"];
    } else if (!intact) {
      EXPECT_NE(l4, kTsharkGood);
      ++checked["truncated"];
    } else if (s.udp_csum_zero) {
      EXPECT_EQ(l4, s.l3 == L3Kind::kIpv4 ? kTsharkNotPresent : kTsharkIllegal);
      ++checked["udp zero"];
    } else if (s.corrupt_l4_csum) {
      EXPECT_EQ(l4, kTsharkBad);
      ++checked["l4 bad"];
    } else if (s.Clean() || s.corrupt_ip4_csum || s.truncate) {  // truncated padding only
      EXPECT_EQ(l4, kTsharkGood);
      ++checked["l4 good"];
    }
  }
  for (const char* k : {"ip good", "ip bad", "fragment", "truncated", "udp zero", "l4 bad"})
    EXPECT_GT(checked[k], 0) << k;
  EXPECT_GT(checked["l4 good"], 150);
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------------------------
// ClassifyRx against what the spec of each generated frame implies.

struct Implied {
  bool all_zero = false;  // the frame does not even hold its ethertype
  int l3_type = kL3None;
  bool l3_ok = false;
  bool l3_valid = false;
  bool exact_l4 = false;  // l4_calc and l4_valid can be predicted exactly
  bool l4_calc = false;
  bool l4_valid = false;
  bool frag = false;
  size_t l4_offset = 0;
  uint8_t l4_proto = 0;
};

Implied Imply(const FrameSpec& s, const FrameLayout& lay, size_t len) {
  Implied m;
  if (len < 14 + 4 * s.vlans.size()) {
    m.all_zero = true;
    return m;
  }
  if (s.l3 == L3Kind::kNone) return m;
  m.l3_type = s.l3 == L3Kind::kIpv4 ? kL3Ipv4 : kL3Ipv6;
  const size_t l3 = lay.l3_offset;
  const bool intact = len >= lay.datagram_end;
  const bool l4_len_override = s.ip4_total_len || s.ip6_payload_len;
  bool walk_ok = true;
  m.l4_offset = lay.l4_offset;
  m.l4_proto = lay.final_proto;
  if (s.l3 == L3Kind::kIpv4) {
    const size_t hdr = lay.l3_header_len;
    const size_t total = s.ip4_total_len.value_or(static_cast<uint16_t>(lay.datagram_end - l3));
    m.l3_ok = !s.ip4_ihl && !s.ip_version && l3 + hdr <= kWindow && l3 + hdr <= len &&
              total >= hdr && l3 + total <= len;
    m.l3_valid = m.l3_ok && !s.corrupt_ip4_csum;
    m.frag = m.l3_ok && IsFragment(s);
  } else {
    const size_t payload =
        s.ip6_payload_len.value_or(static_cast<uint16_t>(lay.datagram_end - l3 - 40));
    m.l3_ok = !s.ip_version && l3 + 40 + payload <= len;
    const size_t end = l3 + 40 + payload;
    size_t off = l3 + 40;
    int n = 0;
    for (const Ipv6Ext& e : s.ip6_ext) {
      size_t hl = e.type == Ipv6ExtType::kFragment ? 8 : (e.len_units + 1u) * 8;
      if (n == kMaxExt || off + hl > kWindow || off + hl > end) {
        walk_ok = false;
        m.l4_offset = off;
        m.l4_proto = static_cast<uint8_t>(e.type);
        break;
      }
      if (e.type == Ipv6ExtType::kFragment && (e.more_fragments || e.frag_offset)) m.frag = true;
      off += hl;
      ++n;
    }
    m.frag = m.frag && m.l3_ok;
  }
  if (!m.l3_ok) {
    m.exact_l4 = true;
    m.l4_offset = 0;
    m.l4_proto = 0;
    return m;
  }
  const bool tcp = s.l4 == L4Kind::kTcp, udp = s.l4 == L4Kind::kUdp;
  m.exact_l4 = !l4_len_override || !walk_ok || m.frag || !(tcp || udp);
  m.l4_calc = walk_ok && !m.frag && (tcp || udp) && m.l4_offset + (tcp ? 18 : 8) <= kWindow &&
              intact && !s.udp_len && !(udp && s.udp_csum_zero && s.l3 == L3Kind::kIpv4);
  m.l4_valid = m.l4_calc && !s.corrupt_l4_csum && !s.udp_csum_zero;
  return m;
}

TEST(SupportClassifyRx, AgreesWithTheSpecOfRandomFrames) {
  std::map<std::string, int> seen;
  for (uint64_t seed : {5u, 6u}) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 6000; ++i) {
      FrameSpec s = RandomSpec(rng);
      FrameLayout lay;
      Frame f = BuildFrame(s, &lay);
      const RxCsumRef r = ClassifyRx(f, kWindow, kMaxExt);
      const Implied m = Imply(s, lay, f.size());
      SCOPED_TRACE(s.Describe() + " (" + std::to_string(f.size()) + " B) -> " + r.ToString());
      // Invariants of every result.
      ASSERT_TRUE(!r.l3_valid || r.l3_calc);
      ASSERT_TRUE(!r.l4_valid || r.l4_calc);
      ASSERT_TRUE(!r.l4_calc || !r.ip_frag);
      ASSERT_TRUE(r.l4_calc || r.l4_sum == 0);
      ASSERT_TRUE(r.l3_type != kL3Ipv6 || !r.l3_calc);
      if (m.all_zero) {
        ASSERT_EQ(r, RxCsumRef{});
        continue;
      }
      ASSERT_EQ(r.vlan_count, static_cast<int>(s.vlans.size()));
      ASSERT_EQ(r.l3_type, m.l3_type);
      ASSERT_EQ(r.l3_offset, m.l3_type == kL3None ? 0 : lay.l3_offset);
      ASSERT_EQ(r.l3_calc, m.l3_type == kL3Ipv4 && m.l3_ok);
      ASSERT_EQ(r.l3_valid, m.l3_type == kL3Ipv4 && m.l3_valid);
      ASSERT_EQ(r.ip_frag, m.frag);
      if (m.l3_type == kL3None) {
        ASSERT_EQ(r, (RxCsumRef{.vlan_count = static_cast<int>(s.vlans.size())}));
        continue;
      }
      ASSERT_EQ(r.l4_offset, m.l4_offset);
      ASSERT_EQ(r.l4_proto, m.l4_proto);
      if (m.exact_l4) {
        ASSERT_EQ(r.l4_calc, m.l4_calc);
        ASSERT_EQ(r.l4_valid, m.l4_valid);
      } else {
        ASSERT_FALSE(r.l4_valid) << "a disagreeing length was called valid";
      }
      if (r.l4_calc) {
        // The raw sum, independently: the naive sum and the host's vectorised one.
        const size_t l4_len =
            m.l3_type == kL3Ipv4 ? Get16(f, lay.l3_offset + 2) - lay.l3_header_len
                                 : Get16(f, lay.l3_offset + 4) + lay.l3_offset + 40 - lay.l4_offset;
        auto seg = std::span(f).subspan(lay.l4_offset, l4_len);
        ASSERT_EQ(r.l4_sum, NaiveSum(seg));
        ASSERT_EQ(r.l4_sum, HostSum(seg));
        if (!s.ip4_total_len && !s.ip6_payload_len) {
          ASSERT_EQ(l4_len, lay.l4_length);
        }
      }
      // Any effective corruption knob makes the frame not wholly valid.
      const bool wholly_valid = (m.l3_type == kL3Ipv6 || r.l3_valid) && r.l4_calc && r.l4_valid;
      const bool effective = !s.Clean() && !(s.truncate && f.size() >= lay.datagram_end);
      if (effective && TcpOrUdp(s)) {
        ASSERT_FALSE(wholly_valid);
      }
      seen[r.l4_calc ? (r.l4_valid ? "valid" : "invalid") : "not calc"]++;
      if (!m.exact_l4) seen["length disagrees"]++;
    }
  }
  EXPECT_GT(seen["valid"], 4000);
  EXPECT_GT(seen["invalid"], 300);
  EXPECT_GT(seen["not calc"], 1000);
  EXPECT_GT(seen["length disagrees"], 100);
}

TEST(SupportClassifyRx, SurvivesEveryTruncationAndFlippedBytes) {
  std::mt19937_64 rng(7);
  int cuts = 0;
  for (int i = 0; i < 300; ++i) {
    FrameSpec s = RandomSpec(rng);
    s.payload_len = std::min<size_t>(s.payload_len, 64);
    FrameLayout lay;
    Frame f = BuildFrame(s, &lay);
    for (size_t n = 0; n < f.size(); ++n) {
      RxCsumRef r = ClassifyRx(std::span(f).first(n));
      // Cut into the datagram (as built, with no length override): nothing is calculated.
      if (n < lay.datagram_end && !s.ip4_total_len && !s.ip6_payload_len) {
        ASSERT_FALSE(r.l3_calc || r.l4_calc || r.ip_frag || r.l4_proto || r.l4_offset)
            << s.Describe() << " cut to " << n << ": " << r.ToString();
        ++cuts;
      }
    }
    for (int k = 0; k < 20; ++k) {
      Frame g = f;
      g[rng() % g.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      RxCsumRef r = ClassifyRx(g);  // must stay in bounds: run under -fsanitize=address to see
      ASSERT_TRUE(!r.l4_valid || r.l4_calc);
    }
  }
  EXPECT_GT(cuts, 10000);
}

// ---------------------------------------------------------------------------------------------
// ClassifyRx: directed cases.

Frame RawIpv4(uint8_t proto, const std::vector<uint8_t>& l4) {
  Frame f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  Frame ip = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  ip[2] = static_cast<uint8_t>((20 + l4.size()) >> 8);
  ip[3] = static_cast<uint8_t>(20 + l4.size());
  uint16_t c = static_cast<uint16_t>(~NaiveSum(ip));
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
  f.insert(f.end(), ip.begin(), ip.end());
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

TEST(SupportClassifyRxDirected, RawSumFoldsWithEndAroundCarryAndIsNotNormalised) {
  // An all-zero TCP segment sums to 0x0000; all-ones to 0xFFFF; ff ff ff ff 00 01 ... to 0x0001.
  RxCsumRef z = ClassifyRx(RawIpv4(6, std::vector<uint8_t>(20, 0)));
  EXPECT_TRUE(z.l4_calc) << z.ToString();
  EXPECT_EQ(z.l4_sum, 0x0000);
  RxCsumRef o = ClassifyRx(RawIpv4(6, std::vector<uint8_t>(20, 0xff)));
  EXPECT_TRUE(o.l4_calc);
  EXPECT_EQ(o.l4_sum, 0xffff);
  std::vector<uint8_t> carry(20, 0);
  carry[0] = carry[1] = carry[2] = carry[3] = 0xff;
  carry[5] = 1;
  EXPECT_EQ(ClassifyRx(RawIpv4(6, carry)).l4_sum, 0x0001);
  // An odd length: the last byte is the high byte of a word.
  FrameSpec s;
  s.l4 = L4Kind::kUdp;
  s.payload_len = 1;
  s.pattern = PayloadPattern::kOnes;
  FrameLayout lay;
  Frame f = BuildFrame(s, &lay);
  RxCsumRef r = ClassifyRx(f);
  EXPECT_TRUE(r.l4_calc && r.l4_valid) << r.ToString();
  EXPECT_EQ(r.l4_sum, NaiveSum(std::span(f).subspan(34, 9)));
  // The sum seen from the pseudo-header: l4_sum + pseudo folds to 0xFFFF on every valid frame.
  EXPECT_EQ(NaiveSum({}, static_cast<uint32_t>(r.l4_sum) + lay.pseudo_sum), 0xffff);
}

TEST(SupportClassifyRxDirected, EthernetAndTags) {
  EXPECT_EQ(ClassifyRx(Frame(13, 0)), RxCsumRef{});
  FrameSpec s;
  s.vlans = {{kTpidCustomer, 1}, {kTpidService, 2}};
  Frame f = BuildFrame(s);
  RxCsumRef r = ClassifyRx(f);
  EXPECT_EQ(r.vlan_count, 2);
  EXPECT_EQ(r.l3_offset, 22);
  EXPECT_EQ(r.l4_offset, 42);
  EXPECT_TRUE(r.l3_valid && r.l4_valid);
  // A tag but no room for the type after it: everything zero.
  EXPECT_EQ(ClassifyRx(std::span(f).first(17)), RxCsumRef{});
  EXPECT_EQ(ClassifyRx(std::span(f).first(21)), RxCsumRef{});
  // The ethertype present, the IPv4 header not.
  RxCsumRef h = ClassifyRx(std::span(f).first(30));
  EXPECT_EQ(h, (RxCsumRef{.l3_type = kL3Ipv4, .l3_offset = 22, .vlan_count = 2}));
  // A third tag: L3 none.
  FrameSpec t;
  t.vlans = {{kTpidService, 1}, {kTpidCustomer, 2}};
  t.l3 = L3Kind::kNone;
  t.other_ethertype = kTpidCustomer;
  t.payload_len = 60;
  EXPECT_EQ(ClassifyRx(BuildFrame(t)), (RxCsumRef{.vlan_count = 2}));
  // Another ethertype.
  t.other_ethertype = 0x0806;
  EXPECT_EQ(ClassifyRx(BuildFrame(t)), (RxCsumRef{.vlan_count = 2}));
}

TEST(SupportClassifyRxDirected, Ipv4Structure) {
  FrameSpec s;
  s.ip4_options_len = 40;
  s.vlans = {{kTpidCustomer, 1}, {kTpidCustomer, 2}};
  Frame f = BuildFrame(s);
  RxCsumRef r = ClassifyRx(f);
  EXPECT_TRUE(r.l3_valid && r.l4_valid) << r.ToString();
  EXPECT_EQ(r.l4_offset, 22 + 60);
  // Header must end within the window: 82 bytes.
  EXPECT_TRUE(ClassifyRx(f, 82).l3_calc);
  EXPECT_FALSE(ClassifyRx(f, 81).l3_calc);
  EXPECT_EQ(ClassifyRx(f, 81).l4_proto, 0);
  // Bad IHL (every value below 5) and bad version.
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    FrameSpec b;
    b.ip4_ihl = ihl;
    RxCsumRef x = ClassifyRx(BuildFrame(b));
    EXPECT_FALSE(x.l3_calc || x.l4_calc) << int{ihl};
    EXPECT_EQ(x.l3_type, kL3Ipv4);
  }
  FrameSpec v;
  v.ip_version = 6;
  EXPECT_FALSE(ClassifyRx(BuildFrame(v)).l3_calc);
  // Total length below the header, and beyond the frame.
  FrameSpec t;
  t.payload_len = 100;
  t.ip4_total_len = 19;
  EXPECT_FALSE(ClassifyRx(BuildFrame(t)).l3_calc);
  t.ip4_total_len = 141;
  EXPECT_FALSE(ClassifyRx(BuildFrame(t)).l3_calc);
  t.ip4_total_len = 140;  // exact
  EXPECT_TRUE(ClassifyRx(BuildFrame(t)).l4_valid);
  // Padding and a trailer are not part of the datagram.
  FrameSpec p;
  p.l4 = L4Kind::kUdp;
  p.trailer_len = 30;
  RxCsumRef pr = ClassifyRx(BuildFrame(p));
  EXPECT_TRUE(pr.l3_valid && pr.l4_valid) << pr.ToString();
  // Corrupt header checksum: calculated, not valid; L4 unaffected.
  FrameSpec c;
  c.corrupt_ip4_csum = true;
  RxCsumRef cr = ClassifyRx(BuildFrame(c));
  EXPECT_TRUE(cr.l3_calc && !cr.l3_valid && cr.l4_valid) << cr.ToString();
}

TEST(SupportClassifyRxDirected, Ipv4FragmentsAndUdpZero) {
  FrameSpec s;
  s.l4 = L4Kind::kUdp;
  s.ip4_mf = true;
  RxCsumRef r = ClassifyRx(BuildFrame(s));
  EXPECT_TRUE(r.ip_frag && r.l3_valid && !r.l4_calc) << r.ToString();
  EXPECT_EQ(r.l4_proto, 17);
  EXPECT_EQ(r.l4_offset, 34);
  s.ip4_mf = false;
  s.ip4_frag_offset = 1;
  EXPECT_TRUE(ClassifyRx(BuildFrame(s)).ip_frag);
  s.ip4_frag_offset = 0;
  s.ip4_df = true;
  EXPECT_FALSE(ClassifyRx(BuildFrame(s)).ip_frag);
  // UDP checksum 0 over IPv4: no checksum, not calculated; a length mismatch: not calculated.
  s.udp_csum_zero = true;
  r = ClassifyRx(BuildFrame(s));
  EXPECT_FALSE(r.l4_calc || r.l4_valid) << r.ToString();
  s.udp_csum_zero = false;
  s.payload_len = 10;
  s.udp_len = 17;
  EXPECT_FALSE(ClassifyRx(BuildFrame(s)).l4_calc);
  s.udp_len = 19;
  EXPECT_FALSE(ClassifyRx(BuildFrame(s)).l4_calc);
  s.udp_len.reset();
  EXPECT_TRUE(ClassifyRx(BuildFrame(s)).l4_valid);
  // Another protocol: reported, never calculated.
  FrameSpec o;
  o.l4 = L4Kind::kOther;
  o.other_proto = 132;
  o.payload_len = 40;
  r = ClassifyRx(BuildFrame(o));
  EXPECT_TRUE(r.l3_valid && !r.l4_calc) << r.ToString();
  EXPECT_EQ(r.l4_proto, 132);
}

TEST(SupportClassifyRxDirected, L4HeaderWindowEdges) {
  FrameSpec s;  // TCP at 34: through the checksum field is 52
  Frame f = BuildFrame(s);
  EXPECT_TRUE(ClassifyRx(f, 52).l4_valid);
  EXPECT_FALSE(ClassifyRx(f, 51).l4_calc);
  EXPECT_EQ(ClassifyRx(f, 51).l4_offset, 34);
  s.l4 = L4Kind::kUdp;  // UDP at 34: through the checksum field is 42
  f = BuildFrame(s);
  EXPECT_TRUE(ClassifyRx(f, 42).l4_valid);
  EXPECT_FALSE(ClassifyRx(f, 41).l4_calc);
  // TCP shorter than 20 bytes: not calculated.
  Frame t = RawIpv4(6, std::vector<uint8_t>(19, 0));
  EXPECT_FALSE(ClassifyRx(t).l4_calc);
  Frame u = RawIpv4(17, {0, 1, 0, 2, 0, 7, 0, 0});  // 8 bytes but UDP length says 7
  EXPECT_FALSE(ClassifyRx(u).l4_calc);
  EXPECT_THROW(ClassifyRx(f, 256), std::invalid_argument);
}

TEST(SupportClassifyRxDirected, Ipv6ExtensionHeaders) {
  FrameSpec s;
  s.l3 = L3Kind::kIpv6;
  s.l4 = L4Kind::kUdp;
  s.payload_len = 20;
  RxCsumRef r = ClassifyRx(BuildFrame(s));
  EXPECT_TRUE(!r.l3_calc && !r.l3_valid && r.l4_calc && r.l4_valid) << r.ToString();
  EXPECT_EQ(r.l3_type, kL3Ipv6);
  EXPECT_EQ(r.l4_offset, 54);
  // Four 8-byte headers: walked; a fifth: the walk stops there.
  s.ip6_ext = {{Ipv6ExtType::kHopByHop},
               {Ipv6ExtType::kDestOpts},
               {Ipv6ExtType::kRouting},
               {Ipv6ExtType::kFragment}};
  r = ClassifyRx(BuildFrame(s));
  EXPECT_TRUE(r.l4_calc && r.l4_valid && !r.ip_frag) << r.ToString();  // atomic fragment
  EXPECT_EQ(r.l4_offset, 54 + 32);
  s.ip6_ext.push_back({Ipv6ExtType::kDestOpts});
  r = ClassifyRx(BuildFrame(s));
  EXPECT_FALSE(r.l4_calc) << r.ToString();
  EXPECT_EQ(r.l4_proto, 60);
  EXPECT_EQ(r.l4_offset, 54 + 32);
  EXPECT_TRUE(ClassifyRx(BuildFrame(s), 128, 5).l4_valid);
  EXPECT_FALSE(ClassifyRx(BuildFrame(s), 128, 0).l4_calc);
  EXPECT_EQ(ClassifyRx(BuildFrame(s), 128, 0).l4_proto, 0);
  // A header that ends beyond the window: 54 + 8 * 9 = 126 fits, 54 + 8 * 10 does not.
  s.ip6_ext = {{Ipv6ExtType::kDestOpts, 8}};
  r = ClassifyRx(BuildFrame(s));
  EXPECT_EQ(r.l4_offset, 126);
  EXPECT_FALSE(r.l4_calc);  // UDP header not in the window
  EXPECT_TRUE(ClassifyRx(BuildFrame(s), 134).l4_valid);
  s.ip6_ext = {{Ipv6ExtType::kDestOpts, 9}};
  r = ClassifyRx(BuildFrame(s));
  EXPECT_EQ(r.l4_offset, 54);
  EXPECT_EQ(r.l4_proto, 60);
  // A header that ends beyond the payload.
  s.ip6_ext = {{Ipv6ExtType::kDestOpts, 1}};
  s.payload_len = 0;
  s.l4 = L4Kind::kOther;
  s.other_proto = 59;
  s.ip6_payload_len = 15;
  r = ClassifyRx(BuildFrame(s));
  EXPECT_EQ(r.l4_proto, 60);
  EXPECT_EQ(r.l4_offset, 54);
  // Fragments: M, offset.
  s = {};
  s.l3 = L3Kind::kIpv6;
  s.ip6_ext = {{.type = Ipv6ExtType::kFragment, .more_fragments = true}};
  r = ClassifyRx(BuildFrame(s));
  EXPECT_TRUE(r.ip_frag && !r.l4_calc) << r.ToString();
  EXPECT_EQ(r.l4_proto, 6);
  s.ip6_ext = {{.type = Ipv6ExtType::kFragment, .frag_offset = 8191}};
  EXPECT_TRUE(ClassifyRx(BuildFrame(s)).ip_frag);
  // UDP checksum 0 over IPv6: calculated, not valid.
  s = {};
  s.l3 = L3Kind::kIpv6;
  s.l4 = L4Kind::kUdp;
  s.udp_csum_zero = true;
  r = ClassifyRx(BuildFrame(s));
  EXPECT_TRUE(r.l4_calc && !r.l4_valid) << r.ToString();
  // Bad version; payload length beyond the frame.
  s.udp_csum_zero = false;
  s.ip_version = 4;
  EXPECT_FALSE(ClassifyRx(BuildFrame(s)).l4_calc);
  s.ip_version.reset();
  s.ip6_payload_len = 9;
  EXPECT_FALSE(ClassifyRx(BuildFrame(s)).l4_calc);
  EXPECT_EQ(ClassifyRx(BuildFrame(s)).l4_proto, 0);
}

// ---------------------------------------------------------------------------------------------
// Transmit cases.

// The engine's job in software: sum from csum_start to the end, complement, UDP 0 -> 0xFFFF;
// then the IPv4 header checksum.
Frame ApplyTx(const TxCase& tc) {
  Frame f = tc.seeded;
  if (tc.l4_en) {
    uint16_t c = static_cast<uint16_t>(~NaiveSum(std::span(f).subspan(tc.csum_start)));
    if (tc.udp && c == 0) c = 0xffff;
    f[tc.csum_start + tc.csum_offset] = static_cast<uint8_t>(c >> 8);
    f[tc.csum_start + tc.csum_offset + 1] = static_cast<uint8_t>(c);
  }
  if (tc.ip4_en) {
    size_t hl = 4u * (f[tc.l3_offset] & 0xf);
    uint16_t c = static_cast<uint16_t>(~NaiveSum(std::span(f).subspan(tc.l3_offset, hl)));
    f[tc.l3_offset + 10] = static_cast<uint8_t>(c >> 8);
    f[tc.l3_offset + 11] = static_cast<uint8_t>(c);
  }
  return f;
}

TEST(SupportTxCase, SeededAsFreeBsdAndCompletedByTheEngineModel) {
  std::mt19937_64 rng(8);
  int l4 = 0;
  for (int i = 0; i < 3000; ++i) {
    FrameSpec s = RandomSpec(rng);
    TxCase tc = MakeTxCase(s);
    SCOPED_TRACE(s.Describe());
    ASSERT_EQ(tc.seeded.size(), tc.expected.size());
    ASSERT_EQ(ApplyTx(tc), tc.expected);
    if (s.l3 == L3Kind::kNone) {
      ASSERT_FALSE(tc.l4_en || tc.ip4_en);
      ASSERT_EQ(tc.seeded, tc.expected);
      continue;
    }
    ASSERT_EQ(tc.ip4_en, s.l3 == L3Kind::kIpv4);
    ASSERT_EQ(tc.l4_en, TcpOrUdp(s) && !IsFragment(s));
    if (tc.ip4_en) {
      ASSERT_EQ(Get16(tc.seeded, tc.l3_offset + 10), 0);
    }
    if (!tc.l4_en) continue;
    ++l4;
    ASSERT_EQ(tc.csum_offset, s.l4 == L4Kind::kUdp ? 6 : 16);
    const size_t field = tc.csum_start + tc.csum_offset;
    const size_t l4_len = tc.seeded.size() - tc.csum_start;  // never padded
    const uint16_t pseudo = PseudoFromFrame(tc.seeded, tc.l3_offset, s.l3 == L3Kind::kIpv6,
                                            s.l4 == L4Kind::kUdp ? 17 : 6, l4_len);
    ASSERT_EQ(Get16(tc.seeded, field), pseudo);
    ASSERT_EQ(tc.pseudo_sum, pseudo);
    RxCsumRef r = ClassifyRx(tc.expected);
    if (r.l4_calc) {
      ASSERT_TRUE(r.l4_valid) << r.ToString();
    }
    // Only the two checksum fields differ.
    for (size_t k = 0; k < tc.seeded.size(); ++k) {
      if (k == field || k == field + 1) continue;
      if (tc.ip4_en && (k == tc.l3_offset + 10u || k == tc.l3_offset + 11u)) continue;
      ASSERT_EQ(tc.seeded[k], tc.expected[k]) << k;
    }
  }
  EXPECT_GT(l4, 1500);
}

TEST(SupportTxCase, ExpectedFramesPassTshark) {
  if (!TsharkAvailable()) GTEST_SKIP() << kNoTshark;
  std::mt19937_64 rng(9);
  std::vector<FrameSpec> specs;
  std::vector<Frame> frames;
  while (frames.size() < 200) {
    FrameSpec s = RandomSpec(rng);
    if (s.l3 == L3Kind::kNone) continue;
    specs.push_back(s);
    frames.push_back(MakeTxCase(s).expected);
  }
  std::string path = WriteTemp("test_support_tx.pcap", frames);
  TsharkResult ts = CheckChecksums(path);
  ASSERT_EQ(ts.size(), frames.size());
  int good = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameSpec& s = specs[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + s.Describe());
    if (s.l3 == L3Kind::kIpv4) {
      EXPECT_EQ(ts[i].ip, kTsharkGood);
    }
    if (!TcpOrUdp(s) || IsFragment(s)) continue;
    EXPECT_EQ(s.l4 == L4Kind::kTcp ? ts[i].tcp : ts[i].udp, kTsharkGood);
    ++good;
  }
  EXPECT_GT(good, 120);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mbufnic::rtltest
