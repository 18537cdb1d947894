// Ethernet frame generator for the checksum engine tests: byte-correct frames (VLAN tags, IPv4
// with options and fragments, IPv6 with extension headers, TCP, UDP) with every checksum right,
// unless one of the corruption knobs asks for a specific fault.  All checksums are computed with
// the host's software checksum (mbufnic/cksum.h), the project's oracle.
#ifndef MBUFNIC_TESTS_RTL_SUPPORT_FRAME_GEN_H_
#define MBUFNIC_TESTS_RTL_SUPPORT_FRAME_GEN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace mbufnic::rtltest {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
inline constexpr uint16_t kTpidCustomer = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kTpidService = 0x88A8;   // 802.1ad S-tag
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr size_t kMinFrame = 60;  // Ethernet minimum without the FCS

enum class L3Kind { kNone, kIpv4, kIpv6 };
enum class L4Kind { kTcp, kUdp, kOther };
enum class PayloadPattern { kZeros, kOnes, kIncrement, kRandom };

struct VlanTag {
  uint16_t tpid = kTpidCustomer;  // 0x8100 or 0x88A8
  uint16_t tci = 1;
};

enum class Ipv6ExtType : uint8_t { kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOpts = 60 };

// One IPv6 extension header.  Hop-by-hop and destination options are filled with PadN options;
// the routing header has type 253 (RFC 4727 experiment) and Segments Left 0, so the final
// destination stays the IPv6 destination and the pseudo-header is unaffected.
struct Ipv6Ext {
  Ipv6ExtType type = Ipv6ExtType::kDestOpts;
  uint8_t len_units = 0;     // Hdr Ext Len: (len_units + 1) * 8 bytes; not used for a fragment
  uint16_t frag_offset = 0;  // fragment header only: offset in 8-byte units (13 bits)
  bool more_fragments = false;
  uint32_t frag_id = 0x12345678;
};

struct FrameSpec {
  // Ethernet.
  std::array<uint8_t, 6> dst_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  std::array<uint8_t, 6> src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  std::vector<VlanTag> vlans;  // 0, 1 or 2 tags, outermost first
  L3Kind l3 = L3Kind::kIpv4;
  uint16_t other_ethertype = 0x88B5;  // the ethertype when l3 == kNone (IEEE local experimental)

  // IPv4.
  std::array<uint8_t, 4> ip4_src = {192, 0, 2, 1};
  std::array<uint8_t, 4> ip4_dst = {198, 51, 100, 2};
  uint8_t ip4_options_len = 0;  // 0..40, a multiple of 4 (NOP options)
  uint8_t ip4_tos = 0;
  uint16_t ip4_id = 1;
  uint8_t ip4_ttl = 64;
  bool ip4_df = false;
  bool ip4_mf = false;
  uint16_t ip4_frag_offset = 0;  // in 8-byte units (13 bits)

  // IPv6.
  std::array<uint8_t, 16> ip6_src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::array<uint8_t, 16> ip6_dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  uint32_t ip6_flow = 0;  // traffic class (8 bits) and flow label (20 bits), as in the header
  uint8_t ip6_hop_limit = 64;
  std::vector<Ipv6Ext> ip6_ext;  // in order, first after the fixed header

  // L4 (ignored when l3 == kNone).
  L4Kind l4 = L4Kind::kTcp;
  uint8_t other_proto = 253;    // the protocol number when l4 == kOther
  uint8_t tcp_options_len = 0;  // 0..40, a multiple of 4
  uint16_t src_port = 40001;
  uint16_t dst_port = 40002;
  uint32_t tcp_seq = 1000;
  uint32_t tcp_ack = 2000;
  uint8_t tcp_flags = 0x18;  // PSH, ACK (CWR 0x80, ECE 0x40, URG 0x20, ACK 0x10, PSH 0x08, RST 0x04, SYN 0x02, FIN 0x01)

  // Payload after the L4 header (or after the ethertype when l3 == kNone, or after the IP
  // headers when l4 == kOther).
  size_t payload_len = 0;
  PayloadPattern pattern = PayloadPattern::kIncrement;
  uint64_t payload_seed = 1;  // kRandom payload and the trailer bytes

  // Corruption knobs.
  bool corrupt_ip4_csum = false;  // IPv4 header checksum wrong (and not equivalent to right)
  bool corrupt_l4_csum = false;   // TCP/UDP checksum wrong (never 0 for UDP)
  bool udp_csum_zero = false;     // UDP checksum 0: "none" (IPv4), illegal (IPv6); beats corrupt
  size_t truncate = 0;            // bytes cut from the end of the finished frame (may go < 60)
  size_t trailer_len = 0;         // non-zero bytes after the IP datagram, before any padding
  std::optional<uint16_t> ip4_total_len;    // IPv4 total length field, instead of the real one
  std::optional<uint16_t> ip6_payload_len;  // IPv6 payload length field, instead of the real
  std::optional<uint16_t> udp_len;          // UDP length field, instead of the real one
  std::optional<uint8_t> ip4_ihl;           // IPv4 IHL field (e.g. < 5), header laid out as usual
  std::optional<uint8_t> ip_version;        // IP version nibble (IPv4 or IPv6 header)

  // Pad frames shorter than 60 bytes with zeros (a MAC does it on the wire; a host does not).
  bool pad_to_min = true;

  // True when no corruption knob is set.
  bool Clean() const;
  // One-line description for test failure messages.
  std::string Describe() const;
};

// Where BuildFrame put things.  Offsets are from the start of the frame.
struct FrameLayout {
  size_t l3_offset = 0;      // 0 when l3 == kNone
  size_t l3_header_len = 0;  // IPv4: 20 + options; IPv6: 40 + the extension headers
  size_t l4_offset = 0;      // first byte after the IP headers (0 when l3 == kNone)
  size_t l4_length = 0;      // bytes from l4_offset to the end of the datagram, as built
  size_t l4_csum_field = 0;  // offset of the TCP/UDP checksum field, 0 if none
  size_t datagram_end = 0;   // end of the IP datagram (of the payload when l3 == kNone)
  size_t full_length = 0;    // frame length before truncation (trailer and padding included)
  uint16_t pseudo_sum = 0;   // folded pseudo-header sum (numeric), real lengths; TCP/UDP only
  uint8_t final_proto = 0;   // IPv4 protocol / last IPv6 next header
};

// Builds the frame (no FCS).  Checksums are computed before the length overrides that do not
// belong to the header they sit in: the L4 checksum uses the real segment length, the IPv4 header
// checksum covers the header as written (overrides included), so only the override disagrees.
// IPv4 fragments still carry an L4 header after the IP header, its checksum computed over this
// fragment as if it were a whole datagram.
std::vector<uint8_t> BuildFrame(const FrameSpec& spec, FrameLayout* layout = nullptr);

struct RandomSpecOptions {
  size_t max_frame_len = 9216;  // largest frame before truncation, trailer included
  double p_clean = 0.6;         // probability of a frame with no corruption knob
};

// A random spec over every field and knob above.  Frame lengths (before truncation) range from
// 60 bytes to max_frame_len, weighted towards small frames and the 1500-byte region.
FrameSpec RandomSpec(std::mt19937_64& rng, const RandomSpecOptions& options = {});

// A frame for the transmit checksum engine, seeded as FreeBSD's stack leaves it for offload:
// IPv4 header checksum 0, TCP/UDP checksum field = the pseudo-header sum, not complemented
// (in_pseudo() / in6_cksum_pseudo()).
struct TxCase {
  std::vector<uint8_t> seeded;    // what the host hands the engine
  std::vector<uint8_t> expected;  // fully correct (a UDP result of 0 is written as 0xFFFF)
  uint16_t csum_start = 0;        // L4 offset
  uint8_t csum_offset = 0;        // 16 for TCP, 6 for UDP
  uint8_t l3_offset = 0;
  bool l4_en = false;   // TCP or UDP, and not an IP fragment
  bool ip4_en = false;  // IPv4
  bool udp = false;
  uint16_t pseudo_sum = 0;  // numeric value seeded into the L4 checksum field
};

// Clears every corruption knob and the trailer of `spec` and does not pad (the host does not).
TxCase MakeTxCase(const FrameSpec& spec);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_SUPPORT_FRAME_GEN_H_
