# Installs the configuration file and the systemd unit. Runs at install time
# (cmake --install, cpack): where they go and the paths the unit names follow
# the prefix the tree is installed to, which need not be the one it was
# configured with. `make install` (/usr/local) and the .deb (/usr) come from
# the same build.
#
# Set before this script runs (resources/CMakeLists.txt): HALHUB_RESOURCE_DIR,
# HALHUB_STAGING_DIR, HALHUB_BINDIR.

string(REGEX REPLACE "(.)/+$" "\\1" prefix "${CMAKE_INSTALL_PREFIX}")

# The prefix /usr is the system's own: its configuration lives in /etc, and
# Debian 12 keeps units in /lib/systemd/system. Under any other prefix both stay
# inside it (systemd also reads /usr/local/lib/systemd/system).
if(prefix STREQUAL "/usr")
    set(sysconfdir "/etc")
    set(unitdir "/lib/systemd/system")
else()
    set(sysconfdir "${prefix}/etc")
    set(unitdir "${prefix}/lib/systemd/system")
endif()

set(HALHUB_EXECUTABLE "${prefix}/${HALHUB_BINDIR}/halhub")
set(HALHUB_CONFIG_FILE "${sysconfdir}/halhub/halhub.json")

# Never over an administrator's own configuration.
if(EXISTS "$ENV{DESTDIR}${HALHUB_CONFIG_FILE}")
    message(STATUS "Keeping: $ENV{DESTDIR}${HALHUB_CONFIG_FILE}")
else()
    file(INSTALL DESTINATION "${sysconfdir}/halhub" TYPE FILE
        RENAME halhub.json FILES "${HALHUB_RESOURCE_DIR}/halhub.example.json")
endif()

# Filled in beside the build (one file per prefix, so two installs of one tree
# at once do not share it) and removed once installed.
string(MD5 key "${prefix}")
set(unit "${HALHUB_STAGING_DIR}/halhub-${key}.service")
configure_file("${HALHUB_RESOURCE_DIR}/halhub.service.in" "${unit}" @ONLY)
file(INSTALL DESTINATION "${unitdir}" TYPE FILE RENAME halhub.service FILES "${unit}")
file(REMOVE "${unit}")
