// nic_csum_rx: receive checksum verification (FreeBSD CSUM_L3_CALC/VALID, CSUM_L4_CALC/VALID).
//
// Frames pass through unchanged; on tuser of each frame's last beat the engine reports a
// nic_hw_pkg::rx_csum_result_t: L3 calculated/valid (IPv4 header checksum), L4 calculated/
// valid (TCP or UDP checksum with its pseudo-header), whether the datagram is an IP fragment,
// the L3 type, L4 protocol and offsets, and the raw ones'-complement sum over the L4 segment
// (what FreeBSD's csum_data carries).
//
// Parsing: Ethernet with up to two VLAN tags (0x8100, 0x88A8), IPv4 with options, IPv6 with up
// to MaxExtHeaders hop-by-hop, routing, destination-options and fragment headers, then TCP or
// UDP.  Fragments are not L4-validated; an IPv4 UDP checksum of 0 means "none" (not
// calculated); an IPv6 UDP checksum of 0 is calculated and invalid.  Anything truncated,
// malformed, too deep for the header window, or of another protocol is reported as not
// calculated, never valid.  Bytes after the IP datagram (Ethernet padding) are ignored.
//
// Structure: the first HdrWindowBytes of each frame are captured and parsed by a pipeline that
// accepts a new window every cycle; the frame itself waits in a short FIFO.  As a frame leaves,
// its parse record gives the L4 byte range, which is summed on the way out; the verdict joins
// the last beat.  The input is never held back by the parse or the sum, so one beat per cycle
// goes through with no dead cycle between frames; only output back-pressure stalls the input.
// tkeep: every beat but the last is full; the last beat's bytes are contiguous from lane 0.
module nic_csum_rx #(
  // Stream width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Bytes of each frame the parser sees: Ethernet, VLANs, the IP header and its extension
  // headers and the first 8 bytes of the L4 header must fit.  A multiple of DataWidth/8.
  parameter int unsigned HdrWindowBytes = 128,
  // IPv6 extension headers walked before giving up.
  parameter int unsigned MaxExtHeaders = 4
) (
  input  logic                   clk_i,
  input  logic                   rst_i,
  // Verification enable (CSR csum.ctrl.rx_enable); when low every result is zero.
  input  logic                   enable_i,

  // ---- Frames from the MAC
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames out; tuser carries nic_hw_pkg::rx_csum_result_t on the last beat, 0 elsewhere
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [63:0]            m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Counter events: one-cycle pulses as a frame's verdict leaves
  output logic                   frame_o,
  output logic                   l3_bad_o,
  output logic                   l4_bad_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LaneBits = $clog2(Bytes);
  localparam int unsigned IdxWidth = 16 - LaneBits;
  localparam int unsigned W = HdrWindowBytes;
  localparam int unsigned WinBeats = W / Bytes;
  // Frames wait here while their window is parsed: a window's beats plus the parser's depth,
  // with room to spare.
  localparam int unsigned BufDepth = 1 << $clog2(WinBeats + 2 * MaxExtHeaders + 24);
  // Offsets of extension headers (relative to the IPv6 header) fall on 8-byte steps from 40.
  localparam int unsigned ExtSlots = (W - 40) / 8;
  localparam int unsigned L4Slots = W / 4;

  if (DataWidth < 64 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_csum_rx: DataWidth must be a power of two from 64 to 512");
  end
  if (W % Bytes != 0 || W < 64 || W > 248) begin : g_bad_win
    $fatal(1, "nic_csum_rx: HdrWindowBytes must be a multiple of DataWidth/8 within 64..248");
  end
  if (MaxExtHeaders < 1 || MaxExtHeaders > 8) begin : g_bad_ext
    $fatal(1, "nic_csum_rx: MaxExtHeaders must be within 1..8");
  end

  // ---- Helpers ---------------------------------------------------------------------------
  function automatic logic [7:0] wbyte(logic [W*8-1:0] win, int unsigned i);
    wbyte = win[8*i +: 8];
  endfunction



  function automatic logic is_vlan(logic [15:0] t);
    is_vlan = t == 16'h8100 || t == 16'h88A8;
  endfunction

  // IPv6 extension headers the parser walks: hop-by-hop, routing, fragment, destination.
  function automatic logic is_ext(logic [7:0] nh);
    is_ext = nh == 8'd0 || nh == 8'd43 || nh == 8'd44 || nh == 8'd60;
  endfunction

  // ======================================================================================
  // Input: beats go to the frame FIFO; the first W bytes of each frame go to the parser.
  // ======================================================================================
  logic                 buf_ready, in_fire;
  logic                 buf_valid, buf_pop, buf_last;
  logic [DataWidth-1:0] buf_data;
  logic [Bytes-1:0]     buf_keep;
  logic [$clog2(BufDepth):0] unused_buf_level;

  assign s_axis_tready_o = buf_ready;
  assign in_fire = s_axis_tvalid_i && buf_ready;

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

  logic [IdxWidth-1:0] in_idx_q;
  logic [W*8-1:0]      win_q, win_d;
  logic                win_done;        // this beat completes the frame's window
  logic [8:0]          win_len;         // bytes of the frame inside the window

  always_comb begin
    // A frame's first beat clears the rest of the window, so bytes past the end read as 0.
    win_d = (in_idx_q == '0) ? '0 : win_q;
    for (int unsigned b = 0; b < WinBeats; b++) begin
      if (in_idx_q == IdxWidth'(b)) win_d[b*DataWidth +: DataWidth] = s_axis_tdata_i;
    end
  end
  assign win_done = in_fire && (in_idx_q < IdxWidth'(WinBeats)) &&
                    (s_axis_tlast_i || in_idx_q == IdxWidth'(WinBeats - 1));
  assign win_len  = s_axis_tlast_i
                  ? 9'(in_idx_q * Bytes) + 9'(nic_csum_pkg::keep_count(64'(s_axis_tkeep_i)))
                  : 9'(W);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      in_idx_q <= '0;
    end else if (in_fire) begin
      if (s_axis_tlast_i) in_idx_q <= '0;
      else if (in_idx_q != '1) in_idx_q <= in_idx_q + 1'b1;
    end
    if (in_fire) win_q <= win_d;
  end

  // ======================================================================================
  // Parser pipeline: one window per cycle.
  // ======================================================================================
  // ---- PA: Ethernet and VLAN tags ----------------------------------------------------------
  logic           pa_valid_q;
  logic [W*8-1:0] pa_win_q;
  logic [8:0]     pa_len_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) pa_valid_q <= 1'b0;
    else pa_valid_q <= win_done;
    if (win_done) begin
      pa_win_q <= win_d;
      pa_len_q <= win_len;
    end
  end

  logic [15:0] et0, et1, et2;
  logic [1:0]  tags_raw, tags;         // tags_raw: before the length check (selects the shift)
  logic [4:0]  l3off;
  logic        short_frame;
  nic_hw_pkg::l3_type_e l3type;

  // Flat logic: every comparison against a constant in parallel, then a selection by the
  // number of tags (no adder in front of a compare).
  function automatic nic_hw_pkg::l3_type_e type_of(logic [15:0] et);
    if (et == 16'h0800) type_of = nic_hw_pkg::L3TypeIpv4;
    else if (et == 16'h86DD) type_of = nic_hw_pkg::L3TypeIpv6;
    else type_of = nic_hw_pkg::L3TypeNone;
  endfunction

  always_comb begin
    et0 = {wbyte(pa_win_q, 12), wbyte(pa_win_q, 13)};
    et1 = {wbyte(pa_win_q, 16), wbyte(pa_win_q, 17)};
    et2 = {wbyte(pa_win_q, 20), wbyte(pa_win_q, 21)};
    // Every type field read must lie wholly in the frame; if one does not, nothing is reported,
    // not even the tags.  A third tag is not parsed.
    if (!is_vlan(et0)) begin
      tags_raw    = 2'd0;
      l3off       = 5'd14;
      short_frame = pa_len_q < 9'd14;
      l3type      = type_of(et0);
    end else if (!is_vlan(et1)) begin
      tags_raw    = 2'd1;
      l3off       = 5'd18;
      short_frame = pa_len_q < 9'd18;
      l3type      = type_of(et1);
    end else begin
      tags_raw    = 2'd2;
      l3off       = 5'd22;
      short_frame = pa_len_q < 9'd22;
      l3type      = is_vlan(et2) ? nic_hw_pkg::L3TypeNone : type_of(et2);
    end
    tags = tags_raw;
    if (short_frame) begin
      l3type = nic_hw_pkg::L3TypeNone;
      tags   = 2'd0;
    end
  end

  // ---- PB: the L3 header, moved to position 0 ------------------------------------------
  logic           pb_valid_q;
  logic [W*8-1:0] pb_r_q;              // window from the L3 header on
  logic [8:0]     pb_rlen_q;           // bytes of the frame from the L3 header on (in window)
  logic [4:0]     pb_l3off_q;
  logic [1:0]     pb_tags_q;
  nic_hw_pkg::l3_type_e pb_l3type_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) pb_valid_q <= 1'b0;
    else pb_valid_q <= pa_valid_q;
    // Three possible L3 offsets: three fixed shifts, not a barrel shifter.
    unique case (tags_raw)
      2'd0:    pb_r_q <= pa_win_q >> 112;
      2'd1:    pb_r_q <= pa_win_q >> 144;
      default: pb_r_q <= pa_win_q >> 176;
    endcase
    pb_rlen_q   <= (pa_len_q > 9'(l3off)) ? pa_len_q - 9'(l3off) : 9'd0;
    pb_l3off_q  <= l3off;
    pb_tags_q   <= tags;
    pb_l3type_q <= l3type;
  end

  // ---- PC..PC4: header fields and sums ----------------------------------------------------
  // The IPv4 header checksum over IHL*2 words (at most 30) and the pseudo-header addresses,
  // as adder trees of two levels per stage.
  function automatic logic [15:0] rword(logic [W*8-1:0] r, int unsigned w);
    rword = {r[16*w +: 8], r[16*w+8 +: 8]};
  endfunction

  function automatic logic [17:0] sum4(logic [15:0] a, logic [15:0] b, logic [15:0] c,
                                       logic [15:0] d);
    sum4 = ({2'd0, a} + {2'd0, b}) + ({2'd0, c} + {2'd0, d});
  endfunction

  logic [4:0]  ihl_words;
  logic [15:0] hw_masked [32];
  always_comb begin
    ihl_words = {pb_r_q[3:0], 1'b0};
    for (int unsigned w = 0; w < 32; w++) begin
      hw_masked[w] = (w < 30 && 5'(w) < ihl_words) ? rword(pb_r_q, w) : 16'd0;
    end
  end

  // Parse state carried through the extension-header stages.
  typedef struct packed {
    nic_hw_pkg::l3_type_e l3type;
    logic [1:0]           tags;
    logic [4:0]           l3off;
    logic                 l3_ok;       // structurally sound, as far as the window tells
    logic                 hdr_ok;      // IPv4 header checksum verifies
    logic [16:0]          l3_end;      // end of the IP datagram (frame offset)
    logic [15:0]          pay_end;     // end of the datagram relative to the L3 header
    logic                 frag;
    logic                 broken;      // extension headers could not be walked
    logic [13:0]          cur;         // next header's offset relative to the L3 header
    logic [7:0]           nh;          // its type
    logic [15:0]          ps_addr;     // folded pseudo-header address sum
  } walk_t;

  // PC decodes the L3 header's fields, all but what needs the sums.
  walk_t       pcw_d;
  logic [7:0]  vihl;
  logic [15:0] v4_tot, v6_plen;

  always_comb begin
    vihl    = pb_r_q[7:0];
    v4_tot  = rword(pb_r_q, 1);
    v6_plen = rword(pb_r_q, 2);
    pcw_d        = '0;
    pcw_d.l3type = pb_l3type_q;
    pcw_d.tags   = pb_tags_q;
    pcw_d.l3off  = pb_l3off_q;
    if (pb_l3type_q == nic_hw_pkg::L3TypeIpv4) begin
      pcw_d.l3_ok   = vihl[7:4] == 4'd4 && vihl[3:0] >= 4'd5 &&
                     9'({vihl[3:0], 2'b00}) <= pb_rlen_q &&
                     v4_tot >= 16'({vihl[3:0], 2'b00});
      pcw_d.l3_end  = 17'(pb_l3off_q) + {1'b0, v4_tot};
      pcw_d.pay_end = v4_tot;
      // More fragments, or a fragment offset.
      pcw_d.frag    = pb_r_q[53] || pb_r_q[52:48] != '0 || pb_r_q[63:56] != '0;
      pcw_d.cur     = 14'({vihl[3:0], 2'b00});
      pcw_d.nh      = pb_r_q[79:72];
    end else if (pb_l3type_q == nic_hw_pkg::L3TypeIpv6) begin
      pcw_d.l3_ok   = vihl[7:4] == 4'd6 && pb_rlen_q >= 9'd40;
      pcw_d.l3_end  = 17'(pb_l3off_q) + 17'd40 + {1'b0, v6_plen};
      pcw_d.pay_end = 16'd40 + v6_plen;   // a wrap makes l4_len checks fail, as they should
      pcw_d.cur     = 14'd40;
      pcw_d.nh      = pb_r_q[55:48];
      pcw_d.broken  = v6_plen > 16'hFFD7;
    end
  end

  // The window from the L3 header on travels with the walk.

  logic           pc_valid_q;
  walk_t          pc_w_q, pc2_w_q, pc3_w_q;
  logic [W*8-1:0] pc_r_q;
  nic_hw_pkg::l3_type_e pc_l3type_q;
  logic [32*16-1:0] pc_hm_q;           // the header's words, IHL-masked
  logic [17:0]     pc_v4_ps_q;         // IPv4 addresses (words 6..9)
  logic [4*18-1:0] pc_v6_ps_q;         // IPv6 addresses (words 4..19), four sums of four

  always_ff @(posedge clk_i) begin
    if (rst_i) pc_valid_q <= 1'b0;
    else pc_valid_q <= pb_valid_q;
    pc_r_q      <= pb_r_q;
    pc_l3type_q <= pb_l3type_q;
    pc_w_q      <= pcw_d;
    for (int unsigned w = 0; w < 32; w++) pc_hm_q[16*w +: 16] <= hw_masked[w];
    pc_v4_ps_q <= sum4(rword(pb_r_q, 6), rword(pb_r_q, 7), rword(pb_r_q, 8), rword(pb_r_q, 9));
    for (int unsigned g = 0; g < 4; g++) begin
      pc_v6_ps_q[18*g +: 18] <= sum4(rword(pb_r_q, 4 + 4*g), rword(pb_r_q, 5 + 4*g),
                                     rword(pb_r_q, 6 + 4*g), rword(pb_r_q, 7 + 4*g));
    end
  end

  function automatic logic [19:0] sum4w(logic [4*18-1:0] v);
    sum4w = ({2'd0, v[17:0]} + {2'd0, v[35:18]}) + ({2'd0, v[53:36]} + {2'd0, v[71:54]});
  endfunction

  logic           pc2_valid_q;
  logic [W*8-1:0] pc2_r_q;
  nic_hw_pkg::l3_type_e pc2_l3type_q;
  logic [8*18-1:0] pc2_hdr_q;          // eight sums of four header words
  logic [19:0]    pc2_ps_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) pc2_valid_q <= 1'b0;
    else pc2_valid_q <= pc_valid_q;
    pc2_r_q      <= pc_r_q;
    pc2_l3type_q <= pc_l3type_q;
    pc2_w_q      <= pc_w_q;
    for (int unsigned g = 0; g < 8; g++) begin
      pc2_hdr_q[18*g +: 18] <= sum4(pc_hm_q[64*g +: 16], pc_hm_q[64*g+16 +: 16],
                                    pc_hm_q[64*g+32 +: 16], pc_hm_q[64*g+48 +: 16]);
    end
    pc2_ps_q     <= (pc_l3type_q == nic_hw_pkg::L3TypeIpv6) ? sum4w(pc_v6_ps_q)
                                                            : {2'd0, pc_v4_ps_q};
  end

  logic           pc3_valid_q;
  logic [W*8-1:0] pc3_r_q;
  nic_hw_pkg::l3_type_e pc3_l3type_q;
  logic [19:0]    pc3_hdr_a_q, pc3_hdr_b_q;
  logic [15:0]    pc3_ps_q;


  always_ff @(posedge clk_i) begin
    if (rst_i) pc3_valid_q <= 1'b0;
    else pc3_valid_q <= pc2_valid_q;
    pc3_r_q      <= pc2_r_q;
    pc3_l3type_q <= pc2_l3type_q;
    pc3_w_q      <= pc2_w_q;
    pc3_hdr_a_q  <= sum4w(pc2_hdr_q[71:0]);
    pc3_hdr_b_q  <= sum4w(pc2_hdr_q[143:72]);
    pc3_ps_q     <= nic_csum_pkg::fold({12'd0, pc2_ps_q});
  end

  // PC4: the header sum's last addition.
  logic           pc4_valid_q;
  logic [W*8-1:0] pc4_r_q;
  nic_hw_pkg::l3_type_e pc4_l3type_q;
  walk_t          pc4_w_q;
  logic [20:0]    pc4_hsum_q;
  logic [15:0]    pc4_ps_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) pc4_valid_q <= 1'b0;
    else pc4_valid_q <= pc3_valid_q;
    pc4_r_q      <= pc3_r_q;
    pc4_l3type_q <= pc3_l3type_q;
    pc4_w_q      <= pc3_w_q;
    pc4_hsum_q   <= {1'b0, pc3_hdr_a_q} + {1'b0, pc3_hdr_b_q};
    pc4_ps_q     <= pc3_ps_q;
  end

  // ---- PD: L3 verdict (all but the frame-length check) and the start of the walk ---------

  // The fields were decoded in PC (pcw_d) and travelled with the sums; only the sums' verdicts
  // join here.
  walk_t pd_d;
  always_comb begin
    pd_d         = pc4_w_q;
    pd_d.hdr_ok  = pc4_l3type_q == nic_hw_pkg::L3TypeIpv4 &&
                   nic_csum_pkg::fold({11'd0, pc4_hsum_q}) == 16'hFFFF;
    pd_d.ps_addr = pc4_ps_q;
  end

  // Stage arrays are plain vectors, cast to walk_t per stage: Yosys misreads packed arrays of
  // structs.
  localparam int unsigned WalkBits = $bits(pd_d);
  logic [MaxExtHeaders:0]              wk_valid_q;
  logic [MaxExtHeaders:0][WalkBits-1:0] wk_q;
  logic [MaxExtHeaders:0][W*8-1:0]     wr_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) wk_valid_q[0] <= 1'b0;
    else wk_valid_q[0] <= pc4_valid_q;
    wk_q[0] <= pd_d;
    wr_q[0] <= pc4_r_q;
  end

  // ---- E1..En: one IPv6 extension header per two stages ---------------------------------
  // First stage: fetch the header's first four bytes and the room left for it; second stage:
  // its length, whether it fits, and the next header.
  for (genvar e = 0; e < MaxExtHeaders; e++) begin : g_ext
    walk_t          w, a_w_q, d;
    logic [7:0]     b0, b1, b2, b3;
    logic [7:0]     a_b0_q, a_b1_q, a_b2_q, a_b3_q;
    logic [16:0]    room_win, room_pay, a_room_win_q, a_room_pay_q;
    logic [13:0]    next8, a_next8_q;
    logic           a_valid_q;
    logic [W*8-1:0] a_r_q;
    logic [11:0]    hlen;
    logic           unused_res;        // reserved fragment bits; room below 8 bytes
    assign unused_res = ^{a_b3_q[2:1], a_room_win_q[2:0], a_room_pay_q[2:0]};
    assign w = walk_t'(wk_q[e]);

    always_comb begin
      // Extension headers start on 8-byte steps from 40: at most one slot matches.
      b0 = '0;
      b1 = '0;
      b2 = '0;
      b3 = '0;
      for (int unsigned s = 0; s < ExtSlots; s++) begin
        if (w.cur == 14'(40 + 8 * s)) begin
          b0 = b0 | wr_q[e][8 * (40 + 8 * s) +: 8];
          b1 = b1 | wr_q[e][8 * (41 + 8 * s) +: 8];
          b2 = b2 | wr_q[e][8 * (42 + 8 * s) +: 8];
          b3 = b3 | wr_q[e][8 * (43 + 8 * s) +: 8];
        end
      end
      // Bytes left for the header in the window and in the datagram (negative: none).
      room_win = 17'(W) - 17'(w.l3off) - {3'd0, w.cur};
      room_pay = {1'b0, w.pay_end} - {3'd0, w.cur};
      next8    = w.cur + 14'd8;
    end

    always_ff @(posedge clk_i) begin
      if (rst_i) a_valid_q <= 1'b0;
      else a_valid_q <= wk_valid_q[e];
      a_w_q        <= w;
      a_r_q        <= wr_q[e];
      a_b0_q       <= b0;
      a_b1_q       <= b1;
      a_b2_q       <= b2;
      a_b3_q       <= b3;
      a_room_win_q <= room_win;
      a_room_pay_q <= room_pay;
      a_next8_q    <= next8;
    end

    // A header of (b1 + 1) * 8 bytes fits in `room` bytes when b1 < room / 8; a fragment
    // header (8 bytes) when room >= 8.  Compares only: the adders ran in the first stage.
    logic fits;
    always_comb begin
      hlen = {({1'b0, a_b1_q} + 9'd1), 3'd0};
      if (a_w_q.nh == 8'd44) begin
        fits = !a_room_win_q[16] && !a_room_pay_q[16] && a_room_win_q[15:3] != '0 &&
               a_room_pay_q[15:3] != '0;
      end else begin
        fits = !a_room_win_q[16] && !a_room_pay_q[16] && {5'd0, a_b1_q} < a_room_win_q[15:3] &&
               {5'd0, a_b1_q} < a_room_pay_q[15:3];
      end
      d = a_w_q;
      if (a_w_q.l3type == nic_hw_pkg::L3TypeIpv6 && !a_w_q.broken && is_ext(a_w_q.nh)) begin
        // The header must end inside both the window and the datagram.
        if (!fits) begin
          d.broken = 1'b1;
        end else begin
          d.cur = (a_w_q.nh == 8'd44) ? a_next8_q : a_w_q.cur + 14'(hlen);
          d.nh  = a_b0_q;
          if (a_w_q.nh == 8'd44 && ({a_b2_q, a_b3_q[7:3]} != '0 || a_b3_q[0])) d.frag = 1'b1;
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (rst_i) wk_valid_q[e+1] <= 1'b0;
      else wk_valid_q[e+1] <= a_valid_q;
      wk_q[e+1] <= d;
      wr_q[e+1] <= a_r_q;
    end
  end

  // ---- PL: the L4 header -----------------------------------------------------------------
  typedef struct packed {
    nic_hw_pkg::l3_type_e l3type;
    logic [1:0]           tags;
    logic [4:0]           l3off;
    logic                 l3_ok;
    logic                 hdr_ok;
    logic [16:0]          l3_end;
    logic                 frag;
    logic [7:0]           proto;
    logic [7:0]           l4off;       // frame offset of the L4 header
    logic                 l4_ok;       // L4-calculable, as far as the window tells
    logic                 udp6_zero;   // IPv6 UDP with checksum 0: calculated, invalid
    logic [15:0]          pseudo;      // folded pseudo-header sum
  } rec_t;

  // PL1: the L4 header's length and checksum fields, its length and offset.
  walk_t       wl, pl1_w_q;
  logic [7:0]  u4, u5, u6, u7;
  logic [15:0] pl1_udp_len_q, pl1_csum_q, pl1_l4len_q, pl1_l4abs_q;
  logic        pl1_valid_q, pl1_cur_in_q;

  assign wl = walk_t'(wk_q[MaxExtHeaders]);

  always_comb begin
    // The L4 header starts on a 4-byte step: at most one slot matches.
    u4 = '0;
    u5 = '0;
    u6 = '0;
    u7 = '0;
    for (int unsigned s = 0; s + 1 < L4Slots; s++) begin
      if (wl.cur == 14'(4 * s)) begin
        u4 = u4 | wr_q[MaxExtHeaders][8 * (4 * s + 4) +: 8];
        u5 = u5 | wr_q[MaxExtHeaders][8 * (4 * s + 5) +: 8];
        u6 = u6 | wr_q[MaxExtHeaders][8 * (4 * s + 6) +: 8];
        u7 = u7 | wr_q[MaxExtHeaders][8 * (4 * s + 7) +: 8];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) pl1_valid_q <= 1'b0;
    else pl1_valid_q <= wk_valid_q[MaxExtHeaders];
    pl1_w_q       <= wl;
    pl1_udp_len_q <= {u4, u5};
    pl1_csum_q    <= {u6, u7};
    pl1_l4len_q   <= wl.pay_end - {2'd0, wl.cur};
    pl1_l4abs_q   <= {11'd0, wl.l3off} + {2'd0, wl.cur};
    pl1_cur_in_q  <= {2'd0, wl.cur} <= wl.pay_end;
  end

  // PL2: the L4 verdict as far as the window tells, and the pseudo-header sum.
  walk_t       pl2_w_q;
  logic        pl2_valid_q, pl2_l4_ok_q, pl2_udp6_zero_q;
  logic [7:0]  pl2_l4off_q;
  logic [17:0] pl2_pseudo_q;
  logic        too_many, tcp_ok, udp_ok;

  always_comb begin
    too_many = pl1_w_q.l3type == nic_hw_pkg::L3TypeIpv6 && is_ext(pl1_w_q.nh);
    tcp_ok   = pl1_w_q.nh == 8'd6 && pl1_l4len_q >= 16'd20 && pl1_l4abs_q <= 16'(W - 18);
    udp_ok   = pl1_w_q.nh == 8'd17 && pl1_l4len_q >= 16'd8 && pl1_l4abs_q <= 16'(W - 8) &&
               pl1_udp_len_q == pl1_l4len_q &&
               !(pl1_w_q.l3type == nic_hw_pkg::L3TypeIpv4 && pl1_csum_q == 16'd0);
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) pl2_valid_q <= 1'b0;
    else pl2_valid_q <= pl1_valid_q;
    pl2_w_q         <= pl1_w_q;
    pl2_l4_ok_q     <= pl1_w_q.l3_ok && !pl1_w_q.frag && !pl1_w_q.broken && !too_many &&
                       pl1_cur_in_q && (tcp_ok || udp_ok);
    pl2_udp6_zero_q <= pl1_w_q.l3type == nic_hw_pkg::L3TypeIpv6 && pl1_w_q.nh == 8'd17 &&
                       pl1_csum_q == 16'd0;
    pl2_l4off_q     <= pl1_l4abs_q > 16'd255 ? 8'd255 : pl1_l4abs_q[7:0];
    pl2_pseudo_q    <= {2'd0, pl1_w_q.ps_addr} + {10'd0, pl1_w_q.nh} + {2'd0, pl1_l4len_q};
  end

  // PL3: the record.
  rec_t rec_d;
  always_comb begin
    rec_d           = '0;
    rec_d.l3type    = pl2_w_q.l3type;
    rec_d.tags      = pl2_w_q.tags;
    rec_d.l3off     = pl2_w_q.l3off;
    rec_d.l3_ok     = pl2_w_q.l3_ok && pl2_w_q.l3type != nic_hw_pkg::L3TypeNone;
    rec_d.hdr_ok    = pl2_w_q.hdr_ok;
    rec_d.l3_end    = pl2_w_q.l3_end;
    rec_d.frag      = pl2_w_q.frag;
    rec_d.proto     = pl2_w_q.nh;
    rec_d.l4off     = pl2_l4off_q;
    rec_d.l4_ok     = pl2_l4_ok_q;
    rec_d.udp6_zero = pl2_udp6_zero_q;
    rec_d.pseudo    = nic_csum_pkg::fold({14'd0, pl2_pseudo_q});
  end

  logic rec_valid, rec_pop;
  rec_t rec_head, rec_q, rec_in;
  logic unused_rec_ready;
  logic [$clog2(BufDepth):0] unused_rec_level;

  always_ff @(posedge clk_i) rec_in <= rec_d;
  logic rec_push_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) rec_push_q <= 1'b0;
    else rec_push_q <= pl2_valid_q;
  end

  // One record per frame with a beat in the frame FIFO at most: never full (see BufDepth).
  nic_fifo #(.Width($bits(rec_in)), .Depth(BufDepth)) u_rec (
    .clk_i,
    .rst_i,
    .s_valid_i (rec_push_q),
    .s_ready_o (unused_rec_ready),
    .s_data_i  (rec_in),
    .m_valid_o (rec_valid),
    .m_ready_i (rec_pop),
    .m_data_o  (rec_head),
    .level_o   (unused_rec_level)
  );

  // ======================================================================================
  // Output: frames leave with their record; the L4 range is summed on the way.
  // ======================================================================================
  logic                adv;             // the output pipeline moves (skid buffer has room)
  logic                out_first_q;
  logic [IdxWidth-1:0] out_idx_q;
  rec_t                cur;

  assign cur     = out_first_q ? rec_head : rec_q;
  assign buf_pop = adv && buf_valid && (!out_first_q || rec_valid);
  assign rec_pop = buf_pop && out_first_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      out_first_q <= 1'b1;
      out_idx_q   <= '0;
    end else if (buf_pop) begin
      out_first_q <= buf_last;
      if (buf_last) out_idx_q <= '0;
      else if (out_idx_q != '1) out_idx_q <= out_idx_q + 1'b1;
    end
    if (rec_pop) rec_q <= rec_head;
  end

  // Lanes of beat `idx` at or after frame offset `pos`.
  function automatic logic [Bytes-1:0] from_pos(logic [IdxWidth-1:0] idx, logic [16:0] pos);
    if (pos[16]) from_pos = '0;
    else if (idx > pos[15:LaneBits]) from_pos = '1;
    else if (idx == pos[15:LaneBits]) from_pos = {Bytes{1'b1}} << pos[LaneBits-1:0];
    else from_pos = '0;
  endfunction

  // Each beat travels down the output pipeline with its frame's record.
  typedef struct packed {
    logic                 last;
    logic                 first;
    logic [Bytes-1:0]     keep;
    logic [16:0]          len;         // frame bytes up to the end of this beat
    rec_t                 rec;
  } beat_t;

  // ---- O1: the L4 byte mask of each beat --------------------------------------------------
  // Worked out twice, side by side, and chosen last: for a frame's first beat (index 0, from
  // the record at the FIFO's head) and for a later beat (from the held record), so the choice
  // of record does not sit in front of the comparisons and lane shifts.
  logic [Bytes-1:0]     mask_first, mask_rest;
  assign mask_first = from_pos('0, {9'd0, rec_head.l4off}) & ~from_pos('0, rec_head.l3_end);
  assign mask_rest  = from_pos(out_idx_q, {9'd0, rec_q.l4off}) & ~from_pos(out_idx_q, rec_q.l3_end);

  logic                 o1_valid_q;
  logic [DataWidth-1:0] o1_data_q;
  logic [Bytes-1:0]     o1_mask_q;
  beat_t                o1_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o1_valid_q <= 1'b0;
    else if (adv) o1_valid_q <= buf_pop;
    if (adv) begin
      o1_data_q     <= buf_data;
      o1_q.keep     <= buf_keep;
      o1_q.last     <= buf_last;
      o1_q.first    <= out_first_q;
      o1_q.rec      <= cur;
      o1_q.len      <= {1'b0, out_idx_q, {LaneBits{1'b0}}} +
                       17'(nic_csum_pkg::keep_count(64'(buf_keep)));
      // (A first beat is beat 0: out_idx_q returns to 0 with the frame's last beat.)
      o1_mask_q     <= buf_keep & (out_first_q ? mask_first : mask_rest);
    end
  end

  // ---- Word sums (nic_csum_beat_sum: six cycles between O1 and O5), beat and record beside ---
  localparam int unsigned SumLatency = 6;
  localparam int unsigned BeatBits = $bits(o1_q);
  logic [21:0] beat_sum;
  nic_csum_beat_sum #(.DataWidth(DataWidth), .Latency(SumLatency)) u_sum (
    .clk_i, .en_i(adv), .data_i(o1_data_q), .mask_i(o1_mask_q), .sum_o(beat_sum)
  );

  logic [SumLatency-1:0]                od_valid_q;
  logic [SumLatency-1:0][DataWidth-1:0] od_data_q;
  logic [SumLatency-1:0][BeatBits-1:0]  od_q;
  beat_t                                od_last;
  assign od_last = beat_t'(od_q[SumLatency-1]);
  always_ff @(posedge clk_i) begin
    if (rst_i) od_valid_q <= '0;
    else if (adv) od_valid_q <= {od_valid_q[SumLatency-2:0], o1_valid_q};
    if (adv) begin
      od_data_q <= {od_data_q[SumLatency-2:0], o1_data_q};
      od_q      <= {od_q[SumLatency-2:0], o1_q};
    end
  end

  // ---- O5: per-frame accumulation ------------------------------------------------------------
  logic                 o5_valid_q;
  logic [DataWidth-1:0] o5_data_q;
  logic [31:0]          acc_q;
  beat_t                o5_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o5_valid_q <= 1'b0;
    else if (adv) o5_valid_q <= od_valid_q[SumLatency-1];
    if (adv) begin
      o5_data_q <= od_data_q[SumLatency-1];
      o5_q      <= od_last;
      if (od_valid_q[SumLatency-1]) acc_q <= (od_last.first ? 32'd0 : acc_q) + {10'd0, beat_sum};
    end
  end

  // ---- O6: fold, and the frame-length check ----------------------------------------------------
  logic                 o6_valid_q, o6_l3_ok_q;
  logic [DataWidth-1:0] o6_data_q;
  logic [15:0]          o6_sum_q;
  beat_t                o6_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o6_valid_q <= 1'b0;
    else if (adv) o6_valid_q <= o5_valid_q;
    if (adv) begin
      o6_data_q  <= o5_data_q;
      o6_q       <= o5_q;
      o6_sum_q   <= nic_csum_pkg::fold(acc_q);
      // The frame must hold the whole datagram; trailing bytes are padding.
      o6_l3_ok_q <= o5_q.rec.l3_ok && o5_q.rec.l3_end <= o5_q.len;
    end
  end

  // ---- Verdict on the last beat --------------------------------------------------------------
  nic_hw_pkg::rx_csum_result_t res;
  logic ip4, l4_calc;
  rec_t r;

  always_comb begin
    r       = o6_q.rec;
    ip4     = r.l3type == nic_hw_pkg::L3TypeIpv4;
    l4_calc = o6_l3_ok_q && r.l4_ok;
    res = '0;
    if (enable_i && o6_q.last) begin
      res.l3_type    = r.l3type;
      res.vlan_count = r.tags;
      res.l3_offset  = (r.l3type != nic_hw_pkg::L3TypeNone) ? {3'd0, r.l3off} : '0;
      res.l3_calc    = ip4 && o6_l3_ok_q;
      res.l3_valid   = ip4 && o6_l3_ok_q && r.hdr_ok;
      res.ip_frag    = o6_l3_ok_q && r.frag;
      res.l4_proto   = o6_l3_ok_q ? r.proto : '0;
      res.l4_offset  = o6_l3_ok_q ? r.l4off : '0;
      res.l4_calc    = l4_calc;
      res.l4_sum     = l4_calc ? o6_sum_q : '0;
      res.l4_valid   = l4_calc && !r.udp6_zero &&
                       nic_csum_pkg::add1c(o6_sum_q, r.pseudo) == 16'hFFFF;
    end
  end

  logic skid_ready;
  assign adv = skid_ready;

  // The verdict is registered once more by the skid buffer on its way out.
  nic_skid_buffer #(.Width(DataWidth + Bytes + 1 + 64)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (adv && o6_valid_q),
    .s_ready_o (skid_ready),
    .s_data_i  ({o6_data_q, o6_q.keep, o6_q.last, 64'(res)}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o})
  );

  // Fields the late stages do not need (the walk's working state, the first-beat flag...).
  logic unused_late;
  assign unused_late = ^{pl2_w_q, o6_q, r};

  assign frame_o  = adv && o6_valid_q && o6_q.last;
  assign l3_bad_o = frame_o && res.l3_calc && !res.l3_valid;
  assign l4_bad_o = frame_o && res.l4_calc && !res.l4_valid;

endmodule
