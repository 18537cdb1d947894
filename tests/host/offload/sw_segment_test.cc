// SegmentFrame, rule by rule: golden frames computed outside the project (a short Python script
// with its own RFC 1071 sum), hand-worked field values for every per-segment rule and header
// layout, every seg_err code with a request crafted to trigger exactly it, and the kFrameLen
// partial-output rule.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "mbufnic/sw_offload.hpp"
#include "seg_check.h"

namespace mbufnic::offloadtest {
namespace {

using rtltest::VlanTag;

struct Result {
  SegErr err;
  Frames segs;
};

Result Segment(std::span<const uint8_t> frame, const SegRequest& req,
               const SegLimits& limits = {}) {
  Result r;
  r.err = SegmentFrame(frame, req, &r.segs, limits);
  return r;
}

// The segments of a request that must be accepted, checked against every rule on the way.
Frames Valid(std::span<const uint8_t> frame, const SegRequest& req) {
  Frames segs;
  EXPECT_EQ(SegmentFrame(frame, req, &segs), SegErr::kNone);
  EXPECT_TRUE(SegmentsFollowRules(frame, req, segs));
  return segs;
}
Frames Valid(const SegCase& c) { return Valid(c.frame, c.req); }

SegRequest Request(SegKind kind, bool ipv6, uint16_t mss, uint8_t l2, uint8_t l3, uint8_t l4,
                   uint32_t pay) {
  SegRequest r;
  r.kind = kind;
  r.ipv6 = ipv6;
  r.mss = mss;
  r.l2hlen = l2;
  r.l3hlen = l3;
  r.l4hlen = l4;
  r.pay_len = pay;
  return r;
}

FrameSpec Spec(L3Kind l3, L4Kind l4, size_t payload) {
  FrameSpec s;
  s.l3 = l3;
  s.l4 = l4;
  s.payload_len = payload;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Golden frames, written by golden_segments.py beside this file (Python, nothing from the
// project): IPv4/TCP from 192.0.2.1:1234 to 198.51.100.2:80, ID 0x1234, DF, seq 0x01020304,
// flags CWR|ACK|PSH|FIN, payload 00..09, MSS 4; IPv6/UDP behind a VLAN tag, flow 0x12345,
// 5000 -> 53, payload a0..a6, MSS 3.
// ---------------------------------------------------------------------------------------------

TEST(SegGolden, Ipv4TcpThreeSegments) {
  const Frame req = FromHex(
      "020000000002 020000000001 0800 450000321234400040060000c0000201c6336402"
      "04d20050010203040a0b0c0d5099ffffec3d0000 00010203040506070809");
  const Frames want = {
      FromHex("020000000002020000000001080045 00002c1234400040063c61c0000201c6336402"
              "04d20050010203040a0b0c0d5090ffffa1d50000 00010203"),
      FromHex("020000000002020000000001080045 00002c1235400040063c60c0000201c6336402"
              "04d20050010203080a0b0c0d5010ffff9a490000 04050607"),
      FromHex("020000000002020000000001080045 00002a1236400040063c61c0000201c6336402"
              "04d200500102030c0a0b0c0d5019ffff9c410000 0809"),
  };
  const Result r = Segment(req, Request(SegKind::kTcp, false, 4, 14, 20, 20, 10));
  EXPECT_EQ(r.err, SegErr::kNone);
  EXPECT_EQ(r.segs, want);
}

TEST(SegGolden, Ipv6UdpBehindVlanThreeSegments) {
  const Frame req = FromHex(
      "020000000002 020000000001 8100 2064 86dd"
      "60012345000f1140 20010db8000000000000000000000001 20010db8000000000000000000000002"
      "13880035000f5b86 a0a1a2a3a4a5a6");
  const char* ip6 =
      "1140 20010db8000000000000000000000001 20010db8000000000000000000000002 13880035";
  const char* l2 = "020000000002 020000000001 8100 2064 86dd 60012345";
  const Frames want = {
      FromHex(std::string(l2) + "000b" + ip6 + "000b4e04 a0a1a2"),
      FromHex(std::string(l2) + "000b" + ip6 + "000b4801 a3a4a5"),
      FromHex(std::string(l2) + "0009" + ip6 + "0009eaa9 a6"),
  };
  const Result r = Segment(req, Request(SegKind::kUdp, true, 3, 18, 40, 8, 7));
  EXPECT_EQ(r.err, SegErr::kNone);
  EXPECT_EQ(r.segs, want);
}

// ---------------------------------------------------------------------------------------------
// Header layouts: IPv4 (with and without options) and IPv6 (with and without extension
// headers), 0, 1 or 2 VLAN tags, TCP with and without options, and UDP.
// ---------------------------------------------------------------------------------------------

struct Layout {
  L3Kind l3;
  L4Kind l4;
  int vlans;
  uint8_t ip4_options;                // bytes
  std::vector<Ipv6ExtType> ext;       // each 16 bytes (len_units 1)
  uint8_t tcp_options;                // bytes
  uint8_t want_l2, want_l3, want_l4;  // hand-counted lengths
};

class SegLayoutTest : public ::testing::TestWithParam<Layout> {};

TEST_P(SegLayoutTest, EveryRuleHoldsAndLengthsAreHandCounted) {
  const Layout& p = GetParam();
  FrameSpec s = Spec(p.l3, p.l4, 3000);
  for (int i = 0; i < p.vlans; ++i)
    s.vlans.push_back(VlanTag{i ? rtltest::kTpidCustomer : rtltest::kTpidService, 7});
  s.ip4_options_len = p.ip4_options;
  for (Ipv6ExtType t : p.ext) s.ip6_ext.push_back({t, 1});
  s.tcp_options_len = p.tcp_options;
  s.pattern = rtltest::PayloadPattern::kRandom;
  const SegCase c = MakeSegCase(s, p.l4 == L4Kind::kTcp ? SegKind::kTcp : SegKind::kUdp, 1000);
  ASSERT_EQ(c.req.l2hlen, p.want_l2);
  ASSERT_EQ(c.req.l3hlen, p.want_l3);
  ASSERT_EQ(c.req.l4hlen, p.want_l4);

  const Frames segs = Valid(c);
  ASSERT_EQ(segs.size(), 3u);
  const size_t hdr = p.want_l2 + p.want_l3 + p.want_l4;
  EXPECT_EQ(segs[0].size(), hdr + 1000);
  EXPECT_EQ(segs[2].size(), hdr + 1000);
  // Length fields by hand: the IPv4 total length counts the IP and L4 headers, the IPv6 payload
  // length the extension headers and the L4 header.
  const size_t l3 = p.want_l2, l4 = p.want_l2 + p.want_l3;
  if (p.l3 == L3Kind::kIpv4) {
    EXPECT_EQ(Be16(segs[1], l3 + 2), p.want_l3 + p.want_l4 + 1000);
  } else {
    EXPECT_EQ(Be16(segs[1], l3 + 4), p.want_l3 - 40 + p.want_l4 + 1000);
  }
  if (p.l4 == L4Kind::kUdp) {
    EXPECT_EQ(Be16(segs[1], l4 + 4), 1008);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SegLayoutTest,
    ::testing::Values(
        Layout{L3Kind::kIpv4, L4Kind::kTcp, 0, 0, {}, 0, 14, 20, 20},
        Layout{L3Kind::kIpv4, L4Kind::kTcp, 1, 0, {}, 12, 18, 20, 32},
        Layout{L3Kind::kIpv4, L4Kind::kTcp, 2, 40, {}, 40, 22, 60, 60},
        Layout{L3Kind::kIpv4, L4Kind::kUdp, 1, 8, {}, 0, 18, 28, 8},
        Layout{L3Kind::kIpv4, L4Kind::kUdp, 2, 0, {}, 0, 22, 20, 8},
        Layout{L3Kind::kIpv6, L4Kind::kTcp, 0, 0, {}, 0, 14, 40, 20},
        Layout{L3Kind::kIpv6,
               L4Kind::kTcp,
               2,
               0,
               {Ipv6ExtType::kHopByHop, Ipv6ExtType::kRouting},
               20,
               22,
               72,
               40},
        Layout{L3Kind::kIpv6, L4Kind::kUdp, 1, 0, {Ipv6ExtType::kDestOpts}, 0, 18, 56, 8},
        Layout{L3Kind::kIpv6, L4Kind::kUdp, 0, 0, {}, 0, 14, 40, 8}));

// ---------------------------------------------------------------------------------------------
// Per-segment rules, one at a time, with hand-worked values.
// ---------------------------------------------------------------------------------------------

TEST(SegRules, TcpFlagsCwrFirstFinPshLast) {
  FrameSpec s = Spec(L3Kind::kIpv4, L4Kind::kTcp, 30);
  s.tcp_flags = 0xff;
  const size_t flags = 14 + 20 + 13;
  const Frames three = Valid(MakeSegCase(s, SegKind::kTcp, 10));
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0][flags], 0xf6);  // CWR kept, FIN and PSH cleared
  EXPECT_EQ(three[1][flags], 0x76);  // all three cleared
  EXPECT_EQ(three[2][flags], 0x7f);  // FIN and PSH kept, CWR cleared

  // One segment is both the first and the last: every flag stays.
  const Frames one = Valid(MakeSegCase(s, SegKind::kTcp, 30));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0][flags], 0xff);

  // Two segments; flags the rules do not name (ECE, URG, RST, SYN) are kept on both.
  s.tcp_flags = 0x80 | 0x40 | 0x20 | 0x04 | 0x02 | 0x01;
  const Frames two = Valid(MakeSegCase(s, SegKind::kTcp, 15));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0][flags], 0xe6);
  EXPECT_EQ(two[1][flags], 0x67);
}

TEST(SegRules, Ipv4IdWrapsAround) {
  FrameSpec s = Spec(L3Kind::kIpv4, L4Kind::kUdp, 40);
  s.ip4_id = 0xfffe;
  const Frames segs = Valid(MakeSegCase(s, SegKind::kUdp, 10));
  const std::vector<uint16_t> want = {0xfffe, 0xffff, 0x0000, 0x0001};
  std::vector<uint16_t> ids;
  for (const Frame& seg : segs) ids.push_back(Be16(seg, 14 + 4));
  EXPECT_EQ(ids, want);
}

TEST(SegRules, TcpSequenceWrapsAround) {
  FrameSpec s = Spec(L3Kind::kIpv6, L4Kind::kTcp, 25);
  s.tcp_seq = 0xfffffff0;
  const Frames segs = Valid(MakeSegCase(s, SegKind::kTcp, 10));
  const std::vector<uint32_t> want = {0xfffffff0, 0xfffffffa, 0x00000004};
  std::vector<uint32_t> seqs;
  for (const Frame& seg : segs) seqs.push_back(Be32(seg, 14 + 40 + 4));
  EXPECT_EQ(seqs, want);
}

TEST(SegRules, EmptyPayloadGivesOneHeaderOnlySegment) {
  for (L4Kind l4 : {L4Kind::kTcp, L4Kind::kUdp}) {
    for (L3Kind l3 : {L3Kind::kIpv4, L3Kind::kIpv6}) {
      FrameSpec s = Spec(l3, l4, 0);
      s.tcp_flags = 0x99;
      const SegCase c = MakeSegCase(s, l4 == L4Kind::kTcp ? SegKind::kTcp : SegKind::kUdp, 1448);
      const Frames segs = Valid(c);
      ASSERT_EQ(segs.size(), 1u);
      EXPECT_EQ(segs[0].size(), c.frame.size());
      if (l3 == L3Kind::kIpv4) {
        EXPECT_EQ(Be16(segs[0], 14 + 2), 20 + c.req.l4hlen);
      } else {
        EXPECT_EQ(Be16(segs[0], 14 + 4), c.req.l4hlen);
      }
      if (l4 == L4Kind::kTcp) {
        EXPECT_EQ(segs[0][c.req.l2hlen + c.req.l3hlen + 13], 0x99);
      }
    }
  }
}

TEST(SegRules, PayloadOfMssAndMssPlusOne) {
  const Frames exact =
      Valid(MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, 1448), SegKind::kTcp, 1448));
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].size(), 54u + 1448);

  const SegCase over = MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, 1449), SegKind::kTcp, 1448);
  const Frames two = Valid(over);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].size(), 54u + 1448);
  EXPECT_EQ(two[1].size(), 54u + 1);
  EXPECT_EQ(two[1].back(), over.frame.back());
}

TEST(SegRules, MssOfOneByte) {
  const Frames segs = Valid(MakeSegCase(Spec(L3Kind::kIpv6, L4Kind::kUdp, 5), SegKind::kUdp, 1));
  ASSERT_EQ(segs.size(), 5u);
  for (const Frame& seg : segs) EXPECT_EQ(seg.size(), 14u + 40 + 8 + 1);
}

TEST(SegRules, UdpChecksumZeroIsSentAsFfff) {
  // One 4-byte segment whose last payload word is chosen so that the sum over the pseudo-header
  // and the datagram (checksum field 0) is 0xFFFF: the complement is 0, sent as 0xFFFF.
  const SegCase c = MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kUdp, 4), SegKind::kUdp, 100);
  Frame frame = c.frame;
  const size_t l4 = 14 + 20;
  frame[l4 + 10] = frame[l4 + 11] = 0;
  Frame datagram(frame.begin() + l4, frame.end());
  datagram[4] = 0;
  datagram[5] = 12;  // UDP length of the segment
  datagram[6] = datagram[7] = 0;
  Frame pseudo(frame.begin() + 14 + 12, frame.begin() + 14 + 20);
  pseudo.insert(pseudo.end(), {0, 17, 0, 12});
  const uint16_t sum = Rfc1071(datagram, Rfc1071(pseudo));
  ASSERT_NE(sum, 0xffff);
  const uint16_t word = static_cast<uint16_t>(0xffff - sum);
  frame[l4 + 10] = static_cast<uint8_t>(word >> 8);
  frame[l4 + 11] = static_cast<uint8_t>(word);

  const Frames segs = Valid(frame, c.req);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(Be16(segs[0], l4 + 6), 0xffff);
}

TEST(SegRules, Ipv4HeaderChecksumCoversOptions) {
  FrameSpec s = Spec(L3Kind::kIpv4, L4Kind::kTcp, 100);
  s.ip4_options_len = 40;
  const SegCase c = MakeSegCase(s, SegKind::kTcp, 60);
  Frame frame = c.frame;
  frame[14 + 20] = 0x94;  // a Router Alert option (RFC 2113) among the NOPs
  frame[14 + 21] = 4;
  frame[14 + 22] = frame[14 + 23] = 0;
  const Frames segs = Valid(frame, c.req);
  ASSERT_EQ(segs.size(), 2u);
  for (const Frame& seg : segs) {
    EXPECT_EQ(seg[14 + 20], 0x94);
    EXPECT_EQ(Rfc1071(std::span(seg).subspan(14, 60)), 0xffff);
  }
}

TEST(SegRules, SeedIsTrustedNotRecomputed) {
  // A wrong seed gives segments whose checksums are off by exactly the seed's error.
  const SegCase c = MakeSegCase(Spec(L3Kind::kIpv6, L4Kind::kTcp, 20), SegKind::kTcp, 10);
  Frame frame = c.frame;
  const size_t field = 14 + 40 + 16;
  const uint32_t plus_one = Be16(frame, field) + 1u;  // seed + 1 in ones'-complement arithmetic
  const uint16_t bumped = static_cast<uint16_t>((plus_one & 0xffff) + (plus_one >> 16));
  frame[field] = static_cast<uint8_t>(bumped >> 8);
  frame[field + 1] = static_cast<uint8_t>(bumped);
  const Frames good = Valid(c);
  Frames bad;
  ASSERT_EQ(SegmentFrame(frame, c.req, &bad), SegErr::kNone);
  ASSERT_EQ(bad.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_FALSE(ChecksumsValid(bad[k], c.req));
    // ~(S + 1) + 1 == ~S in ones'-complement arithmetic.
    const uint16_t g = Be16(good[k], field), b = Be16(bad[k], field);
    const Frame b_plus_one = {static_cast<uint8_t>(b >> 8), static_cast<uint8_t>(b), 0, 1};
    EXPECT_EQ(Rfc1071(b_plus_one), g == 0 ? 0xffff : g);
  }
}

TEST(SegRules, KindNoneAndReservedPassTheFrameUnchanged) {
  const Frame junk = {1, 2, 3};  // not even a header: nothing is checked
  for (SegKind kind : {SegKind::kNone, static_cast<SegKind>(3)}) {
    Frames out = {Frame{9}};
    EXPECT_EQ(SegmentFrame(junk, Request(kind, false, 0, 0, 0, 0, 77), &out), SegErr::kNone);
    EXPECT_EQ(out, (Frames{Frame{9}, junk}));  // appended after what was there
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: each request below is valid but for one field, which triggers exactly its code.
// ---------------------------------------------------------------------------------------------

class SegErrors : public ::testing::Test {
 protected:
  // 100 payload bytes in MSS 40 behind 14 + 20 + 20 (TCP) or 14 + 20 + 8 (UDP) header bytes, and
  // the same over IPv6 (40-byte header).
  SegCase tcp4_ = MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kTcp, 100), SegKind::kTcp, 40);
  SegCase tcp6_ = MakeSegCase(Spec(L3Kind::kIpv6, L4Kind::kTcp, 100), SegKind::kTcp, 40);
  SegCase udp4_ = MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kUdp, 100), SegKind::kUdp, 40);
  SegCase udp6_ = MakeSegCase(Spec(L3Kind::kIpv6, L4Kind::kUdp, 100), SegKind::kUdp, 40);

  // The code, with nothing appended to a list that already holds one frame.
  SegErr Refused(const Frame& frame, const SegRequest& req, const SegLimits& limits = {}) {
    Frames out = {Frame{42}};
    const SegErr e = SegmentFrame(frame, req, &out, limits);
    EXPECT_EQ(out, Frames{Frame{42}}) << "refused with " << SegErrName(e) << " yet appended";
    return e;
  }
};

TEST_F(SegErrors, BaseCasesAreValid) {
  for (const SegCase* c : {&tcp4_, &tcp6_, &udp4_, &udp6_}) EXPECT_EQ(Valid(*c).size(), 3u);
}

TEST_F(SegErrors, Mss) {
  SegRequest r = tcp4_.req;
  r.mss = 0;
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kMss);
  r.mss = 9217;  // MaxMss + 1
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kMss);
  r.mss = 9216;
  EXPECT_EQ(Segment(tcp4_.frame, r).err, SegErr::kNone);
  r.mss = 41;
  EXPECT_EQ(Refused(tcp4_.frame, r, SegLimits{.max_mss = 40}), SegErr::kMss);
}

TEST_F(SegErrors, HdrLen) {
  // 54 header bytes against a limit of 53, and against the default 256 with l4hlen 255.
  EXPECT_EQ(Refused(tcp4_.frame, tcp4_.req, SegLimits{.max_hdr_bytes = 53}), SegErr::kHdrLen);
  EXPECT_EQ(Segment(tcp4_.frame, tcp4_.req, SegLimits{.max_hdr_bytes = 54}).err, SegErr::kNone);
  SegRequest r = tcp6_.req;
  r.l4hlen = 255;
  r.l3hlen = 255;
  EXPECT_EQ(Refused(tcp6_.frame, r), SegErr::kHdrLen);
}

TEST_F(SegErrors, PayLen) {
  SegRequest r = udp4_.req;
  r.pay_len = 65536;
  EXPECT_EQ(Refused(udp4_.frame, r), SegErr::kPayLen);
  EXPECT_EQ(Refused(udp4_.frame, udp4_.req, SegLimits{.max_payload_bytes = 99}), SegErr::kPayLen);
  EXPECT_EQ(Segment(udp4_.frame, udp4_.req, SegLimits{.max_payload_bytes = 100}).err,
            SegErr::kNone);
}

TEST_F(SegErrors, FrameShorterThanHeaders) {
  const Frame cut(tcp6_.frame.begin(), tcp6_.frame.begin() + 14 + 40 + 19);
  EXPECT_EQ(Refused(cut, tcp6_.req), SegErr::kFrameLen);
  EXPECT_EQ(Refused(Frame{}, tcp6_.req), SegErr::kFrameLen);
}

TEST_F(SegErrors, L2) {
  SegRequest r = tcp4_.req;
  r.l2hlen = 13;
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kL2);
  r.l2hlen = 16;  // not 14 + 4n
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kL2);
  r = tcp4_.req;
  r.ipv6 = true;  // the ethertype says IPv4
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kL2);
  r = udp6_.req;
  r.ipv6 = false;
  EXPECT_EQ(Refused(udp6_.frame, r), SegErr::kL2);
  Frame f = udp4_.frame;
  f[12] = 0x08;
  f[13] = 0x06;  // ARP
  EXPECT_EQ(Refused(f, udp4_.req), SegErr::kL2);
  // A VLAN tag the request does not count: the ethertype at l2hlen - 2 is the tag's TPID.
  FrameSpec s = Spec(L3Kind::kIpv4, L4Kind::kTcp, 10);
  s.vlans = {VlanTag{}};
  SegCase tagged = MakeSegCase(s, SegKind::kTcp, 4);
  tagged.req.l2hlen = 14;
  tagged.req.l3hlen = 24;  // the same H
  EXPECT_EQ(Refused(tagged.frame, tagged.req), SegErr::kL2);
}

TEST_F(SegErrors, L3) {
  Frame f = tcp4_.frame;
  f[14] = 0x65;  // version 6, IHL 5
  EXPECT_EQ(Refused(f, tcp4_.req), SegErr::kL3);
  SegRequest r = tcp4_.req;
  r.l3hlen = 24;  // IHL says 20
  r.l4hlen = 16;  // the same H
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kL3);
  f = tcp6_.frame;
  f[14] = 0x40;  // version 4
  EXPECT_EQ(Refused(f, tcp6_.req), SegErr::kL3);
  r = tcp6_.req;
  r.l3hlen = 44;  // not 40 + 8n
  EXPECT_EQ(Refused(tcp6_.frame, r), SegErr::kL3);
  r.l3hlen = 32;  // below 40
  EXPECT_EQ(Refused(tcp6_.frame, r), SegErr::kL3);
}

TEST_F(SegErrors, L3Ipv4HeaderShorterThan20) {
  // IHL 4 with l3hlen 16 agree with each other, but a 16-byte IPv4 header would have its
  // checksum written into the L4 header: refused (see docs/offload.md).
  Frame f = udp4_.frame;
  f[14] = 0x44;
  SegRequest r = udp4_.req;
  r.l3hlen = 16;
  r.l4hlen = 8;
  r.pay_len = 104;
  EXPECT_EQ(Refused(f, r), SegErr::kL3);
}

TEST_F(SegErrors, Proto) {
  Frame f = tcp4_.frame;
  f[14 + 9] = 17;
  EXPECT_EQ(Refused(f, tcp4_.req), SegErr::kProto);
  f = udp4_.frame;
  f[14 + 9] = 6;
  EXPECT_EQ(Refused(f, udp4_.req), SegErr::kProto);
  f = udp6_.frame;
  f[14 + 6] = 6;
  EXPECT_EQ(Refused(f, udp6_.req), SegErr::kProto);
  f = tcp6_.frame;
  f[14 + 6] = 59;  // no next header
  EXPECT_EQ(Refused(f, tcp6_.req), SegErr::kProto);
}

TEST_F(SegErrors, Ipv6ExtensionChainIsNotWalked) {
  // A UDP request over a frame whose extension header says TCP follows: with l3hlen > 40 the
  // protocol is not checked, so the request is segmented (as UDP) all the same.
  FrameSpec s = Spec(L3Kind::kIpv6, L4Kind::kUdp, 30);
  s.ip6_ext = {{Ipv6ExtType::kDestOpts, 0}};
  SegCase c = MakeSegCase(s, SegKind::kUdp, 10);
  c.frame[14 + 40] = 6;
  const Result r = Segment(c.frame, c.req);
  EXPECT_EQ(r.err, SegErr::kNone);
  EXPECT_EQ(r.segs.size(), 3u);
}

TEST_F(SegErrors, L4) {
  SegRequest r = tcp4_.req;
  r.l4hlen = 24;  // data offset says 20
  r.pay_len = 96;
  EXPECT_EQ(Refused(tcp4_.frame, r), SegErr::kL4);
  Frame f = tcp4_.frame;
  f[14 + 20 + 12] = 0x40;  // data offset 4 (16 bytes) agrees with l4hlen 16, below 20
  r = tcp4_.req;
  r.l4hlen = 16;
  r.pay_len = 104;
  EXPECT_EQ(Refused(f, r), SegErr::kL4);
  r = udp6_.req;
  r.l4hlen = 12;
  r.pay_len = 96;
  EXPECT_EQ(Refused(udp6_.frame, r), SegErr::kL4);
  // A TCP request over a UDP header of the right IPv4 protocol is refused by its data offset.
  f = udp4_.frame;
  f[14 + 9] = 6;
  r = udp4_.req;
  r.kind = SegKind::kTcp;
  r.l4hlen = 20;
  r.pay_len = 88;
  EXPECT_EQ(Refused(f, r), SegErr::kL4);
}

TEST_F(SegErrors, FirstErrorInOrderWins) {
  // Every field wrong at once, then fixed one by one: the code walks down hw::SegErr.
  Frame f = tcp4_.frame;
  SegRequest r = tcp4_.req;
  r.mss = 0;
  r.l4hlen = 255;
  r.pay_len = 70000;
  f[12] = 0;      // ethertype
  f[14] = 0x66;   // version and IHL
  f[14 + 9] = 1;  // ICMP
  Frame short_frame(f.begin(), f.begin() + 40);
  EXPECT_EQ(Refused(short_frame, r), SegErr::kMss);
  r.mss = 40;
  EXPECT_EQ(Refused(short_frame, r), SegErr::kHdrLen);
  r.l4hlen = 24;
  EXPECT_EQ(Refused(short_frame, r), SegErr::kPayLen);
  r.pay_len = 96;
  EXPECT_EQ(Refused(short_frame, r), SegErr::kFrameLen);
  EXPECT_EQ(Refused(f, r), SegErr::kL2);
  f[12] = 0x08;
  EXPECT_EQ(Refused(f, r), SegErr::kL3);
  f[14] = 0x45;
  EXPECT_EQ(Refused(f, r), SegErr::kProto);
  f[14 + 9] = 6;
  EXPECT_EQ(Refused(f, r), SegErr::kL4);
  r.l4hlen = 20;
  r.pay_len = 88;
  EXPECT_EQ(Segment(f, r).err, SegErr::kFrameLen);  // 54 + 88 bytes said, 54 + 100 there
  r.pay_len = 100;
  EXPECT_EQ(Segment(f, r).err, SegErr::kNone);
}

// ---------------------------------------------------------------------------------------------
// kFrameLen after the checks: the segments wholly inside both the frame and pay_len.
// ---------------------------------------------------------------------------------------------

TEST(SegFrameLen, ShortFrameSendsTheCompleteSegments) {
  FrameSpec s = Spec(L3Kind::kIpv4, L4Kind::kTcp, 100);
  s.tcp_flags = 0x99;  // CWR ACK PSH FIN
  const SegCase c = MakeSegCase(s, SegKind::kTcp, 30);
  const Frame cut(c.frame.begin(), c.frame.end() - 35);  // 65 of 100 payload bytes
  const Result r = Segment(cut, c.req);
  EXPECT_EQ(r.err, SegErr::kFrameLen);
  ASSERT_EQ(r.segs.size(), 2u);  // [0, 30) and [30, 60); [60, 90) is incomplete
  EXPECT_TRUE(SegmentsFollowRules(c.frame, c.req, r.segs, /*all=*/false));
  // Neither is the last of the four the request describes: FIN and PSH are cleared on both.
  EXPECT_EQ(r.segs[0][14 + 20 + 13], 0x90);
  EXPECT_EQ(r.segs[1][14 + 20 + 13], 0x10);
}

TEST(SegFrameLen, LongFrameSendsEverySegmentAndDropsTheRest) {
  const SegCase c = MakeSegCase(Spec(L3Kind::kIpv6, L4Kind::kUdp, 100), SegKind::kUdp, 30);
  Frame longer = c.frame;
  longer.insert(longer.end(), 10, 0xee);
  const Result r = Segment(longer, c.req);
  EXPECT_EQ(r.err, SegErr::kFrameLen);
  EXPECT_EQ(r.segs, Segment(c.frame, c.req).segs);
  EXPECT_TRUE(SegmentsFollowRules(c.frame, c.req, r.segs));
}

TEST(SegFrameLen, EmptyPayloadWithExtraBytes) {
  const SegCase c = MakeSegCase(Spec(L3Kind::kIpv4, L4Kind::kUdp, 0), SegKind::kUdp, 30);
  Frame longer = c.frame;
  longer.push_back(0xee);
  const Result r = Segment(longer, c.req);
  EXPECT_EQ(r.err, SegErr::kFrameLen);
  ASSERT_EQ(r.segs.size(), 1u);
  EXPECT_EQ(r.segs[0].size(), c.frame.size());
}

TEST(SegFrameLen, EveryTruncationGivesTheSegmentsThatFit) {
  // Cut at every length: never a read outside the (exactly sized) frame, and the segments
  // sent are those that end inside it.
  FrameSpec s = Spec(L3Kind::kIpv6, L4Kind::kTcp, 23);
  s.ip6_ext = {{Ipv6ExtType::kRouting, 0}};
  const SegCase c = MakeSegCase(s, SegKind::kTcp, 7);
  const size_t hdr = c.frame.size() - 23;
  for (size_t len = 0; len <= c.frame.size(); ++len) {
    const Frame cut(c.frame.begin(), c.frame.begin() + len);
    const Result r = Segment(cut, c.req);
    EXPECT_EQ(r.err, len == c.frame.size() ? SegErr::kNone : SegErr::kFrameLen) << len;
    const size_t want = len < hdr ? 0 : (len - hdr) / 7 + (len == c.frame.size() ? 1 : 0);
    EXPECT_EQ(r.segs.size(), want) << len;
    EXPECT_TRUE(SegmentsFollowRules(c.frame, c.req, r.segs, /*all=*/false)) << len;
  }
}

// ---------------------------------------------------------------------------------------------
// The command word and the names.
// ---------------------------------------------------------------------------------------------

TEST(SegRequestCmd, RoundTripsThroughSegCmd) {
  const SegRequest r = Request(SegKind::kUdp, true, 9216, 22, 136, 8, 65535);
  const hw::SegCmd cmd = r.ToCmd();
  EXPECT_EQ(cmd.mss(), 9216);
  EXPECT_EQ(cmd.l2hlen(), 22);
  EXPECT_EQ(cmd.l3hlen(), 136);
  EXPECT_EQ(cmd.l4hlen(), 8);
  EXPECT_EQ(cmd.kind(), SegKind::kUdp);
  EXPECT_TRUE(cmd.ipv6());
  EXPECT_EQ(cmd.pay_len(), 65535u);
  // Bits 0..15 mss, 16..23 l2hlen, 24..31 l3hlen, 32..39 l4hlen, 40..41 kind, 42 ipv6,
  // 43..59 pay_len (hw/nic.toml), as a little-endian 64-bit word.
  uint64_t word = 0;
  for (size_t i = 0; i < 8; ++i) word |= uint64_t{cmd.bytes[i]} << (8 * i);
  EXPECT_EQ(word, 9216ull | 22ull << 16 | 136ull << 24 | 8ull << 32 | 2ull << 40 | 1ull << 42 |
                      65535ull << 43);

  const SegRequest back = SegRequest::FromCmd(cmd);
  EXPECT_EQ(back.kind, r.kind);
  EXPECT_EQ(back.mss, r.mss);
  EXPECT_EQ(back.l2hlen, r.l2hlen);
  EXPECT_EQ(back.l3hlen, r.l3hlen);
  EXPECT_EQ(back.l4hlen, r.l4hlen);
  EXPECT_EQ(back.ipv6, r.ipv6);
  EXPECT_EQ(back.pay_len, r.pay_len);
}

TEST(SegRequestCmd, ErrorNames) {
  EXPECT_STREQ(SegErrName(SegErr::kNone), "none");
  EXPECT_STREQ(SegErrName(SegErr::kMss), "mss");
  EXPECT_STREQ(SegErrName(SegErr::kHdrLen), "hdr_len");
  EXPECT_STREQ(SegErrName(SegErr::kPayLen), "pay_len");
  EXPECT_STREQ(SegErrName(SegErr::kL2), "l2");
  EXPECT_STREQ(SegErrName(SegErr::kL3), "l3");
  EXPECT_STREQ(SegErrName(SegErr::kProto), "proto");
  EXPECT_STREQ(SegErrName(SegErr::kL4), "l4");
  EXPECT_STREQ(SegErrName(SegErr::kFrameLen), "frame_len");
  EXPECT_STREQ(SegErrName(static_cast<SegErr>(15)), "unknown");
}

}  // namespace
}  // namespace mbufnic::offloadtest
