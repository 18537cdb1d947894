// The DMA arena: one reservation that every mbuf and cluster comes from, and its bus addresses,
// an IOVA space of their own; or memory a backend hands over (mbufnic_arena_provide) with its own
// bus addresses.  The environment-variable and provided-memory cases need a process whose arena
// has not been made yet, so they run in a child (gtest's "threadsafe" death-test style
// re-executes the binary and runs just that test).
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

mbufnic_arena_info Info() {
  mbufnic_arena_info info{};
  mbufnic_arena_get_info(&info);
  return info;
}

// Every kind of buffer the allocator hands out, one of each.
std::vector<struct mbuf *> OneOfEach() {
  return {m_get(M_NOWAIT, MT_DATA),
          m_gethdr(M_NOWAIT, MT_DATA),
          m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR),
          [] {
            struct mbuf *m = m_get(M_NOWAIT, MT_DATA);
            MCLGET(m, M_NOWAIT);
            return m;
          }(),
          m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE),
          m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES),
          m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, MJUM16BYTES)};
}

class ArenaTest : public ::testing::Test {
 protected:
  LeakCheck leaks_;
};

TEST_F(ArenaTest, InfoDescribesOneReservation) {
  const auto info = Info();
  ASSERT_NE(info.base, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(info.base) % (2u << 20), 0u);  // 2 MiB aligned
  const char *env = std::getenv("MBUFNIC_ARENA_MB");
  if (env == nullptr) {
    EXPECT_EQ(info.reserved, size_t{4096} << 20);
  }
  EXPECT_LE(info.committed, info.reserved);
  EXPECT_NE(info.bus_base, MBUFNIC_BUSADDR_INVALID);
  EXPECT_NE(info.bus_base, reinterpret_cast<uintptr_t>(info.base));
  // The same answer every time: the arena is reserved once.
  const auto again = Info();
  EXPECT_EQ(again.base, info.base);
  EXPECT_EQ(again.bus_base, info.bus_base);
}

TEST_F(ArenaTest, EveryBufferComesFromTheCommittedPart) {
  auto ms = OneOfEach();
  const auto info = Info();
  const char *base = static_cast<const char *>(info.base);
  for (struct mbuf *m : ms) {
    ASSERT_NE(m, nullptr);
    const char *p = reinterpret_cast<const char *>(m);
    EXPECT_GE(p, base);
    EXPECT_LE(p + MSIZE, base + info.committed);
    EXPECT_GE(m->m_data, base);
    EXPECT_LE(m->m_data + M_SIZE(m), base + info.committed);
  }
  for (struct mbuf *m : ms) m_freem(m);
}

TEST_F(ArenaTest, BusAddressesRoundTripAndAreContiguousPerBuffer) {
  auto ms = OneOfEach();
  for (struct mbuf *m : ms) {
    ASSERT_NE(m, nullptr);
    const int size = M_SIZE(m);
    const mbufnic_busaddr_t bus = mbufnic_vtobus(m->m_data);
    ASSERT_NE(bus, MBUFNIC_BUSADDR_INVALID);
    EXPECT_NE(bus, reinterpret_cast<uintptr_t>(m->m_data));
    // One buffer is one contiguous bus range, so one descriptor can cover it.
    for (int off : {1, size / 2, size - 1}) {
      EXPECT_EQ(mbufnic_vtobus(m->m_data + off), bus + off) << size;
      EXPECT_EQ(mbufnic_bustov(bus + off), m->m_data + off) << size;
    }
    EXPECT_EQ(mbufnic_bustov(bus), m->m_data);
    // The mbuf itself has a bus address too (drivers may DMA headers from it).
    EXPECT_EQ(mbufnic_bustov(mbufnic_vtobus(m)), static_cast<void *>(m));
  }
  for (struct mbuf *m : ms) m_freem(m);
}

TEST_F(ArenaTest, AddressesOutsideTheArenaHaveNoBusAddress) {
  const auto info = Info();
  const char *base = static_cast<const char *>(info.base);
  int on_stack = 0;
  auto on_heap = std::make_unique<char[]>(64);
  EXPECT_EQ(mbufnic_vtobus(nullptr), MBUFNIC_BUSADDR_INVALID);
  EXPECT_EQ(mbufnic_vtobus(&on_stack), MBUFNIC_BUSADDR_INVALID);
  EXPECT_EQ(mbufnic_vtobus(on_heap.get()), MBUFNIC_BUSADDR_INVALID);
  EXPECT_EQ(mbufnic_vtobus(base - 1), MBUFNIC_BUSADDR_INVALID);
  EXPECT_EQ(mbufnic_vtobus(base + info.reserved), MBUFNIC_BUSADDR_INVALID);
  EXPECT_EQ(mbufnic_vtobus(base), info.bus_base);
  EXPECT_EQ(mbufnic_vtobus(base + info.reserved - 1), info.bus_base + info.reserved - 1);
  EXPECT_EQ(mbufnic_bustov(MBUFNIC_BUSADDR_INVALID), nullptr);
  EXPECT_EQ(mbufnic_bustov(info.bus_base - 1), nullptr);
  EXPECT_EQ(mbufnic_bustov(info.bus_base + info.reserved), nullptr);
  // A virtual address is not a bus address.
  EXPECT_EQ(mbufnic_bustov(reinterpret_cast<uintptr_t>(base) + 4096), nullptr);
}

TEST_F(ArenaTest, ProvidingMemoryOnceTheArenaExistsIsRefused) {
  // This process's arena exists by now (the fixture's leak check made it).
  alignas(4096) static char region[MBUFNIC_ARENA_PROVIDE_MIN];
  const auto before = Info();
  EXPECT_EQ(mbufnic_arena_provide(region, sizeof region, 0x4000'0000), EBUSY);
  const auto after = Info();
  EXPECT_EQ(after.base, before.base);
  EXPECT_EQ(after.bus_base, before.bus_base);
  EXPECT_EQ(after.provided, 0);
}

TEST_F(ArenaTest, InArenaChecksTheWholeRange) {
  const auto info = Info();
  const char *base = static_cast<const char *>(info.base), *end = base + info.reserved;
  EXPECT_TRUE(mbufnic_in_arena(base, info.reserved));
  EXPECT_TRUE(mbufnic_in_arena(end - 1, 1));
  EXPECT_TRUE(mbufnic_in_arena(base, 0));
  EXPECT_FALSE(mbufnic_in_arena(base, info.reserved + 1));
  EXPECT_FALSE(mbufnic_in_arena(end - 1, 2));
  EXPECT_FALSE(mbufnic_in_arena(base - 1, 2));
  EXPECT_FALSE(mbufnic_in_arena(end, 1));
  EXPECT_FALSE(mbufnic_in_arena(base + 1, SIZE_MAX));
  int on_stack = 0;
  EXPECT_FALSE(mbufnic_in_arena(&on_stack, sizeof on_stack));
}

// ---- a fresh process per case: the arena is reserved on first use ----

class ArenaEnvDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  // The parent's environment must not leak into the tests that run after it in this process.
  void TearDown() override {
    unsetenv("MBUFNIC_ARENA_MB");
    unsetenv("MBUFNIC_HUGEPAGES");
  }
};

// In the child: report a failed check on stderr and exit with a code naming it.
#define CHILD_CHECK(cond, code)                                \
  do {                                                         \
    if (!(cond)) {                                             \
      std::fprintf(stderr, "child check failed: %s\n", #cond); \
      std::_Exit(code);                                        \
    }                                                          \
  } while (0)

// The children's bodies (each ends the process with the code of its first failed check).
[[noreturn]] void SizeAndLimitsChild() {
  const auto info = Info();
  CHILD_CHECK(info.reserved == size_t{64} << 20, 2);
  CHILD_CHECK(info.hugepages == 0, 3);
  // FreeBSD's formulas with maxmbufmem = 32 MiB.
  const struct {
    mbufnic_zone_id z;
    uint64_t limit;
  } expect[] = {{MBUFNIC_ZONE_CLUSTER, 4096},
                {MBUFNIC_ZONE_JUMBOP, 2048},
                {MBUFNIC_ZONE_JUMBO9, 606},
                {MBUFNIC_ZONE_JUMBO16, 341},
                {MBUFNIC_ZONE_MBUF, 26214}};
  for (const auto &e : expect) {
    mbufnic_zone_stats st{};
    mbufnic_zone_get_stats(e.z, &st);
    CHILD_CHECK(st.limit == e.limit, 10 + e.z);
  }
  std::_Exit(0);
}

[[noreturn]] void SmallArenaChild() {
  // Take every cluster the limits allow, of every size at once: all must fit.
  std::vector<struct mbuf *> held;
  const int sizes[4] = {MCLBYTES, MJUMPAGESIZE, MJUM9BYTES, MJUM16BYTES};
  // 8 MiB of maxmbufmem: 1024 clusters, 512 pages, 151 9k and 85 16k.
  const int expect[4] = {1024, 512, 151, 85};
  for (int i = 0; i < 4; ++i) {
    int count = 0;
    while (struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, 0, sizes[i])) {
      held.push_back(m);
      ++count;
    }
    CHILD_CHECK(count == expect[i], 2 + i);
  }
  const auto info = Info();
  CHILD_CHECK(info.committed <= info.reserved, 6);
  for (struct mbuf *m : held) m_freem(m);
  std::_Exit(0);
}

[[noreturn]] void ConcurrentFirstUseChild() {
  constexpr int kThreads = 8;
  void *bases[kThreads] = {};
  mbufnic_busaddr_t buses[kThreads] = {};
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, 0);
      buses[i] = mbufnic_vtobus(m->m_data);
      bases[i] = Info().base;
      m_freem(m);
    });
  for (auto &t : ts) t.join();
  for (int i = 0; i < kThreads; ++i) {
    CHILD_CHECK(bases[i] == bases[0], 2);
    CHILD_CHECK(buses[i] != MBUFNIC_BUSADDR_INVALID, 3);
  }
  std::_Exit(0);
}

TEST_F(ArenaEnvDeathTest, ArenaSizeAndLimitsFollowMbufnicArenaMb) {
  setenv("MBUFNIC_ARENA_MB", "64", 1);
  setenv("MBUFNIC_HUGEPAGES", "0", 1);
  EXPECT_EXIT(SizeAndLimitsChild(), ::testing::ExitedWithCode(0), "");
}

TEST_F(ArenaEnvDeathTest, ASmallArenaReachesItsLimitsBeforeItRunsOut) {
  setenv("MBUFNIC_ARENA_MB", "16", 1);
  EXPECT_EXIT(SmallArenaChild(), ::testing::ExitedWithCode(0), "");
}

TEST_F(ArenaEnvDeathTest, ConcurrentFirstUseReservesOnce) {
  EXPECT_EXIT(ConcurrentFirstUseChild(), ::testing::ExitedWithCode(0), "");
}

// ---- provided memory (mbufnic_arena_provide), a fresh process per case ----

using ArenaProvideDeathTest = ArenaEnvDeathTest;

constexpr size_t kRegion = size_t{16} << 20;
constexpr mbufnic_busaddr_t kRegionBus = 0x2'4000'0000;  // any 4 KiB-aligned bus address

// Memory as a backend would hand it over: 2 MiB aligned, as an xrt::bo's map() is.  Never freed:
// the arena keeps it until the child exits.
char *Region() { return static_cast<char *>(std::aligned_alloc(2u << 20, kRegion)); }

[[noreturn]] void ProvidedMemoryChild() {
  char *region = Region();
  CHILD_CHECK(mbufnic_arena_provide(region, kRegion, kRegionBus) == 0, 2);
  const auto info = Info();
  CHILD_CHECK(info.base == region && info.reserved == kRegion, 3);
  CHILD_CHECK(info.bus_base == kRegionBus && info.provided == 1 && info.hugepages == 0, 4);
  // The limits follow the region's size: 8 MiB of maxmbufmem is 1024 clusters, all of which fit.
  mbufnic_zone_stats st{};
  mbufnic_zone_get_stats(MBUFNIC_ZONE_CLUSTER, &st);
  CHILD_CHECK(st.limit == 1024, 5);
  std::vector<struct mbuf *> held;
  while (struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, 0, MCLBYTES)) {
    CHILD_CHECK(mbufnic_vtobus(m->m_data) - kRegionBus < kRegion, 6);
    held.push_back(m);
  }
  CHILD_CHECK(held.size() == 1024, 7);
  for (struct mbuf *m : held) m_freem(m);
  // Every kind of buffer is inside the region, at the bus address the region gives it.
  auto ms = OneOfEach();
  for (struct mbuf *m : ms) {
    CHILD_CHECK(m != nullptr, 8);
    const char *const addrs[] = {reinterpret_cast<const char *>(m), m->m_data};
    for (const char *p : addrs) {
      CHILD_CHECK(p >= region && p < region + kRegion, 9);
      CHILD_CHECK(mbufnic_vtobus(p) == kRegionBus + static_cast<mbufnic_busaddr_t>(p - region), 10);
      CHILD_CHECK(mbufnic_bustov(mbufnic_vtobus(p)) == p, 11);
    }
    CHILD_CHECK(mbufnic_in_arena(m->m_data, M_SIZE(m)) == 1, 12);
  }
  for (struct mbuf *m : ms) m_freem(m);
  // The ends of the region and what lies outside it.
  CHILD_CHECK(mbufnic_vtobus(region + kRegion - 1) == kRegionBus + kRegion - 1, 13);
  CHILD_CHECK(mbufnic_vtobus(region + kRegion) == MBUFNIC_BUSADDR_INVALID, 14);
  CHILD_CHECK(mbufnic_vtobus(region - 1) == MBUFNIC_BUSADDR_INVALID, 15);
  CHILD_CHECK(mbufnic_bustov(kRegionBus - 1) == nullptr, 16);
  CHILD_CHECK(mbufnic_bustov(kRegionBus + kRegion) == nullptr, 17);
  // Once is all.
  CHILD_CHECK(mbufnic_arena_provide(Region(), kRegion, kRegionBus) == EBUSY, 18);
  std::_Exit(0);
}

[[noreturn]] void BadRegionsChild() {
  char *region = Region();
  const size_t a = MBUFNIC_ARENA_PROVIDE_ALIGN;
  CHILD_CHECK(mbufnic_arena_provide(nullptr, kRegion, kRegionBus) == EINVAL, 2);
  CHILD_CHECK(mbufnic_arena_provide(region + 64, kRegion - a, kRegionBus) == EINVAL, 3);
  CHILD_CHECK(mbufnic_arena_provide(region, kRegion, kRegionBus + 64) == EINVAL, 4);
  CHILD_CHECK(mbufnic_arena_provide(region, kRegion, MBUFNIC_BUSADDR_INVALID) == EINVAL, 5);
  CHILD_CHECK(mbufnic_arena_provide(region, MBUFNIC_ARENA_PROVIDE_MIN - a, kRegionBus) == EINVAL,
              6);
  CHILD_CHECK(mbufnic_arena_provide(region, kRegion, UINT64_MAX - a + 1) == EINVAL, 7);
  // None of them made the arena: a good region is still taken.
  CHILD_CHECK(mbufnic_arena_provide(region, MBUFNIC_ARENA_PROVIDE_MIN, kRegionBus) == 0, 8);
  CHILD_CHECK(Info().base == region && Info().reserved == MBUFNIC_ARENA_PROVIDE_MIN, 9);
  std::_Exit(0);
}

[[noreturn]] void AfterFirstUseChild() {
  struct mbuf *m = m_get(M_NOWAIT, MT_DATA);  // makes the arena
  CHILD_CHECK(mbufnic_arena_provide(Region(), kRegion, kRegionBus) == EBUSY, 2);
  CHILD_CHECK(Info().provided == 0 && mbufnic_vtobus(m) != MBUFNIC_BUSADDR_INVALID, 3);
  m_freem(m);
  std::_Exit(0);
}

TEST_F(ArenaProvideDeathTest, ProvidedMemoryHoldsEveryBufferAtItsBusAddresses) {
  EXPECT_EXIT(ProvidedMemoryChild(), ::testing::ExitedWithCode(0), "");
}

TEST_F(ArenaProvideDeathTest, BadRegionsAreRefusedAndLeaveTheArenaUnmade) {
  EXPECT_EXIT(BadRegionsChild(), ::testing::ExitedWithCode(0), "");
}

TEST_F(ArenaProvideDeathTest, RefusedAfterTheFirstAllocation) {
  EXPECT_EXIT(AfterFirstUseChild(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace mbufnic::test
