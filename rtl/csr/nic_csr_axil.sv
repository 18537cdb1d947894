// nic_csr_axil: the AXI4-Lite register file every CSR block of the card is built on.
//
// A block never decodes addresses itself: it instantiates this module with the masks
// nic_hw_pkg generates for it (<BLOCK>_NUM_REGS, _WRITE_MASK, _RESET, _PULSE_MASK) and reads
// its registers as the block's packed struct (<block>_regs_t) on regs_o.  Per bit, the masks
// say what the bit is:
//   WriteMask 1            storage here, written by the host (byte strobes honoured);
//   PulseMask 1            nothing stored: writing 1 gives a one-cycle pulse on wr_pulse_o
//                          (w1c and w1p fields); reads come from hw_i;
//   both 0                 read-only: reads come from hw_i (counters, status, the id word).
// wr_o[i] pulses for one cycle after any write to register i with at least one byte strobe,
// in the cycle its new value is on regs_o, so a doorbell register can react to the write.
// rd_o[i] is high in the cycle a read of register i is taken, the cycle whose regs_o the read
// returns, so a block can latch a companion register at the same edge (the high word of a
// 64-bit counter when its low word is read).
//
// MgmtMask marks the bits only the card's management side may write (hw/nic.toml side =
// "mgmt").  The management side's accesses are privileged (AxPROT[0] = 1: nic_axil_arb sets it
// for the management port and clears it for the host's).  An unprivileged write that would
// change a MgmtMask bit (a storage bit to another value, or a 1 to a pulse bit) is refused
// whole: nothing is written, nothing pulses, it answers SLVERR and deny_o pulses once.  So a
// host may write a register that mixes its own fields with management ones (a queue's irq:
// arm is the host's, the packet threshold the firmware's) as long as it writes the
// management fields back unchanged.
//
// Word i sits at byte offset 4*i.  Only the low AddrBits bits of an address are decoded (the
// interconnect in front has chosen the block by the rest); a word at or past NumRegs answers
// SLVERR, reads 0 and changes nothing.  Words below NumRegs with no register (holes) read as
// whatever hw_i holds there, which blocks tie to 0.
//
// One transaction per direction is in flight: AW and W are taken in any order (or together)
// into one-entry holding registers, the write happens once both are held and the B channel is
// free, and a read is answered from a registered R.  Every ready is a register output, so no
// combinational path runs from a valid or ready input to a ready output.  That costs a cycle
// per access, which a control path with one access in flight does not notice.
module nic_csr_axil #(
  // Number of 32-bit registers: word 0 up to the block's last register.
  parameter int unsigned NumRegs = 1,
  // Low address bits the slave decodes; the rest are ignored.  At least 2 + $clog2(NumRegs).
  parameter int unsigned AddrBits = 32,
  // 1 = the bit is storage written by the host.
  parameter logic [NumRegs*32-1:0] WriteMask = '0,
  // Reset values of the storage bits (other bits of it are documentation only).
  parameter logic [NumRegs*32-1:0] ResetValue = '0,
  // 1 = writing 1 to the bit pulses wr_pulse_o; must not overlap WriteMask.
  parameter logic [NumRegs*32-1:0] PulseMask = '0,
  // 1 = only a privileged write (AxPROT[0]) may change the bit; a subset of the two above.
  parameter logic [NumRegs*32-1:0] MgmtMask = '0
) (
  input  logic                    clk_i,
  input  logic                    rst_i,

  // ---- AXI4-Lite slave (nic_pkg structs; valid/ready kept apart)
  input  nic_pkg::axil_ax_t       s_axil_aw_i,
  input  logic                    s_axil_awvalid_i,
  output logic                    s_axil_awready_o,
  input  nic_pkg::axil_w_t        s_axil_w_i,
  input  logic                    s_axil_wvalid_i,
  output logic                    s_axil_wready_o,
  output nic_pkg::axil_b_t        s_axil_b_o,
  output logic                    s_axil_bvalid_o,
  input  logic                    s_axil_bready_i,
  input  nic_pkg::axil_ax_t       s_axil_ar_i,
  input  logic                    s_axil_arvalid_i,
  output logic                    s_axil_arready_o,
  output nic_pkg::axil_r_t        s_axil_r_o,
  output logic                    s_axil_rvalid_o,
  input  logic                    s_axil_rready_i,

  // ---- Block side
  // Register contents: storage bits from here, every other bit from hw_i.
  output logic [NumRegs*32-1:0]   regs_o,
  // Values of the bits that are not storage (read-only, w1c status, constants).
  input  logic [NumRegs*32-1:0]   hw_i,
  // One-cycle pulse of the 1 bits written to PulseMask bits.
  output logic [NumRegs*32-1:0]   wr_pulse_o,
  // One-cycle strobe: register i was written.
  output logic [NumRegs-1:0]      wr_o,
  // Register i is read this cycle (its value on regs_o is what the read returns).
  output logic [NumRegs-1:0]      rd_o,
  // One-cycle pulse: an unprivileged write was refused for touching a MgmtMask bit.
  output logic                    deny_o
);

  // Word index width; at least 1 so a one-register block still has an index.
  localparam int unsigned IdxW = (NumRegs > 1) ? $clog2(NumRegs) : 1;
  localparam int unsigned DataW = nic_pkg::CsrDataWidth;
  localparam int unsigned StrbW = DataW / 8;

  if (DataW != 32) begin : g_bad_width
    $fatal(1, "nic_csr_axil: the CSR bus must be 32 bits wide (nic_pkg::CsrDataWidth)");
  end
  if (NumRegs < 1 || AddrBits > nic_pkg::CsrAddrWidth || AddrBits < IdxW + 2 ||
      (NumRegs > 1 && AddrBits < $clog2(NumRegs) + 2)) begin : g_bad_addr
    $fatal(1, "nic_csr_axil: AddrBits must cover NumRegs words and fit the CSR address");
  end
  if ((WriteMask & PulseMask) != '0) begin : g_bad_mask
    $fatal(1, "nic_csr_axil: a bit cannot be both storage (WriteMask) and a pulse (PulseMask)");
  end
  if ((MgmtMask & ~(WriteMask | PulseMask)) != '0) begin : g_bad_mgmt
    $fatal(1, "nic_csr_axil: MgmtMask may only mark bits something writes");
  end

  // Address decode: word number and whether that word exists.  Bits [1:0] select a byte in
  // the word and are ignored (wstrb says which bytes are written); bits at or above AddrBits
  // belong to the interconnect.  The compare is one bit wider than the word number so that
  // NumRegs = 2**(AddrBits-2) does not wrap.
  logic [AddrBits-3:0] aw_word, ar_word;
  logic                aw_in_range, ar_in_range;
  assign aw_word     = s_axil_aw_i.addr[AddrBits-1:2];
  assign ar_word     = s_axil_ar_i.addr[AddrBits-1:2];
  assign aw_in_range = {1'b0, aw_word} < (AddrBits-1)'(NumRegs);
  assign ar_in_range = {1'b0, ar_word} < (AddrBits-1)'(NumRegs);

  // ======================================================================================
  // Write channel: AW and W each wait in a one-entry register until both are there.
  // ======================================================================================
  logic            aw_full_q, aw_full_d;
  logic            aw_ok_q, aw_ok_d;
  logic            aw_priv_q, aw_priv_d;
  logic [IdxW-1:0] aw_idx_q, aw_idx_d;
  logic            w_full_q, w_full_d;
  logic [DataW-1:0] w_data_q, w_data_d;
  logic [StrbW-1:0] w_strb_q, w_strb_d;
  logic            b_valid_q, b_valid_d;
  logic            b_err_q, b_err_d;
  logic            deny_q, deny_d;
  logic            do_write, denied;
  logic [DataW-1:0] byte_en, mgmt_change;
  logic [DataW-1:0] w_byte_en;
  // Per register: the held write would change a management bit of it.
  logic [(1 << IdxW)-1:0] mgmt_hit_q, mgmt_hit_d;

  logic [NumRegs*32-1:0] store_q;
  logic [NumRegs-1:0]    store_wr;   // register i takes the held write's enabled bytes
  logic [NumRegs*32-1:0] pulse_q, pulse_d;
  logic [NumRegs-1:0]    wr_q, wr_d;

  assign s_axil_awready_o = !aw_full_q;
  assign s_axil_wready_o  = !w_full_q;
  assign s_axil_bvalid_o  = b_valid_q;
  assign s_axil_b_o.resp  = b_err_q ? nic_pkg::AxiRespSlvErr : nic_pkg::AxiRespOkay;

  // Both halves held and the response slot free: the write happens this cycle.
  assign do_write = aw_full_q && w_full_q && !b_valid_q;

  always_comb begin
    aw_full_d = aw_full_q;
    aw_ok_d   = aw_ok_q;
    aw_priv_d = aw_priv_q;
    aw_idx_d  = aw_idx_q;
    w_full_d  = w_full_q;
    w_data_d  = w_data_q;
    w_strb_d  = w_strb_q;
    b_valid_d = b_valid_q;
    b_err_d   = b_err_q;
    deny_d    = 1'b0;
    store_wr  = '0;
    pulse_d   = '0;
    wr_d      = '0;
    for (int unsigned b = 0; b < StrbW; b++) begin
      byte_en[8*b +: 8] = {8{w_strb_q[b]}};
    end
    mgmt_change = '0;
    mgmt_hit_d  = mgmt_hit_q;
    w_byte_en   = '0;
    denied      = 1'b0;

    if (s_axil_awvalid_i && !aw_full_q) begin
      aw_full_d = 1'b1;
      aw_ok_d   = aw_in_range;
      aw_priv_d = s_axil_aw_i.prot[0];
      aw_idx_d  = aw_word[IdxW-1:0];
    end
    if (s_axil_wvalid_i && !w_full_q) begin
      w_full_d = 1'b1;
      w_data_d = s_axil_w_i.data;
      w_strb_d = s_axil_w_i.strb;
      // Whether this write, unprivileged, would change a management bit of register i: a
      // storage bit to a new value, a pulse bit written 1 (pulse bits read 0 from store_q).
      // Worked out for every register as the data is taken, so the write itself only picks a
      // flag (comparing the addressed word in the write's cycle was this block's longest
      // path).  store_q cannot change meanwhile: only this write changes it, and a data word
      // is taken only once the previous write is done.
      for (int unsigned b = 0; b < StrbW; b++) begin
        w_byte_en[8*b +: 8] = {8{s_axil_w_i.strb[b]}};
      end
      mgmt_hit_d = '0;
      for (int unsigned i = 0; i < NumRegs; i++) begin
        mgmt_change = (s_axil_w_i.data ^ (store_q[32*i +: 32] & WriteMask[32*i +: 32])) &
                      w_byte_en & MgmtMask[32*i +: 32];
        mgmt_hit_d[i] = mgmt_change != '0;
      end
    end
    if (s_axil_bvalid_o && s_axil_bready_i) begin
      b_valid_d = 1'b0;
    end

    if (do_write) begin
      aw_full_d = 1'b0;
      w_full_d  = 1'b0;
      b_valid_d = 1'b1;
      denied    = aw_ok_q && !aw_priv_q && mgmt_hit_q[aw_idx_q];
      deny_d    = denied;
      b_err_d   = !aw_ok_q || denied;
      for (int unsigned i = 0; i < NumRegs; i++) begin
        if (aw_ok_q && !denied && aw_idx_q == IdxW'(i)) begin
          store_wr[i] = 1'b1;
          pulse_d[32*i +: 32] = w_data_q & byte_en & PulseMask[32*i +: 32];
          wr_d[i] = |w_strb_q;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      aw_full_q <= 1'b0;
      w_full_q  <= 1'b0;
      b_valid_q <= 1'b0;
      b_err_q   <= 1'b0;
      deny_q    <= 1'b0;
      store_q   <= ResetValue;
      pulse_q   <= '0;
      wr_q      <= '0;
    end else begin
      aw_full_q <= aw_full_d;
      w_full_q  <= w_full_d;
      b_valid_q <= b_valid_d;
      b_err_q   <= b_err_d;
      deny_q    <= deny_d;
      // Written as a clock enable per byte, not as a multiplexer of the whole store: the
      // mapper makes every storage bit a flip-flop with that enable and no LUT of its own
      // (663 -> 501 LUTs for a queue's block).
      for (int unsigned i = 0; i < NumRegs; i++) begin
        for (int unsigned b = 0; b < StrbW; b++) begin
          if (store_wr[i] && w_strb_q[b]) begin
            store_q[32*i+8*b +: 8] <= (w_data_q[8*b +: 8] & WriteMask[32*i+8*b +: 8]) |
                                      (store_q[32*i+8*b +: 8] & ~WriteMask[32*i+8*b +: 8]);
          end
        end
      end
      pulse_q   <= pulse_d;
      wr_q      <= wr_d;
    end
  end

  // Transaction payload: only meaningful while the matching full bit is set.
  always_ff @(posedge clk_i) begin
    aw_ok_q   <= aw_ok_d;
    aw_priv_q <= aw_priv_d;
    aw_idx_q  <= aw_idx_d;
    w_data_q <= w_data_d;
    w_strb_q <= w_strb_d;
    mgmt_hit_q <= mgmt_hit_d;
  end

  assign regs_o     = (store_q & WriteMask) | (hw_i & ~WriteMask);
  assign wr_pulse_o = pulse_q;
  assign wr_o       = wr_q;
  assign deny_o     = deny_q;

  // ======================================================================================
  // Read channel: the word is captured when AR is taken and held in R until it is accepted.
  // ======================================================================================
  logic             r_valid_q, r_valid_d;
  logic             r_err_q, r_err_d;
  logic [DataW-1:0] r_data_q, r_data_d;

  assign s_axil_arready_o = !r_valid_q;
  assign s_axil_rvalid_o  = r_valid_q;
  assign s_axil_r_o.data  = r_data_q;
  assign s_axil_r_o.resp  = r_err_q ? nic_pkg::AxiRespSlvErr : nic_pkg::AxiRespOkay;

  always_comb begin
    r_valid_d = r_valid_q;
    r_err_d   = r_err_q;
    r_data_d  = r_data_q;
    if (s_axil_rvalid_o && s_axil_rready_i) begin
      r_valid_d = 1'b0;
    end
    if (s_axil_arvalid_i && !r_valid_q) begin
      r_valid_d = 1'b1;
      r_err_d   = !ar_in_range;
      r_data_d  = '0;
      for (int unsigned i = 0; i < NumRegs; i++) begin
        if (ar_in_range && ar_word[IdxW-1:0] == IdxW'(i)) begin
          r_data_d = regs_o[32*i +: 32];
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      r_valid_q <= 1'b0;
      r_err_q   <= 1'b0;
    end else begin
      r_valid_q <= r_valid_d;
      r_err_q   <= r_err_d;
    end
  end

  always_ff @(posedge clk_i) begin
    r_data_q <= r_data_d;
  end

  // Read strobes: the same condition that loads R above, per word.  Combinational from
  // arvalid, so the strobe and the sampled value belong to the same edge.
  for (genvar i = 0; i < NumRegs; i++) begin : g_rd
    assign rd_o[i] = s_axil_arvalid_i && !r_valid_q && ar_in_range &&
                     ar_word[IdxW-1:0] == IdxW'(i);
  end

  // Reads are open to both sides, so AR's prot is not used, nor AW's bits but the privileged
  // one.  Address bits [1:0] and those above AddrBits are not decoded.
  logic unused_ax;
  assign unused_ax = ^{s_axil_aw_i.prot[2:1], s_axil_ar_i.prot, s_axil_aw_i.addr,
                       s_axil_ar_i.addr};

endmodule
