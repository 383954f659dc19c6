#!/usr/bin/env python3
"""Checks that src/daemon/portcullisd.order still names the daemon's functions.

Usage: check_order_file.py PORTCULLISD ORDER_FILE MIN_FRACTION

The linker places the functions the order file lists first and together (CMakeLists.txt), which
keeps about 1 MB of code out of the idle daemon's memory. Renamed or removed functions silently
drop out of that layout; this fails when fewer than MIN_FRACTION of the listed names are symbols
of the binary, i.e. when bench/startup_order should be run again.
"""
import os
import subprocess
import sys


def main():
    binary, order_file, min_fraction = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if not os.path.exists(binary):
        sys.exit("%s does not exist: build the portcullisd target first" % binary)
    out = subprocess.run(["nm", binary], check=True, stdout=subprocess.PIPE, text=True).stdout
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    with open(order_file) as fh:
        names = [l.strip() for l in fh if l.strip() and not l.startswith("#")]
    if not names:
        sys.exit("%s: no function names" % order_file)
    found = sum(1 for n in names if n in symbols)
    fraction = found / len(names)
    print("%d of %d listed functions are in %s (%.0f%%, minimum %.0f%%)"
          % (found, len(names), binary, 100 * fraction, 100 * min_fraction))
    if fraction < min_fraction:
        missing = [n for n in names if n not in symbols][:10]
        print("missing, for example:\n  " + "\n  ".join(missing))
        sys.exit("the order file is stale: run bench/startup_order (as root) and commit it")


if __name__ == "__main__":
    main()
