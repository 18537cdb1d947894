# Install libmbufnic like any C/C++ library: headers, static and shared libraries, a CMake
# package (find_package(mbufnic): mbufnic::static, mbufnic::shared, mbufnic::mbufnic) and a
# pkg-config file (pkg-config --cflags --libs mbufnic).
#
# Layout under the prefix:
#   include/mbufnic/*.h, *.hpp       mbufnic's own API      (-I include)
#   include/mbufnic/compat/sys/*.h   <sys/mbuf.h> & friends (-I include/mbufnic/compat)
include(CMakePackageConfigHelpers)

install(TARGETS mbufnic_static mbufnic_shared EXPORT mbufnicTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/host/include/mbufnic
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/host/include/compat
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mbufnic)
install(EXPORT mbufnicTargets NAMESPACE mbufnic::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbufnic)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mbufnicConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mbufnicConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbufnic)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mbufnicConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mbufnicConfig.cmake
              ${PROJECT_BINARY_DIR}/mbufnicConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mbufnic)

# The .pc file finds the prefix relative to itself, so an installed tree may be moved.
file(RELATIVE_PATH MBUFNIC_PC_TO_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mbufnic.pc.in ${PROJECT_BINARY_DIR}/mbufnic.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mbufnic.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
