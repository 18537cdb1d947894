#include "frame_gen.h"

#include <arpa/inet.h>
#include <mbufnic/cksum.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace mbufnic::rtltest {
namespace {

// Folded ones'-complement sum of n bytes, numeric (big-endian word) view.
uint16_t Sum(const uint8_t* p, size_t n) { return ntohs(mbufnic_cksum_raw(p, n, 0)); }

uint16_t AddOnes(uint32_t a, uint32_t b) {
  uint32_t s = a + b;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

void Append16(std::vector<uint8_t>& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}

// A wrong checksum that no receiver can take for the right one: ones'-complement arithmetic has
// two zeros (0x0000 and 0xFFFF), so neither may replace the other, and a UDP checksum never
// becomes 0 ("no checksum").
uint16_t Corrupt(uint16_t good) {
  auto zero = [](uint16_t v) { return v == 0 || v == 0xffff; };
  for (uint16_t delta = 1;; ++delta) {
    uint16_t bad = static_cast<uint16_t>(good + delta);
    if (bad != 0 && !(zero(bad) && zero(good))) return bad;
  }
}

bool IsIpv6Fragment(const FrameSpec& s) {
  for (const Ipv6Ext& e : s.ip6_ext) {
    if (e.type == Ipv6ExtType::kFragment && (e.frag_offset != 0 || e.more_fragments)) return true;
  }
  return false;
}

uint8_t FinalProto(const FrameSpec& s) {
  switch (s.l4) {
    case L4Kind::kTcp:
      return kProtoTcp;
    case L4Kind::kUdp:
      return kProtoUdp;
    case L4Kind::kOther:
      break;
  }
  return s.other_proto;
}

size_t ExtLength(const Ipv6Ext& e) {
  return e.type == Ipv6ExtType::kFragment ? 8 : (static_cast<size_t>(e.len_units) + 1) * 8;
}

size_t L4HeaderLength(const FrameSpec& s) {
  switch (s.l4) {
    case L4Kind::kTcp:
      return 20 + s.tcp_options_len;
    case L4Kind::kUdp:
      return 8;
    case L4Kind::kOther:
      break;
  }
  return 0;
}

// Every header byte before the payload.
size_t HeaderLength(const FrameSpec& s) {
  size_t n = 14 + 4 * s.vlans.size();
  if (s.l3 == L3Kind::kIpv4) n += 20 + s.ip4_options_len + L4HeaderLength(s);
  if (s.l3 == L3Kind::kIpv6) {
    n += 40 + L4HeaderLength(s);
    for (const Ipv6Ext& e : s.ip6_ext) n += ExtLength(e);
  }
  return n;
}

std::vector<uint8_t> Payload(const FrameSpec& s) {
  std::vector<uint8_t> p(s.payload_len);
  std::mt19937_64 rng(s.payload_seed);
  for (size_t i = 0; i < p.size(); ++i) {
    switch (s.pattern) {
      case PayloadPattern::kZeros:
        p[i] = 0;
        break;
      case PayloadPattern::kOnes:
        p[i] = 0xff;
        break;
      case PayloadPattern::kIncrement:
        p[i] = static_cast<uint8_t>(i);
        break;
      case PayloadPattern::kRandom:
        p[i] = static_cast<uint8_t>(rng());
        break;
    }
  }
  return p;
}

// The L4 segment with its checksum field 0 (the UDP length override already in place).
std::vector<uint8_t> L4Segment(const FrameSpec& s) {
  std::vector<uint8_t> seg(L4HeaderLength(s));
  if (s.l4 == L4Kind::kTcp) {
    Put16(&seg[0], s.src_port);
    Put16(&seg[2], s.dst_port);
    Put32(&seg[4], s.tcp_seq);
    Put32(&seg[8], s.tcp_ack);
    seg[12] = static_cast<uint8_t>(((20 + s.tcp_options_len) / 4) << 4);
    seg[13] = s.tcp_flags;
    Put16(&seg[14], 65535);
    std::fill(seg.begin() + 20, seg.end(), 1);  // NOP options ...
    if (s.tcp_options_len >= 4) {               // ... after an MSS option
      seg[20] = 2;
      seg[21] = 4;
      Put16(&seg[22], 1460);
    }
  } else if (s.l4 == L4Kind::kUdp) {
    Put16(&seg[0], s.src_port);
    Put16(&seg[2], s.dst_port);
    Put16(&seg[4], s.udp_len.value_or(static_cast<uint16_t>(8 + s.payload_len)));
  }
  std::vector<uint8_t> payload = Payload(s);
  seg.insert(seg.end(), payload.begin(), payload.end());
  return seg;
}

// The IPv6 extension header chain; the last header's next header is `proto`.
std::vector<uint8_t> Ipv6Chain(const FrameSpec& s, uint8_t proto) {
  std::vector<uint8_t> chain;
  for (size_t i = 0; i < s.ip6_ext.size(); ++i) {
    const Ipv6Ext& e = s.ip6_ext[i];
    uint8_t next = i + 1 < s.ip6_ext.size() ? static_cast<uint8_t>(s.ip6_ext[i + 1].type) : proto;
    size_t at = chain.size();
    chain.resize(at + ExtLength(e), 0);
    uint8_t* h = &chain[at];
    h[0] = next;
    switch (e.type) {
      case Ipv6ExtType::kFragment:
        Put16(h + 2, static_cast<uint16_t>((e.frag_offset << 3) | (e.more_fragments ? 1 : 0)));
        Put32(h + 4, e.frag_id);
        break;
      case Ipv6ExtType::kRouting:
        h[1] = e.len_units;
        h[2] = 253;  // experimental routing type, Segments Left (h[3]) 0: ignored by receivers
        break;
      case Ipv6ExtType::kHopByHop:
      case Ipv6ExtType::kDestOpts: {
        h[1] = e.len_units;
        // PadN options fill the rest (always an even count of at least 6 bytes).
        size_t pos = 2, left = ExtLength(e) - 2;
        while (left > 0) {
          size_t chunk = std::min<size_t>(left, 256);
          h[pos] = 1;
          h[pos + 1] = static_cast<uint8_t>(chunk - 2);
          pos += chunk;
          left -= chunk;
        }
        break;
      }
    }
  }
  return chain;
}

}  // namespace

bool FrameSpec::Clean() const {
  return !corrupt_ip4_csum && !corrupt_l4_csum && !udp_csum_zero && truncate == 0 &&
         !ip4_total_len && !ip6_payload_len && !udp_len && !ip4_ihl && !ip_version;
}

std::string FrameSpec::Describe() const {
  std::ostringstream o;
  o << "vlans=" << vlans.size();
  for (const VlanTag& t : vlans) o << (t.tpid == kTpidService ? ":S" : ":C");
  switch (l3) {
    case L3Kind::kNone:
      o << " l3=none(0x" << std::hex << other_ethertype << std::dec << ")";
      break;
    case L3Kind::kIpv4:
      o << " l3=ipv4 opts=" << int{ip4_options_len} << " mf=" << ip4_mf
        << " off=" << ip4_frag_offset;
      break;
    case L3Kind::kIpv6:
      o << " l3=ipv6 ext=[";
      for (const Ipv6Ext& e : ip6_ext) {
        o << int{static_cast<uint8_t>(e.type)} << "/" << int{e.len_units};
        if (e.type == Ipv6ExtType::kFragment)
          o << "/off" << e.frag_offset << "/m" << e.more_fragments;
        o << " ";
      }
      o << "]";
      break;
  }
  if (l3 != L3Kind::kNone) {
    const char* names[] = {"tcp", "udp", "other"};
    o << " l4=" << names[static_cast<int>(l4)];
    if (l4 == L4Kind::kOther) o << "(" << int{other_proto} << ")";
    if (l4 == L4Kind::kTcp) o << " tcpopts=" << int{tcp_options_len};
  }
  o << " payload=" << payload_len << " pattern=" << static_cast<int>(pattern);
  if (corrupt_ip4_csum) o << " CORRUPT_IP4";
  if (corrupt_l4_csum) o << " CORRUPT_L4";
  if (udp_csum_zero) o << " UDP_CSUM_ZERO";
  if (truncate) o << " TRUNCATE=" << truncate;
  if (trailer_len) o << " trailer=" << trailer_len;
  if (ip4_total_len) o << " IP4_TOTAL_LEN=" << *ip4_total_len;
  if (ip6_payload_len) o << " IP6_PAYLOAD_LEN=" << *ip6_payload_len;
  if (udp_len) o << " UDP_LEN=" << *udp_len;
  if (ip4_ihl) o << " IHL=" << int{*ip4_ihl};
  if (ip_version) o << " VERSION=" << int{*ip_version};
  if (!pad_to_min) o << " nopad";
  return o.str();
}

std::vector<uint8_t> BuildFrame(const FrameSpec& s, FrameLayout* layout) {
  FrameLayout lay;
  std::vector<uint8_t> f;
  f.insert(f.end(), s.dst_mac.begin(), s.dst_mac.end());
  f.insert(f.end(), s.src_mac.begin(), s.src_mac.end());
  for (const VlanTag& t : s.vlans) {
    Append16(f, t.tpid);
    Append16(f, t.tci);
  }
  switch (s.l3) {
    case L3Kind::kNone:
      Append16(f, s.other_ethertype);
      break;
    case L3Kind::kIpv4:
      Append16(f, kEtherTypeIpv4);
      break;
    case L3Kind::kIpv6:
      Append16(f, kEtherTypeIpv6);
      break;
  }

  if (s.l3 == L3Kind::kNone) {
    std::vector<uint8_t> payload = Payload(s);
    f.insert(f.end(), payload.begin(), payload.end());
  } else {
    const uint8_t proto = FinalProto(s);
    lay.final_proto = proto;
    lay.l3_offset = f.size();
    std::vector<uint8_t> seg = L4Segment(s);
    std::vector<uint8_t> hdr;
    uint8_t pseudo[40] = {};
    size_t pseudo_len = 0;
    if (s.l3 == L3Kind::kIpv4) {
      if (s.ip4_options_len > 40 || s.ip4_options_len % 4 != 0)
        throw std::invalid_argument("IPv4 options length must be 0..40, a multiple of 4");
      hdr.assign(20 + s.ip4_options_len, 1);  // NOP options after the fixed header
      std::memcpy(&pseudo[0], s.ip4_src.data(), 4);
      std::memcpy(&pseudo[4], s.ip4_dst.data(), 4);
      pseudo[9] = proto;
      Put16(&pseudo[10], static_cast<uint16_t>(seg.size()));
      pseudo_len = 12;
    } else {
      hdr.assign(40, 0);
      std::vector<uint8_t> chain = Ipv6Chain(s, proto);
      hdr.insert(hdr.end(), chain.begin(), chain.end());
      std::memcpy(&pseudo[0], s.ip6_src.data(), 16);
      std::memcpy(&pseudo[16], s.ip6_dst.data(), 16);
      Put32(&pseudo[32], static_cast<uint32_t>(seg.size()));
      pseudo[39] = proto;
      pseudo_len = 40;
    }
    lay.l3_header_len = hdr.size();
    lay.l4_offset = lay.l3_offset + hdr.size();
    lay.l4_length = seg.size();

    if (s.l4 == L4Kind::kTcp || s.l4 == L4Kind::kUdp) {
      if (s.tcp_options_len > 40 || s.tcp_options_len % 4 != 0)
        throw std::invalid_argument("TCP options length must be 0..40, a multiple of 4");
      const bool udp = s.l4 == L4Kind::kUdp;
      const size_t field = udp ? 6 : 16;
      lay.pseudo_sum = Sum(pseudo, pseudo_len);
      lay.l4_csum_field = lay.l4_offset + field;
      uint16_t csum = static_cast<uint16_t>(~AddOnes(lay.pseudo_sum, Sum(seg.data(), seg.size())));
      if (udp && csum == 0) csum = 0xffff;  // 0 means "no checksum" in UDP
      if (s.corrupt_l4_csum) csum = Corrupt(csum);
      if (udp && s.udp_csum_zero) csum = 0;
      Put16(&seg[field], csum);
    }

    if (s.l3 == L3Kind::kIpv4) {
      const size_t ihl = hdr.size() / 4;
      hdr[0] =
          static_cast<uint8_t>((s.ip_version.value_or(4) << 4) | (s.ip4_ihl.value_or(ihl) & 0xf));
      hdr[1] = s.ip4_tos;
      Put16(&hdr[2], s.ip4_total_len.value_or(static_cast<uint16_t>(hdr.size() + seg.size())));
      Put16(&hdr[4], s.ip4_id);
      Put16(&hdr[6], static_cast<uint16_t>((s.ip4_df ? 0x4000 : 0) | (s.ip4_mf ? 0x2000 : 0) |
                                           (s.ip4_frag_offset & 0x1fff)));
      hdr[8] = s.ip4_ttl;
      hdr[9] = proto;
      hdr[10] = hdr[11] = 0;
      std::memcpy(&hdr[12], s.ip4_src.data(), 4);
      std::memcpy(&hdr[16], s.ip4_dst.data(), 4);
      uint16_t csum = static_cast<uint16_t>(~Sum(hdr.data(), hdr.size()));
      if (s.corrupt_ip4_csum) csum = Corrupt(csum);
      Put16(&hdr[10], csum);
    } else {
      Put32(&hdr[0],
            (static_cast<uint32_t>(s.ip_version.value_or(6)) << 28) | (s.ip6_flow & 0x0fffffff));
      Put16(&hdr[4],
            s.ip6_payload_len.value_or(static_cast<uint16_t>(hdr.size() - 40 + seg.size())));
      hdr[6] = s.ip6_ext.empty() ? proto : static_cast<uint8_t>(s.ip6_ext[0].type);
      hdr[7] = s.ip6_hop_limit;
      std::memcpy(&hdr[8], s.ip6_src.data(), 16);
      std::memcpy(&hdr[24], s.ip6_dst.data(), 16);
    }
    f.insert(f.end(), hdr.begin(), hdr.end());
    f.insert(f.end(), seg.begin(), seg.end());
  }
  lay.datagram_end = f.size();

  // Trailer: non-zero bytes, so that a parser which wrongly sums them gets a wrong checksum.
  std::mt19937_64 rng(s.payload_seed ^ 0x7261696c6572ull);
  for (size_t i = 0; i < s.trailer_len; ++i) {
    uint8_t b = static_cast<uint8_t>(rng());
    f.push_back(b ? b : 0x5a);
  }
  if (s.pad_to_min && f.size() < kMinFrame) f.resize(kMinFrame, 0);
  lay.full_length = f.size();
  f.resize(f.size() - std::min(s.truncate, f.size()));
  if (layout) *layout = lay;
  return f;
}

FrameSpec RandomSpec(std::mt19937_64& rng, const RandomSpecOptions& opt) {
  auto uni = [&rng](uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>()(rng) < p; };
  auto pick = [&](std::initializer_list<double> weights) {
    std::discrete_distribution<int> d(weights);
    return d(rng);
  };

  FrameSpec s;
  for (auto& b : s.dst_mac) b = static_cast<uint8_t>(uni(0, 255));
  s.dst_mac[0] &= 0xfe;  // unicast
  for (auto& b : s.src_mac) b = static_cast<uint8_t>(uni(0, 255));
  s.src_mac[0] = (s.src_mac[0] & 0xfe) | 0x02;  // locally administered unicast

  int tags = pick({50, 30, 20});
  for (int i = 0; i < tags; ++i) {
    uint16_t tci = static_cast<uint16_t>((uni(0, 7) << 13) | uni(1, 4094));  // PCP, VID
    s.vlans.push_back({chance(0.5) ? kTpidCustomer : kTpidService, tci});
  }

  switch (pick({50, 40, 10})) {
    case 0:
      s.l3 = L3Kind::kIpv4;
      break;
    case 1:
      s.l3 = L3Kind::kIpv6;
      break;
    default:
      s.l3 = L3Kind::kNone;
      s.other_ethertype = chance(0.5) ? 0x88B5 : 0x88B6;
      break;
  }

  for (auto& b : s.ip4_src) b = static_cast<uint8_t>(uni(0, 255));
  for (auto& b : s.ip4_dst) b = static_cast<uint8_t>(uni(0, 255));
  s.ip4_src[0] = static_cast<uint8_t>(uni(1, 223));  // not 0/8, not multicast or class E
  s.ip4_dst[0] = static_cast<uint8_t>(uni(1, 223));
  s.ip4_tos = static_cast<uint8_t>(uni(0, 255));
  s.ip4_id = static_cast<uint16_t>(uni(0, 0xffff));
  s.ip4_ttl = static_cast<uint8_t>(uni(1, 255));
  s.ip4_options_len = chance(0.6) ? 0 : static_cast<uint8_t>(4 * uni(1, 10));
  if (chance(0.1)) {
    switch (pick({1, 1, 1})) {
      case 0:  // first fragment
        s.ip4_mf = true;
        break;
      case 1:  // last fragment
        s.ip4_frag_offset = static_cast<uint16_t>(uni(1, 0x1fff));
        break;
      default:  // a middle one
        s.ip4_mf = true;
        s.ip4_frag_offset = static_cast<uint16_t>(uni(1, 0x1fff));
        break;
    }
  } else {
    s.ip4_df = chance(0.5);
  }

  for (auto& b : s.ip6_src) b = static_cast<uint8_t>(uni(0, 255));
  for (auto& b : s.ip6_dst) b = static_cast<uint8_t>(uni(0, 255));
  s.ip6_src[0] = s.ip6_dst[0] = 0x20;  // global unicast 2000::/3
  s.ip6_flow = static_cast<uint32_t>(uni(0, 0x0fffffff));
  s.ip6_hop_limit = static_cast<uint8_t>(uni(1, 255));
  if (chance(0.5)) {
    size_t n = chance(0.9) ? uni(1, 3) : uni(4, 6);
    for (size_t i = 0; i < n; ++i) {
      Ipv6Ext e;
      const Ipv6ExtType types[] = {Ipv6ExtType::kHopByHop, Ipv6ExtType::kRouting,
                                   Ipv6ExtType::kDestOpts, Ipv6ExtType::kFragment};
      e.type = types[uni(0, 3)];
      e.len_units = static_cast<uint8_t>(chance(0.85) ? uni(0, 2) : uni(3, 12));
      if (e.type == Ipv6ExtType::kFragment) {
        e.len_units = 0;
        e.frag_id = static_cast<uint32_t>(uni(0, 0xffffffff));
        if (chance(0.5)) {  // otherwise an atomic fragment: a whole packet
          switch (pick({1, 1, 1})) {
            case 0:
              e.more_fragments = true;
              break;
            case 1:
              e.frag_offset = static_cast<uint16_t>(uni(1, 0x1fff));
              break;
            default:
              e.more_fragments = true;
              e.frag_offset = static_cast<uint16_t>(uni(1, 0x1fff));
              break;
          }
        }
      }
      s.ip6_ext.push_back(e);
    }
  }

  switch (pick({45, 45, 10})) {
    case 0:
      s.l4 = L4Kind::kTcp;
      break;
    case 1:
      s.l4 = L4Kind::kUdp;
      break;
    default: {
      s.l4 = L4Kind::kOther;
      const uint8_t v4[] = {1, 47, 132, 253, 254};
      const uint8_t v6[] = {58, 59, 47, 132, 253};
      s.other_proto = s.l3 == L3Kind::kIpv6 ? v6[uni(0, 4)] : v4[uni(0, 4)];
      break;
    }
  }
  s.tcp_options_len = chance(0.5) ? 0 : static_cast<uint8_t>(4 * uni(1, 10));
  s.src_port = static_cast<uint16_t>(uni(1024, 65535));
  s.dst_port = static_cast<uint16_t>(uni(1024, 65535));
  s.tcp_seq = static_cast<uint32_t>(uni(0, 0xffffffff));
  s.tcp_ack = static_cast<uint32_t>(uni(0, 0xffffffff));

  s.pattern = static_cast<PayloadPattern>(pick({10, 10, 30, 50}));
  s.payload_seed = rng();
  if (chance(0.1)) s.trailer_len = uni(1, 32);

  // Frame length before truncation: small frames, the 1500-byte region, jumbo, and the edges.
  const size_t max_len = std::max<size_t>(opt.max_frame_len, kMinFrame);
  size_t target = 0;
  switch (pick({40, 30, 20, 10})) {
    case 0:
      target = uni(kMinFrame, std::min<size_t>(128, max_len));
      break;
    case 1:
      target = uni(kMinFrame, std::min<size_t>(1522, max_len));
      break;
    case 2:
      target = uni(kMinFrame, max_len);
      break;
    default: {
      const size_t edges[] = {kMinFrame, 64, 1514, 1518, max_len};
      target = std::min(edges[uni(0, 4)], max_len);
      break;
    }
  }
  // Headers that do not fit the maximum shrink, deepest first.
  while (HeaderLength(s) + s.trailer_len > max_len) {
    if (s.l3 == L3Kind::kIpv6 && !s.ip6_ext.empty()) {
      s.ip6_ext.pop_back();
    } else if (s.l3 != L3Kind::kNone && s.l4 == L4Kind::kTcp && s.tcp_options_len > 0) {
      s.tcp_options_len = 0;
    } else if (s.l3 == L3Kind::kIpv4 && s.ip4_options_len > 0) {
      s.ip4_options_len = 0;
    } else if (s.trailer_len > 0) {
      s.trailer_len = 0;
    } else if (!s.vlans.empty()) {
      s.vlans.pop_back();
    } else {
      s.l3 = L3Kind::kNone;
    }
  }
  const size_t fixed = HeaderLength(s) + s.trailer_len;
  s.payload_len = target > fixed ? target - fixed : 0;

  // At most one corruption knob, from those that apply to this frame.
  if (!chance(opt.p_clean)) {
    const bool ip4 = s.l3 == L3Kind::kIpv4, ip6 = s.l3 == L3Kind::kIpv6;
    const bool tcp_udp = s.l3 != L3Kind::kNone && s.l4 != L4Kind::kOther;
    const bool udp = s.l3 != L3Kind::kNone && s.l4 == L4Kind::kUdp;
    std::vector<int> knobs = {3};  // truncate applies to every frame
    if (ip4) knobs.insert(knobs.end(), {0, 4, 6, 7});
    if (ip6) knobs.insert(knobs.end(), {5, 7});
    if (tcp_udp) knobs.insert(knobs.end(), {1, 1});
    if (udp) knobs.insert(knobs.end(), {2, 8});
    const size_t datagram = HeaderLength(s) + s.payload_len - 14 - 4 * s.vlans.size();
    const size_t unpadded = HeaderLength(s) + s.payload_len + s.trailer_len;
    const size_t tail = std::max(unpadded, kMinFrame) - unpadded + s.trailer_len;
    switch (knobs[uni(0, knobs.size() - 1)]) {
      case 0:
        s.corrupt_ip4_csum = true;
        break;
      case 1:
        s.corrupt_l4_csum = true;
        break;
      case 2:
        s.udp_csum_zero = true;
        break;
      case 3:
        // Mostly into the datagram; sometimes only into the padding or trailer.
        if (tail > 0 && chance(0.1)) {
          s.truncate = uni(1, tail);
        } else {
          s.truncate = tail + uni(1, std::max<size_t>(1, std::min<size_t>(datagram, 64)));
        }
        break;
      case 4: {
        uint16_t real = static_cast<uint16_t>(datagram);
        s.ip4_total_len = chance(0.5)
                              ? static_cast<uint16_t>(real + uni(1, 64))
                              : static_cast<uint16_t>(real - uni(1, std::min(real, uint16_t{64})));
        break;
      }
      case 5: {
        uint16_t real = static_cast<uint16_t>(datagram - 40);
        uint16_t v = chance(0.5)
                         ? static_cast<uint16_t>(real + uni(1, 64))
                         : static_cast<uint16_t>(real - uni(0, std::min(real, uint16_t{64})));
        s.ip6_payload_len = v == real ? static_cast<uint16_t>(real + 1) : v;
        break;
      }
      case 6:
        s.ip4_ihl = static_cast<uint8_t>(uni(0, 4));
        break;
      case 7: {
        uint8_t v = static_cast<uint8_t>(uni(0, 15));
        uint8_t good = ip4 ? 4 : 6;
        s.ip_version = v == good ? static_cast<uint8_t>(good + 1) : v;
        break;
      }
      default: {  // 8: UDP length
        uint16_t real = static_cast<uint16_t>(8 + s.payload_len);
        uint16_t v = chance(0.5) ? static_cast<uint16_t>(real + uni(1, 64))
                                 : static_cast<uint16_t>(uni(0, real - 1));
        s.udp_len = v;
        break;
      }
    }
  }
  return s;
}

TxCase MakeTxCase(const FrameSpec& spec) {
  FrameSpec s = spec;
  s.corrupt_ip4_csum = s.corrupt_l4_csum = s.udp_csum_zero = false;
  s.truncate = s.trailer_len = 0;
  s.ip4_total_len.reset();
  s.ip6_payload_len.reset();
  s.udp_len.reset();
  s.ip4_ihl.reset();
  s.ip_version.reset();
  s.pad_to_min = false;

  TxCase tc;
  FrameLayout lay;
  tc.expected = BuildFrame(s, &lay);
  tc.seeded = tc.expected;
  tc.l3_offset = static_cast<uint8_t>(lay.l3_offset);
  tc.csum_start = static_cast<uint16_t>(lay.l4_offset);
  const bool ip = s.l3 != L3Kind::kNone;
  const bool fragment = (s.l3 == L3Kind::kIpv4 && (s.ip4_mf || s.ip4_frag_offset != 0)) ||
                        (s.l3 == L3Kind::kIpv6 && IsIpv6Fragment(s));
  const bool tcp_udp = ip && s.l4 != L4Kind::kOther;
  tc.udp = ip && s.l4 == L4Kind::kUdp;
  tc.csum_offset = tcp_udp ? (tc.udp ? 6 : 16) : 0;
  tc.l4_en = tcp_udp && !fragment;
  tc.ip4_en = s.l3 == L3Kind::kIpv4;
  if (tc.ip4_en) tc.seeded[lay.l3_offset + 10] = tc.seeded[lay.l3_offset + 11] = 0;
  if (tc.l4_en) {
    tc.pseudo_sum = lay.pseudo_sum;
    Put16(&tc.seeded[lay.l4_csum_field], lay.pseudo_sum);
  }
  return tc;
}

}  // namespace mbufnic::rtltest
