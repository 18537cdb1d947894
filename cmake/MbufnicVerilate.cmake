# mbufnic_verilate(): Verilated models that share one copy of the Verilator runtime.
#
# Verilator's own verilate() compiles the runtime (verilated.cpp, the FST writer, ...) into every
# target, about 12 s of a 2-core machine each.  Here the runtime is one static library,
# mbufnic_verilated_runtime, built once with the settings every model uses (C++ only, FST
# tracing compiled in, no coverage), and each model is a static library of its generated code.
#
#   mbufnic_verilate(<target> TOP <module> [PREFIX <Vname>] SOURCES <sv files...>
#                    [PARAMS Name=value ...] [ARGS <extra verilator args...>] [SYSTEMC])
#
# SYSTEMC makes the model an sc_module (verilator --sc; SystemC from libsystemc-dev, found by
# mbufnic_find_systemc below) instead of a plain C++ class.  It links the same runtime library:
# Verilator's runtime sources do not depend on VM_SC, only its headers do, so an SC model takes
# the runtime's objects but not its VM_SC=0 (its own consumers compile with VM_SC=1).
#
# With MBUFNIC_RTL_ASSERT (on by default) every model is Verilated with --assert and carries the
# simulation-only checks of rtl/check: for each source rtl/<dir>/<module>.sv that has a
# rtl/check/<module>_bind.sv, that file (bind statements) and the checker modules it binds.  A
# failed assertion prints its message and aborts the simulation.
#
# Verilator runs at configure time only, and again whenever a source (or Verilator) is newer
# than its last run: the sources are configure dependencies, so the build that follows an RTL
# edit configures first.  The C++ files it writes are named after their content, so their list
# (the listing Verilator writes beside them) must be read before anything compiles; a
# Verilation during the build would compile the old list.  Consumers include "<Vname>.h" and
# link <target>.

option(MBUFNIC_RTL_ASSERT "Verilate the RTL with its SystemVerilog assertions (rtl/check)" ON)
# Link the Verilated models another build tree of these sources has already compiled, instead of
# Verilating and compiling them again: the sanitizer builds take the default build's models,
# compiled without the sanitizers (the generated code is Verilator's; what the sanitizers are
# for is the C++ around it: harnesses, bus models, tests), and save its long compile.  The
# other tree must be configured alike (same compiler, same MBUFNIC_RTL_ASSERT and widths) and
# built first.
set(MBUFNIC_RTL_MODELS_FROM "" CACHE PATH
    "A build tree whose compiled Verilated models to link (empty: build them here)")

find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)

if(NOT TARGET mbufnic_verilated_runtime AND MBUFNIC_RTL_MODELS_FROM)
  set(_vinc ${VERILATOR_ROOT}/include)
  set(_runtime ${MBUFNIC_RTL_MODELS_FROM}/libmbufnic_verilated_runtime.a)
  if(NOT EXISTS ${_runtime})
    message(FATAL_ERROR "MBUFNIC_RTL_MODELS_FROM=${MBUFNIC_RTL_MODELS_FROM}: no ${_runtime}; "
                        "build that tree first (cmake --build --preset default)")
  endif()
  add_library(mbufnic_verilated_runtime STATIC IMPORTED GLOBAL)
  set_target_properties(mbufnic_verilated_runtime PROPERTIES IMPORTED_LOCATION ${_runtime})
  target_include_directories(mbufnic_verilated_runtime SYSTEM INTERFACE ${_vinc} ${_vinc}/vltstd)
  target_compile_definitions(mbufnic_verilated_runtime INTERFACE
    VM_COVERAGE=0 VM_SC=0 VM_TRACE=1 VM_TRACE_VCD=0 VM_TRACE_FST=1)
  target_link_libraries(mbufnic_verilated_runtime INTERFACE Threads::Threads ZLIB::ZLIB)
elseif(NOT TARGET mbufnic_verilated_runtime)
  set(_vinc ${VERILATOR_ROOT}/include)
  add_library(mbufnic_verilated_runtime STATIC
    ${_vinc}/verilated.cpp ${_vinc}/verilated_threads.cpp ${_vinc}/verilated_fst_c.cpp)
  target_include_directories(mbufnic_verilated_runtime SYSTEM PUBLIC ${_vinc} ${_vinc}/vltstd)
  target_compile_definitions(mbufnic_verilated_runtime PUBLIC
    VM_COVERAGE=0 VM_SC=0 VM_TRACE=1 VM_TRACE_VCD=0 VM_TRACE_FST=1)
  # Generated and runtime code is not ours to warn about; keep it optimised even in Debug so
  # the RTL tests stay fast.
  target_compile_options(mbufnic_verilated_runtime PRIVATE -O2 -w)
  target_link_libraries(mbufnic_verilated_runtime PUBLIC Threads::Threads ZLIB::ZLIB)
  # clang leaves std::atomic's lock-free queries of the runtime to libatomic (GCC answers them
  # inline).
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_link_libraries(mbufnic_verilated_runtime PUBLIC atomic)
  endif()
endif()

# Verilator's runtime headers, precompiled once for every model (GCC, C++ models).  Each of a
# model's generated files starts by parsing verilated.h and the FST writer's header: about 1.5 s
# of a 2-core machine, most of the compile time of the hundreds of small files the models are
# made of.  Two headers, one for the -O2 files and one for the -O0 "slow" ones (below): GCC uses a
# precompiled header only with the optimisation level it was made with.  When one does not fit,
# GCC reads the plain headers instead, so a mismatch costs time, never a wrong build.  SystemC
# models (VM_SC=1) and clang builds do without.
function(mbufnic_verilated_pch_targets)
  if(TARGET mbufnic_vl_pch_fast OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
     OR MBUFNIC_RTL_MODELS_FROM)
    return()
  endif()
  set(src ${PROJECT_BINARY_DIR}/mbufnic_vl_pch.cc)
  if(NOT EXISTS ${src})
    file(WRITE ${src} "// Gives the precompiled-header targets of MbufnicVerilate.cmake a source.\n")
  endif()
  foreach(kind fast slow)
    add_library(mbufnic_vl_pch_${kind} OBJECT ${src})
    target_link_libraries(mbufnic_vl_pch_${kind} PRIVATE mbufnic_verilated_runtime)
    target_compile_options(mbufnic_vl_pch_${kind} PRIVATE -O2 -w -g0)
    target_precompile_headers(mbufnic_vl_pch_${kind} PRIVATE <verilated.h> <verilated_fst_c.h>)
  endforeach()
  target_compile_options(mbufnic_vl_pch_slow PRIVATE -O0)
endfunction()

function(mbufnic_verilate target)
  cmake_parse_arguments(V "SYSTEMC" "TOP;PREFIX" "SOURCES;PARAMS;ARGS" ${ARGN})
  set(kind --cc)
  if(V_SYSTEMC)
    set(kind --sc)
    mbufnic_find_systemc()
    if(NOT TARGET mbufnic::systemc)
      message(FATAL_ERROR "mbufnic_verilate(${target} SYSTEMC): SystemC not found "
                          "(apt-get install libsystemc-dev)")
    endif()
  endif()
  if(NOT V_TOP OR NOT V_SOURCES)
    message(FATAL_ERROR "mbufnic_verilate(${target}): TOP and SOURCES are required")
  endif()
  if(NOT V_PREFIX)
    set(V_PREFIX V${V_TOP})
  endif()
  if(MBUFNIC_RTL_MODELS_FROM)
    # The same target in the other tree: the same folder below its top, the same names.
    file(RELATIVE_PATH rel ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR})
    set(lib ${MBUFNIC_RTL_MODELS_FROM}/${rel}/lib${target}.a)
    if(NOT EXISTS ${lib})
      message(FATAL_ERROR "mbufnic_verilate(${target}): no ${lib} in MBUFNIC_RTL_MODELS_FROM; "
                          "build that tree first, configured alike")
    endif()
    add_library(${target} STATIC IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${lib})
    target_include_directories(${target} INTERFACE
                               ${MBUFNIC_RTL_MODELS_FROM}/${rel}/${target}.vdir)
    mbufnic_link_verilated_runtime(${target} INTERFACE "${V_SYSTEMC}")
    return()
  endif()
  set(mdir ${CMAKE_CURRENT_BINARY_DIR}/${target}.vdir)
  set(abs_sources)
  foreach(s ${V_SOURCES})
    get_filename_component(s ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND abs_sources ${s})
  endforeach()
  if(MBUFNIC_RTL_ASSERT)
    set(binds)
    foreach(s ${abs_sources})
      get_filename_component(n ${s} NAME_WE)
      if(EXISTS ${PROJECT_SOURCE_DIR}/rtl/check/${n}_bind.sv)
        list(APPEND binds ${PROJECT_SOURCE_DIR}/rtl/check/${n}_bind.sv)
      endif()
    endforeach()
    if(binds)
      file(GLOB checkers ${PROJECT_SOURCE_DIR}/rtl/check/nic_*_check.sv)
      list(SORT checkers)
      list(APPEND abs_sources ${checkers} ${binds})
    endif()
    list(APPEND V_ARGS --assert)
  endif()
  set(params)
  foreach(p ${V_PARAMS})
    list(APPEND params -G${p})
  endforeach()
  set(cmd ${VERILATOR_BIN} ${kind} --make cmake --prefix ${V_PREFIX} --top-module ${V_TOP}
          --Mdir ${mdir} --trace-fst --trace-structs -O3 -Wno-fatal
          ${params} ${V_ARGS} ${abs_sources})

  set(listing ${mdir}/${V_PREFIX}.cmake)
  set(stamp ${mdir}/args.txt)
  set(old "")
  if(EXISTS ${stamp})
    file(READ ${stamp} old)
  endif()
  set(stale FALSE)
  if(NOT EXISTS ${listing} OR NOT old STREQUAL "${cmd}")
    set(stale TRUE)
  else()
    foreach(dep ${abs_sources} ${VERILATOR_BIN})
      if(${dep} IS_NEWER_THAN ${stamp})
        set(stale TRUE)
        break()
      endif()
    endforeach()
  endif()
  if(stale)
    message(STATUS "Verilating ${V_TOP} (${target})")
    file(MAKE_DIRECTORY ${mdir})
    execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc)
      message(FATAL_ERROR "Verilator failed for ${target}:\n${out}")
    endif()
    file(WRITE ${stamp} "${cmd}")
  endif()
  include(${listing})
  set(gen ${${V_PREFIX}_CLASSES_FAST} ${${V_PREFIX}_CLASSES_SLOW}
          ${${V_PREFIX}_SUPPORT_FAST} ${${V_PREFIX}_SUPPORT_SLOW})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${abs_sources} ${VERILATOR_BIN} ${listing})

  add_library(${target} STATIC ${gen})
  target_include_directories(${target} PUBLIC ${mdir})
  mbufnic_link_verilated_runtime(${target} PUBLIC "${V_SYSTEMC}")
  target_compile_options(${target} PRIVATE -O2 -w -g0)
  # Verilator's "slow" files hold what runs once: constructors, the initial and settle
  # evaluation, the trace declarations.  They are about half the models' compile time at -O2
  # (the whole card's trace declarations alone 46 s, 6.7 s at -O0), and a run spends
  # microseconds in them; a source's options come after its target's, so -O0 wins.
  set(slow_opts -O0)
  mbufnic_verilated_pch_targets()
  if(TARGET mbufnic_vl_pch_fast AND NOT V_SYSTEMC)
    target_precompile_headers(${target} REUSE_FROM mbufnic_vl_pch_fast)
    # The slow files take the -O0 header by hand (a target has one precompiled header).
    get_target_property(pch_dir mbufnic_vl_pch_slow BINARY_DIR)
    set(slow_pch ${pch_dir}/CMakeFiles/mbufnic_vl_pch_slow.dir/cmake_pch.hxx)
    list(APPEND slow_opts -Winvalid-pch -include ${slow_pch})
    set_source_files_properties(${${V_PREFIX}_CLASSES_SLOW} ${${V_PREFIX}_SUPPORT_SLOW}
                                TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON
                                OBJECT_DEPENDS ${slow_pch}.gch)
    add_dependencies(${target} mbufnic_vl_pch_slow)
  endif()
  set_source_files_properties(${${V_PREFIX}_CLASSES_SLOW} ${${V_PREFIX}_SUPPORT_SLOW}
                              TARGET_DIRECTORY ${target} PROPERTIES COMPILE_OPTIONS "${slow_opts}")
endfunction()

# A C++ model takes the runtime library with its usage requirements; a SystemC model its objects
# only, with VM_SC=1 and SystemC instead.
function(mbufnic_link_verilated_runtime target scope systemc)
  if(NOT systemc)
    target_link_libraries(${target} ${scope} mbufnic_verilated_runtime)
    return()
  endif()
  target_link_libraries(${target} ${scope} $<LINK_ONLY:mbufnic_verilated_runtime> mbufnic::systemc
                        Threads::Threads ZLIB::ZLIB)
  target_include_directories(${target} SYSTEM ${scope}
                             ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
  target_compile_definitions(${target} ${scope}
    VM_COVERAGE=0 VM_SC=1 VM_TRACE=1 VM_TRACE_VCD=0 VM_TRACE_FST=1)
endfunction()

# mbufnic::systemc: SystemC 2.3 with TLM-2.0 as Debian installs them (headers in /usr/include, a
# shared library, pkg-config files but no CMake package).  Nothing is defined when it is absent.
function(mbufnic_find_systemc)
  if(TARGET mbufnic::systemc)
    return()
  endif()
  find_path(MBUFNIC_SYSTEMC_INCLUDE_DIR NAMES systemc.h)
  find_path(MBUFNIC_TLM_INCLUDE_DIR NAMES tlm.h)
  find_library(MBUFNIC_SYSTEMC_LIBRARY NAMES systemc)
  if(MBUFNIC_SYSTEMC_INCLUDE_DIR AND MBUFNIC_TLM_INCLUDE_DIR AND MBUFNIC_SYSTEMC_LIBRARY)
    add_library(mbufnic::systemc INTERFACE IMPORTED GLOBAL)
    target_include_directories(mbufnic::systemc SYSTEM INTERFACE ${MBUFNIC_SYSTEMC_INCLUDE_DIR}
                                                                 ${MBUFNIC_TLM_INCLUDE_DIR})
    target_link_libraries(mbufnic::systemc INTERFACE ${MBUFNIC_SYSTEMC_LIBRARY})
    # SystemC checks at link time that its users were compiled for the C++ standard the
    # library was (a symbol named after it: Debian's 2.3.4 is C++17's, sc_api_version_..._
    # cxx201703L).  This project is C++20, so tell the headers the library's standard.
    find_program(MBUFNIC_NM NAMES nm)
    set(std "")
    if(MBUFNIC_NM)
      execute_process(COMMAND ${MBUFNIC_NM} -D --defined-only ${MBUFNIC_SYSTEMC_LIBRARY}
                      OUTPUT_VARIABLE syms ERROR_QUIET)
      string(REGEX MATCH "sc_api_version_[0-9_]+_cxx([0-9]+L)" _ "${syms}")
      set(std ${CMAKE_MATCH_1})
    endif()
    if(std)
      target_compile_definitions(mbufnic::systemc INTERFACE SC_CPLUSPLUS=${std})
    else()
      message(WARNING "SystemC: could not read the C++ standard ${MBUFNIC_SYSTEMC_LIBRARY} was "
                      "built for; if linking fails on sc_api_version, set SC_CPLUSPLUS to it")
    endif()
  endif()
endfunction()
