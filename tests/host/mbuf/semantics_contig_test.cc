// mbuf-semantics.md 3.7 and 4.5 edge by edge: m_pullup, m_copyup, the five paths of
// m_pulldown, m_collapse, m_defrag (with the random-failure knob), m_unshare and m_fragment.
// Every case runs under a LeakCheck, so "frees on failure" is checked by the zone counters.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

class SemContig : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

int Lead(struct mbuf *m) { return static_cast<int>(m->m_data - M_START(m)); }

struct m_tag *AddTag(struct mbuf *m, uint32_t cookie, uint16_t type, int len, uint8_t fill) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  if (t == nullptr) return nullptr;
  memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}
std::vector<struct mbuf *> Mbufs(struct mbuf *m) {
  std::vector<struct mbuf *> v;
  for (; m; m = m->m_next) v.push_back(m);
  return v;
}
// A plain mbuf holding `bytes` after `lead` bytes of leading space.
struct mbuf *WithLeading(const Bytes &bytes, int lead) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  m->m_data += lead;
  memcpy(mtod(m, char *), bytes.data(), bytes.size());
  m->m_len = static_cast<int>(bytes.size());
  return m;
}

// ---------------------------------------------------------------------------------------------
// m_pullup
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, PullupNoopWhenHeadAlreadyHasLenAndRoom) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  const auto before = Mbufs(m);
  caddr_t d = m->m_data;
  struct mbuf *r = m_pullup(m, 60);
  EXPECT_EQ(r, m);
  EXPECT_EQ(Mbufs(r), before);
  EXPECT_EQ(r->m_data, d);
  EXPECT_EQ(r->m_len, 100);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, PullupIntoInternalHeadWithReadAhead) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {20, 140, 140});
  struct mbuf *r = m_pullup(m, 30);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r, m);  // pulled into the head itself
  // Read-ahead: max(len - m_len, max_protohdr) more bytes were taken.
  EXPECT_EQ(r->m_len, 20 + std::max(10, max_protohdr));
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, PullupFreesEmptiedMbufs) {
  const auto b = Pattern(60);
  struct mbuf *m = MakeChain(b, {20, 10, 30});
  struct mbuf *r = m_pullup(m, 50);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r, m);
  EXPECT_GE(r->m_len, 50);
  EXPECT_EQ(ChainCount(r), r->m_len == 60 ? 1 : 2);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, PullupClusterHeadAlwaysGetsNewMbuf) {
  const auto b = Pattern(1500);
  struct mbuf *m = MakeChain(b, {1000, 500}, true, Storage::kCluster);
  AddTag(m, 1, 2, 4, 0);
  m->m_pkthdr.flowid = 3;
  struct mbuf *old = m;
  struct mbuf *r = m_pullup(m, 20);  // old head has 1000 >= 20 bytes, but it is a cluster
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, old);
  EXPECT_FALSE(r->m_flags & M_EXT);
  EXPECT_TRUE(r->m_flags & M_PKTHDR);
  EXPECT_FALSE(old->m_flags & M_PKTHDR);  // pkthdr moved
  EXPECT_EQ(r->m_next, old);
  EXPECT_EQ(r->m_len, std::max(20, max_protohdr));
  EXPECT_EQ(r->m_pkthdr.len, 1500);
  EXPECT_EQ(r->m_pkthdr.flowid, 3u);
  EXPECT_NE(m_tag_locate(r, 1, 2, nullptr), nullptr);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, PullupSingleMbufTakesNewHeadPath) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  struct mbuf *r = m_pullup(m, 50);  // no next mbuf: not the fast path
  ASSERT_NE(r, nullptr);
  EXPECT_GE(r->m_len, 50);
  EXPECT_TRUE(r->m_flags & M_PKTHDR);
  EXPECT_EQ(r->m_pkthdr.len, 100);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, PullupStrictRoomCheck) {
  // m_data + len == end of the internal storage is not "<": a new head is allocated.
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_pullup(m, MHLEN);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_GE(r->m_len, MHLEN);
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, PullupHeadWithoutRoomGetsNewMbuf) {
  const auto b = Pattern(110);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  M_ALIGN(m, 16);  // data sits at the very end of the head
  memcpy(mtod(m, char *), b.data(), 10);
  m->m_len = 10;
  m->m_next = WithLeading(Slice(b, 10, 100), 0);
  m->m_pkthdr.len = 110;
  struct mbuf *r = m_pullup(m, 50);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_GE(r->m_len, 50);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, PullupMHLENIsAccepted) {
  const auto b = Pattern(1000);
  struct mbuf *m = MakeChain(b, {1000}, true, Storage::kCluster);
  struct mbuf *r = m_pullup(m, MHLEN);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->m_len, MHLEN);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, PullupLenAboveMHLENFailsAndFrees) {
  struct mbuf *m = MakeChain(Pattern(1000), {1000}, true, Storage::kCluster);
  EXPECT_EQ(m_pullup(m, MHLEN + 1), nullptr);  // LeakCheck: the chain was freed
}

TEST_F(SemContig, PullupChainTooShortFailsAndFrees) {
  struct mbuf *m = MakeChain(Pattern(50), {20, 30});
  EXPECT_EQ(m_pullup(m, 100), nullptr);
  m = MakeChain(Pattern(50), {50}, true, Storage::kCluster);
  EXPECT_EQ(m_pullup(m, 100), nullptr);
}

TEST_F(SemContig, PullupAllocationFailureFrees) {
  struct mbuf *m = MakeChain(Pattern(1500), {1000, 500}, true, Storage::kCluster);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_pullup(m, 20), nullptr);
}

// ---------------------------------------------------------------------------------------------
// m_copyup
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, CopyupLeavesDstoffLeadingSpace) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  AddTag(m, 1, 1, 4, 0);
  struct mbuf *r = m_copyup(m, 50, 16);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);  // always a new head
  EXPECT_TRUE(r->m_flags & M_PKTHDR);
  EXPECT_EQ(Lead(r), 16);
  EXPECT_EQ(M_LEADINGSPACE(r), 16);
  EXPECT_GE(r->m_len, 50);
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_NE(m_tag_locate(r, 1, 1, nullptr), nullptr);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, CopyupReadsAheadMaxProtohdr) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_copyup(m, 10, 16);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->m_len, std::max(10, max_protohdr));
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, CopyupMaxLenIsMHLENMinusDstoff) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_copyup(m, MHLEN - 16, 16);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->m_len, MHLEN - 16);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, CopyupTooLongFreesChain) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  EXPECT_EQ(m_copyup(m, MHLEN - 16 + 1, 16), nullptr);
}

TEST_F(SemContig, CopyupShortChainOrAllocFailureFrees) {
  struct mbuf *m = MakeChain(Pattern(40), {40});
  EXPECT_EQ(m_copyup(m, 60, 8), nullptr);
  m = MakeChain(Pattern(300), {100, 200});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_copyup(m, 60, 8), nullptr);
}

// ---------------------------------------------------------------------------------------------
// m_pulldown
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, PulldownPath1NoCopyAtOffZero) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  const auto before = Mbufs(m);
  struct mbuf *r = m_pulldown(m, 0, 80, nullptr);
  EXPECT_EQ(r, m);
  EXPECT_EQ(Mbufs(m), before);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath1NoCopyWithOffp) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, true, Storage::kPacket);
  const auto before = Mbufs(m);
  caddr_t d = m->m_next->m_data;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 150, 100, &off);
  EXPECT_EQ(r, m->m_next);
  EXPECT_EQ(off, 50);
  EXPECT_EQ(r->m_data, d);
  EXPECT_EQ(Mbufs(m), before);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *) + off, b.data() + 150, 100), 0);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath2SplitsWhenOffNonZeroWithoutOffp) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  caddr_t d0 = m->m_data;
  struct mbuf *second = m->m_next;
  struct mbuf *r = m_pulldown(m, 40, 30, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(m->m_next, r);
  EXPECT_NE(r, second);
  EXPECT_EQ(r->m_next, second);
  EXPECT_EQ(m->m_len, 40);  // data before off untouched
  EXPECT_EQ(m->m_data, d0);
  EXPECT_EQ(r->m_len, 60);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *), b.data() + 40, 30), 0);  // at offset 0
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath2AllocationFailureFrees) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_pulldown(m, 40, 30, nullptr), nullptr);
}

TEST_F(SemContig, PulldownPath3CopiesTailIntoTrailingSpace) {
  const auto b = Pattern(170);
  struct mbuf *m = MakeChain(b, {50, 20, 100});
  caddr_t d0 = m->m_data;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 30, 60, &off);  // 20 here, 40 from the next mbufs
  ASSERT_EQ(r, m);
  EXPECT_EQ(off, 30);
  EXPECT_EQ(m->m_data, d0);
  EXPECT_EQ(m->m_len, 90);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *) + off, b.data() + 30, 60), 0);
  EXPECT_EQ(ChainCount(m), 3);       // emptied mbuf left in place by m_adj
  EXPECT_EQ(m->m_next->m_len, 0);
  EXPECT_EQ(m->m_next->m_next->m_len, 80);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(m->m_pkthdr.len, 170);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath3WithExtClusterInPlace) {
  const auto b = Pattern(2000);
  struct mbuf *m = MakeChain(b, {1000, 1000}, true, Storage::kCluster);
  ASSERT_EQ(m->m_ext.ext_type, EXT_CLUSTER);
  int off = -1;
  struct mbuf *r = m_pulldown(m, 900, 200, &off);
  ASSERT_EQ(r, m);
  EXPECT_EQ(off, 900);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_len, 1100);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *) + off, b.data() + 900, 200), 0);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownExtPacketNeverTakesInPlacePaths) {
  const auto b = Pattern(2000);
  struct mbuf *m = MakeChain(b, {1000, 1000}, true, Storage::kPacket);
  ASSERT_EQ(m->m_ext.ext_type, EXT_PACKET);
  ASSERT_TRUE(M_WRITABLE(m));
  ASSERT_GE(M_TRAILINGSPACE(m), 100);
  int off = -1;
  struct mbuf *r = m_pulldown(m, 900, 200, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);  // path 5: a new mbuf between the two
  EXPECT_EQ(m->m_next, r);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(r->m_len, 200);
  EXPECT_EQ(m->m_len, 900);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *), b.data() + 900, 200), 0);
  EXPECT_EQ(m->m_pkthdr.len, 2000);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownJumboNeverTakesInPlacePaths) {
  if (MJUMPAGESIZE <= MCLBYTES) GTEST_SKIP() << "no page-size jumbo";
  const auto b = Pattern(2000);
  struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUMPAGESIZE);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->m_ext.ext_type, EXT_JUMBOP);
  memcpy(mtod(m, char *), b.data(), 1000);
  m->m_len = 1000;
  struct mbuf *n = m_getjcl(M_WAITOK, MT_DATA, 0, MJUMPAGESIZE);
  ASSERT_NE(n, nullptr);
  memcpy(mtod(n, char *), b.data() + 1000, 1000);
  n->m_len = 1000;
  m->m_next = n;
  m->m_pkthdr.len = 2000;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 900, 200, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath3NotTakenWhenClusterShared) {
  const auto b = Pattern(2000);
  struct mbuf *m = MakeChain(b, {1000, 1000}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  int off = -1;
  struct mbuf *r = m_pulldown(m, 900, 200, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(Flatten(c), b);  // the shared clusters were not written
  m_freem(c);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath4MovesHeadBytesIntoNextLeadingSpace) {
  const auto b = Pattern(MHLEN + 100);
  struct mbuf *m = MakeChain(Slice(b, 0, MHLEN), {MHLEN});  // full: no trailing space
  m->m_next = WithLeading(Slice(b, MHLEN, 100), 100);
  m->m_pkthdr.len = MHLEN + 100;
  struct mbuf *next = m->m_next;
  caddr_t d0 = m->m_data;
  int off = -1;
  struct mbuf *r = m_pulldown(m, MHLEN - 20, 60, &off);
  ASSERT_EQ(r, next);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(next->m_len, 120);
  EXPECT_EQ(Lead(next), 80);
  EXPECT_EQ(m->m_len, MHLEN - 20);
  EXPECT_EQ(m->m_data, d0);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *), b.data() + MHLEN - 20, 60), 0);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath5NewMbufWhenNoRoom) {
  const auto b = Pattern(MHLEN + MLEN);
  struct mbuf *m = MakeChain(b, {MHLEN, MLEN});  // both full, no leading space
  struct mbuf *first_next = m->m_next;
  caddr_t d0 = m->m_data;
  int off = -1;
  struct mbuf *r = m_pulldown(m, MHLEN - 20, 60, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(m->m_next, r);
  EXPECT_EQ(r->m_next, first_next);
  EXPECT_FALSE(r->m_flags & M_EXT);  // len <= MLEN: a plain mbuf
  EXPECT_EQ(off, 0);
  EXPECT_EQ(r->m_len, 60);
  EXPECT_EQ(m->m_len, MHLEN - 20);
  EXPECT_EQ(m->m_data, d0);
  EXPECT_EQ(first_next->m_len, MLEN - 40);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *), b.data() + MHLEN - 20, 60), 0);
  EXPECT_EQ(m->m_pkthdr.len, MHLEN + MLEN);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath5ClusterWhenLenAboveMLEN) {
  const auto b = Pattern(MHLEN + 2 * MLEN);
  struct mbuf *m = MakeChain(b, {MHLEN, MLEN, MLEN});
  struct mbuf *r = m_pulldown(m, 100, 300, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->m_flags & M_EXT);
  EXPECT_EQ(r->m_len, 300);
  EXPECT_EQ(m->m_len, 100);
  EXPECT_EQ(memcmp(mtod(r, uint8_t *), b.data() + 100, 300), 0);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m->m_pkthdr.len, MHLEN + 2 * MLEN);
  m_freem(m);
}

TEST_F(SemContig, PulldownPath5AllocationFailureFrees) {
  struct mbuf *m = MakeChain(Pattern(MHLEN + MLEN), {MHLEN, MLEN});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_pulldown(m, MHLEN - 20, 60, nullptr), nullptr);
}

TEST_F(SemContig, PulldownSkipsZeroLengthMbufs) {
  const auto b = Pattern(200);
  struct mbuf *m = MakeChain(b, {100, 0, 100});
  struct mbuf *third = m->m_next->m_next;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 100, 50, &off);
  EXPECT_EQ(r, third);
  EXPECT_EQ(off, 0);
  m_freem(m);
}

TEST_F(SemContig, PulldownLenAboveMclbytesFrees) {
  struct mbuf *m = MakeChain(Pattern(3000), {1000, 2000}, true, Storage::kCluster);
  EXPECT_EQ(m_pulldown(m, 0, MCLBYTES + 1, nullptr), nullptr);
}

TEST_F(SemContig, PulldownChainTooShortFrees) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  EXPECT_EQ(m_pulldown(m, 280, 50, nullptr), nullptr);  // region runs off the end
  m = MakeChain(Pattern(300), {100, 200});
  int off;
  EXPECT_EQ(m_pulldown(m, 300, 10, &off), nullptr);  // starts at the end
  m = MakeChain(Pattern(300), {100, 200});
  EXPECT_EQ(m_pulldown(m, 500, 10, &off), nullptr);  // starts past the end
}

// ---------------------------------------------------------------------------------------------
// m_collapse
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, CollapseMergesIntoTrailingSpace) {
  const auto b = Pattern(50);
  struct mbuf *m = MakeChain(b, {10, 10, 10, 10, 10});
  struct mbuf *r = m_collapse(m, M_NOWAIT, 2);
  ASSERT_EQ(r, m);
  EXPECT_LE(ChainCount(r), 2);
  EXPECT_EQ(r->m_pkthdr.len, 50);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, CollapseStopsAsSoonAsWithinMaxfrags) {
  const auto b = Pattern(50);
  struct mbuf *m = MakeChain(b, {10, 10, 10, 10, 10});
  struct mbuf *r = m_collapse(m, M_NOWAIT, 4);
  ASSERT_EQ(r, m);
  EXPECT_EQ(ChainCount(r), 4);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, CollapsePairsIntoNewCluster) {
  const auto b = Pattern(MHLEN + 3 * MLEN);
  struct mbuf *m = MakeChain(b, {MHLEN, MLEN, MLEN, MLEN});  // all full: pass 1 cannot merge
  struct mbuf *r = m_collapse(m, M_NOWAIT, 2);
  ASSERT_EQ(r, m);  // the head is never replaced
  ASSERT_EQ(ChainCount(r), 2);
  EXPECT_FALSE(r->m_flags & M_EXT);
  EXPECT_TRUE(r->m_next->m_flags & M_EXT);
  EXPECT_EQ(r->m_next->m_len, 3 * MLEN);
  EXPECT_EQ(r->m_pkthdr.len, MHLEN + 3 * MLEN);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, CollapseImpossibleReturnsNullChainValid) {
  const auto b = Pattern(3 * MCLBYTES);
  struct mbuf *m = MakeChain(b, {MCLBYTES, MCLBYTES, MCLBYTES}, true, Storage::kCluster);
  EXPECT_EQ(m_collapse(m, M_NOWAIT, 2), nullptr);
  EXPECT_EQ(Flatten(m), b);  // still ours, still valid
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemContig, CollapseSharedClustersCannotMerge) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  // Pass 1 cannot write into shared clusters; pass 2 pairs the 2nd and 3rd into a new cluster.
  struct mbuf *r = m_collapse(m, M_NOWAIT, 2);
  ASSERT_EQ(r, m);
  EXPECT_EQ(ChainCount(r), 2);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(Flatten(c), b);
  m_freem(c);
  m_freem(r);
}

TEST_F(SemContig, CollapseDoesNotCheckCountUpFront) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});  // already 1 <= 4 fragments
  EXPECT_EQ(m_collapse(m, M_NOWAIT, 4), nullptr);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, CollapseAllocationFailureLeavesValidChain) {
  const auto b = Pattern(MHLEN + 3 * MLEN);
  struct mbuf *m = MakeChain(b, {MHLEN, MLEN, MLEN, MLEN});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_collapse(m, M_NOWAIT, 2), nullptr);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_defrag
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, DefragNonPkthdrReturnedUnchanged) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100}, false);
  const auto before = Mbufs(m);
  EXPECT_EQ(m_defrag(m, M_NOWAIT), m);
  EXPECT_EQ(Mbufs(m), before);
  m_freem(m);
}

TEST_F(SemContig, DefragBuildsFewestClusters) {
  std::vector<int> sizes{MHLEN};
  int total = MHLEN;
  while (total + MLEN <= 3000) {
    sizes.push_back(MLEN);
    total += MLEN;
  }
  sizes.push_back(3000 - total);
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, sizes);
  AddTag(m, 6, 6, 12, 0x66);
  const uint64_t tags0 = mbufnic_tags_in_use();
  m->m_pkthdr.rcvif = reinterpret_cast<struct ifnet *>(0x44);
  struct mbuf *r = m_defrag(m, M_NOWAIT);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);  // the original was freed (LeakCheck)
  ASSERT_EQ(ChainCount(r), 2);
  EXPECT_TRUE(r->m_flags & M_EXT);
  EXPECT_TRUE(r->m_next->m_flags & M_EXT);
  EXPECT_EQ(r->m_len, MCLBYTES);
  EXPECT_EQ(r->m_pkthdr.len, 3000);
  EXPECT_EQ(r->m_pkthdr.rcvif, reinterpret_cast<struct ifnet *>(0x44));
  struct m_tag *t = m_tag_locate(r, 6, 6, nullptr);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(t + 1)[11], 0x66);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);  // copied, then the original's freed
  EXPECT_EQ(Flatten(r), b);
  EXPECT_TRUE(AllWritable(r));
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, DefragSmallFinalPieceInPlainMbuf) {
  const auto b = Pattern(MCLBYTES + 100);
  struct mbuf *m = MakeChain(b, {100, 1000, 948, 100}, true, Storage::kCluster);
  struct mbuf *r = m_defrag(m, M_NOWAIT);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(ChainCount(r), 2);
  EXPECT_TRUE(r->m_flags & M_EXT);
  EXPECT_FALSE(r->m_next->m_flags & M_EXT);
  EXPECT_EQ(r->m_next->m_len, 100);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, DefragSmallPacketIsOneHeaderMbuf) {
  const auto b = Pattern(MHLEN);
  struct mbuf *m = MakeChain(b, {60, 40, 60});
  m->m_type = MT_OOBDATA;
  struct mbuf *r = m_defrag(m, M_NOWAIT);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(ChainCount(r), 1);
  EXPECT_FALSE(r->m_flags & M_EXT);
  EXPECT_EQ(r->m_type, MT_DATA);  // whatever the original was
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, DefragRewritesPkthdrLenFirst) {
  const auto b = Pattern(500);
  struct mbuf *m = MakeChain(b, {100, 200, 200});
  m->m_pkthdr.len = 7;  // wrong on purpose
  struct mbuf *r = m_defrag(m, M_NOWAIT);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->m_pkthdr.len, 500);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, DefragFailureLeavesOriginalIntact) {
  const auto b = Pattern(5000);
  for (uint64_t nth = 1; nth <= 4; ++nth) {
    struct mbuf *m = MakeChain(b, {1000, 2000, 2000}, true, Storage::kCluster);
    AddTag(m, 2, 2, 4, 0);
    const auto before = Mbufs(m);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_defrag(m, M_NOWAIT), nullptr) << nth;
    mbufnic_fault_reset();
    EXPECT_EQ(Mbufs(m), before);
    EXPECT_EQ(Flatten(m), b);
    EXPECT_NE(m_tag_locate(m, 2, 2, nullptr), nullptr);
    m_freem(m);
  }
}

TEST_F(SemContig, DefragRandomFailuresKnob) {
  mbufnic_fault_seed(12345);
  struct mbufnic_defrag_stats st0 {};
  mbufnic_defrag_get_stats(&st0);
  mbufnic_fault_set_defrag_random_failures(1);
  const auto b = Pattern(300);
  const int kTries = 4096;
  int failures = 0;
  for (int i = 0; i < kTries; ++i) {
    struct mbuf *m = MakeChain(b, {100, 200});
    struct mbuf *r = m_defrag(m, M_NOWAIT);
    if (r == nullptr) {
      ++failures;
      EXPECT_EQ(Flatten(m), b);
      m_freem(m);
    } else {
      m_freem(r);
    }
  }
  mbufnic_fault_set_defrag_random_failures(0);
  // About 1 in 256: 16 expected.
  EXPECT_GE(failures, 2);
  EXPECT_LE(failures, 60);
  struct mbufnic_defrag_stats st1 {};
  mbufnic_defrag_get_stats(&st1);
  EXPECT_EQ(st1.failures - st0.failures, static_cast<uint64_t>(failures));
  // Off again: never fails.
  for (int i = 0; i < 512; ++i) {
    struct mbuf *m = MakeChain(b, {100, 200});
    struct mbuf *r = m_defrag(m, M_NOWAIT);
    ASSERT_NE(r, nullptr);
    m_freem(r);
  }
}

// ---------------------------------------------------------------------------------------------
// m_unshare
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, UnshareCopiesSharedClusters) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  AddTag(m, 3, 3, 4, 0);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  char *buf0 = m->m_ext.ext_buf, *buf1 = m->m_next->m_ext.ext_buf;
  struct mbuf *u = m_unshare(c, M_NOWAIT);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(AllWritable(u));
  EXPECT_EQ(Flatten(u), b);
  EXPECT_TRUE(u->m_flags & M_PKTHDR);
  EXPECT_EQ(u->m_pkthdr.len, 3000);
  EXPECT_NE(m_tag_locate(u, 3, 3, nullptr), nullptr);
  for (struct mbuf *n = u; n; n = n->m_next) {
    if (n->m_flags & M_EXT) {
      EXPECT_NE(n->m_ext.ext_buf, buf0);
      EXPECT_NE(n->m_ext.ext_buf, buf1);
    }
  }
  EXPECT_TRUE(AllWritable(m));  // the references the copy held are gone
  EXPECT_EQ(m_sanity(u, 0), 1);
  m_freem(u);
  m_freem(m);
}

TEST_F(SemContig, UnshareKeepsWritableMbufs) {
  const auto b = Pattern(1300);
  struct mbuf *m = MakeChain(b, {1000, 300}, true, Storage::kCluster);
  const auto before = Mbufs(m);
  struct mbuf *u = m_unshare(m, M_NOWAIT);
  EXPECT_EQ(u, m);
  EXPECT_EQ(Mbufs(u), before);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(u);
}

TEST_F(SemContig, UnshareCoalescesInternalIntoPrecedingCluster) {
  const auto b = Pattern(150);
  struct mbuf *m = MakeChain(Slice(b, 0, 100), {100}, true, Storage::kCluster);
  m->m_next = WithLeading(Slice(b, 100, 50), 0);
  m->m_pkthdr.len = 150;
  struct mbuf *u = m_unshare(m, M_NOWAIT);
  ASSERT_EQ(u, m);
  EXPECT_EQ(ChainCount(u), 1);
  EXPECT_EQ(Flatten(u), b);
  m_freem(u);
}

TEST_F(SemContig, UnshareCoalescesSharedIntoPreviousCluster) {
  const auto b = Pattern(400);
  struct mbuf *m = MakeChain(Slice(b, 0, 100), {100}, true, Storage::kCluster);
  struct mbuf *other = MakeChain(Slice(b, 100, 300), {300}, false, Storage::kCluster);
  struct mbuf *shared = m_copym(other, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(shared, nullptr);
  m->m_next = shared;
  m->m_pkthdr.len = 400;
  struct mbuf *u = m_unshare(m, M_NOWAIT);
  ASSERT_EQ(u, m);
  EXPECT_EQ(ChainCount(u), 1);
  EXPECT_EQ(Flatten(u), b);
  EXPECT_TRUE(M_WRITABLE(other));
  m_freem(other);
  m_freem(u);
}

TEST_F(SemContig, UnshareLongSharedDataUsesSeveralClusters) {
  if (MJUMPAGESIZE <= MCLBYTES) GTEST_SKIP() << "no page-size jumbo larger than a cluster";
  const int len = MCLBYTES + 1000;
  const auto b = Pattern(len);
  struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUMPAGESIZE);
  ASSERT_NE(m, nullptr);
  memcpy(mtod(m, char *), b.data(), len);
  m->m_len = m->m_pkthdr.len = len;
  m->m_flags |= M_BCAST;
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  struct mbuf *u = m_unshare(c, M_NOWAIT);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(ChainCount(u), 2);
  EXPECT_EQ(u->m_len, MCLBYTES);
  EXPECT_TRUE(u->m_flags & M_PKTHDR);
  EXPECT_TRUE(u->m_flags & M_BCAST);
  EXPECT_FALSE(u->m_next->m_flags & M_PKTHDR);
  EXPECT_TRUE(AllWritable(u));
  EXPECT_EQ(u->m_pkthdr.len, len);
  EXPECT_EQ(Flatten(u), b);
  m_freem(u);
  m_freem(m);
}

TEST_F(SemContig, UnshareCopiedClusterAbsorbsFollowingInternal) {
  const auto b = Pattern(150);
  struct mbuf *m = MakeChain(Slice(b, 0, 100), {100}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  c->m_next = WithLeading(Slice(b, 100, 50), 0);
  c->m_pkthdr.len = 150;
  struct mbuf *u = m_unshare(c, M_NOWAIT);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(ChainCount(u), 1);
  EXPECT_TRUE(u->m_flags & M_PKTHDR);
  EXPECT_TRUE(AllWritable(u));
  EXPECT_EQ(Flatten(u), b);
  EXPECT_TRUE(M_WRITABLE(m));
  m_freem(u);
  m_freem(m);
}

TEST_F(SemContig, UnshareInternalRdonlyStaysReadOnly) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m->m_flags |= M_RDONLY;
  struct mbuf *u = m_unshare(m, M_NOWAIT);
  ASSERT_EQ(u, m);
  EXPECT_FALSE(M_WRITABLE(u));
  m_freem(u);
}

TEST_F(SemContig, UnshareFailureFreesTheChain) {
  const auto b = Pattern(3000);
  for (uint64_t nth = 1; nth <= 2; ++nth) {
    struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
    struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
    ASSERT_NE(c, nullptr);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_unshare(c, M_NOWAIT), nullptr) << nth;  // c is gone
    mbufnic_fault_reset();
    EXPECT_TRUE(AllWritable(m)) << nth;
    EXPECT_EQ(Flatten(m), b);
    m_freem(m);
  }
}

// ---------------------------------------------------------------------------------------------
// m_fragment (4.5)
// ---------------------------------------------------------------------------------------------

TEST_F(SemContig, FragmentFixedSize) {
  const auto b = Pattern(1000);
  struct mbuf *m = MakeChain(b, {1000}, true, Storage::kCluster);
  AddTag(m, 5, 5, 4, 0);
  struct mbuf *r = m_fragment(m, M_NOWAIT, 100);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(ChainCount(r), 10);
  for (struct mbuf *n = r; n; n = n->m_next) {
    EXPECT_EQ(n->m_len, 100);
    EXPECT_TRUE(n->m_flags & M_EXT);
  }
  EXPECT_EQ(r->m_pkthdr.len, 1000);
  EXPECT_NE(m_tag_locate(r, 5, 5, nullptr), nullptr);
  EXPECT_EQ(Flatten(r), b);
  EXPECT_EQ(m_sanity(r, 0), 1);
  m_freem(r);
}

TEST_F(SemContig, FragmentSizeCappedAtMclbytes) {
  const auto b = Pattern(5000);
  struct mbuf *m = MakeChain(b, {1000, 2000, 2000}, true, Storage::kCluster);
  struct mbuf *r = m_fragment(m, M_NOWAIT, 3000);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(ChainCount(r), 3);
  EXPECT_EQ(r->m_len, MCLBYTES);
  EXPECT_EQ(r->m_next->m_len, MCLBYTES);
  EXPECT_EQ(r->m_next->m_next->m_len, 5000 - 2 * MCLBYTES);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(SemContig, FragmentZeroOrBelowMinusTwoReturnsOriginal) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  const auto before = Mbufs(m);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, 0), m);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, -3), m);
  EXPECT_EQ(Mbufs(m), before);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemContig, FragmentMinusOneUsesOneRandomSize) {
  mbufnic_fault_seed(7);
  const auto b = Pattern(2000);
  for (int i = 0; i < 20; ++i) {
    struct mbuf *m = MakeChain(b, {1000, 1000}, true, Storage::kCluster);
    struct mbuf *r = m_fragment(m, M_NOWAIT, -1);
    ASSERT_NE(r, nullptr);
    const int size = r->m_len;
    EXPECT_GE(size, 1);
    EXPECT_LE(size, 255);
    for (struct mbuf *n = r; n; n = n->m_next) {
      if (n->m_next) EXPECT_EQ(n->m_len, size);
      else EXPECT_LE(n->m_len, size);
    }
    EXPECT_EQ(Flatten(r), b);
    m_freem(r);
  }
}

TEST_F(SemContig, FragmentMinusTwoUsesRandomSizePerFragment) {
  mbufnic_fault_seed(9);
  const auto b = Pattern(2000);
  std::set<int> sizes;
  for (int i = 0; i < 5; ++i) {
    struct mbuf *m = MakeChain(b, {1000, 1000}, true, Storage::kCluster);
    struct mbuf *r = m_fragment(m, M_NOWAIT, -2);
    ASSERT_NE(r, nullptr);
    for (struct mbuf *n = r; n; n = n->m_next) {
      EXPECT_GE(n->m_len, 1);
      EXPECT_LE(n->m_len, 255);
      if (n->m_next) sizes.insert(n->m_len);
    }
    EXPECT_EQ(r->m_pkthdr.len, 2000);
    EXPECT_EQ(Flatten(r), b);
    m_freem(r);
  }
  EXPECT_GT(sizes.size(), 3u);
}

TEST_F(SemContig, FragmentFailureReturnsOriginal) {
  const auto b = Pattern(1000);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *m = MakeChain(b, {400, 600}, true, Storage::kCluster);
    const auto before = Mbufs(m);
    mbufnic_fault_fail_nth(nth);
    struct mbuf *r = m_fragment(m, M_NOWAIT, 100);
    mbufnic_fault_reset();
    EXPECT_EQ(r, m) << nth;
    EXPECT_EQ(Mbufs(r), before);
    EXPECT_EQ(Flatten(r), b);
    m_freem(r);
  }
}

TEST_F(SemContig, FragmentNonPkthdrReturnedAsIs) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, 10), m);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
