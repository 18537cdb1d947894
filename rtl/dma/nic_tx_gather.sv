// nic_tx_gather: reads each frame's buffers and packs their bytes into one frame stream.
//
// Issue.  Frame records and their descriptors come from nic_tx_desc_fetch in order.  A frame
// with an error verdict, or of a queue that has stopped, reads nothing: its descriptors are
// skipped and a completion record goes to nic_tx_cpl at once.  A good frame gets a completion
// record and its offload command goes into a metadata FIFO for the packer; then each buffer is
// read in bursts that end at the buffer's end or at a MaxBurst boundary (4 KiB, or 64 beats if
// that is less), one burst per cycle: a 64-byte frame in one buffer is one request.  A burst's
// tag says which byte lane its first byte is in, how many bytes it carries and whether it
// ends the frame.
//
// Pack.  The beats come back in order.  Stage A works out each beat's bytes (from the first
// byte's lane for a burst's first beat, else from lane 0) and the rotation that puts its first
// byte right after the bytes already packed; stage B rotates (a byte barrel shifter); stage C
// merges the rotated beat with the partial beat held from before (lanes below the fill level
// from the held beat, the rest from the new one), sends a beat whenever 64 bytes (Bytes) are
// packed and keeps the remainder.  A frame's last beat may make two output beats: then the
// input waits one cycle.  Otherwise one beat in, at most one beat out, every cycle.
//
// Read errors.  A beat answered with an error spoils its frame: the packer drops whatever it
// holds of it, ends the frame at once with a one-byte beat marked tdrop (the offload pipeline
// then sends nothing of a plain frame and only the complete segments before the fault of a
// segmentation request), and discards the frame's remaining beats.  Every good frame thus
// enters the pipeline exactly once, and nic_tx_cpl learns of the fault from a flag per frame.
module nic_tx_gather #(
  // Stream and AXI data width in bits (64..512).
  parameter int unsigned DataWidth = 512,
  parameter int unsigned NumQ = 8,
  // Bursts outstanding at most (bounds the frames whose metadata waits for their data).
  parameter int unsigned TrackDepth = 256,
  // Beats of read data the path may have asked for and not yet packed (a power of two, at
  // least 64: a whole burst); the size of its read buffer.
  parameter int unsigned ReadBufBeats = 256,
  // Derived.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1,
  parameter int unsigned DataTagW = 2 * $clog2(DataWidth / 8) + 15
) (
  input  logic                   clk_i,
  input  logic                   rst_i,
  input  logic [NumQ-1:0]        q_running_i,

  // ---- Frame records and their descriptors (nic_tx_desc_fetch)
  input  logic                   rec_valid_i,
  output logic                   rec_ready_o,
  input  logic [QW-1:0]          rec_q_i,
  input  logic [7:0]             rec_n_i,
  input  logic [15:0]            rec_idx_i,
  input  logic [3:0]             rec_err_i,     // nic_hw_pkg::tx_err_e
  input  logic [20:0]            rec_len_i,
  input  logic [127:0]           rec_cmd_i,
  input  logic                   dsc_valid_i,
  output logic                   dsc_ready_o,
  input  logic [63:0]            dsc_addr_i,
  input  logic [15:0]            dsc_len_i,
  input  logic [12:0]            dsc_tobnd_i,   // bytes to the next MaxBurst boundary
  input  logic                   dsc_fit1_i,    // len fits before it
  input  logic                   dsc_fit2_i,    // ... or before the one after

  // ---- Buffer reads: tag {first byte's lane, bytes in the first beat, bytes after it (13 bits),
  // ends the frame}
  output logic                   xreq_valid_o,
  input  logic                   xreq_ready_i,
  output logic [63:0]            xreq_addr_o,
  output logic [7:0]             xreq_len_o,
  output logic [DataTagW-1:0]    xreq_tag_o,
  input  logic                   xrd_valid_i,
  output logic                   xrd_ready_o,
  input  logic [DataWidth-1:0]   xrd_data_i,
  input  logic                   xrd_err_i,
  input  logic                   xrd_last_i,
  input  logic [DataTagW-1:0]    xrd_tag_i,

  // ---- Completion records, one per frame in order (nic_tx_cpl)
  output logic                   crec_valid_o,
  input  logic                   crec_ready_i,
  output logic [QW-1:0]          crec_q_o,
  output logic [3:0]             crec_err_o,    // verdict of the descriptors
  output logic                   crec_pipe_o,   // the frame goes into the offload pipeline
  output logic [7:0]             crec_n_o,
  output logic [15:0]            crec_idx_o,
  output logic [20:0]            crec_len_o,
  // Per frame that went into the pipeline, in order: 1 when a read of it failed.
  output logic                   dflag_valid_o,
  output logic                   dflag_o,

  // ---- Frames into the offload pipeline; tuser: nic_hw_pkg::tx_offload_cmd_t on the first
  // beat; tdrop on the last beat: the frame is spoilt
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [127:0]           m_axis_tuser_o,
  output logic                   m_axis_tdrop_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LB = $clog2(Bytes);
  localparam int unsigned MaxBurst = (64 * Bytes < 4096) ? 64 * Bytes : 4096;
  localparam int unsigned MBL = $clog2(MaxBurst);
  localparam int unsigned NbW = 13;                      // bytes of a burst, up to 4096

  if (DataWidth < 64 || DataWidth > 512 || (1 << LB) != Bytes) begin : g_bad_w
    $fatal(1, "nic_tx_gather: DataWidth must be a power of two from 64 to 512");
  end
  if (ReadBufBeats < 64 || ReadBufBeats > 256 || (ReadBufBeats & (ReadBufBeats - 1)) != 0)
  begin : g_bad_rbuf
    $fatal(1, "nic_tx_gather: ReadBufBeats must be a power of two from 64 to 256");
  end
  if (DataTagW != 2 * LB + 1 + NbW + 1) begin : g_bad_tag
    $fatal(1, "nic_tx_gather: DataTagW is derived, do not set it");
  end

  // ======================================================================================
  // Issue
  // ======================================================================================
  logic        busy_q;        // the head record's frame has started (its records are out)
  logic        good_q;        // ... and reads its buffers
  logic [7:0]  nd_q;          // its descriptors not yet done
  logic        cont_q;        // the head descriptor is partly issued: cur_q, rem_q
  logic [63:0] cur_q;         // (at a MaxBurst boundary then)
  logic [15:0] rem_q;
  logic        rem_fit_q;     // rem_q fits in one more burst
  logic        meta_ready;

  // X1: a burst; X2: the AXI request (beats worked out).
  logic              x1_valid_q, x1_flast_q;
  logic [63:0]       x1_addr_q;
  logic [NbW-1:0]    x1_nb_q;
  logic              x2_free, x1_free;
  // X2 holds a request until the read buffer has room for all its beats (see Credits); with
  // the request it keeps its beats, and the most beats the buffer may have reserved for it
  // to fit, so the check is one compare of two registers.
  localparam int unsigned CrW = $clog2(ReadBufBeats) + 1;
  logic x2_valid_q, fits;
  logic [CrW-1:0] xreq_beats_q, xreq_room_q;
  assign xreq_valid_o = x2_valid_q && fits;
  assign x2_free      = !x2_valid_q || (xreq_ready_i && fits);
  assign x1_free = !x1_valid_q || x2_free;

  logic        f_good, start_ok, step;
  logic [7:0]  nd_cur;
  logic [63:0] b_cur;
  logic [15:0] b_rem;
  logic [MBL:0] b_tobnd;
  logic        b_last;
  logic [NbW-1:0] b_nb;

  assign f_good   = busy_q ? good_q : (rec_err_i == nic_hw_pkg::TxErrNone && q_running_i[rec_q_i]);
  assign nd_cur   = busy_q ? nd_q : rec_n_i;
  assign start_ok = busy_q || (crec_ready_i && (!f_good || meta_ready));
  assign step     = rec_valid_i && dsc_valid_i && start_ok && (!f_good || x1_free);

  logic unused_tobnd;   // narrow streams: MaxBurst is 64 beats, below 4 KiB
  assign unused_tobnd = ^(dsc_tobnd_i >> (MBL + 1));

  // A descriptor's first burst runs to the first MaxBurst boundary (worked out ahead by
  // nic_tx_desc_fetch), the next ones start on a boundary: no adder before the decision.
  always_comb begin
    b_cur   = cont_q ? cur_q : dsc_addr_i;
    b_rem   = cont_q ? rem_q : dsc_len_i;
    b_tobnd = cont_q ? (MBL + 1)'(MaxBurst) : (MBL + 1)'(dsc_tobnd_i);
    b_last  = cont_q ? rem_fit_q : dsc_fit1_i;
    b_nb    = b_last ? NbW'(b_rem) : NbW'(b_tobnd);
  end

  logic desc_done;
  assign desc_done   = !f_good || b_last;
  assign dsc_ready_o = step && desc_done;
  assign rec_ready_o = step && desc_done && nd_cur == 8'd1;

  assign crec_valid_o = step && !busy_q;
  assign crec_q_o     = rec_q_i;
  assign crec_err_o   = rec_err_i;
  assign crec_pipe_o  = f_good;
  assign crec_n_o     = rec_n_i;
  assign crec_idx_o   = rec_idx_i;
  assign crec_len_o   = rec_len_i;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      busy_q     <= 1'b0;
      cont_q     <= 1'b0;
      x1_valid_q <= 1'b0;
      x2_valid_q <= 1'b0;
    end else begin
      if (step) begin
        good_q <= f_good;
        if (desc_done) begin
          cont_q <= 1'b0;
          busy_q <= nd_cur != 8'd1;
          nd_q   <= nd_cur - 8'd1;
        end else begin
          cont_q <= 1'b1;
          busy_q <= 1'b1;
          nd_q   <= nd_cur;
        end
      end
      if (x1_free) x1_valid_q <= step && f_good;
      if (x2_free) x2_valid_q <= x1_valid_q;
    end
    if (step && !desc_done) begin
      // The burst ended at the boundary: the buffer goes on from there.
      cur_q     <= {b_cur[63:MBL] + 1'b1, {MBL{1'b0}}};
      rem_q     <= b_rem - 16'(b_tobnd);
      rem_fit_q <= cont_q ? 17'(rem_q) <= 17'(2 * MaxBurst) : dsc_fit2_i;
    end
    if (x1_free) begin
      x1_addr_q  <= b_cur;
      x1_nb_q    <= b_nb;
      x1_flast_q <= b_last && nd_cur == 8'd1;
    end
    if (x2_free) begin
      logic [NbW:0] span, ends;
      logic         over;
      // ends: where the burst's bytes end, counted from its first line.  The first beat's
      // bytes and the rest are worked out here, so the packer's input stage only selects.
      ends = (NbW + 1)'(x1_addr_q[LB-1:0]) + (NbW + 1)'(x1_nb_q);
      span = ends + (NbW + 1)'(Bytes - 1);
      over = ends > (NbW + 1)'(Bytes);
      xreq_addr_o  <= x1_addr_q;
      xreq_len_o   <= 8'((span >> LB) - 1'b1);
      xreq_beats_q <= CrW'(span >> LB);
      xreq_room_q  <= CrW'(ReadBufBeats) - CrW'(span >> LB);
      xreq_tag_o   <= {x1_addr_q[LB-1:0],
                       over ? (LB + 1)'(Bytes) - (LB + 1)'(x1_addr_q[LB-1:0]) : (LB + 1)'(x1_nb_q),
                       over ? NbW'(ends - (NbW + 1)'(Bytes)) : NbW'(0), x1_flast_q};
    end
  end

  // The offload command of each good frame, for its first beat.
  logic         meta_valid, meta_pop;
  logic [127:0] meta_cmd;
  logic [$clog2(TrackDepth):0] unused_meta_level;
  nic_fifo #(.Width(128), .Depth(TrackDepth)) u_meta (
    .clk_i,
    .rst_i,
    .s_valid_i (step && !busy_q && f_good),
    .s_ready_o (meta_ready),
    .s_data_i  (rec_cmd_i),
    .m_valid_o (meta_valid),
    .m_ready_i (meta_pop),
    .m_data_o  (meta_cmd),
    .level_o   (unused_meta_level)
  );

  // ======================================================================================
  // Credits and the read buffer.  Every beat read comes into a buffer of ReadBufBeats, and a
  // request goes out only when the buffer has room for all its beats beside those already
  // asked for (resv_q counts beats from the request until the packer takes them).  So the
  // path never holds the read channel: answers to other readers behind ours (the receive
  // path's descriptor reads share the one in-order channel) wait at most for beats already on
  // their way, not for the transmit pipeline to make room at the link's pace.  256 beats cover
  // the host's read latency at a beat a cycle.
  // ======================================================================================
  logic [CrW-1:0] resv_q, resv_add;
  logic           r_valid, r_ready, r_err, r_last;
  logic [DataWidth-1:0] r_data;
  logic [DataTagW-1:0]  r_tag;
  logic [CrW-1:0]       unused_rbuf_level;

  assign fits     = resv_q <= xreq_room_q;
  assign resv_add = resv_q + xreq_beats_q;

  nic_fifo #(.Width(DataWidth + 2 + DataTagW), .Depth(ReadBufBeats)) u_rbuf (
    .clk_i,
    .rst_i,
    .s_valid_i(xrd_valid_i),
    .s_ready_o(xrd_ready_o),
    .s_data_i ({xrd_err_i, xrd_last_i, xrd_tag_i, xrd_data_i}),
    .m_valid_o(r_valid),
    .m_ready_i(r_ready),
    .m_data_o ({r_err, r_last, r_tag, r_data}),
    .level_o  (unused_rbuf_level)
  );

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      resv_q <= '0;
    end else begin
      // The four sums are ready before the handshakes that choose among them.
      unique case ({xreq_valid_o && xreq_ready_i, r_valid && r_ready})
        2'b00: resv_q <= resv_q;
        2'b01: resv_q <= resv_q - 1'b1;
        2'b10: resv_q <= resv_add;
        2'b11: resv_q <= resv_add - 1'b1;
      endcase
    end
  end

  // ======================================================================================
  // Pack, stage A: the beat's bytes and rotation
  // ======================================================================================
  logic [LB-1:0]  t_lane;
  logic [LB:0]    t_c0;
  logic [NbW-1:0] t_rest;
  logic           t_flast;
  assign {t_lane, t_c0, t_rest, t_flast} = r_tag;

  logic           first_q;       // the next beat is its burst's first
  logic [NbW-1:0] brem_q;        // bytes of the burst after the beats so far (its last beat's
                                 // bytes, when it comes: every beat between is full)
  logic [LB-1:0]  fill_q;        // bytes packed and held (0..Bytes-1)
  logic           in_frame_q;    // a frame's first beat went by, its last not yet
  logic           skip_q;        // the frame is spoilt: its beats are discarded

  logic           en_a, en_b, c_take, sof, in_fire;
  assign sof         = !in_frame_q;
  assign r_ready = en_a && (!sof || meta_valid);
  assign in_fire     = r_valid && r_ready;
  assign meta_pop    = in_fire && sof;

  logic [LB:0]    in_cnt;        // bytes of this beat
  logic [LB-1:0]  in_s;          // lane of its first byte
  logic           in_eof;
  always_comb begin
    in_s   = first_q ? t_lane : '0;
    in_cnt = first_q ? t_c0 : r_last ? (LB + 1)'(brem_q) : (LB + 1)'(Bytes);
    in_eof = t_flast && r_last;
  end

  logic                 a_valid_q, a_eof_q, a_sof_q, a_kill_q, a_dummy_q;
  logic [DataWidth-1:0] a_data_q;
  logic [LB-1:0]        a_rot_q, a_fill_q;
  logic [LB:0]          a_tot_q;       // fill + bytes of this beat
  logic [127:0]         a_cmd_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      a_valid_q  <= 1'b0;
      first_q    <= 1'b1;
      fill_q     <= '0;
      in_frame_q <= 1'b0;
      skip_q     <= 1'b0;
    end else begin
      if (en_a) a_valid_q <= in_fire;
      if (in_fire) begin
        first_q    <= r_last;
        in_frame_q <= !in_eof;
        skip_q     <= !in_eof && (skip_q || r_err);
        fill_q     <= (in_eof || skip_q || r_err) ? '0 : LB'(fill_q + in_cnt);
      end
    end
    if (in_fire) brem_q <= first_q ? t_rest : brem_q - NbW'(Bytes);
    if (en_a) begin
      a_data_q  <= r_data;
      a_rot_q   <= in_s - fill_q;
      a_fill_q  <= fill_q;
      a_tot_q   <= (LB + 1)'(fill_q) + in_cnt;
      a_eof_q   <= in_eof;
      a_sof_q   <= sof;
      a_kill_q  <= skip_q || r_err;
      a_dummy_q <= !skip_q && r_err;
      a_cmd_q   <= meta_cmd;
    end
  end

  // Per frame into the pipeline: was any of its reads answered with an error?
  assign dflag_valid_o = in_fire && in_eof;
  assign dflag_o       = skip_q || r_err;

  // ======================================================================================
  // Stage B: rotate, and the lane masks stage C needs
  // ======================================================================================
  logic                 b_valid_q, b_eof_q, b_sof_q, b_kill_q, b_dummy_q;
  logic                 b_full_q, b_over_q;    // fill + bytes >= Bytes, > Bytes
  logic [DataWidth-1:0] b_rot_q;
  logic [Bytes-1:0]     b_low_q;              // lanes below the fill: from the held beat
  logic [Bytes-1:0]     b_keep_q, b_xkeep_q;  // last beat's tkeep; the extra beat's
  logic [127:0]         b_cmd_q;

  function automatic logic [Bytes-1:0] lanes_below(logic [LB:0] n);
    lanes_below = '0;
    for (int unsigned l = 0; l < Bytes; l++) lanes_below[l] = 32'(l) < 32'(n);
  endfunction

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      b_valid_q <= 1'b0;
    end else if (en_b) begin
      b_valid_q <= a_valid_q;
    end
    if (en_b) begin
      // Rotate right by a_rot_q bytes.
      b_rot_q   <= DataWidth'({a_data_q, a_data_q} >> {a_rot_q, 3'b000});
      b_low_q   <= lanes_below((LB + 1)'(a_fill_q));
      b_keep_q  <= lanes_below(a_tot_q);
      b_xkeep_q <= lanes_below(a_tot_q - (LB + 1)'(Bytes));
      b_full_q  <= a_tot_q >= (LB + 1)'(Bytes);
      b_over_q  <= a_tot_q > (LB + 1)'(Bytes);
      b_eof_q   <= a_eof_q;
      b_sof_q   <= a_sof_q;
      b_kill_q  <= a_kill_q;
      b_dummy_q <= a_dummy_q;
      b_cmd_q   <= a_cmd_q;
    end
  end

  // ======================================================================================
  // Stage C: merge with the held beat, send
  // ======================================================================================
  logic [DataWidth-1:0] acc_q, merged;
  logic                 extra_q;      // a frame's last beat still to send (from acc_q)
  logic [Bytes-1:0]     xkeep_q;
  logic                 cfirst_q;     // the next beat sent is its frame's first
  logic [127:0]         cmd_q;
  logic                 skid_ready;

  always_comb begin
    for (int unsigned l = 0; l < Bytes; l++) begin
      merged[8*l +: 8] = b_low_q[l] ? acc_q[8*l +: 8] : b_rot_q[8*l +: 8];
    end
  end

  logic                 o_valid, o_last, o_drop;
  logic [DataWidth-1:0] o_data;
  logic [Bytes-1:0]     o_keep;
  logic [127:0]         o_user, f_cmd;
  assign f_cmd = b_sof_q ? b_cmd_q : cmd_q;

  always_comb begin
    o_valid = 1'b0;
    o_data  = merged;
    o_keep  = '1;
    o_last  = 1'b0;
    o_drop  = 1'b0;
    o_user  = cfirst_q ? f_cmd : '0;
    if (extra_q) begin
      o_valid = 1'b1;
      o_data  = acc_q;
      o_keep  = xkeep_q;
      o_last  = 1'b1;
      o_user  = '0;
    end else if (b_valid_q) begin
      if (b_kill_q) begin
        // The first spoilt beat ends the frame with a dropped one-byte beat.
        o_valid = b_dummy_q;
        o_keep  = {{(Bytes-1){1'b0}}, 1'b1};
        o_last  = 1'b1;
        o_drop  = 1'b1;
      end else if (b_eof_q) begin
        o_valid = 1'b1;
        o_keep  = b_over_q ? '1 : b_keep_q;
        o_last  = !b_over_q;
      end else begin
        o_valid = b_full_q;
      end
    end
  end

  assign c_take = b_valid_q && !extra_q && skid_ready;
  assign en_b   = !b_valid_q || c_take;
  assign en_a   = !a_valid_q || en_b;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      extra_q  <= 1'b0;
      cfirst_q <= 1'b1;
    end else begin
      if (extra_q && skid_ready) extra_q <= 1'b0;
      if (c_take && !b_kill_q && b_eof_q && b_over_q) extra_q <= 1'b1;
      if (skid_ready && o_valid) cfirst_q <= o_last;
    end
    if (c_take && b_sof_q) cmd_q <= b_cmd_q;
    if (c_take && !b_kill_q) begin
      // Keep what is not sent: the new beat's bytes past the ones sent, or the merged beat.
      acc_q <= (b_full_q || b_eof_q) ? b_rot_q : merged;
    end
    if (c_take) xkeep_q <= b_xkeep_q;
  end

  logic skid_valid;
  nic_skid_buffer #(.Width(DataWidth + Bytes + 1 + 128 + 1)) u_out (
    .clk_i,
    .rst_i,
    .s_valid_i (o_valid && skid_ready),
    .s_ready_o (skid_ready),
    .s_data_i  ({o_data, o_keep, o_last, o_user, o_drop}),
    .m_valid_o (skid_valid),
    .m_ready_i (m_axis_tready_i),
    .m_data_o  ({m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o, m_axis_tdrop_o})
  );
  assign m_axis_tvalid_o = skid_valid;

  // (A FIFO with entries shows one at its output within two cycles: its valid stands for its level;
  // nic_tx_path waits for 16 idle cycles in a row.)
  assign idle_o = !busy_q && !x1_valid_q && !x2_valid_q && resv_q == '0 && !meta_valid && !a_valid_q &&
                  !b_valid_q && !extra_q && !skid_valid && !in_frame_q;

endmodule
