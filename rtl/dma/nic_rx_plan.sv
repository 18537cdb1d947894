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
// cycle).  A read result is used only when it was read for the head frame's queue and that
// queue has not been restarted since (it is then always for the position needed now).
//
// Timing.  A small frame is decided, and the read for the next one issued, in the cycle it is
// at the head, so everything the decision needs is ready early in the cycle: registers, a
// compare, the select by the head frame's queue, then the decision.
//   - Every queue's posted and cached counts ((prod - cons) & mask, (fill - cons) & mask) are
//     registered each cycle, saturated at 2^JW (they are only compared with positions below
//     that), and compared with the walk's position before the queue select.  So the planner
//     sees prod and fill one cycle late, as if the doorbell and the cache fill reached it a
//     cycle later.
//   - The registered counts do not subtract yet what the planner took from the queue last
//     cycle; instead, for that queue, the position they are compared with (jx_q, posx_q) is
//     the take's length.
//   - After a take the new consumer index is the index read last cycle + 1 (a take always uses
//     last cycle's read), and a read after a miss is for position 0 of a new frame or index 0
//     of a queue started last cycle, so no consumer index + position adder is left.
//   - Per queue, "not running, or the walk at MaxBufs, or the position not posted" is one bit,
//     and so is "the position cached": the queue select picks two bits.
//   - The walk keeps flags (j_q == 0, j_q == MaxBufs, the second pass's last buffer) and the
//     bytes still to place (rem_q), so "fits" is one compare with the cache's length.
//   - The wide record fields (lengths, checksum, offsets) are chosen by what a valid record can
//     be, not by the decision.
// Longest logic-only path (scripts/synth.sh): 4.18 ns (7.20 before), from the walk's position
// (posx_q) through the count compare, the queue select and the decision to the next read's
// index.  Edits that do not change the logic move it by about 0.3 ns: ABC maps the decision's
// dozen inputs into wide-multiplexer LUTs of varying depth.  The decision and what follows it
// take about 2.1 ns of that; what feeds it (the per-queue compare and select, fits from the
// cache's length) the rest.
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
  // prod/fill and consumer index then).
  logic [CW-1:0] posted_q [NumQ], cached_q [NumQ];
  logic          emit_q;               // second pass: handing out the buffers
  logic [JW-1:0] j_q, k_q, e_q;        // buffers walked; buffers of the frame; handed out
  logic [15:0]   rem_q;                // bytes the walked buffers do not hold yet (j_q > 0)
  logic          j0_q, jmax_q, elast_q; // j_q == 0; j_q == MaxBufs; e_q == k_q - 1
  logic [15:0]   foff_q;               // frame offset of buffer e_q
  // The read issued last cycle: for queue tag_q_q, from that queue's consumer index (not reset
  // since when tag_ok_q), at index tag_idx_q of a ring with mask tag_mask_q.  The position it
  // was for is always the one needed now (pos), when the queue is the same.
  logic          tag_ok_q;
  logic [QW-1:0] tag_q_q;
  logic [15:0]   tag_idx_q, tag_mask_q;
  // For queue tag_q_q, the walk position (jx_q) and the position (posx_q) to compare with its
  // counts: j_q and pos, but after a take (which moved its consumer index by pos + 1 last
  // cycle, not yet in the counts) pos + 1.
  logic [JW-1:0] jx_q, posx_q;

  // ---- The head frame's queue ------------------------------------------------------------
  logic          q_ok, run, same_q, hit, have, stop;
  logic [QW-1:0] q;
  logic [15:0]   cons, mask;
  logic [JW-1:0] pos;
  logic [NumQ-1:0] stop_all, stop0_all, hv_all;
  logic          stop1, stop0, hv;

  assign q_ok = info_queue_i < 16'(NumQ);
  assign q    = QW'(info_queue_i);

  always_comb begin
    for (int unsigned i = 0; i < NumQ; i++) begin
      // Dropped before the buffer is looked at: the queue is not running, the walk is at
      // MaxBufs, or the position is not posted (on a queue new this cycle: position 0).
      stop_all[i]  = !q_running_i[i] || jmax_q ||
                     (!posted_q[i][JW] && jx_q >= posted_q[i][JW-1:0]);
      stop0_all[i] = !q_running_i[i] || jmax_q || posted_q[i] == '0;
      hv_all[i]    = cached_q[i][JW] || posx_q < cached_q[i][JW-1:0];
    end
    run   = 1'b0;
    cons  = '0;
    mask  = '0;
    stop1 = 1'b0;
    stop0 = 1'b0;
    hv    = 1'b0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      if (q == QW'(i)) begin
        run   = q_running_i[i];
        cons  = cons_q[i];
        mask  = q_mask_i[i*16 +: 16];
        stop1 = stop_all[i];
        stop0 = stop0_all[i];
        hv    = hv_all[i];
      end
    end
    run = run && q_ok;
    pos    = emit_q ? e_q : j_q;
    // A frame on another queue than last cycle's is new (j_q = 0), and nothing was taken from
    // its queue last cycle.
    same_q = tag_q_q == q;
    hit    = tag_ok_q && same_q;
    have   = hit && hv;
    stop   = !q_ok || (same_q ? stop1 : stop0);
  end

  // ---- Decision -----------------------------------------------------------------------------
  logic        fits, d_zero;
  logic        a_drop, a_nobuf, a_errdesc, a_place1, a_to_emit, a_step, a_emit, a_emit_last;
  logic        adv1, restart;

  assign d_zero = cache_len_i == '0;
  assign fits   = j0_q ? cache_len_i >= info_len_i : cache_len_i >= rem_q;

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
    end else if (info_valid_i) begin
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
  // The wide fields are chosen without the decision, by what a valid record can be: a job in
  // the second pass (emit_q) is one of the frame's buffers, the last one when elast_q; out of
  // it a job places a one-buffer frame or drops one (whose byte count the mover does not use).
  // A completion out of the second pass with a length-0 buffer at position 0 is err_desc.
  logic errdesc_rec;
  assign errdesc_rec  = !emit_q && j0_q && d_zero;

  assign job_foff_o   = emit_q ? foff_q : '0;
  assign job_nbytes_o = (!emit_q || elast_q) ? info_len_i - (emit_q ? foff_q : 16'd0)
                                            : cache_len_i;
  assign job_addr_o   = cache_addr_i;

  assign cpl_valid_o    = a_errdesc || a_place1 || a_emit_last;
  assign cpl_q_o        = q;
  assign cpl_desc_idx_o = cons;
  assign cpl_bufs_o     = emit_q ? 5'(k_q) : 5'd1;
  assign cpl_len_o      = errdesc_rec ? '0 : info_len_i;
  assign cpl_csum_o     = errdesc_rec ? '0 : info_csum_i;
  assign cpl_vlan_o     = !errdesc_rec && info_vlan_i;
  assign cpl_tci_o      = errdesc_rec ? '0 : info_tci_i;
  assign cpl_err_desc_o = errdesc_rec;
  assign cpl_has_data_o = !errdesc_rec;

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
    // A miss is a frame new on its queue (position 0), or a queue started last cycle (index 0).
    idx_miss = same_q ? 16'(pos) & mask : cons;
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
      j0_q    <= 1'b1;
      jmax_q  <= 1'b0;
      k_q     <= '0;
      e_q     <= '0;
      elast_q <= 1'b0;
      foff_q  <= '0;
    end else begin
      if (a_step) begin
        j_q    <= j_q + 1'b1;
        j0_q   <= 1'b0;
        jmax_q <= j_q == JW'(MaxBufs - 1);
        rem_q  <= (j0_q ? info_len_i : rem_q) - cache_len_i;
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
    // The read issued now.
    tag_ok_q   <= !rst_i && !start_q;
    tag_q_q    <= q;
    tag_idx_q  <= cache_idx_o;
    tag_mask_q <= mask;
    jx_q       <= taken ? pos + 1'b1 : a_drop ? '0 : a_step ? j_q + 1'b1 : j_q;
    posx_q     <= taken ? pos + 1'b1 : next_off;
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

`ifndef SYNTHESIS
  // What the tag and the jx_q/posx_q registers rest on: last cycle's read was for the position
  // needed now, and a frame on another queue than last cycle's has not started its walk.
  logic [JW-1:0] sim_off_q;
  always_ff @(posedge clk_i) begin
    sim_off_q <= next_off;
    if (!rst_i && tag_ok_q && same_q && pos != sim_off_q)
      $error("nic_rx_plan: the read issued last cycle is not for the position needed now");
    if (!rst_i && info_valid_i && !same_q && (!j0_q || emit_q))
      $error("nic_rx_plan: the head frame changed queue during its walk");
  end
`endif

endmodule
