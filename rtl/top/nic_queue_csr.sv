// nic_queue_csr: the register block of one queue, transmit (txq) or receive (rxq).
//
// hw/nic.toml gives txq and rxq the same layout (id, ctrl, ring and completion bases, ring
// size, producer index written as a doorbell, consumer index and status read back, interrupt
// moderation, counters); they differ only in their id value, which comes in as IdValue with the
// block's masks.  nic_top has one instance per queue, transmit queues first.
//
// Counters (wrap at 32 bits; bytes at 64, its high half latched when the low half is read so
// the pair reads as one value; the low half's carry reaches the high half a cycle later, and a
// latch in that cycle counts it):
//   packets, bytes  completions without error (cpl_i && !cpl_err_i), bytes from cpl_bytes_i
//   errors          completions with an error
//   drops           frames of this queue dropped (drop_i): for transmit the erroring
//                   completions, for receive frames dropped for want of buffers
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

  // Events of this queue (one-cycle pulses).
  input  logic               cpl_i,        // a completion was written
  input  logic               cpl_err_i,    // it reports an error
  input  logic [31:0]        cpl_bytes_i,  // its frame bytes
  input  logic               drop_i,       // a frame of this queue was dropped

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
  logic [31:0]           packets_q, drops_q, errors_q, bytes_hi_q;
  logic [31:0]           bytes_lo_q, bytes_up_q;  // the 64-bit count, upper half a cycle behind
  logic                  carry_q;                 // owed to bytes_up_q
  logic                  irq_busy;

  assign enable_o    = regs.ctrl.enable;
  assign ring_base_o = {regs.ring_hi.value, regs.ring_lo.value};
  assign cpl_base_o  = {regs.cpl_hi.value, regs.cpl_lo.value};
  assign log2_o      = regs.ring_size.log2;
  assign prod_o      = regs.prod.index;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      packets_q  <= '0;
      bytes_lo_q <= '0;
      bytes_up_q <= '0;
      carry_q    <= 1'b0;
      drops_q    <= '0;
      errors_q   <= '0;
      bytes_hi_q <= '0;
    end else begin
      // Two 32-bit adds rather than one 64-bit carry chain: the chain was this block's
      // longest path.
      carry_q <= 1'b0;
      if (cpl_i && !cpl_err_i) begin
        packets_q              <= packets_q + 32'd1;
        {carry_q, bytes_lo_q}  <= {1'b0, bytes_lo_q} + {1'b0, cpl_bytes_i};
      end
      if (carry_q) bytes_up_q <= bytes_up_q + 32'd1;
      if (drop_i) drops_q <= drops_q + 32'd1;
      if (cpl_i && cpl_err_i) errors_q <= errors_q + 32'd1;
      if (rd[nic_hw_pkg::TXQ_BYTES_LO_IDX]) bytes_hi_q <= bytes_up_q + 32'(carry_q);
    end
  end

  always_comb begin
    hw = '0;
    hw.id             = nic_hw_pkg::txq_id_t'(IdValue);
    hw.cons.index     = cons_i;
    hw.status.running = running_i;
    hw.status.err     = nic_hw_pkg::queue_err_e'(err_i);
    hw.packets.value  = packets_q;
    hw.bytes_lo.value = bytes_lo_q;
    hw.bytes_hi.value = bytes_hi_q;
    hw.drops.value    = drops_q;
    hw.errors.value   = errors_q;
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
    .s_axil_arvalid_i,
    .s_axil_arready_o,
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

  // A carry still owed needs its cycle (nic_top's idle_o would otherwise let it wait).
  assign busy_o = irq_busy || carry_q;

  logic unused;
  assign unused = ^{regs, pulse, wr, rd};

endmodule
