// nic_queue_regs_tb: test top for nic_queue_regs as the transmit direction (txq's definition and
// masks) with NumQ queues: the AXI4-Lite port with flat AMBA names for sim/bfm/axil_manager.h
// (which drives AxPROT 0; priv_i makes a write privileged, as the card's management port does),
// the events in, every queue's ring registers out (the bases of the queue base_q_i names).
module nic_queue_regs_tb #(
  parameter int unsigned NumQ = 5
) (
  input  logic               clk_i,
  input  logic               rst_i,
  input  logic               priv_i,

  input  logic [31:0]        s_axil_awaddr_i,
  input  logic [2:0]         s_axil_awprot_i,
  input  logic               s_axil_awvalid_i,
  output logic               s_axil_awready_o,
  input  logic [31:0]        s_axil_wdata_i,
  input  logic [3:0]         s_axil_wstrb_i,
  input  logic               s_axil_wvalid_i,
  output logic               s_axil_wready_o,
  output logic [1:0]         s_axil_bresp_o,
  output logic               s_axil_bvalid_o,
  input  logic               s_axil_bready_i,
  input  logic [31:0]        s_axil_araddr_i,
  input  logic [2:0]         s_axil_arprot_i,
  input  logic               s_axil_arvalid_i,
  output logic               s_axil_arready_o,
  output logic [31:0]        s_axil_rdata_o,
  output logic [1:0]         s_axil_rresp_o,
  output logic               s_axil_rvalid_o,
  input  logic               s_axil_rready_i,

  output logic [NumQ-1:0]    enable_o,
  input  logic [$clog2(NumQ)-1:0] base_q_i,
  output logic [63:0]        ring_base_o,
  output logic [63:0]        cpl_base_o,
  output logic [NumQ*4-1:0]  log2_o,
  output logic [NumQ*16-1:0] prod_o,
  output logic               db_o,
  output logic [$clog2(NumQ)-1:0] db_q_o,
  input  logic [NumQ*16-1:0] cons_i,
  input  logic [NumQ-1:0]    running_i,
  input  logic [NumQ*4-1:0]  err_i,
  input  logic               cpl_i,
  input  logic [15:0]        cpl_q_i,
  input  logic               cpl_err_i,
  input  logic [31:0]        cpl_bytes_i,
  input  logic               drop_i,
  input  logic [15:0]        drop_q_i,
  output logic [NumQ-1:0]    irq_o,
  output logic               busy_o,
  output logic               deny_o
);

  nic_pkg::axil_ax_t aw, ar;
  nic_pkg::axil_w_t  w;

  assign aw.addr = s_axil_awaddr_i;
  assign aw.prot = s_axil_awprot_i | {2'b00, priv_i};
  assign w.data  = s_axil_wdata_i;
  assign w.strb  = s_axil_wstrb_i;
  assign ar.addr = s_axil_araddr_i;
  assign ar.prot = s_axil_arprot_i;

  nic_queue_regs #(
    .NumQ      (NumQ),
    .IdValue   (nic_hw_pkg::TXQ_ID_VALUE),
    .WriteMask (nic_hw_pkg::TXQ_WRITE_MASK),
    .ResetValue(nic_hw_pkg::TXQ_RESET),
    .PulseMask (nic_hw_pkg::TXQ_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::TXQ_MGMT_MASK)
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
    .base_q_i,
    .ring_base_o,
    .cpl_base_o,
    .log2_o,
    .prod_o,
    .db_o,
    .db_q_o,
    .cons_i,
    .running_i,
    .err_i,
    .cpl_i,
    .cpl_q_i,
    .cpl_err_i,
    .cpl_bytes_i,
    .drop_i,
    .drop_q_i,
    .irq_o,
    .busy_o,
    .deny_o
  );

endmodule
