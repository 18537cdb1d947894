// nic_tx_path: the card's transmit path, from the host's descriptor rings to the MAC.
//
// docs/card.md "Transmit" is the contract.  The blocks, in the order a frame meets them:
//   nic_tx_desc_fetch  queue state, round-robin descriptor fetch into a per-queue store, and a
//                      scanner that cuts the descriptors into frames and judges each
//                      (desc_len, desc_count);
//   nic_tx_gather      reads each good frame's buffers (bursts <= 4 KiB, many in flight) and
//                      packs their bytes into one frame stream with its offload command;
//   nic_tx_offload     segmentation, then checksums (rtl/tso), to the MAC;
//   nic_tx_cpl         completions in frame order per queue, after the segmenter's done event
//                      for frames that went into the pipeline;
//   nic_tx_rd_mux      the shared AXI read channel: descriptor reads first, and a tracking
//                      FIFO that routes the in-order answers.
// Throughput: one descriptor, one burst request, one data beat per cycle; 64-byte frames in
// one buffer each cost one beat and half a descriptor beat of the read channel.  See
// rtl/dma/README.md for the figures.
//
// idle_o: nothing in flight anywhere (no read or write outstanding, no frame or descriptor
// held, no queue with work it can do), for 16 cycles in a row, so internal pulses have
// settled; a simulator may then skip cycles until an input changes.
module nic_tx_path #(
  // AXI and stream data width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Transmit queues.
  parameter int unsigned NumQ = 8,
  // Most descriptors per frame (card.tx_max_descs).
  parameter int unsigned MaxDescs = 16,
  // Longest frame that is not a segmentation request (a segmentation request may have
  // 256 + 65535 bytes).
  parameter int unsigned MaxFrameBytes = 9216
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue registers (txq blocks), queue q in bits [q*W +: W]; the ring bases of queue
  // q_base_q_o only, read from the register block's RAM in the same cycle (q_base_q_o depends
  // on registers only)
  input  logic [NumQ-1:0]        q_enable_i,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] q_base_q_o,
  input  logic [63:0]            q_ring_base_i,
  input  logic [63:0]            q_cpl_base_i,
  input  logic [NumQ*4-1:0]      q_log2_i,
  input  logic [NumQ*16-1:0]     q_prod_i,
  output logic [NumQ*16-1:0]     q_cons_o,
  output logic [NumQ-1:0]        q_running_o,
  output logic [NumQ*4-1:0]      q_err_o,        // nic_hw_pkg::queue_err_e

  // CSR csum.ctrl.tx_enable.
  input  logic                   csum_enable_i,

  // ---- Events, one-cycle pulses for counters and interrupts
  output logic                   cpl_evt_o,       // a completion was written
  output logic [15:0]            cpl_evt_queue_o,
  output logic                   cpl_evt_err_o,
  output logic [31:0]            cpl_evt_bytes_o, // the frame's bytes as gathered (0 on error)
  output logic                   seg_req_o,
  output logic                   seg_o,
  output logic                   seg_err_o,
  output logic [3:0]             seg_err_code_o,  // nic_hw_pkg::seg_err_e
  output logic                   csum_frame_o,
  output logic                   csum_error_o,
  output logic                   wire_frame_o,    // a frame went to the MAC
  output logic [15:0]            wire_bytes_o,
  output logic                   rd_err_o,        // a read burst was answered with an error
  output logic                   wr_err_o,        // a write was answered with an error

  // ---- AXI4 DMA master (one ID, INCR, <= 64 beats, never across 4 KiB)
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

  // ---- Frames to the MAC
  output logic [DataWidth-1:0]   m_axis_tx_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tx_tkeep_o,
  output logic                   m_axis_tx_tlast_o,
  output logic                   m_axis_tx_tvalid_o,
  input  logic                   m_axis_tx_tready_i,

  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LB = $clog2(Bytes);
  localparam int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1;
  localparam int unsigned DescTagW = QW + 4;
  localparam int unsigned DataTagW = 2 * LB + 15;
  localparam int unsigned TrackDepth = 256;
  localparam int unsigned CplDepth = 256;

  if (DataWidth < 64 || DataWidth > 512 || (1 << LB) != Bytes) begin : g_bad_w
    $fatal(1, "nic_tx_path: DataWidth must be a power of two from 64 to 512");
  end
  if (NumQ < 1 || NumQ > 256 || MaxFrameBytes < 64 || MaxFrameBytes > 9216) begin : g_bad_p
    $fatal(1, "nic_tx_path: NumQ must be 1..256, MaxFrameBytes 64..9216");
  end

  // ---- Descriptor side ---------------------------------------------------------------------
  logic [NumQ-1:0]      q_start, cpl_stop;
  logic [QW-1:0]        start_q;
  logic [63:0]          start_cbase;
  logic [3:0]           start_log2;
  logic                 ret_a, ret_b;
  logic [QW-1:0]        ret_a_q, ret_b_q;

  logic                 dreq_valid, dreq_ready, drd_valid, drd_ready, drd_err, drd_last;
  logic [63:0]          dreq_addr;
  logic [7:0]           dreq_len;
  logic [DescTagW-1:0]  dreq_tag, drd_tag;
  logic [DataWidth-1:0] drd_data;

  logic                 rec_valid, rec_ready, dsc_valid, dsc_ready;
  logic [QW-1:0]        rec_q;
  logic [7:0]           rec_n;
  logic [15:0]          rec_idx, dsc_len;
  logic [3:0]           rec_err;
  logic [20:0]          rec_len;
  logic [127:0]         rec_cmd;
  logic [63:0]          dsc_addr;
  logic [12:0]          dsc_tobnd;
  logic                 dsc_fit1, dsc_fit2;
  logic                 desc_idle;

  nic_tx_desc_fetch #(
    .DataWidth(DataWidth), .NumQ(NumQ), .MaxDescs(MaxDescs), .MaxFrameBytes(MaxFrameBytes)
  ) u_desc (
    .clk_i,
    .rst_i,
    .q_enable_i,
    .q_base_q_o,
    .q_ring_base_i,
    .q_cpl_base_i,
    .q_log2_i,
    .q_prod_i,
    .q_cons_o,
    .q_running_o,
    .q_err_o,
    .q_start_o    (q_start),
    .start_q_o    (start_q),
    .start_cbase_o(start_cbase),
    .start_log2_o (start_log2),
    .cpl_stop_i   (cpl_stop),
    .ret_a_i      (ret_a),
    .ret_a_q_i    (ret_a_q),
    .ret_b_i      (ret_b),
    .ret_b_q_i    (ret_b_q),
    .dreq_valid_o (dreq_valid),
    .dreq_ready_i (dreq_ready),
    .dreq_addr_o  (dreq_addr),
    .dreq_len_o   (dreq_len),
    .dreq_tag_o   (dreq_tag),
    .drd_valid_i  (drd_valid),
    .drd_ready_o  (drd_ready),
    .drd_data_i   (drd_data),
    .drd_err_i    (drd_err),
    .drd_last_i   (drd_last),
    .drd_tag_i    (drd_tag),
    .rec_valid_o  (rec_valid),
    .rec_ready_i  (rec_ready),
    .rec_q_o      (rec_q),
    .rec_n_o      (rec_n),
    .rec_idx_o    (rec_idx),
    .rec_err_o    (rec_err),
    .rec_len_o    (rec_len),
    .rec_cmd_o    (rec_cmd),
    .dsc_valid_o  (dsc_valid),
    .dsc_ready_i  (dsc_ready),
    .dsc_addr_o   (dsc_addr),
    .dsc_len_o    (dsc_len),
    .dsc_tobnd_o  (dsc_tobnd),
    .dsc_fit1_o   (dsc_fit1),
    .dsc_fit2_o   (dsc_fit2),
    .idle_o       (desc_idle)
  );

  // ---- Read channel ------------------------------------------------------------------------
  logic                 xreq_valid, xreq_ready, xrd_valid, xrd_ready, xrd_err, xrd_last;
  logic [63:0]          xreq_addr;
  logic [7:0]           xreq_len;
  logic [DataTagW-1:0]  xreq_tag, xrd_tag;
  logic [DataWidth-1:0] xrd_data;
  logic                 rd_idle;

  nic_tx_rd_mux #(
    .DataWidth(DataWidth), .DescTagW(DescTagW), .DataTagW(DataTagW), .TrackDepth(TrackDepth)
  ) u_rd (
    .clk_i,
    .rst_i,
    .dreq_valid_i (dreq_valid),
    .dreq_ready_o (dreq_ready),
    .dreq_addr_i  (dreq_addr),
    .dreq_len_i   (dreq_len),
    .dreq_tag_i   (dreq_tag),
    .xreq_valid_i (xreq_valid),
    .xreq_ready_o (xreq_ready),
    .xreq_addr_i  (xreq_addr),
    .xreq_len_i   (xreq_len),
    .xreq_tag_i   (xreq_tag),
    .m_axi_araddr_o,
    .m_axi_arlen_o,
    .m_axi_arvalid_o,
    .m_axi_arready_i,
    .m_axi_rdata_i,
    .m_axi_rresp_i,
    .m_axi_rlast_i,
    .m_axi_rvalid_i,
    .m_axi_rready_o,
    .drd_valid_o  (drd_valid),
    .drd_ready_i  (drd_ready),
    .drd_data_o   (drd_data),
    .drd_err_o    (drd_err),
    .drd_last_o   (drd_last),
    .drd_tag_o    (drd_tag),
    .xrd_valid_o  (xrd_valid),
    .xrd_ready_i  (xrd_ready),
    .xrd_data_o   (xrd_data),
    .xrd_err_o    (xrd_err),
    .xrd_last_o   (xrd_last),
    .xrd_tag_o    (xrd_tag),
    .rd_err_o,
    .idle_o       (rd_idle)
  );

  // ---- Gather ------------------------------------------------------------------------------
  logic                 crec_valid, crec_ready, crec_pipe, dflag_valid, dflag;
  logic [QW-1:0]        crec_q;
  logic [3:0]           crec_err;
  logic [7:0]           crec_n;
  logic [15:0]          crec_idx;
  logic [20:0]          crec_len;

  logic [DataWidth-1:0] g_data;
  logic [Bytes-1:0]     g_keep;
  logic                 g_last, g_drop, g_valid, g_ready;
  logic [127:0]         g_user;
  logic                 gather_idle;

  nic_tx_gather #(.DataWidth(DataWidth), .NumQ(NumQ), .TrackDepth(TrackDepth)) u_gather (
    .clk_i,
    .rst_i,
    .q_running_i     (q_running_o),
    .rec_valid_i     (rec_valid),
    .rec_ready_o     (rec_ready),
    .rec_q_i         (rec_q),
    .rec_n_i         (rec_n),
    .rec_idx_i       (rec_idx),
    .rec_err_i       (rec_err),
    .rec_len_i       (rec_len),
    .rec_cmd_i       (rec_cmd),
    .dsc_valid_i     (dsc_valid),
    .dsc_ready_o     (dsc_ready),
    .dsc_addr_i      (dsc_addr),
    .dsc_len_i       (dsc_len),
    .dsc_tobnd_i     (dsc_tobnd),
    .dsc_fit1_i      (dsc_fit1),
    .dsc_fit2_i      (dsc_fit2),
    .xreq_valid_o    (xreq_valid),
    .xreq_ready_i    (xreq_ready),
    .xreq_addr_o     (xreq_addr),
    .xreq_len_o      (xreq_len),
    .xreq_tag_o      (xreq_tag),
    .xrd_valid_i     (xrd_valid),
    .xrd_ready_o     (xrd_ready),
    .xrd_data_i      (xrd_data),
    .xrd_err_i       (xrd_err),
    .xrd_last_i      (xrd_last),
    .xrd_tag_i       (xrd_tag),
    .crec_valid_o    (crec_valid),
    .crec_ready_i    (crec_ready),
    .crec_q_o        (crec_q),
    .crec_err_o      (crec_err),
    .crec_pipe_o     (crec_pipe),
    .crec_n_o        (crec_n),
    .crec_idx_o      (crec_idx),
    .crec_len_o      (crec_len),
    .dflag_valid_o   (dflag_valid),
    .dflag_o         (dflag),
    .m_axis_tdata_o  (g_data),
    .m_axis_tkeep_o  (g_keep),
    .m_axis_tlast_o  (g_last),
    .m_axis_tuser_o  (g_user),
    .m_axis_tdrop_o  (g_drop),
    .m_axis_tvalid_o (g_valid),
    .m_axis_tready_i (g_ready),
    .idle_o          (gather_idle)
  );

  // ---- Offload pipeline --------------------------------------------------------------------
  logic        done;
  logic [3:0]  done_err;
  logic [15:0] done_segs;
  logic [7:0]  unused_status;

  nic_tx_offload #(.DataWidth(DataWidth)) u_off (
    .clk_i,
    .rst_i,
    .csum_enable_i,
    .s_axis_tdata_i  (g_data),
    .s_axis_tkeep_i  (g_keep),
    .s_axis_tlast_i  (g_last),
    .s_axis_tuser_i  (g_user),
    .s_axis_tdrop_i  (g_drop),
    .s_axis_tvalid_i (g_valid),
    .s_axis_tready_o (g_ready),
    .m_axis_tdata_o  (m_axis_tx_tdata_o),
    .m_axis_tkeep_o  (m_axis_tx_tkeep_o),
    .m_axis_tlast_o  (m_axis_tx_tlast_o),
    .m_axis_tuser_o  (unused_status),
    .m_axis_tvalid_o (m_axis_tx_tvalid_o),
    .m_axis_tready_i (m_axis_tx_tready_i),
    .seg_req_o,
    .seg_o,
    .seg_err_o,
    .seg_err_code_o,
    .csum_frame_o,
    .csum_error_o,
    .done_o          (done),
    .done_err_code_o (done_err),
    .done_segs_o     (done_segs)
  );

  // ---- Completions -------------------------------------------------------------------------
  logic cpl_idle;

  nic_tx_cpl #(.DataWidth(DataWidth), .NumQ(NumQ), .Depth(CplDepth)) u_cpl (
    .clk_i,
    .rst_i,
    .q_running_i   (q_running_o),
    .q_start_i     (q_start),
    .start_q_i     (start_q),
    .start_cbase_i (start_cbase),
    .start_log2_i  (start_log2),
    .stop_o        (cpl_stop),
    .ret_a_o       (ret_a),
    .ret_a_q_o     (ret_a_q),
    .ret_b_o       (ret_b),
    .ret_b_q_o     (ret_b_q),
    .crec_valid_i  (crec_valid),
    .crec_ready_o  (crec_ready),
    .crec_q_i      (crec_q),
    .crec_err_i    (crec_err),
    .crec_pipe_i   (crec_pipe),
    .crec_n_i      (crec_n),
    .crec_idx_i    (crec_idx),
    .crec_len_i    (crec_len),
    .dflag_valid_i (dflag_valid),
    .dflag_i       (dflag),
    .done_i        (done),
    .done_err_i    (done_err),
    .done_segs_i   (done_segs),
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
    .m_axi_bready_o,
    .cpl_evt_o,
    .cpl_evt_queue_o,
    .cpl_evt_err_o,
    .cpl_evt_bytes_o,
    .wr_err_o,
    .idle_o        (cpl_idle)
  );

  // ---- Frames to the MAC, and what the offload pipeline still holds --------------------------
  logic [15:0] wbytes_q;       // bytes of the frame leaving, before this beat
  logic        wfire;
  assign wfire = m_axis_tx_tvalid_o && m_axis_tx_tready_i;

  // Frames inside the pipeline: in the segmenter (entered, done event not yet given), and in
  // the checksum engine (segments the segmenter passed on, not yet sent).  Dropped segments
  // never leave nic_tso's count (done_segs counts only those it passed on without a drop).
  logic [15:0] seg_in_q, seg_done_q, csum_in_q, csum_out_q;
  logic        g_fire;
  assign g_fire = g_valid && g_ready;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      wbytes_q     <= '0;
      wire_frame_o <= 1'b0;
      seg_in_q     <= '0;
      seg_done_q   <= '0;
      csum_in_q    <= '0;
      csum_out_q   <= '0;
    end else begin
      wire_frame_o <= wfire && m_axis_tx_tlast_o;
      if (wfire) begin
        wbytes_q <= m_axis_tx_tlast_o ? '0
                  : wbytes_q + 16'(nic_csum_pkg::keep_count(64'(m_axis_tx_tkeep_o)));
      end
      if (g_fire && g_last) seg_in_q <= seg_in_q + 16'd1;
      if (done) begin
        seg_done_q <= seg_done_q + 16'd1;
        csum_in_q  <= csum_in_q + done_segs;
      end
      if (wfire && m_axis_tx_tlast_o) csum_out_q <= csum_out_q + 16'd1;
    end
    wire_bytes_o <= wbytes_q + 16'(nic_csum_pkg::keep_count(64'(m_axis_tx_tkeep_o)));
  end

  // ---- Idle --------------------------------------------------------------------------------
  logic       idle_now, idle_now_q;
  logic [4:0] quiet_q;
  assign idle_now = desc_idle && rd_idle && gather_idle && cpl_idle && !g_valid &&
                    seg_in_q == seg_done_q && csum_in_q == csum_out_q &&
                    !m_axis_tx_tvalid_o && !dreq_valid && !m_axi_arvalid_o;
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      idle_now_q <= 1'b0;
      quiet_q    <= '0;
    end else begin
      idle_now_q <= idle_now;
      if (!idle_now_q) quiet_q <= '0;
      else if (!quiet_q[4]) quiet_q <= quiet_q + 5'd1;
    end
  end
  assign idle_o = quiet_q[4];

endmodule
