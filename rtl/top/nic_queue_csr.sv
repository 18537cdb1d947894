// nic_queue_csr: the register block of one queue, transmit (txq) or receive (rxq).
//
// hw/nic.toml gives txq and rxq the same layout (id, ctrl, ring and completion bases, ring
// size, producer index written as a doorbell, consumer index and status read back, interrupt
// moderation, counters); they differ only in their id value, which comes in as IdValue with the
// block's masks.  nic_top has one instance per queue, transmit queues first.
//
// Counters (packets, bytes_lo/bytes_hi, drops, errors) are not kept here: every queue's are in
// one RAM per direction (nic_queue_stats).  A read of a counter register holds the read
// address channel (arready low) while the block asks for the value (stat_rd_o with the
// register's index, held until stat_done_i) and then answers it from stat_data_i like any
// other register; a read costs five more cycles that way.
// Interrupt moderation is nic_irq_mod's, fed with every completion of the queue.
// The parameters default to a transmit queue's (so the block synthesized alone, as
// scripts/synth.sh does, is the card's and not an empty register file).
module nic_queue_csr #(
  parameter logic [31:0] IdValue = nic_hw_pkg::TXQ_ID_VALUE,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] WriteMask = nic_hw_pkg::TXQ_WRITE_MASK,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] ResetValue = nic_hw_pkg::TXQ_RESET,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] PulseMask = nic_hw_pkg::TXQ_PULSE_MASK,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] MgmtMask = nic_hw_pkg::TXQ_MGMT_MASK
) (
  input  logic               clk_i,
  input  logic               rst_i,

  // AXI4-Lite slave (the block's window of the CSR space).
  input  nic_pkg::axil_ax_t  s_axil_aw_i,
  input  logic               s_axil_awvalid_i,
  output logic               s_axil_awready_o,
  input  nic_pkg::axil_w_t   s_axil_w_i,
  input  logic               s_axil_wvalid_i,
  output logic               s_axil_wready_o,
  output logic [1:0]         s_axil_bresp_o,
  output logic               s_axil_bvalid_o,
  input  logic               s_axil_bready_i,
  input  nic_pkg::axil_ax_t  s_axil_ar_i,
  input  logic               s_axil_arvalid_i,
  output logic               s_axil_arready_o,
  output logic [1:0]         s_axil_rresp_o,
  output logic [31:0]        s_axil_rdata_o,
  output logic               s_axil_rvalid_o,
  input  logic               s_axil_rready_i,

  // The ring registers, to the DMA path.
  output logic               enable_o,
  output logic [63:0]        ring_base_o,
  output logic [63:0]        cpl_base_o,
  output logic [3:0]         log2_o,
  output logic [15:0]        prod_o,
  // What the DMA path reports back.
  input  logic [15:0]        cons_i,
  input  logic               running_i,
  input  logic [3:0]         err_i,

  // A completion of this queue was written (a one-cycle pulse).
  input  logic               cpl_i,

  // Counter reads, from the direction's nic_queue_stats.
  output logic               stat_rd_o,    // held until stat_done_i
  output logic [4:0]         stat_reg_o,   // the register's index
  input  logic               stat_done_i,
  input  logic [31:0]        stat_data_i,

  output logic               irq_o,
  output logic               busy_o,       // interrupt moderation needs clocking
  output logic               deny_o        // a host write was refused (nic_csr_axil)
);

  // One layout for both kinds (see above): the txq type describes it.
  localparam int unsigned NumRegs = nic_hw_pkg::TXQ_NUM_REGS;

  nic_hw_pkg::txq_regs_t regs, hw, pulse;
  nic_pkg::axil_b_t      b;
  nic_pkg::axil_r_t      r;
  logic [NumRegs-1:0]    wr, rd;
  logic                  irq_busy;

  assign enable_o    = regs.ctrl.enable;
  assign ring_base_o = {regs.ring_hi.value, regs.ring_lo.value};
  assign cpl_base_o  = {regs.cpl_hi.value, regs.cpl_lo.value};
  assign log2_o      = regs.ring_size.log2;
  assign prod_o      = regs.prod.index;

  // ---- Counter reads: AR is held back until the value is here --------------------------
  localparam int unsigned IdxW = nic_hw_pkg::TXQ_ADDR_BITS - 2;
  typedef enum logic [1:0] {StIdle, StWait, StHave} stat_state_e;
  stat_state_e     st_q;
  logic [IdxW-1:0] ar_idx;
  logic            ar_stat, csr_arvalid, csr_arready;

  assign ar_idx  = s_axil_ar_i.addr[nic_hw_pkg::TXQ_ADDR_BITS-1:2];
  assign ar_stat = ar_idx == IdxW'(nic_hw_pkg::TXQ_PACKETS_IDX) ||
                   ar_idx == IdxW'(nic_hw_pkg::TXQ_BYTES_LO_IDX) ||
                   ar_idx == IdxW'(nic_hw_pkg::TXQ_BYTES_HI_IDX) ||
                   ar_idx == IdxW'(nic_hw_pkg::TXQ_DROPS_IDX) ||
                   ar_idx == IdxW'(nic_hw_pkg::TXQ_ERRORS_IDX);
  assign csr_arvalid      = s_axil_arvalid_i && (!ar_stat || st_q == StHave);
  assign s_axil_arready_o = csr_arready && (!ar_stat || st_q == StHave);
  assign stat_rd_o        = st_q == StWait;
  assign stat_reg_o       = 5'(ar_idx);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      st_q <= StIdle;
    end else begin
      unique case (st_q)
        StIdle:  if (s_axil_arvalid_i && ar_stat && csr_arready) st_q <= StWait;
        StWait:  if (stat_done_i) st_q <= StHave;
        StHave:  if (csr_arvalid && csr_arready) st_q <= StIdle;
        default: st_q <= StIdle;
      endcase
    end
  end

  always_comb begin
    hw = '0;
    hw.id             = nic_hw_pkg::txq_id_t'(IdValue);
    hw.cons.index     = cons_i;
    hw.status.running = running_i;
    hw.status.err     = nic_hw_pkg::queue_err_e'(err_i);
    // Only the register being read is answered, so every counter may show the one value.
    hw.packets.value  = stat_data_i;
    hw.bytes_lo.value = stat_data_i;
    hw.bytes_hi.value = stat_data_i;
    hw.drops.value    = stat_data_i;
    hw.errors.value   = stat_data_i;
  end

  nic_csr_axil #(
    .NumRegs   (NumRegs),
    .AddrBits  (nic_hw_pkg::TXQ_ADDR_BITS),
    .WriteMask (WriteMask),
    .ResetValue(ResetValue),
    .PulseMask (PulseMask),
    .MgmtMask  (MgmtMask)
  ) u_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i,
    .s_axil_awvalid_i,
    .s_axil_awready_o,
    .s_axil_w_i,
    .s_axil_wvalid_i,
    .s_axil_wready_o,
    .s_axil_b_o (b),
    .s_axil_bvalid_o,
    .s_axil_bready_i,
    .s_axil_ar_i,
    .s_axil_arvalid_i(csr_arvalid),
    .s_axil_arready_o(csr_arready),
    .s_axil_r_o (r),
    .s_axil_rvalid_o,
    .s_axil_rready_i,
    .regs_o     (regs),
    .hw_i       (hw),
    .wr_pulse_o (pulse),
    .wr_o       (wr),
    .rd_o       (rd),
    .deny_o
  );

  assign s_axil_bresp_o = b.resp;
  assign s_axil_rresp_o = r.resp;
  assign s_axil_rdata_o = r.data;

  nic_irq_mod u_irq (
    .clk_i,
    .rst_i,
    .enable_i(regs.ctrl.enable),
    .cpl_i,
    .pkts_i  (regs.irq.pkts),
    .cycles_i(regs.irq_time.cycles),
    .arm_i   (pulse.irq.arm),
    .irq_o,
    .busy_o  (irq_busy)
  );

  assign busy_o = irq_busy;

  logic unused;
  assign unused = ^{regs, pulse, wr, rd};

endmodule
