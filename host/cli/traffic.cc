// Traffic built as FreeBSD's stack builds it, and the receiving end's checks (traffic.h).
#include "traffic.h"

#include <fmt/core.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <deque>
#include <utility>

#include "mbufnic/cksum.h"
#include "offload/wire.h"

namespace mbufnic::cli {

namespace {

constexpr int kEtherHdr = 14;
constexpr int kVlanHdr = 4;
constexpr int kMaxLinkHdr = 16;  // FreeBSD's max_linkhdr: room tcp_output leaves in front
constexpr int kTcpHdr = 32;      // 20 bytes and the timestamps option (NOP, NOP, TS)
constexpr int kUdpHdr = 8;
constexpr std::uint16_t kBasePort = 40000;  // flow i sends from port kBasePort + i
constexpr std::uint16_t kEtherTypeIp = 0x0800, kEtherTypeIp6 = 0x86dd, kEtherTypeVlan = 0x8100;
constexpr std::array<std::uint8_t, 12> kMacs = {0x02, 0, 0, 0, 0, 0x02,   // destination
                                                0x02, 0, 0, 0, 0, 0x01};  // source

int L3Len(L3 l3) { return l3 == L3::kIpv4 ? 20 : 40; }

using offload::Get16;
using offload::Get32;

// The pseudo-header sum with the length, folded, not complemented: in_pseudo(src, dst,
// htons(len + proto)) for IPv4, in6_cksum_pseudo(ip6, len, proto, 0) for IPv6.  `l3` points at
// the IP header.
std::uint16_t PseudoSum(L3 l3, const std::uint8_t *ip, std::uint32_t l4len, std::uint8_t proto) {
  const bool v6 = l3 == L3::kIpv6;
  return mbufnic_cksum_raw(ip + (v6 ? 8 : 12), v6 ? 32 : 8,
                           std::uint32_t{htons(proto)} + htons(static_cast<std::uint16_t>(l4len)));
}

// Fills an IPv4 or IPv6 header for an L4 packet of l4len bytes.
void FillIp(L3 l3, std::uint8_t *p, std::uint32_t l4len, std::uint8_t proto, std::uint16_t id,
            bool dont_fragment) {
  if (l3 == L3::kIpv4) {
    struct ip ip {};
    ip.ip_v = IPVERSION;
    ip.ip_hl = 5;
    ip.ip_len = htons(static_cast<std::uint16_t>(20 + l4len));
    ip.ip_id = htons(id);
    ip.ip_off = htons(dont_fragment ? IP_DF : 0);
    ip.ip_ttl = 64;
    ip.ip_p = proto;
    ip.ip_src.s_addr = htonl(0x0a000001);  // 10.0.0.1
    ip.ip_dst.s_addr = htonl(0x0a000002);  // 10.0.0.2
    // ip_sum stays 0: CSUM_IP asks the card for it.
    std::memcpy(p, &ip, sizeof ip);
  } else {
    struct ip6_hdr ip6 {};
    ip6.ip6_flow = htonl(0x60000000);
    ip6.ip6_plen = htons(static_cast<std::uint16_t>(l4len));
    ip6.ip6_nxt = proto;
    ip6.ip6_hlim = 64;
    ip6.ip6_src.s6_addr[0] = 0xfd;  // fd00::1
    ip6.ip6_src.s6_addr[15] = 1;
    ip6.ip6_dst.s6_addr[0] = 0xfd;  // fd00::2
    ip6.ip6_dst.s6_addr[15] = 2;
    std::memcpy(p, &ip6, sizeof ip6);
  }
}

// ether_output: the Ethernet header in front (the tag, if any, is M_VLANTAG's business).
struct mbuf *PrependEther(struct mbuf *m, L3 l3) {
  M_PREPEND(m, kEtherHdr, M_NOWAIT);
  if (m == nullptr) return nullptr;
  auto *p = mtod(m, std::uint8_t *);
  std::memcpy(p, kMacs.data(), kMacs.size());
  const std::uint16_t type = l3 == L3::kIpv4 ? kEtherTypeIp : kEtherTypeIp6;
  p[12] = static_cast<std::uint8_t>(type >> 8);
  p[13] = static_cast<std::uint8_t>(type);
  return m;
}

}  // namespace

std::vector<FlowSpec> DemoFlows() {
  return {
      {.name = "tcp4-bulk",
       .l3 = L3::kIpv4,
       .l4 = L4::kTcp,
       .tso = true,
       .mss = 1448,
       .min_len = 1,
       .max_len = 65483,
       .weight = 3},
      {.name = "tcp6-bulk",
       .l3 = L3::kIpv6,
       .l4 = L4::kTcp,
       .tso = true,
       .mss = 1428,
       .min_len = 1,
       .max_len = 65503,
       .weight = 2},
      {.name = "tcp4-small",
       .l3 = L3::kIpv4,
       .l4 = L4::kTcp,
       .mss = 1448,
       .min_len = 1,
       .max_len = 300,
       .weight = 3},
      {.name = "udp4", .l3 = L3::kIpv4, .l4 = L4::kUdp, .min_len = 1, .max_len = 1472, .weight = 3},
      {.name = "udp6", .l3 = L3::kIpv6, .l4 = L4::kUdp, .min_len = 1, .max_len = 1452, .weight = 2},
      {.name = "tcp4-vlan100",
       .l3 = L3::kIpv4,
       .l4 = L4::kTcp,
       .tso = true,
       .mss = 1448,
       .vlan = 100,
       .min_len = 1,
       .max_len = 65483,
       .weight = 1},
  };
}

std::uint8_t Pattern(unsigned flow, std::uint64_t off) {
  std::uint64_t x = off * 0x9E3779B97F4A7C15ull + (std::uint64_t{flow} + 1) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  return static_cast<std::uint8_t>(x >> 56);
}

// Lossy mode: one send not yet settled.
struct Traffic::SendRecord {
  std::uint64_t start = 0;   // stream offset of its first payload byte
  std::uint32_t len = 0;     // payload bytes
  std::uint32_t frames = 0;  // frames it makes on the wire
  std::uint32_t on_wire = 0, got = 0;
};

struct Traffic::Flow {
  unsigned index = 0;
  FlowSpec spec;
  std::uint32_t iss = 0;       // initial sequence number (TCP)
  std::uint64_t sent = 0;      // stream bytes handed to the driver
  std::uint64_t received = 0;  // stream bytes the receiving end checked, in order
  struct mbuf *sb = nullptr;   // so_snd: stream bytes [sb_base, sb_end) (TCP)
  std::uint64_t sb_base = 0, sb_end = 0;
  std::uint16_t ip_id = 0;
  FlowStats stats;
  // Lossy mode: the sends not yet settled, oldest first; the one the wire's last frame of the
  // flow belonged to (an index into sends); the stream offset after that frame.
  std::deque<SendRecord> sends;
  std::size_t wire_at = 0;
  std::uint64_t wire_next = 0;
};

Traffic::Traffic(std::vector<FlowSpec> flows, std::uint64_t seed, bool rx_csum)
    : specs_(std::move(flows)), rng_(seed), rx_csum_(rx_csum) {
  std::vector<int> weights;
  for (unsigned i = 0; i < specs_.size(); ++i) {
    auto *f = new Flow;
    f->index = i;
    f->spec = specs_[i];
    f->iss = static_cast<std::uint32_t>(rng_());
    flows_.push_back(f);
    weights.push_back(specs_[i].weight);
  }
  pick_ = std::discrete_distribution<unsigned>(weights.begin(), weights.end());
}

Traffic::~Traffic() {
  for (Flow *f : flows_) {
    m_freem(f->sb);
    delete f;
  }
}

void Traffic::Error(std::string what) {
  ++recv_.errors;
  if (errors_.size() < 20) errors_.push_back(std::move(what));
}

struct mbuf *Traffic::NextSend() {
  Flow &f = *flows_[pick_(rng_)];
  const FlowSpec &s = f.spec;
  // Bulk flows send whole writes of up to 64 KiB, and now and then a short tail.
  std::uint32_t len;
  if (s.tso && s.tails && rng_() % 8 == 0) {
    len = 1 + static_cast<std::uint32_t>(rng_() % s.mss);
  } else {
    len = s.min_len + static_cast<std::uint32_t>(rng_() % (s.max_len - s.min_len + 1));
  }
  struct mbuf *m = s.l4 == L4::kTcp ? BuildTcp(f, len) : BuildUdp(f, len);
  if (m == nullptr) {
    Error(fmt::format("{}: out of mbufs building a send of {} bytes", s.name, len));
    return nullptr;
  }
  if (s.vlan != 0) {
    // A vlan(4) interface over a card with hardware tagging: the tag goes in the packet header.
    m->m_flags |= M_VLANTAG;
    m->m_pkthdr.ether_vtag = s.vlan;
    ++sent_.vlan_sends;
  }
  f.sent += len;
  ++f.stats.sends;
  f.stats.sent_bytes += len;
  ++sent_.sends;
  sent_.payload_bytes += len;
  ++sent_.csum_sends;
  std::uint32_t frames = 1;
  if (m->m_pkthdr.csum_flags & (CSUM_IP_TSO | CSUM_IP6_TSO)) {
    ++sent_.tso_sends;
    frames = (len + s.mss - 1) / s.mss;
  }
  sent_.expected_frames += frames;
  if (lossy_) f.sends.push_back(SendRecord{f.sent - len, len, frames});
  return m;
}

struct mbuf *Traffic::BuildTcp(Flow &f, std::uint32_t len) {
  const FlowSpec &s = f.spec;
  // sbappend: the write's bytes join the socket's send buffer in page-sized clusters (what
  // sosend's m_uiotombuf takes for large writes); a cluster a sent chain still shares is not
  // written into again (M_TRAILINGSPACE is 0 for it).
  while (f.sb_end < f.sent + len) {
    struct mbuf *tail = f.sb;
    while (tail != nullptr && tail->m_next != nullptr) tail = tail->m_next;
    if (tail == nullptr || M_TRAILINGSPACE(tail) == 0) {
      struct mbuf *c = m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE);
      if (c == nullptr) return nullptr;
      if (tail == nullptr) {
        f.sb = c;
      } else {
        tail->m_next = c;
      }
      tail = c;
    }
    const auto n = static_cast<int>(std::min<std::uint64_t>(
        static_cast<std::uint64_t>(M_TRAILINGSPACE(tail)), f.sent + len - f.sb_end));
    auto *p = mtod(tail, std::uint8_t *) + tail->m_len;
    for (int i = 0; i < n; ++i) p[i] = Pattern(f.index, f.sb_end + static_cast<std::uint64_t>(i));
    tail->m_len += n;
    f.sb_end += static_cast<std::uint64_t>(n);
  }

  // tcp_output: a header mbuf with max_linkhdr in front; a small send is copied in behind the
  // headers, a larger one is m_copym of the send buffer (the clusters shared, not copied).
  const int l3len = L3Len(s.l3);
  const int hlen = l3len + kTcpHdr;
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  if (m == nullptr) return nullptr;
  m->m_data += kMaxLinkHdr;
  const auto off = static_cast<int>(f.sent - f.sb_base);
  const int ilen = static_cast<int>(len);
  if (ilen <= MHLEN - kMaxLinkHdr - hlen) {
    m_copydata(f.sb, off, ilen, mtod(m, caddr_t) + hlen);
    m->m_len = hlen + ilen;
  } else {
    m->m_len = hlen;
    m->m_next = m_copym(f.sb, off, ilen, M_NOWAIT);
    if (m->m_next == nullptr) {
      m_free(m);
      return nullptr;
    }
  }
  m->m_pkthdr.len = hlen + ilen;

  auto *p = mtod(m, std::uint8_t *);
  const std::uint32_t l4len = kTcpHdr + len;
  FillIp(s.l3, p, l4len, IPPROTO_TCP, f.ip_id++, true);
  struct tcphdr th {};
  th.th_sport = htons(static_cast<std::uint16_t>(kBasePort + f.index));
  th.th_dport = htons(5001);
  th.th_seq = htonl(f.iss + static_cast<std::uint32_t>(f.sent));
  th.th_ack = htonl(1);
  th.th_off = kTcpHdr >> 2;
  th.th_flags = TH_ACK | TH_PUSH;
  th.th_win = htons(1024);
  // th_sum: the pseudo-header sum with the length, for the card to finish.
  th.th_sum = PseudoSum(s.l3, p, l4len, IPPROTO_TCP);
  std::memcpy(p + l3len, &th, sizeof th);
  const std::uint32_t tsval = htonl(static_cast<std::uint32_t>(f.stats.sends + 1));
  std::uint8_t opts[12] = {TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP};
  std::memcpy(opts + 4, &tsval, 4);
  std::memcpy(p + l3len + 20, opts, sizeof opts);

  const bool v4 = s.l3 == L3::kIpv4;
  m->m_pkthdr.csum_flags = v4 ? CSUM_IP | CSUM_IP_TCP : CSUM_IP6_TCP;
  m->m_pkthdr.csum_data = offsetof(struct tcphdr, th_sum);
  if (s.tso && len > s.mss) {
    m->m_pkthdr.csum_flags |= v4 ? CSUM_IP_TSO : CSUM_IP6_TSO;
    m->m_pkthdr.tso_segsz = s.mss;
  }
  return PrependEther(m, s.l3);
}

struct mbuf *Traffic::BuildUdp(Flow &f, std::uint32_t len) {
  const FlowSpec &s = f.spec;
  // sosend: the datagram's data in a fresh chain; udp_output puts the headers in front.
  struct mbuf *m = m_getm2(nullptr, static_cast<int>(len), M_NOWAIT, MT_DATA, M_PKTHDR);
  if (m == nullptr) return nullptr;
  std::uint64_t at = f.sent;
  for (struct mbuf *n = m; n != nullptr; n = n->m_next) {
    const auto take = static_cast<int>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(M_TRAILINGSPACE(n)), f.sent + len - at));
    auto *p = mtod(n, std::uint8_t *);
    for (int i = 0; i < take; ++i) p[i] = Pattern(f.index, at + static_cast<std::uint64_t>(i));
    n->m_len = take;
    at += static_cast<std::uint64_t>(take);
  }
  m->m_pkthdr.len = static_cast<int>(len);
  const int l3len = L3Len(s.l3);
  M_PREPEND(m, l3len + kUdpHdr, M_NOWAIT);
  if (m == nullptr) return nullptr;
  auto *p = mtod(m, std::uint8_t *);
  const std::uint32_t l4len = kUdpHdr + len;
  FillIp(s.l3, p, l4len, IPPROTO_UDP, f.ip_id++, false);
  struct udphdr uh {};
  uh.uh_sport = htons(static_cast<std::uint16_t>(kBasePort + f.index));
  uh.uh_dport = htons(9);
  uh.uh_ulen = htons(static_cast<std::uint16_t>(l4len));
  uh.uh_sum = PseudoSum(s.l3, p, l4len, IPPROTO_UDP);
  std::memcpy(p + l3len, &uh, sizeof uh);
  m->m_pkthdr.csum_flags = s.l3 == L3::kIpv4 ? CSUM_IP | CSUM_IP_UDP : CSUM_IP6_UDP;
  m->m_pkthdr.csum_data = offsetof(struct udphdr, uh_sum);
  return PrependEther(m, s.l3);
}

bool Traffic::CheckL4(Flow &f, const struct mbuf *m, int l4off, int l4len, std::uint32_t pseudo) {
  // The whole L4 packet with the pseudo-header sums to 0xffff when its checksum is right.
  const std::uint16_t sum = mbufnic_cksum_mbuf(m, l4off, l4len, pseudo);
  if (sum != 0xffff) {
    Error(fmt::format("{}: L4 checksum wrong in a frame of {} bytes (software check)", f.spec.name,
                      m->m_pkthdr.len));
    return false;
  }
  return true;
}

void Traffic::Check(struct mbuf *m) {
  const int len = m->m_pkthdr.len;
  ++recv_.frames;
  recv_.bytes += static_cast<std::uint64_t>(len);
  std::array<std::uint8_t, 128> h{};
  m_copydata(m, 0, std::min<int>(len, static_cast<int>(h.size())),
             reinterpret_cast<caddr_t>(h.data()));
  auto done = [&] { m_freem(m); };
  if (len < kEtherHdr + 20) {
    Error(fmt::format("a runt of {} bytes came back", len));
    return done();
  }
  // Ethernet, and the tag the card reports.
  int l2 = kEtherHdr;
  int vid = 0;
  std::uint16_t type = Get16(h.data() + 12);
  if (type == kEtherTypeVlan) {
    vid = Get16(h.data() + 14) & 0xfff;
    type = Get16(h.data() + 16);
    l2 += kVlanHdr;
  }
  const bool tagged = (m->m_flags & M_VLANTAG) != 0;
  if (tagged) ++recv_.vlan;
  if (vid != 0 && (!tagged || (m->m_pkthdr.ether_vtag & 0xfff) != vid)) {
    Error(fmt::format("a frame on VLAN {} came up without M_VLANTAG/ether_vtag {}", vid, vid));
  } else if (vid == 0 && tagged) {
    Error("an untagged frame came up with M_VLANTAG");
  }
  const std::uint32_t flags = m->m_pkthdr.csum_flags;
  const std::uint8_t *ip = h.data() + l2;
  L3 l3;
  std::uint8_t proto;
  if (type == kEtherTypeIp) {
    l3 = L3::kIpv4;
    if ((ip[0] >> 4) != 4 || (ip[0] & 15) != 5 || Get16(ip + 2) != len - l2) {
      Error(fmt::format("a frame of {} bytes has a wrong IPv4 header", len));
      return done();
    }
    if (mbufnic_cksum_raw(ip, 20, 0) != 0xffff) {
      Error(fmt::format("IPv4 header checksum wrong in a frame of {} bytes (software check)", len));
    }
    if (rx_csum_) {
      if ((flags & (CSUM_L3_CALC | CSUM_L3_VALID)) == (CSUM_L3_CALC | CSUM_L3_VALID)) {
        ++recv_.l3_valid;
      } else {
        Error(fmt::format("the card did not report a good IPv4 header checksum (csum_flags {:#x})",
                          flags));
      }
    }
    proto = ip[9];
  } else if (type == kEtherTypeIp6) {
    l3 = L3::kIpv6;
    if ((ip[0] >> 4) != 6 || Get16(ip + 4) != len - l2 - 40) {
      Error(fmt::format("a frame of {} bytes has a wrong IPv6 header", len));
      return done();
    }
    proto = ip[6];
  } else {
    Error(fmt::format("a frame of {} bytes with ethertype {:#06x} came back", len, type));
    return done();
  }
  const int l4off = l2 + L3Len(l3);
  const int l4len = len - l4off;
  const std::uint8_t *l4 = h.data() + l4off;
  const unsigned index = Get16(l4) - kBasePort;
  if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || index >= flows_.size() ||
      flows_[index]->spec.l3 != l3 ||
      (flows_[index]->spec.l4 == L4::kTcp) != (proto == IPPROTO_TCP) ||
      flows_[index]->spec.vlan != vid) {
    Error(fmt::format("a frame of {} bytes belongs to no flow (protocol {}, port {})", len, proto,
                      Get16(l4)));
    return done();
  }
  Flow &f = *flows_[index];
  ++f.stats.frames;
  CheckL4(f, m, l4off, l4len, PseudoSum(l3, ip, static_cast<std::uint32_t>(l4len), proto));
  if (rx_csum_) {
    if ((flags & (CSUM_L4_CALC | CSUM_L4_VALID)) == (CSUM_L4_CALC | CSUM_L4_VALID) &&
        m->m_pkthdr.csum_data == 0xffff) {
      ++recv_.l4_valid;
    } else {
      Error(fmt::format("{}: the card did not report a good L4 checksum (csum_flags {:#x})",
                        f.spec.name, flags));
    }
  } else {
    ++recv_.not_checked;
  }

  // The payload: where it belongs in the flow, and every byte of it.
  int pay_off;
  if (proto == IPPROTO_TCP) {
    pay_off = l4off + (l4[12] >> 4) * 4;
    const std::uint32_t seq = Get32(l4 + 4);
    const std::uint32_t want = f.iss + static_cast<std::uint32_t>(f.received);
    if (lossy_ && static_cast<std::int32_t>(seq - want) > 0) {
      f.received += seq - want;  // the segments between were lost
    } else if (seq != want) {
      Error(fmt::format("{}: segment at sequence {} where {} was next", f.spec.name, seq - f.iss,
                        want - f.iss));
      // Go on from there.
      f.received = (f.received & ~std::uint64_t{0xffffffff}) | std::uint32_t{seq - f.iss};
    }
    if (f.spec.tso && len - pay_off > f.spec.mss) {
      Error(fmt::format("{}: a segment of {} payload bytes, above the MSS {}", f.spec.name,
                        len - pay_off, f.spec.mss));
    }
  } else {
    pay_off = l4off + kUdpHdr;
    if (Get16(l4 + 4) != l4len) {
      Error(
          fmt::format("{}: UDP length {} in a datagram of {}", f.spec.name, Get16(l4 + 4), l4len));
    }
    if (lossy_) {
      // Which send it is: the datagrams between may have been lost.
      const auto pay = static_cast<std::size_t>(len - pay_off);
      const std::size_t have = std::min<std::size_t>(pay, h.size() - pay_off);
      const std::int64_t at = Locate(f, false, 0, f.received, h.data() + pay_off, pay, have);
      if (at < 0) {
        Error(fmt::format("{}: a datagram of {} bytes matches no send after stream byte {}",
                          f.spec.name, pay, f.received));
        return done();
      }
      f.received = static_cast<std::uint64_t>(at);
    }
  }
  const int pay = len - pay_off;
  if (lossy_) {
    const std::uint64_t at = f.received;
    auto it = std::find_if(f.sends.begin(), f.sends.end(), [&](const SendRecord &r) {
      return at >= r.start && at < r.start + r.len;
    });
    if (it == f.sends.end()) {
      Error(fmt::format("{}: a frame at stream byte {} belongs to no open send", f.spec.name, at));
    } else {
      ++it->got;
    }
  }
  std::array<std::uint8_t, 2048> buf;
  for (int at = 0; at < pay;) {
    const int n = std::min<int>(pay - at, static_cast<int>(buf.size()));
    m_copydata(m, pay_off + at, n, reinterpret_cast<caddr_t>(buf.data()));
    for (int i = 0; i < n; ++i) {
      if (buf[static_cast<std::size_t>(i)] !=
          Pattern(f.index, f.received + static_cast<std::uint64_t>(at + i))) {
        Error(fmt::format("{}: payload byte {} of the stream is wrong", f.spec.name,
                          f.received + static_cast<std::uint64_t>(at + i)));
        at = pay;
        break;
      }
    }
    at += n;
  }
  f.received += static_cast<std::uint64_t>(pay);
  f.stats.recv_bytes += static_cast<std::uint64_t>(pay);
  recv_.payload_bytes += static_cast<std::uint64_t>(pay);

  // sbdrop: the peer has the bytes, the send buffer lets them go (TCP; UDP keeps none).
  std::uint64_t drop = std::min(f.received, f.sb_end);
  drop = drop > f.sb_base ? drop - f.sb_base : 0;
  while (drop > 0 && f.sb != nullptr) {
    const auto have = static_cast<std::uint64_t>(f.sb->m_len);
    if (have <= drop) {
      drop -= have;
      f.sb_base += have;
      f.sb = m_free(f.sb);
    } else {
      f.sb->m_data += drop;
      f.sb->m_len -= static_cast<int>(drop);
      f.sb_base += drop;
      drop = 0;
    }
  }
  if (lossy_) Settle(f, false);
  return done();
}

void Traffic::AllowLoss() { lossy_ = true; }

std::int64_t Traffic::Locate(Flow &f, bool tcp, std::uint32_t seq, std::uint64_t from,
                             const std::uint8_t *pay, std::size_t pay_len, std::size_t have) const {
  if (tcp) {
    // Sequence numbers wrap at 2^32; the offset is the one at or after `from` they name (the
    // wire and the receiving end never go back).
    const std::uint32_t rel = seq - f.iss;
    std::uint64_t at = (from & ~std::uint64_t{0xffffffff}) | rel;
    if (at < from) at += std::uint64_t{1} << 32;
    return static_cast<std::int64_t>(at);
  }
  for (const SendRecord &r : f.sends) {
    if (r.start < from || r.len != pay_len) continue;
    bool same = true;
    for (std::size_t i = 0; i < std::min<std::size_t>(have, 16) && same; ++i) {
      same = pay[i] == Pattern(f.index, r.start + i);
    }
    if (same) return static_cast<std::int64_t>(r.start);
  }
  return -1;
}

void Traffic::OnWire(const std::uint8_t *frame, std::size_t len) {
  if (!lossy_) return;
  // Ethernet (the card inserted any tag), IP, then the flow by its source port.
  if (len < kEtherHdr + 20) {
    Error(fmt::format("on the wire: a runt of {} bytes", len));
    return;
  }
  std::size_t l2 = kEtherHdr;
  std::uint16_t type = Get16(frame + 12);
  if (type == kEtherTypeVlan) {
    type = Get16(frame + 16);
    l2 += kVlanHdr;
  }
  const std::uint8_t *ip = frame + l2;
  std::size_t l4off;
  std::uint8_t proto;
  if (type == kEtherTypeIp && len >= l2 + 20 + kUdpHdr) {
    l4off = l2 + 20;
    proto = ip[9];
  } else if (type == kEtherTypeIp6 && len >= l2 + 40 + kUdpHdr) {
    l4off = l2 + 40;
    proto = ip[6];
  } else {
    Error(fmt::format("on the wire: a frame of {} bytes that is no IPv4 or IPv6 packet", len));
    return;
  }
  const std::uint8_t *l4 = frame + l4off;
  const unsigned index = Get16(l4) - kBasePort;
  const bool tcp = proto == IPPROTO_TCP;
  if (index >= flows_.size() || (flows_[index]->spec.l4 == L4::kTcp) != tcp ||
      (tcp && len < l4off + 20)) {
    Error(fmt::format("on the wire: a frame of {} bytes belongs to no flow", len));
    return;
  }
  Flow &f = *flows_[index];
  const std::size_t pay_off = tcp ? l4off + (l4[12] >> 4) * 4u : l4off + kUdpHdr;
  const std::size_t pay = len > pay_off ? len - pay_off : 0;
  const std::int64_t at =
      Locate(f, tcp, tcp ? Get32(l4 + 4) : 0, f.wire_next, frame + pay_off, pay, pay);
  // The send it belongs to: the wire's current one or a later one (the wire keeps order).
  std::size_t k = f.wire_at;
  while (at >= 0 && k < f.sends.size() &&
         static_cast<std::uint64_t>(at) >= f.sends[k].start + f.sends[k].len) {
    ++k;
  }
  if (at < 0 || k >= f.sends.size() || static_cast<std::uint64_t>(at) < f.sends[k].start) {
    Error(
        fmt::format("{}: on the wire, a frame of {} bytes matches no send at or after stream "
                    "byte {}",
                    f.spec.name, len, f.wire_next));
    return;
  }
  f.wire_at = k;
  f.wire_next = static_cast<std::uint64_t>(at) + pay;
  if (++f.sends[k].on_wire > f.sends[k].frames) {
    Error(fmt::format("{}: a send of {} bytes went out as more than {} frames", f.spec.name,
                      f.sends[k].len, f.sends[k].frames));
  }
  Settle(f, false);
}

void Traffic::Settle(Flow &f, bool all) {
  while (!f.sends.empty()) {
    const SendRecord &r = f.sends.front();
    // Settled when the wire has moved on to a later send and the receiving end past its end.
    if (!all && (f.wire_at == 0 || f.received < r.start + r.len)) break;
    if (r.got > r.on_wire) {
      Error(fmt::format("{}: {} frames of a send handed up, {} of them on the wire", f.spec.name,
                        r.got, r.on_wire));
    }
    const std::uint32_t on_wire = std::min(r.on_wire, r.frames);
    if (on_wire < r.frames) {
      loss_.tx_frames += r.frames - on_wire;
      ++(on_wire == 0 ? loss_.tx_sends : loss_.tx_partial);
    }
    loss_.rx_frames += on_wire - std::min(r.got, on_wire);
    loss_.wire_frames += r.on_wire;
    f.sends.pop_front();
    if (f.wire_at > 0) --f.wire_at;
  }
}

void Traffic::Finish() {
  if (lossy_) {
    for (Flow *f : flows_) Settle(*f, true);
    return;
  }
  for (const Flow *f : flows_) {
    if (f->received != f->sent) {
      Error(fmt::format("{}: {} of {} bytes sent came back", f->spec.name, f->received, f->sent));
    }
  }
}

std::vector<Traffic::FlowStats> Traffic::flow_stats() const {
  std::vector<FlowStats> out;
  for (const Flow *f : flows_) out.push_back(f->stats);
  return out;
}

}  // namespace mbufnic::cli
