# Checks cmake/VivPkgConfig.cmake, which writes vivarium.pc and vivarium-static.pc at install
# time, on made-up prefixes under a made-up root (so that nothing depends on this machine's
# directories): vivarium.pc's Libs carry -Wl,-rpath,${libdir} exactly when libdir is neither
# one of the loader's own directories nor listed in its configuration (ld.so.conf and its
# includes); a libdir listed there gets the `ldconfig` hint instead (unless DESTDIR is set);
# VIV_PKGCONFIG_RPATH=ON/OFF overrides; the prefix is written absolute and normalised. When
# pkg-config is given, it must read the files as intended.
#
#   cmake -DTOP=<source dir> -DWORK=<scratch dir> [-DPKG_CONFIG=<pkg-config>] -P check_pc_rpath.cmake
cmake_minimum_required(VERSION 3.16)
foreach(v TOP WORK)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "check_pc_rpath.cmake: ${v} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
set(R ${WORK}/root)
file(MAKE_DIRECTORY ${R}/etc/ld.so.conf.d ${R}/usr/lib ${R}/usr/local/lib)
# A loader configuration in Debian's shape: a relative include of a directory of files, with
# comments, a line of several directories, an old-style "=TYPE" suffix, a hwcap line, and an
# include that matches nothing.
file(WRITE ${R}/etc/ld.so.conf
     "include ld.so.conf.d/*.conf\n# a comment\ninclude /nonexistent/*.conf\n")
file(WRITE ${R}/etc/ld.so.conf.d/libc.conf "# libc default configuration\n${R}/usr/local/lib\n")
file(WRITE ${R}/etc/ld.so.conf.d/zz-more.conf
     "  ${R}/opt/a/lib:${R}/opt/b/lib  # two at once\n${R}/opt/c/lib=libc6\nhwcap 0 nosegneg\n")
set(trusted "${R}/lib;${R}/usr/lib;${R}/usr/lib/x86_64-linux-gnu")

set(n 0)
# check(PREFIX LIBDIR MODE RPATH LDCONFIG [DESTDIR d] [PRIVATE libs]): writes the files for
# PREFIX/LIBDIR with VIV_PKGCONFIG_RPATH=MODE and checks them; RPATH and LDCONFIG are 1 or 0.
function(check prefix libdir mode want_rpath want_ldconfig)
  cmake_parse_arguments(A "" "DESTDIR;PRIVATE" "" ${ARGN})
  math(EXPR n "${n} + 1")
  set(n ${n} PARENT_SCOPE)
  set(out ${WORK}/case${n})
  set(env)
  if(A_DESTDIR)
    set(env ${CMAKE_COMMAND} -E env DESTDIR=${A_DESTDIR})
  else()
    set(env ${CMAKE_COMMAND} -E env --unset=DESTDIR)
  endif()
  execute_process(
    COMMAND ${env} ${CMAKE_COMMAND} -DVIV_PC_PREFIX=${prefix} -DVIV_PC_LIBDIR=${libdir}
            -DVIV_PC_INCLUDEDIR=include -DVIV_PC_TEMPLATES=${TOP}/pkgconfig -DVIV_PC_OUT=${out}
            -DVIV_PC_VERSION=1.2.3 -DVIV_PC_DESCRIPTION=test "-DVIV_PC_LIBS_PRIVATE=${A_PRIVATE}"
            -DVIV_PC_STATIC_NAME=libvivarium.a -DVIV_PC_SHARED_SONAME=libvivarium.so.1
            -DVIV_PC_RPATH=${mode} "-DVIV_PC_TRUSTED_DIRS=${trusted}"
            -DVIV_PC_LD_SO_CONF=${R}/etc/ld.so.conf -P ${TOP}/cmake/VivPkgConfig.cmake
    OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE rc)
  set(what "case ${n} (prefix ${prefix}, libdir ${libdir}, ${mode})")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: VivPkgConfig.cmake failed:\n${o}\n${e}")
  endif()
  # Where the library goes, as pkg-config will say it.
  string(REGEX REPLACE "(.)/+$" "\\1" p "${prefix}")
  if(IS_ABSOLUTE ${libdir})
    set(lib ${libdir})
  else()
    set(lib ${p}/${libdir})
  endif()
  file(READ ${out}/vivarium.pc pc)
  file(READ ${out}/vivarium-static.pc spc)
  if(NOT pc MATCHES "\nprefix=${p}\n")
    message(FATAL_ERROR "${what}: vivarium.pc does not say prefix=${p}:\n${pc}")
  endif()
  if(want_rpath)
    set(libs "Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lvivarium")
  else()
    set(libs "Libs: -L\${libdir} -lvivarium")
  endif()
  string(FIND "${pc}" "\n${libs}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: vivarium.pc has not the line\n  ${libs}\n${pc}")
  endif()
  set(slibs "Libs: \${libdir}/libvivarium.a")
  if(A_PRIVATE)
    string(APPEND slibs " ${A_PRIVATE}")
    string(FIND "${pc}" "\nLibs.private: ${A_PRIVATE}\n" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${what}: vivarium.pc has no Libs.private: ${A_PRIVATE}:\n${pc}")
    endif()
  endif()
  string(FIND "${spc}" "\n${slibs}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: vivarium-static.pc has not the line\n  ${slibs}\n${spc}")
  endif()
  if(o MATCHES "ldconfig")
    set(said 1)
  else()
    set(said 0)
  endif()
  if(NOT said EQUAL want_ldconfig)
    message(FATAL_ERROR "${what}: the ldconfig hint is ${said}, expected ${want_ldconfig}:\n${o}")
  endif()
  if(PKG_CONFIG)
    set(pc_env ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${out} --unset=PKG_CONFIG_LIBDIR
               --unset=PKG_CONFIG_SYSROOT_DIR)
    execute_process(COMMAND ${pc_env} ${PKG_CONFIG} --libs vivarium
                    OUTPUT_VARIABLE got RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(want_rpath)
      set(want "-L${lib} -Wl,-rpath,${lib} -lvivarium")
    else()
      set(want "-L${lib} -lvivarium")
    endif()
    if(NOT rc EQUAL 0 OR NOT got STREQUAL want)
      message(FATAL_ERROR "${what}: pkg-config --libs vivarium gives\n  ${got}\nnot\n  ${want}")
    endif()
    execute_process(COMMAND ${pc_env} ${PKG_CONFIG} --static --libs vivarium
                    OUTPUT_VARIABLE got RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(A_PRIVATE)
      string(APPEND want " ${A_PRIVATE}")
    endif()
    if(NOT rc EQUAL 0 OR NOT got STREQUAL want)
      message(FATAL_ERROR "${what}: pkg-config --static --libs vivarium gives\n  ${got}\n"
                          "not\n  ${want}")
    endif()
    execute_process(COMMAND ${pc_env} ${PKG_CONFIG} --libs vivarium-static
                    OUTPUT_VARIABLE got RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(want "${lib}/libvivarium.a")
    if(A_PRIVATE)
      string(APPEND want " ${A_PRIVATE}")
    endif()
    if(NOT rc EQUAL 0 OR NOT got STREQUAL want)
      message(FATAL_ERROR "${what}: pkg-config --libs vivarium-static gives\n  ${got}\n"
                          "not\n  ${want}")
    endif()
  endif()
  message(STATUS "${what}: rpath ${want_rpath}, ldconfig hint ${want_ldconfig}: as expected")
endfunction()

# A prefix of one's own: the run-time path.
check(${WORK}/home/.local lib AUTO 1 0)
check(${R}/opt/mine lib AUTO 1 0 PRIVATE "-lm -pthread")
# The loader's own directories: nothing to add, nothing to run (one libdir given absolute).
check(${R}/usr lib AUTO 0 0)
check(${R}/usr lib/x86_64-linux-gnu AUTO 0 0)
check(${R}/elsewhere ${R}/lib AUTO 0 0)
# Listed in ld.so.conf (Debian's /usr/local/lib): no run-time path, run ldconfig; a trailing
# slash in the prefix changes nothing; a staged install (DESTDIR) says nothing.
check(${R}/usr/local lib AUTO 0 1)
check(${R}/usr/local/ lib AUTO 0 1)
check(${R}/usr/local lib AUTO 0 0 DESTDIR ${WORK}/stage)
check(${R}/opt/b lib AUTO 0 1)
check(${R}/opt/c lib AUTO 0 1)
# A directory the configuration does not name, even next to one it does.
check(${R}/opt/d lib AUTO 1 0)
check(${R}/usr/local lib64 AUTO 1 0)
# Forced.
check(${R}/usr/local lib ON 1 0)
check(${WORK}/home/.local lib OFF 0 0)
message(STATUS "pkgconfig_rpath_rules: ${n} cases passed")
