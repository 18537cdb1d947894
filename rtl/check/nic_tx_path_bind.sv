// Assertions on nic_tx_path (simulation only): the transmit path's DMA master and its frames to
// the MAC.
bind nic_tx_path nic_axi_master_check #(.DataWidth(DataWidth)) u_axi_check (.*);

bind nic_tx_path nic_axis_check #(.DataWidth(DataWidth), .UserWidth(1)) u_tx_check (
  .clk_i,
  .rst_i,
  .tvalid_i (m_axis_tx_tvalid_o),
  .tready_i (m_axis_tx_tready_i),
  .tdata_i  (m_axis_tx_tdata_o),
  .tkeep_i  (m_axis_tx_tkeep_o),
  .tlast_i  (m_axis_tx_tlast_o),
  .tuser_i  (1'b0)
);
