// What the driver's sources share and do not publish: header reads over chains and the
// software paths the transmit side falls back on (sw_fallback.cc).
#ifndef MBUFNIC_HOST_DRIVER_DRIVER_INTERNAL_H_
#define MBUFNIC_HOST_DRIVER_DRIVER_INTERNAL_H_

#include <sys/mbuf.h>

#include <cstdint>

#include "mbufnic/driver.hpp"

namespace mbufnic::driver {

// Transmit requests (a send tag is not one), and the two groups of them.
inline constexpr uint32_t kTxRequests = CSUM_FLAGS_TX & ~CSUM_SND_TAG;
inline constexpr uint32_t kCsumRequests =
    CSUM_IP | CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP | CSUM_IP6_TCP;
inline constexpr uint32_t kTsoRequests = CSUM_IP_TSO | CSUM_IP6_TSO;

// Copies a chain's first bytes (<mbufnic/offload_map.hpp>).
using mbufnic::CopyPrefix;

// ether_vlanencap: inserts the 802.1Q tag ether_vtag after the MAC addresses, clears M_VLANTAG
// and moves l2hlen (when set) past the tag.  Returns the chain, or NULL when memory ran out (the
// chain is then freed, as M_PREPEND and m_pullup free it).
struct mbuf *VlanEncap(struct mbuf *m);

// Re-seeds th_sum of a TSO request with the pseudo-header sum without the length (what the
// segmenter and mbufnic_sw_tso expect), as iflib does.  0; EINVAL when the headers are not
// found (chain untouched); ENOBUFS when a private copy of shared headers could not be made
// (chain untouched).  *mp may change (a new header mbuf in front).
int SeedTsoChecksum(struct mbuf **mp);

// in_delayed_cksum and ip_output's in_cksum: computes the checksums csum_flags asks for (IPv4
// header, TCP/UDP) into the packet and clears those requests.  0, EINVAL (headers not found,
// field past the end, CSUM_IP on a packet that is not IPv4) or ENOBUFS, both with the chain
// untouched; *mp may change as for SeedTsoChecksum.
int SoftwareChecksum(struct mbuf **mp);

// Ring memory: a zeroed 16 KiB jumbo cluster on an mbuf (freed with it), 64-byte aligned and
// contiguous in bus space; *va and *bus say where.  Throws DriverError otherwise.
struct mbuf *RingAlloc(void **va, uint64_t *bus);
// Frees what RingAlloc gave (nothing when m is null) and nulls m.
void FreeRing(struct mbuf *&m);

// Copies a packet into as few 16 KiB jumbo clusters as hold it, for a chain that m_defrag's
// 2 KiB clusters cannot fit into `max_descs` descriptors (a 64 KiB TSO request).  Frees m and
// returns the copy, or NULL with m untouched.
struct mbuf *DefragJumbo(struct mbuf *m);

}  // namespace mbufnic::driver

#endif  // MBUFNIC_HOST_DRIVER_DRIVER_INTERNAL_H_
