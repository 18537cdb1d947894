// nic_axi_master_check: the handshake rule (nic_hs_check) on the request channels of one of the
// card's AXI4 masters: AR (address, length), AW (address, length) and W (data, strobes, last).
// Its ports are named as the masters' own, so a bind connects them with .* .  Simulation only.
module nic_axi_master_check #(
  parameter int unsigned DataWidth = 512
) (
  input logic                   clk_i,
  input logic                   rst_i,
  input logic [63:0]            m_axi_araddr_o,
  input logic [7:0]             m_axi_arlen_o,
  input logic                   m_axi_arvalid_o,
  input logic                   m_axi_arready_i,
  input logic [63:0]            m_axi_awaddr_o,
  input logic [7:0]             m_axi_awlen_o,
  input logic                   m_axi_awvalid_o,
  input logic                   m_axi_awready_i,
  input logic [DataWidth-1:0]   m_axi_wdata_o,
  input logic [DataWidth/8-1:0] m_axi_wstrb_o,
  input logic                   m_axi_wlast_o,
  input logic                   m_axi_wvalid_o,
  input logic                   m_axi_wready_i
);
  nic_hs_check #(.Width(64 + 8)) u_ar (
    .clk_i,
    .rst_i,
    .valid_i (m_axi_arvalid_o),
    .ready_i (m_axi_arready_i),
    .data_i  ({m_axi_araddr_o, m_axi_arlen_o})
  );
  nic_hs_check #(.Width(64 + 8)) u_aw (
    .clk_i,
    .rst_i,
    .valid_i (m_axi_awvalid_o),
    .ready_i (m_axi_awready_i),
    .data_i  ({m_axi_awaddr_o, m_axi_awlen_o})
  );
  nic_hs_check #(.Width(DataWidth + DataWidth / 8 + 1)) u_w (
    .clk_i,
    .rst_i,
    .valid_i (m_axi_wvalid_o),
    .ready_i (m_axi_wready_i),
    .data_i  ({m_axi_wdata_o, m_axi_wstrb_o, m_axi_wlast_o})
  );
endmodule
