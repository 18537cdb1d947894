// The checksum engines' contracts (see <mbufnic/sw_csum.hpp>), computed with the host's checksum
// code.  These were the RTL tests' references first; the card model uses them now too, so the
// rules here are the hardware's, word for word, and nothing is added for convenience.
#include "mbufnic/sw_csum.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "mbufnic/cksum.h"

namespace mbufnic {
namespace {

// Folded raw sum of bytes, numeric (big-endian) view: see l4_sum in the header.
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

constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kDestOpts = 60;

}  // namespace

hw::TxCsumStatus InsertTxChecksums(std::span<uint8_t> frame, const hw::TxCsumCmd& cmd,
                                   size_t buffer_bytes) {
  uint8_t* f = frame.data();
  const size_t len = frame.size();
  const bool oversize = len > buffer_bytes;
  const size_t start = cmd.csum_start(), l3 = cmd.l3_offset();
  const size_t field = start + cmd.csum_offset(), field_end = field + 2;
  const bool l4_en = cmd.l4_en(), ip4_en = cmd.ip4_en();

  bool ip_hdr_ok = false;
  size_t hdr_end = 0;
  if (!oversize && l3 + 20 <= len) {
    const unsigned version = f[l3] >> 4, ihl = f[l3] & 0xf;
    hdr_end = l3 + 4 * ihl;
    ip_hdr_ok = version == 4 && ihl >= 5 && hdr_end <= len;
  }
  const bool overlap =
      l4_en && ip4_en && ip_hdr_ok && (start < l3 + 12 || (field_end > l3 && field < hdr_end));
  hw::TxCsumStatus status{};
  status.set_err_oversize(oversize);
  status.set_err_l4(l4_en && (oversize || start >= len || field_end > len || overlap));
  status.set_err_ip4(ip4_en && (!ip_hdr_ok || overlap));

  // Both sums are taken over the frame as it came in, before either field is written (when
  // both are written they do not overlap, so the order would not matter anyway).
  const bool do_l4 = l4_en && !status.err_l4();
  const bool do_ip4 = ip4_en && !status.err_ip4();
  uint16_t l4_csum = 0, ip_csum = 0;
  if (do_l4) {
    l4_csum = static_cast<uint16_t>(~AddOnes(Sum(f + start, len - start), cmd.csum_init()));
    if (cmd.udp() && l4_csum == 0) l4_csum = 0xffff;
  }
  if (do_ip4) {
    // The header with its checksum field taken as zero (IHL * 4 is at most 60 bytes).
    uint8_t hdr[60];
    std::memcpy(hdr, f + l3, hdr_end - l3);
    hdr[10] = hdr[11] = 0;
    ip_csum = static_cast<uint16_t>(~Sum(hdr, hdr_end - l3));
  }
  if (do_l4) Put16(f + field, l4_csum);
  if (do_ip4) Put16(f + l3 + 10, ip_csum);
  return status;
}

hw::RxCsumResult ClassifyRxChecksums(std::span<const uint8_t> frame, const RxCsumLimits& limits) {
  const uint8_t* p = frame.data();
  const size_t len = frame.size();
  const size_t window = std::min<size_t>(limits.header_window, 255);
  const unsigned max_ext = limits.max_ext_headers;
  auto be16 = [p](size_t at) { return static_cast<uint16_t>((p[at] << 8) | p[at + 1]); };

  // Ethernet and tags.
  hw::RxCsumResult r{};
  size_t type_at = 12;
  unsigned tags = 0;
  if (type_at + 2 > len) return hw::RxCsumResult{};
  uint16_t ethertype = be16(type_at);
  while (ethertype == 0x8100 || ethertype == 0x88A8) {
    if (tags == 2) {  // a third tag: not parsed
      r.set_vlan_count(2);
      return r;
    }
    ++tags;
    type_at += 4;
    if (type_at + 2 > len) return hw::RxCsumResult{};
    ethertype = be16(type_at);
  }
  r.set_vlan_count(static_cast<uint8_t>(tags));
  const size_t l3 = 14 + 4 * size_t{tags};

  // L3: structure, header checksum, fragments, the L4 candidate and its pseudo-header sum.
  size_t l4_off = 0, l4_len = 0;
  uint8_t proto = 0;
  bool walk_ok = true, ip_frag = false;
  uint16_t pseudo = 0;
  if (ethertype == 0x0800) {
    r.set_l3_type(hw::L3Type::kIpv4);
    r.set_l3_offset(static_cast<uint8_t>(l3));
    if (l3 + 20 > len) return r;
    const unsigned version = p[l3] >> 4, hlen = 4u * (p[l3] & 0xf);
    const size_t total = be16(l3 + 2);
    const bool ok = version == 4 && hlen >= 20 && l3 + hlen <= window && l3 + hlen <= len &&
                    total >= hlen && l3 + total <= len;
    if (!ok) return r;
    r.set_l3_calc(true);
    r.set_l3_valid(Sum(p + l3, hlen) == 0xffff);
    const uint16_t frag = be16(l3 + 6);
    ip_frag = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
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
    r.set_l3_type(hw::L3Type::kIpv6);
    r.set_l3_offset(static_cast<uint8_t>(l3));
    if (l3 + 40 > len || (p[l3] >> 4) != 6) return r;
    const size_t end = l3 + 40 + be16(l3 + 4);
    if (end > len) return r;
    uint8_t nh = p[l3 + 6];
    size_t off = l3 + 40;
    unsigned count = 0;
    while (nh == kHopByHop || nh == kRouting || nh == kDestOpts || nh == kFragment) {
      if (count == max_ext || off + 2 > window || off + 2 > end) {
        walk_ok = false;
        break;
      }
      const size_t hl = nh == kFragment ? 8 : (static_cast<size_t>(p[off + 1]) + 1) * 8;
      if (off + hl > window || off + hl > end) {
        walk_ok = false;
        break;
      }
      if (nh == kFragment && ((be16(off + 2) >> 3) != 0 || (p[off + 3] & 1) != 0)) {
        ip_frag = true;
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
  r.set_ip_frag(ip_frag);

  // L4.
  r.set_l4_proto(proto);
  r.set_l4_offset(static_cast<uint8_t>(l4_off));
  const bool tcp = proto == kTcp, udp = proto == kUdp;
  bool calc = walk_ok && !ip_frag && (tcp || udp) && l4_len >= (tcp ? 20u : 8u) &&
              l4_off + (tcp ? 18 : 8) <= window;
  if (calc && udp) calc = be16(l4_off + 4) == l4_len;
  const bool udp_zero = calc && udp && be16(l4_off + 6) == 0;
  if (udp_zero && r.l3_type() == hw::L3Type::kIpv4) calc = false;
  if (!calc) return r;
  const uint16_t sum = Sum(p + l4_off, l4_len);
  r.set_l4_calc(true);
  r.set_l4_sum(sum);
  r.set_l4_valid(!udp_zero && AddOnes(sum, pseudo) == 0xffff);
  return r;
}

}  // namespace mbufnic
