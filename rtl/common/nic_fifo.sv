// nic_fifo: synchronous first-word-fall-through FIFO with a block-RAM-friendly memory.
//
// The memory is read synchronously (as FPGA block RAM requires) into an output register, so the
// head of the queue is always registered; a write reaches the output two cycles later.  Reads
// and writes can both happen every cycle.  `level_o` counts every stored beat, including the one
// in the output register, so a user can reserve space ahead (see nic_csum_tx).
module nic_fifo #(
  // Payload bits per entry.
  parameter int unsigned Width = 8,
  // Entries in the memory (a power of two); one more fits in the output register.
  parameter int unsigned Depth = 16
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  input  logic                   s_valid_i,
  output logic                   s_ready_o,
  input  logic [Width-1:0]       s_data_i,

  output logic                   m_valid_o,
  input  logic                   m_ready_i,
  output logic [Width-1:0]       m_data_o,

  output logic [$clog2(Depth):0] level_o
);

  localparam int unsigned PtrWidth = $clog2(Depth);

  if (Depth < 2 || (1 << PtrWidth) != Depth) begin : g_bad_depth
    $fatal(1, "nic_fifo: Depth must be a power of two of at least 2");
  end

  logic [Width-1:0] mem_q [Depth];

  // Pointers carry one extra bit so full and empty differ.
  logic [PtrWidth:0] wr_ptr_q, rd_ptr_q;
  logic              out_valid_q;
  logic [Width-1:0]  out_data_q;

  logic [PtrWidth:0] mem_count;
  logic              push, pop_mem, mem_full, mem_empty;

  // Full and empty compare the pointers directly (no subtraction on the enable paths): equal
  // is empty, equal but for the wrap bit is full.
  assign mem_empty = wr_ptr_q == rd_ptr_q;
  assign mem_full  = wr_ptr_q[PtrWidth] != rd_ptr_q[PtrWidth] &&
                     wr_ptr_q[PtrWidth-1:0] == rd_ptr_q[PtrWidth-1:0];
  assign mem_count = wr_ptr_q - rd_ptr_q;
  assign s_ready_o = !mem_full;
  assign push      = s_valid_i && s_ready_o;
  // Load the output register whenever it is empty or being read, and the memory has data.
  assign pop_mem   = !mem_empty && (!out_valid_q || m_ready_i);

  assign m_valid_o = out_valid_q;
  assign m_data_o  = out_data_q;
  assign level_o   = mem_count + {{PtrWidth{1'b0}}, out_valid_q};

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      wr_ptr_q    <= '0;
      rd_ptr_q    <= '0;
      out_valid_q <= 1'b0;
    end else begin
      if (push) wr_ptr_q <= wr_ptr_q + 1'b1;
      if (pop_mem) begin
        rd_ptr_q    <= rd_ptr_q + 1'b1;
        out_valid_q <= 1'b1;
      end else if (m_ready_i) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  // Memory write and registered read: no reset, as block RAM has none.
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wr_ptr_q[PtrWidth-1:0]] <= s_data_i;
    if (pop_mem) out_data_q <= mem_q[rd_ptr_q[PtrWidth-1:0]];
  end

endmodule
