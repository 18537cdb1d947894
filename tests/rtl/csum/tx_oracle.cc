#include "tx_oracle.h"

#include <mbufnic/hw/nic_hw.h>

#include <cstring>
#include <mbufnic/sw_csum.hpp>

namespace mbufnic::rtltest {
namespace {

hw::TxCsumCmd ToHw(const TxCmd& cmd) {
  hw::TxCsumCmd c{};
  c.set_csum_start(cmd.csum_start);
  c.set_csum_offset(cmd.csum_offset);
  c.set_l3_offset(cmd.l3_offset);
  c.set_csum_init(cmd.csum_init);
  c.set_l4_en(cmd.l4_en);
  c.set_ip4_en(cmd.ip4_en);
  c.set_udp(cmd.udp);
  return c;
}

}  // namespace

uint64_t TxCmd::Encode() const {
  const hw::TxCsumCmd c = ToHw(*this);
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

TxResult TxOracle(const std::vector<uint8_t>& in, const TxCmd& cmd, size_t buffer_bytes) {
  TxResult r{in, {}};
  const hw::TxCsumStatus s = InsertTxChecksums(r.frame, ToHw(cmd), buffer_bytes);
  r.status = {s.err_l4(), s.err_ip4(), s.err_oversize()};
  return r;
}

}  // namespace mbufnic::rtltest
