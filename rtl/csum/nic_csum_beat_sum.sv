// nic_csum_beat_sum: the 16-bit ones'-complement word sum of the selected bytes of one beat.
//
// Bytes at even lanes are the high halves of words, as on the wire (lane 0 is the first byte).
// The sum is not folded: up to 32 words of 0xFFFF need 21 bits.  A tree of two-input adders,
// two levels per register stage, keeps every stage short enough for 250 MHz on UltraScale+;
// the latency is 3 cycles at every width.  `en_i` low holds every stage (a stalled pipeline).
module nic_csum_beat_sum #(
  // Beat width in bits: 64 to 512, a power of two.
  parameter int unsigned DataWidth = 512
) (
  input  logic                   clk_i,
  input  logic                   en_i,
  input  logic [DataWidth-1:0]   data_i,
  input  logic [DataWidth/8-1:0] mask_i,   // bytes to include
  output logic [21:0]            sum_o     // three cycles later
);

  localparam int unsigned Words = DataWidth / 16;
  localparam int unsigned N1 = (Words + 3) / 4;   // first-stage partial sums (18 bits)
  localparam int unsigned N2 = (N1 + 3) / 4;      // second-stage partial sums (20 bits)

  if (DataWidth < 64 || DataWidth > 512) begin : g_bad_w
    $fatal(1, "nic_csum_beat_sum: DataWidth must be within 64..512");
  end

  logic [Words*16-1:0] words;
  always_comb begin
    for (int unsigned w = 0; w < Words; w++) begin
      words[16*w +: 16] = {data_i[16*w +: 8] & {8{mask_i[2*w]}},
                           data_i[16*w+8 +: 8] & {8{mask_i[2*w+1]}}};
    end
  end

  // Word w of the masked beat, or 0 past the end.
  function automatic logic [15:0] word(logic [Words*16-1:0] v, int unsigned w);
    if (w < Words) word = v[16*w +: 16];
    else word = '0;
  endfunction

  logic [N1*18-1:0] s1_q;
  logic [N2*20-1:0] s2_q;
  logic [21:0]      s3_q;

  // First-stage partial j, widened, or 0 past the end.
  function automatic logic [19:0] p1(logic [N1*18-1:0] v, int unsigned j);
    if (j < N1) p1 = {2'd0, v[18*j +: 18]};
    else p1 = '0;
  endfunction

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      for (int unsigned j = 0; j < N1; j++) begin
        s1_q[18*j +: 18] <= ({2'd0, word(words, 4*j)} + {2'd0, word(words, 4*j+1)}) +
                            ({2'd0, word(words, 4*j+2)} + {2'd0, word(words, 4*j+3)});
      end
      for (int unsigned k = 0; k < N2; k++) begin
        s2_q[20*k +: 20] <= (p1(s1_q, 4*k) + p1(s1_q, 4*k+1)) +
                            (p1(s1_q, 4*k+2) + p1(s1_q, 4*k+3));
      end
      s3_q <= (N2 > 1) ? {2'd0, s2_q[19:0]} + {2'd0, s2_q[N2*20-1 -: 20]} : {2'd0, s2_q[19:0]};
    end
  end

  assign sum_o = s3_q;

endmodule
