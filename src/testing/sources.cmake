# The testing kit (vivarium/testing.h, vivarium/wire.h).
set(VIV_SRC_LAYER build.c expect.c parse.c physics.c record.c)

# viv_scenario_repeat() runs its two runs in two threads where the C library has POSIX
# threads built in (glibc 2.34 and later, musl, macOS): the check links pthread_create with
# no extra library, so the library's link line (and its pkg-config and CMake packages) never
# grows a thread library. Elsewhere the two runs are sequential.
include(CheckSymbolExists)
check_symbol_exists(pthread_create pthread.h VIV_KIT_LIBC_PTHREAD)
if(VIV_KIT_LIBC_PTHREAD)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/physics.c PROPERTIES
                              COMPILE_DEFINITIONS VIV_KIT_PTHREAD=1)
endif()
