# The install test, run as a CTest test. It installs the current build tree into a fresh
# prefix inside WORK (not a directory the dynamic loader knows) and builds the outside
# program consumer/consumer.c against it, as a user following docs/setup.md would:
# 1. through pkg-config, with the compiler alone: `pkg-config --libs vivarium` (shared),
#    `pkg-config --libs vivarium-static` (static library, libc shared) and
#    `-static` with `pkg-config --static --libs vivarium` (all static);
# 2. through find_package(vivarium), as the CMake project consumer/, with vivarium::vivarium
#    and vivarium::vivarium_static, run from its build tree and again after its install.
# Every program is then RUN with an empty environment (no LD_LIBRARY_PATH, nothing else), and
# must print exactly the expected line; a shared one must load libvivarium.so.0 from the
# fresh prefix, a static one must not need it at all. Nothing in the commands it types adds
# a run-time path of its own: what makes the programs run is what the install gives.
# Everything it writes stays in WORK (and the install manifest in BUILD_DIR).
#
#   cmake -DBUILD_DIR= -DWORK= -DSOURCE_DIR= -DCC= -DGENERATOR= -DVERSION= -DLIBDIR=
#         -DPKG_CONFIG= -DREADELF= [-DSAN_FLAGS=<;-list>] -P install_test.cmake
cmake_minimum_required(VERSION 3.16)
foreach(v BUILD_DIR WORK SOURCE_DIR CC GENERATOR VERSION LIBDIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: ${v} is not set")
  endif()
endforeach()
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found: install it (Debian: apt-get install pkg-config)")
endif()
if(NOT READELF)
  find_program(READELF NAMES readelf)
  if(NOT READELF)
    message(FATAL_ERROR "readelf not found: install it (Debian: apt-get install binutils)")
  endif()
endif()
find_program(ENV_PROGRAM NAMES env)
if(NOT ENV_PROGRAM)
  message(FATAL_ERROR "env not found (it runs each program with an empty environment)")
endif()
find_program(LDD NAMES ldd)

set(prefix ${WORK}/prefix)
set(libdir ${prefix}/${LIBDIR})
set(expected "vivarium consumer: library ${VERSION}, 3 events, clock at 3000000 ns")

# Nothing from the calling environment may help a build or a program find the library: the
# run-time loader's and linker's variables (LD_RUN_PATH sets a run-time path where -rpath is
# missing), the compiler's search paths, and CMake's prefix path.
foreach(v LD_LIBRARY_PATH LD_RUN_PATH LD_PRELOAD LIBRARY_PATH CPATH C_INCLUDE_PATH
          CMAKE_PREFIX_PATH PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR)
  unset(ENV{${v}})
endforeach()

# Runs a command; stops the test with its output if it fails. OUT receives its stdout.
function(run out what)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n${cmd}\n${o}\n${e}")
  endif()
  set(${out} "${o}" PARENT_SCOPE)
endfunction()

# The NEEDED entries and the run-time path (RPATH or RUNPATH) of an ELF file.
function(elf_dynamic needed_out path_out file)
  run(d "readelf -d ${file}" ${READELF} -d ${file})
  string(REGEX MATCHALL "\\(NEEDED\\)[^[]*\\[[^]]*\\]" lines "${d}")
  set(needed)
  foreach(l IN LISTS lines)
    string(REGEX REPLACE ".*\\[(.*)\\]" "\\1" l "${l}")
    list(APPEND needed "${l}")
  endforeach()
  string(REGEX MATCHALL "\\((RPATH|RUNPATH)\\)[^[]*\\[[^]]*\\]" lines "${d}")
  set(rpath)
  foreach(l IN LISTS lines)
    string(REGEX REPLACE ".*\\[(.*)\\]" "\\1" l "${l}")
    list(APPEND rpath "${l}")
  endforeach()
  set(${needed_out} "${needed}" PARENT_SCOPE)
  set(${path_out} "${rpath}" PARENT_SCOPE)
endfunction()

# check_program(PROGRAM HOW KIND): KIND shared (loads libvivarium.so.0, from the fresh
# prefix) or static (does not need it). Runs PROGRAM with an empty environment and compares
# what it prints.
function(check_program program how kind)
  elf_dynamic(needed rpath ${program})
  if(kind STREQUAL "shared")
    if(NOT "libvivarium.so.0" IN_LIST needed)
      message(FATAL_ERROR "${how}: ${program} does not need libvivarium.so.0 (NEEDED: ${needed})")
    endif()
    if(LDD)
      run(deps "ldd ${program}" ${ENV_PROGRAM} -i ${LDD} ${program})
      if(NOT deps MATCHES "libvivarium\\.so\\.0 => ([^ \t\n]+) \\(")
        message(FATAL_ERROR "${how}: ${program} does not find libvivarium.so.0 without help "
                            "(run-time path: '${rpath}'):\n${deps}")
      endif()
      get_filename_component(found "${CMAKE_MATCH_1}" REALPATH)
      get_filename_component(want "${libdir}/libvivarium.so.0" REALPATH)
      if(NOT found STREQUAL want)
        message(FATAL_ERROR "${how}: ${program} loads ${CMAKE_MATCH_1}, not the fresh "
                            "install's ${libdir}/libvivarium.so.0")
      endif()
    endif()
  else()
    foreach(n IN LISTS needed)
      if(n MATCHES "vivarium")
        message(FATAL_ERROR "${how}: ${program} is linked statically, yet needs ${n}")
      endif()
    endforeach()
  endif()
  execute_process(COMMAND ${ENV_PROGRAM} -i ${program}
                  OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${how}: ${program} does not run by itself (exit ${rc}; NEEDED: "
                        "${needed}; run-time path: '${rpath}'):\n${o}\n${e}")
  endif()
  string(STRIP "${o}" o)
  if(NOT o STREQUAL expected)
    message(FATAL_ERROR "${how}: ${program} printed\n  ${o}\ninstead of\n  ${expected}")
  endif()
  message(STATUS "${how}: runs by itself (${kind}; run-time path '${rpath}'): ${o}")
endfunction()

# Runs a pkg-config query; OUT gets its stripped output.
function(pkgconf out)
  run(o "pkg-config ${ARGN}" ${PKG_CONFIG} ${ARGN})
  string(STRIP "${o}" o)
  set(${out} "${o}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# Install.
run(o "cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/vivarium.h include/vivarium/common.h ${LIBDIR}/libvivarium.so
          ${LIBDIR}/libvivarium.so.0 ${LIBDIR}/libvivarium.a
          ${LIBDIR}/pkgconfig/vivarium.pc ${LIBDIR}/pkgconfig/vivarium-static.pc
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
# The installed shared library: its soname, and no run-time path (it needs only libc; a path
# left from the build tree would point at a directory that may be gone).
run(d "readelf -d libvivarium.so.0" ${READELF} -d ${libdir}/libvivarium.so.0)
if(NOT d MATCHES "\\(SONAME\\)[^[]*\\[libvivarium\\.so\\.0\\]")
  message(FATAL_ERROR "the installed library's soname is not libvivarium.so.0:\n${d}")
endif()
if(d MATCHES "\\((RPATH|RUNPATH)\\)")
  message(FATAL_ERROR "the installed libvivarium.so.0 carries a run-time path:\n${d}")
endif()

# 1. pkg-config.
set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
foreach(m vivarium vivarium-static)
  pkgconf(modversion --modversion ${m})
  if(NOT modversion STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config says ${m} is version ${modversion}, the build is ${VERSION}")
  endif()
  pkgconf(pc_libdir --variable=libdir ${m})
  if(NOT pc_libdir STREQUAL libdir)
    message(FATAL_ERROR "pkg-config's libdir for ${m} is ${pc_libdir}, not ${libdir}")
  endif()
endforeach()
pkgconf(libs --libs vivarium)
message(STATUS "pkg-config --libs vivarium: ${libs}")
# The fresh prefix is no directory the loader knows: the run-time path must be there.
string(FIND " ${libs} " " -Wl,-rpath,${libdir} " at)
if(at EQUAL -1)
  message(FATAL_ERROR "pkg-config --libs vivarium gives no run-time path for ${libdir}: ${libs}")
endif()
set(warn -std=c11 -Wall -Wextra -Wpedantic -Werror)
set(src ${SOURCE_DIR}/consumer/consumer.c)

# Control: the same program without the run-time path must not find the library, or the
# checks below would prove nothing (the environment would be helping).
pkgconf(libs_l --libs-only-L --libs-only-l vivarium)
pkgconf(cflags --cflags vivarium)
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs_l UNIX_COMMAND "${libs_l}")
run(o "compiling the control" ${CC} ${warn} ${cflags} ${src} -o ${WORK}/control ${libs_l}
    ${SAN_FLAGS})
execute_process(COMMAND ${ENV_PROGRAM} -i ${WORK}/control OUTPUT_QUIET ERROR_QUIET
                RESULT_VARIABLE rc)
if(rc EQUAL 0)
  message(WARNING "a program linked without a run-time path finds libvivarium.so.0 here "
                  "(another copy installed system-wide?); the checks still require each "
                  "program to load the fresh install's copy")
else()
  message(STATUS "control: without a run-time path the program does not run (exit ${rc}), "
                 "as expected")
endif()

# 1a. Shared: the documented command, nothing added.
separate_arguments(libs UNIX_COMMAND "${libs}")
run(o "compiling with pkg-config (shared)" ${CC} ${warn} ${cflags} ${src}
    -o ${WORK}/consumer_pkgconfig ${libs} ${SAN_FLAGS})
check_program(${WORK}/consumer_pkgconfig "pkg-config vivarium" shared)

# 1b. The static library, libc shared: the module vivarium-static.
pkgconf(s_cflags --cflags vivarium-static)
pkgconf(s_libs --libs vivarium-static)
message(STATUS "pkg-config --libs vivarium-static: ${s_libs}")
separate_arguments(s_cflags UNIX_COMMAND "${s_cflags}")
separate_arguments(s_libs UNIX_COMMAND "${s_libs}")
run(o "compiling with pkg-config (vivarium-static)" ${CC} ${warn} ${s_cflags} ${src}
    -o ${WORK}/consumer_pkgconfig_static ${s_libs} ${SAN_FLAGS})
check_program(${WORK}/consumer_pkgconfig_static "pkg-config vivarium-static" static)

# 1c. All static: -static with `pkg-config --static`. The sanitizers' run-times cannot be
# linked statically, so a sanitizer build leaves this one out.
pkgconf(a_libs --static --libs vivarium)
message(STATUS "pkg-config --static --libs vivarium: ${a_libs}")
if(SAN_FLAGS)
  message(STATUS "pkg-config --static with -static: not tried (sanitizer build)")
else()
  pkgconf(a_cflags --static --cflags vivarium)
  separate_arguments(a_cflags UNIX_COMMAND "${a_cflags}")
  separate_arguments(a_libs UNIX_COMMAND "${a_libs}")
  run(o "compiling with pkg-config --static and -static" ${CC} -static ${warn} ${a_cflags}
      ${src} -o ${WORK}/consumer_pkgconfig_allstatic ${a_libs})
  elf_dynamic(needed rpath ${WORK}/consumer_pkgconfig_allstatic)
  if(needed)
    message(FATAL_ERROR "consumer_pkgconfig_allstatic is not fully static: it needs ${needed}")
  endif()
  check_program(${WORK}/consumer_pkgconfig_allstatic "pkg-config --static, -static" static)
endif()

# 2. find_package(vivarium), from a separate CMake project. The package registries are off so
# that only the fresh prefix can satisfy it.
run(o "configuring consumer/"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK}/consumer-build -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${CC} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_INSTALL_PREFIX=${WORK}/app
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
file(STRINGS ${WORK}/consumer-build/CMakeCache.txt found REGEX "^vivarium_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found "${found}")
get_filename_component(found_real "${found}" REALPATH)
get_filename_component(want_real ${libdir}/cmake/vivarium REALPATH)
if(NOT found_real STREQUAL want_real)
  message(FATAL_ERROR "find_package(vivarium) found ${found}, not the fresh install")
endif()
run(o "building consumer/" ${CMAKE_COMMAND} --build ${WORK}/consumer-build)
check_program(${WORK}/consumer-build/consumer_shared "find_package, vivarium::vivarium" shared)
check_program(${WORK}/consumer-build/consumer_static "find_package, vivarium::vivarium_static"
              static)
run(o "installing consumer/" ${CMAKE_COMMAND} --install ${WORK}/consumer-build)
check_program(${WORK}/app/bin/consumer_shared "find_package, vivarium::vivarium, installed"
              shared)
check_program(${WORK}/app/bin/consumer_static
              "find_package, vivarium::vivarium_static, installed" static)
