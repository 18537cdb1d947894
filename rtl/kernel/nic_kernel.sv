// nic_kernel: the card (nic_top) as a Vitis user-managed RTL kernel for an Alveo XDMA shell.
//
// The shell gives one kernel clock and an active-low reset synchronous to it, an AXI4-Lite control
// slave window, AXI4 master ports it routes to host memory (HOST[0]) or to card memory, and
// AXI4-Stream connections to other kernels (the CMAC kernel that owns the QSFP28 transceivers).
// This wrapper only adapts nic_top to those rules (UG1393/UG1700 "RTL Kernel Interface
// Requirements"): it pipelines the reset, widens the CSR address, merges the card's two read
// masters into one (nic_axi_rd_arb: the platform's host port is one AXI4 slave bridge, so a second
// kernel port would only be merged again in the shell's interconnect), completes the AXI4 master
// with the constant fields Vitis expects, drives tready on the receive stream and ORs the per-queue
// interrupt pulses into the one `interrupt` port.  Nothing of the card is changed, so the register
// map is docs/card.md's, offset 0 of the kernel's control window.
//
// The control window has two halves, because a Vitis kernel has one register port and the card
// has two (docs/admin.md): offsets below 0x20000 reach nic_top's host port, and the same map
// again at 0x20000 reaches its management port, where the card's firmware works.  No management
// core is in this kernel: the host backend (host/device/xrt) runs the firmware in the driver's
// process and reaches the card through the upper half.  nic_top still sets AxPROT[0] by port,
// so the lower half cannot change a management-side field; what keeps the driver's own code
// out of the upper half is the backend, not the hardware (docs/xrt.md, "The management window").
//
// Ports carry AMBA/Vitis names rather than `_i`/`_o`: this is the board shell that meets
// Xilinx IP.  Vivado's IP packager infers each bus from `<bus>_<signal>` names, and Vitis
// requires `interrupt` to be named exactly that; suffixes would only add a renaming table to
// package_xo.tcl.
//
// Clocking: everything runs on ap_clk (250 MHz on the card, docs/card.md; 512 bits at 250 MHz
// is 128 Gb/s, above 100 GbE).  The CMAC's AXI4-Stream side runs at 322.265625 MHz; that
// crossing is not here.  It is done inside the CMAC kernel the streams are connected to
// (Xilinx/xup_vitis_network_example's cmac kernel: an axis_clock_converter and a packet-mode
// fifo_generator on transmit, an independent-clock fifo_generator on receive), whose own
// AXI4-Stream ports run at its ap_clk, the same platform clock as this kernel.
//
// Loopback (a build for testing a card without a cable): every frame the card sends comes back
// to its own receive port inside the kernel, and the CMAC streams are left idle.  The host then
// runs the end-to-end tests on the card as it runs them on a simulated one (docs/xrt.md).
//
// Receive: nic_top takes a beat in every cycle it is valid (a MAC cannot wait), so
// s_axis_rx_tready is constant 1.  The CMAC kernel's receive stream carries no tuser, so the
// MAC's bad-frame flag does not reach the card in this flow: s_axis_rx_tuser of nic_top is 0.
module nic_kernel #(
  // Transmit and receive queues (1 to the txq/rxq copies of the CSR map).
  parameter int unsigned NumTxQ = 8,
  parameter int unsigned NumRxQ = 8,
  // Descriptors one transmit frame may use; buffers one received frame may fill.
  parameter int unsigned TxMaxDescs = 16,
  parameter int unsigned RxMaxBufs = 16,
  // Address bits of the control window: 18, the CSR map (which ends at 0x1FFFF) twice, once for
  // the host port and once, at 0x20000, for the management port.
  parameter int unsigned CtrlAddrWidth = 18,
  // ID width of m_axi_gmem (the card uses one ID; Vitis wants the ports present).
  parameter int unsigned GmemIdWidth = 1,
  // 1: the card's transmit stream feeds its own receive port; the CMAC streams are unused.
  parameter int unsigned Loopback = 0
) (
  // ---- Kernel clock and active-low reset (synchronous to ap_clk, from the shell)
  input  logic                        ap_clk,
  input  logic                        ap_rst_n,

  // ---- AXI4-Lite control slave (packaged as S_AXI_CONTROL): nic_top's CSR space through its
  //      host port at 0x0, and through its management port at 0x20000
  input  logic [CtrlAddrWidth-1:0]    s_axi_control_awaddr,
  input  logic [2:0]                  s_axi_control_awprot,
  input  logic                        s_axi_control_awvalid,
  output logic                        s_axi_control_awready,
  input  logic [31:0]                 s_axi_control_wdata,
  input  logic [3:0]                  s_axi_control_wstrb,
  input  logic                        s_axi_control_wvalid,
  output logic                        s_axi_control_wready,
  output logic [1:0]                  s_axi_control_bresp,
  output logic                        s_axi_control_bvalid,
  input  logic                        s_axi_control_bready,
  input  logic [CtrlAddrWidth-1:0]    s_axi_control_araddr,
  input  logic [2:0]                  s_axi_control_arprot,
  input  logic                        s_axi_control_arvalid,
  output logic                        s_axi_control_arready,
  output logic [31:0]                 s_axi_control_rdata,
  output logic [1:0]                  s_axi_control_rresp,
  output logic                        s_axi_control_rvalid,
  input  logic                        s_axi_control_rready,

  // ---- AXI4 master to host memory (sp=...:HOST[0]) or card memory: 64-bit addresses,
  //      64-byte beats, INCR bursts of at most 64 beats, never across 4 KiB
  output logic [GmemIdWidth-1:0]      m_axi_gmem_awid,
  output logic [63:0]                 m_axi_gmem_awaddr,
  output logic [7:0]                  m_axi_gmem_awlen,
  output logic [2:0]                  m_axi_gmem_awsize,
  output logic [1:0]                  m_axi_gmem_awburst,
  output logic                        m_axi_gmem_awlock,
  output logic [3:0]                  m_axi_gmem_awcache,
  output logic [2:0]                  m_axi_gmem_awprot,
  output logic [3:0]                  m_axi_gmem_awqos,
  output logic [3:0]                  m_axi_gmem_awregion,
  output logic                        m_axi_gmem_awvalid,
  input  logic                        m_axi_gmem_awready,
  output logic [511:0]                m_axi_gmem_wdata,
  output logic [63:0]                 m_axi_gmem_wstrb,
  output logic                        m_axi_gmem_wlast,
  output logic                        m_axi_gmem_wvalid,
  input  logic                        m_axi_gmem_wready,
  input  logic [GmemIdWidth-1:0]      m_axi_gmem_bid,
  input  logic [1:0]                  m_axi_gmem_bresp,
  input  logic                        m_axi_gmem_bvalid,
  output logic                        m_axi_gmem_bready,
  output logic [GmemIdWidth-1:0]      m_axi_gmem_arid,
  output logic [63:0]                 m_axi_gmem_araddr,
  output logic [7:0]                  m_axi_gmem_arlen,
  output logic [2:0]                  m_axi_gmem_arsize,
  output logic [1:0]                  m_axi_gmem_arburst,
  output logic                        m_axi_gmem_arlock,
  output logic [3:0]                  m_axi_gmem_arcache,
  output logic [2:0]                  m_axi_gmem_arprot,
  output logic [3:0]                  m_axi_gmem_arqos,
  output logic [3:0]                  m_axi_gmem_arregion,
  output logic                        m_axi_gmem_arvalid,
  input  logic                        m_axi_gmem_arready,
  input  logic [GmemIdWidth-1:0]      m_axi_gmem_rid,
  input  logic [511:0]                m_axi_gmem_rdata,
  input  logic [1:0]                  m_axi_gmem_rresp,
  input  logic                        m_axi_gmem_rlast,
  input  logic                        m_axi_gmem_rvalid,
  output logic                        m_axi_gmem_rready,

  // ---- AXI4-Stream frames to the CMAC kernel (stream_connect to its S_AXIS)
  output logic [511:0]                m_axis_tx_tdata,
  output logic [63:0]                 m_axis_tx_tkeep,
  output logic                        m_axis_tx_tlast,
  output logic                        m_axis_tx_tvalid,
  input  logic                        m_axis_tx_tready,

  // ---- AXI4-Stream frames from the CMAC kernel (stream_connect from its M_AXIS)
  input  logic [511:0]                s_axis_rx_tdata,
  input  logic [63:0]                 s_axis_rx_tkeep,
  input  logic                        s_axis_rx_tlast,
  input  logic                        s_axis_rx_tvalid,
  output logic                        s_axis_rx_tready,

  // ---- Any queue's interrupt: a one-cycle active-high pulse per interrupt
  output logic                        interrupt
);

  // The CMAC kernel's streams and the 64-byte beats of docs/card.md fix the width.
  localparam int unsigned DataWidth = 512;

  if (CtrlAddrWidth < 18 || CtrlAddrWidth > 32) begin : g_bad_ctrl_addr
    $fatal(1, "nic_kernel: CtrlAddrWidth must be 18 to 32 (the management half reaches 0x3FFFF)");
  end
  if (Loopback > 1) begin : g_bad_loopback
    $fatal(1, "nic_kernel: Loopback must be 0 or 1");
  end
  if (GmemIdWidth < 1) begin : g_bad_id
    $fatal(1, "nic_kernel: GmemIdWidth must be at least 1");
  end

  // ======================================================================================
  // Reset: ap_rst_n is synchronous to ap_clk (the shell's reset block); Vitis asks for it to
  // be pipelined inside the kernel.  Two registers, inverted into nic_top's active-high rst_i,
  // so the high-fanout net starts at a register next to nothing else.
  // ======================================================================================
  logic [1:0] rst_q;

  always_ff @(posedge ap_clk) begin
    rst_q <= {rst_q[0], ~ap_rst_n};
  end

  logic rst;
  assign rst = rst_q[1];

  // ======================================================================================
  // The card
  // ======================================================================================
  logic [NumTxQ+NumRxQ-1:0] irq;
  logic                     idle_unused;  // a simulator hint; nothing on a card waits on it
  // Nothing in this kernel takes the firmware's interrupt: the backend serves the firmware
  // after each write to the admin block.
  logic                     mgmt_irq_unused;

  // ======================================================================================
  // The control window split in two: slave 0 is nic_top's host port (0x00000-0x1FFFF),
  // slave 1 its management port (0x20000-0x3FFFF, the same map).  The demux forwards the
  // whole address; the management port gets it without the window bit.  Offsets at or above
  // 0x40000 (a CtrlAddrWidth over 18) are answered DECERR by the demux.
  // ======================================================================================
  localparam logic [63:0] WinBase = {32'h0002_0000, 32'h0000_0000};
  localparam logic [63:0] WinMask = {32'h0001_FFFF, 32'h0001_FFFF};

  logic [31:0] win_awaddr, win_wdata, win_araddr;
  logic [2:0]  win_awprot, win_arprot;
  logic [3:0]  win_wstrb;
  logic [1:0]  win_awvalid, win_awready, win_wvalid, win_wready, win_bvalid, win_bready;
  logic [1:0]  win_arvalid, win_arready, win_rvalid, win_rready;
  logic [3:0]  win_bresp, win_rresp;
  logic [63:0] win_rdata;
  logic        win_idle_unused;

  nic_axil_demux #(
    .NumSlaves(2),
    .SlaveBase(WinBase),
    .SlaveMask(WinMask)
  ) u_window (
    .clk_i           (ap_clk),
    .rst_i           (rst),
    .s_axil_awaddr_i (32'(s_axi_control_awaddr)),
    .s_axil_awprot_i (s_axi_control_awprot),
    .s_axil_awvalid_i(s_axi_control_awvalid),
    .s_axil_awready_o(s_axi_control_awready),
    .s_axil_wdata_i  (s_axi_control_wdata),
    .s_axil_wstrb_i  (s_axi_control_wstrb),
    .s_axil_wvalid_i (s_axi_control_wvalid),
    .s_axil_wready_o (s_axi_control_wready),
    .s_axil_bresp_o  (s_axi_control_bresp),
    .s_axil_bvalid_o (s_axi_control_bvalid),
    .s_axil_bready_i (s_axi_control_bready),
    .s_axil_araddr_i (32'(s_axi_control_araddr)),
    .s_axil_arprot_i (s_axi_control_arprot),
    .s_axil_arvalid_i(s_axi_control_arvalid),
    .s_axil_arready_o(s_axi_control_arready),
    .s_axil_rdata_o  (s_axi_control_rdata),
    .s_axil_rresp_o  (s_axi_control_rresp),
    .s_axil_rvalid_o (s_axi_control_rvalid),
    .s_axil_rready_i (s_axi_control_rready),
    .m_axil_awaddr_o (win_awaddr),
    .m_axil_awprot_o (win_awprot),
    .m_axil_awvalid_o(win_awvalid),
    .m_axil_awready_i(win_awready),
    .m_axil_wdata_o  (win_wdata),
    .m_axil_wstrb_o  (win_wstrb),
    .m_axil_wvalid_o (win_wvalid),
    .m_axil_wready_i (win_wready),
    .m_axil_bresp_i  (win_bresp),
    .m_axil_bvalid_i (win_bvalid),
    .m_axil_bready_o (win_bready),
    .m_axil_araddr_o (win_araddr),
    .m_axil_arprot_o (win_arprot),
    .m_axil_arvalid_o(win_arvalid),
    .m_axil_arready_i(win_arready),
    .m_axil_rdata_i  (win_rdata),
    .m_axil_rresp_i  (win_rresp),
    .m_axil_rvalid_i (win_rvalid),
    .m_axil_rready_o (win_rready),
    .idle_o          (win_idle_unused)
  );

  // ======================================================================================
  // The card's streams: to and from the CMAC kernel, or (Loopback) to each other.  The
  // receive port takes a beat every cycle, so a looped-back transmit stream never waits.
  // ======================================================================================
  logic [511:0] tx_tdata, rx_tdata;
  logic [63:0]  tx_tkeep, rx_tkeep;
  logic         tx_tlast, tx_tvalid, tx_tready, rx_tlast, rx_tvalid;

  if (Loopback == 1) begin : g_loopback
    assign rx_tdata  = tx_tdata;
    assign rx_tkeep  = tx_tkeep;
    assign rx_tlast  = tx_tlast;
    assign rx_tvalid = tx_tvalid;
    assign tx_tready = 1'b1;
    assign m_axis_tx_tdata  = '0;
    assign m_axis_tx_tkeep  = '0;
    assign m_axis_tx_tlast  = 1'b0;
    assign m_axis_tx_tvalid = 1'b0;
    logic unused_cmac;
    assign unused_cmac = ^{m_axis_tx_tready, s_axis_rx_tdata, s_axis_rx_tkeep, s_axis_rx_tlast,
                           s_axis_rx_tvalid};
  end else begin : g_cmac
    assign m_axis_tx_tdata  = tx_tdata;
    assign m_axis_tx_tkeep  = tx_tkeep;
    assign m_axis_tx_tlast  = tx_tlast;
    assign m_axis_tx_tvalid = tx_tvalid;
    assign tx_tready = m_axis_tx_tready;
    assign rx_tdata  = s_axis_rx_tdata;
    assign rx_tkeep  = s_axis_rx_tkeep;
    assign rx_tlast  = s_axis_rx_tlast;
    assign rx_tvalid = s_axis_rx_tvalid;
  end

  // Both ports see the offset within the CSR map.
  logic [31:0] csr_awaddr, csr_araddr;
  assign csr_awaddr = win_awaddr & 32'h0001_FFFF;
  assign csr_araddr = win_araddr & 32'h0001_FFFF;

  // The card's read masters (0: nic_top's m_axi, transmit; 1: m_axi_rxd, receive
  // descriptors) toward m_axi_gmem's AR/R.
  logic [2*64-1:0]      rd_araddr;
  logic [2*8-1:0]       rd_arlen;
  logic [1:0]           rd_arvalid, rd_arready, rd_rvalid, rd_rready;
  logic [DataWidth-1:0] rd_rdata;
  logic [1:0]           rd_rresp;
  logic                 rd_rlast;
  logic                 rd_idle_unused;

  nic_axi_rd_arb #(
    .NumClients    (2),
    .AddrWidth     (64),
    .DataWidth     (DataWidth),
    .MaxOutstanding(256)
  ) u_rd_arb (
    .clk_i          (ap_clk),
    .rst_i          (rst),
    .s_axi_araddr_i (rd_araddr),
    .s_axi_arlen_i  (rd_arlen),
    .s_axi_arvalid_i(rd_arvalid),
    .s_axi_arready_o(rd_arready),
    .s_axi_rdata_o  (rd_rdata),
    .s_axi_rresp_o  (rd_rresp),
    .s_axi_rlast_o  (rd_rlast),
    .s_axi_rvalid_o (rd_rvalid),
    .s_axi_rready_i (rd_rready),
    .m_axi_araddr_o (m_axi_gmem_araddr),
    .m_axi_arlen_o  (m_axi_gmem_arlen),
    .m_axi_arvalid_o(m_axi_gmem_arvalid),
    .m_axi_arready_i(m_axi_gmem_arready),
    .m_axi_rdata_i  (m_axi_gmem_rdata),
    .m_axi_rresp_i  (m_axi_gmem_rresp),
    .m_axi_rlast_i  (m_axi_gmem_rlast),
    .m_axi_rvalid_i (m_axi_gmem_rvalid),
    .m_axi_rready_o (m_axi_gmem_rready),
    .idle_o         (rd_idle_unused)
  );

  nic_top #(
    .DataWidth (DataWidth),
    .NumTxQ    (NumTxQ),
    .NumRxQ    (NumRxQ),
    .TxMaxDescs(TxMaxDescs),
    .RxMaxBufs (RxMaxBufs)
  ) u_top (
    .clk_i              (ap_clk),
    .rst_i              (rst),

    .s_axil_awaddr_i    (csr_awaddr),
    .s_axil_awprot_i    (win_awprot),
    .s_axil_awvalid_i   (win_awvalid[0]),
    .s_axil_awready_o   (win_awready[0]),
    .s_axil_wdata_i     (win_wdata),
    .s_axil_wstrb_i     (win_wstrb),
    .s_axil_wvalid_i    (win_wvalid[0]),
    .s_axil_wready_o    (win_wready[0]),
    .s_axil_bresp_o     (win_bresp[1:0]),
    .s_axil_bvalid_o    (win_bvalid[0]),
    .s_axil_bready_i    (win_bready[0]),
    .s_axil_araddr_i    (csr_araddr),
    .s_axil_arprot_i    (win_arprot),
    .s_axil_arvalid_i   (win_arvalid[0]),
    .s_axil_arready_o   (win_arready[0]),
    .s_axil_rdata_o     (win_rdata[31:0]),
    .s_axil_rresp_o     (win_rresp[1:0]),
    .s_axil_rvalid_o    (win_rvalid[0]),
    .s_axil_rready_i    (win_rready[0]),

    .s_mgmt_axil_awaddr_i (csr_awaddr),
    .s_mgmt_axil_awprot_i (win_awprot),
    .s_mgmt_axil_awvalid_i(win_awvalid[1]),
    .s_mgmt_axil_awready_o(win_awready[1]),
    .s_mgmt_axil_wdata_i  (win_wdata),
    .s_mgmt_axil_wstrb_i  (win_wstrb),
    .s_mgmt_axil_wvalid_i (win_wvalid[1]),
    .s_mgmt_axil_wready_o (win_wready[1]),
    .s_mgmt_axil_bresp_o  (win_bresp[3:2]),
    .s_mgmt_axil_bvalid_o (win_bvalid[1]),
    .s_mgmt_axil_bready_i (win_bready[1]),
    .s_mgmt_axil_araddr_i (csr_araddr),
    .s_mgmt_axil_arprot_i (win_arprot),
    .s_mgmt_axil_arvalid_i(win_arvalid[1]),
    .s_mgmt_axil_arready_o(win_arready[1]),
    .s_mgmt_axil_rdata_o  (win_rdata[63:32]),
    .s_mgmt_axil_rresp_o  (win_rresp[3:2]),
    .s_mgmt_axil_rvalid_o (win_rvalid[1]),
    .s_mgmt_axil_rready_i (win_rready[1]),

    .m_axi_araddr_o     (rd_araddr[0 +: 64]),
    .m_axi_arlen_o      (rd_arlen[0 +: 8]),
    .m_axi_arvalid_o    (rd_arvalid[0]),
    .m_axi_arready_i    (rd_arready[0]),
    .m_axi_rdata_i      (rd_rdata),
    .m_axi_rresp_i      (rd_rresp),
    .m_axi_rlast_i      (rd_rlast),
    .m_axi_rvalid_i     (rd_rvalid[0]),
    .m_axi_rready_o     (rd_rready[0]),
    .m_axi_awaddr_o     (m_axi_gmem_awaddr),
    .m_axi_awlen_o      (m_axi_gmem_awlen),
    .m_axi_awvalid_o    (m_axi_gmem_awvalid),
    .m_axi_awready_i    (m_axi_gmem_awready),
    .m_axi_wdata_o      (m_axi_gmem_wdata),
    .m_axi_wstrb_o      (m_axi_gmem_wstrb),
    .m_axi_wlast_o      (m_axi_gmem_wlast),
    .m_axi_wvalid_o     (m_axi_gmem_wvalid),
    .m_axi_wready_i     (m_axi_gmem_wready),
    .m_axi_bresp_i      (m_axi_gmem_bresp),
    .m_axi_bvalid_i     (m_axi_gmem_bvalid),
    .m_axi_bready_o     (m_axi_gmem_bready),

    .m_axi_rxd_araddr_o (rd_araddr[64 +: 64]),
    .m_axi_rxd_arlen_o  (rd_arlen[8 +: 8]),
    .m_axi_rxd_arvalid_o(rd_arvalid[1]),
    .m_axi_rxd_arready_i(rd_arready[1]),
    .m_axi_rxd_rdata_i  (rd_rdata),
    .m_axi_rxd_rresp_i  (rd_rresp),
    .m_axi_rxd_rlast_i  (rd_rlast),
    .m_axi_rxd_rvalid_i (rd_rvalid[1]),
    .m_axi_rxd_rready_o (rd_rready[1]),

    .m_axis_tx_tdata_o  (tx_tdata),
    .m_axis_tx_tkeep_o  (tx_tkeep),
    .m_axis_tx_tlast_o  (tx_tlast),
    .m_axis_tx_tvalid_o (tx_tvalid),
    .m_axis_tx_tready_i (tx_tready),

    .s_axis_rx_tdata_i  (rx_tdata),
    .s_axis_rx_tkeep_i  (rx_tkeep),
    .s_axis_rx_tlast_i  (rx_tlast),
    .s_axis_rx_tuser_i  (1'b0),
    .s_axis_rx_tvalid_i (rx_tvalid),

    .irq_o              (irq),
    .idle_o             (idle_unused),
    .mgmt_irq_o         (mgmt_irq_unused)
  );

  // ======================================================================================
  // AXI4 master fields nic_top leaves implicit (docs/card.md): one ID, full 64-byte beats
  // (size 6), INCR, normal non-cacheable bufferable memory (cache 0011, what Vitis HLS
  // masters drive), unprivileged secure data access, no QoS, region or lock.
  // ======================================================================================
  assign m_axi_gmem_awid     = '0;
  assign m_axi_gmem_awsize   = 3'($clog2(DataWidth / 8));
  assign m_axi_gmem_awburst  = 2'b01;
  assign m_axi_gmem_awlock   = 1'b0;
  assign m_axi_gmem_awcache  = 4'b0011;
  assign m_axi_gmem_awprot   = 3'b000;
  assign m_axi_gmem_awqos    = 4'b0000;
  assign m_axi_gmem_awregion = 4'b0000;
  assign m_axi_gmem_arid     = '0;
  assign m_axi_gmem_arsize   = 3'($clog2(DataWidth / 8));
  assign m_axi_gmem_arburst  = 2'b01;
  assign m_axi_gmem_arlock   = 1'b0;
  assign m_axi_gmem_arcache  = 4'b0011;
  assign m_axi_gmem_arprot   = 3'b000;
  assign m_axi_gmem_arqos    = 4'b0000;
  assign m_axi_gmem_arregion = 4'b0000;

  // Responses come back in order for the one ID the card issues, so their IDs say nothing.
  logic unused_ids;
  assign unused_ids = ^{m_axi_gmem_bid, m_axi_gmem_rid, idle_unused, mgmt_irq_unused,
                       rd_idle_unused, win_idle_unused, win_awaddr[31:17], win_araddr[31:17]};

  // ======================================================================================
  // Receive stream: always ready (nic_top drops what it has no room for, counted).
  // ======================================================================================
  assign s_axis_rx_tready = 1'b1;

  // ======================================================================================
  // Interrupt: the OR of the queues' pulses, registered so no logic sits between the card
  // and the shell's interrupt input.  Which queue fired is in the completion rings.
  // ======================================================================================
  logic irq_q;

  always_ff @(posedge ap_clk) begin
    if (rst) begin
      irq_q <= 1'b0;
    end else begin
      irq_q <= |irq;
    end
  end

  assign interrupt = irq_q;

endmodule
