// Assertions on nic_irq_mod (simulation only): with busy_o low and no completion or register
// write, a clock changes neither the flags of any queue, the time, nor the interrupts.  (The
// RAM words are written only by a completion's A2 stage, which busy_o covers, or by a write.)
bind nic_irq_mod nic_quiet_check #(.Width(8 * NumQ + TW)) u_quiet_check (
  .clk_i,
  .rst_i,
  .quiet_i (!busy_o && !cpl_i && !w0_v),
  .state_i ({armed_q, clr_q, trun_q, texp_q, ton_q, evq_q, cfg_ok_q, irq_q, now_q})
);
