// OpenNIC's in-band metadata headers (<mbufnic/opennic_meta.hpp>): the transmit header carries
// exactly the command TxOffloadCommand makes for the packet, at the documented bytes, and goes in
// front of the chain with M_PREPEND (whatever the chain's leading space; ENOBUFS frees it, EINVAL
// leaves it); the receive header's verdict becomes the csum_flags / csum_data RxCsumFlags gives,
// and a frame's verdict from the software twin of the card's engine gives the flags its
// checksums deserve.
#include "mbufnic/opennic_meta.hpp"

#include <errno.h>
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <cstdint>
#include <random>
#include <vector>

#include "frame_gen.h"
#include "mbuf_test_util.h"
#include "mbufnic/offload_map.hpp"
#include "mbufnic/sw_csum.hpp"
#include "seg_gen.h"

namespace mbufnic::offloadtest {
namespace {

using opennic::kMetaBytes;
using opennic::Meta;
using rtltest::BuildFrame;
using rtltest::FrameSpec;
using rtltest::L3Kind;
using rtltest::L4Kind;
using test::Flatten;
using test::LeakCheck;
using Bytes = std::vector<uint8_t>;

// Frames with a request on them: TSO (both IP versions, lengths given or parsed), checksum
// offload of every kind, and no request at all.
struct Request {
  Bytes frame;
  uint32_t flags = 0;
  uint32_t field = 0;  // csum_data: the checksum field's offset from the L4 header
  uint16_t mss = 0;
  uint8_t l2 = 0, l3 = 0, l4 = 0;  // 0: let the mapping parse them
};

std::vector<Request> Requests() {
  std::vector<Request> out;
  std::mt19937_64 rng(17);
  for (int i = 0; i < 40; ++i) {
    rtltest::RandomSegOptions o;
    o.max_payload = 6000;
    o.max_segments = 8;
    rtltest::SegCase c = rtltest::RandomSegCase(rng, o);
    if (c.req.kind != hw::SegKind::kTcp) continue;
    Request r;
    r.frame = c.frame;
    r.flags = c.req.ipv6 ? CSUM_IP6_TSO | CSUM_IP6_TCP : CSUM_IP_TSO | CSUM_IP_TCP | CSUM_IP;
    r.field = 16;
    r.mss = c.req.mss;
    if (i % 2 == 0) {
      r.l2 = c.req.l2hlen;
      r.l3 = c.req.l3hlen;
      r.l4 = c.req.l4hlen;
    }
    out.push_back(r);
  }
  for (L3Kind l3 : {L3Kind::kIpv4, L3Kind::kIpv6}) {
    for (L4Kind l4 : {L4Kind::kTcp, L4Kind::kUdp}) {
      FrameSpec s;
      s.l3 = l3;
      s.l4 = l4;
      s.payload_len = 300;
      Request r;
      r.frame = rtltest::MakeTxCase(s).seeded;
      const bool v4 = l3 == L3Kind::kIpv4;
      r.flags = l4 == L4Kind::kTcp ? (v4 ? CSUM_IP_TCP : CSUM_IP6_TCP)
                                   : (v4 ? CSUM_IP_UDP : CSUM_IP6_UDP);
      if (v4) r.flags |= CSUM_IP;
      r.field = l4 == L4Kind::kTcp ? 16 : 6;
      out.push_back(r);
      r.flags = 0;  // and the same frame with nothing asked
      out.push_back(r);
    }
  }
  return out;
}

struct mbuf *Packet(const Request &r, const std::vector<int> &sizes,
                    test::Storage storage = test::Storage::kInternal) {
  struct mbuf *m = test::MakeChain(r.frame, sizes, true, storage);
  m->m_pkthdr.csum_flags = r.flags;
  m->m_pkthdr.csum_data = r.field;
  m->m_pkthdr.tso_segsz = r.mss;
  m->m_pkthdr.l2hlen = r.l2;
  m->m_pkthdr.l3hlen = r.l3;
  m->m_pkthdr.l4hlen = r.l4;
  return m;
}

// Mbufs of at most MHLEN bytes covering n.
std::vector<int> Pieces(size_t n) {
  std::vector<int> s;
  for (size_t left = n; left > 0; left -= static_cast<size_t>(s.back())) {
    s.push_back(static_cast<int>(std::min<size_t>(left, MHLEN)));
  }
  return s;
}

// Cluster-sized pieces covering n.
std::vector<int> ClusterPieces(size_t n) {
  std::vector<int> s;
  for (size_t left = n; left > 0; left -= static_cast<size_t>(s.back())) {
    s.push_back(static_cast<int>(std::min<size_t>(left, MCLBYTES)));
  }
  return s;
}

// The header, then the frame.
Bytes WithMeta(const Meta &meta, const Bytes &frame) {
  return test::Cat(Bytes(meta.begin(), meta.end()), frame);
}

TEST(OpennicTxMeta, CarriesTheDriversCommandAtItsBytes) {
  LeakCheck leaks;
  for (const Request &r : Requests()) {
    struct mbuf *m = Packet(r, Pieces(r.frame.size()));
    hw::TxOffloadCmd want;
    ASSERT_EQ(TxOffloadCommand(m, &want), 0);
    Meta meta{};
    ASSERT_EQ(opennic::BuildTxMeta(m, &meta), 0);
    EXPECT_EQ(meta[0], 0x4D);
    EXPECT_EQ(meta[1], 1);
    EXPECT_EQ(meta[2], 1);
    for (size_t i = 3; i < 16; ++i) EXPECT_EQ(meta[i], 0) << "byte " << i;
    EXPECT_TRUE(std::equal(want.bytes.begin(), want.bytes.end(), meta.begin() + 16));
    // What the command says, from the packet's own fields.
    const hw::TxOffloadCmd cmd = want;
    if ((r.flags & (CSUM_IP_TSO | CSUM_IP6_TSO)) != 0) {
      EXPECT_EQ(cmd.seg().kind(), hw::SegKind::kTcp);
      EXPECT_EQ(cmd.seg().mss(), r.mss);
      EXPECT_EQ(cmd.seg().ipv6(), (r.flags & CSUM_IP6_TSO) != 0);
      const uint32_t h = cmd.seg().l2hlen() + cmd.seg().l3hlen() + cmd.seg().l4hlen();
      EXPECT_EQ(cmd.seg().pay_len(), r.frame.size() - h);
    } else {
      EXPECT_EQ(cmd.seg().kind(), hw::SegKind::kNone);
      EXPECT_EQ(cmd.csum().l4_en(), r.flags != 0);
      EXPECT_EQ(cmd.csum().ip4_en(), (r.flags & CSUM_IP) != 0);
      if (r.flags != 0) {
        EXPECT_EQ(cmd.csum().csum_offset(), r.field);
      }
    }
    m_freem(m);
  }
}

TEST(OpennicTxMeta, PrependPutsItInFrontOfTheChain) {
  LeakCheck leaks;
  for (const Request &r : Requests()) {
    // No leading space (a new mbuf goes in front), and room in a cluster (the header goes in
    // place: MakeChain's clusters start at their beginning, so make room by trimming).
    for (bool room : {false, true}) {
      Request q = r;
      if (room) q.frame.insert(q.frame.begin(), kMetaBytes, 0xEE);
      struct mbuf *m = Packet(q, ClusterPieces(q.frame.size()), test::Storage::kCluster);
      if (room) m_adj(m, static_cast<int>(kMetaBytes));
      struct mbuf *first = m;
      Meta meta{};
      ASSERT_EQ(opennic::BuildTxMeta(m, &meta), 0);
      ASSERT_EQ(opennic::PrependTxMeta(&m), 0);
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m == first, room) << "in place exactly when there was room";
      const Bytes want = WithMeta(meta, r.frame);
      EXPECT_EQ(Flatten(m), want);
      EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(want.size()));
      EXPECT_EQ(m->m_pkthdr.csum_flags, r.flags) << "the packet header moves with the data";
      EXPECT_EQ(m->m_pkthdr.tso_segsz, r.mss);
      m_freem(m);
    }
  }
}

TEST(OpennicTxMeta, RefusedRequestsLeaveTheChainAndNoMemoryLeaksWhenPrependFails) {
  LeakCheck leaks;
  const Request r = Requests().back();
  Request sctp = r;
  sctp.flags = CSUM_IP_SCTP;
  struct mbuf *m = Packet(sctp, Pieces(sctp.frame.size()));
  struct mbuf *before = m;
  EXPECT_EQ(opennic::PrependTxMeta(&m), EINVAL);
  EXPECT_EQ(m, before);
  EXPECT_EQ(Flatten(m), sctp.frame);
  m_freem(m);

  const int points = test::ForEachAllocationFailure([&](uint64_t) {
    struct mbuf *p = Packet(r, Pieces(r.frame.size()));
    const int err = opennic::PrependTxMeta(&p);
    if (err == ENOBUFS) {
      EXPECT_EQ(p, nullptr) << "M_PREPEND frees the chain when it fails";
    } else {
      EXPECT_EQ(err, 0);
    }
    if (p != nullptr) m_freem(p);
  });
  EXPECT_GT(points, 0);
}

TEST(OpennicRxMeta, EncodeAndParseAgree) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    hw::RxCsumResult res{};
    for (auto &b : res.bytes) b = static_cast<uint8_t>(rng());
    const uint16_t len = static_cast<uint16_t>(rng());
    const Meta m = opennic::EncodeRxMeta(len, res);
    EXPECT_EQ(m[0], 0x4D);
    EXPECT_EQ(m[1], 1);
    EXPECT_EQ(m[2], 2);
    EXPECT_EQ(m[4] | m[5] << 8, len);
    EXPECT_TRUE(std::equal(res.bytes.begin(), res.bytes.end(), m.begin() + 8));
    for (size_t b : {3, 6, 7}) EXPECT_EQ(m[b], 0);
    for (size_t b = 16; b < kMetaBytes; ++b) EXPECT_EQ(m[b], 0);
    opennic::RxMeta got;
    ASSERT_TRUE(opennic::ParseRxMeta(m, &got));
    EXPECT_EQ(got.frame_len, len);
    EXPECT_EQ(got.result, res);
    for (size_t b : {0, 1, 2}) {
      Meta bad = m;
      bad[b] ^= 0x40;
      EXPECT_FALSE(opennic::ParseRxMeta(bad, &got)) << "byte " << b;
    }
    EXPECT_FALSE(opennic::ParseRxMeta(std::span(m).first(kMetaBytes - 1), &got));
  }
}

// Frames with good and bad checksums over IPv4/IPv6 and TCP/UDP: the header the card would
// write (the twin's verdict) becomes the flags the driver would set, and the frame is left.
TEST(OpennicRxMeta, StripSetsTheDriversFlags) {
  LeakCheck leaks;
  std::mt19937_64 rng(9);
  int good_l4 = 0, bad_l4 = 0;
  for (int i = 0; i < 400; ++i) {
    FrameSpec s = rtltest::RandomSpec(rng);
    const Bytes frame = BuildFrame(s);
    const hw::RxCsumResult res = ClassifyRxChecksums(frame);
    const Meta meta = opennic::EncodeRxMeta(static_cast<uint16_t>(frame.size()), res);
    const Bytes all = WithMeta(meta, frame);
    struct mbuf *m = test::MakeChain(all, Pieces(all.size()));
    ASSERT_EQ(opennic::StripRxMeta(m), 0);
    EXPECT_EQ(Flatten(m), frame);
    EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(frame.size()));
    uint32_t data = 0;
    EXPECT_EQ(m->m_pkthdr.csum_flags, RxCsumFlags(res, &data));
    EXPECT_EQ(m->m_pkthdr.csum_data, data);
    // A clean TCP/UDP frame (not a fragment, checksum present) is valid; a corrupted one is not.
    const bool l4 = s.l3 != L3Kind::kNone && s.l4 != L4Kind::kOther && !s.ip4_mf &&
                    s.ip4_frag_offset == 0 && s.ip6_ext.empty();
    if (l4 && s.Clean()) {
      EXPECT_EQ(m->m_pkthdr.csum_flags & (CSUM_L4_CALC | CSUM_L4_VALID),
                uint32_t{CSUM_L4_CALC | CSUM_L4_VALID})
          << s.Describe();
      ++good_l4;
    }
    if (l4 && s.corrupt_l4_csum && !s.udp_csum_zero && s.truncate == 0) {
      EXPECT_EQ(m->m_pkthdr.csum_flags & CSUM_L4_VALID, 0u) << s.Describe();
      ++bad_l4;
    }
    m_freem(m);
  }
  EXPECT_GT(good_l4, 20);
  EXPECT_GT(bad_l4, 5);
}

TEST(OpennicRxMeta, StripRefusesWhatIsNotAReceiveHeader) {
  LeakCheck leaks;
  const Bytes frame = BuildFrame(FrameSpec{});
  const Meta meta = opennic::EncodeRxMeta(static_cast<uint16_t>(frame.size()), hw::RxCsumResult{});
  for (int fault = 0; fault < 3; ++fault) {
    Bytes all = WithMeta(meta, frame);
    if (fault == 0) all[2] = 1;                     // a transmit header's kind
    if (fault == 1) all[4] ^= 1;                    // its length disagrees
    if (fault == 2) all.resize(kMetaBytes - 1);     // shorter than a header
    struct mbuf *m = test::MakeChain(all, Pieces(all.size()));
    EXPECT_EQ(opennic::StripRxMeta(m), EINVAL) << "fault " << fault;
    EXPECT_EQ(Flatten(m), all);
    m_freem(m);
  }
}

}  // namespace
}  // namespace mbufnic::offloadtest
