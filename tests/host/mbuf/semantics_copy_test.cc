// mbuf-semantics.md 3.6 (m_copym, m_copypacket, m_dup, m_copydata, m_copyback, m_devget,
// m_apply, m_getptr) and the external-storage rules of 3.1 and 4.3 (MEXTADD with a free
// callback, M_RDONLY, cluster refcounts through m_copym).  Every case runs under a LeakCheck.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

class SemCopy : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

int Lead(struct mbuf *m) { return static_cast<int>(m->m_data - M_START(m)); }
struct ifnet *FakeIfp(uintptr_t v) { return reinterpret_cast<struct ifnet *>(v); }
c_caddr_t CP(const Bytes &b) { return reinterpret_cast<c_caddr_t>(b.data()); }

struct m_tag *AddTag(struct mbuf *m, uint32_t cookie, uint16_t type, int len, uint8_t fill) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  if (t == nullptr) return nullptr;
  memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}
bool NoneWritable(struct mbuf *m) {
  for (; m; m = m->m_next)
    if (M_WRITABLE(m)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// m_copym
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, CopymSharesClustersReadOnly) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  ASSERT_TRUE(AllWritable(m));
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(ChainCount(c), 2);
  EXPECT_EQ(c->m_ext.ext_buf, m->m_ext.ext_buf);
  EXPECT_EQ(c->m_next->m_ext.ext_buf, m->m_next->m_ext.ext_buf);
  EXPECT_EQ(c->m_ext.ext_type, EXT_CLUSTER);
  EXPECT_EQ(m_extrefcnt(m), 2u);
  EXPECT_TRUE(NoneWritable(m));
  EXPECT_TRUE(NoneWritable(c));
  EXPECT_EQ(M_TRAILINGSPACE(c), 0);
  EXPECT_EQ(Flatten(c), b);
  EXPECT_EQ(c->m_pkthdr.len, 3000);
  m_freem(c);
  EXPECT_TRUE(AllWritable(m));
  EXPECT_EQ(m_extrefcnt(m), 1u);
  m_freem(m);
}

TEST_F(SemCopy, CopymCopiesInternalData) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(AllWritable(c));
  EXPECT_TRUE(AllWritable(m));
  for (struct mbuf *n = c; n; n = n->m_next) EXPECT_FALSE(n->m_flags & M_EXT);
  EXPECT_NE(c->m_data, m->m_data);
  EXPECT_EQ(Flatten(c), b);
  mtod(c, uint8_t *)[0] ^= 0xFF;  // private copy
  EXPECT_EQ(Flatten(m), b);
  m_freem(c);
  m_freem(m);
}

TEST_F(SemCopy, CopymAtOffsetZeroCopiesPkthdrAndDeepCopiesTags) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_pkthdr.rcvif = FakeIfp(0x3000);
  m->m_pkthdr.flowid = 5;
  m->m_pkthdr.csum_flags = CSUM_IP;
  m->m_flags |= M_MCAST;
  struct m_tag *t = AddTag(m, 77, 3, 16, 0x5A);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *c = m_copym(m, 0, 120, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->m_flags & M_PKTHDR);
  EXPECT_TRUE(c->m_flags & M_MCAST);
  EXPECT_EQ(c->m_pkthdr.len, 120);  // the copied length
  EXPECT_EQ(c->m_pkthdr.rcvif, FakeIfp(0x3000));
  EXPECT_EQ(c->m_pkthdr.flowid, 5u);
  EXPECT_EQ(c->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 1);
  struct m_tag *ct = m_tag_locate(c, 77, 3, nullptr);
  ASSERT_NE(ct, nullptr);
  EXPECT_NE(ct, t);  // a deep copy
  EXPECT_EQ(ct->m_tag_len, 16);
  EXPECT_EQ(memcmp(ct + 1, t + 1, 16), 0);
  memset(t + 1, 0, 16);
  EXPECT_EQ(reinterpret_cast<uint8_t *>(ct + 1)[0], 0x5A);
  EXPECT_EQ(Flatten(c), Slice(b, 0, 120));
  EXPECT_EQ(m_sanity(c, 0), 1);
  m_freem(c);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  EXPECT_EQ(m_tag_locate(m, 77, 3, nullptr), t);
  m_freem(m);
}

TEST_F(SemCopy, CopymAtNonZeroOffsetHasNoPkthdr) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  AddTag(m, 1, 1, 4, 0);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *c = m_copym(m, 50, 100, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->m_flags & M_PKTHDR);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  EXPECT_EQ(m_length(c, nullptr), 100u);
  EXPECT_EQ(Flatten(c), Slice(b, 50, 100));
  m_freem(c);
  c = m_copym(m, 150, M_COPYALL, M_NOWAIT);  // M_COPYALL from the middle: the rest
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Flatten(c), Slice(b, 150, 150));
  m_freem(c);
  m_freem(m);
}

TEST_F(SemCopy, CopymInsideClusterPointsIntoSharedBuffer) {
  const auto b = Pattern(1500);
  struct mbuf *m = MakeChain(b, {1500}, true, Storage::kPacket);
  struct mbuf *c = m_copym(m, 300, 700, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->m_data, m->m_data + 300);
  EXPECT_EQ(c->m_len, 700);
  EXPECT_EQ(c->m_ext.ext_type, EXT_PACKET);
  EXPECT_FALSE(M_WRITABLE(c));
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_EQ(Flatten(c), Slice(b, 300, 700));
  m_freem(c);
  EXPECT_TRUE(M_WRITABLE(m));
  m_freem(m);
}

TEST_F(SemCopy, CopymZeroLengthReturnsNull) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  EXPECT_EQ(m_copym(m, 0, 0, M_NOWAIT), nullptr);
  EXPECT_EQ(m_copym(m, 100, 0, M_NOWAIT), nullptr);
  m_freem(m);
}

TEST_F(SemCopy, CopymOffsetAtLengthReturnsNull) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  EXPECT_EQ(m_copym(m, 300, M_COPYALL, M_NOWAIT), nullptr);
  m_freem(m);
}

TEST_F(SemCopy, CopymFailureFreesPartialCopyOriginalIntact) {
  const auto b = Pattern(600);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *m = MakeChain(b, {100, 200, 300}, true, Storage::kCluster);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_copym(m, 0, M_COPYALL, M_NOWAIT), nullptr) << nth;
    mbufnic_fault_reset();
    EXPECT_EQ(Flatten(m), b);
    EXPECT_TRUE(AllWritable(m)) << "a failed copy must drop its references";
    EXPECT_EQ(m->m_pkthdr.len, 600);
    m_freem(m);
  }
}

TEST_F(SemCopy, CopymTagCopyFailureFailsTheCopy) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  AddTag(m, 1, 1, 4, 0);
  mbufnic_fault_fail_nth(2);  // the header mbuf, then the tag
  EXPECT_EQ(m_copym(m, 0, M_COPYALL, M_NOWAIT), nullptr);
  mbufnic_fault_reset();
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemCopy, CopymKeepsRdonlyAndCopyOfCopyCounts) {
  const auto b = Pattern(1000);
  struct mbuf *m = MakeChain(b, {1000}, true, Storage::kCluster);
  struct mbuf *c1 = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c1, nullptr);
  struct mbuf *c2 = m_copym(c1, 10, 100, M_NOWAIT);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(m_extrefcnt(m), 3u);
  EXPECT_EQ(m_extrefcnt(c2), 3u);
  EXPECT_EQ(Flatten(c2), Slice(b, 10, 100));
  m_freem(m);  // the refcount holder goes first
  EXPECT_EQ(m_extrefcnt(c1), 2u);
  EXPECT_EQ(Flatten(c1), b);
  m_freem(c1);
  EXPECT_TRUE(M_WRITABLE(c2));
  EXPECT_EQ(Flatten(c2), Slice(b, 10, 100));
  m_freem(c2);
}

TEST_F(SemCopy, CopymPastEndPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(100), {100});
        m_copym(m, 50, 100, M_NOWAIT);
      },
      "panic");
}

// ---------------------------------------------------------------------------------------------
// m_copypacket
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, CopypacketKeepsLeadingSpaceOffset) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_adj(m, 30);
  ASSERT_EQ(Lead(m), 30);
  struct mbuf *c = m_copypacket(m, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Lead(c), 30);
  EXPECT_EQ(M_LEADINGSPACE(c), 30);
  EXPECT_TRUE(c->m_flags & M_PKTHDR);
  EXPECT_EQ(c->m_pkthdr.len, 270);
  EXPECT_EQ(Flatten(c), Slice(b, 30, 270));
  // A later prepend finds room without allocating.
  struct mbuf *before = c;
  M_PREPEND(c, 14, M_NOWAIT);
  EXPECT_EQ(c, before);
  m_freem(c);
  m_freem(m);
}

TEST_F(SemCopy, CopypacketSharesClustersAndCopiesTags) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kPacket);
  AddTag(m, 9, 9, 8, 0x33);
  m->m_pkthdr.rcvif = FakeIfp(0x10);
  struct mbuf *c = m_copypacket(m, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->m_ext.ext_buf, m->m_ext.ext_buf);
  EXPECT_TRUE(NoneWritable(c));
  EXPECT_TRUE(NoneWritable(m));
  EXPECT_EQ(c->m_pkthdr.len, 3000);
  EXPECT_EQ(c->m_pkthdr.rcvif, FakeIfp(0x10));
  struct m_tag *t = m_tag_locate(c, 9, 9, nullptr);
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t, m_tag_locate(m, 9, 9, nullptr));
  EXPECT_EQ(Flatten(c), b);
  m_freem(c);
  EXPECT_TRUE(AllWritable(m));
  m_freem(m);
}

TEST_F(SemCopy, CopypacketFailureFreesPartialCopy) {
  const auto b = Pattern(600);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *m = MakeChain(b, {100, 200, 300}, true, Storage::kCluster);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_copypacket(m, M_NOWAIT), nullptr) << nth;
    mbufnic_fault_reset();
    EXPECT_TRUE(AllWritable(m));
    EXPECT_EQ(Flatten(m), b);
    m_freem(m);
  }
}

// ---------------------------------------------------------------------------------------------
// m_dup
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, DupIsFullyWritableDeepCopy) {
  const auto b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  struct mbuf *shared = m_copym(m, 0, M_COPYALL, M_NOWAIT);  // make m read-only
  ASSERT_NE(shared, nullptr);
  AddTag(m, 4, 4, 4, 0x44);
  m->m_pkthdr.flowid = 17;
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(AllWritable(d));
  for (struct mbuf *n = d; n; n = n->m_next)
    if (n->m_flags & M_EXT) {
      EXPECT_NE(n->m_ext.ext_buf, m->m_ext.ext_buf);
      EXPECT_NE(n->m_ext.ext_buf, m->m_next->m_ext.ext_buf);
    }
  EXPECT_EQ(Flatten(d), b);
  EXPECT_EQ(d->m_pkthdr.len, 3000);
  EXPECT_EQ(d->m_pkthdr.flowid, 17u);
  struct m_tag *t = m_tag_locate(d, 4, 4, nullptr);
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t, m_tag_locate(m, 4, 4, nullptr));
  // 3000 bytes: 2048 in one cluster, 952 >= MINCLSIZE in another.
  EXPECT_EQ(ChainCount(d), 2);
  EXPECT_TRUE(d->m_flags & M_EXT);
  EXPECT_TRUE(d->m_next->m_flags & M_EXT);
  EXPECT_EQ(d->m_len, MCLBYTES);
  EXPECT_EQ(m_sanity(d, 0), 1);
  m_freem(d);
  m_freem(shared);
  m_freem(m);
}

TEST_F(SemCopy, DupUsesMbufForRemainderBelowMinclsize) {
  const int total = MCLBYTES + MINCLSIZE - 1;
  const auto b = Pattern(total);
  struct mbuf *m = MakeChain(b, {1000, total - 1000}, true, Storage::kCluster);
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(ChainCount(d), 2);
  EXPECT_TRUE(d->m_flags & M_EXT);
  EXPECT_FALSE(d->m_next->m_flags & M_EXT);
  EXPECT_EQ(d->m_next->m_len, MINCLSIZE - 1);
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
  m_freem(m);
}

TEST_F(SemCopy, DupSmallPacketIsOneInternalHeaderMbuf) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {40, 60});
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ChainCount(d), 1);
  EXPECT_FALSE(d->m_flags & M_EXT);
  EXPECT_TRUE(d->m_flags & M_PKTHDR);
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
  m_freem(m);
}

TEST_F(SemCopy, DupClearsRdonlyOnHead) {
  const auto b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100});
  m->m_flags |= M_RDONLY;
  ASSERT_FALSE(M_WRITABLE(m));
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->m_flags & M_RDONLY);
  EXPECT_TRUE(M_WRITABLE(d));
  EXPECT_EQ(Flatten(d), b);
  m_freem(d);
  m_freem(m);
}

TEST_F(SemCopy, DupZeroLengthPacketGivesOneEmptyHeader) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ChainCount(d), 1);
  EXPECT_EQ(d->m_len, 0);
  EXPECT_EQ(d->m_pkthdr.len, 0);
  EXPECT_TRUE(d->m_flags & M_PKTHDR);
  m_freem(d);
  m_freem(m);
  EXPECT_EQ(m_dup(nullptr, M_NOWAIT), nullptr);
}

TEST_F(SemCopy, DupFailureFreesPartialCopyOriginalIntact) {
  const auto b = Pattern(5000);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *m = MakeChain(b, {1000, 2000, 2000}, true, Storage::kCluster);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_dup(m, M_NOWAIT), nullptr) << nth;
    mbufnic_fault_reset();
    EXPECT_EQ(Flatten(m), b);
    m_freem(m);
  }
}

TEST_F(SemCopy, DupSkipsZeroLengthMbufs) {
  const auto b = Pattern(2100);
  struct mbuf *m = MakeChain(b, {100, 0, 2000, 0}, true, Storage::kCluster);
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Flatten(d), b);
  EXPECT_EQ(d->m_pkthdr.len, 2100);
  EXPECT_TRUE(AllWritable(d));
  m_freem(d);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_copydata
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, CopydataReadsAcrossMbufsSkippingEmptyOnes) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 0, 200, 0});
  Bytes out(150);
  m_copydata(m, 80, 150, reinterpret_cast<caddr_t>(out.data()));
  EXPECT_EQ(out, Slice(b, 80, 150));
  m_copydata(m, 300, 0, reinterpret_cast<caddr_t>(out.data()));  // allowed
  m_freem(m);
}

TEST_F(SemCopy, CopydataPastEndPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(300), {100, 200});
        char buf[400];
        m_copydata(m, 250, 100, buf);
      },
      "panic");
}

TEST_F(SemCopy, CopydataOffsetPastEndPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(300), {100, 200});
        char buf[4];
        m_copydata(m, 301, 1, buf);
      },
      "panic");
}

TEST_F(SemCopy, CopydataNegativePanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(300), {100, 200});
        char buf[4];
        m_copydata(m, -1, 1, buf);
      },
      "panic");
}

// ---------------------------------------------------------------------------------------------
// m_copyback
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, CopybackInsideOverwrites) {
  const auto b = Pattern(300), x = Pattern(100, 7);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_copyback(m, 50, 100, CP(x));
  Bytes want = b;
  std::copy(x.begin(), x.end(), want.begin() + 50);
  EXPECT_EQ(Flatten(m), want);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  EXPECT_EQ(ChainCount(m), 2);
  m_freem(m);
  m_copyback(nullptr, 0, 10, CP(x));  // no-op
}

TEST_F(SemCopy, CopybackStraddlingEndGrowsChain) {
  const auto b = Pattern(300), x = Pattern(100, 7);
  struct mbuf *m = MakeChain(b, {100, 200});
  m_copyback(m, 250, 100, CP(x));
  EXPECT_EQ(Flatten(m), Cat(Slice(b, 0, 250), x));
  EXPECT_EQ(m->m_pkthdr.len, 350);
  EXPECT_EQ(m->m_next->m_len, MLEN);  // the tail grew into its trailing space first
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemCopy, CopybackStraddlingEndUsesClusterRoom) {
  const auto b = Pattern(300), x = Pattern(100, 7);
  struct mbuf *m = MakeChain(b, {100, 200}, true, Storage::kCluster);
  m_copyback(m, 250, 100, CP(x));
  EXPECT_EQ(ChainCount(m), 2);
  EXPECT_EQ(Flatten(m), Cat(Slice(b, 0, 250), x));
  EXPECT_EQ(m->m_pkthdr.len, 350);
  m_freem(m);
}

TEST_F(SemCopy, CopybackPastEndZeroFillsGapWithPlainMbufs) {
  const auto b = Pattern(100), x = Pattern(500, 7);
  struct mbuf *m = MakeChain(b, {100});
  m_copyback(m, 400, 500, CP(x));
  Bytes want = Cat(Cat(b, Bytes(300, 0)), x);
  EXPECT_EQ(Flatten(m), want);
  EXPECT_EQ(m->m_pkthdr.len, 900);
  for (struct mbuf *n = m->m_next; n; n = n->m_next) {
    EXPECT_FALSE(n->m_flags & M_EXT);  // never clusters
    EXPECT_LE(n->m_len, MLEN);
  }
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemCopy, CopybackAtEndUsesTrailingSpaceWithoutAllocating) {
  const auto b = Pattern(100), x = Pattern(50, 7);
  struct mbuf *m = MakeChain(b, {100});
  m_copyback(m, 100, 50, CP(x));
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(m->m_pkthdr.len, 150);
  EXPECT_EQ(Flatten(m), Cat(b, x));
  m_freem(m);
}

TEST_F(SemCopy, CopybackNeverLowersPkthdrLen) {
  const auto b = Pattern(300), x = Pattern(10, 7);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_pkthdr.len = 1000;  // inconsistent on purpose
  m_copyback(m, 0, 10, CP(x));
  EXPECT_EQ(m->m_pkthdr.len, 1000);
  m->m_pkthdr.len = 50;  // lower than what the write spans
  m_copyback(m, 90, 10, CP(x));
  EXPECT_EQ(m->m_pkthdr.len, 100);
  m_freem(m);
}

TEST_F(SemCopy, CopybackStopsSilentlyOnAllocationFailure) {
  const auto b = Pattern(100), x = Pattern(1000, 7);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *m = MakeChain(b, {100});
    mbufnic_fault_fail_nth(nth);
    m_copyback(m, 100, 1000, CP(x));
    mbufnic_fault_reset();
    const Bytes got = Flatten(m);
    const Bytes full = Cat(b, x);
    EXPECT_LT(got.size(), full.size()) << nth;
    EXPECT_EQ(got, Slice(full, 0, got.size())) << nth;
    EXPECT_EQ(static_cast<size_t>(m->m_pkthdr.len), got.size()) << nth;
    EXPECT_EQ(ChainCount(m), static_cast<int>(nth)) << nth;
    m_freem(m);  // still ours
  }
}

TEST_F(SemCopy, CopybackWritesIntoSharedClusters) {
  const auto b = Pattern(500), x = Pattern(10, 7);
  struct mbuf *m = MakeChain(b, {500}, true, Storage::kCluster);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  m_copyback(m, 0, 10, CP(x));  // no writability check: the copy sees it too
  EXPECT_EQ(Slice(Flatten(c), 0, 10), x);
  m_freem(c);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_devget
// ---------------------------------------------------------------------------------------------

TEST_F(SemCopy, DevgetRejectsBadOffsetAndLength) {
  auto b = Pattern(100);
  char *buf = reinterpret_cast<char *>(b.data());
  EXPECT_EQ(m_devget(buf, 100, -1, nullptr, nullptr), nullptr);
  EXPECT_EQ(m_devget(buf, 100, MHLEN + 1, nullptr, nullptr), nullptr);
  EXPECT_EQ(m_devget(buf, 0, 0, nullptr, nullptr), nullptr);
  EXPECT_EQ(m_devget(buf, -5, 0, nullptr, nullptr), nullptr);
  struct mbuf *m = m_devget(buf, 100, MHLEN, nullptr, nullptr);  // off == MHLEN is allowed
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemCopy, DevgetSmallPacketPlacedAfterMaxLinkhdr) {
  auto b = Pattern(60);
  struct mbuf *m = m_devget(reinterpret_cast<char *>(b.data()), 60, 0, FakeIfp(0x77), nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ChainCount(m), 1);
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(Lead(m), max_linkhdr);
  EXPECT_EQ(m->m_pkthdr.rcvif, FakeIfp(0x77));
  EXPECT_EQ(m->m_pkthdr.len, 60);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
  m = m_devget(reinterpret_cast<char *>(b.data()), 60, 8, nullptr, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Lead(m), max_linkhdr + 8);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemCopy, DevgetNoLinkhdrRoomWhenItWouldNotFit) {
  const int len = MHLEN - max_linkhdr + 1;  // + max_linkhdr > MHLEN, still < MINCLSIZE
  auto b = Pattern(len);
  struct mbuf *m = m_devget(reinterpret_cast<char *>(b.data()), len, 0, nullptr, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_EQ(Lead(m), 0);
  EXPECT_EQ(Flatten(m), b);
  m_freem(m);
}

TEST_F(SemCopy, DevgetUsesClusterAtMinclsizeIncludingOff) {
  auto b = Pattern(MINCLSIZE);
  struct mbuf *m =
      m_devget(reinterpret_cast<char *>(b.data()), MINCLSIZE - 10, 10, nullptr, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->m_flags & M_EXT);
  EXPECT_EQ(Lead(m), 10);
  EXPECT_EQ(Flatten(m), Slice(b, 0, MINCLSIZE - 10));
  m_freem(m);
  m = m_devget(reinterpret_cast<char *>(b.data()), MINCLSIZE - 11, 10, nullptr, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_EXT);
  m_freem(m);
}

TEST_F(SemCopy, DevgetLargePacketChainsClusters) {
  auto b = Pattern(3000);
  struct mbuf *m = m_devget(reinterpret_cast<char *>(b.data()), 3000, 0, FakeIfp(1), nullptr);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(ChainCount(m), 2);
  EXPECT_TRUE(m->m_flags & M_EXT);
  EXPECT_TRUE(m->m_next->m_flags & M_EXT);
  EXPECT_EQ(m->m_len, MCLBYTES);
  EXPECT_EQ(m->m_pkthdr.len, 3000);
  EXPECT_EQ(Flatten(m), b);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
  // A short remainder goes into a plain mbuf.
  m = m_devget(reinterpret_cast<char *>(b.data()), MCLBYTES + 50, 0, nullptr, nullptr);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(ChainCount(m), 2);
  EXPECT_FALSE(m->m_next->m_flags & M_EXT);
  EXPECT_EQ(m->m_next->m_len, 50);
  EXPECT_EQ(Flatten(m), Slice(b, 0, MCLBYTES + 50));
  m_freem(m);
}

int g_copy_calls = 0;
u_int g_copy_bytes = 0;
void XorCopy(char *from, caddr_t to, u_int len) {
  ++g_copy_calls;
  g_copy_bytes += len;
  for (u_int i = 0; i < len; ++i) to[i] = static_cast<char>(from[i] ^ 0x5A);
}

TEST_F(SemCopy, DevgetUsesCustomCopyFunction) {
  auto b = Pattern(3000);
  g_copy_calls = 0;
  g_copy_bytes = 0;
  struct mbuf *m = m_devget(reinterpret_cast<char *>(b.data()), 3000, 0, nullptr, XorCopy);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(g_copy_calls, 2);
  EXPECT_EQ(g_copy_bytes, 3000u);
  Bytes want = b;
  for (auto &c : want) c ^= 0x5A;
  EXPECT_EQ(Flatten(m), want);
  m_freem(m);
}

TEST_F(SemCopy, DevgetFailureFreesPartialChain) {
  auto b = Pattern(5000);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_devget(reinterpret_cast<char *>(b.data()), 5000, 0, nullptr, nullptr), nullptr);
    mbufnic_fault_reset();
  }
}

// ---------------------------------------------------------------------------------------------
// m_apply, m_getptr
// ---------------------------------------------------------------------------------------------

struct ApplyState {
  Bytes seen;
  int calls = 0;
  int stop_at = -1;  // return non-zero on this call (0-based)
};
int ApplyFn(void *arg, void *data, u_int len) {
  auto *st = static_cast<ApplyState *>(arg);
  const auto *p = static_cast<const uint8_t *>(data);
  st->seen.insert(st->seen.end(), p, p + len);
  return st->calls++ == st->stop_at ? 42 : 0;
}

TEST_F(SemCopy, ApplyVisitsEachPiece) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  ApplyState st;
  EXPECT_EQ(m_apply(m, 50, 200, ApplyFn, &st), 0);
  EXPECT_EQ(st.calls, 2);
  EXPECT_EQ(st.seen, Slice(b, 50, 200));
  ApplyState none;
  EXPECT_EQ(m_apply(m, 10, 0, ApplyFn, &none), 0);
  EXPECT_EQ(none.calls, 0);
  m_freem(m);
}

TEST_F(SemCopy, ApplyStopsAtFirstNonZero) {
  const auto b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 100, 100});
  ApplyState st;
  st.stop_at = 1;
  EXPECT_EQ(m_apply(m, 0, 300, ApplyFn, &st), 42);
  EXPECT_EQ(st.calls, 2);
  EXPECT_EQ(st.seen, Slice(b, 0, 200));
  m_freem(m);
}

TEST_F(SemCopy, ApplyPastEndPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(300), {100, 200});
        ApplyState st;
        m_apply(m, 200, 200, ApplyFn, &st);
      },
      "panic");
}

TEST_F(SemCopy, GetptrFindsByteAndEnd) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  int off = -1;
  EXPECT_EQ(m_getptr(m, 0, &off), m);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(m_getptr(m, 99, &off), m);
  EXPECT_EQ(off, 99);
  EXPECT_EQ(m_getptr(m, 100, &off), m->m_next);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(m_getptr(m, 250, &off), m->m_next);
  EXPECT_EQ(off, 150);
  EXPECT_EQ(m_getptr(m, 300, &off), m->m_next);  // total: last mbuf, off = m_len
  EXPECT_EQ(off, 200);
  EXPECT_EQ(m_getptr(m, 301, &off), nullptr);
  EXPECT_EQ(m_getptr(m, -1, &off), nullptr);
  m_freem(m);
}

TEST_F(SemCopy, GetptrWithTrailingEmptyMbuf) {
  struct mbuf *m = MakeChain(Pattern(100), {100, 0});
  int off = -1;
  EXPECT_EQ(m_getptr(m, 100, &off), m->m_next);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(m_getptr(m, 101, &off), nullptr);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// MEXTADD external storage, M_RDONLY, refcounts (3.1, 4.3)
// ---------------------------------------------------------------------------------------------

struct ExtState {
  int calls = 0;
  struct mbuf *last_arg = nullptr;
  void *arg2 = nullptr;
};
void ExtFree(struct mbuf *m) {
  auto *st = static_cast<ExtState *>(m->m_ext.ext_arg1);
  st->calls++;
  st->last_arg = m;
  st->arg2 = m->m_ext.ext_arg2;
  free(m->m_ext.ext_buf);
}

TEST_F(SemCopy, ExtaddSetsFieldsAndFreeCallbackRunsOnce) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(1024));
  memset(buf, 0x6B, 1024);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MEXTADD(m, buf, 1024, ExtFree, &st, reinterpret_cast<void *>(0xABC), 0, EXT_NET_DRV);
  EXPECT_TRUE(m->m_flags & M_EXT);
  EXPECT_EQ(m->m_data, buf);
  EXPECT_EQ(m->m_len, 0);  // unchanged: the caller sets it
  EXPECT_EQ(m->m_ext.ext_type, EXT_NET_DRV);
  EXPECT_EQ(m->m_ext.ext_size, 1024u);
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_TRUE(M_WRITABLE(m));
  EXPECT_EQ(M_SIZE(m), 1024);
  m->m_len = 1000;
  m->m_pkthdr.len = 1000;
  EXPECT_EQ(M_TRAILINGSPACE(m), 24);
  EXPECT_EQ(Flatten(m), Bytes(1000, 0x6B));
  m_freem(m);
  EXPECT_EQ(st.calls, 1);
  EXPECT_EQ(st.arg2, reinterpret_cast<void *>(0xABC));
}

TEST_F(SemCopy, ExtaddKeepsPkthdrAndTags) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(256));
  memset(buf, 3, 256);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  m->m_pkthdr.rcvif = FakeIfp(0x99);
  AddTag(m, 1, 1, 4, 0);
  m->m_len = 5;
  MEXTADD(m, buf, 256, ExtFree, &st, nullptr, 0, EXT_NET_DRV);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_EXT));
  EXPECT_EQ(m->m_len, 5);  // unchanged
  EXPECT_EQ(m->m_data, buf);
  EXPECT_EQ(m->m_pkthdr.rcvif, FakeIfp(0x99));
  EXPECT_NE(m_tag_locate(m, 1, 1, nullptr), nullptr);
  m->m_pkthdr.len = 5;
  EXPECT_EQ(Flatten(m), Bytes(5, 3));
  m_freem(m);
  EXPECT_EQ(st.calls, 1);
}

TEST_F(SemCopy, ExtaddFreeCallbackWaitsForLastCopy) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(2000));
  const auto b = Pattern(2000);
  memcpy(buf, b.data(), 2000);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MEXTADD(m, buf, 2000, ExtFree, &st, nullptr, 0, EXT_DISPOSABLE);
  m->m_len = m->m_pkthdr.len = 2000;
  struct mbuf *c1 = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  struct mbuf *c2 = m_copym(m, 500, 100, M_NOWAIT);
  ASSERT_NE(c1, nullptr);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(m_extrefcnt(m), 3u);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_EQ(c1->m_ext.ext_type, EXT_DISPOSABLE);
  m_freem(m);
  EXPECT_EQ(st.calls, 0);
  EXPECT_EQ(Flatten(c1), b);
  m_freem(c1);
  EXPECT_EQ(st.calls, 0);
  EXPECT_TRUE(M_WRITABLE(c2));
  EXPECT_EQ(Flatten(c2), Slice(b, 500, 100));
  m_freem(c2);
  EXPECT_EQ(st.calls, 1);  // exactly once, at the last reference
}

TEST_F(SemCopy, ExtaddThroughSplitAndDup) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(1500));
  const auto b = Pattern(1500);
  memcpy(buf, b.data(), 1500);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MEXTADD(m, buf, 1500, ExtFree, &st, nullptr, 0, EXT_MOD_TYPE);
  m->m_len = m->m_pkthdr.len = 1500;
  struct mbuf *tail = m_split(m, 700, M_NOWAIT);
  ASSERT_NE(tail, nullptr);
  struct mbuf *d = m_dup(m, M_NOWAIT);  // independent storage
  ASSERT_NE(d, nullptr);
  m_freem(m);
  EXPECT_EQ(st.calls, 0);
  m_freem(tail);
  EXPECT_EQ(st.calls, 1);
  EXPECT_EQ(Flatten(d), Slice(b, 0, 700));
  m_freem(d);
  EXPECT_EQ(st.calls, 1);
}

TEST_F(SemCopy, ExtaddRdonlyFlagMakesReadOnly) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(512));
  memset(buf, 1, 512);
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  MEXTADD(m, buf, 512, ExtFree, &st, nullptr, M_RDONLY, EXT_NET_DRV);
  m->m_len = m->m_pkthdr.len = 100;
  m->m_data += 50;
  EXPECT_TRUE(m->m_flags & M_RDONLY);
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_EQ(M_LEADINGSPACE(m), 0);
  EXPECT_EQ(M_TRAILINGSPACE(m), 0);
  EXPECT_GT(M_TRAILINGROOM(m), 0);  // ignores writability
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->m_flags & M_RDONLY);  // mb_dupcl carries M_RDONLY
  m_freem(c);
  EXPECT_FALSE(M_WRITABLE(m));  // still read-only alone
  // m_dup makes a writable copy; m_unshare would too.
  struct mbuf *d = m_dup(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(AllWritable(d));
  m_freem(d);
  m_freem(m);
  EXPECT_EQ(st.calls, 1);
}

TEST_F(SemCopy, ExtaddExtrefUsesCallersCounter) {
  ExtState st;
  char *buf = static_cast<char *>(malloc(256));
  memset(buf, 2, 256);
  volatile u_int cnt = 1;
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  MEXTADD(m, buf, 256, ExtFree, &st, nullptr, 0, EXT_EXTREF);
  m->m_ext.ext_cnt = &cnt;
  m->m_len = 256;
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_TRUE(M_WRITABLE(m));
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(cnt, 2u);
  EXPECT_FALSE(M_WRITABLE(m));
  m_freem(m);
  EXPECT_EQ(st.calls, 0);
  EXPECT_EQ(cnt, 1u);
  EXPECT_EQ(Flatten(c), Bytes(256, 2));
  m_freem(c);
  EXPECT_EQ(st.calls, 1);
}

TEST_F(SemCopy, ExtaddClusterTypePanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        static char buf[64];
        struct mbuf *m = m_get(M_WAITOK, MT_DATA);
        MEXTADD(m, buf, sizeof(buf), ExtFree, nullptr, nullptr, 0, EXT_CLUSTER);
      },
      "panic");
}

TEST_F(SemCopy, ClusterRefcountThroughCopym) {
  const auto b = Pattern(1000);
  for (Storage s : {Storage::kCluster, Storage::kPacket}) {
    struct mbuf *m = MakeChain(b, {1000}, true, s);
    EXPECT_EQ(m_extrefcnt(m), 1u);
    EXPECT_TRUE(M_WRITABLE(m));
    EXPECT_GT(M_TRAILINGSPACE(m), 0);
    struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(m_extrefcnt(m), 2u);
    EXPECT_EQ(m_extrefcnt(c), 2u);
    EXPECT_FALSE(M_WRITABLE(m));
    EXPECT_FALSE(M_WRITABLE(c));
    EXPECT_EQ(M_TRAILINGSPACE(m), 0);
    EXPECT_EQ(M_LEADINGSPACE(m), 0);
    m_freem(c);
    EXPECT_EQ(m_extrefcnt(m), 1u);
    EXPECT_TRUE(M_WRITABLE(m));
    EXPECT_GT(M_TRAILINGSPACE(m), 0);
    m_freem(m);
  }
}

TEST_F(SemCopy, RefcountHolderTagsLiveUntilLastReference) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = MakeChain(Pattern(1000), {1000}, true, Storage::kCluster);
  AddTag(m, 8, 8, 4, 0);
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_freem(m);  // mref stays allocated while c shares its cluster
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_freem(c);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
}

}  // namespace
}  // namespace mbufnic::test
