// nic_quiet_check: a block that says it is quiet does not change, as an assertion.
//
// In a cycle where quiet_i is high (the block's busy output low and none of its inputs
// active), the clock edge must leave state_i as it was.  That is what a simulator relies on
// when it skips the cycles where nic_top's idle_o is high: a block that changed state in a
// cycle it called quiet would make a skipped run differ from a clocked one.  Simulation only.
module nic_quiet_check #(
  parameter int unsigned Width = 1
) (
  input logic             clk_i,
  input logic             rst_i,
  input logic             quiet_i,
  input logic [Width-1:0] state_i
);
`ifndef SYNTHESIS
  a_still: assert property (@(posedge clk_i) disable iff (rst_i)
                            $past(quiet_i) && !$past(rst_i) |-> state_i == $past(state_i))
    else $error("%m: the state changed in a cycle that called itself quiet");
`endif
endmodule
