# Exported symbols, run as a CTest test:
#   cmake -DNM=<nm> -DSHARED=<libvivarium.so> -DSTATIC=<libvivarium.a> -P check_exports.cmake
# - The shared library exports only the public API: names starting with viv_ (never the
#   internal viv__ ones), plus the few symbols the linker itself defines on some systems.
# - Every global symbol defined in the static library starts with viv_ (public) or viv__
#   (internal), so that linking it never clashes with another library's names (lwIP's
#   tcp_*, ip_*, for one).
cmake_minimum_required(VERSION 3.16)
if(NOT NM OR NOT SHARED OR NOT STATIC)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DSHARED=<.so> -DSTATIC=<.a> -P check_exports.cmake")
endif()
set(linker_symbols _init _fini _edata _end __bss_start)

function(defined_globals out lib)
  execute_process(COMMAND ${NM} ${ARGN} --defined-only ${lib}
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${lib}: ${err}")
  endif()
  string(REPLACE "\n" ";" lines "${text}")
  set(names)
  foreach(line IN LISTS lines)
    # "<address> <type> <name>"; upper-case types are global (weak ones are V and W).
    if(line MATCHES "^[0-9a-fA-F]* *([A-Z]) ([^ ]+)$")
      list(APPEND names ${CMAKE_MATCH_2})
    endif()
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

set(bad 0)
defined_globals(exported ${SHARED} -D)
set(api 0)
foreach(s IN LISTS exported)
  if(s MATCHES "^viv_[a-z0-9]")
    math(EXPR api "${api} + 1")
  elseif(s MATCHES "^__odr_asan[._]viv_")
    # AddressSanitizer's one-definition-rule markers for global variables: the sanitizer's,
    # not ours.
  elseif(NOT s IN_LIST linker_symbols)
    message(SEND_ERROR "${SHARED} exports ${s}: only viv_ API symbols may be exported "
            "(mark the public ones VIV_API; everything else stays hidden)")
    math(EXPR bad "${bad} + 1")
  endif()
endforeach()
if(NOT "viv_sim_new" IN_LIST exported OR NOT "viv_version" IN_LIST exported)
  message(SEND_ERROR "${SHARED} does not export viv_sim_new and viv_version")
  math(EXPR bad "${bad} + 1")
endif()

defined_globals(globals ${STATIC})
foreach(s IN LISTS globals)
  if(NOT s MATCHES "^viv_" AND NOT s MATCHES "^__odr_asan[._]viv_")
    message(SEND_ERROR "${STATIC} defines the global symbol ${s}: prefix it viv__ or make "
            "it static")
    math(EXPR bad "${bad} + 1")
  endif()
endforeach()

if(bad GREATER 0)
  message(FATAL_ERROR "${bad} symbol problem(s)")
endif()
message(STATUS "exports: ${api} viv_ symbols exported from the shared library, nothing else")
