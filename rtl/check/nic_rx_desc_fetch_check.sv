// nic_rx_desc_fetch_check: assertions on nic_rx_desc_fetch's ring positions (simulation only;
// see nic_ring_check): per queue, in ring order, the planner's consumer index <= the cache's
// fill <= the fetch position, and the fetch position at most the cache (CacheDescs) or the ring
// less one entry ahead of the consumer.
module nic_rx_desc_fetch_check #(
  parameter int unsigned NumQ = 8,
  parameter int unsigned CacheDescs = 256
) (
  input logic               clk_i,
  input logic               rst_i,
  input logic [NumQ-1:0]    run_i,
  input logic [NumQ-1:0]    start_i,
  input logic [NumQ*16-1:0] mask_i,
  input logic [NumQ*16-1:0] cons_i,
  input logic [15:0]        fill_i [NumQ],
  // The fetch positions are the fetch's RAM: a position reads 0 while its flag is set.
  input logic [15:0]        fetch_i [NumQ],
  input logic [NumQ-1:0]    fetch_zero_i
);
  logic [NumQ*16-1:0] limit, fill, fetch;
  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      limit[16*q +: 16] = 17'(CacheDescs) < 17'(mask_i[16*q +: 16]) ? 16'(CacheDescs)
                                                                   : mask_i[16*q +: 16];
      fill[16*q +: 16]  = fill_i[q];
      fetch[16*q +: 16] = fetch_zero_i[q] ? 16'd0 : fetch_i[q];
    end
  end
  nic_ring_check #(.NumQ(NumQ)) u_ring (
    .clk_i,
    .rst_i,
    .run_i    (run_i & ~start_i),
    .mask_i,
    .limit_i  (limit),
    .behind_i (cons_i),
    .mid_i    (fill),
    .ahead_i  (fetch)
  );
endmodule
