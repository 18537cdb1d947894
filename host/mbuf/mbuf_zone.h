// Zones over the DMA arena: fixed-size items with per-thread caches, limits and statistics.
// The FreeBSD-facing allocation API (mbuf_alloc.cc) is built on these four calls.
#ifndef MBUFNIC_HOST_MBUF_MBUF_ZONE_H_
#define MBUFNIC_HOST_MBUF_MBUF_ZONE_H_

#include <cstdint>

#include "mbufnic/runtime.h"

struct mbuf;

namespace mbufnic::internal {

// Take one item from zone z (not the packet zone).  NULL only for M_NOWAIT: at the limit, or when
// fault injection says so.  M_WAITOK waits for a free item.
void *ZoneAlloc(mbufnic_zone_id z, int how);
// Give an item back to zone z.
void ZoneFree(mbufnic_zone_id z, void *item);

// Take an assembled mbuf+cluster pair from the packet zone: the mbuf's m_ext describes the
// cluster (EXT_PACKET, embedded count 1); nothing else in the mbuf is initialised.
struct mbuf *PacketAlloc(int how);
// Return a pair whose cluster reference count has dropped to zero.
void PacketFree(struct mbuf *m);
// A pair leaves the packet zone for good: its mbuf now counts in the mbuf zone and its cluster in
// the cluster zone (used when MEXTFREE strips the cluster off a packet-zone mbuf).
void PacketDisown();

// The cluster zone for an external storage size (MCLBYTES, MJUMPAGESIZE, 9k, 16k), or
// MBUFNIC_ZONE_COUNT for any other size.
mbufnic_zone_id ZoneForSize(int size);
uint32_t ZoneItemSize(mbufnic_zone_id z);

}  // namespace mbufnic::internal

#endif  // MBUFNIC_HOST_MBUF_MBUF_ZONE_H_
