// What the offload sources need to read headers: the system's ethertype and protocol numbers,
// the one ethertype glibc lacks, and big-endian reads.  Not installed.
#ifndef MBUFNIC_HOST_OFFLOAD_WIRE_H_
#define MBUFNIC_HOST_OFFLOAD_WIRE_H_

#include <net/ethernet.h>  // ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_VLAN
#include <netinet/in.h>    // IPPROTO_TCP, IPPROTO_UDP, IPv6 extension header numbers

#include <cstdint>

namespace mbufnic::offload {

// 802.1ad service tag: FreeBSD's ETHERTYPE_QINQ, absent from glibc's <net/ethernet.h>.
inline constexpr uint16_t kEtherTypeQinq = 0x88A8;

inline uint16_t Get16(const uint8_t *p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Get32(const uint8_t *p) { return (uint32_t{Get16(p)} << 16) | Get16(p + 2); }

}  // namespace mbufnic::offload

#endif  // MBUFNIC_HOST_OFFLOAD_WIRE_H_
