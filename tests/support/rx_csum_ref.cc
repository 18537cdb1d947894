#include "rx_csum_ref.h"

#include <mbufnic/sw_csum.hpp>
#include <sstream>
#include <stdexcept>

namespace mbufnic::rtltest {

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
  return FromResult(ClassifyRxChecksums(
      frame,
      {.header_window = header_window, .max_ext_headers = static_cast<unsigned>(max_ext_headers)}));
}

RxCsumRef FromResult(const hw::RxCsumResult &r) {
  RxCsumRef o;
  o.l3_calc = r.l3_calc();
  o.l3_valid = r.l3_valid();
  o.l4_calc = r.l4_calc();
  o.l4_valid = r.l4_valid();
  o.ip_frag = r.ip_frag();
  o.l3_type = static_cast<int>(r.l3_type());
  o.l4_proto = r.l4_proto();
  o.l3_offset = r.l3_offset();
  o.l4_offset = r.l4_offset();
  o.l4_sum = r.l4_sum();
  o.vlan_count = r.vlan_count();
  return o;
}

}  // namespace mbufnic::rtltest
