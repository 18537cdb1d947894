# cmake -DREADELF=... -DELF=... -DREPORT=... -DENTRY=0x... [-DSKIP=reason] -P check_elf.cmake
# The ctest check of the cross-built firmware: an RV32 (ELF32, RISC-V, RVC, soft-float) ELF whose
# entry is the management core's ROM base.  Prints "SKIP: ..." (the test's SKIP_REGULAR_EXPRESSION)
# when the toolchain was missing at configure time.
if(SKIP)
  message("SKIP: ${SKIP}")
  return()
endif()
if(NOT EXISTS ${ELF})
  message(FATAL_ERROR "no firmware ELF at ${ELF} (build the mbufnic_fw_rv32 target)")
endif()
execute_process(COMMAND ${READELF} -h ${ELF} OUTPUT_VARIABLE hdr RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "${READELF} -h ${ELF} failed")
endif()
math(EXPR entry "${ENTRY}" OUTPUT_FORMAT HEXADECIMAL)
foreach(want "Class: +ELF32" "Machine: +RISC-V" "Type: +EXEC" "Flags: .*RVC"
             "Flags: .*soft-float ABI" "Entry point address: +${entry}\n")
  if(NOT hdr MATCHES "${want}")
    message(FATAL_ERROR "${ELF}: the ELF header does not match '${want}':\n${hdr}")
  endif()
endforeach()
file(READ ${REPORT} report)
message("rv32 firmware ${ELF}: RV32 ELF, entry ${entry}\n${report}")
