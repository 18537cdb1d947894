// nic_queue_stats: the counters of every queue of one direction (txq or rxq), in RAM.
//
// Per queue, as the txq/rxq registers show them (hw/nic.toml; they wrap):
//   packets, bytes  completions without error (cpl_i && !cpl_err_i), bytes from cpl_bytes_i
//                   (64 bits, kept as two chained 32-bit lanes: nic_stat_ram)
//   errors          completions with an error
//   drops           drop_i: for transmit the erroring completions, for receive the frames
//                   dropped for want of buffers
// Completions go to one nic_stat_ram (packets, errors, bytes low, bytes high), drops to
// another, so a completion and a drop of different queues in one cycle both count.  Events
// of a queue number at or above NumQ count nowhere.
//
// Reads come from the direction's register front end (nic_queue_regs), one at a time: it holds
// rd_i high with its queue and the
// register's index (nic_hw_pkg's TXQ_*_IDX; rxq has the same layout) until rd_done_o, then
// takes rd_data_o, which stays until the next read.  Reading bytes_lo latches that queue's
// bytes_hi, so the pair reads as one value: the latch is a third RAM, an entry a queue,
// which reads as zero until the queue's first bytes_lo read.
module nic_queue_stats #(
  parameter int unsigned NumQ = 8,
  // Derived: queue number bits.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic          clk_i,
  input  logic          rst_i,

  input  logic          cpl_i,
  input  logic [15:0]   cpl_q_i,
  input  logic          cpl_err_i,
  input  logic [31:0]   cpl_bytes_i,
  input  logic          drop_i,
  input  logic [15:0]   drop_q_i,

  input  logic          rd_i,       // held until rd_done_o
  input  logic [QW-1:0] rd_q_i,
  input  logic [4:0]    rd_reg_i,   // register index within the queue's block
  output logic          rd_done_o,  // one cycle
  output logic [31:0]   rd_data_o,

  output logic          busy_o
);

  localparam int unsigned RegPackets = nic_hw_pkg::TXQ_PACKETS_IDX;
  localparam int unsigned RegBytesLo = nic_hw_pkg::TXQ_BYTES_LO_IDX;
  localparam int unsigned RegBytesHi = nic_hw_pkg::TXQ_BYTES_HI_IDX;
  localparam int unsigned RegDrops   = nic_hw_pkg::TXQ_DROPS_IDX;
  localparam int unsigned RegErrors  = nic_hw_pkg::TXQ_ERRORS_IDX;

  if (RegPackets != nic_hw_pkg::RXQ_PACKETS_IDX || RegBytesLo != nic_hw_pkg::RXQ_BYTES_LO_IDX ||
      RegBytesHi != nic_hw_pkg::RXQ_BYTES_HI_IDX || RegDrops != nic_hw_pkg::RXQ_DROPS_IDX ||
      RegErrors != nic_hw_pkg::RXQ_ERRORS_IDX || RegErrors > 31) begin : g_bad_layout
    $fatal(1, "nic_queue_stats: txq and rxq must keep their counters at the same registers");
  end

  // ---- Events ---------------------------------------------------------------------------
  logic            cpl_ok, drop_ok;
  logic [127:0]    cpl_inc;   // lanes: packets, errors, bytes low, bytes high

  assign cpl_ok  = cpl_i && cpl_q_i < 16'(NumQ);
  assign drop_ok = drop_i && drop_q_i < 16'(NumQ);
  assign cpl_inc = {32'd0, cpl_err_i ? 32'd0 : cpl_bytes_i, 32'(cpl_err_i), 32'(!cpl_err_i)};

  // ---- Reads: idle, the counter RAMs' two cycles, the answer ----------------------------
  typedef enum logic [1:0] {RdIdle, RdRam, RdDone} rd_state_e;
  rd_state_e       rd_st_q;
  logic [QW-1:0]   rd_q_q;
  logic [4:0]      rd_reg_q;
  logic            rd_go;
  logic            c_valid, d_valid;
  logic [127:0]    c_data;
  logic [31:0]     d_data;
  logic            c_busy, d_busy;
  logic [31:0]     rd_data_q;

  assign rd_go = rd_st_q == RdIdle && rd_i;

  nic_stat_ram #(.NumQ(NumQ), .Lanes(4), .Chain(4'b1000)) u_cpl (
    .clk_i,
    .rst_i,
    .ev_i      (cpl_ok),
    .ev_q_i    (QW'(cpl_q_i)),
    .inc_i     (cpl_inc),
    .rd_i      (rd_go),
    .rd_q_i,
    .rd_valid_o(c_valid),
    .rd_data_o (c_data),
    .busy_o    (c_busy)
  );

  nic_stat_ram #(.NumQ(NumQ), .Lanes(1), .Chain(1'b0)) u_drop (
    .clk_i,
    .rst_i,
    .ev_i      (drop_ok),
    .ev_q_i    (QW'(drop_q_i)),
    .inc_i     (32'd1),
    .rd_i      (rd_go),
    .rd_q_i,
    .rd_valid_o(d_valid),
    .rd_data_o (d_data),
    .busy_o    (d_busy)
  );

  // The bytes_hi latch: written at a bytes_lo read's answer, read with every read.
  logic [31:0]     hi_mem_q [NumQ];
  logic [NumQ-1:0] hi_stale_q;
  logic [31:0]     hi_q;
  logic            hi_z_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      rd_st_q    <= RdIdle;
      hi_stale_q <= '1;
    end else begin
      unique case (rd_st_q)
        RdIdle: if (rd_i) rd_st_q <= RdRam;
        RdRam:  if (c_valid) rd_st_q <= RdDone;
        RdDone: rd_st_q <= RdIdle;
        default: rd_st_q <= RdIdle;
      endcase
      if (c_valid && rd_reg_q == 5'(RegBytesLo)) hi_stale_q[rd_q_q] <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rd_go) begin
      rd_q_q   <= rd_q_i;
      rd_reg_q <= rd_reg_i;
      hi_q     <= hi_mem_q[rd_q_i];
      hi_z_q   <= hi_stale_q[rd_q_i];
    end
    if (c_valid) begin
      unique case (rd_reg_q)
        5'(RegPackets): rd_data_q <= c_data[31:0];
        5'(RegErrors):  rd_data_q <= c_data[63:32];
        5'(RegBytesLo): rd_data_q <= c_data[95:64];
        5'(RegBytesHi): rd_data_q <= hi_z_q ? 32'd0 : hi_q;
        5'(RegDrops):   rd_data_q <= d_data;
        default:        rd_data_q <= 32'd0;
      endcase
      if (rd_reg_q == 5'(RegBytesLo)) hi_mem_q[rd_q_q] <= c_data[127:96];
    end
  end

  assign rd_done_o = rd_st_q == RdDone;
  assign rd_data_o = rd_data_q;
  assign busy_o    = c_busy || d_busy || rd_st_q != RdIdle;

  // Both RAMs answer a read in the same cycle; the completion RAM's valid stands for both.
  logic unused;
  assign unused = d_valid;

endmodule
