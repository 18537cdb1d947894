// nic_csum_beat_sum: the 16-bit ones'-complement word sum of the selected bytes of one beat.
//
// Bytes at even lanes are the high halves of words, as on the wire (lane 0 is the first byte).
// The sum is not folded: up to 32 words of 0xFFFF need 21 bits.  The selected bytes are
// registered first, then a tree of two-input adders adds one level per register stage, so no
// stage holds more than one carry chain: short enough for 250 MHz on UltraScale+.  The latency
// is Latency (6) cycles at every width; narrower beats pass their last stages unchanged.
// `en_i` low holds every stage (a stalled pipeline).
module nic_csum_beat_sum #(
  // Beat width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512,
  // Cycles from data_i to sum_o; fixed, stated so that users can check their own delay lines.
  parameter int unsigned Latency = 6
) (
  input  logic                   clk_i,
  input  logic                   en_i,
  input  logic [DataWidth-1:0]   data_i,
  input  logic [DataWidth/8-1:0] mask_i,   // bytes to include
  output logic [21:0]            sum_o     // Latency cycles later
);

  localparam int unsigned Words = DataWidth / 16;

  if (DataWidth < 64 || DataWidth > 512 || (1 << $clog2(DataWidth)) != DataWidth) begin : g_bad_w
    $fatal(1, "nic_csum_beat_sum: DataWidth must be a power of two from 64 to 512");
  end
  if (Latency != 6) begin : g_bad_lat
    $fatal(1, "nic_csum_beat_sum: the latency is 6 cycles");
  end

  // Level 0: the selected bytes as 16-bit words, padded with zero words to 32.
  logic [32*16-1:0] w0_q;
  always_ff @(posedge clk_i) begin
    if (en_i) begin
      w0_q <= '0;
      for (int unsigned w = 0; w < Words; w++) begin
        w0_q[16*w +: 16] <= {data_i[16*w +: 8] & {8{mask_i[2*w]}},
                             data_i[16*w+8 +: 8] & {8{mask_i[2*w+1]}}};
      end
    end
  end

  // Levels 1..5: pairwise sums, one adder level per stage (32 words -> 16 -> 8 -> 4 -> 2 -> 1).
  logic [16*17-1:0] w1_q;
  logic [8*18-1:0]  w2_q;
  logic [4*19-1:0]  w3_q;
  logic [2*20-1:0]  w4_q;
  logic [20:0]      w5_q;

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      for (int unsigned i = 0; i < 16; i++) begin
        w1_q[17*i +: 17] <= {1'b0, w0_q[32*i +: 16]} + {1'b0, w0_q[32*i+16 +: 16]};
      end
      for (int unsigned i = 0; i < 8; i++) begin
        w2_q[18*i +: 18] <= {1'b0, w1_q[34*i +: 17]} + {1'b0, w1_q[34*i+17 +: 17]};
      end
      for (int unsigned i = 0; i < 4; i++) begin
        w3_q[19*i +: 19] <= {1'b0, w2_q[36*i +: 18]} + {1'b0, w2_q[36*i+18 +: 18]};
      end
      for (int unsigned i = 0; i < 2; i++) begin
        w4_q[20*i +: 20] <= {1'b0, w3_q[38*i +: 19]} + {1'b0, w3_q[38*i+19 +: 19]};
      end
      w5_q <= {1'b0, w4_q[19:0]} + {1'b0, w4_q[39:20]};
    end
  end

  assign sum_o = {1'b0, w5_q};

endmodule
