// Software segmentation offload: TCP segmentation (TSO) and UDP segmentation (USO) done on the
// host, with exactly the bytes the card's segmenter (rtl/tso, followed by the transmit checksum
// engine) puts on the wire.
//
// Two users: the driver, when the card or the feature is off (what FreeBSD's stack does on an
// interface without CSUM_IP_TSO), and the RTL tests, which compare the card's output with it
// byte for byte.  The rules are those of hw/nic.toml's seg_cmd and seg_err, which the RTL
// follows too:
//
//   - segment k carries payload bytes [k * mss, min((k + 1) * mss, pay_len)); a payload of at
//     most mss bytes (0 included) gives one segment, with its fields still filled in;
//   - every segment starts with a copy of the l2hlen + l3hlen + l4hlen header bytes, then:
//     IPv4 total length = l3hlen + l4hlen + segment payload, IPv4 ID = original + k (mod 2^16),
//     IPv4 header checksum computed; IPv6 payload length = l3hlen - 40 + l4hlen + segment
//     payload; TCP sequence = original + k * mss (mod 2^32), CWR kept only on the first segment,
//     FIN and PSH kept only on the last, every other flag kept; UDP length = 8 + segment payload;
//   - the TCP or UDP checksum field of the request holds the pseudo-header sum *without* the
//     length (as FreeBSD's drivers re-seed th_sum for TSO); each segment's checksum is the
//     complement of that seed + the segment's L4 length + the sum of its L4 header (checksum
//     field taken as zero) and payload; a UDP checksum of 0 is sent as 0xFFFF.
//   - bad requests are refused with the first seg_err code that applies, in the order of
//     hw::SegErr; for SegErr::kFrameLen (frame length differs from the headers + pay_len) the
//     segments that lie wholly inside both the frame and pay_len are still produced.
#ifndef MBUFNIC_SW_OFFLOAD_HPP_
#define MBUFNIC_SW_OFFLOAD_HPP_

#include <sys/mbuf.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <mbufnic/hw/nic_hw.h>

namespace mbufnic {

// The segmenter's size limits: the RTL parameters of the same names, and their defaults.
struct SegLimits {
  uint32_t max_mss = 9216;            // MaxMss
  uint32_t max_hdr_bytes = 256;       // MaxHdrBytes: l2hlen + l3hlen + l4hlen
  uint32_t max_payload_bytes = 65535; // MaxPayloadBytes
};

// One request, the fields of hw::SegCmd.
struct SegRequest {
  hw::SegKind kind = hw::SegKind::kTcp;
  uint16_t mss = 0;
  uint8_t l2hlen = 0;
  uint8_t l3hlen = 0;
  uint8_t l4hlen = 0;
  bool ipv6 = false;
  uint32_t pay_len = 0;

  static SegRequest FromCmd(const hw::SegCmd &cmd);
  hw::SegCmd ToCmd() const;
};

// Segments `frame` (the whole request frame as the card reads it) and appends each wire frame
// to *out.  Returns SegErr::kNone on success.  kind == kNone copies the frame unchanged.  On an
// error of codes 1 to 7 nothing is appended; on kFrameLen the complete segments are (see
// above).  Never reads outside `frame`.
hw::SegErr SegmentFrame(std::span<const uint8_t> frame, const SegRequest &req,
                        std::vector<std::vector<uint8_t>> *out, const SegLimits &limits = {});

// Human-readable name of an error code ("mss", "l3", ...), for messages.
const char *SegErrName(hw::SegErr err);

}  // namespace mbufnic

extern "C" {

// FreeBSD-style software TSO of one packet: m is a packet header chain with CSUM_IP_TSO or
// CSUM_IP6_TSO in csum_flags, tso_segsz the MSS and l2hlen/l3hlen/l4hlen the header lengths
// (when l2hlen is 0 the Ethernet, VLAN, IP and TCP headers are parsed to find them).  On
// success returns 0, stores the segments as a list linked by m_nextpkt in *segs (each a packet
// header chain with the checksums filled in, CSUM_* transmit requests cleared, other pkthdr
// fields copied from m) and frees m.  On failure m is left untouched, *segs is NULL, nothing
// leaks, and the return value is EINVAL (not a TSO request, or a request the card would
// refuse: see mbufnic_sw_tso_error) or ENOBUFS (an mbuf or cluster allocation failed).
int mbufnic_sw_tso(struct mbuf *m, struct mbuf **segs);

// The seg_err code (hw::SegErr as an int) behind the last EINVAL from mbufnic_sw_tso in this
// thread, 0 when there was none.
int mbufnic_sw_tso_error(void);
}

#endif  // MBUFNIC_SW_OFFLOAD_HPP_
