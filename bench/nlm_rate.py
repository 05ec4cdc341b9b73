#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""NLM lock + unlock round trips per second through an NFS mount.

usage: nlm_rate.py FILE SECONDS
Prints the rate. Each round trip is a blocking-free F_SETLK of a byte range
and its unlock: two NLM RPCs to lockd.
"""
import fcntl
import os
import sys
import time


def rate(path, secs):
    """Round trips per second on PATH for SECS seconds, as "%.1f"."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
        fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
        n += 1
    dt = time.monotonic() - t0
    os.close(fd)
    return "%.1f" % (n / dt)


def main():
    print(rate(sys.argv[1], float(sys.argv[2])))


if __name__ == "__main__":
    sys.exit(main())
