# mbufnic_hw_generate(): the generated hardware definitions (hw/gen.py over hw/nic.toml).
#
#   mbufnic_hw_generate(TOML <definition> GENERATOR <gen.py> OUT <directory>)
#
# The generator runs twice:
#   - at configure time, so the files exist before anything reads them: Verilated models are
#     verilated while CMake configures (mbufnic_verilate) and read nic_hw_pkg.sv;
#   - at build time, whenever the definition or the generator changes (custom target
#     mbufnic_hw_gen, part of ALL); the two are configure dependencies too, so such a build
#     configures first and the models are verilated again from the new package.
# gen.py rewrites only the files whose content changed, so re-running it costs no rebuild.
#
# Sets in the caller's scope:
#   MBUFNIC_HW_DIR          the output directory
#   MBUFNIC_HW_PKG          <dir>/nic_hw_pkg.sv          (SystemVerilog package nic_hw_pkg)
#   MBUFNIC_HW_PROBE        <dir>/nic_hw_probe.sv        (test-only layout probe)
#   MBUFNIC_HW_FIELDS_INC   <dir>/nic_hw_fields.inc      (test-only C++ table for the probe)
#   MBUFNIC_HW_MD           <dir>/nic_hw.md              (reference tables)
#   MBUFNIC_HW_HEADER       <dir>/include/mbufnic/hw/nic_hw.h
# and defines the INTERFACE library mbufnic_hw: link it for #include <mbufnic/hw/nic_hw.h>
# (it also orders the consumer after mbufnic_hw_gen).
find_package(Python3 3.11 REQUIRED COMPONENTS Interpreter)

function(mbufnic_hw_generate)
  cmake_parse_arguments(H "" "TOML;GENERATOR;OUT" "" ${ARGN})
  if(NOT H_TOML OR NOT H_GENERATOR OR NOT H_OUT)
    message(FATAL_ERROR "mbufnic_hw_generate: TOML, GENERATOR and OUT are required")
  endif()
  get_filename_component(toml ${H_TOML} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  get_filename_component(gen ${H_GENERATOR} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  get_filename_component(out ${H_OUT} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})

  set(pkg ${out}/nic_hw_pkg.sv)
  set(probe ${out}/nic_hw_probe.sv)
  set(inc ${out}/nic_hw_fields.inc)
  set(md ${out}/nic_hw.md)
  set(header ${out}/include/mbufnic/hw/nic_hw.h)
  set(outputs ${pkg} ${header} ${out}/include/mbufnic/hw/nic_hw_c.h ${md} ${probe} ${inc})
  set(cmd ${Python3_EXECUTABLE} ${gen} --toml ${toml} --out ${out})

  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  if(rc)
    message(FATAL_ERROR "hw/gen.py failed:\n${log}")
  endif()

  # The Verilated models read the package at configure time (mbufnic_verilate): a change to
  # the definition configures again, so they are verilated from the new one.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${toml} ${gen})

  add_custom_command(OUTPUT ${outputs}
    COMMAND ${cmd}
    DEPENDS ${toml} ${gen}
    COMMENT "Generating hardware definitions from ${H_TOML}"
    VERBATIM)
  add_custom_target(mbufnic_hw_gen ALL DEPENDS ${outputs})

  add_library(mbufnic_hw INTERFACE)
  target_include_directories(mbufnic_hw INTERFACE $<BUILD_INTERFACE:${out}/include>)
  target_compile_features(mbufnic_hw INTERFACE cxx_std_20)
  # Dependencies of an INTERFACE library pass to whatever links it.
  add_dependencies(mbufnic_hw mbufnic_hw_gen)

  set(MBUFNIC_HW_DIR ${out} PARENT_SCOPE)
  set(MBUFNIC_HW_PKG ${pkg} PARENT_SCOPE)
  set(MBUFNIC_HW_PROBE ${probe} PARENT_SCOPE)
  set(MBUFNIC_HW_FIELDS_INC ${inc} PARENT_SCOPE)
  set(MBUFNIC_HW_MD ${md} PARENT_SCOPE)
  set(MBUFNIC_HW_HEADER ${header} PARENT_SCOPE)
endfunction()
