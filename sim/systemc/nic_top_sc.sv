// nic_top_sc: nic_top at 512 bits with every 512-bit bus cut into eight 64-bit lanes, for the
// SystemC model (sim/systemc).
//
// An --sc model (Verilator) has a plain integer port for up to 64 bits and an sc_bv<N> for anything
// wider, slow to write and to read; nic_top has five 512-bit buses (the two DMA masters' read data,
// DMA write data, transmit and receive stream data).  Here each is eight ports, lane k holding bits
// [64k+63:64k] (bytes 8k..8k+7 of the beat), so nothing wider than 64 bits crosses the SystemC
// boundary.  Everything else is nic_top's own port, by the same name.  Pure wiring.
module nic_top_sc (
  input  logic        clk_i,
  input  logic        rst_i,

  input  logic [31:0] s_axil_awaddr_i,
  input  logic [2:0]  s_axil_awprot_i,
  input  logic        s_axil_awvalid_i,
  output logic        s_axil_awready_o,
  input  logic [31:0] s_axil_wdata_i,
  input  logic [3:0]  s_axil_wstrb_i,
  input  logic        s_axil_wvalid_i,
  output logic        s_axil_wready_o,
  output logic [1:0]  s_axil_bresp_o,
  output logic        s_axil_bvalid_o,
  input  logic        s_axil_bready_i,
  input  logic [31:0] s_axil_araddr_i,
  input  logic [2:0]  s_axil_arprot_i,
  input  logic        s_axil_arvalid_i,
  output logic        s_axil_arready_o,
  output logic [31:0] s_axil_rdata_o,
  output logic [1:0]  s_axil_rresp_o,
  output logic        s_axil_rvalid_o,
  input  logic        s_axil_rready_i,

  input  logic [31:0] s_mgmt_axil_awaddr_i,
  input  logic [2:0]  s_mgmt_axil_awprot_i,
  input  logic        s_mgmt_axil_awvalid_i,
  output logic        s_mgmt_axil_awready_o,
  input  logic [31:0] s_mgmt_axil_wdata_i,
  input  logic [3:0]  s_mgmt_axil_wstrb_i,
  input  logic        s_mgmt_axil_wvalid_i,
  output logic        s_mgmt_axil_wready_o,
  output logic [1:0]  s_mgmt_axil_bresp_o,
  output logic        s_mgmt_axil_bvalid_o,
  input  logic        s_mgmt_axil_bready_i,
  input  logic [31:0] s_mgmt_axil_araddr_i,
  input  logic [2:0]  s_mgmt_axil_arprot_i,
  input  logic        s_mgmt_axil_arvalid_i,
  output logic        s_mgmt_axil_arready_o,
  output logic [31:0] s_mgmt_axil_rdata_o,
  output logic [1:0]  s_mgmt_axil_rresp_o,
  output logic        s_mgmt_axil_rvalid_o,
  input  logic        s_mgmt_axil_rready_i,

  output logic [63:0] m_axi_araddr_o,
  output logic [7:0]  m_axi_arlen_o,
  output logic        m_axi_arvalid_o,
  input  logic        m_axi_arready_i,
  input logic [63:0] m_axi_rdata0_i,
  input logic [63:0] m_axi_rdata1_i,
  input logic [63:0] m_axi_rdata2_i,
  input logic [63:0] m_axi_rdata3_i,
  input logic [63:0] m_axi_rdata4_i,
  input logic [63:0] m_axi_rdata5_i,
  input logic [63:0] m_axi_rdata6_i,
  input logic [63:0] m_axi_rdata7_i,
  input  logic [1:0]  m_axi_rresp_i,
  input  logic        m_axi_rlast_i,
  input  logic        m_axi_rvalid_i,
  output logic        m_axi_rready_o,
  output logic [63:0] m_axi_awaddr_o,
  output logic [7:0]  m_axi_awlen_o,
  output logic        m_axi_awvalid_o,
  input  logic        m_axi_awready_i,
  output logic [63:0] m_axi_wdata0_o,
  output logic [63:0] m_axi_wdata1_o,
  output logic [63:0] m_axi_wdata2_o,
  output logic [63:0] m_axi_wdata3_o,
  output logic [63:0] m_axi_wdata4_o,
  output logic [63:0] m_axi_wdata5_o,
  output logic [63:0] m_axi_wdata6_o,
  output logic [63:0] m_axi_wdata7_o,
  output logic [63:0] m_axi_wstrb_o,
  output logic        m_axi_wlast_o,
  output logic        m_axi_wvalid_o,
  input  logic        m_axi_wready_i,
  input  logic [1:0]  m_axi_bresp_i,
  input  logic        m_axi_bvalid_i,
  output logic        m_axi_bready_o,

  output logic [63:0] m_axi_rxd_araddr_o,
  output logic [7:0]  m_axi_rxd_arlen_o,
  output logic        m_axi_rxd_arvalid_o,
  input  logic        m_axi_rxd_arready_i,
  input  logic [63:0] m_axi_rxd_rdata0_i,
  input  logic [63:0] m_axi_rxd_rdata1_i,
  input  logic [63:0] m_axi_rxd_rdata2_i,
  input  logic [63:0] m_axi_rxd_rdata3_i,
  input  logic [63:0] m_axi_rxd_rdata4_i,
  input  logic [63:0] m_axi_rxd_rdata5_i,
  input  logic [63:0] m_axi_rxd_rdata6_i,
  input  logic [63:0] m_axi_rxd_rdata7_i,
  input  logic [1:0]  m_axi_rxd_rresp_i,
  input  logic        m_axi_rxd_rlast_i,
  input  logic        m_axi_rxd_rvalid_i,
  output logic        m_axi_rxd_rready_o,

  output logic [63:0] m_axis_tx_tdata0_o,
  output logic [63:0] m_axis_tx_tdata1_o,
  output logic [63:0] m_axis_tx_tdata2_o,
  output logic [63:0] m_axis_tx_tdata3_o,
  output logic [63:0] m_axis_tx_tdata4_o,
  output logic [63:0] m_axis_tx_tdata5_o,
  output logic [63:0] m_axis_tx_tdata6_o,
  output logic [63:0] m_axis_tx_tdata7_o,
  output logic [63:0] m_axis_tx_tkeep_o,
  output logic        m_axis_tx_tlast_o,
  output logic        m_axis_tx_tvalid_o,
  input  logic        m_axis_tx_tready_i,

  input logic [63:0] s_axis_rx_tdata0_i,
  input logic [63:0] s_axis_rx_tdata1_i,
  input logic [63:0] s_axis_rx_tdata2_i,
  input logic [63:0] s_axis_rx_tdata3_i,
  input logic [63:0] s_axis_rx_tdata4_i,
  input logic [63:0] s_axis_rx_tdata5_i,
  input logic [63:0] s_axis_rx_tdata6_i,
  input logic [63:0] s_axis_rx_tdata7_i,
  input  logic [63:0] s_axis_rx_tkeep_i,
  input  logic        s_axis_rx_tlast_i,
  input  logic        s_axis_rx_tuser_i,
  input  logic        s_axis_rx_tvalid_i,

  output logic [15:0] irq_o,
  output logic        idle_o,
  output logic        mgmt_irq_o
);

  logic [511:0] m_axi_wdata, m_axis_tx_tdata;

  assign m_axi_wdata0_o = m_axi_wdata[63:0];
  assign m_axi_wdata1_o = m_axi_wdata[127:64];
  assign m_axi_wdata2_o = m_axi_wdata[191:128];
  assign m_axi_wdata3_o = m_axi_wdata[255:192];
  assign m_axi_wdata4_o = m_axi_wdata[319:256];
  assign m_axi_wdata5_o = m_axi_wdata[383:320];
  assign m_axi_wdata6_o = m_axi_wdata[447:384];
  assign m_axi_wdata7_o = m_axi_wdata[511:448];
  assign m_axis_tx_tdata0_o = m_axis_tx_tdata[63:0];
  assign m_axis_tx_tdata1_o = m_axis_tx_tdata[127:64];
  assign m_axis_tx_tdata2_o = m_axis_tx_tdata[191:128];
  assign m_axis_tx_tdata3_o = m_axis_tx_tdata[255:192];
  assign m_axis_tx_tdata4_o = m_axis_tx_tdata[319:256];
  assign m_axis_tx_tdata5_o = m_axis_tx_tdata[383:320];
  assign m_axis_tx_tdata6_o = m_axis_tx_tdata[447:384];
  assign m_axis_tx_tdata7_o = m_axis_tx_tdata[511:448];

  nic_top #(.DataWidth(512), .NumTxQ(8), .NumRxQ(8)) u_card (
    .clk_i, .rst_i,
    .s_axil_awaddr_i, .s_axil_awprot_i, .s_axil_awvalid_i, .s_axil_awready_o,
    .s_axil_wdata_i, .s_axil_wstrb_i, .s_axil_wvalid_i, .s_axil_wready_o,
    .s_axil_bresp_o, .s_axil_bvalid_o, .s_axil_bready_i,
    .s_axil_araddr_i, .s_axil_arprot_i, .s_axil_arvalid_i, .s_axil_arready_o,
    .s_axil_rdata_o, .s_axil_rresp_o, .s_axil_rvalid_o, .s_axil_rready_i,
    .s_mgmt_axil_awaddr_i, .s_mgmt_axil_awprot_i, .s_mgmt_axil_awvalid_i,
    .s_mgmt_axil_awready_o, .s_mgmt_axil_wdata_i, .s_mgmt_axil_wstrb_i, .s_mgmt_axil_wvalid_i,
    .s_mgmt_axil_wready_o, .s_mgmt_axil_bresp_o, .s_mgmt_axil_bvalid_o, .s_mgmt_axil_bready_i,
    .s_mgmt_axil_araddr_i, .s_mgmt_axil_arprot_i, .s_mgmt_axil_arvalid_i,
    .s_mgmt_axil_arready_o, .s_mgmt_axil_rdata_o, .s_mgmt_axil_rresp_o, .s_mgmt_axil_rvalid_o,
    .s_mgmt_axil_rready_i,
    .m_axi_araddr_o, .m_axi_arlen_o, .m_axi_arvalid_o, .m_axi_arready_i,
    .m_axi_rdata_i({m_axi_rdata7_i, m_axi_rdata6_i, m_axi_rdata5_i, m_axi_rdata4_i, m_axi_rdata3_i, m_axi_rdata2_i, m_axi_rdata1_i, m_axi_rdata0_i}),
    .m_axi_rresp_i, .m_axi_rlast_i, .m_axi_rvalid_i, .m_axi_rready_o,
    .m_axi_awaddr_o, .m_axi_awlen_o, .m_axi_awvalid_o, .m_axi_awready_i,
    .m_axi_wdata_o(m_axi_wdata), .m_axi_wstrb_o, .m_axi_wlast_o, .m_axi_wvalid_o,
    .m_axi_wready_i, .m_axi_bresp_i, .m_axi_bvalid_i, .m_axi_bready_o,
    .m_axi_rxd_araddr_o, .m_axi_rxd_arlen_o, .m_axi_rxd_arvalid_o, .m_axi_rxd_arready_i,
    .m_axi_rxd_rdata_i({m_axi_rxd_rdata7_i, m_axi_rxd_rdata6_i, m_axi_rxd_rdata5_i,
                        m_axi_rxd_rdata4_i, m_axi_rxd_rdata3_i, m_axi_rxd_rdata2_i,
                        m_axi_rxd_rdata1_i, m_axi_rxd_rdata0_i}),
    .m_axi_rxd_rresp_i, .m_axi_rxd_rlast_i, .m_axi_rxd_rvalid_i, .m_axi_rxd_rready_o,
    .m_axis_tx_tdata_o(m_axis_tx_tdata), .m_axis_tx_tkeep_o, .m_axis_tx_tlast_o,
    .m_axis_tx_tvalid_o, .m_axis_tx_tready_i,
    .s_axis_rx_tdata_i({s_axis_rx_tdata7_i, s_axis_rx_tdata6_i, s_axis_rx_tdata5_i, s_axis_rx_tdata4_i, s_axis_rx_tdata3_i, s_axis_rx_tdata2_i, s_axis_rx_tdata1_i, s_axis_rx_tdata0_i}),
    .s_axis_rx_tkeep_i, .s_axis_rx_tlast_i, .s_axis_rx_tuser_i, .s_axis_rx_tvalid_i,
    .irq_o, .idle_o, .mgmt_irq_o
  );

endmodule
