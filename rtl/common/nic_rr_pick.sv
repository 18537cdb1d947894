// nic_rr_pick: round-robin choice among requesters, combinational.
//
// The winner is the first requester after the last one granted, wrapping round; with no
// previous grant (last_i all zero) the lowest requester wins.  Two masked find-first-set
// operations (x & -x), no loop over priorities, so the cost grows gently with Num.
module nic_rr_pick #(
  parameter int unsigned Num = 2
) (
  input  logic [Num-1:0] req_i,    // requesters
  input  logic [Num-1:0] last_i,   // one-hot: granted last (or 0)
  output logic [Num-1:0] gnt_o     // one-hot: granted now (0 when nothing is requested)
);

  logic [Num-1:0] above, req_above;

  // Bits strictly above the last grant (none when the last grant was the top bit).
  assign above     = ~((last_i << 1) - Num'(1));
  assign req_above = req_i & above;
  assign gnt_o     = (req_above != '0) ? (req_above & (~req_above + Num'(1)))
                                       : (req_i & (~req_i + Num'(1)));

endmodule
