// nic_rx_wr_mux: the receive path's AXI write channels, and what their responses mean.
//
// Two sources share AW/W: the data mover (bursts of frame data, plus markers for frames that
// are not written) and the completion writer (one-beat bursts of completion lines).  The
// choice is made per burst, completions first, and a burst's AW goes out with its first W
// beat; W beats of one burst are never interleaved with another's.  AW and W leave through
// skid buffers.
//
// All writes use one ID, so B responses come back in issue order.  Every burst (and every
// marker) leaves an entry in a tracking FIFO as its last beat is issued: data bursts note
// whether they end a frame, completion lines carry their queue.  As responses arrive in order:
// a frame's data error bits are collected, and at its last burst (or marker) one entry goes to
// done_* (err = some data write of the frame answered with an error), which the completion
// writer waits for before writing the frame's completion; a completion line's response goes to
// cplb_* (an error there stops the queue).
module nic_rx_wr_mux #(
  // AXI data width in bits.
  parameter int unsigned DataWidth = 512,
  // Receive queues.
  parameter int unsigned NumQ = 8,
  // Bursts and markers awaiting their response, at most (a power of two).
  parameter int unsigned TrackDepth = 128
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Data write items (nic_rx_mover)
  input  logic                   d_valid_i,
  output logic                   d_ready_o,
  input  logic                   d_beat_i,       // a W beat (else a marker)
  input  logic [DataWidth-1:0]   d_data_i,
  input  logic [DataWidth/8-1:0] d_strb_i,
  input  logic                   d_wlast_i,
  input  logic                   d_aw_i,
  input  logic [63:0]            d_aw_addr_i,
  input  logic [7:0]             d_aw_len_i,
  input  logic                   d_frame_end_i,

  // ---- Completion lines (nic_rx_cpl), one beat each
  input  logic                   c_valid_i,
  output logic                   c_ready_o,
  input  logic [DataWidth-1:0]   c_data_i,
  input  logic [DataWidth/8-1:0] c_strb_i,
  input  logic [63:0]            c_addr_i,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] c_q_i,

  // ---- Per frame whose data (or marker) is all answered, in frame order
  output logic                   done_valid_o,
  input  logic                   done_ready_i,
  output logic                   done_err_o,

  // ---- Completion line answered (one-cycle pulse)
  output logic                   cplb_o,
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] cplb_q_o,
  output logic                   cplb_err_o,

  output logic                   wr_err_o,       // pulse per write answered with an error
  output logic                   idle_o,

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
  output logic                   m_axi_bready_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned QW = $clog2(NumQ > 1 ? NumQ : 2);
  localparam int unsigned TW = $clog2(TrackDepth);

  // Tracking entry kinds.
  localparam logic [1:0] KData = 2'd0;
  localparam logic [1:0] KCpl = 2'd1;
  localparam logic [1:0] KMarker = 2'd2;

  if ((1 << TW) != TrackDepth || TrackDepth < 2) begin : g_bad_t
    $fatal(1, "nic_rx_wr_mux: TrackDepth must be a power of two of at least 2");
  end

  // ---- Issue ---------------------------------------------------------------------------------
  logic             aw_ready, w_ready, t_room;
  logic             in_burst_q, cpl_turn;
  logic             aw_push, w_push, t_push;
  logic [63:0]      aw_addr;
  logic [7:0]       aw_len;
  logic [DataWidth-1:0] w_data;
  logic [Bytes-1:0] w_strb;
  logic             w_last;
  logic [1:0]       t_kind;
  logic             t_fend;
  logic [QW-1:0]    t_q;

  always_comb begin
    cpl_turn  = c_valid_i && !in_burst_q;
    c_ready_o = cpl_turn && aw_ready && w_ready && t_room;
    d_ready_o = 1'b0;
    if (!cpl_turn && d_valid_i) begin
      if (!d_beat_i) d_ready_o = t_room;
      else d_ready_o = w_ready && (!d_aw_i || aw_ready) && (!d_wlast_i || t_room);
    end

    aw_push = c_ready_o || (d_valid_i && d_ready_o && d_beat_i && d_aw_i);
    w_push  = c_ready_o || (d_valid_i && d_ready_o && d_beat_i);
    t_push  = c_ready_o || (d_valid_i && d_ready_o && (!d_beat_i || d_wlast_i));
    aw_addr = c_ready_o ? c_addr_i : d_aw_addr_i;
    aw_len  = c_ready_o ? 8'd0 : d_aw_len_i;
    w_data  = c_ready_o ? c_data_i : d_data_i;
    w_strb  = c_ready_o ? c_strb_i : d_strb_i;
    w_last  = c_ready_o || d_wlast_i;
    t_kind  = c_ready_o ? KCpl : (d_beat_i ? KData : KMarker);
    t_fend  = !c_ready_o && d_frame_end_i;
    t_q     = c_q_i;
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) in_burst_q <= 1'b0;
    else if (d_valid_i && d_ready_o && d_beat_i) in_burst_q <= !d_wlast_i;
  end

  nic_skid_buffer #(.Width(64 + 8)) u_aw (
    .clk_i,
    .rst_i,
    .s_valid_i (aw_push),
    .s_ready_o (aw_ready),
    .s_data_i  ({aw_addr, aw_len}),
    .m_valid_o (m_axi_awvalid_o),
    .m_ready_i (m_axi_awready_i),
    .m_data_o  ({m_axi_awaddr_o, m_axi_awlen_o})
  );

  nic_skid_buffer #(.Width(DataWidth + Bytes + 1)) u_w (
    .clk_i,
    .rst_i,
    .s_valid_i (w_push),
    .s_ready_o (w_ready),
    .s_data_i  ({w_data, w_strb, w_last}),
    .m_valid_o (m_axi_wvalid_o),
    .m_ready_i (m_axi_wready_i),
    .m_data_o  ({m_axi_wdata_o, m_axi_wstrb_o, m_axi_wlast_o})
  );

  // ---- Responses -----------------------------------------------------------------------------
  logic          h_valid, h_pop, h_fend;
  logic [1:0]    h_kind;
  logic [QW-1:0] h_q;
  logic [TW:0]   t_level;
  logic          acc_err_q, b_err, b_take;

  nic_fifo #(.Width(2 + 1 + QW), .Depth(TrackDepth)) u_track (
    .clk_i,
    .rst_i,
    .s_valid_i (t_push),
    .s_ready_o (t_room),
    .s_data_i  ({t_kind, t_fend, t_q}),
    .m_valid_o (h_valid),
    .m_ready_i (h_pop),
    .m_data_o  ({h_kind, h_fend, h_q}),
    .level_o   (t_level)
  );

  assign b_err = m_axi_bresp_i != 2'b00;

  always_comb begin
    m_axi_bready_o = h_valid && h_kind != KMarker && (!(h_kind == KData && h_fend) || done_ready_i);
    b_take         = m_axi_bvalid_i && m_axi_bready_o;
    done_valid_o   = 1'b0;
    done_err_o     = acc_err_q;
    h_pop          = b_take;
    if (h_valid && h_kind == KMarker) begin
      done_valid_o = 1'b1;
      h_pop        = done_ready_i;
    end else if (b_take && h_kind == KData && h_fend) begin
      done_valid_o = 1'b1;
      done_err_o   = acc_err_q || b_err;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      acc_err_q <= 1'b0;
    end else if (done_valid_o && done_ready_i) begin
      acc_err_q <= 1'b0;
    end else if (b_take && h_kind == KData) begin
      acc_err_q <= acc_err_q || b_err;
    end
  end

  assign cplb_o     = b_take && h_kind == KCpl;
  assign cplb_q_o   = h_q;
  assign cplb_err_o = b_err;
  assign wr_err_o   = b_take && b_err;

  assign idle_o = t_level == '0 && !in_burst_q && !m_axi_awvalid_o && !m_axi_wvalid_o;

endmodule
