// The DMA arena and the zones carved from it.
//
// Memory: one range of address space is reserved at first use (2 MiB hugepages when the system
// has them), or handed over once before that by mbufnic_arena_provide(), and given out to zones
// in slabs by a bump pointer; nothing is returned to the system, as UMA keeps its kegs.  Every
// byte has a bus address: in an IOVA space of its own, or the provided memory's.
//
// Zones: each keeps a shared free list under a mutex, and every thread keeps a small cache per
// zone so that the common allocation and free touch no lock and no shared cache line.  Caches
// move items to and from the shared list in half-cache batches.  The packet zone caches
// assembled mbuf+cluster pairs built from the mbuf and cluster zones' items.
//
// Accounting: a zone counts the items that exist for it (`created`); the items it caches are
// its shared list plus every thread's cache; "used" is the difference.  The mbufs and clusters
// that make up packet pairs count in the packet zone only.  Limits cap mbufs (mbuf zone + pairs)
// and clusters (cluster zone + pairs) as FreeBSD's nmbufs and nmbclusters do.
#include "mbuf_zone.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <mutex>
#include <vector>

#include "mbuf_internal.h"

namespace mbufnic::internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Arena
// ---------------------------------------------------------------------------------------------

constexpr mbufnic_busaddr_t kBusBase = 0x10'0000'0000ull;  // 64 GiB: never a user-space VA here
constexpr size_t kHugePage = 2u << 20;

struct Arena {
  std::once_flag once;
  std::mutex mu;
  char *base = nullptr;
  size_t reserved = 0;
  size_t committed = 0;  // guarded by mu; read racily only by statistics
  mbufnic_busaddr_t bus_base = kBusBase;
  bool hugepages = false;
  bool provided = false;  // by mbufnic_arena_provide()
};
Arena g_arena;

void SetDefaultLimits(uint64_t arena_bytes);

void ArenaInit() {
  size_t mib = 4096;
  if (const char *e = std::getenv("MBUFNIC_ARENA_MB"); e && std::atoi(e) > 0) mib = std::atoi(e);
  const size_t bytes = (mib << 20) + kHugePage;
  const char *hp = std::getenv("MBUFNIC_HUGEPAGES");
  void *p = MAP_FAILED;
  if (!(hp && hp[0] == '0')) {
    // Reserved hugetlb pages only when the pool can back the whole arena: the kernel reserves
    // them at mmap time (no MAP_NORESERVE), so a shortage fails here, not as SIGBUS later.
    p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1,
             0);
    g_arena.hugepages = (p != MAP_FAILED);
  }
  if (p == MAP_FAILED) {
    p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    if (p == MAP_FAILED) panic("mbufnic: cannot reserve a %zu MiB DMA arena", mib);
    // Otherwise ask for transparent huge pages, which the kernel gives where it can.
    madvise(p, bytes, MADV_HUGEPAGE);
  }
  // Align the usable base to 2 MiB so that slabs and clusters never straddle a large page.
  char *b = static_cast<char *>(p);
  b += (kHugePage - reinterpret_cast<uintptr_t>(b) % kHugePage) % kHugePage;
  g_arena.base = b;
  g_arena.reserved = mib << 20;
  SetDefaultLimits(g_arena.reserved);
}

Arena &arena() {
  std::call_once(g_arena.once, ArenaInit);
  return g_arena;
}

// A slab of `bytes`, aligned to `align` (a power of two), or NULL when the arena is full.
char *ArenaCarve(size_t bytes, size_t align) {
  Arena &a = arena();
  std::lock_guard<std::mutex> lock(a.mu);
  size_t off = (a.committed + align - 1) & ~(align - 1);
  if (off + bytes > a.reserved) return nullptr;
  a.committed = off + bytes;
  return a.base + off;
}

// ---------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------

struct ZoneDesc {
  const char *name;
  uint32_t size;
};
constexpr ZoneDesc kZones[MBUFNIC_ZONE_COUNT] = {
    {"mbuf", MSIZE},
    {"mbuf_cluster", MCLBYTES},
    {"mbuf_packet", MSIZE},
    {"mbuf_jumbo_page", MJUMPAGESIZE},
    {"mbuf_jumbo_9k", MJUM9BYTES},
    {"mbuf_jumbo_16k", MJUM16BYTES},
};

struct Zone {
  std::mutex mu;
  std::vector<void *> shared;  // guarded by mu
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> limit{0};
  std::atomic<uint64_t> requests_dead{0};  // requests of threads that have exited
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> sleeps{0};
  std::atomic<size_t> shared_count{0};  // mirror of shared.size() for statistics
};

// Storage whose destructor never runs.  Frees may arrive after this file's static destructors
// would have run: from a global object's destructor (a packet handle kept in a global), or from
// a thread still running at exit.  constinit keeps the zones usable from other files' static
// constructors as well, whatever the initialisation order.
template <typename T>
union NoDestroy {
  constexpr NoDestroy() : value() {}
  ~NoDestroy() {}
  T value;
};
constinit NoDestroy<Zone[MBUFNIC_ZONE_COUNT]> g_zones;
constinit Zone (&g_zone)[MBUFNIC_ZONE_COUNT] = g_zones.value;

// Waiting for memory: one mutex and condition for every zone.  Frees go to the shared lists
// while anyone waits, so the waiter can see them.  (std::mutex has a trivial destructor; the
// condition variable is leaked for the same reason as the zones.)
std::mutex g_wait_mu;
std::condition_variable &WaitCv() {
  static auto *cv = new std::condition_variable();
  return *cv;
}
}  // namespace
std::atomic<int> g_waiters{0};
namespace {

std::mutex g_registry_mu;
std::vector<ThreadCache *> *g_registry = nullptr;  // guarded by g_registry_mu

void FlushToShared(mbufnic_zone_id z, void *const *items, uint32_t n);

}  // namespace

ThreadCache::ThreadCache() {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  if (g_registry == nullptr) g_registry = new std::vector<ThreadCache *>();
  g_registry->push_back(this);
}

void ThreadCache::Drain() {
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
    const uint32_t n = b[z].n.load(std::memory_order_relaxed);
    if (n) FlushToShared(static_cast<mbufnic_zone_id>(z), b[z].items, n);
    b[z].n.store(0, std::memory_order_relaxed);
  }
}

namespace {}  // namespace

__thread ThreadCache *t_cache __attribute__((tls_model("initial-exec"))) = nullptr;
// Set once this thread's cache is destroyed: frees during later thread-exit destructors go
// straight to the shared lists.
__thread bool t_cache_gone __attribute__((tls_model("initial-exec"))) = false;

ThreadCache::~ThreadCache() {
  Drain();
  t_cache = nullptr;
  t_cache_gone = true;
  std::lock_guard<std::mutex> lock(g_registry_mu);
  std::erase(*g_registry, this);
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z)
    g_zone[z].requests_dead.fetch_add(b[z].requests.load(std::memory_order_relaxed));
}

ThreadCache *CacheSlow() {
  if (t_cache_gone) return nullptr;
  static thread_local ThreadCache cache;
  t_cache = &cache;
  return t_cache;
}

namespace {

// The calling thread's cache, or NULL during and after its destruction at thread exit.
inline ThreadCache *Cache() {
  ThreadCache *c = t_cache;
  return __predict_true(c != nullptr) ? c : CacheSlow();
}

uint64_t Count(mbufnic_zone_id z) { return g_zone[z].created.load(std::memory_order_relaxed); }

// Items that exist for the mbuf limit, or the cluster limit, of zone z.
bool UnderLimit(mbufnic_zone_id z, uint64_t extra) {
  const uint64_t lim = g_zone[z].limit.load(std::memory_order_relaxed);
  uint64_t total = Count(z) + extra;
  if (z == MBUFNIC_ZONE_MBUF || z == MBUFNIC_ZONE_CLUSTER) total += Count(MBUFNIC_ZONE_PACKET);
  return total <= lim;
}

void FlushToShared(mbufnic_zone_id z, void *const *items, uint32_t n) {
  Zone &zn = g_zone[z];
  {
    std::lock_guard<std::mutex> lock(zn.mu);
    zn.shared.insert(zn.shared.end(), items, items + n);
    zn.shared_count.store(zn.shared.size(), std::memory_order_seq_cst);
  }
  // Publish-then-check here and announce-then-check in AllocFromShared, both sequentially
  // consistent: either the waiter sees these items or we see the waiter and wake it.
  if (g_waiters.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(g_wait_mu);
    WaitCv().notify_all();
  }
}

// Carve up to `want` new items for raw zone z (never the packet zone) within its limit; returns
// how many were written to out.  Caller holds the zone lock.
uint32_t CarveLocked(mbufnic_zone_id z, void **out, uint32_t want) {
  const uint64_t lim = g_zone[z].limit.load(std::memory_order_relaxed);
  uint64_t total = Count(z);
  if (z == MBUFNIC_ZONE_MBUF || z == MBUFNIC_ZONE_CLUSTER) total += Count(MBUFNIC_ZONE_PACKET);
  if (total >= lim) return 0;
  want = static_cast<uint32_t>(std::min<uint64_t>(want, lim - total));
  const size_t size = kZones[z].size;
  const size_t align = std::min<size_t>(size & (size - 1) ? 4096 : size, 4096);
  char *slab = ArenaCarve(size * want, align);
  if (slab == nullptr) return 0;
  for (uint32_t i = 0; i < want; ++i) out[i] = slab + i * size;
  g_zone[z].created.fetch_add(want, std::memory_order_relaxed);
  return want;
}

// Take a cached pair out of the packet zone and give its parts back to the mbuf and cluster
// zones: what FreeBSD does when the cluster zone runs dry (mb_zfini_pack, and m_clget draining
// zone_pack).  This thread's own cached pairs go first, so that a thread that frees m_getcl
// packets and then asks for a plain cluster at the limit gets one; only the owner touches its
// cache, so that needs no lock.
bool StealPacketPair() {
  Zone &pz = g_zone[MBUFNIC_ZONE_PACKET];
  struct mbuf *m = nullptr;
  if (ThreadCache *c = t_cache) {
    Bucket &b = c->b[MBUFNIC_ZONE_PACKET];
    if (const uint32_t n = b.n.load(std::memory_order_relaxed); n != 0) {
      m = static_cast<struct mbuf *>(b.items[n - 1]);
      b.n.store(n - 1, std::memory_order_relaxed);
    }
  }
  if (m == nullptr) {
    std::lock_guard<std::mutex> lock(pz.mu);
    if (pz.shared.empty()) return false;
    m = static_cast<struct mbuf *>(pz.shared.back());
    pz.shared.pop_back();
    pz.shared_count.store(pz.shared.size(), std::memory_order_relaxed);
  }
  void *cl = m->m_ext.ext_buf;
  PacketDisown();
  FlushToShared(MBUFNIC_ZONE_MBUF, reinterpret_cast<void *const *>(&m), 1);
  FlushToShared(MBUFNIC_ZONE_CLUSTER, &cl, 1);
  return true;
}

// Fill `out` with up to `want` items of raw zone z from its shared list or fresh slabs.
uint32_t RefillRaw(mbufnic_zone_id z, void **out, uint32_t want) {
  Zone &zn = g_zone[z];
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard<std::mutex> lock(zn.mu);
      uint32_t got = 0;
      while (got < want && !zn.shared.empty()) {
        out[got++] = zn.shared.back();
        zn.shared.pop_back();
      }
      zn.shared_count.store(zn.shared.size(), std::memory_order_relaxed);
      if (got == 0) got = CarveLocked(z, out, want);
      if (got) return got;
    }
    if (!((z == MBUFNIC_ZONE_MBUF || z == MBUFNIC_ZONE_CLUSTER) && StealPacketPair())) break;
  }
  return 0;
}

// Take up to `want` pairs from the packet zone's shared list, or else build them from raw mbufs
// and clusters.  Building in batches carves mbufs and clusters in slabs of their own: carving
// them one by one alternates 256- and 2048-byte alignment and wastes 1792 bytes per pair.
uint32_t RefillPacket(void **out, uint32_t want) {
  Zone &pz = g_zone[MBUFNIC_ZONE_PACKET];
  {
    std::lock_guard<std::mutex> lock(pz.mu);
    uint32_t got = 0;
    while (got < want && !pz.shared.empty()) {
      out[got++] = pz.shared.back();
      pz.shared.pop_back();
    }
    pz.shared_count.store(pz.shared.size(), std::memory_order_relaxed);
    if (got) return got;
  }
  void *clusters[kCacheCap[MBUFNIC_ZONE_PACKET] / 2];
  want = std::min<uint32_t>(want, std::size(clusters));
  const uint32_t nm = RefillRaw(MBUFNIC_ZONE_MBUF, out, want);
  if (nm == 0) return 0;
  const uint32_t n = RefillRaw(MBUFNIC_ZONE_CLUSTER, clusters, nm);
  if (n < nm) FlushToShared(MBUFNIC_ZONE_MBUF, out + n, nm - n);  // mbufs without a partner
  if (n == 0) return 0;
  // The items move from their zones into the packet zone.
  g_zone[MBUFNIC_ZONE_MBUF].created.fetch_sub(n, std::memory_order_relaxed);
  g_zone[MBUFNIC_ZONE_CLUSTER].created.fetch_sub(n, std::memory_order_relaxed);
  pz.created.fetch_add(n, std::memory_order_relaxed);
  for (uint32_t i = 0; i < n; ++i) {
    auto *m = static_cast<struct mbuf *>(out[i]);
    m->m_ext.ext_buf = static_cast<char *>(clusters[i]);
    m->m_ext.ext_size = MCLBYTES;
    m->m_ext.ext_type = EXT_PACKET;
    m->m_ext.ext_flags = EXT_FLAG_EMBREF;
    m->m_ext.ext_count = 1;
    m->m_ext.ext_free = nullptr;
    m->m_ext.ext_arg1 = nullptr;
    m->m_ext.ext_arg2 = nullptr;
  }
  return n;
}

uint32_t Refill(mbufnic_zone_id z, void **out, uint32_t want) {
  return z == MBUFNIC_ZONE_PACKET ? RefillPacket(out, want) : RefillRaw(z, out, want);
}

// True when an allocation from zone z might now succeed.  Called with g_wait_mu held.
bool MightSucceed(mbufnic_zone_id z) {
  auto cached = [](mbufnic_zone_id y) {
    return g_zone[y].shared_count.load(std::memory_order_seq_cst) > 0;
  };
  if (cached(z)) return true;
  if (z == MBUFNIC_ZONE_PACKET)
    return (cached(MBUFNIC_ZONE_MBUF) || UnderLimit(MBUFNIC_ZONE_MBUF, 1)) &&
           (cached(MBUFNIC_ZONE_CLUSTER) || UnderLimit(MBUFNIC_ZONE_CLUSTER, 1));
  if (UnderLimit(z, 1)) return true;
  return (z == MBUFNIC_ZONE_MBUF || z == MBUFNIC_ZONE_CLUSTER) && cached(MBUFNIC_ZONE_PACKET);
}

// One item from the shared list (refilling half of this thread's cache when it has one).
void *TakeShared(ThreadCache *c, mbufnic_zone_id z) {
  if (c != nullptr) {
    Bucket &b = c->b[z];
    const uint32_t got = Refill(z, b.items, kCacheCap[z] / 2);
    if (got == 0) return nullptr;
    b.n.store(got - 1, std::memory_order_relaxed);
    return b.items[got - 1];
  }
  void *one = nullptr;
  return Refill(z, &one, 1) ? one : nullptr;
}

void *AllocFromShared(mbufnic_zone_id z, int how) {
  ThreadCache *c = Cache();
  void *item = TakeShared(c, z);
  if (item != nullptr) return item;
  if (!(how & M_WAITOK)) {
    g_zone[z].failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // Announce the wait before looking again: a free that starts after this goes to the shared
  // lists and wakes us (ZoneFree checks g_waiters), and FlushToShared's ordering means no wakeup
  // is lost.  A free that raced with the announcement may leave its item in that thread's cache
  // until the thread drains it, as items in another CPU's cache are out of reach in UMA (uma(9)
  // says so of uma_zone_set_max); the timed wait is only a backstop.  The sleep is counted after
  // the announcement, so a thread that sees the count go up and then frees always wakes us.
  g_waiters.fetch_add(1, std::memory_order_seq_cst);
  bool slept = false;
  while ((item = TakeShared(c, z)) == nullptr) {
    if (!slept) g_zone[z].sleeps.fetch_add(1, std::memory_order_release);
    slept = true;
    std::unique_lock<std::mutex> lock(g_wait_mu);
    if (!MightSucceed(z)) WaitCv().wait_for(lock, std::chrono::milliseconds(50));
  }
  g_waiters.fetch_sub(1, std::memory_order_release);
  return item;
}

// FreeBSD's default limits (kern_mbuf.c), with maxmbufmem half the arena.  Set once, when the
// arena is reserved: on first use rather than at static initialisation, so that another file's
// static constructor that allocates finds limits, and so that MBUFNIC_ARENA_MB is honoured.
void SetDefaultLimits(uint64_t arena_bytes) {
  const uint64_t mem = arena_bytes / 2;
  const uint64_t clusters = mem / MCLBYTES / 4, jumbop = mem / MJUMPAGESIZE / 4,
                 jumbo9 = mem / MJUM9BYTES / 6, jumbo16 = mem / MJUM16BYTES / 6;
  g_zone[MBUFNIC_ZONE_MBUF].limit = std::max(mem / MSIZE / 5, clusters + jumbop + jumbo9 + jumbo16);
  g_zone[MBUFNIC_ZONE_CLUSTER].limit = clusters;
  g_zone[MBUFNIC_ZONE_PACKET].limit = 0;  // bounded by the two above
  g_zone[MBUFNIC_ZONE_JUMBOP].limit = jumbop;
  g_zone[MBUFNIC_ZONE_JUMBO9].limit = jumbo9;
  g_zone[MBUFNIC_ZONE_JUMBO16].limit = jumbo16;
}

}  // namespace

void *ZoneAllocSlow(mbufnic_zone_id z, int how) {
  arena();  // limits are set with the arena
  if (fault_active() && fault_should_fail(how)) {
    g_zone[z].failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  ThreadCache *c = Cache();
  if (c != nullptr) {
    // Here when fault injection is on, or on the first use of the cache: the cache may hold
    // items, and a refill would overwrite them.
    Bucket &b = c->b[z];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    if (n != 0) {
      b.n.store(n - 1, std::memory_order_relaxed);
      b.requests.store(b.requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return b.items[n - 1];
    }
  }
  void *item = AllocFromShared(z, how);
  if (item == nullptr) return nullptr;
  if (c != nullptr)
    c->b[z].requests.store(c->b[z].requests.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  else
    g_zone[z].requests_dead.fetch_add(1, std::memory_order_relaxed);
  return item;
}

void ZoneFreeSlow(mbufnic_zone_id z, void *item) {
  ThreadCache *c = Cache();
  if (c == nullptr || g_waiters.load(std::memory_order_relaxed) > 0) {
    FlushToShared(z, &item, 1);
    return;
  }
  Bucket &b = c->b[z];
  uint32_t n = b.n.load(std::memory_order_relaxed);
  const uint32_t cap = kCacheCap[z];
  if (n == cap) {
    // Keep the most recently freed (cache-warm) half, give the older half to everyone.
    FlushToShared(z, b.items, cap / 2);
    std::memmove(b.items, b.items + cap / 2, (cap - cap / 2) * sizeof(void *));
    n = cap - cap / 2;
  }
  b.items[n] = item;
  b.n.store(n + 1, std::memory_order_relaxed);
}

void PacketDisown() {
  g_zone[MBUFNIC_ZONE_PACKET].created.fetch_sub(1, std::memory_order_relaxed);
  g_zone[MBUFNIC_ZONE_MBUF].created.fetch_add(1, std::memory_order_relaxed);
  g_zone[MBUFNIC_ZONE_CLUSTER].created.fetch_add(1, std::memory_order_relaxed);
}

mbufnic_zone_id ZoneForSize(int size) {
  switch (size) {
    case MCLBYTES:
      return MBUFNIC_ZONE_CLUSTER;
    case MJUMPAGESIZE:
      return MBUFNIC_ZONE_JUMBOP;
    case MJUM9BYTES:
      return MBUFNIC_ZONE_JUMBO9;
    case MJUM16BYTES:
      return MBUFNIC_ZONE_JUMBO16;
    default:
      return MBUFNIC_ZONE_COUNT;
  }
}


}  // namespace mbufnic::internal

using namespace mbufnic::internal;

extern "C" {

mbufnic_busaddr_t mbufnic_vtobus(const void *va) {
  Arena &a = arena();
  const char *p = static_cast<const char *>(va);
  if (p < a.base || p >= a.base + a.reserved) return MBUFNIC_BUSADDR_INVALID;
  return a.bus_base + static_cast<mbufnic_busaddr_t>(p - a.base);
}

void *mbufnic_bustov(mbufnic_busaddr_t bus) {
  Arena &a = arena();
  if (bus < a.bus_base || bus - a.bus_base >= a.reserved) return nullptr;
  return a.base + (bus - a.bus_base);
}

int mbufnic_in_arena(const void *va, size_t len) {
  Arena &a = arena();
  const char *p = static_cast<const char *>(va);
  return p >= a.base && len <= a.reserved && p - a.base <= static_cast<ptrdiff_t>(a.reserved - len);
}

void mbufnic_arena_get_info(struct mbufnic_arena_info *info) {
  Arena &a = arena();
  std::lock_guard<std::mutex> lock(a.mu);
  info->base = a.base;
  info->reserved = a.reserved;
  info->committed = a.committed;
  info->bus_base = a.bus_base;
  info->hugepages = a.hugepages;
  info->provided = a.provided;
}

int mbufnic_arena_provide(void *base, size_t len, mbufnic_busaddr_t bus_base) {
  const uintptr_t va = reinterpret_cast<uintptr_t>(base);
  if (base == nullptr || va % MBUFNIC_ARENA_PROVIDE_ALIGN != 0 ||
      bus_base == MBUFNIC_BUSADDR_INVALID || bus_base % MBUFNIC_ARENA_PROVIDE_ALIGN != 0 ||
      len < MBUFNIC_ARENA_PROVIDE_MIN || va > UINTPTR_MAX - len || bus_base > UINT64_MAX - len) {
    return EINVAL;
  }
  // The same once_flag as the reservation on first use: whichever comes first makes the arena.
  bool mine = false;
  std::call_once(g_arena.once, [&] {
    g_arena.base = static_cast<char *>(base);
    g_arena.reserved = len;
    g_arena.bus_base = bus_base;
    g_arena.provided = true;
    SetDefaultLimits(len);
    mine = true;
  });
  return mine ? 0 : EBUSY;
}

int mbufnic_zone_get_stats(enum mbufnic_zone_id z, struct mbufnic_zone_stats *st) {
  if (z < 0 || z >= MBUFNIC_ZONE_COUNT || st == nullptr) return EINVAL;
  arena();  // the default limits
  Zone &zn = g_zone[z];
  uint64_t cached = zn.shared_count.load(std::memory_order_relaxed);
  uint64_t requests = zn.requests_dead.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    if (g_registry)
      for (ThreadCache *c : *g_registry) {
        cached += c->b[z].n.load(std::memory_order_relaxed);
        requests += c->b[z].requests.load(std::memory_order_relaxed);
      }
  }
  const uint64_t created = zn.created.load(std::memory_order_relaxed);
  st->name = kZones[z].name;
  st->size = kZones[z].size;
  st->limit = zn.limit.load(std::memory_order_relaxed);
  st->free = cached;
  st->used = created >= cached ? created - cached : 0;
  st->requests = requests;
  st->failures = zn.failures.load(std::memory_order_relaxed);
  st->sleeps = zn.sleeps.load(std::memory_order_acquire);
  return 0;
}

int mbufnic_zone_set_limit(enum mbufnic_zone_id z, uint64_t limit) {
  if (z < 0 || z >= MBUFNIC_ZONE_COUNT || z == MBUFNIC_ZONE_PACKET) return EINVAL;
  arena();  // so that setting the defaults later cannot overwrite this limit
  g_zone[z].limit.store(limit, std::memory_order_relaxed);
  // A raised limit may let a waiter through.
  std::lock_guard<std::mutex> lock(g_wait_mu);
  WaitCv().notify_all();
  return 0;
}

void mbufnic_thread_cache_drain(void) {
  if (ThreadCache *c = Cache()) c->Drain();
}

}  // extern "C"
