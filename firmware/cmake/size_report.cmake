# cmake -DSIZE=<riscv64-unknown-elf-size> -DELF=<elf> -DOUT=<report> -P size_report.cmake
# Writes the ELF's text/data/bss (Berkeley format) to OUT and shows it in the build log.
execute_process(COMMAND ${SIZE} ${ELF} OUTPUT_VARIABLE report RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "${SIZE} ${ELF} failed")
endif()
file(WRITE ${OUT} "${report}")
message(STATUS "rv32 firmware size:\n${report}")
