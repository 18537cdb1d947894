// nic_csum_pkg: ones'-complement arithmetic and beat helpers shared by the checksum engines.
// Referenced as nic_csum_pkg::name (Yosys 0.55 reads no `import`).
package nic_csum_pkg;

  // Ones'-complement addition: a + b with the carry wrapped around.  Both a + b and a + b + 1
  // are formed side by side and the carry picks one, so the end-around carry costs a
  // multiplexer, not a second adder.
  function automatic logic [15:0] add1c(logic [15:0] a, logic [15:0] b);
    logic [16:0] s0;
    logic [15:0] s1;
    s0 = {1'b0, a} + {1'b0, b};
    s1 = a + b + 16'd1;
    add1c = s0[16] ? s1 : s0[15:0];
  endfunction

  // A 32-bit partial sum folded to 16 bits.
  function automatic logic [15:0] fold(logic [31:0] s);
    fold = add1c(s[31:16], s[15:0]);
  endfunction

  // Bytes in a beat of up to 64 lanes whose tkeep is contiguous from lane 0 (narrower beats
  // pass their tkeep zero-extended).  The last kept lane is where a 1 meets a 0: one-hot, so
  // the lanes OR together instead of forming a priority chain.
  function automatic logic [6:0] keep_count(logic [63:0] k);
    logic [64:0] kx;
    kx = {1'b0, k};
    keep_count = '0;
    for (int unsigned l = 0; l < 64; l++) begin
      if (kx[l] && !kx[l+1]) keep_count = keep_count | 7'(l + 1);
    end
  endfunction

endpackage
