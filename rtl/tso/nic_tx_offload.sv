// nic_tx_offload: the transmit offload pipeline, segmentation then checksums.
//
// nic_tso cuts segmentation requests into segments and gives each its checksum command;
// nic_csum_tx stores each frame, fills in its IPv4 header checksum and TCP or UDP checksum, and
// drops a segment that nic_tso marked as cut short.  Frames that are not segmented go through
// with the checksum command of their tx_offload_cmd_t.  The checksum engine's frame buffer is
// sized for the longest segment (MaxHdrBytes + MaxMss), so every segment gets its checksums.
// s_axis_tdrop_i and the done events are nic_tso's (see there): a frame cut short upstream
// reaches the wire only as the segments wholly before the cut, and done_o tells the DMA engine,
// per frame and in order, that the segmenter is finished with it and how many frames it sent on.
module nic_tx_offload #(
  // Stream width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  parameter int unsigned MaxHdrBytes = 256,
  parameter int unsigned MaxMss = 9216,
  parameter int unsigned MaxPayloadBytes = 65535
) (
  input  logic                   clk_i,
  input  logic                   rst_i,
  // Checksum offload enable (CSR csum.ctrl.tx_enable).
  input  logic                   csum_enable_i,

  // ---- Frames in; tuser carries nic_hw_pkg::tx_offload_cmd_t on the first beat
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [127:0]           s_axis_tuser_i,
  // On a frame's last beat: the frame was cut short upstream; what of it is sent is dropped.
  input  logic                   s_axis_tdrop_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames to the MAC; tuser carries nic_hw_pkg::tx_csum_status_t on the last beat
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [7:0]             m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Events, one-cycle pulses
  output logic                   seg_req_o,
  output logic                   seg_o,
  output logic                   seg_err_o,
  output logic [3:0]             seg_err_code_o,  // nic_hw_pkg::seg_err_e
  output logic                   csum_frame_o,
  output logic                   csum_error_o,

  // ---- Per frame, in frame order: the segmenter is finished with it (nic_tso done_o)
  output logic                   done_o,
  output logic [3:0]             done_err_code_o,  // nic_hw_pkg::seg_err_e
  output logic [15:0]            done_segs_o
);

  logic [DataWidth-1:0]   t_data;
  logic [DataWidth/8-1:0] t_keep;
  logic                   t_last, t_drop, t_valid, t_ready;
  logic [63:0]            t_user;

  nic_tso #(
    .DataWidth(DataWidth), .MaxHdrBytes(MaxHdrBytes), .MaxMss(MaxMss),
    .MaxPayloadBytes(MaxPayloadBytes)
  ) u_tso (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i,
    .s_axis_tkeep_i,
    .s_axis_tlast_i,
    .s_axis_tuser_i,
    .s_axis_tdrop_i,
    .s_axis_tvalid_i,
    .s_axis_tready_o,
    .m_axis_tdata_o  (t_data),
    .m_axis_tkeep_o  (t_keep),
    .m_axis_tlast_o  (t_last),
    .m_axis_tuser_o  (t_user),
    .m_axis_tdrop_o  (t_drop),
    .m_axis_tvalid_o (t_valid),
    .m_axis_tready_i (t_ready),
    .req_o           (seg_req_o),
    .seg_o,
    .err_o           (seg_err_o),
    .err_code_o      (seg_err_code_o),
    .done_o,
    .done_err_code_o,
    .done_segs_o
  );

  nic_csum_tx #(.DataWidth(DataWidth), .MaxFrameBytes(MaxHdrBytes + MaxMss)) u_csum (
    .clk_i,
    .rst_i,
    .enable_i        (csum_enable_i),
    .s_axis_tdata_i  (t_data),
    .s_axis_tkeep_i  (t_keep),
    .s_axis_tlast_i  (t_last),
    .s_axis_tuser_i  (t_user),
    .s_axis_tdrop_i  (t_drop),
    .s_axis_tvalid_i (t_valid),
    .s_axis_tready_o (t_ready),
    .m_axis_tdata_o,
    .m_axis_tkeep_o,
    .m_axis_tlast_o,
    .m_axis_tuser_o,
    .m_axis_tvalid_o,
    .m_axis_tready_i,
    .frame_o         (csum_frame_o),
    .error_o         (csum_error_o)
  );

endmodule
