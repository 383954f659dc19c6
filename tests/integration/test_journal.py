#!/usr/bin/env python3
"""Integration tests of the systemd journal source: the real daemon reads a real journal file
written by systemd-journal-remote (from the journal export format) in a temp directory, and bans
through the real kernel firewall in its own network namespace (root)."""
import os
import subprocess
import time
import unittest

from harness import DaemonTestCase, wait_until
from test_daemon import sshd_fail

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_ID = "0123456789abcdef0123456789abcdef"


class Journal:
    """A journal directory; entries are appended to one file with systemd-journal-remote."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.file = os.path.join(directory, "remote.journal")
        self.monotonic = 1000000

    def append(self, entries):
        """entries: dicts of journal fields (MESSAGE, _COMM, ...); time stamps are added."""
        out = []
        for fields in entries:
            self.monotonic += 1000
            e = {"__REALTIME_TIMESTAMP": str(int(time.time() * 1e6)),
                 "__MONOTONIC_TIMESTAMP": str(self.monotonic), "_BOOT_ID": BOOT_ID,
                 "_HOSTNAME": "testhost"}
            e.update(fields)
            out.append("".join("%s=%s\n" % kv for kv in e.items()) + "\n")
        p = subprocess.run([JOURNAL_REMOTE, "--output=" + self.file, "-"],
                           input="".join(out).encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 0:
            raise AssertionError("systemd-journal-remote: %s" % p.stderr.decode())


def failure(addr, comm="sshd", pid="812"):
    return {"_COMM": comm, "_PID": pid, "SYSLOG_IDENTIFIER": comm,
            "MESSAGE": "Failed password for root from %s port 4242 ssh2" % addr}


def jail_toml(extra):
    return ('[defaults]\nignoreip = []\nignoreself = false\nignore_logged_in = false\n'
            '[sshd]\nenabled = true\nmaxretry = 3\nfindtime = "10m"\nbantime = "1h"\n'
            'port = "ssh"\n' + extra)


def counter(status, name):
    return dict(status["counters"])[name] if isinstance(status["counters"], list) \
        else status["counters"][name]


class JournalTest(DaemonTestCase):
    def _daemon(self, extra):
        d = self.make("")
        journal = Journal(os.path.join(d.dir, "journal"))
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jail_toml(extra % {"journal": journal.dir, "logs": d.logs}))
        return d, journal

    def test_several_values_of_one_field_mean_any_of_them(self):
        # The shipped sshd jail lists sshd, sshd-session and sshd-auth (OpenSSH 9.8 and later).
        d, journal = self._daemon('backend = "journal"\njournalpath = ["%(journal)s"]\n'
                                  'journalmatch = ["_COMM=sshd", "_COMM=sshd-session", '
                                  '"_COMM=sshd-auth"]\n')
        journal.append([failure("192.0.2.90")])  # the journal exists before the start
        d.start()
        journal.append([failure("192.0.2.91", comm="sshd-session"),
                        failure("192.0.2.91", comm="sshd"),
                        failure("192.0.2.91", comm="sshd-imposter"),
                        failure("192.0.2.91", comm="sshd-auth")])
        wait_until(lambda: "192.0.2.91" in d.kernel_elements(), what="ban in nftables")
        st = d.client("status", "sshd")
        self.assertEqual(counter(st, "lines_read"), 3)

    def test_bans_from_the_journal_and_resumes_after_a_restart(self):
        d, journal = self._daemon('backend = "journal"\njournalpath = ["%(journal)s"]\n'
                                  'journalmatch = ["_COMM=sshd"]\n')
        # Entries from before the first start are history: never counted.
        journal.append([failure("192.0.2.50")] * 3)
        d.start()
        st = d.client("status", "sshd")
        self.assertEqual(st["files"], ["journal _COMM=sshd in %s" % journal.dir])
        self.assertRegex(d.log_text(), r"\[sshd\] reading the systemd journal _COMM=sshd in .* "
                                       r"\(new entries\)")

        journal.append([failure("192.0.2.7"), failure("192.0.2.7"), failure("192.0.2.50")])
        # Another program's entries do not match _COMM=sshd, whatever they say.
        journal.append([failure("192.0.2.8", comm="sshd-imposter")] * 4)
        wait_until(lambda: counter(d.client("status", "sshd"), "lines_read") == 3,
                   what="three sshd entries read")
        self.assertEqual(d.kernel_elements(), set())
        journal.append([failure("192.0.2.7")])
        wait_until(lambda: "192.0.2.7" in d.kernel_elements(), what="ban in nftables")
        st = d.client("status", "sshd")
        self.assertEqual(st["banned"], ["192.0.2.7"])
        self.assertEqual(counter(st, "lines_read"), 4)
        self.assertEqual(counter(st, "failures"), 4)
        self.assertRegex(d.log_text(), r"\[sshd\] Ban 192\.0\.2\.7 for 1h \(3 failures\)")
        self.assertEqual(d.stop(), 0)

        # While the daemon is down: two failures of a new attacker. After the restart the daemon
        # reads them (saved cursor) and nothing older: 192.0.2.50, counted again, would be banned.
        journal.append([failure("192.0.2.9", pid="900")] * 2)
        d.start()
        wait_until(lambda: counter(d.client("status", "sshd"), "lines_read") == 2,
                   what="the two entries written while stopped")
        self.assertRegex(d.log_text(), r"\(after the saved cursor\)")
        journal.append([failure("192.0.2.9", pid="900")])
        wait_until(lambda: "192.0.2.9" in d.kernel_elements(), what="ban after restart")
        st = d.client("status", "sshd")
        self.assertEqual(counter(st, "lines_read"), 3)
        self.assertEqual(sorted(st["banned"]), ["192.0.2.7", "192.0.2.9"])
        self.assertNotIn("192.0.2.50", d.kernel_elements())
        self.assertNotIn("192.0.2.8", d.kernel_elements())

    def test_backlog_is_read_to_the_end_in_bounded_batches(self):
        d, journal = self._daemon('backend = "journal"\njournalpath = ["%(journal)s"]\n'
                                  'journalmatch = ["_COMM=sshd"]\n')
        journal.append([{"_COMM": "sshd", "MESSAGE": "before the first start"}])
        d.start()
        self.assertEqual(d.stop(), 0)
        # 10,000 entries (more than two batches of 4096) while the daemon is down, the attacker's
        # last three at the very end: the ban proves the source came back for the rest without
        # any new journal event.
        noise = [{"_COMM": "sshd", "_PID": "7", "MESSAGE": "Connection closed by 198.51.100.%d "
                  "port 22" % (i % 250 + 1)} for i in range(9997)]
        journal.append(noise + [failure("192.0.2.99")] * 3)
        d.start()
        wait_until(lambda: "192.0.2.99" in d.kernel_elements(), timeout=20,
                   what="ban from the end of the backlog")
        self.assertEqual(counter(d.client("status", "sshd"), "lines_read"), 10000)

    def test_reload_continues_after_the_last_entry_read(self):
        d, journal = self._daemon('backend = "journal"\njournalpath = ["%(journal)s"]\n'
                                  'journalmatch = ["_COMM=sshd"]\n')
        d.start()
        journal.append([failure("192.0.2.61")] * 2)
        wait_until(lambda: counter(d.client("status", "sshd"), "lines_read") == 2,
                   what="two entries read")
        d.client("reload")
        journal.append([failure("192.0.2.61")])
        wait_until(lambda: "192.0.2.61" in d.kernel_elements(), what="ban across the reload")
        # The jail was unchanged, so it kept its counters: nothing was read twice.
        self.assertEqual(counter(d.client("status", "sshd"), "lines_read"), 3)

    def test_auto_backend_reads_the_journal_when_no_log_file_exists(self):
        d, journal = self._daemon('logpath = "%(logs)s/auth.log"\njournalpath = "%(journal)s"\n'
                                  'journalmatch = ["SYSLOG_IDENTIFIER=sshd"]\n')
        journal.append([{"MESSAGE": "sshd started", "SYSLOG_IDENTIFIER": "sshd"}])
        d.start()
        self.assertEqual(d.client("status", "sshd")["files"],
                         ["journal SYSLOG_IDENTIFIER=sshd in %s" % journal.dir])
        journal.append([failure("198.51.100.4")] * 3)
        wait_until(lambda: "198.51.100.4" in d.kernel_elements(), what="ban from the journal")
        # Creating the file later does not add a second source (no line may count twice).
        d.append("auth.log", [sshd_fail("198.51.100.5")] * 3)
        time.sleep(0.5)
        self.assertNotIn("198.51.100.5", d.kernel_elements())

    def test_journal_backend_without_journalmatch_takes_the_filters(self):
        d, journal = self._daemon('backend = "journal"\njournalpath = "%(journal)s"\n')
        d.start()
        files = d.client("status", "sshd")["files"]
        self.assertEqual(files, ["journal _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service + "
                                 "_COMM=sshd + _COMM=sshd-session + _COMM=sshd-auth in %s"
                                 % journal.dir])
        journal.append([failure("203.0.113.44", comm="sshd-session")] * 3)
        wait_until(lambda: "203.0.113.44" in d.kernel_elements(), what="ban via the filter's match")

    def test_journal_that_cannot_be_opened_is_reported_and_the_daemon_runs(self):
        d, journal = self._daemon('backend = "journal"\njournalpath = ["%(journal)s/missing"]\n'
                                  'journalmatch = ["_COMM=sshd"]\n'
                                  '[web]\nenabled = true\nfilter = "sshd"\n'
                                  'logpath = "%(logs)s/web.log"\n')
        open(d.path("web.log"), "w").close()
        d.start()
        st = d.client("status", "sshd")
        self.assertEqual(len(st["files"]), 1)
        self.assertRegex(st["files"][0], r"^journal _COMM=sshd in .*/missing \(unavailable: "
                                         r"journalpath .*/missing: No such file or directory\)$")
        self.assertEqual(counter(st, "journal_unavailable"), 1)
        self.assertRegex(d.log_text(), r"\[sshd\] cannot read the systemd journal: journalpath")
        # The other jail works.
        d.append("web.log", [sshd_fail("203.0.113.9")] * 5)
        wait_until(lambda: "203.0.113.9" in d.kernel_elements(), what="file jail still bans")


if __name__ == "__main__":
    unittest.main(verbosity=2)
