// nic_rx_cpl: writes receive completions (nic_hw_pkg::rx_cpl_t, 16 bytes) into the queues'
// completion rings.
//
// Records come from the planner in frame order.  A record of a frame with data waits for the
// frame's entry from nic_rx_wr_mux, which comes once every data write of the frame has been
// answered: the completion is written only after its data is acknowledged, and err_dma is known
// (some data write was answered with an error).  Waiting for the responses rather than relying
// on the ordering of same-ID writes costs the completion a write round trip, but keeps err_dma
// exact and keeps the completion behind its data on any interconnect; data of later frames
// keeps flowing meanwhile.
//
// Completion k of a queue (since its start) goes to cpl_base + 16 * (k mod size), with phase 1
// on the first pass round the ring and flipped on each wrap.  Consecutive completions of one
// queue that share a bus line (four at 512 bits) are gathered into one one-beat write with
// exact strobes: the write channel carries a frame's data at one beat a cycle, so a line per
// completion would cost a small frame a second beat.  A line is offered to the write channel
// when it is full, when the next record cannot join it (another queue or line, or no record),
// or when it has waited CplWait cycles for the next record's data to be answered (so a long
// frame behind it delays it a little, not a whole frame).
//
// Queue state in RAM.  Only the head record's queue is looked at, so each queue's completion
// base and its next completion (index, phase) are kept in RAMs (distributed RAM, read without a
// clock edge) at the queue's number rather than in flip-flops a queue: the base is written at
// the queue's start (q_start_i is one-hot; start_q_i and start_cbase_i name the queue and its
// base), the position when a completion takes its slot.  A start marks the queue fresh (one
// flip-flop a queue) instead of writing the position RAM, which a completion may be writing the
// same cycle: a fresh queue's next completion is index 0, phase 1.
//
// A queue stopped by an error writes nothing more: its records are dropped here, and so is the
// line being gathered for it when the stop comes (its completions retire unannounced).  Counter and
// interrupt events (cpl_evt_*) fire one per completion, once its line's write is answered
// without error (an interrupt never announces a completion the host cannot see yet); retire_o
// marks each record leaving (answered, failed, or dropped), for the queues' in-flight counts.
module nic_rx_cpl #(
  // AXI data width in bits: 128 to 512.
  parameter int unsigned DataWidth = 512,
  // Receive queues.
  parameter int unsigned NumQ = 8,
  // Completions gathered, in flight or awaiting their event, at most (a power of two).
  parameter int unsigned EvtDepth = 256,
  // Cycles a line waits for a completion that could join it (1..255).
  parameter int unsigned CplWait = 32
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Completion records (nic_rx_plan)
  input  logic                   r_valid_i,
  output logic                   r_ready_o,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] r_q_i,
  input  logic [15:0]            r_desc_idx_i,
  input  logic [4:0]             r_bufs_i,
  input  logic [15:0]            r_len_i,
  input  logic [63:0]            r_csum_i,
  input  logic                   r_vlan_i,
  input  logic [15:0]            r_tci_i,
  input  logic                   r_err_desc_i,
  input  logic                   r_has_data_i,

  // ---- Frames whose data is answered (nic_rx_wr_mux), in frame order
  input  logic                   done_valid_i,
  output logic                   done_ready_o,
  input  logic                   done_err_i,

  // ---- Queue state, queue q in bits [q*W +: W]
  input  logic [NumQ-1:0]        q_start_i,      // pulse: completion index 0, phase 1; one-hot
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] start_q_i,  // the queue q_start_i names
  input  logic [63:0]            start_cbase_i,  // ...and its completion ring's base
  input  logic [NumQ-1:0]        q_stopped_i,    // stopped by an error: write nothing
  input  logic [NumQ*16-1:0]     q_mask_i,       // ring size - 1

  // ---- Completion lines to nic_rx_wr_mux
  output logic                   c_valid_o,
  input  logic                   c_ready_i,
  output logic [DataWidth-1:0]   c_data_o,
  output logic [DataWidth/8-1:0] c_strb_o,
  output logic [63:0]            c_addr_o,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] c_q_o,

  // ---- A completion line was answered (in issue order)
  input  logic                   cplb_i,
  input  logic                   cplb_err_i,

  // ---- Events
  output logic                   cpl_evt_o,
  output logic [15:0]            cpl_evt_queue_o,
  output logic                   cpl_evt_err_o,   // err_desc or err_dma
  output logic [31:0]            cpl_evt_bytes_o,
  output logic                   retire_o,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] retire_q_o,

  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned Cpb = Bytes / 16;             // completions per line
  localparam int unsigned CL = $clog2(Cpb);
  localparam int unsigned CLW = CL > 0 ? CL : 1;
  localparam int unsigned QW = $clog2(NumQ > 1 ? NumQ : 2);
  localparam int unsigned EW = $clog2(EvtDepth);
  localparam int unsigned EvtBits = QW + 1 + 16 + 1 + 1;

  if (DataWidth < 128 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_rx_cpl: DataWidth must be a power of two from 128 to 512");
  end
  if ((1 << EW) != EvtDepth || EvtDepth < 2) begin : g_bad_e
    $fatal(1, "nic_rx_cpl: EvtDepth must be a power of two of at least 2");
  end
  if (CplWait < 1 || CplWait > 255) begin : g_bad_wait
    $fatal(1, "nic_rx_cpl: CplWait must be within 1..255");
  end

  // ---- Per-queue completion base, index and phase -----------------------------------------
  // Plain vectors, written in processes of their own, so that Yosys maps them to RAM.
  logic [63:0]     base_mem [NumQ];
  logic [16:0]     pos_mem [NumQ];       // index, phase
  logic [NumQ-1:0] fresh_q;              // started, no completion taken since

  logic          q_stopped, q_start_r, q_start_pl;
  logic [15:0]   idx, mask;
  logic          phase;
  logic [63:0]   base;
  logic [QW-1:0] pl_q_q;

  always_comb begin
    q_stopped  = 1'b0;
    q_start_r  = 1'b0;
    q_start_pl = 1'b0;
    mask       = '0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (pl_q_q == QW'(i)) q_start_pl = q_start_i[i];
      if (r_q_i == QW'(i)) begin
        q_stopped = q_stopped_i[i];
        q_start_r = q_start_i[i];
        mask      = q_mask_i[i*16 +: 16];
      end
    end
    base         = base_mem[r_q_i];
    {idx, phase} = fresh_q[r_q_i] ? {16'd0, 1'b1} : pos_mem[r_q_i];
  end

  // ---- The line being gathered ---------------------------------------------------------------
  logic                 pl_valid_q;
  logic [63:0]          pl_base_q;      // the line's ring and first slot: its address is
  logic [15:0]          pl_idx_q;       // added from these registers, not behind the muxes
  logic [DataWidth-1:0] pl_data_q;
  logic [Bytes-1:0]     pl_strb_q;

  logic     rdy, evt_room, can_join, joinable, a_suppress, a_join, a_start, a_take, issue;
  logic     pl_dead, drop, close;
  logic [7:0] wait_q;                  // cycles the line has been offered a chance to grow
  logic [CLW-1:0] slot;               // the completion's place in its line
  nic_hw_pkg::rx_cpl_t cpl;

  always_comb begin
    cpl            = '0;
    cpl.len        = r_len_i;
    cpl.bufs       = r_bufs_i;
    cpl.err_desc   = r_err_desc_i;
    cpl.err_dma    = r_has_data_i && done_err_i;
    cpl.vlan       = r_vlan_i;
    cpl.phase      = phase;
    cpl.vlan_tci   = r_tci_i;
    cpl.desc_index = r_desc_idx_i;
    cpl.csum       = nic_hw_pkg::rx_csum_result_t'(r_csum_i);
  end

  assign slot     = (CL > 0) ? CLW'(idx) : '0;
  assign rdy      = r_valid_i && (!r_has_data_i || done_valid_i);
  // A completion may join the line when it takes the line's next slot: when its queue's index
  // is the one after the line's last completion.  The two move together (a completion that
  // starts or joins the line steps the index), so a flag kept with the line says so, where a
  // compare would wait for the queue multiplexer.  Only a queue restart parts them: its index
  // goes back to 0, which may happen to be the next slot, but slot 0 starts a line anyway, so
  // no join hangs on the flag then.
  logic        pl_sync_q;
  logic [15:0] nidx;
  assign nidx     = (idx + 16'd1) & mask;
  assign can_join = pl_valid_q && pl_q_q == r_q_i && pl_sync_q && (CL == 0 || slot != '0);
  // The head record belongs in the line (once its data is answered, if it has any).
  assign joinable  = r_valid_i && !q_stopped && can_join;
  assign pl_dead   = q_stopped_i[pl_q_q];
  assign c_valid_o = pl_valid_q && !pl_dead && !(joinable && rdy && evt_room) &&
                     (!joinable || wait_q >= 8'(CplWait));
  assign issue     = c_valid_o && c_ready_i;
  assign drop      = pl_valid_q && pl_dead;   // cannot grow: its queue's records are suppressed
  assign close     = issue || drop;

  always_comb begin
    a_suppress = rdy && evt_room && q_stopped;
    a_join     = rdy && evt_room && !q_stopped && can_join;
    a_start    = rdy && evt_room && !q_stopped && !can_join && (!pl_valid_q || close);
    a_take     = a_suppress || a_join || a_start;
  end

  assign r_ready_o    = a_take;
  assign done_ready_o = a_take && r_has_data_i;

  logic [DataWidth-1:0] put_data;
  logic [Bytes-1:0]     put_strb;
  always_comb begin
    put_data = '0;
    put_strb = '0;
    for (int unsigned l = 0; l < Cpb; l++) begin
      if (Cpb == 1 || slot == CLW'(l)) begin
        put_data[l*128 +: 128] = cpl;
        put_strb[l*16 +: 16]   = '1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      pl_valid_q <= 1'b0;
    end else begin
      if (close) pl_valid_q <= 1'b0;
      if (a_start) pl_valid_q <= 1'b1;
    end
    if (a_start) begin
      pl_q_q    <= r_q_i;
      pl_base_q <= base;
      pl_idx_q  <= idx;
      pl_data_q <= put_data;
      pl_strb_q <= put_strb;
    end else if (a_join) begin
      pl_data_q <= pl_data_q | put_data;
      pl_strb_q <= pl_strb_q | put_strb;
    end
    if (a_start || a_join) pl_sync_q <= !q_start_r;
    else if (q_start_pl) pl_sync_q <= 1'b0;
    if (a_start || a_join) wait_q <= '0;
    else if (wait_q != '1) wait_q <= wait_q + 1'b1;
  end

  // One write a cycle into each RAM: a start's base, a completion's successor position.
  always_ff @(posedge clk_i) begin
    if (q_start_i != '0) base_mem[start_q_i] <= start_cbase_i;
    if (a_start || a_join) pos_mem[r_q_i] <= {nidx, phase ^ (idx == mask)};
  end

  // A start wins over a completion of the same queue in the same cycle.
  for (genvar i = 0; i < NumQ; i++) begin : g_q_state
    always_ff @(posedge clk_i) begin
      if (rst_i || q_start_i[i]) fresh_q[i] <= 1'b1;
      else if ((a_start || a_join) && r_q_i == QW'(i)) fresh_q[i] <= 1'b0;
    end
  end

  assign c_data_o = pl_data_q;
  assign c_strb_o = pl_strb_q;
  assign c_addr_o = pl_base_q + {44'd0, pl_idx_q, 4'd0};
  assign c_q_o    = pl_q_q;

  // ---- Events: after the line's response --------------------------------------------------
  // Entry: queue, error bit, length, "waits for a line response", "first of its line".
  logic          e_valid, e_pop, e_err, e_need_b, e_first;
  logic [QW-1:0] e_q;
  logic [15:0]   e_len;
  logic [EW:0]   e_level, rel_level;
  logic          rel_valid, rel_pop, rel_ok, line_ok_q;
  logic          unused_rel_room;

  nic_fifo #(.Width(EvtBits), .Depth(EvtDepth)) u_evt (
    .clk_i,
    .rst_i,
    .s_valid_i (a_take),
    .s_ready_o (evt_room),
    .s_data_i  ({r_q_i, cpl.err_desc || cpl.err_dma, r_len_i, !a_suppress, a_start}),
    .m_valid_o (e_valid),
    .m_ready_i (e_pop),
    .m_data_o  ({e_q, e_err, e_len, e_need_b, e_first}),
    .level_o   (e_level)
  );

  // One entry per closed line, in order: issued (1) or dropped (0).  One entry per answered line
  // in u_rel.  At most one of each per gathered line, and every gathered line has an entry in
  // u_evt, so neither FIFO can overflow.
  logic          fate_valid, fate_pop, fate_issued, unused_fate_room;
  logic [EW:0]   fate_level;
  nic_fifo #(.Width(1), .Depth(EvtDepth)) u_fate (
    .clk_i,
    .rst_i,
    .s_valid_i (close),
    .s_ready_o (unused_fate_room),
    .s_data_i  (issue),
    .m_valid_o (fate_valid),
    .m_ready_i (fate_pop),
    .m_data_o  (fate_issued),
    .level_o   (fate_level)
  );

  nic_fifo #(.Width(1), .Depth(EvtDepth)) u_rel (
    .clk_i,
    .rst_i,
    .s_valid_i (cplb_i),
    .s_ready_o (unused_rel_room),
    .s_data_i  (!cplb_err_i),
    .m_valid_o (rel_valid),
    .m_ready_i (rel_pop),
    .m_data_o  (rel_ok),
    .level_o   (rel_level)
  );

  // A line's first entry takes its fate, and the line's answer if it was issued.
  logic line_ok;
  always_comb begin
    e_pop    = 1'b0;
    fate_pop = 1'b0;
    rel_pop  = 1'b0;
    if (e_valid) begin
      if (!e_need_b || !e_first) begin
        e_pop = 1'b1;
      end else if (fate_valid && !fate_issued) begin
        e_pop    = 1'b1;
        fate_pop = 1'b1;
      end else if (fate_valid && rel_valid) begin
        e_pop    = 1'b1;
        fate_pop = 1'b1;
        rel_pop  = 1'b1;
      end
    end
  end
  assign line_ok = fate_issued && rel_ok;

  always_ff @(posedge clk_i) begin
    if (fate_pop) line_ok_q <= line_ok;
  end

  assign cpl_evt_o       = e_pop && e_need_b && (e_first ? line_ok : line_ok_q);
  assign cpl_evt_queue_o = 16'(e_q);
  assign cpl_evt_err_o   = e_err;
  assign cpl_evt_bytes_o = {16'd0, e_len};
  assign retire_o        = e_pop;
  assign retire_q_o      = e_q;

  assign idle_o = !r_valid_i && !pl_valid_q && e_level == '0 && rel_level == '0 && fate_level == '0;

endmodule
