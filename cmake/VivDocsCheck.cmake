# Run by the `docs` target before Doxygen: cmake -DINCLUDE_DIR=<dir> -P VivDocsCheck.cmake
# Doxygen reports the undocumented members of a documented file only, so a public header
# without a file comment would pass unnoticed. Every header under include/ must therefore
# carry a `@file` comment; Doxygen then checks everything declared in it.
cmake_minimum_required(VERSION 3.16)
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
