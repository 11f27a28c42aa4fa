# Source hygiene, run as a CTest test:
#   cmake -DCC=<C compiler> -DSRC=<dir> -P check_sources.cmake
# Fails if any .c or .h file under SRC
# - calls malloc, calloc, realloc or free anywhere but core/alloc.c (every allocation goes
#   through viv__alloc, so that the simulation's allocator hook sees all of it), or
# - calls anything that reads a clock or a process-wide random generator (every run must be
#   reproducible from its seed alone).
# Comments are removed first by the compiler's preprocessor in "already preprocessed" mode
# (no macro expansion, no includes), and string literals by a regex, so prose and messages
# may name these functions. Member calls such as `pool->free(...)` are not matched.
cmake_minimum_required(VERSION 3.16)
if(NOT CC OR NOT SRC)
  message(FATAL_ERROR "usage: cmake -DCC=<compiler> -DSRC=<dir> -P check_sources.cmake")
endif()

set(alloc_calls malloc calloc realloc free aligned_alloc posix_memalign strdup strndup)
set(nondeterministic_calls rand srand random srandom rand_r drand48 erand48 lrand48 mrand48
    srand48 arc4random getrandom time clock gettimeofday clock_gettime timespec_get ftime)

file(GLOB_RECURSE files ${SRC}/*.c ${SRC}/*.h)
list(SORT files)
set(problems 0)
set(checked 0)
foreach(f ${files})
  execute_process(COMMAND ${CC} -fpreprocessed -dD -E -P -x c ${f}
                  OUTPUT_VARIABLE code ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${f}: could not strip comments: ${err}")
    math(EXPR problems "${problems} + 1")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  string(REGEX REPLACE "\"([^\"\\\\\n]|\\\\.)*\"" "\"\"" code "${code}")
  string(REGEX REPLACE "'([^'\\\\\n]|\\\\.)*'" "''" code "${code}")
  file(RELATIVE_PATH rel ${SRC} ${f})
  set(banned ${nondeterministic_calls})
  if(NOT rel STREQUAL "core/alloc.c")
    list(APPEND banned ${alloc_calls})
  endif()
  string(REPLACE ";" "|" alternatives "${banned}")
  # The code is split into lines; a semicolon in the code would split a line further, which
  # is harmless here.
  string(REPLACE "\n" ";" lines "${code}")
  foreach(line IN LISTS lines)
    if(line MATCHES "(^|[^A-Za-z0-9_.>])(${alternatives})[ \t]*\\(")
      message(SEND_ERROR "src/${rel}: calls ${CMAKE_MATCH_2}(): ${line}")
      math(EXPR problems "${problems} + 1")
    endif()
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no source file found under ${SRC}")
endif()
if(problems GREATER 0)
  message(FATAL_ERROR "${problems} forbidden call(s) in ${SRC}: allocate through viv__alloc() "
          "(src/core/core.h) and take time and randomness from the simulation")
endif()
message(STATUS "source hygiene: ${checked} files checked, no forbidden call")
