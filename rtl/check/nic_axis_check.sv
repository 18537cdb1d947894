// nic_axis_check: the stream rules of the card's frame ports (docs/card.md), as assertions.
//
// The handshake rule (nic_hs_check) over tdata, tkeep, tlast and tuser, and the byte rule: tkeep
// is all ones on every beat but a frame's last, and on the last it is contiguous from bit 0 and
// not zero.  A port without tready (the MAC's receive side) ties ready_i high.  Simulation only.
module nic_axis_check #(
  parameter int unsigned DataWidth = 512,
  parameter int unsigned UserWidth = 1
) (
  input logic                   clk_i,
  input logic                   rst_i,
  input logic                   tvalid_i,
  input logic                   tready_i,
  input logic [DataWidth-1:0]   tdata_i,
  input logic [DataWidth/8-1:0] tkeep_i,
  input logic                   tlast_i,
  input logic [UserWidth-1:0]   tuser_i
);
  nic_hs_check #(.Width(DataWidth + DataWidth / 8 + 1 + UserWidth)) u_hs (
    .clk_i,
    .rst_i,
    .valid_i (tvalid_i),
    .ready_i (tready_i),
    .data_i  ({tdata_i, tkeep_i, tlast_i, tuser_i})
  );
`ifndef SYNTHESIS
  a_keep_full: assert property (@(posedge clk_i) disable iff (rst_i)
                                tvalid_i && !tlast_i |-> &tkeep_i)
    else $error("%m: tkeep not all ones on a beat before the last");
  a_keep_last: assert property (@(posedge clk_i) disable iff (rst_i)
                                tvalid_i && tlast_i |->
                                  tkeep_i != '0 && (tkeep_i & (tkeep_i + 1'b1)) == '0)
    else $error("%m: tkeep of a last beat is empty or not contiguous from bit 0");
`endif
endmodule
