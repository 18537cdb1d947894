// nic_queue_csr_tb: test top for nic_queue_csr as transmit queue 0 (txq's definition) with the
// counters of its direction (nic_queue_stats, four queues, as nic_top wires them): the AXI4-Lite
// port with flat AMBA names for sim/bfm/axil_manager.h, the events of every queue in, the ring
// registers passed through.
module nic_queue_csr_tb (
  input  logic        clk_i,
  input  logic        rst_i,

  input  logic [31:0] s_axil_awaddr_i,
  input  logic [2:0]  s_axil_awprot_i,
  input  logic        s_axil_awvalid_i,
  output logic        s_axil_awready_o,
  input  logic [31:0] s_axil_wdata_i,
  input  logic [3:0]  s_axil_wstrb_i,
  input  logic        s_axil_wvalid_i,
  output logic        s_axil_wready_o,
  output logic [1:0]  s_axil_bresp_o,
  output logic        s_axil_bvalid_o,
  input  logic        s_axil_bready_i,
  input  logic [31:0] s_axil_araddr_i,
  input  logic [2:0]  s_axil_arprot_i,
  input  logic        s_axil_arvalid_i,
  output logic        s_axil_arready_o,
  output logic [31:0] s_axil_rdata_o,
  output logic [1:0]  s_axil_rresp_o,
  output logic        s_axil_rvalid_o,
  input  logic        s_axil_rready_i,

  output logic        enable_o,
  output logic [63:0] ring_base_o,
  output logic [63:0] cpl_base_o,
  output logic [3:0]  log2_o,
  output logic [15:0] prod_o,
  input  logic [15:0] cons_i,
  input  logic        running_i,
  input  logic [3:0]  err_i,
  input  logic        cpl_i,
  input  logic [15:0] cpl_q_i,
  input  logic        cpl_err_i,
  input  logic [31:0] cpl_bytes_i,
  input  logic        drop_i,
  input  logic [15:0] drop_q_i,
  output logic        irq_o,
  output logic        busy_o,
  output logic        deny_o
);

  nic_pkg::axil_ax_t aw, ar;
  nic_pkg::axil_w_t  w;
  logic              stat_rd, stat_done, q_busy, stats_busy;
  logic [4:0]        stat_reg;
  logic [31:0]       stat_data;

  assign aw.addr = s_axil_awaddr_i;
  assign aw.prot = s_axil_awprot_i;
  assign w.data  = s_axil_wdata_i;
  assign w.strb  = s_axil_wstrb_i;
  assign ar.addr = s_axil_araddr_i;
  assign ar.prot = s_axil_arprot_i;

  nic_queue_csr #(
    .IdValue   (nic_hw_pkg::TXQ_ID_VALUE),
    .WriteMask (nic_hw_pkg::TXQ_WRITE_MASK),
    .ResetValue(nic_hw_pkg::TXQ_RESET),
    .PulseMask (nic_hw_pkg::TXQ_PULSE_MASK),
    // No management-only bits: the tests write the ring registers as the host would not be
    // allowed to on the card (the firmware sets queues up); privilege has its own CSR tests.
    .MgmtMask  ('0)
  ) u_dut (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (aw),
    .s_axil_awvalid_i,
    .s_axil_awready_o,
    .s_axil_w_i      (w),
    .s_axil_wvalid_i,
    .s_axil_wready_o,
    .s_axil_bresp_o,
    .s_axil_bvalid_o,
    .s_axil_bready_i,
    .s_axil_ar_i     (ar),
    .s_axil_arvalid_i,
    .s_axil_arready_o,
    .s_axil_rresp_o,
    .s_axil_rdata_o,
    .s_axil_rvalid_o,
    .s_axil_rready_i,
    .enable_o,
    .ring_base_o,
    .cpl_base_o,
    .log2_o,
    .prod_o,
    .cons_i,
    .running_i,
    .err_i,
    .cpl_i      (cpl_i && cpl_q_i == 16'd0),
    .stat_rd_o  (stat_rd),
    .stat_reg_o (stat_reg),
    .stat_done_i(stat_done),
    .stat_data_i(stat_data),
    .irq_o,
    .busy_o     (q_busy),
    .deny_o
  );

  nic_queue_stats #(.NumQ(4)) u_stats (
    .clk_i,
    .rst_i,
    .cpl_i,
    .cpl_q_i,
    .cpl_err_i,
    .cpl_bytes_i,
    .drop_i,
    .drop_q_i,
    .rd_i     (stat_rd),
    .rd_q_i   (2'd0),
    .rd_reg_i (stat_reg),
    .rd_done_o(stat_done),
    .rd_data_o(stat_data),
    .busy_o   (stats_busy)
  );

  assign busy_o = q_busy || stats_busy;

endmodule
