# package_xo.tcl: package rtl/kernel/nic_kernel.sv (nic_top inside) as the user-managed Vitis
# RTL kernel "mbufnic_nic" (.xo).  Run by the boards' Makefiles (boards/common/vitis/vitis.mk):
#
#   vivado -mode batch -notrace -source package_xo.tcl -tclargs \
#     xo=OUT.xo work=DIR sources=LIST part=PART [NumTxQ=8 NumRxQ=8 TxMaxDescs=16 RxMaxBufs=16]
#
#   sources  a file with one SystemVerilog source per line, in reading order (packages first,
#            nic_kernel.sv last): CMake writes it (<build>/boards/nic_kernel_sources.txt) from
#            the list the Verilated model is built from, generated nic_hw_pkg.sv included.
#   part     the platform's FPGA part (boards/<card>/config.mk); the IP is packaged for it.
#   Name=N   nic_kernel parameters: become the packaged IP's values (the board's config).
#
# Steps (UG1393/UG1700 "Packaging the RTL Code as a Vitis XO"): a throw-away project with the
# sources, ipx::package_project, the interfaces checked and tied to ap_clk/ap_rst_n, the
# control register window, sdx_kernel, ipx::check_integrity -kernel, then package_xo
# -ctrl_protocol user_managed.  The kernel.xml package_xo derives must name the same ports as
# the reviewed boards/common/vitis/kernel.xml (compared at the end).

set here [file dirname [file normalize [info script]]]
source [file join $here kernel_xml.tcl]

proc fail {msg} {
  puts stderr "package_xo.tcl: ERROR: $msg"
  exit 1
}

# ---- Arguments
set opts [dict create]
foreach arg $::argv {
  if {![regexp {^([A-Za-z_]\w*)=(.*)$} $arg -> key value]} {
    fail "argument '$arg' is not NAME=VALUE"
  }
  dict set opts $key $value
}
foreach key {xo work sources part} {
  if {![dict exists $opts $key]} { fail "missing $key=... (see the header of this script)" }
}
set xo_path    [file normalize [dict get $opts xo]]
set work       [file normalize [dict get $opts work]]
set part       [dict get $opts part]
set kernel     mbufnic_nic
set top        nic_kernel
set ip_dir     [file join $work ip]
set params     [dict remove $opts xo work sources part]
foreach name [dict keys $params] {
  if {[lsearch -exact {NumTxQ NumRxQ TxMaxDescs RxMaxBufs CtrlAddrWidth GmemIdWidth Loopback} $name] < 0} {
    fail "unknown nic_kernel parameter '$name'"
  }
}

set f [open [dict get $opts sources] r]
set sources {}
foreach line [split [read $f] "\n"] {
  set line [string trim $line]
  if {$line ne "" && ![string match "#*" $line]} { lappend sources $line }
}
close $f
foreach src $sources {
  if {![file exists $src]} { fail "source '$src' does not exist (configure and build mbufnic_hw_gen first)" }
}
if {[file tail [lindex $sources end]] ne "$top.sv"} {
  fail "the source list must end with $top.sv"
}

# ---- Project with the card's sources
file delete -force $work
file mkdir $work
create_project -force ${kernel}_pkg [file join $work project] -part $part
add_files -norecurse $sources
set_property file_type SystemVerilog [get_files $sources]
set ooc [file join $here nic_kernel_ooc.xdc]
add_files -fileset constrs_1 -norecurse $ooc
set_property USED_IN {synthesis implementation out_of_context} [get_files $ooc]
set_property top $top [current_fileset]
update_compile_order -fileset sources_1

# ---- IP
ipx::package_project -root_dir $ip_dir -vendor mbufnic.org -library kernel -taxonomy /KernelIP \
  -import_files -set_current true
set core [ipx::current_core]
set_property name $kernel $core
set_property display_name "mbufnic NIC (nic_top) user-managed RTL kernel" $core
set_property version 1.0 $core
set_property core_revision 1 $core

# The board's parameters become the IP's values (model and user parameters of the same name).
dict for {name value} $params {
  set up [ipx::get_user_parameters $name -of_objects $core]
  set hp [ipx::get_hdl_parameters $name -of_objects $core]
  if {$up eq "" || $hp eq ""} { fail "packaged IP has no parameter '$name'" }
  set_property value $value $up
  set_property value $value $hp
}

proc bus {core name} {
  return [ipx::get_bus_interfaces $name -of_objects $core]
}

# Vivado infers AXI4-Lite, AXI4 and AXI4-Stream from the <bus>_<signal> port names.
foreach name {s_axi_control m_axi_gmem m_axis_tx s_axis_rx} {
  if {[bus $core $name] eq ""} { fail "bus interface '$name' was not inferred from the port names" }
}

# Clock and reset (inferred from their names by most Vivado versions; made sure of here).
if {[bus $core ap_clk] eq ""} {
  ipx::add_bus_interface ap_clk $core
  set_property abstraction_type_vlnv xilinx.com:signal:clock_rtl:1.0 [bus $core ap_clk]
  set_property bus_type_vlnv xilinx.com:signal:clock:1.0 [bus $core ap_clk]
  ipx::add_port_map CLK [bus $core ap_clk]
  set_property physical_name ap_clk [ipx::get_port_maps CLK -of_objects [bus $core ap_clk]]
}
if {[bus $core ap_rst_n] eq ""} {
  ipx::add_bus_interface ap_rst_n $core
  set_property abstraction_type_vlnv xilinx.com:signal:reset_rtl:1.0 [bus $core ap_rst_n]
  set_property bus_type_vlnv xilinx.com:signal:reset:1.0 [bus $core ap_rst_n]
  ipx::add_port_map RST [bus $core ap_rst_n]
  set_property physical_name ap_rst_n [ipx::get_port_maps RST -of_objects [bus $core ap_rst_n]]
}
proc bus_param {busif name value} {
  set p [ipx::get_bus_parameters $name -of_objects $busif]
  if {$p eq ""} { set p [ipx::add_bus_parameter $name $busif] }
  set_property value $value $p
}
bus_param [bus $core ap_rst_n] POLARITY ACTIVE_LOW
foreach name {s_axi_control m_axi_gmem m_axis_tx s_axis_rx} {
  ipx::associate_bus_interfaces -busif $name -clock ap_clk $core
}
bus_param [bus $core ap_clk] ASSOCIATED_RESET ap_rst_n

# Interrupt: one cycle high per interrupt the card raises (see nic_kernel.sv).
if {[bus $core interrupt] eq ""} {
  ipx::add_bus_interface interrupt $core
  set_property interface_mode master [bus $core interrupt]
  set_property abstraction_type_vlnv xilinx.com:signal:interrupt_rtl:1.0 [bus $core interrupt]
  set_property bus_type_vlnv xilinx.com:signal:interrupt:1.0 [bus $core interrupt]
  ipx::add_port_map INTERRUPT [bus $core interrupt]
  set_property physical_name interrupt [ipx::get_port_maps INTERRUPT -of_objects [bus $core interrupt]]
}
bus_param [bus $core interrupt] SENSITIVITY EDGE_RISING

# The DMA master: full-width INCR bursts of at most 64 beats (4 KiB), never narrow.
bus_param [bus $core m_axi_gmem] MAX_BURST_LENGTH 64
bus_param [bus $core m_axi_gmem] SUPPORTS_NARROW_BURST 0

# Control window: the whole CSR map twice, host port and management port, 256 KiB
# (boards/common/vitis/kernel.xml).
set mm [ipx::get_memory_maps s_axi_control -of_objects $core]
if {$mm eq ""} { set mm [ipx::add_memory_map s_axi_control $core] }
set_property slave_memory_map_ref s_axi_control [bus $core s_axi_control]
set block [ipx::get_address_blocks reg0 -of_objects $mm]
if {$block eq ""} { set block [ipx::add_address_block reg0 $mm] }
set_property base_address 0 $block
set_property range 262144 $block
set_property width 32 $block
set_property usage register $block

# ---- A Vitis RTL kernel
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
ipx::create_xgui_files $core
ipx::update_checksums $core
if {[catch {ipx::check_integrity -kernel $core} err]} {
  fail "ipx::check_integrity -kernel: $err"
}
ipx::save_core $core
close_project

# ---- The .xo
file mkdir [file dirname $xo_path]
set generated [file join $work kernel.generated.xml]
package_xo -force -xo_path $xo_path -kernel_name $kernel -ip_directory $ip_dir \
  -ctrl_protocol user_managed -output_kernel_xml $generated

set d [kernel_xml::diff [file join $here kernel.xml] $generated]
if {[llength $d]} {
  foreach line $d { puts stderr "package_xo.tcl: $line" }
  fail "the packaged kernel's ports differ from boards/common/vitis/kernel.xml"
}
puts "package_xo.tcl: wrote $xo_path (kernel $kernel, parameters: $params)"
