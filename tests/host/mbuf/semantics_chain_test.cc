// mbuf-semantics.md 3.3 and 3.5 edge by edge: M_ALIGN/m_align, M_PREPEND/m_prepend, m_adj,
// m_append, m_cat, m_catpkt, m_split, plus the mbufq helpers.  Each case checks what a user
// would check (bytes, lengths, chain shape, writability) under a LeakCheck.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

class SemChain : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

int Lead(struct mbuf *m) { return static_cast<int>(m->m_data - M_START(m)); }
struct ifnet *FakeIfp(uintptr_t v) { return reinterpret_cast<struct ifnet *>(v); }

struct m_tag *AddTag(struct mbuf *m, uint32_t cookie, uint16_t type, int len, uint8_t fill) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  if (t == nullptr) return nullptr;
  memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}
int TagCount(struct mbuf *m) {
  int n = 0;
  for (struct m_tag *t = m_tag_first(m); t; t = m_tag_next(m, t)) ++n;
  return n;
}

// ---------------------------------------------------------------------------------------------
// M_ALIGN / m_align (3.3)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, AlignPlainMbufPutsObjectAtEndLongAligned) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  M_ALIGN(m, 10);
  EXPECT_EQ(Lead(m), (MLEN - 10) & ~static_cast<int>(sizeof(long) - 1));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m->m_data) % sizeof(long), 0u);
  EXPECT_GE(M_TRAILINGSPACE(m), 10);
  EXPECT_LT(M_TRAILINGSPACE(m), 10 + static_cast<int>(sizeof(long)));
  m_freem(m);
}

TEST_F(SemChain, AlignHeaderMbufUsesMHLEN) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MH_ALIGN(m, 16);
  EXPECT_EQ(Lead(m), MHLEN - 16);
  EXPECT_EQ(M_TRAILINGSPACE(m), 16);
  m_freem(m);
  m = m_gethdr(M_WAITOK, MT_DATA);
  m_align(m, 0);  // zero-length object: all the way to the end
  EXPECT_EQ(Lead(m), MHLEN & ~static_cast<int>(sizeof(long) - 1));
  m_freem(m);
}

TEST_F(SemChain, AlignClusterUsesExtSize) {
  struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  MEXT_ALIGN(m, 100);
  EXPECT_EQ(Lead(m), (MCLBYTES - 100) & ~static_cast<int>(sizeof(long) - 1));
  EXPECT_GE(M_TRAILINGSPACE(m), 100);
  m_freem(m);
}

TEST_F(SemChain, AlignOnNonVirginMbufPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = m_get(M_WAITOK, MT_DATA);
        m->m_data += 8;
        m_align(m, 10);
      },
      "panic");
}

// ---------------------------------------------------------------------------------------------
// M_PREPEND / m_prepend (3.3)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, PrependUsesLeadingSpaceWhenThereIsEnough) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m_adj(m, 20);  // 20 bytes of leading space now
  ASSERT_EQ(M_LEADINGSPACE(m), 20);
  struct mbuf *orig = m;
  M_PREPEND(m, 14, M_NOWAIT);
  ASSERT_EQ(m, orig);  // same mbuf
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_len, 94);
  EXPECT_EQ(m->m_pkthdr.len, 94);
  EXPECT_EQ(M_LEADINGSPACE(m), 6);
  memset(mtod(m, char *), 0xEE, 14);
  EXPECT_EQ(Flatten(m), Cat(Bytes(14, 0xEE), Slice(b, 20, 80)));
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);  // nothing allocated
  m_freem(m);
}

TEST_F(SemChain, PrependAllocatesNewHeadAndMovesPkthdr) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m->m_pkthdr.rcvif = FakeIfp(0x1000);
  m->m_pkthdr.flowid = 99;
  m->m_flags |= M_BCAST;
  AddTag(m, 42, 7, 8, 0xAB);
  struct mbuf *old = m;
  ASSERT_EQ(M_LEADINGSPACE(m), 0);
  M_PREPEND(m, 14, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m, old);
  EXPECT_EQ(m->m_next, old);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  EXPECT_FALSE(old->m_flags & M_PKTHDR);
  EXPECT_TRUE(m->m_flags & M_BCAST);
  EXPECT_FALSE(m->m_flags & M_EXT);  // never a cluster
  EXPECT_EQ(m->m_len, 14);
  EXPECT_EQ(m->m_pkthdr.len, 114);
  EXPECT_EQ(m->m_pkthdr.rcvif, FakeIfp(0x1000));
  EXPECT_EQ(m->m_pkthdr.flowid, 99u);
  EXPECT_NE(m_tag_locate(m, 42, 7, nullptr), nullptr);  // tags moved
  // M_ALIGN(len): object at the end, so a later prepend finds leading space.
  EXPECT_EQ(Lead(m), (MHLEN - 14) & ~static_cast<int>(sizeof(long) - 1));
  memset(mtod(m, char *), 0x11, 14);
  EXPECT_EQ(Flatten(m), Cat(Bytes(14, 0x11), b));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemChain, PrependOnReadOnlyClusterTakesNewMbufPath) {
  const auto b = Pattern(500);
  struct mbuf *m = MakeChain(b, {500}, true, Storage::kCluster);
  m_adj(m, 50);  // room before the data, but the cluster will be shared
  struct mbuf *copy = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(M_LEADINGSPACE(m), 0);  // read-only: no usable leading space
  struct mbuf *old = m;
  M_PREPEND(m, 10, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m, old);
  EXPECT_EQ(m->m_pkthdr.len, 460);
  EXPECT_EQ(Flatten(copy), Slice(b, 50, 450));  // the shared bytes were not touched
  m_freem(copy);
  m_freem(m);
}

TEST_F(SemChain, PrependFailureFreesChainAndNullsPointer) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200}, true, Storage::kCluster);
  AddTag(m, 1, 1, 4, 0);
  mbufnic_fault_fail_nth(1);
  M_PREPEND(m, 14, M_NOWAIT);
  EXPECT_EQ(m, nullptr);  // the chain is gone (LeakCheck verifies it was freed)
}

TEST_F(SemChain, PrependNegativeLengthTrimsHead) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  M_PREPEND(m, -10, M_NOWAIT);  // undocumented but real: silently trims
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->m_len, 90);
  EXPECT_EQ(m->m_pkthdr.len, 90);
  EXPECT_EQ(Flatten(m), Slice(b, 10, 90));
  m_freem(m);
}

TEST_F(SemChain, MPrependFunctionDoesNotTouchPkthdrLen) {
  const auto b = Pattern(60);
  struct mbuf *m = MakeChain(b, {60});
  struct mbuf *n = m_prepend(m, 20, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_next, m);
  EXPECT_EQ(n->m_len, 20);
  EXPECT_EQ(n->m_pkthdr.len, 60);  // M_PREPEND adds plen; m_prepend does not
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  m_freem(n);
}

TEST_F(SemChain, MPrependWithoutPkthdrGivesPlainMbuf) {
  const auto b = Pattern(60);
  struct mbuf *m = MakeChain(b, {60}, false);
  struct mbuf *n = m_prepend(m, 30, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_FALSE(n->m_flags & M_PKTHDR);
  EXPECT_FALSE(n->m_flags & M_EXT);
  EXPECT_EQ(n->m_len, 30);
  EXPECT_EQ(Lead(n), (MLEN - 30) & ~static_cast<int>(sizeof(long) - 1));
  EXPECT_EQ(ChainCount(n), 2);
  m_freem(n);
}

TEST_F(SemChain, MPrependFullSizeIsNotAligned) {
  struct mbuf *m = MakeChain(Pattern(10), {10});
  struct mbuf *n = m_prepend(m, MHLEN, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_len, MHLEN);
  EXPECT_EQ(Lead(n), 0);
  m_freem(n);
}

TEST_F(SemChain, MPrependFailureFreesChain) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_prepend(m, 10, M_NOWAIT), nullptr);
}

// ---------------------------------------------------------------------------------------------
// m_adj (3.5)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, AdjNullIsNoop) { m_adj(nullptr, 10); m_adj(nullptr, -10); }

TEST_F(SemChain, AdjHeadWithinFirstMbufAdvancesData) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  caddr_t d = m->m_data;
  m_adj(m, 30);
  EXPECT_EQ(m->m_data, d + 30);
  EXPECT_EQ(m->m_len, 70);
  EXPECT_EQ(m->m_pkthdr.len, 270);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(Flatten(m), Slice(b, 30, 270));
  m_freem(m);
}

TEST_F(SemChain, AdjHeadLeavesZeroLengthMbufsInChain) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  struct mbuf *second = m->m_next;
  m_adj(m, 250);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(m->m_len, 0);
  EXPECT_EQ(second->m_len, 0);
  EXPECT_EQ(m->m_next->m_next->m_len, 50);
  EXPECT_EQ(m->m_pkthdr.len, 50);
  EXPECT_EQ(m_length(m, nullptr), 50u);
  EXPECT_EQ(Flatten(m), Slice(b, 250, 50));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemChain, AdjHeadBeyondLengthCapsAtChainLength) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  m_adj(m, 1000);
  EXPECT_EQ(m->m_pkthdr.len, 0);  // dropped by what was actually trimmed
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m_length(m, nullptr), 0u);
  m_freem(m);
}

TEST_F(SemChain, AdjTailAbsorbedByLastMbufOnly) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  m_adj(m, -40);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(m->m_next->m_next->m_len, 60);
  EXPECT_EQ(m->m_pkthdr.len, 260);
  m_adj(m, -60);  // the last mbuf becomes empty but stays
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(m->m_next->m_next->m_len, 0);
  EXPECT_EQ(m->m_pkthdr.len, 200);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 200));
  m_freem(m);
}

TEST_F(SemChain, AdjTailFreesLaterMbufs) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100}, true, Storage::kCluster);
  m_adj(m, -150);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_next->m_len, 50);
  EXPECT_EQ(m->m_next->m_next, nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 150));
  m_freem(m);
}

TEST_F(SemChain, AdjTailBeyondLengthLeavesEmptyHead) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 100, 100});
  m_adj(m, -5000);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_len, 0);
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  m_freem(m);
}

TEST_F(SemChain, AdjTailExactlyAtBoundary) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  m_adj(m, -200);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_len, 100);
  EXPECT_EQ(m->m_pkthdr.len, 100);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 100));
  m_freem(m);
}

TEST_F(SemChain, AdjWithoutPkthdr) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  m_adj(m, 10);
  m_adj(m, -10);
  EXPECT_EQ(Flatten(m), Slice(b, 10, 280));
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  m_freem(m);
}

TEST_F(SemChain, AdjDoesNotCheckWritability) {
  const auto b = Pattern(500);
  struct mbuf *m = MakeChain(b, {500}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  m_adj(c, 100);
  m_adj(c, -100);
  EXPECT_EQ(Flatten(c), Slice(b, 100, 300));
  EXPECT_EQ(c->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(m), b);  // only pointers moved
  m_freem(c);
  m_freem(m);
}

TEST_F(SemChain, AdjTailSkipsTrailingEmptyMbuf) {
  const auto b = Pattern(200);
  struct mbuf *m = MakeChain(b, {100, 100, 0});
  m_adj(m, -50);  // the empty last mbuf cannot absorb it: the general path frees it
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_next->m_len, 50);
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 150));
  m_freem(m);
}

TEST_F(SemChain, ReadOnlyInternalMbufReportsNoSpace) {
  struct mbuf *m = MakeChain(Pattern(50), {50});
  m_adj(m, 10);
  ASSERT_EQ(M_LEADINGSPACE(m), 10);
  ASSERT_GT(M_TRAILINGSPACE(m), 0);
  m->m_flags |= M_RDONLY;
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_EQ(M_LEADINGSPACE(m), 0);  // 13.0 and main: internal read-only mbufs too
  EXPECT_EQ(M_TRAILINGSPACE(m), 0);
  EXPECT_EQ(M_TRAILINGROOM(m), MHLEN - 50);
  m->m_flags &= ~M_RDONLY;
  m_freem(m);
}

TEST_F(SemChain, PrependExactlyLeadingSpace) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m_adj(m, 20);
  struct mbuf *orig = m;
  M_PREPEND(m, 20, M_NOWAIT);
  EXPECT_EQ(m, orig);
  EXPECT_EQ(M_LEADINGSPACE(m), 0);
  EXPECT_EQ(m->m_pkthdr.len, 100);
  m_freem(m);
}

TEST_F(SemChain, PrependWithoutPkthdrLeavesNoHeader) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100}, false);
  M_PREPEND(m, 8, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(m->m_len, 8);
  EXPECT_EQ(m_length(m, nullptr), 108u);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_append (3.6)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, AppendFillsTrailingSpaceFirst) {
  const auto b = Pattern(100), x = Pattern(50, 9);
  struct mbuf *m = MakeChain(b, {100});
  EXPECT_EQ(m_append(m, 50, reinterpret_cast<c_caddr_t>(x.data())), 1);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_len, 150);
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  m_freem(m);
}

TEST_F(SemChain, AppendThenAddsPlainMbufsNoClusters) {
  const auto b = Pattern(100), x = Pattern(600, 9);
  struct mbuf *m = MakeChain(b, {100});
  EXPECT_EQ(m_append(m, 600, reinterpret_cast<c_caddr_t>(x.data())), 1);
  EXPECT_EQ(m->m_len, MHLEN);  // the head filled up first
  int extra = 600 - (MHLEN - 100);
  int expect_mbufs = 1 + (extra + MLEN - 1) / MLEN;
  EXPECT_EQ(ChainCount(m), expect_mbufs);
  for (struct mbuf *n = m->m_next; n; n = n->m_next) {
    EXPECT_FALSE(n->m_flags & M_EXT);
    EXPECT_FALSE(n->m_flags & M_PKTHDR);
    EXPECT_LE(n->m_len, MLEN);
  }
  EXPECT_EQ(m->m_pkthdr.len, 700);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemChain, AppendIntoClusterTail) {
  const auto b = Pattern(100), x = Pattern(1500, 9);
  struct mbuf *m = MakeChain(b, {100}, true, Storage::kPacket);
  EXPECT_EQ(m_append(m, 1500, reinterpret_cast<c_caddr_t>(x.data())), 1);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.len, 1600);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  m_freem(m);
}

TEST_F(SemChain, AppendSkipsReadOnlyTail) {
  const auto b = Pattern(100), x = Pattern(20, 9);
  struct mbuf *m = MakeChain(b, {100}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(M_TRAILINGSPACE(m), 0);
  EXPECT_EQ(m_append(m, 20, reinterpret_cast<c_caddr_t>(x.data())), 1);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_len, 100);
  EXPECT_EQ(m->m_pkthdr.len, 120);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  EXPECT_EQ(Flatten(c), b);
  m_freem(c);
  m_freem(m);
}

TEST_F(SemChain, AppendZeroLengthReturnsOne) {
  const auto b = Pattern(MHLEN);
  struct mbuf *m = MakeChain(b, {MHLEN});  // full head
  EXPECT_EQ(m_append(m, 0, nullptr), 1);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.len, MHLEN);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(m);
}

TEST_F(SemChain, AppendPartialOnAllocationFailureKeepsData) {
  const auto b = Pattern(100), x = Pattern(600, 9);
  struct mbuf *m = MakeChain(b, {100});
  mbufnic_fault_fail_nth(2);  // first new mbuf succeeds, second fails
  EXPECT_EQ(m_append(m, 600, reinterpret_cast<c_caddr_t>(x.data())), 0);
  const int appended = (MHLEN - 100) + MLEN;
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_pkthdr.len, 100 + appended);  // grew by what was appended
  EXPECT_EQ(Flatten(m), Cat(b, Slice(x, 0, appended)));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);  // not freed by m_append
}

TEST_F(SemChain, AppendFailureOnFirstAllocation) {
  const auto b = Pattern(MHLEN), x = Pattern(10, 9);
  struct mbuf *m = MakeChain(b, {MHLEN});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_append(m, 10, reinterpret_cast<c_caddr_t>(x.data())), 0);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.len, MHLEN);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemChain, AppendWithoutPkthdr) {
  const auto b = Pattern(200), x = Pattern(100, 9);
  struct mbuf *m = MakeChain(b, {200}, false);
  EXPECT_EQ(m_append(m, 100, reinterpret_cast<c_caddr_t>(x.data())), 1);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_len, MLEN);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_cat, m_catpkt (3.5)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, CatCopiesIntoWritableTrailingSpace) {
  const auto a = Pattern(50, 1), c = Pattern(60, 2);
  struct mbuf *m = MakeChain(a, {50});
  struct mbuf *n = MakeChain(c, {30, 30}, false);
  m_cat(m, n);
  EXPECT_EQ(ChainCount(m), 1);  // both n mbufs copied and freed
  EXPECT_EQ(m->m_len, 110);
  EXPECT_EQ(m->m_pkthdr.len, 50);  // not updated
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(SemChain, CatAbsorbsZeroLengthMbufs) {
  const auto a = Pattern(50, 1), c = Pattern(30, 2);
  struct mbuf *m = MakeChain(a, {50});
  struct mbuf *n = MakeChain(c, {0, 30, 0}, false);
  m_cat(m, n);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(SemChain, CatLinksWhatDoesNotFitKeepingPkthdr) {
  const auto a = Pattern(50, 1), c = Pattern(1000, 2);
  struct mbuf *m = MakeChain(a, {50});
  struct mbuf *n = MakeChain(c, {1000}, true, Storage::kCluster);
  AddTag(n, 5, 5, 4, 0);
  m_cat(m, n);
  ASSERT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_next, n);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);  // a linked n keeps its header and tags
  EXPECT_EQ(TagCount(n), 1);
  EXPECT_EQ(m->m_pkthdr.len, 50);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(SemChain, CatCopiesSomeThenLinksTheRest) {
  const auto a = Pattern(50, 1), c = Pattern(1030, 2);
  struct mbuf *m = MakeChain(a, {50}, false);
  struct mbuf *n = MakeChain(c, {10, 1000, 20}, false, Storage::kCluster);
  // m is internal (MLEN room); first n mbuf is copied, the 1000-byte cluster does not fit.
  struct mbuf *second = n->m_next;
  m_cat(m, n);
  EXPECT_EQ(m->m_len, 60);
  EXPECT_EQ(m->m_next, second);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(SemChain, CatLinksWhenTailIsReadOnly) {
  const auto a = Pattern(50, 1), c = Pattern(10, 2);
  struct mbuf *m = MakeChain(a, {50}, true, Storage::kCluster);
  struct mbuf *copy = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(copy, nullptr);
  struct mbuf *n = MakeChain(c, {10}, false);
  m_cat(m, n);
  EXPECT_EQ(ChainCount(m), 2);  // tail shared: no copy, link
  EXPECT_EQ(m->m_len, 50);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  EXPECT_EQ(Flatten(copy), a);
  m_freem(copy);
  m_freem(m);
}

TEST_F(SemChain, CatGoesToTailOfM) {
  const auto a = Pattern(300, 1), c = Pattern(10, 2);
  struct mbuf *m = MakeChain(a, {MHLEN, 300 - MHLEN});
  struct mbuf *n = MakeChain(c, {10}, false);
  m_cat(m, n);
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_len, MHLEN);
  EXPECT_EQ(m->m_next->m_len, 300 - MHLEN + 10);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(SemChain, CatpktUpdatesLenAndDemotesN) {
  const auto a = Pattern(50, 1), c = Pattern(1000, 2);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = MakeChain(a, {50});
  AddTag(m, 1, 1, 4, 0);
  struct mbuf *n = MakeChain(c, {1000}, true, Storage::kCluster);
  AddTag(n, 2, 2, 4, 0);
  n->m_flags |= M_BCAST;
  m_catpkt(m, n);
  EXPECT_EQ(m->m_pkthdr.len, 1050);
  ASSERT_EQ(ChainCount(m), 2);
  EXPECT_FALSE(m->m_next->m_flags & M_PKTHDR);
  EXPECT_FALSE(m->m_next->m_flags & M_BCAST);  // only M_DEMOTEFLAGS kept
  EXPECT_TRUE(m->m_next->m_flags & M_EXT);
  EXPECT_EQ(TagCount(m), 1);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 1);  // n's tag deleted
  EXPECT_EQ(Flatten(m), Cat(a, c));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemChain, CatpktSmallNIsCopied) {
  const auto a = Pattern(50, 1), c = Pattern(40, 2);
  struct mbuf *m = MakeChain(a, {50});
  struct mbuf *n = MakeChain(c, {40});
  AddTag(n, 2, 2, 4, 0);
  m_catpkt(m, n);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.len, 90);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_split (3.5)
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, SplitBeyondLengthOrNegativeReturnsNullIntact) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  EXPECT_EQ(m_split(m, 301, M_NOWAIT), nullptr);
  EXPECT_EQ(m_split(m, -1, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
  m = MakeChain(b, {100, 200}, false);
  EXPECT_EQ(m_split(m, 301, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemChain, SplitNoPkthdrOnBoundaryUnlinksNext) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  struct mbuf *second = m->m_next;
  struct mbuf *n = m_split(m, 100, M_NOWAIT);
  EXPECT_EQ(n, second);  // no allocation, just unlinked
  EXPECT_EQ(m->m_next, nullptr);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 100));
  EXPECT_EQ(Flatten(n), Slice(b, 100, 200));
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitNoPkthdrAtEndReturnsNull) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  EXPECT_EQ(m_split(m, 300, M_NOWAIT), nullptr);  // looks like failure
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemChain, SplitNoPkthdrInsideInternalCopiesToAlignedMbuf) {
  const auto b = Pattern(200);
  struct mbuf *m = MakeChain(b, {200}, false);
  struct mbuf *n = m_split(m, 150, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_len, 50);
  EXPECT_EQ(m->m_len, 150);
  EXPECT_FALSE(n->m_flags & (M_EXT | M_PKTHDR));
  EXPECT_EQ(Lead(n), (MLEN - 50) & ~static_cast<int>(sizeof(long) - 1));
  EXPECT_TRUE(M_WRITABLE(m));
  EXPECT_TRUE(M_WRITABLE(n));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 150));
  EXPECT_EQ(Flatten(n), Slice(b, 150, 50));
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitNoPkthdrInsideClusterSharesIt) {
  const auto b = Pattern(1500);
  struct mbuf *m = MakeChain(b, {1000, 500}, false, Storage::kCluster);
  struct mbuf *n = m_split(m, 400, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_EXT);
  EXPECT_EQ(n->m_ext.ext_buf, m->m_ext.ext_buf);
  EXPECT_EQ(n->m_data, m->m_data + 400);
  EXPECT_EQ(n->m_ext.ext_type, m->m_ext.ext_type);
  EXPECT_EQ(m_extrefcnt(m), 2u);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_FALSE(M_WRITABLE(n));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 400));
  EXPECT_EQ(Flatten(n), Slice(b, 400, 1100));
  EXPECT_EQ(ChainCount(n), 2);
  m_freem(n);
  EXPECT_TRUE(M_WRITABLE(m));
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrCopiesOnlyRcvif) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_pkthdr.rcvif = FakeIfp(0x2000);
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_TCP;
  m->m_pkthdr.flowid = 1234;
  m->m_pkthdr.ether_vtag = 55;
  m->m_flags |= M_VLANTAG;
  M_HASHTYPE_SET(m, M_HASHTYPE_RSS_TCP_IPV4);
  AddTag(m, 3, 3, 4, 0);
  struct mbuf *n = m_split(m, 150, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_pkthdr.rcvif, FakeIfp(0x2000));
  EXPECT_EQ(n->m_pkthdr.csum_flags, 0u);
  EXPECT_EQ(n->m_pkthdr.flowid, 0u);
  EXPECT_EQ(n->m_pkthdr.ether_vtag, 0);
  EXPECT_EQ(n->m_pkthdr.rsstype, 0);
  EXPECT_EQ(TagCount(n), 0);
  EXPECT_EQ(TagCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP | CSUM_TCP));
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(n->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 150));
  EXPECT_EQ(Flatten(n), Slice(b, 150, 150));
  EXPECT_EQ(m_sanity(m, 0), 1);
  EXPECT_EQ(m_sanity(n, 0), 1);
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrOnBoundaryGivesEmptyHeaderThenRest) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *second = m->m_next;
  struct mbuf *n = m_split(m, 100, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_len, 0);
  EXPECT_EQ(n->m_next, second);
  EXPECT_EQ(n->m_pkthdr.len, 200);
  EXPECT_EQ(m->m_pkthdr.len, 100);
  EXPECT_EQ(m->m_next, nullptr);
  EXPECT_EQ(Flatten(n), Slice(b, 100, 200));
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrAtTotalGivesEmptyPacket) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *n = m_split(m, 300, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_len, 0);
  EXPECT_EQ(n->m_next, nullptr);
  EXPECT_EQ(n->m_pkthdr.len, 0);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(m), b);
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrAtZeroLeavesEmptyHeader) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *n = m_split(m, 0, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(m_length(m, nullptr), 0u);
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_pkthdr.len, 300);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(Flatten(n), b);
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrInsideClusterShares) {
  const auto b = Pattern(1500);
  struct mbuf *m = MakeChain(b, {1500}, true, Storage::kPacket);
  struct mbuf *n = m_split(m, 600, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_TRUE(n->m_flags & M_EXT);
  EXPECT_EQ(n->m_ext.ext_buf, m->m_ext.ext_buf);
  EXPECT_EQ(n->m_ext.ext_type, EXT_PACKET);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_FALSE(M_WRITABLE(n));
  EXPECT_EQ(n->m_len, 900);
  EXPECT_EQ(n->m_pkthdr.len, 900);
  EXPECT_EQ(m->m_pkthdr.len, 600);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 600));
  EXPECT_EQ(Flatten(n), Slice(b, 600, 900));
  m_freem(m);
  EXPECT_TRUE(M_WRITABLE(n));  // the last reference
  EXPECT_EQ(Flatten(n), Slice(b, 600, 900));
  m_freem(n);
}

TEST_F(SemChain, SplitPkthdrInsideInternalSmallRemainder) {
  const auto b = Pattern(150);
  struct mbuf *m = MakeChain(b, {150});
  struct mbuf *n = m_split(m, 50, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(ChainCount(n), 1);
  EXPECT_EQ(n->m_len, 100);
  EXPECT_FALSE(n->m_flags & M_EXT);
  EXPECT_EQ(Flatten(n), Slice(b, 50, 100));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 50));
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrInsideInternalLargeRemainderChainsAfterEmptyHeader) {
  const auto b = Pattern(100 + MLEN);
  struct mbuf *m = MakeChain(b, {100, MLEN});
  // Split 10 bytes into the second mbuf: remain = MLEN - 10 > MHLEN.
  struct mbuf *n = m_split(m, 110, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_len, 0);
  ASSERT_EQ(ChainCount(n), 2);
  EXPECT_EQ(n->m_next->m_len, MLEN - 10);
  EXPECT_FALSE(n->m_next->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_pkthdr.len, MLEN - 10);
  EXPECT_EQ(m->m_pkthdr.len, 110);
  EXPECT_EQ(Flatten(n), Slice(b, 110, MLEN - 10));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 110));
  m_freem(n);
  m_freem(m);
}

TEST_F(SemChain, SplitPkthdrAllocationFailureKeepsChain) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_split(m, 150, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
}

TEST_F(SemChain, SplitNoPkthdrAllocationFailureKeepsChain) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_split(m, 150, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
}

TEST_F(SemChain, SplitRecursiveFailureLeavesLenQuirk) {
  const auto b = Pattern(100 + MLEN);
  struct mbuf *m = MakeChain(b, {100, MLEN});
  mbufnic_fault_fail_nth(2);  // header mbuf ok, the recursive split's m_get fails
  EXPECT_EQ(m_split(m, 110, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);  // chain not split
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_pkthdr.len, 110);  // upstream quirk: already set to len0
  m_fixhdr(m);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// mbufq
// ---------------------------------------------------------------------------------------------

TEST_F(SemChain, MbufqEnqueueFullReturnsENOBUFS) {
  struct mbufq q;
  mbufq_init(&q, 2);
  EXPECT_TRUE(mbufq_empty(&q));
  struct mbuf *a = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *b = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *c = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(mbufq_enqueue(&q, a), 0);
  EXPECT_FALSE(mbufq_full(&q));
  EXPECT_EQ(mbufq_enqueue(&q, b), 0);
  EXPECT_TRUE(mbufq_full(&q));
  EXPECT_EQ(mbufq_enqueue(&q, c), ENOBUFS);
  EXPECT_EQ(mbufq_len(&q), 2);
  EXPECT_EQ(mbufq_first(&q), a);
  EXPECT_EQ(mbufq_last(&q), b);
  EXPECT_EQ(a->m_nextpkt, b);
  m_freem(c);  // not queued: still ours
  mbufq_drain(&q);
  EXPECT_TRUE(mbufq_empty(&q));
  EXPECT_EQ(mbufq_first(&q), nullptr);
}

TEST_F(SemChain, MbufqDequeueClearsNextpktInOrder) {
  struct mbufq q;
  mbufq_init(&q, 0);  // unlimited
  struct mbuf *m[5];
  for (auto &p : m) {
    p = m_gethdr(M_WAITOK, MT_DATA);
    EXPECT_EQ(mbufq_enqueue(&q, p), 0);
  }
  EXPECT_FALSE(mbufq_full(&q));
  for (auto &p : m) {
    struct mbuf *d = mbufq_dequeue(&q);
    EXPECT_EQ(d, p);
    EXPECT_EQ(d->m_nextpkt, nullptr);
    m_freem(d);
  }
  EXPECT_EQ(mbufq_dequeue(&q), nullptr);
  EXPECT_EQ(mbufq_len(&q), 0);
}

TEST_F(SemChain, MbufqDrainFreesChains) {
  struct mbufq q;
  mbufq_init(&q, 10);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(mbufq_enqueue(&q, MakeChain(Pattern(3000), {1000, 2000}, true, Storage::kCluster)),
              0);
  mbufq_drain(&q);  // LeakCheck verifies everything went back
  EXPECT_EQ(mbufq_len(&q), 0);
}

TEST_F(SemChain, MbufqConcatMovesAll) {
  struct mbufq a, b;
  mbufq_init(&a, 0);
  mbufq_init(&b, 0);
  struct mbuf *x = m_gethdr(M_WAITOK, MT_DATA), *y = m_gethdr(M_WAITOK, MT_DATA),
              *z = m_gethdr(M_WAITOK, MT_DATA);
  mbufq_enqueue(&a, x);
  mbufq_enqueue(&b, y);
  mbufq_enqueue(&b, z);
  mbufq_concat(&a, &b);
  EXPECT_EQ(mbufq_len(&a), 3);
  EXPECT_EQ(mbufq_len(&b), 0);
  EXPECT_TRUE(mbufq_empty(&b));
  EXPECT_EQ(mbufq_first(&b), nullptr);
  EXPECT_EQ(mbufq_dequeue(&a), x);
  EXPECT_EQ(mbufq_dequeue(&a), y);
  EXPECT_EQ(mbufq_dequeue(&a), z);
  m_freem(x);
  m_freem(y);
  m_freem(z);
  // b is still usable after a concat.
  struct mbuf *w = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(mbufq_enqueue(&b, w), 0);
  EXPECT_EQ(mbufq_last(&b), w);
  mbufq_drain(&b);
}

TEST_F(SemChain, MbufqPrependIgnoresLimit) {
  struct mbufq q;
  mbufq_init(&q, 1);
  struct mbuf *a = m_gethdr(M_WAITOK, MT_DATA), *b = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(mbufq_enqueue(&q, a), 0);
  mbufq_prepend(&q, b);
  EXPECT_EQ(mbufq_len(&q), 2);
  EXPECT_EQ(mbufq_first(&q), b);
  EXPECT_EQ(mbufq_last(&q), a);
  struct mbuf *f = mbufq_flush(&q);
  EXPECT_EQ(f, b);
  EXPECT_EQ(f->m_nextpkt, a);
  EXPECT_EQ(mbufq_len(&q), 0);
  m_freem(a);
  m_freem(b);
}

}  // namespace
}  // namespace mbufnic::test
