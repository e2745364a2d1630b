# `cmake --install <build> [--prefix DIR]`: what find_package(ipc_harness) needs, and the CLI.
#
#   component adapter: the static libraries, the public headers (include/ipch/), and the package
#                      config exporting ipc_harness::adapter with every dependency found again
#   component cli:     bin/ipc-harness
#
# Install rules only: they add nothing to the normal build.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(IPCH_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ipc_harness)

# ipc_harness::adapter is what users link; the rest come along as its (static) dependencies.
set_target_properties(ipch_mechanisms PROPERTIES EXPORT_NAME mechanisms)
set_target_properties(ipch_faults PROPERTIES EXPORT_NAME faults)
set_target_properties(ipch_core PROPERTIES EXPORT_NAME core)
set_target_properties(ipch_harness PROPERTIES EXPORT_NAME harness)
set_target_properties(ipch_properties PROPERTIES EXPORT_NAME properties)
install(TARGETS ipch_adapter ipch_properties ipch_harness ipch_core ipch_faults ipch_mechanisms
        EXPORT ipc_harnessTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT adapter)

# The public surface: the adapter's two headers and the five they include (one folder, so their
# quoted includes of each other resolve next to them).
install(FILES
          ${PROJECT_SOURCE_DIR}/include/ipch/adapter.hpp
          ${PROJECT_SOURCE_DIR}/include/ipch/gtest.hpp
          ${PROJECT_SOURCE_DIR}/mechanisms/channel.hpp
          ${PROJECT_SOURCE_DIR}/mechanisms/contract.hpp
          ${PROJECT_SOURCE_DIR}/mechanisms/deadline.hpp
          ${PROJECT_SOURCE_DIR}/mechanisms/result.hpp
          ${PROJECT_SOURCE_DIR}/mechanisms/traits.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ipch COMPONENT adapter)

install(EXPORT ipc_harnessTargets NAMESPACE ipc_harness:: DESTINATION ${IPCH_CONFIG_DIR} COMPONENT adapter)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ipc_harnessConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ipc_harnessConfig.cmake
                              INSTALL_DESTINATION ${IPCH_CONFIG_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ipc_harnessConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ipc_harnessConfig.cmake ${PROJECT_BINARY_DIR}/ipc_harnessConfigVersion.cmake
        DESTINATION ${IPCH_CONFIG_DIR} COMPONENT adapter)

install(TARGETS ipc-harness RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
