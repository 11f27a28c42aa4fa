# Checks of the `docs` target, in two modes:
#
#   cmake -DINCLUDE_DIR=<dir> -P VivDocsCheck.cmake          (before Doxygen)
# Doxygen reports the undocumented members of a documented file only, so a public header
# without a file comment would pass unnoticed. Every header under include/ must therefore
# carry a `@file` comment; Doxygen then checks everything declared in it.
#
#   cmake -DHTML_DIR=<dir> -DSOURCE_DIR=<dir> -DBINARY_DIR=<dir> -P VivDocsCheck.cmake
#                                                            (after Doxygen)
# Page names must not depend on where the tree was built. Doxygen names a Markdown page
# without a {#label} after its path ("md__tmp_x_docs_design.html" for /tmp/x/docs/design.md
# when the path is not stripped); such names change from machine to machine and break
# every link to them. The generated HTML file names must hold neither the source nor the
# build directory, and none may start with "md__" (an absolute path: its leading "/").
cmake_minimum_required(VERSION 3.16)

if(DEFINED INCLUDE_DIR)
  file(GLOB_RECURSE headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/*.h)
  if(NOT headers)
    message(FATAL_ERROR "no header under ${INCLUDE_DIR}")
  endif()
  set(bad 0)
  foreach(h ${headers})
    file(READ ${INCLUDE_DIR}/${h} text)
    if(NOT text MATCHES "[@\\\\]file[ \t]+${h}[ \t\r\n]")
      message(SEND_ERROR "include/${h}: no `@file ${h}` comment, so Doxygen would not check it")
      math(EXPR bad "${bad} + 1")
    endif()
  endforeach()
  if(bad GREATER 0)
    message(FATAL_ERROR "${bad} public header(s) without a file comment")
  endif()
endif()

if(DEFINED HTML_DIR)
  get_filename_component(HTML_DIR "${HTML_DIR}" ABSOLUTE)
  if(NOT EXISTS ${HTML_DIR}/index.html)
    message(FATAL_ERROR "${HTML_DIR}/index.html: no Doxygen output to check")
  endif()
  # A path as Doxygen spells it in a name: every run of characters other than letters and
  # digits becomes one "_" (Doxygen turns "/", ":" and " " into "_" and may double them).
  function(viv_mangle out path)
    string(REGEX REPLACE "[^A-Za-z0-9]+" "_" m "${path}")
    string(REGEX REPLACE "^_|_$" "" m "${m}")
    string(TOLOWER "${m}" m)
    set(${out} "${m}" PARENT_SCOPE)
  endfunction()
  set(paths "")
  foreach(dir ${SOURCE_DIR} ${BINARY_DIR})
    viv_mangle(m "${dir}")
    string(LENGTH "${m}" n)
    if(n GREATER 3) # too short a path would match names by chance
      list(APPEND paths "${m}")
    endif()
  endforeach()
  file(GLOB names RELATIVE ${HTML_DIR} ${HTML_DIR}/*.html)
  set(bad 0)
  foreach(name ${names})
    viv_mangle(m "${name}")
    set(why "")
    if(name MATCHES "^md__")
      set(why "named after an absolute path")
    endif()
    foreach(p ${paths})
      string(FIND "${m}" "${p}" at)
      if(NOT at EQUAL -1)
        set(why "named after the path of the tree")
      endif()
    endforeach()
    if(why)
      message(SEND_ERROR "docs: page ${name} is ${why}: give its Markdown page a {#label}, "
                         "or list its directory in STRIP_FROM_PATH (docs/Doxyfile.in)")
      math(EXPR bad "${bad} + 1")
    endif()
  endforeach()
  if(bad GREATER 0)
    message(FATAL_ERROR "${bad} page name(s) depend on where the tree is")
  endif()
  list(LENGTH names count)
  message(STATUS "docs: ${count} HTML pages, no name depends on where the tree is")
endif()
