// The checkers of rtl/check on their own, for check_test.cc: a 64-bit stream (nic_axis_check),
// one queue's ring positions (nic_ring_check, a 256-entry ring, at most 32 entries ahead) and
// an 8-bit state that must hold while quiet (nic_quiet_check).
module nic_check_tb (
  input logic        clk_i,
  input logic        rst_i,
  input logic        tvalid_i,
  input logic        tready_i,
  input logic [63:0] tdata_i,
  input logic [7:0]  tkeep_i,
  input logic        tlast_i,
  input logic        run_i,
  input logic [15:0] behind_i,
  input logic [15:0] mid_i,
  input logic [15:0] ahead_i,
  input logic        quiet_i,
  input logic [7:0]  state_i
);
  nic_axis_check #(.DataWidth(64), .UserWidth(1)) u_axis (
    .clk_i,
    .rst_i,
    .tvalid_i,
    .tready_i,
    .tdata_i,
    .tkeep_i,
    .tlast_i,
    .tuser_i (1'b0)
  );
  nic_ring_check #(.NumQ(1)) u_ring (
    .clk_i,
    .rst_i,
    .run_i,
    .mask_i   (16'h00FF),
    .limit_i  (16'd32),
    .behind_i,
    .mid_i,
    .ahead_i
  );
  nic_quiet_check #(.Width(8)) u_quiet (
    .clk_i,
    .rst_i,
    .quiet_i,
    .state_i
  );
endmodule
