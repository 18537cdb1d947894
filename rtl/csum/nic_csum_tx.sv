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
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames out; tuser carries nic_hw_pkg::tx_csum_status_t on the last beat, 0 elsewhere
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [7:0]             m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Counter events: one-cycle pulses as a frame's result is known
  output logic                   frame_o,
  output logic                   error_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LaneBits = $clog2(Bytes);
  localparam int unsigned Words = Bytes / 2;
  // Beat index width such that beat * Bytes spans 16-bit byte positions.
  localparam int unsigned IdxWidth = 16 - LaneBits;
  localparam int unsigned MaxBeats = (MaxFrameBytes + Bytes - 1) / Bytes;
  // The buffer holds the longest frame plus the sum pipeline's latency, so the input never
  // waits for a result that needs more input (see the header comment).
  localparam int unsigned BufDepth = 1 << $clog2(MaxBeats + 16);
  localparam int unsigned ResDepth = 32;
  // Partial sums: groups of 8 words, each at most 8 * 0xFFFF (19 bits).
  localparam int unsigned Groups = (Words + 7) / 8;

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
      room_q       <= 1'b0;
    end else begin
      // Results in flight in the pipeline are at most one per stage: keep that much room.
      room_q <= res_level <= ($clog2(ResDepth) + 1)'(ResDepth - 8);
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
  logic                 p1_valid_q, p1_last_q, p1_res_q;
  logic [IdxWidth-1:0]  p1_idx_q;
  logic [DataWidth-1:0] p1_data_q;
  logic [Bytes-1:0]     p1_keep_q;
  nic_hw_pkg::tx_csum_cmd_t p1_cmd_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p1_valid_q <= 1'b0;
    end else begin
      p1_valid_q <= in_fire;
    end
    p1_data_q <= s_axis_tdata_i;
    p1_keep_q <= s_axis_tkeep_i;
    p1_last_q <= s_axis_tlast_i;
    p1_idx_q  <= in_idx_q;
    p1_cmd_q  <= in_frame_q ? cmd_q : in_cmd;
    // A result leaves the pipeline at the last beat, or early when the frame is too long.
    p1_res_q  <= (s_axis_tlast_i && !early_done_q) ||
                 (!s_axis_tlast_i && !early_done_q && in_idx_q == IdxWidth'(MaxBeats - 1));
  end

  // ---- P2: byte masks ------------------------------------------------------------------
  // Thermometer masks per beat: lanes at or after byte position `pos` within beat `idx`.
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

  logic [15:0] p1_l3, p1_hdr_end;
  logic [7:0]  p1_vihl;
  logic [7:0]  vihl_q;                 // the IPv4 version/IHL byte, once it has passed
  logic [Bytes-1:0] p1_l3_hit;

  assign p1_l3     = {8'd0, p1_cmd_q.l3_offset};
  assign p1_l3_hit = at_pos(p1_idx_q, p1_l3);
  always_comb begin
    p1_vihl = vihl_q;
    for (int unsigned l = 0; l < Bytes; l++) begin
      if (p1_l3_hit[l]) p1_vihl = p1_data_q[8*l +: 8];
    end
  end
  assign p1_hdr_end = p1_l3 + {10'd0, p1_vihl[3:0], 2'b00};

  logic                 p2_valid_q, p2_last_q, p2_res_q;
  logic [IdxWidth-1:0]  p2_idx_q;
  logic [DataWidth-1:0] p2_data_q;
  logic [Bytes-1:0]     p2_l4_mask_q, p2_ip_mask_q, p2_keep_q;
  logic [7:0]           p2_vihl_q;
  nic_hw_pkg::tx_csum_cmd_t p2_cmd_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p2_valid_q <= 1'b0;
    end else begin
      p2_valid_q <= p1_valid_q;
    end
    if (p1_valid_q) vihl_q <= p1_vihl;
    p2_data_q    <= p1_data_q;
    p2_keep_q    <= p1_keep_q;
    p2_last_q    <= p1_last_q;
    p2_res_q     <= p1_res_q;
    p2_idx_q     <= p1_idx_q;
    p2_cmd_q     <= p1_cmd_q;
    p2_vihl_q    <= p1_vihl;
    p2_l4_mask_q <= p1_keep_q & from_pos(p1_idx_q, p1_cmd_q.csum_start);
    // The IPv4 header, less its checksum field (taken as zero).
    p2_ip_mask_q <= p1_keep_q & from_pos(p1_idx_q, p1_l3) & ~from_pos(p1_idx_q, p1_hdr_end) &
                    ~at_pos(p1_idx_q, p1_l3 + 16'd10) & ~at_pos(p1_idx_q, p1_l3 + 16'd11);
  end

  // ---- P3: masked partial sums -----------------------------------------------------------
  // Words pair bytes at even frame positions (high) with the next odd one (low); a range that
  // starts at an odd position is corrected by a byte swap at the end (RFC 1071).
  function automatic logic [18:0] group_sum(logic [DataWidth-1:0] d, logic [Bytes-1:0] m,
                                            int unsigned g);
    logic [18:0] s;
    s = '0;
    for (int unsigned w = 8 * g; w < 8 * g + 8 && w < Words; w++) begin
      s = s + {3'b000, d[16*w +: 8] & {8{m[2*w]}}, d[16*w+8 +: 8] & {8{m[2*w+1]}}};
    end
    group_sum = s;
  endfunction

  logic                 p3_valid_q, p3_last_q, p3_res_q;
  logic [IdxWidth-1:0]  p3_idx_q;
  logic [Groups*19-1:0] p3_l4_q, p3_ip_q;
  logic [Bytes-1:0]     p3_keep_q;
  logic [7:0]           p3_vihl_q;
  nic_hw_pkg::tx_csum_cmd_t p3_cmd_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p3_valid_q <= 1'b0;
    end else begin
      p3_valid_q <= p2_valid_q;
    end
    p3_last_q <= p2_last_q;
    p3_res_q  <= p2_res_q;
    p3_idx_q  <= p2_idx_q;
    p3_keep_q <= p2_keep_q;
    p3_cmd_q  <= p2_cmd_q;
    p3_vihl_q <= p2_vihl_q;
    for (int unsigned g = 0; g < Groups; g++) begin
      p3_l4_q[19*g +: 19] <= group_sum(p2_data_q, p2_l4_mask_q, g);
      p3_ip_q[19*g +: 19] <= group_sum(p2_data_q, p2_ip_mask_q, g);
    end
  end

  // ---- P4: per-frame accumulation --------------------------------------------------------
  function automatic logic [22:0] groups_total(logic [Groups*19-1:0] p);
    logic [22:0] s;
    s = '0;
    for (int unsigned g = 0; g < Groups; g++) s = s + {4'd0, p[19*g +: 19]};
    groups_total = s;
  endfunction

  // Frame length from the last beat's contiguous tkeep.
  function automatic logic [LaneBits:0] keep_bytes(logic [Bytes-1:0] k);
    keep_bytes = '0;
    for (int unsigned l = 0; l < Bytes; l++) begin
      if (k[l]) keep_bytes = (LaneBits + 1)'(l + 1);
    end
  endfunction

  // 32 bits cannot overflow before 64 KiB of 0xFFFF words; longer frames are oversize anyway.
  logic [31:0] acc_l4_q, acc_ip_q, sum_l4, sum_ip;
  logic        acc_first_q;            // the next P3 beat starts a frame

  assign sum_l4 = (acc_first_q ? 32'd0 : acc_l4_q) + {9'd0, groups_total(p3_l4_q)};
  assign sum_ip = (acc_first_q ? 32'd0 : acc_ip_q) + {9'd0, groups_total(p3_ip_q)};

  logic                 p4_valid_q, p4_oversize_q;
  logic [31:0]          p4_l4_q, p4_ip_q;
  logic [16:0]          p4_len_q;
  logic [7:0]           p4_vihl_q;
  nic_hw_pkg::tx_csum_cmd_t p4_cmd_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      acc_first_q <= 1'b1;
      p4_valid_q  <= 1'b0;
    end else begin
      if (p3_valid_q) acc_first_q <= p3_last_q;
      p4_valid_q <= p3_valid_q && p3_res_q;
    end
    if (p3_valid_q) begin
      acc_l4_q <= sum_l4;
      acc_ip_q <= sum_ip;
    end
    p4_l4_q       <= sum_l4;
    p4_ip_q       <= sum_ip;
    p4_cmd_q      <= p3_cmd_q;
    p4_vihl_q     <= p3_vihl_q;
    p4_oversize_q <= !p3_last_q;
    p4_len_q      <= {1'b0, p3_idx_q, {LaneBits{1'b0}}} + 17'(keep_bytes(p3_keep_q));
  end

  // ---- P5: checks and final values -------------------------------------------------------
  function automatic logic [15:0] fold(logic [31:0] s);
    logic [16:0] t;
    t = {1'b0, s[31:16]} + {1'b0, s[15:0]};
    t = {1'b0, t[15:0]} + {16'd0, t[16]};
    fold = t[15:0];
  endfunction

  function automatic logic [15:0] add1c(logic [15:0] a, logic [15:0] b);
    logic [16:0] t;
    t = {1'b0, a} + {1'b0, b};
    add1c = t[15:0] + {15'd0, t[16]};
  endfunction

  logic [15:0] l4_raw, l4_aligned, l4_csum, ip_raw, ip_csum;
  logic [16:0] l4_field_end, ip_hdr_end;
  logic [16:0] l3_start;
  logic        l4_bad, ip_bad, l4_want, ip_want, overlap, ip_ok_hdr;

  // The reserved command bits are ignored.
  logic unused_cmd;
  assign unused_cmd = ^p4_cmd_q;

  assign l4_want  = enable_i && p4_cmd_q.l4_en;
  assign ip_want  = enable_i && p4_cmd_q.ip4_en;
  assign l3_start = {9'd0, p4_cmd_q.l3_offset};
  assign l4_raw   = fold(p4_l4_q);
  // Words were paired from even frame positions: swap when the range starts at an odd one.
  assign l4_aligned = p4_cmd_q.csum_start[0] ? {l4_raw[7:0], l4_raw[15:8]} : l4_raw;
  assign l4_csum  = ~add1c(l4_aligned, p4_cmd_q.csum_init);
  assign ip_raw   = fold(p4_ip_q);
  assign ip_csum  = ~(p4_cmd_q.l3_offset[0] ? {ip_raw[7:0], ip_raw[15:8]} : ip_raw);
  assign l4_field_end = {1'b0, p4_cmd_q.csum_start} + {9'd0, p4_cmd_q.csum_offset} + 17'd2;
  assign ip_hdr_end   = l3_start + {11'd0, p4_vihl_q[3:0], 2'b00};
  // The IPv4 header is usable: in the frame, version 4, IHL at least 5.  Only then is its IHL
  // byte known (captured as it passed), so only then can the two fields collide.
  assign ip_ok_hdr = !p4_oversize_q && l3_start + 17'd20 <= p4_len_q &&
                     p4_vihl_q[7:4] == 4'd4 && p4_vihl_q[3:0] >= 4'd5 && ip_hdr_end <= p4_len_q;
  // Each checksum must cover the bytes as they leave: neither field may lie inside the other's
  // range.
  assign overlap  = l4_want && ip_want && ip_ok_hdr &&
                    (({1'b0, p4_cmd_q.csum_start} < l3_start + 17'd12) ||
                     (l4_field_end > l3_start && l4_field_end - 17'd2 < ip_hdr_end));
  assign l4_bad   = l4_want && (p4_oversize_q || {1'b0, p4_cmd_q.csum_start} >= p4_len_q ||
                                l4_field_end > p4_len_q || overlap);
  assign ip_bad   = ip_want && (!ip_ok_hdr || overlap);

  // Result record: what the output side needs to patch one frame.
  typedef struct packed {
    logic        l4_ok;
    logic [15:0] l4_pos;
    logic [15:0] l4_val;
    logic        ip_ok;
    logic [15:0] ip_pos;
    logic [15:0] ip_val;
    logic [2:0]  status;               // err_oversize, err_ip4, err_l4
  } result_t;

  result_t p5_res_q, res_in, res_head, res_q;
  logic    p5_valid_q, res_valid, res_pop, unused_res_ready;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p5_valid_q <= 1'b0;
    end else begin
      p5_valid_q <= p4_valid_q;
    end
    p5_res_q.l4_ok  <= l4_want && !l4_bad;
    p5_res_q.l4_pos <= p4_cmd_q.csum_start + {8'd0, p4_cmd_q.csum_offset};
    p5_res_q.l4_val <= (p4_cmd_q.udp && l4_csum == 16'h0000) ? 16'hFFFF : l4_csum;
    p5_res_q.ip_ok  <= ip_want && !ip_bad;
    p5_res_q.ip_pos <= {8'd0, p4_cmd_q.l3_offset} + 16'd10;
    p5_res_q.ip_val <= ip_csum;
    p5_res_q.status <= {p4_oversize_q, ip_bad, l4_bad};
  end

  assign frame_o = p5_valid_q;
  assign error_o = p5_valid_q && (p5_res_q.status != '0);
  assign res_in  = p5_res_q;

  nic_fifo #(.Width($bits(res_in)), .Depth(ResDepth)) u_res (
    .clk_i,
    .rst_i,
    .s_valid_i (p5_valid_q),
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
  assign l4_lo = cur.l4_ok ? at_pos(out_idx_q, cur.l4_pos + 16'd1) : '0;
  assign ip_hi = cur.ip_ok ? at_pos(out_idx_q, cur.ip_pos) : '0;
  assign ip_lo = cur.ip_ok ? at_pos(out_idx_q, cur.ip_pos + 16'd1) : '0;

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
    .s_valid_i (move),
    .s_ready_o (skid_ready),
    .s_data_i  ({patched, buf_keep, buf_last, out_status}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o})
  );

endmodule
