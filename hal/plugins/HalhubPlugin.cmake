# halhub_add_device_plugin(<target> CLASS_NAME <class> SOURCES <files...> [NO_INSTALL])
#
# Builds a device plugin as a real Qt plugin (loaded with QPluginLoader) and
# puts it in bin/plugins/, where halhub and the tests look for plugins, and
# installs it to lib/halhub/plugins/ (scripts/cmake/HalhubInstall.cmake). NO_INSTALL
# is for plugins built only for the tests.
# qt_add_plugin takes no sources on Qt 6.4, hence target_sources.
function(halhub_add_device_plugin target)
    cmake_parse_arguments(ARG "NO_INSTALL" "CLASS_NAME" "SOURCES" ${ARGN})
    qt_add_plugin(${target} SHARED CLASS_NAME ${ARG_CLASS_NAME})
    target_sources(${target} PRIVATE ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE halhub_hal halhub_bus Qt6::Core)
    set_target_properties(${target} PROPERTIES
        LIBRARY_OUTPUT_DIRECTORY ${HALHUB_PLUGIN_OUTPUT_DIR}
        PREFIX "lib")
    set_property(GLOBAL APPEND PROPERTY HALHUB_DEVICE_PLUGINS ${target})
    if(NOT ARG_NO_INSTALL)
        halhub_install_device_plugin(${target})
    endif()
endfunction()
