"""The build the daemon benchmarks measure: portcullisd and portcullis as the Debian package builds them.

debhelper's cmake build system configures with CMAKE_BUILD_TYPE=None and the flags of
dpkg-buildflags (-O2, hardening; packaging/debian/rules asks for hardening=+all), so that is what
users run; bench/daemon_bench measures it and bench/startup_order profiles it for the code order.
"""
import os
import subprocess

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_DIR = os.path.join(SOURCE, "build-package")
# The shipped jails the idle benchmark enables (daemon_bench) and the code order is profiled
# with (startup_order): the order is made for the scenario that is measured.
IDLE_JAILS = ["sshd", "recidive", "nginx-http-auth", "nginx-limit-req", "nginx-botsearch",
              "apache-auth", "postfix", "dovecot", "vsftpd", "mysqld-auth"]


def dpkg_flags(name):
    env = dict(os.environ, DEB_BUILD_MAINT_OPTIONS="hardening=+all")
    return subprocess.run(["dpkg-buildflags", "--get", name], env=env, check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def ensure(build=DEFAULT_DIR):
    """Configures `build` (once) like the package and brings both binaries up to date."""
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", SOURCE, "-B", build, "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=None",
                        "-DCMAKE_CXX_FLAGS=%s %s" % (dpkg_flags("CXXFLAGS"), dpkg_flags("CPPFLAGS")),
                        "-DCMAKE_EXE_LINKER_FLAGS=" + dpkg_flags("LDFLAGS"),
                        "-DPORTCULLIS_TESTS=OFF", "-DPORTCULLIS_BENCH=OFF"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j2", "--target", "portcullisd", "portcullis"],
                   check=True, stdout=subprocess.DEVNULL)
    return build
