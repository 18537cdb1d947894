// nic_skid_buffer: a two-entry register slice that breaks both the payload and the ready path.
//
// Every block output that leaves a block goes through one of these, so that no ready signal
// crosses a block boundary combinationally (the ready seen upstream is a register).  Full
// throughput: a beat can move in and out every cycle.
module nic_skid_buffer #(
  // Payload bits carried per beat.
  parameter int unsigned Width = 8
) (
  input  logic             clk_i,
  input  logic             rst_i,

  // ---- Upstream
  input  logic             s_valid_i,
  output logic             s_ready_o,
  input  logic [Width-1:0] s_data_i,

  // ---- Downstream
  output logic             m_valid_o,
  input  logic             m_ready_i,
  output logic [Width-1:0] m_data_o
);

  // out_*: the beat presented downstream.  skid_*: the beat that arrived while downstream
  // stalled; s_ready_o is low exactly while the skid register is full.
  logic             out_valid_q, out_valid_d;
  logic [Width-1:0] out_data_q, out_data_d;
  logic             skid_valid_q, skid_valid_d;
  logic [Width-1:0] skid_data_q, skid_data_d;

  assign s_ready_o = !skid_valid_q;
  assign m_valid_o = out_valid_q;
  assign m_data_o  = out_data_q;

  always_comb begin
    out_valid_d  = out_valid_q;
    out_data_d   = out_data_q;
    skid_valid_d = skid_valid_q;
    skid_data_d  = skid_data_q;
    if (!out_valid_q || m_ready_i) begin
      // The output register is free this cycle: refill it from the skid first.
      if (skid_valid_q) begin
        out_valid_d  = 1'b1;
        out_data_d   = skid_data_q;
        skid_valid_d = 1'b0;
      end else begin
        out_valid_d = s_valid_i;
        out_data_d  = s_data_i;
      end
    end else if (s_valid_i && s_ready_o) begin
      // Downstream stalled while a beat was accepted: park it.
      skid_valid_d = 1'b1;
      skid_data_d  = s_data_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      out_valid_q  <= out_valid_d;
      skid_valid_q <= skid_valid_d;
    end
    out_data_q  <= out_data_d;
    skid_data_q <= skid_data_d;
  end

endmodule
