#include "seg_gen.h"

#include <arpa/inet.h>
#include <mbufnic/cksum.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mbufnic::rtltest {
namespace {

// l2hlen + l3hlen + l4hlen of a spec for a TCP or UDP frame over IPv4 or IPv6.
size_t SegHeaderBytes(const FrameSpec& s) {
  size_t n = 14 + 4 * s.vlans.size();
  if (s.l3 == L3Kind::kIpv4) {
    n += 20 + s.ip4_options_len;
  } else {
    n += 40;
    for (const Ipv6Ext& e : s.ip6_ext) n += (size_t{e.len_units} + 1) * 8;
  }
  return n + (s.l4 == L4Kind::kTcp ? 20 + s.tcp_options_len : 8);
}

}  // namespace

SegCase MakeSegCase(const FrameSpec& spec, hw::SegKind kind, uint16_t mss) {
  if (spec.l3 != L3Kind::kIpv4 && spec.l3 != L3Kind::kIpv6)
    throw std::invalid_argument("MakeSegCase: the frame must be IPv4 or IPv6");
  SegCase c;
  c.spec = spec;
  if (kind == hw::SegKind::kTcp) c.spec.l4 = L4Kind::kTcp;
  if (kind == hw::SegKind::kUdp) c.spec.l4 = L4Kind::kUdp;

  // MakeTxCase drops the knobs and the padding, and zeroes the IPv4 header checksum.
  TxCase tc = MakeTxCase(c.spec);
  c.frame = std::move(tc.seeded);
  const bool ipv6 = c.spec.l3 == L3Kind::kIpv6;
  c.req.kind = kind;
  c.req.mss = mss;
  c.req.ipv6 = ipv6;
  c.req.l2hlen = tc.l3_offset;
  c.req.l3hlen = static_cast<uint8_t>(tc.csum_start - tc.l3_offset);
  c.req.l4hlen = c.spec.l4 == L4Kind::kTcp   ? static_cast<uint8_t>(20 + c.spec.tcp_options_len)
                 : c.spec.l4 == L4Kind::kUdp ? 8
                                             : 0;
  c.req.pay_len = static_cast<uint32_t>(c.spec.payload_len);
  if (c.frame.size() != size_t{c.req.l2hlen} + c.req.l3hlen + c.req.l4hlen + c.req.pay_len)
    throw std::logic_error("MakeSegCase: frame length is not headers + payload");

  // The seed: source and destination address and the protocol, no length (the segmenter adds
  // each segment's own).  Summed in memory order, so it is stored as it is.
  if (c.spec.l4 == L4Kind::kTcp || c.spec.l4 == L4Kind::kUdp) {
    const uint8_t proto = c.spec.l4 == L4Kind::kTcp ? kProtoTcp : kProtoUdp;
    const size_t addr_at = tc.l3_offset + (ipv6 ? 8 : 12);
    const size_t addr_len = ipv6 ? 32 : 8;
    const uint16_t seed = mbufnic_cksum_raw(&c.frame[addr_at], addr_len, htons(proto));
    std::memcpy(&c.frame[tc.csum_start + (c.spec.l4 == L4Kind::kTcp ? 16 : 6)], &seed, 2);
    c.pseudo_seed = ntohs(seed);
  }
  return c;
}

FrameSpec RandomSegSpec(std::mt19937_64& rng, const RandomSegOptions& opt) {
  auto uni = [&rng](uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>()(rng) < p; };

  FrameSpec s;
  for (auto& b : s.src_mac) b = static_cast<uint8_t>(uni(0, 255));
  s.src_mac[0] = (s.src_mac[0] & 0xfe) | 0x02;
  const size_t tags = std::discrete_distribution<size_t>({50, 30, 20})(rng);
  for (size_t i = 0; i < tags; ++i) {
    s.vlans.push_back({chance(0.5) ? kTpidCustomer : kTpidService,
                       static_cast<uint16_t>((uni(0, 7) << 13) | uni(1, 4094))});
  }

  s.l3 = chance(0.5) ? L3Kind::kIpv4 : L3Kind::kIpv6;
  for (auto& b : s.ip4_src) b = static_cast<uint8_t>(uni(0, 255));
  for (auto& b : s.ip4_dst) b = static_cast<uint8_t>(uni(0, 255));
  s.ip4_src[0] = static_cast<uint8_t>(uni(1, 223));
  s.ip4_dst[0] = static_cast<uint8_t>(uni(1, 223));
  s.ip4_tos = static_cast<uint8_t>(uni(0, 255));
  s.ip4_ttl = static_cast<uint8_t>(uni(1, 255));
  s.ip4_df = chance(0.7);
  s.ip4_id = static_cast<uint16_t>(chance(0.2) ? 0x10000 - uni(1, 64) : uni(0, 0xffff));
  s.ip4_options_len = chance(0.6) ? 0 : static_cast<uint8_t>(4 * uni(1, 10));

  for (auto& b : s.ip6_src) b = static_cast<uint8_t>(uni(0, 255));
  for (auto& b : s.ip6_dst) b = static_cast<uint8_t>(uni(0, 255));
  s.ip6_src[0] = s.ip6_dst[0] = 0x20;
  s.ip6_flow = static_cast<uint32_t>(uni(0, 0x0fffffff));
  s.ip6_hop_limit = static_cast<uint8_t>(uni(1, 255));
  if (chance(0.5)) {
    // Hop-by-hop options may only come first (RFC 8200 section 4.1).
    if (chance(0.4)) s.ip6_ext.push_back({Ipv6ExtType::kHopByHop});
    for (size_t n = uni(s.ip6_ext.empty() ? 1 : 0, 2); n > 0; --n)
      s.ip6_ext.push_back({chance(0.5) ? Ipv6ExtType::kRouting : Ipv6ExtType::kDestOpts});
    for (Ipv6Ext& e : s.ip6_ext)
      e.len_units = static_cast<uint8_t>(chance(0.8) ? uni(0, 1) : uni(2, 3));
  }

  s.l4 = chance(0.6) ? L4Kind::kTcp : L4Kind::kUdp;
  s.tcp_options_len = chance(0.5) ? 0 : static_cast<uint8_t>(4 * uni(1, 10));
  s.src_port = static_cast<uint16_t>(uni(1024, 65535));
  s.dst_port = static_cast<uint16_t>(uni(1024, 65535));
  s.tcp_seq =
      static_cast<uint32_t>(chance(0.2) ? 0x100000000ull - uni(1, 100000) : uni(0, 0xffffffff));
  s.tcp_ack = static_cast<uint32_t>(uni(0, 0xffffffff));
  s.tcp_flags = static_cast<uint8_t>(uni(0, 255));

  // Headers that do not fit shrink, deepest first.
  while (SegHeaderBytes(s) > opt.max_hdr_bytes) {
    if (!s.ip6_ext.empty() && s.l3 == L3Kind::kIpv6) {
      s.ip6_ext.pop_back();
    } else if (s.l4 == L4Kind::kTcp && s.tcp_options_len > 0) {
      s.tcp_options_len = 0;
    } else if (s.ip4_options_len > 0 && s.l3 == L3Kind::kIpv4) {
      s.ip4_options_len = 0;
    } else if (!s.vlans.empty()) {
      s.vlans.pop_back();
    } else {
      throw std::invalid_argument("RandomSegSpec: max_hdr_bytes is below the smallest headers");
    }
  }

  const uint32_t max = opt.max_payload;
  switch (std::discrete_distribution<int>({10, 45, 25, 20})(rng)) {
    case 0: {
      const uint32_t edges[] = {0, std::min<uint32_t>(1, max), max};
      s.payload_len = edges[uni(0, 2)];
      break;
    }
    case 1:
      s.payload_len = uni(0, std::min<uint32_t>(3000, max));
      break;
    case 2:
      s.payload_len = uni(0, std::min<uint32_t>(20000, max));
      break;
    default:
      s.payload_len = uni(0, max);
      break;
  }
  s.pattern = static_cast<PayloadPattern>(std::discrete_distribution<int>({5, 5, 30, 60})(rng));
  s.payload_seed = rng();
  return s;
}

uint16_t RandomSegMss(std::mt19937_64& rng, const RandomSegOptions& opt) {
  const uint16_t max = std::max<uint16_t>(opt.max_mss, 1);
  auto uni = [&rng](uint64_t lo, uint64_t hi) {
    return static_cast<uint16_t>(std::uniform_int_distribution<uint64_t>(lo, hi)(rng));
  };
  switch (std::discrete_distribution<int>({17, 17, 16, 20, 30})(rng)) {
    case 0:
      return std::min<uint16_t>(536, max);
    case 1:
      return std::min<uint16_t>(1448, max);
    case 2:
      return std::min<uint16_t>(8948, max);
    case 3:
      return uni(1, std::min<uint16_t>(64, max));
    default:
      return uni(1, max);
  }
}

SegCase RandomSegCase(std::mt19937_64& rng, const RandomSegOptions& opt) {
  FrameSpec s = RandomSegSpec(rng, opt);
  const uint16_t mss = RandomSegMss(rng, opt);
  uint64_t pay = s.payload_len;
  if (std::uniform_real_distribution<double>()(rng) < 0.15) {  // an MSS edge
    const uint64_t k = std::uniform_int_distribution<uint64_t>(1, 4)(rng);
    pay = k * mss - 1 + std::uniform_int_distribution<uint64_t>(0, 2)(rng);
  }
  if (opt.max_segments != 0) pay %= uint64_t{mss} * opt.max_segments + 1;
  s.payload_len = std::min<uint64_t>(pay, opt.max_payload);
  return MakeSegCase(s, s.l4 == L4Kind::kUdp ? hw::SegKind::kUdp : hw::SegKind::kTcp, mss);
}

}  // namespace mbufnic::rtltest
