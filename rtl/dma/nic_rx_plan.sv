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
// Stages.  The planner works on the frame in its own record register (h_*), which takes the
// packet buffer's head record whenever it is empty or its frame leaves: a frame is planned
// one cycle after it reaches the head, and frames still follow each other one a cycle.
//   1. The cycle before (the record moving in, or the frame staying): the cache read for the
//      position the frame will need (cache reads take a cycle) -- a new frame's position 0 on
//      its own queue, so a change of queue costs nothing -- and the two predicates for that
//      position, "not posted" (nb_q) and "cached" (hv_q), worked out for every way the
//      decision can go and picked by it.
//   2. The decision, on registers (the record, the walk, the predicates), the cache's answer
//      and the ready inputs; the job, the completion record, the drop and the next step.
// Counts behind the predicates: every queue's posted and cached buffers ((prod - cons) & mask,
// (fill - cons) & mask) are registered each cycle, saturated at 2^(JW+1), and compared in
// stage 1 with the position plus what was taken of the queue in the two cycles since the
// consumer index they used (lag_q, and this cycle's take).  So the planner sees prod and fill
// two cycles late, as if the doorbell and the cache fill reached it that much later; it never
// takes a buffer that is not posted or not cached.  A queue started in stage 1 makes its frame
// wait a cycle (its counts were of the old run).
// Other choices that keep adders off the decision: after a take the consumer index is the
// index read last cycle + 1 (a take always uses last cycle's read); the walk keeps flags
// (j_q == 0, j_q == MaxBufs, the second pass's last buffer), the bytes still to place
// (need_q) and its positions plus last cycle's take (jl_q, pl_q) with their + 1 precomputed;
// the wide record fields are chosen by what a valid record can be, not by the decision.
// Longest logic-only path (scripts/synth.sh): 3.67 ns (7.20 before), a cached count through
// its per-queue compare and the queue select to the decision's pick of hv_q.  The decision
// and what follows it take about 2.1 ns; ABC's mapping of it moves by about 0.3 ns with edits
// that do not change the logic.
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

  // ---- Drops (held while drop_block_i: the packet buffer's drop takes the event this cycle)
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

  // Buffer counts are kept saturated at 2^(JW+1): the planner compares them with a position
  // plus what it took in the last two cycles, which stays below that.
  localparam int unsigned CW = JW + 2;

  // ---- Per queue ---------------------------------------------------------------------------
  // Consumer index; posted and cached buffers from it as of last cycle (its prod, fill and
  // consumer index then); the buffers taken from it last cycle, which they do not subtract.
  logic [15:0]   cons_q [NumQ];
  logic [CW-1:0] posted_q [NumQ], cached_q [NumQ];
  logic [CW-1:0] lag_q [NumQ];

  // ---- The frame being planned (h_*: its record, taken from the packet buffer's head) --------
  logic          h_v_q, h_qok_q, h_vlan_q;
  logic [QW-1:0] h_q_q;
  logic [15:0]   h_len_q, h_tci_q, h_queue_q;
  logic [63:0]   h_csum_q;
  logic          emit_q;               // second pass: handing out the buffers
  logic [JW-1:0] j_q, k_q, e_q;        // buffers walked; buffers of the frame; handed out
  logic          j0_q, jmax_q, elast_q; // j_q == 0; j_q == MaxBufs; e_q == k_q - 1
  logic [15:0]   need_q;               // bytes the walked buffers do not hold yet
  logic [15:0]   foff_q;               // frame offset of buffer e_q
  // The read issued last cycle was for this frame at its position now; tag_ok_q: its queue was
  // not started meanwhile.  It read index tag_idx_q of a ring with mask tag_mask_q.
  logic          tag_ok_q;
  logic [15:0]   tag_idx_q, tag_mask_q;
  // Worked out last cycle for this frame at its position now: not posted; cached.
  logic          nb_q, hv_q;
  // The walk position and the position, each plus what was taken of this frame's queue last
  // cycle, and both + 1: what the counts, which lag by a cycle, are compared with.
  logic [CW-1:0] jl_q, jl1_q, pl_q, pl1_q;

  // ---- Decision -----------------------------------------------------------------------------
  logic        run, have, stop, fits, d_zero;
  logic [15:0] cons, mask;
  logic [JW-1:0] pos;
  logic        a_drop, a_nobuf, a_errdesc, a_place1, a_to_emit, a_step, a_emit, a_emit_last;
  logic        adv1, pop, taken;

  always_comb begin
    run  = 1'b0;
    cons = '0;
    mask = '0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (h_q_q == QW'(i)) begin
        run  = q_running_i[i];
        cons = cons_q[i];
        mask = q_mask_i[i*16 +: 16];
      end
    end
    run  = run && h_qok_q;
    pos  = emit_q ? e_q : j_q;
    stop = !run || jmax_q || nb_q;      // dropped before the buffer is looked at
    have = tag_ok_q && hv_q;
  end

  assign d_zero = cache_len_i == '0;
  assign fits   = cache_len_i >= need_q;

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
      if (have && job_ready_i && (!elast_q || cpl_ready_i)) begin
        a_emit      = 1'b1;
        a_emit_last = elast_q;
      end
    end else if (h_v_q && tag_ok_q) begin
      // (A queue started last cycle: its counts were not ready, wait a cycle.)
      if (stop) begin
        a_drop  = 1'b1;
        a_nobuf = !(run && jmax_q);
      end else if (have) begin
        if (d_zero) begin
          if (j0_q) a_errdesc = cpl_ready_i;
          else a_drop = 1'b1;
        end else if (fits) begin
          if (j0_q) a_place1 = job_ready_i && cpl_ready_i;
          else a_to_emit = 1'b1;
        end else begin
          a_step = 1'b1;
        end
      end
      // A drop needs room for its job and a free event slot.
      if (a_drop && (drop_block_i || !job_ready_i)) a_drop = 1'b0;
    end
    adv1  = a_step || a_emit || a_errdesc || a_place1;
    taken = a_errdesc || a_place1 || a_emit_last;
    pop   = a_drop || a_place1 || a_emit_last;   // (an err_desc completion keeps the frame)
  end

  // ---- Outputs -------------------------------------------------------------------------------
  // The record moves in when the stage is empty or its frame leaves.
  logic load;
  assign load         = !h_v_q || pop;
  assign info_ready_o = load;

  assign job_valid_o  = a_drop || a_place1 || a_emit;
  assign job_drop_o   = a_drop;
  assign job_first_o  = a_place1 || (a_emit && e_q == '0);
  assign job_last_o   = a_place1 || a_emit_last;
  assign job_q_o      = h_q_q;
  assign job_flen_o   = h_len_q;
  // The wide fields are chosen without the decision, by what a valid record can be: a job in
  // the second pass (emit_q) is one of the frame's buffers, the last one when elast_q; out of
  // it a job places a one-buffer frame or drops one (whose byte count the mover does not use).
  // A completion out of the second pass with a length-0 buffer at position 0 is err_desc.
  logic errdesc_rec;
  assign errdesc_rec  = !emit_q && j0_q && d_zero;

  assign job_foff_o   = emit_q ? foff_q : '0;
  assign job_nbytes_o = (!emit_q || elast_q) ? h_len_q - (emit_q ? foff_q : 16'd0)
                                            : cache_len_i;
  assign job_addr_o   = cache_addr_i;

  assign cpl_valid_o    = taken;
  assign cpl_q_o        = h_q_q;
  assign cpl_desc_idx_o = cons;
  assign cpl_bufs_o     = emit_q ? 5'(k_q) : 5'd1;
  assign cpl_len_o      = errdesc_rec ? '0 : h_len_q;
  assign cpl_csum_o     = errdesc_rec ? '0 : h_csum_q;
  assign cpl_vlan_o     = !errdesc_rec && h_vlan_q;
  assign cpl_tci_o      = errdesc_rec ? '0 : h_tci_q;
  assign cpl_err_desc_o = errdesc_rec;
  assign cpl_has_data_o = !errdesc_rec;

  assign drop_o       = a_drop;
  assign drop_nobuf_o = a_nobuf;
  assign drop_queue_o = h_queue_q;

  // ---- Next read ----------------------------------------------------------------------------
  // For the frame planned next cycle at the position it will need.  The same frame: one
  // further on, back to the start (the second pass), or the same (waiting; after a queue start
  // the consumer index is 0).  A new frame: position 0 of its queue, whose consumer index is
  // the one after last cycle's read if this cycle takes a frame of that queue (taking needs
  // last cycle's read), so no consumer index + position adder is needed.
  logic [QW-1:0] qn;
  logic          qn_ok, same_n, start_n, start_h;
  logic [15:0]   cons_n, mask_n, idx_next, idx_stay, idx_load;
  always_comb begin
    qn      = QW'(info_queue_i);
    qn_ok   = info_queue_i < 16'(NumQ);
    same_n  = qn == h_q_q;
    cons_n  = '0;
    mask_n  = '0;
    start_n = 1'b0;
    start_h = 1'b0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (qn == QW'(i)) begin
        cons_n  = cons_q[i];
        mask_n  = q_mask_i[i*16 +: 16];
        start_n = q_start_i[i];
      end
      if (h_q_q == QW'(i)) start_h = q_start_i[i];
    end
    idx_next = (tag_idx_q + 16'd1) & tag_mask_q;
    idx_stay = adv1 ? idx_next : a_to_emit ? cons : tag_ok_q ? tag_idx_q : 16'(pos) & mask;
    idx_load = (taken && same_n) ? idx_next : cons_n;
  end

  assign cache_q_o   = load ? qn : h_q_q;
  assign cache_idx_o = load ? idx_load : idx_stay;

  // ---- Next cycle's predicates --------------------------------------------------------------
  // The counts lag the consumer index by a cycle and are a cycle old when compared, so the
  // frame planned next cycle compares them with its position plus what was taken of its queue
  // last cycle and this cycle.  The frame stays: its position next cycle + last cycle's take
  // (jl_q, pl_q and the like, registered).  A new frame: position 0 + last cycle's take of its
  // queue + this cycle's when the queue is the same (then pl1_q).
  logic [CW-1:0] p0, p1, p2, j0, j1, j2, tk_d, tk1_d, jl_d, jl1_d, pl_d, pl1_d;
  logic [NumQ-1:0] nbs1_all, nbs0_all, nbl1_all, nbl0_all, hvs1_all, hvs0_all, hvsz_all, hvl0_all;
  logic          nb_s1, nb_s0, hv_s1, hv_s0, hv_sz, nb_l0, nb_l1, hv_l0, fresh, tk_q;
  always_comb begin
    // Per queue, then selected (not posted: count <= position; cached: count > position).
    for (int unsigned i = 0; i < NumQ; i++) begin
      nbs1_all[i] = posted_q[i] <= jl1_q;     // stays, after a step
      nbs0_all[i] = posted_q[i] <= jl_q;      // stays, waiting
      hvs1_all[i] = cached_q[i] > pl1_q;      // stays, one further on; new, after a take
      hvs0_all[i] = cached_q[i] > pl_q;       // stays, waiting
      // Stays, back to position 0: nothing was taken last cycle (the walk stepped).
      hvsz_all[i] = cached_q[i] != '0;
      nbl1_all[i] = posted_q[i] <= pl1_q;     // new, same queue, after this cycle's take
      nbl0_all[i] = posted_q[i] <= lag_q[i];  // new, otherwise
      hvl0_all[i] = cached_q[i] > lag_q[i];
    end
    nb_s1 = 1'b0;
    nb_s0 = 1'b0;
    hv_s1 = 1'b0;
    hv_s0 = 1'b0;
    hv_sz = 1'b0;
    nb_l1 = 1'b0;
    nb_l0 = 1'b0;
    hv_l0 = 1'b0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (h_q_q == QW'(i)) begin
        nb_s1 = nbs1_all[i];
        nb_s0 = nbs0_all[i];
        hv_s1 = hvs1_all[i];
        hv_s0 = hvs0_all[i];
        hv_sz = hvsz_all[i];
        nb_l1 = nbl1_all[i];
      end
      if (qn == QW'(i)) begin
        nb_l0 = nbl0_all[i];
        hv_l0 = hvl0_all[i];
      end
    end
    // Next cycle's registers: this cycle's take of the next frame's queue, position, walk.
    // (The sums first, so that the decision only selects.)
    p0    = CW'(pos);
    p1    = CW'(pos) + CW'(1);
    p2    = CW'(pos) + CW'(2);
    j0    = CW'(j_q);
    j1    = CW'(j_q) + CW'(1);
    j2    = CW'(j_q) + CW'(2);
    // After a take or with a new frame, position 0 next cycle: + the take if the queue is the
    // same (the frame stays after an err_desc completion).
    fresh = load || taken;
    tk_q  = taken && (!load || same_n);
    tk_d  = tk_q ? p1 : '0;
    tk1_d = tk_q ? p2 : CW'(1);
    jl_d  = fresh ? tk_d : a_step ? j1 : j0;
    jl1_d = fresh ? tk1_d : a_step ? j2 : j1;
    pl_d  = fresh ? tk_d : a_to_emit ? '0 : adv1 ? p1 : p0;
    pl1_d = fresh ? tk1_d : a_to_emit ? CW'(1) : adv1 ? p2 : p1;
  end

  // ---- State ---------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      h_v_q   <= 1'b0;
      emit_q  <= 1'b0;
      j_q     <= '0;
      j0_q    <= 1'b1;
      jmax_q  <= 1'b0;
      k_q     <= '0;
      e_q     <= '0;
      elast_q <= 1'b0;
      foff_q  <= '0;
    end else begin
      if (load) h_v_q <= info_valid_i;
      if (a_step) begin
        j_q    <= j_q + 1'b1;
        j0_q   <= 1'b0;
        jmax_q <= j_q == JW'(MaxBufs - 1);
      end
      if (a_drop || a_errdesc || a_place1) begin
        j_q    <= '0;
        j0_q   <= 1'b1;
        jmax_q <= 1'b0;
      end
      if (a_to_emit) begin
        emit_q  <= 1'b1;
        k_q     <= j_q + 1'b1;
        e_q     <= '0;
        elast_q <= 1'b0;                  // k_q >= 2
        foff_q  <= '0;
      end
      if (a_emit) begin
        e_q     <= e_q + 1'b1;
        elast_q <= e_q + JW'(2) == k_q;
        foff_q  <= foff_q + cache_len_i;
      end
      if (a_emit_last) begin
        emit_q <= 1'b0;
        j_q    <= '0;
        j0_q   <= 1'b1;
        jmax_q <= 1'b0;
      end
    end
    if (load) begin
      h_q_q     <= qn;
      h_qok_q   <= qn_ok;
      h_len_q   <= info_len_i;
      h_csum_q  <= info_csum_i;
      h_vlan_q  <= info_vlan_i;
      h_tci_q   <= info_tci_i;
      h_queue_q <= info_queue_i;
      need_q    <= info_len_i;
    end else if (a_step) begin
      need_q    <= need_q - cache_len_i;
    end
    jl_q       <= jl_d;
    jl1_q      <= jl1_d;
    pl_q       <= pl_d;
    pl1_q      <= pl1_d;
    // The read issued now.
    tag_ok_q   <= !rst_i && !(load ? start_n : start_h);
    tag_idx_q  <= cache_idx_o;
    tag_mask_q <= load ? mask_n : mask;
    if (fresh) begin
      nb_q <= tk_q ? nb_l1 : nb_l0;
      hv_q <= tk_q ? hv_s1 : hv_l0;
    end else begin
      nb_q <= a_step ? nb_s1 : nb_s0;
      hv_q <= a_to_emit ? hv_sz : adv1 ? hv_s1 : hv_s0;
    end
  end

  // Consumer indexes, and the counts from them (a started queue: index 0, nothing cached yet,
  // and a prod the start has checked to be within the new ring).
  for (genvar i = 0; i < NumQ; i++) begin : g_q_state
    always_ff @(posedge clk_i) begin
      if (rst_i || q_start_i[i]) begin
        cons_q[i]   <= '0;
        lag_q[i]    <= '0;
        posted_q[i] <= {|q_prod_i[i*16+JW+1 +: 15-JW], q_prod_i[i*16 +: JW+1]};
        cached_q[i] <= '0;
      end else begin
        if (taken && h_q_q == QW'(i)) cons_q[i] <= idx_next;
        lag_q[i] <= (taken && h_q_q == QW'(i)) ? p1 : '0;
        posted_q[i] <= {|posted_all[i][15:JW+1], posted_all[i][JW:0]};
        cached_q[i] <= {|cached_all[i][15:JW+1], cached_all[i][JW:0]};
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
      q_busy_o[i]          = emit_q && h_q_q == QW'(i);
    end
  end

  assign idle_o = !info_valid_i && !h_v_q;

`ifndef SYNTHESIS
  // The predicates worked out a cycle ahead are exactly the direct compares with prod and fill
  // two cycles old (what the counts see) and the consumer index now.
  logic [15:0] sim_prod_q [2][NumQ], sim_fill_q [2][NumQ];
  logic [15:0] sim_posted, sim_cached;
  assign sim_posted = (sim_prod_q[1][h_q_q] - cons) & mask;
  assign sim_cached = (sim_fill_q[1][h_q_q] - cons) & mask;
  for (genvar i = 0; i < NumQ; i++) begin : g_sim_q
    always_ff @(posedge clk_i) begin
      sim_prod_q[0][i] <= q_prod_i[i*16 +: 16];
      sim_fill_q[0][i] <= q_fill_i[i*16 +: 16];
      sim_prod_q[1][i] <= sim_prod_q[0][i];
      sim_fill_q[1][i] <= sim_fill_q[0][i];
    end
  end
  always_ff @(posedge clk_i) begin
    if (!rst_i && h_v_q && tag_ok_q && !emit_q && nb_q != (16'(j_q) >= sim_posted))
      $error("nic_rx_plan: posted predicate %0d, want %0d", nb_q, 16'(j_q) >= sim_posted);
    if (!rst_i && h_v_q && tag_ok_q && hv_q != (16'(pos) < sim_cached))
      $error("nic_rx_plan: cached predicate %0d, want %0d", hv_q, 16'(pos) < sim_cached);
  end
`endif

endmodule
