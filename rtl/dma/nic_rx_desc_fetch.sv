// nic_rx_desc_fetch: receive descriptor prefetch into a per-queue cache.
//
// For every running queue the host has posted descriptors (between the card's fetch position
// and prod) that the card has not read yet.  This block reads them in batches of up to
// FetchDescs over the AXI read channel (one ID, responses in order) into a cache of CacheDescs
// descriptors per queue, so that a frame at the head of the packet buffer finds its buffers
// already on the card instead of waiting a read latency (~150 cycles on PCIe Gen4).  A batch
// stops at the ring's end and at a 4 KiB boundary, and is issued only when the cache can take
// a full batch (or everything posted), so reads stay large.  The cache is sized to cover the
// latency: at one small frame a cycle a queue consumes a descriptor a cycle.
//
// Cache: descriptor i of queue q lives in slot i mod CacheDescs of q's region, in bank
// i mod (descriptors per beat), so the descriptors of one read beat are written in one cycle.
// The planner reads one descriptor a cycle (address now, data the next cycle) and may use a
// descriptor only below q_fill_o (which trails the writes by a cycle, so a read never races a
// write of the same slot).  A slot is free again once the planner's consumer index (q_cons_i)
// has passed it.
//
// A read answered with an error pulses q_err_o for its queue (the queue then stops, status err
// desc_dma) and rd_err_o; responses for a queue that is not running are dropped.  A queue is
// (re)started (q_start_i: pointers to 0) only while none of its reads are outstanding
// (q_rd_busy_o), so no response can belong to an earlier run.
//
// Ring bases in RAM.  Only the queue whose batch is about to be read needs its ring's bus
// address, so the bases are kept in a RAM (distributed RAM, read without a clock edge) at the
// queue's number, written at the start (one queue a cycle: q_start_i is one-hot, and
// start_q_i, start_base_i name it and its base), and read for the held pick, with what the
// batch needs of it: its distance to 4 KiB.
//
// Queues judged one at a time.  Whether a queue wants a batch is judged for the queue the
// round robin picked, from copies of its pointers, not for every queue each cycle; a queue
// that wants none is marked waiting and not picked again until an event can change that: a
// doorbell (db_i: its prod written, from nic_queue_regs), a take (take_i: the planner's
// consumer index moved on) or a start.  So what a queue costs here each cycle is a few flags;
// its fetch position is in RAM beside its base, read at the pick.
module nic_rx_desc_fetch #(
  // AXI data width in bits: 128 to 512 (a beat holds whole descriptors).
  parameter int unsigned DataWidth = 512,
  // Receive queues.
  parameter int unsigned NumQ = 8,
  // Descriptors cached per queue: a power of two, at least one read batch.
  parameter int unsigned CacheDescs = 256,
  // Most descriptors one read fetches.
  parameter int unsigned FetchDescs = 32,
  // Read bursts outstanding at most, a power of two.
  parameter int unsigned MaxReads = 16
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue state, queue q in bits [q*W +: W]
  input  logic [NumQ-1:0]        q_start_i,      // pulse: the queue starts at index 0; one-hot
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] start_q_i,  // the queue q_start_i names
  input  logic [63:0]            start_base_i,   // ...and its ring base (64-byte aligned)
  input  logic [NumQ-1:0]        q_running_i,
  input  logic [NumQ*16-1:0]     q_mask_i,       // ring size - 1
  input  logic [NumQ*16-1:0]     q_prod_i,
  input  logic [NumQ*16-1:0]     q_cons_i,       // the planner's consumer index
  // Events, each at most one a cycle, in the first cycle the input shows the new value: a
  // doorbell (queue db_q_i's q_prod_i changed) and a take (take_q_i's q_cons_i moved on).
  input  logic                   db_i,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] db_q_i,
  input  logic                   take_i,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] take_q_i,
  output logic [NumQ*16-1:0]     q_fill_o,       // descriptors readable from the cache up to here
  output logic [NumQ-1:0]        q_rd_busy_o,    // reads of the queue outstanding
  output logic [NumQ-1:0]        q_err_o,        // pulse: a read of the queue got an error
  output logic                   rd_err_o,       // pulse per read burst answered with an error
  output logic                   idle_o,         // nothing outstanding and nothing to fetch

  // ---- Cache read port: address in this cycle, descriptor out the next
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] cache_q_i,
  input  logic [15:0]            cache_idx_i,
  output logic [63:0]            cache_addr_o,
  output logic [15:0]            cache_len_o,

  // ---- AXI4 read master
  output logic [63:0]            m_axi_araddr_o,
  output logic [7:0]             m_axi_arlen_o,
  output logic                   m_axi_arvalid_o,
  input  logic                   m_axi_arready_i,
  input  logic [DataWidth-1:0]   m_axi_rdata_i,
  input  logic [1:0]             m_axi_rresp_i,
  input  logic                   m_axi_rlast_i,
  input  logic                   m_axi_rvalid_i,
  output logic                   m_axi_rready_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned Dpb = Bytes / 16;                    // descriptors per beat
  localparam int unsigned DpbW = Dpb > 1 ? $clog2(Dpb) : 1;
  localparam int unsigned QW = NumQ > 1 ? $clog2(NumQ) : 1;
  localparam int unsigned CW = $clog2(CacheDescs);
  localparam int unsigned DL = $clog2(Dpb);                    // lane bits of an index
  localparam int unsigned RowsPerQ = CacheDescs / Dpb;
  localparam int unsigned RW = $clog2(NumQ * RowsPerQ);
  localparam int unsigned TrackBits = QW + 16 + 9 + 9;
  localparam int unsigned MRW = $clog2(MaxReads);

  if (DataWidth < 128 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_rx_desc_fetch: DataWidth must be a power of two from 128 to 512");
  end
  if ((1 << CW) != CacheDescs || CacheDescs < FetchDescs || CacheDescs <= Dpb) begin : g_bad_c
    $fatal(1, "nic_rx_desc_fetch: CacheDescs must be a power of two of at least FetchDescs");
  end
  if (FetchDescs < 1 || FetchDescs > 256 || FetchDescs + Dpb - 1 > 64 * Dpb) begin : g_bad_f
    $fatal(1, "nic_rx_desc_fetch: FetchDescs must be within 1..256 and fit a 64-beat burst");
  end
  if (MaxReads < 2 || (1 << MRW) != MaxReads) begin : g_bad_r
    $fatal(1, "nic_rx_desc_fetch: MaxReads must be a power of two of at least 2");
  end

  // ---- Per-queue state ---------------------------------------------------------------------
  // fill_q: next descriptor to land in the cache; fill_rd_q: fill_q one cycle later, what the
  // planner may read.  rd_cnt_q: reads outstanding.  The fetch position (the next descriptor
  // to request) is in RAM (fetch_mem, below): only the pick reads it.
  logic [15:0]    fill_q  [NumQ];
  logic [15:0]    fill_rd_q [NumQ];
  logic [MRW:0]   rd_cnt_q [NumQ];

  // Which queues to look at.  A queue wants a batch when something is posted past its fetch
  // position and the cache has room for a whole batch or for all that is posted.  That is not
  // worked out for every queue each cycle but judged for the pick (P1, below); a queue judged
  // not to want one is marked waiting (wait_q) and left out of the picks until something the
  // judgement read changes: its prod (a doorbell, db_i), its consumer index (a take, take_i)
  // or its run (a start).  Every other running queue is picked in turn, so a queue is judged
  // again after each of its events.  The judgement reads prod and the consumer index as they
  // were at the pick; an event for the queue from the cycle after the pick to the judgement's
  // own (pk_ev_q, p1_ev_q, p1_ev) keeps the mark off, so no change is missed: an event comes in
  // the first cycle that shows the new value.  The fetch position moves only by the queue's
  // own issue, after which the queue is blocked for four cycles (below).
  logic [NumQ-1:0] wait_q, wait_d, wait_set, db_hot, take_hot;
  // Last cycle's q_running_i (for idle_o), and whether each queue was running and neither
  // waiting nor blocked: the round robin's input (below).
  logic [NumQ-1:0] run1_q, go_q;
  logic            in_chg;

  function automatic logic [8:0] min9(logic [8:0] a, logic [8:0] b);
    min9 = (a < b) ? a : b;
  endfunction
  // Beats of a read of `cnt` descriptors from lane `ln` on (from the line holding the first to
  // the line holding the last), less one: AXI's arlen.
  function automatic logic [8:0] beats_m1(logic [DpbW:0] ln, logic [8:0] cnt);
    beats_m1 = ((9'(ln) + cnt + 9'(Dpb - 1)) >> $clog2(Dpb)) - 9'd1;
  endfunction

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      db_hot[q]   = db_i && db_q_i == QW'(q);
      take_hot[q] = take_i && take_q_i == QW'(q);
    end
  end

  assign wait_d = (wait_q | wait_set) & ~db_hot & ~take_hot & ~q_start_i;

  logic [NumQ-1:0] block_q, block2_q, block3_q, blocked_q, blocked_d, elig;

  always_ff @(posedge clk_i) begin
    run1_q <= q_running_i;
    if (rst_i) begin
      wait_q <= '0;
      go_q   <= '0;
    end else begin
      wait_q <= wait_d;
      go_q   <= q_running_i & ~wait_d & ~blocked_d;
    end
  end

  // ---- Issue: round robin over the running queues that are not waiting --------------------
  // Four stages.  Pick (P0): the round robin (nic_rr_pick_reg) chooses among the queues that
  // were eligible last cycle, and the queue's prod, consumer index and ring mask come with the
  // choice (its data select, below) into the pick registers (pk_*), and its fetch position from
  // the RAM.  P1: whether the queue wants a batch (above), what is posted (so the batch's first
  // limit, FetchDescs or that), what is cached, what is left to the ring's end, the distance to
  // 4 KiB, and the bus address, from the ring base in RAM (p1_*).  A queue that wants no batch
  // is dropped in P1 and marked waiting.  P2: the cache's room and the second limit, the room
  // or the ring's end (p2_*).  Issue: the batch, the smallest of the three limits with its
  // length in beats, becomes a read when the tracker has room and the AR register is free.
  // Each stage has one carry chain or two side by side.  Nothing that depends on an issue
  // feeds back into the pick in the same cycle: the queues held in P0, P1 and P2 are simply
  // not eligible, so a pick moves on in the cycle the one ahead of it does and a read can leave
  // every cycle.  A held batch stays a legal read while it waits (its queue's fetch position
  // moves only by its own issue; what is posted and the cache's room only grow); it is dropped
  // if its queue stops or restarts before it issues.
  //
  // The choice is a cycle late (its two levels do not fit one cycle at many queues), so it may
  // name a queue that was eligible last cycle and is not now: one that stopped or (re)started,
  // or the one that P0 took last cycle and has just passed on to P1 (chosen again from the
  // cycle before P0 held it).  Such a pick is dropped, in whichever stage it is, as a held pick
  // whose queue stops is: pk_ok, p1_ok and p2_ok check the held queue is running and not
  // blocked (blocked_q holds it from the cycle after its issue or its start), and pk_ok that P1
  // does not hold it (so a second pick of a queue does not wait in P0 while P1 waits, keeping
  // the others out; it is dropped there, so it never reaches P1).  A queue's fetch position is
  // fresh in the RAM once it is no longer blocked, and the pick copies its pointers as they
  // are, so a pick that passes those checks and P1's judgement carries a batch of at least one
  // descriptor from after its last issue.
  logic            ar_valid_q;
  logic [63:0]     ar_addr_q;
  logic [7:0]      ar_len_q;
  logic            track_room, track_push;
  logic [NumQ-1:0] last_q, gnt;
  logic [QW-1:0]   pick;
  logic            pick_v;   // a choice this cycle (gnt is not zero)
  // P0: the pick.  pk_ev_q, p1_ev_q: an event for the held queue since the pick.
  logic            pk_v_q, pk_ok, pk_kill, pk_adv, pk_load, pk_ev_q, pk_ev;
  logic [NumQ-1:0] pk_gnt_q;
  logic [QW-1:0]   pk_pick_q;
  logic [15:0]     pk_fetch_q, pk_prod_q, pk_cons_q, pk_mask_q;
  // P1: whether the queue wants a batch; what is posted, cached and left, the 4 KiB limit, the
  // address.
  logic            p1_v_q, p1_ok, p1_live, p1_kill, p1_adv, p1_load, p1_ev_q, p1_ev;
  logic            p1_want_q, p1_want;
  logic [15:0]     p1_mask_q, p1_outst;
  logic [NumQ-1:0] p1_gnt_q;
  logic [QW-1:0]   p1_pick_q;
  logic [15:0]     p1_fetch_q, p1_cached_q;
  logic [8:0]      p1_na_q, p1_t4k_q;
  logic [7:0]      p1_left_q;        // what is left to the ring's end less one, low byte
  logic            p1_big_q;         // ... and whether it is 256 or more
  logic [63:0]     p1_addr_q;
  logic [15:0]     p1_post, p1_cached, p1_left;
  logic [8:0]      p1_na, p1_t4k;
  logic [63:0]     p1_addr;
  // P2: the room or the ring's end.
  logic            p2_v_q, p2_ok, p2_kill, p2_load;
  logic [NumQ-1:0] p2_gnt_q;
  logic [QW-1:0]   p2_pick_q;
  logic [15:0]     p2_fetch_q, p2_mask_q;
  logic [8:0]      p2_na_q, p2_nb_q, p2_t4k_q;
  logic [63:0]     p2_addr_q;
  logic [8:0]      p2_nb;
  // The issue: the batch (the smallest limit) and its length in beats less one.  A batch is
  // at most 64 beats (FetchDescs + Dpb - 1 <= 64 Dpb): its length fits 8 bits.
  logic [8:0]      bt_n;
  logic [7:0]      bt_len, bt_l_a, bt_l_b, bt_l_c;
  // A cycle after the issue: the fetch position of the queue moves by its batch.
  logic            is_v_q;
  logic [NumQ-1:0] is_gnt_q;
  logic [QW-1:0]   is_pick_q;
  logic [15:0]     is_fetch_q, is_mask_q;
  logic [8:0]      is_n_q;

  // blocked_q is the OR of the last four cycles' block_q; it and the waiting mark are folded
  // into go_q a cycle early, so that eligibility is one small LUT in front of the round robin;
  // the held picks' one-hots are zero whenever nothing is held.  go_q holds last cycle's
  // running: a queue that stops this cycle may still be picked, and its pick is dropped before
  // it issues (pk_ok, p1_ok, p2_ok).  So q_running_i (which falls in the cycle a queue stops: a
  // disable, an error, a producer index found past the ring) meets only those checks and not
  // the round robin and the AND-OR behind it.  A queue never starts while it runs (nic_rx_path:
  // a start follows a disable and a cycle of waiting), so a starting queue is not eligible
  // (go_q), and q_start_i, which nic_rx_path works out this cycle, stays off the pick: it only
  // blocks the queue from the next cycle on, which drops a pick of it made from the cycle
  // before.
  assign elig = go_q & ~pk_gnt_q & ~p1_gnt_q & ~p2_gnt_q;

  // The fetch positions, in RAM (distributed RAM, read without a clock edge): written a cycle
  // after a queue's issue (its one writer), read at the pick.  A RAM is not cleared, so a
  // queue's flag (f_zero_q, set by a start and by reset) makes its position read 0 until the
  // queue's first issue writes it.
  logic [15:0]     fetch_mem [NumQ];
  logic [NumQ-1:0] f_zero_q;
  logic [15:0]     p_fetch, p_prod, p_cons, p_mask;
  logic            p_zero;

  // What the pick copies of its queue comes from the round robin's data select (an AND-OR by
  // its groups): the queue's number, its zero flag, prod, consumer index and mask.
  localparam int unsigned PW = QW + 1 + 48;
  logic [NumQ*PW-1:0] p_words;
  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      p_words[q*PW +: PW] = {QW'(q), f_zero_q[q], q_prod_i[q*16 +: 16], q_cons_i[q*16 +: 16],
                             q_mask_i[q*16 +: 16]};
    end
  end

  nic_rr_pick_reg #(.Num(NumQ), .DataW(PW)) u_pick (
    .clk_i,
    .rst_i,
    .req_i  (elig),
    .last_i (last_q),
    .gnt_o  (gnt),
    .any_o  (pick_v),
    .data_i (p_words),
    .data_o ({pick, p_zero, p_prod, p_cons, p_mask})
  );

  assign p_fetch = p_zero ? '0 : fetch_mem[pick];

  always_ff @(posedge clk_i) begin
    if (is_v_q) fetch_mem[is_pick_q] <= (is_fetch_q + 16'(is_n_q)) & is_mask_q;
    if (rst_i) begin
      f_zero_q <= '1;
    end else begin
      f_zero_q <= (f_zero_q & ~(is_v_q ? is_gnt_q : '0)) | q_start_i;
    end
  end

  // An event for a held queue: one whose new value its pick did not copy.
  assign pk_ev = (db_i && db_q_i == pk_pick_q) || (take_i && take_q_i == pk_pick_q);
  assign p1_ev = (db_i && db_q_i == p1_pick_q) || (take_i && take_q_i == p1_pick_q);

  assign blocked_d = (track_push ? p2_gnt_q : '0) | q_start_i | block_q | block2_q | block3_q;

  assign p2_ok      = (p2_gnt_q & q_running_i & ~blocked_q) != '0;
  assign p2_kill    = p2_v_q && !p2_ok;
  assign track_push = p2_v_q && p2_ok && track_room && (!ar_valid_q || m_axi_arready_i);
  assign p2_load    = !p2_v_q || track_push || p2_kill;
  // P1 drops a queue that stopped or restarted, and one that wants no batch, which it marks
  // waiting unless an event came for it since the pick.
  assign p1_live    = (p1_gnt_q & q_running_i & ~blocked_q) != '0;
  assign p1_ok      = p1_live && p1_want_q;
  assign p1_kill    = p1_v_q && !p1_ok;
  assign wait_set   = (p1_v_q && p1_live && !p1_want_q && !p1_ev_q && !p1_ev) ? p1_gnt_q : '0;
  assign p1_adv     = p1_v_q && p1_ok && p2_load;
  assign p1_load    = !p1_v_q || p1_adv || p1_kill;
  assign pk_ok      = (pk_gnt_q & q_running_i & ~blocked_q & ~p1_gnt_q) != '0;
  assign pk_kill    = pk_v_q && !pk_ok;
  assign pk_adv     = pk_v_q && pk_ok && p1_load;
  assign pk_load    = !pk_v_q || pk_adv || pk_kill;

`ifndef SYNTHESIS
  // What keeps q_start_i off the pick (above).
  always_ff @(posedge clk_i) begin
    if (!rst_i && (q_start_i & q_running_i) != '0) begin
      $error("nic_rx_desc_fetch: a running queue started");
    end
  end
`endif

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ar_valid_q <= 1'b0;
      pk_v_q     <= 1'b0;
      pk_gnt_q   <= '0;
      p1_v_q     <= 1'b0;
      p1_gnt_q   <= '0;
      p2_v_q     <= 1'b0;
      p2_gnt_q   <= '0;
      last_q     <= '0;
      block_q    <= '0;
      block2_q   <= '0;
      block3_q   <= '0;
      blocked_q  <= '0;
      is_v_q     <= 1'b0;
    end else begin
      // Skipped for four cycles after it issued or (re)started: a pick copied before then has
      // a stale fetch position (the RAM is written a cycle after the issue) or an old run's.
      block_q  <= (track_push ? p2_gnt_q : '0) | q_start_i;
      block2_q <= block_q;
      block3_q <= block2_q;
      blocked_q <= blocked_d;
      is_v_q   <= track_push;
      if (m_axi_arready_i) ar_valid_q <= 1'b0;
      if (track_push) ar_valid_q <= 1'b1;
      if (p2_load) begin
        p2_v_q   <= p1_adv;
        p2_gnt_q <= p1_adv ? p1_gnt_q : '0;
      end
      if (p1_load) begin
        p1_v_q   <= pk_adv;
        p1_gnt_q <= pk_adv ? pk_gnt_q : '0;
      end
      if (pk_load) begin
        pk_v_q   <= pick_v;
        pk_gnt_q <= gnt;
        if (pick_v) last_q <= gnt;
      end
    end
    pk_ev_q <= pk_load ? 1'b0 : pk_ev_q || pk_ev;
    p1_ev_q <= p1_load ? pk_ev_q || pk_ev : p1_ev_q || p1_ev;
    if (pk_load) begin
      pk_pick_q  <= pick;
      pk_fetch_q <= p_fetch;
      pk_prod_q  <= p_prod;
      pk_cons_q  <= p_cons;
      pk_mask_q  <= p_mask;
    end
    if (p1_load) begin
      p1_pick_q   <= pk_pick_q;
      p1_fetch_q  <= pk_fetch_q;
      p1_mask_q   <= pk_mask_q;
      p1_want_q   <= p1_want;
      p1_cached_q <= p1_cached;
      p1_na_q     <= p1_na;
      p1_t4k_q    <= p1_t4k;
      p1_left_q   <= p1_left[7:0];
      p1_big_q    <= p1_left[15:8] != '0;
      p1_addr_q   <= p1_addr;
    end
    if (p2_load) begin
      p2_pick_q  <= p1_pick_q;
      p2_fetch_q <= p1_fetch_q;
      p2_mask_q  <= p1_mask_q;
      p2_na_q    <= p1_na_q;
      p2_nb_q    <= p2_nb;
      p2_t4k_q   <= p1_t4k_q;
      p2_addr_q  <= p1_addr_q;
    end
    if (track_push) begin
      ar_addr_q  <= p2_addr_q;
      ar_len_q   <= bt_len;
      is_gnt_q   <= p2_gnt_q;
      is_pick_q  <= p2_pick_q;
      is_fetch_q <= p2_fetch_q;
      is_mask_q  <= p2_mask_q;
      is_n_q     <= bt_n;
    end
  end

  // P1's address: the ring base (from the RAM) + 16 * the fetch position.  A ring is at most
  // 2^15 descriptors of 16 bytes, so that is a 20-bit add onto the base's low bits; the high
  // bits are the base's or, on a carry, the base's plus one, which the RAM keeps beside the
  // base (worked out at the start), so no 64-bit carry chain follows the read.  Beside them the
  // RAM keeps the base's bits 11:4 negated (mod 256), for the distance to 4 KiB.  A held pick's
  // queue cannot restart (write the RAM) before it issues: it stops running first, and the pick
  // is dropped.
  localparam int unsigned BaseW = 64 + 44 + 8;
  logic [BaseW-1:0] base_mem [NumQ];
  logic [63:0]      pk_base;
  logic [43:0]      pk_hi1;
  logic [7:0]       pk_nb4k, p1_d4k;
  logic [20:0]      pk_lo;
  always_ff @(posedge clk_i) begin
    if (q_start_i != '0) begin
      base_mem[start_q_i] <= {start_base_i, start_base_i[63:20] + 44'd1,
                              8'd0 - start_base_i[11:4]};
    end
  end
  assign {pk_base, pk_hi1, pk_nb4k} = base_mem[pk_pick_q];
  assign pk_lo   = {1'b0, pk_base[19:0]} + {1'b0, pk_fetch_q, 4'd0};
  assign p1_addr = {pk_lo[20] ? pk_hi1 : pk_base[63:20], pk_lo[19:0]};

  // P1's judgement, counts and limits.  The queue wants a batch when prod and the fetch
  // position differ (in the ring's bits) and the cache has room for a whole batch (cached,
  // fetch - cons, at most CacheDescs - FetchDescs) or for all that is posted (cached + posted,
  // prod - cons: the consumer index never passes the fetch position, nor that prod, at most
  // CacheDescs): a subtraction each, side by side, then a compare with a constant written as
  // gates (nic_pkg::le_const), not a second carry chain.  What is posted, capped at FetchDescs
  // (at least one when the queue wants a batch).  The fetch position is within the mask, so
  // what is left to the ring's end, mask - fetch + 1, is (mask & ~fetch) + 1, kept as its low
  // byte and whether it is 256 or more.  The distance to 4 KiB is 256 - ((bits 11:4 of the
  // base + fetch) mod 256): the RAM's negated base less the fetch position's low byte, with 0
  // meaning a whole 256.
  always_comb begin
    p1_post   = (pk_prod_q - pk_fetch_q) & pk_mask_q;
    p1_cached = (pk_fetch_q - pk_cons_q) & pk_mask_q;
    p1_outst  = (pk_prod_q - pk_cons_q) & pk_mask_q;
    p1_want   = (pk_prod_q & pk_mask_q) != pk_fetch_q &&
                (nic_pkg::le_const({1'b0, p1_cached}, 17'(CacheDescs - FetchDescs)) ||
                 nic_pkg::le_const({1'b0, p1_outst}, 17'(CacheDescs)));
    p1_left   = pk_mask_q & ~pk_fetch_q;
    p1_na     = nic_pkg::le_const({1'b0, p1_post}, 17'(FetchDescs - 1)) ? 9'(p1_post)
                                                                         : 9'(FetchDescs);
    p1_d4k    = pk_nb4k - pk_fetch_q[7:0];
    p1_t4k    = {p1_d4k == '0, p1_d4k};
  end

  // P2's limit: the cache's room (CacheDescs - cached, at most 256 counted) or what is left to
  // the ring's end, whichever is smaller.  The room is at most what is left less one (left_q)
  // when cached + left_q reaches CacheDescs: that sum and the room's subtraction are the two
  // carry chains, side by side (the compares with constants are gates, nic_pkg::le_const); a
  // room of 256 or more is never the smaller unless the ring's end is as far.
  logic [16:0] p2_sum;
  logic [8:0]  p2_room, p2_room9;   // the room's low bits, and the room counted up to 256
  always_comb begin
    p2_room  = 9'(CacheDescs) - 9'(p1_cached_q);
    p2_sum   = {1'b0, p1_cached_q} + 17'(p1_left_q);
    p2_room9 = (CacheDescs >= 256 &&
                nic_pkg::le_const({1'b0, p1_cached_q}, 17'(CacheDescs) - 17'd256)) ? 9'd256
                                                                                   : p2_room;
    p2_nb    = (p1_big_q || !nic_pkg::le_const(p2_sum, 17'(CacheDescs - 1))) ? p2_room9
                                                                            : 9'(p1_left_q) + 9'd1;
  end

  // The issue: the smallest of P2's three limits, with its length in beats and what its first
  // beat carries (from the first lane to the end of its line, or fewer) chosen by the same
  // comparisons, while each is formed for all three limits.  Its first lane is its fetch
  // position's.
  logic [DpbW:0] bt_lane0;
  logic [8:0]    bt_cnt0, bt_line0, bt_c_a, bt_c_b, bt_c_c;
  always_comb begin
    bt_lane0 = p2_fetch_q[DpbW:0] & (DpbW + 1)'(Dpb - 1);
    bt_line0 = 9'(Dpb) - 9'(bt_lane0);
    bt_l_a   = 8'(beats_m1(bt_lane0, p2_na_q));
    bt_l_b   = 8'(beats_m1(bt_lane0, p2_nb_q));
    bt_l_c   = 8'(beats_m1(bt_lane0, p2_t4k_q));
    bt_c_a   = min9(bt_line0, p2_na_q);
    bt_c_b   = min9(bt_line0, p2_nb_q);
    bt_c_c   = min9(bt_line0, p2_t4k_q);
    if (p2_na_q <= p2_nb_q && p2_na_q <= p2_t4k_q) begin
      bt_n    = p2_na_q;
      bt_len  = bt_l_a;
      bt_cnt0 = bt_c_a;
    end else if (p2_nb_q <= p2_t4k_q) begin
      bt_n    = p2_nb_q;
      bt_len  = bt_l_b;
      bt_cnt0 = bt_c_b;
    end else begin
      bt_n    = p2_t4k_q;
      bt_len  = bt_l_c;
      bt_cnt0 = bt_c_c;
    end
  end

  assign m_axi_araddr_o  = ar_addr_q;
  assign m_axi_arlen_o   = ar_len_q;
  assign m_axi_arvalid_o = ar_valid_q;

  // ---- Responses ---------------------------------------------------------------------------
  logic                 t_valid, t_pop;
  logic [QW-1:0]        t_q;
  logic [15:0]          t_idx;
  logic [8:0]           t_n, t_cnt0;
  logic [MRW:0]         t_level;

  // The tracker takes the burst's first-beat count (bt_cnt0) with it, so the response side
  // finds it ready.
  nic_fifo #(.Width(TrackBits), .Depth(MaxReads)) u_track (
    .clk_i,
    .rst_i,
    .s_valid_i (track_push),
    .s_ready_o (track_room),
    .s_data_i  ({p2_pick_q, p2_fetch_q, bt_n, bt_cnt0}),
    .m_valid_o (t_valid),
    .m_ready_i (t_pop),
    .m_data_o  ({t_q, t_idx, t_n, t_cnt0}),
    .level_o   (t_level)
  );

  logic          r_first_q, r_err_q;
  logic [15:0]   r_idx_q, r_idx;
  logic [8:0]    r_left_q, r_left, r_cnt;
  logic [DpbW:0] r_lane;
  logic          r_beat, r_bad, r_keep, t_running;
  logic [Dpb-1:0] r_we;
  logic [RW-1:0]  r_row;

  assign m_axi_rready_o = t_valid;
  assign r_beat = m_axi_rvalid_i && t_valid;
  assign t_pop  = r_beat && m_axi_rlast_i;

  always_comb begin
    t_running = 1'b0;
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (t_q == QW'(q)) t_running = q_running_i[q];
    end
    // Every beat after a burst's first starts a line (lane 0) and is whole but for the last:
    // its count is Dpb or what is left, a comparison of a register with a constant.  The first
    // beat's count came with the tracker entry.  The burst stops at the ring's end, so a beat
    // after the first never wraps the ring.
    r_idx  = r_first_q ? t_idx : r_idx_q;
    r_left = r_first_q ? t_n : r_left_q;
    r_lane = r_first_q ? (DpbW + 1)'(t_idx) & (DpbW + 1)'(Dpb - 1) : '0;
    r_cnt  = r_first_q ? t_cnt0 : (r_left_q >= 9'(Dpb) ? 9'(Dpb) : r_left_q);
    r_bad  = m_axi_rresp_i != 2'b00 || (!r_first_q && r_err_q);
    r_keep = r_beat && !r_bad && t_running;
    // Lane l takes a descriptor when it is at or after the first lane and within what is left
    // (l < lane + min(Dpb - lane, left) is l - lane < left, as l < Dpb always): the
    // comparisons with left are against constants, made beside the lane's arrival.
    for (int unsigned l = 0; l < Dpb; l++) begin
      r_we[l] = 1'b0;
      for (int unsigned k = 0; k <= l; k++) begin
        if (r_lane == (DpbW + 1)'(l - k) && r_left > 9'(k)) r_we[l] = r_keep;
      end
    end
    r_row = RW'({t_q, r_idx[CW-1:DL]});
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      r_first_q <= 1'b1;
      r_err_q   <= 1'b0;
    end else if (r_beat) begin
      r_first_q <= m_axi_rlast_i;
      r_err_q   <= r_bad;
    end
    if (r_beat) begin
      // The next line; past the burst's last beat, a value nothing reads.
      r_idx_q  <= (r_idx & ~16'(Dpb - 1)) + 16'(Dpb);
      r_left_q <= r_first_q ? t_n - t_cnt0 : r_left_q - 9'(Dpb);
    end
  end

  assign rd_err_o = r_beat && m_axi_rlast_i && r_bad;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      q_err_o[q] = r_beat && m_axi_rresp_i != 2'b00 && t_q == QW'(q);
    end
  end

  for (genvar q = 0; q < NumQ; q++) begin : g_q_state
    always_ff @(posedge clk_i) begin
      if (rst_i || q_start_i[q]) begin
        fill_q[q]    <= '0;
        fill_rd_q[q] <= '0;
      end else begin
        if (r_keep && t_q == QW'(q)) begin
          fill_q[q] <= (fill_q[q] + 16'(r_cnt)) & q_mask_i[q*16 +: 16];
        end
        fill_rd_q[q] <= fill_q[q];
      end
      if (rst_i) begin
        rd_cnt_q[q] <= '0;
      end else begin
        // One more, one less, or as it was: the pulses select, they are not added.
        if (track_push && p2_gnt_q[q] && !(t_pop && t_q == QW'(q))) begin
          rd_cnt_q[q] <= rd_cnt_q[q] + 1'b1;
        end else if (!(track_push && p2_gnt_q[q]) && t_pop && t_q == QW'(q)) begin
          rd_cnt_q[q] <= rd_cnt_q[q] - 1'b1;
        end
      end
    end
  end

`ifndef SYNTHESIS
  // A burst's last beat ends a read its queue has counted: the count is what lets a queue
  // restart, so it must follow the queue that issued.
  always_ff @(posedge clk_i) begin
    if (!rst_i && t_pop && rd_cnt_q[t_q] == '0) begin
      $error("nic_rx_desc_fetch: a read of queue %0d ended that the queue had not counted", t_q);
    end
  end
`endif

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      q_fill_o[q*16 +: 16] = fill_rd_q[q];
      q_rd_busy_o[q]       = rd_cnt_q[q] != '0;
    end
  end

  // ---- The cache: one bank per descriptor lane ---------------------------------------------
  logic [RW-1:0]   c_row;
  logic [DpbW-1:0] c_lane_q;
  logic [79:0]     c_rd [Dpb];

  assign c_row = RW'({cache_q_i, cache_idx_i[CW-1:DL]});

  for (genvar b = 0; b < Dpb; b++) begin : g_bank
    logic [79:0] bank_q [NumQ * RowsPerQ];
    logic [79:0] rd_q;
    always_ff @(posedge clk_i) begin
      if (r_we[b]) bank_q[r_row] <= m_axi_rdata_i[b*128 +: 80];
      rd_q <= bank_q[c_row];
    end
    assign c_rd[b] = rd_q;
  end

  always_ff @(posedge clk_i) c_lane_q <= DpbW'(cache_idx_i);

  always_comb begin
    cache_addr_o = '0;
    cache_len_o  = '0;
    for (int unsigned b = 0; b < Dpb; b++) begin
      if (Dpb == 1 || c_lane_q == DpbW'(b)) begin
        cache_addr_o = cache_addr_o | c_rd[b][63:0];
        cache_len_o  = cache_len_o | c_rd[b][79:64];
      end
    end
  end

  // Idle: nothing held or outstanding, and every running queue waiting for an event, with none
  // here (nor a start or a change of running, which the marks and the picks see next cycle).
  assign in_chg = q_start_i != '0 || q_running_i != run1_q || db_i || take_i;
  assign idle_o = !ar_valid_q && !pk_v_q && !p1_v_q && !p2_v_q && !is_v_q && t_level == '0 &&
                  !in_chg && (run1_q & ~wait_q) == '0 && !pick_v;

`ifndef SYNTHESIS
  // A waiting queue wants no batch: what its mark was judged on has not changed since, but by
  // an event this cycle (which clears the mark).  Worked out here from the positions directly.
  for (genvar q = 0; q < NumQ; q++) begin : g_sim_wait
    logic [15:0] fetch, prod, cons, mask, cached, outst;
    always_comb begin
      fetch  = f_zero_q[q] ? '0 : fetch_mem[q];
      prod   = q_prod_i[q*16 +: 16];
      cons   = q_cons_i[q*16 +: 16];
      mask   = q_mask_i[q*16 +: 16];
      cached = (fetch - cons) & mask;
      outst  = (prod - cons) & mask;
    end
    always_ff @(posedge clk_i) begin
      if (!rst_i && q_running_i[q] && wait_q[q] && !db_hot[q] && !take_hot[q] &&
          (prod & mask) != fetch &&
          (17'(cached) <= 17'(CacheDescs - FetchDescs) || 17'(outst) <= 17'(CacheDescs))) begin
        $error("nic_rx_desc_fetch: queue %0d waits with a batch to fetch", q);
      end
    end
  end
`endif

  // Unused: the reserved upper bytes of each descriptor; index bits above the cache slot.
  logic unused_rdata;
  always_comb begin
    unused_rdata = ^cache_idx_i;
    for (int unsigned b = 0; b < Dpb; b++) begin
      unused_rdata = unused_rdata ^ (^m_axi_rdata_i[b*128 + 80 +: 48]);
    end
  end

endmodule
