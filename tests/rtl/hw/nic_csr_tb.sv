// nic_csr_tb: test top for nic_csr_axil, built the way the checksum block will build its CSRs:
// the generated csum definition for the masks, the csum_regs_t struct for the typed view, and
// the hardware side (id word, counters) filled in field by field.  The AXI4-Lite port is flat
// AMBA names so sim/bfm/axil_manager.h can drive it; the typed outputs (tx_enable_o, ...)
// come out of the struct, so a test that checks them checks where the package put the fields.
module nic_csr_tb #(
  parameter int unsigned NumRegs = nic_hw_pkg::CSUM_NUM_REGS
) (
  input  logic                 clk_i,
  input  logic                 rst_i,

  // ---- AXI4-Lite slave, flat
  input  logic [31:0]          s_axil_awaddr_i,
  input  logic [2:0]           s_axil_awprot_i,
  input  logic                 s_axil_awvalid_i,
  output logic                 s_axil_awready_o,
  input  logic [31:0]          s_axil_wdata_i,
  input  logic [3:0]           s_axil_wstrb_i,
  input  logic                 s_axil_wvalid_i,
  output logic                 s_axil_wready_o,
  output logic [1:0]           s_axil_bresp_o,
  output logic                 s_axil_bvalid_o,
  input  logic                 s_axil_bready_i,
  input  logic [31:0]          s_axil_araddr_i,
  input  logic [2:0]           s_axil_arprot_i,
  input  logic                 s_axil_arvalid_i,
  output logic                 s_axil_arready_o,
  output logic [31:0]          s_axil_rdata_o,
  output logic [1:0]           s_axil_rresp_o,
  output logic                 s_axil_rvalid_o,
  input  logic                 s_axil_rready_i,

  // ---- What the checksum engines would report
  input  logic [31:0]          tx_frames_i,
  input  logic [31:0]          tx_errors_i,
  input  logic [31:0]          rx_frames_i,
  input  logic [31:0]          rx_l3_bad_i,
  input  logic [31:0]          rx_l4_bad_i,

  // ---- Typed view of the registers
  output logic                 tx_enable_o,
  output logic                 rx_enable_o,
  output logic                 clear_counters_o,

  // ---- Raw slave outputs
  output nic_hw_pkg::csum_regs_t regs_o,
  output nic_hw_pkg::csum_regs_t wr_pulse_o,
  output logic [NumRegs-1:0]   wr_o,
  output logic [NumRegs-1:0]   rd_o,
  output logic                 deny_o
);

  nic_pkg::axil_ax_t aw, ar;
  nic_pkg::axil_w_t  w;
  nic_pkg::axil_b_t  b;
  nic_pkg::axil_r_t  r;
  nic_hw_pkg::csum_regs_t hw;

  assign aw.addr = s_axil_awaddr_i;
  assign aw.prot = s_axil_awprot_i;
  assign w.data  = s_axil_wdata_i;
  assign w.strb  = s_axil_wstrb_i;
  assign ar.addr = s_axil_araddr_i;
  assign ar.prot = s_axil_arprot_i;
  assign s_axil_bresp_o = b.resp;
  assign s_axil_rdata_o = r.data;
  assign s_axil_rresp_o = r.resp;

  always_comb begin
    hw = '0;
    hw.id              = nic_hw_pkg::csum_id_t'(nic_hw_pkg::CSUM_ID_VALUE);
    hw.tx_frames.value = tx_frames_i;
    hw.tx_errors.value = tx_errors_i;
    hw.rx_frames.value = rx_frames_i;
    hw.rx_l3_bad.value = rx_l3_bad_i;
    hw.rx_l4_bad.value = rx_l4_bad_i;
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::CSUM_NUM_REGS),
    .AddrBits  (nic_hw_pkg::CSUM_ADDR_BITS),
    .WriteMask (nic_hw_pkg::CSUM_WRITE_MASK),
    .ResetValue(nic_hw_pkg::CSUM_RESET),
    .PulseMask (nic_hw_pkg::CSUM_PULSE_MASK)
  ) u_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (aw),
    .s_axil_awvalid_i,
    .s_axil_awready_o,
    .s_axil_w_i      (w),
    .s_axil_wvalid_i,
    .s_axil_wready_o,
    .s_axil_b_o      (b),
    .s_axil_bvalid_o,
    .s_axil_bready_i,
    .s_axil_ar_i     (ar),
    .s_axil_arvalid_i,
    .s_axil_arready_o,
    .s_axil_r_o      (r),
    .s_axil_rvalid_o,
    .s_axil_rready_i,
    .regs_o,
    .hw_i            (hw),
    .wr_pulse_o,
    .wr_o,
    .rd_o,
    .deny_o
  );

  assign tx_enable_o      = regs_o.ctrl.tx_enable;
  assign rx_enable_o      = regs_o.ctrl.rx_enable;
  assign clear_counters_o = wr_pulse_o.err_clear.counters;

endmodule
