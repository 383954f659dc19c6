# Installed layout (cmake --install, the .deb):
#   /usr/sbin/portcullisd, /usr/bin/portcullis
#   /etc/portcullis/{portcullis.toml,jail.toml,jail.local.toml.example,filters.d/,jails.d/}
#   /lib/systemd/system/portcullis.service, /etc/logrotate.d/portcullis, man pages
# Shipped files are replaced on every install; the user's *.local.toml files are never installed
# over (we ship none: only jail.local.toml.example).
set(PORTCULLIS_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/portcullis")
install(FILES packaging/config/portcullis.toml packaging/config/jail.toml
              packaging/config/jail.local.toml.example
        DESTINATION ${PORTCULLIS_CONFDIR})
install(DIRECTORY filters.d/ DESTINATION ${PORTCULLIS_CONFDIR}/filters.d
        FILES_MATCHING PATTERN "*.toml" PATTERN "*.local.toml" EXCLUDE)
install(DIRECTORY jails.d/ DESTINATION ${PORTCULLIS_CONFDIR}/jails.d
        FILES_MATCHING PATTERN "*.example" PATTERN "README.md")
set(PORTCULLIS_UNITDIR "/lib/systemd/system" CACHE PATH "systemd unit directory")
install(FILES packaging/systemd/portcullis.service DESTINATION ${PORTCULLIS_UNITDIR})
install(FILES packaging/logrotate/portcullis DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d)
file(GLOB PORTCULLIS_MANPAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.scd)
find_program(SCDOC scdoc)
if(SCDOC AND PORTCULLIS_MANPAGES)
  foreach(src ${PORTCULLIS_MANPAGES})
    get_filename_component(name ${src} NAME_WE)          # portcullisd.8
    get_filename_component(full ${src} NAME)             # portcullisd.8.scd
    string(REGEX REPLACE "\\.scd$" "" page ${full})
    string(REGEX REPLACE "^.*\\." "" section ${page})
    set(out ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${src} > ${out}
      DEPENDS ${src} VERBATIM)
    list(APPEND PORTCULLIS_MAN_OUTPUTS ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(manpages ALL DEPENDS ${PORTCULLIS_MAN_OUTPUTS})
endif()
