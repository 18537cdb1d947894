// The transmit checksum engine's contract, in the RTL tests' terms: a thin layer over the product
// twin InsertTxChecksums (<mbufnic/sw_csum.hpp>, which states the rules).
#ifndef MBUFNIC_TESTS_RTL_CSUM_TX_ORACLE_H_
#define MBUFNIC_TESTS_RTL_CSUM_TX_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mbufnic::rtltest {

// A per-frame command, field for field nic_hw_pkg::tx_csum_cmd_t.
struct TxCmd {
  uint16_t csum_start = 0;
  uint8_t csum_offset = 0;
  uint8_t l3_offset = 0;
  uint16_t csum_init = 0;
  bool l4_en = false;
  bool ip4_en = false;
  bool udp = false;

  // Encoded with the generated host header, as a driver would.
  uint64_t Encode() const;
};

// Status bits on the last output beat (nic_hw_pkg::tx_csum_status_t).
struct TxStatus {
  bool err_l4 = false;
  bool err_ip4 = false;
  bool err_oversize = false;

  static TxStatus Decode(uint64_t user);
  bool operator==(const TxStatus&) const = default;
};

struct TxResult {
  std::vector<uint8_t> frame;
  TxStatus status;
};

// What the engine must send for `in` under `cmd`; `buffer_bytes` is the largest frame the
// engine buffers (MaxFrameBytes rounded up to whole beats).
TxResult TxOracle(const std::vector<uint8_t>& in, const TxCmd& cmd, size_t buffer_bytes);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_CSUM_TX_ORACLE_H_
