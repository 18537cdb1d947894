// nic_axil_demux: the card's CSR interconnect, one AXI4-Lite manager to NumSlaves register
// blocks chosen by address.
//
// Slave k owns the aligned range whose address bits outside SlaveMask[k] equal SlaveBase[k]
// (a block of 2^n bytes has mask 2^n - 1); the ranges may not overlap, which elaboration
// checks.  The demux forwards the whole address, so each block decodes its own low bits.  An
// address no slave owns is answered here with DECERR (reads return 0) and never reaches a
// slave, so no address can hang the bus.
//
// One transaction per direction is in flight, as on the CSR slaves themselves: a write is
// collected (AW and W in any order, or together), its slave chosen from the held address in
// the next cycle, issued, and its B response registered and passed back; reads likewise.
// awready, wready and arready are registers (high while nothing of that direction is held),
// and so are the valids and readies toward the slaves, so no combinational path crosses the
// demux in either direction.  A write costs about six cycles and a read five, nothing for a
// control path that waits for each response anyway.
//
// Toward the slaves, address, data and strobes are shared wires (only the valid of the chosen
// slave is raised); responses come back per slave and are selected one-hot.
module nic_axil_demux #(
  // Number of slaves (address ranges).
  parameter int unsigned NumSlaves = 1,
  // Slave k's base address in bits [32*k +: 32]; aligned to its range.
  parameter logic [NumSlaves*32-1:0] SlaveBase = '0,
  // Slave k's range in bits [32*k +: 32]: the address bits it decodes itself (size - 1).
  parameter logic [NumSlaves*32-1:0] SlaveMask = '0
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- AXI4-Lite slave port (from the host)
  input  logic [31:0]            s_axil_awaddr_i,
  input  logic [2:0]             s_axil_awprot_i,
  input  logic                   s_axil_awvalid_i,
  output logic                   s_axil_awready_o,
  input  logic [31:0]            s_axil_wdata_i,
  input  logic [3:0]             s_axil_wstrb_i,
  input  logic                   s_axil_wvalid_i,
  output logic                   s_axil_wready_o,
  output logic [1:0]             s_axil_bresp_o,
  output logic                   s_axil_bvalid_o,
  input  logic                   s_axil_bready_i,
  input  logic [31:0]            s_axil_araddr_i,
  input  logic [2:0]             s_axil_arprot_i,
  input  logic                   s_axil_arvalid_i,
  output logic                   s_axil_arready_o,
  output logic [31:0]            s_axil_rdata_o,
  output logic [1:0]             s_axil_rresp_o,
  output logic                   s_axil_rvalid_o,
  input  logic                   s_axil_rready_i,

  // ---- AXI4-Lite manager ports (to the slaves): shared payload, valid/ready per slave
  output logic [31:0]            m_axil_awaddr_o,
  output logic [2:0]             m_axil_awprot_o,
  output logic [NumSlaves-1:0]   m_axil_awvalid_o,
  input  logic [NumSlaves-1:0]   m_axil_awready_i,
  output logic [31:0]            m_axil_wdata_o,
  output logic [3:0]             m_axil_wstrb_o,
  output logic [NumSlaves-1:0]   m_axil_wvalid_o,
  input  logic [NumSlaves-1:0]   m_axil_wready_i,
  input  logic [NumSlaves*2-1:0] m_axil_bresp_i,
  input  logic [NumSlaves-1:0]   m_axil_bvalid_i,
  output logic [NumSlaves-1:0]   m_axil_bready_o,
  output logic [31:0]            m_axil_araddr_o,
  output logic [2:0]             m_axil_arprot_o,
  output logic [NumSlaves-1:0]   m_axil_arvalid_o,
  input  logic [NumSlaves-1:0]   m_axil_arready_i,
  input  logic [NumSlaves*32-1:0] m_axil_rdata_i,
  input  logic [NumSlaves*2-1:0] m_axil_rresp_i,
  input  logic [NumSlaves-1:0]   m_axil_rvalid_i,
  output logic [NumSlaves-1:0]   m_axil_rready_o,

  // ---- Nothing held in either direction
  output logic                   idle_o
);

  localparam logic [1:0] RespDecErr = 2'b11;

  if (NumSlaves < 1) begin : g_bad_count
    $fatal(1, "nic_axil_demux: NumSlaves must be at least 1");
  end
  for (genvar i = 0; i < NumSlaves; i++) begin : g_check
    if ((SlaveBase[32*i +: 32] & SlaveMask[32*i +: 32]) != 32'd0) begin : g_bad_align
      $fatal(1, "nic_axil_demux: slave %0d's base is not aligned to its range", i);
    end
    for (genvar j = i + 1; j < NumSlaves; j++) begin : g_pair
      // Two aligned ranges overlap when their bases agree on every bit neither decodes.
      if (((SlaveBase[32*i +: 32] ^ SlaveBase[32*j +: 32]) &
           ~SlaveMask[32*i +: 32] & ~SlaveMask[32*j +: 32]) == 32'd0) begin : g_bad_overlap
        $fatal(1, "nic_axil_demux: the ranges of slaves %0d and %0d overlap", i, j);
      end
    end
  end

  // One-hot slave owning `addr` (all zero: unmapped).
  function automatic logic [NumSlaves-1:0] decode(input logic [31:0] addr);
    for (int unsigned k = 0; k < NumSlaves; k++) begin
      decode[k] = (addr & ~SlaveMask[32*k +: 32]) == SlaveBase[32*k +: 32];
    end
  endfunction

  // Each direction steps through: collect the request, choose the slave, issue it, wait for
  // the slave's response, hand the response back.
  typedef enum logic [2:0] {
    StCollect,
    StDecode,
    StIssue,
    StWait,
    StRespond
  } state_e;

  // ======================================================================================
  // Writes
  // ======================================================================================
  state_e                 w_state_q, w_state_d;
  logic                   aw_full_q, aw_full_d, w_full_q, w_full_d;
  logic [31:0]            aw_addr_q;
  logic [2:0]             aw_prot_q;
  logic [31:0]            w_data_q;
  logic [3:0]             w_strb_q;
  logic [NumSlaves-1:0]   w_sel_q, w_sel_d;
  logic [NumSlaves-1:0]   awvalid_q, awvalid_d, wvalid_q, wvalid_d, bready_q, bready_d;
  logic [1:0]             bresp_q, bresp_d;
  logic                   bvalid_q, bvalid_d;
  logic [1:0]             b_sel_resp;

  assign s_axil_awready_o = !aw_full_q;
  assign s_axil_wready_o  = !w_full_q;
  assign s_axil_bvalid_o  = bvalid_q;
  assign s_axil_bresp_o   = bresp_q;
  assign m_axil_awaddr_o  = aw_addr_q;
  assign m_axil_awprot_o  = aw_prot_q;
  assign m_axil_wdata_o   = w_data_q;
  assign m_axil_wstrb_o   = w_strb_q;
  assign m_axil_awvalid_o = awvalid_q;
  assign m_axil_wvalid_o  = wvalid_q;
  assign m_axil_bready_o  = bready_q;

  // B of the chosen slave (one-hot select).
  always_comb begin
    b_sel_resp = '0;
    for (int unsigned k = 0; k < NumSlaves; k++) begin
      b_sel_resp = b_sel_resp | (m_axil_bresp_i[2*k +: 2] & {2{w_sel_q[k]}});
    end
  end

  always_comb begin
    w_state_d = w_state_q;
    aw_full_d = aw_full_q;
    w_full_d  = w_full_q;
    w_sel_d   = w_sel_q;
    awvalid_d = awvalid_q & ~m_axil_awready_i;
    wvalid_d  = wvalid_q & ~m_axil_wready_i;
    bready_d  = bready_q;
    bresp_d   = bresp_q;
    bvalid_d  = bvalid_q;
    if (s_axil_awvalid_i && !aw_full_q) aw_full_d = 1'b1;
    if (s_axil_wvalid_i && !w_full_q) w_full_d = 1'b1;

    unique case (w_state_q)
      StCollect: begin
        if (aw_full_q && w_full_q) w_state_d = StDecode;
      end
      StDecode: begin
        w_sel_d = decode(aw_addr_q);
        if (w_sel_d == '0) begin
          bvalid_d  = 1'b1;
          bresp_d   = RespDecErr;
          w_state_d = StRespond;
        end else begin
          awvalid_d = w_sel_d;
          wvalid_d  = w_sel_d;
          w_state_d = StIssue;
        end
      end
      StIssue: begin
        // Both halves taken by the slave: wait for its response.
        if (awvalid_d == '0 && wvalid_d == '0) begin
          bready_d  = w_sel_q;
          w_state_d = StWait;
        end
      end
      StWait: begin
        if ((m_axil_bvalid_i & bready_q) != '0) begin
          bready_d  = '0;
          bvalid_d  = 1'b1;
          bresp_d   = b_sel_resp;
          w_state_d = StRespond;
        end
      end
      StRespond: begin
        if (s_axil_bready_i) begin
          bvalid_d  = 1'b0;
          aw_full_d = 1'b0;
          w_full_d  = 1'b0;
          w_state_d = StCollect;
        end
      end
      default: w_state_d = StCollect;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      w_state_q <= StCollect;
      aw_full_q <= 1'b0;
      w_full_q  <= 1'b0;
      awvalid_q <= '0;
      wvalid_q  <= '0;
      bready_q  <= '0;
      bvalid_q  <= 1'b0;
    end else begin
      w_state_q <= w_state_d;
      aw_full_q <= aw_full_d;
      w_full_q  <= w_full_d;
      awvalid_q <= awvalid_d;
      wvalid_q  <= wvalid_d;
      bready_q  <= bready_d;
      bvalid_q  <= bvalid_d;
    end
  end

  // Payload registers: loaded when their half is taken, meaningful while held.
  always_ff @(posedge clk_i) begin
    if (s_axil_awvalid_i && !aw_full_q) begin
      aw_addr_q <= s_axil_awaddr_i;
      aw_prot_q <= s_axil_awprot_i;
    end
    if (s_axil_wvalid_i && !w_full_q) begin
      w_data_q <= s_axil_wdata_i;
      w_strb_q <= s_axil_wstrb_i;
    end
    w_sel_q <= w_sel_d;
    bresp_q <= bresp_d;
  end

  // ======================================================================================
  // Reads
  // ======================================================================================
  state_e                 r_state_q, r_state_d;
  logic                   ar_full_q, ar_full_d;
  logic [31:0]            ar_addr_q;
  logic [2:0]             ar_prot_q;
  logic [NumSlaves-1:0]   r_sel_q, r_sel_d;
  logic [NumSlaves-1:0]   arvalid_q, arvalid_d, rready_q, rready_d;
  logic [31:0]            rdata_q, rdata_d, r_sel_data;
  logic [1:0]             rresp_q, rresp_d, r_sel_resp;
  logic                   rvalid_q, rvalid_d;

  assign s_axil_arready_o = !ar_full_q;
  assign s_axil_rvalid_o  = rvalid_q;
  assign s_axil_rdata_o   = rdata_q;
  assign s_axil_rresp_o   = rresp_q;
  assign m_axil_araddr_o  = ar_addr_q;
  assign m_axil_arprot_o  = ar_prot_q;
  assign m_axil_arvalid_o = arvalid_q;
  assign m_axil_rready_o  = rready_q;

  always_comb begin
    r_sel_data = '0;
    r_sel_resp = '0;
    for (int unsigned k = 0; k < NumSlaves; k++) begin
      r_sel_data = r_sel_data | (m_axil_rdata_i[32*k +: 32] & {32{r_sel_q[k]}});
      r_sel_resp = r_sel_resp | (m_axil_rresp_i[2*k +: 2] & {2{r_sel_q[k]}});
    end
  end

  always_comb begin
    r_state_d = r_state_q;
    ar_full_d = ar_full_q;
    r_sel_d   = r_sel_q;
    arvalid_d = arvalid_q & ~m_axil_arready_i;
    rready_d  = rready_q;
    rdata_d   = rdata_q;
    rresp_d   = rresp_q;
    rvalid_d  = rvalid_q;
    if (s_axil_arvalid_i && !ar_full_q) ar_full_d = 1'b1;

    unique case (r_state_q)
      StCollect: begin
        if (ar_full_q) r_state_d = StDecode;
      end
      StDecode: begin
        r_sel_d = decode(ar_addr_q);
        if (r_sel_d == '0) begin
          rvalid_d  = 1'b1;
          rdata_d   = '0;
          rresp_d   = RespDecErr;
          r_state_d = StRespond;
        end else begin
          arvalid_d = r_sel_d;
          r_state_d = StIssue;
        end
      end
      StIssue: begin
        if (arvalid_d == '0) begin
          rready_d  = r_sel_q;
          r_state_d = StWait;
        end
      end
      StWait: begin
        if ((m_axil_rvalid_i & rready_q) != '0) begin
          rready_d  = '0;
          rvalid_d  = 1'b1;
          rdata_d   = r_sel_data;
          rresp_d   = r_sel_resp;
          r_state_d = StRespond;
        end
      end
      StRespond: begin
        if (s_axil_rready_i) begin
          rvalid_d  = 1'b0;
          ar_full_d = 1'b0;
          r_state_d = StCollect;
        end
      end
      default: r_state_d = StCollect;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      r_state_q <= StCollect;
      ar_full_q <= 1'b0;
      arvalid_q <= '0;
      rready_q  <= '0;
      rvalid_q  <= 1'b0;
    end else begin
      r_state_q <= r_state_d;
      ar_full_q <= ar_full_d;
      arvalid_q <= arvalid_d;
      rready_q  <= rready_d;
      rvalid_q  <= rvalid_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (s_axil_arvalid_i && !ar_full_q) begin
      ar_addr_q <= s_axil_araddr_i;
      ar_prot_q <= s_axil_arprot_i;
    end
    r_sel_q <= r_sel_d;
    rdata_q <= rdata_d;
    rresp_q <= rresp_d;
  end

  assign idle_o = !aw_full_q && !w_full_q && !ar_full_q;

endmodule
