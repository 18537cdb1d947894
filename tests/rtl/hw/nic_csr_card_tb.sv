// nic_csr_card_tb: test top for nic_csr_axil with the generated card block: a 32-bit rw
// register (scratch) for byte-strobe tests, and the slave's default full address decode
// (AddrBits = 32), so anything past the block's last register, however high, is SLVERR.
module nic_csr_card_tb #(
  parameter int unsigned NumRegs = nic_hw_pkg::CARD_NUM_REGS
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

  // ---- What the card would report
  input  logic [3:0]           caps_i,        // {dma, tso, rx_csum, tx_csum}
  input  logic [31:0]          stream_width_i,
  input  logic [31:0]          max_frame_i,
  input  logic [31:0]          queues_i,      // {rx, tx}
  input  logic [31:0]          tx_max_descs_i,
  input  logic [31:0]          rx_max_bufs_i,

  // ---- Typed view and raw slave outputs
  output logic [31:0]          scratch_o,
  output nic_hw_pkg::card_regs_t regs_o,
  output logic [NumRegs-1:0]   wr_o,
  output logic [NumRegs-1:0]   rd_o,
  output logic                 deny_o
);

  nic_pkg::axil_ax_t aw, ar;
  nic_pkg::axil_w_t  w;
  nic_pkg::axil_b_t  b;
  nic_pkg::axil_r_t  r;
  nic_hw_pkg::card_regs_t hw, pulse;

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
    hw.id                 = nic_hw_pkg::card_id_t'(nic_hw_pkg::CARD_ID_VALUE);
    hw.caps.tx_csum       = caps_i[0];
    hw.caps.rx_csum       = caps_i[1];
    hw.caps.tso           = caps_i[2];
    hw.caps.dma           = caps_i[3];
    hw.stream_width.value = stream_width_i;
    hw.max_frame.value    = max_frame_i;
    hw.queues.tx          = queues_i[15:0];
    hw.queues.rx          = queues_i[31:16];
    hw.tx_max_descs.value = tx_max_descs_i;
    hw.rx_max_bufs.value  = rx_max_bufs_i;
    // Bits the slave stores come from the slave, whatever is here.
    hw.scratch.value      = 32'hDEAD_BEEF;
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::CARD_NUM_REGS),
    .WriteMask (nic_hw_pkg::CARD_WRITE_MASK),
    .ResetValue(nic_hw_pkg::CARD_RESET),
    .PulseMask (nic_hw_pkg::CARD_PULSE_MASK)
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
    .wr_pulse_o      (pulse),
    .wr_o,
    .rd_o,
    .deny_o
  );

  assign scratch_o = regs_o.scratch.value;

  // The card block has no pulse fields.
  logic unused_pulse;
  assign unused_pulse = ^pulse;

endmodule
