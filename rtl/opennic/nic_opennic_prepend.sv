// nic_opennic_prepend: puts the receive metadata header in front of each frame to the host.
//
// Each frame arrives with its length and checksum verdict beside every beat (from
// nic_opennic_frame_buf) and leaves as the H-byte receive header (nic_hw_pkg::opennic_rx_meta_t,
// hw/nic.toml) followed by the frame, with m_axis_tsize_o, the bytes of the whole, on every
// beat.  Output beat 0 is the header and the lower part of input beat 0; beat k is the upper
// part of input beat k-1 and the lower part of input beat k.  When the last input beat holds
// more than Bytes - H bytes its upper part leaves on one more beat, while the input waits a cycle
// (the frame grew by the header: that beat is the header's).
module nic_opennic_prepend #(
  // Stream width in bits; a beat must hold the header and at least one byte more.
  parameter int unsigned DataWidth = 512
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Frames in; tlen (bytes) and tresult hold for every beat of the frame
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [15:0]            s_axis_tlen_i,
  input  logic [63:0]            s_axis_tresult_i,  // nic_hw_pkg::rx_csum_result_t
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Header, then the frame; tsize = bytes of both, on every beat
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [15:0]            m_axis_tsize_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned H = nic_hw_pkg::OPENNIC_RX_META_BYTES;
  localparam int unsigned LoBytes = Bytes - H;  // input bytes that stay in their beat
  localparam int unsigned OutWidth = DataWidth + Bytes + 1 + 16;

  if (Bytes <= H) begin : g_bad_width
    $fatal(1, "nic_opennic_prepend: a beat must be longer than the metadata header");
  end

  logic             first_q, first_d;  // the next input beat starts a frame
  logic             flush_q, flush_d;  // the held bytes are a frame's last output beat
  logic [H*8-1:0]   hold_q, hold_d;
  logic [H-1:0]     hold_keep_q, hold_keep_d;
  logic [15:0]      size_q, size_d;

  logic                 o_valid, o_ready, o_last, in_fire;
  logic [DataWidth-1:0] o_data;
  logic [Bytes-1:0]     o_keep;
  logic [15:0]          o_size;
  nic_hw_pkg::opennic_rx_meta_t header;

  always_comb begin
    header           = '0;
    header.magic     = nic_hw_pkg::OpennicMagicMeta;
    header.version   = nic_hw_pkg::OpennicVersionV1;
    header.kind      = nic_hw_pkg::OpennicKindRx;
    header.frame_len = s_axis_tlen_i;
    header.result    = s_axis_tresult_i;
  end

  always_comb begin
    s_axis_tready_o = o_ready && !flush_q;
    o_valid = flush_q || s_axis_tvalid_i;
    o_size  = flush_q ? size_q : s_axis_tlen_i + 16'(H);
    if (flush_q) begin
      o_data = {{LoBytes*8{1'b0}}, hold_q};
      o_keep = {{LoBytes{1'b0}}, hold_keep_q};
      o_last = 1'b1;
    end else begin
      o_data = {s_axis_tdata_i[LoBytes*8-1:0], first_q ? header : hold_q};
      o_keep = {s_axis_tkeep_i[LoBytes-1:0], first_q ? {H{1'b1}} : hold_keep_q};
      o_last = s_axis_tlast_i && !s_axis_tkeep_i[LoBytes];
    end
  end

  assign in_fire = s_axis_tvalid_i && s_axis_tready_o;

  always_comb begin
    first_d     = first_q;
    flush_d     = flush_q && !o_ready;
    hold_d      = hold_q;
    hold_keep_d = hold_keep_q;
    size_d      = size_q;
    if (in_fire) begin
      first_d     = s_axis_tlast_i;
      flush_d     = s_axis_tlast_i && s_axis_tkeep_i[LoBytes];
      hold_d      = s_axis_tdata_i[DataWidth-1:LoBytes*8];
      hold_keep_d = s_axis_tkeep_i[Bytes-1:LoBytes];
      size_d      = o_size;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      first_q <= 1'b1;
      flush_q <= 1'b0;
    end else begin
      first_q <= first_d;
      flush_q <= flush_d;
    end
  end

  always_ff @(posedge clk_i) begin
    hold_q      <= hold_d;
    hold_keep_q <= hold_keep_d;
    size_q      <= size_d;
  end

  nic_skid_buffer #(.Width(OutWidth)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (o_valid),
    .s_ready_o (o_ready),
    .s_data_i  ({o_data, o_keep, o_last, o_size}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tsize_o})
  );

endmodule
