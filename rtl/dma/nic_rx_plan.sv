// nic_rx_plan: decides, for the frame at the head of the packet buffer, where it goes.
//
// The frame's queue must be running and must have enough buffers posted: the planner walks
// the queue's cached descriptors from its consumer index, one a cycle, adding their lengths
// until they hold the frame.  Outcomes:
//   - it fits in the first buffer (every small frame): one job to the data mover, one
//     completion record, the consumer index moves on by 1 -- all in one cycle, so frames can
//     be planned back to back, one a cycle;
//   - it needs k > 1 buffers: a second pass re-reads the k descriptors and hands the mover one
//     job per buffer (each filled to its length but the last), then the completion record;
//   - the queue is not running, or it has fewer posted buffers than the frame needs, or a
//     posted buffer of length 0 comes before the frame fits: dropped (drop_nobuf_o = 1);
//   - it would need more than MaxBufs buffers: dropped as bad (drop_nobuf_o = 0).
// A dropped frame still sends the mover a drop job, so its beats leave the packet buffer.
// A buffer of length 0 at the consumer index (when a frame is waiting) gives a completion of
// its own with err_desc (bufs 1, len 0, nothing written) and the walk goes on from the next
// buffer; a length-0 buffer met later in a walk ends it (the frame is dropped, and the length-0
// buffer gets its err_desc completion when it reaches the consumer index), so that a completion
// never covers a length-0 buffer.
// A posted descriptor that has not arrived in the cache yet makes the planner wait: it is
// posted, so it is not a reason to drop.
//
// Cache reads take a cycle, so the planner reads ahead: each cycle it reads the descriptor it
// will need next assuming the next frame goes to the same queue (a different queue costs one
// cycle).  A read result is used only when its queue and index match what is needed now.
module nic_rx_plan #(
  // Receive queues.
  parameter int unsigned NumQ = 8,
  // Most buffers one frame may fill (1..31).
  parameter int unsigned MaxBufs = 16
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Frame records from the packet buffer
  input  logic                   info_valid_i,
  output logic                   info_ready_o,
  input  logic [15:0]            info_len_i,
  input  logic [63:0]            info_csum_i,
  input  logic                   info_vlan_i,
  input  logic [15:0]            info_tci_i,
  input  logic [15:0]            info_queue_i,

  // ---- Queue state, queue q in bits [q*W +: W]
  input  logic [NumQ-1:0]        q_start_i,      // pulse: the queue starts at index 0
  input  logic [NumQ-1:0]        q_running_i,
  input  logic [NumQ*16-1:0]     q_mask_i,       // ring size - 1
  input  logic [NumQ*16-1:0]     q_prod_i,
  input  logic [NumQ*16-1:0]     q_fill_i,       // descriptors readable from the cache
  output logic [NumQ*16-1:0]     q_cons_o,       // next buffer to fill
  output logic [NumQ-1:0]        q_busy_o,       // handing out a frame's buffers (no restart)

  // ---- Descriptor cache read port (data one cycle after the address)
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] cache_q_o,
  output logic [15:0]            cache_idx_o,
  input  logic [63:0]            cache_addr_i,
  input  logic [15:0]            cache_len_i,

  // ---- Jobs for the data mover: one per buffer of a placed frame, one per dropped frame
  output logic                   job_valid_o,
  input  logic                   job_ready_i,
  output logic                   job_drop_o,     // drop the frame (its beats are discarded)
  output logic                   job_first_o,    // the frame's first buffer
  output logic                   job_last_o,     // the frame's last buffer
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] job_q_o,
  output logic [15:0]            job_flen_o,     // frame length
  output logic [15:0]            job_foff_o,     // frame offset of the buffer's first byte
  output logic [15:0]            job_nbytes_o,   // bytes into this buffer
  output logic [63:0]            job_addr_o,     // buffer bus address

  // ---- Completion records, in ring order per queue
  output logic                   cpl_valid_o,
  input  logic                   cpl_ready_i,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] cpl_q_o,
  output logic [15:0]            cpl_desc_idx_o,
  output logic [4:0]             cpl_bufs_o,
  output logic [15:0]            cpl_len_o,
  output logic [63:0]            cpl_csum_o,
  output logic                   cpl_vlan_o,
  output logic [15:0]            cpl_tci_o,
  output logic                   cpl_err_desc_o,
  output logic                   cpl_has_data_o, // data writes come before it (not err_desc)

  // ---- Drops (held while drop_block_i: the packet buffer reports one this cycle)
  input  logic                   drop_block_i,
  output logic                   drop_o,
  output logic                   drop_nobuf_o,
  output logic [15:0]            drop_queue_o,

  output logic                   idle_o
);

  localparam int unsigned QW = $clog2(NumQ > 1 ? NumQ : 2);
  localparam int unsigned JW = $clog2(MaxBufs + 1);

  if (MaxBufs < 1 || MaxBufs > 31) begin : g_bad_bufs
    $fatal(1, "nic_rx_plan: MaxBufs must be within 1..31");
  end
  if (NumQ < 1 || NumQ > 65535) begin : g_bad_q
    $fatal(1, "nic_rx_plan: NumQ must be within 1..65535");
  end

  // Buffer counts are kept saturated at 2^JW: the planner only compares them with positions
  // below that.
  localparam int unsigned CW = JW + 1;

  logic [15:0]   cons_q [NumQ];
  // Every queue's posted and cached buffers from its consumer index, as of last cycle (its
  // prod/fill and consumer index then); lag_*: the buffers the planner took last cycle
  // (lag_n_q of queue lag_q_q), which these counts do not subtract yet.
  logic [CW-1:0] posted_q [NumQ], cached_q [NumQ];
  logic          lag_v_q;
  logic [QW-1:0] lag_q_q;
  logic [JW-1:0] lag_n_q;
  logic          emit_q;               // second pass: handing out the buffers
  logic [JW-1:0] j_q, k_q, e_q;        // buffers walked; buffers of the frame; handed out
  logic [15:0]   rem_q;                // bytes the walked buffers do not hold yet (j_q > 0)
  logic [15:0]   foff_q;               // frame offset of buffer e_q
  // The read issued last cycle: for queue tag_q_q, position tag_off_q from that queue's
  // consumer index (which has not been reset since when tag_ok_q), at index tag_idx_q of a
  // ring with mask tag_mask_q.  A hit needs no adder or wide compare.
  logic          tag_v_q, tag_ok_q;
  logic [QW-1:0] tag_q_q;
  logic [JW-1:0] tag_off_q;
  logic [15:0]   tag_idx_q, tag_mask_q;

  // ---- The head frame's queue ------------------------------------------------------------
  logic          q_ok, run, lag_hit, hit, have, nobufs;
  logic [QW-1:0] q;
  logic [15:0]   cons, mask;
  logic [CW-1:0] posted, cached;
  logic [JW-1:0] pos, j_x, pos_x;

  assign q_ok = info_queue_i < 16'(NumQ);
  assign q    = QW'(info_queue_i);

  always_comb begin
    run    = 1'b0;
    cons   = '0;
    mask   = '0;
    posted = '0;
    cached = '0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (q == QW'(i)) begin
        run    = q_running_i[i];
        cons   = cons_q[i];
        mask   = q_mask_i[i*16 +: 16];
        posted = posted_q[i];
        cached = cached_q[i];
      end
    end
    run = run && q_ok;
    pos = emit_q ? e_q : j_q;
    // After a frame or err_desc completion the walk starts again at position 0, so the buffers
    // taken last cycle are added to that position instead of being subtracted from the counts.
    lag_hit = lag_v_q && lag_q_q == q;
    j_x     = lag_hit ? lag_n_q : j_q;
    pos_x   = lag_hit ? lag_n_q : pos;
    hit     = tag_v_q && tag_ok_q && tag_q_q == q && tag_off_q == pos;
    have    = hit && (cached[JW] || pos_x < cached[JW-1:0]);
    nobufs  = !posted[JW] && j_x >= posted[JW-1:0];
  end

  // ---- Decision -----------------------------------------------------------------------------
  logic        fits, d_zero;
  logic [15:0] need;
  logic        a_drop, a_nobuf, a_errdesc, a_place1, a_to_emit, a_step, a_emit, a_emit_last;
  logic        adv1, restart;

  assign d_zero = cache_len_i == '0;
  assign need   = j_q == '0 ? info_len_i : rem_q;
  assign fits   = cache_len_i >= need;

  always_comb begin
    a_drop      = 1'b0;
    a_nobuf     = 1'b1;
    a_errdesc   = 1'b0;
    a_place1    = 1'b0;
    a_to_emit   = 1'b0;
    a_step      = 1'b0;
    a_emit      = 1'b0;
    a_emit_last = 1'b0;
    if (emit_q) begin
      if (have && job_ready_i && (e_q != k_q - 1'b1 || cpl_ready_i)) begin
        a_emit      = 1'b1;
        a_emit_last = e_q == k_q - 1'b1;
      end
    end else if (info_valid_i) begin
      if (!run) begin
        a_drop = 1'b1;
      end else if (j_q == JW'(MaxBufs)) begin
        a_drop  = 1'b1;
        a_nobuf = 1'b0;
      end else if (nobufs) begin
        a_drop = 1'b1;
      end else if (have) begin
        if (d_zero) begin
          if (j_q == '0) a_errdesc = cpl_ready_i;
          else a_drop = 1'b1;
        end else if (fits) begin
          if (j_q == '0) a_place1 = job_ready_i && cpl_ready_i;
          else a_to_emit = 1'b1;
        end else begin
          a_step = 1'b1;
        end
      end
      // A drop needs room for its job and a free event slot.
      if (a_drop && (drop_block_i || !job_ready_i)) a_drop = 1'b0;
    end
    adv1    = a_step || a_emit || a_errdesc || a_place1;
    restart = a_drop || a_to_emit;
  end

  // ---- Outputs -------------------------------------------------------------------------------
  assign info_ready_o = a_drop || a_place1 || a_emit_last;

  assign job_valid_o  = a_drop || a_place1 || a_emit;
  assign job_drop_o   = a_drop;
  assign job_first_o  = a_place1 || (a_emit && e_q == '0);
  assign job_last_o   = a_place1 || a_emit_last;
  assign job_q_o      = q;
  assign job_flen_o   = info_len_i;
  assign job_foff_o   = a_emit ? foff_q : '0;
  // foff_q is subtracted only in the second pass (emit_q), where it is the offset.
  assign job_nbytes_o = (a_place1 || a_emit_last) ? info_len_i - (emit_q ? foff_q : 16'd0)
                                                  : cache_len_i;
  assign job_addr_o   = cache_addr_i;

  assign cpl_valid_o    = a_errdesc || a_place1 || a_emit_last;
  assign cpl_q_o        = q;
  assign cpl_desc_idx_o = cons;
  assign cpl_bufs_o     = a_emit_last ? 5'(k_q) : 5'd1;
  assign cpl_len_o      = a_errdesc ? '0 : info_len_i;
  assign cpl_csum_o     = a_errdesc ? '0 : info_csum_i;
  assign cpl_vlan_o     = !a_errdesc && info_vlan_i;
  assign cpl_tci_o      = a_errdesc ? '0 : info_tci_i;
  assign cpl_err_desc_o = a_errdesc;
  assign cpl_has_data_o = !a_errdesc;

  assign drop_o       = a_drop;
  assign drop_nobuf_o = a_nobuf;
  assign drop_queue_o = info_queue_i;

  // ---- Next read, consumer index ------------------------------------------------------------
  // A frame or an err_desc completion is taken at its last position, so the new consumer index
  // is that position + 1: the index after the one read last cycle (taking needs a hit).  The
  // next read is for the position needed next cycle (same queue assumed): one further on, back
  // to the start (a new walk), or the same (waiting).  Only a miss (another queue, or a restart)
  // needs the consumer index + position sum, and then nothing is taken.
  logic [15:0]   idx_next, idx_miss;
  logic [JW-1:0] next_off;
  logic          taken, start_q;
  always_comb begin
    idx_next = (tag_idx_q + 16'd1) & tag_mask_q;
    idx_miss = (cons + 16'(pos)) & mask;
    taken    = a_errdesc || a_place1 || a_emit_last;
    if (taken || restart) next_off = '0;
    else if (adv1) next_off = pos + 1'b1;
    else next_off = pos;
    start_q = 1'b0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (q == QW'(i)) start_q = q_start_i[i];
    end
  end

  assign cache_q_o   = q;
  assign cache_idx_o = adv1 ? idx_next : restart ? cons : hit ? tag_idx_q : idx_miss;

  // ---- State ---------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      emit_q  <= 1'b0;
      j_q     <= '0;
      k_q     <= '0;
      e_q     <= '0;
      foff_q  <= '0;
      tag_v_q <= 1'b0;
      lag_v_q <= 1'b0;
    end else begin
      tag_v_q <= 1'b1;
      lag_v_q <= taken;
      if (a_step) begin
        j_q   <= j_q + 1'b1;
        rem_q <= need - cache_len_i;
      end
      if (a_drop || a_errdesc || a_place1) j_q <= '0;
      if (a_to_emit) begin
        emit_q <= 1'b1;
        k_q    <= j_q + 1'b1;
        e_q    <= '0;
        foff_q <= '0;
      end
      if (a_emit) begin
        e_q    <= e_q + 1'b1;
        foff_q <= foff_q + cache_len_i;
      end
      if (a_emit_last) begin
        emit_q <= 1'b0;
        j_q    <= '0;
      end
    end
    lag_q_q    <= q;
    lag_n_q    <= pos + 1'b1;
    // The read issued now.
    tag_q_q    <= q;
    tag_ok_q   <= !start_q;
    tag_off_q  <= next_off;
    tag_idx_q  <= cache_idx_o;
    tag_mask_q <= mask;
  end

  // Consumer indexes, and the counts from them (a started queue: index 0, nothing cached yet,
  // and a prod the start has checked to be within the new ring).
  always_ff @(posedge clk_i) begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (rst_i || q_start_i[i]) begin
        cons_q[i]   <= '0;
        posted_q[i] <= {|q_prod_i[i*16+JW +: 16-JW], q_prod_i[i*16 +: JW]};
        cached_q[i] <= '0;
      end else begin
        if (taken && q == QW'(i)) cons_q[i] <= idx_next;
        posted_q[i] <= {|posted_all[i][15:JW], posted_all[i][JW-1:0]};
        cached_q[i] <= {|cached_all[i][15:JW], cached_all[i][JW-1:0]};
      end
    end
  end

  logic [15:0] posted_all [NumQ], cached_all [NumQ];
  always_comb begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      posted_all[i] = (q_prod_i[i*16 +: 16] - cons_q[i]) & q_mask_i[i*16 +: 16];
      cached_all[i] = (q_fill_i[i*16 +: 16] - cons_q[i]) & q_mask_i[i*16 +: 16];
    end
  end

  always_comb begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      q_cons_o[i*16 +: 16] = cons_q[i];
      q_busy_o[i]          = emit_q && q == QW'(i);
    end
  end

  assign idle_o = !info_valid_i && !emit_q;

endmodule
