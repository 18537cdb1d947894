// Assertions on nic_irq_mod (simulation only): with busy_o low and no completion, arm or
// register write, a clock changes neither the moderation state nor the interrupt.
bind nic_irq_mod nic_quiet_check #(.Width(1 + 16 + 24 + 1)) u_quiet_check (
  .clk_i,
  .rst_i,
  .quiet_i (!busy_o && !cpl_i && !arm_i && !wr_i),
  .state_i ({armed_q, count_q, elapsed_q, irq_q})
);
