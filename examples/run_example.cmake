# Runs an example program and compares its standard output with the expected text, byte for
# byte; used by the CTest tests of examples/CMakeLists.txt:
#   cmake -DPROGRAM=<exe> -DEXPECTED=<file> [-DARGS=<a;b>] [-DACTUAL=<file>] -P run_example.cmake
# Fails if the program fails or prints anything else. The output it printed is kept in ACTUAL
# (default: <program>.out beside the program), to compare with `diff -u EXPECTED ACTUAL`; the
# tutorial pages show the expected files, so a change in the output is a change in the docs:
# to accept one, copy ACTUAL over EXPECTED (and read the pages that show it).
cmake_minimum_required(VERSION 3.16)
if(NOT PROGRAM OR NOT EXPECTED)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<exe> -DEXPECTED=<file> -P run_example.cmake")
endif()
if(NOT ACTUAL)
  set(ACTUAL ${PROGRAM}.out)
endif()
execute_process(COMMAND ${PROGRAM} ${ARGS}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(WRITE ${ACTUAL} "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc}):\n${err}")
endif()
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  message(FATAL_ERROR "${PROGRAM} printed something other than ${EXPECTED}:\n"
                      "  diff -u ${EXPECTED} ${ACTUAL}\n${err}")
endif()
