// Allocation, freeing, external storage and the zones behind them: sizes, placement, reference
// counts, limits, statistics, bus addresses and fault injection, as FreeBSD documents them.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

mbufnic_zone_stats Stats(mbufnic_zone_id z) {
  mbufnic_zone_stats st{};
  EXPECT_EQ(mbufnic_zone_get_stats(z, &st), 0);
  return st;
}

class ZoneTest : public ::testing::Test {
 protected:
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

TEST_F(ZoneTest, LayoutConstants) {
  EXPECT_EQ(MSIZE, 256);
  EXPECT_EQ(MLEN, 224);
  EXPECT_EQ(MHLEN, 160);
  EXPECT_EQ(MINCLSIZE, MHLEN + 1);
  EXPECT_EQ(MCLBYTES, 2048);
  EXPECT_EQ(MJUMPAGESIZE, 4096);
  EXPECT_EQ(MJUM9BYTES, 9216);
  EXPECT_EQ(MJUM16BYTES, 16384);
  EXPECT_EQ(sizeof(struct mbuf), 256u);
  EXPECT_EQ(offsetof(struct mbuf, m_pkthdr), 32u);
  EXPECT_EQ(offsetof(struct mbuf, m_ext), 96u);
  // Old and new names of the man pages.
  EXPECT_EQ(M_WAIT, M_WAITOK);
  EXPECT_EQ(M_DONTWAIT, M_NOWAIT);
  EXPECT_EQ(CSUM_IP_CHECKED, CSUM_L3_CALC);
  EXPECT_EQ(CSUM_DATA_VALID, CSUM_L4_VALID);
  EXPECT_EQ(CSUM_PSEUDO_HDR, CSUM_L4_CALC);
  EXPECT_EQ(CSUM_TSO, CSUM_IP_TSO | CSUM_IP6_TSO);
  EXPECT_EQ(CSUM_TCP, CSUM_IP_TCP);
  EXPECT_EQ(EXT_EXTREF, 255);
}

TEST_F(ZoneTest, MGetAndMGethdrInitialise) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->m_data, m->m_dat);
  EXPECT_EQ(m->m_len, 0);
  EXPECT_EQ(m->m_flags, 0u);
  EXPECT_EQ(m->m_type, MT_DATA);
  EXPECT_EQ(m->m_next, nullptr);
  EXPECT_EQ(m->m_nextpkt, nullptr);
  EXPECT_EQ(M_SIZE(m), MLEN);
  EXPECT_EQ(M_TRAILINGSPACE(m), MLEN);
  EXPECT_EQ(M_LEADINGSPACE(m), 0);
  EXPECT_TRUE(M_WRITABLE(m));
  struct mbuf *h;
  MGETHDR(h, M_WAITOK, MT_HEADER);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->m_data, h->m_pktdat);
  EXPECT_EQ(h->m_flags, static_cast<uint32_t>(M_PKTHDR));
  EXPECT_EQ(h->m_pkthdr.len, 0);
  EXPECT_EQ(h->m_pkthdr.csum_flags, 0u);
  EXPECT_TRUE(SLIST_EMPTY(&h->m_pkthdr.tags));
  EXPECT_EQ(M_SIZE(h), MHLEN);
  h->m_next = m;
  struct mbuf *next = m_free(h);  // m_free returns the successor
  EXPECT_EQ(next, m);
  MFREE(m, next);
  EXPECT_EQ(next, nullptr);
  m_freem(nullptr);  // allowed
}

TEST_F(ZoneTest, MGetclIsAPacketZonePair) {
  const uint64_t packets_before = Stats(MBUFNIC_ZONE_PACKET).used;
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->m_flags & M_EXT);
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(EXT_PACKET));
  EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(MCLBYTES));
  EXPECT_EQ(m->m_data, m->m_ext.ext_buf);
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_EQ(M_TRAILINGSPACE(m), MCLBYTES);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).used, packets_before + 1);
  m_freem(m);
}

TEST_F(ZoneTest, MClgetAttachesAClusterOrLeavesTheMbufAlone) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  ASSERT_NE(m, nullptr);
  EXPECT_NE(MCLGET(m, M_NOWAIT), 0);
  EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(EXT_CLUSTER));
  EXPECT_EQ(M_SIZE(m), MCLBYTES);
  m_freem(m);

  m = m_get(M_NOWAIT, MT_DATA);
  mbufnic_fault_set_alloc_failure_ppm(1000000);  // both of m_clget's attempts fail
  EXPECT_EQ(m_clget(m, M_NOWAIT), 0);  // failure: M_EXT stays clear, mbuf intact, not freed
  mbufnic_fault_set_alloc_failure_ppm(0);
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_EQ(m->m_data, m->m_dat);
  m_free(m);
}

TEST_F(ZoneTest, MGetjclEverySize) {
  const struct {
    int size, type;
  } cases[] = {{MCLBYTES, EXT_PACKET},
               {MJUMPAGESIZE, EXT_JUMBOP},
               {MJUM9BYTES, EXT_JUMBO9},
               {MJUM16BYTES, EXT_JUMBO16}};
  for (auto c : cases) {
    struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, c.size);
    ASSERT_NE(m, nullptr) << c.size;
    EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(c.type));
    EXPECT_EQ(M_SIZE(m), c.size);
    EXPECT_EQ(M_TRAILINGSPACE(m), c.size);
    std::memset(mtod(m, void *), 0xab, c.size);  // the whole cluster is ours
    EXPECT_TRUE(mbufnic_in_arena(m->m_data, c.size));
    m_freem(m);
  }
  // Jumbo cluster allocation failing frees the mbuf it took first.
  mbufnic_fault_fail_nth(2);
  EXPECT_EQ(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES), nullptr);
}

TEST_F(ZoneTest, MGetjclBadSizePanics) {
  EXPECT_DEATH(m_getjcl(M_NOWAIT, MT_DATA, 0, 3000), "panic: .*invalid cluster size 3000");
}

TEST_F(ZoneTest, MGet2PicksTheSmallestFit) {
  struct {
    int size, flags;
    bool ext;
    int m_size;
  } cases[] = {{-5, M_PKTHDR, false, MHLEN},
               {0, 0, false, MLEN},
               {MHLEN, M_PKTHDR, false, MHLEN},
               {MHLEN + 1, M_PKTHDR, true, MCLBYTES},
               {MLEN, 0, false, MLEN},
               {MLEN + 1, 0, true, MCLBYTES},
               {MCLBYTES, 0, true, MCLBYTES},
               {MCLBYTES + 1, 0, true, MJUMPAGESIZE},
               {MJUMPAGESIZE, M_PKTHDR, true, MJUMPAGESIZE}};
  for (auto c : cases) {
    struct mbuf *m = m_get2(c.size, M_NOWAIT, MT_DATA, c.flags);
    ASSERT_NE(m, nullptr) << c.size;
    EXPECT_EQ(!!(m->m_flags & M_EXT), c.ext) << c.size;
    EXPECT_EQ(M_SIZE(m), c.m_size) << c.size;
    m_freem(m);
  }
  // Larger than a page: NULL even when allowed to wait; m_get3 goes up to 16k.
  EXPECT_EQ(m_get2(MJUMPAGESIZE + 1, M_WAITOK, MT_DATA, 0), nullptr);
  struct mbuf *m = m_get3(MJUM9BYTES + 1, M_NOWAIT, MT_DATA, 0);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(M_SIZE(m), MJUM16BYTES);
  m_freem(m);
  EXPECT_EQ(m_get3(MJUM16BYTES + 1, M_WAITOK, MT_DATA, 0), nullptr);
}

TEST_F(ZoneTest, MGetm2BuildsEnoughStorageAllOrNothing) {
  for (int len : {1, MHLEN, MINCLSIZE, MCLBYTES, MCLBYTES + 1, 9000, 65536}) {
    struct mbuf *m = m_getm(nullptr, len, M_NOWAIT, MT_DATA);
    ASSERT_NE(m, nullptr) << len;
    EXPECT_TRUE(m->m_flags & M_PKTHDR);
    int space = 0;
    for (struct mbuf *n = m; n; n = n->m_next) {
      EXPECT_EQ(n->m_len, 0);  // storage only; the caller fills it
      space += M_SIZE(n);
      if (n != m) {
        EXPECT_FALSE(n->m_flags & M_PKTHDR);
      }
    }
    EXPECT_GE(space, len);
    m_freem(m);
  }
  // Appending to an existing chain: no new packet header, M_EOR moves to the new tail.
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  m->m_flags |= M_EOR;
  ASSERT_EQ(m_getm2(m, 5000, M_NOWAIT, MT_DATA, M_PKTHDR | M_EOR), m);
  struct mbuf *last;
  m_length(m, &last);
  EXPECT_NE(last, m);
  EXPECT_FALSE(m->m_flags & M_EOR);
  EXPECT_TRUE(last->m_flags & M_EOR);
  for (struct mbuf *n = m->m_next; n; n = n->m_next) EXPECT_FALSE(n->m_flags & M_PKTHDR);
  m_freem(m);
  // Nothing to add: m comes back unchanged but for M_EOR, which FreeBSD clears on the old tail.
  m = m_gethdr(M_NOWAIT, MT_DATA);
  m->m_flags |= M_EOR;
  EXPECT_EQ(m_getm2(m, 0, M_NOWAIT, MT_DATA, 0), m);
  EXPECT_EQ(m->m_next, nullptr);
  EXPECT_FALSE(m->m_flags & M_EOR);
  m_freem(m);
  // Failure of each allocation in turn: a failed page-jumbo attempt falls back to a 2k cluster;
  // any other failure frees what was allocated and keeps the caller's mbuf.  LeakCheck proves
  // nothing is lost either way.
  m = m_gethdr(M_NOWAIT, MT_DATA);
  int failures = 0;
  for (uint64_t n = 1;; ++n) {
    mbufnic_fault_fail_nth(n);
    struct mbuf *r = m_getm2(m, 9000, M_NOWAIT, MT_DATA, 0);
    const uint64_t made = mbufnic_fault_alloc_count();
    if (r == nullptr) {
      ++failures;
      EXPECT_EQ(m->m_next, nullptr) << n;
    } else {
      EXPECT_EQ(r, m);
      int space = 0;
      for (struct mbuf *k = m->m_next; k; k = k->m_next) space += M_SIZE(k);
      EXPECT_GE(space, 9000) << n;
      m_freem(m->m_next);
      m->m_next = nullptr;
    }
    if (made < n) break;  // the n-th allocation never happened: every point was failed once
  }
  EXPECT_GT(failures, 0);
  mbufnic_fault_reset();
  m_freem(m);
}

TEST_F(ZoneTest, MGetclrZeroes) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  std::memset(m->m_dat, 0x5a, MLEN);
  m_free(m);
  m = m_getclr(M_NOWAIT, MT_DATA);  // likely the same mbuf again, from the thread cache
  ASSERT_NE(m, nullptr);
  for (int i = 0; i < MLEN; ++i) ASSERT_EQ(m->m_dat[i], 0) << i;
  m_free(m);
}

TEST_F(ZoneTest, AlignPlacesDataAtTheEndLongAligned) {
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  M_ALIGN(m, 20);
  EXPECT_EQ(M_TRAILINGSPACE(m), 20 + ((MHLEN - 20) % static_cast<int>(sizeof(long))));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m->m_data) % sizeof(long), 0u);
  EXPECT_EQ(M_LEADINGSPACE(m), (MHLEN - 20) & ~static_cast<int>(sizeof(long) - 1));
  m_free(m);
}

// External storage with a free callback: called once, by the last reference.
int g_free_calls = 0;
void *g_free_arg = nullptr;
void CountFree(struct mbuf *m) {
  ++g_free_calls;
  g_free_arg = m->m_ext.ext_arg1;
}

TEST_F(ZoneTest, MextaddFreeCallbackRunsOnceAtTheLastReference) {
  static char buf[1000];
  g_free_calls = 0;
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  MEXTADD(m, buf, sizeof buf, CountFree, buf + 1, nullptr, 0, EXT_NET_DRV);
  EXPECT_EQ(m->m_data, buf);
  EXPECT_EQ(m->m_len, 0);  // the caller sets the length
  EXPECT_TRUE(M_WRITABLE(m));
  m->m_len = m->m_pkthdr.len = 1000;
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(m_extrefcnt(m), 2u);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_FALSE(M_WRITABLE(c));
  m_freem(m);  // the owner goes first: the storage must stay
  EXPECT_EQ(g_free_calls, 0);
  EXPECT_EQ(mtod(c, char *), buf);
  m_freem(c);
  EXPECT_EQ(g_free_calls, 1);
  EXPECT_EQ(g_free_arg, buf + 1);
}

TEST_F(ZoneTest, MextaddReadOnlyAndExtref) {
  static char buf[64];
  g_free_calls = 0;
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  MEXTADD(m, buf, sizeof buf, CountFree, nullptr, nullptr, M_RDONLY, EXT_MOD_TYPE);
  EXPECT_FALSE(M_WRITABLE(m));
  EXPECT_EQ(M_LEADINGSPACE(m), 0);
  EXPECT_EQ(M_TRAILINGSPACE(m), 0);
  m_freem(m);
  EXPECT_EQ(g_free_calls, 1);

  // EXT_EXTREF: the caller keeps the counter.
  static volatile u_int counter;
  counter = 1;
  m = m_get(M_NOWAIT, MT_DATA);
  m->m_ext.ext_cnt = &counter;
  MEXTADD(m, buf, sizeof buf, CountFree, nullptr, nullptr, 0, EXT_EXTREF);
  m->m_len = 10;
  struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
  EXPECT_EQ(counter, 2u);
  m_freem(m);
  EXPECT_EQ(counter, 1u);
  EXPECT_EQ(g_free_calls, 1);
  m_freem(c);
  EXPECT_EQ(g_free_calls, 2);
}

TEST_F(ZoneTest, ClusterSharingAndWritability) {
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  m->m_len = m->m_pkthdr.len = 100;
  EXPECT_TRUE(M_WRITABLE(m));
  struct mbuf *c1 = m_copypacket(m, M_NOWAIT);
  struct mbuf *c2 = m_copym(c1, 0, M_COPYALL, M_NOWAIT);  // a copy of a copy shares too
  EXPECT_EQ(m_extrefcnt(m), 3u);
  EXPECT_EQ(m_extrefcnt(c2), 3u);
  EXPECT_EQ(c2->m_data, m->m_data);
  m_freem(c1);
  EXPECT_EQ(m_extrefcnt(m), 2u);
  m_freem(c2);
  EXPECT_EQ(m_extrefcnt(m), 1u);
  EXPECT_TRUE(M_WRITABLE(m));
  m_freem(m);
}

TEST_F(ZoneTest, MextfreeDropsStorage) {
  struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  MEXTFREE(m);
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_EQ(m->m_data, m->m_pktdat);
  EXPECT_EQ(M_SIZE(m), MHLEN);
  m_freem(m);
}

TEST_F(ZoneTest, BusAddressesRoundTripForEveryKindOfBuffer) {
  std::vector<struct mbuf *> ms = {m_get(M_NOWAIT, MT_DATA),
                                   m_gethdr(M_NOWAIT, MT_DATA),
                                   m_getcl(M_NOWAIT, MT_DATA, 0),
                                   m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE),
                                   m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES),
                                   m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES)};
  for (struct mbuf *m : ms) {
    ASSERT_NE(m, nullptr);
    const mbufnic_busaddr_t bus = mbufnic_vtobus(m->m_data);
    EXPECT_NE(bus, MBUFNIC_BUSADDR_INVALID);
    EXPECT_NE(bus, reinterpret_cast<uintptr_t>(m->m_data));  // its own address space
    EXPECT_EQ(mbufnic_bustov(bus), m->m_data);
    EXPECT_EQ(mbufnic_vtobus(m->m_data + 7), bus + 7);
    EXPECT_TRUE(mbufnic_in_arena(m->m_data, M_SIZE(m)));
    m_freem(m);
  }
  int on_stack = 0;
  EXPECT_EQ(mbufnic_vtobus(&on_stack), MBUFNIC_BUSADDR_INVALID);
  EXPECT_FALSE(mbufnic_in_arena(&on_stack, 4));
  EXPECT_EQ(mbufnic_bustov(1), nullptr);
  mbufnic_arena_info info{};
  mbufnic_arena_get_info(&info);
  EXPECT_EQ(mbufnic_vtobus(info.base), info.bus_base);
  EXPECT_EQ(mbufnic_bustov(info.bus_base + info.reserved), nullptr);
}

TEST_F(ZoneTest, StatisticsCountUseCacheRequestsAndFailures) {
  const auto before = Stats(MBUFNIC_ZONE_JUMBO9);
  std::vector<struct mbuf *> v;
  for (int i = 0; i < 10; ++i) v.push_back(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES));
  auto mid = Stats(MBUFNIC_ZONE_JUMBO9);
  EXPECT_EQ(mid.used, before.used + 10);
  EXPECT_EQ(mid.requests, before.requests + 10);
  EXPECT_STREQ(mid.name, "mbuf_jumbo_9k");
  EXPECT_EQ(mid.size, static_cast<uint32_t>(MJUM9BYTES));
  for (auto *m : v) m_freem(m);
  auto after = Stats(MBUFNIC_ZONE_JUMBO9);
  EXPECT_EQ(after.used, before.used);
  EXPECT_GE(after.free, 10u);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_cljget(nullptr, M_NOWAIT, MJUM9BYTES), nullptr);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO9).failures, after.failures + 1);
}

TEST_F(ZoneTest, NetstatMReportsWhatIsInUse) {
  struct mbuf *a = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  struct mbuf *b = m_get(M_NOWAIT, MT_DATA);
  struct mbuf *j = m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES);
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  mbufnic_print_netstat_m(f);
  std::fclose(f);
  const std::string out(buf, len);
  std::free(buf);
  const auto mb = Stats(MBUFNIC_ZONE_MBUF), pk = Stats(MBUFNIC_ZONE_PACKET),
             cl = Stats(MBUFNIC_ZONE_CLUSTER), j16 = Stats(MBUFNIC_ZONE_JUMBO16);
  EXPECT_NE(out.find(std::to_string(mb.used + pk.used) + "/" + std::to_string(mb.free + pk.free)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("mbufs in use (current/cache/total)"), std::string::npos);
  EXPECT_NE(out.find(std::to_string(cl.used + pk.used) + "/"), std::string::npos);
  // Appended, not "/" + ...: GCC 12 at -O3 warns falsely about operator+(const char*, string&&).
  EXPECT_NE(
      out.find(std::string("/").append(std::to_string(cl.limit)).append(" mbuf clusters in use")),
      std::string::npos);
  EXPECT_NE(out.find(std::to_string(j16.used) + "/" + std::to_string(j16.free)), std::string::npos);
  EXPECT_NE(out.find("16k jumbo clusters in use"), std::string::npos);
  EXPECT_NE(out.find("requests for mbufs denied"), std::string::npos);
  EXPECT_GE(pk.used, 1u);
  EXPECT_GE(mb.used, 1u);
  m_freem(a);
  m_freem(b);
  m_freem(j);
}

TEST_F(ZoneTest, VmstatZListsEveryZone) {
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  mbufnic_print_vmstat_z(f);
  std::fclose(f);
  const std::string out(buf, len);
  std::free(buf);
  for (const char *name : {"mbuf ", "mbuf_cluster", "mbuf_packet", "mbuf_jumbo_page",
                           "mbuf_jumbo_9k", "mbuf_jumbo_16k"})
    EXPECT_NE(out.find(name), std::string::npos) << name;
  EXPECT_NE(out.find("LIMIT"), std::string::npos);
}

TEST_F(ZoneTest, SmallMacros) {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  MCHTYPE(m, MT_OOBDATA);
  EXPECT_EQ(m->m_type, MT_OOBDATA);
  EXPECT_EQ(M_START(m), m->m_dat);
  m->m_len = 10;
  EXPECT_EQ(mtodo(m, 4), static_cast<void *>(m->m_data + 4));
  m->m_flags |= M_PROTO2 | M_PROTO7;
  m_clrprotoflags(m);
  EXPECT_FALSE(m->m_flags & M_PROTOFLAGS);
  // The 2012 page's fragment flags are protocol bits and go the same way.
  m->m_flags |= M_FRAG | M_LASTFRAG;
  m_clrprotoflags(m);
  EXPECT_EQ(m->m_flags & (M_FRAG | M_FIRSTFRAG | M_LASTFRAG), 0u);
  m_free(m);
}

TEST_F(ZoneTest, NowaitFailsAtTheLimitAndCountsADenial) {
  const auto st = Stats(MBUFNIC_ZONE_JUMBO16);
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.used + st.free + 2), 0);
  mbufnic_thread_cache_drain();
  std::vector<void *> held;
  for (;;) {
    void *cl = m_cljget(nullptr, M_NOWAIT, MJUM16BYTES);
    if (cl == nullptr) break;
    held.push_back(cl);
    ASSERT_LT(held.size(), 10000u) << "the limit does not hold";
  }
  EXPECT_EQ(held.size(), st.free + 2);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO16).failures, st.failures + 1);
  // Returned clusters make room again.
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  m_cljset(m, held.back(), EXT_JUMBO16);
  held.pop_back();
  m_freem(m);
  void *again = m_cljget(nullptr, M_NOWAIT, MJUM16BYTES);
  EXPECT_NE(again, nullptr);
  held.push_back(again);
  for (void *cl : held) {
    struct mbuf *h = m_get(M_NOWAIT, MT_DATA);
    m_cljset(h, cl, EXT_JUMBO16);
    m_freem(h);
  }
  EXPECT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.limit), 0);
  EXPECT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_PACKET, 5), EINVAL);
}

TEST_F(ZoneTest, WaitokBlocksAtTheLimitUntilAnotherThreadFrees) {
  const auto st = Stats(MBUFNIC_ZONE_JUMBO9);
  mbufnic_thread_cache_drain();
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO9, st.used + st.free + 1), 0);
  std::vector<struct mbuf *> held;
  while (struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES)) held.push_back(m);
  ASSERT_FALSE(held.empty());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM9BYTES);  // must wait, never NULL
    got = (m != nullptr);
    m_freem(m);
    mbufnic_thread_cache_drain();
  });
  // Give the waiter time to block, then free one cluster from this thread.
  while (Stats(MBUFNIC_ZONE_JUMBO9).sleeps == st.sleeps)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(got.load());
  m_freem(held.back());
  held.pop_back();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO9).sleeps, st.sleeps + 1);
  for (auto *m : held) m_freem(m);
  mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO9, st.limit);
}

TEST_F(ZoneTest, FaultInjectionRateAndNth) {
  mbufnic_fault_seed(42);
  mbufnic_fault_set_alloc_failure_ppm(500000);  // one in two
  int failed = 0;
  for (int i = 0; i < 1000; ++i) {
    struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
    if (m == nullptr)
      ++failed;
    else
      m_free(m);
  }
  EXPECT_GT(failed, 400);
  EXPECT_LT(failed, 600);
  // M_WAITOK never fails, whatever the knobs say.
  for (int i = 0; i < 100; ++i) m_free(m_get(M_WAITOK, MT_DATA));
  mbufnic_fault_reset();
  mbufnic_fault_fail_nth(3);
  struct mbuf *a = m_get(M_NOWAIT, MT_DATA), *b = m_get(M_NOWAIT, MT_DATA);
  struct mbuf *c = m_get(M_NOWAIT, MT_DATA), *d = m_get(M_NOWAIT, MT_DATA);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(c, nullptr);
  EXPECT_NE(d, nullptr);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 4u);
  m_freem(a);
  m_freem(b);
  m_freem(d);
}

TEST_F(ZoneTest, StressFragmentCutsLongPacketsIntoSmallMbufs) {
  const auto bytes = Pattern(3000);
  struct mbuf *m = MakeChain(bytes, {1500, 1500}, true, Storage::kCluster);
  mbufnic_fault_set_frag_size(100);
  m = m_stress_fragment(m, M_NOWAIT);
  EXPECT_EQ(ChainCount(m), 30);
  EXPECT_EQ(Flatten(m), bytes);
  EXPECT_EQ(m->m_pkthdr.len, 3000);
  mbufnic_fault_set_frag_size(5000);  // shorter packets are left alone
  struct mbuf *same = m_stress_fragment(m, M_NOWAIT);
  EXPECT_EQ(same, m);
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
