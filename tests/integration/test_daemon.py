#!/usr/bin/env python3
"""Integration tests: the real portcullisd and portcullis against real files and the real kernel
firewall, each daemon inside its own fresh network namespace. Run as root (CI does)."""
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from harness import CLIENT, DaemonTestCase, wait_until


def syslog_time(t=None):
    return time.strftime("%b %e %H:%M:%S", time.localtime(t if t is not None else time.time()))


def sshd_fail(addr, user="root", t=None, pid=4242):
    return "%s web1 sshd[%d]: Failed password for %s from %s port 50022 ssh2" % (
        syslog_time(t), pid, user, addr)


def jails(logdir, extra="", sshd_extra="", maxretry=3):
    return """
[defaults]
maxretry = %d
findtime = "10m"
bantime = "10m"
%s
[sshd]
enabled = true
port = "ssh"
logpath = "%s/auth.log"
%s
""" % (maxretry, extra, logdir, sshd_extra)


class BanTest(DaemonTestCase):
    def test_bans_after_maxretry_and_not_before(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        d.append("auth.log", [sshd_fail("192.0.2.10"), sshd_fail("192.0.2.10")])
        wait_until(lambda: d.client("status", "sshd")["total_failed"] == 2, what="2 failures")
        self.assertNotIn("192.0.2.10", d.kernel_elements())
        d.append("auth.log", [sshd_fail("192.0.2.10")])
        wait_until(lambda: "192.0.2.10" in d.kernel_elements(), what="ban in the kernel set")
        st = d.client("status", "sshd")
        self.assertEqual(st["banned"], ["192.0.2.10"])
        self.assertEqual(st["currently_banned"], 1)
        self.assertRegex(d.log_text(),
                         r"portcullisd\[\d+\]: NOTICE  \[sshd\] Ban 192\.0\.2\.10 for 10m \(3 failures\)")
        # `banned ADDR` shows the lines that led to the ban (kept in the database, not in memory).
        ban = d.client("banned", "192.0.2.10")["bans"][0]
        self.assertEqual(ban["failures"], 3)
        self.assertEqual(len(ban["matches"]), 3)
        self.assertIn("from 192.0.2.10", ban["matches"][-1])
        # More failures of a banned address are counted, not turned into new candidates.
        d.append("auth.log", [sshd_fail("192.0.2.10")] * 4)
        wait_until(lambda: d.client("status", "sshd")["counters"]["already_banned"] == 4,
                   what="4 failures of a banned address counted as already_banned")

    def test_ipv6_attacker_is_banned_in_the_v6_set(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        d.append("auth.log", [sshd_fail("2001:db8::7")] * 3)
        wait_until(lambda: "2001:db8::7" in d.kernel_elements(), what="v6 ban")

    def test_lines_older_than_findtime_do_not_count(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        old = time.time() - 3600
        d.append("auth.log", [sshd_fail("192.0.2.20", t=old)] * 5)
        wait_until(lambda: d.client("status", "sshd")["counters"]["too_old"] == 5, what="too_old")
        self.assertEqual(d.client("status", "sshd")["currently_banned"], 0)
        self.assertNotIn("192.0.2.20", d.kernel_elements())

    def test_ignoreip_is_respected(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs, extra='ignoreip = ["198.51.100.0/24", "2001:db8:1::/48"]'))
        open(d.path("auth.log"), "w").close()
        d.start()
        d.append("auth.log", [sshd_fail("198.51.100.5")] * 5 + [sshd_fail("2001:db8:1::9")] * 5)
        wait_until(lambda: d.client("status", "sshd")["counters"]["ignored_ip"] == 10,
                   what="ignored")
        self.assertEqual(d.client("status", "sshd")["currently_banned"], 0)
        # A manual ban of an ignored address needs --force.
        r = d.client("ban", "sshd", "198.51.100.5", rc=1)
        self.assertEqual(r["results"][0]["outcome"], "refused_ignored")
        r = d.client("ban", "sshd", "198.51.100.5", "--force")
        self.assertEqual(r["results"][0]["outcome"], "banned")

    def test_injected_user_name_cannot_ban_a_victim(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        lines = [("%s web1 sshd[77]: Failed password for invalid user x from 203.0.113.50 port 22 "
                  "from 192.0.2.99 port 50000 ssh2") % syslog_time()] * 4
        d.append("auth.log", lines)
        wait_until(lambda: d.client("status", "sshd")["total_failed"] == 4, what="failures")
        elements = d.kernel_elements()
        self.assertNotIn("203.0.113.50", elements)
        self.assertIn("192.0.2.99", elements)

    def test_absurd_and_own_bans_are_refused(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        d.start()
        r = d.client("ban", "sshd", "0.0.0.0/0", "::/0", "127.0.0.1", "::1", "10.0.0.0/8",
                     "--force", rc=1)
        outcomes = [x["outcome"] for x in r["results"]]
        self.assertEqual(outcomes[:4], ["refused_too_wide", "refused_too_wide",
                                        "refused_loopback", "refused_loopback"])
        self.assertEqual(d.kernel_elements(), {"10.0.0.0/8"})


def write_utmp(path, host):
    """One USER_PROCESS record (glibc x86_64 layout, 384 bytes) for a login from `host`."""
    import struct
    rec = struct.pack("<h2xi32s4s32s256shhiii16s20s", 7, os.getpid(), b"pts/7", b"ts/7",
                      b"admin", host.encode(), 0, 0, 0, int(time.time()), 0, b"\0" * 16, b"\0" * 20)
    assert len(rec) == 384
    with open(path, "wb") as fh:
        fh.write(rec)


class LoggedInTest(DaemonTestCase):
    def test_address_with_a_live_login_session_is_not_banned(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        utmp = os.path.join(d.dir, "utmp")
        write_utmp(utmp, "192.0.2.123")
        d.start(extra=["--utmp", utmp])
        d.append("auth.log", [sshd_fail("192.0.2.123")] * 3 + [sshd_fail("192.0.2.124")] * 3)
        wait_until(lambda: "192.0.2.124" in d.kernel_elements(), what="the other address banned")
        self.assertNotIn("192.0.2.123", d.kernel_elements())
        self.assertEqual(d.client("status", "sshd")["counters"]["ignored_logged_in"], 1)
        self.assertIn("not banning 192.0.2.123: it has a live login session", d.log_text())


class RotationTest(DaemonTestCase):
    N = 300

    def _daemon(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs, maxretry=10000))
        open(d.path("auth.log"), "w").close()
        d.start()
        return d

    def _writer(self, d, addr_prefix, rotate):
        """Writes N failure lines, calling rotate() in the middle, one line at a time."""
        for i in range(self.N):
            if i == self.N // 2:
                rotate()
            with open(d.path("auth.log"), "a") as fh:
                fh.write(sshd_fail("%s.%d" % (addr_prefix, i % 200 + 1)) + "\n")

    def _expect_count(self, d, n):
        wait_until(lambda: d.client("status", "sshd")["total_failed"] == n, timeout=10,
                   what="%d failures" % n)
        time.sleep(0.3)
        self.assertEqual(d.client("status", "sshd")["total_failed"], n)

    def test_rename_and_create(self):
        d = self._daemon()

        def rotate():
            os.rename(d.path("auth.log"), d.path("auth.log.1"))
            open(d.path("auth.log"), "w").close()
        self._writer(d, "192.0.2", rotate)
        self._expect_count(d, self.N)

    def test_copytruncate(self):
        d = self._daemon()

        def rotate():
            time.sleep(0.2)  # let the daemon catch up, as logrotate's copy would
            with open(d.path("auth.log")) as src, open(d.path("auth.log.1"), "w") as dst:
                dst.write(src.read())
            os.truncate(d.path("auth.log"), 0)
        self._writer(d, "198.51.100", rotate)
        self._expect_count(d, self.N)

    def test_delete_and_recreate(self):
        d = self._daemon()

        def rotate():
            time.sleep(0.2)
            os.unlink(d.path("auth.log"))
        self._writer(d, "203.0.113", rotate)
        self._expect_count(d, self.N)

    def test_log_that_appears_after_start(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(os.path.join(d.logs, "later")))
        d.start()
        st = d.client("status", "sshd")
        self.assertEqual(st["files"], [])
        os.makedirs(os.path.join(d.logs, "later"))
        with open(os.path.join(d.logs, "later", "auth.log"), "w") as fh:
            fh.write("".join(sshd_fail("192.0.2.33") + "\n" for _ in range(3)))
        wait_until(lambda: "192.0.2.33" in d.kernel_elements(), what="ban from a late file")

    def test_restart_keeps_positions_and_kernel_bans(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        d.append("auth.log", [sshd_fail("192.0.2.44")] * 3 + [sshd_fail("192.0.2.45")] * 2)
        wait_until(lambda: "192.0.2.44" in d.kernel_elements(), what="first ban")
        wait_until(lambda: d.client("status", "sshd")["total_failed"] == 5, what="5 failures")
        self.assertEqual(d.stop(), 0)
        # While stopped: one more line. After the restart it is read exactly once (the saved
        # position), the five before it are not read again, and the kernel ban is adopted.
        d.append("auth.log", [sshd_fail("192.0.2.45")])
        d.start()
        wait_until(lambda: d.client("status", "sshd")["total_failed"] >= 1, what="new line read")
        time.sleep(0.3)
        st = d.client("status", "sshd")
        self.assertEqual(st["total_failed"], 1)
        self.assertIn("192.0.2.44", st["banned"])
        self.assertIn("192.0.2.44", d.kernel_elements())
        self.assertRegex(d.log_text(), r"\[sshd\] Restore 192\.0\.2\.44 for")


class RecidiveTest(DaemonTestCase):
    def test_recidive_bans_repeat_offenders_without_feeding_on_itself(self):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs, sshd_extra='bantime = "2s"') + """
[recidive]
enabled = true
logpath = "%s"
maxretry = 3
findtime = "1d"
bantime = "1w"
port = "all"
""" % d.log_file)
        open(d.path("auth.log"), "w").close()
        d.start()
        for _ in range(3):
            d.append("auth.log", [sshd_fail("192.0.2.66")] * 3)
            wait_until(lambda: "192.0.2.66" in d.kernel_elements(), what="sshd ban")
            wait_until(lambda: "[sshd] Unban 192.0.2.66" in d.log_text()
                       or d.client("status", "recidive")["currently_banned"] > 0,
                       timeout=6, what="unban or recidive")
            if d.client("status", "recidive")["currently_banned"] > 0:
                break
            wait_until(lambda: "192.0.2.66" not in d.client("status", "sshd")["banned"],
                       timeout=6, what="sshd ban to end")
        wait_until(lambda: d.client("status", "recidive")["banned"] == ["192.0.2.66"],
                   what="recidive ban")
        time.sleep(0.5)
        self.assertEqual(d.log_text().count("[recidive] Ban 192.0.2.66"), 1)
        ban = [b for b in d.client("banned", "192.0.2.66")["bans"] if b["jail"] == "recidive"][0]
        self.assertGreater(ban["seconds_left"], 6 * 86400)


class ControlTest(DaemonTestCase):
    def _daemon(self, daemon_toml=""):
        d = self.make("", daemon_toml=daemon_toml)
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        return d.start()

    def _raw(self, d, payload, read=True):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(d.socket)
        try:
            s.sendall(payload)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server closed on us after answering: read that answer
        data = b""
        if read:
            try:
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (ConnectionResetError, BrokenPipeError):
                pass
        s.close()
        return data

    def test_every_command(self):
        d = self._daemon()
        self.assertEqual(d.client("ping", json_out=False).returncode, 0)
        self.assertEqual(d.client("version")["version"], d.client("version")["client_version"])
        self.assertIn("sshd", json.dumps(d.client("status")))
        r = d.client("ban", "sshd", "192.0.2.1", "2001:db8::1", "198.51.100.0/24", "--for", "1h")
        self.assertEqual([x["outcome"] for x in r["results"]], ["banned"] * 3)
        self.assertEqual(d.kernel_elements(), {"192.0.2.1", "2001:db8::1", "198.51.100.0/24"})
        left = d.client("banned", "198.51.100.7")["bans"][0]["seconds_left"]
        self.assertTrue(3500 < left <= 3600, left)
        self.assertEqual(d.client("get", "sshd", "maxretry")["value"], 3)
        d.client("set", "sshd", "maxretry", "7")
        self.assertEqual(d.client("get", "sshd", "maxretry")["value"], 7)
        d.client("set", "sshd", "addignoreip", "203.0.113.0/24")
        self.assertIn("203.0.113.0/24", d.client("get", "sshd", "ignoreip")["value"])
        d.client("unban", "192.0.2.1")
        self.assertNotIn("192.0.2.1", d.kernel_elements())
        # fail2ban spellings
        self.assertEqual(d.client("set", "sshd", "banip", "192.0.2.2", json_out=False).returncode, 0)
        self.assertIn("192.0.2.2", d.kernel_elements())
        self.assertEqual(d.client("set", "sshd", "unbanip", "192.0.2.2", json_out=False).returncode, 0)
        self.assertNotIn("192.0.2.2", d.kernel_elements())
        listfile = os.path.join(d.dir, "list.txt")
        with open(listfile, "w") as fh:
            fh.write("# attackers\n" + "".join("203.0.113.%d\n" % i for i in range(1, 101)))
        r = d.client("ban", "sshd", "--file", listfile, "--force")
        self.assertEqual(r["banned"], 100)
        self.assertEqual(d.client("reload", json_out=False).returncode, 0)
        self.assertEqual(d.client("flushlogs", json_out=False).returncode, 0)
        self.assertEqual(d.client("unban", "--all", json_out=False).returncode, 0)
        self.assertEqual(d.kernel_elements(), set())
        self.assertEqual(d.client("stop", json_out=False).returncode, 0)
        d.proc.wait(timeout=10)
        self.assertEqual(d.proc.returncode, 0)

    def test_a_list_over_the_request_limit_is_banned_in_parts(self):
        d = self._daemon()
        n = 60000  # about 1.3 MB of request: two parts
        listfile = os.path.join(d.dir, "big.txt")
        with open(listfile, "w") as fh:
            fh.write("".join("2001:db8:%x:%x::1\n" % (i >> 16, i & 0xffff) for i in range(n)))
        self.assertGreater(os.path.getsize(listfile), 1 << 20)
        r = d.client("ban", "sshd", "--file", listfile, "--for", "1h", timeout=60)
        self.assertEqual(r["banned"], n)
        self.assertEqual(len(r["results"]), n)
        self.assertEqual(len(d.kernel_elements()), n)
        self.assertEqual(d.client("status", "sshd")["currently_banned"], n)

    def test_garbage_and_oversized_requests_get_errors(self):
        d = self._daemon()
        self.assertIn(b'"ok":false', self._raw(d, b"this is not json\n"))
        self.assertIn(b'"ok":false', self._raw(d, b'{"v":99,"cmd":"ping"}\n'))
        self.assertIn(b'"ok":false', self._raw(d, b'{"v":1,"cmd":"nope"}\n'))
        big = b'{"v":1,"cmd":"ping","pad":"' + b"x" * (10 * 1024 * 1024) + b'"}\n'
        self.assertIn(b"too_large", self._raw(d, big))
        self.assertTrue(d.client_ok("ping"))

    def test_fifty_concurrent_clients(self):
        d = self._daemon()
        errors = []

        def one(i):
            try:
                r = d.client("status", "sshd")
                if r["name"] != "sshd":
                    errors.append(r)
            except Exception as e:  # noqa: BLE001 - collect every failure
                errors.append(e)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        self.assertEqual(errors, [])

    def test_non_root_client_cannot_ban(self):
        d = self._daemon('socket_group = "nogroup"')
        base = ["setpriv", "--reuid=65534", "--regid=65534", "--init-groups", CLIENT,
                "--socket", d.socket]
        os.chmod(d.dir, 0o755)
        st = subprocess.run(base + ["status"], capture_output=True, timeout=10)
        self.assertEqual(st.returncode, 0, st.stderr)
        ban = subprocess.run(base + ["ban", "sshd", "192.0.2.8"], capture_output=True, timeout=10)
        self.assertEqual(ban.returncode, 3, ban)
        self.assertIn(b"root", ban.stdout + ban.stderr)
        self.assertEqual(d.kernel_elements(), set())

    def test_reload_with_broken_config_keeps_the_old_one(self):
        d = self._daemon()
        with open(os.path.join(d.conf, "jail.local.toml"), "w") as fh:
            fh.write("[sshd]\nmaxretries = 4\n")
        r = d.client("reload", rc=1, json_out=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"maxretry", r.stdout + r.stderr)
        self.assertEqual(d.client("get", "sshd", "maxretry")["value"], 3)
        d.append("auth.log", [sshd_fail("192.0.2.90")] * 3)
        wait_until(lambda: "192.0.2.90" in d.kernel_elements(), what="still banning")
        with open(os.path.join(d.conf, "jail.local.toml"), "w") as fh:
            fh.write("[sshd]\nmaxretry = 4\n")
        self.assertEqual(d.client("reload", json_out=False).returncode, 0)
        self.assertEqual(d.client("get", "sshd", "maxretry")["value"], 4)
        self.assertIn("192.0.2.90", d.client("status", "sshd")["banned"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
