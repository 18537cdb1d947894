// The receive checksum engine's contract, computed in software with the host's checksum code.
//
// ClassifyRx() is the reference the RTL is compared against, field by field; the rules below are
// the hardware contract.  "Window" is the header window: bytes [0, header_window) of the frame,
// the only bytes the engine's parser may look at (header_window <= 255, so that every offset
// reported fits in 8 bits).  Offsets are from the first byte of the frame (no FCS).  Multi-byte
// fields are big-endian.
//
// Ethernet
//   - The ethertype is at 12.  If it is 0x8100 or 0x88A8 it is a tag and the next type is at 16;
//     again, for a second tag, at 20.  A third tag is not parsed: L3 is none (vlan_count 2).
//   - Every type read must lie in the frame, else the result is all false/zero (vlan_count 0
//     included).  The window is assumed to cover the deepest ethertype (22 bytes).
//   - vlan_count = number of tags; l3_offset = 14 + 4 * tags, reported for IPv4 and IPv6
//     ethertypes only (0 otherwise, and then everything else is false/zero too).
//
// IPv4 (ethertype 0x0800): l3_type 1 whatever follows.
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
// IPv6 (ethertype 0x86DD): l3_type 2 whatever follows; l3_calc = l3_valid = false always.
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
#ifndef MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_
#define MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mbufnic::rtltest {

inline constexpr int kL3None = 0;
inline constexpr int kL3Ipv4 = 1;
inline constexpr int kL3Ipv6 = 2;

struct RxCsumRef {
  bool l3_calc = false;
  bool l3_valid = false;
  bool l4_calc = false;
  bool l4_valid = false;
  bool ip_frag = false;
  int l3_type = kL3None;  // 0 none, 1 IPv4, 2 IPv6
  uint8_t l4_proto = 0;
  uint8_t l3_offset = 0;
  uint8_t l4_offset = 0;
  uint16_t l4_sum = 0;  // numeric value of the folded raw sum
  int vlan_count = 0;

  bool operator==(const RxCsumRef&) const = default;
  std::string ToString() const;
};

// The receive classification of `frame` under the rules above.  Throws std::invalid_argument if
// header_window > 255 or max_ext_headers < 0.
RxCsumRef ClassifyRx(std::span<const uint8_t> frame, size_t header_window = 128,
                     int max_ext_headers = 4);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_
