// `mbufnic replay --tso`: a capture's TCP segments put back together into the large sends a
// host stack would have handed the card, so that the card's segmenter cuts them up again.
//
// A capture taken on the wire holds what a NIC's TSO made of each send: segments of one flow,
// each a copy of the send's headers with the fields the segmenter rewrites (docs/offload.md,
// "Each segment").  Coalescing runs that backwards, and only where the card would reproduce
// every input segment: a segment joins the open send of its flow when
//
//   - it is TCP over IPv4 (not a fragment) or IPv6 (no extension headers), with payload, and the
//     frame ends where the IP length says (no Ethernet padding or trailer);
//   - its header bytes equal the send's first segment's, except for the fields the segmenter
//     writes: IPv4 total length, ID and header checksum, IPv6 payload length, TCP sequence,
//     flags and checksum;
//   - it continues the send: sequence = first + k * mss and, over IPv4, ID = first + k (mod
//     2^16), where k is its place in the send and mss the first segment's payload; every
//     segment before it carried exactly mss bytes;
//   - its flags are the first segment's, without CWR (kept on the first segment only), with FIN
//     or PSH only on the last: a segment with FIN or PSH, or with less than mss bytes, closes
//     the send; SYN, RST and URG segments are never coalesced;
//   - the send stays within 64 KiB (IP length at most 65535) and the card's limits (MSS 9216,
//     256 header bytes).
// Anything else goes as it is, alone.  A send of one segment goes as it is too.
//
// The card fills the checksums of the segments it makes, so a coalesced segment is expected
// back with correct IPv4 and TCP checksums: a capture taken on the sending host, before the
// NIC's offload, has them unfilled, and those are counted, not reported as differences.
#ifndef MBUFNIC_HOST_CLI_COALESCE_H_
#define MBUFNIC_HOST_CLI_COALESCE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mbufnic::cli {

using Frame = std::vector<std::uint8_t>;

// One send to hand the card.
struct Send {
  std::vector<std::size_t> frames;  // the capture frames it stands for, in wire order
  // A TSO send (frames.size() > 1): the request as tcp_output would build it (the first
  // segment's headers with the whole length, the last segment's FIN/PSH, checksums zero) and
  // what the driver needs to ask the card for segmentation.
  Frame request;
  std::uint16_t mss = 0;
  std::uint8_t l2hlen = 0, l3hlen = 0, l4hlen = 0;
  bool ipv6 = false;
  bool tso() const { return frames.size() > 1; }
};

// Groups `frames` (in capture order) into sends, in the order of each send's first frame.
// `max_frame` is the card's largest frame: longer frames are not coalesced (the caller does not
// send them at all).
std::vector<Send> Coalesce(const std::vector<Frame> &frames, std::size_t max_frame);

// `frame` with its IPv4 header checksum and TCP checksum computed, when it is a segment
// Coalesce would take; otherwise unchanged.
Frame WithTcpChecksums(const Frame &frame);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_COALESCE_H_
