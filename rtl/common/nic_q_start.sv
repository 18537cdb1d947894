// nic_q_start: one queue start a cycle, and the starting queue's number and ring size.
//
// The DMA paths keep a queue's ring bases in RAM (one write port), written when the queue
// starts, so at most one queue may start in a cycle.  The choice is the lowest numbered of the
// queues that were ready last cycle (nic_rr_pick_reg with no last grant: two levels of prefix
// ORs with a register between them), and it starts if it still is: start_o = choice & rdy_i.
// Choosing from last cycle keeps the choice, and what is read for the chosen queue behind it,
// off the path of this cycle's ready checks; a queue starts a cycle after it becomes ready, one
// cycle more for each lower-numbered queue ready with it.  id_o is the chosen queue's number
// and depends on registers only, so it can address the register block's RAM of ring bases
// (nic_queue_regs' base port, read in the same cycle); log2_o is the chosen queue's ring size.
// Both come from the round robin's data select (by groups, beside the choice among them), and
// mean something in a cycle with start_o != 0.
module nic_q_start #(
  parameter int unsigned NumQ = 8
) (
  input  logic                                   clk_i,
  input  logic                                   rst_i,
  input  logic [NumQ-1:0]                        rdy_i,          // may start now
  input  logic [NumQ*4-1:0]                      log2_i,         // queue q in [q*4 +: 4]
  output logic [NumQ-1:0]                        start_o,        // one-hot or zero
  output logic [$clog2(NumQ > 1 ? NumQ : 2)-1:0] id_o,
  output logic [3:0]                             log2_o
);

  localparam int unsigned QW = $clog2(NumQ > 1 ? NumQ : 2);

  logic [NumQ-1:0]        pick;
  logic                   pick_v;
  logic [NumQ*(QW+4)-1:0] words;     // queue q's number and ring size

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) words[q*(QW+4) +: QW+4] = {QW'(q), log2_i[4*q +: 4]};
  end

  nic_rr_pick_reg #(.Num(NumQ), .DataW(QW + 4)) u_pick (
    .clk_i,
    .rst_i,
    .req_i  (rdy_i),
    .last_i ('0),
    .gnt_o  (pick),
    .any_o  (pick_v),
    .data_i (words),
    .data_o ({id_o, log2_o})
  );

  assign start_o = pick & rdy_i & {NumQ{pick_v}};

endmodule
