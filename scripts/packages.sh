# Debian packages Portcullis needs. Sourced by scripts/setup, scripts/test and bench scripts.
# shellcheck shell=bash

# To build and run the daemon and the client.
BUILD_PACKAGES=(
  cmake ninja-build pkg-config g++ make dpkg-dev
  libpcre2-dev libnftnl-dev libmnl-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libsqlite3-dev libsystemd-dev nlohmann-json3-dev libtsl-hopscotch-map-dev
  lld nftables iproute2 scdoc
)
# Only to run the tests.
TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev python3 iputils-ping procps
  systemd-journal-remote
  dpkg-dev debhelper fakeroot)

# ensure_packages PKG...: installs the missing ones with apt-get (as root, or through sudo).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo ">> installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "error: need root (or sudo) to install: ${missing[*]}" >&2
      return 1
    fi
  fi
  # Never let a package's maintainer scripts start a service (fail2ban, sshguard) on this host.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    created=1
  fi
  local rc=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  [ $rc -eq 0 ] && { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?; }
  [ $created -eq 1 ] && "${sudo[@]}" rm -f "$policy"
  return $rc
}
