# Alveo U50: the Vitis platform, the FPGA part, and nic_kernel's parameters (rtl/kernel/nic_kernel.sv).
# Read by boards/u50/Makefile (make syntax), by package_xo.tcl (as NAME=VALUE arguments) and by
# tests/rtl/kernel (Verilator lint with these parameters).

# Vitis platform (boards/u50/README.md says where the name comes from); a path to the .xpfm works too.
PLATFORM ?= xilinx_u50_gen3x16_xdma_5_202210_1
# FPGA part of the platform; the kernel IP is packaged for it.
PART := xcu50-fsvh2104-2L-e
# QSFP28 cage the cmac kernel drives (0 or 1; the link configs name its kernel cmac_0).
CMAC_INTERFACE ?= 0
# Link configurations: m_axi_gmem to host memory, or to the card's own memory.
HOST_MEM_CFG := link_host.cfg
CARD_MEM_CFG := link_hbm.cfg

# nic_kernel parameters.  DataWidth is fixed at 512 by the cmac kernel's streams.
NumTxQ := 8
NumRxQ := 8
TxMaxDescs := 16
RxMaxBufs := 16
