// nic_hs_check: the valid/ready rule of AXI channels and AXI4-Stream, as assertions.
//
// Once a sender raises valid it holds it, with its payload unchanged, until the cycle ready is
// high (AMBA AXI and ACE, A3.2.1; AXI4-Stream, 2.2.1).  Bound to a port pair by the files
// rtl/check/<module>_bind.sv; checked in simulation only (Verilator --assert), never synthesized.
module nic_hs_check #(
  parameter int unsigned Width = 1
) (
  input logic             clk_i,
  input logic             rst_i,
  input logic             valid_i,
  input logic             ready_i,
  input logic [Width-1:0] data_i
);
`ifndef SYNTHESIS
  a_valid_held: assert property (@(posedge clk_i) disable iff (rst_i)
                                 valid_i && !ready_i |=> valid_i)
    else $error("%m: valid dropped before ready");
  a_data_held: assert property (@(posedge clk_i) disable iff (rst_i)
                                valid_i && !ready_i |=> $stable(data_i))
    else $error("%m: payload changed while valid waited for ready");
`endif
endmodule
