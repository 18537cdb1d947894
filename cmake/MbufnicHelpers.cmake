# Helpers shared by every folder: warnings, sanitizers, libraries and tests.

# Warnings for the project's own code (never for third-party headers).
set(MBUFNIC_WARNINGS -Wall -Wextra -Wno-missing-field-initializers)

if(MBUFNIC_SANITIZE)
  add_compile_options(-fsanitize=${MBUFNIC_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MBUFNIC_SANITIZE})
endif()

# Fuzzing: all of the project's code carries libFuzzer's coverage instrumentation, so that the
# fuzzer sees which paths of the runtime, driver and card model an input reaches; only the fuzz
# targets link libFuzzer itself (tests/fuzz).
if(MBUFNIC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MBUFNIC_FUZZ needs clang (libFuzzer): use the `fuzz` preset")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# mbufnic_library(name SOURCES ...): a library target with the project's warnings.
function(mbufnic_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MBUFNIC_WARNINGS})
endfunction()

# mbufnic_test(name SOURCES ... LIBS ... LABELS label): a GoogleTest executable registered with
# CTest, one CTest test per GoogleTest case.  One label only: gtest_discover_tests flattens a
# list-valued property into separate arguments.
function(mbufnic_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MBUFNIC_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  if(TARGET mbufnic_test_pch)
    target_precompile_headers(${name} REUSE_FROM mbufnic_test_pch)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # gtest_discover_tests passes PROPERTIES on as a flat list, so a second label would be read
  # as a property name (and the TIMEOUT after it lost): one label per test program.
  list(LENGTH ARG_LABELS n_labels)
  if(n_labels GREATER 1)
    message(FATAL_ERROR "mbufnic_test(${name}): one label only, not '${ARG_LABELS}'")
  endif()
  # RapidCheck properties run 500 cases each (its default is 100).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                                  ENVIRONMENT "RC_PARAMS=max_success=500")
endfunction()
