#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Hold a file open (through any mount, e.g. the cifs one) and act on it
by commands read from a FIFO, one per line; one answer line per command.

usage: holder.py FILE FIFO [rw|r]
  write TEXT           pwrite TEXT at offset 0, no truncation (the kernel
                       client may cache it)
  fsync                fsync this open handle: the cached writes reach
                       the server
  read                 pread the whole file through this open handle
  lock r|w START LEN   a non-blocking fcntl lock: "granted" or "denied"
  close                close and exit
A command that fails answers "error ERRNO".
"""
import errno
import fcntl
import os
import sys


def run(fd, cmd):
    """Carry out one command and print its answer; True once closed."""
    if cmd[0] == "write":
        os.pwrite(fd, cmd[1].encode(), 0)
        print("written", flush=True)
    elif cmd[0] == "fsync":
        os.fsync(fd)
        print("synced", flush=True)
    elif cmd[0] == "read":
        size = os.fstat(fd).st_size
        data = os.pread(fd, max(size, 4096), 0)
        print("read %s" % data.decode(errors="replace"), flush=True)
    elif cmd[0] == "lock":
        kind, start, length = cmd[1].split()
        try:
            fcntl.lockf(fd, (fcntl.LOCK_SH if kind == "r" else fcntl.LOCK_EX) | fcntl.LOCK_NB,
                        int(length), int(start))
            print("granted", flush=True)
        except OSError:
            print("denied", flush=True)
    elif cmd[0] == "close":
        os.close(fd)
        print("closed", flush=True)
        return True
    else:
        print("error unknown command", flush=True)
    return False


def main():
    path, fifo = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "rw"
    fd = os.open(path, os.O_RDWR if mode == "rw" else os.O_RDONLY)
    print("opened", flush=True)
    while True:
        with open(fifo) as f:
            for line in f:
                try:
                    if run(fd, line.rstrip("\n").split(" ", 1)):
                        return 0
                except OSError as e:
                    print("error %s" % errno.errorcode.get(e.errno, e.errno), flush=True)


if __name__ == "__main__":
    sys.exit(main())
