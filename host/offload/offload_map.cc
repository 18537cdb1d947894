// The offload contract in both directions: FreeBSD's transmit request (csum_flags and the
// lengths in m_pkthdr) to the card's tx_offload_cmd, and the card's rx_csum_result to FreeBSD's
// receive flags.  Each direction is one function, so the contract lives in one place: the
// driver's descriptors and OpenNIC's metadata header both take it from here.
#include <errno.h>
#include <net/ethernet.h>  // ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_VLAN
#include <netinet/in.h>    // IPPROTO_*
#include <sys/mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "mbufnic/offload_map.hpp"

namespace mbufnic {
namespace {

constexpr uint16_t kEtherTypeQinq = 0x88A8;  // 802.1ad S-tag (not in glibc)
constexpr int kMaxVlanTags = 2;

// Requests the card carries out; every other transmit request bit is refused.
constexpr uint32_t kCardRequests =
    CSUM_IP | CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP | CSUM_IP6_TCP | CSUM_IP_TSO | CSUM_IP6_TSO;
constexpr uint32_t kL4Requests = CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP6_UDP | CSUM_IP6_TCP;
constexpr uint32_t kUdpRequests = CSUM_IP_UDP | CSUM_IP6_UDP;
constexpr uint32_t kIp6L4Requests = CSUM_IP6_UDP | CSUM_IP6_TCP;
constexpr uint32_t kPayLenMax = (uint32_t{1} << hw::SegCmd::kPayLenWidth) - 1;

uint16_t Get16(const uint8_t *p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Ethernet, VLAN, IP and TCP/UDP header lengths of the n bytes at f.  False when no IPv4 or IPv6
// header was found; l4 stays 0 when the protocol is neither TCP nor UDP or its header is cut.
bool ParseLengths(const uint8_t *f, int n, HeaderLengths *h) {
  *h = HeaderLengths{};
  int l2 = ETHER_HDR_LEN;
  if (n < l2) return false;
  uint16_t type = Get16(f + 12);
  for (int tags = 0;
       tags < kMaxVlanTags && (type == ETHERTYPE_VLAN || type == kEtherTypeQinq) && n >= l2 + 4;
       ++tags) {
    type = Get16(f + l2 + 2);
    l2 += 4;
  }
  int l3 = 0;
  uint8_t proto = 0;
  if (type == ETHERTYPE_IP && n >= l2 + 20) {
    l3 = (f[l2] & 0xf) * 4;
    if ((f[l2] >> 4) != 4 || l3 < 20) return false;
    proto = f[l2 + 9];
  } else if (type == ETHERTYPE_IPV6 && n >= l2 + 40) {
    if ((f[l2] >> 4) != 6) return false;
    l3 = 40;
    proto = f[l2 + 6];
    // The extension headers that carry their length in their second byte, and a fragment header.
    while ((proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_DSTOPTS ||
            proto == IPPROTO_FRAGMENT) &&
           n >= l2 + l3 + 8) {
      const int len = proto == IPPROTO_FRAGMENT ? 8 : (f[l2 + l3 + 1] + 1) * 8;
      proto = f[l2 + l3];
      l3 += len;
    }
    if (l3 > 255) return false;
  } else {
    return false;
  }
  h->l2 = static_cast<uint8_t>(l2);
  h->l3 = static_cast<uint8_t>(l3);
  if (proto == IPPROTO_TCP && n >= l2 + l3 + 20) {
    h->l4 = static_cast<uint8_t>((f[l2 + l3 + 12] >> 4) * 4);
  } else if (proto == IPPROTO_UDP && n >= l2 + l3 + 8) {
    h->l4 = 8;
  }
  return true;
}

}  // namespace

int CopyPrefix(const struct mbuf *m, uint8_t *buf, int want) {
  int got = 0;
  for (; m != nullptr && got < want; m = m->m_next) {
    const int take = std::min(m->m_len, want - got);
    if (take > 0) std::memcpy(buf + got, mtod(m, const uint8_t *), static_cast<size_t>(take));
    got += std::max(take, 0);
  }
  return got;
}

bool TxHeaderLengths(const struct mbuf *m, HeaderLengths *lens) {
  if (m->m_pkthdr.l2hlen != 0) {
    lens->l2 = m->m_pkthdr.l2hlen;
    lens->l3 = m->m_pkthdr.l3hlen;
    lens->l4 = m->m_pkthdr.l4hlen;
    return lens->l3 != 0;
  }
  // FreeBSD's stack leaves the lengths 0; like iflib_parse_header, read the headers.  In place
  // when the first mbuf holds them (the stack's usual layout), else from a copy.
  const int want = std::clamp(m->m_pkthdr.len, 0, kParseWindow);
  if (m->m_len >= want) return ParseLengths(mtod(m, const uint8_t *), want, lens);
  uint8_t buf[kParseWindow];
  const int got = CopyPrefix(m, buf, want);
  return ParseLengths(buf, got, lens);
}

int TxOffloadCommand(const struct mbuf *m, hw::TxOffloadCmd *cmd) {
  *cmd = hw::TxOffloadCmd{};
  // Receive results (a forwarded packet keeps them) and a send tag are not requests.
  const uint32_t req = m->m_pkthdr.csum_flags & (CSUM_FLAGS_TX & ~CSUM_SND_TAG);
  if (req == 0) return 0;
  if ((req & ~kCardRequests) != 0) return EINVAL;  // SCTP, iSCSI, inner headers, tunnels
  const uint32_t l4 = req & kL4Requests;
  if ((l4 & (l4 - 1)) != 0) return EINVAL;  // two L4 requests at once
  const bool l4_ip6 = (l4 & kIp6L4Requests) != 0;
  if (l4_ip6 && (req & CSUM_IP) != 0) return EINVAL;  // an IPv6 packet has no header checksum

  HeaderLengths h;
  if (!TxHeaderLengths(m, &h)) return EINVAL;
  const int len = m->m_pkthdr.len;

  if (const uint32_t tso = req & (CSUM_IP_TSO | CSUM_IP6_TSO); tso != 0) {
    // iflib adds CSUM_IP|CSUM_IP_TCP (IPv4) or CSUM_IP6_TCP to a TSO request; anything else
    // beside it contradicts it.  The segmenter writes every checksum of every segment, so the
    // checksum half of the command stays 0.
    if (tso == (CSUM_IP_TSO | CSUM_IP6_TSO)) return EINVAL;
    const bool ipv6 = tso == CSUM_IP6_TSO;
    if ((l4 & kUdpRequests) != 0 || (l4 != 0 && l4_ip6 != ipv6)) return EINVAL;
    if (ipv6 && (req & CSUM_IP) != 0) return EINVAL;
    if (h.l4 == 0) return EINVAL;
    const int pay = len - (h.l2 + h.l3 + h.l4);
    if (pay < 0 || static_cast<uint32_t>(pay) > kPayLenMax) return EINVAL;
    hw::SegCmd seg{};
    seg.set_kind(hw::SegKind::kTcp)
        .set_ipv6(ipv6)
        .set_mss(m->m_pkthdr.tso_segsz)
        .set_l2hlen(h.l2)
        .set_l3hlen(h.l3)
        .set_l4hlen(h.l4)
        .set_pay_len(static_cast<uint32_t>(pay));
    cmd->set_seg(seg);
    return 0;
  }

  hw::TxCsumCmd csum{};
  if ((req & CSUM_IP) != 0) {
    if (len < h.l2 + 20) return EINVAL;
    csum.set_ip4_en(true).set_l3_offset(h.l2);
  }
  if (l4 != 0) {
    // FreeBSD puts the offset of the checksum field from the L4 header in csum_data.
    const uint32_t field = m->m_pkthdr.csum_data;
    const int start = h.l2 + h.l3;
    if (field > hw::TxCsumCmd::kCsumOffsetMax || start + static_cast<int>(field) + 2 > len) {
      return EINVAL;
    }
    csum.set_l4_en(true)
        .set_csum_start(static_cast<uint16_t>(start))
        .set_csum_offset(static_cast<uint8_t>(field))
        .set_udp((l4 & kUdpRequests) != 0);
  }
  cmd->set_csum(csum);
  return 0;
}

uint32_t RxCsumFlags(const hw::RxCsumResult &result, uint32_t *data) {
  uint32_t flags = 0;
  *data = 0;
  if (result.l3_calc()) {
    // ip_input: with CSUM_L3_CALC the header is bad exactly when CSUM_L3_VALID is missing.
    flags |= CSUM_L3_CALC;
    if (result.l3_valid()) flags |= CSUM_L3_VALID;
  }
  // Only a good L4 checksum is reported.  A bad one gets no flag, so the stack checks it again
  // and drops it (igb does the same): FreeBSD's DATA_VALID-without-PSEUDO_HDR form, csum_data as
  // a raw sum, is added in host order by tcp_input and in network order by tcp6_input, so it has
  // no one meaning to give it.
  if (result.l4_calc() && result.l4_valid()) {
    // The "checked and good" convention: the sum over the segment and its pseudo-header.
    flags |= CSUM_L4_CALC | CSUM_L4_VALID;
    *data = 0xffff;
  }
  return flags;
}

}  // namespace mbufnic
