# `docs` target: Doxygen over the public headers, docs/*.md and README.md (the main page),
# warnings as errors. A public header must carry a `@file` comment (VivDocsCheck.cmake), so
# that Doxygen checks every symbol declared in it.
find_package(Doxygen QUIET OPTIONAL_COMPONENTS dot)
if(DOXYGEN_FOUND)
  if(DOXYGEN_DOT_EXECUTABLE)
    set(VIV_DOXYGEN_HAVE_DOT YES)
    get_filename_component(VIV_DOXYGEN_DOT_PATH ${DOXYGEN_DOT_EXECUTABLE} DIRECTORY)
  else()
    set(VIV_DOXYGEN_HAVE_DOT NO)
    set(VIV_DOXYGEN_DOT_PATH "")
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include
            -P ${PROJECT_SOURCE_DIR}/cmake/VivDocsCheck.cmake
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    COMMENT "Building the API documentation with Doxygen (warnings are errors)"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo "Doxygen not found: install it (Debian: apt-get install doxygen graphviz) and configure again"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
