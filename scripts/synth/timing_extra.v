// timing_extra.v: timing arcs that Yosys 0.55's Xilinx cell library lacks, read after
// +/xilinx/cells_sim.v so that `sta` times paths through these cells.
//
// Without them `sta` stops at the cell ("Module 'MUXF9' has no timing arcs!") and every path
// through it goes untimed.  MUXF9 (UltraScale's fourth wide-function mux) is given the same
// delays as cells_sim.v's MUXF8, which come from the 7-series timing database like every other
// delay there: an assumption, as rough as the rest of this logic-only estimate.
(* abc9_box, lib_whitebox *)
module MUXF9(output O, input I0, I1, S);
  assign O = S ? I1 : I0;
  specify
    (I0 => O) = 104;
    (I1 => O) = 94;
    (S => O) = 273;
  endspecify
endmodule
