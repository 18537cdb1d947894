// nic_synth_csr_csum: synthesis-only top (scripts/synth.sh, never part of the card).
//
// nic_csr_axil at its default parameters is a one-register toy; this wraps it as the csum
// block's register file, with the word count, address bits and masks taken from the generated
// nic_hw_pkg, so the resource figures are those of a real CSR block and no mask is copied by
// hand into the tops list.
module nic_synth_csr_csum #(
  // Registers of the csum block (a parameter, not a localparam, so the ports can use it).
  parameter int unsigned NumRegs = nic_hw_pkg::CSUM_NUM_REGS
) (
  input  logic                  clk_i,
  input  logic                  rst_i,

  // ---- AXI4-Lite slave
  input  nic_pkg::axil_ax_t     s_axil_aw_i,
  input  logic                  s_axil_awvalid_i,
  output logic                  s_axil_awready_o,
  input  nic_pkg::axil_w_t      s_axil_w_i,
  input  logic                  s_axil_wvalid_i,
  output logic                  s_axil_wready_o,
  output nic_pkg::axil_b_t      s_axil_b_o,
  output logic                  s_axil_bvalid_o,
  input  logic                  s_axil_bready_i,
  input  nic_pkg::axil_ax_t     s_axil_ar_i,
  input  logic                  s_axil_arvalid_i,
  output logic                  s_axil_arready_o,
  output nic_pkg::axil_r_t      s_axil_r_o,
  output logic                  s_axil_rvalid_o,
  input  logic                  s_axil_rready_i,

  // ---- Block side
  output logic [NumRegs*32-1:0] regs_o,
  input  logic [NumRegs*32-1:0] hw_i,
  output logic [NumRegs*32-1:0] wr_pulse_o,
  output logic [NumRegs-1:0]    wr_o,
  output logic [NumRegs-1:0]    rd_o,
  output logic                  deny_o
);

  nic_csr_axil #(
    .NumRegs   (NumRegs),
    .AddrBits  (nic_hw_pkg::CSUM_ADDR_BITS),
    .WriteMask (nic_hw_pkg::CSUM_WRITE_MASK),
    .ResetValue(nic_hw_pkg::CSUM_RESET),
    .PulseMask (nic_hw_pkg::CSUM_PULSE_MASK)
  ) u_csr (
    .clk_i           (clk_i),
    .rst_i           (rst_i),
    .s_axil_aw_i     (s_axil_aw_i),
    .s_axil_awvalid_i(s_axil_awvalid_i),
    .s_axil_awready_o(s_axil_awready_o),
    .s_axil_w_i      (s_axil_w_i),
    .s_axil_wvalid_i (s_axil_wvalid_i),
    .s_axil_wready_o (s_axil_wready_o),
    .s_axil_b_o      (s_axil_b_o),
    .s_axil_bvalid_o (s_axil_bvalid_o),
    .s_axil_bready_i (s_axil_bready_i),
    .s_axil_ar_i     (s_axil_ar_i),
    .s_axil_arvalid_i(s_axil_arvalid_i),
    .s_axil_arready_o(s_axil_arready_o),
    .s_axil_r_o      (s_axil_r_o),
    .s_axil_rvalid_o (s_axil_rvalid_o),
    .s_axil_rready_i (s_axil_rready_i),
    .regs_o          (regs_o),
    .hw_i            (hw_i),
    .wr_pulse_o      (wr_pulse_o),
    .wr_o            (wr_o),
    .rd_o            (rd_o),
    .deny_o          (deny_o)
  );

endmodule
