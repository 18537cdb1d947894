// Segmentation requests (TSO for TCP, USO for UDP) for the software twin and the RTL segmenter,
// built on the frame generator: a frame seeded the way FreeBSD hands a TSO packet to a driver,
// and the SegRequest (hw::SegCmd) that describes it.
//
//   MakeSegCase(spec, kind, mss)  one request from a FrameSpec
//   RandomSegSpec(rng, options)   a random FrameSpec that a segmenter must accept
//   RandomSegMss(rng, options)    a random MSS, weighted toward the common ones and small values
//   RandomSegCase(rng, options)   the two together: a random, valid request
//
// The random requests are valid (SegmentFrame returns kNone with the default SegLimits and
// options), so a test that wants an error changes one field of a case.
#ifndef MBUFNIC_TESTS_SUPPORT_SEG_GEN_H_
#define MBUFNIC_TESTS_SUPPORT_SEG_GEN_H_

#include <cstdint>
#include <random>
#include <vector>

#include "frame_gen.h"
#include "mbufnic/sw_offload.hpp"

namespace mbufnic::rtltest {

struct SegCase {
  // The request frame: headers then pay_len payload bytes, not padded.  Its IPv4 header checksum
  // is 0 and its TCP/UDP checksum field holds `pseudo_seed` (FreeBSD's th_sum for TSO).
  std::vector<uint8_t> frame;
  SegRequest req;
  // The spec as given to MakeSegCase, l4 set from the kind.  Its corruption knobs, trailer and
  // padding are not applied to the frame.
  FrameSpec spec;
  // Pseudo-header sum without the length, numeric (big-endian) view, not complemented:
  // in_pseudo(src, dst, htons(proto)) for IPv4, in6_cksum_pseudo(ip6, 0, proto, 0) for IPv6.
  uint16_t pseudo_seed = 0;
};

// A request for `spec`'s frame.  kind kTcp or kUdp sets spec.l4 to match; kNone keeps spec.l4 and
// gives a pass-through request.  The corruption knobs, trailer and padding of `spec` are dropped
// (a request frame is exactly headers + payload); l3 must be IPv4 or IPv6 (else
// std::invalid_argument).  Headers the frame generator lays out are used as they are: an IPv6
// fragment header or IPv4 fragment bits in `spec` stay in the frame.
SegCase MakeSegCase(const FrameSpec& spec, hw::SegKind kind, uint16_t mss);

struct RandomSegOptions {
  uint32_t max_payload = 65535;  // largest pay_len
  uint32_t max_hdr_bytes = 256;  // largest l2hlen + l3hlen + l4hlen (SegLimits::max_hdr_bytes)
  uint16_t max_mss = 9000;       // largest MSS RandomSegMss picks
  // RandomSegCase: at most this many segments per request (pay_len <= mss * max_segments), so
  // that a small MSS does not make a 65535-byte request into tens of thousands of segments;
  // 0 for no cap.
  uint32_t max_segments = 128;
};

// A random frame for segmentation: 0 to 2 VLAN tags (C or S), IPv4 (0 to 40 bytes of options,
// random ID and DF, never a fragment) or IPv6 (0 to 3 hop-by-hop / routing / destination option
// headers, no fragment header), TCP (0 to 40 bytes of options, random sequence number and every
// flag at random) or UDP, and a payload of 0 to max_payload bytes: about half up to 3000, a
// quarter up to 20000, a fifth anywhere, the rest the edges 0, 1 and max_payload.  IPv4 IDs and
// TCP sequence numbers are near their wrap-around a fifth of the time.  The headers always fit
// max_hdr_bytes.
FrameSpec RandomSegSpec(std::mt19937_64& rng, const RandomSegOptions& options = {});

// An MSS from 1 to options.max_mss: 536, 1448 and 8948 (the common IPv4 and jumbo MSS) about half
// the time, small values (1 to 64) a fifth, the rest uniform.
uint16_t RandomSegMss(std::mt19937_64& rng, const RandomSegOptions& options = {});

// RandomSegSpec + RandomSegMss + MakeSegCase, the kind following the spec's L4.  Sometimes the
// payload is moved to an MSS edge (a multiple of the MSS, or one byte either side); then it is
// kept within max_segments.
SegCase RandomSegCase(std::mt19937_64& rng, const RandomSegOptions& options = {});

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_SUPPORT_SEG_GEN_H_
