// Assertions on nic_csr_axil (simulation only): its write and read responses hold until taken.
bind nic_csr_axil nic_hs_check #(.Width($bits(nic_pkg::axil_b_t))) u_b_check (
  .clk_i,
  .rst_i,
  .valid_i (s_axil_bvalid_o),
  .ready_i (s_axil_bready_i),
  .data_i  (s_axil_b_o)
);

bind nic_csr_axil nic_hs_check #(.Width($bits(nic_pkg::axil_r_t))) u_r_check (
  .clk_i,
  .rst_i,
  .valid_i (s_axil_rvalid_o),
  .ready_i (s_axil_rready_i),
  .data_i  (s_axil_r_o)
);
