// Assertions on nic_rx_path (simulation only): the receive path's DMA master.
bind nic_rx_path nic_axi_master_check #(.DataWidth(DataWidth)) u_axi_check (.*);
