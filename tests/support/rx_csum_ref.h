// The receive checksum engine's contract in the RTL tests' terms: ClassifyRx() is the reference
// the RTL is compared against, field by field.  It is a thin layer over the product twin
// ClassifyRxChecksums (<mbufnic/sw_csum.hpp>, which states the rules: the header window, the
// Ethernet/VLAN, IPv4, IPv6 extension header and L4 rules and the raw l4_sum).
#ifndef MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_
#define MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "mbufnic/hw/nic_hw.h"

namespace mbufnic::rtltest {

inline constexpr int kL3None = 0;
inline constexpr int kL3Ipv4 = 1;
inline constexpr int kL3Ipv6 = 2;

struct RxCsumRef {
  bool l3_calc = false;
  bool l3_valid = false;
  bool l4_calc = false;
  bool l4_valid = false;
  bool ip_frag = false;
  int l3_type = kL3None;  // 0 none, 1 IPv4, 2 IPv6
  uint8_t l4_proto = 0;
  uint8_t l3_offset = 0;
  uint8_t l4_offset = 0;
  uint16_t l4_sum = 0;  // numeric value of the folded raw sum
  int vlan_count = 0;

  bool operator==(const RxCsumRef &) const = default;
  std::string ToString() const;
};

// The receive classification of `frame` under the rules of ClassifyRxChecksums.  Throws
// std::invalid_argument if header_window > 255 or max_ext_headers < 0.
RxCsumRef ClassifyRx(std::span<const uint8_t> frame, size_t header_window = 128,
                     int max_ext_headers = 4);

// The fields of the engine's result sideband (the card's, or the software twin's).
RxCsumRef FromResult(const hw::RxCsumResult &r);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_SUPPORT_RX_CSUM_REF_H_
