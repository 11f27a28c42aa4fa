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
# The pkg-config file finds its prefix from its own place (pkg-config's ${pcfiledir}), so that
# an install relocated at install time (cmake --install --prefix DIR) still works. Absolute
# install directories are written as they are.
set(viv_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR})
  set(VIV_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
  file(RELATIVE_PATH viv_pc_up /viv_root/${viv_pc_dir} /viv_root)
  string(REGEX REPLACE "/$" "" viv_pc_up "${viv_pc_up}")
  set(VIV_PC_PREFIX "\${pcfiledir}/${viv_pc_up}")
endif()
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE ${CMAKE_INSTALL_${d}})
    set(VIV_PC_${d} ${CMAKE_INSTALL_${d}})
  else()
    set(VIV_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/pkgconfig/vivarium.pc.in
               ${PROJECT_BINARY_DIR}/vivarium.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vivarium.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
