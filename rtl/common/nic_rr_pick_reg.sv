// nic_rr_pick_reg: nic_rr_pick's round-robin choice, a cycle late: gnt_o is the choice among
// last cycle's requesters after last cycle's last grant.
//
// For a scheduler over many queues, where one cycle cannot hold the whole choice (one pass of
// nic_rr_pick over 64 queues took 6.9 ns of logic, docs/synthesis.md).  The choice is nic_rr_pick's two levels
// with a register between them: each group's own choice, and whether the group has a
// requester, holds the last grant, and has a requester above it, are registered; the choice
// among the groups and the select come after the register.  Up to 16 requesters are one group.
//
// The caller takes what that means: a choice made from requests a cycle old, with a last grant
// a cycle old.  So a requester the caller has just served, or whose request it has just
// withdrawn, may still be chosen the cycle after: the caller must leave it out of req_i from
// the cycle it acts on it, or check the choice again.  any_o is a requester last cycle (gnt_o
// is not zero), from a register, and low the cycle after a reset: act on gnt_o only with it.
//
// data_o is the chosen requester's data_i word (this cycle's), for a caller that copies the
// choice's state: an AND-OR by groups, each group's with its own registered choice, beside the
// choice among the groups, which then picks one group's word.  So only a G-way select follows
// the group choice, not a Num-way one (at 64 requesters, 8 groups of 8).  A caller with no data
// sets DataW to 1 and ties data_i to 0.
// scripts/prove.sh proves gnt_o equal to nic_rr_pick's choice of the inputs a cycle before,
// and data_o equal to the AND-OR of data_i with gnt_o.
module nic_rr_pick_reg #(
  parameter int unsigned Num = 2,
  parameter int unsigned DataW = 1
) (
  input  logic                 clk_i,
  input  logic                 rst_i,    // clears any_o (the choice's registers need no reset)
  input  logic [Num-1:0]       req_i,    // requesters
  input  logic [Num-1:0]       last_i,   // one-hot: granted last (or 0)
  output logic [Num-1:0]       gnt_o,    // one-hot: the choice among last cycle's req_i
  output logic                 any_o,    // last cycle's req_i was not zero
  input  logic [Num*DataW-1:0] data_i,   // requester i's word in [i*DataW +: DataW]
  output logic [DataW-1:0]     data_o    // gnt_o's requester's word (0 when gnt_o is zero)
);

  localparam int unsigned S = (Num <= 16) ? Num : (Num <= 64) ? 8 : (Num <= 256) ? 16 : 32;
  localparam int unsigned G = (Num + S - 1) / S;   // groups

  // Padded to whole groups; the padding never requests and was never granted.
  logic [G*S-1:0] req_p, last_p, gnt_in, gnt_in_q, gnt_p;
  logic [G-1:0]   g_any, g_last, g_above, g_any_q, g_last_q, g_above_q, g_gnt, g_sel;
  logic [G*S*DataW-1:0]    data_p;
  logic [G-1:0][DataW-1:0] g_data;   // each group's word by its own registered choice

  assign req_p  = (G * S)'(req_i);
  assign last_p = (G * S)'(last_i);
  assign data_p = (G * S * DataW)'(data_i);

  for (genvar g = 0; g < G; g++) begin : g_grp
    logic [S-1:0] req, last, above;
    assign req  = req_p[g*S +: S];
    assign last = last_p[g*S +: S];
    // The group's bits above its last grant (none when the grant is not in it).
    always_comb begin
      logic seen;
      seen = 1'b0;
      for (int unsigned i = 0; i < S; i++) begin
        above[i] = seen;
        seen     = seen || last[i];
      end
    end
    assign g_any[g]   = req != '0;
    assign g_last[g]  = last != '0;
    assign g_above[g] = (req & above) != '0;
    nic_rr_pick #(.Num(S)) u_in (
      .req_i  (req),
      .last_i (last),
      .gnt_o  (gnt_in[g*S +: S])
    );
    assign gnt_p[g*S +: S] = gnt_in_q[g*S +: S] & {S{g_sel[g]}};
    always_comb begin
      g_data[g] = '0;
      for (int unsigned i = 0; i < S; i++) begin
        g_data[g] = g_data[g] | (data_p[(g*S+i)*DataW +: DataW] & {DataW{gnt_in_q[g*S+i]}});
      end
    end
  end

  always_ff @(posedge clk_i) begin
    gnt_in_q  <= gnt_in;
    g_any_q   <= g_any;
    g_last_q  <= g_last;
    g_above_q <= g_above;
    any_o     <= !rst_i && req_i != '0;
  end

  // The last grant's group wins when it has a requester above the last grant; otherwise the
  // first group with a requester after it does (wrapping round: the last grant's group too,
  // whose own choice is then its first requester).
  nic_rr_pick #(.Num(G)) u_grp (
    .req_i  (g_any_q),
    .last_i (g_last_q),
    .gnt_o  (g_gnt)
  );
  assign g_sel = (g_above_q != '0) ? g_last_q : g_gnt;
  assign gnt_o = gnt_p[Num-1:0];
  always_comb begin
    data_o = '0;
    for (int unsigned g = 0; g < G; g++) data_o = data_o | (g_data[g] & {DataW{g_sel[g]}});
  end

  if (G * S > Num) begin : g_pad
    logic unused;   // the padding's bits, always zero
    assign unused = ^{gnt_p[G*S-1:Num], data_p[G*S*DataW-1:Num*DataW]};
  end

endmodule
