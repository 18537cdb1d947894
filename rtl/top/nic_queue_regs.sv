// nic_queue_regs: the registers of every queue of one direction (txq or rxq) behind one
// AXI4-Lite port, with their interrupt moderation and their counters.
//
// hw/nic.toml gives txq and rxq the same layout (id, ctrl, ring and completion bases, ring
// size, producer index written as a doorbell, consumer index and status read back, interrupt
// moderation, counters) and places copy n at BASE + n * SIZE, SIZE = 2^ADDR_BITS; they differ in
// their id value, which comes in as IdValue with the masks.  nic_top has one of these a
// direction, at the direction's whole window (COUNT copies): a queue at or past NumQ answers
// DECERR and reads 0, as an address no block owns does.
//
// One front end for all queues, so what a queue costs is its state, not an AXI slave, an
// address decoder and a read multiplexer of its own (nic_top had a block and an interconnect
// port a queue; docs/synthesis.md has the figures).  Per queue there remain in flip-flops the
// ring registers the DMA path reads for every queue at once (enable, ring size, producer
// index) with a clock enable a stored byte.  The ring and completion bases, which the path
// reads for one queue at a time (the queue starting), are in a RAM with a read port of the
// path's; the interrupt moderation of all queues (irq and irq_time included) is nic_irq_mod's,
// in RAM, and their counters are in nic_queue_stats' RAMs.
//
// Register semantics are nic_csr_axil's, per queue: WriteMask bits are storage written with
// the byte strobes, PulseMask bits pulse for a cycle when written 1, the rest read from the
// path (consumer index, status) or are constants (id); a word at or past NumRegs answers
// SLVERR and reads 0; an unprivileged write (AxPROT[0] = 0) that would change a MgmtMask bit is
// refused whole (SLVERR, nothing written, nothing pulses, deny_o pulses once).
//
// One access at a time: AW and W, and AR, are taken into one-entry holding registers (every
// ready is a register), then served one after the other, reads and writes taking turns.  An
// access first copies the addressed queue's registers into an image (the one multiplexer over
// the queues, an AND-OR with the one-hot selection, a cycle of its own); a write then checks
// the management bits against the image and writes through byte enables that are registers; a
// read answers the image's word, or for a counter asks nic_queue_stats and answers with its
// value.  A write that cannot be refused (privileged, or to a word with no management bit, as
// the producer index the host writes for every burst) skips the image and the check.  So from
// both halves held to B a write takes two cycles (a doorbell) or five, a read four to R (a
// counter read a few more): the image, the check and the read's word each have a register
// stage, since none of them is on a fast path.
module nic_queue_regs #(
  parameter int unsigned NumQ = 8,
  parameter logic [31:0] IdValue = nic_hw_pkg::TXQ_ID_VALUE,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] WriteMask = nic_hw_pkg::TXQ_WRITE_MASK,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] ResetValue = nic_hw_pkg::TXQ_RESET,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] PulseMask = nic_hw_pkg::TXQ_PULSE_MASK,
  parameter logic [nic_hw_pkg::TXQ_NUM_REGS*32-1:0] MgmtMask = nic_hw_pkg::TXQ_MGMT_MASK,
  // Queue number width of the counters' port.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic                clk_i,
  input  logic                rst_i,

  // AXI4-Lite slave: the direction's window (the low ADDR_BITS + log2(COUNT) bits decoded).
  input  nic_pkg::axil_ax_t   s_axil_aw_i,
  input  logic                s_axil_awvalid_i,
  output logic                s_axil_awready_o,
  input  nic_pkg::axil_w_t    s_axil_w_i,
  input  logic                s_axil_wvalid_i,
  output logic                s_axil_wready_o,
  output logic [1:0]          s_axil_bresp_o,
  output logic                s_axil_bvalid_o,
  input  logic                s_axil_bready_i,
  input  nic_pkg::axil_ax_t   s_axil_ar_i,
  input  logic                s_axil_arvalid_i,
  output logic                s_axil_arready_o,
  output logic [1:0]          s_axil_rresp_o,
  output logic [31:0]         s_axil_rdata_o,
  output logic                s_axil_rvalid_o,
  input  logic                s_axil_rready_i,

  // Every queue's ring registers, to the DMA path; queue q in bits [q*W +: W].  The bases of
  // one queue, base_q_i's, read from RAM in the same cycle (base_q_i below NumQ).
  output logic [NumQ-1:0]     enable_o,
  input  logic [QW-1:0]       base_q_i,
  output logic [63:0]         ring_base_o,
  output logic [63:0]         cpl_base_o,
  output logic [NumQ*4-1:0]   log2_o,
  output logic [NumQ*16-1:0]  prod_o,
  // A doorbell: a write of queue db_q_o's producer index, in the first cycle prod_o shows it
  // (so every change of a queue's prod_o comes with one; one a cycle at most).
  output logic                db_o,
  output logic [QW-1:0]       db_q_o,
  // What the DMA path reports back.
  input  logic [NumQ*16-1:0]  cons_i,
  input  logic [NumQ-1:0]     running_i,
  input  logic [NumQ*4-1:0]   err_i,

  // Events, at most one of each a cycle (queue numbers past NumQ are ignored): a completion
  // written (its error bit and byte count), a frame dropped.
  input  logic                cpl_i,
  input  logic [15:0]         cpl_q_i,
  input  logic                cpl_err_i,
  input  logic [31:0]         cpl_bytes_i,
  input  logic                drop_i,
  input  logic [15:0]         drop_q_i,

  output logic [NumQ-1:0]     irq_o,
  output logic                busy_o,       // interrupt moderation or the counters need clocking
  output logic                deny_o        // a host write was refused
);

  localparam int unsigned NumRegs = nic_hw_pkg::TXQ_NUM_REGS;
  localparam int unsigned RegW = NumRegs * 32;
  localparam int unsigned AB = nic_hw_pkg::TXQ_ADDR_BITS;         // a queue's window
  localparam int unsigned CntW = $clog2(nic_hw_pkg::TXQ_COUNT);    // queue field of an address
  localparam int unsigned WordW = AB - 2;

  if (nic_hw_pkg::TXQ_SIZE != (1 << AB) || (1 << CntW) != nic_hw_pkg::TXQ_COUNT ||
      nic_hw_pkg::RXQ_SIZE != nic_hw_pkg::TXQ_SIZE ||
      nic_hw_pkg::RXQ_COUNT != nic_hw_pkg::TXQ_COUNT ||
      nic_hw_pkg::RXQ_NUM_REGS != NumRegs) begin : g_bad_layout
    $fatal(1, "nic_queue_regs: txq and rxq must share one layout of power-of-two windows");
  end
  if (NumQ < 1 || NumQ > nic_hw_pkg::TXQ_COUNT) begin : g_bad_q
    $fatal(1, "nic_queue_regs: NumQ must be within 1..TXQ_COUNT");
  end
  if ((WriteMask & PulseMask) != '0 || (MgmtMask & ~(WriteMask | PulseMask)) != '0)
  begin : g_bad_mask
    $fatal(1, "nic_queue_regs: storage and pulse bits overlap, or a management bit is neither");
  end

  // ---- Per queue: storage, the register image, interrupt moderation ----------------------
  // irq and irq_time are kept by nic_irq_mod, in RAM, the four base words in base_mem; the
  // rest of the storage bits here.
  localparam int unsigned IrqIdx = nic_hw_pkg::TXQ_IRQ_IDX;
  localparam int unsigned TimeIdx = nic_hw_pkg::TXQ_IRQ_TIME_IDX;
  localparam int unsigned CtrlIdx = nic_hw_pkg::TXQ_CTRL_IDX;
  localparam int unsigned BaseIdx = nic_hw_pkg::TXQ_RING_LO_IDX;  // ring_lo/hi, cpl_lo/hi
  localparam logic [RegW-1:0] BaseMask = RegW'({128{1'b1}}) << (32 * BaseIdx);
  localparam logic [RegW-1:0] StoreMask =
      WriteMask & ~(RegW'(32'hFFFF_FFFF) << (32 * IrqIdx)) &
      ~(RegW'(32'hFFFF_FFFF) << (32 * TimeIdx)) & ~BaseMask;

  if (nic_hw_pkg::TXQ_RING_HI_IDX != BaseIdx + 1 || nic_hw_pkg::TXQ_CPL_LO_IDX != BaseIdx + 2 ||
      nic_hw_pkg::TXQ_CPL_HI_IDX != BaseIdx + 3 || (WriteMask & BaseMask) != BaseMask ||
      (ResetValue & BaseMask) != '0 || (PulseMask & BaseMask) != '0) begin : g_bad_bases
    $fatal(1, "nic_queue_regs: the bases must be four whole storage words in a row, reset 0");
  end

  logic [NumQ-1:0][RegW-1:0] regs;      // queue q's registers as a read sees them (but the
                                        // moderation's words and the bases)
  logic [NumQ-1:0]           q_sel_q;   // the queue of the access being served, one-hot
  logic [QW-1:0]             sel_q;     // ... binary
  logic [NumRegs*4-1:0]      wr_be_q;   // a storage write: its register's enabled bytes
  logic [31:0]               w_data_q;
  logic                      arm_q;     // irq.arm written 1 (a pulse, the served queue's)

  for (genvar q = 0; q < NumQ; q++) begin : g_q
    logic [RegW-1:0]       store_q;
    nic_hw_pkg::txq_regs_t r, hw;

    // The byte enables are registers and the queue's selection is one, so a stored byte's
    // enable is one gate.
    always_ff @(posedge clk_i) begin
      if (rst_i) begin
        store_q <= ResetValue;
      end else begin
        for (int unsigned i = 0; i < NumRegs * 4; i++) begin
          if (q_sel_q[q] && wr_be_q[i]) begin
            store_q[8*i +: 8] <= (w_data_q[8*(i%4) +: 8] & StoreMask[8*i +: 8]) |
                                 (store_q[8*i +: 8] & ~StoreMask[8*i +: 8]);
          end
        end
      end
    end

    always_comb begin
      hw = '0;
      hw.id             = nic_hw_pkg::txq_id_t'(IdValue);
      hw.cons.index     = cons_i[16*q +: 16];
      hw.status.running = running_i[q];
      hw.status.err     = nic_hw_pkg::queue_err_e'(err_i[4*q +: 4]);
    end

    assign r       = (store_q & StoreMask) | (hw & ~WriteMask);
    assign regs[q] = r;

    assign enable_o[q]        = r.ctrl.enable;
    assign log2_o[4*q +: 4]   = r.ring_size.log2;
    assign prod_o[16*q +: 16] = r.prod.index;
  end

  // ---- The ring and completion bases, in RAM ---------------------------------------------
  // An entry a queue: ring_lo, ring_hi, cpl_lo, cpl_hi, byte j of the four words at bits
  // [8j +: 8].  Written through the same registered byte enables as the store, at the served
  // queue; read twice, without a clock: for the image (the served queue) and for the DMA path
  // (base_q_i).  A RAM is not cleared by reset, so each queue has a flag, set by reset, that
  // makes its entry read 0; the queue's first write of a base writes the whole entry (the
  // bytes not written as 0) and clears it.
  logic [127:0]    base_mem [NumQ];
  logic [NumQ-1:0] base_zero_q;
  logic            base_zero_sel_q;   // the served queue's flag, taken as its access starts
  logic [15:0]     base_be;
  logic [127:0]    base_wd, base_img, base_path;

  always_comb begin
    for (int unsigned i = 0; i < 16; i++) begin
      base_wd[8*i +: 8] = wr_be_q[4*BaseIdx + i] ? w_data_q[8*(i%4) +: 8] : 8'd0;
    end
    base_be = (base_zero_sel_q && wr_be_q[4*BaseIdx +: 16] != '0) ? '1 :
              wr_be_q[4*BaseIdx +: 16];
  end

  always_ff @(posedge clk_i) begin
    for (int unsigned i = 0; i < 16; i++) begin
      if (base_be[i]) base_mem[sel_q][8*i +: 8] <= base_wd[8*i +: 8];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      base_zero_q <= '1;
    end else if (wr_be_q[4*BaseIdx +: 16] != '0) begin
      base_zero_q <= base_zero_q & ~q_sel_q;
    end
  end

  assign base_img    = base_zero_sel_q ? '0 : base_mem[sel_q];
  assign base_path   = base_zero_q[base_q_i] ? '0 : base_mem[base_q_i];
  assign ring_base_o = base_path[63:0];
  assign cpl_base_o  = base_path[127:64];

  // ---- Interrupt moderation of every queue ---------------------------------------------
  // It is given the served queue's writes of irq, irq_time and ctrl.enable in the cycle they
  // are stored, and answers that queue's irq and irq_time words for the image.
  logic [31:0]          mod_irq_word, mod_time_word, en_bit;
  logic                 mod_busy;
  nic_hw_pkg::txq_ctrl_t en_only;

  always_comb begin
    en_only        = '0;
    en_only.enable = 1'b1;
    for (int unsigned b = 0; b < 4; b++) begin
      en_bit[8*b +: 8] = {8{wr_be_q[4*CtrlIdx + b]}} & en_only[8*b +: 8];
    end
  end

  nic_irq_mod #(
    .NumQ       (NumQ),
    .ResetIrq   (ResetValue[32*IrqIdx +: 32]),
    .ResetTime  (ResetValue[32*TimeIdx +: 32])
  ) u_irq (
    .clk_i,
    .rst_i,
    .enable_i    (enable_o),
    .cpl_i       (cpl_i && {16'd0, cpl_q_i} < 32'(NumQ)),
    .cpl_q_i     (cpl_q_i[QW-1:0]),
    .sel_q_i     (sel_q),
    .wr_irq_be_i (wr_be_q[4*IrqIdx +: 4]),
    .wr_time_be_i(wr_be_q[4*TimeIdx +: 4]),
    .wr_off_i    (en_bit != '0 && (w_data_q & en_bit) == '0),
    .arm_i       (arm_q),
    .wr_data_i   (w_data_q),
    .rd_irq_o    (mod_irq_word),
    .rd_time_o   (mod_time_word),
    .irq_o,
    .busy_o      (mod_busy)
  );

  // ---- Holding registers -----------------------------------------------------------------
  // An address's queue and word, and whether each exists (the queue field is compared whole,
  // one bit wider so that NumQ = COUNT does not wrap).
  function automatic logic q_ok(logic [CntW-1:0] field);
    q_ok = {1'b0, field} < (CntW + 1)'(NumQ);
  endfunction
  function automatic logic word_ok(logic [WordW-1:0] word);
    word_ok = {1'b0, word} < (WordW + 1)'(NumRegs);
  endfunction

  logic             aw_full_q, w_full_q, ar_full_q;
  logic [QW-1:0]    aw_q_q, ar_q_q;
  logic [WordW-1:0] aw_word_q, ar_word_q;
  logic             aw_qok_q, aw_wok_q, aw_priv_q, ar_qok_q, ar_wok_q;
  logic [3:0]       w_strb_q;
  logic             b_valid_q, r_valid_q;
  logic [1:0]       b_resp_q, r_resp_q;
  logic [31:0]      r_data_q;

  assign s_axil_awready_o = !aw_full_q;
  assign s_axil_wready_o  = !w_full_q;
  assign s_axil_arready_o = !ar_full_q;
  assign s_axil_bvalid_o  = b_valid_q;
  assign s_axil_bresp_o   = b_resp_q;
  assign s_axil_rvalid_o  = r_valid_q;
  assign s_axil_rresp_o   = r_resp_q;
  assign s_axil_rdata_o   = r_data_q;

  // Payload: meaningful while the matching full bit is set, loaded only while it is clear.
  always_ff @(posedge clk_i) begin
    if (!aw_full_q) begin
      aw_q_q    <= s_axil_aw_i.addr[AB +: QW];
      aw_word_q <= s_axil_aw_i.addr[AB-1:2];
      aw_qok_q  <= q_ok(s_axil_aw_i.addr[AB +: CntW]);
      aw_wok_q  <= word_ok(s_axil_aw_i.addr[AB-1:2]);
      aw_priv_q <= s_axil_aw_i.prot[0];
    end
    if (!w_full_q) begin
      w_data_q <= s_axil_w_i.data;
      w_strb_q <= s_axil_w_i.strb;
    end
    if (!ar_full_q) begin
      ar_q_q    <= s_axil_ar_i.addr[AB +: QW];
      ar_word_q <= s_axil_ar_i.addr[AB-1:2];
      ar_qok_q  <= q_ok(s_axil_ar_i.addr[AB +: CntW]);
      ar_wok_q  <= word_ok(s_axil_ar_i.addr[AB-1:2]);
    end
  end

  // ---- The sequencer ---------------------------------------------------------------------
  //   Idle    a write (both halves held, B free) or a read (held, R free), turn about; the
  //           queue is chosen.  A write nothing can refuse (privileged, or to a word with no
  //           management bit: the doorbell) has its byte enables, pulses and response
  //           registered here and goes to WrDo
  //   WrImg   the queue's registers into the image
  //   WrHit   per register, whether the write would change a management bit of the image
  //   WrChk   the addressed register's flag decides; enables, pulses, response registered
  //   WrDo    the store takes the write through those enables; B is raised
  //   RdImg   the queue's registers into the image
  //   RdWord  the addressed word of the image
  //   RdAns   R from that word, or a counter asked for
  //   RdStat  waiting for the counter (its request held)
  typedef enum logic [3:0] {Idle, WrImg, WrHit, WrChk, WrDo, RdImg, RdWord, RdAns, RdStat} state_e;
  state_e           st_q;
  logic             last_wr_q;   // the last access served was a write: a waiting read goes next
  logic [RegW-1:0]  img_q;
  logic             deny_q;
  logic             want_wr, want_rd, pick_wr, go, denied, stat_word, check_free, wr_now;
  logic [QW-1:0]    cur;
  logic [NumQ-1:0]  cur_dec;
  logic [31:0]      byte_en, rd_word, pulse_bits;
  logic [NumRegs-1:0] mgmt_hit, mgmt_hit_q;
  logic [31:0]      rd_word_q;
  logic [RegW-1:0]  img;
  logic             stat_done, stats_busy;
  logic [31:0]      stat_data;

  assign want_wr = aw_full_q && w_full_q && !b_valid_q;
  assign want_rd = ar_full_q && !r_valid_q;
  assign pick_wr = want_wr && (!want_rd || !last_wr_q);
  assign cur     = pick_wr ? aw_q_q : ar_q_q;
  // The write is decided this cycle: from Idle when nothing can refuse it, else after the check.
  always_comb begin
    img = '0;
    for (int unsigned q = 0; q < NumQ; q++) img = img | (regs[q] & {RegW{q_sel_q[q]}});
    img[32*IrqIdx +: 32]  = mod_irq_word;
    img[32*TimeIdx +: 32] = mod_time_word;
    img[32*BaseIdx +: 128] = base_img;
  end

  assign wr_now  = (st_q == Idle && pick_wr && check_free) || st_q == WrChk;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) cur_dec[q] = cur == QW'(q);
    for (int unsigned b = 0; b < 4; b++) byte_en[8*b +: 8] = {8{w_strb_q[b]}};
    // Per register, whether the write would change a management bit of it (a storage bit to
    // another value, a pulse bit written 1: those read 0 from the image); the word then only
    // picks a flag.
    for (int unsigned i = 0; i < NumRegs; i++) begin
      mgmt_hit[i] = ((w_data_q ^ (img_q[32*i +: 32] & WriteMask[32*i +: 32])) & byte_en &
                     MgmtMask[32*i +: 32]) != '0;
    end
    denied     = 1'b0;
    pulse_bits = '0;
    rd_word    = '0;
    for (int unsigned i = 0; i < NumRegs; i++) begin
      if (aw_word_q == WordW'(i)) begin
        denied     = mgmt_hit_q[i];  // only unprivileged writes are checked
        pulse_bits = w_data_q & byte_en & PulseMask[32*i +: 32];
      end
      if (ar_word_q == WordW'(i)) rd_word = img_q[32*i +: 32];
    end
    // A privileged write, or one to a word with no management bit (the doorbell), cannot be
    // refused: it needs no image and is written straight from Idle.
    check_free = aw_priv_q;
    for (int unsigned i = 0; i < NumRegs; i++) begin
      if (aw_word_q == WordW'(i) && MgmtMask[32*i +: 32] == '0) check_free = 1'b1;
    end
    go        = aw_qok_q && aw_wok_q && (check_free || !denied);
    stat_word = ar_word_q == WordW'(nic_hw_pkg::TXQ_PACKETS_IDX) ||
                ar_word_q == WordW'(nic_hw_pkg::TXQ_BYTES_LO_IDX) ||
                ar_word_q == WordW'(nic_hw_pkg::TXQ_BYTES_HI_IDX) ||
                ar_word_q == WordW'(nic_hw_pkg::TXQ_DROPS_IDX) ||
                ar_word_q == WordW'(nic_hw_pkg::TXQ_ERRORS_IDX);
  end

  always_ff @(posedge clk_i) begin
    // The image: AND-OR over the queues with the one-hot selection (constant bits fold away).
    if (st_q == WrImg || st_q == RdImg) img_q <= img;
    mgmt_hit_q <= mgmt_hit;
    rd_word_q  <= rd_word;
    if (st_q == Idle) begin
      sel_q           <= cur;
      base_zero_sel_q <= base_zero_q[cur];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      st_q      <= Idle;
      last_wr_q <= 1'b0;
      aw_full_q <= 1'b0;
      w_full_q  <= 1'b0;
      ar_full_q <= 1'b0;
      b_valid_q <= 1'b0;
      b_resp_q  <= nic_pkg::AxiRespOkay;
      r_valid_q <= 1'b0;
      r_resp_q  <= nic_pkg::AxiRespOkay;
      r_data_q  <= '0;
      q_sel_q   <= '0;
      wr_be_q   <= '0;
      arm_q     <= 1'b0;
      deny_q    <= 1'b0;
    end else begin
      if (s_axil_awvalid_i && !aw_full_q) aw_full_q <= 1'b1;
      if (s_axil_wvalid_i && !w_full_q) w_full_q <= 1'b1;
      if (s_axil_arvalid_i && !ar_full_q) ar_full_q <= 1'b1;
      if (s_axil_bvalid_o && s_axil_bready_i) b_valid_q <= 1'b0;
      if (s_axil_rvalid_o && s_axil_rready_i) r_valid_q <= 1'b0;
      wr_be_q <= '0;
      arm_q   <= 1'b0;
      deny_q  <= 1'b0;
      unique case (st_q)
        Idle: begin
          q_sel_q <= cur_dec;
          if (pick_wr) begin
            st_q      <= check_free ? WrDo : WrImg;
            last_wr_q <= 1'b1;
          end else if (want_rd) begin
            st_q      <= RdImg;
            last_wr_q <= 1'b0;
          end
        end
        WrImg: st_q <= WrHit;
        WrHit: st_q <= WrChk;
        WrChk: st_q <= WrDo;
        WrDo: begin
          st_q      <= Idle;
          aw_full_q <= 1'b0;
          w_full_q  <= 1'b0;
          b_valid_q <= 1'b1;
        end
        RdImg: st_q <= RdWord;
        RdWord: st_q <= RdAns;
        RdAns: begin
          if (ar_qok_q && ar_wok_q && stat_word) begin
            st_q <= RdStat;
          end else begin
            st_q      <= Idle;
            ar_full_q <= 1'b0;
            r_valid_q <= 1'b1;
            r_data_q  <= (ar_qok_q && ar_wok_q) ? rd_word_q : '0;
            r_resp_q  <= !ar_qok_q ? nic_pkg::AxiRespDecErr :
                         !ar_wok_q ? nic_pkg::AxiRespSlvErr : nic_pkg::AxiRespOkay;
          end
        end
        RdStat: begin
          if (stat_done) begin
            st_q      <= Idle;
            ar_full_q <= 1'b0;
            r_valid_q <= 1'b1;
            r_data_q  <= stat_data;
            r_resp_q  <= nic_pkg::AxiRespOkay;
          end
        end
        default: st_q <= Idle;
      endcase
      if (wr_now) begin
        for (int unsigned i = 0; i < NumRegs * 4; i++) begin
          wr_be_q[i] <= go && aw_word_q == WordW'(i / 4) && w_strb_q[i % 4];
        end
        // irq.arm is the layout's one pulse bit (checked below); it goes to the queue's
        // interrupt moderation.
        arm_q    <= go && pulse_bits != '0;
        deny_q   <= aw_qok_q && aw_wok_q && !check_free && denied;
        b_resp_q <= !aw_qok_q ? nic_pkg::AxiRespDecErr :
                    (!aw_wok_q || !go) ? nic_pkg::AxiRespSlvErr : nic_pkg::AxiRespOkay;
      end
    end
  end

  assign deny_o = deny_q;

  // ---- Doorbells -------------------------------------------------------------------------
  // The store takes a write at the end of the cycle its byte enables are set, so the event is
  // those enables registered, with the served queue.
  localparam int unsigned ProdIdx = nic_hw_pkg::TXQ_PROD_IDX;
  if (nic_hw_pkg::RXQ_PROD_IDX != ProdIdx || (StoreMask[32*ProdIdx +: 32] == '0)) begin : g_bad_prod
    $fatal(1, "nic_queue_regs: the producer index must be a storage word at one place");
  end
  logic          db_q;
  logic [QW-1:0] db_qn_q;
  always_ff @(posedge clk_i) begin
    db_q    <= !rst_i && wr_be_q[4*ProdIdx +: 4] != '0;
    db_qn_q <= sel_q;
  end
  assign db_o   = db_q;
  assign db_q_o = db_qn_q;

  // ---- Counters --------------------------------------------------------------------------
  nic_queue_stats #(.NumQ(NumQ)) u_stats (
    .clk_i,
    .rst_i,
    .cpl_i,
    .cpl_q_i,
    .cpl_err_i,
    .cpl_bytes_i,
    .drop_i,
    .drop_q_i,
    .rd_i       (st_q == RdStat),
    .rd_q_i     (sel_q),
    .rd_reg_i   (5'(ar_word_q)),
    .rd_done_o  (stat_done),
    .rd_data_o  (stat_data),
    .busy_o     (stats_busy)
  );

  assign busy_o = mod_busy || stats_busy;

  // The only pulse bit of the layout is irq.arm (what arm_q carries); AR's prot and the
  // address bits outside the decoded window are not used.
  if (PulseMask != (RegW'(1) << (32 * nic_hw_pkg::TXQ_IRQ_IDX + 31))) begin : g_bad_pulse
    $fatal(1, "nic_queue_regs: the layout's only pulse bit must be irq.arm");
  end
  logic unused;
  assign unused = ^{s_axil_ar_i.prot, s_axil_aw_i.prot[2:1], s_axil_aw_i.addr, s_axil_ar_i.addr};

endmodule
