# Where an installed halhub lives, and the functions that put its targets there.
#
# halhub's shared libraries are private (no headers, no stable ABI), so they go to
# lib/halhub/ and not to the system's library directory; the device plugins go to
# lib/halhub/plugins/, where HalManager::defaultPluginDirs() looks
# (<bindir>/../lib/halhub/plugins). Every installed binary finds the libraries
# relative to itself through its RPATH, so an install under any prefix runs without
# LD_LIBRARY_PATH and HALHUB_PLUGIN_PATH, and without the build tree.
#
# Not CMAKE_INSTALL_LIBDIR: for the prefix /usr on Debian that is
# lib/x86_64-linux-gnu, which halhub does not search for its plugins.
include(GNUInstallDirs)

set(HALHUB_INSTALL_LIBDIR lib/halhub)
set(HALHUB_INSTALL_PLUGINDIR ${HALHUB_INSTALL_LIBDIR}/plugins)

file(RELATIVE_PATH _halhub_bin_to_lib
    /${CMAKE_INSTALL_BINDIR} /${HALHUB_INSTALL_LIBDIR})
if(IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}" OR NOT _halhub_bin_to_lib STREQUAL "../lib/halhub")
    message(WARNING "halhub looks for its plugins in <bindir>/../lib/halhub/plugins: with "
        "CMAKE_INSTALL_BINDIR=${CMAKE_INSTALL_BINDIR} an installed halhub needs HALHUB_PLUGIN_PATH")
endif()
set(HALHUB_EXECUTABLE_RPATH "$ORIGIN/${_halhub_bin_to_lib}")
unset(_halhub_bin_to_lib)

# halhub_install_executables(<target>...)
function(halhub_install_executables)
    foreach(target IN LISTS ARGN)
        set_target_properties(${target} PROPERTIES INSTALL_RPATH "${HALHUB_EXECUTABLE_RPATH}")
        install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endforeach()
endfunction()

# halhub_install_libraries(<target>...)
#
# Every shared library of the project is installed through this one call in the
# top-level CMakeLists.txt. A static library is linked into its users and has
# nothing to install, so it may be listed too.
function(halhub_install_libraries)
    foreach(target IN LISTS ARGN)
        get_target_property(type ${target} TYPE)
        if(NOT type STREQUAL "SHARED_LIBRARY")
            continue()
        endif()
        # A library finds the others beside it: with RUNPATH (what the linker
        # writes here) the executable's own path does not serve its libraries.
        set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
        install(TARGETS ${target} LIBRARY DESTINATION ${HALHUB_INSTALL_LIBDIR})
    endforeach()
endfunction()

# halhub_install_device_plugin(<target>): used by halhub_add_device_plugin().
# The plugins directory is inside the libraries' one.
function(halhub_install_device_plugin target)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/..")
    install(TARGETS ${target} LIBRARY DESTINATION ${HALHUB_INSTALL_PLUGINDIR})
endfunction()
