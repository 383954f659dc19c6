#!/usr/bin/env python3
"""Integration tests of persistence: the real daemon, its SQLite database and the real kernel
firewall, each daemon in its own network namespace (root)."""
import os
import signal
import sqlite3
import time
import unittest

from harness import DaemonTestCase, wait_until
from test_daemon import jails, sshd_fail


class PersistenceTest(DaemonTestCase):
    def _daemon(self, sshd_extra=""):
        d = self.make("")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs, sshd_extra=sshd_extra))
        open(d.path("auth.log"), "w").close()
        return d

    def _ban_file(self, d, addrs, duration):
        listfile = os.path.join(d.dir, "list-%s.txt" % duration)
        with open(listfile, "w") as fh:
            fh.write("".join(a + "\n" for a in addrs))
        r = d.client("ban", "sshd", "--file", listfile, "--for", duration, "--force")
        self.assertEqual(r["banned"], len(addrs))

    def test_reboot_restores_every_due_ban_and_no_expired_one(self):
        d = self._daemon().start()
        due = ["198.51.%d.%d" % (i // 250, i % 250 + 1) for i in range(1000)]
        self._ban_file(d, due, "1h")
        self._ban_file(d, ["203.0.113.%d" % i for i in range(1, 11)], "2s")
        self.assertEqual(len(d.kernel_elements()), 1010)
        d.stop(sig=signal.SIGKILL)
        d.nft("delete", "table", "inet", d.table)  # what a reboot does to the kernel's state
        time.sleep(2.5)  # the 2 s bans are now over
        t0 = time.monotonic()
        d.start()
        elements = wait_until(lambda: d.kernel_elements() if len(d.kernel_elements()) >= 1000
                              else None, what="bans restored")
        print("restart to 1,000 restored bans: %.3f s" % (time.monotonic() - t0))
        self.assertEqual(elements, set(due))
        left = d.client("banned", "198.51.0.1")["bans"][0]["seconds_left"]
        self.assertTrue(3500 < left <= 3600, left)
        self.assertRegex(d.log_text(), r"\[sshd\] Restore 198\.51\.0\.1 for 5\dm")

    def test_failures_written_while_stopped_are_banned_at_start_with_nothing_else_happening(self):
        # backend "none": no firewall events, and no client pings the daemon after its restart,
        # so nothing but the start itself may commit the ban of the backlog.
        d = self.make("", backend="none")
        with open(os.path.join(d.conf, "jail.toml"), "w") as fh:
            fh.write(jails(d.logs))
        open(d.path("auth.log"), "w").close()
        d.start()
        self.assertEqual(d.stop(), 0)
        with open(d.path("auth.log"), "a") as fh:
            fh.write("".join(sshd_fail("192.0.2.61") + "\n" for _ in range(3)))
        d.start(wait=False)

        def banned():
            with open(d.log_file) as fh:
                return "Ban 192.0.2.61" in fh.read()
        wait_until(banned, timeout=5, what="the backlog's ban in the daemon's log")

    def test_restart_with_the_table_in_place_adopts_without_duplicates(self):
        d = self._daemon().start()
        self._ban_file(d, ["192.0.2.%d" % i for i in range(1, 51)], "1h")
        d.stop(sig=signal.SIGKILL)
        d.start()
        st = d.client("status", "sshd")
        self.assertEqual(st["currently_banned"], 50)
        self.assertEqual(len(d.kernel_elements()), 50)
        self.assertEqual(len(d.client("banned")["bans"]), 50)

    def test_bantime_increment_counts_bans_from_before_a_restart(self):
        d = self._daemon(sshd_extra='bantime = "2s"\nbantime_increment = true\n'
                                    'bantime_maxtime = "1d"')
        d.start()
        d.append("auth.log", [sshd_fail("192.0.2.77")] * 3)
        wait_until(lambda: "192.0.2.77" in d.kernel_elements(), what="first ban")
        wait_until(lambda: "192.0.2.77" not in d.client("status", "sshd")["banned"], timeout=6,
                   what="first ban to end")
        self.assertEqual(d.stop(), 0)
        d.start()
        d.append("auth.log", [sshd_fail("192.0.2.77")] * 3)
        wait_until(lambda: "192.0.2.77" in d.client("status", "sshd")["banned"], what="2nd ban")
        ban = d.client("banned", "192.0.2.77")["bans"][0]
        self.assertEqual(ban["ban_count"], 2)
        self.assertGreater(ban["seconds_left"], 2)  # doubled: 4 s
        hist = d.client("banned", "--history", "192.0.2.77")["history"]
        self.assertEqual(len(hist), 2)

    def test_corrupt_database_is_moved_aside_and_kernel_bans_adopted(self):
        d = self._daemon().start()
        self._ban_file(d, ["192.0.2.%d" % i for i in range(1, 6)], "1h")
        d.stop()
        db = os.path.join(d.state, "portcullis.db")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        with open(db, "wb") as fh:
            fh.write(os.urandom(8192))
        d.start()
        self.assertEqual(d.client("status", "sshd")["currently_banned"], 5)
        self.assertRegex(d.log_text(), r"CRITICAL.*database .* was damaged")
        self.assertTrue(any(f.startswith("portcullis.db.corrupt-") for f in os.listdir(d.state)))
        # The fresh database took the adopted bans in.
        with sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute("select name from sqlite_master")]
        self.assertTrue(tables)


if __name__ == "__main__":
    unittest.main(verbosity=2)
