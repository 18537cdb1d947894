// nic_opennic_frame_buf: stores whole frames so that each leaves with its length, and with what
// came on its last beat, from its first beat on.
//
// OpenNIC's streams carry a frame's length (tuser_size) on every beat, the first included, and
// the receive header carries a verdict made at the frame's end: both need the frame stored
// before it leaves.  Frames go into nic_pkt_fifo; as a frame is committed there its byte count
// and s_axis_tmeta_i (sampled with tlast) go into a side FIFO, whose head is the frame at the
// output.  A frame longer than Depth beats cannot be stored and is dropped (dropped_o).
module nic_opennic_frame_buf #(
  // Stream width in bits: 64 to 512.
  parameter int unsigned DataWidth = 512,
  // Per-frame sideband bits taken with the last beat.
  parameter int unsigned MetaWidth = 64,
  // Beats of frame storage (a power of two): the longest frame that passes.
  parameter int unsigned Depth = 256
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Frames in; s_axis_tmeta_i is sampled with tlast
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [MetaWidth-1:0]   s_axis_tmeta_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Whole frames out; tlen (bytes) and tmeta hold for every beat of the frame
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [15:0]            m_axis_tlen_o,
  output logic [MetaWidth-1:0]   m_axis_tmeta_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- One-cycle pulse: a frame longer than Depth beats was dropped
  output logic                   dropped_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LevelWidth = $clog2(Depth) + 1;

  if (DataWidth < 64 || DataWidth > 512 || Depth * Bytes > 65535) begin : g_bad_param
    $fatal(1, "nic_opennic_frame_buf: DataWidth 64..512, and Depth beats within 64 KiB");
  end

  logic                  pkt_ready, pkt_valid, pkt_pop, pkt_good, pkt_last;
  logic                  unused_pkt_user, unused_overflow;
  logic                  side_ready, side_valid, side_pop;
  logic [LevelWidth-1:0] side_level;
  logic [15:0]           count_q, count_d, frame_len;

  // A side entry per stored frame; Depth frames at most wait, so with Depth entries used the
  // input waits (the stored frames then drain first).  nic_fifo holds Depth + 1.
  assign s_axis_tready_o = pkt_ready && side_level < LevelWidth'(Depth);

  // Bytes of the frame so far and with this beat: every beat but the last is full.
  assign frame_len = count_q + 16'(nic_csum_pkg::keep_count(64'(s_axis_tkeep_i)));

  always_comb begin
    count_d = count_q;
    if (s_axis_tvalid_i && s_axis_tready_o) begin
      count_d = s_axis_tlast_i ? '0 : count_q + 16'(Bytes);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) count_q <= '0;
    else       count_q <= count_d;
  end

  nic_pkt_fifo #(.DataWidth(DataWidth), .UserWidth(1), .Depth(Depth)) u_frames (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i,
    .s_axis_tkeep_i,
    .s_axis_tlast_i,
    .s_axis_tuser_i  (1'b0),
    .s_axis_drop_i   (1'b0),
    .s_axis_tvalid_i (s_axis_tvalid_i && side_level < LevelWidth'(Depth)),
    .s_axis_tready_o (pkt_ready),
    .m_axis_tdata_o,
    .m_axis_tkeep_o,
    .m_axis_tlast_o  (pkt_last),
    .m_axis_tuser_o  (unused_pkt_user),
    .m_axis_tvalid_o (pkt_valid),
    .m_axis_tready_i (pkt_pop),
    .good_o          (pkt_good),
    .dropped_o,
    .overflow_o      (unused_overflow)
  );

  // Committed frames only (good_o comes with the last beat), so the two FIFOs stay in step.
  nic_fifo #(.Width(16 + MetaWidth), .Depth(Depth)) u_side (
    .clk_i,
    .rst_i,
    .s_valid_i (pkt_good),
    .s_ready_o (side_ready),
    .s_data_i  ({frame_len, s_axis_tmeta_i}),
    .m_valid_o (side_valid),
    .m_ready_i (side_pop),
    .m_data_o  ({m_axis_tlen_o, m_axis_tmeta_o}),
    .level_o   (side_level)
  );

  // A frame leaves once its side entry is there too; the entry goes with its last beat.
  assign m_axis_tvalid_o = pkt_valid && side_valid;
  assign m_axis_tlast_o  = pkt_last;
  assign pkt_pop         = m_axis_tready_i && side_valid;
  assign side_pop        = m_axis_tready_i && pkt_valid && pkt_last;

`ifndef SYNTHESIS
  // The side FIFO never refuses: the input waits before it could fill.
  assert property (@(posedge clk_i) disable iff (rst_i) pkt_good |-> side_ready)
    else $error("nic_opennic_frame_buf: side FIFO full at a commit");
`endif

endmodule
