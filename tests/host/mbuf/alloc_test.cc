// The allocation API one call at a time, at the edges mbuf-semantics.md 3.1, 3.2 and 4.3 list
// (zone_alloc_test covers the common paths): initialisation on reuse, MT_NOINIT, each m_get2 /
// m_get3 / m_getm2 size class, MCLGET on a packet header, bare clusters, MEXTADD / MEXTFREE on
// every kind of storage, reference counts kept by the first mbuf attached, and panics.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <climits>
#include <cstring>
#include <ostream>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

// The allocator's FreeBSD mb_dupcl(), used by m_copym, m_copypacket and m_split; declared here
// rather than through the library's private header, to test it directly.
namespace mbufnic::internal {
void mb_dupcl(struct mbuf *n, struct mbuf *m);
}

namespace mbufnic::test {
namespace {

using mbufnic::internal::mb_dupcl;

uint64_t Used(mbufnic_zone_id z) {
  mbufnic_zone_stats st{};
  EXPECT_EQ(mbufnic_zone_get_stats(z, &st), 0);
  return st.used;
}
uint64_t Failures(mbufnic_zone_id z) {
  mbufnic_zone_stats st{};
  EXPECT_EQ(mbufnic_zone_get_stats(z, &st), 0);
  return st.failures;
}

// Storage kind of one mbuf: 0 for internal data, else its ext_type.
int Kind(const struct mbuf *m) { return (m->m_flags & M_EXT) ? m->m_ext.ext_type : 0; }

struct Piece {
  int kind, size;
  bool operator==(const Piece &) const = default;
};
std::vector<Piece> Pieces(const struct mbuf *m) {
  std::vector<Piece> v;
  for (; m != nullptr; m = m->m_next) v.push_back({Kind(m), M_SIZE(m)});
  return v;
}
void PrintTo(const Piece &p, std::ostream *os) { *os << "{" << p.kind << "," << p.size << "}"; }

// Callback for caller-supplied storage: counts calls and remembers what it was given.
int g_free_calls = 0;
struct mbuf *g_freed_by = nullptr;
void CountFree(struct mbuf *m) {
  ++g_free_calls;
  g_freed_by = m;
}

class AllocTest : public ::testing::Test {
 protected:
  void SetUp() override { g_free_calls = 0; }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

// A mbuf that lives outside every zone, as drivers embed them in their own buffers (M_NOFREE).
struct alignas(MSIZE) EmbeddedMbuf {
  struct mbuf m;
};

TEST_F(AllocTest, ReusedMbufsAreInitialisedAgain) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  ASSERT_NE(m, nullptr);
  m->m_len = 99;
  m->m_flags |= M_BCAST | M_EOR;
  m->m_pkthdr.len = 1234;
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP;
  m->m_pkthdr.flowid = 7;
  m->m_data += 10;
  m_free(m);
  // The thread cache gives the most recently freed item back first.
  struct mbuf *again = m_gethdr(M_NOWAIT, MT_DATA);
  ASSERT_EQ(again, m);
  EXPECT_EQ(again->m_len, 0);
  EXPECT_EQ(again->m_flags, static_cast<uint32_t>(M_PKTHDR));
  EXPECT_EQ(again->m_data, again->m_pktdat);
  EXPECT_EQ(again->m_pkthdr.len, 0);
  EXPECT_EQ(again->m_pkthdr.csum_flags, 0u);
  EXPECT_EQ(again->m_pkthdr.flowid, 0u);
  m_free(again);

  struct mbuf *c = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  ASSERT_NE(c, nullptr);
  c->m_len = c->m_pkthdr.len = 500;
  c->m_data += 100;
  c->m_flags |= M_MCAST;
  m_freem(c);
  struct mbuf *c2 = m_getcl(M_NOWAIT, MT_OOBDATA, 0);
  ASSERT_EQ(c2, c);
  EXPECT_EQ(c2->m_flags, static_cast<uint32_t>(M_EXT));
  EXPECT_EQ(c2->m_type, MT_OOBDATA);
  EXPECT_EQ(c2->m_len, 0);
  EXPECT_EQ(c2->m_data, c2->m_ext.ext_buf);
  EXPECT_EQ(M_SIZE(c2), MCLBYTES);
  EXPECT_EQ(m_extrefcnt(c2), 1u);
  m_freem(c2);
}

TEST_F(AllocTest, MtNoinitSkipsInitialisation) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  ASSERT_NE(m, nullptr);
  m->m_len = 77;
  m_free(m);
  struct mbuf *raw = m_gethdr(M_NOWAIT, MT_NOINIT);
  ASSERT_EQ(raw, m);
  EXPECT_EQ(raw->m_len, 77);  // untouched: the caller initialises
  ASSERT_EQ(m_init(raw, M_NOWAIT, MT_DATA, M_PKTHDR), 0);
  EXPECT_EQ(raw->m_len, 0);
  EXPECT_EQ(raw->m_data, raw->m_pktdat);
  EXPECT_EQ(M_SIZE(raw), MHLEN);
  m_free(raw);
}

TEST_F(AllocTest, MInitAndMPkthdrInitOnAnyMemory) {
  EmbeddedMbuf e;
  std::memset(&e, 0xa5, sizeof e);
  ASSERT_EQ(m_init(&e.m, M_NOWAIT, MT_CONTROL, 0), 0);
  EXPECT_EQ(e.m.m_next, nullptr);
  EXPECT_EQ(e.m.m_nextpkt, nullptr);
  EXPECT_EQ(e.m.m_data, e.m.m_dat);
  EXPECT_EQ(e.m.m_len, 0);
  EXPECT_EQ(e.m.m_flags, 0u);
  EXPECT_EQ(e.m.m_type, MT_CONTROL);
  std::memset(&e.m.m_pkthdr, 0x5a, sizeof e.m.m_pkthdr);
  ASSERT_EQ(m_pkthdr_init(&e.m, M_NOWAIT), 0);
  EXPECT_EQ(e.m.m_data, e.m.m_pktdat);
  EXPECT_EQ(e.m.m_pkthdr.len, 0);
  EXPECT_EQ(e.m.m_pkthdr.rcvif, nullptr);
  EXPECT_TRUE(SLIST_EMPTY(&e.m.m_pkthdr.tags));
  EXPECT_EQ(e.m.m_pkthdr.csum_data, 0u);
}

TEST_F(AllocTest, MGetclCountsInThePacketZoneOnly) {
  const uint64_t mb = Used(MBUFNIC_ZONE_MBUF), cl = Used(MBUFNIC_ZONE_CLUSTER),
                 pk = Used(MBUFNIC_ZONE_PACKET);
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, 0);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(M_SIZE(m), MCLBYTES);
  EXPECT_EQ(Used(MBUFNIC_ZONE_PACKET), pk + 1);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl);
  m_freem(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_PACKET), pk);
}

TEST_F(AllocTest, MGetjclTakesAnMbufAndAClusterOfTheSize) {
  const struct {
    int size, type;
    mbufnic_zone_id zone;
  } cases[] = {{MJUMPAGESIZE, EXT_JUMBOP, MBUFNIC_ZONE_JUMBOP},
               {MJUM9BYTES, EXT_JUMBO9, MBUFNIC_ZONE_JUMBO9},
               {MJUM16BYTES, EXT_JUMBO16, MBUFNIC_ZONE_JUMBO16}};
  for (const auto &c : cases) {
    const uint64_t mb = Used(MBUFNIC_ZONE_MBUF), jz = Used(c.zone);
    struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, c.size);
    ASSERT_NE(m, nullptr) << c.size;
    EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_EXT));
    EXPECT_EQ(static_cast<int>(m->m_ext.ext_type), c.type);
    EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(c.size));
    EXPECT_EQ(m->m_data, m->m_ext.ext_buf);
    EXPECT_EQ(m->m_pkthdr.len, 0);
    EXPECT_EQ(m_extrefcnt(m), 1u);
    EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb + 1);
    EXPECT_EQ(Used(c.zone), jz + 1);
    m_freem(m);
    EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb);
    EXPECT_EQ(Used(c.zone), jz);
  }
}

TEST_F(AllocTest, MGetjclClusterFailureFreesTheMbufAndCountsInTheClusterZone) {
  const uint64_t mb_fail = Failures(MBUFNIC_ZONE_MBUF), j_fail = Failures(MBUFNIC_ZONE_JUMBOP);
  mbufnic_fault_fail_nth(2);  // the mbuf is the first allocation, the cluster the second
  EXPECT_EQ(m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, MJUMPAGESIZE), nullptr);
  EXPECT_EQ(Failures(MBUFNIC_ZONE_MBUF), mb_fail);
  EXPECT_EQ(Failures(MBUFNIC_ZONE_JUMBOP), j_fail + 1);
  // LeakCheck proves the mbuf went back.
}

TEST_F(AllocTest, MGet2SizeClasses) {
  const struct {
    int size, flags, kind, m_size;
  } cases[] = {
      {INT_MIN, M_PKTHDR, 0, MHLEN},  // negative counts as small
      {-1, 0, 0, MLEN},
      {MHLEN, M_PKTHDR, 0, MHLEN},
      {MHLEN + 1, M_PKTHDR, EXT_PACKET, MCLBYTES},
      {MHLEN + 1, 0, 0, MLEN},  // without a packet header MLEN still fits
      {MLEN + 1, 0, EXT_PACKET, MCLBYTES},
      {MCLBYTES, M_PKTHDR, EXT_PACKET, MCLBYTES},
      {MCLBYTES + 1, 0, EXT_JUMBOP, MJUMPAGESIZE},
      {MJUMPAGESIZE, M_PKTHDR, EXT_JUMBOP, MJUMPAGESIZE},
  };
  for (const auto &c : cases) {
    struct mbuf *m = m_get2(c.size, M_NOWAIT, MT_DATA, c.flags);
    ASSERT_NE(m, nullptr) << c.size;
    EXPECT_EQ(Kind(m), c.kind) << c.size;
    EXPECT_EQ(M_SIZE(m), c.m_size) << c.size;
    EXPECT_EQ(m->m_flags & M_PKTHDR, c.flags) << c.size;
    EXPECT_EQ(m->m_len, 0);
    m_freem(m);
  }
  for (int how : {M_NOWAIT, M_WAITOK}) {
    EXPECT_EQ(m_get2(MJUMPAGESIZE + 1, how, MT_DATA, 0), nullptr);
    EXPECT_EQ(m_get2(INT_MAX, how, MT_DATA, M_PKTHDR), nullptr);
  }
}

TEST_F(AllocTest, MGet3SizeClasses) {
  const struct {
    int size, kind;
  } cases[] = {{MHLEN, 0},
               {MCLBYTES, EXT_PACKET},
               {MJUMPAGESIZE, EXT_JUMBOP},
               {MJUMPAGESIZE + 1, EXT_JUMBO9},
               {MJUM9BYTES, EXT_JUMBO9},
               {MJUM9BYTES + 1, EXT_JUMBO16},
               {MJUM16BYTES, EXT_JUMBO16}};
  for (const auto &c : cases) {
    struct mbuf *m = m_get3(c.size, M_NOWAIT, MT_DATA, M_PKTHDR);
    ASSERT_NE(m, nullptr) << c.size;
    EXPECT_EQ(Kind(m), c.kind) << c.size;
    EXPECT_GE(M_SIZE(m), c.size);
    EXPECT_TRUE(m->m_flags & M_PKTHDR);
    m_freem(m);
  }
  EXPECT_EQ(m_get3(MJUM16BYTES + 1, M_WAITOK, MT_DATA, 0), nullptr);
}

TEST_F(AllocTest, MGetm2ChoosesStorageByWhatRemains) {
  const struct {
    int len;
    std::vector<Piece> pieces;
  } cases[] = {
      {1, {{0, MHLEN}}},
      {MHLEN, {{0, MHLEN}}},
      {MINCLSIZE, {{EXT_PACKET, MCLBYTES}}},
      {MCLBYTES, {{EXT_PACKET, MCLBYTES}}},
      {MCLBYTES + 1, {{EXT_JUMBOP, MJUMPAGESIZE}}},
      // 904 bytes remain after a page: a 2k cluster; 100 remain: an mbuf (without a header).
      {MJUMPAGESIZE + 904, {{EXT_JUMBOP, MJUMPAGESIZE}, {EXT_PACKET, MCLBYTES}}},
      {MJUMPAGESIZE + 100, {{EXT_JUMBOP, MJUMPAGESIZE}, {0, MLEN}}},
      {2 * MJUMPAGESIZE + MCLBYTES,
       {{EXT_JUMBOP, MJUMPAGESIZE}, {EXT_JUMBOP, MJUMPAGESIZE}, {EXT_PACKET, MCLBYTES}}},
  };
  for (const auto &c : cases) {
    struct mbuf *m = m_getm2(nullptr, c.len, M_NOWAIT, MT_DATA, M_PKTHDR);
    ASSERT_NE(m, nullptr) << c.len;
    EXPECT_EQ(Pieces(m), c.pieces) << c.len;
    EXPECT_TRUE(m->m_flags & M_PKTHDR);
    EXPECT_EQ(m->m_pkthdr.len, 0);  // storage only: lengths are the caller's
    for (struct mbuf *n = m; n; n = n->m_next) EXPECT_EQ(n->m_len, 0);
    m_freem(m);
  }
}

TEST_F(AllocTest, MGetm2KeepsOnlyPkthdrAndEor) {
  struct mbuf *m = m_getm2(nullptr, MJUMPAGESIZE + 500, M_NOWAIT, MT_DATA,
                           M_PKTHDR | M_EOR | M_BCAST | M_RDONLY);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m->m_next, nullptr);
  EXPECT_EQ(m->m_flags & ~M_EXT, M_PKTHDR);
  struct mbuf *last = m->m_next;
  EXPECT_EQ(last->m_next, nullptr);
  EXPECT_EQ(last->m_flags & ~M_EXT, M_EOR);
  m_freem(m);
  // Nothing to allocate: no chain, and a caller's chain comes back as it was.
  EXPECT_EQ(m_getm2(nullptr, 0, M_NOWAIT, MT_DATA, M_PKTHDR), nullptr);
  struct mbuf *h = m_gethdr(M_NOWAIT, MT_DATA);
  EXPECT_EQ(m_getm2(h, 0, M_NOWAIT, MT_DATA, 0), h);
  EXPECT_EQ(h->m_next, nullptr);
  m_freem(h);
}

TEST_F(AllocTest, MGetm2PageAttemptNeverWaitsSoWaitokFallsBackTo2k) {
  mbufnic_fault_set_alloc_failure_ppm(1000000);  // every M_NOWAIT allocation fails
  struct mbuf *m = m_getm2(nullptr, 9000, M_WAITOK, MT_DATA, M_PKTHDR);
  ASSERT_NE(m, nullptr);
  const std::vector<Piece> five(5, Piece{EXT_PACKET, MCLBYTES});
  EXPECT_EQ(Pieces(m), five);
  mbufnic_fault_reset();
  m_freem(m);
}

TEST_F(AllocTest, MGetm2FailureLeavesTheCallersChainAsItWas) {
  const auto bytes = Pattern(300);
  struct mbuf *m = MakeChain(bytes, {100, 200}, true, Storage::kInternal);
  // A page jumbo, then a 2k cluster: a failed page attempt falls back to a 2k cluster, a failed
  // 2k cluster fails the call.
  m->m_next->m_flags |= M_EOR;
  int failures = 0;
  for (uint64_t n = 1;; ++n) {
    mbufnic_fault_fail_nth(n);
    struct mbuf *r = m_getm2(m, MJUMPAGESIZE + MCLBYTES - 100, M_NOWAIT, MT_DATA, M_EOR);
    const uint64_t made = mbufnic_fault_alloc_count();
    mbufnic_fault_reset();
    if (r == nullptr) {
      ++failures;
      EXPECT_EQ(ChainCount(m), 2) << n;
      EXPECT_TRUE(m->m_next->m_flags & M_EOR) << n;
      EXPECT_EQ(Flatten(m), bytes) << n;
    } else {
      struct mbuf *last = nullptr;
      m_length(m, &last);
      EXPECT_FALSE(m->m_next->m_flags & M_EOR);  // moved to the new tail
      EXPECT_TRUE(last->m_flags & M_EOR);
      m_freem(m->m_next->m_next);
      m->m_next->m_next = nullptr;
      m->m_next->m_flags |= M_EOR;
    }
    if (made < n) break;  // every allocation point has failed once
  }
  EXPECT_GE(failures, 1);
  m_freem(m);
}

TEST_F(AllocTest, MClgetKeepsThePacketHeader) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  m->m_pkthdr.len = 5;
  m->m_pkthdr.csum_flags = CSUM_IP;
  const uint64_t cl = Used(MBUFNIC_ZONE_CLUSTER);
  ASSERT_EQ(MCLGET(m, M_NOWAIT), M_EXT);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_EXT));
  EXPECT_EQ(m->m_pkthdr.len, 5);
  EXPECT_EQ(m->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP));
  EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(EXT_CLUSTER));
  EXPECT_EQ(m->m_ext.ext_flags, static_cast<uint32_t>(EXT_FLAG_EMBREF));
  EXPECT_EQ(m->m_data, m->m_ext.ext_buf);
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl + 1);
  m_freem(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl);
}

TEST_F(AllocTest, MClgetFailureKeepsTheMbufAndItsData) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  std::memcpy(mtod(m, char *), "abc", 3);
  m->m_len = 3;
  const uint64_t fail = Failures(MBUFNIC_ZONE_CLUSTER);
  // m_clget retries a failed M_NOWAIT allocation once, as FreeBSD does: fail both attempts.
  mbufnic_fault_set_alloc_failure_ppm(1000000);
  EXPECT_EQ(m_clget(m, M_NOWAIT), 0);
  mbufnic_fault_set_alloc_failure_ppm(0);
  EXPECT_EQ(m->m_flags, 0u);
  EXPECT_EQ(m->m_len, 3);
  EXPECT_EQ(std::memcmp(mtod(m, char *), "abc", 3), 0);
  EXPECT_EQ(Failures(MBUFNIC_ZONE_CLUSTER), fail + 2);
  // One transient failure is absorbed by the retry.
  mbufnic_fault_fail_nth(1);
  EXPECT_NE(m_clget(m, M_NOWAIT), 0);
  m_free(m);
}

TEST_F(AllocTest, BareClustersAndMCljset) {
  const struct {
    int size, type;
    mbufnic_zone_id zone;
  } cases[] = {{MCLBYTES, EXT_CLUSTER, MBUFNIC_ZONE_CLUSTER},
               {MJUMPAGESIZE, EXT_JUMBOP, MBUFNIC_ZONE_JUMBOP},
               {MJUM9BYTES, EXT_JUMBO9, MBUFNIC_ZONE_JUMBO9},
               {MJUM16BYTES, EXT_JUMBO16, MBUFNIC_ZONE_JUMBO16}};
  for (const auto &c : cases) {
    const uint64_t before = Used(c.zone);
    void *cl = m_cljget(nullptr, M_NOWAIT, c.size);
    ASSERT_NE(cl, nullptr) << c.size;
    EXPECT_TRUE(mbufnic_in_arena(cl, c.size));
    EXPECT_EQ(Used(c.zone), before + 1);
    struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
    m_cljset(m, cl, c.type);
    EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_EXT));
    EXPECT_EQ(static_cast<int>(m->m_ext.ext_type), c.type);
    EXPECT_EQ(M_SIZE(m), c.size);
    EXPECT_EQ(m->m_data, cl);
    EXPECT_EQ(m_extrefcnt(m), 1u);
    m_freem(m);
    EXPECT_EQ(Used(c.zone), before);
    // With an mbuf, m_cljget attaches the cluster and returns it.
    m = m_gethdr(M_NOWAIT, MT_DATA);
    void *attached = m_cljget(m, M_NOWAIT, c.size);
    ASSERT_NE(attached, nullptr);
    EXPECT_EQ(m->m_ext.ext_buf, attached);
    EXPECT_EQ(static_cast<int>(m->m_ext.ext_type), c.type);
    EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_EXT));
    m_freem(m);
  }
}

TEST_F(AllocTest, MGettypeMapsEverySize) {
  EXPECT_EQ(m_gettype(MSIZE), EXT_MBUF);
  EXPECT_EQ(m_gettype(MCLBYTES), EXT_CLUSTER);
  EXPECT_EQ(m_gettype(MJUMPAGESIZE), EXT_JUMBOP);
  EXPECT_EQ(m_gettype(MJUM9BYTES), EXT_JUMBO9);
  EXPECT_EQ(m_gettype(MJUM16BYTES), EXT_JUMBO16);
}

TEST_F(AllocTest, MExtaddLeavesTheLengthAndTakesTheFlags) {
  static char buf[300];
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  m->m_len = 5;
  int arg1 = 0, arg2 = 0;
  MEXTADD(m, buf, sizeof buf, CountFree, &arg1, &arg2, M_RDONLY | M_PROTO1, EXT_DISPOSABLE);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_EXT | M_RDONLY | M_PROTO1));
  EXPECT_EQ(m->m_len, 5);
  EXPECT_EQ(m->m_data, buf);
  EXPECT_EQ(m->m_ext.ext_buf, buf);
  EXPECT_EQ(m->m_ext.ext_size, sizeof buf);
  EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(EXT_DISPOSABLE));
  EXPECT_EQ(m->m_ext.ext_flags, static_cast<uint32_t>(EXT_FLAG_EMBREF));
  EXPECT_EQ(m->m_ext.ext_count, 1u);
  EXPECT_EQ(m->m_ext.ext_arg1, &arg1);
  EXPECT_EQ(m->m_ext.ext_arg2, &arg2);
  EXPECT_FALSE(M_WRITABLE(m));  // M_RDONLY through the flags
  EXPECT_EQ(M_TRAILINGSPACE(m), 0);
  EXPECT_FALSE(mbufnic_in_arena(mtod(m, void *), 1));  // the caller's memory, not DMA memory
  m_free(m);
  EXPECT_EQ(g_free_calls, 1);
  EXPECT_EQ(g_freed_by, m);  // called with the mbuf that held the count
}

TEST_F(AllocTest, MExtaddFreeRunsOnceWhicheverReferenceGoesLast) {
  static char buf[256];
  for (int owner_last = 0; owner_last < 2; ++owner_last) {
    g_free_calls = 0;
    struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
    MEXTADD(m, buf, sizeof buf, CountFree, nullptr, nullptr, 0, EXT_NET_DRV);
    m->m_len = m->m_pkthdr.len = 200;
    struct mbuf *c1 = m_copym(m, 0, M_COPYALL, M_NOWAIT);
    struct mbuf *c2 = m_copym(c1, 50, 100, M_NOWAIT);
    ASSERT_NE(c1, nullptr);
    ASSERT_NE(c2, nullptr);
    EXPECT_EQ(m_extrefcnt(m), 3u);
    EXPECT_EQ(mtod(c2, char *), buf + 50);
    if (owner_last) {
      m_freem(c2);
      m_freem(c1);
      EXPECT_EQ(g_free_calls, 0);
      EXPECT_TRUE(M_WRITABLE(m));  // sole owner again
      m_freem(m);
    } else {
      m_freem(m);
      m_freem(c1);
      EXPECT_EQ(g_free_calls, 0);
      m_freem(c2);
    }
    EXPECT_EQ(g_free_calls, 1) << owner_last;
    EXPECT_EQ(g_freed_by, m);
  }
}

TEST_F(AllocTest, MbDupclSharesTheCountOfTheFirstMbuf) {
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  std::memcpy(mtod(m, char *), "shared", 6);
  m->m_len = 6;
  m->m_flags |= M_RDONLY;
  struct mbuf *n1 = m_get(M_NOWAIT, MT_DATA);
  mb_dupcl(n1, m);
  EXPECT_TRUE(n1->m_flags & M_EXT);
  EXPECT_TRUE(n1->m_flags & M_RDONLY);
  EXPECT_FALSE(n1->m_ext.ext_flags & EXT_FLAG_EMBREF);
  EXPECT_EQ(n1->m_ext.ext_cnt, &m->m_ext.ext_count);
  EXPECT_EQ(n1->m_ext.ext_buf, m->m_ext.ext_buf);
  EXPECT_EQ(n1->m_ext.ext_type, static_cast<uint32_t>(EXT_PACKET));
  EXPECT_EQ(m->m_ext.ext_count, 2u);
  // A copy of a copy points at the same count.
  struct mbuf *n2 = m_get(M_NOWAIT, MT_DATA);
  mb_dupcl(n2, n1);
  EXPECT_EQ(n2->m_ext.ext_cnt, &m->m_ext.ext_count);
  EXPECT_EQ(m_extrefcnt(m), 3u);
  EXPECT_EQ(m_extrefcnt(n2), 3u);
  n2->m_data = n2->m_ext.ext_buf;
  n2->m_len = 6;
  // The first mbuf goes: it stays allocated, because the count lives in it.
  const uint64_t pk = Used(MBUFNIC_ZONE_PACKET), mb = Used(MBUFNIC_ZONE_MBUF);
  m_free(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_PACKET), pk);
  EXPECT_EQ(m_extrefcnt(n2), 2u);
  EXPECT_EQ(std::memcmp(mtod(n2, char *), "shared", 6), 0);
  m_free(n1);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb - 1);
  EXPECT_EQ(m_extrefcnt(n2), 1u);
  m_free(n2);  // the last reference: the pair and the copy both go back
  EXPECT_EQ(Used(MBUFNIC_ZONE_PACKET), pk - 1);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb - 2);
}

TEST_F(AllocTest, ClusterOwnerStaysAllocatedUntilTheLastCopy) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  ASSERT_NE(MCLGET(m, M_NOWAIT), 0);
  m->m_len = 100;
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  const uint64_t mb = Used(MBUFNIC_ZONE_MBUF), cl = Used(MBUFNIC_ZONE_CLUSTER);
  m_free(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl);
  EXPECT_TRUE(M_WRITABLE(c));  // the only reference left
  m_free(c);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb - 2);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl - 1);
}

TEST_F(AllocTest, APacketPairReturnsWithItsCountReset) {
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  m->m_len = m->m_pkthdr.len = 10;
  struct mbuf *c = m_copypacket(m, M_NOWAIT);
  m_freem(m);
  m_freem(c);
  struct mbuf *again = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  ASSERT_EQ(again, m);  // the same pair, from this thread's cache
  EXPECT_EQ(again->m_ext.ext_flags, static_cast<uint32_t>(EXT_FLAG_EMBREF));
  EXPECT_EQ(m_extrefcnt(again), 1u);
  EXPECT_TRUE(M_WRITABLE(again));
  m_freem(again);
}

TEST_F(AllocTest, TagsOfARetainedOwnerGoWithTheStorage) {
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  struct m_tag *t = m_tag_get(1, 16, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  m_tag_prepend(m, t);
  const uint64_t tags = mbufnic_tags_in_use();
  struct mbuf *n = m_get(M_NOWAIT, MT_DATA);
  mb_dupcl(n, m);
  m_free(m);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);  // m is kept, with its tags, for n's sake
  m_free(n);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 1);
}

TEST_F(AllocTest, MFreeDeletesThePacketHeadersTags) {
  for (bool cluster : {false, true}) {
    struct mbuf *m = cluster ? m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR) : m_gethdr(M_NOWAIT, MT_DATA);
    const uint64_t tags = mbufnic_tags_in_use();
    m_tag_prepend(m, m_tag_get(1, 8, M_NOWAIT));
    m_tag_prepend(m, m_tag_get(2, 100, M_NOWAIT));
    EXPECT_EQ(mbufnic_tags_in_use(), tags + 2);
    EXPECT_EQ(m_free(m), nullptr);
    EXPECT_EQ(mbufnic_tags_in_use(), tags);
  }
}

TEST_F(AllocTest, MFreemFollowsMNextOnly) {
  struct mbuf *a = m_gethdr(M_NOWAIT, MT_DATA), *b = m_getcl(M_NOWAIT, MT_DATA, 0);
  struct mbuf *p = m_gethdr(M_NOWAIT, MT_DATA);
  a->m_next = b;
  a->m_nextpkt = p;
  const uint64_t mb = Used(MBUFNIC_ZONE_MBUF);
  m_freem(a);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb - 1);  // a went; p did not
  p->m_len = 1;                                // still ours
  m_freem(p);
}

TEST_F(AllocTest, ExtrefUsesTheCallersCounterAndEveryCopyMayFree) {
  static char buf[128];
  static volatile u_int counter;
  EmbeddedMbuf e;  // the mbuf lives in the caller's memory: M_NOFREE
  ASSERT_EQ(m_init(&e.m, M_NOWAIT, MT_DATA, M_NOFREE), 0);
  counter = 1;
  e.m.m_ext.ext_cnt = &counter;
  MEXTADD(&e.m, buf, sizeof buf, CountFree, buf, nullptr, 0, EXT_EXTREF);
  EXPECT_EQ(e.m.m_ext.ext_flags, 0u);
  EXPECT_EQ(e.m.m_ext.ext_cnt, &counter);
  EXPECT_EQ(m_extrefcnt(&e.m), 1u);
  struct mbuf *c = m_get(M_NOWAIT, MT_DATA);
  mb_dupcl(c, &e.m);
  EXPECT_EQ(counter, 2u);
  EXPECT_EQ(c->m_ext.ext_free, CountFree);  // EXTREF copies carry the whole descriptor
  EXPECT_EQ(c->m_ext.ext_arg1, buf);
  EXPECT_EQ(m_free(&e.m), nullptr);  // drops a reference; the embedded mbuf is not freed
  EXPECT_EQ(counter, 1u);
  EXPECT_EQ(g_free_calls, 0);
  m_free(c);
  EXPECT_EQ(g_free_calls, 1);
  EXPECT_EQ(g_freed_by, c);  // the last reference frees, with its own mbuf
}

TEST_F(AllocTest, RxringStorageFreesNothing) {
  static char ring[512];
  EmbeddedMbuf e;
  ASSERT_EQ(m_init(&e.m, M_NOWAIT, MT_DATA, M_NOFREE | M_PKTHDR), 0);
  MEXTADD(&e.m, ring, sizeof ring, nullptr, nullptr, nullptr, 0, EXT_RXRING);
  e.m.m_len = e.m.m_pkthdr.len = 64;
  struct mbuf *c = m_copypacket(&e.m, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(m_extrefcnt(&e.m), 2u);
  m_freem(c);  // the copy itself goes back to its zone (LeakCheck)
  EXPECT_EQ(m_extrefcnt(&e.m), 1u);
  EXPECT_EQ(m_free(&e.m), nullptr);  // nothing to free: the ring and the mbuf are the driver's
  EXPECT_EQ(g_free_calls, 0);
}

TEST_F(AllocTest, MExtfreeReleasesEveryKindOfStorage) {
  // A cluster: back to its zone, and the mbuf becomes a plain one.
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  MCLGET(m, M_NOWAIT);
  uint64_t cl = Used(MBUFNIC_ZONE_CLUSTER);
  MEXTFREE(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl - 1);
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_EQ(m->m_data, m->m_dat);
  EXPECT_EQ(M_SIZE(m), MLEN);
  m_free(m);
  // A jumbo cluster on a packet header.
  m = m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, MJUM9BYTES);
  const uint64_t j9 = Used(MBUFNIC_ZONE_JUMBO9);
  MEXTFREE(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_JUMBO9), j9 - 1);
  EXPECT_EQ(m->m_data, m->m_pktdat);
  EXPECT_EQ(M_SIZE(m), MHLEN);
  m_free(m);
  // A packet-zone pair leaves the packet zone: the mbuf is now an ordinary one.
  m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  const uint64_t pk = Used(MBUFNIC_ZONE_PACKET), mb = Used(MBUFNIC_ZONE_MBUF);
  cl = Used(MBUFNIC_ZONE_CLUSTER);
  MEXTFREE(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_PACKET), pk - 1);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb + 1);
  EXPECT_EQ(Used(MBUFNIC_ZONE_CLUSTER), cl);
  m_free(m);
  EXPECT_EQ(Used(MBUFNIC_ZONE_MBUF), mb);
  // Caller storage: its free routine, once.
  static char buf[64];
  m = m_get(M_NOWAIT, MT_DATA);
  MEXTADD(m, buf, sizeof buf, CountFree, nullptr, nullptr, 0, EXT_MOD_TYPE);
  MEXTFREE(m);
  EXPECT_EQ(g_free_calls, 1);
  EXPECT_FALSE(m->m_flags & M_EXT);
  m_free(m);
  EXPECT_EQ(g_free_calls, 1);
}

TEST_F(AllocTest, KernelGlobals) {
  EXPECT_EQ(max_linkhdr, 16);
  EXPECT_EQ(max_protohdr, 40);
  EXPECT_EQ(max_hdr, max_linkhdr + max_protohdr);
  EXPECT_EQ(max_datalen, MHLEN - max_hdr);
}

using AllocDeathTest = AllocTest;

TEST_F(AllocDeathTest, BadSizesAndTypesPanic) {
  EXPECT_DEATH(m_gettype(1000), "panic: .*invalid cluster size 1000");
  EXPECT_DEATH(m_cljget(nullptr, M_NOWAIT, 4000), "panic: .*invalid cluster size 4000");
  EXPECT_DEATH(m_getjcl(M_WAITOK, MT_DATA, 0, MSIZE), "panic: .*invalid cluster size 256");
  EXPECT_DEATH(
      {
        struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
        m_cljset(m, nullptr, EXT_PACKET);
      },
      "panic: .*cluster type");
}

TEST_F(AllocDeathTest, MClgetOnAnMbufWithStoragePanics) {
  EXPECT_DEATH(
      {
        struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, 0);
        m_clget(m, M_NOWAIT);
      },
      "panic: .*M_EXT");
}

TEST_F(AllocDeathTest, PanicPrintsItsMessageAndAborts) {
  EXPECT_DEATH(panic("ring %d stuck", 3), "^panic: ring 3 stuck");
  EXPECT_EXIT(panic("x"), ::testing::KilledBySignal(SIGABRT), "panic: x");
}

}  // namespace
}  // namespace mbufnic::test
