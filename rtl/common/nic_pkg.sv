// nic_pkg: bus types shared by every mbufnic block.
//
// Buses are packed structs, with valid and ready kept as separate bits outside the struct so a
// skid buffer can register the payload without knowing its shape.  The structs here are at the
// card's default widths (512-bit stream and DMA data, 64-bit DMA address, 32-bit CSR bus);
// blocks whose data width is a parameter use plain vector ports of the same names instead.
// Everything is referenced as nic_pkg::name (no import): Yosys 0.55 does not read `import`.
package nic_pkg;

  // ---- Card-wide widths ------------------------------------------------------------------
  // 100 GbE at 250 MHz needs 64 bytes a cycle.
  localparam int unsigned StreamDataWidth = 512;
  localparam int unsigned StreamKeepWidth = StreamDataWidth / 8;
  localparam int unsigned DmaAddrWidth = 64;
  localparam int unsigned DmaDataWidth = 512;
  localparam int unsigned DmaIdWidth = 8;
  localparam int unsigned CsrAddrWidth = 32;
  localparam int unsigned CsrDataWidth = 32;

  // ---- AXI4-Stream toward the MAC --------------------------------------------------------
  // tuser is per-block sideband; its meaning is defined by the block that produces it.
  localparam int unsigned StreamUserWidth = 64;
  typedef struct packed {
    logic [StreamDataWidth-1:0] tdata;
    logic [StreamKeepWidth-1:0] tkeep;
    logic                       tlast;
    logic [StreamUserWidth-1:0] tuser;
  } axis_t;

  // ---- AXI4 (DMA master) -----------------------------------------------------------------
  typedef enum logic [1:0] {
    AxiRespOkay   = 2'b00,
    AxiRespExOkay = 2'b01,
    AxiRespSlvErr = 2'b10,
    AxiRespDecErr = 2'b11
  } axi_resp_e;

  typedef enum logic [1:0] {
    AxiBurstFixed = 2'b00,
    AxiBurstIncr  = 2'b01,
    AxiBurstWrap  = 2'b10
  } axi_burst_e;

  // Address channel, shared by AW and AR.
  typedef struct packed {
    logic [DmaIdWidth-1:0]   id;
    logic [DmaAddrWidth-1:0] addr;
    logic [7:0]              len;    // beats - 1
    logic [2:0]              size;   // log2(bytes per beat)
    axi_burst_e              burst;
    logic [3:0]              cache;
    logic [2:0]              prot;
  } axi_ax_t;

  typedef struct packed {
    logic [DmaDataWidth-1:0]   data;
    logic [DmaDataWidth/8-1:0] strb;
    logic                      last;
  } axi_w_t;

  typedef struct packed {
    logic [DmaIdWidth-1:0] id;
    axi_resp_e             resp;
  } axi_b_t;

  typedef struct packed {
    logic [DmaIdWidth-1:0]   id;
    logic [DmaDataWidth-1:0] data;
    axi_resp_e               resp;
    logic                    last;
  } axi_r_t;

  // ---- AXI4-Lite (CSR slave) -------------------------------------------------------------
  typedef struct packed {
    logic [CsrAddrWidth-1:0] addr;
    logic [2:0]              prot;
  } axil_ax_t;

  typedef struct packed {
    logic [CsrDataWidth-1:0]   data;
    logic [CsrDataWidth/8-1:0] strb;
  } axil_w_t;

  typedef struct packed {
    axi_resp_e resp;
  } axil_b_t;

  typedef struct packed {
    logic [CsrDataWidth-1:0] data;
    axi_resp_e               resp;
  } axil_r_t;

  // A ring's index mask (size - 1) from its ring_size.log2: bit b is set when b < log2.  Written
  // as sixteen constant compares rather than (1 << log2) - 1, so that no shifter is built: with
  // one queue starting at a time, Yosys's resource sharing merges the queues' shifters into one
  // behind a multiplexer of their log2 fields, which lengthens the start's path.
  function automatic logic [15:0] ring_mask(logic [3:0] log2);
    for (int unsigned b = 0; b < 16; b++) ring_mask[b] = 4'(b) < log2;
  endfunction

  // v <= k for a constant k, bit by bit from the lowest (v's bits up to i are at most k's):
  // gates that the mapper packs into a few LUTs, where Yosys builds a comparison, even with a
  // constant, as a carry chain; after a subtraction that is a second chain in a row.
  function automatic logic le_const(logic [16:0] v, logic [16:0] k);
    le_const = 1'b1;
    for (int unsigned i = 0; i < 17; i++) begin
      le_const = k[i] ? (!v[i] || le_const) : (!v[i] && le_const);
    end
  endfunction

endpackage
