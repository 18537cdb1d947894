// nic_rr_pick: round-robin choice among requesters, combinational.
//
// The winner is the first requester after the last one granted, wrapping round; with no
// previous grant (last_i all zero) the lowest requester wins.  Prefix ORs throughout (the bits
// above the last grant; the first requester of a set: a requester with none below it), so the
// choice is a few levels of LUTs with no carry chain, and the cost grows gently with Num.
module nic_rr_pick #(
  parameter int unsigned Num = 2
) (
  input  logic [Num-1:0] req_i,    // requesters
  input  logic [Num-1:0] last_i,   // one-hot: granted last (or 0)
  output logic [Num-1:0] gnt_o     // one-hot: granted now (0 when nothing is requested)
);

  logic [Num-1:0] req_above, first_above, first_any;

  always_comb begin
    logic seen_last, seen_above, seen_any;
    seen_last  = 1'b0;
    seen_above = 1'b0;
    seen_any   = 1'b0;
    for (int unsigned i = 0; i < Num; i++) begin
      // Requesters strictly above the last grant (none when the last grant was the top bit).
      req_above[i]   = req_i[i] && seen_last;
      first_above[i] = req_above[i] && !seen_above;
      first_any[i]   = req_i[i] && !seen_any;
      seen_last      = seen_last || last_i[i];
      seen_above     = seen_above || req_above[i];
      seen_any       = seen_any || req_i[i];
    end
  end

  assign gnt_o = (req_above != '0) ? first_above : first_any;

endmodule
