// nic_tx_desc_fetch_check: assertions on nic_tx_desc_fetch's ring positions (simulation only;
// see nic_ring_check): per queue, descriptors scanned <= written into the store <= requested,
// and requested at most the store's share (QDescs) or the ring's size ahead of the scanner.
module nic_tx_desc_fetch_check #(
  parameter int unsigned NumQ = 8,
  parameter int unsigned QDescs = 128
) (
  input logic                  clk_i,
  input logic                  rst_i,
  input logic [NumQ-1:0]       run_i,
  input logic [NumQ-1:0]       start_i,
  // The mask and the positions are the fetch's RAMs; a position reads 0 while its flag (the
  // _zero_i inputs) is set.
  input logic [15:0]           size_mask_i [NumQ],   // ring size - 1
  input logic [15:0]           scanned_i [NumQ],
  input logic [NumQ-1:0]       scan_zero_i,
  input logic [15:0]           stored_i [NumQ],
  input logic [NumQ-1:0]       store_zero_i,
  input logic [15:0]           requested_i [NumQ],
  input logic [NumQ-1:0]       req_zero_i
);
  logic [NumQ*16-1:0] mask, limit, scanned, stored, requested;
  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      mask[16*q +: 16]      = 16'hFFFF;
      limit[16*q +: 16]     = 17'(QDescs) < {1'b0, size_mask_i[q]} + 17'd1 ?
                              16'(QDescs) : size_mask_i[q] + 16'd1;
      scanned[16*q +: 16]   = scan_zero_i[q] ? 16'd0 : scanned_i[q];
      stored[16*q +: 16]    = store_zero_i[q] ? 16'd0 : stored_i[q];
      requested[16*q +: 16] = req_zero_i[q] ? 16'd0 : requested_i[q];
    end
  end
  nic_ring_check #(.NumQ(NumQ)) u_ring (
    .clk_i,
    .rst_i,
    .run_i    (run_i & ~start_i),
    .mask_i   (mask),
    .limit_i  (limit),
    .behind_i (scanned),
    .mid_i    (stored),
    .ahead_i  (requested)
  );
endmodule
