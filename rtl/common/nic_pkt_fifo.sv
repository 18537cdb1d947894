// nic_pkt_fifo: store-and-forward packet FIFO that drops bad or oversized frames.
//
// A frame becomes visible downstream only once its last beat is stored, so the output never
// starts a frame it cannot finish.  A frame whose last beat carries `s_axis_drop_i`, or that
// is longer than the whole FIFO, is discarded entirely: its beats are un-written by moving the
// write pointer back to the end of the last good frame.  Downstream back-pressure stalls the
// input only while complete frames are waiting; a frame that cannot fit even in an empty FIFO
// is dropped instead, so the FIFO never deadlocks.
module nic_pkt_fifo #(
  // Stream data bits per beat.
  parameter int unsigned DataWidth = 512,
  // Sideband bits per beat, carried unchanged.
  parameter int unsigned UserWidth = 1,
  // Beats of storage (a power of two); the longest frame that passes is Depth beats.
  parameter int unsigned Depth = 256
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Input stream; s_axis_drop_i is sampled with tlast
  input  logic [DataWidth-1:0]   s_axis_tdata_i,
  input  logic [DataWidth/8-1:0] s_axis_tkeep_i,
  input  logic                   s_axis_tlast_i,
  input  logic [UserWidth-1:0]   s_axis_tuser_i,
  input  logic                   s_axis_drop_i,
  input  logic                   s_axis_tvalid_i,
  output logic                   s_axis_tready_o,

  // ---- Output stream: whole good frames only
  output logic [DataWidth-1:0]   m_axis_tdata_o,
  output logic [DataWidth/8-1:0] m_axis_tkeep_o,
  output logic                   m_axis_tlast_o,
  output logic [UserWidth-1:0]   m_axis_tuser_o,
  output logic                   m_axis_tvalid_o,
  input  logic                   m_axis_tready_i,

  // ---- Status: one-cycle pulses
  output logic                   good_o,       // a frame was committed
  output logic                   dropped_o,    // a frame was dropped (flagged or too long)
  output logic                   overflow_o    // ...and it was dropped for being too long
);

  localparam int unsigned KeepWidth = DataWidth / 8;
  localparam int unsigned EntryWidth = DataWidth + KeepWidth + 1 + UserWidth;
  localparam int unsigned PtrWidth = $clog2(Depth);

  if (Depth < 2 || (1 << PtrWidth) != Depth) begin : g_bad_depth
    $fatal(1, "nic_pkt_fifo: Depth must be a power of two of at least 2");
  end
  if (DataWidth % 8 != 0) begin : g_bad_width
    $fatal(1, "nic_pkt_fifo: DataWidth must be a whole number of bytes");
  end

  logic [EntryWidth-1:0] mem_q [Depth];

  // wr_ptr_q: next free entry (speculative, inside the current frame); commit_ptr_q: end of the
  // last complete good frame; rd_ptr_q: next entry to read.  One extra bit tells full from empty.
  logic [PtrWidth:0] wr_ptr_q, wr_ptr_d;
  logic [PtrWidth:0] commit_ptr_q, commit_ptr_d;
  logic [PtrWidth:0] rd_ptr_q;
  logic              dropping_q, dropping_d;   // discarding the rest of a too-long frame
  logic              out_valid_q;
  logic [EntryWidth-1:0] out_q;

  logic full, no_complete_frame, accept, store, pop_mem;

  // Full compares the pointers directly: equal but for the wrap bit.
  assign full              = wr_ptr_q[PtrWidth] != rd_ptr_q[PtrWidth] &&
                             wr_ptr_q[PtrWidth-1:0] == rd_ptr_q[PtrWidth-1:0];
  assign no_complete_frame = commit_ptr_q == rd_ptr_q;
  // When full and nothing complete can drain, the frame being written cannot fit: take its
  // beats and drop it rather than wait forever.
  assign s_axis_tready_o   = dropping_q || !full || no_complete_frame;
  assign accept            = s_axis_tvalid_i && s_axis_tready_o;
  assign store             = accept && !dropping_q && !full;

  always_comb begin
    wr_ptr_d     = wr_ptr_q;
    commit_ptr_d = commit_ptr_q;
    dropping_d   = dropping_q;
    good_o       = 1'b0;
    dropped_o    = 1'b0;
    overflow_o   = 1'b0;
    if (accept) begin
      if (dropping_q || full) begin
        // Too long: forget everything written for this frame.
        wr_ptr_d   = commit_ptr_q;
        dropping_d = !s_axis_tlast_i;
        if (s_axis_tlast_i) begin
          dropped_o  = 1'b1;
          overflow_o = 1'b1;
        end
      end else if (s_axis_tlast_i && s_axis_drop_i) begin
        wr_ptr_d  = commit_ptr_q;
        dropped_o = 1'b1;
      end else if (s_axis_tlast_i) begin
        wr_ptr_d     = wr_ptr_q + 1'b1;
        commit_ptr_d = wr_ptr_q + 1'b1;
        good_o       = 1'b1;
      end else begin
        wr_ptr_d = wr_ptr_q + 1'b1;
      end
    end
  end

  assign pop_mem = !no_complete_frame && (!out_valid_q || m_axis_tready_i);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      wr_ptr_q     <= '0;
      commit_ptr_q <= '0;
      rd_ptr_q     <= '0;
      dropping_q   <= 1'b0;
      out_valid_q  <= 1'b0;
    end else begin
      wr_ptr_q     <= wr_ptr_d;
      commit_ptr_q <= commit_ptr_d;
      dropping_q   <= dropping_d;
      if (pop_mem) begin
        rd_ptr_q    <= rd_ptr_q + 1'b1;
        out_valid_q <= 1'b1;
      end else if (m_axis_tready_i) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (store) begin
      mem_q[wr_ptr_q[PtrWidth-1:0]] <= {s_axis_tdata_i, s_axis_tkeep_i, s_axis_tlast_i,
                                        s_axis_tuser_i};
    end
    if (pop_mem) out_q <= mem_q[rd_ptr_q[PtrWidth-1:0]];
  end

  assign {m_axis_tdata_o, m_axis_tkeep_o, m_axis_tlast_o, m_axis_tuser_o} = out_q;
  assign m_axis_tvalid_o = out_valid_q;

endmodule
