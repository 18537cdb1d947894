// Assertions on nic_csum_tx (simulation only): the stream rules on its frames out.
bind nic_csum_tx nic_axis_check #(.DataWidth(DataWidth), .UserWidth(8)) u_out_check (
  .clk_i,
  .rst_i,
  .tvalid_i (m_axis_tvalid_o),
  .tready_i (m_axis_tready_i),
  .tdata_i  (m_axis_tdata_o),
  .tkeep_i  (m_axis_tkeep_o),
  .tlast_i  (m_axis_tlast_o),
  .tuser_i  (m_axis_tuser_o)
);
