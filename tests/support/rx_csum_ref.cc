#include "rx_csum_ref.h"

#include <arpa/inet.h>
#include <mbufnic/cksum.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace mbufnic::rtltest {
namespace {

constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kDestOpts = 60;

// Folded raw sum of bytes, numeric view (see l4_sum in the header).
uint16_t Sum(const uint8_t* p, size_t n) { return ntohs(mbufnic_cksum_raw(p, n, 0)); }

uint16_t AddOnes(uint32_t a, uint32_t b) {
  uint32_t s = a + b;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

}  // namespace

std::string RxCsumRef::ToString() const {
  std::ostringstream o;
  o << "{l3_calc=" << l3_calc << " l3_valid=" << l3_valid << " l4_calc=" << l4_calc
    << " l4_valid=" << l4_valid << " ip_frag=" << ip_frag << " l3_type=" << l3_type
    << " l4_proto=" << int{l4_proto} << " l3_offset=" << int{l3_offset}
    << " l4_offset=" << int{l4_offset} << " l4_sum=0x" << std::hex << l4_sum << std::dec
    << " vlan_count=" << vlan_count << "}";
  return o.str();
}

RxCsumRef ClassifyRx(std::span<const uint8_t> frame, size_t header_window, int max_ext_headers) {
  if (header_window > 255) throw std::invalid_argument("header_window must be <= 255");
  if (max_ext_headers < 0) throw std::invalid_argument("max_ext_headers must be >= 0");
  const uint8_t* p = frame.data();
  const size_t len = frame.size();
  const size_t window = header_window;
  auto be16 = [p](size_t at) { return static_cast<uint16_t>((p[at] << 8) | p[at + 1]); };

  // Ethernet and tags.
  RxCsumRef r;
  size_t type_at = 12;
  int tags = 0;
  if (type_at + 2 > len) return {};
  uint16_t ethertype = be16(type_at);
  while (ethertype == 0x8100 || ethertype == 0x88A8) {
    if (tags == 2) {  // a third tag: not parsed
      r.vlan_count = 2;
      return r;
    }
    ++tags;
    type_at += 4;
    if (type_at + 2 > len) return {};
    ethertype = be16(type_at);
  }
  r.vlan_count = tags;
  const size_t l3 = 14 + 4 * static_cast<size_t>(tags);

  // L3: structure, header checksum, fragments, the L4 candidate and its pseudo-header sum.
  size_t l4_off = 0, l4_len = 0;
  uint8_t proto = 0;
  bool walk_ok = true;
  uint16_t pseudo = 0;
  if (ethertype == 0x0800) {
    r.l3_type = kL3Ipv4;
    r.l3_offset = static_cast<uint8_t>(l3);
    if (l3 + 20 > len) return r;
    const unsigned version = p[l3] >> 4, hlen = 4u * (p[l3] & 0xf);
    const size_t total = be16(l3 + 2);
    const bool ok = version == 4 && hlen >= 20 && l3 + hlen <= window && l3 + hlen <= len &&
                    total >= hlen && l3 + total <= len;
    if (!ok) return r;
    r.l3_calc = true;
    r.l3_valid = Sum(p + l3, hlen) == 0xffff;
    const uint16_t frag = be16(l3 + 6);
    r.ip_frag = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
    proto = p[l3 + 9];
    l4_off = l3 + hlen;
    l4_len = total - hlen;
    uint8_t ph[12] = {};
    std::memcpy(ph, p + l3 + 12, 8);
    ph[9] = proto;
    ph[10] = static_cast<uint8_t>(l4_len >> 8);
    ph[11] = static_cast<uint8_t>(l4_len);
    pseudo = Sum(ph, sizeof(ph));
  } else if (ethertype == 0x86DD) {
    r.l3_type = kL3Ipv6;
    r.l3_offset = static_cast<uint8_t>(l3);
    if (l3 + 40 > len || (p[l3] >> 4) != 6) return r;
    const size_t end = l3 + 40 + be16(l3 + 4);
    if (end > len) return r;
    uint8_t nh = p[l3 + 6];
    size_t off = l3 + 40;
    int count = 0;
    while (nh == kHopByHop || nh == kRouting || nh == kDestOpts || nh == kFragment) {
      if (count == max_ext_headers || off + 2 > window || off + 2 > end) {
        walk_ok = false;
        break;
      }
      const size_t hl = nh == kFragment ? 8 : (static_cast<size_t>(p[off + 1]) + 1) * 8;
      if (off + hl > window || off + hl > end) {
        walk_ok = false;
        break;
      }
      if (nh == kFragment && ((be16(off + 2) >> 3) != 0 || (p[off + 3] & 1) != 0)) {
        r.ip_frag = true;
      }
      nh = p[off];
      off += hl;
      ++count;
    }
    proto = nh;
    l4_off = off;
    l4_len = end - off;
    uint8_t ph[40] = {};
    std::memcpy(ph, p + l3 + 8, 32);
    ph[34] = static_cast<uint8_t>(l4_len >> 8);
    ph[35] = static_cast<uint8_t>(l4_len);
    ph[39] = proto;
    pseudo = Sum(ph, sizeof(ph));
  } else {
    return r;
  }

  // L4.
  r.l4_proto = proto;
  r.l4_offset = static_cast<uint8_t>(l4_off);
  const bool tcp = proto == kTcp, udp = proto == kUdp;
  bool calc = walk_ok && !r.ip_frag && (tcp || udp) && l4_len >= (tcp ? 20u : 8u) &&
              l4_off + (tcp ? 18 : 8) <= window;
  if (calc && udp) calc = be16(l4_off + 4) == l4_len;
  const bool udp_zero = calc && udp && be16(l4_off + 6) == 0;
  if (udp_zero && r.l3_type == kL3Ipv4) calc = false;
  if (!calc) return r;
  r.l4_calc = true;
  r.l4_sum = Sum(p + l4_off, l4_len);
  r.l4_valid = !udp_zero && AddOnes(r.l4_sum, pseudo) == 0xffff;
  return r;
}

}  // namespace mbufnic::rtltest
