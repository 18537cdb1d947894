// nic_ring_check: a queue's three ring positions stay in order, as assertions.
//
// Per queue q, positions behind <= mid <= ahead in ring order (the difference of two of them
// taken modulo the ring: & mask), and ahead runs at most limit entries before behind: a card
// that fetched past what it may hold, or let a pointer overtake the one it follows, would read
// or overwrite descriptors the host still owns.  Checked while the queue runs (run_i), from the
// cycle after it starts.  Simulation only.
module nic_ring_check #(
  parameter int unsigned NumQ = 8
) (
  input logic               clk_i,
  input logic               rst_i,
  input logic [NumQ-1:0]    run_i,
  input logic [NumQ*16-1:0] mask_i,
  input logic [NumQ*16-1:0] limit_i,
  input logic [NumQ*16-1:0] behind_i,
  input logic [NumQ*16-1:0] mid_i,
  input logic [NumQ*16-1:0] ahead_i
);
`ifndef SYNTHESIS
  for (genvar q = 0; q < NumQ; q++) begin : g_q
    logic [15:0] mask, to_mid, to_ahead;
    assign mask     = mask_i[16*q +: 16];
    assign to_mid   = (mid_i[16*q +: 16] - behind_i[16*q +: 16]) & mask;
    assign to_ahead = (ahead_i[16*q +: 16] - behind_i[16*q +: 16]) & mask;
    a_order: assert property (@(posedge clk_i) disable iff (rst_i)
                              run_i[q] && $past(run_i[q]) |-> to_mid <= to_ahead)
      else $error("%m: queue %0d: a ring position overtook the one ahead of it", q);
    a_limit: assert property (@(posedge clk_i) disable iff (rst_i)
                              run_i[q] && $past(run_i[q]) |-> to_ahead <= limit_i[16*q +: 16])
      else $error("%m: queue %0d: %0d entries ahead, more than %0d", q, to_ahead,
                  limit_i[16*q +: 16]);
  end
`endif
endmodule
