# `docs` target: Doxygen over the public headers, docs/*.md (the tutorial's index,
# docs/tutorial/index.md, is the main page) and README.md, warnings as errors. A public
# header must carry a `@file` comment, so that Doxygen checks every symbol declared in it;
# and no generated page may be named after the path of the tree (both checked by
# VivDocsCheck.cmake, before and after Doxygen).
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
    COMMAND ${CMAKE_COMMAND} -E remove_directory ${PROJECT_BINARY_DIR}/docs/html
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    COMMAND ${CMAKE_COMMAND} -DHTML_DIR=${PROJECT_BINARY_DIR}/docs/html
            -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DBINARY_DIR=${PROJECT_BINARY_DIR}
            -P ${PROJECT_SOURCE_DIR}/cmake/VivDocsCheck.cmake
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    COMMENT "Building the API documentation with Doxygen (warnings are errors)"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo "Doxygen not found: install it (Debian: apt-get install doxygen graphviz) and configure again"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
