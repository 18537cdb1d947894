// nic_tso: TCP and UDP segmentation offload (FreeBSD CSUM_IP_TSO / CSUM_IP6_TSO, Linux
// UDP_SEGMENT), in front of nic_csum_tx.
//
// Each frame arrives with a nic_hw_pkg::tx_offload_cmd_t on tuser of its first beat.  A frame
// whose seg.kind is none passes through unchanged with its checksum command (csum) on tuser of
// its first beat.  A segmentation request (headers of l2hlen + l3hlen + l4hlen = H bytes, then
// pay_len payload bytes) leaves as segments of at most mss payload bytes, each a copy of the
// headers with its own IPv4 total length and ID (original + k), IPv6 payload length, TCP
// sequence number (original + k * mss) and flags (CWR on the first segment only, FIN and PSH on
// the last only), or UDP length; tuser of each segment's first beat is the checksum command that
// makes nic_csum_tx fill in the IPv4 header checksum and the TCP or UDP checksum (the request's
// checksum field holds the pseudo-header sum without the length; csum_init adds the length).
// The bytes are exactly those of the software twin (host/include/mbufnic/sw_offload.hpp).
//
// Buffering: the H header bytes (MaxHdrBytes of registers) and a ring of eight beats.  The
// segmenter holds no segment: nic_csum_tx behind it stores each segment for its checksum.  The
// payload is never moved in the ring: an output beat is a funnel shift of two adjacent ring
// beats, so a beat leaves every cycle, header beats included (they read the header registers and
// let the ring fill), with no idle cycle between segments.
//
// Errors (nic_hw_pkg::seg_err_e on err_code_o with a one-cycle err_o): a bad command or headers
// that disagree with it (codes 1 to 7) drop the whole frame before anything leaves.  A frame
// that is not exactly H + pay_len bytes long (code 8) is found at its end: segments already
// complete are sent, a segment the frame ended inside leaves with m_axis_tdrop_o on its last
// beat (nic_csum_tx then drops it), no later segment is started and any surplus is discarded.
// Whatever the input, every beat is consumed: the block never hangs.
//
// A frame whose last beat comes with s_axis_tdrop_i was cut short upstream (the DMA engine
// found a read error in it).  A pass-through frame then leaves with m_axis_tdrop_o on its last
// beat, so nic_csum_tx drops it whole; for a request the bytes of that last beat do not count:
// the request is handled as one that ended before it (code 8 above), so only segments whose
// every byte arrived before the fault are sent.
//
// done_o: one pulse per frame, in frame order, once the frame is finished here: a request once
// it was refused or its last segment's last beat has left the block (every beat it issued has
// left), a pass-through frame once its last beat has left.  done_err_code_o is the request's
// seg_err code (none for a pass-through frame), done_segs_o the frames that left without
// m_axis_tdrop_o (what nic_csum_tx sends on).  A DMA engine writes its completions from these.
//
// tkeep: every input beat but the last must be full; output likewise, the last beat's bytes
// contiguous from lane 0.
module nic_tso #(
  // Stream width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Longest header (l2hlen + l3hlen + l4hlen) a request may have; a multiple of DataWidth / 8.
  parameter int unsigned MaxHdrBytes = 256,
  // Largest mss accepted.
  parameter int unsigned MaxMss = 9216,
  // Largest pay_len accepted (at most 131071, the field's range).
  parameter int unsigned MaxPayloadBytes = 65535
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Requests in; tuser carries nic_hw_pkg::tx_offload_cmd_t on the first beat of a frame
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [127:0]           s_axis_tuser_i,
  // On a frame's last beat: the frame was cut short upstream (see above).
  input  logic                   s_axis_tdrop_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Frames out: tuser carries nic_hw_pkg::tx_csum_cmd_t on the first beat of a frame;
  // tdrop on the last beat marks a segment cut short (see above)
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [63:0]            m_axis_tuser_o,
  output logic                   m_axis_tdrop_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Events, one-cycle pulses for counters
  output logic                   req_o,       // a segmentation request passed its checks
  output logic                   seg_o,       // a segment sent (last beat out, no tdrop)
  output logic                   err_o,       // a request was refused (err_code_o says why)
  output logic [3:0]             err_code_o,  // nic_hw_pkg::seg_err_e

  // ---- Per frame, in frame order: the frame is finished here (see above)
  output logic                   done_o,
  output logic [3:0]             done_err_code_o,  // nic_hw_pkg::seg_err_e
  output logic [15:0]            done_segs_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LB = $clog2(Bytes);          // lane bits
  localparam int unsigned HdrWords = MaxHdrBytes / Bytes;
  localparam int unsigned HW = (HdrWords > 1) ? $clog2(HdrWords) : 1;
  localparam int unsigned PosW = 18;                   // byte positions within a request
  localparam int unsigned BeatW = PosW - LB + 1;       // beat counts within a request
  localparam int unsigned JW = 16 - LB;                // beat index within a segment
  localparam int unsigned RingDepth = 8;               // ring of beats, a power of two
  localparam int unsigned RW = $clog2(RingDepth);
  // The input may run this many beats ahead of the beat holding the next payload byte.  The
  // ring must also keep the beat before that one (a funnel shift may read its masked lanes)
  // and the beat of the command in flight to the data stage: 8 - 3 = 5.
  localparam int unsigned Ahead = RingDepth - 3;
  localparam int unsigned NF = 9;                      // header fields patched per segment
  localparam int unsigned ArrW = PosW + 2;             // signed count of bytes arrived
  localparam int unsigned SrcW = LB + RW;              // a byte position within the ring

  if (DataWidth < 64 || DataWidth > 512 || (1 << LB) != Bytes) begin : g_bad_w
    $fatal(1, "nic_tso: DataWidth must be a power of two from 64 to 512");
  end
  if (MaxHdrBytes < Bytes || MaxHdrBytes % Bytes != 0 || MaxHdrBytes > 512) begin : g_bad_hdr
    $fatal(1, "nic_tso: MaxHdrBytes must be a multiple of DataWidth / 8, at most 512");
  end
  if (MaxMss < 1 || MaxMss > 16383 || MaxPayloadBytes > 131071) begin : g_bad_lim
    $fatal(1, "nic_tso: MaxMss must be within 1..16383 and MaxPayloadBytes at most 131071");
  end

  // ======================================================================================
  // Frame state shared by the input and output sides
  // ======================================================================================
  nic_hw_pkg::tx_offload_cmd_t in_cmd;
  nic_hw_pkg::seg_cmd_t        sc;
  logic            in_seg;          // the beat on the input starts a segmentation request

  assign in_cmd = nic_hw_pkg::tx_offload_cmd_t'(s_axis_tuser_i);
  assign sc     = in_cmd.seg;
  assign in_seg = sc.kind == nic_hw_pkg::SegKindTcp || sc.kind == nic_hw_pkg::SegKindUdp;
  logic unused_rsvd;
  assign unused_rsvd = ^sc.rsvd60;

  logic fr_active_q;    // a request (or a pass-through frame) is in progress
  logic fr_bypass_q;    // ... and it is a pass-through frame
  logic fr_done;        // the request's last beat went in and its last command came out

  // Per-request parameters, registered from the first beat.
  logic [15:0]      p_mss;
  logic [7:0]       p_l2, p_l3, p_l4;
  logic [9:0]       p_h;            // H
  logic             p_udp, p_v6;
  logic [16:0]      p_pay;
  logic [PosW-1:0]  p_exp;          // H + pay_len: the request's length
  logic [BeatW-1:0] p_ne;           // beats of a request of that length
  logic [3:0]       p_cmd_err;      // a command error found from the command alone
  logic [9:0]       p_l3base;       // the L3 length field without the segment's payload

  // Bytes whose values the checks and the segments need, as byte positions in the request:
  // ethertype (2), version/IHL, protocol, IPv4 ID (2), TCP sequence or UDP length (4), TCP data
  // offset, TCP flags.
  localparam int unsigned NX = 12;
  localparam int unsigned XEt0 = 0, XEt1 = 1, XVihl = 2, XProto = 3, XId0 = 4, XId1 = 5,
                          XSeq0 = 6, XDoff = 10, XFlags = 11;
  logic [NX-1:0][9:0] x_pos, x_pos_d;

  always_comb begin
    logic [9:0] l3, l4;
    l3 = {2'd0, sc.l2hlen};
    l4 = {2'd0, sc.l2hlen} + {2'd0, sc.l3hlen};
    x_pos_d[XEt0]   = l3 - 10'd2;
    x_pos_d[XEt1]   = l3 - 10'd1;
    x_pos_d[XVihl]  = l3;
    x_pos_d[XProto] = l3 + (sc.ipv6 ? 10'd6 : 10'd9);
    x_pos_d[XId0]   = l3 + 10'd4;
    x_pos_d[XId1]   = l3 + 10'd5;
    for (int unsigned i = 0; i < 4; i++) x_pos_d[XSeq0 + i] = l4 + 10'(4 + i);
    x_pos_d[XDoff]  = l4 + 10'd12;
    x_pos_d[XFlags] = l4 + 10'd13;
  end

  // ======================================================================================
  // Input side: pass-through beats go straight to the data stage; request beats are written,
  // a cycle after they are taken, into the header registers (the first MaxHdrBytes) and the
  // ring, and the bytes of x_pos are picked out as they pass.
  // ======================================================================================
  logic             in_busy_q;      // the current frame's last beat has not been taken
  logic [BeatW-1:0] ib_q;           // beats of the current request taken
  logic [BeatW-1:0] lim_q;          // request beats before this index may be taken
  logic             discard_q;      // the rest of the request is not needed (dropped or done)
  logic             d2_adv, d1_valid_q, bc_valid_q;
  logic             in_first_ok, in_fire, in_bypass_beat;

  // A new frame starts once the last one is over and its last beat has left the first data
  // stage (which reads the header registers and the ring), and its done event has room.
  logic dq_room;
  assign in_first_ok = !fr_active_q && !bc_valid_q && !d1_valid_q && dq_room;
  always_comb begin
    s_axis_tready_o = 1'b0;
    if (in_first_ok) begin
      s_axis_tready_o = in_seg ? 1'b1 : d2_adv;
    end else if (in_busy_q) begin
      if (fr_bypass_q) s_axis_tready_o = d2_adv;
      else s_axis_tready_o = discard_q || ib_q >= p_ne || ib_q < lim_q;
    end
  end
  assign in_fire = s_axis_tvalid_i && s_axis_tready_o;
  // bypass_sel: the beat on the input, if it moves, is a pass-through beat.  It picks the data
  // stage's input without waiting for the ready decision.
  logic bypass_sel;
  assign bypass_sel = in_first_ok ? !in_seg : fr_bypass_q;
  assign in_bypass_beat = in_fire && bypass_sel;

  // Stage I1: a request beat, with its index.
  logic                 i1_valid_q, i1_last_q, i1_drop_q;
  logic [BeatW-1:0]     i1_idx_q;
  logic [DataWidth-1:0] i1_data_q;
  logic [Bytes-1:0]     i1_keep_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      i1_valid_q <= 1'b0;
    end else begin
      i1_valid_q <= in_fire && !in_bypass_beat;
    end
    i1_data_q <= s_axis_tdata_i;
    i1_keep_q <= s_axis_tkeep_i;
    i1_last_q <= s_axis_tlast_i;
    i1_drop_q <= s_axis_tlast_i && s_axis_tdrop_i;
    i1_idx_q  <= in_first_ok ? '0 : ib_q;
  end

  // Parameters of a request: the command's fields from its first beat, and what is derived
  // from them a cycle later (p_new_q), so no adder chain follows the input port.
  logic             p_new_q;        // the parameters were taken last cycle
  logic             p_new2_q;       // ... the cycle before last
  logic [PosW-1:0]  p_h_d;          // H, from the registered fields
  // Partial sums taken with the fields, so H and the arrival count start each need one adder:
  // l3hlen + l4hlen, and Bytes - l2hlen.
  logic [PosW-1:0]        p_l34;
  logic signed [ArrW-1:0] p_bl2;
  assign p_h_d = PosW'(p_l2) + p_l34;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p_new_q  <= 1'b0;
      p_new2_q <= 1'b0;
    end else begin
      p_new_q  <= in_fire && in_first_ok && in_seg;
      p_new2_q <= p_new_q;
    end
    if (in_fire && in_first_ok && in_seg) begin
      p_mss   <= sc.mss;
      p_l2    <= sc.l2hlen;
      p_l3    <= sc.l3hlen;
      p_l4    <= sc.l4hlen;
      p_l34   <= PosW'(sc.l3hlen) + PosW'(sc.l4hlen);
      p_bl2   <= $signed(ArrW'(Bytes) - ArrW'(sc.l2hlen));
      p_udp   <= sc.kind == nic_hw_pkg::SegKindUdp;
      p_v6    <= sc.ipv6;
      p_pay   <= sc.pay_len;
      x_pos   <= x_pos_d;
    end
    if (p_new_q) begin
      p_h      <= p_h_d[9:0];
      p_l3base <= (p_v6 ? {2'd0, p_l3} - 10'd40 : {2'd0, p_l3}) + {2'd0, p_l4};
    end
    // A cycle later still: the request's length, in bytes and beats, and the command checks.
    if (p_new2_q) begin
      p_exp <= PosW'(p_h) + PosW'(p_pay);
      p_ne  <= BeatW'((PosW'(p_h) + PosW'(p_pay) + PosW'(Bytes - 1)) >> LB);
      if (p_mss == 16'd0 || 32'(p_mss) > MaxMss) p_cmd_err <= nic_hw_pkg::SegErrMss;
      else if (32'(p_h) > MaxHdrBytes) p_cmd_err <= nic_hw_pkg::SegErrHdrLen;
      else if (32'(p_pay) > MaxPayloadBytes) p_cmd_err <= nic_hw_pkg::SegErrPayLen;
      else p_cmd_err <= nic_hw_pkg::SegErrNone;
    end
  end

  // Byte `lane` of a beat.
  function automatic logic [7:0] byte_at(logic [DataWidth-1:0] d, logic [LB-1:0] lane);
    byte_at = '0;
    for (int unsigned l = 0; l < Bytes; l++) begin
      byte_at = byte_at | ({8{lane == LB'(l)}} & d[8*l +: 8]);
    end
  endfunction

  // Header registers, the ring, the picked bytes, and what has arrived.
  logic [HdrWords-1:0][DataWidth-1:0]  hdr_q;
  logic [RingDepth-1:0][DataWidth-1:0] ring_q;
  logic [NX-1:0][7:0]                  x_q;
  logic                                in_done_q;  // the request's last beat was written
  logic [PosW-1:0]                     got_q;      // bytes in the request (once in_done_q)

  always_ff @(posedge clk_i) begin
    if (i1_valid_q) begin
      // Written through decoders, and the bytes picked by AND-OR selects: an indexed part
      // select of a wide vector becomes a barrel shifter in synthesis.
      for (int unsigned w = 0; w < HdrWords; w++) begin
        if (i1_idx_q == BeatW'(w)) hdr_q[w] <= i1_data_q;
      end
      for (int unsigned r = 0; r < RingDepth; r++) begin
        // p_ne is known from the third beat on; writing the first two is always harmless
        // (the ring holds no other beat of this request yet).
        if (i1_idx_q[RW-1:0] == RW'(r) && (i1_idx_q < BeatW'(2) || i1_idx_q < p_ne)) begin
          ring_q[r] <= i1_data_q;
        end
      end
      for (int unsigned f = 0; f < NX; f++) begin
        if (i1_idx_q == BeatW'(x_pos[f][9:LB])) x_q[f] <= byte_at(i1_data_q, x_pos[f][LB-1:0]);
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      in_busy_q <= 1'b0;
      in_done_q <= 1'b0;
      ib_q      <= '0;
    end else begin
      if (in_fire) begin
        in_busy_q <= !s_axis_tlast_i;
        ib_q      <= (in_first_ok ? '0 : ib_q) + 1'b1;
      end
      if (in_fire && in_first_ok) in_done_q <= 1'b0;
      else if (i1_valid_q && i1_last_q) in_done_q <= 1'b1;
    end
    if (i1_valid_q && i1_last_q) begin
      // A last beat marked dropped holds no byte of the request.
      got_q <= PosW'({i1_idx_q, {LB{1'b0}}}) +
               (i1_drop_q ? '0 : PosW'(nic_csum_pkg::keep_count(64'(i1_keep_q))));
    end
  end

  // ======================================================================================
  // Output side, control stage C: checks the headers, then issues one beat command per cycle
  // to the data stages.  Everything the issue decision needs is a register, worked out a
  // cycle ahead: the bytes the beat takes, how many have arrived beyond the send position,
  // whether it ends the segment, and where the segment ends.
  // ======================================================================================
  typedef enum logic [2:0] {CIdle, CWaitHdr, CCheck, CStart, CSeg, CDrain} cstate_e;
  cstate_e c_q;
  logic    err_seen_q;                // an error was already reported for this request

  // The beat to issue.
  logic [JW-1:0]     j_q;             // its index in the segment
  logic              first_q;         // j_q is 0: the segment's first beat
  logic [JW-1:0]     hb_q;            // header-only beats before the beat holding byte H
  logic              hb_gt1_q, hb_eq1_q;  // hb_q > 1, hb_q == 1: what the next beat is
  logic              mixp_q;          // that beat is still to come in this segment
  logic [13:0]       take_q;          // payload bytes it takes
  logic [13:0]       ra_q;            // payload bytes of the segment after this beat
  logic [JW-1:0]     bl_q;            // beats of the segment after it
  logic [PosW-1:0]   hcp_q;           // request position of the next payload byte to send
  logic signed [ArrW-1:0] arr_q;        // bytes arrived beyond hcp_q (negative: not yet there)
  // The current segment.
  logic [PosW-1:0]   segend_q;        // request position where its payload ends
  logic              s_last_q;        // the request's last segment
  logic [Bytes-1:0]  s_keep_q;        // tkeep of its last beat
  logic [NF-1:0][7:0] s_val_q;        // the bytes its headers get
  logic [15:0]       s_init_q;        // csum_init: its L4 length
  // For the next segment.
  logic [16:0]       rem_q;           // payload bytes not yet given to a segment
  logic [31:0]       seq_q;           // its TCP sequence number
  logic [15:0]       id_q;            // its IPv4 ID

  // Per-request constants, a cycle after the request's parameters.
  logic [JW-1:0]     jm_q;            // the beat holding byte H
  logic [LB-1:0]     hmod_q;          // H mod Bytes: lanes of that beat that are header
  logic [Bytes-1:0]  hmask_q;         // those lanes
  logic [13:0]       room_q;          // payload bytes that beat can hold
  logic [NF-1:0][Bytes-1:0] f_lane_q; // lane of each patched byte (0 when not patched)
  logic [NF-1:0][JW-1:0]    f_beat_q; // and its beat
  // A segment of mss bytes: its last beat, that beat's tkeep, its L3 length, UDP length and
  // L4 length, the bytes its first beat takes, and where the first one ends.
  logic [JW-1:0]     full_lastj_q;
  logic [Bytes-1:0]  full_keep_q;
  logic [15:0]       full_l3len_q, full_udplen_q, full_init_q;
  logic [13:0]       full_take0_q, full_ra0_q;
  logic [PosW-1:0]   hm_q;

  // ---- The checks (CCheck), in seg_err order
  nic_hw_pkg::seg_err_e chk, chk_q;   // chk_q: registered in CCheck, acted on in CStart
  always_comb begin
    logic       tcp;
    logic [7:0] proto, vihl;
    tcp   = !p_udp;
    proto = tcp ? 8'd6 : 8'd17;
    vihl  = x_q[XVihl];
    if (p_cmd_err != nic_hw_pkg::SegErrNone) chk = nic_hw_pkg::seg_err_e'(p_cmd_err);
    else if (in_done_q && got_q < PosW'(p_h)) chk = nic_hw_pkg::SegErrFrameLen;
    else if (p_l2 < 8'd14 || p_l2[1:0] != 2'd2 ||
             {x_q[XEt0], x_q[XEt1]} != (p_v6 ? 16'h86DD : 16'h0800))
      chk = nic_hw_pkg::SegErrL2;
    else if (p_v6 ? (vihl[7:4] != 4'd6 || p_l3 < 8'd40 || p_l3[2:0] != 3'd0)
                  : (p_l3 < 8'd20 || vihl[7:4] != 4'd4 || {2'd0, vihl[3:0], 2'd0} != p_l3))
      chk = nic_hw_pkg::SegErrL3;
    else if ((!p_v6 || p_l3 == 8'd40) && x_q[XProto] != proto)
      chk = nic_hw_pkg::SegErrProto;
    else if (tcp ? (p_l4 < 8'd20 || {2'd0, x_q[XDoff][7:4], 2'd0} != p_l4)
                 : p_l4 != 8'd8) chk = nic_hw_pkg::SegErrL4;
    else chk = nic_hw_pkg::SegErrNone;
  end

  // ---- The next segment: mss bytes, or the rest when that is no more than mss
  logic            ld_first, n_last;
  logic [16:0]     ld_rem;
  logic [31:0]     ld_seq;
  logic [15:0]     ld_id;
  logic [13:0]     n_len, n_take0, n_ra0;
  logic [JW-1:0]   n_lastj;
  logic [Bytes-1:0] n_keep;
  logic [15:0]     n_l3len, n_udplen, n_init;
  logic [PosW-1:0] n_segend;
  logic [NF-1:0][7:0] n_val;

  assign ld_first = c_q == CStart;
  assign ld_rem   = ld_first ? p_pay : rem_q;
  assign ld_seq   = ld_first ? {x_q[XSeq0], x_q[XSeq0+1], x_q[XSeq0+2], x_q[XSeq0+3]} : seq_q;
  assign ld_id    = ld_first ? {x_q[XId0], x_q[XId1]} : id_q;

  // The comparisons and the difference that decide a segment are made for both candidates of
  // what remains (the request's payload on its first segment, rem_q after), side by side, and
  // chosen by ld_first after: the choice does not sit in front of their carry chains.
  logic            last_f, last_r, fit_f, fit_r;
  logic [13:0]     ra_f, ra_r;
  assign last_f = p_pay <= 17'(p_mss);
  assign last_r = rem_q <= 17'(p_mss);
  assign fit_f  = 17'(room_q) > p_pay;
  assign fit_r  = 17'(room_q) > rem_q;
  assign ra_f   = 14'(p_pay) - room_q;
  assign ra_r   = 14'(rem_q) - room_q;

  always_comb begin
    logic [PosW-1:0] end_pos;     // position of the last segment's last byte
    logic [7:0]      fl;
    n_last   = ld_first ? last_f : last_r;
    end_pos  = PosW'(p_h) + PosW'(ld_rem) - 1'b1;
    n_len    = n_last ? 14'(ld_rem) : 14'(p_mss);
    n_lastj  = n_last ? JW'(end_pos[PosW-1:LB]) : full_lastj_q;
    n_keep   = n_last ? {Bytes{1'b1}} >> (LB'(Bytes - 1) - end_pos[LB-1:0]) : full_keep_q;
    n_l3len  = n_last ? 16'(p_l3base) + 16'(ld_rem) : full_l3len_q;
    n_udplen = n_last ? 16'd8 + 16'(ld_rem) : full_udplen_q;
    n_init   = n_last ? 16'(p_l4) + 16'(ld_rem) : full_init_q;
    // The first beat takes payload only when it holds byte H; ra0: what the segment has after.
    if (jm_q != '0) begin
      n_take0 = 14'd0;
      n_ra0   = n_len;
    end else if (!n_last) begin
      n_take0 = full_take0_q;
      n_ra0   = full_ra0_q;
    end else if (ld_first ? fit_f : fit_r) begin
      n_take0 = 14'(ld_rem);
      n_ra0   = 14'd0;
    end else begin
      n_take0 = room_q;
      n_ra0   = ld_first ? ra_f : ra_r;
    end
    n_segend = n_last ? p_exp : (ld_first ? hm_q : segend_q + PosW'(p_mss));
    fl = x_q[XFlags];
    if (!ld_first) fl[7] = 1'b0;               // CWR: first segment only
    if (!n_last) fl = fl & 8'hF6;              // FIN, PSH: last segment only
    n_val[0] = n_l3len[15:8];
    n_val[1] = n_l3len[7:0];
    n_val[2] = ld_id[15:8];
    n_val[3] = ld_id[7:0];
    n_val[4] = p_udp ? n_udplen[15:8] : ld_seq[31:24];
    n_val[5] = p_udp ? n_udplen[7:0]  : ld_seq[23:16];
    n_val[6] = ld_seq[15:8];
    n_val[7] = ld_seq[7:0];
    n_val[8] = fl;
  end

  // ---- The beat to issue in CSeg
  logic at_mix, hdr_only, last_beat, avail, stop, issue, load, bc_adv, d1_adv;
  assign hdr_only  = hb_q != '0;
  assign at_mix    = hb_q == '0 && mixp_q;
  assign last_beat = bl_q == '0;
  // The bytes this beat takes have arrived, or never will (the request ended early).
  assign avail = in_done_q || take_q == 14'd0 || arr_q >= $signed(ArrW'(take_q));
  // A segment the request ended before is not started.
  assign stop  = first_q && in_done_q && segend_q > got_q;
  assign bc_adv = !bc_valid_q || d1_adv;
  assign issue  = c_q == CSeg && !stop && avail && bc_adv;
  assign load   = (c_q == CStart && chk_q == nic_hw_pkg::SegErrNone) ||
                  (issue && last_beat && !s_last_q);

  // The beat after this one in the same segment: the bytes it takes and leaves, as a choice
  // between values computed from registers.
  logic [13:0] next_take, next_ra;
  always_comb begin
    // Both candidate rooms (the beat holding byte H, or a whole beat) are compared at once.
    logic fits_m, fits_w;
    fits_m = ra_q < room_q;
    fits_w = ra_q < 14'(Bytes);
    if (hb_gt1_q) begin
      next_take = 14'd0;
      next_ra   = ra_q;
    end else if (hb_eq1_q) begin
      next_take = fits_m ? ra_q : room_q;
      next_ra   = fits_m ? 14'd0 : ra_q - room_q;
    end else begin
      next_take = fits_w ? ra_q : 14'(Bytes);
      next_ra   = fits_w ? 14'd0 : ra_q - 14'(Bytes);
    end
  end

  // Beat command to the data stages.
  typedef struct packed {
    logic [HW-1:0]      hword;      // header word to read
    logic [Bytes-1:0]   hmask;      // lanes from the header
    logic [NF-1:0]      fhit;       // patched fields in this beat
    logic [NF-1:0][7:0] fval;
    logic [RingDepth-1:0] ring;     // first ring beat of the funnel, one-hot
    logic [LB-1:0]      shift;      // funnel shift in bytes
    logic [Bytes-1:0]   keep;
    logic               last;
    logic [63:0]        user;
    logic               drop;
  } bc_t;

  // The checksum command of the current segment, for nic_csum_tx.
  nic_hw_pkg::tx_csum_cmd_t seg_csum;
  always_comb begin
    seg_csum             = '0;
    seg_csum.csum_start  = 16'(p_l2) + 16'(p_l3);
    seg_csum.csum_offset = p_udp ? 8'd6 : 8'd16;
    seg_csum.l3_offset   = p_l2;
    seg_csum.csum_init   = s_init_q;
    seg_csum.l4_en       = 1'b1;
    seg_csum.ip4_en      = !p_v6;
    seg_csum.udp         = p_udp;
  end

  bc_t bc_d, bc_q;
  always_comb begin
    // Only the low bits of the funnel's first byte position matter: ring beat and lane.
    logic [SrcW-1:0] src;
    src = hcp_q[LB+RW-1:0] - (at_mix ? SrcW'(hmod_q) : '0);
    bc_d.hword = j_q[HW-1:0];
    bc_d.hmask = hdr_only ? '1 : (at_mix ? hmask_q : '0);
    for (int unsigned f = 0; f < NF; f++) bc_d.fhit[f] = j_q == f_beat_q[f];
    bc_d.fval  = s_val_q;
    bc_d.ring  = {{(RingDepth-1){1'b0}}, 1'b1} << src[LB +: RW];
    bc_d.shift = src[LB-1:0];
    bc_d.keep  = last_beat ? s_keep_q : '1;
    bc_d.last  = last_beat;
    bc_d.user  = first_q ? 64'(seg_csum) : '0;
    bc_d.drop  = last_beat && in_done_q && segend_q > got_q;
  end

  // fr_done: everything of the request is in and every command is out.
  assign fr_done = fr_active_q && !fr_bypass_q && c_q == CDrain && in_done_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      c_q         <= CIdle;
      fr_active_q <= 1'b0;
      fr_bypass_q <= 1'b0;
      bc_valid_q  <= 1'b0;
      discard_q   <= 1'b0;
      err_o       <= 1'b0;
      req_o       <= 1'b0;
      seg_o       <= 1'b0;
      err_seen_q  <= 1'b0;
      err_code_o  <= nic_hw_pkg::SegErrNone;
    end else begin
      err_o <= 1'b0;
      req_o <= 1'b0;
      seg_o <= 1'b0;
      if (bc_adv) bc_valid_q <= issue;

      // A new frame.
      if (in_fire && in_first_ok) begin
        fr_active_q <= !(in_bypass_beat && s_axis_tlast_i);
        fr_bypass_q <= !in_seg;
        discard_q   <= 1'b0;
        err_seen_q  <= 1'b0;
        if (in_seg) c_q <= CWaitHdr;
      end else if (fr_bypass_q && in_bypass_beat && s_axis_tlast_i) begin
        fr_active_q <= 1'b0;
      end

      unique case (c_q)
        CIdle: ;
        CWaitHdr: begin
          // All H header bytes are in (arr_q counts from byte H).
          if (in_done_q || arr_q >= 0) c_q <= CCheck;
        end
        CCheck: c_q <= CStart;
        CStart: begin
          if (chk_q != nic_hw_pkg::SegErrNone) begin
            err_o      <= 1'b1;
            err_code_o <= chk_q;
            err_seen_q <= 1'b1;
            discard_q  <= 1'b1;
            c_q        <= CDrain;
          end else begin
            req_o <= 1'b1;
            c_q   <= CSeg;
          end
        end
        CSeg: begin
          if (stop) begin
            discard_q <= 1'b1;
            c_q       <= CDrain;
          end else if (issue) begin
            if (last_beat && !bc_d.drop) seg_o <= 1'b1;
            if (last_beat && s_last_q) begin
              discard_q <= 1'b1;
              c_q       <= CDrain;
            end
          end
        end
        CDrain: begin
          if (fr_done) begin
            c_q         <= CIdle;
            fr_active_q <= 1'b0;
            if (!err_seen_q && got_q != p_exp) begin
              err_o      <= 1'b1;
              err_code_o <= nic_hw_pkg::SegErrFrameLen;
            end
          end
        end
        default: c_q <= CIdle;
      endcase
    end
  end

  logic signed [ArrW-1:0] arr_in;   // arr_q with this cycle's arrival
  assign arr_in = arr_q + $signed(i1_valid_q ? ArrW'(Bytes) : '0);

  always_ff @(posedge clk_i) begin
    if (bc_adv) bc_q <= bc_d;
    chk_q <= chk;

    // Input limit and arrivals.
    if (in_fire && in_first_ok && in_seg) begin
      // Until H is known (next cycle): a few beats may come, and the header is not complete.
      lim_q <= BeatW'(Ahead);
      arr_q <= $signed({2'b10, {(ArrW-2){1'b0}}});
    end else if (p_new_q) begin
      // The first beat is being written now: Bytes have arrived, counted from byte H.
      lim_q <= BeatW'(p_h_d[PosW-1:LB]) + BeatW'(Ahead);
      arr_q <= p_bl2 - $signed(ArrW'(p_l34));
    end else begin
      lim_q <= BeatW'(hcp_q[PosW-1:LB]) + BeatW'(Ahead);
      // Both sums are ready before the issue decision, which only picks one.
      arr_q <= issue ? arr_in - $signed(ArrW'(take_q)) : arr_in;
    end

    // Constants of the request, a cycle after its parameters.
    jm_q    <= JW'(p_h[9:LB]);
    hmod_q  <= p_h[LB-1:0];
    hmask_q <= ~({Bytes{1'b1}} << p_h[LB-1:0]);
    room_q  <= 14'(Bytes) - 14'(p_h[LB-1:0]);
    begin
      logic [PosW-1:0] e;
      e = PosW'(p_h) + PosW'(p_mss) - 1'b1;
      hm_q          <= PosW'(p_h) + PosW'(p_mss);
      full_lastj_q  <= JW'(e[PosW-1:LB]);
      full_keep_q   <= {Bytes{1'b1}} >> (LB'(Bytes - 1) - e[LB-1:0]);
      full_l3len_q  <= 16'(p_l3base) + p_mss;
      full_udplen_q <= 16'd8 + p_mss;
      full_init_q   <= 16'(p_l4) + p_mss;
      if (17'(Bytes) - 17'(p_h[LB-1:0]) > 17'(p_mss)) begin
        full_take0_q <= 14'(p_mss);
        full_ra0_q   <= 14'd0;
      end else begin
        full_take0_q <= 14'(Bytes) - 14'(p_h[LB-1:0]);
        full_ra0_q   <= 14'(p_mss) - (14'(Bytes) - 14'(p_h[LB-1:0]));
      end
    end
    for (int unsigned f = 0; f < NF; f++) begin
      logic [9:0] pos;
      logic       en;
      // Patched bytes: L3 length (2), IPv4 ID (2), TCP sequence or UDP length (4), TCP flags.
      unique case (f)
        0: begin pos = {2'd0, p_l2} + (p_v6 ? 10'd4 : 10'd2); en = 1'b1; end
        1: begin pos = {2'd0, p_l2} + (p_v6 ? 10'd5 : 10'd3); en = 1'b1; end
        2, 3: begin pos = x_pos[XId0 + f - 2]; en = !p_v6; end
        4, 5: begin pos = x_pos[XSeq0 + f - 4]; en = 1'b1; end
        6, 7: begin pos = x_pos[XSeq0 + f - 4]; en = !p_udp; end
        default: begin pos = x_pos[XFlags]; en = !p_udp; end
      endcase
      f_beat_q[f] <= JW'(pos[9:LB]);
      f_lane_q[f] <= en ? {{(Bytes-1){1'b0}}, 1'b1} << pos[LB-1:0] : '0;
    end

    // The beat to issue: a new segment, or the next beat of this one.
    if (load) begin
      s_last_q <= n_last;
      s_keep_q <= n_keep;
      s_val_q  <= n_val;
      s_init_q <= n_init;
      segend_q <= n_segend;
      rem_q    <= n_last ? '0 : ld_rem - 17'(p_mss);   // = ld_rem - n_len; n_last picks last
      seq_q    <= ld_seq + 32'(p_mss);
      id_q     <= ld_id + 16'd1;
      j_q      <= '0;
      first_q  <= 1'b1;
      hb_q     <= jm_q;
      hb_gt1_q <= jm_q > JW'(1);
      hb_eq1_q <= jm_q == JW'(1);
      mixp_q   <= 1'b1;
      take_q   <= n_take0;
      ra_q     <= n_ra0;
      bl_q     <= n_lastj;
      hcp_q    <= ld_first ? PosW'(p_h) : segend_q;
    end else if (issue) begin
      j_q    <= j_q + 1'b1;
      first_q <= 1'b0;
      hb_q   <= hdr_only ? hb_q - 1'b1 : '0;
      hb_gt1_q <= hb_q > JW'(2);
      hb_eq1_q <= hb_q == JW'(2);
      mixp_q <= mixp_q && hdr_only;
      take_q <= next_take;
      ra_q   <= next_ra;
      bl_q   <= bl_q - 1'b1;
      hcp_q  <= hcp_q + PosW'(take_q);
    end else if (p_new_q) begin
      hcp_q <= p_h_d;
    end
  end

  // ======================================================================================
  // Data stages.  D1: the two ring beats picked (AND-OR on one-hot selects) and shifted down by
  // the low two bits of the funnel shift; beside it, the header word read and its fields
  // patched.  D2: the rest of the shift (whole four-byte steps), and header or payload by lane.
  // Each stage is about three LUT levels deep.  A pass-through beat enters at D2.
  // ======================================================================================
  localparam int unsigned PartBytes = 2 * Bytes - 4;   // what the second shift can reach

  logic [8*PartBytes-1:0] part;
  logic [DataWidth-1:0]   hpatch;
  always_comb begin
    logic [RingDepth-1:0]   sel1;
    logic [2*DataWidth-1:0] pair;
    logic [DataWidth-1:0]   hw;
    sel1 = {bc_q.ring[RingDepth-2:0], bc_q.ring[RingDepth-1]};
    pair = '0;
    for (int unsigned r = 0; r < RingDepth; r++) begin
      pair = pair | {{DataWidth{sel1[r]}} & ring_q[r], {DataWidth{bc_q.ring[r]}} & ring_q[r]};
    end
    pair = pair >> {bc_q.shift[1:0], 3'b000};
    part = pair[8*PartBytes-1:0];

    hw = '0;
    for (int unsigned w = 0; w < HdrWords; w++) begin
      hw = hw | ({DataWidth{bc_q.hword == HW'(w)}} & hdr_q[w]);
    end
    for (int unsigned l = 0; l < Bytes; l++) begin
      logic       hit;
      logic [7:0] val;
      hit = 1'b0;
      val = '0;
      for (int unsigned f = 0; f < NF; f++) begin
        hit = hit | (bc_q.fhit[f] & f_lane_q[f][l]);
        val = val | ({8{bc_q.fhit[f] & f_lane_q[f][l]}} & bc_q.fval[f]);
      end
      hpatch[8*l +: 8] = hit ? val : hw[8*l +: 8];
    end
  end

  logic                   d1_last_q, d1_drop_q;
  logic [8*PartBytes-1:0] d1_part_q;
  logic [DataWidth-1:0]   d1_hp_q;
  logic [LB-3:0]          d1_shift_q;
  logic [Bytes-1:0]       d1_hmask_q, d1_keep_q;
  logic [63:0]            d1_user_q;
  logic                   d_valid_q, d_last_q, d_drop_q, skid_ready;
  logic [DataWidth-1:0]   d_data_q, seg_data;
  logic [Bytes-1:0]       d_keep_q;
  logic [63:0]            d_user_q;

  assign d2_adv = !d_valid_q || skid_ready;
  assign d1_adv = !d1_valid_q || d2_adv;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      d1_valid_q <= 1'b0;
    end else if (d1_adv) begin
      d1_valid_q <= bc_valid_q;
    end
    if (d1_adv) begin
      d1_part_q  <= part;
      d1_hp_q    <= hpatch;
      d1_shift_q <= bc_q.shift[LB-1:2];
      d1_hmask_q <= bc_q.hmask;
      d1_keep_q  <= bc_q.keep;
      d1_last_q  <= bc_q.last;
      d1_user_q  <= bc_q.user;
      d1_drop_q  <= bc_q.drop;
    end
  end

  always_comb begin
    logic [8*PartBytes-1:0] v;
    v = d1_part_q >> {d1_shift_q, 5'b00000};
    for (int unsigned l = 0; l < Bytes; l++) begin
      seg_data[8*l +: 8] = !d1_keep_q[l] ? 8'd0
                         : d1_hmask_q[l] ? d1_hp_q[8*l +: 8] : v[8*l +: 8];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      d_valid_q <= 1'b0;
    end else if (d2_adv) begin
      d_valid_q <= in_bypass_beat || d1_valid_q;
    end
    if (d2_adv) begin
      if (bypass_sel) begin
        d_data_q <= s_axis_tdata_i;
        d_keep_q <= s_axis_tkeep_i;
        d_last_q <= s_axis_tlast_i;
        d_user_q <= in_first_ok ? in_cmd.csum : '0;
        d_drop_q <= s_axis_tlast_i && s_axis_tdrop_i;
      end else begin
        d_data_q <= seg_data;
        d_keep_q <= d1_keep_q;
        d_last_q <= d1_last_q;
        d_user_q <= d1_user_q;
        d_drop_q <= d1_drop_q;
      end
    end
  end

  nic_skid_buffer #(.Width(DataWidth + Bytes + 1 + 64 + 1)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (d_valid_q),
    .s_ready_o (skid_ready),
    .s_data_i  ({d_data_q, d_keep_q, d_last_q, d_user_q, d_drop_q}),
    .m_valid_o (m_axis_tvalid_o),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o, m_axis_tdrop_o})
  );

  // ======================================================================================
  // Done events.  Each frame's event is made in frame order where its fate is decided (the
  // last pass-through beat taken, or the request's end in CDrain) with the count of beats
  // that had entered the data stages by then, and waits in a small queue until as many beats
  // have left the block: then every beat of the frame has left.  What the input's ready and
  // the issue decision feed here is registered first (they are the block's longest paths).
  // ======================================================================================
  localparam int unsigned DqDepth = 8;
  localparam int unsigned DqW = $clog2(DqDepth);

  typedef struct packed {
    logic [7:0]  target;     // beats entered up to and including the frame's last
    logic [3:0]  err;
    logic [15:0] segs;
  } done_t;

  done_t             dq_q [DqDepth];
  logic [DqW:0]      dq_wr_q, dq_rd_q;
  logic [7:0]        pin_q, pout_q;   // beats into the data stages and out of the block (wrap)
  logic              iss_q, byp_q;    // a beat entered last cycle (not yet in pin_q)
  logic              byp_end_q;       // ... and it ended a pass-through frame
  logic              byp_drop_q;      // ... marked dropped
  logic              seg_q;           // a segment's last beat was issued last cycle, not dropped
  logic [15:0]       segcnt_q;        // segments of this request issued without tdrop, before
  logic              dq_push;
  done_t             dq_in;
  logic [7:0]        pin_now;         // beats entered up to last cycle

  // A frame starts only while the queue can take its event and one more (the event of the
  // frame before may still be on its way), so it never overflows.
  assign dq_room = (dq_wr_q - dq_rd_q) <= (DqW + 1)'(DqDepth - 2);
  assign pin_now = pin_q + 8'(iss_q) + 8'(byp_q);

  always_comb begin
    dq_push = 1'b0;
    dq_in   = '0;
    if (byp_end_q) begin
      dq_push       = 1'b1;
      dq_in.target  = pin_now;
      dq_in.err     = nic_hw_pkg::SegErrNone;
      dq_in.segs    = byp_drop_q ? 16'd0 : 16'd1;
    end else if (fr_done) begin
      // The request's last issue was a cycle ago at least.
      dq_push       = 1'b1;
      dq_in.target  = pin_now;
      dq_in.err     = err_seen_q ? err_code_o
                    : (got_q != p_exp ? nic_hw_pkg::SegErrFrameLen : nic_hw_pkg::SegErrNone);
      dq_in.segs    = segcnt_q + 16'(seg_q);
    end
  end

  done_t dq_head;
  logic  dq_release;
  assign dq_head    = dq_q[dq_rd_q[DqW-1:0]];
  // Signed distance, so the counters may wrap: at most a handful of beats are ever in flight.
  assign dq_release = dq_wr_q != dq_rd_q && $signed(pout_q - dq_head.target) >= 0;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      dq_wr_q   <= '0;
      dq_rd_q   <= '0;
      pin_q     <= '0;
      pout_q    <= '0;
      iss_q     <= 1'b0;
      byp_q     <= 1'b0;
      byp_end_q <= 1'b0;
      seg_q     <= 1'b0;
      segcnt_q  <= '0;
      done_o    <= 1'b0;
    end else begin
      iss_q     <= issue;
      byp_q     <= in_bypass_beat;
      byp_end_q <= in_bypass_beat && s_axis_tlast_i;
      seg_q     <= issue && last_beat && !bc_d.drop;
      pin_q     <= pin_now;
      pout_q    <= pout_q + 8'(m_axis_tvalid_o && m_axis_tready_i);
      // Counted from the request's end (its event takes the count, a pending one included).
      if (fr_done) segcnt_q <= '0;
      else if (seg_q) segcnt_q <= segcnt_q + 16'd1;
      if (dq_push) dq_wr_q <= dq_wr_q + 1'b1;
      if (dq_release) dq_rd_q <= dq_rd_q + 1'b1;
      done_o <= dq_release;
    end
    byp_drop_q <= s_axis_tdrop_i;
    if (dq_push) dq_q[dq_wr_q[DqW-1:0]] <= dq_in;
    done_err_code_o <= dq_head.err;
    done_segs_o     <= dq_head.segs;
  end

endmodule
