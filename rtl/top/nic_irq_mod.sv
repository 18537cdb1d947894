// nic_irq_mod: interrupt moderation of every queue of one direction (txq/rxq registers irq and
// irq_time), its state in RAM.
//
// Per queue, the completions not yet signalled are counted.  While armed, the interrupt fires
// once that count reaches irq.pkts (0 acts as 1), or once irq_time.cycles (when not 0) have
// passed since the first unsignalled completion.  Firing is a one-cycle pulse on the queue's
// irq_o bit; it disarms the interrupt and starts the count afresh.  The host re-arms with the
// irq.arm pulse after draining the ring: completions that arrived meanwhile were counted, so
// an arm that finds the threshold already met fires at once and nothing written just before
// the arm is lost.  A completion that makes the count reach irq.pkts is signalled by the pulse
// it causes; the next one starts a new count.  The interrupt is armed out of reset, so a host
// that brings a queue up as docs/card.md lists gets its first interrupt without an extra
// write.  Disabling the queue (ctrl.enable written 0) forgets unsignalled completions, and a
// completion of a disabled queue is not counted; the arm state stays as it is.
//
// The timer: irq_time written from 0 to a value starts it from the write for completions that
// wait; written to another value that is not 0 it keeps its start (a timer that has run out
// stays run out); written 0 it is off.  The timer is never early, but not exact to the cycle:
// a sweep looks at the queues whose timer runs, one a cycle, so it fires a few cycles after it
// has run out, a cycle more for each other queue with a running timer.
//
// Why RAM.  With hundreds of queues, a counter, a timer and their compares a queue were the
// register block's largest part (about 100 LUT a queue, docs/synthesis.md).  Here what is kept
// a queue is in distributed RAM (the count and the timer's start, written by completions only;
// the thresholds and the start of a timer turned on, written by register writes only), plus
// seven flip-flops a queue (armed, count cleared, timer running, timer run out, timer started
// by a write, evaluation wanted, thresholds written) and the pulse.  Three pipelines, each a
// queue a cycle:
//
//   writes (W)       a register write (the cycle the front end stores it) is read against the
//                    stored thresholds in W0 and applied in W1: the thresholds, the arm, the
//                    timer turned on or off, a disable's forgetting, and an evaluation asked
//                    for.  A write's sets and clears of a flag win over A2's and B4's.  W0
//                    works the write out on the stored and on the reset thresholds; the
//                    thresholds-written flag, registered, chooses in W1.
//   completions (A)  A1 reads the queue's flags, count and thresholds and compares the count
//                    with the threshold ahead of time (the thresholds-written flag was read
//                    with the completion's queue number, a cycle before); A2 counts the
//                    completion, decides from the count and the timer's run-out flag, and
//                    writes.  Back to back completions of one queue take A2's own result
//                    instead of A1's read, and a write in A1's cycle is taken into account (an
//                    arm counts; a disable drops the completion; a timer written is left to the
//                    evaluation it asked for).
//   evaluations (B)  nic_rr_pick_reg picks, a cycle late, among the queues that want looking
//                    at (a running timer, or a write since the last look); the pick is
//                    registered and B0 makes it a queue number; B1 reads the queue, B2 works
//                    out the time elapsed and compares the count, B3 compares the time, B4
//                    decides and writes flags only.  An evaluation whose queue had its flags
//                    written after B1 read (by a write, another evaluation, or A2 counting a
//                    first completion or firing) is dropped and asked again.  One whose queue
//                    only had its count changed, or that A reads or writes now, decides the
//                    timer alone (its run-out flag, which A2 fires on) and is asked again; so
//                    what B4 writes is never from a stale read, and a timer runs out although
//                    completions of its queue keep coming.
//
// Time: now_q counts the cycles in which some timer runs; the timer's start is a stamp of it
// (one bit wider than irq_time.cycles, so the difference is exact while a running timer is
// looked at before 2^24 more cycles pass; the sweep looks at every one within hundreds).
//
// busy_o is high in every cycle whose clock edge could change the block's state with no
// input in that cycle (no completion, no register write): then a simulator that skips the
// cycles where nic_top's idle_o is high sees exactly what clocking them would give.  It is an
// OR of registers: the pipelines' valid bits, last cycle's flags (a timer running, an
// evaluation wanted, a pulse) and whether a pipeline wrote flags last cycle.
module nic_irq_mod #(
  parameter int unsigned NumQ = 8,
  parameter logic [31:0] ResetIrq = 32'd1,       // the irq word out of reset (its pkts)
  parameter logic [31:0] ResetTime = 32'd0,      // the irq_time word out of reset (its cycles)
  parameter int unsigned QW = (NumQ > 1) ? $clog2(NumQ) : 1
) (
  input  logic            clk_i,
  input  logic            rst_i,
  input  logic [NumQ-1:0] enable_i,      // every queue's ctrl.enable
  // A completion written, at most one a cycle (the caller drops queue numbers past NumQ).
  input  logic            cpl_i,
  input  logic [QW-1:0]   cpl_q_i,
  // The queue the register front end serves: the one written and the one read.
  input  logic [QW-1:0]   sel_q_i,
  // A register write of that queue, in the cycle it is stored, at most one every two cycles:
  // the bytes of irq and irq_time written (their data in wr_data_i), ctrl.enable written 0,
  // irq.arm written 1.  A cycle with none of them is no write.
  input  logic [3:0]      wr_irq_be_i,
  input  logic [3:0]      wr_time_be_i,
  input  logic            wr_off_i,
  input  logic            arm_i,
  input  logic [31:0]     wr_data_i,
  // Its irq and irq_time words as a read sees them (arm reads 0).
  output logic [31:0]     rd_irq_o,
  output logic [31:0]     rd_time_o,
  output logic [NumQ-1:0] irq_o,         // pulse: the queue's interrupt fires
  output logic            busy_o         // clocking may change the state (see above)
);

  localparam int unsigned TW = 25;   // time stamps
  localparam int unsigned CW = 40;   // the thresholds: {cycles, pkts}

  typedef struct packed {
    logic [23:0] cycles;
    logic [15:0] pkts;
  } cfg_t;

  // The flags a queue, in flip-flops.
  logic [NumQ-1:0] armed_q;    // the interrupt is armed
  logic [NumQ-1:0] clr_q;      // the count in RAM is stale: no completion waits
  logic [NumQ-1:0] trun_q;     // the timer may run: the sweep looks (it clears it if not)
  logic [NumQ-1:0] texp_q;     // the timer has run out for the completions that wait
  logic [NumQ-1:0] ton_q;      // the timer started at a write (ton_mem), not at the first wait
  logic [NumQ-1:0] evq_q;      // an evaluation is wanted (a write since the last)
  logic [NumQ-1:0] cfg_ok_q;   // the thresholds were written (else cfg_mem is not yet valid)
  logic [NumQ-1:0] irq_q;
  logic [TW-1:0]   now_q;

  // RAM: one writer each (A2: cnt_mem and t0_mem; W1: cfg_mem and ton_mem).
  logic [15:0]     cnt_mem [NumQ];   // unsignalled completions, saturating (stale if clr_q)
  logic [TW-1:0]   t0_mem  [NumQ];   // now_q at the first of them
  logic [TW-1:0]   ton_mem [NumQ];   // now_q when the timer was turned on with them waiting
  logic [CW-1:0]   cfg_mem [NumQ];   // cfg_t: irq.pkts and irq_time.cycles

  nic_hw_pkg::txq_irq_t      irq_reset;
  nic_hw_pkg::txq_irq_time_t time_reset;
  cfg_t                      cfg_reset;
  assign irq_reset  = ResetIrq;
  assign time_reset = ResetTime;
  assign cfg_reset  = {time_reset.cycles, irq_reset.pkts};

  function automatic logic [31:0] be_mask(input logic [3:0] be);
    for (int unsigned b = 0; b < 4; b++) be_mask[8*b +: 8] = {8{be[b]}};
  endfunction

  // ---- W: register writes ----------------------------------------------------------------
  // W0 reads the served queue's thresholds (for a read too) and works out the write's effect;
  // W1 applies it.  Writes come at most every other cycle, so W1's queue is not written in W0.
  // The written flag (cfg_ok_q, a multiplexer over the queues) decides the read word, but a
  // write's effect is worked out on both the stored and the reset thresholds, with the timer's
  // changes, and the flag, registered, chooses in W1: no compare waits for the multiplexer.
  logic   w0_v, w0_be;
  cfg_t   w0_old;
  nic_hw_pkg::txq_irq_t      rd_irq;
  nic_hw_pkg::txq_irq_time_t rd_time;

  // What a write does to the timer, from its old and new cycles: {changed, turned on (it
  // starts now), turned off}.
  function automatic logic [2:0] t_effect(input logic [23:0] old_c, input logic [23:0] new_c);
    t_effect = {new_c != old_c, new_c != '0 && old_c == '0, new_c == '0 && old_c != '0};
  endfunction

  logic            w1_v_q, w1_cfg_q, w1_off_q, w1_arm_q, w1_ok_q, w1_on, w1_off_t, w1_time;
  logic [QW-1:0]   w1_q_q;
  cfg_t            w1_st_new_q, w1_rs_new_q, w1_new;  // on the stored thresholds, on the reset
  logic [2:0]      w1_st_t_q, w1_rs_t_q;              // ones; their t_effect

  // The written bytes over the stored thresholds (st) and over the reset ones (rs).
  cfg_t                      w0_st, w0_st_new, w0_rs_new;
  nic_hw_pkg::txq_irq_t      w0_irq_st, w0_irq_rs;
  nic_hw_pkg::txq_irq_time_t w0_time_st, w0_time_rs;

  always_comb begin
    w0_be        = wr_irq_be_i != '0 || wr_time_be_i != '0;
    w0_v         = w0_be || wr_off_i || arm_i;
    w0_st        = cfg_t'(cfg_mem[sel_q_i]);
    w0_old       = cfg_ok_q[sel_q_i] ? w0_st : cfg_reset;
    rd_irq       = '0;
    rd_irq.pkts  = w0_old.pkts;
    rd_time      = '0;
    rd_time.cycles = w0_old.cycles;
    w0_irq_st    = '0;
    w0_irq_st.pkts = w0_st.pkts;
    w0_irq_rs    = '0;
    w0_irq_rs.pkts = cfg_reset.pkts;
    w0_time_st   = '0;
    w0_time_st.cycles = w0_st.cycles;
    w0_time_rs   = '0;
    w0_time_rs.cycles = cfg_reset.cycles;
    w0_irq_st    = (wr_data_i & be_mask(wr_irq_be_i)) | (w0_irq_st & ~be_mask(wr_irq_be_i));
    w0_irq_rs    = (wr_data_i & be_mask(wr_irq_be_i)) | (w0_irq_rs & ~be_mask(wr_irq_be_i));
    w0_time_st   = (wr_data_i & be_mask(wr_time_be_i)) | (w0_time_st & ~be_mask(wr_time_be_i));
    w0_time_rs   = (wr_data_i & be_mask(wr_time_be_i)) | (w0_time_rs & ~be_mask(wr_time_be_i));
    w0_st_new    = {w0_time_st.cycles, w0_irq_st.pkts};
    w0_rs_new    = {w0_time_rs.cycles, w0_irq_rs.pkts};
  end
  assign rd_irq_o  = rd_irq;
  assign rd_time_o = rd_time;

  always_ff @(posedge clk_i) begin
    if (w0_v) begin
      w1_q_q      <= sel_q_i;
      w1_ok_q     <= cfg_ok_q[sel_q_i];
      w1_st_new_q <= w0_st_new;
      w1_rs_new_q <= w0_rs_new;
      w1_st_t_q   <= t_effect(w0_st.cycles, w0_st_new.cycles);
      w1_rs_t_q   <= t_effect(cfg_reset.cycles, w0_rs_new.cycles);
      w1_cfg_q    <= w0_be;
      w1_off_q    <= wr_off_i;
      w1_arm_q    <= arm_i;
    end
  end

  assign w1_new = w1_ok_q ? w1_st_new_q : w1_rs_new_q;
  assign {w1_time, w1_on, w1_off_t} = w1_ok_q ? w1_st_t_q : w1_rs_t_q;

  always_ff @(posedge clk_i) begin
    if (w1_v_q && w1_cfg_q) cfg_mem[w1_q_q] <= w1_new;
  end
  always_ff @(posedge clk_i) begin
    if (w1_v_q && w1_on) ton_mem[w1_q_q] <= now_q;
  end

  // ---- A: completions --------------------------------------------------------------------
  logic            a1_v_q, a2_v_q;
  logic [QW-1:0]   a1_q_q, a2_q_q;
  logic [15:0]     a1_cnt;
  cfg_t            a1_raw;
  logic            a1_ok_q;
  // A1's read, for A2.
  logic            a2_armed_q, a2_texp_q, a2_first_q, a2_ge1_q, a2_ge2_q, a2_en_q, a2_fwd_q;
  logic [15:0]     a2_cnt_q;
  logic            a2_pk1_q, a2_pk2_q, a2_on_q;
  logic [16:0]     a2_pkm2_q;        // irq.pkts - 2, signed by its top bit
  logic            a2_w_arm_q, a2_w_off_q, a2_w_time_q;   // W1 on the queue in A1's cycle
  // A2's result, for a back-to-back completion of the same queue.
  logic            n_armed_q, n_texp_q, n_first_q, n_ge1_q;
  logic [15:0]     n_cnt_q;
  // A2.
  logic            a2_armed, a2_texp, a2_first, a2_ge1, a2_ge2, a2_ge, a2_tim, a2_fire, a2_go;
  logic [15:0]     a2_cnt, a2_cnt_n;

  assign a1_cnt = cnt_mem[a1_q_q];
  assign a1_raw = cfg_mem[a1_q_q];

  // A1's compares, made on the stored thresholds and on the reset ones, the written flag
  // choosing last.  The flag is read with the completion's queue number, a cycle ahead (with
  // W1's write of it in that cycle), so the multiplexer over the queues is not in A1.
  function automatic logic [4:0] ahead(input logic [15:0] cnt, input cfg_t cfg);
    ahead = {{1'b0, cnt} + 17'd1 >= {1'b0, cfg.pkts},    // ge1
             {1'b0, cnt} + 17'd2 >= {1'b0, cfg.pkts},    // ge2
             cfg.pkts <= 16'd1,                          // pk1
             cfg.pkts <= 16'd2,                          // pk2
             cfg.cycles != '0};                          // on
  endfunction
  logic [4:0]  a1_ahead;
  assign a1_ahead = a1_ok_q ? ahead(a1_cnt, a1_raw) : ahead(a1_cnt, cfg_reset);

  always_ff @(posedge clk_i) begin
    if (cpl_i) begin
      a1_q_q  <= cpl_q_i;
      a1_ok_q <= cfg_ok_q[cpl_q_i] || (w1_v_q && w1_cfg_q && w1_q_q == cpl_q_i);
    end
    if (a1_v_q) begin
      a2_q_q      <= a1_q_q;
      a2_armed_q  <= armed_q[a1_q_q];
      a2_texp_q   <= texp_q[a1_q_q];
      a2_first_q  <= clr_q[a1_q_q] || a1_cnt == '0;
      a2_cnt_q    <= a1_cnt;
      {a2_ge1_q, a2_ge2_q, a2_pk1_q, a2_pk2_q, a2_on_q} <= a1_ahead;
      a2_pkm2_q   <= a1_ok_q ? {1'b0, a1_raw.pkts} - 17'd2 : {1'b0, cfg_reset.pkts} - 17'd2;
      a2_en_q     <= enable_i[a1_q_q];
      a2_fwd_q    <= a2_v_q && a2_q_q == a1_q_q;
      a2_w_arm_q  <= w1_v_q && w1_arm_q && w1_q_q == a1_q_q;
      a2_w_off_q  <= w1_v_q && w1_off_q && w1_q_q == a1_q_q;
      a2_w_time_q <= w1_v_q && w1_time && w1_q_q == a1_q_q;
    end
  end

  // A2: the queue as it is now (A1's read, or A2's own last result), the completion counted
  // (1 if none waited), the decision: the count reaches irq.pkts (the compares were made ahead:
  // first, 1 >= pkts; else count + 1 >= pkts), or the timer has run out (the sweep's flag;
  // not after a write of the timer, whose evaluation decides).
  always_comb begin
    a2_armed = (a2_fwd_q ? n_armed_q : a2_armed_q) || a2_w_arm_q;
    // The run-out flag is read afresh as well: B4 may set it between back-to-back completions.
    a2_texp  = (a2_fwd_q && n_texp_q) || a2_texp_q;
    a2_first = a2_fwd_q ? n_first_q : a2_first_q;
    a2_cnt   = a2_fwd_q ? n_cnt_q : a2_cnt_q;
    a2_ge1   = a2_fwd_q ? n_ge1_q : a2_ge1_q;
    // count + 2 >= pkts, for the next completion's count + 1: count >= pkts - 2.
    a2_ge2   = a2_fwd_q ? (a2_pkm2_q[16] || {1'b0, n_cnt_q} >= a2_pkm2_q) : a2_ge2_q;
    a2_ge    = a2_first ? a2_pk1_q : a2_ge1;
    a2_tim   = !a2_first && a2_texp && !a2_w_time_q;
    a2_fire  = a2_armed && (a2_ge || a2_tim);
    a2_go    = a2_v_q && a2_en_q && !a2_w_off_q;
    a2_cnt_n = a2_first ? 16'd1 : (a2_cnt != '1 ? a2_cnt + 16'd1 : a2_cnt);
  end

  always_ff @(posedge clk_i) begin
    if (a2_v_q) begin
      if (a2_go) begin
        n_armed_q <= a2_armed && !a2_fire;
        n_texp_q  <= a2_texp && !a2_fire && !a2_first;
        n_first_q <= a2_fire;
        n_cnt_q   <= a2_cnt_n;
        n_ge1_q   <= a2_first ? a2_pk2_q : a2_ge2;
      end else begin
        n_armed_q <= a2_armed;
        n_texp_q  <= a2_texp && !a2_w_off_q;
        n_first_q <= a2_first || a2_w_off_q;
        n_cnt_q   <= a2_cnt;
        n_ge1_q   <= a2_ge1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (a2_go) cnt_mem[a2_q_q] <= a2_cnt_n;
  end
  always_ff @(posedge clk_i) begin
    if (a2_go && a2_first) t0_mem[a2_q_q] <= now_q;
  end

  // ---- B: evaluations --------------------------------------------------------------------
  // The pick (a cycle late) is registered one-hot, which is also its last grant; B0 makes it a
  // queue number.
  logic [NumQ-1:0] want, pick, pick_q;
  logic            pick_v, pick_v_q;
  logic            pick_nodata;   // the round robin's data select, not used
  logic            b1_v_q, b2_v_q, b3_v_q, b4_v_q;
  logic [QW-1:0]   b0_q, b1_q_q, b2_q_q, b3_q_q, b4_q_q;
  logic            b2_armed_q, b2_clr_q, b2_trun_q, b2_texp_q;
  logic [15:0]     b2_cnt_q;
  logic [TW-1:0]   b2_start_q;
  cfg_t            b2_cfg_q;
  logic [TW-1:0]   b3_elapsed_q;
  logic [23:0]     b3_cycles_q;
  logic            b3_pend_q, b3_armed_q, b3_trun_q, b3_texp_q, b3_ge_q, b3_on_q;
  logic            b4_pend_q, b4_armed_q, b4_reached_q, b4_texp_q, b4_ge_q, b4_on_q;
  logic            b2_stale_q, b3_stale_q, b4_stale_q;     // flags written since B1 read
  logic            b2_cs_q, b3_cs_q, b4_cs_q;              // only the count written since
  logic            b1_hit, b2_hit, b3_hit, b1_cs, b2_cs, b3_cs, a2_flags;
  logic            b4_count_ok, b4_go, b4_timer, b4_tim, b4_fire;

  assign want = evq_q | trun_q;

  nic_rr_pick_reg #(.Num(NumQ)) u_pick (
    .clk_i,
    .rst_i,
    .req_i  (want),
    .last_i (pick_q),
    .gnt_o  (pick),
    .any_o  (pick_v),
    .data_i ('0),
    .data_o (pick_nodata)
  );

  always_ff @(posedge clk_i) begin
    if (pick_v) pick_q <= pick;
  end

  always_comb begin
    b0_q = '0;
    for (int unsigned q = 0; q < NumQ; q++) if (pick_q[q]) b0_q = b0_q | QW'(q);
  end

  // A B stage's queue has its flags written at this edge (by W1, by B4, or by A2 with a first
  // completion or a firing): what the stage has read of it is stale.  A2 that only adds to
  // the count leaves the timer's flags as they were: the stage's count is stale, its timer not.
  assign a2_flags = a2_go && (a2_first || a2_fire);
  assign b1_hit = (w1_v_q && w1_q_q == b1_q_q) || (b4_go && b4_q_q == b1_q_q) ||
                  (a2_flags && a2_q_q == b1_q_q);
  assign b2_hit = (w1_v_q && w1_q_q == b2_q_q) || (b4_go && b4_q_q == b2_q_q) ||
                  (a2_flags && a2_q_q == b2_q_q);
  assign b3_hit = (w1_v_q && w1_q_q == b3_q_q) || (b4_go && b4_q_q == b3_q_q) ||
                  (a2_flags && a2_q_q == b3_q_q);
  assign b1_cs  = a2_v_q && a2_q_q == b1_q_q;
  assign b2_cs  = a2_v_q && a2_q_q == b2_q_q;
  assign b3_cs  = a2_v_q && a2_q_q == b3_q_q;

  always_ff @(posedge clk_i) begin
    if (pick_v_q) b1_q_q <= b0_q;
    if (b1_v_q) begin   // B1: read
      b2_q_q     <= b1_q_q;
      b2_armed_q <= armed_q[b1_q_q];
      b2_clr_q   <= clr_q[b1_q_q];
      b2_trun_q  <= trun_q[b1_q_q];
      b2_texp_q  <= texp_q[b1_q_q];
      b2_cnt_q   <= cnt_mem[b1_q_q];
      b2_start_q <= ton_q[b1_q_q] ? ton_mem[b1_q_q] : t0_mem[b1_q_q];
      b2_cfg_q   <= cfg_ok_q[b1_q_q] ? cfg_t'(cfg_mem[b1_q_q]) : cfg_reset;
      b2_stale_q <= b1_hit;
      b2_cs_q    <= b1_cs;
    end
    if (b2_v_q) begin   // B2: the time elapsed, the count's compare
      b3_q_q       <= b2_q_q;
      b3_stale_q   <= b2_stale_q || b2_hit;
      b3_cs_q      <= b2_cs_q || b2_cs;
      b3_elapsed_q <= now_q - b2_start_q;
      b3_cycles_q  <= b2_cfg_q.cycles;
      b3_pend_q    <= !b2_clr_q && b2_cnt_q != '0;
      b3_armed_q   <= b2_armed_q;
      b3_trun_q    <= b2_trun_q;
      b3_texp_q    <= b2_texp_q;
      b3_on_q      <= b2_cfg_q.cycles != '0;
      b3_ge_q      <= b2_cnt_q >= b2_cfg_q.pkts;
    end
    if (b3_v_q) begin   // B3: the timer's compare
      b4_q_q       <= b3_q_q;
      b4_stale_q   <= b3_stale_q || b3_hit;
      b4_cs_q      <= b3_cs_q || b3_cs;
      b4_reached_q <= b3_trun_q && b3_elapsed_q >= TW'(b3_cycles_q);
      b4_pend_q    <= b3_pend_q;
      b4_armed_q   <= b3_armed_q;
      b4_texp_q    <= b3_texp_q;
      b4_on_q      <= b3_on_q;
      b4_ge_q      <= b3_ge_q;
    end
  end

  // B4: dropped if the flags it read are stale (it stays wanted).  If only the count is, or A
  // reads or writes the queue now (A1's read would miss what B4 writes; A2 writes it itself),
  // B4 decides the timer only: run out, it sets the run-out flag, which A2 fires on, and stays
  // wanted; so a timer runs out although completions of its queue keep coming.  Else it
  // decides all: fire, or the timer's flags, and it is done.
  assign b4_go       = b4_v_q && !b4_stale_q;
  assign b4_count_ok = !b4_cs_q && !(a1_v_q && a1_q_q == b4_q_q) && !(a2_v_q && a2_q_q == b4_q_q);
  assign b4_tim      = b4_texp_q || b4_reached_q;
  assign b4_fire     = b4_count_ok && b4_armed_q && b4_pend_q && (b4_ge_q || b4_tim);
  // The timer alone: run out now, for completions that wait.
  assign b4_timer    = b4_pend_q && b4_on_q && b4_reached_q;

  // ---- The flags: W1's sets and clears win over A2's and B4's ------------------------------
  logic [NumQ-1:0] armed_d, clr_d, trun_d, texp_d, ton_d, evq_d, irq_d;

  always_comb begin
    for (int unsigned q = 0; q < NumQ; q++) begin
      logic a, b, w;
      a = a2_go && a2_q_q == QW'(q);
      b = b4_go && b4_q_q == QW'(q);
      w = w1_v_q && w1_q_q == QW'(q);
      armed_d[q] = armed_q[q];
      clr_d[q]   = clr_q[q];
      trun_d[q]  = trun_q[q];
      texp_d[q]  = texp_q[q];
      ton_d[q]   = ton_q[q];
      evq_d[q]   = evq_q[q];
      irq_d[q]   = (a && a2_fire) || (b && b4_fire);
      if (a && a2_fire) begin
        armed_d[q] = 1'b0;
        clr_d[q]   = 1'b1;
        trun_d[q]  = 1'b0;
        texp_d[q]  = 1'b0;
        ton_d[q]   = 1'b0;
      end else if (a && a2_first) begin
        // The first completion waiting starts the timer (or, after a write of it, asks the
        // sweep to look).
        clr_d[q]   = 1'b0;
        trun_d[q]  = a2_on_q || a2_w_time_q;
        texp_d[q]  = 1'b0;
        ton_d[q]   = 1'b0;
      end
      if (b && !b4_count_ok) begin
        // The timer alone; A2's own flags (a first completion, a firing) win at this edge.
        evq_d[q] = 1'b1;
        if (b4_timer && !(a && (a2_first || a2_fire))) begin
          trun_d[q] = 1'b0;
          texp_d[q] = 1'b1;
        end
      end else if (b) begin
        evq_d[q] = 1'b0;
        if (b4_fire) begin
          armed_d[q] = 1'b0;
          clr_d[q]   = 1'b1;
          trun_d[q]  = 1'b0;
          texp_d[q]  = 1'b0;
          ton_d[q]   = 1'b0;
        end else begin
          trun_d[q]  = b4_pend_q && b4_on_q && !b4_tim;
          texp_d[q]  = b4_pend_q && b4_on_q && b4_tim;
        end
      end
      if (w) begin
        evq_d[q] = 1'b1;
        if (w1_arm_q) armed_d[q] = 1'b1;
        if (w1_on) begin
          trun_d[q] = 1'b1;    // the evaluation stops it if nothing waits
          texp_d[q] = 1'b0;
          ton_d[q]  = 1'b1;
        end
        if (w1_off_t || w1_off_q) begin
          trun_d[q] = 1'b0;
          texp_d[q] = 1'b0;
          ton_d[q]  = 1'b0;
        end
        if (w1_off_q) clr_d[q] = 1'b1;
      end
    end
  end

  logic busy_q, wrote_q;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      armed_q  <= '1;
      clr_q    <= '1;
      trun_q   <= '0;
      texp_q   <= '0;
      ton_q    <= '0;
      evq_q    <= '0;
      cfg_ok_q <= '0;
      irq_q    <= '0;
      now_q    <= '0;
      a1_v_q   <= 1'b0;
      a2_v_q   <= 1'b0;
      b1_v_q   <= 1'b0;
      b2_v_q   <= 1'b0;
      b3_v_q   <= 1'b0;
      b4_v_q   <= 1'b0;
      pick_v_q <= 1'b0;
      w1_v_q   <= 1'b0;
      busy_q   <= 1'b0;
      wrote_q  <= 1'b0;
    end else begin
      armed_q <= armed_d;
      clr_q   <= clr_d;
      trun_q  <= trun_d;
      texp_q  <= texp_d;
      ton_q   <= ton_d;
      evq_q   <= evq_d;
      irq_q   <= irq_d;
      if (w1_v_q && w1_cfg_q) cfg_ok_q[w1_q_q] <= 1'b1;
      if (trun_q != '0) now_q <= now_q + TW'(1);
      a1_v_q  <= cpl_i;
      a2_v_q  <= a1_v_q;
      pick_v_q <= pick_v;
      b1_v_q  <= pick_v_q;
      b2_v_q  <= b1_v_q;
      b3_v_q  <= b2_v_q;
      b4_v_q  <= b3_v_q;
      w1_v_q  <= w0_v;
      // busy_o from registers: the flags that make the next cycle change (as they were), and
      // whether a pipeline wrote flags at this edge (what they are now).
      busy_q  <= (trun_q | evq_q | irq_q) != '0;
      wrote_q <= a2_v_q || b4_v_q || w1_v_q;
    end
  end

  assign irq_o  = irq_q;
  // The pick's registers change the cycle after its requests do (pick_v is last cycle's).
  assign busy_o = busy_q || wrote_q || pick_v || pick_v_q || a1_v_q || a2_v_q || b1_v_q ||
                  b2_v_q || b3_v_q || b4_v_q || w1_v_q;

  logic unused;   // the words' other fields (irq.arm comes as arm_i)
  assign unused = ^{w0_irq_st[31:16], w0_irq_rs[31:16], w0_time_st[31:24], w0_time_rs[31:24],
                    irq_reset, time_reset, pick_nodata};

endmodule
