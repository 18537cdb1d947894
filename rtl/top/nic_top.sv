// nic_top: the card — CSR space, transmit and receive DMA paths, one AXI4 master, MAC streams.
//
// What is here is integration: the two data paths (rtl/dma: nic_tx_path gathers frames from
// host memory through the offload pipeline to the MAC, nic_rx_path writes frames from the MAC
// into posted buffers) and the register blocks of hw/nic.toml around them.
//
//   host AXI4-Lite ─┐
//                   ├ nic_axil_arb ── nic_axil_demux ──┬─ card   id, capabilities, sizes
//   mgmt AXI4-Lite ─┘  (AxPROT[0] =                    ├─ csum   enables → both paths; counters
//                       which port)                    ├─ tso    segmentation counters
//                                                      ├─ port   steering, MTU; port counters
//                                                      ├─ admin  admin queue rings, doorbell
//                                 ├─ txq    every transmit queue's ring registers →
//                                 │         nic_tx_path; cons/status back; interrupt
//                                 │         moderation; counters in RAM (nic_queue_regs)
//                                 └─ rxq    the same for nic_rx_path
//   nic_tx_path ─────────────────── m_axi AR/R      descriptors and frame data
//   nic_rx_path ─────────────────── m_axi_rxd AR/R  receive descriptors
//   nic_tx_path ─┬─ nic_axi_wr_arb ── m_axi AW/W/B  (client 0: TX, client 1: RX)
//   nic_rx_path ─┘
//
// Two read masters: a 64-byte frame pair in full duplex needs 1.75 lines of reads (a line of
// frame data, half a line of transmit descriptor, a quarter of receive descriptor), more than
// one 512-bit channel moves in the 1.68 cycles 100 GbE gives it.  Transmit alone needs 1.5;
// the receive path's descriptor reads go out on m_axi_rxd.  Both masters reach the same host
// memory (PCIe Gen4 x16 reads at about 1.6 lines a cycle); a shell with one host port merges
// them (rtl/kernel/nic_kernel.sv does with nic_axi_rd_arb).
//
// Each register block is a nic_csr_axil configured by its generated masks, and each queue
// direction a nic_queue_regs with the same masks per queue (its queue number and word from the
// generated layout); nothing decodes addresses by hand (the demux's ranges are the generated
// bases and sizes).  The paths' event pulses are registered once here before they reach the
// counters, which keeps the per-queue compares off the paths' timing.  64-bit byte counters
// latch their high word when the low word is read (nic_csr_axil's rd_o strobe; the queues'
// latch is in nic_queue_stats), so a host that reads low then high sees one value.
// Counters wrap; the csum, tso and port blocks' clear pulses zero them.
//
// Two CSR ports: the host's and the management side's, where the firmware runs (docs/admin.md).
// Fields hw/nic.toml marks side = "mgmt" (queue contexts, offload enables, steering, MTU,
// counter clears, the admin queue's consumer side) change only through the management port; a
// host write that would change one is refused with SLVERR and counted in card.host_denied.
// mgmt_irq_o asks the firmware to look at the admin queue: the host has flipped ctrl.enable or
// posted commands the firmware has not taken (a level, registered).
//
// idle_o is high when both paths are idle (their reads answered), the write arbiter holds
// nothing, no event is on its way to a counter, no interrupt timer is running or pulse due, and
// the CSR bus has been quiet for a few cycles (so a doorbell just written has reached its path
// before a simulator may skip).
module nic_top #(
  // Stream and DMA data width in bits (512 on the card).
  parameter int unsigned DataWidth = 512,
  // Transmit and receive queues (copies of the txq and rxq blocks).
  parameter int unsigned NumTxQ = 8,
  parameter int unsigned NumRxQ = 8,
  // Descriptors one transmit frame may use; buffers one received frame may fill.
  parameter int unsigned TxMaxDescs = 16,
  parameter int unsigned RxMaxBufs = 16
) (
  input  logic                        clk_i,
  input  logic                        rst_i,

  // ---- AXI4-Lite CSR slave
  input  logic [31:0]                 s_axil_awaddr_i,
  input  logic [2:0]                  s_axil_awprot_i,
  input  logic                        s_axil_awvalid_i,
  output logic                        s_axil_awready_o,
  input  logic [31:0]                 s_axil_wdata_i,
  input  logic [3:0]                  s_axil_wstrb_i,
  input  logic                        s_axil_wvalid_i,
  output logic                        s_axil_wready_o,
  output logic [1:0]                  s_axil_bresp_o,
  output logic                        s_axil_bvalid_o,
  input  logic                        s_axil_bready_i,
  input  logic [31:0]                 s_axil_araddr_i,
  input  logic [2:0]                  s_axil_arprot_i,
  input  logic                        s_axil_arvalid_i,
  output logic                        s_axil_arready_o,
  output logic [31:0]                 s_axil_rdata_o,
  output logic [1:0]                  s_axil_rresp_o,
  output logic                        s_axil_rvalid_o,
  input  logic                        s_axil_rready_i,

  // ---- AXI4-Lite CSR slave of the management side (the firmware's; privileged)
  input  logic [31:0]                 s_mgmt_axil_awaddr_i,
  input  logic [2:0]                  s_mgmt_axil_awprot_i,
  input  logic                        s_mgmt_axil_awvalid_i,
  output logic                        s_mgmt_axil_awready_o,
  input  logic [31:0]                 s_mgmt_axil_wdata_i,
  input  logic [3:0]                  s_mgmt_axil_wstrb_i,
  input  logic                        s_mgmt_axil_wvalid_i,
  output logic                        s_mgmt_axil_wready_o,
  output logic [1:0]                  s_mgmt_axil_bresp_o,
  output logic                        s_mgmt_axil_bvalid_o,
  input  logic                        s_mgmt_axil_bready_i,
  input  logic [31:0]                 s_mgmt_axil_araddr_i,
  input  logic [2:0]                  s_mgmt_axil_arprot_i,
  input  logic                        s_mgmt_axil_arvalid_i,
  output logic                        s_mgmt_axil_arready_o,
  output logic [31:0]                 s_mgmt_axil_rdata_o,
  output logic [1:0]                  s_mgmt_axil_rresp_o,
  output logic                        s_mgmt_axil_rvalid_o,
  input  logic                        s_mgmt_axil_rready_i,

  // ---- AXI4 DMA master (one ID, INCR, full-width beats)
  output logic [63:0]                 m_axi_araddr_o,
  output logic [7:0]                  m_axi_arlen_o,
  output logic                        m_axi_arvalid_o,
  input  logic                        m_axi_arready_i,
  input  logic [DataWidth-1:0]        m_axi_rdata_i,
  input  logic [1:0]                  m_axi_rresp_i,
  input  logic                        m_axi_rlast_i,
  input  logic                        m_axi_rvalid_i,
  output logic                        m_axi_rready_o,
  output logic [63:0]                 m_axi_awaddr_o,
  output logic [7:0]                  m_axi_awlen_o,
  output logic                        m_axi_awvalid_o,
  input  logic                        m_axi_awready_i,
  output logic [DataWidth-1:0]        m_axi_wdata_o,
  output logic [DataWidth/8-1:0]      m_axi_wstrb_o,
  output logic                        m_axi_wlast_o,
  output logic                        m_axi_wvalid_o,
  input  logic                        m_axi_wready_i,
  input  logic [1:0]                  m_axi_bresp_i,
  input  logic                        m_axi_bvalid_i,
  output logic                        m_axi_bready_o,

  // ---- AXI4 read master of the receive descriptors (one ID, INCR, full-width beats)
  output logic [63:0]                 m_axi_rxd_araddr_o,
  output logic [7:0]                  m_axi_rxd_arlen_o,
  output logic                        m_axi_rxd_arvalid_o,
  input  logic                        m_axi_rxd_arready_i,
  input  logic [DataWidth-1:0]        m_axi_rxd_rdata_i,
  input  logic [1:0]                  m_axi_rxd_rresp_i,
  input  logic                        m_axi_rxd_rlast_i,
  input  logic                        m_axi_rxd_rvalid_i,
  output logic                        m_axi_rxd_rready_o,

  // ---- Frames to the MAC
  output logic [DataWidth-1:0]        m_axis_tx_tdata_o,
  output logic [DataWidth/8-1:0]      m_axis_tx_tkeep_o,
  output logic                        m_axis_tx_tlast_o,
  output logic                        m_axis_tx_tvalid_o,
  input  logic                        m_axis_tx_tready_i,

  // ---- Frames from the MAC (no tready: a beat every cycle it is valid)
  input  logic [DataWidth-1:0]        s_axis_rx_tdata_i,
  input  logic [DataWidth/8-1:0]      s_axis_rx_tkeep_i,
  input  logic                        s_axis_rx_tlast_i,
  input  logic                        s_axis_rx_tuser_i,   // last beat: the frame is bad
  input  logic                        s_axis_rx_tvalid_i,

  // ---- Interrupt pulses (bit q: txq q; bit NumTxQ + q: rxq q) and the idle hint
  output logic [NumTxQ+NumRxQ-1:0]    irq_o,
  output logic                        idle_o,
  // ---- The firmware has admin work (level)
  output logic                        mgmt_irq_o
);

  // Longest frame the paths and offload engines take (card.max_frame).
  localparam int unsigned MaxFrameBytes = 9216;

  if (NumTxQ < 1 || NumTxQ > nic_hw_pkg::TXQ_COUNT || NumRxQ < 1 ||
      NumRxQ > nic_hw_pkg::RXQ_COUNT) begin : g_bad_queues
    $fatal(1, "nic_top: NumTxQ and NumRxQ must be 1 to the txq/rxq copies the CSR map has");
  end

  // ======================================================================================
  // CSR interconnect: slave 0 card, 1 csum, 2 tso, 3 port, 4 admin, 5 txq, 6 rxq
  // ======================================================================================
  localparam int unsigned SlvCard = 0;
  localparam int unsigned SlvCsum = 1;
  localparam int unsigned SlvTso = 2;
  localparam int unsigned SlvPort = 3;
  localparam int unsigned SlvAdmin = 4;
  localparam int unsigned SlvTxq = 5;
  localparam int unsigned SlvRxq = 6;
  localparam int unsigned NumSlaves = 7;

  // Base (want_mask = 0) or decoded-bits mask (want_mask = 1) of every slave, from the
  // generated map.  A direction's queues are one slave over all the copies the map has (its
  // block answers DECERR past NumTxQ / NumRxQ).
  function automatic logic [NumSlaves*32-1:0] slave_map(input logic want_mask);
    slave_map[32*SlvCard +: 32] = want_mask ? nic_hw_pkg::CARD_SIZE - 1 : nic_hw_pkg::CARD_BASE;
    slave_map[32*SlvCsum +: 32] = want_mask ? nic_hw_pkg::CSUM_SIZE - 1 : nic_hw_pkg::CSUM_BASE;
    slave_map[32*SlvTso +: 32]  = want_mask ? nic_hw_pkg::TSO_SIZE - 1 : nic_hw_pkg::TSO_BASE;
    slave_map[32*SlvPort +: 32] = want_mask ? nic_hw_pkg::PORT_SIZE - 1 : nic_hw_pkg::PORT_BASE;
    slave_map[32*SlvAdmin +: 32] =
        want_mask ? nic_hw_pkg::ADMIN_SIZE - 1 : nic_hw_pkg::ADMIN_BASE;
    slave_map[32*SlvTxq +: 32] =
        want_mask ? nic_hw_pkg::TXQ_COUNT * nic_hw_pkg::TXQ_SIZE - 1 : nic_hw_pkg::TXQ_BASE;
    slave_map[32*SlvRxq +: 32] =
        want_mask ? nic_hw_pkg::RXQ_COUNT * nic_hw_pkg::RXQ_SIZE - 1 : nic_hw_pkg::RXQ_BASE;
  endfunction

  localparam logic [NumSlaves*32-1:0] SlaveBase = slave_map(1'b0);
  localparam logic [NumSlaves*32-1:0] SlaveMask = slave_map(1'b1);

  logic [31:0]            csr_awaddr, csr_wdata, csr_araddr;
  logic [2:0]             csr_awprot, csr_arprot;
  logic [3:0]             csr_wstrb;
  logic [NumSlaves-1:0]   csr_awvalid, csr_awready, csr_wvalid, csr_wready;
  logic [NumSlaves-1:0]   csr_bvalid, csr_bready, csr_arvalid, csr_arready;
  logic [NumSlaves-1:0]   csr_rvalid, csr_rready;
  logic [NumSlaves*2-1:0] csr_bresp, csr_rresp;
  logic [NumSlaves*32-1:0] csr_rdata;
  logic                   demux_idle, arb_idle;

  // The two ports onto one bus; the merged bus says which port a transaction came from.
  logic [31:0] bus_awaddr, bus_wdata, bus_araddr, bus_rdata;
  logic [2:0]  bus_awprot, bus_arprot;
  logic [3:0]  bus_wstrb;
  logic [1:0]  bus_bresp, bus_rresp;
  logic        bus_awvalid, bus_awready, bus_wvalid, bus_wready, bus_bvalid, bus_bready;
  logic        bus_arvalid, bus_arready, bus_rvalid, bus_rready;

  nic_axil_arb u_arb (
    .clk_i,
    .rst_i,
    .s_axil_awaddr_i ({s_mgmt_axil_awaddr_i, s_axil_awaddr_i}),
    .s_axil_awprot_i ({s_mgmt_axil_awprot_i, s_axil_awprot_i}),
    .s_axil_awvalid_i({s_mgmt_axil_awvalid_i, s_axil_awvalid_i}),
    .s_axil_awready_o({s_mgmt_axil_awready_o, s_axil_awready_o}),
    .s_axil_wdata_i  ({s_mgmt_axil_wdata_i, s_axil_wdata_i}),
    .s_axil_wstrb_i  ({s_mgmt_axil_wstrb_i, s_axil_wstrb_i}),
    .s_axil_wvalid_i ({s_mgmt_axil_wvalid_i, s_axil_wvalid_i}),
    .s_axil_wready_o ({s_mgmt_axil_wready_o, s_axil_wready_o}),
    .s_axil_bresp_o  ({s_mgmt_axil_bresp_o, s_axil_bresp_o}),
    .s_axil_bvalid_o ({s_mgmt_axil_bvalid_o, s_axil_bvalid_o}),
    .s_axil_bready_i ({s_mgmt_axil_bready_i, s_axil_bready_i}),
    .s_axil_araddr_i ({s_mgmt_axil_araddr_i, s_axil_araddr_i}),
    .s_axil_arprot_i ({s_mgmt_axil_arprot_i, s_axil_arprot_i}),
    .s_axil_arvalid_i({s_mgmt_axil_arvalid_i, s_axil_arvalid_i}),
    .s_axil_arready_o({s_mgmt_axil_arready_o, s_axil_arready_o}),
    .s_axil_rdata_o  ({s_mgmt_axil_rdata_o, s_axil_rdata_o}),
    .s_axil_rresp_o  ({s_mgmt_axil_rresp_o, s_axil_rresp_o}),
    .s_axil_rvalid_o ({s_mgmt_axil_rvalid_o, s_axil_rvalid_o}),
    .s_axil_rready_i ({s_mgmt_axil_rready_i, s_axil_rready_i}),
    .m_axil_awaddr_o (bus_awaddr),
    .m_axil_awprot_o (bus_awprot),
    .m_axil_awvalid_o(bus_awvalid),
    .m_axil_awready_i(bus_awready),
    .m_axil_wdata_o  (bus_wdata),
    .m_axil_wstrb_o  (bus_wstrb),
    .m_axil_wvalid_o (bus_wvalid),
    .m_axil_wready_i (bus_wready),
    .m_axil_bresp_i  (bus_bresp),
    .m_axil_bvalid_i (bus_bvalid),
    .m_axil_bready_o (bus_bready),
    .m_axil_araddr_o (bus_araddr),
    .m_axil_arprot_o (bus_arprot),
    .m_axil_arvalid_o(bus_arvalid),
    .m_axil_arready_i(bus_arready),
    .m_axil_rdata_i  (bus_rdata),
    .m_axil_rresp_i  (bus_rresp),
    .m_axil_rvalid_i (bus_rvalid),
    .m_axil_rready_o (bus_rready),
    .idle_o          (arb_idle)
  );

  nic_axil_demux #(
    .NumSlaves(NumSlaves),
    .SlaveBase(SlaveBase),
    .SlaveMask(SlaveMask)
  ) u_demux (
    .clk_i,
    .rst_i,
    .s_axil_awaddr_i (bus_awaddr),
    .s_axil_awprot_i (bus_awprot),
    .s_axil_awvalid_i(bus_awvalid),
    .s_axil_awready_o(bus_awready),
    .s_axil_wdata_i  (bus_wdata),
    .s_axil_wstrb_i  (bus_wstrb),
    .s_axil_wvalid_i (bus_wvalid),
    .s_axil_wready_o (bus_wready),
    .s_axil_bresp_o  (bus_bresp),
    .s_axil_bvalid_o (bus_bvalid),
    .s_axil_bready_i (bus_bready),
    .s_axil_araddr_i (bus_araddr),
    .s_axil_arprot_i (bus_arprot),
    .s_axil_arvalid_i(bus_arvalid),
    .s_axil_arready_o(bus_arready),
    .s_axil_rdata_o  (bus_rdata),
    .s_axil_rresp_o  (bus_rresp),
    .s_axil_rvalid_o (bus_rvalid),
    .s_axil_rready_i (bus_rready),
    .m_axil_awaddr_o (csr_awaddr),
    .m_axil_awprot_o (csr_awprot),
    .m_axil_awvalid_o(csr_awvalid),
    .m_axil_awready_i(csr_awready),
    .m_axil_wdata_o  (csr_wdata),
    .m_axil_wstrb_o  (csr_wstrb),
    .m_axil_wvalid_o (csr_wvalid),
    .m_axil_wready_i (csr_wready),
    .m_axil_bresp_i  (csr_bresp),
    .m_axil_bvalid_i (csr_bvalid),
    .m_axil_bready_o (csr_bready),
    .m_axil_araddr_o (csr_araddr),
    .m_axil_arprot_o (csr_arprot),
    .m_axil_arvalid_o(csr_arvalid),
    .m_axil_arready_i(csr_arready),
    .m_axil_rdata_i  (csr_rdata),
    .m_axil_rresp_i  (csr_rresp),
    .m_axil_rvalid_i (csr_rvalid),
    .m_axil_rready_o (csr_rready),
    .idle_o          (demux_idle)
  );

  // The request payload every slave sees.
  nic_pkg::axil_ax_t csr_aw, csr_ar;
  nic_pkg::axil_w_t  csr_w;
  assign csr_aw.addr = csr_awaddr;
  assign csr_aw.prot = csr_awprot;
  assign csr_ar.addr = csr_araddr;
  assign csr_ar.prot = csr_arprot;
  assign csr_w.data  = csr_wdata;
  assign csr_w.strb  = csr_wstrb;

  // ======================================================================================
  // The data paths and their events
  // ======================================================================================
  // Queue registers toward the paths (queue q in bits [q*W +: W]; the ring bases of the queue
  // a path names, from the register block's RAM) and their state back.
  logic [NumTxQ-1:0]    txq_enable, txq_running;
  logic [$clog2(NumTxQ > 1 ? NumTxQ : 2)-1:0] txq_base_q;
  logic [63:0]          txq_ring_base, txq_cpl_base;
  logic [NumTxQ*4-1:0]  txq_log2, txq_err;
  logic [NumTxQ*16-1:0] txq_prod, txq_cons;
  logic [NumRxQ-1:0]    rxq_enable, rxq_running;
  logic [$clog2(NumRxQ > 1 ? NumRxQ : 2)-1:0] rxq_base_q;
  logic [63:0]          rxq_ring_base, rxq_cpl_base;
  logic [NumRxQ*4-1:0]  rxq_log2, rxq_err;
  logic [NumRxQ*16-1:0] rxq_prod, rxq_cons;
  // Doorbells (a producer index written, in the first cycle it shows).  The transmit path
  // compares prod with its consumer index instead.
  logic                 txq_db, rxq_db;
  logic [$clog2(NumTxQ > 1 ? NumTxQ : 2)-1:0] txq_db_q;
  logic [$clog2(NumRxQ > 1 ? NumRxQ : 2)-1:0] rxq_db_q;
  logic                 tx_csum_enable, rx_csum_enable;
  logic [15:0]          rx_queue;
  logic [15:0]          rx_max_frame_q;  // port.mtu + 18: an Ethernet header and one VLAN tag

  // Events straight from the paths.
  logic        tx_cpl_evt, tx_cpl_err, rx_cpl_evt, rx_cpl_err;
  logic [15:0] tx_cpl_queue, rx_cpl_queue;
  logic [31:0] tx_cpl_bytes, rx_cpl_bytes;
  logic        tx_seg_req, tx_seg, tx_seg_err, tx_csum_frame, tx_csum_error;
  logic [3:0]  tx_seg_err_code;
  logic        tx_wire_frame, rx_frame;
  logic [15:0] tx_wire_bytes, rx_bytes;
  logic        rx_drop_evt, rx_drop_nobuf;
  logic [15:0] rx_drop_queue;
  logic        rx_csum_frame, rx_l3_bad, rx_l4_bad;
  logic        tx_rd_err, tx_wr_err, rx_rd_err, rx_wr_err;
  logic        tx_idle, rx_idle;

  // DMA clients toward the write arbiter (client 0: TX, client 1: RX).
  logic [2*64-1:0]          dma_awaddr;
  logic [2*8-1:0]           dma_awlen;
  logic [1:0]               dma_bresp;
  logic [1:0]               dma_awvalid, dma_awready, dma_wvalid, dma_wready, dma_wlast;
  logic [2*DataWidth-1:0]   dma_wdata;
  logic [2*DataWidth/8-1:0] dma_wstrb;
  logic [1:0]               dma_bvalid, dma_bready;
  logic                     wr_arb_idle;

  nic_tx_path #(
    .DataWidth    (DataWidth),
    .NumQ         (NumTxQ),
    .MaxDescs     (TxMaxDescs),
    .MaxFrameBytes(MaxFrameBytes)
  ) u_tx (
    .clk_i,
    .rst_i,
    .q_enable_i        (txq_enable),
    .q_base_q_o        (txq_base_q),
    .q_ring_base_i     (txq_ring_base),
    .q_cpl_base_i      (txq_cpl_base),
    .q_log2_i          (txq_log2),
    .q_prod_i          (txq_prod),
    .q_cons_o          (txq_cons),
    .q_running_o       (txq_running),
    .q_err_o           (txq_err),
    .csum_enable_i     (tx_csum_enable),
    .cpl_evt_o         (tx_cpl_evt),
    .cpl_evt_queue_o   (tx_cpl_queue),
    .cpl_evt_err_o     (tx_cpl_err),
    .cpl_evt_bytes_o   (tx_cpl_bytes),
    .seg_req_o         (tx_seg_req),
    .seg_o             (tx_seg),
    .seg_err_o         (tx_seg_err),
    .seg_err_code_o    (tx_seg_err_code),
    .csum_frame_o      (tx_csum_frame),
    .csum_error_o      (tx_csum_error),
    .wire_frame_o      (tx_wire_frame),
    .wire_bytes_o      (tx_wire_bytes),
    .rd_err_o          (tx_rd_err),
    .wr_err_o          (tx_wr_err),
    .m_axi_araddr_o,
    .m_axi_arlen_o,
    .m_axi_arvalid_o,
    .m_axi_arready_i,
    .m_axi_rdata_i,
    .m_axi_rresp_i,
    .m_axi_rlast_i,
    .m_axi_rvalid_i,
    .m_axi_rready_o,
    .m_axi_awaddr_o    (dma_awaddr[0 +: 64]),
    .m_axi_awlen_o     (dma_awlen[0 +: 8]),
    .m_axi_awvalid_o   (dma_awvalid[0]),
    .m_axi_awready_i   (dma_awready[0]),
    .m_axi_wdata_o     (dma_wdata[0 +: DataWidth]),
    .m_axi_wstrb_o     (dma_wstrb[0 +: DataWidth/8]),
    .m_axi_wlast_o     (dma_wlast[0]),
    .m_axi_wvalid_o    (dma_wvalid[0]),
    .m_axi_wready_i    (dma_wready[0]),
    .m_axi_bresp_i     (dma_bresp),
    .m_axi_bvalid_i    (dma_bvalid[0]),
    .m_axi_bready_o    (dma_bready[0]),
    .m_axis_tx_tdata_o,
    .m_axis_tx_tkeep_o,
    .m_axis_tx_tlast_o,
    .m_axis_tx_tvalid_o,
    .m_axis_tx_tready_i,
    .idle_o            (tx_idle)
  );

  nic_rx_path #(
    .DataWidth    (DataWidth),
    .NumQ         (NumRxQ),
    .MaxBufs      (RxMaxBufs),
    .MaxFrameBytes(MaxFrameBytes)
  ) u_rx (
    .clk_i,
    .rst_i,
    .q_enable_i        (rxq_enable),
    .q_base_q_o        (rxq_base_q),
    .q_ring_base_i     (rxq_ring_base),
    .q_cpl_base_i      (rxq_cpl_base),
    .q_log2_i          (rxq_log2),
    .q_prod_i          (rxq_prod),
    .q_db_i            (rxq_db),
    .q_db_q_i          (rxq_db_q),
    .q_cons_o          (rxq_cons),
    .q_running_o       (rxq_running),
    .q_err_o           (rxq_err),
    .rx_queue_i        (rx_queue),
    .csum_enable_i     (rx_csum_enable),
    .max_frame_i       (rx_max_frame_q),
    .cpl_evt_o         (rx_cpl_evt),
    .cpl_evt_queue_o   (rx_cpl_queue),
    .cpl_evt_err_o     (rx_cpl_err),
    .cpl_evt_bytes_o   (rx_cpl_bytes),
    .drop_evt_o        (rx_drop_evt),
    .drop_evt_queue_o  (rx_drop_queue),
    .drop_evt_nobuf_o  (rx_drop_nobuf),
    .rx_frame_o        (rx_frame),
    .rx_bytes_o        (rx_bytes),
    .csum_frame_o      (rx_csum_frame),
    .csum_l3_bad_o     (rx_l3_bad),
    .csum_l4_bad_o     (rx_l4_bad),
    .rd_err_o          (rx_rd_err),
    .wr_err_o          (rx_wr_err),
    .m_axi_araddr_o    (m_axi_rxd_araddr_o),
    .m_axi_arlen_o     (m_axi_rxd_arlen_o),
    .m_axi_arvalid_o   (m_axi_rxd_arvalid_o),
    .m_axi_arready_i   (m_axi_rxd_arready_i),
    .m_axi_rdata_i     (m_axi_rxd_rdata_i),
    .m_axi_rresp_i     (m_axi_rxd_rresp_i),
    .m_axi_rlast_i     (m_axi_rxd_rlast_i),
    .m_axi_rvalid_i    (m_axi_rxd_rvalid_i),
    .m_axi_rready_o    (m_axi_rxd_rready_o),
    .m_axi_awaddr_o    (dma_awaddr[64 +: 64]),
    .m_axi_awlen_o     (dma_awlen[8 +: 8]),
    .m_axi_awvalid_o   (dma_awvalid[1]),
    .m_axi_awready_i   (dma_awready[1]),
    .m_axi_wdata_o     (dma_wdata[DataWidth +: DataWidth]),
    .m_axi_wstrb_o     (dma_wstrb[DataWidth/8 +: DataWidth/8]),
    .m_axi_wlast_o     (dma_wlast[1]),
    .m_axi_wvalid_o    (dma_wvalid[1]),
    .m_axi_wready_i    (dma_wready[1]),
    .m_axi_bresp_i     (dma_bresp),
    .m_axi_bvalid_i    (dma_bvalid[1]),
    .m_axi_bready_o    (dma_bready[1]),
    .s_axis_rx_tdata_i,
    .s_axis_rx_tkeep_i,
    .s_axis_rx_tlast_i,
    .s_axis_rx_tuser_i,
    .s_axis_rx_tvalid_i,
    .idle_o            (rx_idle)
  );

  // WBufDepth: each path offers a burst's AW together with its first W beat, and a beat may
  // pass only at its burst's turn, five cycles or so later; 16 beats per client let the AWs
  // run ahead so that one-beat bursts (transmit completions, 64-byte receive frames) go at one
  // a cycle instead of one every three.
  nic_axi_wr_arb #(
    .NumClients    (2),
    .AddrWidth     (64),
    .DataWidth     (DataWidth),
    .MaxOutstanding(64),
    .WBufDepth     (16)
  ) u_wr_arb (
    .clk_i,
    .rst_i,
    .s_axi_awaddr_i (dma_awaddr),
    .s_axi_awlen_i  (dma_awlen),
    .s_axi_awvalid_i(dma_awvalid),
    .s_axi_awready_o(dma_awready),
    .s_axi_wdata_i  (dma_wdata),
    .s_axi_wstrb_i  (dma_wstrb),
    .s_axi_wlast_i  (dma_wlast),
    .s_axi_wvalid_i (dma_wvalid),
    .s_axi_wready_o (dma_wready),
    .s_axi_bresp_o  (dma_bresp),
    .s_axi_bvalid_o (dma_bvalid),
    .s_axi_bready_i (dma_bready),
    .m_axi_awaddr_o,
    .m_axi_awlen_o,
    .m_axi_awvalid_o,
    .m_axi_awready_i,
    .m_axi_wdata_o,
    .m_axi_wstrb_o,
    .m_axi_wlast_o,
    .m_axi_wvalid_o,
    .m_axi_wready_i,
    .m_axi_bresp_i,
    .m_axi_bvalid_i,
    .m_axi_bready_o,
    .idle_o         (wr_arb_idle)
  );

  // Events, registered once: pulses (reset) and their payloads (no reset).
  logic        ev_tx_cpl_q, ev_tx_cpl_err_q, ev_rx_cpl_q, ev_rx_cpl_err_q;
  logic [15:0] ev_tx_cpl_queue_q, ev_rx_cpl_queue_q;
  logic [31:0] ev_tx_cpl_bytes_q, ev_rx_cpl_bytes_q;
  logic        ev_seg_req_q, ev_seg_q, ev_seg_err_q;
  logic [3:0]  ev_seg_err_code_q;
  logic        ev_tx_csum_frame_q, ev_tx_csum_error_q;
  logic        ev_rx_csum_frame_q, ev_rx_l3_bad_q, ev_rx_l4_bad_q;
  logic        ev_wire_frame_q, ev_rx_frame_q;
  logic [15:0] ev_wire_bytes_q, ev_rx_bytes_q;
  logic        ev_drop_q, ev_drop_nobuf_q;
  logic [15:0] ev_drop_queue_q;
  logic [1:0]  ev_rd_err_q, ev_wr_err_q;   // {RX, TX}
  logic        ev_any;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ev_tx_cpl_q        <= 1'b0;
      ev_rx_cpl_q        <= 1'b0;
      ev_seg_req_q       <= 1'b0;
      ev_seg_q           <= 1'b0;
      ev_seg_err_q       <= 1'b0;
      ev_tx_csum_frame_q <= 1'b0;
      ev_tx_csum_error_q <= 1'b0;
      ev_rx_csum_frame_q <= 1'b0;
      ev_rx_l3_bad_q     <= 1'b0;
      ev_rx_l4_bad_q     <= 1'b0;
      ev_wire_frame_q    <= 1'b0;
      ev_rx_frame_q      <= 1'b0;
      ev_drop_q          <= 1'b0;
      ev_rd_err_q        <= '0;
      ev_wr_err_q        <= '0;
    end else begin
      ev_tx_cpl_q        <= tx_cpl_evt;
      ev_rx_cpl_q        <= rx_cpl_evt;
      ev_seg_req_q       <= tx_seg_req;
      ev_seg_q           <= tx_seg;
      ev_seg_err_q       <= tx_seg_err;
      ev_tx_csum_frame_q <= tx_csum_frame;
      ev_tx_csum_error_q <= tx_csum_error;
      ev_rx_csum_frame_q <= rx_csum_frame;
      ev_rx_l3_bad_q     <= rx_l3_bad;
      ev_rx_l4_bad_q     <= rx_l4_bad;
      ev_wire_frame_q    <= tx_wire_frame;
      ev_rx_frame_q      <= rx_frame;
      ev_drop_q          <= rx_drop_evt;
      ev_rd_err_q        <= {rx_rd_err, tx_rd_err};
      ev_wr_err_q        <= {rx_wr_err, tx_wr_err};
    end
  end

  always_ff @(posedge clk_i) begin
    ev_tx_cpl_err_q   <= tx_cpl_err;
    ev_tx_cpl_queue_q <= tx_cpl_queue;
    ev_tx_cpl_bytes_q <= tx_cpl_bytes;
    ev_rx_cpl_err_q   <= rx_cpl_err;
    ev_rx_cpl_queue_q <= rx_cpl_queue;
    ev_rx_cpl_bytes_q <= rx_cpl_bytes;
    ev_seg_err_code_q <= tx_seg_err_code;
    ev_wire_bytes_q   <= tx_wire_bytes;
    ev_rx_bytes_q     <= rx_bytes;
    ev_drop_nobuf_q   <= rx_drop_nobuf;
    ev_drop_queue_q   <= rx_drop_queue;
  end

  // An event on its way, here or still on a path's outputs (a path may call itself idle in
  // the very cycle its last pulse is out).
  assign ev_any = ev_tx_cpl_q || ev_rx_cpl_q || ev_seg_req_q || ev_seg_q || ev_seg_err_q ||
                  ev_tx_csum_frame_q || ev_tx_csum_error_q || ev_rx_csum_frame_q ||
                  ev_rx_l3_bad_q || ev_rx_l4_bad_q || ev_wire_frame_q || ev_rx_frame_q ||
                  ev_drop_q || (ev_rd_err_q != '0) || (ev_wr_err_q != '0) ||
                  tx_cpl_evt || rx_cpl_evt || tx_seg_req || tx_seg || tx_seg_err ||
                  tx_csum_frame || tx_csum_error || rx_csum_frame || rx_l3_bad || rx_l4_bad ||
                  tx_wire_frame || rx_frame || rx_drop_evt || tx_rd_err || tx_wr_err ||
                  rx_rd_err || rx_wr_err;

  // ======================================================================================
  // card: identity and sizes; host writes the management side refused
  // ======================================================================================
  logic [NumSlaves-1:0] deny;
  logic [31:0]          host_denied_q;

  // At most one write is in flight on the bus, so at most one deny pulse a cycle.
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      host_denied_q <= '0;
    end else if (deny != '0) begin
      host_denied_q <= host_denied_q + 32'd1;
    end
  end

  nic_hw_pkg::card_regs_t card_regs, card_hw, card_pulse;
  nic_pkg::axil_b_t       card_b;
  nic_pkg::axil_r_t       card_r;
  logic [nic_hw_pkg::CARD_NUM_REGS-1:0] card_wr, card_rd;

  always_comb begin
    card_hw = '0;
    card_hw.id                 = nic_hw_pkg::card_id_t'(nic_hw_pkg::CARD_ID_VALUE);
    card_hw.caps.tx_csum       = 1'b1;
    card_hw.caps.rx_csum       = 1'b1;
    card_hw.caps.tso           = 1'b1;
    card_hw.caps.dma           = 1'b1;
    card_hw.stream_width.value = DataWidth;
    card_hw.max_frame.value    = MaxFrameBytes;
    card_hw.queues.tx          = 16'(NumTxQ);
    card_hw.queues.rx          = 16'(NumRxQ);
    card_hw.tx_max_descs.value = TxMaxDescs;
    card_hw.rx_max_bufs.value  = RxMaxBufs;
    card_hw.host_denied.value  = host_denied_q;
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::CARD_NUM_REGS),
    .AddrBits  (nic_hw_pkg::CARD_ADDR_BITS),
    .WriteMask (nic_hw_pkg::CARD_WRITE_MASK),
    .ResetValue(nic_hw_pkg::CARD_RESET),
    .PulseMask (nic_hw_pkg::CARD_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::CARD_MGMT_MASK)
  ) u_card_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvCard]),
    .s_axil_awready_o(csr_awready[SlvCard]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvCard]),
    .s_axil_wready_o (csr_wready[SlvCard]),
    .s_axil_b_o      (card_b),
    .s_axil_bvalid_o (csr_bvalid[SlvCard]),
    .s_axil_bready_i (csr_bready[SlvCard]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvCard]),
    .s_axil_arready_o(csr_arready[SlvCard]),
    .s_axil_r_o      (card_r),
    .s_axil_rvalid_o (csr_rvalid[SlvCard]),
    .s_axil_rready_i (csr_rready[SlvCard]),
    .regs_o          (card_regs),
    .hw_i            (card_hw),
    .wr_pulse_o      (card_pulse),
    .wr_o            (card_wr),
    .rd_o            (card_rd),
    .deny_o          (deny[SlvCard])
  );

  assign csr_bresp[2*SlvCard +: 2]  = card_b.resp;
  assign csr_rresp[2*SlvCard +: 2]  = card_r.resp;
  assign csr_rdata[32*SlvCard +: 32] = card_r.data;

  // ======================================================================================
  // csum: offload enables and checksum counters
  // ======================================================================================
  nic_hw_pkg::csum_regs_t csum_regs, csum_hw, csum_pulse;
  nic_pkg::axil_b_t       csum_b;
  nic_pkg::axil_r_t       csum_r;
  logic [nic_hw_pkg::CSUM_NUM_REGS-1:0] csum_wr, csum_rd;
  logic [31:0]            cs_tx_frames_q, cs_tx_errors_q, cs_rx_frames_q;
  logic [31:0]            cs_rx_l3_bad_q, cs_rx_l4_bad_q;
  logic                   csum_clear;

  assign csum_clear     = csum_pulse.err_clear.counters;
  assign tx_csum_enable = csum_regs.ctrl.tx_enable;
  assign rx_csum_enable = csum_regs.ctrl.rx_enable;

  always_ff @(posedge clk_i) begin
    if (rst_i || csum_clear) begin
      cs_tx_frames_q <= '0;
      cs_tx_errors_q <= '0;
      cs_rx_frames_q <= '0;
      cs_rx_l3_bad_q <= '0;
      cs_rx_l4_bad_q <= '0;
    end else begin
      cs_tx_frames_q <= cs_tx_frames_q + 32'(ev_tx_csum_frame_q);
      cs_tx_errors_q <= cs_tx_errors_q + 32'(ev_tx_csum_error_q);
      cs_rx_frames_q <= cs_rx_frames_q + 32'(ev_rx_csum_frame_q);
      cs_rx_l3_bad_q <= cs_rx_l3_bad_q + 32'(ev_rx_l3_bad_q);
      cs_rx_l4_bad_q <= cs_rx_l4_bad_q + 32'(ev_rx_l4_bad_q);
    end
  end

  always_comb begin
    csum_hw = '0;
    csum_hw.id              = nic_hw_pkg::csum_id_t'(nic_hw_pkg::CSUM_ID_VALUE);
    csum_hw.tx_frames.value = cs_tx_frames_q;
    csum_hw.tx_errors.value = cs_tx_errors_q;
    csum_hw.rx_frames.value = cs_rx_frames_q;
    csum_hw.rx_l3_bad.value = cs_rx_l3_bad_q;
    csum_hw.rx_l4_bad.value = cs_rx_l4_bad_q;
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::CSUM_NUM_REGS),
    .AddrBits  (nic_hw_pkg::CSUM_ADDR_BITS),
    .WriteMask (nic_hw_pkg::CSUM_WRITE_MASK),
    .ResetValue(nic_hw_pkg::CSUM_RESET),
    .PulseMask (nic_hw_pkg::CSUM_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::CSUM_MGMT_MASK)
  ) u_csum_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvCsum]),
    .s_axil_awready_o(csr_awready[SlvCsum]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvCsum]),
    .s_axil_wready_o (csr_wready[SlvCsum]),
    .s_axil_b_o      (csum_b),
    .s_axil_bvalid_o (csr_bvalid[SlvCsum]),
    .s_axil_bready_i (csr_bready[SlvCsum]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvCsum]),
    .s_axil_arready_o(csr_arready[SlvCsum]),
    .s_axil_r_o      (csum_r),
    .s_axil_rvalid_o (csr_rvalid[SlvCsum]),
    .s_axil_rready_i (csr_rready[SlvCsum]),
    .regs_o          (csum_regs),
    .hw_i            (csum_hw),
    .wr_pulse_o      (csum_pulse),
    .wr_o            (csum_wr),
    .rd_o            (csum_rd),
    .deny_o          (deny[SlvCsum])
  );

  assign csr_bresp[2*SlvCsum +: 2]   = csum_b.resp;
  assign csr_rresp[2*SlvCsum +: 2]   = csum_r.resp;
  assign csr_rdata[32*SlvCsum +: 32] = csum_r.data;

  // ======================================================================================
  // tso: segmentation counters
  // ======================================================================================
  nic_hw_pkg::tso_regs_t tso_regs, tso_hw, tso_pulse;
  nic_pkg::axil_b_t      tso_b;
  nic_pkg::axil_r_t      tso_r;
  logic [nic_hw_pkg::TSO_NUM_REGS-1:0] tso_wr, tso_rd;
  logic [31:0]           ts_requests_q, ts_segments_q, ts_errors_q;
  logic [3:0]            ts_last_err_q;
  logic                  tso_clear;

  assign tso_clear = tso_pulse.clear.counters;

  always_ff @(posedge clk_i) begin
    if (rst_i || tso_clear) begin
      ts_requests_q <= '0;
      ts_segments_q <= '0;
      ts_errors_q   <= '0;
    end else begin
      ts_requests_q <= ts_requests_q + 32'(ev_seg_req_q);
      ts_segments_q <= ts_segments_q + 32'(ev_seg_q);
      ts_errors_q   <= ts_errors_q + 32'(ev_seg_err_q);
    end
    // The last refusal is a record, not a counter: only reset clears it.
    if (rst_i) begin
      ts_last_err_q <= '0;
    end else if (ev_seg_err_q) begin
      ts_last_err_q <= ev_seg_err_code_q;
    end
  end

  always_comb begin
    tso_hw = '0;
    tso_hw.id                = nic_hw_pkg::tso_id_t'(nic_hw_pkg::TSO_ID_VALUE);
    tso_hw.requests.value    = ts_requests_q;
    tso_hw.segments.value    = ts_segments_q;
    tso_hw.errors.value      = ts_errors_q;
    tso_hw.last_err.code     = nic_hw_pkg::seg_err_e'(ts_last_err_q);
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::TSO_NUM_REGS),
    .AddrBits  (nic_hw_pkg::TSO_ADDR_BITS),
    .WriteMask (nic_hw_pkg::TSO_WRITE_MASK),
    .ResetValue(nic_hw_pkg::TSO_RESET),
    .PulseMask (nic_hw_pkg::TSO_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::TSO_MGMT_MASK)
  ) u_tso_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvTso]),
    .s_axil_awready_o(csr_awready[SlvTso]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvTso]),
    .s_axil_wready_o (csr_wready[SlvTso]),
    .s_axil_b_o      (tso_b),
    .s_axil_bvalid_o (csr_bvalid[SlvTso]),
    .s_axil_bready_i (csr_bready[SlvTso]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvTso]),
    .s_axil_arready_o(csr_arready[SlvTso]),
    .s_axil_r_o      (tso_r),
    .s_axil_rvalid_o (csr_rvalid[SlvTso]),
    .s_axil_rready_i (csr_rready[SlvTso]),
    .regs_o          (tso_regs),
    .hw_i            (tso_hw),
    .wr_pulse_o      (tso_pulse),
    .wr_o            (tso_wr),
    .rd_o            (tso_rd),
    .deny_o          (deny[SlvTso])
  );

  assign csr_bresp[2*SlvTso +: 2]   = tso_b.resp;
  assign csr_rresp[2*SlvTso +: 2]   = tso_r.resp;
  assign csr_rdata[32*SlvTso +: 32] = tso_r.data;

  // ======================================================================================
  // port: receive steering and port counters
  // ======================================================================================
  nic_hw_pkg::port_regs_t port_regs, port_hw, port_pulse;
  nic_pkg::axil_b_t       port_b;
  nic_pkg::axil_r_t       port_r;
  logic [nic_hw_pkg::PORT_NUM_REGS-1:0] port_wr, port_rd;
  logic [31:0]            pt_tx_frames_q, pt_rx_frames_q, pt_nobuf_q, pt_bad_q;
  logic [31:0]            pt_rd_err_q, pt_wr_err_q, pt_tx_bytes_hi_q, pt_rx_bytes_hi_q;
  logic [63:0]            pt_tx_bytes_q, pt_rx_bytes_q;
  logic                   port_clear;

  assign port_clear = port_pulse.clear.counters;
  assign rx_queue   = port_regs.ctrl.rx_queue;

  // The longest frame the port takes: the MTU's IP packet behind an Ethernet header and one
  // VLAN tag (frames reach the card without their FCS), within what the paths take.
  always_ff @(posedge clk_i) begin
    rx_max_frame_q <= 17'(port_regs.mtu.value) + 17'd18 > 17'(MaxFrameBytes) ?
                      16'(MaxFrameBytes) : port_regs.mtu.value + 16'd18;
  end

  always_ff @(posedge clk_i) begin
    if (rst_i || port_clear) begin
      pt_tx_frames_q   <= '0;
      pt_tx_bytes_q    <= '0;
      pt_rx_frames_q   <= '0;
      pt_rx_bytes_q    <= '0;
      pt_nobuf_q       <= '0;
      pt_bad_q         <= '0;
      pt_rd_err_q      <= '0;
      pt_wr_err_q      <= '0;
      pt_tx_bytes_hi_q <= '0;
      pt_rx_bytes_hi_q <= '0;
    end else begin
      if (ev_wire_frame_q) begin
        pt_tx_frames_q <= pt_tx_frames_q + 32'd1;
        pt_tx_bytes_q  <= pt_tx_bytes_q + 64'(ev_wire_bytes_q);
      end
      if (ev_rx_frame_q) begin
        pt_rx_frames_q <= pt_rx_frames_q + 32'd1;
        pt_rx_bytes_q  <= pt_rx_bytes_q + 64'(ev_rx_bytes_q);
      end
      pt_nobuf_q  <= pt_nobuf_q + 32'(ev_drop_q && ev_drop_nobuf_q);
      pt_bad_q    <= pt_bad_q + 32'(ev_drop_q && !ev_drop_nobuf_q);
      pt_rd_err_q <= pt_rd_err_q + 32'(ev_rd_err_q[0]) + 32'(ev_rd_err_q[1]);
      pt_wr_err_q <= pt_wr_err_q + 32'(ev_wr_err_q[0]) + 32'(ev_wr_err_q[1]);
      // The high words as they are in the cycle the low word is read.
      if (port_rd[nic_hw_pkg::PORT_TX_BYTES_LO_IDX]) pt_tx_bytes_hi_q <= pt_tx_bytes_q[63:32];
      if (port_rd[nic_hw_pkg::PORT_RX_BYTES_LO_IDX]) pt_rx_bytes_hi_q <= pt_rx_bytes_q[63:32];
    end
  end

  always_comb begin
    port_hw = '0;
    port_hw.id                  = nic_hw_pkg::port_id_t'(nic_hw_pkg::PORT_ID_VALUE);
    port_hw.tx_frames.value     = pt_tx_frames_q;
    port_hw.tx_bytes_lo.value   = pt_tx_bytes_q[31:0];
    port_hw.tx_bytes_hi.value   = pt_tx_bytes_hi_q;
    port_hw.rx_frames.value     = pt_rx_frames_q;
    port_hw.rx_bytes_lo.value   = pt_rx_bytes_q[31:0];
    port_hw.rx_bytes_hi.value   = pt_rx_bytes_hi_q;
    port_hw.rx_drop_nobuf.value = pt_nobuf_q;
    port_hw.rx_drop_bad.value   = pt_bad_q;
    port_hw.dma_rd_err.value    = pt_rd_err_q;
    port_hw.dma_wr_err.value    = pt_wr_err_q;
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::PORT_NUM_REGS),
    .AddrBits  (nic_hw_pkg::PORT_ADDR_BITS),
    .WriteMask (nic_hw_pkg::PORT_WRITE_MASK),
    .ResetValue(nic_hw_pkg::PORT_RESET),
    .PulseMask (nic_hw_pkg::PORT_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::PORT_MGMT_MASK)
  ) u_port_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvPort]),
    .s_axil_awready_o(csr_awready[SlvPort]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvPort]),
    .s_axil_wready_o (csr_wready[SlvPort]),
    .s_axil_b_o      (port_b),
    .s_axil_bvalid_o (csr_bvalid[SlvPort]),
    .s_axil_bready_i (csr_bready[SlvPort]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvPort]),
    .s_axil_arready_o(csr_arready[SlvPort]),
    .s_axil_r_o      (port_r),
    .s_axil_rvalid_o (csr_rvalid[SlvPort]),
    .s_axil_rready_i (csr_rready[SlvPort]),
    .regs_o          (port_regs),
    .hw_i            (port_hw),
    .wr_pulse_o      (port_pulse),
    .wr_o            (port_wr),
    .rd_o            (port_rd),
    .deny_o          (deny[SlvPort])
  );

  assign csr_bresp[2*SlvPort +: 2]   = port_b.resp;
  assign csr_rresp[2*SlvPort +: 2]   = port_r.resp;
  assign csr_rdata[32*SlvPort +: 32] = port_r.data;

  // ======================================================================================
  // admin: the admin queue's registers; the firmware does the rest
  // ======================================================================================
  nic_hw_pkg::admin_regs_t admin_regs, admin_hw, admin_pulse;
  nic_pkg::axil_b_t        admin_b;
  nic_pkg::axil_r_t        admin_r;
  logic [nic_hw_pkg::ADMIN_NUM_REGS-1:0] admin_wr, admin_rd;
  logic                    mgmt_irq_q;

  always_comb begin
    admin_hw    = '0;
    admin_hw.id = nic_hw_pkg::admin_id_t'(nic_hw_pkg::ADMIN_ID_VALUE);
  end

  nic_csr_axil #(
    .NumRegs   (nic_hw_pkg::ADMIN_NUM_REGS),
    .AddrBits  (nic_hw_pkg::ADMIN_ADDR_BITS),
    .WriteMask (nic_hw_pkg::ADMIN_WRITE_MASK),
    .ResetValue(nic_hw_pkg::ADMIN_RESET),
    .PulseMask (nic_hw_pkg::ADMIN_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::ADMIN_MGMT_MASK)
  ) u_admin_csr (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvAdmin]),
    .s_axil_awready_o(csr_awready[SlvAdmin]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvAdmin]),
    .s_axil_wready_o (csr_wready[SlvAdmin]),
    .s_axil_b_o      (admin_b),
    .s_axil_bvalid_o (csr_bvalid[SlvAdmin]),
    .s_axil_bready_i (csr_bready[SlvAdmin]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvAdmin]),
    .s_axil_arready_o(csr_arready[SlvAdmin]),
    .s_axil_r_o      (admin_r),
    .s_axil_rvalid_o (csr_rvalid[SlvAdmin]),
    .s_axil_rready_i (csr_rready[SlvAdmin]),
    .regs_o          (admin_regs),
    .hw_i            (admin_hw),
    .wr_pulse_o      (admin_pulse),
    .wr_o            (admin_wr),
    .rd_o            (admin_rd),
    .deny_o          (deny[SlvAdmin])
  );

  assign csr_bresp[2*SlvAdmin +: 2]   = admin_b.resp;
  assign csr_rresp[2*SlvAdmin +: 2]   = admin_r.resp;
  assign csr_rdata[32*SlvAdmin +: 32] = admin_r.data;

  // Work for the firmware: the enable handshake is unanswered (a start, a stop, or a refusal
  // (status.err) the host has since withdrawn), or commands are posted on rings it serves.
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      mgmt_irq_q <= 1'b0;
    end else begin
      mgmt_irq_q <= (admin_regs.ctrl.enable !=
                     (admin_regs.status.enabled || admin_regs.status.err)) ||
                    (admin_regs.status.enabled && !admin_regs.status.err &&
                     admin_regs.prod.index != admin_regs.cons.index);
    end
  end

  assign mgmt_irq_o = mgmt_irq_q;

  // ======================================================================================
  // txq and rxq: every queue's registers, interrupt moderation and counters, one block a
  // direction (nic_queue_regs; interrupt bit i: transmit queues first)
  // ======================================================================================
  logic [NumTxQ-1:0] txq_irq;
  logic [NumRxQ-1:0] rxq_irq;
  logic              txq_busy, rxq_busy;

  // Every transmit error completion drops its frame (or, for a late segmentation fault, its
  // tail); receive drops are the frames steered to a queue and dropped for want of buffers
  // (bad frames are the port's).
  nic_queue_regs #(
    .NumQ      (NumTxQ),
    .IdValue   (nic_hw_pkg::TXQ_ID_VALUE),
    .WriteMask (nic_hw_pkg::TXQ_WRITE_MASK),
    .ResetValue(nic_hw_pkg::TXQ_RESET),
    .PulseMask (nic_hw_pkg::TXQ_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::TXQ_MGMT_MASK)
  ) u_txq (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvTxq]),
    .s_axil_awready_o(csr_awready[SlvTxq]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvTxq]),
    .s_axil_wready_o (csr_wready[SlvTxq]),
    .s_axil_bresp_o  (csr_bresp[2*SlvTxq +: 2]),
    .s_axil_bvalid_o (csr_bvalid[SlvTxq]),
    .s_axil_bready_i (csr_bready[SlvTxq]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvTxq]),
    .s_axil_arready_o(csr_arready[SlvTxq]),
    .s_axil_rresp_o  (csr_rresp[2*SlvTxq +: 2]),
    .s_axil_rdata_o  (csr_rdata[32*SlvTxq +: 32]),
    .s_axil_rvalid_o (csr_rvalid[SlvTxq]),
    .s_axil_rready_i (csr_rready[SlvTxq]),
    .enable_o        (txq_enable),
    .base_q_i        (txq_base_q),
    .ring_base_o     (txq_ring_base),
    .cpl_base_o      (txq_cpl_base),
    .log2_o          (txq_log2),
    .prod_o          (txq_prod),
    .db_o            (txq_db),
    .db_q_o          (txq_db_q),
    .cons_i          (txq_cons),
    .running_i       (txq_running),
    .err_i           (txq_err),
    .cpl_i           (ev_tx_cpl_q),
    .cpl_q_i         (ev_tx_cpl_queue_q),
    .cpl_err_i       (ev_tx_cpl_err_q),
    .cpl_bytes_i     (ev_tx_cpl_bytes_q),
    .drop_i          (ev_tx_cpl_q && ev_tx_cpl_err_q),
    .drop_q_i        (ev_tx_cpl_queue_q),
    .irq_o           (txq_irq),
    .busy_o          (txq_busy),
    .deny_o          (deny[SlvTxq])
  );

  nic_queue_regs #(
    .NumQ      (NumRxQ),
    .IdValue   (nic_hw_pkg::RXQ_ID_VALUE),
    .WriteMask (nic_hw_pkg::RXQ_WRITE_MASK),
    .ResetValue(nic_hw_pkg::RXQ_RESET),
    .PulseMask (nic_hw_pkg::RXQ_PULSE_MASK),
    .MgmtMask  (nic_hw_pkg::RXQ_MGMT_MASK)
  ) u_rxq (
    .clk_i,
    .rst_i,
    .s_axil_aw_i     (csr_aw),
    .s_axil_awvalid_i(csr_awvalid[SlvRxq]),
    .s_axil_awready_o(csr_awready[SlvRxq]),
    .s_axil_w_i      (csr_w),
    .s_axil_wvalid_i (csr_wvalid[SlvRxq]),
    .s_axil_wready_o (csr_wready[SlvRxq]),
    .s_axil_bresp_o  (csr_bresp[2*SlvRxq +: 2]),
    .s_axil_bvalid_o (csr_bvalid[SlvRxq]),
    .s_axil_bready_i (csr_bready[SlvRxq]),
    .s_axil_ar_i     (csr_ar),
    .s_axil_arvalid_i(csr_arvalid[SlvRxq]),
    .s_axil_arready_o(csr_arready[SlvRxq]),
    .s_axil_rresp_o  (csr_rresp[2*SlvRxq +: 2]),
    .s_axil_rdata_o  (csr_rdata[32*SlvRxq +: 32]),
    .s_axil_rvalid_o (csr_rvalid[SlvRxq]),
    .s_axil_rready_i (csr_rready[SlvRxq]),
    .enable_o        (rxq_enable),
    .base_q_i        (rxq_base_q),
    .ring_base_o     (rxq_ring_base),
    .cpl_base_o      (rxq_cpl_base),
    .log2_o          (rxq_log2),
    .prod_o          (rxq_prod),
    .db_o            (rxq_db),
    .db_q_o          (rxq_db_q),
    .cons_i          (rxq_cons),
    .running_i       (rxq_running),
    .err_i           (rxq_err),
    .cpl_i           (ev_rx_cpl_q),
    .cpl_q_i         (ev_rx_cpl_queue_q),
    .cpl_err_i       (ev_rx_cpl_err_q),
    .cpl_bytes_i     (ev_rx_cpl_bytes_q),
    .drop_i          (ev_drop_q && ev_drop_nobuf_q),
    .drop_q_i        (ev_drop_queue_q),
    .irq_o           (rxq_irq),
    .busy_o          (rxq_busy),
    .deny_o          (deny[SlvRxq])
  );

  assign irq_o = {rxq_irq, txq_irq};

  // ======================================================================================
  // Idle
  // ======================================================================================
  // The CSR bus counts as busy for a few cycles after its last transaction, long enough for
  // a register write (a doorbell, an enable) to reach the path it drives.
  localparam int unsigned CsrQuietCycles = 4;
  logic [2:0] csr_quiet_q;

  always_ff @(posedge clk_i) begin
    if (rst_i || !demux_idle) begin
      csr_quiet_q <= 3'(CsrQuietCycles);
    end else if (csr_quiet_q != '0) begin
      csr_quiet_q <= csr_quiet_q - 3'd1;
    end
  end

  assign idle_o = tx_idle && rx_idle && wr_arb_idle && !ev_any &&
                  !txq_busy && !rxq_busy && demux_idle && arb_idle && (csr_quiet_q == '0);

  // Register bits, strobes and pulses nothing here reads (whole structs, so lint sees every
  // bit used), and the transmit queues' doorbells.
  logic unused;
  assign unused = ^{card_regs, card_pulse, card_wr, card_rd, csum_regs, csum_pulse, csum_wr,
                    csum_rd, tso_regs, tso_pulse, tso_wr, tso_rd, port_regs, port_pulse, port_wr,
                    port_rd, admin_regs, admin_pulse, admin_wr, admin_rd, txq_db, txq_db_q};

endmodule
