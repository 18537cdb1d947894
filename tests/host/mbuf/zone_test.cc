// The zones behind the allocator: where items come from, how they are counted (used, free,
// requests, failures, sleeps), limits for M_NOWAIT and M_WAITOK, per-thread caches and their
// draining, and the fault-injection knobs (MBUF_STRESS_TEST).
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
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

// Restores a zone's limit when the test ends, however it ends.
class LimitGuard {
 public:
  explicit LimitGuard(mbufnic_zone_id z) : z_(z), limit_(Stats(z).limit) {}
  ~LimitGuard() { mbufnic_zone_set_limit(z_, limit_); }
  LimitGuard(const LimitGuard &) = delete;
  LimitGuard &operator=(const LimitGuard &) = delete;

 private:
  mbufnic_zone_id z_;
  uint64_t limit_;
};

void FreeCluster(void *cl, int type) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  m_cljset(m, cl, type);
  m_freem(m);
}

// Spin (with short sleeps) until zone z has counted more sleeps than `before`.
void WaitForSleep(mbufnic_zone_id z, uint64_t before) {
  while (Stats(z).sleeps == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

class ZoneUnitTest : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_thread_cache_drain(); }
  void TearDown() override {
    mbufnic_fault_reset();
    mbufnic_thread_cache_drain();
  }
  LeakCheck leaks_;
};

TEST_F(ZoneUnitTest, ZoneNamesSizesAndDefaultLimits) {
  const struct {
    mbufnic_zone_id z;
    const char *name;
    uint32_t size;
  } zones[] = {{MBUFNIC_ZONE_MBUF, "mbuf", MSIZE},
               {MBUFNIC_ZONE_CLUSTER, "mbuf_cluster", MCLBYTES},
               {MBUFNIC_ZONE_PACKET, "mbuf_packet", MSIZE},
               {MBUFNIC_ZONE_JUMBOP, "mbuf_jumbo_page", MJUMPAGESIZE},
               {MBUFNIC_ZONE_JUMBO9, "mbuf_jumbo_9k", MJUM9BYTES},
               {MBUFNIC_ZONE_JUMBO16, "mbuf_jumbo_16k", MJUM16BYTES}};
  for (const auto &z : zones) {
    const auto st = Stats(z.z);
    EXPECT_STREQ(st.name, z.name);
    EXPECT_EQ(st.size, z.size);
  }
  // FreeBSD's formulas (kern_mbuf.c) with maxmbufmem half the arena.
  mbufnic_arena_info info{};
  mbufnic_arena_get_info(&info);
  const uint64_t mem = info.reserved / 2;
  EXPECT_EQ(Stats(MBUFNIC_ZONE_CLUSTER).limit, mem / MCLBYTES / 4);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBOP).limit, mem / MJUMPAGESIZE / 4);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO9).limit, mem / MJUM9BYTES / 6);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO16).limit, mem / MJUM16BYTES / 6);
  const uint64_t clusters = Stats(MBUFNIC_ZONE_CLUSTER).limit + Stats(MBUFNIC_ZONE_JUMBOP).limit +
                            Stats(MBUFNIC_ZONE_JUMBO9).limit + Stats(MBUFNIC_ZONE_JUMBO16).limit;
  EXPECT_EQ(Stats(MBUFNIC_ZONE_MBUF).limit, std::max(mem / MSIZE / 5, clusters));
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).limit, 0u);  // bounded by the mbuf and cluster limits
}

TEST_F(ZoneUnitTest, ItemsAreAlignedArenaMemory) {
  std::vector<struct mbuf *> ms;
  for (int i = 0; i < 40; ++i) {
    ms.push_back(m_get(M_NOWAIT, MT_DATA));
    ms.push_back(m_getcl(M_NOWAIT, MT_DATA, 0));
    ms.push_back(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE));
  }
  for (struct mbuf *m : ms) {
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(m) % MSIZE, 0u);  // FreeBSD's dtom() relied on this
    EXPECT_TRUE(mbufnic_in_arena(m, MSIZE));
    if (m->m_flags & M_EXT) {
      const int size = M_SIZE(m);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(m->m_ext.ext_buf) % size, 0u) << size;
      EXPECT_TRUE(mbufnic_in_arena(m->m_ext.ext_buf, size));
    }
  }
  for (struct mbuf *m : ms) m_freem(m);
}

TEST_F(ZoneUnitTest, UsedFreeAndRequestsFollowTheCalls) {
  const auto before = Stats(MBUFNIC_ZONE_MBUF);
  std::vector<struct mbuf *> v;
  for (int i = 0; i < 600; ++i) v.push_back(m_get(M_NOWAIT, MT_DATA));  // past one cache's worth
  const auto mid = Stats(MBUFNIC_ZONE_MBUF);
  EXPECT_EQ(mid.used, before.used + 600);
  EXPECT_EQ(mid.requests, before.requests + 600);
  EXPECT_EQ(mid.failures, before.failures);
  for (auto *m : v) m_free(m);
  const auto after = Stats(MBUFNIC_ZONE_MBUF);
  EXPECT_EQ(after.used, before.used);
  EXPECT_GE(after.free, 600u);
  EXPECT_EQ(after.free, mid.free + 600);  // every freed item is cached, here or in the zone
  EXPECT_EQ(after.requests, mid.requests);
}

TEST_F(ZoneUnitTest, PacketPairsCountInThePacketZoneOnly) {
  const auto mb = Stats(MBUFNIC_ZONE_MBUF), cl = Stats(MBUFNIC_ZONE_CLUSTER),
             pk = Stats(MBUFNIC_ZONE_PACKET);
  std::vector<struct mbuf *> v;
  for (int i = 0; i < 300; ++i) v.push_back(m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR));
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).used, pk.used + 300);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).requests, pk.requests + 300);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_MBUF).used, mb.used);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_CLUSTER).used, cl.used);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_MBUF).requests, mb.requests);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_CLUSTER).requests, cl.requests);
  for (auto *m : v) m_freem(m);
  const auto after = Stats(MBUFNIC_ZONE_PACKET);
  EXPECT_EQ(after.used, pk.used);
  EXPECT_GE(after.free, 300u);  // pairs stay assembled in the cache
}

TEST_F(ZoneUnitTest, DrainingHandsCachedItemsToOtherThreads) {
  LimitGuard guard(MBUFNIC_ZONE_JUMBO9);
  // Every 9k cluster that exists is now the limit; take them all.
  const auto st = Stats(MBUFNIC_ZONE_JUMBO9);
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO9, st.used + st.free + 8), 0);
  std::vector<void *> held;
  while (void *cl = m_cljget(nullptr, M_NOWAIT, MJUM9BYTES)) held.push_back(cl);
  ASSERT_GE(held.size(), 8u);
  // Free 8 into this thread's cache: another thread cannot reach them...
  for (int i = 0; i < 8; ++i) {
    FreeCluster(held.back(), EXT_JUMBO9);
    held.pop_back();
  }
  auto grab = [] {
    int got = 0;
    std::thread t([&] {
      std::vector<void *> v;
      while (void *cl = m_cljget(nullptr, M_NOWAIT, MJUM9BYTES)) v.push_back(cl);
      got = static_cast<int>(v.size());
      for (void *cl : v) FreeCluster(cl, EXT_JUMBO9);
      mbufnic_thread_cache_drain();
    });
    t.join();
    return got;
  };
  EXPECT_EQ(grab(), 0);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO9).free, 8u);  // ...though they count as free
  // ...until this thread drains its cache.
  mbufnic_thread_cache_drain();
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO9).free, 8u);
  EXPECT_EQ(grab(), 8);
  for (void *cl : held) FreeCluster(cl, EXT_JUMBO9);
}

TEST_F(ZoneUnitTest, NowaitAtTheClusterLimitCountsPairsAndDenies) {
  LimitGuard guard(MBUFNIC_ZONE_CLUSTER);
  const auto cl = Stats(MBUFNIC_ZONE_CLUSTER), pk = Stats(MBUFNIC_ZONE_PACKET);
  // Clusters that exist: the cluster zone's and one in every pair.
  const uint64_t existing = cl.used + cl.free + pk.used + pk.free;
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_CLUSTER, existing + 3), 0);
  std::vector<struct mbuf *> held;
  while (struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, 0)) {
    held.push_back(m);
    ASSERT_LE(held.size(), existing + 3) << "the cluster limit does not hold";
  }
  // Every cached pair, every cached raw cluster turned into a pair, and three new ones.
  EXPECT_EQ(held.size(), pk.free + cl.free + 3);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).failures, pk.failures + 1);
  // A plain cluster is denied too, and the mbuf asking keeps going.
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
  EXPECT_EQ(m_clget(m, M_NOWAIT), 0);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_CLUSTER).failures, cl.failures + 2);  // it tries twice
  // A pair freed by this thread can be taken apart for it (FreeBSD drains the packet zone).
  m_freem(held.back());
  held.pop_back();
  EXPECT_NE(m_clget(m, M_NOWAIT), 0);
  EXPECT_EQ(m->m_ext.ext_type, static_cast<uint32_t>(EXT_CLUSTER));
  m_freem(m);
  for (auto *h : held) m_freem(h);
}

TEST_F(ZoneUnitTest, TheMbufLimitCoversPlainAndPacketMbufs) {
  LimitGuard guard(MBUFNIC_ZONE_MBUF);
  const auto mb = Stats(MBUFNIC_ZONE_MBUF), pk = Stats(MBUFNIC_ZONE_PACKET);
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_MBUF, mb.used + mb.free + pk.used + pk.free), 0);
  // Nothing new may be made: only cached items are handed out, of either kind.
  std::vector<struct mbuf *> held;
  while (struct mbuf *m = m_get(M_NOWAIT, MT_DATA)) held.push_back(m);
  EXPECT_EQ(held.size(), mb.free + pk.free);  // cached pairs are taken apart when mbufs run out
  EXPECT_EQ(m_gethdr(M_NOWAIT, MT_DATA), nullptr);
  EXPECT_EQ(m_getcl(M_NOWAIT, MT_DATA, 0), nullptr);
  EXPECT_EQ(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES), nullptr);
  EXPECT_GE(Stats(MBUFNIC_ZONE_MBUF).failures, mb.failures + 3);
  for (auto *m : held) m_free(m);
}

TEST_F(ZoneUnitTest, WaitokOnThePacketZoneWaitsForAFreedPair) {
  LimitGuard guard(MBUFNIC_ZONE_CLUSTER);
  const auto cl = Stats(MBUFNIC_ZONE_CLUSTER), pk = Stats(MBUFNIC_ZONE_PACKET);
  const uint64_t existing = cl.used + cl.free + pk.used + pk.free;
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_CLUSTER, existing + 2), 0);
  std::vector<struct mbuf *> held;
  while (struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR)) held.push_back(m);
  ASSERT_FALSE(held.empty());
  std::atomic<struct mbuf *> got{nullptr};
  std::thread waiter([&] {
    got = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
    m_freem(got.load());
    mbufnic_thread_cache_drain();
  });
  WaitForSleep(MBUFNIC_ZONE_PACKET, pk.sleeps);
  EXPECT_EQ(got.load(), nullptr);
  struct mbuf *freed = held.back();
  held.pop_back();
  m_freem(freed);
  waiter.join();
  EXPECT_EQ(got.load(), freed);  // the very pair this thread gave back
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).sleeps, pk.sleeps + 1);
  for (auto *m : held) m_freem(m);
}

TEST_F(ZoneUnitTest, RaisingTheLimitWakesAWaiter) {
  LimitGuard guard(MBUFNIC_ZONE_JUMBO16);
  const auto st = Stats(MBUFNIC_ZONE_JUMBO16);
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.used + st.free), 0);
  std::vector<void *> held;
  while (void *cl = m_cljget(nullptr, M_NOWAIT, MJUM16BYTES)) held.push_back(cl);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
    done = (m != nullptr);
    m_freem(m);
    mbufnic_thread_cache_drain();
  });
  WaitForSleep(MBUFNIC_ZONE_JUMBO16, st.sleeps);
  EXPECT_FALSE(done.load());
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.used + st.free + 1), 0);
  waiter.join();
  EXPECT_TRUE(done.load());
  for (void *cl : held) FreeCluster(cl, EXT_JUMBO16);
}

TEST_F(ZoneUnitTest, LoweringALimitBelowUseDeniesUntilEnoughIsFreed) {
  LimitGuard guard(MBUFNIC_ZONE_JUMBOP);
  std::vector<void *> held;
  for (int i = 0; i < 4; ++i) held.push_back(m_cljget(nullptr, M_NOWAIT, MJUMPAGESIZE));
  mbufnic_thread_cache_drain();
  const auto st = Stats(MBUFNIC_ZONE_JUMBOP);
  // Existing free items are still handed out; nothing new is made.
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBOP, 1), 0);
  std::vector<void *> cached;
  while (void *cl = m_cljget(nullptr, M_NOWAIT, MJUMPAGESIZE)) cached.push_back(cl);
  EXPECT_EQ(cached.size(), st.free);
  for (void *cl : cached) FreeCluster(cl, EXT_JUMBOP);
  for (void *cl : held) FreeCluster(cl, EXT_JUMBOP);
}

TEST_F(ZoneUnitTest, UnknownZonesAndThePacketZoneLimitAreRejected) {
  mbufnic_zone_stats st{};
  EXPECT_EQ(mbufnic_zone_get_stats(MBUFNIC_ZONE_COUNT, &st), EINVAL);
  EXPECT_EQ(mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(-1), &st), EINVAL);
  EXPECT_EQ(mbufnic_zone_get_stats(MBUFNIC_ZONE_MBUF, nullptr), EINVAL);
  EXPECT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_PACKET, 10), EINVAL);
  EXPECT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_COUNT, 10), EINVAL);
  EXPECT_EQ(mbufnic_zone_set_limit(static_cast<mbufnic_zone_id>(-1), 10), EINVAL);
}

// ---- fault injection ----

TEST_F(ZoneUnitTest, FaultFailuresCountInTheZoneThatFailed) {
  const auto mb = Stats(MBUFNIC_ZONE_MBUF), pk = Stats(MBUFNIC_ZONE_PACKET),
             j16 = Stats(MBUFNIC_ZONE_JUMBO16);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_getcl(M_NOWAIT, MT_DATA, 0), nullptr);  // one allocation: the pair
  EXPECT_EQ(Stats(MBUFNIC_ZONE_PACKET).failures, pk.failures + 1);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_MBUF).failures, mb.failures);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES), nullptr);  // the mbuf fails first
  EXPECT_EQ(Stats(MBUFNIC_ZONE_MBUF).failures, mb.failures + 1);
  EXPECT_EQ(Stats(MBUFNIC_ZONE_JUMBO16).failures, j16.failures);
}

TEST_F(ZoneUnitTest, FaultInjectionNeverFailsWaitokAndDoesNotCountIt) {
  mbufnic_fault_set_alloc_failure_ppm(1000000);
  struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  EXPECT_EQ(m_get(M_NOWAIT, MT_DATA), nullptr);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 1u);
  mbufnic_fault_reset();
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_freem(m);
}

TEST_F(ZoneUnitTest, FaultFailNthFailsExactlyOnce) {
  mbufnic_fault_fail_nth(5);
  std::vector<struct mbuf *> v;
  int failed_at = 0;
  for (int i = 1; i <= 20; ++i) {
    struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
    if (m == nullptr) {
      EXPECT_EQ(failed_at, 0) << "failed twice";
      failed_at = i;
    } else {
      v.push_back(m);
    }
  }
  EXPECT_EQ(failed_at, 5);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 20u);
  for (auto *m : v) m_free(m);
}

std::vector<bool> FailurePattern(uint64_t seed) {
  mbufnic_fault_seed(seed);
  mbufnic_fault_set_alloc_failure_ppm(300000);
  std::vector<bool> pattern;
  for (int i = 0; i < 400; ++i) {
    struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
    pattern.push_back(m == nullptr);
    m_freem(m);
  }
  mbufnic_fault_reset();
  return pattern;
}

TEST_F(ZoneUnitTest, FaultSeedMakesRunsReproducibleAndTheRateHolds) {
  const auto a = FailurePattern(1234), b = FailurePattern(1234), c = FailurePattern(99);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto failures = std::count(a.begin(), a.end(), true);
  EXPECT_GT(failures, 80);  // 30% of 400 is 120
  EXPECT_LT(failures, 160);
}

TEST_F(ZoneUnitTest, FaultInjectionFailsTagsToo) {
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_tag_get(1, 32, M_NOWAIT), nullptr);
  mbufnic_fault_reset();
  struct m_tag *t = m_tag_get(1, 32, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  m_tag_free(t);
}

TEST_F(ZoneUnitTest, DefragRandomFailuresAboutOneIn256) {
  mbufnic_fault_seed(5);
  mbufnic_fault_set_defrag_random_failures(1);
  mbufnic_defrag_stats before{};
  mbufnic_defrag_get_stats(&before);
  const auto bytes = Pattern(300);
  int failed = 0;
  constexpr int kTries = 256 * 20;
  for (int i = 0; i < kTries; ++i) {
    struct mbuf *m = MakeChain(bytes, {100, 200});
    struct mbuf *d = m_defrag(m, M_NOWAIT);
    if (d == nullptr) {
      ++failed;  // the chain is left to the caller
      EXPECT_EQ(Flatten(m), bytes);
      m_freem(m);
    } else {
      m_freem(d);
    }
  }
  mbufnic_defrag_stats after{};
  mbufnic_defrag_get_stats(&after);
  EXPECT_EQ(after.failures - before.failures, static_cast<uint64_t>(failed));
  EXPECT_GT(failed, 5);  // 20 expected
  EXPECT_LT(failed, 50);
  mbufnic_fault_set_defrag_random_failures(0);
  struct mbuf *m = MakeChain(bytes, {100, 200});
  for (int i = 0; i < 1000; ++i) {
    m = m_defrag(m, M_NOWAIT);
    ASSERT_NE(m, nullptr);
  }
  m_freem(m);
}

TEST_F(ZoneUnitTest, FragSizeKnob) {
  EXPECT_EQ(mbufnic_fault_get_frag_size(), 0);
  mbufnic_fault_set_frag_size(-7);
  EXPECT_EQ(mbufnic_fault_get_frag_size(), 0);
  mbufnic_fault_set_frag_size(64);
  EXPECT_EQ(mbufnic_fault_get_frag_size(), 64);
  const auto bytes = Pattern(200);
  struct mbuf *m = MakeChain(bytes, {200}, true, Storage::kPacket);
  m = m_stress_fragment(m, M_NOWAIT);
  EXPECT_EQ(ChainCount(m), 4);  // 64 + 64 + 64 + 8
  EXPECT_EQ(Flatten(m), bytes);
  mbufnic_fault_reset();
  EXPECT_EQ(mbufnic_fault_get_frag_size(), 0);
  struct mbuf *same = m_stress_fragment(m, M_NOWAIT);  // off: unchanged
  EXPECT_EQ(same, m);
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
