// nic_axi_rd_arb: NumClients AXI4 read masters share the card's one AXI4 read channel.
//
// Read requests are granted round-robin, one per cycle at most, and each grant is written
// into a FIFO (the client's number) in the order the requests go out.  The bus answers reads
// in order (one ID), so the FIFO's head always names the client the next R beat belongs to;
// the head is popped on a burst's last beat.  The FIFO holds MaxOutstanding grants: with that
// many bursts in flight, no further request goes out until a burst has completed.
//
// Every ready the arbiter drives is a register: each client's AR enters through a skid buffer,
// the AR toward the bus is a register, and R enters through a skid buffer whose output is
// steered to the head client (all clients see the same rdata/rresp/rlast, only the head's
// rvalid is raised).  A request goes out only when the FIFO has room for its grant, and its
// grant is pushed when the bus takes it, so an R beat can never arrive before its owner is
// known (the FIFO head follows a push by two cycles; the bus answers a read no sooner than
// the cycle after it was taken, and the beat then waits a cycle in the skid buffer).
module nic_axi_rd_arb #(
  parameter int unsigned NumClients = 2,
  parameter int unsigned AddrWidth = 64,
  parameter int unsigned DataWidth = 512,
  // Read bursts outstanding at once (a power of two of at least 2).
  parameter int unsigned MaxOutstanding = 256
) (
  input  logic                            clk_i,
  input  logic                            rst_i,

  // ---- Clients: AR per client, packed (client i in [i*W +: W])
  input  logic [NumClients*AddrWidth-1:0] s_axi_araddr_i,
  input  logic [NumClients*8-1:0]         s_axi_arlen_i,
  input  logic [NumClients-1:0]           s_axi_arvalid_i,
  output logic [NumClients-1:0]           s_axi_arready_o,
  // R: one payload for every client, valid and ready per client
  output logic [DataWidth-1:0]            s_axi_rdata_o,
  output logic [1:0]                      s_axi_rresp_o,
  output logic                            s_axi_rlast_o,
  output logic [NumClients-1:0]           s_axi_rvalid_o,
  input  logic [NumClients-1:0]           s_axi_rready_i,

  // ---- The shared bus
  output logic [AddrWidth-1:0]            m_axi_araddr_o,
  output logic [7:0]                      m_axi_arlen_o,
  output logic                            m_axi_arvalid_o,
  input  logic                            m_axi_arready_i,
  input  logic [DataWidth-1:0]            m_axi_rdata_i,
  input  logic [1:0]                      m_axi_rresp_i,
  input  logic                            m_axi_rlast_i,
  input  logic                            m_axi_rvalid_i,
  output logic                            m_axi_rready_o,

  // ---- Nothing held and no burst outstanding
  output logic                            idle_o
);

  localparam int unsigned IdW = (NumClients > 1) ? $clog2(NumClients) : 1;
  localparam int unsigned ArW = AddrWidth + 8;
  localparam int unsigned RW = DataWidth + 3;

  if (NumClients < 1 || MaxOutstanding < 2 || (MaxOutstanding & (MaxOutstanding - 1)) != 0)
  begin : g_bad_params
    $fatal(1, "nic_axi_rd_arb: NumClients >= 1 and MaxOutstanding a power of two >= 2");
  end

  // ---- Requests: a skid buffer per client, then the round-robin pick.
  logic [NumClients-1:0]     req_valid, req_ready;
  logic [NumClients*ArW-1:0] req_data;

  for (genvar i = 0; i < NumClients; i++) begin : g_client
    nic_skid_buffer #(.Width(ArW)) u_ar_skid (
      .clk_i,
      .rst_i,
      .s_valid_i(s_axi_arvalid_i[i]),
      .s_ready_o(s_axi_arready_o[i]),
      .s_data_i ({s_axi_arlen_i[8*i +: 8], s_axi_araddr_i[AddrWidth*i +: AddrWidth]}),
      .m_valid_o(req_valid[i]),
      .m_ready_i(req_ready[i]),
      .m_data_o (req_data[ArW*i +: ArW])
    );
  end

  logic                  ar_valid_q;
  logic [ArW-1:0]        ar_data_q;
  logic [IdW-1:0]        ar_id_q;
  logic [NumClients-1:0] last_q;     // one-hot: the client granted last
  logic [NumClients-1:0] grant;      // one-hot
  logic                  load;
  logic [ArW-1:0]        grant_data;
  logic [IdW-1:0]        grant_id;
  logic                  fifo_in_ready;

  nic_rr_pick #(.Num(NumClients)) u_pick (
    .req_i (req_valid),
    .last_i(last_q),
    .gnt_o (grant)
  );

  // The output register takes a new request when it is empty or being emptied.
  assign load      = (!ar_valid_q || (m_axi_arvalid_o && m_axi_arready_i)) && (req_valid != '0);
  assign req_ready = grant & {NumClients{load}};

  always_comb begin
    grant_data = '0;
    grant_id   = '0;
    for (int unsigned i = 0; i < NumClients; i++) begin
      grant_data = grant_data | (req_data[ArW*i +: ArW] & {ArW{grant[i]}});
      grant_id   = grant_id | (IdW'(i) & {IdW{grant[i]}});
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ar_valid_q <= 1'b0;
      last_q     <= '0;
    end else begin
      if (load) begin
        ar_valid_q <= 1'b1;
        last_q     <= grant;
      end else if (m_axi_arvalid_o && m_axi_arready_i) begin
        ar_valid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (load) begin
      ar_data_q <= grant_data;
      ar_id_q   <= grant_id;
    end
  end

  // The request is offered only while its grant fits in the FIFO; the FIFO fills only here,
  // so valid, once raised, stays up until the bus takes the request.
  assign m_axi_arvalid_o = ar_valid_q && fifo_in_ready;
  assign m_axi_araddr_o  = ar_data_q[AddrWidth-1:0];
  assign m_axi_arlen_o   = ar_data_q[AddrWidth +: 8];

  // ---- Grants in issue order.
  logic           head_valid, head_pop;
  logic [IdW-1:0] head_id;
  logic [$clog2(MaxOutstanding):0] fifo_level;

  nic_fifo #(.Width(IdW), .Depth(MaxOutstanding)) u_grants (
    .clk_i,
    .rst_i,
    .s_valid_i(m_axi_arvalid_o && m_axi_arready_i),
    .s_ready_o(fifo_in_ready),
    .s_data_i (ar_id_q),
    .m_valid_o(head_valid),
    .m_ready_i(head_pop),
    .m_data_o (head_id),
    .level_o  (fifo_level)
  );

  // ---- Responses: a skid buffer, then to the head client.
  logic          r_valid, r_ready;
  logic [RW-1:0] r_data;

  nic_skid_buffer #(.Width(RW)) u_r_skid (
    .clk_i,
    .rst_i,
    .s_valid_i(m_axi_rvalid_i),
    .s_ready_o(m_axi_rready_o),
    .s_data_i ({m_axi_rlast_i, m_axi_rresp_i, m_axi_rdata_i}),
    .m_valid_o(r_valid),
    .m_ready_i(r_ready),
    .m_data_o (r_data)
  );

  logic [NumClients-1:0] head_onehot;
  always_comb begin
    for (int unsigned i = 0; i < NumClients; i++) begin
      head_onehot[i] = head_valid && head_id == IdW'(i);
    end
  end

  assign s_axi_rdata_o  = r_data[DataWidth-1:0];
  assign s_axi_rresp_o  = r_data[DataWidth +: 2];
  assign s_axi_rlast_o  = r_data[DataWidth+2];
  assign s_axi_rvalid_o = head_onehot & {NumClients{r_valid}};
  assign r_ready        = (head_onehot & s_axi_rready_i) != '0;
  assign head_pop       = r_valid && r_ready && s_axi_rlast_o;

  assign idle_o = (req_valid == '0) && !ar_valid_q && (fifo_level == '0) && !r_valid;

endmodule
