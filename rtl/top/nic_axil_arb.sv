// nic_axil_arb: the card's two CSR ports merged onto one AXI4-Lite bus, with the privilege
// bit that tells them apart.
//
// Port 0 is the host's (the PCIe BAR), port 1 the card's management side (its firmware).  The
// merged bus carries AxPROT[0] = 0 for everything from the host port and 1 for everything from
// the management port, whatever the requester drove: the register blocks let only privileged
// writes change management-side fields (nic_csr_axil MgmtMask), so the boundary is in the
// wiring, not in what the host chooses to send.  AxPROT[2:1] pass through.
//
// Writes and reads are arbitrated apart, one transaction per direction at a time (the demux
// behind takes no more).  A direction's grant is taken when a port shows AW or W (AR for
// reads), the management port first when both do, and held until that transaction's response
// is accepted; the other port waits with its readies low.  So a granted port that has shown
// AW holds the write direction until its W and B are through, as AXI4-Lite requesters finish
// what they start; the firmware's accesses are few and bounded, so the host is not starved.
// Everything here is a mux on a registered grant: one cycle of the demux's own registers is
// the only latency.
module nic_axil_arb (
  input  logic        clk_i,
  input  logic        rst_i,

  // ---- Slave ports: [0] host, [1] management
  input  logic [63:0] s_axil_awaddr_i,
  input  logic [5:0]  s_axil_awprot_i,
  input  logic [1:0]  s_axil_awvalid_i,
  output logic [1:0]  s_axil_awready_o,
  input  logic [63:0] s_axil_wdata_i,
  input  logic [7:0]  s_axil_wstrb_i,
  input  logic [1:0]  s_axil_wvalid_i,
  output logic [1:0]  s_axil_wready_o,
  output logic [3:0]  s_axil_bresp_o,
  output logic [1:0]  s_axil_bvalid_o,
  input  logic [1:0]  s_axil_bready_i,
  input  logic [63:0] s_axil_araddr_i,
  input  logic [5:0]  s_axil_arprot_i,
  input  logic [1:0]  s_axil_arvalid_i,
  output logic [1:0]  s_axil_arready_o,
  output logic [63:0] s_axil_rdata_o,
  output logic [3:0]  s_axil_rresp_o,
  output logic [1:0]  s_axil_rvalid_o,
  input  logic [1:0]  s_axil_rready_i,

  // ---- Merged manager port
  output logic [31:0] m_axil_awaddr_o,
  output logic [2:0]  m_axil_awprot_o,
  output logic        m_axil_awvalid_o,
  input  logic        m_axil_awready_i,
  output logic [31:0] m_axil_wdata_o,
  output logic [3:0]  m_axil_wstrb_o,
  output logic        m_axil_wvalid_o,
  input  logic        m_axil_wready_i,
  input  logic [1:0]  m_axil_bresp_i,
  input  logic        m_axil_bvalid_i,
  output logic        m_axil_bready_o,
  output logic [31:0] m_axil_araddr_o,
  output logic [2:0]  m_axil_arprot_o,
  output logic        m_axil_arvalid_o,
  input  logic        m_axil_arready_i,
  input  logic [31:0] m_axil_rdata_i,
  input  logic [1:0]  m_axil_rresp_i,
  input  logic        m_axil_rvalid_i,
  output logic        m_axil_rready_o,

  // ---- Nothing granted in either direction
  output logic        idle_o
);

  // ---- Write direction: grant held from the first AW/W of a port to its B handshake.
  logic wr_busy_q, wr_sel_q;   // sel: 0 host, 1 management
  logic wr_take, wr_pick;
  logic aw_done_q, w_done_q;   // the granted port's AW / W already passed

  assign wr_pick = s_axil_awvalid_i[1] || s_axil_wvalid_i[1];
  assign wr_take = !wr_busy_q && ((s_axil_awvalid_i | s_axil_wvalid_i) != 2'b00);

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      wr_busy_q <= 1'b0;
      wr_sel_q  <= 1'b0;
      aw_done_q <= 1'b0;
      w_done_q  <= 1'b0;
    end else begin
      if (wr_take) begin
        wr_busy_q <= 1'b1;
        wr_sel_q  <= wr_pick;
      end
      if (m_axil_awvalid_o && m_axil_awready_i) aw_done_q <= 1'b1;
      if (m_axil_wvalid_o && m_axil_wready_i) w_done_q <= 1'b1;
      if (m_axil_bvalid_i && m_axil_bready_o) begin
        wr_busy_q <= 1'b0;
        aw_done_q <= 1'b0;
        w_done_q  <= 1'b0;
      end
    end
  end

  assign m_axil_awaddr_o  = s_axil_awaddr_i[32*wr_sel_q +: 32];
  assign m_axil_awprot_o  = {s_axil_awprot_i[3*wr_sel_q + 1 +: 2], wr_sel_q};
  assign m_axil_awvalid_o = wr_busy_q && !aw_done_q && s_axil_awvalid_i[wr_sel_q];
  assign m_axil_wdata_o   = s_axil_wdata_i[32*wr_sel_q +: 32];
  assign m_axil_wstrb_o   = s_axil_wstrb_i[4*wr_sel_q +: 4];
  assign m_axil_wvalid_o  = wr_busy_q && !w_done_q && s_axil_wvalid_i[wr_sel_q];
  assign m_axil_bready_o  = wr_busy_q && s_axil_bready_i[wr_sel_q];

  for (genvar p = 0; p < 2; p++) begin : g_wr_port
    logic mine;
    assign mine                  = wr_busy_q && wr_sel_q == 1'(p);
    assign s_axil_awready_o[p]   = mine && !aw_done_q && m_axil_awready_i;
    assign s_axil_wready_o[p]    = mine && !w_done_q && m_axil_wready_i;
    assign s_axil_bvalid_o[p]    = mine && m_axil_bvalid_i;
    assign s_axil_bresp_o[2*p +: 2] = m_axil_bresp_i;
  end

  // ---- Read direction: grant held from AR to the R handshake.
  logic rd_busy_q, rd_sel_q, ar_done_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      rd_busy_q <= 1'b0;
      rd_sel_q  <= 1'b0;
      ar_done_q <= 1'b0;
    end else begin
      if (!rd_busy_q && s_axil_arvalid_i != 2'b00) begin
        rd_busy_q <= 1'b1;
        rd_sel_q  <= s_axil_arvalid_i[1];
      end
      if (m_axil_arvalid_o && m_axil_arready_i) ar_done_q <= 1'b1;
      if (m_axil_rvalid_i && m_axil_rready_o) begin
        rd_busy_q <= 1'b0;
        ar_done_q <= 1'b0;
      end
    end
  end

  assign m_axil_araddr_o  = s_axil_araddr_i[32*rd_sel_q +: 32];
  assign m_axil_arprot_o  = {s_axil_arprot_i[3*rd_sel_q + 1 +: 2], rd_sel_q};
  assign m_axil_arvalid_o = rd_busy_q && !ar_done_q && s_axil_arvalid_i[rd_sel_q];
  assign m_axil_rready_o  = rd_busy_q && s_axil_rready_i[rd_sel_q];

  for (genvar p = 0; p < 2; p++) begin : g_rd_port
    logic mine;
    assign mine                     = rd_busy_q && rd_sel_q == 1'(p);
    assign s_axil_arready_o[p]      = mine && !ar_done_q && m_axil_arready_i;
    assign s_axil_rvalid_o[p]       = mine && m_axil_rvalid_i;
    assign s_axil_rdata_o[32*p +: 32] = m_axil_rdata_i;
    assign s_axil_rresp_o[2*p +: 2]   = m_axil_rresp_i;
  end

  assign idle_o = !wr_busy_q && !rd_busy_q;

  // The privileged bit of each requester is replaced, never read.
  logic unused;
  assign unused = ^{s_axil_awprot_i[3], s_axil_awprot_i[0], s_axil_arprot_i[3],
                    s_axil_arprot_i[0]};

endmodule
