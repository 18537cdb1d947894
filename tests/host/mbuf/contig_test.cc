// Contiguity and compaction, mbuf-semantics.md 3.7 and 4.5: m_pullup, m_copyup, the five paths
// of m_pulldown, m_collapse, m_defrag, m_unshare and m_fragment.  Ownership on failure is checked
// with injected allocation failures under a LeakCheck: m_pullup, m_copyup, m_pulldown and
// m_unshare free the chain; m_collapse and m_defrag leave it to the caller; m_fragment returns it.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

class ContigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    mbufnic_fault_reset();
  }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};
using ContigDeathTest = ContigTest;

std::vector<int> Lens(const struct mbuf *m) {
  std::vector<int> v;
  for (; m; m = m->m_next) v.push_back(m->m_len);
  return v;
}
std::vector<struct mbuf *> Mbufs(struct mbuf *m) {
  std::vector<struct mbuf *> v;
  for (; m; m = m->m_next) v.push_back(m);
  return v;
}
bool AllExt(const struct mbuf *m) {
  for (; m; m = m->m_next)
    if (!(m->m_flags & M_EXT)) return false;
  return true;
}
int Lead(struct mbuf *m) { return static_cast<int>(m->m_data - M_START(m)); }

struct m_tag *AddTag(struct mbuf *m, uint16_t type) {
  struct m_tag *t = m_tag_alloc(1, type, 8, M_WAITOK);
  std::memset(t + 1, type, 8);
  m_tag_prepend(m, t);
  return t;
}

// A plain (or header) mbuf holding `bytes` after `lead` bytes of leading space.
struct mbuf *Internal(const Bytes &bytes, int lead, bool pkthdr = false) {
  struct mbuf *m = pkthdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
  m->m_data += lead;
  std::memcpy(mtod(m, char *), bytes.data(), bytes.size());
  m->m_len = static_cast<int>(bytes.size());
  if (pkthdr) m->m_pkthdr.len = m->m_len;
  return m;
}

bool Failed(uint64_t nth) { return mbufnic_fault_alloc_count() >= nth; }

// ---- m_pullup ----

TEST_F(ContigTest, PullupReturnsTheChainAsItIsWhenTheHeadHoldsEnough) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  const auto before = Mbufs(m);
  mbufnic_fault_fail_nth(1);
  struct mbuf *r = m_pullup(m, 100);
  EXPECT_EQ(r, m);
  EXPECT_EQ(Mbufs(r), before);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupIntoAnInternalHeadReadsAheadUpToMaxProtohdr) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {20, 140, 140});
  struct mbuf *r = m_pullup(m, 30);
  ASSERT_EQ(r, m);
  EXPECT_EQ(Lens(r), (std::vector<int>{20 + std::max(10, max_protohdr), 140 - max_protohdr, 140}));
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupFreesMbufsItEmpties) {
  const Bytes b = Pattern(250);
  struct mbuf *m = MakeChain(b, {20, 30, 200}, true);
  struct mbuf *third = m->m_next->m_next;
  struct mbuf *r = m_pullup(m, 50);
  ASSERT_EQ(r, m);
  EXPECT_EQ(Lens(r), (std::vector<int>{50, 200}));
  EXPECT_EQ(r->m_next, third);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupNeedsStrictlyMoreRoomInTheHeadThanLen) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_pullup(m, MHLEN);  // would end exactly at the end of the head: new mbuf
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(Lens(r), (std::vector<int>{MHLEN, 140}));
  EXPECT_TRUE(r->m_flags & M_PKTHDR);
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupAlwaysCopiesAClusterHeadIntoANewMbuf) {
  const Bytes b = Pattern(1500);
  struct mbuf *m = MakeChain(b, {1000, 500}, true, Storage::kCluster);
  AddTag(m, 1);
  struct mbuf *r = m_pullup(m, 20);  // even though the cluster holds 1000 bytes
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(r->m_next, m);
  EXPECT_FALSE(r->m_flags & M_EXT);
  EXPECT_EQ(r->m_flags & M_PKTHDR, static_cast<uint32_t>(M_PKTHDR));
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_NE(m_tag_first(r), nullptr);
  EXPECT_EQ(Lens(r), (std::vector<int>{max_protohdr, 1000 - max_protohdr, 500}));
  EXPECT_EQ(r->m_pkthdr.len, 1500);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupOfASingleMbufMovesTheBytesIntoANewOne) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  struct mbuf *r = m_pullup(m, 50);  // the head has no successor: a new mbuf, even so
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(Lens(r), (std::vector<int>{50, 50}));
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, PullupAcceptsUpToMhlenAndFreesTheChainBeyond) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  m = m_pullup(m, MHLEN);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->m_len, MHLEN);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  EXPECT_EQ(m_pullup(m, MHLEN + 1), nullptr);  // freed: the LeakCheck proves it
}

TEST_F(ContigTest, PullupOfMoreThanTheChainHoldsFreesIt) {
  const Bytes b = Pattern(50);
  EXPECT_EQ(m_pullup(MakeChain(b, {20, 30}), 51), nullptr);
  EXPECT_EQ(m_pullup(MakeChain(b, {50}, true, Storage::kCluster), 51), nullptr);
}

TEST_F(ContigTest, PullupAllocationFailureFreesTheChain) {
  const Bytes b = Pattern(1500);
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *m = MakeChain(b, {1000, 500}, true, Storage::kCluster);
    AddTag(m, 1);
    struct mbuf *r = m_pullup(m, 20);
    if (Failed(nth)) {
      EXPECT_EQ(r, nullptr);
    } else {
      m_freem(r);
    }
  });
  EXPECT_EQ(points, 1);
}

TEST_F(ContigTest, PullupWritesIntoAReadOnlyInternalHead) {
  // FreeBSD does not check M_RDONLY here, so neither does this runtime.
  const Bytes b = Pattern(120);
  struct mbuf *m = MakeChain(b, {20, 100});
  m->m_flags |= M_RDONLY;
  struct mbuf *r = m_pullup(m, 30);
  ASSERT_EQ(r, m);
  EXPECT_EQ(r->m_len, 20 + max_protohdr);
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

// ---- m_copyup ----

TEST_F(ContigTest, CopyupAlwaysMakesANewHeadWithLeadingSpace) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_copyup(m, 10, 16);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(Lead(r), 16);
  EXPECT_TRUE(r->m_flags & M_PKTHDR);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(Lens(r), (std::vector<int>{max_protohdr, 100 - max_protohdr, 200}));
  EXPECT_EQ(r->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(r), b);
  M_PREPEND(r, 16, M_NOWAIT);  // the reserved room takes a header without allocating
  EXPECT_EQ(Lead(r), 0);
  m_freem(r);
}

TEST_F(ContigTest, CopyupLimitsLenPlusDstoffToMhlen) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  m = m_copyup(m, MHLEN - 8, 8);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->m_len, MHLEN - 8);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  EXPECT_EQ(m_copyup(m, MHLEN - 7, 8), nullptr);  // freed
}

TEST_F(ContigTest, CopyupFailuresFreeTheChain) {
  const Bytes b = Pattern(100);
  EXPECT_EQ(m_copyup(MakeChain(b, {40, 60}), 101, 0), nullptr);  // too short
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *r = m_copyup(MakeChain(b, {40, 60}), 50, 0);
    if (Failed(nth)) {
      EXPECT_EQ(r, nullptr);
    } else {
      m_freem(r);
    }
  });
  EXPECT_EQ(points, 1);
}

// ---- m_pulldown ----

TEST_F(ContigTest, PulldownReturnsTheMbufAlreadyHoldingTheRegion) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *second = m->m_next;
  mbufnic_fault_fail_nth(1);  // nothing is allocated on this path
  int off = -1;
  EXPECT_EQ(m_pulldown(m, 120, 50, &off), second);
  EXPECT_EQ(off, 20);
  EXPECT_EQ(m_pulldown(m, 0, 100, nullptr), m);
  EXPECT_EQ(m_pulldown(m, 100, 200, nullptr), second);  // a boundary is offset 0 of the next
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 200}));
  m_freem(m);
}

TEST_F(ContigTest, PulldownSkipsEmptyMbufsAtTheStartPoint) {
  const Bytes b = Pattern(60);
  struct mbuf *m = MakeChain(b, {10, 0, 0, 50});
  struct mbuf *fourth = m->m_next->m_next->m_next;
  int off = -1;
  EXPECT_EQ(m_pulldown(m, 10, 20, &off), fourth);
  EXPECT_EQ(off, 0);
  m_freem(m);
}

TEST_F(ContigTest, PulldownWithoutOffpCutsTheMbufSoTheRegionStartsAtZero) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *r = m_pulldown(m, 120, 50, nullptr);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(m->m_next->m_next, r);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 20, 180}));
  EXPECT_TRUE(r->m_flags & M_EXT);  // 180 bytes: MINCLSIZE or more goes in a cluster
  EXPECT_EQ(std::memcmp(mtod(r, uint8_t *), b.data() + 120, 50), 0);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, PulldownCopiesTheTailPartIntoTrailingSpace) {
  const Bytes b = Pattern(250);
  struct mbuf *m = MakeChain(b, {50, 200});
  const auto before = Mbufs(m);
  int off = -1;
  struct mbuf *r = m_pulldown(m, 30, 60, &off);
  EXPECT_EQ(r, m);
  EXPECT_EQ(off, 30);
  EXPECT_EQ(Mbufs(m), before);
  EXPECT_EQ(Lens(m), (std::vector<int>{90, 160}));
  EXPECT_EQ(m->m_pkthdr.len, 250);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);

  // The next mbuf may be emptied by the m_adj, and then stays in the chain.
  m = MakeChain(Slice(b, 0, 190), {50, 40, 100});
  EXPECT_EQ(m_pulldown(m, 30, 60, &off), m);
  EXPECT_EQ(Lens(m), (std::vector<int>{90, 0, 100}));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 190));
  m_freem(m);
}

TEST_F(ContigTest, PulldownMovesTheHeadPartIntoTheNextMbufsLeadingSpace) {
  const Bytes b = Pattern(260);
  struct mbuf *m = Internal(Slice(b, 0, MHLEN), 0, true);  // full: no trailing space
  m->m_next = Internal(Slice(b, MHLEN, 100), 50);
  m->m_pkthdr.len = 260;
  struct mbuf *second = m->m_next;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 150, 30, &off);
  EXPECT_EQ(r, second);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(Lens(m), (std::vector<int>{150, 110}));
  EXPECT_EQ(Lead(second), 40);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, PulldownInsertsANewMbufWhenNothingCanBeDoneInPlace) {
  const Bytes b = Pattern(MHLEN + 1000);
  // Full head, next mbuf without leading space: a plain mbuf when len <= MLEN ...
  struct mbuf *m = Internal(Slice(b, 0, MHLEN), 0, true);
  m->m_next = Internal(Slice(b, MHLEN, 100), 0);
  m->m_pkthdr.len = MHLEN + 100;
  int off = -1;
  struct mbuf *r = m_pulldown(m, 150, 30, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(m->m_next, r);
  EXPECT_FALSE(r->m_flags & M_EXT);
  EXPECT_EQ(Lens(m), (std::vector<int>{150, 30, 80}));
  EXPECT_EQ(Flatten(m), Slice(b, 0, MHLEN + 100));
  m_freem(m);

  // ... and a cluster when len > MLEN.
  m = Internal(Slice(b, 0, MHLEN), 0, true);
  m->m_next = MakeChain(Slice(b, MHLEN, 1000), {1000}, false, Storage::kCluster);
  m->m_pkthdr.len = MHLEN + 1000;
  r = m_pulldown(m, 150, 300, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->m_flags & M_EXT);
  EXPECT_EQ(Lens(m), (std::vector<int>{150, 300, 710}));
  EXPECT_EQ(m->m_pkthdr.len, MHLEN + 1000);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, PulldownWritesInPlaceOnlyIntoPlainClusters) {
  // FreeBSD's quirk, kept: a packet-zone (EXT_PACKET) cluster with plenty of room is not
  // "writable" for m_pulldown, so the region is copied into a new mbuf instead.
  const Bytes b = Pattern(200);
  for (Storage s : {Storage::kCluster, Storage::kPacket}) {
    struct mbuf *m = MakeChain(b, {100, 100}, true, s);
    int off = -1;
    struct mbuf *r = m_pulldown(m, 50, 100, &off);
    ASSERT_NE(r, nullptr);
    if (s == Storage::kCluster) {
      EXPECT_EQ(r, m);
      EXPECT_EQ(off, 50);
      EXPECT_EQ(Lens(m), (std::vector<int>{150, 50}));
    } else {
      EXPECT_EQ(m->m_next, r);
      EXPECT_EQ(off, 0);
      EXPECT_EQ(Lens(m), (std::vector<int>{50, 100, 50}));
    }
    EXPECT_EQ(Flatten(m), b);
    m_freem(m);
  }
}

TEST_F(ContigTest, PulldownDoesNotWriteIntoASharedCluster) {
  const Bytes b = Pattern(200);
  struct mbuf *orig = MakeChain(b, {100, 100}, true, Storage::kCluster);
  struct mbuf *m = m_copypacket(orig, M_NOWAIT);
  int off = -1;
  struct mbuf *r = m_pulldown(m, 50, 100, &off);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(m->m_next, r);
  EXPECT_EQ(Lens(m), (std::vector<int>{50, 100, 50}));
  EXPECT_EQ(Lens(orig), (std::vector<int>{100, 100}));
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(Flatten(orig), b);
  m_freem(m);
  m_freem(orig);
}

TEST_F(ContigTest, PulldownFreesTheChainOnEveryError) {
  const Bytes b = Pattern(3000);
  int off;
  EXPECT_EQ(m_pulldown(MakeChain(b, {1000, 2000}, true, Storage::kCluster), 0, MCLBYTES + 1, &off),
            nullptr);
  EXPECT_EQ(m_pulldown(MakeChain(Slice(b, 0, 300), {100, 200}), 300, 1, &off), nullptr);
  EXPECT_EQ(m_pulldown(MakeChain(Slice(b, 0, 300), {100, 200}), 90, 211, &off), nullptr);
  // Allocation failures on the two allocating paths.
  for (int *offp : {static_cast<int *>(nullptr), &off}) {
    const int points = ForEachAllocationFailure([&](uint64_t nth) {
      struct mbuf *m = Internal(Slice(b, 0, MHLEN), 0, true);
      m->m_next = Internal(Slice(b, MHLEN, 100), 0);
      m->m_pkthdr.len = MHLEN + 100;
      // offp NULL: the region sits in one mbuf but not at its start; offp given: it spans two.
      struct mbuf *r = offp ? m_pulldown(m, 150, 30, offp) : m_pulldown(m, 170, 30, nullptr);
      if (Failed(nth)) {
        EXPECT_EQ(r, nullptr);
      } else {
        m_freem(m);
      }
    });
    EXPECT_EQ(points, 1);
  }
}

// ---- m_collapse ----

TEST_F(ContigTest, CollapseCopiesIntoTrailingSpaceUntilWithinMaxfrags) {
  const Bytes b = Pattern(400);
  struct mbuf *m = MakeChain(b, {100, 100, 100, 100}, true, Storage::kCluster);
  struct mbuf *r = m_collapse(m, M_NOWAIT, 2);
  EXPECT_EQ(r, m);
  EXPECT_EQ(Lens(m), (std::vector<int>{300, 100}));  // stops as soon as it is within the limit
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m->m_pkthdr.len, 400);
  m_freem(m);
}

TEST_F(ContigTest, CollapseNeedsStrictlyMoreTrailingSpaceThanTheNextMbufHolds) {
  const Bytes b = Pattern(MCLBYTES - 100 + 200);
  struct mbuf *m = MakeChain(b, {MCLBYTES - 100, 100, 100}, true, Storage::kCluster);
  ASSERT_NE(m_collapse(m, M_NOWAIT, 2), nullptr);
  EXPECT_EQ(Lens(m), (std::vector<int>{MCLBYTES - 100, 200}));
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  const Bytes c = Pattern(MCLBYTES - 100 + 199);
  m = MakeChain(c, {MCLBYTES - 100, 99, 100}, true, Storage::kCluster);
  ASSERT_NE(m_collapse(m, M_NOWAIT, 2), nullptr);
  EXPECT_EQ(Lens(m), (std::vector<int>{MCLBYTES - 1, 100}));
  EXPECT_EQ(Flatten(m), c);
  m_freem(m);
}

// A header mbuf and `n` full plain mbufs: nothing has trailing space.
struct mbuf *FullInternalChain(const Bytes &b, int n) {
  std::vector<int> sizes{MHLEN};
  for (int i = 0; i < n; ++i) sizes.push_back(MLEN);
  return MakeChain(Slice(b, 0, MHLEN + n * MLEN), sizes);
}

TEST_F(ContigTest, CollapseMergesPairsIntoNewClustersButNeverTheHead) {
  const Bytes b = Pattern(MHLEN + 4 * MLEN);
  struct mbuf *m = FullInternalChain(b, 4);
  struct mbuf *r = m_collapse(m, M_NOWAIT, 3);
  EXPECT_EQ(r, m);
  EXPECT_EQ(Lens(m), (std::vector<int>{MHLEN, 3 * MLEN, MLEN}));
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_TRUE(m->m_next->m_flags & M_EXT);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, CollapseCanFailForAChainAlreadyWithinTheLimit) {
  const Bytes b = Pattern(2 * MCLBYTES);
  struct mbuf *m = MakeChain(b, {MCLBYTES, MCLBYTES}, true, Storage::kCluster);
  EXPECT_EQ(m_collapse(m, M_NOWAIT, 5), nullptr);  // nothing can merge; the chain is still ours
  EXPECT_EQ(Lens(m), (std::vector<int>{MCLBYTES, MCLBYTES}));
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, CollapseFailureLeavesAValidChainWithTheSameContent) {
  const Bytes b = Pattern(MHLEN + 12 * MLEN);
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *m = FullInternalChain(b, 12);
    struct mbuf *r = m_collapse(m, M_NOWAIT, 3);
    if (Failed(nth)) {
      EXPECT_EQ(r, nullptr);
    }
    EXPECT_EQ(Flatten(m), b);
    EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(b.size()));
    EXPECT_EQ(m_sanity(m, 0), 1);
    m_freem(m);  // freed by the caller either way
  });
  EXPECT_GE(points, 2);  // a failure after a first merge leaves a modified chain
}

TEST_F(ContigDeathTest, CollapseToOneFragmentPanicsWhenCopyingIsNotEnough) {
  const Bytes b = Pattern(2 * MCLBYTES);
  struct mbuf *m = MakeChain(b, {MCLBYTES, MCLBYTES}, true, Storage::kCluster);
  EXPECT_DEATH(m_collapse(m, M_NOWAIT, 1), "panic: .*maxfrags 1");
  m_freem(m);
}

// ---- m_defrag ----

TEST_F(ContigTest, DefragReturnsANonPacketChainUnchanged) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  mbufnic_fault_fail_nth(1000000);
  EXPECT_EQ(m_defrag(m, M_NOWAIT), m);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 200}));
  m_freem(m);
}

TEST_F(ContigTest, DefragBuildsTheShortestChainOfClusters) {
  const Bytes b = Pattern(5000);
  std::vector<int> fifties(100, 50);
  struct mbuf *m = MakeChain(b, fifties);
  AddTag(m, 1);
  m->m_flags |= M_BCAST;
  for (struct mbuf *x = m; x; x = x->m_next) x->m_type = MT_OOBDATA;
  struct mbuf *d = m_defrag(m, M_NOWAIT);  // m is freed
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Lens(d), (std::vector<int>{MCLBYTES, MCLBYTES, 5000 - 2 * MCLBYTES}));
  EXPECT_TRUE(AllExt(d));
  EXPECT_TRUE(AllWritable(d));
  EXPECT_EQ(d->m_type, MT_DATA);
  EXPECT_EQ(d->m_flags & ~M_EXT, static_cast<uint32_t>(M_PKTHDR | M_BCAST));
  EXPECT_NE(m_tag_first(d), nullptr);
  EXPECT_EQ(d->m_pkthdr.len, 5000);
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
}

TEST_F(ContigTest, DefragUsesPlainMbufsForSmallPacketsAndSmallTails) {
  const Bytes b = Pattern(MCLBYTES + 100);
  struct mbuf *d = m_defrag(MakeChain(Slice(b, 0, MHLEN), {60, 100}), M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Lens(d), std::vector<int>{MHLEN});
  EXPECT_FALSE(d->m_flags & M_EXT);
  m_freem(d);
  d = m_defrag(MakeChain(Slice(b, 0, MHLEN + 1), {60, 101}), M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->m_flags & M_EXT);
  m_freem(d);
  d = m_defrag(MakeChain(b, {MCLBYTES, 100}, true, Storage::kCluster), M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Lens(d), (std::vector<int>{MCLBYTES, 100}));
  EXPECT_FALSE(d->m_next->m_flags & M_EXT);  // a final piece of at most MLEN
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
}

TEST_F(ContigTest, DefragRewritesThePacketLengthFirstEvenWhenItFails) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_pkthdr.len = 1;
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_defrag(m, M_NOWAIT), nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  m_freem(m);
}

TEST_F(ContigTest, DefragFailureLeavesTheOriginalIntact) {
  const Bytes b = Pattern(5000);
  struct mbuf *m = MakeChain(b, {1000, 2000, 2000}, true, Storage::kPacket);
  AddTag(m, 1);
  AddTag(m, 2);
  const auto before = Mbufs(m);
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *d = m_defrag(m, M_NOWAIT);
    if (Failed(nth)) {
      EXPECT_EQ(d, nullptr) << nth;
      EXPECT_EQ(Mbufs(m), before);
      EXPECT_EQ(Flatten(m), b);
    } else {
      ASSERT_NE(d, nullptr);
      EXPECT_EQ(Flatten(d), b);
      m = m_copypacket(d, M_WAITOK);  // keep a chain shaped like the original for the loop
      m_freem(d);
    }
  });
  EXPECT_EQ(points, 5);  // header cluster, two tags, two more clusters
  m_freem(m);
}

TEST_F(ContigTest, DefragCountsPacketsBytesUselessCallsAndFailures) {
  const Bytes b = Pattern(300);
  struct mbufnic_defrag_stats s0 {
  }, s1{};
  mbufnic_defrag_get_stats(&s0);
  struct mbuf *d = m_defrag(MakeChain(b, {100, 200}), M_NOWAIT);
  m_freem(d);
  d = m_defrag(MakeChain(b, {300}, true, Storage::kCluster), M_NOWAIT);  // already one mbuf
  m_freem(d);
  struct mbuf *m = MakeChain(b, {100, 200});
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_defrag(m, M_NOWAIT), nullptr);
  m_freem(m);
  mbufnic_defrag_get_stats(&s1);
  EXPECT_EQ(s1.packets - s0.packets, 2u);
  EXPECT_EQ(s1.bytes - s0.bytes, 600u);
  EXPECT_EQ(s1.useless - s0.useless, 1u);
  EXPECT_EQ(s1.failures - s0.failures, 1u);
}

TEST_F(ContigTest, DefragRandomFailuresHitAboutOneCallIn256AndKeepTheChain) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  mbufnic_fault_seed(12345);
  mbufnic_fault_set_defrag_random_failures(1);
  int failures = 0;
  for (int i = 0; i < 4000; ++i) {
    struct mbuf *d = m_defrag(m, M_WAITOK);
    if (d == nullptr) {
      ++failures;
      EXPECT_EQ(Flatten(m), b);
    } else {
      m = d;
    }
  }
  mbufnic_fault_set_defrag_random_failures(0);
  EXPECT_GT(failures, 0);
  EXPECT_LT(failures, 60);
  m_freem(m);
}

// ---- m_unshare ----

TEST_F(ContigTest, UnshareKeepsWritableStorage) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  const auto before = Mbufs(m);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_unshare(m, M_NOWAIT), m);
  EXPECT_EQ(Mbufs(m), before);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(m);
}

TEST_F(ContigTest, UnshareFoldsPlainMbufsIntoAPrecedingCluster) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(Slice(b, 0, 100), {100}, true, Storage::kCluster);
  m->m_next = MakeChain(Slice(b, 100, 200), {50, 150}, false);
  m->m_pkthdr.len = 300;
  EXPECT_EQ(m_unshare(m, M_NOWAIT), m);
  EXPECT_EQ(Lens(m), std::vector<int>{300});
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(ContigTest, UnshareCopiesSharedClustersAndCoalescesWhereTheyFit) {
  const Bytes b = Pattern(3500);
  struct mbuf *orig = MakeChain(b, {1000, 500, 2000}, true, Storage::kCluster);
  orig->m_flags |= M_BCAST;
  AddTag(orig, 1);
  struct mbuf *m = m_copypacket(orig, M_NOWAIT);
  ASSERT_FALSE(AllWritable(m));
  m = m_unshare(m, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  // 1000 in a new cluster, the 500 folded into it, the 2000 in a cluster of its own.
  EXPECT_EQ(Lens(m), (std::vector<int>{1500, 2000}));
  EXPECT_TRUE(AllWritable(m));
  EXPECT_TRUE(AllWritable(orig));  // every shared reference was dropped
  EXPECT_EQ(m->m_flags & ~M_EXT, static_cast<uint32_t>(M_PKTHDR | M_BCAST));
  EXPECT_NE(m_tag_first(m), nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 3500);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
  m_freem(orig);
}

TEST_F(ContigTest, UnshareSplitsLargeSharedStorageIntoTwoKilobyteClusters) {
  const Bytes b = Pattern(9000);
  struct mbuf *orig = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUM9BYTES);
  std::memcpy(mtod(orig, char *), b.data(), b.size());
  orig->m_len = orig->m_pkthdr.len = 9000;
  struct mbuf *m = m_unshare(m_copypacket(orig, M_NOWAIT), M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Lens(m),
            (std::vector<int>{MCLBYTES, MCLBYTES, MCLBYTES, MCLBYTES, 9000 - 4 * MCLBYTES}));
  for (struct mbuf *x = m; x; x = x->m_next) {
    EXPECT_EQ(x->m_ext.ext_size, static_cast<u_int>(MCLBYTES));
    EXPECT_EQ(static_cast<bool>(x->m_flags & M_PKTHDR), x == m);
  }
  EXPECT_TRUE(AllWritable(m));
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  m_freem(orig);
}

int g_ext_frees = 0;
void CountingFree(struct mbuf *) { ++g_ext_frees; }
alignas(64) char g_ext_buf[1024];

TEST_F(ContigTest, UnshareOfReadOnlyStorageKeepsMRdonlyOnTheCopy) {
  // FreeBSD's quirk, kept: the copy inherits m_flags & M_COPYFLAGS, and M_RDONLY is one of them,
  // so read-only external storage comes back copied but still read-only.
  g_ext_frees = 0;
  const Bytes b = Pattern(500);
  std::memcpy(g_ext_buf, b.data(), b.size());
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MEXTADD(m, g_ext_buf, sizeof(g_ext_buf), CountingFree, nullptr, nullptr, M_RDONLY, EXT_NET_DRV);
  m->m_len = m->m_pkthdr.len = 500;
  struct mbuf *r = m_unshare(m, M_NOWAIT);
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r, m);
  EXPECT_EQ(g_ext_frees, 1);  // the original storage was released
  EXPECT_EQ(r->m_ext.ext_type, static_cast<uint32_t>(EXT_PACKET));
  EXPECT_TRUE(r->m_flags & M_RDONLY);
  EXPECT_FALSE(M_WRITABLE(r));
  EXPECT_EQ(Flatten(r), b);
  m_freem(r);
}

TEST_F(ContigTest, UnshareLeavesAReadOnlyInternalMbufAlone) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m->m_flags |= M_RDONLY;
  EXPECT_EQ(m_unshare(m, M_NOWAIT), m);
  EXPECT_FALSE(M_WRITABLE(m));
  m_freem(m);
}

TEST_F(ContigTest, UnshareFailureFreesTheWholeChain) {
  const Bytes b = Pattern(9000);
  struct mbuf *orig = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUM9BYTES);
  std::memcpy(mtod(orig, char *), b.data(), b.size());
  orig->m_len = orig->m_pkthdr.len = 9000;
  orig->m_next = MakeChain(Slice(b, 0, 100), {100}, false);
  orig->m_pkthdr.len = 9100;
  AddTag(orig, 1);
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *copy = m_copypacket(orig, M_WAITOK);
    struct mbuf *r = m_unshare(copy, M_NOWAIT);
    if (Failed(nth)) {
      EXPECT_EQ(r, nullptr) << nth;  // the copy is gone: the LeakCheck proves it
    } else {
      EXPECT_EQ(Flatten(r), Cat(b, Slice(b, 0, 100)));
      m_freem(r);
    }
  });
  EXPECT_EQ(points, 5);
  EXPECT_TRUE(AllWritable(orig));
  m_freem(orig);
}

// ---- m_fragment ----

TEST_F(ContigTest, FragmentCutsThePacketIntoClustersOfTheGivenSize) {
  const Bytes b = Pattern(1000);
  struct mbuf *m = MakeChain(b, {400, 600}, true, Storage::kCluster);
  AddTag(m, 1);
  m->m_flags |= M_MCAST;
  struct mbuf *f = m_fragment(m, M_NOWAIT, 100);  // m is freed
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(Lens(f), std::vector<int>(10, 100));
  EXPECT_TRUE(AllExt(f));
  EXPECT_EQ(f->m_flags & ~M_EXT, static_cast<uint32_t>(M_PKTHDR | M_MCAST));
  EXPECT_NE(m_tag_first(f), nullptr);
  EXPECT_EQ(f->m_pkthdr.len, 1000);
  EXPECT_EQ(Flatten(f), b);
  m_freem(f);

  f = m_fragment(MakeChain(Pattern(5000), {2000, 2000, 1000}, true, Storage::kCluster), M_NOWAIT,
                 5000);  // capped at MCLBYTES
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(Lens(f), (std::vector<int>{MCLBYTES, MCLBYTES, 5000 - 2 * MCLBYTES}));
  m_freem(f);
}

TEST_F(ContigTest, FragmentLeavesThePacketAloneForZeroOddLengthsOrNoHeader) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  mbufnic_fault_fail_nth(1000000);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, 0), m);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, -3), m);
  struct mbuf *n = MakeChain(b, {100, 200}, false);
  EXPECT_EQ(m_fragment(n, M_NOWAIT, 10), n);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 200}));
  m_freem(m);
  m_freem(n);
}

TEST_F(ContigTest, FragmentWithRandomSizesUsesOneToTwoHundredFiftyFiveBytes) {
  const Bytes b = Pattern(3000);
  mbufnic_fault_seed(99);
  for (int round = 0; round < 20; ++round) {
    // -1: one random size for every fragment (the last takes what is left).
    struct mbuf *f = m_fragment(MakeChain(b, {1000, 2000}, true, Storage::kCluster), M_NOWAIT, -1);
    ASSERT_NE(f, nullptr);
    const std::vector<int> one = Lens(f);
    for (size_t i = 0; i + 1 < one.size(); ++i) EXPECT_EQ(one[i], one[0]);
    EXPECT_GE(one[0], 1);
    EXPECT_LE(one[0], 255);
    EXPECT_LE(one.back(), one[0]);
    EXPECT_EQ(Flatten(f), b);
    m_freem(f);
    // -2: a new random size per fragment.
    f = m_fragment(MakeChain(b, {1000, 2000}, true, Storage::kCluster), M_NOWAIT, -2);
    ASSERT_NE(f, nullptr);
    for (int len : Lens(f)) {
      EXPECT_GE(len, 1);
      EXPECT_LE(len, 255);
    }
    EXPECT_EQ(Flatten(f), b);
    m_freem(f);
  }
}

TEST_F(ContigTest, FragmentFailureReturnsTheOriginalChain) {
  const Bytes b = Pattern(1000);
  struct mbuf *m = MakeChain(b, {400, 600}, true, Storage::kCluster);
  AddTag(m, 1);
  const auto before = Mbufs(m);
  const int points = ForEachAllocationFailure([&](uint64_t nth) {
    struct mbuf *f = m_fragment(m, M_NOWAIT, 250);
    if (Failed(nth)) {
      EXPECT_EQ(f, m) << nth;
      EXPECT_EQ(Mbufs(m), before);
      EXPECT_EQ(Flatten(m), b);
    } else {
      ASSERT_NE(f, m);
      m = m_copypacket(f, M_WAITOK);  // m was freed: keep a chain for the loop
      m_freem(f);
    }
  });
  EXPECT_EQ(points, 5);  // four clusters and the tag
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
