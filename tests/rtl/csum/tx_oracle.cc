#include "tx_oracle.h"

#include <arpa/inet.h>
#include <mbufnic/cksum.h>

#include <mbufnic/hw/nic_hw.h>

namespace mbufnic::rtltest {

uint64_t TxCmd::Encode() const {
  hw::TxCsumCmd c{};
  c.set_csum_start(csum_start);
  c.set_csum_offset(csum_offset);
  c.set_l3_offset(l3_offset);
  c.set_csum_init(csum_init);
  c.set_l4_en(l4_en);
  c.set_ip4_en(ip4_en);
  c.set_udp(udp);
  uint64_t v = 0;
  static_assert(sizeof(c) == sizeof(v));
  memcpy(&v, &c, sizeof(v));
  return v;
}

TxStatus TxStatus::Decode(uint64_t user) {
  hw::TxCsumStatus s{};
  uint8_t b = static_cast<uint8_t>(user);
  static_assert(sizeof(s) == 1);
  memcpy(&s, &b, 1);
  return {s.err_l4() != 0, s.err_ip4() != 0, s.err_oversize() != 0};
}

namespace {

// Folded 16-bit ones'-complement sum, numeric (big-endian) view.
uint16_t NumericSum(const uint8_t* p, size_t n) {
  return ntohs(mbufnic_cksum_raw(p, n, 0));
}

uint16_t AddOnes(uint32_t a, uint32_t b) {
  uint32_t s = a + b;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

void Put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

}  // namespace

TxResult TxOracle(const std::vector<uint8_t>& in, const TxCmd& cmd, size_t buffer_bytes) {
  TxResult r{in, {}};
  const size_t len = in.size();
  const bool oversize = len > buffer_bytes;
  const size_t start = cmd.csum_start, l3 = cmd.l3_offset;
  const size_t field = start + cmd.csum_offset, field_end = field + 2;

  bool ip_hdr_ok = false;
  size_t hdr_end = 0;
  if (!oversize && l3 + 20 <= len) {
    unsigned version = in[l3] >> 4, ihl = in[l3] & 0xf;
    hdr_end = l3 + 4 * ihl;
    ip_hdr_ok = version == 4 && ihl >= 5 && hdr_end <= len;
  }
  const bool overlap = cmd.l4_en && cmd.ip4_en && ip_hdr_ok &&
                       (start < l3 + 12 || (field_end > l3 && field < hdr_end));
  r.status.err_oversize = oversize;
  r.status.err_l4 = cmd.l4_en && (oversize || start >= len || field_end > len || overlap);
  r.status.err_ip4 = cmd.ip4_en && (!ip_hdr_ok || overlap);

  if (cmd.l4_en && !r.status.err_l4) {
    uint16_t sum = AddOnes(NumericSum(in.data() + start, len - start), cmd.csum_init);
    uint16_t csum = static_cast<uint16_t>(~sum);
    if (cmd.udp && csum == 0) csum = 0xffff;
    Put16(r.frame, field, csum);
  }
  if (cmd.ip4_en && !r.status.err_ip4) {
    std::vector<uint8_t> hdr(in.begin() + l3, in.begin() + hdr_end);
    hdr[10] = hdr[11] = 0;
    Put16(r.frame, l3 + 10, static_cast<uint16_t>(~NumericSum(hdr.data(), hdr.size())));
  }
  return r;
}

}  // namespace mbufnic::rtltest
