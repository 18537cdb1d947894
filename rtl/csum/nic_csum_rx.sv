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
  localparam int unsigned Words = Bytes / 2;
  localparam int unsigned Groups = (Words + 7) / 8;
  localparam int unsigned IdxWidth = 16 - LaneBits;
  localparam int unsigned W = HdrWindowBytes;
  localparam int unsigned WinBeats = W / Bytes;
  // Frames wait here while their window is parsed: a window's beats plus the parser's depth,
  // with room to spare.
  localparam int unsigned BufDepth = 1 << $clog2(WinBeats + MaxExtHeaders + 24);
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

  function automatic logic [LaneBits:0] keep_bytes(logic [Bytes-1:0] k);
    keep_bytes = '0;
    for (int unsigned l = 0; l < Bytes; l++) begin
      if (k[l]) keep_bytes = (LaneBits + 1)'(l + 1);
    end
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
  assign win_len  = s_axis_tlast_i ? 9'(in_idx_q * Bytes) + 9'(keep_bytes(s_axis_tkeep_i))
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

  logic [15:0] et0, et1, et2, etype;
  logic [1:0]  tags;
  logic        three_tags;
  logic [4:0]  l3off;
  nic_hw_pkg::l3_type_e l3type;

  always_comb begin
    et0 = {wbyte(pa_win_q, 12), wbyte(pa_win_q, 13)};
    et1 = {wbyte(pa_win_q, 16), wbyte(pa_win_q, 17)};
    et2 = {wbyte(pa_win_q, 20), wbyte(pa_win_q, 21)};
    three_tags = 1'b0;
    if (is_vlan(et0) && is_vlan(et1)) begin
      tags = 2'd2;
      etype = et2;
      three_tags = is_vlan(et2);
    end else if (is_vlan(et0)) begin
      tags = 2'd1;
      etype = et1;
    end else begin
      tags = 2'd0;
      etype = et0;
    end
    l3off = 5'd14 + {tags, 2'b00};
    // Every type field read must lie wholly in the frame; if one does not, nothing is reported,
    // not even the tags.
    if (pa_len_q < 9'(l3off)) begin
      l3type = nic_hw_pkg::L3TypeNone;
      tags   = 2'd0;
    end else if (three_tags) l3type = nic_hw_pkg::L3TypeNone;
    else if (etype == 16'h0800) l3type = nic_hw_pkg::L3TypeIpv4;
    else if (etype == 16'h86DD) l3type = nic_hw_pkg::L3TypeIpv6;
    else l3type = nic_hw_pkg::L3TypeNone;
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
    pb_r_q      <= pa_win_q >> (8 * l3off);
    pb_rlen_q   <= (pa_len_q > 9'(l3off)) ? pa_len_q - 9'(l3off) : 9'd0;
    pb_l3off_q  <= l3off;
    pb_tags_q   <= tags;
    pb_l3type_q <= l3type;
  end

  // ---- PC: header fields and partial sums ------------------------------------------------
  function automatic logic [15:0] rword(logic [W*8-1:0] r, int unsigned w);
    rword = {r[16*w +: 8], r[16*w+8 +: 8]};
  endfunction

  logic [3:0][18:0] hdr_part;          // IPv4 header words 0..29 in four groups, IHL-masked
  logic [18:0] v4_ps, v6_ps_a, v6_ps_b;
  logic [4:0]  ihl_words;

  always_comb begin
    ihl_words = {pb_r_q[3:0], 1'b0};
    for (int unsigned g = 0; g < 4; g++) begin
      hdr_part[g] = '0;
      for (int unsigned w = 8 * g; w < 8 * g + 8 && w < 30; w++) begin
        if (5'(w) < ihl_words) hdr_part[g] = hdr_part[g] + {3'd0, rword(pb_r_q, w)};
      end
    end
    // Pseudo-header addresses: IPv4 bytes 12..19, IPv6 bytes 8..39.
    v4_ps = '0;
    for (int unsigned w = 6; w < 10; w++) v4_ps = v4_ps + {3'd0, rword(pb_r_q, w)};
    v6_ps_a = '0;
    v6_ps_b = '0;
    for (int unsigned w = 4; w < 12; w++) v6_ps_a = v6_ps_a + {3'd0, rword(pb_r_q, w)};
    for (int unsigned w = 12; w < 20; w++) v6_ps_b = v6_ps_b + {3'd0, rword(pb_r_q, w)};
  end

  logic           pc_valid_q;
  logic [W*8-1:0] pc_r_q;
  logic [8:0]     pc_rlen_q;
  logic [4:0]     pc_l3off_q;
  logic [1:0]     pc_tags_q;
  nic_hw_pkg::l3_type_e pc_l3type_q;
  logic [3:0][18:0] pc_hdr_q;
  logic [18:0]    pc_v4_ps_q, pc_v6_ps_a_q, pc_v6_ps_b_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) pc_valid_q <= 1'b0;
    else pc_valid_q <= pb_valid_q;
    pc_r_q       <= pb_r_q;
    pc_rlen_q    <= pb_rlen_q;
    pc_l3off_q   <= pb_l3off_q;
    pc_tags_q    <= pb_tags_q;
    pc_l3type_q  <= pb_l3type_q;
    pc_hdr_q     <= hdr_part;
    pc_v4_ps_q   <= v4_ps;
    pc_v6_ps_a_q <= v6_ps_a;
    pc_v6_ps_b_q <= v6_ps_b;
  end

  // ---- PD: L3 verdict (all but the frame-length check) and the start of the walk ---------
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

  walk_t       pd_d;
  logic [15:0] hsum;
  logic [7:0]  vihl;
  logic [15:0] v4_tot, v6_plen;

  always_comb begin
    vihl    = pc_r_q[7:0];
    v4_tot  = rword(pc_r_q, 1);
    v6_plen = rword(pc_r_q, 2);
    hsum    = fold({13'd0, pc_hdr_q[0]} + {13'd0, pc_hdr_q[1]} + {13'd0, pc_hdr_q[2]} +
                   {13'd0, pc_hdr_q[3]});
    pd_d        = '0;
    pd_d.l3type = pc_l3type_q;
    pd_d.tags   = pc_tags_q;
    pd_d.l3off  = pc_l3off_q;
    if (pc_l3type_q == nic_hw_pkg::L3TypeIpv4) begin
      pd_d.l3_ok   = vihl[7:4] == 4'd4 && vihl[3:0] >= 4'd5 &&
                     9'({vihl[3:0], 2'b00}) <= pc_rlen_q &&
                     v4_tot >= 16'({vihl[3:0], 2'b00});
      pd_d.hdr_ok  = hsum == 16'hFFFF;
      pd_d.l3_end  = 17'(pc_l3off_q) + {1'b0, v4_tot};
      pd_d.pay_end = v4_tot;
      // More fragments, or a fragment offset.
      pd_d.frag    = pc_r_q[53] || pc_r_q[52:48] != '0 || pc_r_q[63:56] != '0;
      pd_d.cur     = 14'({vihl[3:0], 2'b00});
      pd_d.nh      = pc_r_q[79:72];
      pd_d.ps_addr = fold({13'd0, pc_v4_ps_q});
    end else if (pc_l3type_q == nic_hw_pkg::L3TypeIpv6) begin
      pd_d.l3_ok   = vihl[7:4] == 4'd6 && pc_rlen_q >= 9'd40;
      pd_d.l3_end  = 17'(pc_l3off_q) + 17'd40 + {1'b0, v6_plen};
      pd_d.pay_end = 16'd40 + v6_plen;   // a wrap makes l4_len checks fail, as they should
      pd_d.cur     = 14'd40;
      pd_d.nh      = pc_r_q[55:48];
      pd_d.ps_addr = fold({13'd0, pc_v6_ps_a_q} + {13'd0, pc_v6_ps_b_q});
      pd_d.broken  = v6_plen > 16'hFFD7;
    end
  end

  // The window from the L3 header on travels with the walk.
  // Stage arrays are plain vectors, cast to walk_t per stage: Yosys misreads packed arrays of
  // structs.
  localparam int unsigned WalkBits = $bits(pd_d);
  logic [MaxExtHeaders:0]              wk_valid_q;
  logic [MaxExtHeaders:0][WalkBits-1:0] wk_q;
  logic [MaxExtHeaders:0][W*8-1:0]     wr_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) wk_valid_q[0] <= 1'b0;
    else wk_valid_q[0] <= pc_valid_q;
    wk_q[0] <= pd_d;
    wr_q[0] <= pc_r_q;
  end

  // ---- E1..En: one IPv6 extension header per stage --------------------------------------
  for (genvar e = 0; e < MaxExtHeaders; e++) begin : g_ext
    walk_t       w, d;
    logic [7:0]  b0, b1, b2, b3;
    logic [13:0] hlen, next;
    logic        unused_res;          // the fragment header's reserved bits
    assign unused_res = ^b3[2:1];
    assign w = walk_t'(wk_q[e]);
    always_comb begin
      // Extension headers start on 8-byte steps from 40: select among those slots.
      b0 = '0;
      b1 = '0;
      b2 = '0;
      b3 = '0;
      for (int unsigned s = 0; s < ExtSlots; s++) begin
        if (w.cur == 14'(40 + 8 * s)) begin
          b0 = wr_q[e][8 * (40 + 8 * s) +: 8];
          b1 = wr_q[e][8 * (41 + 8 * s) +: 8];
          b2 = wr_q[e][8 * (42 + 8 * s) +: 8];
          b3 = wr_q[e][8 * (43 + 8 * s) +: 8];
        end
      end
      hlen = (w.nh == 8'd44) ? 14'd8 : {3'd0, b1 + 8'd1, 3'd0};
      next = w.cur + hlen;
      d = w;
      if (w.l3type == nic_hw_pkg::L3TypeIpv6 && !w.broken && is_ext(w.nh))
      begin
        // The header must end inside both the window and the datagram.
        if (16'(next) > 16'(W) - 16'(w.l3off) || 16'(next) > w.pay_end) begin
          d.broken = 1'b1;
        end else begin
          d.cur = next;
          d.nh  = b0;
          if (w.nh == 8'd44 && ({b2, b3[7:3]} != '0 || b3[0])) d.frag = 1'b1;
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (rst_i) wk_valid_q[e+1] <= 1'b0;
      else wk_valid_q[e+1] <= wk_valid_q[e];
      wk_q[e+1] <= d;
      wr_q[e+1] <= wr_q[e];
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

  walk_t       wl;
  logic [7:0]  u4, u5, u6, u7;
  logic [15:0] l4len, udp_len, l4_csum;
  logic [15:0] l4abs;
  logic        too_many;
  rec_t        rec_d;

  assign wl = walk_t'(wk_q[MaxExtHeaders]);

  always_comb begin
    u4 = '0;
    u5 = '0;
    u6 = '0;
    u7 = '0;
    for (int unsigned s = 0; s + 1 < L4Slots; s++) begin
      if (wl.cur == 14'(4 * s)) begin
        u4 = wr_q[MaxExtHeaders][8 * (4 * s + 4) +: 8];
        u5 = wr_q[MaxExtHeaders][8 * (4 * s + 5) +: 8];
        u6 = wr_q[MaxExtHeaders][8 * (4 * s + 6) +: 8];
        u7 = wr_q[MaxExtHeaders][8 * (4 * s + 7) +: 8];
      end
    end
    udp_len  = {u4, u5};
    l4_csum  = {u6, u7};
    l4len    = wl.pay_end - {2'd0, wl.cur};
    l4abs    = {11'd0, wl.l3off} + {2'd0, wl.cur};
    too_many = wl.l3type == nic_hw_pkg::L3TypeIpv6 && is_ext(wl.nh);

    rec_d        = '0;
    rec_d.l3type = wl.l3type;
    rec_d.tags   = wl.tags;
    rec_d.l3off  = wl.l3off;
    rec_d.l3_ok  = wl.l3_ok && wl.l3type != nic_hw_pkg::L3TypeNone;
    rec_d.hdr_ok = wl.hdr_ok;
    rec_d.l3_end = wl.l3_end;
    rec_d.frag   = wl.frag;
    rec_d.proto  = wl.nh;
    rec_d.l4off  = l4abs > 16'd255 ? 8'd255 : l4abs[7:0];
    rec_d.pseudo = fold({16'd0, wl.ps_addr} + {24'd0, wl.nh} + {16'd0, l4len});
    rec_d.udp6_zero = wl.l3type == nic_hw_pkg::L3TypeIpv6 && l4_csum == 16'd0;
    rec_d.l4_ok  = wl.l3_ok && !wl.frag && !wl.broken && !too_many &&
                   {2'd0, wl.cur} <= wl.pay_end &&
                   ((wl.nh == 8'd6 && l4len >= 16'd20 && l4abs + 16'd18 <= 16'(W)) ||
                    (wl.nh == 8'd17 && l4len >= 16'd8 && l4abs + 16'd8 <= 16'(W) &&
                     udp_len == l4len &&
                     !(wl.l3type == nic_hw_pkg::L3TypeIpv4 && l4_csum == 16'd0)));
    if (wl.nh != 8'd17) rec_d.udp6_zero = 1'b0;
  end

  logic rec_valid, rec_pop;
  rec_t rec_head, rec_q, rec_in;
  logic unused_rec_ready;
  logic [$clog2(BufDepth):0] unused_rec_level;

  always_ff @(posedge clk_i) rec_in <= rec_d;
  logic rec_push_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) rec_push_q <= 1'b0;
    else rec_push_q <= wk_valid_q[MaxExtHeaders];
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

  function automatic logic [18:0] group_sum(logic [DataWidth-1:0] d, logic [Bytes-1:0] m,
                                            int unsigned g);
    logic [18:0] s;
    s = '0;
    for (int unsigned w = 8 * g; w < 8 * g + 8 && w < Words; w++) begin
      s = s + {3'b000, d[16*w +: 8] & {8{m[2*w]}}, d[16*w+8 +: 8] & {8{m[2*w+1]}}};
    end
    group_sum = s;
  endfunction

  function automatic logic [22:0] groups_total(logic [Groups*19-1:0] p);
    logic [22:0] s;
    s = '0;
    for (int unsigned g = 0; g < Groups; g++) s = s + {4'd0, p[19*g +: 19]};
    groups_total = s;
  endfunction

  // ---- O1: the L4 byte mask of each beat --------------------------------------------------
  logic                 o1_valid_q, o1_last_q, o1_first_q;
  logic [DataWidth-1:0] o1_data_q;
  logic [Bytes-1:0]     o1_keep_q, o1_mask_q;
  logic [16:0]          o1_len_q;
  rec_t                 o1_rec_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o1_valid_q <= 1'b0;
    else if (adv) o1_valid_q <= buf_pop;
    if (adv) begin
      o1_data_q  <= buf_data;
      o1_keep_q  <= buf_keep;
      o1_last_q  <= buf_last;
      o1_first_q <= out_first_q;
      o1_rec_q   <= cur;
      o1_mask_q  <= buf_keep & from_pos(out_idx_q, {9'd0, cur.l4off}) &
                    ~from_pos(out_idx_q, cur.l3_end);
      o1_len_q   <= {1'b0, out_idx_q, {LaneBits{1'b0}}} + 17'(keep_bytes(buf_keep));
    end
  end

  // ---- O2: partial sums -------------------------------------------------------------------
  logic                 o2_valid_q, o2_last_q, o2_first_q;
  logic [DataWidth-1:0] o2_data_q;
  logic [Bytes-1:0]     o2_keep_q;
  logic [16:0]          o2_len_q;
  logic [Groups*19-1:0] o2_part_q;
  rec_t                 o2_rec_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o2_valid_q <= 1'b0;
    else if (adv) o2_valid_q <= o1_valid_q;
    if (adv) begin
      o2_data_q  <= o1_data_q;
      o2_keep_q  <= o1_keep_q;
      o2_last_q  <= o1_last_q;
      o2_first_q <= o1_first_q;
      o2_rec_q   <= o1_rec_q;
      o2_len_q   <= o1_len_q;
      for (int unsigned g = 0; g < Groups; g++) begin
        o2_part_q[19*g +: 19] <= group_sum(o1_data_q, o1_mask_q, g);
      end
    end
  end

  // ---- O3: per-frame accumulation -----------------------------------------------------------
  logic                 o3_valid_q, o3_last_q;
  logic [DataWidth-1:0] o3_data_q;
  logic [Bytes-1:0]     o3_keep_q;
  logic [16:0]          o3_len_q;
  logic [31:0]          acc_q;
  rec_t                 o3_rec_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) o3_valid_q <= 1'b0;
    else if (adv) o3_valid_q <= o2_valid_q;
    if (adv) begin
      o3_data_q <= o2_data_q;
      o3_keep_q <= o2_keep_q;
      o3_last_q <= o2_last_q;
      o3_rec_q  <= o2_rec_q;
      o3_len_q  <= o2_len_q;
      if (o2_valid_q) acc_q <= (o2_first_q ? 32'd0 : acc_q) + {9'd0, groups_total(o2_part_q)};
    end
  end

  // ---- Verdict on the last beat --------------------------------------------------------------
  nic_hw_pkg::rx_csum_result_t res;
  logic        l3_ok, ip4, l4_calc;
  logic [15:0] l4_sum;

  always_comb begin
    ip4     = o3_rec_q.l3type == nic_hw_pkg::L3TypeIpv4;
    // The frame must hold the whole datagram; trailing bytes are padding.
    l3_ok   = o3_rec_q.l3_ok && o3_rec_q.l3_end <= o3_len_q;
    l4_calc = l3_ok && o3_rec_q.l4_ok;
    l4_sum  = fold(acc_q);
    res = '0;
    if (enable_i && o3_last_q) begin
      res.l3_type    = o3_rec_q.l3type;
      res.vlan_count = o3_rec_q.tags;
      res.l3_offset  = (o3_rec_q.l3type != nic_hw_pkg::L3TypeNone) ? {3'd0, o3_rec_q.l3off} : '0;
      res.l3_calc    = ip4 && l3_ok;
      res.l3_valid   = ip4 && l3_ok && o3_rec_q.hdr_ok;
      res.ip_frag    = l3_ok && o3_rec_q.frag;
      res.l4_proto   = l3_ok ? o3_rec_q.proto : '0;
      res.l4_offset  = l3_ok ? o3_rec_q.l4off : '0;
      res.l4_calc    = l4_calc;
      res.l4_sum     = l4_calc ? l4_sum : '0;
      res.l4_valid   = l4_calc && !o3_rec_q.udp6_zero &&
                       add1c(l4_sum, o3_rec_q.pseudo) == 16'hFFFF;
    end
  end

  logic skid_ready;
  assign adv = skid_ready;

  nic_skid_buffer #(.Width(DataWidth + Bytes + 1 + 64)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (adv && o3_valid_q),
    .s_ready_o (skid_ready),
    .s_data_i  ({o3_data_q, o3_keep_q, o3_last_q, 64'(res)}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o})
  );

  assign frame_o  = adv && o3_valid_q && o3_last_q;
  assign l3_bad_o = frame_o && res.l3_calc && !res.l3_valid;
  assign l4_bad_o = frame_o && res.l4_calc && !res.l4_valid;

endmodule
