# Writes vivarium.pc and vivarium-static.pc for the prefix being installed into.
#
# It runs at install time (install(SCRIPT) from VivInstall.cmake), when the prefix is final:
# `cmake --install BUILD --prefix DIR` gives DIR here, whatever the prefix at configure
# time. tests/package/check_pc_rpath.cmake also runs it (cmake -P) with made-up loader
# directories.
#
# The rule for vivarium.pc's run-time search path (VIV_PC_RPATH AUTO):
# - the library directory is one the dynamic loader searches by itself (/usr/lib, /lib and
#   their multiarch and lib32/lib64 forms): no -rpath; programs find the library as they are;
# - it is listed in the loader's configuration (/etc/ld.so.conf and its includes: /usr/local/lib
#   on Debian): no -rpath either, as for every library there; the loader finds it through its
#   cache, so `ldconfig` must run once after the install (said at install time);
# - anywhere else ($HOME/.local, /opt/...): Libs carries -Wl,-rpath,${libdir}, so that a
#   program built with `pkg-config --libs vivarium` runs without LD_LIBRARY_PATH.
# ON and OFF force the -rpath in or out (packagers who manage the loader path themselves).
#
# Inputs:
#   VIV_PC_PREFIX           the install prefix, without DESTDIR
#   VIV_PC_LIBDIR           the library directory, relative to the prefix or absolute
#   VIV_PC_INCLUDEDIR       the header directory, relative to the prefix or absolute
#   VIV_PC_TEMPLATES        the directory holding vivarium.pc.in and vivarium-static.pc.in
#   VIV_PC_OUT              the directory to write vivarium.pc and vivarium-static.pc into
#   VIV_PC_VERSION, VIV_PC_DESCRIPTION
#   VIV_PC_LIBS_PRIVATE     what a static link needs besides the archive (-lm ...); may be empty
#   VIV_PC_STATIC_NAME      the archive's file name (libvivarium.a)
#   VIV_PC_SHARED_SONAME    the shared library's soname, for messages (libvivarium.so.0)
#   VIV_PC_RPATH            AUTO (the default), ON or OFF
#   VIV_PC_TRUSTED_DIRS     the dynamic loader's own directories (a list)
#   VIV_PC_LD_SO_CONF       the loader's configuration file; empty or missing: none
# Outputs (variables): VIV_PC_RPATH_USED (TRUE/FALSE), VIV_PC_NEEDS_LDCONFIG (TRUE/FALSE).
foreach(v VIV_PC_PREFIX VIV_PC_LIBDIR VIV_PC_INCLUDEDIR VIV_PC_TEMPLATES VIV_PC_OUT
          VIV_PC_VERSION VIV_PC_STATIC_NAME)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "VivPkgConfig.cmake: ${v} is not set")
  endif()
endforeach()
if(NOT DEFINED VIV_PC_RPATH OR VIV_PC_RPATH STREQUAL "")
  set(VIV_PC_RPATH AUTO)
endif()
if(NOT VIV_PC_RPATH MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "VIV_PKGCONFIG_RPATH is '${VIV_PC_RPATH}': use AUTO, ON or OFF")
endif()

# A directory in a form fit for comparing: absolute, no trailing slash, symbolic links
# resolved where they exist (/lib is /usr/lib on a merged-/usr system).
function(viv_pc_canonical out dir)
  get_filename_component(d "${dir}" ABSOLUTE)
  get_filename_component(d "${d}" REALPATH)
  string(REGEX REPLACE "(.)/+$" "\\1" d "${d}")
  set(${out} "${d}" PARENT_SCOPE)
endfunction()

# The directories named in a loader configuration file, following its `include` lines
# (globs, relative to the including file's directory) up to a fixed depth.
function(viv_pc_ld_conf_dirs out file depth)
  set(dirs)
  if(depth GREATER 8 OR NOT EXISTS "${file}" OR IS_DIRECTORY "${file}")
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  get_filename_component(here "${file}" DIRECTORY)
  file(STRINGS "${file}" lines)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*" "" line "${line}")
    string(STRIP "${line}" line)
    if(line STREQUAL "")
      continue()
    endif()
    if(line MATCHES "^include[ \t]+(.*)$")
      separate_arguments(patterns UNIX_COMMAND "${CMAKE_MATCH_1}")
      foreach(p IN LISTS patterns)
        if(NOT IS_ABSOLUTE "${p}")
          set(p "${here}/${p}")
        endif()
        file(GLOB found "${p}")
        list(SORT found)
        foreach(f IN LISTS found)
          math(EXPR next "${depth} + 1")
          viv_pc_ld_conf_dirs(sub "${f}" ${next})
          list(APPEND dirs ${sub})
        endforeach()
      endforeach()
    elseif(line MATCHES "^hwcap[ \t]")
      continue()
    else()
      # Directories, possibly several on a line (the old format allowed separators), each
      # possibly with a "=TYPE" suffix.
      string(REGEX REPLACE "[ \t,:]+" ";" words "${line}")
      foreach(w IN LISTS words)
        string(REGEX REPLACE "=.*" "" w "${w}")
        if(IS_ABSOLUTE "${w}")
          list(APPEND dirs "${w}")
        endif()
      endforeach()
    endif()
  endforeach()
  set(${out} "${dirs}" PARENT_SCOPE)
endfunction()

# Where the files will be, as pkg-config's variables: absolute paths, as the prefix is known.
get_filename_component(VIV_PC_PREFIX "${VIV_PC_PREFIX}" ABSOLUTE)
string(REGEX REPLACE "(.)/+$" "\\1" VIV_PC_PREFIX "${VIV_PC_PREFIX}")
if(IS_ABSOLUTE "${VIV_PC_LIBDIR}")
  set(viv_pc_libdir_abs "${VIV_PC_LIBDIR}")
  set(VIV_PC_LIBDIR_VAR "${VIV_PC_LIBDIR}")
else()
  set(viv_pc_libdir_abs "${VIV_PC_PREFIX}/${VIV_PC_LIBDIR}")
  set(VIV_PC_LIBDIR_VAR "\${prefix}/${VIV_PC_LIBDIR}")
endif()
if(IS_ABSOLUTE "${VIV_PC_INCLUDEDIR}")
  set(VIV_PC_INCLUDEDIR_VAR "${VIV_PC_INCLUDEDIR}")
else()
  set(VIV_PC_INCLUDEDIR_VAR "\${prefix}/${VIV_PC_INCLUDEDIR}")
endif()

# Is the library directory one the loader searches without being told?
viv_pc_canonical(viv_pc_libdir_c "${viv_pc_libdir_abs}")
set(viv_pc_trusted FALSE)
foreach(d IN LISTS VIV_PC_TRUSTED_DIRS)
  viv_pc_canonical(dc "${d}")
  if(dc STREQUAL viv_pc_libdir_c)
    set(viv_pc_trusted TRUE)
  endif()
endforeach()
set(viv_pc_configured FALSE)
if(NOT viv_pc_trusted AND VIV_PC_LD_SO_CONF)
  viv_pc_ld_conf_dirs(viv_pc_conf_dirs "${VIV_PC_LD_SO_CONF}" 0)
  foreach(d IN LISTS viv_pc_conf_dirs)
    viv_pc_canonical(dc "${d}")
    if(dc STREQUAL viv_pc_libdir_c)
      set(viv_pc_configured TRUE)
    endif()
  endforeach()
endif()

if(VIV_PC_RPATH STREQUAL "ON")
  set(VIV_PC_RPATH_USED TRUE)
elseif(VIV_PC_RPATH STREQUAL "OFF")
  set(VIV_PC_RPATH_USED FALSE)
elseif(viv_pc_trusted OR viv_pc_configured)
  set(VIV_PC_RPATH_USED FALSE)
else()
  set(VIV_PC_RPATH_USED TRUE)
endif()
if(viv_pc_configured AND NOT VIV_PC_RPATH_USED)
  set(VIV_PC_NEEDS_LDCONFIG TRUE)
else()
  set(VIV_PC_NEEDS_LDCONFIG FALSE)
endif()

if(VIV_PC_RPATH_USED)
  set(VIV_PC_RPATH_FLAG " -Wl,-rpath,\${libdir}")
else()
  set(VIV_PC_RPATH_FLAG "")
endif()
if(VIV_PC_LIBS_PRIVATE)
  set(VIV_PC_LIBS_PRIVATE_SP " ${VIV_PC_LIBS_PRIVATE}")
else()
  set(VIV_PC_LIBS_PRIVATE_SP "")
endif()
file(MAKE_DIRECTORY "${VIV_PC_OUT}")
configure_file("${VIV_PC_TEMPLATES}/vivarium.pc.in" "${VIV_PC_OUT}/vivarium.pc" @ONLY)
configure_file("${VIV_PC_TEMPLATES}/vivarium-static.pc.in" "${VIV_PC_OUT}/vivarium-static.pc"
               @ONLY)

if(NOT VIV_PC_SHARED_SONAME)
  set(VIV_PC_SHARED_SONAME "the shared library")
endif()
if(VIV_PC_RPATH_USED)
  message(STATUS "vivarium.pc: programs linked with `pkg-config --libs vivarium` get the "
                 "run-time path ${viv_pc_libdir_abs}")
elseif(VIV_PC_NEEDS_LDCONFIG AND "$ENV{DESTDIR}" STREQUAL "")
  message(STATUS "vivarium: ${viv_pc_libdir_abs} is a directory the dynamic loader finds "
                 "through its cache: run `ldconfig` (as root) once, so that programs find "
                 "${VIV_PC_SHARED_SONAME}")
endif()
