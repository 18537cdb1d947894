# vitis.mk: the Vitis build of the mbufnic_nic kernel, shared by boards/<card>/Makefile.
#
# A board Makefile sets BOARD and includes its config.mk (PLATFORM, PART, CMAC_INTERFACE,
# HOST_MEM_CFG/CARD_MEM_CFG and the nic_kernel parameters), then this file.  Targets:
#
#   make check      what is missing (Vivado, Vitis, the platform, the CMAC kernel, the
#                   generated sources) and how to get it; exit 1 if anything is
#   make xo         package the kernel: $(OUT)/mbufnic_nic.xo (Vivado)
#   make hw         link for the card:  $(OUT)/mbufnic_nic.hw.$(MEM).xclbin (v++ -t hw)
#   make hw_emu     link for hardware emulation, and emconfig.json (v++ -t hw_emu)
#
# Variables (command line or environment):
#   BUILD_DIR  CMake build directory that holds boards/nic_kernel_sources.txt and
#              hw/nic_hw_pkg.sv (default: build-release at the top of the tree)
#   VNX_DIR    a clone of Xilinx/xup_vitis_network_example (its cmac kernel and the
#              post-link hook that wires the QSFP28 GT pins to it)
#   CMAC_XO    the cmac kernel built by VNx for this platform (default: VNx's own output path)
#   MEM        host (m_axi_gmem to HOST[0], the default) or card (to the card's DDR/HBM)
#   LOOPBACK   1: the card's frames come back to it inside the kernel (the CMAC is linked but
#              idle), for the end-to-end tests on a card without a cable (docs/xrt.md); 0, the
#              default: frames go to the QSFP28 cage
#   OUT        output directory (default: $(BUILD_DIR)/boards/$(BOARD), with -loopback for a
#              loopback build)

VITIS_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
REPO      := $(abspath $(VITIS_DIR)/../../..)
BOARD_DIR := $(REPO)/boards/$(BOARD)

BUILD_DIR ?= $(REPO)/build-release
MEM       ?= host
LOOPBACK  ?= 0
ifeq ($(LOOPBACK),1)
OUT       ?= $(BUILD_DIR)/boards/$(BOARD)-loopback
else ifeq ($(LOOPBACK),0)
OUT       ?= $(BUILD_DIR)/boards/$(BOARD)
else
$(error LOOPBACK must be 0 or 1, not '$(LOOPBACK)')
endif
KERNEL_MHZ ?= 250
SOURCES   := $(BUILD_DIR)/boards/nic_kernel_sources.txt
HW_PKG    := $(BUILD_DIR)/hw/nic_hw_pkg.sv
# VNx's Ethernet/Makefile writes the kernel to _x.<platform>/cmac_<interface>.xo.
CMAC_XO   ?= $(VNX_DIR)/Ethernet/_x.$(basename $(notdir $(PLATFORM)))/cmac_$(CMAC_INTERFACE).xo
POST_LINK := $(VNX_DIR)/Ethernet/post_sys_link.tcl

ifeq ($(MEM),host)
LINK_CFG := $(BOARD_DIR)/vitis/$(HOST_MEM_CFG)
else ifeq ($(MEM),card)
LINK_CFG := $(BOARD_DIR)/vitis/$(CARD_MEM_CFG)
else
$(error MEM must be host or card, not '$(MEM)')
endif

KERNEL_PARAMS := NumTxQ=$(NumTxQ) NumRxQ=$(NumRxQ) TxMaxDescs=$(TxMaxDescs) RxMaxBufs=$(RxMaxBufs) \
                 Loopback=$(LOOPBACK)
XO := $(OUT)/mbufnic_nic.xo

.NOTPARALLEL:
.PHONY: check check-tools check-inputs check-link xo hw hw_emu clean help
.DEFAULT_GOAL := help

help:
	@awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' $(VITIS_DIR)/vitis.mk

# Tools first: nothing else can be done without them.
check-tools:
	@missing=0; \
	if ! command -v vivado >/dev/null 2>&1; then \
	  echo "missing: vivado (AMD Vivado Design Suite) is not on PATH."; \
	  echo "         Install Vivado (it comes with Vitis) and run: source <install>/Vivado/<version>/settings64.sh"; \
	  missing=1; fi; \
	if ! command -v v++ >/dev/null 2>&1; then \
	  echo "missing: v++ (AMD Vitis) is not on PATH."; \
	  echo "         Install the Vitis Unified Software Platform and run: source <install>/Vitis/<version>/settings64.sh"; \
	  echo "         (Xilinx/xup_vitis_network_example lists Vitis 2021.1 to 2022.2 for its cmac kernel.)"; \
	  missing=1; fi; \
	if [ -z "$$XILINX_XRT" ]; then \
	  echo "missing: XILINX_XRT is not set: install XRT (github.com/Xilinx/XRT releases) and run: source /opt/xilinx/xrt/setup.sh"; \
	  missing=1; fi; \
	if [ $$missing -ne 0 ]; then echo "$(BOARD): cannot build the xclbin here (see above)."; exit 1; fi; \
	echo "$(BOARD): vivado $$(command -v vivado), v++ $$(command -v v++), XRT $$XILINX_XRT"

check-inputs: check-tools
	@missing=0; \
	if [ ! -f "$(SOURCES)" ] || [ ! -f "$(HW_PKG)" ]; then \
	  echo "missing: $(SOURCES) or $(HW_PKG)."; \
	  echo "         Configure and generate them: cmake --preset release && cmake --build --preset release --target mbufnic_hw_gen"; \
	  echo "         (or pass BUILD_DIR=<your build directory>)"; \
	  missing=1; fi; \
	if [ $$missing -ne 0 ]; then exit 1; fi

check-link: check-inputs
	@missing=0; \
	if ! platforminfo --platform $(PLATFORM) >/dev/null 2>&1; then \
	  echo "missing: platform $(PLATFORM) is not installed (platforminfo cannot find it)."; \
	  echo "         Install the card's development platform package from its AMD Alveo product page,"; \
	  echo "         or pass PLATFORM=<path to its .xpfm>."; \
	  missing=1; fi; \
	if [ -z "$(VNX_DIR)" ] || [ ! -f "$(POST_LINK)" ]; then \
	  echo "missing: VNX_DIR (a clone of github.com/Xilinx/xup_vitis_network_example, with submodules)."; \
	  echo "         The wire goes through its cmac kernel; its Ethernet/post_sys_link.tcl wires the QSFP28 pins."; \
	  missing=1; \
	elif [ ! -f "$(CMAC_XO)" ]; then \
	  echo "missing: $(CMAC_XO)."; \
	  echo "         Build it (needs the free CMAC license, see VNx README):"; \
	  echo "         make -C $(VNX_DIR)/Ethernet DEVICE=$(PLATFORM) INTERFACE=$(CMAC_INTERFACE)"; \
	  missing=1; fi; \
	if [ $$missing -ne 0 ]; then exit 1; fi

check: check-link
	@echo "$(BOARD): everything needed for 'make hw' and 'make hw_emu' is here."

xo: check-inputs $(XO)

$(XO): $(SOURCES) $(HW_PKG) $(VITIS_DIR)/package_xo.tcl $(VITIS_DIR)/kernel_xml.tcl \
       $(VITIS_DIR)/kernel.xml $(VITIS_DIR)/nic_kernel_ooc.xdc $(BOARD_DIR)/config.mk
	mkdir -p $(OUT)
	cd $(OUT) && vivado -mode batch -notrace -nojournal -log package_xo.log \
	  -source $(VITIS_DIR)/package_xo.tcl -tclargs \
	  xo=$@ work=$(OUT)/xo_work sources=$(SOURCES) part=$(PART) $(KERNEL_PARAMS)

# Both kernels on the platform's default kernel clock, set to $(KERNEL_MHZ) MHz: the stream
# connection is then within one clock and the cmac kernel crosses to 322 MHz inside itself.
define link
	mkdir -p $(OUT)/$(1)
	cd $(OUT)/$(1) && v++ --link --target $(1) --platform $(PLATFORM) \
	  --kernel_frequency $(KERNEL_MHZ) \
	  --config $(LINK_CFG) \
	  --advanced.param compiler.userPostSysLinkOverlayTcl=$(POST_LINK) \
	  --temp_dir $(OUT)/$(1)/_x --log_dir $(OUT)/$(1)/logs --report_dir $(OUT)/$(1)/reports \
	  --output $(OUT)/mbufnic_nic.$(1).$(MEM).xclbin \
	  $(XO) $(CMAC_XO)
endef

hw: check-link xo
	$(call link,hw)

hw_emu: check-link xo
	$(call link,hw_emu)
	cd $(OUT) && emconfigutil --platform $(PLATFORM) --od $(OUT)

clean:
	rm -rf $(OUT)
