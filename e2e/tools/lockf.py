#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Take an fcntl (POSIX) byte-range lock on a file and report the outcome.

usage: lockf.py FILE {r|w} [--start N] [--len N] [--wait] [--hold SECONDS]
                [--write DATA] [--timeout SECONDS] [--delay SECONDS] [--after FILE]
                [--rdonly]
Prints "granted" or "denied <errno name>" and exits 0 / 1. With --hold it
keeps the lock that long (or until stdin closes if SECONDS is 'stdin').
"""
import argparse
import errno
import fcntl
import os
import signal
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("mode", choices=["r", "w"])
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--len", type=int, default=0)
    p.add_argument("--wait", action="store_true")
    p.add_argument("--hold", default="0")
    p.add_argument("--write")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--delay", type=float, default=0,
                   help="seconds between opening the file and locking it")
    p.add_argument("--after", help="after opening, wait until this file exists, then lock")
    p.add_argument("--rdonly", action="store_true",
                   help="open the file read-only (a shared lock only; over NFSv4 an OPEN for read)")
    a = p.parse_args()

    fd = os.open(a.file, os.O_RDONLY if a.rdonly else os.O_RDWR | os.O_CREAT, 0o666)
    if a.delay or a.after:
        print("opened", flush=True)
        time.sleep(a.delay)
        while a.after and not os.path.exists(a.after):
            time.sleep(0.01)
    kind = fcntl.LOCK_SH if a.mode == "r" else fcntl.LOCK_EX
    if not a.wait:
        kind |= fcntl.LOCK_NB
    signal.signal(signal.SIGALRM, lambda *_: (print("denied ETIMEDOUT", flush=True), os._exit(1)))
    signal.alarm(int(a.timeout))
    t0 = time.monotonic()
    try:
        fcntl.lockf(fd, kind, a.len, a.start, os.SEEK_SET)
    except OSError as e:
        print("denied %s %.3f" % (errno.errorcode.get(e.errno, e.errno), time.monotonic() - t0), flush=True)
        return 1
    signal.alarm(0)
    print("granted %.3f" % (time.monotonic() - t0), flush=True)
    if a.write is not None:
        os.pwrite(fd, a.write.encode(), a.start)
        os.fsync(fd)
    if a.hold == "stdin":
        sys.stdin.read()
    elif float(a.hold) > 0:
        time.sleep(float(a.hold))
    fcntl.lockf(fd, fcntl.LOCK_UN, a.len, a.start, os.SEEK_SET)
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
