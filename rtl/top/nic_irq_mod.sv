// nic_irq_mod: interrupt moderation for one queue (txq/rxq registers irq and irq_time).
//
// Counts the queue's completions not yet signalled and the cycles since the first of them.
// While armed, the interrupt fires once that count reaches irq.pkts (0 acts as 1), or once
// irq_time.cycles (when not 0) have passed since the first unsignalled completion.  Firing is
// a one-cycle pulse on irq_o; it disarms the interrupt and starts the count and the timer
// afresh.  The host re-arms with the irq.arm pulse after draining the ring: completions that
// arrived meanwhile were counted, so an arm that finds the threshold already met fires at
// once and nothing written just before the arm is lost.  A completion in the very cycle of a
// firing is counted for the next interrupt (a spare interrupt costs the host a ring check; a
// missed one would stall it).
//
// The interrupt is armed out of reset, so a host that brings a queue up as docs/card.md
// lists gets its first interrupt without an extra write.  Disabling the queue (enable_i low)
// forgets unsignalled completions; the arm state stays as it is.
//
// The timer counts only while it is on (irq_time.cycles not 0) and stops when it reaches
// irq_time.cycles.  (A host that turns the timer on while completions wait has it count from
// then on.)
//
// busy_o is high in every cycle whose clock edge could change the block's state with no input
// in that cycle (no completion, arm or register write): then a simulator that skips the cycles
// where nic_top's idle_o is high sees exactly what clocking them would give.  It is a register,
// high in the cycle after a timer tick, a firing, a completion, an arm or a write of the
// queue's registers.  That covers it: with none of those in a cycle, the next cycle starts
// from the same state and inputs, so it neither ticks nor fires, and the pulse of a firing is
// in the cycle after it.  So busy_o stays high one cycle past the last change, and an OR of
// many queues' busy_o starts at flip-flops (nic_queue_regs has hundreds of queues behind one).
module nic_irq_mod (
  input  logic        clk_i,
  input  logic        rst_i,
  input  logic        enable_i,   // the queue is enabled (ctrl.enable)
  input  logic        cpl_i,      // pulse: one completion of this queue was written
  input  logic [15:0] pkts_i,     // irq.pkts
  input  logic [23:0] cycles_i,   // irq_time.cycles (0: no timer)
  input  logic        arm_i,      // pulse: irq.arm written with 1
  input  logic        wr_i,       // the queue's registers are written (enable_i, pkts_i and
                                  // cycles_i may differ next cycle)
  output logic        irq_o,      // pulse: the interrupt fires
  output logic        busy_o      // clocking may change the state (see above)
);

  logic        armed_q, armed_d;
  logic [15:0] count_q, count_d;      // unsignalled completions, saturating
  logic [15:0] count_inc;             // count_q + 1, saturating
  logic [23:0] elapsed_q, elapsed_d;  // timer cycles since the first of them, up to cycles_i
  logic        irq_q, busy_q;
  logic        fire, pending, timer_hit, timer_run;

  assign pending   = count_q != '0;
  assign timer_hit = pending && cycles_i != '0 && elapsed_q >= cycles_i;
  assign timer_run = pending && cycles_i != '0 && elapsed_q < cycles_i;
  // count >= max(pkts, 1): with count nonzero, pkts 0 behaves as 1.
  assign fire      = armed_q && pending && (count_q >= pkts_i || timer_hit);

  // fire only chooses between next values worked out beside it: it ends its own comparisons,
  // so nothing waits on it but the last multiplexer (the increment and the zero test of the
  // count used to follow it: the block's longest path).  A completion in a firing cycle, or
  // with nothing unsignalled, is the first of a new count: count 1, timer from 0.
  always_comb begin
    count_inc = (count_q != '1) ? count_q + 16'd1 : count_q;
    armed_d   = fire ? 1'b0 : (arm_i ? 1'b1 : armed_q);
    if (!cpl_i) begin
      count_d   = fire ? '0 : count_q;
      elapsed_d = timer_run ? elapsed_q + 24'd1 : elapsed_q;
    end else begin
      count_d   = (fire || !pending) ? 16'd1 : count_inc;
      elapsed_d = (fire || !pending) ? '0 : (timer_run ? elapsed_q + 24'd1 : elapsed_q);
    end
    if (!enable_i) begin
      count_d   = '0;
      elapsed_d = '0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      armed_q   <= 1'b1;
      count_q   <= '0;
      elapsed_q <= '0;
      irq_q     <= 1'b0;
      busy_q    <= 1'b0;
    end else begin
      armed_q   <= armed_d;
      count_q   <= count_d;
      elapsed_q <= elapsed_d;
      irq_q     <= fire;
      busy_q    <= timer_run || fire || cpl_i || arm_i || wr_i;
    end
  end

  assign irq_o  = irq_q;
  assign busy_o = busy_q;

endmodule
