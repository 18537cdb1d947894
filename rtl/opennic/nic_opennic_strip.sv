// nic_opennic_strip: takes the transmit metadata header off each host frame.
//
// The first H bytes of a frame from the host are its header (nic_hw_pkg::opennic_tx_meta_t,
// hw/nic.toml); the offload command in it leaves on m_axis_tuser_o of the frame's first output
// beat, as nic_tx_offload wants it, and the frame's bytes leave moved down by H.  Output beat k
// is the upper part of input beat k and the lower H bytes of input beat k+1, so a register
// holding the upper part of the previous beat is the whole realignment.  When the last input
// beat holds more than H bytes, its upper part leaves on a beat of its own the cycle after; the
// next frame's first beat (which sends nothing: all of it is header or held) is taken in that
// same cycle, so frames come in back to back with no dead cycle.
//
// A frame whose first beat does not start with the transmit header's magic, version and kind,
// or that has no byte after the header, is dropped whole and counted on bad_o.
module nic_opennic_strip #(
  // Stream width in bits; a beat must hold the header and at least one byte more.
  parameter int unsigned DataWidth = 512
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Frames from the host, header first
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames without the header; tuser carries nic_hw_pkg::tx_offload_cmd_t on the first beat
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [127:0]           m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- One-cycle pulse: a frame without a valid header was dropped
  output logic                   bad_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned H = nic_hw_pkg::OPENNIC_TX_META_BYTES;
  localparam int unsigned HiBytes = Bytes - H;
  localparam int unsigned OutWidth = DataWidth + Bytes + 1 + 128;

  if (Bytes <= H) begin : g_bad_width
    $fatal(1, "nic_opennic_strip: a beat must be longer than the metadata header");
  end

  typedef enum logic [1:0] {
    StFirst,  // the next beat starts a frame
    StBody,   // inside a good frame
    StDrop    // inside a frame without a header: discard to its end
  } state_e;

  state_e              state_q, state_d;
  logic                flush_q, flush_d;  // the held bytes are a frame's last output beat
  logic                first_q, first_d;  // the next output beat is its frame's first
  logic [127:0]        cmd_q, cmd_d;
  logic [HiBytes*8-1:0] hold_q, hold_d;
  logic [HiBytes-1:0]  hold_keep_q, hold_keep_d;

  logic                 o_valid, o_ready, o_last, in_fire, o_fire, hdr_ok;
  logic [DataWidth-1:0] o_data;
  logic [Bytes-1:0]     o_keep;
  logic [127:0]         o_user;
  nic_hw_pkg::opennic_tx_meta_t hdr;  // the first beat's header, when the beat is a first
  logic                 unused_rsvd;  // the header's reserved bytes: ignored, as hw/nic.toml says

  // Magic, version and kind, and a byte after the header (tkeep is contiguous from lane 0).
  assign hdr = nic_hw_pkg::opennic_tx_meta_t'(s_axis_tdata_i[H*8-1:0]);
  assign hdr_ok = hdr.magic == nic_hw_pkg::OpennicMagicMeta &&
                  hdr.version == nic_hw_pkg::OpennicVersionV1 &&
                  hdr.kind == nic_hw_pkg::OpennicKindTx && s_axis_tkeep_i[H];
  assign unused_rsvd = ^hdr.rsvd24;

  always_comb begin
    o_valid         = 1'b0;
    o_data          = {s_axis_tdata_i[H*8-1:0], hold_q};
    o_keep          = {s_axis_tkeep_i[H-1:0], hold_keep_q};
    o_last          = s_axis_tlast_i && !s_axis_tkeep_i[H];
    o_user          = first_q ? cmd_q : '0;
    s_axis_tready_o = 1'b0;
    if (flush_q) begin
      o_valid = 1'b1;
      o_data  = {{H*8{1'b0}}, hold_q};
      o_keep  = {{H{1'b0}}, hold_keep_q};
      o_last  = 1'b1;
      // Beside it, the next frame's first beat, unless that beat would send a beat too.
      s_axis_tready_o = o_ready && state_q == StFirst && !(hdr_ok && s_axis_tlast_i);
    end else begin
      unique case (state_q)
        StFirst: begin
          if (hdr_ok && s_axis_tlast_i) begin
            // The whole frame is in this beat.
            o_valid         = s_axis_tvalid_i;
            o_data          = {{H*8{1'b0}}, s_axis_tdata_i[DataWidth-1:H*8]};
            o_keep          = {{H{1'b0}}, s_axis_tkeep_i[Bytes-1:H]};
            o_last          = 1'b1;
            o_user          = hdr.cmd;
            s_axis_tready_o = o_ready;
          end else begin
            s_axis_tready_o = 1'b1;
          end
        end
        StBody: begin
          o_valid         = s_axis_tvalid_i;
          s_axis_tready_o = o_ready;
        end
        StDrop:  s_axis_tready_o = 1'b1;
        default: s_axis_tready_o = 1'b1;
      endcase
    end
  end

  assign in_fire = s_axis_tvalid_i && s_axis_tready_o;
  assign o_fire  = o_valid && o_ready;

  always_comb begin
    state_d     = state_q;
    flush_d     = flush_q && !o_ready;
    first_d     = first_q && !o_fire;
    cmd_d       = cmd_q;
    hold_d      = hold_q;
    hold_keep_d = hold_keep_q;
    bad_o       = 1'b0;
    if (in_fire) begin
      unique case (state_q)
        StFirst: begin
          if (!hdr_ok) begin
            bad_o   = 1'b1;
            state_d = s_axis_tlast_i ? StFirst : StDrop;
          end else if (!s_axis_tlast_i) begin
            state_d     = StBody;
            first_d     = 1'b1;
            cmd_d       = hdr.cmd;
            hold_d      = s_axis_tdata_i[DataWidth-1:H*8];
            hold_keep_d = s_axis_tkeep_i[Bytes-1:H];
          end
        end
        StBody: begin
          hold_d      = s_axis_tdata_i[DataWidth-1:H*8];
          hold_keep_d = s_axis_tkeep_i[Bytes-1:H];
          if (s_axis_tlast_i) begin
            state_d = StFirst;
            flush_d = s_axis_tkeep_i[H];
          end
        end
        StDrop:  if (s_axis_tlast_i) state_d = StFirst;
        default: state_d = StFirst;
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      state_q <= StFirst;
      flush_q <= 1'b0;
      first_q <= 1'b0;
    end else begin
      state_q <= state_d;
      flush_q <= flush_d;
      first_q <= first_d;
    end
  end

  always_ff @(posedge clk_i) begin
    cmd_q       <= cmd_d;
    hold_q      <= hold_d;
    hold_keep_q <= hold_keep_d;
  end

  nic_skid_buffer #(.Width(OutWidth)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (o_valid),
    .s_ready_o (o_ready),
    .s_data_i  ({o_data, o_keep, o_last, o_user}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o})
  );

endmodule
