// nic_tx_rd_mux: the transmit path's AXI4 read channel, shared by descriptor fetches and
// buffer reads.
//
// Two requesters (descriptor batches, buffer bursts) share the AR channel, descriptor fetches
// first: they are few, and a queue with no descriptors stalls everything behind it.  Every
// read uses one AXI ID, so the answers come back in request order; a tracking FIFO keeps, per
// outstanding burst, who asked for it and the requester's tag (which queue, which bytes to
// keep), and the R beats go to the requester at its head.  The FIFO is a block-RAM nic_fifo,
// deep enough for the bursts a ~150-cycle host read latency needs in flight at line rate
// (64-byte frames are one burst each); AR stops when it is full.  R comes in through a skid
// buffer, so m_axi_rready_o is a register.
module nic_tx_rd_mux #(
  // AXI data width in bits (64..512).
  parameter int unsigned DataWidth = 512,
  // Tag bits carried for a descriptor read and for a data read.
  parameter int unsigned DescTagW = 8,
  parameter int unsigned DataTagW = 20,
  // Bursts that may be outstanding at once (a power of two).
  parameter int unsigned TrackDepth = 256
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Descriptor fetch requests (beats - 1 in len)
  input  logic                   dreq_valid_i,
  output logic                   dreq_ready_o,
  input  logic [63:0]            dreq_addr_i,
  input  logic [7:0]             dreq_len_i,
  input  logic [DescTagW-1:0]    dreq_tag_i,

  // ---- Buffer read requests
  input  logic                   xreq_valid_i,
  output logic                   xreq_ready_o,
  input  logic [63:0]            xreq_addr_i,
  input  logic [7:0]             xreq_len_i,
  input  logic [DataTagW-1:0]    xreq_tag_i,

  // ---- AXI4 read master
  output logic [63:0]            m_axi_araddr_o,
  output logic [7:0]             m_axi_arlen_o,
  output logic                   m_axi_arvalid_o,
  input  logic                   m_axi_arready_i,
  input  logic [DataWidth-1:0]   m_axi_rdata_i,
  input  logic [1:0]             m_axi_rresp_i,
  input  logic                   m_axi_rlast_i,
  input  logic                   m_axi_rvalid_i,
  output logic                   m_axi_rready_o,

  // ---- Descriptor read beats, with their request's tag; err: answered with an error
  output logic                   drd_valid_o,
  input  logic                   drd_ready_i,
  output logic [DataWidth-1:0]   drd_data_o,
  output logic                   drd_err_o,
  output logic                   drd_last_o,
  output logic [DescTagW-1:0]    drd_tag_o,

  // ---- Buffer read beats
  output logic                   xrd_valid_o,
  input  logic                   xrd_ready_i,
  output logic [DataWidth-1:0]   xrd_data_o,
  output logic                   xrd_err_o,
  output logic                   xrd_last_o,
  output logic [DataTagW-1:0]    xrd_tag_o,

  // ---- Status
  output logic                   rd_err_o,   // pulse: a burst was answered with an error
  output logic                   idle_o      // no read outstanding
);

  localparam int unsigned TagW = (DescTagW > DataTagW) ? DescTagW : DataTagW;
  localparam int unsigned TrkW = 1 + TagW;   // {is_desc, tag}

  // ---- AR: arbitration, tracking entry, output register --------------------------------
  logic trk_ready, ar_ready, accept, pick_desc;
  assign pick_desc    = dreq_valid_i;
  assign accept       = (dreq_valid_i || xreq_valid_i) && trk_ready && ar_ready;
  assign dreq_ready_o = trk_ready && ar_ready;
  assign xreq_ready_o = trk_ready && ar_ready && !dreq_valid_i;

  logic [TrkW-1:0] trk_in;
  assign trk_in = pick_desc ? {1'b1, TagW'(dreq_tag_i)} : {1'b0, TagW'(xreq_tag_i)};

  nic_skid_buffer #(.Width(64 + 8)) u_ar (
    .clk_i,
    .rst_i,
    .s_valid_i (accept),
    .s_ready_o (ar_ready),
    .s_data_i  (pick_desc ? {dreq_addr_i, dreq_len_i} : {xreq_addr_i, xreq_len_i}),
    .m_valid_o (m_axi_arvalid_o),
    .m_ready_i (m_axi_arready_i),
    .m_data_o  ({m_axi_araddr_o, m_axi_arlen_o})
  );

  logic                       trk_valid, trk_pop;
  logic [TrkW-1:0]            trk_head;
  logic [$clog2(TrackDepth):0] unused_trk_level;

  nic_fifo #(.Width(TrkW), .Depth(TrackDepth)) u_track (
    .clk_i,
    .rst_i,
    .s_valid_i (accept),
    .s_ready_o (trk_ready),
    .s_data_i  (trk_in),
    .m_valid_o (trk_valid),
    .m_ready_i (trk_pop),
    .m_data_o  (trk_head),
    .level_o   (unused_trk_level)
  );

  // ---- R: skid buffer, then to the requester at the head of the tracking FIFO -----------
  logic                 r_valid, r_ready, r_last;
  logic [DataWidth-1:0] r_data;
  logic [1:0]           r_resp;

  nic_skid_buffer #(.Width(DataWidth + 2 + 1)) u_r (
    .clk_i,
    .rst_i,
    .s_valid_i (m_axi_rvalid_i),
    .s_ready_o (m_axi_rready_o),
    .s_data_i  ({m_axi_rdata_i, m_axi_rresp_i, m_axi_rlast_i}),
    .m_valid_o (r_valid),
    .m_ready_i (r_ready),
    .m_data_o  ({r_data, r_resp, r_last})
  );

  logic is_desc, r_fire, r_err;
  assign is_desc = trk_head[TrkW-1];
  assign r_err   = r_resp != 2'b00;
  assign r_ready = trk_valid && (is_desc ? drd_ready_i : xrd_ready_i);
  assign r_fire  = r_valid && r_ready;
  assign trk_pop = r_fire && r_last;

  assign drd_valid_o = r_valid && trk_valid && is_desc;
  assign drd_data_o  = r_data;
  assign drd_err_o   = r_err;
  assign drd_last_o  = r_last;
  assign drd_tag_o   = trk_head[DescTagW-1:0];
  assign xrd_valid_o = r_valid && trk_valid && !is_desc;
  assign xrd_data_o  = r_data;
  assign xrd_err_o   = r_err;
  assign xrd_last_o  = r_last;
  assign xrd_tag_o   = trk_head[DataTagW-1:0];

  // One error event per burst, however many of its beats carried an error.
  logic burst_err_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      burst_err_q <= 1'b0;
      rd_err_o    <= 1'b0;
    end else begin
      rd_err_o <= r_fire && r_last && (burst_err_q || r_err);
      if (r_fire) burst_err_q <= !r_last && (burst_err_q || r_err);
    end
  end

  // Entries of the tracking FIFO show at its output within two cycles (nic_tx_path waits for 16
  // idle cycles in a row).
  assign idle_o = !trk_valid;

endmodule
