# Install rules: headers, both libraries, pkg-config file and CMake package config.
include(CMakePackageConfigHelpers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS vivarium vivarium_static EXPORT vivariumTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT vivariumTargets NAMESPACE vivarium::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vivarium)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vivariumConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vivariumConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vivarium)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vivariumConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vivariumConfig.cmake
              ${PROJECT_BINARY_DIR}/vivariumConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vivarium)
configure_file(${PROJECT_SOURCE_DIR}/pkgconfig/vivarium.pc.in
               ${PROJECT_BINARY_DIR}/vivarium.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vivarium.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
