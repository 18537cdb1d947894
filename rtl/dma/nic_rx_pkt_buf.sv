// nic_rx_pkt_buf: the receive path's store-and-forward packet buffer.
//
// Frames come from the receive checksum engine one beat per cycle with no way to hold them
// back (a MAC cannot wait).  Every beat is written into a block-RAM ring as it comes; at a
// frame's last beat the buffer decides its fate:
//   - bad (the MAC flagged it, shorter than 14 bytes, longer than max_frame_i): dropped,
//     drop_o with drop_nobuf_o = 0;
//   - no room (the ring filled up while it came, or FrameSlots frames are already waiting):
//     dropped, drop_o with drop_nobuf_o = 1;
//   - otherwise committed: its record (length, checksum verdict, outer VLAN tag, queue) joins
//     the record FIFO and its beats become readable.
// A dropped frame is forgotten by moving the write pointer back to the end of the last
// committed frame, so the ring never holds anything but whole good frames.  Beats of a frame
// longer than the limit are not stored past it, so a giant frame cannot fill the
// ring for the frames behind it.
//
// Read side: committed beats, oldest first, through a four-entry lookahead whose first two
// entries are visible (la0_o, la1_o): the data mover realigns a frame to any host byte address
// from two adjacent beats, and may take 0, 1 or 2 beats a cycle (la_pop_i).  A beat's RAM slot
// is free as soon as it is in the lookahead.
//
// Each frame starts at lane 0 of its first beat; every beat but a frame's last is full (the
// stream rule of the MAC and of nic_csum_rx), so a frame's beats follow from its length.
module nic_rx_pkt_buf #(
  // Stream width in bits: 128 to 512, a power of two (the VLAN tag must be in the first beat).
  parameter int unsigned DataWidth = 512,
  // Beats of storage, a power of two.
  parameter int unsigned Depth = 1024,
  // Frame records waiting at most, a power of two.
  parameter int unsigned FrameSlots = 512,
  // Longest good frame in bytes.
  parameter int unsigned MaxFrameBytes = 9216
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Frames from nic_csum_rx; a beat may come every cycle and is always taken
  input  logic [DataWidth-1:0]   s_tdata_i,
  input  logic [DataWidth/8-1:0] s_tkeep_i,
  input  logic                   s_tlast_i,
  input  logic [63:0]            s_csum_i,       // nic_hw_pkg::rx_csum_result_t, on tlast
  input  logic                   s_bad_i,        // the MAC flagged the frame bad, on tlast
  input  logic [15:0]            s_queue_i,      // the queue it is steered to, on tlast
  input  logic                   s_tvalid_i,
  // Longest frame taken now (the port's MTU and its headers), at most MaxFrameBytes; read at
  // each frame's first beat.
  input  logic [15:0]            max_frame_i,

  // ---- Events, one-cycle pulses at a frame's last beat
  output logic                   frame_o,        // a frame came (good or bad)
  output logic [15:0]            frame_bytes_o,  // its length, saturated at 65535
  output logic                   drop_o,         // ...and it was dropped here
  output logic                   drop_nobuf_o,   // 1: no room; 0: bad frame
  output logic [15:0]            drop_queue_o,

  // ---- Frame records, in arrival order
  output logic                   info_valid_o,
  input  logic                   info_ready_i,
  output logic [15:0]            info_len_o,
  output logic [63:0]            info_csum_o,    // nic_hw_pkg::rx_csum_result_t
  output logic                   info_vlan_o,    // outer tag present (TPID 0x8100 or 0x88A8)
  output logic [15:0]            info_tci_o,     // its tag control information
  output logic [15:0]            info_queue_o,

  // ---- Stored beats, in order: la0 the oldest, la1 the next
  output logic [1:0]             la_avail_o,     // visible beats: 0, 1 or 2
  output logic [DataWidth-1:0]   la0_o,
  output logic [DataWidth-1:0]   la1_o,
  input  logic [1:0]             la_pop_i,       // beats taken this cycle, at most la_avail_o

  // Nothing stored, nothing half received.
  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned PW = $clog2(Depth);
  localparam int unsigned LaDepth = 4;
  localparam int unsigned InfoBits = 16 + 16 + 1 + 64 + 16;
  localparam int unsigned FW = $clog2(FrameSlots);

  if (DataWidth < 128 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_rx_pkt_buf: DataWidth must be a power of two from 128 to 512");
  end
  if (Depth < 4 || (1 << PW) != Depth) begin : g_bad_depth
    $fatal(1, "nic_rx_pkt_buf: Depth must be a power of two of at least 4");
  end
  if (MaxFrameBytes < 14 || MaxFrameBytes > 65535 || MaxFrameBytes > Depth * Bytes)
  begin : g_bad_max
    $fatal(1, "nic_rx_pkt_buf: MaxFrameBytes must be within 14..65535 and fit the buffer");
  end

  // ======================================================================================
  // Write side
  // ======================================================================================
  logic [DataWidth-1:0] mem_q [Depth];

  // The input is registered first, with its byte count, so the decisions below start from
  // flip-flops.
  logic                 in_valid_q, in_last_q, in_bad_q;
  logic [DataWidth-1:0] in_data_q;
  logic [6:0]           in_kc_q;
  logic [63:0]          in_csum_q;
  logic [15:0]          in_queue_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) in_valid_q <= 1'b0;
    else in_valid_q <= s_tvalid_i;
    in_data_q  <= s_tdata_i;
    in_kc_q    <= nic_csum_pkg::keep_count(64'(s_tkeep_i));
    in_last_q  <= s_tlast_i;
    in_bad_q   <= s_bad_i;
    in_csum_q  <= s_csum_i;
    in_queue_q <= s_queue_i;
  end

  // wr_ptr_q: next free slot (inside the frame being received); commit_ptr_q: end of the last
  // committed frame; fetch_ptr_q: next slot to read into the lookahead (everything before it
  // is free).  One extra bit tells full from empty.
  logic [PW:0] wr_ptr_q, wr_ptr_d, wr_ptr_p1, commit_ptr_q, commit_ptr_d, fetch_ptr_q;
  logic        first_q;               // the next beat starts a frame
  logic [16:0] len_q;                 // bytes of the frame so far (stops growing at 64 KiB)
  logic [16:0] left_q;                // bytes it may still have (the limit - len_q)
  logic        long_q, ovf_q;         // past the limit; a beat found the ring full
  logic        vlan_q;
  logic [15:0] tci_q;

  logic [16:0] len_base, len_new, left_base;
  logic        long_base, long_new, ovf_base, ovf_new, full, store, short_frame;
  logic        vlan_first, vlan_cur;
  logic [15:0] tci_first, tci_cur;
  logic        last, bad, nobuf, commit;
  logic        info_push, info_room;

  assign wr_ptr_p1 = wr_ptr_q + 1'b1;
  assign full = wr_ptr_q[PW] != fetch_ptr_q[PW] && wr_ptr_q[PW-1:0] == fetch_ptr_q[PW-1:0];

  // The outer tag: ethertype 0x8100 or 0x88A8 at bytes 12-13, the TCI at 14-15.
  assign vlan_first = {in_data_q[12*8 +: 8], in_data_q[13*8 +: 8]} == 16'h8100 ||
                      {in_data_q[12*8 +: 8], in_data_q[13*8 +: 8]} == 16'h88A8;
  assign tci_first  = {in_data_q[14*8 +: 8], in_data_q[15*8 +: 8]};
  assign vlan_cur   = first_q ? vlan_first : vlan_q;
  assign tci_cur    = first_q ? tci_first : tci_q;

  // The frame limit as a register: the smaller of the port's and the buffer's.
  logic [16:0] limit_q;
  always_ff @(posedge clk_i) begin
    limit_q <= 17'(max_frame_i) < 17'(MaxFrameBytes) ? 17'(max_frame_i) : 17'(MaxFrameBytes);
  end

  always_comb begin
    len_base    = first_q ? 17'd0 : len_q;
    left_base   = first_q ? limit_q : left_q;
    long_base   = first_q ? 1'b0 : long_q;
    ovf_base    = first_q ? 1'b0 : ovf_q;
    len_new     = len_base[16] ? len_base : len_base + 17'(in_kc_q);
    // Every beat but a frame's last is full (at least 16 bytes), so a frame is shorter than n
    // bytes (n <= 16) only when it is one beat of fewer than n.
    short_frame = first_q && in_kc_q < 7'd14;
    // A beat has at most 64 bytes: a 7-bit compare where the room left is under 128.
    long_new    = long_base || (left_base[16:7] == '0 && in_kc_q > left_base[6:0]);
    store       = in_valid_q && !long_new && !ovf_base && !full;
    ovf_new     = ovf_base || (in_valid_q && !long_new && full);
    last        = in_valid_q && in_last_q;
    bad         = in_bad_q || short_frame || long_new;
    nobuf       = ovf_new || !info_room;
    commit      = last && !bad && !nobuf;

    // The pointers only choose among values worked out beside the decision: a committed beat
    // is a stored one (commit leaves out long, overflow and full), so a commit moves the
    // commit pointer to wr_ptr_q + 1.
    wr_ptr_d     = store ? wr_ptr_p1 : wr_ptr_q;
    commit_ptr_d = commit_ptr_q;
    if (last) begin
      if (commit) commit_ptr_d = wr_ptr_p1;
      wr_ptr_d = commit ? wr_ptr_p1 : commit_ptr_q;
    end
  end

  assign info_push     = commit;
  assign frame_o       = last;
  assign frame_bytes_o = len_new[16] ? 16'hFFFF : len_new[15:0];
  assign drop_o        = last && !commit;
  assign drop_nobuf_o  = !bad;
  assign drop_queue_o  = in_queue_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      wr_ptr_q     <= '0;
      commit_ptr_q <= '0;
      first_q      <= 1'b1;
      len_q        <= '0;
      left_q       <= '0;
      long_q       <= 1'b0;
      ovf_q        <= 1'b0;
      vlan_q       <= 1'b0;
    end else begin
      wr_ptr_q     <= wr_ptr_d;
      commit_ptr_q <= commit_ptr_d;
      if (in_valid_q) begin
        first_q <= in_last_q;
        len_q   <= len_new;
        left_q  <= long_new ? 17'd0 : left_base - 17'(in_kc_q);
        long_q  <= long_new;
        ovf_q   <= ovf_new;
        vlan_q  <= vlan_cur;
      end
    end
    if (in_valid_q) tci_q <= tci_cur;
    if (store) mem_q[wr_ptr_q[PW-1:0]] <= in_data_q;
  end

  // ---- Frame records
  logic [InfoBits-1:0] info_in, info_out;
  logic [FW:0]         info_level;

  // The tag is reported only when the frame holds all of it.
  assign info_in = {in_queue_q, tci_cur, vlan_cur && !(first_q && in_kc_q < 7'd16), in_csum_q,
                    len_new[15:0]};

  nic_fifo #(.Width(InfoBits), .Depth(FrameSlots)) u_info (
    .clk_i,
    .rst_i,
    .s_valid_i (info_push),
    .s_ready_o (info_room),
    .s_data_i  (info_in),
    .m_valid_o (info_valid_o),
    .m_ready_i (info_ready_i),
    .m_data_o  (info_out),
    .level_o   (info_level)
  );

  assign {info_queue_o, info_tci_o, info_vlan_o, info_csum_o, info_len_o} = info_out;

  // ======================================================================================
  // Read side: RAM -> lookahead
  // ======================================================================================
  logic [DataWidth-1:0] ram_q;
  logic                 ram_v_q;      // ram_q holds a beat read last cycle
  logic                 rd_issue;
  logic [DataWidth-1:0] la_q [LaDepth];
  logic [DataWidth-1:0] la_d [LaDepth];
  logic [2:0]           la_cnt_q, la_cnt_d, la_kept;

  // Read ahead while the lookahead (with the beat on its way) has room; a beat is read only
  // once its frame is committed.
  assign rd_issue = fetch_ptr_q != commit_ptr_q &&
                    ({1'b0, la_cnt_q} + {3'd0, ram_v_q}) < 4'(LaDepth);

  always_comb begin
    la_kept  = la_cnt_q - {1'b0, la_pop_i};
    la_cnt_d = la_kept + {2'd0, ram_v_q};
    for (int unsigned i = 0; i < LaDepth; i++) begin
      // Shift out the beats taken, then append the beat from the RAM behind those kept.
      unique case (la_pop_i)
        2'd1:    la_d[i] = (i + 1 < LaDepth) ? la_q[(i + 1) % LaDepth] : la_q[i];
        2'd2:    la_d[i] = (i + 2 < LaDepth) ? la_q[(i + 2) % LaDepth] : la_q[i];
        default: la_d[i] = la_q[i];
      endcase
      if (ram_v_q && la_kept == 3'(i)) la_d[i] = ram_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      fetch_ptr_q <= '0;
      ram_v_q     <= 1'b0;
      la_cnt_q    <= '0;
    end else begin
      if (rd_issue) fetch_ptr_q <= fetch_ptr_q + 1'b1;
      ram_v_q  <= rd_issue;
      la_cnt_q <= la_cnt_d;
    end
    if (rd_issue) ram_q <= mem_q[fetch_ptr_q[PW-1:0]];
    for (int unsigned i = 0; i < LaDepth; i++) la_q[i] <= la_d[i];
  end

  assign la_avail_o = (la_cnt_q >= 3'd2) ? 2'd2 : la_cnt_q[1:0];
  assign la0_o      = la_q[0];
  assign la1_o      = la_q[1];

  assign idle_o = !in_valid_q && first_q && commit_ptr_q == fetch_ptr_q && !ram_v_q &&
                  la_cnt_q == '0 && info_level == '0;

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (!rst_i && {1'b0, la_pop_i} > la_cnt_q) $error("nic_rx_pkt_buf: popped past the lookahead");
  end
`endif

endmodule
