// nic_rx_mover: writes received frames from the packet buffer into host buffers.
//
// Jobs come from the planner, in frame order: one per buffer of a placed frame (bus address,
// bytes, the frame offset of its first byte), or one per dropped frame.  A buffer may sit at
// any byte address and start at any frame offset, so each output beat (one host line of
// DataWidth/8 bytes) is a funnel shift of two adjacent packet-buffer beats by a per-buffer
// amount; wstrb marks exactly the buffer's bytes.  The window is always the lookahead's first
// two beats.  When the buffer's first byte sits at a lane below its frame lane (mode Y), the
// first line takes its bytes from the first beat alone (its lower lanes would come from the
// beat before, and are outside the buffer) and takes no beat, so no priming cycle is needed.
// One host line leaves per cycle; a buffer boundary inside a packet-buffer beat costs nothing
// extra (the beat stays for the next buffer), a frame boundary neither.
//
// Bursts: a buffer's lines are cut into bursts at every 64-line boundary of the bus address
// (64 beats of DataWidth at most, and never across 4 KiB since 64 lines of 64 bytes are
// 4 KiB); the first burst's address is the buffer's exact address, later ones line aligned.
// The output is a stream of write items: W beats (with the burst's AW on its first beat and
// frame_end on the frame's last beat), and, for a frame whose queue stopped with an error
// before the frame started, a marker item (no beat) with frame_end: such a frame is not
// written, but its completion record still waits for its turn.  Dropped frames' beats are
// discarded, two a cycle.
//
// A job passes a preparation register (which computes the window, lane masks, line and burst
// counts) and then the line engine, so consecutive jobs follow each other with no gap.
module nic_rx_mover #(
  // AXI data width in bits: 128 to 512.
  parameter int unsigned DataWidth = 512,
  // Receive queues.
  parameter int unsigned NumQ = 8
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Jobs from the planner (see nic_rx_plan)
  input  logic                   job_valid_i,
  output logic                   job_ready_o,
  input  logic                   job_drop_i,
  input  logic                   job_first_i,
  input  logic                   job_last_i,
  input  logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] job_q_i,
  input  logic [15:0]            job_flen_i,
  input  logic [15:0]            job_foff_i,
  input  logic [15:0]            job_nbytes_i,
  input  logic [63:0]            job_addr_i,

  // Queues stopped by an error: their frames are not written.
  input  logic [NumQ-1:0]        q_stopped_i,

  // ---- Packet-buffer beats (nic_rx_pkt_buf lookahead)
  input  logic [1:0]             la_avail_i,
  input  logic [DataWidth-1:0]   la0_i,
  input  logic [DataWidth-1:0]   la1_i,
  output logic [1:0]             la_pop_o,

  // ---- Write items
  output logic                   o_valid_o,
  input  logic                   o_ready_i,
  output logic                   o_beat_o,       // a W beat (else a marker)
  output logic [DataWidth-1:0]   o_data_o,
  output logic [DataWidth/8-1:0] o_strb_o,
  output logic                   o_wlast_o,
  output logic                   o_aw_o,         // first beat of a burst: o_aw_* valid
  output logic [63:0]            o_aw_addr_o,
  output logic [7:0]             o_aw_len_o,
  output logic                   o_frame_end_o,  // the frame's last item

  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LB = $clog2(Bytes);
  localparam int unsigned BL = 64;                      // lines per burst block
  localparam int unsigned LW = 17 - LB + 1;             // line counts of a buffer
  localparam int unsigned OutBits = 1 + DataWidth + Bytes + 1 + 1 + 64 + 8 + 1;

  if (DataWidth < 128 || DataWidth > 512 || (1 << LB) != Bytes) begin : g_bad_w
    $fatal(1, "nic_rx_mover: DataWidth must be a power of two from 128 to 512");
  end

  // Bytes [sh, sh + Bytes) of the two-beat window {hi, lo}: one constant shift per stage.
  function automatic logic [DataWidth-1:0] funnel(logic [DataWidth-1:0] lo,
                                                  logic [DataWidth-1:0] hi,
                                                  logic [LB-1:0] sh);
    logic [2*DataWidth-1:0] w;
    w = {hi, lo};
    for (int unsigned s = 0; s < LB; s++) begin
      if (sh[s]) w = w >> (8 * (1 << s));
    end
    funnel = w[DataWidth-1:0];
  endfunction

  // ======================================================================================
  // Preparation register
  // ======================================================================================
  typedef struct packed {
    logic             dropmode;    // discard beats (dropped frame, or a skipped one)
    logic [LW-1:0]    dbeats;      // beats to discard
    logic             marker;      // then send a marker (a skipped frame's last job)
    logic             last;        // the frame's last job
    logic [63:0]      addr;
    logic             mode_y;
    logic [LB-1:0]    shift;
    logic [LW-1:0]    lines;
    logic [Bytes-1:0] first_strb;
    logic [Bytes-1:0] last_strb;
    logic [1:0]       req_first;   // lookahead beats the first line needs (when not the last)
    logic [1:0]       pops_first;  // ...and takes
    logic [1:0]       req_mid;     // lookahead beats a line between first and last needs
    logic [1:0]       req_last;    // ...and the last line
    logic [1:0]       pops_last;   // beats the last line takes
    logic [6:0]       beats0;      // beats of the first burst
  } prep_t;

  logic  p_valid_q, p_take, skip_frame_q, skip;
  prep_t p_q, p_d;

  logic [LB-1:0] a0, f0, last_lane;
  logic [16:0]   endoff, target, pops17;
  logic [LW-1:0] h0, fbeats;
  logic [LB:0]   reach;
  logic [1:0]    need_last;
  logic [6:0]    room0;

  always_comb begin
    skip = job_first_i ? q_stopped_i[job_q_i] : skip_frame_q;
    a0 = job_addr_i[LB-1:0];
    f0 = job_foff_i[LB-1:0];
    h0 = LW'(job_foff_i >> LB);
    fbeats = LW'(({1'b0, job_flen_i} + 17'(Bytes - 1)) >> LB);
    endoff = {{(17 - LB){1'b0}}, a0} + {1'b0, job_nbytes_i} - 17'd1;
    last_lane = endoff[LB-1:0];
    // The packet-buffer beat the lookahead must start at after this buffer: the beat of the
    // next buffer's first byte, or past the frame.
    target = job_last_i ? 17'(fbeats) : ({1'b0, job_foff_i} + {1'b0, job_nbytes_i}) >> LB;
    // Line m reads beats h0 + m and h0 + m + 1 (mode X) or h0 + m - 1 and h0 + m (mode Y,
    // m >= 1); every line but the last takes one beat, but the first in mode Y.
    pops17 = target - 17'(h0) - 17'(endoff >> LB) +
             17'(f0 < a0 && endoff[16:LB] != '0);
    reach = {1'b0, last_lane} + {1'b0, f0 - a0};

    p_d            = '0;
    p_d.dropmode   = job_drop_i || skip;
    p_d.dbeats     = (job_drop_i || (skip && job_first_i)) ? fbeats : '0;
    p_d.marker     = !job_drop_i && skip && job_last_i;
    p_d.last       = job_last_i;
    p_d.addr       = job_addr_i;
    p_d.mode_y     = f0 < a0;
    p_d.shift      = f0 - a0;
    p_d.lines      = LW'(endoff >> LB) + 1'b1;
    p_d.first_strb = {Bytes{1'b1}} << a0;
    p_d.last_strb  = {Bytes{1'b1}} >> (LB'(Bytes - 1) - last_lane);
    p_d.pops_last  = pops17[1:0];
    // The second beat is needed where a line's last lane reads past the first; the first line
    // of mode Y reads the first beat only.
    need_last      = (f0 < a0 && endoff[16:LB] == '0) ? 2'd1 : 2'd1 + {1'b0, reach[LB]};
    p_d.req_last   = (need_last > pops17[1:0]) ? need_last : pops17[1:0];
    p_d.req_first  = (f0 < a0 || f0 == a0) ? 2'd1 : 2'd2;
    p_d.pops_first = (f0 < a0) ? 2'd0 : 2'd1;
    p_d.req_mid    = (f0 == a0) ? 2'd1 : 2'd2;
    room0          = 7'(BL) - {1'b0, job_addr_i[LB +: 6]};
    p_d.beats0     = (p_d.lines < LW'(room0)) ? 7'(p_d.lines) : room0;
  end

  // ======================================================================================
  // Line engine
  // ======================================================================================
  logic                 x_valid_q, x_done, x_first_q;
  prep_t                x_q;
  logic [LW-1:0]        x_left_q;       // lines (or beats to discard) left
  logic [6:0]           x_burst_q;      // beats left in the current burst
  logic [63:0]          x_line_q;       // line address of the current line

  logic                 out_ready, out_valid;
  logic                 o_beat, o_aw, o_fend;
  logic [DataWidth-1:0] o_data;
  logic [Bytes-1:0]     o_strb;
  logic [63:0]          o_aw_addr;
  logic [7:0]           o_aw_len;
  logic                 is_last, go, drop_done;
  logic [1:0]           req, pops, dpop;
  logic [LW-1:0]        drem;

  always_comb begin
    is_last   = x_left_q == LW'(1);
    req       = is_last ? x_q.req_last : x_first_q ? x_q.req_first : x_q.req_mid;
    pops      = is_last ? x_q.pops_last : x_first_q ? x_q.pops_first : 2'd1;
    dpop      = (x_left_q[LW-1:1] != '0) ? 2'd2 : 2'(x_left_q);
    if (dpop > la_avail_i) dpop = la_avail_i;
    drem      = x_left_q - LW'(dpop);
    // drem == 0 without waiting for the subtraction: at most two beats go a cycle, so the
    // last ones go when no more than two are left and the lookahead holds them all.
    drop_done = x_left_q[LW-1:2] == '0 && x_left_q[1:0] != 2'd3 && la_avail_i >= x_left_q[1:0];

    go        = 1'b0;
    x_done    = 1'b0;
    la_pop_o  = '0;
    out_valid = 1'b0;
    o_beat    = 1'b0;
    o_fend    = 1'b0;
    if (x_valid_q) begin
      if (x_q.dropmode) begin
        la_pop_o = dpop;
        if (drop_done) begin
          // Beats gone; a skipped frame's marker goes out before the next job.
          out_valid = x_q.marker;
          o_fend    = 1'b1;
          x_done    = !x_q.marker || out_ready;
        end
      end else if (la_avail_i >= req && out_ready) begin
        go        = 1'b1;
        la_pop_o  = pops;
        out_valid = 1'b1;
        o_beat    = 1'b1;
        o_fend    = is_last && x_q.last;
        x_done    = is_last;
      end
    end
    o_data    = funnel(la0_i, (x_q.mode_y && x_first_q) ? la0_i : la1_i, x_q.shift);
    o_strb    = (x_first_q ? x_q.first_strb : '1) & (is_last ? x_q.last_strb : '1);
    o_aw      = x_burst_q == 7'd0 || x_first_q;
    o_aw_addr = x_first_q ? x_q.addr : x_line_q;
    o_aw_len  = x_first_q ? 8'(x_q.beats0 - 7'd1)
                          : ((x_left_q < LW'(BL)) ? 8'(x_left_q - 1'b1) : 8'(BL - 1));
  end

  // The burst counter counts down the current burst; 0 means "a new burst starts here".
  logic [6:0] burst_now;
  always_comb begin
    burst_now = x_first_q ? x_q.beats0
              : (x_burst_q != 7'd0) ? x_burst_q
              : (x_left_q < LW'(BL)) ? 7'(x_left_q) : 7'(BL);
  end

  logic o_wlast;
  assign o_wlast = burst_now == 7'd1;

  assign p_take      = x_valid_q ? x_done : 1'b1;
  assign job_ready_o = !p_valid_q || (p_take && p_valid_q);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p_valid_q    <= 1'b0;
      x_valid_q    <= 1'b0;
      skip_frame_q <= 1'b0;
    end else begin
      if (job_valid_i && job_ready_o) begin
        if (job_first_i) skip_frame_q <= q_stopped_i[job_q_i];
      end
      if (p_take) x_valid_q <= p_valid_q;
      if (job_ready_o) p_valid_q <= job_valid_i;
    end
    if (job_valid_i && job_ready_o) p_q <= p_d;
    if (p_take && p_valid_q) begin
      x_q       <= p_q;
      x_first_q <= 1'b1;
      x_left_q  <= p_q.dropmode ? p_q.dbeats : p_q.lines;
      x_burst_q <= '0;
      x_line_q  <= {p_q.addr[63:LB], {LB{1'b0}}};
    end else if (x_valid_q && x_q.dropmode) begin
      x_left_q <= drem;
    end else if (go) begin
      x_first_q <= 1'b0;
      x_left_q  <= x_left_q - 1'b1;
      x_burst_q <= burst_now - 7'd1;
      x_line_q  <= x_line_q + 64'(Bytes);
    end
  end

  nic_skid_buffer #(.Width(OutBits)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (out_valid),
    .s_ready_o (out_ready),
    .s_data_i  ({o_beat, o_data, o_strb, o_wlast, o_aw && o_beat, o_aw_addr, o_aw_len,
                 o_fend}),
    .m_valid_o (o_valid_o),
    .m_ready_i (o_ready_i),
    .m_data_o  ({o_beat_o, o_data_o, o_strb_o, o_wlast_o, o_aw_o, o_aw_addr_o, o_aw_len_o,
                 o_frame_end_o})
  );

  assign idle_o = !p_valid_q && !x_valid_q && !o_valid_o;

  // Counts the line engine took into x_left_q; the high bits of a difference known to be small.
  logic unused_x;
  assign unused_x = ^{x_q.dbeats, x_q.lines, pops17[16:2]};

endmodule
