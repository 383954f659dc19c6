"""Runs the real portcullisd against real files, each daemon in its own fresh network namespace.

Used by the integration tests in this folder. Needs root (unshare -n, nftables). Every wait is
bounded; every process started here is ended by its pid.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("PORTCULLIS_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
DAEMON = os.path.abspath(os.path.join(BUILD, "portcullisd"))
CLIENT = os.path.abspath(os.path.join(BUILD, "portcullis"))


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


class Daemon:
    """A portcullisd with a private config dir, state dir, log and socket, in a fresh netns.

    The namespace is a named one (ip netns add), so it outlives a daemon restart or kill -9.
    """
    _count = 0

    def __init__(self, jails_toml, daemon_toml="", filters=None, backend="nftables"):
        self.dir = tempfile.mkdtemp(prefix="portcullis-it-")
        self.conf = os.path.join(self.dir, "etc")
        self.logs = os.path.join(self.dir, "logs")
        self.state = os.path.join(self.dir, "state")
        for d in (self.conf, self.logs, self.state, os.path.join(self.conf, "filters.d"),
                  os.path.join(self.conf, "jails.d")):
            os.makedirs(d, exist_ok=True)
        for f in os.listdir(os.path.join(SOURCE, "filters.d")):
            shutil.copy(os.path.join(SOURCE, "filters.d", f), os.path.join(self.conf, "filters.d"))
        for name, text in (filters or {}).items():
            with open(os.path.join(self.conf, "filters.d", name + ".toml"), "w") as fh:
                fh.write(text)
        self.socket = os.path.join(self.dir, "portcullis.sock")
        self.log_file = os.path.join(self.dir, "portcullis.log")
        self.table = "portcullis"
        with open(os.path.join(self.conf, "portcullis.toml"), "w") as fh:
            fh.write('[daemon]\nsocket = "%s"\nlog_file = "%s"\nlog_level = "debug"\n'
                     'state_dir = "%s"\n%s\n[firewall]\nbackend = "%s"\n'
                     % (self.socket, self.log_file, self.state, daemon_toml, backend))
        with open(os.path.join(self.conf, "jail.toml"), "w") as fh:
            fh.write(jails_toml)
        self.proc = None
        Daemon._count += 1
        self.netns = "pcit%d-%d" % (os.getpid(), Daemon._count)
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"],
                       check=True)

    def path(self, name):
        return os.path.join(self.logs, name)

    def start(self, wait=True, extra=()):
        argv = ["ip", "netns", "exec", self.netns, DAEMON, "--foreground", "--config-dir",
                self.conf] + list(extra)
        self.stderr = open(os.path.join(self.dir, "stderr.txt"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.stderr, stderr=self.stderr)
        if wait:
            wait_until(lambda: self.client_ok("ping"), timeout=10, what="daemon to answer ping")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.stderr.close()
        return rc

    def cleanup(self):
        self.stop()
        subprocess.run(["ip", "netns", "del", self.netns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, *args, rc=0, json_out=True, timeout=10):
        """Runs the client; asserts its exit code is `rc`; returns its JSON (or the process)."""
        argv = [CLIENT, "--socket", self.socket] + list(args)
        if json_out:
            argv.append("--json")
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if rc is not None and p.returncode != rc:
            raise AssertionError("portcullis %s: exit %d, expected %d: %s %s" % (
                " ".join(args), p.returncode, rc, p.stdout.decode(), p.stderr.decode()))
        if json_out and p.stdout.strip():
            try:
                return json.loads(p.stdout.decode())
            except ValueError:
                pass
        return p

    def client_ok(self, *args):
        p = subprocess.run([CLIENT, "--socket", self.socket] + list(args),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5)
        return p.returncode == 0

    def nft(self, *args):
        p = subprocess.run(["ip", "netns", "exec", self.netns, "nft"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        if p.returncode != 0:
            raise AssertionError("nft %s: %s" % (" ".join(args), p.stderr.decode()))
        return p.stdout.decode()

    def kernel_elements(self):
        """Every element of every set of our table, as canonical text (CIDRs as a.b.c.d/n)."""
        data = json.loads(self.nft("-j", "list", "table", "inet", self.table))
        out = set()
        for item in data.get("nftables", []):
            s = item.get("set")
            if not s:
                continue
            for e in s.get("elem", []) or []:
                if isinstance(e, dict) and "elem" in e:
                    e = e["elem"]["val"]
                if isinstance(e, dict) and "prefix" in e:
                    out.add("%s/%d" % (e["prefix"]["addr"], e["prefix"]["len"]))
                elif isinstance(e, dict) and "range" in e:
                    out.add("%s-%s" % tuple(e["range"]))
                else:
                    out.add(str(e))
        return out

    def log_text(self):
        try:
            with open(self.log_file, errors="replace") as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def append(self, name, lines):
        with open(self.path(name), "a") as fh:
            fh.write("".join(l + "\n" for l in lines))


class DaemonTestCase(unittest.TestCase):
    def make(self, *args, **kwargs):
        d = Daemon(*args, **kwargs)
        self.addCleanup(d.cleanup)
        return d
