// nic_tx_desc_fetch: the transmit queues' state, descriptor fetch and frame scanner.
//
// Queues.  Per queue: off, running or stopped with an error (nic_hw_pkg::queue_err_e).  Enable
// starts a queue at index 0 (the completion unit restarts its index and phase on q_start_o)
// after checking both ring bases (64-byte aligned), ring_size.log2 (1..15) and prod (below
// the size); a producer index at or beyond the size later (found by the fetch when it next
// takes the queue, a few cycles later, before it reads anything), a descriptor read answered
// with an error, or a completion write error (cpl_stop_i) stop it.  Disable turns it off and
// clears the status.  A queue starts only once nothing of its previous run is in flight here or
// behind (descriptor reads, scanned frames not yet retired by the completion unit), so nothing
// of an old run can be taken for the new one.  One queue starts a cycle, a cycle after it is
// ready (the lowest numbered of those ready; the others in the cycles after): the ring base it
// takes is kept in RAM.
//
// Queue state in RAM.  A queue's positions and limits are kept in RAMs (distributed RAM: a
// read needs no clock edge), each written by one unit alone and read for the queue a unit works
// on: the ring base and the ring's mask, written at the queue's start; the fetch position,
// written by the fetch; the descriptors and eops stored, written by the store's arrivals; the
// descriptors and eops scanned, written by the scanner at a frame's end.  A RAM is not cleared
// by a start, so each of the last three has a flag a queue, set by the start, that makes it
// read 0 until its unit first writes it.  The completion base and ring size are not kept here
// at all: they go to the completion unit with the start (start_q_o, start_cbase_o,
// start_log2_o), which keeps them in a RAM of its own.  What stays in flip-flops a queue is what
// the schedulers look at for every queue every cycle, a few bits, and the counts the start waits
// on: the state, the consumer index (the fetch position within the ring, which the host reads
// back and which tells whether something is posted), a flag for a queue whose share of the
// store was found full, a flag for a queue that may have a frame to judge, and the in-flight
// counts.
//
// Fetch.  A round-robin scheduler picks a running queue with descriptors posted (prod differs
// from the consumer index) whose share of the store was not found full, and reads up to Batch
// descriptors if that share has room for a whole batch (never past prod, never past the ring's
// end, never across a Batch * 32-byte boundary of the ring, so a read is at most 256 bytes and
// never crosses 4 KiB); without room it marks the queue full until the scanner ends one of the
// queue's frames.  Descriptors come back in order per queue and go into the store at the slot
// of their count since the queue started: one RAM per descriptor lane of a beat (two at 512
// bits), so a beat of two descriptors is written in one cycle.
//
// Scan.  A frame can be judged once all its descriptors are in the store: its eop has arrived
// (the queue's eops stored less those scanned), or MaxDescs descriptors have.  The arrivals
// flag a queue that has such a frame, and a round-robin scanner picks a flagged queue, checks
// its counts and reads its descriptors one per cycle: each goes on to the gather as
// (addr, len), and at the frame's end a record (queue, descriptors, last ring index, length,
// the first descriptor's offload command, and the verdict: desc_count, desc_len or none).  It
// stays on a queue for up to StayMax frames (longer while no other queue has a frame to judge)
// while the next frame is already judgeable, reading ahead, so frames of one queue follow each
// other with no idle cycle; a queue switch costs three.
// Stage by stage: the RAM read (S1); the RAM output decides only where the frame ends (S2);
// the descriptor registered as it is goes on to the gather while its frame's length and
// verdict are worked out (S3); the record (S4).  So no adder follows the RAM output.
module nic_tx_desc_fetch #(
  // AXI data width in bits (64..512).
  parameter int unsigned DataWidth = 512,
  // Transmit queues.
  parameter int unsigned NumQ = 8,
  // Most descriptors per frame.
  parameter int unsigned MaxDescs = 16,
  // Longest frame that is not a segmentation request, and longest request.
  parameter int unsigned MaxFrameBytes = 9216,
  parameter int unsigned MaxSegFrameBytes = 256 + 65535,
  // Descriptor store per queue (a power of two, at least 2 * MaxDescs): bounds the descriptors
  // fetched ahead of the scanner, so it must cover the read latency at line rate.
  parameter int unsigned QDescs = 128,
  // Descriptors per fetch, at most (a power of two, at most 8).
  parameter int unsigned Batch = 8,
  // Frames one queue may scan in a row while others wait.
  parameter int unsigned StayMax = 8,
  // Derived: queue number bits, descriptor-read tag bits.  Do not set.
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1,
  parameter int unsigned DescTagW = QW + 4
) (
  input  logic                   clk_i,
  input  logic                   rst_i,

  // ---- Queue registers (txq blocks), queue q in bits [q*W +: W]; the ring bases of one
  // queue at a time, q_base_q_o's, read from the register block's RAM in the same cycle
  // (q_base_q_o depends on registers only)
  input  logic [NumQ-1:0]        q_enable_i,
  output logic [QW-1:0]          q_base_q_o,
  input  logic [63:0]            q_ring_base_i,
  input  logic [63:0]            q_cpl_base_i,
  input  logic [NumQ*4-1:0]      q_log2_i,
  input  logic [NumQ*16-1:0]     q_prod_i,
  output logic [NumQ*16-1:0]     q_cons_o,
  output logic [NumQ-1:0]        q_running_o,
  output logic [NumQ*4-1:0]      q_err_o,      // nic_hw_pkg::queue_err_e

  // ---- To and from the completion unit
  output logic [NumQ-1:0]        q_start_o,    // pulse: the queue (re)started (one at most)
  output logic [QW-1:0]          start_q_o,    // ... its number
  output logic [63:0]            start_cbase_o, // ... its completion ring base, as at the start
  output logic [3:0]             start_log2_o, // ... its ring size, as at the start
  input  logic [NumQ-1:0]        cpl_stop_i,   // pulse: a completion write failed
  input  logic                   ret_a_i,      // pulse: a frame of queue ret_a_q_i retired
  input  logic [QW-1:0]          ret_a_q_i,
  input  logic                   ret_b_i,      // ... a second one, the same cycle
  input  logic [QW-1:0]          ret_b_q_i,

  // ---- Descriptor reads: {queue, descriptors} in the tag
  output logic                   dreq_valid_o,
  input  logic                   dreq_ready_i,
  output logic [63:0]            dreq_addr_o,
  output logic [7:0]             dreq_len_o,
  output logic [DescTagW-1:0]    dreq_tag_o,
  input  logic                   drd_valid_i,
  output logic                   drd_ready_o,
  input  logic [DataWidth-1:0]   drd_data_i,
  input  logic                   drd_err_i,
  input  logic                   drd_last_i,
  input  logic [DescTagW-1:0]    drd_tag_i,

  // ---- Frame records, one per frame, after its descriptors
  output logic                   rec_valid_o,
  input  logic                   rec_ready_i,
  output logic [QW-1:0]          rec_q_o,
  output logic [7:0]             rec_n_o,      // descriptors
  output logic [15:0]            rec_idx_o,    // ring index of the last one
  output logic [3:0]             rec_err_o,    // nic_hw_pkg::tx_err_e
  output logic [20:0]            rec_len_o,    // sum of the descriptors' lengths
  output logic [127:0]           rec_cmd_o,    // nic_hw_pkg::tx_offload_cmd_t

  // ---- The descriptors of those frames, in order
  output logic                   dsc_valid_o,
  input  logic                   dsc_ready_i,
  output logic [63:0]            dsc_addr_o,
  output logic [15:0]            dsc_len_o,
  // Worked out ahead for the gather's burst splitter (MaxBurst: 4 KiB, or 64 beats if less):
  // bytes from addr to the next MaxBurst boundary, and whether len fits before it, or before
  // the one after.
  output logic [12:0]            dsc_tobnd_o,
  output logic                   dsc_fit1_o,
  output logic                   dsc_fit2_o,

  output logic                   idle_o
);

  localparam int unsigned Bytes = DataWidth / 8;
  localparam int unsigned LB = $clog2(Bytes);
  localparam int unsigned Lanes = (DataWidth >= 256) ? DataWidth / 256 : 1;  // descs per beat
  localparam int unsigned BeatsPerDesc = (DataWidth >= 256) ? 1 : 256 / DataWidth;
  localparam int unsigned LL = $clog2(Lanes);
  localparam int unsigned LaneAll = 256 * Lanes;
  localparam int unsigned Rows = QDescs / Lanes;               // store rows per queue
  localparam int unsigned RowW = $clog2(Rows);
  localparam int unsigned AddrW = QW + RowW;
  localparam int unsigned StoreW = 128 + 1 + 16 + 64;          // cmd, eop, len, addr
  localparam int unsigned BatchBits = $clog2(Batch);
  // A queue's requested, stored and scanned positions are never more than QDescs apart
  // (nic_tx_desc_fetch_check asserts it), so their differences are exact in this many low bits:
  // the eligibility compares subtract in 8 bits instead of 16 (QDescs = 128).
  localparam int unsigned GapW = $clog2(QDescs) + 1;
  localparam int unsigned DDepth = 32;                         // descriptors to the gather
  localparam int unsigned RDepth = 16;                         // records to the gather
  localparam int unsigned SubW = (BeatsPerDesc > 1) ? $clog2(BeatsPerDesc) : 1;
  localparam int unsigned MaxBurst = (64 * Bytes < 4096) ? 64 * Bytes : 4096;
  localparam int unsigned MBL = $clog2(MaxBurst);

  if (DataWidth < 64 || DataWidth > 512 || (1 << LB) != Bytes) begin : g_bad_w
    $fatal(1, "nic_tx_desc_fetch: DataWidth must be a power of two from 64 to 512");
  end
  if (QDescs < 2 * MaxDescs || (1 << $clog2(QDescs)) != QDescs || QDescs > 1024) begin : g_bad_q
    $fatal(1, "nic_tx_desc_fetch: QDescs must be a power of two, >= 2 * MaxDescs, <= 1024");
  end
  if (Batch < 1 || Batch > 8 || (1 << BatchBits) != Batch) begin : g_bad_b
    $fatal(1, "nic_tx_desc_fetch: Batch must be 1, 2, 4 or 8");
  end
  if (MaxDescs < 1 || MaxDescs > 255 || StayMax < 1 || StayMax > 15) begin : g_bad_m
    $fatal(1, "nic_tx_desc_fetch: MaxDescs must be within 1..255, StayMax within 1..15");
  end

  // ======================================================================================
  // Queue state
  // ======================================================================================
  typedef enum logic [1:0] {QOff, QRun, QErr} qstate_e;

  qstate_e [NumQ-1:0]        st_q;
  logic [NumQ-1:0][3:0]      err_q;
  logic [63:0]               base_mem [NumQ];   // ring base, as at the start (RAM)
  logic [15:0]               mask_mem [NumQ];   // ring size - 1, as at the start (RAM)
  logic [15:0]               f_mem [NumQ];      // descriptors requested since the start (RAM)
  logic [NumQ-1:0]           f_zero_q; // ... reads 0: the queue started, the fetch has not
                                       // written it since
  logic [NumQ-1:0][15:0]     cons_q;   // ... within the ring (the consumer index)
  logic [NumQ-1:0]           full_q;   // the fetch found the store's share full; the scanner
                                       // has not ended a frame of the queue since
  // Written by the store's arrivals alone, and by the scanner alone (at a frame's end): each
  // pair in RAM, with a flag a queue that makes it read 0 after a start.
  logic [15:0]               a_mem [NumQ];      // descriptors written into the store (RAM)
  logic [GapW-1:0]           ea_mem [NumQ];     // ... of which eops (RAM)
  logic [NumQ-1:0]           a_zero_q;
  logic [15:0]               s_mem [NumQ];      // descriptors scanned (frames ended) (RAM)
  logic [GapW-1:0]           es_mem [NumQ];     // ... of which eops (RAM)
  logic [NumQ-1:0]           s_zero_q;
  logic [NumQ-1:0]           sw_q;     // the scanner may find a frame of the queue to judge
  logic [NumQ-1:0][7:0]      odesc_q;  // descriptor reads outstanding
  logic [NumQ-1:0][9:0]      ofrm_q;   // frames scanned and not yet retired

  logic [NumQ-1:0][15:0]     prod;
  // Continuous assignments per queue, not one process: with hundreds of queues Verilator no
  // longer unrolls a loop and would take every output of it to depend on every input.
  for (genvar q = 0; q < NumQ; q++) begin : g_q_io
    assign prod[q]                  = q_prod_i[16*q +: 16];
    assign q_cons_o[16*q +: 16]     = cons_q[q];
    assign q_running_o[q]           = st_q[q] == QRun;
    assign q_err_o[4*q +: 4]        = err_q[q];
  end

  // Per-queue events of this cycle, from the blocks below.
  logic [NumQ-1:0]      desc_stop;       // a descriptor beat came back with an error
  logic [NumQ-1:0]      drained, start_rdy, start_ok;
  logic [NumQ-1:0]      f_inc_en, odesc_inc, odesc_dec, sc_end;
  logic                 arr_we;          // the beat in D1 writes descriptors into the store
  logic                 sw_load;         // the scanner takes the queue its pick names
  logic                 sw_judge;        // the queue the scanner left: its next frame judgeable
  logic                 ar_v_q, ar_eop_q, ar2_hit_q;   // an arrival's frame to judge (see
  logic [QW-1:0]        ar_q_q, ar2_q_q;               // the scanner)
  logic [QW-1:0]        d_q;             // the queue of the descriptor beat in D1
  logic [NumQ-1:0]      s_gnt;           // the scanner's pick, one-hot
  logic                 left_q;          // the scanner left queue sc_q last cycle
  logic [NumQ-1:0]      prod_stop;       // the fetch found prod at or beyond the ring's size
  logic [NumQ-1:0]      full_set;        // ... found the store's share full
  logic [15:0]          sc_s_new;        // scan position after the frame that ends
  logic                 fsm_busy, sc_active_q, sc_load_q, d1_valid_q;
  // The fetch works on a queue (fst_q is not FIdle), as a register of its own: with f_last_q,
  // the one-hot of the queue it took, it keeps the start's drain check two gates from registers.
  logic                 fbusy_q;
  logic [QW-1:0]        fq_q, sc_q;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      drained[q]   = odesc_q[q] == '0 && ofrm_q[q] == '0 &&
                     !((sc_active_q || sc_load_q) && sc_q == QW'(q)) &&
                     !(fbusy_q && f_last_q[q]);
      start_rdy[q] = st_q[q] == QOff && q_enable_i[q] && drained[q];
    end
  end

  // One start a cycle (one write into base_mem): nic_q_start chooses from last cycle's ready
  // queues, so the chosen queue's number, and the read of its ring bases behind it, do not wait
  // for this cycle's drain checks; a queue starts a cycle after it becomes ready.
  logic [QW-1:0] st_id;
  logic [63:0]   st_rb, st_cb;
  logic [3:0]    st_l2;
  nic_q_start #(.NumQ(NumQ)) u_start (
    .clk_i,
    .rst_i,
    .rdy_i   (start_rdy),
    .log2_i  (q_log2_i),
    .start_o (start_ok),
    .id_o    (st_id),
    .log2_o  (st_l2)
  );
  assign q_base_q_o = st_id;
  assign st_rb      = q_ring_base_i;
  assign st_cb      = q_cpl_base_i;

  always_ff @(posedge clk_i) begin
    if (start_ok != '0) begin
      base_mem[st_id] <= st_rb;
      mask_mem[st_id] <= nic_pkg::ring_mask(st_l2);
    end
    start_q_o     <= st_id;
    start_cbase_o <= st_cb;
    start_log2_o  <= st_l2;
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      for (int unsigned q = 0; q < NumQ; q++) begin
        // (The positions are set by the queue's start; only what the host reads is reset.)
        st_q[q]    <= QOff;
        err_q[q]   <= nic_hw_pkg::QueueErrNone;
        cons_q[q]  <= '0;
        odesc_q[q] <= '0;
        ofrm_q[q]  <= '0;
      end
      q_start_o <= '0;
    end else begin
      for (int unsigned q = 0; q < NumQ; q++) begin
        // The start's checks are the queue's own, not the starting queue's selected by st_id:
        // its ring size and producer index, as the queue's logic sees them anyway.
        logic [3:0]  l2;
        l2 = q_log2_i[4*q +: 4];
        q_start_o[q] <= start_ok[q];
        odesc_q[q] <= odesc_q[q] + 8'(odesc_inc[q]) - 8'(odesc_dec[q]);
        ofrm_q[q]  <= ofrm_q[q] + 10'(sc_end[q]) - 10'(ret_a_i && ret_a_q_i == QW'(q))
                                               - 10'(ret_b_i && ret_b_q_i == QW'(q));
        if (start_ok[q]) begin
          f_zero_q[q] <= 1'b1;
          cons_q[q]   <= '0;
          full_q[q]   <= 1'b0;
          a_zero_q[q] <= 1'b1;
          s_zero_q[q] <= 1'b1;
          sw_q[q]     <= 1'b0;
          if (st_rb[5:0] != '0 || st_cb[5:0] != '0) begin   // the starting queue's bases
            st_q[q]  <= QErr;
            err_q[q] <= nic_hw_pkg::QueueErrRingAlign;
          end else if (l2 == 4'd0) begin
            st_q[q]  <= QErr;
            err_q[q] <= nic_hw_pkg::QueueErrSize;
          end else if ((prod[q] & ~nic_pkg::ring_mask(l2)) != '0) begin
            st_q[q]  <= QErr;
            err_q[q] <= nic_hw_pkg::QueueErrProd;
          end else begin
            st_q[q]  <= QRun;
            err_q[q] <= nic_hw_pkg::QueueErrNone;
          end
        end else begin
          if (f_inc_en[q]) begin
            f_zero_q[q] <= 1'b0;
            cons_q[q]   <= f_next & fs_mask_q;
          end
          // A frame end frees room; it wins over the fetch finding none (which read the scan
          // position before it).
          if (sc_end[q]) full_q[q] <= 1'b0;
          else if (full_set[q]) full_q[q] <= 1'b1;
          if (arr_we && d_q == QW'(q)) a_zero_q[q] <= 1'b0;
          if (sc_end[q]) s_zero_q[q] <= 1'b0;
          // An arrival's frame to judge wins: it may have come after the scanner's reads.
          if ((ar_v_q && ar_eop_q && ar_q_q == QW'(q)) || (ar2_hit_q && ar2_q_q == QW'(q)))
            sw_q[q] <= 1'b1;
          else if (left_q && sc_q == QW'(q)) sw_q[q] <= sw_judge;
          else if (sw_load && s_gnt[q]) sw_q[q] <= 1'b0;
          unique case (st_q[q])
            QOff: err_q[q] <= nic_hw_pkg::QueueErrNone;
            QRun: begin
              if (!q_enable_i[q]) begin
                st_q[q] <= QOff;
              end else if (prod_stop[q]) begin
                st_q[q]  <= QErr;
                err_q[q] <= nic_hw_pkg::QueueErrProd;
              end else if (desc_stop[q]) begin
                st_q[q]  <= QErr;
                err_q[q] <= nic_hw_pkg::QueueErrDescDma;
              end else if (cpl_stop_i[q]) begin
                st_q[q]  <= QErr;
                err_q[q] <= nic_hw_pkg::QueueErrCplDma;
              end
            end
            QErr: begin
              if (!q_enable_i[q]) begin
                st_q[q]  <= QOff;
                err_q[q] <= nic_hw_pkg::QueueErrNone;
              end
            end
            default: st_q[q] <= QOff;
          endcase
        end
      end
    end
  end

  // ======================================================================================
  // Fetch: pick a queue (FIdle), take its registers (FSel), work out the address and the
  // limits (FAddr), the batch (FMin), issue it (FIssue: the queue's fetch count moves on) and
  // request it (FReq).  One batch at a time is plenty: up to eight descriptors per six cycles
  // or more.  Each stage has one adder or one compare level, for timing.
  // ======================================================================================
  typedef enum logic [2:0] {FIdle, FSel, FAddr, FMin, FIssue, FReq} fstate_e;
  fstate_e fst_q;
  assign fsm_busy = fbusy_q;

  // Something is posted when prod differs from the consumer index: a compare.  A producer index
  // at or beyond the ring's size differs too, so the queue is picked and the fetch finds it
  // (FAddr) and stops the queue before it reads anything.  The store's room is not looked at
  // here: it would take every queue's fetch and scan positions.  The fetch works it out for the
  // queue it picked, and reads only if there is room for a whole batch: where the room is what
  // limits the fetch (the scanner frees a slot a frame), the reads stay whole batches of whole
  // beats, not a descriptor or three as slots free up; a read of an odd count wastes half a beat
  // of the read channel that the frames' data share.  Without room the queue is marked full and
  // left out until the scanner ends one of its frames.
  logic [NumQ-1:0] elig_f;
  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      elig_f[q] = st_q[q] == QRun && prod[q] != cons_q[q] && !full_q[q];
    end
  end

  // The queue a one-hot grant names (the picks are nic_rr_pick_reg's, one-hot in and out: prefix
  // ORs, where a binary "last" would rotate the requests through a multiplexer first).
  function automatic logic [QW-1:0] oh_index(logic [NumQ-1:0] oh);
    oh_index = '0;
    for (int unsigned q = 0; q < NumQ; q++) begin
      if (oh[q]) oh_index = oh_index | QW'(q);
    end
  endfunction

  // The smaller of two small counts.
  function automatic logic [3:0] min4(logic [3:0] a, logic [3:0] b);
    min4 = (a < b) ? a : b;
  endfunction

  // Round robin: the first eligible queue after the last one served (f_last_q one-hot; queue 0
  // counts as served at reset, so queue 1 goes first).  The choice is a cycle late
  // (nic_rr_pick_reg: its two levels do not fit one cycle at many queues), so it is made from
  // the eligibility of two cycles before.  A stale choice costs at most an empty pass: FSel
  // reads the chosen queue's registers afresh, a queue with nothing to fetch gives an empty
  // batch (FIssue then requests nothing), and FIssue checks the queue is still running.  A
  // queue cannot restart under the pass: it starts only while the FSM is not working on it.
  logic [NumQ-1:0] elig_f_q, f_gnt, f_last_q;
  logic            f_any, f_nodata;   // (the round robin's data select, not used)
  nic_rr_pick_reg #(.Num(NumQ)) u_f_pick (
    .clk_i,
    .rst_i,
    .req_i  (elig_f_q),
    .last_i (f_last_q),
    .gnt_o  (f_gnt),
    .any_o  (f_any),
    .data_i ('0),
    .data_o (f_nodata)
  );

  // FAddr's results, each limit already clamped to Batch: the address of the first
  // descriptor, and the descriptors posted, left before the ring's end and free in the store;
  // and whether prod is beyond the ring.  FMin's: the batch (0 without room for a whole one),
  // and whether the share was found full with something posted.
  logic [15:0] fs_f_q, fs_s_q, fs_prod_q, fs_mask_q;   // FSel: the picked queue's registers
  logic [63:0] fs_base_q;
  logic [63:0] fa_addr_q;
  logic [3:0]  fa_pend_q, fa_end_q, fa_space_q, fa_align_q;
  logic        fa_bad_q;
  logic [3:0]  fm_n_q;
  logic        fm_full_q, fm_bad_q;
  logic        f_ended_q;          // the scanner ended a frame of the picked queue after FSel
                                   // read its scan position
  logic [8:0]  fm_span;
  logic [15:0] f_next;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      f_inc_en[q]  = fst_q == FIssue && fq_q == QW'(q) && st_q[q] == QRun && fm_n_q != '0;
      odesc_inc[q] = f_inc_en[q];
      prod_stop[q] = fst_q == FIssue && fq_q == QW'(q) && fm_bad_q;
      full_set[q]  = fst_q == FIssue && fq_q == QW'(q) && fm_full_q && !f_ended_q;
    end
  end
  assign f_next  = fs_f_q + 16'(fm_n_q);
  assign fm_span = 9'(fa_addr_q[LB-1:0]) + {fm_n_q, 5'd0} + 9'(Bytes - 1);

  always_ff @(posedge clk_i) begin
    if (|f_inc_en) f_mem[fq_q] <= f_next;
  end

`ifndef SYNTHESIS
  // What the start's drain check reads in place of the state and the queue number.
  always_ff @(posedge clk_i) begin
    if (!rst_i && (fbusy_q != (fst_q != FIdle) || (fbusy_q && f_last_q != NumQ'(1) << fq_q))) begin
      $error("nic_tx_desc_fetch: the busy flag or the taken queue's one-hot is wrong");
    end
  end
`endif

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      fst_q        <= FIdle;
      fbusy_q      <= 1'b0;
      f_last_q     <= NumQ'(1);
      dreq_valid_o <= 1'b0;
      elig_f_q     <= '0;
    end else begin
      elig_f_q <= elig_f;
      unique case (fst_q)
        FIdle: begin
          // f_any is f_gnt != 0, from a register beside the pick.
          if (f_any) begin
            fq_q     <= oh_index(f_gnt);
            f_last_q <= f_gnt;
            fst_q    <= FSel;
            fbusy_q  <= 1'b1;
          end
        end
        FSel: fst_q <= FAddr;
        FAddr: fst_q <= FMin;
        FMin: fst_q <= FIssue;
        FIssue: begin
          if (|f_inc_en) begin
            dreq_valid_o <= 1'b1;
            fst_q        <= FReq;
          end else begin
            fst_q   <= FIdle;
            fbusy_q <= 1'b0;
          end
        end
        FReq: begin
          if (dreq_ready_i) begin
            dreq_valid_o <= 1'b0;
            fst_q        <= FIdle;
            fbusy_q      <= 1'b0;
          end
        end
        default: begin
          fst_q   <= FIdle;
          fbusy_q <= 1'b0;
        end
      endcase
    end
    if (fst_q == FSel) begin
      fs_f_q    <= f_zero_q[fq_q] ? '0 : f_mem[fq_q];
      fs_s_q    <= s_zero_q[fq_q] ? '0 : s_mem[fq_q];
      fs_prod_q <= prod[fq_q];
      fs_mask_q <= mask_mem[fq_q];
      fs_base_q <= base_mem[fq_q];
    end
    // From FSel's cycle on (a frame that ends then moves the scan position at the edge that
    // FSel reads it at) to FMin's.
    if (fst_q == FSel) f_ended_q <= sc_end[fq_q];
    else f_ended_q <= f_ended_q || sc_end[fq_q];
    if (fst_q == FAddr) begin
      logic [15:0] fi, pend, left, space;
      logic [63:0] addr;
      // Kept off the carry chains where they are not needed: the ring is a power of two, so
      // the positions subtract before the mask; fi's bits are the mask's, so mask - fi is an
      // AND; Batch is a power of two, so "below Batch" is a test of the high bits.
      fi    = fs_f_q & fs_mask_q;
      addr  = fs_base_q + {43'd0, fi, 5'd0};
      pend  = (fs_prod_q - fs_f_q) & fs_mask_q;
      left  = (fs_mask_q & ~fs_f_q) + 16'd1;
      space = 16'(QDescs) - (fs_f_q - fs_s_q);
      fa_addr_q  <= addr;
      fa_pend_q  <= (pend >> BatchBits) == '0 ? pend[3:0] : 4'(Batch);
      fa_end_q   <= (left >> BatchBits) == '0 ? left[3:0] : 4'(Batch);
      fa_space_q <= (space >> BatchBits) == '0 ? space[3:0] : 4'(Batch);
      fa_bad_q   <= (fs_prod_q & ~fs_mask_q) != '0;
      // Up to the next Batch * 32-byte boundary of the bus address: a read never crosses 4 KiB.
      fa_align_q <= 4'(Batch) - 4'(addr[5 +: BatchBits]);
    end
    if (fst_q == FMin) begin
      fm_n_q    <= (fa_bad_q || fa_space_q != 4'(Batch)) ? 4'd0 :
                   min4(min4(fa_pend_q, fa_end_q), fa_align_q);
      fm_full_q <= !fa_bad_q && fa_space_q != 4'(Batch) && fa_pend_q != '0;
      fm_bad_q  <= fa_bad_q;
    end
    if (fst_q == FIssue) begin
      dreq_addr_o <= fa_addr_q;
      dreq_len_o  <= 8'(fm_span >> LB) - 8'd1;
      dreq_tag_o  <= {fq_q, fm_n_q};
    end
  end

  // ======================================================================================
  // Descriptor beats into the store.  D1 registers the beat; the write and the arrival count
  // happen together at the next edge, so the scanner never reads a slot before its write.
  // ======================================================================================
  logic                 d1_err_q, d1_last_q;
  logic [DataWidth-1:0] d1_data_q;
  logic [DescTagW-1:0]  d1_tag_q;
  assign drd_ready_o = 1'b1;

  always_ff @(posedge clk_i) begin
    if (rst_i) d1_valid_q <= 1'b0;
    else d1_valid_q <= drd_valid_i;
    d1_data_q <= drd_data_i;
    d1_err_q  <= drd_err_i;
    d1_last_q <= drd_last_i;
    d1_tag_q  <= drd_tag_i;
  end

  logic [3:0]          d_n;
  assign d_q = d1_tag_q[DescTagW-1:4];
  assign d_n = d1_tag_q[3:0];

  logic                 dfirst_q;       // the beat in D1 is its burst's first
  logic [3:0]           drem_q;         // descriptors of the burst not yet written
  logic [SubW-1:0]      dsub_q;         // narrow beats: piece of the descriptor
  logic [255:0]         asm_q;          // narrow beats: the pieces so far

  // The descriptors of the beat in D1, lane by lane.
  logic [Lanes-1:0][255:0] d_desc;
  logic [Lanes-1:0]        wr_en;
  logic [AddrW-1:0]        wr_addr;
  logic [3:0]              d_k;          // descriptors this beat completes
  logic [1:0]              d_eops;
  logic [15:0]             a_d;          // the queue's descriptors stored before the beat
  logic [GapW-1:0]         ea_d;         // ... of which eops
  assign a_d  = a_zero_q[d_q] ? '0 : a_mem[d_q];
  assign ea_d = a_zero_q[d_q] ? '0 : ea_mem[d_q];
  always_comb begin
    logic [3:0]  rem, lane0;
    logic [15:0] a;
    logic        run, complete;
    rem   = dfirst_q ? d_n : drem_q;
    a     = a_d;
    run   = st_q[d_q] == QRun && !d1_err_q;
    // The lane of the next descriptor (a burst's later beats start at lane 0).
    lane0 = 4'(a & 16'(Lanes - 1));
    if (BeatsPerDesc > 1) begin
      complete = 32'(dsub_q) == BeatsPerDesc - 1;
      d_desc   = '0;
      d_desc[0] = 256'({d1_data_q, asm_q} >> DataWidth);
      d_k      = complete ? 4'd1 : 4'd0;
    end else begin
      complete = 1'b1;
      d_desc   = LaneAll'(d1_data_q);
      d_k      = (rem < 4'(Lanes) - lane0) ? rem : 4'(Lanes) - lane0;
    end
    wr_en  = '0;
    d_eops = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      if (d1_valid_q && run && complete && 4'(l) >= lane0 && 4'(l) - lane0 < rem) begin
        wr_en[l] = 1'b1;
        d_eops   = d_eops + 2'(d_desc[l][nic_hw_pkg::TX_DESC_EOP_LSB]);
      end
    end
    wr_addr = {d_q, RowW'(a >> LL)};
    arr_we  = d1_valid_q && run && d_k != '0;
    for (int unsigned q = 0; q < NumQ; q++) begin
      desc_stop[q] = d1_valid_q && d1_err_q && d_q == QW'(q);
      odesc_dec[q] = d1_valid_q && d1_last_q && d_q == QW'(q);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      dfirst_q <= 1'b1;
      drem_q   <= '0;
      dsub_q   <= '0;
    end else if (d1_valid_q) begin
      dfirst_q <= d1_last_q;
      drem_q   <= (dfirst_q ? d_n : drem_q) - d_k;
      if (BeatsPerDesc > 1) dsub_q <= (d1_last_q || 32'(dsub_q) == BeatsPerDesc - 1) ? '0
                                                                                 : dsub_q + 1'b1;
    end
    if (d1_valid_q) asm_q <= 256'({d1_data_q, asm_q} >> DataWidth);
  end

  // The queue's arrival counts, and what the scanner needs to know of the beat: a cycle later
  // whether it stored an eop (ar_eop_q); two cycles later whether it left MaxDescs
  // descriptors past the scan position (ar2_hit_q; see the scanner).
  logic [GapW-1:0] ar_a_q;
  logic            ar_szero_q;      // the queue's scan position read 0 in the beat's cycle
  always_ff @(posedge clk_i) begin
    if (arr_we) begin
      a_mem[d_q]  <= a_d + 16'(d_k);
      ea_mem[d_q] <= ea_d + GapW'(d_eops);
    end
    if (rst_i) ar_v_q <= 1'b0;
    else ar_v_q <= arr_we;
    ar_q_q     <= d_q;
    ar_a_q     <= GapW'(a_d) + GapW'(d_k);
    ar_eop_q   <= d_eops != '0;
    ar_szero_q <= s_zero_q[d_q];
  end

  // ---- The store: one simple dual-port RAM per lane -----------------------------------
  logic                    rd_en;
  logic [AddrW-1:0]        rd_addr;
  logic [Lanes-1:0][StoreW-1:0] rd_data;

  // One queue still has a queue-number bit in the address (QW is at least 1): its RAM covers
  // both values of it, the upper half never written.
  localparam int unsigned MemRows = (NumQ > 1) ? NumQ * Rows : 2 * Rows;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [StoreW-1:0] mem [MemRows];
    logic [StoreW-1:0] rd_q;
    nic_hw_pkg::tx_desc_t wd;
    assign wd = nic_hw_pkg::tx_desc_t'(d_desc[l]);
    logic unused_rsvd;
    assign unused_rsvd = ^wd.rsvd81;
    always_ff @(posedge clk_i) begin
      if (wr_en[l]) mem[wr_addr] <= {wd.cmd, wd.eop, wd.len, wd.addr};
      if (rd_en) rd_q <= mem[rd_addr];
    end
    assign rd_data[l] = rd_q;
  end

  // ======================================================================================
  // Scanner
  // ======================================================================================
  // Which queues may have a frame to judge is a flag a queue (sw_q), not every queue's counts
  // compared every cycle.  It is set a cycle after an arrival that stored an eop, or two after
  // one that left MaxDescs descriptors past the scan position as it was then (the scanner only
  // moves the position on, so the flag may be set for a frame already scanned, never missed;
  // the position's zero flag is taken in the arrival's cycle and, if the scanner writes the
  // position in between, reads it as 0: earlier still).  It is cleared when the scanner takes
  // the queue; when the scanner leaves the queue it is set or cleared by whether the queue's
  // next frame is judgeable, from its counts as they are then (sw_judge).  An arrival's
  // setting wins over both: its beat may have come after the counts the scanner read.  So the
  // flag is a hint: the scanner checks the counts again as it loads a queue (sw_judge) and
  // leaves it at once if nothing can be judged.
  // The counts of queue sc_q (RAM reads): stored and scanned, and the eops of each.  No
  // multiplexer over the queues' zero flags comes before the subtractions.  The stored counts'
  // flag is clear for a queue the scanner works on (its scan flag was set by an arrival since
  // the start, which cleared it first).  The scanned counts' is copied as the scanner loads the
  // queue (by the take's one-hot, s_last_q: the scanner writes nothing then, and the queue
  // cannot start) and kept up to date here; in the load's own cycle the judgement is worked out
  // both ways, with the scanned counts as read and as 0, and the flag picks one at the end.
  logic            sc_szero_q, load_szero;
  logic [15:0]     a_sc;
  logic [GapW-1:0] ea_sc, es_sc, eops_sc, eops_raw, stored_raw, s_ar, stored_ar;
  logic            judge_raw, judge_zero;
  assign load_szero = (s_zero_q & s_last_q) != '0;
  always_ff @(posedge clk_i) begin
    if (sc_load_q) sc_szero_q <= load_szero;
    else if (start_ok != '0 && st_id == sc_q) sc_szero_q <= 1'b1;
    else if (rdv_q && c_end) sc_szero_q <= 1'b0;
  end
`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (!rst_i && (sc_load_q || sc_active_q || left_q) &&
        (a_zero_q[sc_q] || (!sc_load_q && sc_szero_q != s_zero_q[sc_q]))) begin
      $error("nic_tx_desc_fetch: the scanner reads queue %0d's counts with a wrong zero flag",
             sc_q);
    end
  end
`endif
  assign a_sc       = a_mem[sc_q];
  assign ea_sc      = ea_mem[sc_q];
  assign es_sc      = sc_szero_q ? '0 : es_mem[sc_q];
  assign eops_sc    = ea_sc - es_sc;
  assign eops_raw   = ea_sc - es_mem[sc_q];
  assign stored_raw = GapW'(a_sc) - GapW'(s_mem[sc_q]);
  // (MaxDescs descriptors stored past the scan position: a subtraction, then a compare with a
  // constant written as gates.)
  assign judge_raw  = eops_raw != '0 || !nic_pkg::le_const(17'(stored_raw), 17'(MaxDescs - 1));
  assign judge_zero = ea_sc != '0 || !nic_pkg::le_const(17'(GapW'(a_sc)), 17'(MaxDescs - 1));
  assign sw_judge   = (sc_load_q ? load_szero : sc_szero_q) ? judge_zero : judge_raw;
  assign s_ar      = ar_szero_q ? '0 : GapW'(s_mem[ar_q_q]);
  assign stored_ar = ar_a_q - s_ar;
  always_ff @(posedge clk_i) begin
    if (rst_i) ar2_hit_q <= 1'b0;
    else ar2_hit_q <= ar_v_q && !nic_pkg::le_const(17'(stored_ar), 17'(MaxDescs - 1));
    ar2_q_q <= ar_q_q;
  end

  // The choice is a cycle late (nic_rr_pick_reg), so a pick reflects the flags of a cycle
  // before.  The queue the scanner is on (s_last_q) is left out while the scanner loads it or
  // scans it, and the cycle after it leaves, while its flag is settled.  A queue that stopped
  // is left out at once, and one picked as it stops is scanned as one that stops under the
  // scanner is.  A queue cannot restart between the pick and the load: it starts only after
  // its ready and run states, which the pick's inputs held a cycle before, have both changed.
  logic [NumQ-1:0] elig_go, s_last_q;   // s_last_q one-hot, as f_last_q
  logic            s_any, s_nodata;   // (the round robin's data select, not used)
  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      elig_go[q] = sw_q[q] && st_q[q] == QRun &&
                   !((left_q || sc_active_q || sc_load_q) && s_last_q[q]);
    end
  end
  nic_rr_pick_reg #(.Num(NumQ)) u_s_pick (
    .clk_i,
    .rst_i,
    .req_i  (elig_go),
    .last_i (s_last_q),
    .gnt_o  (s_gnt),
    .any_o  (s_any),
    .data_i ('0),
    .data_o (s_nodata)
  );

  logic            rdv_q;            // the RAM output holds slot rd_idx_q of queue sc_q
  logic [15:0]     rd_ptr_q, rd_idx_q;
  logic [3:0]      stay_q;
  logic [7:0]      fa_cnt_q;         // descriptors of the current frame before this one
  logic            cnt_last_q;       // ... which makes this one the MaxDescs-th

  // S3: the descriptor read, registered as it is (it leaves for the gather from here), with
  // where it stands in its frame; the frame's length and verdict are worked out here.
  logic            s3_dv_q, s3_end_q, s3_first_q, s3_count_q;
  logic [63:0]     s3_addr_q;
  logic [15:0]     s3_len_q;
  logic [127:0]    s3_dcmd_q;        // the descriptor's own cmd field
  logic [QW-1:0]   s3_q_q;
  logic [7:0]      s3_n_q;
  logic [15:0]     s3_idx_q;
  logic [20:0]     f3_len_q;         // the frame so far, before S3's descriptor
  logic            f3_zero_q;
  logic [127:0]    f3_cmd_q;
  // S4: the frame record.
  logic            s4_rv_q;
  logic [QW-1:0]   s4_q_q;
  logic [7:0]      s4_n_q;
  logic [15:0]     s4_idx_q;
  logic [3:0]      s4_err_q;
  logic [20:0]     s4_flen_q;
  logic [127:0]    s4_cmd_q;

  logic [$clog2(DDepth):0] dlevel;
  logic [$clog2(RDepth):0] rlevel;
  logic room;
  // Reads in flight: the one issued now, the one at the RAM output, S3 and S4.  From last
  // cycle's levels (a FIFO's level is an add; its compare then gets a cycle of its own), so
  // one more: a level grows by at most one a cycle.
  always_ff @(posedge clk_i) begin
    if (rst_i) room <= 1'b0;
    else room <= 32'(dlevel) + 5 <= DDepth && 32'(rlevel) + 5 <= RDepth;
  end

  // The descriptor at the RAM output: only where its frame ends is decided here.
  logic [StoreW-1:0] cur;
  logic [63:0]       c_addr;
  logic [15:0]       c_len;
  logic              c_eop, c_end, c_cont;
  logic [127:0]      c_cmd;
  // Whether the queue's next frame is judgeable already, from registers a cycle old, made
  // safe for that cycle: the scanner may have ended one frame (one eop fewer) and read one slot
  // further since; arrivals only add.  So the RAM output meets only a few gates on its way to
  // the decision.
  // (The arrival count is picked a cycle earlier still: it only grows.)
  logic        eop_ge2_q, eop_ge3_q, far_q, run_q;
  logic [15:0] a_sel_q;
  always_ff @(posedge clk_i) begin
    eop_ge2_q <= eops_sc >= GapW'(2);
    eop_ge3_q <= eops_sc >= GapW'(3);
    a_sel_q   <= a_sc;
    far_q     <= (a_sel_q - rd_ptr_q) >= 16'(MaxDescs + 1);
    run_q     <= st_q[sc_q] == QRun;
  end

  always_comb begin
    logic next_dec;
    cur = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      if (32'(rd_idx_q) % Lanes == l) cur = rd_data[l];
    end
    {c_cmd, c_eop, c_len, c_addr} = cur;
    c_end = c_eop || cnt_last_q;
    // Is the queue's next frame judgeable already?  Then the read issued now (the slot after
    // this one) starts it, and the scanner stays: for up to StayMax frames, or for as long as
    // no other queue has a frame to judge (s_any: the round robin, which leaves this queue out,
    // had a choice last cycle).  A switch would only come back to this queue, a few cycles
    // later (the choice is a cycle late, and this queue's eligibility two).
    next_dec = (c_eop ? eop_ge3_q : eop_ge2_q) || far_q;
    c_cont   = next_dec && (32'(stay_q) < StayMax - 1 || !s_any) && run_q;
  end

  logic sc_stop;   // the frame ends and the scanner leaves the queue: this cycle's read is void
  assign sc_stop  = rdv_q && c_end && !c_cont;
  assign sw_load  = !sc_active_q && !sc_load_q && s_any;
  assign rd_en    = sc_active_q;
  assign rd_addr  = {sc_q, RowW'(rd_ptr_q >> LL)};
  assign sc_s_new = rd_idx_q + 16'd1;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      sc_end[q] = rdv_q && c_end && sc_q == QW'(q);
    end
  end

  // The queue's scan counts move on at the frame's end (the eops' by a multiplexer: the RAM
  // output picks between two counts worked out ahead, not an adder after it).
  logic [GapW-1:0] es_inc;
  assign es_inc = es_sc + GapW'(1);
  always_ff @(posedge clk_i) begin
    if (rdv_q && c_end) begin
      s_mem[sc_q]  <= sc_s_new;
      es_mem[sc_q] <= c_eop ? es_inc : es_sc;
    end
  end

  // S3: the frame with this descriptor, and its verdict.
  logic [127:0] v_cmd;
  logic [20:0]  v_len;
  logic         v_zero;
  logic [3:0]   v_err;
  always_comb begin
    nic_hw_pkg::seg_kind_e kind;
    logic seg;
    v_cmd  = s3_first_q ? s3_dcmd_q : f3_cmd_q;
    v_len  = (s3_first_q ? 21'd0 : f3_len_q) + 21'(s3_len_q);
    v_zero = (!s3_first_q && f3_zero_q) || s3_len_q == '0;
    kind   = nic_hw_pkg::seg_kind_e'(v_cmd[nic_hw_pkg::TX_OFFLOAD_CMD_SEG_LSB +
                                           nic_hw_pkg::SEG_CMD_KIND_LSB +: 2]);
    seg    = kind == nic_hw_pkg::SegKindTcp || kind == nic_hw_pkg::SegKindUdp;
    if (s3_count_q) v_err = nic_hw_pkg::TxErrDescCount;
    else if (v_zero) v_err = nic_hw_pkg::TxErrDescLen;
    else if (32'(v_len) > (seg ? MaxSegFrameBytes : MaxFrameBytes)) v_err = nic_hw_pkg::TxErrDescLen;
    else v_err = nic_hw_pkg::TxErrNone;
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      sc_active_q <= 1'b0;
      sc_load_q   <= 1'b0;
      rdv_q       <= 1'b0;
      s_last_q    <= NumQ'(1);
      left_q      <= 1'b0;
      fa_cnt_q    <= '0;
      cnt_last_q  <= MaxDescs == 1;
      s3_dv_q     <= 1'b0;
      s4_rv_q     <= 1'b0;
    end else begin
      rdv_q <= sc_active_q && room && !sc_stop;
      if (sc_active_q && room && !sc_stop) rd_ptr_q <= rd_ptr_q + 16'd1;
      left_q   <= sc_stop;
      if (sc_stop) sc_active_q <= 1'b0;
      // A queue is picked, then its scan position loaded (a cycle each).
      sc_load_q <= 1'b0;
      // s_any is s_gnt != 0, from a register beside the pick.
      if (sw_load) begin
        sc_load_q <= 1'b1;
        sc_q      <= oh_index(s_gnt);
        s_last_q  <= s_gnt;
      end
      // The flag was a hint: with no frame to judge the scanner leaves the queue at once.
      if (sc_load_q) begin
        sc_active_q <= sw_judge;
        rd_ptr_q    <= load_szero ? '0 : s_mem[sc_q];
        stay_q      <= '0;
      end
      if (rdv_q) begin
        if (c_end) begin
          fa_cnt_q   <= '0;
          cnt_last_q <= MaxDescs == 1;
          stay_q     <= stay_q + 4'(stay_q != 4'hF);   // saturates: it may stay longer
        end else begin
          fa_cnt_q   <= fa_cnt_q + 8'd1;
          cnt_last_q <= 32'(fa_cnt_q) + 2 == MaxDescs;
        end
      end
      s3_dv_q <= rdv_q;
      s4_rv_q <= s3_dv_q && s3_end_q;
    end
    if (sc_active_q && room && !sc_stop) rd_idx_q <= rd_ptr_q;
    s3_end_q   <= c_end;
    s3_first_q <= fa_cnt_q == '0;
    s3_count_q <= !c_eop && cnt_last_q;
    s3_addr_q  <= c_addr;
    s3_len_q   <= c_len;
    s3_dcmd_q  <= c_cmd;
    s3_q_q     <= sc_q;
    s3_n_q     <= fa_cnt_q + 8'd1;
    s3_idx_q   <= rd_idx_q & mask_mem[sc_q];
    if (s3_dv_q) begin
      f3_len_q  <= v_len;
      f3_zero_q <= v_zero;
      f3_cmd_q  <= v_cmd;
    end
    s4_q_q    <= s3_q_q;
    s4_n_q    <= s3_n_q;
    s4_idx_q  <= s3_idx_q;
    s4_err_q  <= v_err;
    s4_flen_q <= v_len;
    s4_cmd_q  <= v_cmd;
  end

  logic        dsc_free;
  logic [12:0] s3_tobnd;
  logic        s3_fit1, s3_fit2;
  assign s3_tobnd = 13'(MaxBurst) - 13'(s3_addr_q[MBL-1:0]);
  assign s3_fit1  = 17'(s3_len_q) <= 17'(s3_tobnd);
  assign s3_fit2  = 17'(s3_len_q) <= 17'(s3_tobnd) + 17'(MaxBurst);
  nic_fifo #(.Width(64 + 16 + 13 + 2), .Depth(DDepth)) u_dsc (
    .clk_i,
    .rst_i,
    .s_valid_i (s3_dv_q),
    .s_ready_o (dsc_free),
    .s_data_i  ({s3_addr_q, s3_len_q, s3_tobnd, s3_fit1, s3_fit2}),
    .m_valid_o (dsc_valid_o),
    .m_ready_i (dsc_ready_i),
    .m_data_o  ({dsc_addr_o, dsc_len_o, dsc_tobnd_o, dsc_fit1_o, dsc_fit2_o}),
    .level_o   (dlevel)
  );

  logic rec_free;
  nic_fifo #(.Width(QW + 8 + 16 + 4 + 21 + 128), .Depth(RDepth)) u_rec (
    .clk_i,
    .rst_i,
    .s_valid_i (s4_rv_q),
    .s_ready_o (rec_free),
    .s_data_i  ({s4_q_q, s4_n_q, s4_idx_q, s4_err_q, s4_flen_q, s4_cmd_q}),
    .m_valid_o (rec_valid_o),
    .m_ready_i (rec_ready_i),
    .m_data_o  ({rec_q_o, rec_n_o, rec_idx_o, rec_err_o, rec_len_o, rec_cmd_o}),
    .level_o   (rlevel)
  );

`ifndef SYNTHESIS
  // The scanner reads only with room in both FIFOs for what it has in flight (room).
  always_ff @(posedge clk_i) begin
    if (!rst_i && ((s3_dv_q && !dsc_free) || (s4_rv_q && !rec_free))) begin
      $error("nic_tx_desc_fetch: a descriptor or record FIFO was full");
    end
  end
`else
  logic unused_free;
  assign unused_free = dsc_free ^ rec_free;
`endif

  logic unused_nodata;
  assign unused_nodata = f_nodata ^ s_nodata;

  // From last cycle's eligibility (nic_tx_path waits for 16 idle cycles in a row anyway).
  // (A FIFO with entries shows one at its output within two cycles: its valid stands for its level.)
  // A running queue's scan flag, even one set for a frame already scanned, is work: the
  // scanner takes the queue and clears it.
  assign idle_o = !fsm_busy && elig_f_q == '0 && !f_any && !sc_active_q && !sc_load_q &&
                  (sw_q & q_running_o) == '0 && !ar_v_q && !ar2_hit_q && !s_any &&
                  !d1_valid_q && !s3_dv_q && !s4_rv_q && !dsc_valid_o && !rec_valid_o &&
                  start_ok == '0;

endmodule
