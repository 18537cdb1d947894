// The segmentation rules of hw/nic.toml's seg_cmd and seg_err, in software: the checks in the
// order of hw::SegErr, then one wire frame per segment.  The card's segmenter is compared with
// this byte for byte, so every field written here is one the contract names, and nothing else
// in the headers is touched.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "mbufnic/cksum.h"
#include "mbufnic/sw_offload.hpp"
#include "wire.h"

namespace mbufnic {

using hw::SegErr;
using hw::SegKind;

namespace offload {
namespace {

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpCwr = 0x80;

void Put16(uint8_t *p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t *p, uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v);
}

// Checks 6 to 9 on the first H bytes of the frame (the caller has made sure they exist).
SegErr CheckHeaders(const uint8_t *f, const SegRequest &req) {
  const bool tcp = req.kind == SegKind::kTcp;
  const unsigned l2 = req.l2hlen, l3 = req.l3hlen, l4 = req.l4hlen;

  if (l2 < 14 || (l2 - 14) % 4 != 0 ||
      Get16(f + l2 - 2) != (req.ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP))
    return SegErr::kL2;

  const uint8_t *ip = f + l2;
  if (req.ipv6) {
    if (ip[0] >> 4 != 6 || l3 < 40 || (l3 - 40) % 8 != 0) return SegErr::kL3;
  } else {
    // IHL * 4 == l3hlen is the contract; an IHL below 5 is refused too, because a header shorter
    // than 20 bytes would have its total length, ID and checksum written over the L4 header and
    // its protocol read from beyond the headers (see docs/offload.md).
    if (ip[0] >> 4 != 4 || (ip[0] & 0xf) * 4u != l3 || l3 < 20) return SegErr::kL3;
  }

  const uint8_t proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
  if (!req.ipv6 && ip[9] != proto) return SegErr::kProto;
  if (req.ipv6 && l3 == 40 && ip[6] != proto) return SegErr::kProto;  // no extension walk

  const uint8_t *th = ip + l3;
  if (tcp ? (l4 < 20 || (th[12] >> 4) * 4u != l4) : l4 != 8) return SegErr::kL4;
  return SegErr::kNone;
}

// Fills in one segment whose first H bytes are a copy of the request's headers and whose
// payload follows them.
void FixSegment(uint8_t *s, const SegRequest &req, uint32_t k, uint32_t n, uint32_t len) {
  const unsigned l2 = req.l2hlen, l3 = req.l3hlen, l4 = req.l4hlen;
  const bool tcp = req.kind == SegKind::kTcp;
  uint8_t *ip = s + l2;
  uint8_t *th = ip + l3;

  if (req.ipv6) {
    Put16(ip + 4, l3 - 40 + l4 + len);
  } else {
    Put16(ip + 2, l3 + l4 + len);
    Put16(ip + 4, Get16(ip + 4) + k);
    Put16(ip + 10, 0);
    const uint16_t sum = mbufnic_cksum_raw(ip, l3, 0);  // memory order: store as it is
    const uint16_t csum = static_cast<uint16_t>(~sum);
    std::memcpy(ip + 10, &csum, 2);
  }

  const size_t csum_at = tcp ? 16 : 6;
  if (tcp) {
    Put32(th + 4, Get32(th + 4) + k * req.mss);
    if (k != 0) th[13] &= static_cast<uint8_t>(~kTcpCwr);
    if (k != n - 1) th[13] &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
  } else {
    Put16(th + 4, 8 + len);
  }

  // Sums are in memory order: the seed (pseudo-header sum without length) is taken as it lies in
  // the field, the L4 length is added byte-swapped to match.  The header is an even number of
  // bytes, so the payload's sum continues the header's word alignment.
  uint16_t seed;
  std::memcpy(&seed, th + csum_at, 2);
  Put16(th + csum_at, 0);
  const uint32_t initial = uint32_t{seed} + htons(static_cast<uint16_t>(l4 + len));
  uint16_t sum = mbufnic_cksum_raw(th, l4, initial);
  sum = mbufnic_cksum_raw(th + l4, len, sum);
  uint16_t csum = static_cast<uint16_t>(~sum);
  if (!tcp && csum == 0) csum = 0xffff;  // 0 means "no checksum" in UDP
  std::memcpy(th + csum_at, &csum, 2);
}

}  // namespace
}  // namespace offload

SegRequest SegRequest::FromCmd(const hw::SegCmd &cmd) {
  SegRequest r;
  r.kind = cmd.kind();
  r.mss = cmd.mss();
  r.l2hlen = cmd.l2hlen();
  r.l3hlen = cmd.l3hlen();
  r.l4hlen = cmd.l4hlen();
  r.ipv6 = cmd.ipv6();
  r.pay_len = cmd.pay_len();
  return r;
}

hw::SegCmd SegRequest::ToCmd() const {
  hw::SegCmd c{};
  c.set_mss(mss)
      .set_l2hlen(l2hlen)
      .set_l3hlen(l3hlen)
      .set_l4hlen(l4hlen)
      .set_kind(kind)
      .set_ipv6(ipv6)
      .set_pay_len(pay_len);
  return c;
}

SegErr SegmentFrame(std::span<const uint8_t> frame, const SegRequest &req,
                    std::vector<std::vector<uint8_t>> *out, const SegLimits &limits) {
  // 1. Not a segmentation request (kind none, or the reserved value 3): the frame passes.
  if (req.kind != SegKind::kTcp && req.kind != SegKind::kUdp) {
    out->emplace_back(frame.begin(), frame.end());
    return SegErr::kNone;
  }
  // 2 to 5: the command alone, then the frame's length against the headers.
  if (req.mss == 0 || req.mss > limits.max_mss) return SegErr::kMss;
  const size_t hdr = size_t{req.l2hlen} + req.l3hlen + req.l4hlen;
  if (hdr > limits.max_hdr_bytes) return SegErr::kHdrLen;
  if (req.pay_len > limits.max_payload_bytes) return SegErr::kPayLen;
  if (frame.size() < hdr) return SegErr::kFrameLen;
  // 6 to 9: the header bytes.
  if (SegErr e = offload::CheckHeaders(frame.data(), req); e != SegErr::kNone) return e;

  // 10. The segments that lie wholly inside both the frame and pay_len.
  const uint32_t mss = req.mss;
  const uint32_t n = req.pay_len == 0 ? 1 : (req.pay_len + mss - 1) / mss;
  const size_t avail = std::min<size_t>(req.pay_len, frame.size() - hdr);
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t start = k * mss;
    const uint32_t end = std::min(start + mss, req.pay_len);
    if (end > avail) break;
    std::vector<uint8_t> &seg = out->emplace_back(hdr + (end - start));
    std::memcpy(seg.data(), frame.data(), hdr);
    std::memcpy(seg.data() + hdr, frame.data() + hdr + start, end - start);
    offload::FixSegment(seg.data(), req, k, n, end - start);
  }
  return frame.size() == hdr + req.pay_len ? SegErr::kNone : SegErr::kFrameLen;
}

const char *SegErrName(hw::SegErr err) {
  // In the order of hw::SegErr, named as in hw/nic.toml.
  static constexpr const char *kNames[] = {"none", "mss",   "hdr_len", "pay_len",  "l2",
                                           "l3",   "proto", "l4",      "frame_len"};
  const auto i = static_cast<size_t>(err);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

}  // namespace mbufnic
