// The card's checksum engines in software: what nic_csum_tx does to a frame under its
// tx_csum_cmd, and what nic_csum_rx reports for a received frame (rx_csum_result).
//
// Three users: the C++ behavioural model of the card (host/device), which must put the same bytes
// on the wire and write the same completions as the RTL; the RTL tests, which compare the engines
// with these functions field by field; and software fallbacks.  The checksums are the host's own
// (<mbufnic/cksum.h>).
//
// Transmit (InsertTxChecksums), the contract of hw::TxCsumCmd / hw::TxCsumStatus:
//   - L4: the ones'-complement sum of bytes [csum_start, end of frame) as they are (the
//     checksum field included, so a pseudo-header sum seeded there counts), plus csum_init,
//     complemented and written big-endian at csum_start + csum_offset; with `udp`, 0x0000 is
//     written as 0xFFFF.  Refused (err_l4, nothing written) when csum_start is not inside the
//     frame, the field does not end inside it, or the frame is oversize.
//   - IPv4 (ip4_en): the header at l3_offset (IHL * 4 bytes, checksum field taken as 0) gets its
//     header checksum.  Refused (err_ip4) unless the 20 bytes of a minimal header are in the
//     frame, the version is 4, IHL >= 5 and the whole header is in the frame.
//   - Both requested on a good IPv4 header but the L4 sum covers the IP checksum field
//     (csum_start < l3_offset + 12) or the L4 field lies in the IP header: both refused.
//   - A frame longer than `buffer_bytes` (the engine's frame buffer) is sent unchanged with
//     err_oversize (and err_l4 when L4 was asked for).
//
// Receive (ClassifyRxChecksums), the contract of hw::RxCsumResult.  "Window" is the header
// window: bytes [0, header_window) of the frame, the only bytes the engine's parser may look at
// (header_window <= 255, so that every offset reported fits in 8 bits).  Offsets are from the
// first byte of the frame (no FCS).  Multi-byte fields are big-endian.
//
// Ethernet
//   - The ethertype is at 12.  If it is 0x8100 or 0x88A8 it is a tag and the next type is at 16;
//     again, for a second tag, at 20.  A third tag is not parsed: L3 is none (vlan_count 2).
//   - Every type read must lie in the frame, else the result is all false/zero (vlan_count 0
//     included).  The window is assumed to cover the deepest ethertype (22 bytes).
//   - vlan_count = number of tags; l3_offset = 14 + 4 * tags, reported for IPv4 and IPv6
//     ethertypes only (0 otherwise, and then everything else is false/zero too).
//
// IPv4 (ethertype 0x0800): l3_type ipv4 whatever follows.
//   - If the 20 bytes of a minimal header are not in the frame, all flags are false.
//   - "L3 ok": version 4, IHL >= 5, l3_offset + IHL*4 <= window, l3_offset + IHL*4 <= frame
//     length, total length >= IHL*4, l3_offset + total length <= frame length.  Bytes beyond
//     the datagram are Ethernet padding or trailer, allowed and ignored.
//   - l3_calc = L3 ok; l3_valid = l3_calc and the ones'-complement sum of the IHL*4 header bytes
//     folds to 0xFFFF.
//   - ip_frag = L3 ok and (MF set or fragment offset != 0).
//   - L4 candidate: protocol = byte l3+9; l4_offset = l3 + IHL*4; l4 length = total length -
//     IHL*4.  Pseudo-header: source, destination, zero + protocol, l4 length.
//
// IPv6 (ethertype 0x86DD): l3_type ipv6 whatever follows; l3_calc = l3_valid = false always.
//   - "L3 ok": version 6, l3_offset + 40 <= frame length, l3_offset + 40 + payload length <=
//     frame length.  The datagram ends at l3_offset + 40 + payload length.
//   - Extension headers are walked from the next header at l3+6: hop-by-hop (0), routing (43)
//     and destination options (60) are (byte[1] + 1) * 8 bytes long; fragment (44) is 8 bytes
//     long, its offset is bytes[2..3] >> 3 and M is byte[3] & 1; each header's byte[0] is the
//     next header.  Any other value ends the chain (no order is enforced).  A fragment header
//     with offset != 0 or M set makes ip_frag true (offset 0 and M 0 is an atomic fragment: a
//     whole packet).
//   - The walk stops, and L4 is then not calculable, when a header would be the
//     (max_ext_headers + 1)-th, or when a header (its first two bytes, then all of it) does not
//     end within both the window and the datagram.  l4_proto and l4_offset then report the
//     header where the walk stopped (its type, its offset).
//   - l4_offset = end of the chain; l4 length = end of datagram - l4_offset.  Pseudo-header:
//     source, destination (the fixed header's, even after a routing header), 32-bit l4 length,
//     zero + final next header.
//
// L4
//   - l4_proto = the final protocol / next header and l4_offset as above whenever L3 is ok (both
//     0 otherwise).
//   - l4_calc iff L3 ok, the walk completed, not ip_frag, protocol TCP (6) or UDP (17), l4
//     length >= 20 (TCP) or >= 8 (UDP), l4_offset + 18 <= window (TCP: through the checksum
//     field) or l4_offset + 8 <= window (UDP), for UDP the UDP length field == l4 length, and
//     not (IPv4, UDP, checksum field 0): that is "no checksum".
//   - l4_sum = the raw sum of bytes [l4_offset, l4_offset + l4 length) when l4_calc, else 0:
//     the sum of the big-endian 16-bit words (an odd last byte is the high byte of a word whose
//     low byte is 0), folded to 16 bits with end-around carries and never complemented nor
//     normalised.  So an all-zero segment gives 0x0000 and any other segment 0x0001..0xFFFF
//     (a non-zero multiple of 0xFFFF gives 0xFFFF).  Numerically, ntohs(mbufnic_cksum_raw()).
//   - l4_valid = l4_calc and l4_sum + pseudo-header sum folds to 0xFFFF; except that IPv6 UDP
//     with checksum field 0 is l4_calc true, l4_valid false (a zero UDP checksum is illegal
//     over IPv6).
//
// Consequences: truncated frames, a bad IHL or version, lengths that disagree and unknown
// protocols are never valid.
#ifndef MBUFNIC_SW_CSUM_HPP_
#define MBUFNIC_SW_CSUM_HPP_

#include <mbufnic/hw/nic_hw.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace mbufnic {

// Applies `cmd` to `frame` in place, as nic_csum_tx with enable_i set does, and returns the
// status it reports.  `buffer_bytes` is the engine's frame buffer: its MaxFrameBytes rounded up
// to whole stream beats.
hw::TxCsumStatus InsertTxChecksums(std::span<uint8_t> frame, const hw::TxCsumCmd& cmd,
                                   size_t buffer_bytes);

// The receive engine's parameters of the same names (nic_csum_rx HdrWindowBytes, MaxExtHeaders).
struct RxCsumLimits {
  size_t header_window = 128;  // at most 255 (offsets are 8 bits); larger is taken as 255
  unsigned max_ext_headers = 4;
};

// What nic_csum_rx with enable_i set reports for `frame` (with enable_i low it reports zeros).
hw::RxCsumResult ClassifyRxChecksums(std::span<const uint8_t> frame,
                                     const RxCsumLimits& limits = {});

}  // namespace mbufnic

#endif  // MBUFNIC_SW_CSUM_HPP_
