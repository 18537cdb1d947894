// nic_stat_ram: Lanes 32-bit counters for each of NumQ queues, kept in one RAM and not in
// flip-flops, so a card with hundreds of queues pays a RAM entry a queue, not an adder.
//
// Events.  At most one a cycle: ev_i adds lane j of inc_i to counter j of queue ev_q_i.  The
// update is a read, modify and write over three cycles: the RAM read (S0), its output
// registered (S1, a block RAM's output register), the add and the write (S2).  The writes of
// the two events ahead of one in S2 were not yet in the RAM when it was read in S0, so they
// are forwarded to it: back-to-back events of one queue add up, whatever their spacing.  Which
// of them to take is decided in S1 (the queue numbers compared a cycle early), so S2 is a
// multiplexer and the add.
//
// Wide counts.  Chain[j] makes lane j the upper half of lane j-1: lane j-1's carry out is
// kept in the entry (a bit beside the lane) and the queue's next event adds it into lane j,
// so no add is longer than 32 bits.  A read adds a carry still kept, so lanes j-1 and j read
// as the true count.  Chain[0] must be 0.
//
// Reset.  rst_i cannot clear a RAM in one cycle; each queue has a flag, set by reset and
// cleared by the queue's first write, that makes its entry read as zero.  So no sweep runs
// after reset and no event can be lost to one.  (The flags are the only per-queue
// flip-flops: one a queue.)
//
// Reads.  rd_i with rd_q_i reads queue rd_q_i's counters from the RAM's second read port:
// rd_data_o holds every lane (carries added) two cycles later, in the cycle rd_valid_o is
// high, and stays until the next read.  It counts every event whose write happened before
// rd_i's cycle; an event still in S0 to S2 then is not in it.  Reads do not wait for events
// nor events for reads.
//
// Queue numbers must be below NumQ (the caller filters).
module nic_stat_ram #(
  parameter int unsigned NumQ = 8,
  parameter int unsigned Lanes = 1,
  parameter logic [Lanes-1:0] Chain = '0,
  // Derived: queue number bits.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic                  clk_i,
  input  logic                  rst_i,

  input  logic                  ev_i,
  input  logic [QW-1:0]         ev_q_i,
  input  logic [Lanes*32-1:0]   inc_i,

  input  logic                  rd_i,
  input  logic [QW-1:0]         rd_q_i,
  output logic                  rd_valid_o,
  output logic [Lanes*32-1:0]   rd_data_o,

  output logic                  busy_o    // an event not yet written, or a read under way
);

  if (NumQ < 1 || Lanes < 1 || Chain[0]) begin : g_bad
    $fatal(1, "nic_stat_ram: NumQ and Lanes must be at least 1, Chain[0] must be 0");
  end

  localparam int unsigned ValW = Lanes * 32;
  localparam int unsigned EntW = ValW + Lanes;    // the lanes, then a kept carry per lane

  // Only carries that a chained lane takes are kept; the others are dropped at the write.
  localparam logic [Lanes-1:0] Kept = Lanes'(Chain >> 1);

  // An entry: lanes in [ValW-1:0], lane j's kept carry at bit ValW + j.
  logic [EntW-1:0] mem_q [NumQ];
  logic [NumQ-1:0] stale_q;   // the entry is as reset left it: reads as zero

  // ---- Read, modify, write --------------------------------------------------------------
  // S0 -> S1: the RAM's read registered with the queue's flag; S1 -> S2: registered again.
  logic                s1_v_q, s2_v_q;
  logic [QW-1:0]       s1_q_q, s2_q_q;
  logic [ValW-1:0]     s1_inc_q, s2_inc_q;
  logic [EntW-1:0]     s1_ent_q, s2_ent_q;
  logic                s1_z_q, s2_z_q;
  logic                hit1_q, hit2_q;  // S2 takes the last write, or the one before
  // The last two writes, for forwarding (w1 the newer).
  logic                w1_v_q;
  logic [QW-1:0]       w1_q_q;
  logic [EntW-1:0]     w1_ent_q, w2_ent_q;

  logic [EntW-1:0]     old_ent, new_ent;

  always_comb begin
    if (hit1_q) begin
      old_ent = w1_ent_q;
    end else if (hit2_q) begin
      old_ent = w2_ent_q;
    end else if (s2_z_q) begin
      old_ent = '0;
    end else begin
      old_ent = s2_ent_q;
    end
    new_ent = '0;
    for (int unsigned j = 0; j < Lanes; j++) begin
      logic [32:0] sum;
      logic        cin;
      cin = (j > 0 && Chain[j]) ? old_ent[ValW + j - 1] : 1'b0;
      sum = {1'b0, old_ent[32*j +: 32]} + {1'b0, s2_inc_q[32*j +: 32]} + 33'(cin);
      new_ent[32*j +: 32] = sum[31:0];
      new_ent[ValW + j]   = Kept[j] && sum[32];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      s1_v_q  <= 1'b0;
      s2_v_q  <= 1'b0;
      w1_v_q  <= 1'b0;
      stale_q <= '1;
    end else begin
      s1_v_q <= ev_i;
      s2_v_q <= s1_v_q;
      w1_v_q <= s2_v_q;
      if (s2_v_q) stale_q[s2_q_q] <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    s1_q_q   <= ev_q_i;
    s1_inc_q <= inc_i;
    s1_ent_q <= mem_q[ev_q_i];
    s1_z_q   <= stale_q[ev_q_i];
    s2_q_q   <= s1_q_q;
    s2_inc_q <= s1_inc_q;
    s2_ent_q <= s1_ent_q;
    s2_z_q   <= s1_z_q;
    // Next cycle S2's event becomes the last write, and the last write the one before.
    hit1_q   <= s2_v_q && s2_q_q == s1_q_q;
    hit2_q   <= w1_v_q && w1_q_q == s1_q_q;
    w1_q_q   <= s2_q_q;
    w1_ent_q <= new_ent;
    w2_ent_q <= w1_ent_q;
    if (s2_v_q) mem_q[s2_q_q] <= new_ent;
  end

  // ---- Reads ----------------------------------------------------------------------------
  logic            r1_v_q, r2_v_q;
  logic [EntW-1:0] r1_ent_q;
  logic            r1_z_q;
  logic [ValW-1:0] r2_data_q;
  logic [ValW-1:0] r_val;

  always_comb begin
    for (int unsigned j = 0; j < Lanes; j++) begin
      logic cin;
      cin = (j > 0 && Chain[j]) ? r1_ent_q[ValW + j - 1] : 1'b0;
      r_val[32*j +: 32] = r1_z_q ? 32'd0 : r1_ent_q[32*j +: 32] + 32'(cin);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      r1_v_q <= 1'b0;
      r2_v_q <= 1'b0;
    end else begin
      r1_v_q <= rd_i;
      r2_v_q <= r1_v_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rd_i) begin
      r1_ent_q <= mem_q[rd_q_i];
      r1_z_q   <= stale_q[rd_q_i];
    end
    if (r1_v_q) r2_data_q <= r_val;
  end

  assign rd_valid_o = r2_v_q;
  assign rd_data_o  = r2_data_q;
  assign busy_o     = s1_v_q || s2_v_q || r1_v_q || r2_v_q;

endmodule
