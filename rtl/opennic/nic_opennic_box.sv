// nic_opennic_box: the offload pipeline as the user logic of OpenNIC shell's box_250mhz.
//
// Transmit: frames from the host (QDMA H2C) start with a 32-byte metadata header holding the
// frame's tx_offload_cmd (opennic_tx_meta, hw/nic.toml); nic_opennic_strip takes it off and
// hands frame and command to nic_tx_offload (segmentation, then checksums); each frame or
// segment is then stored whole (nic_opennic_frame_buf) so that it leaves toward the packet
// adapter with tuser_size, its exact length, on every beat from the first, as the shell
// requires.  Receive: frames from the packet adapter go through nic_csum_rx, are stored whole
// (the verdict is known at the frame's end), and leave toward the host (QDMA C2H) behind a
// 32-byte receive header holding the verdict, with tuser_size covering header and frame.
//
// Port names are OpenNIC's (box_250mhz's user plugin instance), one QDMA function and one
// CMAC port per instance: a box with two ports instantiates this twice.  There are no
// registers (the shell's AXI4-Lite window is left to the plugin wrapper); the event outputs
// are one-cycle pulses for counters there.  Reset: synchronous, active high, in the
// axis_aclk domain (the wrapper makes it from mod_rstn).  The incoming tuser_size/src/dst are
// not needed: lengths come from tkeep and tlast, routes from the parameters.
module nic_opennic_box #(
  // The CMAC port (0 or 1) and the PCIe physical function (0 to 3) this instance serves:
  // tuser_src/dst in OpenNIC's format, bits [15:6] one-hot MAC ports, [3:0] one-hot functions.
  parameter int unsigned MacPort = 0,
  parameter int unsigned PhysFunc = 0,
  // The segmenter's limits (nic_tso).
  parameter int unsigned MaxHdrBytes = 256,
  parameter int unsigned MaxMss = 9216,
  // Beats each way that a stored frame may take (a power of two): 256 beats are 16 KiB, room
  // for the longest segment (MaxHdrBytes + MaxMss) and OpenNIC's largest frame (9600 bytes).
  parameter int unsigned FrameBufBeats = 256
) (
  input  logic          clk_i,
  input  logic          rst_i,

  // ---- Host to card (QDMA H2C): metadata header, then the frame
  input  logic          s_axis_qdma_h2c_tvalid,
  input  logic [511:0]  s_axis_qdma_h2c_tdata,
  input  logic [63:0]   s_axis_qdma_h2c_tkeep,
  input  logic          s_axis_qdma_h2c_tlast,
  input  logic [15:0]   s_axis_qdma_h2c_tuser_size,
  input  logic [15:0]   s_axis_qdma_h2c_tuser_src,
  input  logic [15:0]   s_axis_qdma_h2c_tuser_dst,
  output logic          s_axis_qdma_h2c_tready,

  // ---- Card to wire (packet adapter TX): frames and segments with their checksums
  output logic          m_axis_adap_tx_250mhz_tvalid,
  output logic [511:0]  m_axis_adap_tx_250mhz_tdata,
  output logic [63:0]   m_axis_adap_tx_250mhz_tkeep,
  output logic          m_axis_adap_tx_250mhz_tlast,
  output logic [15:0]   m_axis_adap_tx_250mhz_tuser_size,
  output logic [15:0]   m_axis_adap_tx_250mhz_tuser_src,
  output logic [15:0]   m_axis_adap_tx_250mhz_tuser_dst,
  input  logic          m_axis_adap_tx_250mhz_tready,

  // ---- Wire to card (packet adapter RX)
  input  logic          s_axis_adap_rx_250mhz_tvalid,
  input  logic [511:0]  s_axis_adap_rx_250mhz_tdata,
  input  logic [63:0]   s_axis_adap_rx_250mhz_tkeep,
  input  logic          s_axis_adap_rx_250mhz_tlast,
  input  logic [15:0]   s_axis_adap_rx_250mhz_tuser_size,
  input  logic [15:0]   s_axis_adap_rx_250mhz_tuser_src,
  input  logic [15:0]   s_axis_adap_rx_250mhz_tuser_dst,
  output logic          s_axis_adap_rx_250mhz_tready,

  // ---- Card to host (QDMA C2H): receive header, then the frame
  output logic          m_axis_qdma_c2h_tvalid,
  output logic [511:0]  m_axis_qdma_c2h_tdata,
  output logic [63:0]   m_axis_qdma_c2h_tkeep,
  output logic          m_axis_qdma_c2h_tlast,
  output logic [15:0]   m_axis_qdma_c2h_tuser_size,
  output logic [15:0]   m_axis_qdma_c2h_tuser_src,
  output logic [15:0]   m_axis_qdma_c2h_tuser_dst,
  input  logic          m_axis_qdma_c2h_tready,

  // ---- Events, one-cycle pulses
  output logic          tx_meta_err_o,   // a host frame without a transmit header, dropped
  output logic          tx_seg_req_o,    // a segmentation request was accepted
  output logic          tx_seg_err_o,    // the segmenter refused a request
  output logic [3:0]    tx_seg_err_code_o,  // nic_hw_pkg::seg_err_e, with tx_seg_err_o
  output logic          tx_csum_err_o,   // a frame left with a tx_csum_status error bit
  output logic          tx_drop_o,       // a frame longer than FrameBufBeats, dropped
  output logic          rx_l3_bad_o,     // IPv4 header checksum checked and wrong
  output logic          rx_l4_bad_o,     // TCP/UDP checksum checked and wrong
  output logic          rx_drop_o        // a frame longer than FrameBufBeats, dropped
);

  localparam int unsigned W = 512;
  localparam int unsigned Bytes = W / 8;
  localparam logic [15:0] PortBit = 16'(1) << (6 + MacPort);
  localparam logic [15:0] FuncBit = 16'(1) << PhysFunc;

  if (MacPort > 1 || PhysFunc > 3) begin : g_bad_route
    $fatal(1, "nic_opennic_box: MacPort must be 0 or 1 and PhysFunc 0 to 3");
  end

  // Not needed (see above); named so the lint knows they are left on purpose.
  logic unused_in_user;
  assign unused_in_user = ^{s_axis_qdma_h2c_tuser_size, s_axis_qdma_h2c_tuser_src,
                            s_axis_qdma_h2c_tuser_dst, s_axis_adap_rx_250mhz_tuser_size,
                            s_axis_adap_rx_250mhz_tuser_src, s_axis_adap_rx_250mhz_tuser_dst};

  // ======================================================================================
  // Transmit: strip the header, offloads, store for tuser_size.
  // ======================================================================================
  logic [W-1:0]     st_data;
  logic [Bytes-1:0] st_keep;
  logic             st_last, st_valid, st_ready;
  logic [127:0]     st_cmd;

  nic_opennic_strip #(.DataWidth(W)) u_strip (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i  (s_axis_qdma_h2c_tdata),
    .s_axis_tkeep_i  (s_axis_qdma_h2c_tkeep),
    .s_axis_tlast_i  (s_axis_qdma_h2c_tlast),
    .s_axis_tvalid_i (s_axis_qdma_h2c_tvalid),
    .s_axis_tready_o (s_axis_qdma_h2c_tready),
    .m_axis_tdata_o  (st_data),
    .m_axis_tkeep_o  (st_keep),
    .m_axis_tlast_o  (st_last),
    .m_axis_tuser_o  (st_cmd),
    .m_axis_tvalid_o (st_valid),
    .m_axis_tready_i (st_ready),
    .bad_o           (tx_meta_err_o)
  );

  logic [W-1:0]     of_data;
  logic [Bytes-1:0] of_keep;
  logic             of_last, of_valid, of_ready;
  logic [7:0]       of_status;
  logic             unused_seg, unused_csum_frame, unused_done;
  logic [3:0]       unused_done_code;
  logic [15:0]      unused_done_segs;

  nic_tx_offload #(
    .DataWidth(W), .MaxHdrBytes(MaxHdrBytes), .MaxMss(MaxMss)
  ) u_offload (
    .clk_i,
    .rst_i,
    .csum_enable_i   (1'b1),
    .s_axis_tdata_i  (st_data),
    .s_axis_tkeep_i  (st_keep),
    .s_axis_tlast_i  (st_last),
    .s_axis_tuser_i  (st_cmd),
    .s_axis_tdrop_i  (1'b0),
    .s_axis_tvalid_i (st_valid),
    .s_axis_tready_o (st_ready),
    .m_axis_tdata_o  (of_data),
    .m_axis_tkeep_o  (of_keep),
    .m_axis_tlast_o  (of_last),
    .m_axis_tuser_o  (of_status),
    .m_axis_tvalid_o (of_valid),
    .m_axis_tready_i (of_ready),
    .seg_req_o       (tx_seg_req_o),
    .seg_o           (unused_seg),
    .seg_err_o       (tx_seg_err_o),
    .seg_err_code_o  (tx_seg_err_code_o),
    .csum_frame_o    (unused_csum_frame),
    .csum_error_o    (tx_csum_err_o),
    .done_o          (unused_done),
    .done_err_code_o (unused_done_code),
    .done_segs_o     (unused_done_segs)
  );

  // The checksum status is counted by tx_csum_err_o; the frame is sent whatever it says.
  logic [7:0] unused_status;
  assign unused_status = of_status;

  logic [W-1:0]     tb_data;
  logic [Bytes-1:0] tb_keep;
  logic             tb_last, tb_valid, tb_ready;
  logic [15:0]      tb_len;
  logic             unused_tb_meta;

  nic_opennic_frame_buf #(.DataWidth(W), .MetaWidth(1), .Depth(FrameBufBeats)) u_tx_buf (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i  (of_data),
    .s_axis_tkeep_i  (of_keep),
    .s_axis_tlast_i  (of_last),
    .s_axis_tmeta_i  (1'b0),
    .s_axis_tvalid_i (of_valid),
    .s_axis_tready_o (of_ready),
    .m_axis_tdata_o  (tb_data),
    .m_axis_tkeep_o  (tb_keep),
    .m_axis_tlast_o  (tb_last),
    .m_axis_tlen_o   (tb_len),
    .m_axis_tmeta_o  (unused_tb_meta),
    .m_axis_tvalid_o (tb_valid),
    .m_axis_tready_i (tb_ready),
    .dropped_o       (tx_drop_o)
  );

  // The output leaves through a register slice, so the shell's tready reaches no FIFO logic.
  nic_skid_buffer #(.Width(W + Bytes + 1 + 16)) u_tx_out (
    .clk_i,
    .rst_i,
    .s_valid_i (tb_valid),
    .s_ready_o (tb_ready),
    .s_data_i  ({tb_data, tb_keep, tb_last, tb_len}),
    .m_valid_o (m_axis_adap_tx_250mhz_tvalid),
    .m_ready_i (m_axis_adap_tx_250mhz_tready),
    .m_data_o  ({m_axis_adap_tx_250mhz_tdata, m_axis_adap_tx_250mhz_tkeep,
                 m_axis_adap_tx_250mhz_tlast, m_axis_adap_tx_250mhz_tuser_size})
  );
  // The route is the same for every frame.
  assign m_axis_adap_tx_250mhz_tuser_src = FuncBit;
  assign m_axis_adap_tx_250mhz_tuser_dst = PortBit;

  // ======================================================================================
  // Receive: verify, store until the verdict is known, put the header in front.
  // ======================================================================================
  logic [W-1:0]     cr_data;
  logic [Bytes-1:0] cr_keep;
  logic             cr_last, cr_valid, cr_ready;
  logic [63:0]      cr_result;
  logic             unused_rx_frame;

  nic_csum_rx #(.DataWidth(W)) u_csum_rx (
    .clk_i,
    .rst_i,
    .enable_i        (1'b1),
    .s_axis_tdata_i  (s_axis_adap_rx_250mhz_tdata),
    .s_axis_tkeep_i  (s_axis_adap_rx_250mhz_tkeep),
    .s_axis_tlast_i  (s_axis_adap_rx_250mhz_tlast),
    .s_axis_tvalid_i (s_axis_adap_rx_250mhz_tvalid),
    .s_axis_tready_o (s_axis_adap_rx_250mhz_tready),
    .m_axis_tdata_o  (cr_data),
    .m_axis_tkeep_o  (cr_keep),
    .m_axis_tlast_o  (cr_last),
    .m_axis_tuser_o  (cr_result),
    .m_axis_tvalid_o (cr_valid),
    .m_axis_tready_i (cr_ready),
    .frame_o         (unused_rx_frame),
    .l3_bad_o        (rx_l3_bad_o),
    .l4_bad_o        (rx_l4_bad_o)
  );

  logic [W-1:0]     rb_data;
  logic [Bytes-1:0] rb_keep;
  logic             rb_last, rb_valid, rb_ready;
  logic [15:0]      rb_len;
  logic [63:0]      rb_result;

  nic_opennic_frame_buf #(.DataWidth(W), .MetaWidth(64), .Depth(FrameBufBeats)) u_rx_buf (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i  (cr_data),
    .s_axis_tkeep_i  (cr_keep),
    .s_axis_tlast_i  (cr_last),
    .s_axis_tmeta_i  (cr_result),
    .s_axis_tvalid_i (cr_valid),
    .s_axis_tready_o (cr_ready),
    .m_axis_tdata_o  (rb_data),
    .m_axis_tkeep_o  (rb_keep),
    .m_axis_tlast_o  (rb_last),
    .m_axis_tlen_o   (rb_len),
    .m_axis_tmeta_o  (rb_result),
    .m_axis_tvalid_o (rb_valid),
    .m_axis_tready_i (rb_ready),
    .dropped_o       (rx_drop_o)
  );

  nic_opennic_prepend #(.DataWidth(W)) u_prepend (
    .clk_i,
    .rst_i,
    .s_axis_tdata_i   (rb_data),
    .s_axis_tkeep_i   (rb_keep),
    .s_axis_tlast_i   (rb_last),
    .s_axis_tlen_i    (rb_len),
    .s_axis_tresult_i (rb_result),
    .s_axis_tvalid_i  (rb_valid),
    .s_axis_tready_o  (rb_ready),
    .m_axis_tdata_o   (m_axis_qdma_c2h_tdata),
    .m_axis_tkeep_o   (m_axis_qdma_c2h_tkeep),
    .m_axis_tlast_o   (m_axis_qdma_c2h_tlast),
    .m_axis_tsize_o   (m_axis_qdma_c2h_tuser_size),
    .m_axis_tvalid_o  (m_axis_qdma_c2h_tvalid),
    .m_axis_tready_i  (m_axis_qdma_c2h_tready)
  );
  assign m_axis_qdma_c2h_tuser_src = PortBit;
  assign m_axis_qdma_c2h_tuser_dst = FuncBit;

endmodule
