// nic_tx_cpl: transmit completions, in frame order, written to each queue's completion ring.
//
// Every frame gets a record from the gather, in order.  A frame that never entered the offload
// pipeline (a descriptor error) completes as soon as the records before it have; one that did
// waits for its done event from the segmenter (nic_tso done_o: frames leave it in order, so the
// k-th event is the k-th such frame) and for the gather's read-error flag.  The completion
// (nic_hw_pkg::tx_cpl_t: desc_index, err, seg_err, phase, descs, segs) goes to the queue's
// ring at cpl_base + 8 * (index mod size), as one single-beat AXI write with byte strobes;
// phase is 1 on the first pass round the ring and flips at each wrap.  A queue that is not
// running (disabled or stopped) gets nothing written.  Writes are answered in order: the
// answer retires the frame, raises cpl_evt_o (or, on an error, wr_err_o and stops the queue
// with cpl_dma).  Future work: several completions of a queue in one burst.
module nic_tx_cpl #(
  parameter int unsigned DataWidth = 512,
  parameter int unsigned NumQ = 8,
  // Frames between the gather and their completion, at most (records, done events, flags).
  parameter int unsigned Depth = 256,
  // Completion writes outstanding, at most.
  parameter int unsigned WrDepth = 64,
  // Derived.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue state (nic_tx_desc_fetch)
  input  logic [NumQ-1:0]        q_running_i,
  input  logic [NumQ-1:0]        q_start_i,
  input  logic [NumQ*64-1:0]     q_cpl_base_i,
  input  logic [NumQ*4-1:0]      q_log2_i,
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
  // Per queue, the next completion's ring slot, phase and bus address, kept as registers that
  // step by one entry per write (back to the base at the ring's end): no adder between the
  // head record and the write.
  logic [NumQ-1:0][15:0] slot_q;
  logic [NumQ-1:0]       phase_q;
  logic [NumQ-1:0][63:0] caddr_q;
  logic [NumQ-1:0][15:0] mask_q;     // ring size - 1, as at the start
  logic [NumQ-1:0]       wrap;       // the next completion is the ring's last entry
  logic                  write, aw_ready, w_ready, bt_ready, ready;
  nic_hw_pkg::tx_cpl_t   cpl;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      wrap[q] = slot_q[q] == mask_q[q];
    end
  end
  assign write = q_running_i[r_q];
  assign ready = r_valid && (!r_pipe || (d_valid && g_valid));
  assign r_pop = ready && (!write || (aw_ready && w_ready && bt_ready));

  always_comb begin
    cpl            = '0;
    cpl.desc_index = r_idx;
    cpl.descs      = r_n;
    cpl.phase      = phase_q[r_q];
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
  logic [Bytes-1:0] wstrb;
  assign waddr = caddr_q[r_q];
  always_comb begin
    for (int unsigned k = 0; k < Slots; k++) begin
      wstrb[8*k +: 8] = (Slots == 1 || 32'(waddr[3 +: SlotW]) == k) ? 8'hFF : 8'h00;
    end
  end

  nic_skid_buffer #(.Width(64)) u_aw (
    .clk_i,
    .rst_i,
    .s_valid_i (r_pop && write),
    .s_ready_o (aw_ready),
    .s_data_i  (waddr),
    .m_valid_o (m_axi_awvalid_o),
    .m_ready_i (m_axi_awready_i),
    .m_data_o  (m_axi_awaddr_o)
  );
  assign m_axi_awlen_o = 8'd0;

  // The completion sits in every 8-byte slot of the beat; the strobes pick the one at its
  // address.
  nic_skid_buffer #(.Width(DataWidth + Bytes)) u_w (
    .clk_i,
    .rst_i,
    .s_valid_i (r_pop && write),
    .s_ready_o (w_ready),
    .s_data_i  ({{Slots{64'(cpl)}}, wstrb}),
    .m_valid_o (m_axi_wvalid_o),
    .m_ready_i (m_axi_wready_i),
    .m_data_o  ({m_axi_wdata_o, m_axi_wstrb_o})
  );
  assign m_axi_wlast_o = 1'b1;

  // ---- Writes outstanding: what each answer completes --------------------------------------
  logic          bt_valid;
  logic [QW-1:0] bt_q;
  logic          bt_err;
  logic [31:0]   bt_bytes;
  logic [$clog2(WrDepth):0] unused_bt_level;
  nic_fifo #(.Width(QW + 1 + 32), .Depth(WrDepth)) u_bt (
    .clk_i,
    .rst_i,
    .s_valid_i (r_pop && write),
    .s_ready_o (bt_ready),
    .s_data_i  ({r_q, cpl.err != nic_hw_pkg::TxErrNone,
                 cpl.err == nic_hw_pkg::TxErrNone ? 32'(r_len) : 32'd0}),
    .m_valid_o (bt_valid),
    .m_ready_i (m_axi_bvalid_i),
    .m_data_o  ({bt_q, bt_err, bt_bytes}),
    .level_o   (unused_bt_level)
  );
  assign m_axi_bready_o = bt_valid;

  logic b_fire, b_bad;
  assign b_fire = m_axi_bvalid_i && bt_valid;
  assign b_bad  = m_axi_bresp_i != 2'b00;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      for (int unsigned q = 0; q < NumQ; q++) begin
        slot_q[q]  <= '0;
        phase_q[q] <= 1'b1;
      end
      stop_o    <= '0;
      ret_a_o   <= 1'b0;
      ret_b_o   <= 1'b0;
      cpl_evt_o <= 1'b0;
      wr_err_o  <= 1'b0;
    end else begin
      for (int unsigned q = 0; q < NumQ; q++) begin
        if (q_start_i[q]) begin
          slot_q[q]  <= '0;
          phase_q[q] <= 1'b1;
        end else if (r_pop && write && r_q == QW'(q)) begin
          slot_q[q]  <= wrap[q] ? '0 : slot_q[q] + 16'd1;
          phase_q[q] <= phase_q[q] ^ wrap[q];
        end
        stop_o[q] <= b_fire && b_bad && bt_q == QW'(q);
      end
      ret_a_o   <= r_pop && !write;
      ret_b_o   <= b_fire;
      cpl_evt_o <= b_fire && !b_bad;
      wr_err_o  <= b_fire && b_bad;
    end
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (q_start_i[q]) mask_q[q] <= 16'((17'd1 << q_log2_i[4*q +: 4]) - 17'd1);
      if (q_start_i[q]) begin
        caddr_q[q] <= q_cpl_base_i[64*q +: 64];
      end else if (r_pop && write && r_q == QW'(q)) begin
        caddr_q[q] <= wrap[q] ? q_cpl_base_i[64*q +: 64] : caddr_q[q] + 64'd8;
      end
    end
    ret_a_q_o       <= r_q;
    ret_b_q_o       <= bt_q;
    cpl_evt_queue_o <= 16'(bt_q);
    cpl_evt_err_o   <= bt_err;
    cpl_evt_bytes_o <= bt_bytes;
  end

  // A FIFO with entries shows one at its output within two cycles (nic_tx_path waits for 16 idle
  // cycles in a row), so the output valids stand for the levels, with no adder.
  assign idle_o = !r_valid && !d_valid && !g_valid && !bt_valid &&
                  !m_axi_awvalid_o && !m_axi_wvalid_o;

endmodule
