// The round-robin choice nic_rr_pick must make, written the plain way: find the last grant's
// index (none: as if it were the top requester, so the lowest wins), then look at the requesters
// after it in turn, wrapping round, and grant the first.  Not for synthesis into the card: a
// reference that scripts/prove.sh holds the real module to.
module nic_rr_pick_spec #(
  parameter int unsigned Num = 2
) (
  input  logic [Num-1:0] req_i,
  input  logic [Num-1:0] last_i,
  output logic [Num-1:0] gnt_o
);
  always_comb begin
    int unsigned l, at;
    logic found;
    l = Num - 1;
    for (int unsigned i = 0; i < Num; i++) begin
      if (last_i[i]) l = i;
    end
    gnt_o = '0;
    found = 1'b0;
    for (int unsigned k = 1; k <= Num; k++) begin
      at = (l + k) % Num;
      if (!found && req_i[at]) begin
        gnt_o[at] = 1'b1;
        found     = 1'b1;
      end
    end
  end
endmodule

// The miter's two sides: nic_rr_pick and the spec, each fed a last grant that is one-hot or zero
// (the lowest set bit of an arbitrary word), as every caller's is.
module nic_rr_pick_dut #(
  parameter int unsigned Num = 2
) (
  input  logic [Num-1:0] req_i,
  input  logic [Num-1:0] x_i,
  output logic [Num-1:0] gnt_o
);
  nic_rr_pick #(.Num(Num)) u_pick (.req_i, .last_i(x_i & (~x_i + Num'(1))), .gnt_o);
endmodule

module nic_rr_pick_ref #(
  parameter int unsigned Num = 2
) (
  input  logic [Num-1:0] req_i,
  input  logic [Num-1:0] x_i,
  output logic [Num-1:0] gnt_o
);
  nic_rr_pick_spec #(.Num(Num)) u_spec (.req_i, .last_i(x_i & (~x_i + Num'(1))), .gnt_o);
endmodule
