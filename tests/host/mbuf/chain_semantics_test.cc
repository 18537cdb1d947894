// The documented edge cases of each chain operation, one by one, as mbuf-semantics.md (sections
// 3.3 to 3.8) and the two mbuf(9) pages state them.  The property test covers random
// combinations; these pin down the exact corner behaviours a FreeBSD programmer relies on.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

class Sem : public ::testing::Test {
 protected:
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};


// ---- m_adj ----

TEST_F(Sem, AdjHeadLeavesEmptiedMbufsInTheChain) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  m_adj(m, 150);
  EXPECT_EQ(ChainCount(m), 3);  // never freed, only emptied
  EXPECT_EQ(m->m_len, 0);
  EXPECT_EQ(m->m_next->m_len, 50);
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Slice(b, 150, 150));
  m_adj(m, 1000);  // more than there is: trims what there is
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(ChainCount(m), 3);
  m_freem(m);
  m_adj(nullptr, 5);  // a no-op
}

TEST_F(Sem, AdjTailFreesTheMbufsPastTheNewEnd) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  m_adj(m, -50);  // the last mbuf absorbs it
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(m->m_pkthdr.len, 250);
  m_adj(m, -120);  // ends inside the second mbuf: the rest is freed
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(m->m_pkthdr.len, 130);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 130));
  m_adj(m, -1000);
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(m->m_len, 0);  // the head stays, empty
  m_freem(m);
}

// ---- m_cat, m_catpkt ----

TEST_F(Sem, CatCopiesWhatFitsAndDoesNotTouchPkthdrLen) {
  const auto a = Pattern(50, 1), c = Pattern(40, 2);
  struct mbuf *m = MakeChain(a, {50});
  struct mbuf *n = MakeChain(c, {40});
  m_cat(m, n);  // 40 bytes fit in m's trailing space: copied, n freed
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(m->m_pkthdr.len, 50);  // m_cat leaves the packet length alone
  Bytes both = a;
  both.insert(both.end(), c.begin(), c.end());
  EXPECT_EQ(Flatten(m), both);
  m_fixhdr(m);  // what a caller of m_cat does
  // What does not fit is linked as it is, keeping its header: use m_catpkt for packets.
  struct mbuf *big = MakeChain(Pattern(1000, 3), {1000}, true, Storage::kCluster);
  m_catpkt(m, big);
  EXPECT_EQ(m->m_pkthdr.len, 1090);
  EXPECT_FALSE(m->m_next->m_flags & M_PKTHDR);  // demoted
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

// ---- m_split ----

TEST_F(Sem, SplitCopiesOnlyRcvifAndSharesClusters) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  m->m_pkthdr.rcvif = reinterpret_cast<struct ifnet *>(0x1234);
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_TCP;
  m->m_pkthdr.flowid = 77;
  struct mbuf *n = m_split(m, 1500, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_pkthdr.rcvif, m->m_pkthdr.rcvif);
  EXPECT_EQ(n->m_pkthdr.csum_flags, 0u);  // not copied
  EXPECT_EQ(n->m_pkthdr.flowid, 0u);
  EXPECT_EQ(m->m_pkthdr.len, 1500);
  EXPECT_EQ(n->m_pkthdr.len, 1500);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 1500));
  EXPECT_EQ(Flatten(n), Slice(b, 1500, 1500));
  // The cluster split in the middle is now shared: read-only on both sides.
  EXPECT_FALSE(M_WRITABLE(m->m_next));
  EXPECT_FALSE(M_WRITABLE(n));
  m_freem(n);
  EXPECT_TRUE(M_WRITABLE(m->m_next));
  m_freem(m);
}

TEST_F(Sem, SplitBoundaryAndEndCases) {
  const auto b = Pattern(300);
  // Beyond the end, or negative: NULL, chain untouched.
  struct mbuf *m = MakeChain(b, {100, 200});
  EXPECT_EQ(m_split(m, 301, M_NOWAIT), nullptr);
  EXPECT_EQ(m_split(m, -1, M_NOWAIT), nullptr);
  EXPECT_EQ(Flatten(m), b);
  // At the very end with a packet header: an empty header mbuf comes back.
  struct mbuf *n = m_split(m, 300, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_pkthdr.len, 0);
  EXPECT_EQ(n->m_len, 0);
  EXPECT_EQ(n->m_next, nullptr);
  m_freem(n);
  // At 0: m keeps an empty header, the data goes with the new packet.
  n = m_split(m, 0, M_NOWAIT);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(Flatten(n), b);
  m_freem(n);
  m_freem(m);
  // Without a packet header, at an mbuf boundary: the rest is unlinked and returned; at the
  // very end that is NULL, which looks like a failure.
  m = MakeChain(b, {100, 200}, false);
  n = m_split(m, 100, M_NOWAIT);
  EXPECT_EQ(Flatten(n), Slice(b, 100, 200));
  EXPECT_EQ(m_split(m, 100, M_NOWAIT), nullptr);
  m_freem(n);
  m_freem(m);
}

TEST_F(Sem, SplitOfInternalDataLongerThanMhlenChainsAnEmptyHeader) {
  const auto b = Pattern(224);
  struct mbuf *m = MakeChain(Slice(b, 0, 10), {10});
  struct mbuf *t = MakeChain(Slice(b, 10, 214), {214}, false);
  m->m_next = t;
  m->m_pkthdr.len = 224;
  struct mbuf *n = m_split(m, 12, M_NOWAIT);  // 212 bytes left in an internal mbuf > MHLEN
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->m_len, 0);                    // an empty header...
  EXPECT_EQ(Flatten(n), Slice(b, 12, 212));  // ...followed by the data
  m_freem(n);
  m_freem(m);
}

// ---- m_copym, m_copypacket, m_dup ----

TEST_F(Sem, CopymReturnsNullForNothingToCopy) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  EXPECT_EQ(m_copym(m, 0, 0, M_NOWAIT), nullptr);
  EXPECT_EQ(m_copym(m, 300, M_COPYALL, M_NOWAIT), nullptr);
  struct mbuf *c = m_copym(m, 50, 100, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->m_flags & M_PKTHDR);  // a header is copied only from offset 0
  EXPECT_EQ(Flatten(c), Slice(b, 50, 100));
  m_freem(c);
  c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  EXPECT_TRUE(c->m_flags & M_PKTHDR);
  EXPECT_EQ(c->m_pkthdr.len, 300);
  m_freem(c);
  m_freem(m);
}

TEST_F(Sem, CopymPastTheChainPanics) {
  struct mbuf *m = MakeChain(Pattern(10), {10});
  EXPECT_DEATH(m_copym(m, 0, 11, M_NOWAIT), "panic: .*length");
  EXPECT_DEATH(m_copym(m, 11, 1, M_NOWAIT), "panic: .*offset");
  m_freem(m);
}

TEST_F(Sem, CopypacketKeepsLeadingSpace) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  M_ALIGN(m, 40);
  m->m_len = m->m_pkthdr.len = 40;
  struct mbuf *c = m_copypacket(m, M_NOWAIT);
  EXPECT_EQ(M_LEADINGSPACE(c), M_LEADINGSPACE(m));
  m_freem(c);
  m_freem(m);
}

TEST_F(Sem, DupIsWritableAndUsesClustersForLargeData) {
  const auto b = Pattern(5000);
  struct mbuf *m = MakeChain(b, {1000, 2000, 2000}, true, Storage::kCluster);
  struct mbuf *held = m_copypacket(m, M_NOWAIT);  // make m's clusters shared
  m->m_flags |= M_RDONLY;
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Flatten(d), b);
  EXPECT_FALSE(d->m_flags & M_RDONLY);
  for (struct mbuf *k = d; k; k = k->m_next) {
    EXPECT_TRUE(M_WRITABLE(k));
    EXPECT_TRUE(k->m_flags & M_EXT);
  }
  m_freem(d);
  m_freem(held);
  m->m_flags &= ~M_RDONLY;
  m_freem(m);
  struct mbuf *e = m_gethdr(M_NOWAIT, MT_DATA);  // pkthdr.len 0: one empty header
  d = m_dup(e, M_NOWAIT);
  EXPECT_EQ(ChainCount(d), 1);
  EXPECT_EQ(d->m_len, 0);
  m_freem(d);
  m_freem(e);
}

// ---- m_copydata, m_copyback, m_devget, m_apply, m_getptr ----

TEST_F(Sem, CopydataPastTheEndPanics) {
  struct mbuf *m = MakeChain(Pattern(100), {50, 50});
  char buf[200];
  m_copydata(m, 100, 0, buf);  // at the end with length 0: allowed
  EXPECT_DEATH(m_copydata(m, 50, 51, buf), "panic: .*length > size of mbuf chain");
  EXPECT_DEATH(m_copydata(m, 101, 0, buf), "panic: .*offset > size of mbuf chain");
  m_freem(m);
}

TEST_F(Sem, CopybackZeroFillsTheGapAndRaisesPkthdrLen) {
  const auto b = Pattern(100), d = Pattern(10, 9);
  struct mbuf *m = MakeChain(b, {100});
  m_copyback(m, 500, 10, reinterpret_cast<c_caddr_t>(d.data()));
  Bytes want = b;
  want.resize(500, 0);
  want.insert(want.end(), d.begin(), d.end());
  EXPECT_EQ(Flatten(m), want);
  EXPECT_EQ(m->m_pkthdr.len, 510);
  m_copyback(m, 0, 10, reinterpret_cast<c_caddr_t>(d.data()));  // inside: length unchanged
  EXPECT_EQ(m->m_pkthdr.len, 510);
  m_freem(m);
  m_copyback(nullptr, 0, 10, reinterpret_cast<c_caddr_t>(d.data()));  // a no-op
}

int g_copied = 0;
void CountingCopy(char *from, caddr_t to, u_int len) {
  g_copied += static_cast<int>(len);
  std::memcpy(to, from, len);
}

TEST_F(Sem, DevgetBuildsAPacketFromADeviceBuffer) {
  auto b = Pattern(3000);
  char *buf = reinterpret_cast<char *>(b.data());
  EXPECT_EQ(m_devget(buf, 0, 0, nullptr, nullptr), nullptr);
  EXPECT_EQ(m_devget(buf, 100, MHLEN + 1, nullptr, nullptr), nullptr);
  struct ifnet *ifp = reinterpret_cast<struct ifnet *>(0x99);
  struct mbuf *m = m_devget(buf, 60, 0, ifp, nullptr);  // small: after max_linkhdr bytes
  EXPECT_EQ(M_LEADINGSPACE(m), max_linkhdr);
  EXPECT_EQ(m->m_pkthdr.rcvif, ifp);
  EXPECT_EQ(m->m_pkthdr.len, 60);
  EXPECT_FALSE(m->m_flags & M_EXT);
  m_freem(m);
  g_copied = 0;
  m = m_devget(buf, 3000, 2, ifp, CountingCopy);  // large: clusters, 2 bytes of offset first
  EXPECT_TRUE(m->m_flags & M_EXT);
  EXPECT_EQ(M_LEADINGSPACE(m), 2);
  EXPECT_EQ(g_copied, 3000);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

int StopAtSecond(void *arg, void *, u_int) { return ++*static_cast<int *>(arg) == 2 ? 7 : 0; }

TEST_F(Sem, ApplyStopsAtTheFirstNonZeroAndGetptrFindsBytes) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 0, 100, 100});
  int calls = 0;
  EXPECT_EQ(m_apply(m, 0, 300, StopAtSecond, &calls), 7);
  EXPECT_EQ(calls, 2);
  int off = -1;
  struct mbuf *p = m_getptr(m, 150, &off);
  EXPECT_EQ(p, m->m_next->m_next);  // the empty mbuf is passed over
  EXPECT_EQ(off, 50);
  p = m_getptr(m, 300, &off);  // the end: last mbuf, offset m_len
  EXPECT_EQ(p->m_next, nullptr);
  EXPECT_EQ(off, 100);
  EXPECT_EQ(m_getptr(m, 301, &off), nullptr);
  EXPECT_EQ(m_getptr(m, -1, &off), nullptr);
  m_freem(m);
}

// ---- m_pullup, m_copyup, m_pulldown ----

TEST_F(Sem, PullupLimitsAndReadAhead) {
  const auto b = Pattern(400);
  struct mbuf *m = MakeChain(b, {10, 390}, true, Storage::kCluster);
  m = m_pullup(m, 20);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_EXT);   // a new head mbuf
  EXPECT_GE(m->m_len, max_protohdr);  // read-ahead beyond what was asked
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_pullup(m, MHLEN + 1), nullptr);  // too long: the chain is freed
  m = MakeChain(Slice(b, 0, 300), {100, 200});
  EXPECT_EQ(m_pullup(m, 150), m);  // room in the head mbuf: pulled in place
  EXPECT_GE(m->m_len, 150);
  EXPECT_EQ(Flatten(m), Slice(b, 0, 300));
  // FreeBSD's test is strict (m_data + len < end): asking for all of MHLEN takes a new head.
  struct mbuf *h = m_pullup(m, MHLEN);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->m_len, MHLEN);
  EXPECT_EQ(Flatten(h), Slice(b, 0, 300));
  m_freem(h);
  m = MakeChain(Pattern(50), {20, 30});
  EXPECT_EQ(m_pullup(m, 60), nullptr);  // the chain is shorter than asked: freed
}

TEST_F(Sem, CopyupLeavesRoomInFront) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {30, 70});
  m = m_copyup(m, 50, 32);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(M_LEADINGSPACE(m), 32);
  EXPECT_GE(m->m_len, 50);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_copyup(m, MHLEN - 31, 32), nullptr);  // len + dstoff beyond MHLEN: freed
}

TEST_F(Sem, PulldownNoCopyWhenAlreadyContiguousAndCopiesFromPacketClusters) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  int off = -1;
  struct mbuf *n = m_pulldown(m, 1100, 500, &off);  // inside the second mbuf
  EXPECT_EQ(n, m->m_next);
  EXPECT_EQ(off, 100);
  EXPECT_EQ(ChainCount(m), 2);  // nothing moved
  // Spanning into the next mbuf from a plain 2k cluster: the tail is pulled into its trailing
  // space, in place.
  n = m_pulldown(m, 900, 300, &off);
  EXPECT_EQ(n, m);
  EXPECT_EQ(std::memcmp(mtod(n, char *) + off, b.data() + 900, 300), 0);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  // The same from packet-zone clusters (EXT_PACKET): FreeBSD only writes in place into
  // EXT_CLUSTER, so a new mbuf is inserted.
  m = MakeChain(b, {1000, 2000}, true, Storage::kPacket);
  n = m_pulldown(m, 900, 300, &off);
  EXPECT_NE(n, m);
  EXPECT_EQ(ChainCount(m), 3);
  EXPECT_EQ(std::memcmp(mtod(n, char *) + off, b.data() + 900, 300), 0);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  // Errors free the chain.
  m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  EXPECT_EQ(m_pulldown(m, 0, MCLBYTES + 1, &off), nullptr);
  m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  EXPECT_EQ(m_pulldown(m, 2900, 200, &off), nullptr);
}

// ---- m_collapse, m_defrag, m_unshare, m_fragment ----

TEST_F(Sem, CollapseAndDefrag) {
  const auto b = Pattern(2000);
  std::vector<int> sizes(20, 100);
  struct mbuf *m = MakeChain(b, sizes);
  EXPECT_EQ(m_collapse(m, M_NOWAIT, 4), m);
  EXPECT_LE(ChainCount(m), 4);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  // Without a packet header m_defrag returns the chain as it is.
  m = MakeChain(b, sizes, false);
  EXPECT_EQ(m_defrag(m, M_NOWAIT), m);
  EXPECT_EQ(ChainCount(m), 20);
  m_freem(m);
  // With tags: they are copied to the new chain; the old chain is freed.
  m = MakeChain(b, sizes);
  m_tag_prepend(m, m_tag_alloc(5, 6, 4, M_NOWAIT));
  struct mbuf *d = m_defrag(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ChainCount(d), 1);  // 2000 bytes: one 2k cluster
  EXPECT_NE(m_tag_locate(d, 5, 6, nullptr), nullptr);
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
  // kern.ipc.m_defragrandomfailures: about 1 in 256 fails, leaving the packet intact.
  mbufnic_fault_seed(3);
  mbufnic_fault_set_defrag_random_failures(1);
  struct mbufnic_defrag_stats before {
  }, after{};
  mbufnic_defrag_get_stats(&before);
  int failed = 0;
  for (int i = 0; i < 2560; ++i) {
    m = MakeChain(Pattern(300), {100, 200});
    d = m_defrag(m, M_NOWAIT);
    if (d == nullptr) {
      ++failed;
      m_freem(m);
    } else {
      m_freem(d);
    }
  }
  mbufnic_defrag_get_stats(&after);
  EXPECT_GT(failed, 0);
  EXPECT_LT(failed, 40);
  EXPECT_EQ(after.failures - before.failures, static_cast<uint64_t>(failed));
}

TEST_F(Sem, UnshareMakesEveryMbufWritable) {
  const auto b = Pattern(4000);
  struct mbuf *m = MakeChain(b, {100, 1900, 2000}, true, Storage::kCluster);
  struct mbuf *held = m_copypacket(m, M_NOWAIT);
  EXPECT_FALSE(M_WRITABLE(held->m_next));
  held = m_unshare(held, M_NOWAIT);
  ASSERT_NE(held, nullptr);
  for (struct mbuf *k = held; k; k = k->m_next) EXPECT_TRUE(M_WRITABLE(k));
  EXPECT_EQ(Flatten(held), b);
  EXPECT_TRUE(M_WRITABLE(m->m_next));  // the original's clusters are its own again
  m_freem(held);
  m_freem(m);
}

TEST_F(Sem, FragmentFixedAndRandomSizes) {
  const auto b = Pattern(1000);
  for (int len : {1, 100, 999, 5000, -1, -2}) {
    struct mbuf *m = MakeChain(b, {1000}, true, Storage::kCluster);
    m = m_fragment(m, M_NOWAIT, len);
    EXPECT_EQ(Flatten(m), b) << len;
    if (len > 0) {
      const int piece = std::min(len, MCLBYTES);
      EXPECT_EQ(ChainCount(m), (1000 + piece - 1) / piece) << len;
    }
    m_freem(m);
  }
  struct mbuf *m = MakeChain(b, {1000}, true, Storage::kCluster);
  EXPECT_EQ(m_fragment(m, M_NOWAIT, 0), m);  // 0 and below -2: unchanged
  EXPECT_EQ(m_fragment(m, M_NOWAIT, -3), m);
  m_freem(m);
}

// ---- packet headers and tags ----

TEST_F(Sem, MovePkthdrMovesTagsAndFlags) {
  struct mbuf *from = m_gethdr(M_NOWAIT, MT_DATA);
  from->m_flags |= M_BCAST | M_PROTO3;
  from->m_pkthdr.len = 42;
  from->m_pkthdr.csum_flags = CSUM_IP;
  m_tag_prepend(from, m_tag_alloc(1, 2, 3, M_NOWAIT));
  struct mbuf *to = m_get(M_NOWAIT, MT_DATA);
  M_MOVE_PKTHDR(to, from);
  EXPECT_TRUE(to->m_flags & M_PKTHDR);
  EXPECT_TRUE(to->m_flags & M_BCAST);
  EXPECT_TRUE(to->m_flags & M_PROTO3);
  EXPECT_EQ(to->m_data, to->m_pktdat);
  EXPECT_EQ(to->m_pkthdr.len, 42);
  EXPECT_NE(m_tag_locate(to, 1, 2, nullptr), nullptr);
  EXPECT_FALSE(from->m_flags & M_PKTHDR);
  m_free(from);
  m_free(to);
}

TEST_F(Sem, DemoteFixhdrLengthSanity) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *n = MakeChain(b, {100, 200});
  m_tag_prepend(n, m_tag_alloc(1, 1, 1, M_NOWAIT));
  n->m_flags |= M_PROTO1 | M_BCAST;
  m_demote(n, 1, M_PROTO1);
  EXPECT_FALSE(n->m_flags & M_PKTHDR);
  EXPECT_TRUE(n->m_flags & M_PROTO1);
  EXPECT_FALSE(n->m_flags & M_BCAST);
  m_freem(n);  // its tag went with the demotion; LeakCheck counts tags
  m->m_pkthdr.len = 7;
  EXPECT_EQ(m_sanity(m, 0), 0);  // pkthdr.len disagrees with the chain
  EXPECT_EQ(m_fixhdr(m), 300u);
  EXPECT_EQ(m_sanity(m, 0), 1);
  struct mbuf *last = nullptr;
  EXPECT_EQ(m_length(m, &last), 300u);
  EXPECT_EQ(last, m->m_next);
  m->m_next->m_flags |= M_PKTHDR;  // a header in the middle of a chain is broken
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_next->m_flags &= ~M_PKTHDR;
  m_freem(m);
}

TEST_F(Sem, TagsLocateDeleteAndPersistence) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  EXPECT_EQ(m_tag_alloc(1, 1, -1, M_NOWAIT), nullptr);
  struct m_tag *a = m_tag_alloc(100, 1, 8, M_NOWAIT);
  struct m_tag *b = m_tag_alloc(100, 1, 8, M_NOWAIT);
  struct m_tag *p = m_tag_alloc(100, 2 | MTAG_PERSISTENT, 0, M_NOWAIT);
  struct m_tag *o = m_tag_get(PACKET_TAG_IPFORWARD, 4, M_NOWAIT);  // OpenBSD-style, cookie 0
  std::memcpy(a + 1, "abcdefgh", 8);
  m_tag_prepend(m, a);
  m_tag_prepend(m, b);  // b is now first
  m_tag_prepend(m, p);
  m_tag_prepend(m, o);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_IPFORWARD, nullptr), o);
  EXPECT_EQ(m_tag_locate(m, 100, 1, nullptr), b);
  EXPECT_EQ(m_tag_locate(m, 100, 1, b), a);  // searching on after b
  EXPECT_EQ(m_tag_locate(m, 100, 1, a), nullptr);
  EXPECT_EQ(std::memcmp(a + 1, "abcdefgh", 8), 0);
  struct m_tag *c = m_tag_copy(a, M_NOWAIT);
  EXPECT_EQ(c->m_tag_len, 8);
  EXPECT_EQ(std::memcmp(c + 1, "abcdefgh", 8), 0);
  m_tag_free(c);
  m_tag_delete_nonpersistent(m);
  EXPECT_EQ(m_tag_first(m), p);
  EXPECT_EQ(m_tag_next(m, p), nullptr);
  m_tag_delete_chain(m, nullptr);
  EXPECT_EQ(m_tag_first(m), nullptr);
  m_free(m);
}

TEST_F(Sem, MbufqBoundsAndOrder) {
  struct mbufq q;
  mbufq_init(&q, 2);
  struct mbuf *a = m_gethdr(M_NOWAIT, MT_DATA), *b = m_gethdr(M_NOWAIT, MT_DATA),
              *c = m_gethdr(M_NOWAIT, MT_DATA);
  EXPECT_EQ(mbufq_enqueue(&q, a), 0);
  EXPECT_EQ(mbufq_enqueue(&q, b), 0);
  EXPECT_EQ(mbufq_enqueue(&q, c), ENOBUFS);
  EXPECT_TRUE(mbufq_full(&q));
  mbufq_prepend(&q, c);  // ignores the limit
  EXPECT_EQ(mbufq_len(&q), 3);
  EXPECT_EQ(mbufq_first(&q), c);
  EXPECT_EQ(mbufq_last(&q), b);
  struct mbuf *d = mbufq_dequeue(&q);
  EXPECT_EQ(d, c);
  EXPECT_EQ(d->m_nextpkt, nullptr);
  m_freem(d);
  struct mbufq r;
  mbufq_init(&r, 0);
  mbufq_concat(&r, &q);
  EXPECT_TRUE(mbufq_empty(&q));
  EXPECT_EQ(mbufq_len(&r), 2);
  mbufq_drain(&r);
  EXPECT_TRUE(mbufq_empty(&r));
}

}  // namespace
}  // namespace mbufnic::test
