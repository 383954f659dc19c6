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
    """A portcullisd with a private config dir, state dir, log and socket, in a fresh netns."""

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
                     'state_dir = "%s"\n[firewall]\nbackend = "%s"\n%s\n'
                     % (self.socket, self.log_file, self.state, backend, daemon_toml))
        with open(os.path.join(self.conf, "jail.toml"), "w") as fh:
            fh.write(jails_toml)
        self.proc = None

    def path(self, name):
        return os.path.join(self.logs, name)

    def start(self, netns_of=None, wait=True):
        argv = [DAEMON, "--foreground", "--config-dir", self.conf]
        if netns_of is None:
            argv = ["unshare", "-n", "--"] + argv
        else:
            argv = ["nsenter", "-t", str(netns_of), "-n", "--"] + argv
        self.stderr = open(os.path.join(self.dir, "stderr.txt"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.stderr, stderr=self.stderr)
        if wait:
            wait_until(lambda: self.client_ok("ping"), timeout=10, what="daemon to answer ping")
        return self

    def netns_pid(self):
        return self.proc.pid

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
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, *args, check=True, json_out=True, timeout=10):
        argv = [CLIENT, "--socket", self.socket] + list(args)
        if json_out:
            argv.append("--json")
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("portcullis %s failed (%d): %s %s" % (
                " ".join(args), p.returncode, p.stdout.decode(), p.stderr.decode()))
        if json_out and p.returncode == 0:
            return json.loads(p.stdout.decode())
        return p

    def client_ok(self, *args):
        p = subprocess.run([CLIENT, "--socket", self.socket] + list(args),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5)
        return p.returncode == 0

    def nft(self, *args):
        p = subprocess.run(["nsenter", "-t", str(self.proc.pid), "-n", "--", "nft"] + list(args),
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
