// The offload contract, one function each way: TxOffloadCommand (FreeBSD's transmit request ->
// the card's tx_offload_cmd bytes) and RxCsumFlags (rx_csum_result -> csum_flags / csum_data).
// Expected commands come from the frame generator's layout of each frame (where its IP and L4
// headers really are), never from the driver's own header parse.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <array>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "driver_test_util.h"
#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/driver.hpp"
#include "rx_csum_ref.h"

namespace mbufnic::drivertest {
namespace {

using driver::HeaderLengths;
using driver::RxCsumFlags;
using driver::TxHeaderLengths;
using driver::TxOffloadCommand;
using rtltest::BuildFrame;
using rtltest::FrameLayout;
using rtltest::FrameSpec;
using rtltest::L3Kind;
using rtltest::L4Kind;

// The seven request bits the card carries out.
constexpr std::array<uint32_t, 7> kBits = {CSUM_IP,      CSUM_IP_UDP, CSUM_IP_TCP, CSUM_IP6_UDP,
                                           CSUM_IP6_TCP, CSUM_IP_TSO, CSUM_IP6_TSO};
constexpr uint16_t kMss = 1000;

struct Case {
  std::string name;
  FrameSpec spec;
};

std::vector<Case> Cases() {
  std::vector<Case> v;
  auto add = [&](std::string name, L3Kind l3, L4Kind l4, int vlans, int ip4_opts, int tcp_opts,
                 int ext) {
    FrameSpec s;
    s.l3 = l3;
    s.l4 = l4;
    for (int i = 0; i < vlans; ++i) {
      s.vlans.push_back(
          rtltest::VlanTag{i == 0 && vlans == 2 ? rtltest::kTpidService : rtltest::kTpidCustomer,
                           static_cast<uint16_t>(100 + i)});
    }
    s.ip4_options_len = static_cast<uint8_t>(ip4_opts);
    s.tcp_options_len = static_cast<uint8_t>(tcp_opts);
    for (int i = 0; i < ext; ++i) {
      s.ip6_ext.push_back(rtltest::Ipv6Ext{
          i == 0 ? rtltest::Ipv6ExtType::kHopByHop : rtltest::Ipv6ExtType::kDestOpts,
          static_cast<uint8_t>(i)});
    }
    s.payload_len = 3000;
    s.pad_to_min = false;
    v.push_back({std::move(name), s});
  };
  add("ip4_tcp", L3Kind::kIpv4, L4Kind::kTcp, 0, 0, 0, 0);
  add("ip4_udp", L3Kind::kIpv4, L4Kind::kUdp, 0, 0, 0, 0);
  add("ip6_tcp", L3Kind::kIpv6, L4Kind::kTcp, 0, 0, 0, 0);
  add("ip6_udp", L3Kind::kIpv6, L4Kind::kUdp, 0, 0, 0, 0);
  add("vlan_ip4_tcp", L3Kind::kIpv4, L4Kind::kTcp, 1, 0, 0, 0);
  add("vlan_ip6_udp", L3Kind::kIpv6, L4Kind::kUdp, 1, 0, 0, 0);
  add("qinq_ip4_udp", L3Kind::kIpv4, L4Kind::kUdp, 2, 0, 0, 0);
  add("ip4_opts_tcp_opts", L3Kind::kIpv4, L4Kind::kTcp, 0, 12, 20, 0);
  add("ip6_ext_tcp_opts", L3Kind::kIpv6, L4Kind::kTcp, 1, 0, 12, 2);
  return v;
}

// What FreeBSD's contract says the card must be told, from the frame's real layout.  nullopt:
// the request contradicts itself and must be refused.
std::optional<hw::TxOffloadCmd> Expected(uint32_t f, const FrameSpec &s, const FrameLayout &lay,
                                         size_t len) {
  const uint32_t tso = f & (CSUM_IP_TSO | CSUM_IP6_TSO);
  const uint32_t l4 = f & (CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP | CSUM_IP6_TCP);
  const bool l4_ip6 = (l4 & (CSUM_IP6_UDP | CSUM_IP6_TCP)) != 0;
  const bool l4_udp = (l4 & (CSUM_IP_UDP | CSUM_IP6_UDP)) != 0;
  if (__builtin_popcount(l4) > 1 || tso == (CSUM_IP_TSO | CSUM_IP6_TSO)) return std::nullopt;
  if (l4_ip6 && (f & CSUM_IP)) return std::nullopt;
  hw::TxOffloadCmd cmd{};
  if (tso != 0) {
    const bool ipv6 = tso == CSUM_IP6_TSO;
    if (l4_udp || (l4 != 0 && l4_ip6 != ipv6) || (ipv6 && (f & CSUM_IP))) return std::nullopt;
    const size_t l4hlen = s.l4 == L4Kind::kUdp ? 8 : 20 + s.tcp_options_len;
    const size_t hdr = lay.l4_offset + l4hlen;
    hw::SegCmd seg{};
    seg.set_kind(hw::SegKind::kTcp)
        .set_ipv6(ipv6)
        .set_mss(kMss)
        .set_l2hlen(static_cast<uint8_t>(lay.l3_offset))
        .set_l3hlen(static_cast<uint8_t>(lay.l3_header_len))
        .set_l4hlen(static_cast<uint8_t>(l4hlen))
        .set_pay_len(static_cast<uint32_t>(len - hdr));
    cmd.set_seg(seg);
    return cmd;
  }
  hw::TxCsumCmd c{};
  if (f & CSUM_IP) c.set_ip4_en(true).set_l3_offset(static_cast<uint8_t>(lay.l3_offset));
  if (l4 != 0) {
    const uint8_t field = s.l4 == L4Kind::kUdp ? 6 : 16;
    c.set_l4_en(true)
        .set_csum_start(static_cast<uint16_t>(lay.l4_offset))
        .set_csum_offset(field)
        .set_udp(l4_udp);
  }
  cmd.set_csum(c);
  return cmd;
}

std::string Hex(const hw::TxOffloadCmd &c) {
  std::string s;
  char b[4];
  for (uint8_t x : c.bytes) {
    std::snprintf(b, sizeof b, "%02x ", x);
    s += b;
  }
  return s;
}

// Every subset of the seven request bits, on every frame kind, with the header lengths parsed
// (l2hlen 0, as FreeBSD's stack leaves it) and given in m_pkthdr: the exact command bytes.
TEST(TxOffloadCommand, EveryFlagCombinationOnEveryFrameKind) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(11);
  for (const Case &k : Cases()) {
    FrameLayout lay;
    const std::vector<uint8_t> frame = BuildFrame(k.spec, &lay);
    const size_t l4hlen = k.spec.l4 == L4Kind::kUdp ? 8 : 20 + k.spec.tcp_options_len;
    for (Layout layout : {Layout::kOneBuffer, Layout::kSmallMbufs}) {
      for (bool given : {false, true}) {
        for (uint32_t subset = 0; subset < (1u << kBits.size()); ++subset) {
          uint32_t f = 0;
          for (size_t b = 0; b < kBits.size(); ++b) {
            if (subset & (1u << b)) f |= kBits[b];
          }
          TestChain c = BuildChain(frame, layout, rng);
          c.m->m_pkthdr.csum_flags = f;
          c.m->m_pkthdr.csum_data = k.spec.l4 == L4Kind::kUdp ? 6 : 16;
          c.m->m_pkthdr.tso_segsz = kMss;
          if (given) {
            c.m->m_pkthdr.l2hlen = static_cast<uint8_t>(lay.l3_offset);
            c.m->m_pkthdr.l3hlen = static_cast<uint8_t>(lay.l3_header_len);
            c.m->m_pkthdr.l4hlen = static_cast<uint8_t>(l4hlen);
          }
          hw::TxOffloadCmd cmd;
          const int err = TxOffloadCommand(c.m, &cmd);
          const auto want = Expected(f, k.spec, lay, frame.size());
          SCOPED_TRACE(k.name + " " + LayoutName(layout) + (given ? " lengths given" : " parsed") +
                       " csum_flags=" + std::to_string(f));
          if (want) {
            ASSERT_EQ(err, 0);
            EXPECT_EQ(cmd, *want) << "got  " << Hex(cmd) << "\nwant " << Hex(*want);
          } else {
            EXPECT_EQ(err, EINVAL);
          }
          FreeTestChain(c);
        }
      }
    }
  }
}

// The same requests as literal bytes, so a generator change that moved a field would show.
TEST(TxOffloadCommand, GoldenBytes) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(1);
  FrameSpec s;  // IPv4 / TCP, no VLAN: L3 at 14, L4 at 34
  s.payload_len = 1000;
  const std::vector<uint8_t> frame = BuildFrame(s);
  TestChain c = BuildChain(frame, Layout::kOneBuffer, rng);
  hw::TxOffloadCmd cmd;

  c.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP;
  c.m->m_pkthdr.csum_data = 16;
  ASSERT_EQ(TxOffloadCommand(c.m, &cmd), 0);
  // csum_start 34, csum_offset 16, l3_offset 14, csum_init 0, l4_en | ip4_en (bits 48, 49).
  const std::array<uint8_t, 16> csum = {0x22, 0x00, 0x10, 0x0e, 0, 0, 0x03, 0,
                                        0,    0,    0,    0,    0, 0, 0,    0};
  EXPECT_EQ(cmd.bytes, csum) << Hex(cmd);

  c.m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
  c.m->m_pkthdr.tso_segsz = 1448;
  ASSERT_EQ(TxOffloadCommand(c.m, &cmd), 0);
  // seg: mss 0x05a8, l2 14, l3 20, l4 20, kind tcp (bits 40-41) and pay_len 1000 from bit 43.
  const std::array<uint8_t, 16> tso = {0,    0,    0,    0,    0,    0,    0,    0,
                                       0xa8, 0x05, 0x0e, 0x14, 0x14, 0x41, 0x1f, 0x00};
  EXPECT_EQ(cmd.bytes, tso) << Hex(cmd);
  FreeTestChain(c);

  s.l4 = L4Kind::kUdp;
  s.vlans = {rtltest::VlanTag{}};  // l2hlen 18
  c = BuildChain(BuildFrame(s), Layout::kSmallMbufs, rng);
  c.m->m_pkthdr.csum_flags = CSUM_IP_UDP;
  c.m->m_pkthdr.csum_data = 6;
  ASSERT_EQ(TxOffloadCommand(c.m, &cmd), 0);
  // csum_start 38, csum_offset 6, l3_offset 0 (no ip4_en), l4_en | udp (bits 48, 50).
  const std::array<uint8_t, 16> udp = {0x26, 0x00, 0x06, 0x00, 0, 0, 0x05, 0,
                                       0,    0,    0,    0,    0, 0, 0,    0};
  EXPECT_EQ(cmd.bytes, udp) << Hex(cmd);
  FreeTestChain(c);
}

TEST(TxOffloadCommand, NoRequestIsAllZeroAndReceiveBitsAreNotRequests) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(2);
  TestChain c = BuildChain(BuildFrame(FrameSpec{}), Layout::kOneBuffer, rng);
  hw::TxOffloadCmd cmd;
  cmd.bytes.fill(0xee);
  ASSERT_EQ(TxOffloadCommand(c.m, &cmd), 0);
  EXPECT_EQ(cmd, hw::TxOffloadCmd{});
  // A forwarded packet keeps its receive results; a send tag is not a request either.
  c.m->m_pkthdr.csum_flags = CSUM_L3_CALC | CSUM_L3_VALID | CSUM_L4_CALC | CSUM_L4_VALID;
  ASSERT_EQ(TxOffloadCommand(c.m, &cmd), 0);
  EXPECT_EQ(cmd, hw::TxOffloadCmd{});
  FreeTestChain(c);
}

TEST(TxOffloadCommand, RefusesWhatTheCardCannotDo) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(3);
  TestChain c = BuildChain(BuildFrame(FrameSpec{}), Layout::kOneBuffer, rng);
  hw::TxOffloadCmd cmd;
  for (uint32_t f : {uint32_t{CSUM_IP_SCTP}, uint32_t{CSUM_IP6_SCTP}, uint32_t{CSUM_IP_ISCSI},
                     uint32_t{CSUM_INNER_IP}, uint32_t{CSUM_INNER_IP_TCP},
                     uint32_t{CSUM_ENCAP_VXLAN | CSUM_IP_UDP}, uint32_t{CSUM_INNER_IP6_TSO}}) {
    c.m->m_pkthdr.csum_flags = f;
    EXPECT_EQ(TxOffloadCommand(c.m, &cmd), EINVAL) << f;
  }
  // csum_data is an 8-bit field offset; and the field must lie inside the frame.
  c.m->m_pkthdr.csum_flags = CSUM_IP_TCP;
  c.m->m_pkthdr.csum_data = 256;
  EXPECT_EQ(TxOffloadCommand(c.m, &cmd), EINVAL);
  c.m->m_pkthdr.csum_data = static_cast<uint32_t>(c.m->m_pkthdr.len - 34 - 1);
  EXPECT_EQ(TxOffloadCommand(c.m, &cmd), EINVAL);
  FreeTestChain(c);

  // No IP header to find: a checksum request on a frame of another ethertype.
  FrameSpec other;
  other.l3 = L3Kind::kNone;
  other.payload_len = 100;
  c = BuildChain(BuildFrame(other), Layout::kOneBuffer, rng);
  c.m->m_pkthdr.csum_flags = CSUM_IP;
  EXPECT_EQ(TxOffloadCommand(c.m, &cmd), EINVAL);
  FreeTestChain(c);
}

TEST(TxHeaderLengths, ParsedFromChainsOrTakenFromThePacketHeader) {
  test::LeakCheck leaks;
  std::mt19937_64 rng(4);
  for (const Case &k : Cases()) {
    FrameLayout lay;
    const std::vector<uint8_t> frame = BuildFrame(k.spec, &lay);
    for (Layout layout : kAllLayouts) {
      TestChain c = BuildChain(frame, layout, rng, 20);
      HeaderLengths h;
      ASSERT_TRUE(TxHeaderLengths(c.m, &h)) << k.name;
      EXPECT_EQ(h.l2, lay.l3_offset) << k.name << " " << LayoutName(layout);
      EXPECT_EQ(h.l3, lay.l3_header_len) << k.name;
      EXPECT_EQ(h.l4, k.spec.l4 == L4Kind::kUdp ? 8 : 20 + k.spec.tcp_options_len) << k.name;
      // Lengths the stack (or a tunnel) put in m_pkthdr are used as they are.
      c.m->m_pkthdr.l2hlen = 18;
      c.m->m_pkthdr.l3hlen = 44;
      c.m->m_pkthdr.l4hlen = 32;
      ASSERT_TRUE(TxHeaderLengths(c.m, &h));
      EXPECT_EQ(h.l2, 18);
      EXPECT_EQ(h.l3, 44);
      EXPECT_EQ(h.l4, 32);
      FreeTestChain(c);
    }
  }
}

// ---- Receive ------------------------------------------------------------------------------------

TEST(RxCsumFlags, EveryResultCombination) {
  for (int bits = 0; bits < 16; ++bits) {
    hw::RxCsumResult r{};
    r.set_l3_calc(bits & 1).set_l3_valid(bits & 2).set_l4_calc(bits & 4).set_l4_valid(bits & 8);
    r.set_l4_sum(0x1234);
    uint32_t data = 0xdead;
    const uint32_t f = RxCsumFlags(r, &data);
    uint32_t want = 0;
    if (bits & 1) want |= CSUM_L3_CALC | ((bits & 2) ? CSUM_L3_VALID : 0);
    if ((bits & 4) && (bits & 8)) want |= CSUM_L4_CALC | CSUM_L4_VALID;
    EXPECT_EQ(f, want) << bits;
    EXPECT_EQ(data, (want & CSUM_L4_VALID) ? 0xffffu : 0u) << bits;
  }
}

// What FreeBSD's input path concludes from the flags (ip_input, tcp_input/udp_input with
// PSEUDO_HDR): a good frame is accepted without a software sum, a bad one is never accepted.
TEST(RxCsumFlags, TheStackReachesTheRightVerdict) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 400; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng);
    const std::vector<uint8_t> frame = BuildFrame(s);
    const rtltest::RxCsumRef ref = rtltest::ClassifyRx(frame);
    hw::RxCsumResult r{};
    r.set_l3_calc(ref.l3_calc)
        .set_l3_valid(ref.l3_valid)
        .set_l4_calc(ref.l4_calc)
        .set_l4_valid(ref.l4_valid)
        .set_l4_sum(ref.l4_sum);
    uint32_t data;
    const uint32_t f = RxCsumFlags(r, &data);
    SCOPED_TRACE(s.Describe());
    if (f & CSUM_L3_CALC) {
      // ip_input: bad exactly when CSUM_L3_VALID is missing.
      EXPECT_EQ((f & CSUM_L3_VALID) != 0, !s.corrupt_ip4_csum);
    }
    if (f & CSUM_L4_VALID) {
      ASSERT_TRUE(f & CSUM_L4_CALC);
      // tcp_input: th_sum = csum_data ^ 0xffff must be 0.
      EXPECT_EQ(data ^ 0xffff, 0u);
      EXPECT_FALSE(s.corrupt_l4_csum) << "a corrupted L4 checksum reported good";
    }
  }
}

}  // namespace
}  // namespace mbufnic::drivertest
