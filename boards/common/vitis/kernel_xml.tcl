# kernel_xml.tcl: read the <port> elements of a Vitis kernel.xml and compare two of them.
# Plain Tcl (no Vivado): package_xo.tcl uses it after package_xo, and it runs under tclsh:
#   tclsh kernel_xml.tcl A.xml B.xml      exit 0 when both name the same ports, 1 otherwise.

namespace eval kernel_xml {}

# Ports of a kernel.xml as a sorted list of "name mode dataWidth" triples.
proc kernel_xml::ports {path} {
  set f [open $path r]
  set text [read $f]
  close $f
  # Comments may mention ports; only elements count.
  regsub -all {<!--.*?-->} $text {} text
  set ports {}
  foreach element [regexp -all -inline {<port\s[^>]*>} $text] {
    set attrs [dict create name {} mode {} dataWidth {}]
    foreach {all key value} [regexp -all -inline {(\w+)="([^"]*)"} $element] {
      dict set attrs $key $value
    }
    lappend ports [list [dict get $attrs name] [dict get $attrs mode] [dict get $attrs dataWidth]]
  }
  return [lsort $ports]
}

# Differences between the ports of two kernel.xml files, one line each; empty when equal.
proc kernel_xml::diff {expected actual} {
  set want [kernel_xml::ports $expected]
  set have [kernel_xml::ports $actual]
  set lines {}
  foreach p $want {
    if {[lsearch -exact $have $p] < 0} { lappend lines "missing in $actual: $p" }
  }
  foreach p $have {
    if {[lsearch -exact $want $p] < 0} { lappend lines "not in $expected: $p" }
  }
  return $lines
}

if {[info exists ::argv0] && [file tail $::argv0] eq "kernel_xml.tcl"} {
  if {[llength $::argv] != 2} {
    puts stderr "usage: tclsh kernel_xml.tcl EXPECTED.xml ACTUAL.xml"
    exit 2
  }
  set d [kernel_xml::diff {*}$::argv]
  foreach line $d { puts $line }
  exit [expr {[llength $d] ? 1 : 0}]
}
