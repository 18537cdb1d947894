// Zones over the DMA arena: fixed-size items with per-thread caches, limits and statistics.
// The FreeBSD-facing allocation API (mbuf_alloc.cc) is built on these four calls.
#ifndef MBUFNIC_HOST_MBUF_MBUF_ZONE_H_
#define MBUFNIC_HOST_MBUF_MBUF_ZONE_H_

#include <atomic>
#include <cstdint>

#include "mbuf_internal.h"
#include "mbufnic/runtime.h"

struct mbuf;

namespace mbufnic::internal {

// Per-thread caches.  The item count is an atomic written only by its thread (plain loads and
// stores, no read-modify-write), so statistics may read it from any thread.
constexpr uint32_t kMaxCacheCap = 512;
// Per-thread cache capacity of each zone, in zone order (mbuf, cluster, packet, 4k, 9k, 16k).
constexpr uint32_t kCacheCap[MBUFNIC_ZONE_COUNT] = {512, 256, 256, 64, 16, 16};
struct Bucket {
  std::atomic<uint32_t> n{0};
  std::atomic<uint64_t> requests{0};
  void *items[kMaxCacheCap];
};
struct ThreadCache {
  Bucket b[MBUFNIC_ZONE_COUNT];
  ThreadCache();
  ~ThreadCache();
  void Drain();  // give every cached item back to the shared lists
};
// This thread's cache, or NULL before its first use and after its destruction.  __thread (a
// plain pointer, statically initialised) rather than thread_local, so that reading it needs no
// TLS-init wrapper call; initial-exec because libmbufnic is linked at start-up, not dlopen()ed.
extern __thread ThreadCache *t_cache __attribute__((tls_model("initial-exec")));
extern std::atomic<int> g_waiters;  // threads waiting for memory in any zone
void *ZoneAllocSlow(mbufnic_zone_id z, int how);
void ZoneFreeSlow(mbufnic_zone_id z, void *item);

// Take one item from zone z (not the packet zone).  NULL only for M_NOWAIT: at the limit, or when
// fault injection says so.  M_WAITOK waits for a free item.  The common case is a pop from this
// thread's cache: no lock, no atomic read-modify-write.
inline void *ZoneAlloc(mbufnic_zone_id z, int how) {
  ThreadCache *c = t_cache;
  if (__builtin_expect(c != nullptr && !fault_active(), 1)) {
    Bucket &b = c->b[z];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    if (__builtin_expect(n != 0, 1)) {
      b.n.store(n - 1, std::memory_order_relaxed);
      b.requests.store(b.requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return b.items[n - 1];
    }
  }
  return ZoneAllocSlow(z, how);
}
// Give an item back to zone z.
inline void ZoneFree(mbufnic_zone_id z, void *item) {
  ThreadCache *c = t_cache;
  if (__builtin_expect(c != nullptr && g_waiters.load(std::memory_order_relaxed) == 0, 1)) {
    Bucket &b = c->b[z];
    const uint32_t n = b.n.load(std::memory_order_relaxed);
    if (__builtin_expect(n < kCacheCap[z], 1)) {
      b.items[n] = item;
      b.n.store(n + 1, std::memory_order_relaxed);
      return;
    }
  }
  ZoneFreeSlow(z, item);
}

// Take an assembled mbuf+cluster pair from the packet zone: the mbuf's m_ext describes the
// cluster (EXT_PACKET, embedded count 1); nothing else in the mbuf is initialised.
inline struct mbuf *PacketAlloc(int how) {
  return static_cast<struct mbuf *>(ZoneAlloc(MBUFNIC_ZONE_PACKET, how));
}
// Return a pair whose cluster reference count has dropped to zero.
inline void PacketFree(struct mbuf *m) { ZoneFree(MBUFNIC_ZONE_PACKET, m); }
// A pair leaves the packet zone for good: its mbuf now counts in the mbuf zone and its cluster in
// the cluster zone (used when MEXTFREE strips the cluster off a packet-zone mbuf).
void PacketDisown();

// The cluster zone for an external storage size (MCLBYTES, MJUMPAGESIZE, 9k, 16k), or
// MBUFNIC_ZONE_COUNT for any other size.
mbufnic_zone_id ZoneForSize(int size);

}  // namespace mbufnic::internal

#endif  // MBUFNIC_HOST_MBUF_MBUF_ZONE_H_
