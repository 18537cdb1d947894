// Assertions on nic_top (simulation only): the card's DMA masters, and the frames it takes from
// the MAC.
bind nic_top nic_axi_master_check #(.DataWidth(DataWidth)) u_axi_check (.*);

// The receive-descriptor master has AR and R only.
bind nic_top nic_hs_check #(.Width(64 + 8)) u_axi_rxd_ar_check (
  .clk_i,
  .rst_i,
  .valid_i (m_axi_rxd_arvalid_o),
  .ready_i (m_axi_rxd_arready_i),
  .data_i  ({m_axi_rxd_araddr_o, m_axi_rxd_arlen_o})
);

// The MAC side has no tready: a beat every cycle it is valid.
bind nic_top nic_axis_check #(.DataWidth(DataWidth), .UserWidth(1)) u_rx_check (
  .clk_i,
  .rst_i,
  .tvalid_i (s_axis_rx_tvalid_i),
  .tready_i (1'b1),
  .tdata_i  (s_axis_rx_tdata_i),
  .tkeep_i  (s_axis_rx_tkeep_i),
  .tlast_i  (s_axis_rx_tlast_i),
  .tuser_i  (s_axis_rx_tuser_i)
);
