// What nic_rr_pick_reg must give: the plain round-robin choice (nic_rr_pick_spec) of the
// inputs a cycle before, whether there was a requester then (not in the cycle after a reset),
// and the chosen requester's data word of this cycle (two bits a requester here).
// scripts/prove.sh proves the two sides of this miter equal from the second cycle on (the
// first depends on the registers' power-up values), for every input sequence.  Not for
// synthesis into the card.
module nic_rr_pick_reg_dut #(
  parameter int unsigned Num = 2
) (
  input  logic           clk_i,
  input  logic           rst_i,
  input  logic [Num-1:0] req_i,
  input  logic [Num-1:0] x_i,
  input  logic [2*Num-1:0] data_i,
  output logic [Num-1:0] gnt_o,
  output logic           any_o,
  output logic [1:0]     data_o
);
  nic_rr_pick_reg #(.Num(Num), .DataW(2)) u_pick (
    .clk_i, .rst_i, .req_i, .last_i(x_i & (~x_i + Num'(1))), .gnt_o, .any_o, .data_i, .data_o
  );
endmodule

module nic_rr_pick_reg_ref #(
  parameter int unsigned Num = 2
) (
  input  logic           clk_i,
  input  logic           rst_i,
  input  logic [Num-1:0] req_i,
  input  logic [Num-1:0] x_i,
  input  logic [2*Num-1:0] data_i,
  output logic [Num-1:0] gnt_o,
  output logic           any_o,
  output logic [1:0]     data_o
);
  logic [Num-1:0] req_q, x_q;
  logic           rst_q;
  always_ff @(posedge clk_i) begin
    req_q <= req_i;
    x_q   <= x_i;
    rst_q <= rst_i;
  end
  nic_rr_pick_spec #(.Num(Num)) u_spec (.req_i(req_q), .last_i(x_q & (~x_q + Num'(1))), .gnt_o);
  assign any_o = !rst_q && req_q != '0;
  always_comb begin
    data_o = '0;
    for (int unsigned i = 0; i < Num; i++) begin
      if (gnt_o[i]) data_o = data_o | data_i[2*i +: 2];
    end
  end
endmodule
