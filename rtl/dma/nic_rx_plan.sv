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

  logic [15:0]   cons_q [NumQ];
  logic          emit_q;               // second pass: handing out the buffers
  logic [JW-1:0] j_q, k_q, e_q;        // buffers walked; buffers of the frame; handed out
  logic [16:0]   acc_q;                // bytes the walked buffers hold
  logic [15:0]   foff_q;               // frame offset of buffer e_q
  // The read issued last cycle: for queue tag_q_q, position tag_off_q from consumer index
  // tag_cons_q (compared by parts, so no adder sits on the compare).
  logic          tag_q_v_q;
  logic [QW-1:0] tag_q_q;
  logic [15:0]   tag_cons_q;
  logic [JW-1:0] tag_off_q;

  // ---- The head frame's queue ------------------------------------------------------------
  logic          q_ok, run;
  logic [QW-1:0] q;
  logic [15:0]   cons, mask, posted, cached;
  logic [15:0]   posted_all [NumQ], cached_all [NumQ];
  logic [JW-1:0] pos;
  logic          have;

  assign q_ok = info_queue_i < 16'(NumQ);
  assign q    = QW'(info_queue_i);

  // Every queue's counts in parallel, then the head frame's queue selects.
  always_comb begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      posted_all[i] = (q_prod_i[i*16 +: 16] - cons_q[i]) & q_mask_i[i*16 +: 16];
      cached_all[i] = (q_fill_i[i*16 +: 16] - cons_q[i]) & q_mask_i[i*16 +: 16];
    end
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
        posted = posted_all[i];
        cached = cached_all[i];
      end
    end
    run  = run && q_ok;
    pos  = emit_q ? e_q : j_q;
    have = tag_q_v_q && tag_q_q == q && tag_cons_q == cons && tag_off_q == pos &&
           16'(pos) < cached;
  end

  // ---- Decision -----------------------------------------------------------------------------
  logic        fits, d_zero;
  logic        a_drop, a_nobuf, a_errdesc, a_place1, a_to_emit, a_step, a_emit, a_emit_last;
  logic        adv1, restart;

  assign d_zero = cache_len_i == '0;
  assign fits   = acc_q + {1'b0, cache_len_i} >= {1'b0, info_len_i};

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
      end else if (16'(j_q) >= posted) begin
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
  assign job_nbytes_o = (a_place1 || a_emit_last) ? info_len_i - (a_emit ? foff_q : 16'd0)
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

  // ---- State ---------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      emit_q    <= 1'b0;
      j_q       <= '0;
      k_q       <= '0;
      e_q       <= '0;
      acc_q     <= '0;
      foff_q    <= '0;
      tag_q_v_q <= 1'b0;
    end else begin
      tag_q_v_q <= 1'b1;
      if (a_step) begin
        j_q   <= j_q + 1'b1;
        acc_q <= acc_q + {1'b0, cache_len_i};
      end
      if (a_drop || a_errdesc || a_place1) begin
        j_q   <= '0;
        acc_q <= '0;
      end
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
        acc_q  <= '0;
      end
    end
    // The read issued now, for the position needed next (same queue assumed).
    tag_q_q    <= q;
    tag_cons_q <= cons_next;
    tag_off_q  <= next_off;
  end

  // The consumer index after this cycle, and the position the next cycle needs from it: one
  // further on, back to the start (a new walk), or the same (waiting).  A frame or an err_desc
  // completion is taken at its last position, so the new consumer index is that position + 1:
  // both sums come from registers, in parallel with the decision that picks one.
  logic [15:0]   cons_next, idx_same, idx_next;
  logic [JW-1:0] next_off;
  logic          taken;
  always_comb begin
    idx_same  = (cons + 16'(pos)) & mask;
    idx_next  = (cons + 16'(pos) + 16'd1) & mask;
    taken     = a_errdesc || a_place1 || a_emit_last;
    cons_next = taken ? idx_next : cons;
    if (taken || restart) next_off = '0;
    else if (adv1) next_off = pos + 1'b1;
    else next_off = pos;
  end

  assign cache_q_o   = q;
  assign cache_idx_o = adv1 ? idx_next : restart ? cons : idx_same;

  always_ff @(posedge clk_i) begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (rst_i || q_start_i[i]) begin
        cons_q[i] <= '0;
      end else if (q == QW'(i)) begin
        cons_q[i] <= cons_next;
      end
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
