# The install test, run as a CTest test. It installs the current build tree into a fresh
# prefix inside WORK and builds the outside program consumer/consumer.c against it twice:
# 1. through pkg-config (PKG_CONFIG_PATH pointing into the prefix), with the compiler alone;
# 2. through find_package(vivarium), as the CMake project consumer/ (shared and static).
# Each program must run and print exactly the expected line. Everything it writes stays in
# WORK (and the install manifest in BUILD_DIR).
#
#   cmake -DBUILD_DIR= -DWORK= -DSOURCE_DIR= -DCC= -DGENERATOR= -DVERSION= -DLIBDIR=
#         -DPKG_CONFIG= [-DSAN_FLAGS=<;-list>] -P install_test.cmake
cmake_minimum_required(VERSION 3.16)
foreach(v BUILD_DIR WORK SOURCE_DIR CC GENERATOR VERSION LIBDIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: ${v} is not set")
  endif()
endforeach()
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found: install it (Debian: apt-get install pkg-config)")
endif()

set(prefix ${WORK}/prefix)
set(expected "vivarium consumer: library ${VERSION}, 3 events, clock at 3000000 ns")

# Runs a command; stops the test with its output if it fails. OUT receives its stdout.
function(run out what)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n${cmd}\n${o}\n${e}")
  endif()
  set(${out} "${o}" PARENT_SCOPE)
endfunction()

function(check_output program how)
  run(o "running ${program}" ${program})
  string(STRIP "${o}" o)
  if(NOT o STREQUAL expected)
    message(FATAL_ERROR "${how}: ${program} printed\n  ${o}\ninstead of\n  ${expected}")
  endif()
  message(STATUS "${how}: ${o}")
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# Install.
run(o "cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/vivarium.h include/vivarium/common.h ${LIBDIR}/libvivarium.so
          ${LIBDIR}/libvivarium.a ${LIBDIR}/pkgconfig/vivarium.pc
          ${LIBDIR}/cmake/vivarium/vivariumConfig.cmake
          ${LIBDIR}/cmake/vivarium/vivariumConfigVersion.cmake
          ${LIBDIR}/cmake/vivarium/vivariumTargets.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install did not produce ${f}")
  endif()
endforeach()
file(GLOB_RECURSE installed_headers RELATIVE ${prefix}/include ${prefix}/include/*)
foreach(h ${installed_headers})
  if(NOT h MATCHES "^vivarium(\\.h|/.*\\.h)$")
    message(FATAL_ERROR "the install put ${h} under include/: only public headers belong there")
  endif()
endforeach()

# 1. pkg-config. The .pc file finds its prefix from its own place, so a prefix chosen at
# install time works.
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run(modversion "pkg-config --modversion" ${PKG_CONFIG} --modversion vivarium)
string(STRIP "${modversion}" modversion)
if(NOT modversion STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config says version ${modversion}, the build is ${VERSION}")
endif()
run(cflags "pkg-config --cflags" ${PKG_CONFIG} --cflags vivarium)
run(libs "pkg-config --libs" ${PKG_CONFIG} --libs vivarium)
run(libdir "pkg-config --variable=libdir" ${PKG_CONFIG} --variable=libdir vivarium)
string(STRIP "${libdir}" libdir)
get_filename_component(libdir_real ${libdir} REALPATH)
get_filename_component(prefix_libdir_real ${prefix}/${LIBDIR} REALPATH)
if(NOT libdir_real STREQUAL prefix_libdir_real)
  message(FATAL_ERROR "pkg-config's libdir ${libdir} is not the install's ${prefix}/${LIBDIR}")
endif()
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs UNIX_COMMAND "${libs}")
run(o "compiling with pkg-config's flags"
    ${CC} -std=c11 -Wall -Wextra -Wpedantic -Werror ${cflags}
    ${SOURCE_DIR}/consumer/consumer.c -o ${WORK}/consumer_pkgconfig
    ${libs} -Wl,-rpath,${libdir} ${SAN_FLAGS})
check_output(${WORK}/consumer_pkgconfig "pkg-config")

# 2. find_package(vivarium), from a separate CMake project. The package registries are off so
# that only the fresh prefix can satisfy it.
run(o "configuring consumer/"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK}/consumer-build -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${CC} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
file(STRINGS ${WORK}/consumer-build/CMakeCache.txt found REGEX "^vivarium_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found "${found}")
get_filename_component(found_real "${found}" REALPATH)
get_filename_component(want_real ${prefix}/${LIBDIR}/cmake/vivarium REALPATH)
if(NOT found_real STREQUAL want_real)
  message(FATAL_ERROR "find_package(vivarium) found ${found}, not the fresh install")
endif()
run(o "building consumer/" ${CMAKE_COMMAND} --build ${WORK}/consumer-build)
check_output(${WORK}/consumer-build/consumer_shared "find_package, vivarium::vivarium")
check_output(${WORK}/consumer-build/consumer_static "find_package, vivarium::vivarium_static")
