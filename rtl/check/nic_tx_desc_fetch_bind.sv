// Assertions on nic_tx_desc_fetch (simulation only): its ring positions, through
// nic_tx_desc_fetch_check.
bind nic_tx_desc_fetch nic_tx_desc_fetch_check #(.NumQ(NumQ), .QDescs(QDescs)) u_check (
  .clk_i,
  .rst_i,
  .run_i       (q_running_o),
  .start_i     (q_start_o),
  .size_mask_i (mask_mem),
  .scanned_i   (s_mem),
  .scan_zero_i (s_zero_q),
  .stored_i    (a_mem),
  .store_zero_i(a_zero_q),
  .requested_i (f_mem),
  .req_zero_i  (f_zero_q)
);

