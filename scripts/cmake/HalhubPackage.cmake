# `make package`: a Debian package of halhub made by CPack from the build tree
# (`cpack -G DEB` in it). What goes in is what `cmake --install` installs, under
# the prefix /usr; resources/debian/ holds the maintainer scripts.

set(HALHUB_PACKAGE_MAINTAINER "halhub maintainers <maintainers@halhub.invalid>"
    CACHE STRING "Maintainer field of the Debian package: Name <email>")

set(halhub_debian_dir ${PROJECT_SOURCE_DIR}/resources/debian)
install(FILES ${halhub_debian_dir}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME halhub)
set(CPACK_PACKAGE_VENDOR halhub)
set(CPACK_PACKAGE_CONTACT "${HALHUB_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
"halhub connects a lab's instruments (SCPI power supplies and meters, Modbus RTU
sensors, boards that stream lines over a serial port, and simulated devices) to
any number of WebSocket clients. It streams their telemetry, routes commands to
them and broadcasts device events. It runs as a system service (halhub.service)
or with a monitor window that shows clients, streams and latency live.")
# The unit and /etc/halhub/halhub.json are placed by an install script that
# reads the prefix (scripts/cmake/HalhubSystemFiles.cmake): it must see /usr, with the
# staging directory as DESTDIR, not a prefix inside the staging directory.
# With DESTDIR, CPack installs under CPACK_INSTALL_PREFIX (by default the
# build's CMAKE_INSTALL_PREFIX, /usr/local).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPACK_DEBIAN_PACKAGE_ARCHITECTURE: CPack asks `dpkg --print-architecture`.

# dpkg-shlibdeps finds the Qt libraries the binaries link, among them
# libqt6gui6 (which also holds the platform plugins: xcb for the window,
# offscreen) and libqt6network6 (which holds the TLS backends for wss://). The
# private libraries in lib/halhub are found in the package itself.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
string(REGEX REPLACE "^/" "" halhub_packaged_libdir
    "${CPACK_PACKAGING_INSTALL_PREFIX}/${HALHUB_INSTALL_LIBDIR}")
# Relative to the staging directory, where CPack runs dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${halhub_packaged_libdir})
# What dpkg-shlibdeps cannot see: the window's SVG icons are drawn by Qt's SVG
# icon engine plugin (libqt6svg6), and postinst calls adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6, adduser")
# Qt's own strings (standard dialogs, shortcuts) in the window's language.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-translations-l10n")
# The window on a Wayland session without XWayland.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "qt6-wayland")

set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${halhub_debian_dir}/postinst
    ${halhub_debian_dir}/prerm
    ${halhub_debian_dir}/postrm
    ${halhub_debian_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
