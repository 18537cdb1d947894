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
  input  logic [NumQ-1:0]        q_start_i,      // pulse: the queue starts at index 0
  input  logic [NumQ-1:0]        q_running_i,
  input  logic [NumQ*64-1:0]     q_ring_base_i,
  input  logic [NumQ*16-1:0]     q_mask_i,       // ring size - 1
  input  logic [NumQ*16-1:0]     q_prod_i,
  input  logic [NumQ*16-1:0]     q_cons_i,       // the planner's consumer index
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
  localparam int unsigned TrackBits = QW + 16 + 9;
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

  // ---- Per-queue pointers ----------------------------------------------------------------
  // fetch_q: next descriptor to request; fill_q: next to land in the cache; fill_rd_q: fill_q
  // one cycle later, what the planner may read.  rd_cnt_q: reads outstanding.
  logic [15:0]    fetch_q [NumQ];
  logic [15:0]    fill_q  [NumQ];
  logic [15:0]    fill_rd_q [NumQ];
  logic [MRW:0]   rd_cnt_q [NumQ];

  // What each queue could fetch now, and the batch it would read: computed for every queue
  // each cycle in two register stages (the limits, then their minimum), so the issue stage
  // only picks and copies.  A queue's batch is two cycles old; a queue that issued is skipped
  // for two cycles (its fetch position moved), and the others can only be more eager now than
  // the registers say (prod and the consumer index only move forward).
  logic [NumQ-1:0] want;
  logic [15:0]     posted_unf [NumQ];
  logic [15:0]     cached [NumQ];
  logic [16:0]     room [NumQ];
  logic [16:0]     to_end [NumQ];
  logic [63:0]     addr [NumQ];
  logic [8:0]      to_4k [NumQ];
  logic [8:0]      n_a [NumQ], n_b [NumQ], n_c [NumQ], n [NumQ], lines [NumQ];
  logic [DpbW:0]   lane [NumQ];
  logic [8:0]      posted9_q [NumQ], room9_q [NumQ], end9_q [NumQ], to_4k_q [NumQ];
  logic [63:0]     addr1_q [NumQ];
  logic [NumQ-1:0] want1_q;

  // The smaller of two counts, each saturated to 9 bits first.
  function automatic logic [8:0] sat9(logic [16:0] v);
    sat9 = (v > 17'd256) ? 9'd256 : v[8:0];
  endfunction
  function automatic logic [8:0] min9(logic [8:0] a, logic [8:0] b);
    min9 = (a < b) ? a : b;
  endfunction

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      posted_unf[q] = (q_prod_i[q*16 +: 16] - fetch_q[q]) & q_mask_i[q*16 +: 16];
      cached[q]     = (fetch_q[q] - q_cons_i[q*16 +: 16]) & q_mask_i[q*16 +: 16];
      room[q]       = 17'(CacheDescs) - {1'b0, cached[q]};
      want[q]       = q_running_i[q] && !q_start_i[q] && posted_unf[q] != '0 &&
                      (room[q] >= 17'(FetchDescs) || room[q] >= {1'b0, posted_unf[q]});
      to_end[q]     = {1'b0, q_mask_i[q*16 +: 16]} - {1'b0, fetch_q[q]} + 17'd1;
      addr[q]       = q_ring_base_i[q*64 +: 64] + {44'd0, fetch_q[q], 4'd0};
      to_4k[q]      = 9'd256 - {1'b0, addr[q][11:4]};
      // A batch stops at FetchDescs, what is posted, the cache's room, the ring's end and 4 KiB.
      n_a[q]        = min9(9'(FetchDescs), posted9_q[q]);
      n_b[q]        = min9(room9_q[q], end9_q[q]);
      n_c[q]        = min9(n_a[q], n_b[q]);
      n[q]          = min9(n_c[q], to_4k_q[q]);
      // Beats: from the line holding the first descriptor to the line holding the last.
      lane[q]       = (DpbW + 1)'(fetch_q[q]) & (DpbW + 1)'(Dpb - 1);
      lines[q]      = (9'(lane[q]) + n[q] + 9'(Dpb - 1)) >> $clog2(Dpb);
    end
  end

  logic [NumQ-1:0] want_q, block_q, block2_q, elig;
  logic [8:0]      n_q [NumQ], lines_q [NumQ];
  logic [63:0]     addr_q [NumQ];

  always_ff @(posedge clk_i) begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      posted9_q[q] <= sat9({1'b0, posted_unf[q]});
      room9_q[q]   <= sat9(room[q]);
      end9_q[q]    <= sat9(to_end[q]);
      to_4k_q[q]   <= to_4k[q];
      addr1_q[q]   <= addr[q];
      n_q[q]       <= n[q];
      lines_q[q]   <= lines[q];
      addr_q[q]    <= addr1_q[q];
    end
    if (rst_i) begin
      want1_q <= '0;
      want_q  <= '0;
    end else begin
      want1_q <= want;
      want_q  <= want1_q & want;
    end
  end

  // ---- Issue: round robin over the queues that want a batch ------------------------------
  logic          ar_valid_q;
  logic [63:0]   ar_addr_q;
  logic [7:0]    ar_len_q;
  logic          track_room, track_push;
  logic [QW-1:0] rr_q, pick;
  logic          pick_v;
  logic [QW:0]   cand [NumQ];

  assign elig = want_q & q_running_i & ~q_start_i & ~block_q & ~block2_q;

  // The first eligible queue at or after rr_q (NumQ is small: a short priority chain).
  always_comb begin
    pick_v = 1'b0;
    pick   = '0;
    for (int unsigned i = 0; i < NumQ; i++) begin
      cand[i] = {1'b0, rr_q} + (QW + 1)'(i);
      if (cand[i] >= (QW + 1)'(NumQ)) cand[i] = cand[i] - (QW + 1)'(NumQ);
      if (!pick_v && elig[cand[i][QW-1:0]]) begin
        pick_v = 1'b1;
        pick   = cand[i][QW-1:0];
      end
    end
  end

  logic [15:0]   p_fetch;
  logic [63:0]   p_addr;
  logic [8:0]    p_n, p_lines;

  always_comb begin
    p_fetch = '0;
    p_addr  = '0;
    p_n     = '0;
    p_lines = '0;
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (pick == QW'(q)) begin
        p_fetch = fetch_q[q];
        p_addr  = addr_q[q];
        p_n     = n_q[q];
        p_lines = lines_q[q];
      end
    end
  end

  assign track_push = pick_v && track_room && (!ar_valid_q || m_axi_arready_i);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ar_valid_q <= 1'b0;
      rr_q       <= '0;
      block_q    <= '0;
      block2_q   <= '0;
    end else begin
      for (int unsigned q = 0; q < NumQ; q++) block_q[q] <= track_push && pick == QW'(q);
      block2_q <= block_q;
      if (m_axi_arready_i) ar_valid_q <= 1'b0;
      if (track_push) begin
        ar_valid_q <= 1'b1;
        rr_q       <= (pick == QW'(NumQ - 1)) ? '0 : pick + 1'b1;
      end
    end
    if (track_push) begin
      ar_addr_q <= p_addr;
      ar_len_q  <= 8'(p_lines - 9'd1);
    end
  end

  assign m_axi_araddr_o  = ar_addr_q;
  assign m_axi_arlen_o   = ar_len_q;
  assign m_axi_arvalid_o = ar_valid_q;

  // ---- Responses ---------------------------------------------------------------------------
  logic                 t_valid, t_pop;
  logic [QW-1:0]        t_q;
  logic [15:0]          t_idx;
  logic [8:0]           t_n;
  logic [MRW:0]         t_level;

  nic_fifo #(.Width(TrackBits), .Depth(MaxReads)) u_track (
    .clk_i,
    .rst_i,
    .s_valid_i (track_push),
    .s_ready_o (track_room),
    .s_data_i  ({pick, p_fetch, p_n}),
    .m_valid_o (t_valid),
    .m_ready_i (t_pop),
    .m_data_o  ({t_q, t_idx, t_n}),
    .level_o   (t_level)
  );

  logic          r_first_q, r_err_q;
  logic [15:0]   r_idx_q, r_idx;
  logic [8:0]    r_left_q, r_left, r_cnt;
  logic [DpbW:0] r_lane;
  logic          r_beat, r_bad, r_keep, t_running;
  logic [15:0]   t_mask;
  logic [Dpb-1:0] r_we;
  logic [RW-1:0]  r_row;

  assign m_axi_rready_o = t_valid;
  assign r_beat = m_axi_rvalid_i && t_valid;
  assign t_pop  = r_beat && m_axi_rlast_i;

  always_comb begin
    t_running = 1'b0;
    t_mask    = '0;
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (t_q == QW'(q)) begin
        t_running = q_running_i[q];
        t_mask    = q_mask_i[q*16 +: 16];
      end
    end
    r_idx  = r_first_q ? t_idx : r_idx_q;
    r_left = r_first_q ? t_n : r_left_q;
    r_lane = (DpbW + 1)'(r_idx) & (DpbW + 1)'(Dpb - 1);
    r_cnt  = 9'(Dpb) - 9'(r_lane);
    if (r_cnt > r_left) r_cnt = r_left;
    r_bad  = m_axi_rresp_i != 2'b00 || (!r_first_q && r_err_q);
    r_keep = r_beat && !r_bad && t_running;
    for (int unsigned l = 0; l < Dpb; l++) begin
      r_we[l] = r_keep && 9'(l) >= 9'(r_lane) && 9'(l) < 9'(r_lane) + r_cnt;
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
      r_idx_q  <= (r_idx + 16'(r_cnt)) & t_mask;
      r_left_q <= r_left - r_cnt;
    end
  end

  assign rd_err_o = r_beat && m_axi_rlast_i && r_bad;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      q_err_o[q] = r_beat && m_axi_rresp_i != 2'b00 && t_q == QW'(q);
    end
  end

  always_ff @(posedge clk_i) begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (rst_i || q_start_i[q]) begin
        fetch_q[q]   <= '0;
        fill_q[q]    <= '0;
        fill_rd_q[q] <= '0;
      end else begin
        if (track_push && pick == QW'(q)) begin
          fetch_q[q] <= (fetch_q[q] + 16'(n_q[q])) & q_mask_i[q*16 +: 16];
        end
        if (r_keep && t_q == QW'(q)) begin
          fill_q[q] <= (fill_q[q] + 16'(r_cnt)) & q_mask_i[q*16 +: 16];
        end
        fill_rd_q[q] <= fill_q[q];
      end
      if (rst_i) begin
        rd_cnt_q[q] <= '0;
      end else begin
        rd_cnt_q[q] <= rd_cnt_q[q] + (MRW + 1)'(track_push && pick == QW'(q)) -
                       (MRW + 1)'(t_pop && t_q == QW'(q));
      end
    end
  end

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

  assign idle_o = !ar_valid_q && t_level == '0 && want == '0 && want1_q == '0 && want_q == '0;

  // Unused: the reserved upper bytes of each descriptor; index bits above the cache slot.
  logic unused_rdata;
  always_comb begin
    unused_rdata = ^cache_idx_i;
    for (int unsigned b = 0; b < Dpb; b++) begin
      unused_rdata = unused_rdata ^ (^m_axi_rdata_i[b*128 + 80 +: 48]);
    end
  end

endmodule
