// nic_tx_cpl: transmit completions, in frame order, written to each queue's completion ring.
//
// Every frame gets a record from the gather, in order.  A frame that never entered the offload
// pipeline (a descriptor error) completes as soon as the records before it have; one that did
// waits for its done event from the segmenter (nic_tso done_o: frames leave it in order, so the
// k-th event is the k-th such frame) and for the gather's read-error flag.  The completion
// (nic_hw_pkg::tx_cpl_t: desc_index, err, seg_err, phase, descs, segs) goes to the queue's
// ring at cpl_base + 8 * (index mod size); phase is 1 on the first pass round the ring and
// flips at each wrap.  A queue that is not running (disabled or stopped) gets nothing written.
//
// Consecutive completions of one queue that share a bus line (eight at 512 bits) are gathered
// into one one-beat AXI write with exact strobes: with the receive path writing a line per small
// frame, a write beat per transmit completion would leave the write channel short of beats under
// full-duplex load.  A line goes to the write channel when it is full or reaches the ring's end,
// when the head record's completion cannot join it (another queue), or CplWait cycles after it
// was opened (so a lone completion waits that long at most).
//
// Queue state in RAM.  Only the head record's queue is ever looked at, so each queue's ring
// (completion base, size) and its next completion (slot, phase) are kept in two RAMs
// (distributed RAM, read without a clock edge) at that queue's number, not in flip-flops a
// queue: the ring RAM is written at the queue's start (q_start_i names one queue at most, and
// start_cbase_i and start_log2_i come with it), the position RAM when a completion takes its
// slot.  A start marks the queue fresh (one flip-flop a queue) instead of writing the position
// RAM, which a completion may be writing the same cycle: a fresh queue's next completion is
// slot 0, phase 1.  A queue starts only with none of its frames here.
//
// The completion's address is base + 8 * slot.  A ring is at most 2^15 entries of 8 bytes, so
// the sum is an 18-bit add onto the base's low bits; the high bits are the base's or, on a
// carry, the base's plus one, which the ring RAM keeps beside the base (worked out at the
// start).  So no 64-bit carry chain follows the RAM read.
//
// A line whose queue stops running while it is still being gathered (a completion write error,
// or disable) is dropped, not written: a stopped queue writes nothing more.  Its frames retire
// without an event.
//
// Writes are answered in order.  The answer to a line retires its frames one a cycle (ret_b_o),
// each raising cpl_evt_o, or, if the write failed, the first raising wr_err_o and stopping the
// queue with cpl_dma (the rest retire without an event).
module nic_tx_cpl #(
  parameter int unsigned DataWidth = 512,
  parameter int unsigned NumQ = 8,
  // Frames between the gather and their completion, at most (records, done events, flags).
  parameter int unsigned Depth = 256,
  // Completions gathered or awaiting their write's answer, at most (a power of two).
  parameter int unsigned WrDepth = 128,
  // Cycles a line of completions stays open for more (1..255).
  parameter int unsigned CplWait = 16,
  // Derived.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue state (nic_tx_desc_fetch)
  input  logic [NumQ-1:0]        q_running_i,
  input  logic [NumQ-1:0]        q_start_i,    // pulse: a queue started (one at most)
  input  logic [QW-1:0]          start_q_i,    // ... its number
  input  logic [63:0]            start_cbase_i, // ... its completion ring base
  input  logic [3:0]             start_log2_i, // ... its ring size
  output logic [NumQ-1:0]        stop_o,       // pulse: a completion write failed
  output logic                   ret_a_o,      // pulse: a frame retired without a write
  output logic [QW-1:0]          ret_a_q_o,
  output logic                   ret_b_o,      // pulse: a frame's completion write was answered
  output logic [QW-1:0]          ret_b_q_o,

  // ---- Records (nic_tx_gather)
  input  logic                   crec_valid_i,
  output logic                   crec_ready_o,
  input  logic [QW-1:0]          crec_q_i,
  input  logic [3:0]             crec_err_i,
  input  logic                   crec_pipe_i,
  input  logic [7:0]             crec_n_i,
  input  logic [15:0]            crec_idx_i,
  input  logic [20:0]            crec_len_i,
  input  logic                   dflag_valid_i,
  input  logic                   dflag_i,

  // ---- Done events of the offload pipeline
  input  logic                   done_i,
  input  logic [3:0]             done_err_i,
  input  logic [15:0]            done_segs_i,

  // ---- AXI4 write master
  output logic [63:0]            m_axi_awaddr_o,
  output logic [7:0]             m_axi_awlen_o,
  output logic                   m_axi_awvalid_o,
  input  logic                   m_axi_awready_i,
  output logic [DataWidth-1:0]   m_axi_wdata_o,
  output logic [DataWidth/8-1:0] m_axi_wstrb_o,
  output logic                   m_axi_wlast_o,
  output logic                   m_axi_wvalid_o,
  input  logic                   m_axi_wready_i,
  input  logic [1:0]             m_axi_bresp_i,
  input  logic                   m_axi_bvalid_i,
  output logic                   m_axi_bready_o,

  // ---- Events
  output logic                   cpl_evt_o,
  output logic [15:0]            cpl_evt_queue_o,
  output logic                   cpl_evt_err_o,
  output logic [31:0]            cpl_evt_bytes_o,
  output logic                   wr_err_o,
  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned Slots = Bytes / 8;           // 8-byte completions per beat
  localparam int unsigned SlotW = (Slots > 1) ? $clog2(Slots) : 1;
  localparam int unsigned RecW = QW + 4 + 1 + 8 + 16 + 21;

  if (DataWidth < 64 || DataWidth > 512) begin : g_bad_w
    $fatal(1, "nic_tx_cpl: DataWidth must be 64 to 512");
  end
  if (CplWait < 1 || CplWait > 255) begin : g_bad_wait
    $fatal(1, "nic_tx_cpl: CplWait must be within 1..255");
  end

  // ---- The three queues of per-frame facts -----------------------------------------------
  logic            r_valid, r_pop;
  logic [QW-1:0]   r_q;
  logic [3:0]      r_err;
  logic            r_pipe;
  logic [7:0]      r_n;
  logic [15:0]     r_idx;
  logic [20:0]     r_len;
  logic [$clog2(Depth):0] unused_r_level, unused_d_level, unused_g_level;

  nic_fifo #(.Width(RecW), .Depth(Depth)) u_rec (
    .clk_i,
    .rst_i,
    .s_valid_i (crec_valid_i),
    .s_ready_o (crec_ready_o),
    .s_data_i  ({crec_q_i, crec_err_i, crec_pipe_i, crec_n_i, crec_idx_i, crec_len_i}),
    .m_valid_o (r_valid),
    .m_ready_i (r_pop),
    .m_data_o  ({r_q, r_err, r_pipe, r_n, r_idx, r_len}),
    .level_o   (unused_r_level)
  );

  // A done event or a flag belongs to a frame whose record is already queued (records go in
  // before the frame's data is even read), so these never hold more than Depth.
  logic        d_valid, g_valid, g_flag, unused_d_ready, unused_g_ready;
  logic [3:0]  d_err;
  logic [15:0] d_segs;
  nic_fifo #(.Width(4 + 16), .Depth(Depth)) u_done (
    .clk_i,
    .rst_i,
    .s_valid_i (done_i),
    .s_ready_o (unused_d_ready),
    .s_data_i  ({done_err_i, done_segs_i}),
    .m_valid_o (d_valid),
    .m_ready_i (r_pop && r_pipe),
    .m_data_o  ({d_err, d_segs}),
    .level_o   (unused_d_level)
  );
  nic_fifo #(.Width(1), .Depth(Depth)) u_flag (
    .clk_i,
    .rst_i,
    .s_valid_i (dflag_valid_i),
    .s_ready_o (unused_g_ready),
    .s_data_i  (dflag_i),
    .m_valid_o (g_valid),
    .m_ready_i (r_pop && r_pipe),
    .m_data_o  (g_flag),
    .level_o   (unused_g_level)
  );

  // ---- The completion of the head record ---------------------------------------------------
  // The head record's queue's ring and next completion, read from the RAMs; the completion
  // after it is worked out beside the write and stored when the completion takes its slot.
  typedef struct packed {
    logic [63:0] base;
    logic [45:0] hi1;        // base[63:18] + 1
    logic [15:0] mask;       // ring size - 1
  } ring_t;
  typedef struct packed {
    logic [15:0] slot;
    logic        phase;
  } pos_t;
  // Plain vectors, written in a process of their own, so that Yosys maps them to RAM.
  localparam int unsigned RingW = 64 + 46 + 16, PosW = 16 + 1;
  logic [RingW-1:0]    ring_mem [NumQ];
  logic [PosW-1:0]     pos_mem [NumQ];
  logic [NumQ-1:0]     fresh_q;    // started, no completion written since
  ring_t               ring;
  pos_t                pos, pos_next;
  logic [18:0]         lo;         // base[17:0] + 8 * slot, with its carry
  logic                wrap;       // the next completion is the ring's last entry
  logic                write, ready;
  nic_hw_pkg::tx_cpl_t cpl;

  always_comb begin
    ring = ring_mem[r_q];
    pos  = fresh_q[r_q] ? {16'd0, 1'b1} : pos_mem[r_q];   // slot 0, phase 1
    wrap = pos.slot == ring.mask;
    pos_next.slot  = wrap ? '0 : pos.slot + 16'd1;
    pos_next.phase = pos.phase ^ wrap;
    lo   = {1'b0, ring.base[17:0]} + {pos.slot, 3'd0};
  end
  assign write = q_running_i[r_q];
  assign ready = r_valid && (!r_pipe || (d_valid && g_valid));

  always_comb begin
    cpl            = '0;
    cpl.desc_index = r_idx;
    cpl.descs      = r_n;
    cpl.phase      = pos.phase;
    if (!r_pipe) begin
      cpl.err = nic_hw_pkg::tx_err_e'(r_err);
    end else if (g_flag) begin
      cpl.err  = nic_hw_pkg::TxErrDma;
      cpl.segs = d_segs;
    end else if (d_err != nic_hw_pkg::SegErrNone) begin
      cpl.err     = nic_hw_pkg::TxErrSeg;
      cpl.seg_err = nic_hw_pkg::seg_err_e'(d_err);
      cpl.segs    = d_segs;
    end else begin
      cpl.err  = nic_hw_pkg::TxErrNone;
      cpl.segs = d_segs;
    end
  end

  logic [63:0]      waddr;
  logic [SlotW-1:0] slot;         // the completion's place in its line
  logic             last_slot;
  assign waddr     = {lo[18] ? ring.hi1 : ring.base[63:18], lo[17:0]};
  // The base is 64-byte aligned (the queue would not have started): the slot's low bits are
  // its place in the line, with no adder.
  assign slot      = (Slots > 1) ? pos.slot[SlotW-1:0] : '0;
  assign last_slot = (Slots == 1) || 32'(slot) == Slots - 1;

  logic [DataWidth-1:0] put_data;
  logic [Bytes-1:0]     put_strb;
  always_comb begin
    put_data = '0;
    put_strb = '0;
    for (int unsigned k = 0; k < Slots; k++) begin
      if (Slots == 1 || 32'(slot) == k) begin
        put_data[64*k +: 64] = 64'(cpl);
        put_strb[8*k +: 8]   = 8'hFF;
      end
    end
  end

  // ---- The line being gathered -------------------------------------------------------------
  logic                 ln_valid_q, ln_open_q;
  logic [QW-1:0]        ln_q_q;
  logic [63:0]          ln_addr_q;
  logic [DataWidth-1:0] ln_data_q;
  logic [Bytes-1:0]     ln_strb_q;
  logic [7:0]           ln_wait_q;     // cycles since the line was opened
  logic                 aw_ready, w_ready, e_room, want, can_join, grow, start, flush;
  logic                 ln_dead, drop, close;

  // A queue's completions are consecutive in its ring, so the head record's completion follows
  // the open line's last one if the line is its queue's and is still open (not full, not at the
  // ring's end).
  assign can_join = ln_valid_q && ln_open_q && ln_q_q == r_q;
  assign want     = ready && write && e_room;
  assign grow     = want && can_join;
  // A line of a queue no longer running is dropped (it cannot grow: that queue's records are
  // not written).
  assign ln_dead  = !q_running_i[ln_q_q];
  assign drop     = ln_valid_q && ln_dead;
  assign flush    = ln_valid_q && !ln_dead && aw_ready && w_ready && !grow &&
                    (!ln_open_q || want || ln_wait_q >= 8'(CplWait));
  assign close    = flush || drop;
  assign start    = want && !can_join && (!ln_valid_q || close);
  assign r_pop    = ready && (!write || grow || start);

  // One write a cycle into each RAM: a start's ring, a completion's successor position.
  always_ff @(posedge clk_i) begin
    if (q_start_i != '0) begin
      ring_mem[start_q_i] <= {start_cbase_i, start_cbase_i[63:18] + 46'd1,
                              nic_pkg::ring_mask(start_log2_i)};
    end
    if (start || grow) pos_mem[r_q] <= pos_next;
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ln_valid_q <= 1'b0;
      ln_open_q  <= 1'b0;
    end else begin
      if (close) ln_valid_q <= 1'b0;
      if (start) ln_valid_q <= 1'b1;
      if (start || grow) ln_open_q <= !last_slot && !wrap;
    end
    if (start) begin
      ln_q_q    <= r_q;
      ln_addr_q <= waddr;
      ln_data_q <= put_data;
      ln_strb_q <= put_strb;
      ln_wait_q <= '0;
    end else begin
      if (grow) begin
        ln_data_q <= ln_data_q | put_data;
        ln_strb_q <= ln_strb_q | put_strb;
      end
      if (ln_wait_q != '1) ln_wait_q <= ln_wait_q + 8'd1;
    end
  end

  nic_skid_buffer #(.Width(64)) u_aw (
    .clk_i,
    .rst_i,
    .s_valid_i (flush),
    .s_ready_o (aw_ready),
    .s_data_i  (ln_addr_q),
    .m_valid_o (m_axi_awvalid_o),
    .m_ready_i (m_axi_awready_i),
    .m_data_o  (m_axi_awaddr_o)
  );
  assign m_axi_awlen_o = 8'd0;

  nic_skid_buffer #(.Width(DataWidth + Bytes)) u_w (
    .clk_i,
    .rst_i,
    .s_valid_i (flush),
    .s_ready_o (w_ready),
    .s_data_i  ({ln_data_q, ln_strb_q}),
    .m_valid_o (m_axi_wvalid_o),
    .m_ready_i (m_axi_wready_i),
    .m_data_o  ({m_axi_wdata_o, m_axi_wstrb_o})
  );
  assign m_axi_wlast_o = 1'b1;

  // ---- Completions written: each waits for its line's answer -------------------------------
  // Entry: queue, error bit, bytes, "first of its line".  A line's first entry waits for the
  // line's answer; the others follow it (their line was closed before it could be answered).
  logic          e_valid, e_pop, e_err, e_first;
  logic [QW-1:0] e_q;
  logic [31:0]   e_bytes;
  logic [$clog2(WrDepth):0] unused_e_level, unused_rel_level;
  nic_fifo #(.Width(QW + 1 + 32 + 1), .Depth(WrDepth)) u_evt (
    .clk_i,
    .rst_i,
    .s_valid_i (grow || start),
    .s_ready_o (e_room),
    .s_data_i  ({r_q, cpl.err != nic_hw_pkg::TxErrNone,
                 cpl.err == nic_hw_pkg::TxErrNone ? 32'(r_len) : 32'd0, start}),
    .m_valid_o (e_valid),
    .m_ready_i (e_pop),
    .m_data_o  ({e_q, e_err, e_bytes, e_first}),
    .level_o   (unused_e_level)
  );

  // One entry per closed line, in order: was it written (1) or dropped (0).
  logic fate_valid, fate_wrote, unused_fate_room;
  logic [$clog2(WrDepth):0] unused_fate_level;
  nic_fifo #(.Width(1), .Depth(WrDepth)) u_fate (
    .clk_i,
    .rst_i,
    .s_valid_i (close),
    .s_ready_o (unused_fate_room),
    .s_data_i  (flush),
    .m_valid_o (fate_valid),
    .m_ready_i (e_pop && e_first),
    .m_data_o  (fate_wrote),
    .level_o   (unused_fate_level)
  );

  // One entry per answered line: never more than lines with an entry in u_evt.
  logic rel_valid, rel_pop, rel_ok, line_ok_q;
  nic_fifo #(.Width(1), .Depth(WrDepth)) u_rel (
    .clk_i,
    .rst_i,
    .s_valid_i (m_axi_bvalid_i),
    .s_ready_o (m_axi_bready_o),
    .s_data_i  (m_axi_bresp_i == 2'b00),
    .m_valid_o (rel_valid),
    .m_ready_i (rel_pop),
    .m_data_o  (rel_ok),
    .level_o   (unused_rel_level)
  );

  // A line's first entry takes its fate, and the write's answer if it was written.
  logic e_ok;
  assign rel_pop = e_valid && e_first && fate_valid && fate_wrote && rel_valid;
  assign e_pop   = e_valid && (!e_first || (fate_valid && (!fate_wrote || rel_valid)));
  assign e_ok    = e_first ? fate_wrote && rel_ok : line_ok_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      fresh_q   <= '1;
      stop_o    <= '0;
      ret_a_o   <= 1'b0;
      ret_b_o   <= 1'b0;
      cpl_evt_o <= 1'b0;
      wr_err_o  <= 1'b0;
    end else begin
      for (int unsigned q = 0; q < NumQ; q++) begin
        if (q_start_i[q]) begin
          fresh_q[q] <= 1'b1;
        end else if ((start || grow) && r_q == QW'(q)) begin
          fresh_q[q] <= 1'b0;
        end
        stop_o[q] <= rel_pop && !rel_ok && e_q == QW'(q);
      end
      ret_a_o   <= r_pop && !write;
      ret_b_o   <= e_pop;
      cpl_evt_o <= e_pop && e_ok;
      wr_err_o  <= rel_pop && !rel_ok;
    end
    if (e_pop && e_first) line_ok_q <= e_ok;
    ret_a_q_o       <= r_q;
    ret_b_q_o       <= e_q;
    cpl_evt_queue_o <= 16'(e_q);
    cpl_evt_err_o   <= e_err;
    cpl_evt_bytes_o <= e_bytes;
  end

  // A FIFO with entries shows one at its output within two cycles (nic_tx_path waits for 16 idle
  // cycles in a row), so the output valids stand for the levels, with no adder.
  assign idle_o = !r_valid && !d_valid && !g_valid && !ln_valid_q && !e_valid && !fate_valid &&
                  !m_axi_awvalid_o && !m_axi_wvalid_o;

endmodule
