// mbufnic_sw_tso(), as FreeBSD-style driver code calls it: the segments come back as an
// m_nextpkt list of packets whose bytes are SegmentFrame's and whose packet headers are the
// input's without the transmit requests; the input is consumed on success and untouched on
// failure (EINVAL with the seg_err code, or ENOBUFS under fault injection); nothing leaks.
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_offload.hpp"
#include "seg_check.h"

namespace mbufnic::offloadtest {
namespace {

using test::Flatten;
using test::LeakCheck;

constexpr uint32_t kTagCookie = 0x5457534f;  // "TWSO"
constexpr uint16_t kTagType = 7;
constexpr uint32_t kTagValue = 0xfeedf00d;
struct ifnet* const kIfp = reinterpret_cast<struct ifnet*>(uintptr_t{0x1000});  // never read

// Piece sizes adding up to `total`, each 1..max_piece (at most MHLEN, so internal storage fits).
std::vector<int> Pieces(size_t total, int max_piece, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int> sizes;
  for (size_t left = total; left > 0;) {
    const int n = static_cast<int>(std::min<size_t>(
        left, std::uniform_int_distribution<int>(1, std::min(max_piece, MHLEN))(rng)));
    sizes.push_back(n);
    left -= n;
  }
  if (sizes.empty()) sizes.push_back(0);
  return sizes;
}

// The request as a FreeBSD TSO packet: the frame in a chain of small mbufs, csum_flags and the
// lengths set as tcp_output and ether_output leave them, plus fields and a tag that must follow
// every segment.
struct mbuf* TsoPacket(const SegCase& c, int max_piece = 100, bool lengths = true) {
  struct mbuf* m = test::MakeChain(c.frame, Pieces(c.frame.size(), max_piece, c.frame.size()));
  m->m_pkthdr.csum_flags =
      c.req.ipv6 ? CSUM_IP6_TSO | CSUM_IP6_TCP : CSUM_IP_TSO | CSUM_IP_TCP | CSUM_IP;
  m->m_pkthdr.csum_data = 16;
  m->m_pkthdr.tso_segsz = c.req.mss;
  if (lengths) {
    m->m_pkthdr.l2hlen = c.req.l2hlen;
    m->m_pkthdr.l3hlen = c.req.l3hlen;
    m->m_pkthdr.l4hlen = c.req.l4hlen;
  }
  m->m_pkthdr.flowid = 0xabcdef;
  M_HASHTYPE_SET(m, M_HASHTYPE_RSS_TCP_IPV4);
  m->m_pkthdr.fibnum = 3;
  m->m_pkthdr.rcvif = kIfp;
  m->m_pkthdr.ether_vtag = 0x123;
  m->m_flags |= M_VLANTAG;
  struct m_tag* t = m_tag_alloc(kTagCookie, kTagType, sizeof(kTagValue), M_WAITOK);
  std::memcpy(t + 1, &kTagValue, sizeof(kTagValue));
  m_tag_prepend(m, t);
  return m;
}

// The list's packets, flattened, and the list freed.
Frames TakeList(struct mbuf* list) {
  Frames out;
  while (list != nullptr) {
    struct mbuf* next = list->m_nextpkt;
    list->m_nextpkt = nullptr;
    out.push_back(Flatten(list));
    m_freem(list);
    list = next;
  }
  return out;
}

Frames Reference(const SegCase& c) {
  Frames out;
  EXPECT_EQ(SegmentFrame(c.frame, c.req, &out), SegErr::kNone);
  return out;
}

// m still holds the request as TsoPacket built it.
void ExpectUntouched(struct mbuf* m, const SegCase& c, uint32_t csum_flags) {
  EXPECT_EQ(Flatten(m), c.frame);
  EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(c.frame.size()));
  EXPECT_EQ(m->m_pkthdr.csum_flags, csum_flags);
  EXPECT_EQ(m->m_nextpkt, nullptr);
  EXPECT_NE(m_tag_locate(m, kTagCookie, kTagType, nullptr), nullptr);
}

SegCase Tcp4Case(size_t payload, uint16_t mss, int vlans = 1) {
  FrameSpec s;
  s.l3 = L3Kind::kIpv4;
  s.vlans.resize(vlans);
  s.tcp_options_len = 12;
  s.tcp_flags = 0x99;
  s.payload_len = payload;
  s.pattern = rtltest::PayloadPattern::kRandom;
  return MakeSegCase(s, SegKind::kTcp, mss);
}

SegCase Tcp6Case(size_t payload, uint16_t mss) {
  FrameSpec s;
  s.l3 = L3Kind::kIpv6;
  s.vlans.resize(2);
  s.ip6_ext = {
      {Ipv6ExtType::kHopByHop, 0}, {Ipv6ExtType::kRouting, 1}, {Ipv6ExtType::kDestOpts, 2}};
  s.tcp_options_len = 20;
  s.payload_len = payload;
  s.pattern = rtltest::PayloadPattern::kRandom;
  return MakeSegCase(s, SegKind::kTcp, mss);
}

TEST(SwTso, SegmentsArePacketsWithTheInputsHeader) {
  LeakCheck leaks;
  const SegCase c = Tcp4Case(5000, 1448);
  struct mbuf* m = TsoPacket(c);
  struct mbuf* segs = reinterpret_cast<struct mbuf*>(uintptr_t{1});
  ASSERT_EQ(mbufnic_sw_tso(m, &segs), 0);
  const Frames want = Reference(c);
  ASSERT_EQ(want.size(), 4u);
  size_t n = 0;
  for (struct mbuf* s = segs; s != nullptr; s = s->m_nextpkt, ++n) {
    SCOPED_TRACE(::testing::Message() << "segment " << n);
    ASSERT_LT(n, want.size());
    EXPECT_TRUE(s->m_flags & M_PKTHDR);
    EXPECT_EQ(Flatten(s), want[n]);
    EXPECT_EQ(s->m_pkthdr.len, static_cast<int>(want[n].size()));
    EXPECT_EQ(m_length(s, nullptr), want[n].size());
    EXPECT_EQ(s->m_pkthdr.csum_flags & CSUM_FLAGS_TX, 0u);
    EXPECT_EQ(s->m_pkthdr.flowid, 0xabcdefu);
    EXPECT_EQ(M_HASHTYPE_GET(s), M_HASHTYPE_RSS_TCP_IPV4);
    EXPECT_EQ(s->m_pkthdr.fibnum, 3);
    EXPECT_EQ(s->m_pkthdr.rcvif, kIfp);
    EXPECT_TRUE(s->m_flags & M_VLANTAG);
    EXPECT_EQ(s->m_pkthdr.ether_vtag, 0x123);
    EXPECT_EQ(s->m_pkthdr.l2hlen, c.req.l2hlen);
    EXPECT_EQ(s->m_pkthdr.l3hlen, c.req.l3hlen);
    EXPECT_EQ(s->m_pkthdr.l4hlen, c.req.l4hlen);
    struct m_tag* t = m_tag_locate(s, kTagCookie, kTagType, nullptr);
    ASSERT_NE(t, nullptr);
    uint32_t v;
    std::memcpy(&v, t + 1, sizeof(v));
    EXPECT_EQ(v, kTagValue);
    EXPECT_TRUE(ChecksumsValid(want[n], c.req));
  }
  EXPECT_EQ(n, want.size());
  TakeList(segs);
  // The LeakCheck sees every zone as it was: the input was freed along with the segments.
}

TEST(SwTso, ChainsOfTinyMbufs) {
  LeakCheck leaks;
  for (int piece : {1, 3, 7}) {
    const SegCase c = Tcp6Case(3001, 536);
    struct mbuf* segs = nullptr;
    ASSERT_EQ(mbufnic_sw_tso(TsoPacket(c, piece), &segs), 0) << piece;
    EXPECT_EQ(TakeList(segs), Reference(c)) << piece;
  }
}

TEST(SwTso, JumboSegments) {
  // 9216 payload bytes + 74 header bytes: one segment is larger than a 9 KiB cluster.
  LeakCheck leaks;
  const SegCase c = Tcp4Case(20000, 9216, 2);
  struct mbuf* segs = nullptr;
  ASSERT_EQ(mbufnic_sw_tso(TsoPacket(c, 160), &segs), 0);
  const Frames got = TakeList(segs);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got, Reference(c));
  EXPECT_TRUE(SegmentsFollowRules(c.frame, c.req, got));
}

TEST(SwTso, ParsesTheHeadersWhenL2hlenIsZero) {
  LeakCheck leaks;
  FrameSpec plain;
  plain.payload_len = 3000;
  FrameSpec options = plain;
  options.vlans.resize(2);
  options.ip4_options_len = 40;
  options.tcp_options_len = 40;
  FrameSpec v6 = plain;
  v6.l3 = L3Kind::kIpv6;
  v6.vlans.resize(1);
  v6.ip6_ext = {{Ipv6ExtType::kHopByHop, 1}, {Ipv6ExtType::kDestOpts, 0}};
  FrameSpec v6_plain = plain;
  v6_plain.l3 = L3Kind::kIpv6;
  for (const FrameSpec& s : {plain, options, v6, v6_plain}) {
    SCOPED_TRACE(s.Describe());
    const SegCase c = MakeSegCase(s, SegKind::kTcp, 1000);
    struct mbuf* segs = nullptr;
    ASSERT_EQ(mbufnic_sw_tso(TsoPacket(c, 100, /*lengths=*/false), &segs), 0);
    EXPECT_EQ(TakeList(segs), Reference(c));
  }
}

// One EINVAL case: a TSO packet for c, changed by `edit`, is refused with `want_code` in
// mbufnic_sw_tso_error() and left as it was.
void ExpectRefused(const SegCase& c, void (*edit)(struct mbuf*), int want_code,
                   int max_piece = 100) {
  struct mbuf* m = TsoPacket(c, max_piece);
  edit(m);
  const uint32_t flags = m->m_pkthdr.csum_flags;
  struct mbuf* segs = reinterpret_cast<struct mbuf*>(uintptr_t{1});
  EXPECT_EQ(mbufnic_sw_tso(m, &segs), EINVAL);
  EXPECT_EQ(segs, nullptr);
  EXPECT_EQ(mbufnic_sw_tso_error(), want_code);
  ExpectUntouched(m, c, flags);
  m_freem(m);
}

void NoEdit(struct mbuf*) {}

TEST(SwTso, EinvalLeavesThePacketAndNamesTheCode) {
  LeakCheck leaks;
  const SegCase c = Tcp4Case(3000, 1000);  // headers 18 + 20 + 32
  struct Refusal {
    const char* what;
    void (*edit)(struct mbuf*);
    SegErr code;
  };
  const Refusal refusals[] = {
      {"MSS 0", [](struct mbuf* m) { m->m_pkthdr.tso_segsz = 0; }, SegErr::kMss},
      {"IPv6 TSO of an IPv4 frame", [](struct mbuf* m) { m->m_pkthdr.csum_flags = CSUM_IP6_TSO; },
       SegErr::kL2},
      {"VLAN tag not counted", [](struct mbuf* m) { m->m_pkthdr.l2hlen = 14; }, SegErr::kL2},
      {"l3hlen not IHL * 4", [](struct mbuf* m) { m->m_pkthdr.l3hlen = 24; }, SegErr::kL3},
      {"TCP options not counted", [](struct mbuf* m) { m->m_pkthdr.l4hlen = 20; }, SegErr::kL4},
  };
  for (const Refusal& r : refusals) {
    SCOPED_TRACE(r.what);
    ExpectRefused(c, r.edit, static_cast<int>(r.code));
  }
  ExpectRefused(Tcp4Case(65536, 9000), NoEdit, static_cast<int>(SegErr::kPayLen), 160);
  SegCase cut = c;
  cut.frame.resize(50);  // fewer bytes than the headers
  ExpectRefused(cut, NoEdit, static_cast<int>(SegErr::kFrameLen));
}

TEST(SwTso, EinvalForWhatIsNotATsoRequest) {
  LeakCheck leaks;
  const SegCase c = Tcp4Case(3000, 1000);
  // Each refusal below clears the code an earlier card refusal left.
  auto no_mss = [](struct mbuf* m) { m->m_pkthdr.tso_segsz = 0; };
  ExpectRefused(c, no_mss, static_cast<int>(SegErr::kMss));
  ExpectRefused(
      c, [](struct mbuf* m) { m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP; }, 0);
  ExpectRefused(c, no_mss, static_cast<int>(SegErr::kMss));
  ExpectRefused(
      c, [](struct mbuf* m) { m->m_pkthdr.csum_flags |= CSUM_IP6_TSO; }, 0);

  struct mbuf* segs = nullptr;
  EXPECT_EQ(mbufnic_sw_tso(nullptr, &segs), EINVAL);
  struct mbuf* m = test::MakeChain(c.frame, Pieces(c.frame.size(), 100, 1), /*pkthdr=*/false);
  EXPECT_EQ(mbufnic_sw_tso(m, &segs), EINVAL);
  EXPECT_EQ(segs, nullptr);
  EXPECT_EQ(Flatten(m), c.frame);
  m_freem(m);
}

TEST(SwTso, ErrorCodeIsPerThread) {
  LeakCheck leaks;
  const SegCase c = Tcp4Case(100, 10);
  ExpectRefused(
      c, [](struct mbuf* m) { m->m_pkthdr.l4hlen = 24; }, static_cast<int>(SegErr::kL4));
  int other_before = -1, other_after = -1;
  std::thread t([&] {
    other_before = mbufnic_sw_tso_error();
    struct mbuf* m2 = TsoPacket(c);
    m2->m_pkthdr.tso_segsz = 0;
    struct mbuf* segs = nullptr;
    EXPECT_EQ(mbufnic_sw_tso(m2, &segs), EINVAL);
    other_after = mbufnic_sw_tso_error();
    m_freem(m2);
    mbufnic_thread_cache_drain();
  });
  t.join();
  EXPECT_EQ(other_before, 0);  // a thread without an EINVAL
  EXPECT_EQ(other_after, static_cast<int>(SegErr::kMss));
  EXPECT_EQ(mbufnic_sw_tso_error(), static_cast<int>(SegErr::kL4));
}

TEST(SwTso, EnobufsAtEveryAllocationLeavesThePacket) {
  // Three segments, each an mbuf with a cluster and a copied tag: every one of those
  // allocations fails once, and each time the input is as it was and nothing is left behind.
  const SegCase c = Tcp4Case(4000, 1448);
  const Frames want = Reference(c);
  bool succeeded = false;
  const int points = test::ForEachAllocationFailure([&](uint64_t nth) {
    LeakCheck leaks;
    mbufnic_fault_reset();
    struct mbuf* m = TsoPacket(c);  // M_WAITOK: fault injection never touches it
    const uint32_t flags = m->m_pkthdr.csum_flags;
    mbufnic_fault_fail_nth(nth);
    struct mbuf* segs = nullptr;
    const int rc = mbufnic_sw_tso(m, &segs);
    if (mbufnic_fault_alloc_count() >= nth) {
      EXPECT_EQ(rc, ENOBUFS) << "failing allocation #" << nth;
      EXPECT_EQ(segs, nullptr);
      ExpectUntouched(m, c, flags);
      m_freem(m);
    } else {
      EXPECT_EQ(rc, 0);
      EXPECT_EQ(TakeList(segs), want);
      succeeded = true;
    }
  });
  EXPECT_GE(points, 3 * 2);  // at least an mbuf and a tag per segment
  EXPECT_TRUE(succeeded);
}

TEST(SwTso, RandomAllocationFailures) {
  LeakCheck leaks;
  std::mt19937_64 rng(99);
  mbufnic_fault_seed(5);
  int failures = 0, successes = 0;
  for (int i = 0; i < 60; ++i) {
    rtltest::RandomSegOptions opt;
    opt.max_segments = 12;
    SegCase c = rtltest::RandomSegCase(rng, opt);
    if (c.req.kind != SegKind::kTcp) continue;  // FreeBSD has TSO only
    struct mbuf* m = TsoPacket(c, 160);
    const uint32_t flags = m->m_pkthdr.csum_flags;
    mbufnic_fault_set_alloc_failure_ppm(100000);
    struct mbuf* segs = nullptr;
    const int rc = mbufnic_sw_tso(m, &segs);
    mbufnic_fault_reset();
    if (rc == ENOBUFS) {
      ++failures;
      EXPECT_EQ(segs, nullptr);
      ExpectUntouched(m, c, flags);
      m_freem(m);
    } else {
      ASSERT_EQ(rc, 0) << c.spec.Describe();
      ++successes;
      EXPECT_EQ(TakeList(segs), Reference(c));
    }
  }
  EXPECT_GT(failures, 0);
  EXPECT_GT(successes, 0);
}

}  // namespace
}  // namespace mbufnic::offloadtest
