// Trimming, joining and splitting, mbuf-semantics.md 3.3 and 3.5: m_align, m_adj, M_PREPEND and
// m_prepend, m_append, m_cat, m_catpkt, m_split.  Every test runs under a LeakCheck; failures are
// injected with mbufnic_fault_fail_nth() to check who owns the chain afterwards.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    mbufnic_fault_reset();
  }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};
using ChainDeathTest = ChainTest;

std::vector<int> Lens(const struct mbuf *m) {
  std::vector<int> v;
  for (; m; m = m->m_next) v.push_back(m->m_len);
  return v;
}
int Lead(struct mbuf *m) { return static_cast<int>(m->m_data - M_START(m)); }
// Where M_ALIGN puts an object of len bytes in a fresh buffer of `size` bytes.
int Aligned(int size, int len) { return (size - len) & ~static_cast<int>(sizeof(long) - 1); }

struct m_tag *AddTag(struct mbuf *m, uint16_t type) {
  struct m_tag *t = m_tag_alloc(1, type, 4, M_WAITOK);
  m_tag_prepend(m, t);
  return t;
}

// ---- m_align ----

TEST_F(ChainTest, AlignPutsTheObjectAtTheLongAlignedEndOfAnyBuffer) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  M_ALIGN(m, 20);
  EXPECT_EQ(Lead(m), Aligned(MLEN, 20));
  EXPECT_EQ(Lead(m) % sizeof(long), 0u);
  m_free(m);
  m = m_gethdr(M_WAITOK, MT_DATA);
  MH_ALIGN(m, 13);
  EXPECT_EQ(Lead(m), Aligned(MHLEN, 13));
  m_free(m);
  m = m_getcl(M_WAITOK, MT_DATA, 0);
  MEXT_ALIGN(m, 100);
  EXPECT_EQ(Lead(m), Aligned(MCLBYTES, 100));
  m_free(m);
  m = m_get(M_WAITOK, MT_DATA);
  m_align(m, MLEN);
  EXPECT_EQ(Lead(m), 0);
  m_free(m);
}

TEST_F(ChainDeathTest, AlignOfAnMbufWhoseDataHasMovedPanics) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  m->m_data += 8;
  EXPECT_DEATH(m_align(m, 10), "panic: .*not a virgin mbuf");
  m_free(m);
}

// ---- m_adj ----

TEST_F(ChainTest, AdjOfNullOrZeroDoesNothing) {
  m_adj(nullptr, 10);
  m_adj(nullptr, -10);
  const Bytes b = Pattern(200);
  struct mbuf *m = MakeChain(b, {50, 150});
  m_adj(m, 0);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m->m_pkthdr.len, 200);
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheHeadInsideTheFirstMbuf) {
  const Bytes b = Pattern(200);
  struct mbuf *m = MakeChain(b, {50, 150});
  caddr_t data = m->m_data;
  m_adj(m, 20);
  EXPECT_EQ(m->m_data, data + 20);
  EXPECT_EQ(Lens(m), (std::vector<int>{30, 150}));
  EXPECT_EQ(m->m_pkthdr.len, 180);
  EXPECT_EQ(Flatten(m), Slice(b, 20, 180));
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheHeadLeavesEmptiedMbufsInTheChain) {
  const Bytes b = Pattern(400);
  struct mbuf *m = MakeChain(b, {50, 100, 250}, true, Storage::kCluster);
  struct mbuf *second = m->m_next;
  caddr_t head_data = m->m_data, second_data = second->m_data;
  m_adj(m, 170);
  EXPECT_EQ(Lens(m), (std::vector<int>{0, 0, 230}));
  EXPECT_EQ(m->m_next, second);
  // An emptied mbuf's data pointer stays where it was (FreeBSD moves only the cut one).
  EXPECT_EQ(m->m_data, head_data);
  EXPECT_EQ(second->m_data, second_data);
  EXPECT_EQ(m->m_pkthdr.len, 230);
  EXPECT_EQ(Flatten(m), Slice(b, 170, 230));
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheHeadByMoreThanTheChainEmptiesEveryMbuf) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_adj(m, 1000);
  EXPECT_EQ(Lens(m), (std::vector<int>{0, 0}));
  EXPECT_EQ(m->m_pkthdr.len, 0);  // reduced by what was there, not by the request
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheTailInsideTheLastMbufOnlyShortensIt) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_adj(m, -50);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 150}));
  EXPECT_EQ(m->m_pkthdr.len, 250);
  m_adj(m, -150);  // exactly the last mbuf: it stays, empty
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 0}));
  EXPECT_EQ(m->m_pkthdr.len, 100);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 100));
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheTailAcrossMbufsFreesTheOnesAfterTheNewEnd) {
  const Bytes b = Pattern(600);
  struct mbuf *m = MakeChain(b, {100, 200, 100, 200}, true, Storage::kPacket);
  m_adj(m, -350);
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 150}));
  EXPECT_EQ(m->m_pkthdr.len, 250);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 250));
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheTailSeesThroughTrailingEmptyMbufs) {
  const Bytes b = Pattern(150);
  struct mbuf *m = MakeChain(b, {100, 50, 0});
  m_adj(m, -10);  // the empty last mbuf cannot absorb it: rescan, free after the new end
  EXPECT_EQ(Lens(m), (std::vector<int>{100, 40}));
  EXPECT_EQ(m->m_pkthdr.len, 140);
  m_freem(m);
}

TEST_F(ChainTest, AdjFromTheTailByMoreThanTheChainLeavesAnEmptyHead) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_adj(m, -1000);
  EXPECT_EQ(Lens(m), std::vector<int>{0});
  EXPECT_EQ(m->m_pkthdr.len, 0);
  m_freem(m);
}

TEST_F(ChainTest, AdjWorksWithoutAPacketHeaderAndIgnoresWritability) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, false, Storage::kCluster);
  struct mbuf *copy = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(copy, nullptr);
  ASSERT_FALSE(M_WRITABLE(copy));
  m_adj(copy, 10);
  m_adj(copy, -10);
  EXPECT_EQ(Flatten(copy), Slice(b, 10, 2980));
  EXPECT_EQ(Flatten(m), b);  // only the copy's pointers moved
  m_freem(copy);
  m_freem(m);
}

// ---- M_PREPEND and m_prepend ----

TEST_F(ChainTest, PrependUsesLeadingSpaceWhenThereIsEnough) {
  const Bytes b = Pattern(100);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  M_ALIGN(m, 100);
  std::memcpy(mtod(m, char *), b.data(), 100);
  m->m_len = m->m_pkthdr.len = 100;
  struct mbuf *orig = m;
  mbufnic_fault_fail_nth(1);  // would fail any allocation
  M_PREPEND(m, 14, M_NOWAIT);
  ASSERT_EQ(m, orig);
  EXPECT_EQ(m->m_len, 114);
  EXPECT_EQ(m->m_pkthdr.len, 114);
  EXPECT_EQ(Slice(Flatten(m), 14, 100), b);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(m);
}

TEST_F(ChainTest, PrependAllocatesAHeaderMbufAndMovesThePacketHeader) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m->m_flags |= M_BCAST;
  m->m_pkthdr.flowid = 77;
  AddTag(m, 1);
  struct mbuf *orig = m;
  M_PREPEND(m, 20, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m, orig);
  EXPECT_EQ(m->m_next, orig);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST));
  EXPECT_EQ(m->m_pkthdr.flowid, 77u);
  EXPECT_NE(m_tag_first(m), nullptr);
  EXPECT_FALSE(orig->m_flags & M_PKTHDR);
  EXPECT_EQ(m->m_len, 20);
  EXPECT_EQ(Lead(m), Aligned(MHLEN, 20));  // at the end, so later prepends fit in front
  EXPECT_EQ(m->m_pkthdr.len, 120);
  EXPECT_EQ(Slice(Flatten(m), 20, 100), b);
  m_freem(m);
}

TEST_F(ChainTest, PrependOnASharedClusterAllocatesEvenWithRoomInFront) {
  const Bytes b = Pattern(100);
  struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  m->m_data += 500;
  std::memcpy(mtod(m, char *), b.data(), 100);
  m->m_len = m->m_pkthdr.len = 100;
  struct mbuf *copy = m_copypacket(m, M_WAITOK);
  struct mbuf *orig = copy;
  M_PREPEND(copy, 8, M_WAITOK);  // M_LEADINGSPACE is 0 on read-only storage
  EXPECT_NE(copy, orig);
  EXPECT_EQ(copy->m_pkthdr.len, 108);
  EXPECT_EQ(Flatten(m), b);
  m_freem(copy);
  m_freem(m);
}

TEST_F(ChainTest, PrependWithoutAPacketHeaderUsesAPlainMbuf) {
  const Bytes b = Pattern(50);
  struct mbuf *m = MakeChain(b, {50}, false);
  m = m_prepend(m, 30, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(M_SIZE(m), MLEN);
  EXPECT_EQ(Lead(m), Aligned(MLEN, 30));
  EXPECT_EQ(Lens(m), (std::vector<int>{30, 50}));
  m_freem(m);
}

TEST_F(ChainTest, MPrependLeavesThePacketLengthToMPrepend) {
  const Bytes b = Pattern(50);
  struct mbuf *m = MakeChain(b, {50});
  m = m_prepend(m, MHLEN, M_NOWAIT);  // a full mbuf: no alignment needed
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Lead(m), 0);
  EXPECT_EQ(m->m_len, MHLEN);
  EXPECT_EQ(m->m_pkthdr.len, 50);  // m_prepend does not touch it
  m_freem(m);
}

TEST_F(ChainTest, PrependFailureFreesTheWholeChainAndNullsThePointer) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kPacket);
  AddTag(m, 1);
  mbufnic_fault_fail_nth(1);
  M_PREPEND(m, 14, M_NOWAIT);
  EXPECT_EQ(m, nullptr);  // the LeakCheck proves the chain and its tag were freed

  m = MakeChain(b, {1000, 2000}, false, Storage::kCluster);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_prepend(m, 14, M_NOWAIT), nullptr);
}

TEST_F(ChainTest, PrependWithANegativeLengthTrimsTheHeadUnchecked) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  M_PREPEND(m, -10, M_NOWAIT);  // FreeBSD does not check plen
  EXPECT_EQ(m->m_len, 90);
  EXPECT_EQ(m->m_pkthdr.len, 90);
  EXPECT_EQ(Flatten(m), Slice(b, 10, 90));
  m_freem(m);
}

// ---- m_append ----

TEST_F(ChainTest, AppendFillsTheTailThenAddsPlainMbufs) {
  const Bytes b = Pattern(100), more = Pattern(1000, 2);
  struct mbuf *m = MakeChain(b, {100});
  mbufnic_fault_fail_nth(1000000);  // count allocations
  EXPECT_EQ(m_append(m, 1000, reinterpret_cast<c_caddr_t>(more.data())), 1);
  EXPECT_EQ(Lens(m),
            (std::vector<int>{MHLEN, MLEN, MLEN, MLEN, MLEN, 1000 - (MHLEN - 100) - 4 * MLEN}));
  for (struct mbuf *n = m; n; n = n->m_next) EXPECT_FALSE(n->m_flags & M_EXT);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 5u);  // M_NOWAIT even though nobody asked
  EXPECT_EQ(m->m_pkthdr.len, 1100);
  EXPECT_EQ(Flatten(m), Cat(b, more));
  m_freem(m);
}

TEST_F(ChainTest, AppendOfNothingSucceedsAndChangesNothing) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  EXPECT_EQ(m_append(m, 0, nullptr), 1);
  EXPECT_EQ(Lens(m), std::vector<int>{100});
  EXPECT_EQ(m->m_pkthdr.len, 100);
  m_freem(m);
}

TEST_F(ChainTest, AppendNeverWritesIntoAReadOnlyTail) {
  const Bytes b = Pattern(100), more = Pattern(50, 3);
  struct mbuf *m = MakeChain(b, {100}, true, Storage::kCluster);
  struct mbuf *copy = m_copypacket(m, M_WAITOK);
  EXPECT_EQ(m_append(copy, 50, reinterpret_cast<c_caddr_t>(more.data())), 1);
  EXPECT_EQ(Lens(copy), (std::vector<int>{100, 50}));
  EXPECT_EQ(Flatten(copy), Cat(b, more));
  EXPECT_EQ(Lens(m), std::vector<int>{100});
  m_freem(copy);
  m_freem(m);
}

TEST_F(ChainTest, AppendFailureKeepsTheChainAndWhatFit) {
  const Bytes b = Pattern(100), more = Pattern(700, 4);
  struct mbuf *m = MakeChain(b, {100});
  mbufnic_fault_fail_nth(2);  // the second new mbuf
  EXPECT_EQ(m_append(m, 700, reinterpret_cast<c_caddr_t>(more.data())), 0);
  const int fitted = (MHLEN - 100) + MLEN;
  EXPECT_EQ(m->m_pkthdr.len, 100 + fitted);
  EXPECT_EQ(m_length(m, nullptr), static_cast<u_int>(100 + fitted));
  EXPECT_EQ(Flatten(m), Cat(b, Slice(more, 0, fitted)));
  m_freem(m);
}

TEST_F(ChainDeathTest, AppendOfANegativeLengthPanics) {
  const Bytes b = Pattern(10);
  struct mbuf *m = MakeChain(b, {10});
  EXPECT_DEATH(m_append(m, -1, reinterpret_cast<c_caddr_t>(b.data())), "panic: .*negative len");
  m_freem(m);
}

// ---- m_cat, m_catpkt ----

TEST_F(ChainTest, CatCopiesSmallMbufsIntoTheTailAndFreesThem) {
  const Bytes a = Pattern(100), c = Pattern(90, 5);
  struct mbuf *m = MakeChain(a, {100}, false);
  struct mbuf *n = MakeChain(c, {40, 0, 50}, false);
  m_cat(m, n);
  EXPECT_EQ(Lens(m), std::vector<int>{190});
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(ChainTest, CatLinksWhatDoesNotFitAndLeavesThePacketLengthAlone) {
  const Bytes a = Pattern(100), c = Pattern(2100, 6);
  struct mbuf *m = MakeChain(a, {100});
  struct mbuf *n = MakeChain(c, {20, 2000, 80}, true, Storage::kPacket);
  struct mbuf *big = n->m_next;
  m_cat(m, n);  // n's head fits in m's tail; the rest is linked as it is
  EXPECT_EQ(Lens(m), (std::vector<int>{120, 2000, 80}));
  EXPECT_EQ(m->m_next, big);
  EXPECT_EQ(m->m_pkthdr.len, 100);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(ChainTest, CatLinksAPacketHeaderAsItIs) {
  const Bytes a = Pattern(160), c = Pattern(100, 7);
  struct mbuf *m = MakeChain(a, {160});  // full: nothing can be copied in
  struct mbuf *n = MakeChain(c, {100});
  AddTag(n, 3);
  m_cat(m, n);
  EXPECT_EQ(m->m_next, n);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);  // m_cat does not demote
  EXPECT_NE(m_tag_first(n), nullptr);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(m_sanity(m, 0), 0);  // an in-chain header is exactly what m_sanity reports
  ::testing::internal::GetCapturedStderr();
  m_freem(m);
}

TEST_F(ChainTest, CatNeverWritesIntoAReadOnlyTail) {
  const Bytes a = Pattern(100), c = Pattern(10, 8);
  struct mbuf *orig = MakeChain(a, {100}, false, Storage::kCluster);
  struct mbuf *m = m_copym(orig, 0, M_COPYALL, M_WAITOK);
  struct mbuf *n = MakeChain(c, {10}, false);
  m_cat(m, n);
  EXPECT_EQ(m->m_next, n);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
  m_freem(orig);
}

TEST_F(ChainTest, CatpktAddsTheLengthsAndDemotesTheSecondPacket) {
  const Bytes a = Pattern(100), c = Pattern(2000, 9);
  struct mbuf *m = MakeChain(a, {100});
  struct mbuf *n = MakeChain(c, {2000}, true, Storage::kCluster);
  n->m_flags |= M_BCAST;
  AddTag(n, 3);
  const uint64_t tags = mbufnic_tags_in_use();
  m_catpkt(m, n);
  EXPECT_EQ(m->m_next, n);
  EXPECT_EQ(n->m_flags, static_cast<uint32_t>(M_EXT));
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 1);
  EXPECT_EQ(m->m_pkthdr.len, 2100);
  EXPECT_EQ(m_sanity(m, 0), 1);
  EXPECT_EQ(Flatten(m), Cat(a, c));
  m_freem(m);
}

TEST_F(ChainDeathTest, CatpktWithoutPacketHeadersPanics) {
  const Bytes a = Pattern(10);
  struct mbuf *m = MakeChain(a, {10});
  struct mbuf *n = MakeChain(a, {10}, false);
  EXPECT_DEATH(m_catpkt(m, n), "panic: .*no mbuf packet header");
  EXPECT_DEATH(m_catpkt(n, m), "panic: .*no mbuf packet header");
  m_freem(m);
  m_freem(n);
}

// ---- m_split ----

TEST_F(ChainTest, SplitInsideAnInternalMbufCopiesTheTail) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {200, 100}, false);
  struct mbuf *third = m->m_next;
  struct mbuf *n = m_split(m, 150, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Lens(m), std::vector<int>{150});
  EXPECT_EQ(Lens(n), (std::vector<int>{50, 100}));
  EXPECT_EQ(n->m_next, third);
  EXPECT_EQ(Lead(n), Aligned(MLEN, 50));
  EXPECT_TRUE(M_WRITABLE(n));
  EXPECT_FALSE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(Cat(Flatten(m), Flatten(n)), b);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitInsideAClusterSharesItAndBothHalvesBecomeReadOnly) {
  for (Storage s : {Storage::kCluster, Storage::kPacket}) {
    const Bytes b = Pattern(1000);
    struct mbuf *m = MakeChain(b, {1000}, false, s);
    struct mbuf *n = m_split(m, 300, M_NOWAIT);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->m_ext.ext_buf, m->m_ext.ext_buf);
    EXPECT_EQ(n->m_data, m->m_data + 300);
    EXPECT_EQ(n->m_ext.ext_type, m->m_ext.ext_type);
    EXPECT_EQ(m_extrefcnt(m), 2u);
    EXPECT_FALSE(M_WRITABLE(m));
    EXPECT_FALSE(M_WRITABLE(n));
    EXPECT_EQ(Flatten(m), Slice(b, 0, 300));
    EXPECT_EQ(Flatten(n), Slice(b, 300, 700));
    m_freem(m);  // the cluster outlives its first holder
    EXPECT_EQ(Flatten(n), Slice(b, 300, 700));
    EXPECT_TRUE(M_WRITABLE(n));
    m_freem(n);
  }
}

TEST_F(ChainTest, SplitOnAnMbufBoundaryWithoutHeaderUnlinksTheRest) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  struct mbuf *second = m->m_next;
  mbufnic_fault_fail_nth(1);  // no allocation is needed
  EXPECT_EQ(m_split(m, 100, M_NOWAIT), second);
  EXPECT_EQ(m->m_next, nullptr);
  m_freem(m);
  m_freem(second);
}

TEST_F(ChainTest, SplitAtTheEndWithoutHeaderReturnsNullLikeAFailure) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200}, false);
  EXPECT_EQ(m_split(m, 300, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
}

TEST_F(ChainTest, SplitBeyondTheChainOrAtANegativeOffsetReturnsNullUntouched) {
  const Bytes b = Pattern(300);
  for (bool pkthdr : {true, false}) {
    struct mbuf *m = MakeChain(b, {100, 200}, pkthdr);
    EXPECT_EQ(m_split(m, 301, M_NOWAIT), nullptr);
    EXPECT_EQ(m_split(m, -1, M_NOWAIT), nullptr);  // taken as unsigned: far beyond
    EXPECT_EQ(Flatten(m), b);
    EXPECT_EQ(ChainCount(m), 2);
    if (pkthdr) {
      EXPECT_EQ(m->m_pkthdr.len, 300);
    }
    m_freem(m);
  }
}

TEST_F(ChainTest, SplitOfAPacketCopiesOnlyTheInterfaceAndTheLengths) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_flags |= M_BCAST | M_VLANTAG;
  m->m_pkthdr.rcvif = reinterpret_cast<struct ifnet *>(0x1000);
  m->m_pkthdr.csum_flags = CSUM_L3_CALC | CSUM_L3_VALID;
  m->m_pkthdr.csum_data = 0xffff;
  m->m_pkthdr.flowid = 99;
  m->m_pkthdr.rsstype = M_HASHTYPE_RSS_TCP_IPV4;
  m->m_pkthdr.ether_vtag = 5;
  AddTag(m, 1);
  struct mbuf *n = m_split(m, 150, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_flags & ~M_EXT, static_cast<uint32_t>(M_PKTHDR));
  EXPECT_EQ(m_rcvif(n), reinterpret_cast<struct ifnet *>(0x1000));
  EXPECT_EQ(n->m_pkthdr.len, 150);
  EXPECT_EQ(n->m_pkthdr.csum_flags, 0u);
  EXPECT_EQ(n->m_pkthdr.csum_data, 0u);
  EXPECT_EQ(n->m_pkthdr.flowid, 0u);
  EXPECT_EQ(n->m_pkthdr.rsstype, 0);
  EXPECT_EQ(n->m_pkthdr.ether_vtag, 0);
  EXPECT_EQ(m_tag_first(n), nullptr);
  // The head keeps everything but the length.
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(m->m_pkthdr.flowid, 99u);
  EXPECT_NE(m_tag_first(m), nullptr);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST | M_VLANTAG));
  EXPECT_EQ(Flatten(m), Slice(b, 0, 150));
  EXPECT_EQ(Flatten(n), Slice(b, 150, 150));
  EXPECT_EQ(m_sanity(m, 0), 1);
  EXPECT_EQ(m_sanity(n, 0), 1);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitOfAPacketKeepsTheSendTagOnBothHalves) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  auto *st = reinterpret_cast<struct m_snd_tag *>(0x3000);
  m->m_pkthdr.snd_tag = st;
  m->m_pkthdr.csum_flags = CSUM_SND_TAG | CSUM_IP_TCP;
  struct mbuf *n = m_split(m, 100, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_pkthdr.snd_tag, st);
  EXPECT_EQ(n->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_SND_TAG));
  EXPECT_EQ(m_rcvif(n), nullptr);  // a send tag is never mistaken for an interface
  m->m_pkthdr.csum_flags = n->m_pkthdr.csum_flags = 0;  // keep the fake tag off release paths
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitOfAPacketOnABoundaryReturnsAnEmptyHeaderBeforeTheRest) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *second = m->m_next;
  struct mbuf *n = m_split(m, 100, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_len, 0);
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_next, second);
  EXPECT_EQ(n->m_pkthdr.len, 200);
  EXPECT_EQ(m->m_next, nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 100);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitOfAPacketAtItsEndReturnsAnEmptyPacket) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *n = m_split(m, 300, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Lens(n), std::vector<int>{0});
  EXPECT_EQ(n->m_pkthdr.len, 0);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitOfAPacketAtZeroMovesAllTheDataAway) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *n = m_split(m, 0, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Lens(m), std::vector<int>{0});
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(n->m_pkthdr.len, 300);
  EXPECT_EQ(Lead(n), Aligned(MHLEN, 100));
  EXPECT_EQ(Flatten(n), b);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitOfAPacketInsideALargeInternalMbufChainsAPlainCopyAfterAnEmptyHeader) {
  const Bytes b = Pattern(234);
  struct mbuf *m = MakeChain(b, {10, 224});
  struct mbuf *n = m_split(m, 20, M_NOWAIT);  // 214 bytes remain: more than a header mbuf holds
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Lens(n), (std::vector<int>{0, 214}));
  EXPECT_TRUE(n->m_flags & M_PKTHDR);
  EXPECT_FALSE(n->m_next->m_flags & M_PKTHDR);
  EXPECT_EQ(n->m_pkthdr.len, 214);
  EXPECT_EQ(Lens(m), (std::vector<int>{10, 10}));
  EXPECT_EQ(Flatten(n), Slice(b, 20, 214));
  EXPECT_EQ(m_sanity(n, 0), 1);
  m_freem(m);
  m_freem(n);
}

TEST_F(ChainTest, SplitFailureReturnsNullWithTheChainIntact) {
  const Bytes b = Pattern(3000);
  for (Storage s : {Storage::kInternal, Storage::kCluster}) {
    for (bool pkthdr : {true, false}) {
      const std::vector<int> sizes =
          s == Storage::kInternal ? std::vector<int>{100, 200} : std::vector<int>{1000, 2000};
      const Bytes data = Slice(b, 0, s == Storage::kInternal ? 300 : 3000);
      struct mbuf *m = MakeChain(data, sizes, pkthdr, s);
      mbufnic_fault_fail_nth(1);
      EXPECT_EQ(m_split(m, 150, M_NOWAIT), nullptr);
      mbufnic_fault_reset();
      EXPECT_EQ(Flatten(m), data);
      EXPECT_EQ(Lens(m), sizes);
      if (pkthdr) {
        EXPECT_EQ(m->m_pkthdr.len, static_cast<int>(data.size()));
      }
      EXPECT_TRUE(M_WRITABLE(m));
      m_freem(m);
    }
  }
}

TEST_F(ChainTest, SplitRecursiveFailureHasAlreadyChangedThePacketLength) {
  // FreeBSD's quirk, kept: the header's length is set before the inner split that fails.
  const Bytes b = Pattern(234);
  struct mbuf *m = MakeChain(b, {10, 224});
  mbufnic_fault_fail_nth(2);  // the header mbuf is allocated; the inner plain mbuf is not
  EXPECT_EQ(m_split(m, 20, M_NOWAIT), nullptr);
  mbufnic_fault_reset();
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(Lens(m), (std::vector<int>{10, 224}));
  EXPECT_EQ(m->m_pkthdr.len, 20);
  m_freem(m);
}

TEST_F(ChainTest, SplitKeepsTheMbufType) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  for (struct mbuf *x = m; x; x = x->m_next) x->m_type = MT_OOBDATA;
  struct mbuf *n = m_split(m, 50, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_type, MT_OOBDATA);
  m_freem(m);
  m_freem(n);
}

}  // namespace
}  // namespace mbufnic::test
