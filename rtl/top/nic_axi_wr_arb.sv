// nic_axi_wr_arb: NumClients AXI4 write masters share the card's one AXI4 write channel.
//
// Write requests (AW) are granted round-robin.  With one ID, AXI requires the W beats to
// follow in AW order, so when the bus takes an AW its client's number goes into two FIFOs:
// the W FIFO, whose head is the client whose beats may pass (popped on wlast), and the B
// FIFO, whose head owns the next response (the bus answers in order; popped on each B).  A
// burst's W beats therefore never reach the bus before its AW, which keeps slaves that wait
// for the address simple.  The FIFOs hold MaxOutstanding grants: with that many bursts
// unanswered, no further AW goes out until a response has come back.
//
// Each client's W beats are taken into a buffer of their own (WBufDepth beats) whether or not
// their AW has been granted yet, and leave it when their burst's turn comes.  A burst's turn
// comes about five cycles after its client offers the AW (the AW's skid buffer, the request
// register, the W FIFO's two-cycle latency), and the DMA clients offer a burst's AW together
// with its first W beat from two-entry skid buffers: without the buffer a client could have
// only two beats on their way per five cycles, so short bursts (a transmit completion, a
// 64-byte receive frame) went at one every three cycles.  With it, AWs run ahead of their data
// and single-beat bursts pass at one a cycle.  A client may fill its buffer with beats of
// bursts not yet granted without blocking anyone: its beats leave in its own burst order, so
// the head beat always belongs to its oldest burst, granted first.
//
// Every ready the arbiter drives is a register, or a function of registers only: each
// client's AW enters through a skid buffer, the AW toward the bus is a register, a client's
// wready is its W buffer's not-full (a compare of its pointers), W passes through a skid
// buffer toward the bus, and B enters through a skid buffer steered to the B FIFO's head
// client.
module nic_axi_wr_arb #(
  parameter int unsigned NumClients = 2,
  parameter int unsigned AddrWidth = 64,
  parameter int unsigned DataWidth = 512,
  // Write bursts outstanding at once (a power of two of at least 2).
  parameter int unsigned MaxOutstanding = 64,
  // W beats each client may have waiting for their burst's turn (a power of two of at least
  // 2); it must cover the cycles from a client's AW to its turn (about five) for one-beat
  // bursts to pass at one a cycle.
  parameter int unsigned WBufDepth = 16
) (
  input  logic                                clk_i,
  input  logic                                rst_i,

  // ---- Clients, packed (client i in [i*W +: W])
  input  logic [NumClients*AddrWidth-1:0]     s_axi_awaddr_i,
  input  logic [NumClients*8-1:0]             s_axi_awlen_i,
  input  logic [NumClients-1:0]               s_axi_awvalid_i,
  output logic [NumClients-1:0]               s_axi_awready_o,
  input  logic [NumClients*DataWidth-1:0]     s_axi_wdata_i,
  input  logic [NumClients*DataWidth/8-1:0]   s_axi_wstrb_i,
  input  logic [NumClients-1:0]               s_axi_wlast_i,
  input  logic [NumClients-1:0]               s_axi_wvalid_i,
  output logic [NumClients-1:0]               s_axi_wready_o,
  // B: one payload for every client, valid and ready per client
  output logic [1:0]                          s_axi_bresp_o,
  output logic [NumClients-1:0]               s_axi_bvalid_o,
  input  logic [NumClients-1:0]               s_axi_bready_i,

  // ---- The shared bus
  output logic [AddrWidth-1:0]                m_axi_awaddr_o,
  output logic [7:0]                          m_axi_awlen_o,
  output logic                                m_axi_awvalid_o,
  input  logic                                m_axi_awready_i,
  output logic [DataWidth-1:0]                m_axi_wdata_o,
  output logic [DataWidth/8-1:0]              m_axi_wstrb_o,
  output logic                                m_axi_wlast_o,
  output logic                                m_axi_wvalid_o,
  input  logic                                m_axi_wready_i,
  input  logic [1:0]                          m_axi_bresp_i,
  input  logic                                m_axi_bvalid_i,
  output logic                                m_axi_bready_o,

  // ---- Nothing held and no burst outstanding
  output logic                                idle_o
);

  localparam int unsigned IdW = (NumClients > 1) ? $clog2(NumClients) : 1;
  localparam int unsigned AwW = AddrWidth + 8;
  localparam int unsigned StrbW = DataWidth / 8;
  localparam int unsigned WW = DataWidth + StrbW + 1;
  localparam int unsigned LevelW = $clog2(MaxOutstanding) + 1;

  if (NumClients < 1 || MaxOutstanding < 2 || (MaxOutstanding & (MaxOutstanding - 1)) != 0 ||
      WBufDepth < 2 || (WBufDepth & (WBufDepth - 1)) != 0)
  begin : g_bad_params
    $fatal(1, "nic_axi_wr_arb: NumClients >= 1, MaxOutstanding and WBufDepth powers of two >= 2");
  end

  // ---- Requests: a skid buffer per client, then the round-robin pick.
  logic [NumClients-1:0]     req_valid, req_ready;
  logic [NumClients*AwW-1:0] req_data;

  for (genvar i = 0; i < NumClients; i++) begin : g_client
    nic_skid_buffer #(.Width(AwW)) u_aw_skid (
      .clk_i,
      .rst_i,
      .s_valid_i(s_axi_awvalid_i[i]),
      .s_ready_o(s_axi_awready_o[i]),
      .s_data_i ({s_axi_awlen_i[8*i +: 8], s_axi_awaddr_i[AddrWidth*i +: AddrWidth]}),
      .m_valid_o(req_valid[i]),
      .m_ready_i(req_ready[i]),
      .m_data_o (req_data[AwW*i +: AwW])
    );
  end

  logic                  aw_valid_q;
  logic [AwW-1:0]        aw_data_q;
  logic [IdW-1:0]        aw_id_q;
  logic [NumClients-1:0] last_q;
  logic [NumClients-1:0] grant;
  logic                  load, aw_fire;
  logic [AwW-1:0]        grant_data;
  logic [IdW-1:0]        grant_id;
  logic                  wq_in_ready, bq_in_ready;

  nic_rr_pick #(.Num(NumClients)) u_pick (
    .req_i (req_valid),
    .last_i(last_q),
    .gnt_o (grant)
  );

  assign aw_fire   = m_axi_awvalid_o && m_axi_awready_i;
  assign load      = (!aw_valid_q || aw_fire) && (req_valid != '0);
  assign req_ready = grant & {NumClients{load}};

  always_comb begin
    grant_data = '0;
    grant_id   = '0;
    for (int unsigned i = 0; i < NumClients; i++) begin
      grant_data = grant_data | (req_data[AwW*i +: AwW] & {AwW{grant[i]}});
      grant_id   = grant_id | (IdW'(i) & {IdW{grant[i]}});
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      aw_valid_q <= 1'b0;
      last_q     <= '0;
    end else begin
      if (load) begin
        aw_valid_q <= 1'b1;
        last_q     <= grant;
      end else if (aw_fire) begin
        aw_valid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (load) begin
      aw_data_q <= grant_data;
      aw_id_q   <= grant_id;
    end
  end

  // Offered only while both FIFOs can take its grant; they fill only here, so valid, once
  // raised, stays up until the bus takes the request.
  assign m_axi_awvalid_o = aw_valid_q && wq_in_ready && bq_in_ready;
  assign m_axi_awaddr_o  = aw_data_q[AddrWidth-1:0];
  assign m_axi_awlen_o   = aw_data_q[AddrWidth +: 8];

  // ---- Grants in AW order: whose W beats pass, whose B comes next.
  logic           wq_valid, wq_pop, bq_valid, bq_pop;
  logic [IdW-1:0] wq_id, bq_id;
  logic [LevelW-1:0] wq_level, bq_level;

  nic_fifo #(.Width(IdW), .Depth(MaxOutstanding)) u_w_order (
    .clk_i,
    .rst_i,
    .s_valid_i(aw_fire),
    .s_ready_o(wq_in_ready),
    .s_data_i (aw_id_q),
    .m_valid_o(wq_valid),
    .m_ready_i(wq_pop),
    .m_data_o (wq_id),
    .level_o  (wq_level)
  );

  nic_fifo #(.Width(IdW), .Depth(MaxOutstanding)) u_b_order (
    .clk_i,
    .rst_i,
    .s_valid_i(aw_fire),
    .s_ready_o(bq_in_ready),
    .s_data_i (aw_id_q),
    .m_valid_o(bq_valid),
    .m_ready_i(bq_pop),
    .m_data_o (bq_id),
    .level_o  (bq_level)
  );

  // ---- W: each client's beats into its buffer; the W FIFO head's beats out of theirs,
  // through a skid buffer to the bus.
  logic [NumClients-1:0]    w_turn, wb_valid, wb_pop;
  logic [NumClients*WW-1:0] wb_data;
  logic [NumClients-1:0]    wb_empty;
  logic                     w_in_valid, w_in_ready, w_out_valid;
  logic [WW-1:0]            w_in_data, w_out_data;

  for (genvar i = 0; i < NumClients; i++) begin : g_wbuf
    logic [$clog2(WBufDepth):0] level;

    nic_fifo #(.Width(WW), .Depth(WBufDepth)) u_w_buf (
      .clk_i,
      .rst_i,
      .s_valid_i(s_axi_wvalid_i[i]),
      .s_ready_o(s_axi_wready_o[i]),
      .s_data_i ({s_axi_wlast_i[i], s_axi_wstrb_i[StrbW*i +: StrbW],
                  s_axi_wdata_i[DataWidth*i +: DataWidth]}),
      .m_valid_o(wb_valid[i]),
      .m_ready_i(wb_pop[i]),
      .m_data_o (wb_data[WW*i +: WW]),
      .level_o  (level)
    );
    assign wb_empty[i] = level == '0;
  end

  always_comb begin
    w_in_data = '0;
    for (int unsigned i = 0; i < NumClients; i++) begin
      w_turn[i] = wq_valid && wq_id == IdW'(i);
      w_in_data = w_in_data | (wb_data[WW*i +: WW] & {WW{w_turn[i]}});
    end
  end

  assign w_in_valid = (w_turn & wb_valid) != '0;
  assign wb_pop     = w_turn & {NumClients{w_in_ready}};
  assign wq_pop     = w_in_valid && w_in_ready && w_in_data[WW-1];

  nic_skid_buffer #(.Width(WW)) u_w_skid (
    .clk_i,
    .rst_i,
    .s_valid_i(w_in_valid),
    .s_ready_o(w_in_ready),
    .s_data_i (w_in_data),
    .m_valid_o(w_out_valid),
    .m_ready_i(m_axi_wready_i),
    .m_data_o (w_out_data)
  );

  assign m_axi_wvalid_o = w_out_valid;
  assign m_axi_wdata_o  = w_out_data[DataWidth-1:0];
  assign m_axi_wstrb_o  = w_out_data[DataWidth +: StrbW];
  assign m_axi_wlast_o  = w_out_data[WW-1];

  // ---- B: a skid buffer, then to the B FIFO's head client.
  logic       b_valid, b_ready;
  logic [1:0] b_resp;

  nic_skid_buffer #(.Width(2)) u_b_skid (
    .clk_i,
    .rst_i,
    .s_valid_i(m_axi_bvalid_i),
    .s_ready_o(m_axi_bready_o),
    .s_data_i (m_axi_bresp_i),
    .m_valid_o(b_valid),
    .m_ready_i(b_ready),
    .m_data_o (b_resp)
  );

  logic [NumClients-1:0] b_turn;
  always_comb begin
    for (int unsigned i = 0; i < NumClients; i++) begin
      b_turn[i] = bq_valid && bq_id == IdW'(i);
    end
  end

  assign s_axi_bresp_o  = b_resp;
  assign s_axi_bvalid_o = b_turn & {NumClients{b_valid}};
  assign b_ready        = (b_turn & s_axi_bready_i) != '0;
  assign bq_pop         = b_valid && b_ready;

  // The B FIFO empties last (a burst's response follows its data), so it alone says whether
  // anything is outstanding; the W FIFO's level is only for the waveform.
  logic unused_level;
  assign unused_level = ^wq_level;

  assign idle_o = (req_valid == '0) && !aw_valid_q && (bq_level == '0) && !w_out_valid &&
                  !b_valid && (wb_empty == '1);

endmodule
