// nic_opennic_pkg: the in-band metadata headers of the OpenNIC box (docs/opennic.md).
//
// OpenNIC's QDMA streaming path carries no per-packet field for an offload command, so every
// host frame starts with a 32-byte transmit header and every frame to the host with a 32-byte
// receive header.  The host's copy of these constants is host/offload/include/mbufnic/
// opennic_meta.hpp; the OpenNIC test (tests/rtl/opennic) builds its headers with that code, so
// the two cannot drift apart unnoticed.  Referenced as nic_opennic_pkg::name (no `import`).
package nic_opennic_pkg;

  // Header length: whole 16-byte units, so the 16-byte command sits aligned in it.
  localparam int unsigned MetaBytes = 32;
  // Bytes 0, 1 and 2 of both headers.
  localparam logic [7:0] MetaMagic = 8'h4D;
  localparam logic [7:0] MetaVersion = 8'h01;
  localparam logic [7:0] MetaKindTx = 8'h01;
  localparam logic [7:0] MetaKindRx = 8'h02;
  // Transmit header: nic_hw_pkg::tx_offload_cmd_t in bytes 16..31, byte i holding bits
  // [8i+7:8i] of the struct (the descriptor's byte order).
  localparam int unsigned MetaTxCmdOffset = 16;
  // Receive header: the frame length (little-endian) in bytes 4..5 and
  // nic_hw_pkg::rx_csum_result_t in bytes 8..15.
  localparam int unsigned MetaRxLenOffset = 4;
  localparam int unsigned MetaRxResultOffset = 8;

endpackage
