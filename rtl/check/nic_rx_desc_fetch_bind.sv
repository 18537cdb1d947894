// Assertions on nic_rx_desc_fetch (simulation only): its ring positions, through
// nic_rx_desc_fetch_check.
bind nic_rx_desc_fetch nic_rx_desc_fetch_check #(.NumQ(NumQ), .CacheDescs(CacheDescs)) u_check (
  .clk_i,
  .rst_i,
  .run_i        (q_running_i),
  .start_i      (q_start_i),
  .mask_i       (q_mask_i),
  .cons_i       (q_cons_i),
  .fill_i       (fill_q),
  .fetch_i      (fetch_mem),
  .fetch_zero_i (f_zero_q)
);
