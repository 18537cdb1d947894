// nic_csum_tx: transmit checksum insertion (FreeBSD CSUM_IP, CSUM_IP_UDP/TCP, CSUM_IP6_UDP/TCP).
//
// Each frame arrives with a command (nic_hw_pkg::tx_csum_cmd_t on tuser of its first beat).
// The L4 checksum is generic start/offset insertion, the form FreeBSD's csum_data maps onto:
// the ones'-complement sum of the bytes from csum_start to the end of the frame, as they arrive
// (the checksum field included, so the pseudo-header sum the stack left there counts), plus
// csum_init; its complement is written at csum_start + csum_offset.  With `udp`, a 0x0000
// result is written as 0xFFFF (RFC 768).  With ip4_en, the IPv4 header at l3_offset gets its
// header checksum, computed with the checksum field taken as zero.
//
// The checksum field can lie before the end of the data it covers, so the engine stores each
// frame and forwards it once its sums are known: sums are computed on the way into a frame
// buffer, results go through a small result queue, and the output side patches the fields as
// the frame leaves.  While frame N leaves, frame N+1 enters: one beat per cycle with no gap
// between frames, at every frame size up to MaxFrameBytes.
//
// Bad commands (csum_start or the field beyond the frame, an IPv4 header not in the frame or
// not version 4 with IHL >= 5, or the two checksum fields covering each other) leave the
// frame's bytes unchanged and set an error bit in the status on tuser of the frame's last
// output beat.  A frame longer than MaxFrameBytes is sent unchanged with err_oversize (cut
// through once the buffer holds MaxFrameBytes of it), so the engine never deadlocks.
// A frame whose last beat comes with s_axis_tdrop_i (an upstream block cut it short, e.g. the
// segmenter on a request shorter than it said) is dropped whole: it never leaves and is not
// counted (whoever cut it reports it).  Oversize frames are already leaving when their end arrives and cannot be dropped.
// tkeep: every beat but the last is full; the last beat's bytes are contiguous from lane 0.
module nic_csum_tx #(
  // Stream width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Longest frame that gets checksums; longer frames pass with err_oversize.  At most 65535.
  parameter int unsigned MaxFrameBytes = 9216
) (
  input  logic                   clk_i,
  input  logic                   rst_i,
  // Offload enable (CSR csum.ctrl.tx_enable); when low every command is ignored.
  input  logic                   enable_i,

  // ---- Frames in; tuser carries nic_hw_pkg::tx_csum_cmd_t on the first beat of a frame
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [63:0]            s_axis_tuser_i,
  // On a frame's last beat: the frame is bad, drop it.
  input  logic                   s_axis_tdrop_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames out; tuser carries nic_hw_pkg::tx_csum_status_t on the last beat, 0 elsewhere
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [7:0]             m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Counter events: one-cycle pulses as a frame's result is known, for frames sent on
  // (a frame sent with an error bit in its status: error_o too; a dropped frame: neither)
  output logic                   frame_o,
  output logic                   error_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LaneBits = $clog2(Bytes);
  // Beat index width such that beat * Bytes spans 16-bit byte positions.
  localparam int unsigned IdxWidth = 16 - LaneBits;
  localparam int unsigned MaxBeats = (MaxFrameBytes + Bytes - 1) / Bytes;
  // The buffer holds the longest frame plus the sum pipeline's latency, so the input never
  // waits for a result that needs more input (see the header comment).
  localparam int unsigned BufDepth = 1 << $clog2(MaxBeats + 32);
  localparam int unsigned ResDepth = 32;

  if (DataWidth < 64 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_csum_tx: DataWidth must be a power of two from 64 to 512");
  end
  if (MaxFrameBytes < 64 || MaxFrameBytes > 65535) begin : g_bad_max
    $fatal(1, "nic_csum_tx: MaxFrameBytes must be within 64..65535");
  end

  // ======================================================================================
  // Input: every accepted beat goes into the frame buffer and down the sum pipeline.
  // ======================================================================================
  nic_hw_pkg::tx_csum_cmd_t in_cmd, cmd_q;
  logic                in_frame_q;       // a frame has started and not ended
  logic [IdxWidth-1:0] in_idx_q;         // beat index within the frame, saturating
  logic                early_done_q;     // an oversize result was already issued
  logic                buf_ready, room_q, in_fire;
  logic [$clog2(ResDepth):0] res_level;

  assign in_cmd  = nic_hw_pkg::tx_csum_cmd_t'(s_axis_tuser_i);
  assign s_axis_tready_o = buf_ready && room_q;
  assign in_fire = s_axis_tvalid_i && s_axis_tready_o;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      in_frame_q   <= 1'b0;
      in_idx_q     <= '0;
      early_done_q <= 1'b0;
      room_q       <= 1'b1;
    end else begin
      // Results in flight in the pipeline are at most one per stage (about 12 with the
      // FIFO's own latency and this register): keep that much room.
      room_q <= res_level <= ($clog2(ResDepth) + 1)'(ResDepth - 16);
      if (in_fire) begin
        in_frame_q <= !s_axis_tlast_i;
        if (s_axis_tlast_i) begin
          in_idx_q     <= '0;
          early_done_q <= 1'b0;
        end else begin
          if (in_idx_q != '1) in_idx_q <= in_idx_q + 1'b1;
          if (in_idx_q == IdxWidth'(MaxBeats - 1)) early_done_q <= 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (in_fire && !in_frame_q) cmd_q <= in_cmd;
  end

  logic                 buf_valid, buf_pop, buf_last;
  logic [DataWidth-1:0] buf_data;
  logic [Bytes-1:0]     buf_keep;
  logic [$clog2(BufDepth):0] unused_buf_level;

  nic_fifo #(.Width(DataWidth + Bytes + 1), .Depth(BufDepth)) u_buf (
    .clk_i,
    .rst_i,
    .s_valid_i (in_fire),
    .s_ready_o (buf_ready),
    .s_data_i  ({s_axis_tdata_i, s_axis_tkeep_i, s_axis_tlast_i}),
    .m_valid_o (buf_valid),
    .m_ready_i (buf_pop),
    .m_data_o  ({buf_data, buf_keep, buf_last}),
    .level_o   (unused_buf_level)
  );

  // ---- P1: register the beat with its frame's command --------------------------------
  logic                 p1_valid_q, p1_last_q, p1_res_q, p1_drop_q;
  logic [IdxWidth-1:0]  p1_idx_q;
  logic [DataWidth-1:0] p1_data_q;
  logic [Bytes-1:0]     p1_keep_q;
  logic [7:0]           p1_l3byte_q;   // the byte at the IPv4 header's lane in this beat
  nic_hw_pkg::tx_csum_cmd_t p1_cmd_q, in_frame_cmd;

  assign in_frame_cmd = in_frame_q ? cmd_q : in_cmd;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p1_valid_q <= 1'b0;
    end else begin
      p1_valid_q <= in_fire;
    end
    p1_data_q <= s_axis_tdata_i;
    p1_keep_q <= s_axis_tkeep_i;
    p1_last_q <= s_axis_tlast_i;
    p1_drop_q <= s_axis_tlast_i && s_axis_tdrop_i;
    p1_idx_q  <= in_idx_q;
    p1_cmd_q  <= in_frame_cmd;
    // Picked here, a register ahead of its use, so the 64-way byte select has a cycle alone.
    p1_l3byte_q <= s_axis_tdata_i[8 * in_frame_cmd.l3_offset[LaneBits-1:0] +: 8];
    // A result leaves the pipeline at the last beat, or early when the frame is too long.
    p1_res_q  <= (s_axis_tlast_i && !early_done_q) ||
                 (!s_axis_tlast_i && !early_done_q && in_idx_q == IdxWidth'(MaxBeats - 1));
  end

  // Lanes of beat `idx` at or after byte position `pos`.
  function automatic logic [Bytes-1:0] from_pos(logic [IdxWidth-1:0] idx, logic [15:0] pos);
    logic [IdxWidth-1:0] b;
    b = pos[15:LaneBits];
    if (idx > b) from_pos = '1;
    else if (idx == b) from_pos = {Bytes{1'b1}} << pos[LaneBits-1:0];
    else from_pos = '0;
  endfunction

  // One-hot lane of byte position `pos` if it falls in beat `idx`.
  function automatic logic [Bytes-1:0] at_pos(logic [IdxWidth-1:0] idx, logic [15:0] pos);
    if (idx == pos[15:LaneBits]) at_pos = {{(Bytes-1){1'b0}}, 1'b1} << pos[LaneBits-1:0];
    else at_pos = '0;
  endfunction


  // Per-beat facts that travel beside the data: positions derived from the command (computed
  // once, early, so no later stage has an adder in front of a compare), and the frame length
  // so far.
  typedef struct packed {
    logic        last;
    logic        drop;                 // last beat of a frame to drop
    logic        res;                  // this beat issues the frame's result
    logic        l4_en, ip4_en, udp, odd_start;
    logic [15:0] init;
    logic [16:0] start;
    logic [16:0] field_end;            // csum_start + csum_offset + 2
    logic [15:0] l4_pos;               // the L4 field
    logic [16:0] l3, l3_12, l3_20;
    logic [15:0] ip_pos, ip_pos1;      // the IPv4 checksum field: l3 + 10, l3 + 11
    logic [16:0] hdr_end;              // l3 + IHL * 4
    logic [7:0]  vihl;                 // the IPv4 version/IHL byte
    logic [16:0] len;                  // bytes up to the end of this beat
    // Command checks against this beat's length (meaningful on the last beat), made early so
    // the verdict stage only combines bits.
    logic        start_past;           // csum_start at or past the end
    logic        field_past;           // the L4 field not wholly inside the frame
    logic        ip_hdr_ok;            // IPv4 header in the frame, version 4, IHL >= 5
    logic        fields_collide;       // either field inside the other's range
  } side_t;

  // ---- P2: the IPv4 version/IHL byte, and positions ------------------------------------
  logic [15:0] p1_l3;
  logic [7:0]  p1_vihl, vihl_q;        // vihl_q: the byte, once it has passed
  assign p1_l3 = {8'd0, p1_cmd_q.l3_offset};
  assign p1_vihl = (p1_idx_q == p1_l3[15:LaneBits]) ? p1_l3byte_q : vihl_q;

  logic                 p2_valid_q;
  logic [IdxWidth-1:0]  p2_idx_q;
  logic [DataWidth-1:0] p2_data_q;
  logic [Bytes-1:0]     p2_keep_q;
  side_t                p2_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) p2_valid_q <= 1'b0;
    else p2_valid_q <= p1_valid_q;
    if (p1_valid_q) vihl_q <= p1_vihl;
    p2_data_q         <= p1_data_q;
    p2_keep_q         <= p1_keep_q;
    p2_idx_q          <= p1_idx_q;
    p2_q.last         <= p1_last_q;
    p2_q.drop         <= p1_drop_q;
    p2_q.res          <= p1_res_q;
    p2_q.l4_en        <= enable_i && p1_cmd_q.l4_en;
    p2_q.ip4_en       <= enable_i && p1_cmd_q.ip4_en;
    p2_q.udp          <= p1_cmd_q.udp;
    p2_q.odd_start    <= p1_cmd_q.csum_start[0];
    p2_q.init         <= p1_cmd_q.csum_init;
    p2_q.start        <= {1'b0, p1_cmd_q.csum_start};
    p2_q.field_end    <= {1'b0, p1_cmd_q.csum_start} + {9'd0, p1_cmd_q.csum_offset} + 17'd2;
    p2_q.l4_pos       <= p1_cmd_q.csum_start + {8'd0, p1_cmd_q.csum_offset};
    p2_q.l3           <= {1'b0, p1_l3};
    p2_q.l3_12        <= {1'b0, p1_l3} + 17'd12;
    p2_q.l3_20        <= {1'b0, p1_l3} + 17'd20;
    p2_q.ip_pos       <= p1_l3 + 16'd10;
    p2_q.ip_pos1      <= p1_l3 + 16'd11;
    p2_q.hdr_end      <= {1'b0, p1_l3} + {11'd0, p1_vihl[3:0], 2'b00};
    p2_q.vihl         <= p1_vihl;
    p2_q.len          <= {1'b0, p1_idx_q, {LaneBits{1'b0}}} +
                         17'(nic_csum_pkg::keep_count(64'(p1_keep_q)));
    p2_q.start_past     <= 1'b0;
    p2_q.field_past     <= 1'b0;
    p2_q.ip_hdr_ok      <= 1'b0;
    p2_q.fields_collide <= 1'b0;
  end

  // ---- P3: byte masks ------------------------------------------------------------------
  logic                 p3_valid_q;
  logic [DataWidth-1:0] p3_data_q;
  logic [Bytes-1:0]     p3_l4_mask_q, p3_ip_mask_q;
  side_t                p3_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) p3_valid_q <= 1'b0;
    else p3_valid_q <= p2_valid_q;
    p3_data_q    <= p2_data_q;
    p3_q         <= p2_q;
    p3_q.start_past     <= p2_q.start >= p2_q.len;
    p3_q.field_past     <= p2_q.field_end > p2_q.len;
    p3_q.ip_hdr_ok      <= p2_q.l3_20 <= p2_q.len && p2_q.vihl[7:4] == 4'd4 &&
                           p2_q.vihl[3:0] >= 4'd5 && p2_q.hdr_end <= p2_q.len;
    // Each checksum must cover the bytes as they leave: the IPv4 checksum field (l3 + 10)
    // must not be in the L4 range, nor the L4 field in the IPv4 header.
    p3_q.fields_collide <= p2_q.start < p2_q.l3_12 ||
                           (p2_q.field_end > p2_q.l3 && p2_q.field_end < p2_q.hdr_end + 17'd2);
    p3_l4_mask_q <= p2_keep_q & from_pos(p2_idx_q, p2_q.start[15:0]);
    // The IPv4 header, less its checksum field (taken as zero).
    p3_ip_mask_q <= p2_keep_q & from_pos(p2_idx_q, p2_q.l3[15:0]) &
                    ~from_pos(p2_idx_q, p2_q.hdr_end[15:0]) &
                    ~at_pos(p2_idx_q, p2_q.ip_pos) & ~at_pos(p2_idx_q, p2_q.ip_pos1);
  end

  // ---- Word sums of the masked bytes (nic_csum_beat_sum: six cycles between P3 and P7) ----
  // Words pair bytes at even frame positions (high) with the next odd one (low); a range that
  // starts at an odd position is corrected by a byte swap at the end (RFC 1071).
  logic [21:0] beat_l4, beat_ip;
  nic_csum_beat_sum #(.DataWidth(DataWidth), .Latency(SumLatency)) u_sum_l4 (
    .clk_i, .en_i(1'b1), .data_i(p3_data_q), .mask_i(p3_l4_mask_q), .sum_o(beat_l4)
  );
  nic_csum_beat_sum #(.DataWidth(DataWidth), .Latency(SumLatency)) u_sum_ip (
    .clk_i, .en_i(1'b1), .data_i(p3_data_q), .mask_i(p3_ip_mask_q), .sum_o(beat_ip)
  );

  // The sideband waits beside the sums.
  localparam int unsigned SumLatency = 6;
  localparam int unsigned SideBits = $bits(p3_q);
  logic [SumLatency-1:0]               sd_valid_q;
  logic [SumLatency-1:0][SideBits-1:0] sd_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) sd_valid_q <= '0;
    else sd_valid_q <= {sd_valid_q[SumLatency-2:0], p3_valid_q};
    sd_q <= {sd_q[SumLatency-2:0], p3_q};
  end

  // ---- P7: per-frame accumulation ------------------------------------------------------
  // 32 bits cannot overflow before 64 KiB of 0xFFFF words; longer frames are oversize anyway.
  logic [31:0] acc_l4_q, acc_ip_q, sum_l4, sum_ip;
  logic        acc_first_q;            // the next beat starts a frame
  side_t       p6;

  assign p6     = side_t'(sd_q[SumLatency-1]);
  assign sum_l4 = (acc_first_q ? 32'd0 : acc_l4_q) + {10'd0, beat_l4};
  assign sum_ip = (acc_first_q ? 32'd0 : acc_ip_q) + {10'd0, beat_ip};

  logic        p7_valid_q;
  logic [31:0] p7_l4_q, p7_ip_q;
  side_t       p7_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      acc_first_q <= 1'b1;
      p7_valid_q  <= 1'b0;
    end else begin
      if (sd_valid_q[SumLatency-1]) acc_first_q <= p6.last;
      p7_valid_q <= sd_valid_q[SumLatency-1] && p6.res;
    end
    if (sd_valid_q[SumLatency-1]) begin
      acc_l4_q <= sum_l4;
      acc_ip_q <= sum_ip;
    end
    p7_l4_q <= sum_l4;
    p7_ip_q <= sum_ip;
    p7_q    <= p6;
  end

  // ---- P8: fold, and the command checks ------------------------------------------------


  logic oversize, l4_bad, ip_bad, overlap, ip_ok_hdr;
  // A result issued before the last beat is the too-long frame's.
  assign oversize = !p7_q.last;
  // The IPv4 header is usable: in the frame, version 4, IHL at least 5.  Only then is its IHL
  // byte known (captured as it passed), so only then can the two fields collide.
  // The IPv4 header is usable: in the frame, version 4, IHL at least 5.  Only then is its IHL
  // byte known (captured as it passed), so only then can the two fields collide.
  assign ip_ok_hdr = !oversize && p7_q.ip_hdr_ok;
  assign overlap   = p7_q.l4_en && p7_q.ip4_en && ip_ok_hdr && p7_q.fields_collide;
  assign l4_bad    = p7_q.l4_en && (oversize || p7_q.start_past || p7_q.field_past || overlap);
  assign ip_bad    = p7_q.ip4_en && (!ip_ok_hdr || overlap);

  logic        p8_valid_q, p8_l4_ok_q, p8_ip_ok_q;
  logic [15:0] p8_l4_q, p8_ip_q;
  logic [2:0]  p8_status_q;
  side_t       p8_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) p8_valid_q <= 1'b0;
    else p8_valid_q <= p7_valid_q;
    p8_l4_q     <= nic_csum_pkg::fold(p7_l4_q);
    p8_ip_q     <= nic_csum_pkg::fold(p7_ip_q);
    p8_l4_ok_q  <= p7_q.l4_en && !l4_bad;
    p8_ip_ok_q  <= p7_q.ip4_en && !ip_bad;
    p8_status_q <= {oversize, ip_bad, l4_bad};
    p8_q        <= p7_q;
  end

  // ---- P9: the initial value added ------------------------------------------------------
  logic        p9_valid_q, p9_l4_ok_q, p9_ip_ok_q;
  logic [15:0] p9_l4_q, p9_ip_q;
  logic [2:0]  p9_status_q;
  side_t       p9_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) p9_valid_q <= 1'b0;
    else p9_valid_q <= p8_valid_q;
    // Words were paired from even frame positions: swap when the range starts at an odd one.
    p9_l4_q     <= nic_csum_pkg::add1c(
                       p8_q.odd_start ? {p8_l4_q[7:0], p8_l4_q[15:8]} : p8_l4_q, p8_q.init);
    p9_ip_q     <= p8_q.l3[0] ? {p8_ip_q[7:0], p8_ip_q[15:8]} : p8_ip_q;
    p9_l4_ok_q  <= p8_l4_ok_q;
    p9_ip_ok_q  <= p8_ip_ok_q;
    p9_status_q <= p8_status_q;
    p9_q        <= p8_q;
  end

  // ---- P10: the values to write ----------------------------------------------------------
  // Result record: what the output side needs to patch one frame.
  typedef struct packed {
    logic        l4_ok;
    logic [15:0] l4_pos;
    logic [15:0] l4_pos1;
    logic [15:0] l4_val;
    logic        ip_ok;
    logic [15:0] ip_pos;
    logic [15:0] ip_pos1;
    logic [15:0] ip_val;
    logic [2:0]  status;               // err_oversize, err_ip4, err_l4
    logic        drop;                 // the frame is not sent
  } result_t;

  result_t p10_res_q, res_in, res_head, res_q;
  logic    p10_valid_q, res_valid, res_pop, unused_res_ready;

  always_ff @(posedge clk_i) begin
    if (rst_i) p10_valid_q <= 1'b0;
    else p10_valid_q <= p9_valid_q;
    p10_res_q.l4_ok   <= p9_l4_ok_q;
    p10_res_q.l4_pos  <= p9_q.l4_pos;
    p10_res_q.l4_pos1 <= p9_q.field_end[15:0] - 16'd1;
    // With `udp`, a computed 0x0000 goes out as 0xFFFF, its other ones'-complement form.
    p10_res_q.l4_val  <= (p9_q.udp && p9_l4_q == 16'hFFFF) ? 16'hFFFF : ~p9_l4_q;
    p10_res_q.ip_ok   <= p9_ip_ok_q;
    p10_res_q.ip_pos  <= p9_q.ip_pos;
    p10_res_q.ip_pos1 <= p9_q.ip_pos1;
    p10_res_q.ip_val  <= ~p9_ip_q;
    p10_res_q.status  <= p9_status_q;
    // Only a whole frame can be dropped; an oversize one has begun to leave.
    p10_res_q.drop    <= p9_q.drop && p9_q.last;
  end

  // The reserved command bits are ignored, and the late stages need only part of the
  // sideband.
  logic unused_side;
  assign unused_side = ^{p1_cmd_q, p8_q, p9_q};

  // A dropped frame is not counted: the counters say what the engine sent on.
  assign frame_o = p10_valid_q && !p10_res_q.drop;
  assign error_o = p10_valid_q && !p10_res_q.drop && p10_res_q.status != '0;
  assign res_in  = p10_res_q;

  nic_fifo #(.Width($bits(res_in)), .Depth(ResDepth)) u_res (
    .clk_i,
    .rst_i,
    .s_valid_i (p10_valid_q),
    .s_ready_o (unused_res_ready),     // room is reserved at the input (room_q)
    .s_data_i  (res_in),
    .m_valid_o (res_valid),
    .m_ready_i (res_pop),
    .m_data_o  (res_head),
    .level_o   (res_level)
  );

  // ======================================================================================
  // Output: a frame leaves once its result is known; its checksum fields are patched.
  // ======================================================================================
  logic                out_first_q;     // the next buffered beat starts a frame
  logic [IdxWidth-1:0] out_idx_q;
  result_t             cur;
  logic                skid_ready, move;
  logic [DataWidth-1:0] patched;
  logic [Bytes-1:0]    l4_hi, l4_lo, ip_hi, ip_lo;

  assign cur     = out_first_q ? res_head : res_q;
  assign move    = buf_valid && skid_ready && (!out_first_q || res_valid);
  assign buf_pop = move;
  assign res_pop = move && out_first_q;

  assign l4_hi = cur.l4_ok ? at_pos(out_idx_q, cur.l4_pos) : '0;
  assign l4_lo = cur.l4_ok ? at_pos(out_idx_q, cur.l4_pos1) : '0;
  assign ip_hi = cur.ip_ok ? at_pos(out_idx_q, cur.ip_pos) : '0;
  assign ip_lo = cur.ip_ok ? at_pos(out_idx_q, cur.ip_pos1) : '0;

  always_comb begin
    patched = buf_data;
    for (int unsigned l = 0; l < Bytes; l++) begin
      if (l4_hi[l]) patched[8*l +: 8] = cur.l4_val[15:8];
      if (l4_lo[l]) patched[8*l +: 8] = cur.l4_val[7:0];
      if (ip_hi[l]) patched[8*l +: 8] = cur.ip_val[15:8];
      if (ip_lo[l]) patched[8*l +: 8] = cur.ip_val[7:0];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      out_first_q <= 1'b1;
      out_idx_q   <= '0;
    end else if (move) begin
      out_first_q <= buf_last;
      if (buf_last) out_idx_q <= '0;
      else if (out_idx_q != '1) out_idx_q <= out_idx_q + 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (res_pop) res_q <= res_head;
  end

  nic_hw_pkg::tx_csum_status_t out_status;
  always_comb begin
    out_status = '0;
    if (buf_last) begin
      out_status.err_l4       = cur.status[0];
      out_status.err_ip4      = cur.status[1];
      out_status.err_oversize = cur.status[2];
    end
  end

  nic_skid_buffer #(.Width(DataWidth + Bytes + 1 + 8)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (move && !cur.drop),
    .s_ready_o (skid_ready),
    .s_data_i  ({patched, buf_keep, buf_last, out_status}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o})
  );

endmodule
