// nic_rx_path: the card's receive path, from the MAC into the host's posted buffers.
//
//   MAC -> nic_csum_rx -> nic_rx_pkt_buf -> nic_rx_plan -> nic_rx_mover -> nic_rx_wr_mux -> AW/W
//                                            |     ^                         ^        |
//                            AR/R <- nic_rx_desc_fetch (cache)      nic_rx_cpl <- done <- B
//
// Every frame from the MAC passes the receive checksum engine (its verdict becomes the
// completion's csum) and is stored whole in the packet buffer, so its length is known before
// any DMA; a frame the MAC flagged bad, shorter than 14 bytes or longer than max_frame_i (the
// port's MTU; at most MaxFrameBytes) is dropped there (drop_evt_nobuf_o = 0), and so is a frame
// that finds the buffer full (drop_evt_nobuf_o = 1).  A frame is steered to queue rx_queue_i
// as its last beat comes from the MAC.  At the buffer's head the planner takes the queue's
// posted buffers from the descriptor cache (prefetched in batches), or drops the frame when the
// queue is not running or has too few buffers posted (drop_evt_nobuf_o = 1); the mover writes
// the frame into its buffers at any byte alignment; once those writes are answered the
// completion writer writes the rx_cpl.  docs/card.md ("Receive") is the contract.
//
// Queues: a rising q_enable_i starts a queue at index 0 with phase 1, once nothing of its
// previous run is in flight, taking its ring bases and size as they are then (later writes to
// them take effect at the next start) after checking them: both bases 64-byte aligned,
// 1 <= log2 <= 15, prod < size; a wrong state stops it at once with q_err_o (ring_align, size,
// prod).  One queue starts a cycle (nic_q_start), so the fetch and the completion writer can
// keep the ring bases in RAM.  While running, prod >= size, a descriptor read error (desc_dma)
// or a completion write error (cpl_dma) stop it.  A stopped queue writes nothing more.  A
// disabled queue takes no new frame; frames already given buffers are finished, completions
// included (on the rings of the run they belong to).
//
// AXI: one ID per direction; reads and writes of whole beats, at most 64 beats, never across
// 4 KiB (docs/card.md).  Responses must come back in order per direction.
module nic_rx_path #(
  // Stream and AXI data width in bits: 128 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Receive queues.
  parameter int unsigned NumQ = 8,
  // Most buffers one frame may fill (card.rx_max_bufs); a frame needing more is dropped as bad.
  parameter int unsigned MaxBufs = 16,
  // Longest frame taken; a longer one is dropped as bad.
  parameter int unsigned MaxFrameBytes = 9216,
  // Packet buffer bytes (a power of two): several jumbo frames.
  parameter int unsigned BufBytes = 65536,
  // Frames the packet buffer holds at most (a power of two).
  parameter int unsigned FrameSlots = 512,
  // Descriptors cached per queue (a power of two): covers the read latency at one small frame
  // a cycle.
  parameter int unsigned DescCache = 256,
  // Descriptors per read.
  parameter int unsigned FetchDescs = 32,
  // Descriptor reads outstanding at most (a power of two).
  parameter int unsigned MaxReads = 16,
  // Frames between the planner and their completion, at most (a power of two).
  parameter int unsigned CplDepth = 256
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue registers (rxq blocks), queue q in bits [q*W +: W]; the ring bases of queue
  // q_base_q_o only, read from the register block's RAM in the same cycle (q_base_q_o depends
  // on registers only)
  input  logic [NumQ-1:0]        q_enable_i,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] q_base_q_o,
  input  logic [63:0]            q_ring_base_i,
  input  logic [63:0]            q_cpl_base_i,
  input  logic [NumQ*4-1:0]      q_log2_i,
  input  logic [NumQ*16-1:0]     q_prod_i,       // buffers posted up to here
  // A doorbell: queue q_db_q_i's q_prod_i changed, in the first cycle it shows the new value
  // (one a cycle, as the register block writes).
  input  logic                   q_db_i,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] q_db_q_i,
  output logic [NumQ*16-1:0]     q_cons_o,       // next buffer the card will fill
  output logic [NumQ-1:0]        q_running_o,
  output logic [NumQ*4-1:0]      q_err_o,        // nic_hw_pkg::queue_err_e

  input  logic [15:0]            rx_queue_i,     // port.ctrl.rx_queue
  input  logic                   csum_enable_i,  // csum.ctrl.rx_enable
  input  logic [15:0]            max_frame_i,    // longest frame taken now (port.mtu + 18)

  // ---- Events, one-cycle pulses
  output logic                   cpl_evt_o,      // a completion was written (and answered)
  output logic [15:0]            cpl_evt_queue_o,
  output logic                   cpl_evt_err_o,  // it has err_desc or err_dma
  output logic [31:0]            cpl_evt_bytes_o,
  output logic                   drop_evt_o,     // a frame was dropped
  output logic [15:0]            drop_evt_queue_o,
  output logic                   drop_evt_nobuf_o, // 1: queue not running / no room; 0: bad
  output logic                   rx_frame_o,     // a frame came from the MAC (good or bad)
  output logic [15:0]            rx_bytes_o,
  output logic                   csum_frame_o,
  output logic                   csum_l3_bad_o,
  output logic                   csum_l4_bad_o,
  output logic                   rd_err_o,       // a read burst was answered with an error
  output logic                   wr_err_o,       // a write burst was answered with an error

  // ---- AXI4 DMA master (one ID)
  output logic [63:0]            m_axi_araddr_o,
  output logic [7:0]             m_axi_arlen_o,
  output logic                   m_axi_arvalid_o,
  input  logic                   m_axi_arready_i,
  input  logic [DataWidth-1:0]   m_axi_rdata_i,
  input  logic [1:0]             m_axi_rresp_i,
  input  logic                   m_axi_rlast_i,
  input  logic                   m_axi_rvalid_i,
  output logic                   m_axi_rready_o,
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

  // ---- Frames from the MAC (no tready: a beat may come every cycle)
  input  logic [DataWidth-1:0]   s_axis_rx_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_rx_tkeep_i,
  input  logic                   s_axis_rx_tlast_i,
  input  logic                   s_axis_rx_tuser_i,  // on the last beat: the frame is bad
  input  logic                   s_axis_rx_tvalid_i,

  // Nothing buffered or in flight, nothing about to start.
  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned QW = $clog2(NumQ > 1 ? NumQ : 2);
  localparam int unsigned BufBeats = BufBytes / Bytes;
  localparam int unsigned BadDepth = 128;     // frames inside nic_csum_rx, at most (see there)
  localparam int unsigned JobDepth = 32;
  // A frame's "data answered" entry waits here for its completion record, which is in u_cpls
  // (at most CplDepth + 1 of them) from before the frame's first write: this FIFO never fills,
  // so write responses are never held back behind completions.
  localparam int unsigned DoneDepth = 2 * CplDepth;
  localparam int unsigned IW = 12;            // per-queue in-flight counts

  if (DataWidth < 128 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_rx_path: DataWidth must be a power of two from 128 to 512");
  end
  if (NumQ < 1 || NumQ > 1024) begin : g_bad_q
    $fatal(1, "nic_rx_path: NumQ must be within 1..1024");
  end
  if (DescCache < MaxBufs) begin : g_bad_cache
    $fatal(1, "nic_rx_path: DescCache must hold at least MaxBufs descriptors");
  end

  // ======================================================================================
  // Queue control
  // ======================================================================================
  logic [NumQ-1:0]    en_q, pend_q, running_q, start_rdy, start, run_ok;
  logic [3:0]         err_q [NumQ];
  logic [NumQ*16-1:0] mask_in;         // ring size - 1 from q_log2_i
  logic [NumQ*16-1:0] mask_q;          // ...latched at start
  logic [QW-1:0]      start_id;        // the starting queue, and its ring bases (for the RAMs
  logic [63:0]        start_rbase, start_cbase;  // of the fetch and the completion writer)
  logic [NumQ-1:0]    stopped, rd_busy, plan_busy, desc_err;
  logic [NumQ*16-1:0] cons, fill;
  logic [IW-1:0]      inflight_q [NumQ];
  logic [NumQ-1:0]    inflight;        // the count, or a push still on its way into it
  logic               cplb, cplb_err;
  logic [QW-1:0]      cplb_q;
  logic               plan_cpl_push, retire;
  logic [QW-1:0]      plan_cpl_q, retire_q;
  // The planner's pushes reach the in-flight counts a cycle late: its push comes at the end of
  // the receive path's longest logic (the queue lookups inside the planner), and the counts'
  // adders behind it made that the card's critical path.
  logic               push_q;
  logic [QW-1:0]      push_qid_q;
  // A producer index past the ring stops the queue, and nothing may act on it meanwhile.  The
  // fetch and the planner act on a producer index only through values registered from it (the
  // fetch's batch stages, the planner's counts), a cycle after it came at the earliest; so the
  // check is registered too (prod_bad_q: last cycle's index is past the ring), and run_ok is low
  // from the cycle those values first hold a bad index.  So the compare is not in front of
  // everything that reads run_ok (it was the receive path's longest path).  At a start the new
  // ring's check is the start's own (a queue with prod past it does not run).
  logic [NumQ-1:0]    prod_bad_q;

  // Per queue in a generate loop: one process for all queues would make every output of it
  // depend on every input for Verilator once it no longer unrolls the loop (hundreds of
  // queues), which it reports as a combinational loop through the queue registers.
  for (genvar q = 0; q < NumQ; q++) begin : g_q_comb
    always_comb begin
      mask_in[q*16 +: 16] = nic_pkg::ring_mask(q_log2_i[q*4 +: 4]);
      stopped[q]       = err_q[q] != nic_hw_pkg::QueueErrNone;
      run_ok[q]        = running_q[q] && !prod_bad_q[q];
      inflight[q]      = inflight_q[q] != '0 || (push_q && push_qid_q == QW'(q));
      // Ready to start once the previous run has nothing left in flight.
      start_rdy[q]     = pend_q[q] && q_enable_i[q] && !inflight[q] && !rd_busy[q] &&
                         !plan_busy[q];
      q_running_o[q]   = running_q[q];
      q_err_o[q*4 +: 4] = err_q[q];
    end
  end

  for (genvar q = 0; q < NumQ; q++) begin : g_q_state
    always_ff @(posedge clk_i) begin
      if (rst_i) begin
        en_q[q]       <= 1'b0;
        pend_q[q]     <= 1'b0;
        running_q[q]  <= 1'b0;
        err_q[q]      <= nic_hw_pkg::QueueErrNone;
        inflight_q[q] <= '0;
      end else begin
        en_q[q] <= q_enable_i[q];
        if (!q_enable_i[q]) begin
          pend_q[q]    <= 1'b0;
          running_q[q] <= 1'b0;
        end else if (!en_q[q]) begin
          pend_q[q] <= 1'b1;
        end
        if (start[q]) begin
          pend_q[q] <= 1'b0;
          mask_q[q*16 +: 16]      <= mask_in[q*16 +: 16];
          if (start_rbase[5:0] != '0 || start_cbase[5:0] != '0) begin  // this queue's
            err_q[q]     <= nic_hw_pkg::QueueErrRingAlign;
            running_q[q] <= 1'b0;
          end else if (q_log2_i[q*4 +: 4] == 4'd0) begin
            err_q[q]     <= nic_hw_pkg::QueueErrSize;
            running_q[q] <= 1'b0;
          end else if (q_prod_i[q*16 +: 16] > mask_in[q*16 +: 16]) begin
            err_q[q]     <= nic_hw_pkg::QueueErrProd;
            running_q[q] <= 1'b0;
          end else begin
            err_q[q]     <= nic_hw_pkg::QueueErrNone;
            running_q[q] <= 1'b1;
          end
        end else if (running_q[q]) begin
          if (prod_bad_q[q]) begin
            err_q[q]     <= nic_hw_pkg::QueueErrProd;
            running_q[q] <= 1'b0;
          end else if (desc_err[q]) begin
            err_q[q]     <= nic_hw_pkg::QueueErrDescDma;
            running_q[q] <= 1'b0;
          end
        end
        // A completion write error stops the queue even when the host has just disabled it
        // (its frames were still being finished).
        if (!start[q] && cplb && cplb_err && cplb_q == QW'(q) && !stopped[q] &&
            (running_q[q] || q_enable_i[q] || pend_q[q] || inflight[q])) begin
          err_q[q]     <= nic_hw_pkg::QueueErrCplDma;
          running_q[q] <= 1'b0;
        end
        // A record cannot retire before the cycle its push is counted in, so the count never
        // goes below 0.
        inflight_q[q] <= inflight_q[q] + IW'(push_q && push_qid_q == QW'(q)) -
                         IW'(retire && retire_q == QW'(q));
      end
    end
  end

  // One start a cycle: the fetch and the completion writer keep the ring bases in RAM, written
  // at the start.  nic_q_start chooses from last cycle's ready queues; a queue starts a cycle
  // after it becomes ready (more when lower-numbered queues start with it).  The chosen queue's
  // bases are read from the register block by its number.
  logic [3:0] unused_start_log2;
  nic_q_start #(.NumQ(NumQ)) u_start (
    .clk_i,
    .rst_i,
    .rdy_i   (start_rdy),
    .log2_i  (q_log2_i),
    .start_o (start),
    .id_o    (start_id),
    .log2_o  (unused_start_log2)
  );
  assign q_base_q_o  = start_id;
  assign start_rbase = q_ring_base_i;
  assign start_cbase = q_cpl_base_i;

  for (genvar q = 0; q < NumQ; q++) begin : g_q_prod
    always_ff @(posedge clk_i) begin
      prod_bad_q[q] <= !start[q] && q_prod_i[q*16 +: 16] > mask_q[q*16 +: 16];
    end
  end

  always_ff @(posedge clk_i) begin
    push_q     <= !rst_i && plan_cpl_push;
    push_qid_q <= plan_cpl_q;
  end

  assign q_cons_o = cons;

  // ======================================================================================
  // MAC -> checksum engine -> packet buffer
  // ======================================================================================
  logic                 cs_ready, cs_valid, cs_last;
  logic [DataWidth-1:0] cs_data;
  logic [Bytes-1:0]     cs_keep;
  logic [63:0]          cs_user;
  logic                 cs_frame, cs_l3_bad, cs_l4_bad;

  nic_csum_rx #(.DataWidth(DataWidth)) u_csum (
    .clk_i,
    .rst_i,
    .enable_i        (csum_enable_i),
    .s_axis_tdata_i  (s_axis_rx_tdata_i),
    .s_axis_tkeep_i  (s_axis_rx_tkeep_i),
    .s_axis_tlast_i  (s_axis_rx_tlast_i),
    .s_axis_tvalid_i (s_axis_rx_tvalid_i),
    .s_axis_tready_o (cs_ready),
    .m_axis_tdata_o  (cs_data),
    .m_axis_tkeep_o  (cs_keep),
    .m_axis_tlast_o  (cs_last),
    .m_axis_tuser_o  (cs_user),
    .m_axis_tvalid_o (cs_valid),
    .m_axis_tready_i (1'b1),
    .frame_o         (cs_frame),
    .l3_bad_o        (cs_l3_bad),
    .l4_bad_o        (cs_l4_bad)
  );

  // The MAC's bad flag and the frame's queue (the steering as the frame's last beat came)
  // wait beside the engine, one entry per frame inside it.
  logic                    bad_valid, bad_flag, unused_bad_room;
  logic [15:0]             bad_queue;
  logic [$clog2(BadDepth):0] bad_level;
  logic [15:0]             cs_beats_q;     // beats inside the engine

  nic_fifo #(.Width(17), .Depth(BadDepth)) u_bad (
    .clk_i,
    .rst_i,
    .s_valid_i (s_axis_rx_tvalid_i && s_axis_rx_tlast_i),
    .s_ready_o (unused_bad_room),
    .s_data_i  ({s_axis_rx_tuser_i, rx_queue_i}),
    .m_valid_o (bad_valid),
    .m_ready_i (cs_valid && cs_last),
    .m_data_o  ({bad_flag, bad_queue}),
    .level_o   (bad_level)
  );

  always_ff @(posedge clk_i) begin
    if (rst_i) cs_beats_q <= '0;
    else cs_beats_q <= cs_beats_q + 16'(s_axis_rx_tvalid_i) - 16'(cs_valid);
  end

`ifndef SYNTHESIS
  // With its output never held, the engine always takes a beat (nic_csum_rx README).
  always_ff @(posedge clk_i) begin
    if (!rst_i && s_axis_rx_tvalid_i && !cs_ready) $error("nic_rx_path: checksum engine stalled");
    if (!rst_i && cs_valid && cs_last && !bad_valid) $error("nic_rx_path: bad-flag FIFO empty");
  end
`endif

  logic        pb_frame, pb_drop, pb_drop_nobuf;
  logic [15:0] pb_frame_bytes, pb_drop_queue;
  logic        pb_drop_q, pb_drop_nobuf_q;
  logic [15:0] pb_drop_queue_q;
  logic        info_valid, info_ready, info_vlan;
  logic [15:0] info_len, info_tci, info_queue;
  logic [63:0] info_csum;
  logic [1:0]  la_avail, la_pop;
  logic [DataWidth-1:0] la0, la1;
  logic        pb_idle;

  nic_rx_pkt_buf #(
    .DataWidth     (DataWidth),
    .Depth         (BufBeats),
    .FrameSlots    (FrameSlots),
    .MaxFrameBytes (MaxFrameBytes)
  ) u_pkt_buf (
    .clk_i,
    .rst_i,
    .s_tdata_i     (cs_data),
    .s_tkeep_i     (cs_keep),
    .s_tlast_i     (cs_last),
    .s_csum_i      (cs_user),
    .s_bad_i       (bad_flag),
    .s_queue_i     (bad_queue),
    .s_tvalid_i    (cs_valid),
    .max_frame_i,
    .frame_o       (pb_frame),
    .frame_bytes_o (pb_frame_bytes),
    .drop_o        (pb_drop),
    .drop_nobuf_o  (pb_drop_nobuf),
    .drop_queue_o  (pb_drop_queue),
    .info_valid_o  (info_valid),
    .info_ready_i  (info_ready),
    .info_len_o    (info_len),
    .info_csum_o   (info_csum),
    .info_vlan_o   (info_vlan),
    .info_tci_o    (info_tci),
    .info_queue_o  (info_queue),
    .la_avail_o    (la_avail),
    .la0_o         (la0),
    .la1_o         (la1),
    .la_pop_i      (la_pop),
    .idle_o        (pb_idle)
  );

  // The packet buffer's drop decision comes late in its cycle (the frame's length and the
  // buffer's room); it is registered before it holds the planner's own drop, which was the
  // whole card's longest path (into the planner's next-record registers).
  always_ff @(posedge clk_i) begin
    if (rst_i) pb_drop_q <= 1'b0;
    else pb_drop_q <= pb_drop;
    pb_drop_nobuf_q <= pb_drop_nobuf;
    pb_drop_queue_q <= pb_drop_queue;
  end

  // ======================================================================================
  // Descriptors and planning
  // ======================================================================================
  logic [QW-1:0] cache_q;
  logic [15:0]   cache_idx, cache_len;
  logic [63:0]   cache_addr;
  logic          fetch_idle, fetch_rd_err;

  nic_rx_desc_fetch #(
    .DataWidth  (DataWidth),
    .NumQ       (NumQ),
    .CacheDescs (DescCache),
    .FetchDescs (FetchDescs),
    .MaxReads   (MaxReads)
  ) u_fetch (
    .clk_i,
    .rst_i,
    .q_start_i      (start),
    .start_q_i      (start_id),
    .start_base_i   (start_rbase),
    .q_running_i    (run_ok),
    .q_mask_i       (mask_q),
    .q_prod_i,
    .q_cons_i       (cons),
    .db_i           (q_db_i),
    .db_q_i         (q_db_q_i),
    .take_i         (push_q),
    .take_q_i       (push_qid_q),
    .q_fill_o       (fill),
    .q_rd_busy_o    (rd_busy),
    .q_err_o        (desc_err),
    .rd_err_o       (fetch_rd_err),
    .idle_o         (fetch_idle),
    .cache_q_i      (cache_q),
    .cache_idx_i    (cache_idx),
    .cache_addr_o   (cache_addr),
    .cache_len_o    (cache_len),
    .m_axi_araddr_o,
    .m_axi_arlen_o,
    .m_axi_arvalid_o,
    .m_axi_arready_i,
    .m_axi_rdata_i,
    .m_axi_rresp_i,
    .m_axi_rlast_i,
    .m_axi_rvalid_i,
    .m_axi_rready_o
  );

  localparam int unsigned JobBits = 3 + QW + 16 * 3 + 64;
  localparam int unsigned CplBits = QW + 16 + 5 + 16 + 64 + 1 + 16 + 1 + 1;

  logic                job_valid, job_ready, job_drop, job_first, job_last;
  logic [QW-1:0]       job_q;
  logic [15:0]         job_flen, job_foff, job_nbytes;
  logic [63:0]         job_addr;
  logic                cpl_valid, cpl_ready, cpl_vlan, cpl_err_desc, cpl_has_data;
  logic [QW-1:0]       cpl_q;
  logic [15:0]         cpl_desc_idx, cpl_len, cpl_tci;
  logic [4:0]          cpl_bufs;
  logic [63:0]         cpl_csum;
  logic                pl_drop, pl_drop_nobuf, plan_idle;
  logic [15:0]         pl_drop_queue;

  nic_rx_plan #(.NumQ(NumQ), .MaxBufs(MaxBufs)) u_plan (
    .clk_i,
    .rst_i,
    .info_valid_i   (info_valid),
    .info_ready_o   (info_ready),
    .info_len_i     (info_len),
    .info_csum_i    (info_csum),
    .info_vlan_i    (info_vlan),
    .info_tci_i     (info_tci),
    .info_queue_i   (info_queue),
    .q_start_i      (start),
    .q_running_i    (run_ok),
    .q_mask_i       (mask_q),
    .q_prod_i,
    .q_fill_i       (fill),
    .q_cons_o       (cons),
    .q_busy_o       (plan_busy),
    .cache_q_o      (cache_q),
    .cache_idx_o    (cache_idx),
    .cache_addr_i   (cache_addr),
    .cache_len_i    (cache_len),
    .job_valid_o    (job_valid),
    .job_ready_i    (job_ready),
    .job_drop_o     (job_drop),
    .job_first_o    (job_first),
    .job_last_o     (job_last),
    .job_q_o        (job_q),
    .job_flen_o     (job_flen),
    .job_foff_o     (job_foff),
    .job_nbytes_o   (job_nbytes),
    .job_addr_o     (job_addr),
    .cpl_valid_o    (cpl_valid),
    .cpl_ready_i    (cpl_ready),
    .cpl_q_o        (cpl_q),
    .cpl_desc_idx_o (cpl_desc_idx),
    .cpl_bufs_o     (cpl_bufs),
    .cpl_len_o      (cpl_len),
    .cpl_csum_o     (cpl_csum),
    .cpl_vlan_o     (cpl_vlan),
    .cpl_tci_o      (cpl_tci),
    .cpl_err_desc_o (cpl_err_desc),
    .cpl_has_data_o (cpl_has_data),
    .drop_block_i   (pb_drop_q),
    .drop_o         (pl_drop),
    .drop_nobuf_o   (pl_drop_nobuf),
    .drop_queue_o   (pl_drop_queue),
    .idle_o         (plan_idle)
  );

  assign plan_cpl_push = cpl_valid && cpl_ready;
  assign plan_cpl_q    = cpl_q;

  // ---- Jobs to the mover, records to the completion writer --------------------------------
  logic                jf_valid, jf_ready;
  logic                jf_drop, jf_first, jf_last;
  logic [QW-1:0]       jf_q;
  logic [15:0]         jf_flen, jf_foff, jf_nbytes;
  logic [63:0]         jf_addr;
  logic [$clog2(JobDepth):0] jf_level;

  nic_fifo #(.Width(JobBits), .Depth(JobDepth)) u_jobs (
    .clk_i,
    .rst_i,
    .s_valid_i (job_valid),
    .s_ready_o (job_ready),
    .s_data_i  ({job_drop, job_first, job_last, job_q, job_flen, job_foff, job_nbytes, job_addr}),
    .m_valid_o (jf_valid),
    .m_ready_i (jf_ready),
    .m_data_o  ({jf_drop, jf_first, jf_last, jf_q, jf_flen, jf_foff, jf_nbytes, jf_addr}),
    .level_o   (jf_level)
  );

  logic                cf_valid, cf_ready, cf_vlan, cf_err_desc, cf_has_data;
  logic [QW-1:0]       cf_q;
  logic [15:0]         cf_desc_idx, cf_len, cf_tci;
  logic [4:0]          cf_bufs;
  logic [63:0]         cf_csum;
  logic [$clog2(CplDepth):0] cf_level;

  nic_fifo #(.Width(CplBits), .Depth(CplDepth)) u_cpls (
    .clk_i,
    .rst_i,
    .s_valid_i (cpl_valid),
    .s_ready_o (cpl_ready),
    .s_data_i  ({cpl_q, cpl_desc_idx, cpl_bufs, cpl_len, cpl_csum, cpl_vlan, cpl_tci,
                 cpl_err_desc, cpl_has_data}),
    .m_valid_o (cf_valid),
    .m_ready_i (cf_ready),
    .m_data_o  ({cf_q, cf_desc_idx, cf_bufs, cf_len, cf_csum, cf_vlan, cf_tci,
                 cf_err_desc, cf_has_data}),
    .level_o   (cf_level)
  );

  // ======================================================================================
  // Data writes, completions
  // ======================================================================================
  logic                 mv_valid, mv_ready, mv_beat, mv_wlast, mv_aw, mv_fend, mover_idle;
  logic [DataWidth-1:0] mv_data;
  logic [Bytes-1:0]     mv_strb;
  logic [63:0]          mv_aw_addr;
  logic [7:0]           mv_aw_len;

  nic_rx_mover #(.DataWidth(DataWidth), .NumQ(NumQ)) u_mover (
    .clk_i,
    .rst_i,
    .job_valid_i   (jf_valid),
    .job_ready_o   (jf_ready),
    .job_drop_i    (jf_drop),
    .job_first_i   (jf_first),
    .job_last_i    (jf_last),
    .job_q_i       (jf_q),
    .job_flen_i    (jf_flen),
    .job_foff_i    (jf_foff),
    .job_nbytes_i  (jf_nbytes),
    .job_addr_i    (jf_addr),
    .q_stopped_i   (stopped),
    .la_avail_i    (la_avail),
    .la0_i         (la0),
    .la1_i         (la1),
    .la_pop_o      (la_pop),
    .o_valid_o     (mv_valid),
    .o_ready_i     (mv_ready),
    .o_beat_o      (mv_beat),
    .o_data_o      (mv_data),
    .o_strb_o      (mv_strb),
    .o_wlast_o     (mv_wlast),
    .o_aw_o        (mv_aw),
    .o_aw_addr_o   (mv_aw_addr),
    .o_aw_len_o    (mv_aw_len),
    .o_frame_end_o (mv_fend),
    .idle_o        (mover_idle)
  );

  logic                 cl_valid, cl_ready;
  logic [DataWidth-1:0] cl_data;
  logic [Bytes-1:0]     cl_strb;
  logic [63:0]          cl_addr;
  logic [QW-1:0]        cl_q;
  logic                 dn_valid, dn_ready, dn_err, df_valid, df_ready, df_err;
  logic [$clog2(DoneDepth):0] df_level;
  logic                 wm_idle, wm_wr_err, cpl_idle;

  nic_rx_wr_mux #(.DataWidth(DataWidth), .NumQ(NumQ)) u_wr (
    .clk_i,
    .rst_i,
    .d_valid_i       (mv_valid),
    .d_ready_o       (mv_ready),
    .d_beat_i        (mv_beat),
    .d_data_i        (mv_data),
    .d_strb_i        (mv_strb),
    .d_wlast_i       (mv_wlast),
    .d_aw_i          (mv_aw),
    .d_aw_addr_i     (mv_aw_addr),
    .d_aw_len_i      (mv_aw_len),
    .d_frame_end_i   (mv_fend),
    .c_valid_i       (cl_valid),
    .c_ready_o       (cl_ready),
    .c_data_i        (cl_data),
    .c_strb_i        (cl_strb),
    .c_addr_i        (cl_addr),
    .c_q_i           (cl_q),
    .done_valid_o    (dn_valid),
    .done_ready_i    (dn_ready),
    .done_err_o      (dn_err),
    .cplb_o          (cplb),
    .cplb_q_o        (cplb_q),
    .cplb_err_o      (cplb_err),
    .wr_err_o        (wm_wr_err),
    .idle_o          (wm_idle),
    .m_axi_awaddr_o,
    .m_axi_awlen_o,
    .m_axi_awvalid_o,
    .m_axi_awready_i,
    .m_axi_wdata_o,
    .m_axi_wstrb_o,
    .m_axi_wlast_o,
    .m_axi_wvalid_o,
    .m_axi_wready_i,
    .m_axi_bresp_i,
    .m_axi_bvalid_i,
    .m_axi_bready_o
  );

  nic_fifo #(.Width(1), .Depth(DoneDepth)) u_done (
    .clk_i,
    .rst_i,
    .s_valid_i (dn_valid),
    .s_ready_o (dn_ready),
    .s_data_i  (dn_err),
    .m_valid_o (df_valid),
    .m_ready_i (df_ready),
    .m_data_o  (df_err),
    .level_o   (df_level)
  );

  logic        ev_cpl, ev_cpl_err;
  logic [15:0] ev_cpl_queue;
  logic [31:0] ev_cpl_bytes;

  nic_rx_cpl #(.DataWidth(DataWidth), .NumQ(NumQ)) u_cpl (
    .clk_i,
    .rst_i,
    .r_valid_i       (cf_valid),
    .r_ready_o       (cf_ready),
    .r_q_i           (cf_q),
    .r_desc_idx_i    (cf_desc_idx),
    .r_bufs_i        (cf_bufs),
    .r_len_i         (cf_len),
    .r_csum_i        (cf_csum),
    .r_vlan_i        (cf_vlan),
    .r_tci_i         (cf_tci),
    .r_err_desc_i    (cf_err_desc),
    .r_has_data_i    (cf_has_data),
    .done_valid_i    (df_valid),
    .done_ready_o    (df_ready),
    .done_err_i      (df_err),
    .q_start_i       (start),
    .start_q_i       (start_id),
    .start_cbase_i   (start_cbase),
    .q_stopped_i     (stopped),
    .q_mask_i        (mask_q),
    .c_valid_o       (cl_valid),
    .c_ready_i       (cl_ready),
    .c_data_o        (cl_data),
    .c_strb_o        (cl_strb),
    .c_addr_o        (cl_addr),
    .c_q_o           (cl_q),
    .cplb_i          (cplb),
    .cplb_err_i      (cplb_err),
    .cpl_evt_o       (ev_cpl),
    .cpl_evt_queue_o (ev_cpl_queue),
    .cpl_evt_err_o   (ev_cpl_err),
    .cpl_evt_bytes_o (ev_cpl_bytes),
    .retire_o        (retire),
    .retire_q_o      (retire_q),
    .idle_o          (cpl_idle)
  );

  // ======================================================================================
  // Events (registered) and idle
  // ======================================================================================
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      cpl_evt_o     <= 1'b0;
      drop_evt_o    <= 1'b0;
      rx_frame_o    <= 1'b0;
      csum_frame_o  <= 1'b0;
      csum_l3_bad_o <= 1'b0;
      csum_l4_bad_o <= 1'b0;
      rd_err_o      <= 1'b0;
      wr_err_o      <= 1'b0;
    end else begin
      cpl_evt_o     <= ev_cpl;
      // The packet buffer's drops cannot wait; the planner holds its own for a cycle.
      drop_evt_o    <= pb_drop_q || pl_drop;
      rx_frame_o    <= pb_frame;
      csum_frame_o  <= cs_frame;
      csum_l3_bad_o <= cs_l3_bad;
      csum_l4_bad_o <= cs_l4_bad;
      rd_err_o      <= fetch_rd_err;
      wr_err_o      <= wm_wr_err;
    end
    cpl_evt_queue_o  <= ev_cpl_queue;
    cpl_evt_err_o    <= ev_cpl_err;
    cpl_evt_bytes_o  <= ev_cpl_bytes;
    drop_evt_queue_o <= pb_drop_q ? pb_drop_queue_q : pl_drop_queue;
    drop_evt_nobuf_o <= pb_drop_q ? pb_drop_nobuf_q : pl_drop_nobuf;
    rx_bytes_o       <= pb_frame_bytes;
  end

  assign idle_o = cs_beats_q == '0 && bad_level == '0 && pb_idle && plan_idle &&
                  jf_level == '0 && cf_level == '0 && df_level == '0 && fetch_idle &&
                  mover_idle && wm_idle && cpl_idle && pend_q == '0 && !push_q && !pb_drop_q;

endmodule
