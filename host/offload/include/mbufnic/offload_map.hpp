// The offload contract in both directions: FreeBSD's transmit request (csum_flags and the
// lengths in m_pkthdr) to the card's tx_offload_cmd, and the card's rx_csum_result to FreeBSD's
// receive flags.  One function each way, so the contract lives in one place; both ways of
// reaching the card use it: the descriptor rings (host/driver, <mbufnic/driver.hpp>, which
// re-exports these names in mbufnic::driver) and OpenNIC's in-band metadata header
// (<mbufnic/opennic_meta.hpp>).  The table of what each flag means is in driver.hpp.
#ifndef MBUFNIC_OFFLOAD_MAP_HPP_
#define MBUFNIC_OFFLOAD_MAP_HPP_

#include <sys/mbuf.h>

#include <cstdint>

#include "mbufnic/hw/nic_hw.h"

namespace mbufnic {

// Bytes of a frame the header parse looks at: the segmenter's MaxHdrBytes.
inline constexpr int kParseWindow = 256;

// Header lengths of a transmit frame.
struct HeaderLengths {
  std::uint8_t l2 = 0;  // Ethernet with VLAN tags
  std::uint8_t l3 = 0;  // IP with IPv4 options or IPv6 extension headers
  std::uint8_t l4 = 0;  // TCP with options, 8 for UDP, 0 when neither was found
};

// Copies up to `want` bytes from the start of chain m into buf (never past the chain's end);
// returns the bytes copied.
int CopyPrefix(const struct mbuf *m, std::uint8_t *buf, int want);

// The Ethernet / VLAN / IP / TCP-UDP header lengths of packet m as the transmit offloads need
// them: m_pkthdr.l2hlen/l3hlen/l4hlen when l2hlen is non-zero, else parsed from the first 256
// bytes.  False when no IPv4 or IPv6 header was found.
bool TxHeaderLengths(const struct mbuf *m, HeaderLengths *lens);

// THE mapping of FreeBSD's transmit offload request (m_pkthdr csum_flags, csum_data, tso_segsz,
// l2hlen/l3hlen/l4hlen, len) to the card's command, for a packet the card will do the offloads
// of.  0 with *cmd set (all zero when nothing is asked), or EINVAL when the request is one the
// card cannot express: SCTP/iSCSI/inner/tunnel requests, both IP versions or both L4 protocols
// at once, UDP with TSO, csum_data above 255, headers not found, pay_len over 17 bits.
int TxOffloadCommand(const struct mbuf *m, hw::TxOffloadCmd *cmd);

// The receive checksum result as FreeBSD's csum_flags, with the matching csum_data in *data
// (0 when no L4 flag is set).
std::uint32_t RxCsumFlags(const hw::RxCsumResult &result, std::uint32_t *data);

}  // namespace mbufnic

#endif  // MBUFNIC_OFFLOAD_MAP_HPP_
