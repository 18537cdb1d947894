# Clocks of nic_kernel when the packaged IP is synthesized out of context (the IP's own runs;
# v++ constrains ap_clk from the platform's kernel clock in the linked design, which wins).
# 4.0 ns: the card's core clock, 250 MHz (docs/card.md).  No other constraint belongs to the
# kernel: every pin of the card (PCIe, QSFP28 GTs, clocks) belongs to the platform or to the
# CMAC kernel.
create_clock -period 4.000 -name ap_clk [get_ports ap_clk]
