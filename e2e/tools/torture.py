#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Cross-protocol torture driver and its oracle (issue 10 items 1-3).

One driver process sends a seeded random mix of operations to worker
processes, one per client, and checks the invariants of behaviour.md §7
while they run and at the end:

  I1  no SMB lease with W beside another client's NFS lock, no lease with
      R beside an exclusive NFS lock (what the clients believe they hold,
      and the table itself, NLM and NFSv4 locks); in the table, no NFSv4
      write delegation beside an SMB lease, no read one beside W, no W
      lease beside an NFSv4 open for write (nfsd's list of opens)
  I2  no two incompatible overlapping byte-range locks are held (client
      beliefs, NLM TEST answers, the table)
  I3  at quiet points: the table's byte-range locks are exactly the VFS's
      (/proc/locks) on the export, every lock a client holds on the server
      and every lease a raw SMB client holds is in the table
  I4  every record a client appended under an exclusive lock is in the log
      file exactly once and whole
(I5, the teardown, is checked by e2e/scenarios/torture.sh.)

Before the random mix, a phase the same for every seed (Driver.phase):
raw SMB clients that ack never or late hold RWH while NFS clients lock the
file; a cifs client keeps the log open under its lease, locks a range an
NFS client locks next, and appends records in turn with NFS appenders.
Stock lets all of it through (I1, I2, I4 for any seed); xlock must not.

Workers (subcommand "worker"): "fs ROOT" works through a mount (the NFS
clients, NFSv3 or NFSv4.2, each in its own network namespace, and the
cifs mounts); "smb
ACKMODE" is a raw SMB2 client (impacket) holding leases and answering
breaks at once (now), late (a delay in ms) or never; "nlm" sends NLM TEST.
They read one JSON command a line and answer one JSON line; raw SMB
workers also report lease breaks as they come.

usage: torture.py run --seed N --secs S [--ops N] [--stock] [--until-seen] [--no-phase]
                  [--nfs NAME:PID:ROOT[:ADDR]]... [--cifs NAME:ROOT]...
                  [--smb NAME:ACK]... --export DIR --xlockctl PATH
Prints "seed N" first, one line per violation ("VIOLATION I2 ..."), a
summary line "ops N conflicts N breaks N violations I1=N I2=N I3=N I4=N",
and exits 0 when no violation was seen (1 otherwise; with --stock the
caller decides).
"""
import argparse
import errno
import fcntl
import json
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
DATA = ["d0", "d1", "d2"]       # data files (renamed, removed, truncated)
LOG = "log"                      # the I4 record file (only appended)
REC_LEN = 48
RANGES = [(0, 100), (50, 100), (0, 0), (200, 50), (120, 10)]   # (start, len); len 0: to EOF
EOF = (1 << 64) - 1
# An open in nfsd's /proc/fs/nfsd/clients/*/states: stateid, write access,
# the file's device and inode.
OPEN_RE = re.compile(r'^- (0x[0-9a-f]+): \{ type: open, access: [r-]([w-]), deny: [r-][w-], '
                     r'superblock: "([0-9a-f]+):([0-9a-f]+):(\d+)"', re.M)
OFFSET_MAX = (1 << 63) - 1      # the VFS's end of file; ends from here on mean EOF


def end_of(x):
    return EOF if x >= OFFSET_MAX else x


def out(*a):
    print(*a, flush=True)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def record(client, seq):
    """One fixed-length log record: client, number, checksum, padding."""
    body = "%-8s %08d" % (client, seq)
    line = "%s %08x " % (body, zlib.crc32(body.encode()))
    return (line + "." * (REC_LEN - 1 - len(line)) + "\n").encode()


REC_RE = re.compile(rb"^(\S+) +(\d{8}) ([0-9a-f]{8}) \.+$")


# --------------------------------------------------------------- workers ---

class Alarm(Exception):
    pass


def _alarm(*_):
    raise Alarm()


def fs_lock_retry(fd, secs):
    """An exclusive whole-file lock, non-blocking tries for up to secs: a
    blocking cifs lock waits killable only (no timeout by a signal)."""
    end = time.monotonic() + secs
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0, os.SEEK_SET)
            return True
        except OSError:
            if time.monotonic() > end:
                return False
            time.sleep(0.1)


def fs_worker(root, blocking="yes"):
    """A client working through a mount (NFS or cifs). blocking "no":
    blocking locks are tried without blocking (cifs)."""
    signal.signal(signal.SIGALRM, _alarm)
    fds = {}
    reply({"ready": True})
    for line in sys.stdin:
        c = json.loads(line)
        r = {"id": c["id"]}
        op = c["op"]
        try:
            if op == "open":
                fd = os.open(os.path.join(root, c["name"]), os.O_RDWR | os.O_CREAT |
                             (os.O_APPEND if c.get("append") else 0), 0o666)
                fds[c["slot"]] = fd
                r["ino"] = os.fstat(fd).st_ino
            elif op == "close":
                os.close(fds.pop(c["slot"]))
            elif op == "lock":
                fd = fds[c["slot"]]
                kind = fcntl.LOCK_EX if c["mode"] == "w" else fcntl.LOCK_SH
                if not c["wait"] or blocking == "no":
                    kind |= fcntl.LOCK_NB
                signal.alarm(c.get("timeout", 3) if c["wait"] else 20)
                try:
                    fcntl.lockf(fd, kind, c["len"], c["start"], os.SEEK_SET)
                    r["res"] = "granted"
                except Alarm:
                    r["res"] = "timeout"
                except OSError as e:
                    r["res"] = "denied"
                    r["err"] = ename(e)
                finally:
                    signal.alarm(0)
                r["ino"] = os.fstat(fd).st_ino
            elif op == "unlock":
                fcntl.lockf(fds[c["slot"]], fcntl.LOCK_UN, c["len"], c["start"], os.SEEK_SET)
            elif op == "append":
                # "slot": through an open the client keeps (O_APPEND), so a
                # cifs client keeps its lease on the log between records.
                held = "slot" in c
                fd = fds[c["slot"]] if held else \
                    os.open(os.path.join(root, LOG), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
                try:
                    if blocking == "no":
                        if not fs_lock_retry(fd, 8):
                            r["res"] = "timeout"
                    else:
                        signal.alarm(8)
                        try:
                            fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0, os.SEEK_SET)
                        except Alarm:
                            r["res"] = "timeout"
                        finally:
                            signal.alarm(0)
                    if "res" not in r:
                        # Where O_APPEND writes is the client's idea of the
                        # size. cifs refreshes it only on a getattr (its
                        # mounts here: actimeo=0) unless a lease lets it
                        # cache: ask, as an NFS client does on a lock.
                        # And by path: only a revalidated dentry makes cifs
                        # (6.12) drop its page cache and move its zero point
                        # (netfs: "beyond it the server has zeros") up to the
                        # new size; with a stale zero point its buffered write
                        # zero-fills the folio below the record and writes
                        # the zeros back over others' records.
                        os.fstat(fd)
                        os.stat(os.path.join(root, LOG))
                        n = os.write(fd, record(c["client"], c["seq"]))
                        r["off"] = os.lseek(fd, 0, os.SEEK_CUR) - n
                        os.fsync(fd)
                        fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0, os.SEEK_SET)
                        r["res"] = "appended" if n == REC_LEN else "short"
                finally:
                    if not held:
                        os.close(fd)
            elif op == "read":
                r["n"] = len(os.pread(fds[c["slot"]], c["len"], c["off"]))
            elif op == "write":
                os.pwrite(fds[c["slot"]], c["data"].encode(), c["off"])
            elif op == "trunc":
                os.ftruncate(fds[c["slot"]], c["size"])
            elif op == "remove":
                os.unlink(os.path.join(root, c["name"]))
            elif op == "rename":
                os.rename(os.path.join(root, c["src"]), os.path.join(root, c["dst"]))
            elif op == "quit":
                reply(r)
                return 0
            else:
                r["err"] = "unknown op"
        except OSError as e:
            r["err"] = ename(e)
        except KeyError:
            r["err"] = "no such slot"
        reply(r)
    return 0


BREAK_ID = 0xFFFFFFFFFFFFFFFF


def smb_worker(ack):
    """A raw SMB2 client (impacket) with leases, answering breaks by ack."""
    sys.path.insert(0, HERE)
    import smbop
    from impacket import smb3structs as S
    from impacket.smbconnection import SMBConnection

    breaks = []

    class Outstanding(dict):
        # impacket keeps one unsolicited packet per message id: breaks
        # (all with id ~0) would overwrite each other. Keep them all.
        def __setitem__(self, k, v):
            if k == BREAK_ID:
                breaks.append(v)
            else:
                dict.__setitem__(self, k, v)

    conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=445)
    conn.login("xlock", "xlock-e2e")
    smb = conn.getSMBServer()
    smb._Connection["SupportsDirectoryLeasing"] = False
    smb._Connection["OutstandingResponses"] = Outstanding(smb._Connection["OutstandingResponses"])
    tid = smb.connectTree("share")
    smb._timeout = 60
    last = {}
    orig = smb.recvSMB

    def recv(packet_id=None):
        p = orig(packet_id)
        if p["Command"] == S.SMB2_CREATE:
            last["create"] = p
        return p
    smb.recvSMB = recv
    fids = {}

    def handle(packet):
        note = S.SMB2LeaseBreakNotification(packet["Data"])
        new = note["NewLeaseState"]
        key = note["LeaseKey"].hex() if isinstance(note["LeaseKey"], bytes) else str(note["LeaseKey"])
        need = bool(note["Flags"] & S.SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED)
        reply({"ev": "break", "key": key, "to": smbop.state_text(new), "ack_required": need})
        if not need or ack == "never":
            return
        if ack != "now":
            time.sleep(int(ack) / 1000.0)
        pkt = smb.SMB_PACKET()
        pkt["Command"] = S.SMB2_OPLOCK_BREAK
        pkt["TreeID"] = tid
        a = S.SMB2LeaseBreakAcknowledgement()
        a["LeaseKey"] = note["LeaseKey"]
        a["LeaseState"] = new
        pkt["Data"] = a
        ans = smb.recvSMB(smb.sendSMB(pkt))
        reply({"ev": "ack", "key": key, "to": smbop.state_text(new),
               "status": smbop.status_name(ans["Status"]) if ans["Status"] else "ok"})

    def flush_breaks():
        while breaks:
            handle(breaks.pop(0))

    def lock(fid, start, length, flags):
        el = S.SMB2_LOCK_ELEMENT()
        el["Offset"] = start
        el["Length"] = length
        el["Flags"] = flags
        pkt = smb.SMB_PACKET()
        pkt["Command"] = S.SMB2_LOCK
        pkt["TreeID"] = tid
        req = S.SMB2Lock()
        req["FileID"] = fid
        req["LockCount"] = 1
        req["Locks"] = el.getData()
        pkt["Data"] = req
        ans = smb.recvSMB(smb.sendSMB(pkt))
        return "ok" if ans["Status"] == 0 else smbop.status_name(ans["Status"])

    def ino_of(fid):
        d = smb.queryInfo(tid, fid, infoType=S.SMB2_0_INFO_FILE,
                          fileInfoClass=S.SMB2_FILE_INTERNAL_INFO)
        return struct.unpack_from("<Q", d, 0)[0]

    def eof_of(fid):
        d = smb.queryInfo(tid, fid, infoType=S.SMB2_0_INFO_FILE,
                          fileInfoClass=S.SMB2_FILE_STANDARD_INFO)
        return struct.unpack_from("<Q", d, 8)[0]

    def do(c):
        r = {"id": c["id"]}
        op = c["op"]
        if op == "open":
            mask = S.FILE_READ_DATA | S.FILE_READ_ATTRIBUTES | S.FILE_WRITE_DATA | \
                S.FILE_APPEND_DATA | S.FILE_WRITE_ATTRIBUTES
            share = 0
            for ch, bit in (("r", S.FILE_SHARE_READ), ("w", S.FILE_SHARE_WRITE),
                            ("d", S.FILE_SHARE_DELETE)):
                if ch in c["share"]:
                    share |= bit
            lease = S.SMB2_CREATE_REQUEST_LEASE()
            lease["LeaseKey"] = bytes.fromhex(c["key"])
            lease["LeaseState"] = smbop.state_bits(c["lease"])
            fid = smb.create(tid, c["name"], mask, share, S.FILE_NON_DIRECTORY_FILE,
                             S.FILE_OPEN_IF, S.FILE_ATTRIBUTE_NORMAL,
                             oplockLevel=S.SMB2_OPLOCK_LEVEL_LEASE,
                             createContexts=[smbop.RawContext(b"RqLs", lease.getData())])
            fids[c["slot"]] = fid
            r["granted"] = smbop.state_text(smbop.Client.granted(last["create"]))
            r["ino"] = ino_of(fid)
        elif op == "close":
            smb.close(tid, fids.pop(c["slot"]))
        elif op == "lock":
            fl = S.SMB2_LOCKFLAG_EXCLUSIVE_LOCK if c["mode"] == "w" else S.SMB2_LOCKFLAG_SHARED_LOCK
            length = c["len"] or (OFFSET_MAX + 1 - c["start"])
            st = lock(fids[c["slot"]], c["start"], length, fl | S.SMB2_LOCKFLAG_FAIL_IMMEDIATELY)
            r["res"] = "granted" if st == "ok" else "denied"
            if st != "ok":
                r["err"] = st
            r["ino"] = ino_of(fids[c["slot"]])
        elif op == "unlock":
            length = c["len"] or (OFFSET_MAX + 1 - c["start"])
            st = lock(fids[c["slot"]], c["start"], length, S.SMB2_LOCKFLAG_UNLOCK)
            if st != "ok":
                r["err"] = st
        elif op == "append":
            fid = smb.create(tid, LOG, S.FILE_READ_DATA | S.FILE_WRITE_DATA |
                             S.FILE_READ_ATTRIBUTES, S.FILE_SHARE_READ | S.FILE_SHARE_WRITE |
                             S.FILE_SHARE_DELETE, S.FILE_NON_DIRECTORY_FILE, S.FILE_OPEN_IF,
                             S.FILE_ATTRIBUTE_NORMAL)
            try:
                end = time.monotonic() + 8
                while True:
                    st = lock(fid, 0, OFFSET_MAX + 1, S.SMB2_LOCKFLAG_EXCLUSIVE_LOCK |
                              S.SMB2_LOCKFLAG_FAIL_IMMEDIATELY)
                    if st == "ok" or time.monotonic() > end:
                        break
                    flush_breaks()
                    time.sleep(0.1)
                if st != "ok":
                    r["res"] = "timeout"
                else:
                    data = record(c["client"], c["seq"])
                    r["off"] = eof_of(fid)
                    n = smb.write(tid, fid, data, r["off"], len(data))
                    smb.flush(tid, fid)
                    lock(fid, 0, OFFSET_MAX + 1, S.SMB2_LOCKFLAG_UNLOCK)
                    r["res"] = "appended" if n == REC_LEN else "short"
            finally:
                smb.close(tid, fid)
        elif op == "read":
            r["n"] = len(smb.read(tid, fids[c["slot"]], c["off"], c["len"]))
        elif op == "write":
            smb.write(tid, fids[c["slot"]], c["data"].encode(), c["off"], len(c["data"]))
        elif op == "crash":
            # A client that goes away without closing anything.
            os._exit(0)
        else:
            r["err"] = "unknown op"
        return r

    reply({"ready": True})
    sock = smb.get_socket()
    stdin = sys.stdin.buffer.raw
    buf = b""
    while True:
        flush_breaks()
        rd = select.select([stdin, sock], [], [], 0.5)[0]
        if sock in rd:
            p = smb.recvSMB()
            if p["Command"] == S.SMB2_OPLOCK_BREAK and p["MessageID"] == BREAK_ID:
                breaks.append(p)
            continue
        if stdin not in rd:
            continue
        chunk = os.read(stdin.fileno(), 65536)
        if not chunk:
            return 0
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c = json.loads(line)
            if c["op"] == "quit":
                reply({"id": c["id"]})
                return 0
            try:
                r = do(c)
            except KeyError:
                r = {"id": c["id"], "err": "no such slot"}
            except Exception as e:     # an SMB error status: part of the mix
                r = {"id": c["id"], "err": str(e)[:120]}
            reply(r)
            flush_breaks()


def nlm_worker():
    """NLM TEST, as a client that holds nothing (the holder it reports)."""
    sys.path.insert(0, HERE)
    import nlmtest
    # The export's client names that nfsd's cache may know (the file
    # handle is the same for all): mountd names domains after the client
    # spec or, with subnet exports, after the address.
    names = ["127.0.0.1", "10.98.1.2", "10.98.0.0/16"]
    reply({"ready": True})
    for line in sys.stdin:
        c = json.loads(line)
        r = {"id": c["id"]}
        if c["op"] == "quit":
            reply(r)
            return 0
        try:
            try:
                ino = os.stat(c["path"]).st_ino
            except FileNotFoundError:
                # Removed or renamed by a client: nothing to test (nfsd
                # would answer EPERM, "exp_rootfh path not found").
                r["res"] = "nofile"
                reply(r)
                continue
            fh = None
            for dom in names:
                try:
                    fh = nlmtest.filehandle(dom, c["path"])
                    names.remove(dom)
                    names.insert(0, dom)
                    break
                except OSError as e:
                    err = e
            if fh is None:
                raise err
            port = nlmtest.getport(nlmtest.NLM_PROG, nlmtest.NLM_V4)
            alock = nlmtest.xdr_opaque(b"torture-tester") + nlmtest.xdr_opaque(fh) + \
                nlmtest.xdr_opaque(b"torture-test") + struct.pack(">iQQ", 4242, c["start"], c["len"])
            args = nlmtest.xdr_opaque(b"t") + struct.pack(">I", 1 if c["mode"] == "w" else 0) + alock
            res = nlmtest.rpc_call(port, nlmtest.NLM_PROG, nlmtest.NLM_V4, nlmtest.NLM4_TEST, args)
            clen = struct.unpack_from(">I", res, 0)[0]
            stat = struct.unpack_from(">I", res, 4 + ((clen + 3) & ~3))[0]
            r["res"] = {0: "granted", 1: "denied"}.get(stat, "status%d" % stat)
            r["ino"] = ino
            if os.stat(c["path"]).st_ino != ino:
                r["res"] = "nofile"     # replaced meanwhile: the answer is about either
        except FileNotFoundError:
            r["res"] = "nofile"
        except (OSError, RuntimeError, struct.error) as e:
            if getattr(e, "errno", None) == errno.EPERM and not os.path.exists(c["path"]):
                r["res"] = "nofile"
            else:
                r["err"] = str(e)[:120]
        reply(r)
    return 0


# ---------------------------------------------------------------- driver ---

def conflicts(m1, m2):
    return m1 == "w" or m2 == "w"


def overlap(a0, a1, b0, b1):
    return a0 <= b1 and b0 <= a1


def span(start, length):
    return start, (EOF if length == 0 else start + length - 1)


class ForkProc:
    """A worker forked from the driver: the SMB clients' impacket is
    imported once (tens of seconds under TCG), not once per client and
    reconnect. The same interface as the part of Popen the driver uses."""

    def __init__(self, fn, arg, err):
        r0, w0 = os.pipe()
        r1, w1 = os.pipe()
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                os.dup2(r0, 0)
                os.dup2(w1, 1)
                fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 2)
                os.closerange(3, 65536)
                sys.stdin = open(0, "r", closefd=False)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                rc = fn(*arg)
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                os._exit(rc or 0)
        os.close(r0)
        os.close(w1)
        self.pid = pid
        self.rc = None
        self.stdin = os.fdopen(w0, "wb")
        self.stdout = os.fdopen(r1, "rb")

    def poll(self):
        if self.rc is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.rc = os.waitstatus_to_exitcode(st)
                self.stdin.close()
                self.stdout.close()
        return self.rc

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("worker", timeout)
            time.sleep(0.05)
        return self.rc

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


class Worker:
    def __init__(self, name, kind, argv, ack=None):
        self.name, self.kind, self.argv, self.ack = name, kind, argv, ack
        self.addr = None        # an NFS client's address
        self.p = None
        self.busy = None        # the command in flight
        self.buf = b""
        self.slots = {}         # slot -> {"ino", "name", "lease", "key", "breaking"}
        # Breaks this client is acking: until it answers them, further
        # break notices wait unread in its socket (it reads one at a time).
        self.acking = 0
        self.locks = {}         # slot -> lock belief id
        self.seq = 0
        self.last = None        # the last answer
        self.down_until = 0
        self.next_at = 0
        self.gen = 0

    def start(self):
        err = "/tmp/torture/%s.err" % self.name
        if callable(self.argv[0]):
            self.p = ForkProc(self.argv[0], self.argv[1:], err)
        else:
            self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=open(err, "ab"))
        os.set_blocking(self.p.stdout.fileno(), False)
        self.buf = b""
        self.busy = {"op": "start", "id": -1, "t": time.monotonic()}
        self.slots = {}
        self.acking = 0
        self.locks = {}
        self.gen += 1

    def send(self, c):
        self.busy = dict(c, t=time.monotonic())
        try:
            self.p.stdin.write((json.dumps(c) + "\n").encode())
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def alive(self):
        return self.p is not None and self.p.poll() is None


class Driver:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.workers = []
        self.beliefs = {}       # id -> {"w", "ino", "mode", "lo", "hi"}
        self.next_id = 1
        self.viol = {"I1": 0, "I2": 0, "I3": 0, "I4": 0}
        self.shown = {}
        self.seen = set()
        self.n_ops = 0
        self.n_conflicts = 0
        self.n_breaks = 0
        self.n_open4 = 0        # nfsd's opens for write seen in table samples
        self.cmd_id = 0
        self.appended = {}      # (client, seq) -> "yes" | "maybe"
        self.app_off = {}       # (client, seq) -> the offset its writer wrote at
        self.table_pairs = set()        # conflicting entry pairs in the last table sample
        self.table_pairs_prev = set()
        self.tests = {}         # cmd id -> set of belief ids at send
        self.dev = os.stat(a.export).st_dev
        self.stopping = False
        self.stats = {}
        self.errors = {}
        self.t0 = time.monotonic()
        self.recheck_secs = 2
        self.named = set()      # the inodes Driver.table listed by path
        # Every command and answer, for replaying a violation by hand.
        self.tracef = open(a.trace, "w") if a.trace else open(os.devnull, "w")
        for spec in a.nfs:
            name, pid, root, *addr = spec.split(":")
            w = Worker(name, "nfs", ["nsenter", "-t", pid, "-n", "-m", "-u",
                                     PY, __file__, "worker", "fs", root])
            # An NFSv4 client's address (none for NFSv3): its delegations
            # are listed by it.
            w.addr = addr[0] if addr else None
            self.workers.append(w)
        for spec in a.cifs:
            name, root = spec.split(":", 1)
            self.workers.append(Worker(name, "cifs", [fs_worker, root, "no"]))
        t = time.monotonic()
        sys.path.insert(0, HERE)
        import smbop       # noqa: F401 (impacket, for the forked SMB clients)
        import nlmtest     # noqa: F401
        out("impacket loaded in %.1f s" % (time.monotonic() - t))
        for spec in a.smb:
            name, ack = spec.split(":", 1)
            self.workers.append(Worker(name, "smb", [smb_worker, ack], ack))
        self.workers.append(Worker("tester", "nlm", [nlm_worker]))
        for w in self.workers:
            w.rng = random.Random("%d-%s" % (a.seed, w.name))

    # ---- violations
    def violation(self, inv, text):
        """Counted once per distinct finding (a lost record or a pair of
        holders seen again by a later check is the same violation)."""
        k = (inv, text)
        if k in self.seen:
            return
        self.seen.add(k)
        self.viol[inv] += 1
        if self.shown.get(inv, 0) < 20:
            self.shown[inv] = self.shown.get(inv, 0) + 1
            out("VIOLATION %s t=%.1f %s" % (inv, time.monotonic() - self.t0, text))

    # ---- messages
    def poll(self, timeout):
        """Read what the workers said; apply it. True if anything came."""
        fds = {w.p.stdout.fileno(): w for w in self.workers if w.p is not None}
        if not fds:
            time.sleep(timeout)
            return False
        rd = select.select(list(fds), [], [], timeout)[0]
        got = False
        for fd in rd:
            w = fds[fd]
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                if w.p.poll() is not None and w.p is not None:
                    self.gone(w)
                continue
            got = True
            w.buf += chunk
            while b"\n" in w.buf:
                line, w.buf = w.buf.split(b"\n", 1)
                try:
                    self.message(w, json.loads(line))
                except ValueError:
                    out("worker %s said: %r" % (w.name, line[:200]))
        return got

    def drain(self):
        """Read until a whole pass over every worker brings nothing: then
        everything written before any message read so far is applied."""
        for _ in range(100):
            if not self.poll(0):
                return True
        return False

    def gone(self, w):
        """A worker exited: everything it held is released."""
        for bid in list(w.locks.values()):
            self.beliefs.pop(bid, None)
        w.locks = {}
        w.slots = {}
        w.acking = 0
        w.busy = None
        w.p.wait()
        w.p = None
        if not self.stopping:
            w.down_until = time.monotonic() + 1.0

    def trace(self, w, way, m):
        self.tracef.write("%.3f %s %s %s\n" % (time.monotonic() - self.t0, w.name, way,
                                                json.dumps(m)))

    def message(self, w, m):
        self.trace(w, "<", m)
        if "ready" in m:
            w.busy = None
            return
        if m.get("ev") == "break":
            self.n_breaks += 1
            if m["ack_required"] and w.ack != "never":
                w.acking += 1
            for s in w.slots.values():
                if s.get("key") == m["key"]:
                    if m["ack_required"]:
                        s["breaking"] = True
                    else:
                        s["lease"] = m["to"]
            return
        if m.get("ev") == "ack":
            w.acking = max(0, w.acking - 1)
            for s in w.slots.values():
                if s.get("key") != m["key"]:
                    continue
                if m["status"] == "ok":
                    s["lease"] = m["to"]
                    s["breaking"] = False
                elif m["status"] == "STATUS_UNSUCCESSFUL":
                    # Too late: ksmbd's break timed out and set the lease
                    # to none (wait_for_break_ack); the ack finds no break.
                    s["lease"] = "none"
                    s["breaking"] = False
                # Any other refusal: the state is unknown; it stays
                # "breaking" (not counted) until the next break or close.
            return
        c = w.busy
        if c is None or c.get("id") != m.get("id"):
            out("worker %s: unexpected answer %r" % (w.name, m))
            return
        w.busy = None
        w.last = m
        # A short pause between a client's requests (TEST every ~0.5 s).
        w.next_at = time.monotonic() + w.rng.uniform(0, 1.0 if w.kind == "nlm" else 0.2)
        self.result(w, c, m)

    def result(self, w, c, m):
        op = c["op"]
        k = "%s/%s %s" % (w.kind, op, m.get("res") or ("error" if "err" in m else "ok"))
        self.stats[k] = self.stats.get(k, 0) + 1
        if "err" in m:
            e = "%s/%s %s" % (w.kind, op, m["err"])
            self.errors[e] = self.errors.get(e, 0) + 1
        if op == "open":
            if "ino" in m:
                w.slots[c["slot"]] = {"ino": m["ino"], "name": c["name"],
                                      "lease": m.get("granted", "none"), "key": c.get("key"),
                                      "breaking": False}
        elif op == "lock":
            if m.get("res") == "granted":
                lo, hi = span(c["start"], c["len"])
                bid = self.next_id
                self.next_id += 1
                # An fstat after the grant can fail (the file removed
                # meanwhile): the lock is on the file the slot opened.
                ino = m.get("ino", w.slots.get(c["slot"], {}).get("ino"))
                self.beliefs[bid] = {"w": w, "ino": ino, "mode": c["mode"], "lo": lo,
                                     "hi": hi, "slot": c["slot"]}
                w.locks[c["slot"]] = bid
            elif m.get("res") in ("denied", "timeout"):
                self.n_conflicts += 1
        elif op == "append":
            key = (w.name, c["seq"])
            if m.get("res") == "appended":
                self.appended[key] = "yes"
                self.app_off[key] = m.get("off")
            elif m.get("res") == "timeout":
                self.appended.pop(key, None)
                self.n_conflicts += 1
        elif op == "test":
            held = self.tests.pop(c["id"], set())
            if m.get("res") == "granted":
                lo, hi = span(c["start"], c["len"])
                for bid in held:
                    b = self.beliefs.get(bid)
                    if b and b["ino"] == m.get("ino") and overlap(lo, hi, b["lo"], b["hi"]) \
                       and conflicts(b["mode"], c["mode"]):
                        self.violation("I2", "NLM TEST %s %d-%d on ino %d answered granted while "
                                       "%s (%s) held %s %d-%d throughout" % (
                                           c["mode"], lo, hi, b["ino"], b["w"].name, b["w"].kind,
                                           b["mode"], b["lo"], b["hi"]))
                        self.dump_state(b["ino"], "after TEST %d" % c["id"])
            elif m.get("res") == "denied":
                self.n_conflicts += 1

    # ---- the mix
    def pick(self, w):
        """The next command for idle worker w (None: nothing this time).
        Each client draws from its own generator (seed, name): its sequence
        does not depend on how the others were scheduled."""
        r = w.rng
        self.cmd_id += 1
        cid = self.cmd_id
        slot = r.randrange(len(DATA))
        name = r.choice(DATA)
        if w.kind == "nlm":
            st, ln = r.choice(RANGES)
            self.tests[cid] = set(self.beliefs)
            return {"id": cid, "op": "test", "path": os.path.join(self.a.export, name),
                    "mode": r.choice("rw"), "start": st, "len": ln}
        x = r.random()
        if slot not in w.slots:
            if x < (0.3 if w.kind == "cifs" else 0.15):
                w.seq += 1
                self.appended[(w.name, w.seq)] = "maybe"
                return {"id": cid, "op": "append", "client": w.name, "seq": w.seq}
            if x < 0.2 and w.kind != "smb":
                return {"id": cid, "op": "remove", "name": name} if r.random() < 0.5 else \
                    {"id": cid, "op": "rename", "src": name, "dst": r.choice(DATA)}
            if x < 0.22 and self.a.crashes:
                return {"id": cid, "op": "crash"}
            c = {"id": cid, "op": "open", "slot": slot, "name": name}
            if w.kind == "smb":
                c["lease"] = r.choice(["R", "RW", "RH", "RWH", "RWH", "none"])
                c["share"] = r.choice(["rwd"] * 5 + ["r", "rw"])
                c["key"] = "%08x%024x" % (zlib.crc32(w.name.encode()), r.getrandbits(96))
            return c
        st, ln = r.choice(RANGES)
        if w.kind != "smb" and slot not in w.locks and self.same_ino(w, slot):
            # POSIX locks belong to the process and the file, not to the
            # open: one lock per file and process keeps beliefs exact.
            x = 0.5 + x / 2
        if slot in w.locks:
            if x < 0.5:
                b = self.beliefs.get(w.locks[slot])
                ln = 0 if b["hi"] == EOF else b["hi"] - b["lo"] + 1
                return {"id": cid, "op": "unlock", "slot": slot, "start": b["lo"], "len": ln}
        elif x < 0.45:
            return {"id": cid, "op": "lock", "slot": slot, "mode": r.choice("rww"),
                    "start": st, "len": ln, "wait": w.kind != "smb" and r.random() < 0.4,
                    "timeout": r.choice([1, 2, 3])}
        if x < 0.6:
            return {"id": cid, "op": "write", "slot": slot, "off": r.choice([0, 60, 4090]),
                    "data": "%s-%d" % (w.name, cid)}
        if x < 0.7:
            return {"id": cid, "op": "read", "slot": slot, "off": 0, "len": 4200}
        if x < 0.75 and w.kind != "smb":
            return {"id": cid, "op": "trunc", "slot": slot, "size": r.choice([0, 10, 5000])}
        if x < (0.9 if w.kind == "cifs" else 0.8):
            w.seq += 1
            self.appended[(w.name, w.seq)] = "maybe"
            return {"id": cid, "op": "append", "client": w.name, "seq": w.seq}
        if x < (0.91 if w.kind == "cifs" else 0.81) and self.a.crashes:
            return {"id": cid, "op": "crash"}
        return {"id": cid, "op": "close", "slot": slot}

    def same_ino(self, w, slot):
        """Slots of w whose locks are on the file of slot (itself included)."""
        ino = w.slots[slot]["ino"]
        return [s for s, b in w.locks.items() if self.beliefs[b]["ino"] == ino]

    def issue(self, w, c):
        op = c["op"]
        self.trace(w, ">", c)
        # Released when asked: from then on the client no longer counts on it.
        if op == "unlock" and c["slot"] in w.locks:
            self.beliefs.pop(w.locks.pop(c["slot"]), None)
        if op == "close" and c["slot"] in w.slots:
            # A POSIX close drops all the process's locks on the file; an
            # SMB close only the handle's.
            for s in (self.same_ino(w, c["slot"]) if w.kind != "smb" else
                      [c["slot"]] if c["slot"] in w.locks else []):
                self.beliefs.pop(w.locks.pop(s), None)
        if op == "close":
            w.slots.pop(c["slot"], None)
        self.n_ops += 1
        if op == "crash":
            k = "%s/crash" % w.kind
            self.stats[k] = self.stats.get(k, 0) + 1
            # A client crash: the process dies holding its locks and opens.
            self.beliefs = {k: b for k, b in self.beliefs.items() if b["w"] is not w}
            w.locks = {}
            w.slots = {}
            w.acking = 0
            try:
                os.kill(w.p.pid, signal.SIGKILL)
            except OSError:
                pass
            w.busy = {"op": "crash", "id": c["id"], "t": time.monotonic()}
            return
        w.send(c)

    # ---- checks on beliefs (sound: every belief was granted before the
    # messages read and not yet released when the check runs)
    def check_beliefs(self, quiet=False):
        """quiet: nothing in flight for a second. A break that needs no ack
        (R) lets the server grant before the client has read it, so R
        against an exclusive lock is only a violation once it had time."""
        bl = list(self.beliefs.values())
        for i, a in enumerate(bl):
            for b in bl[i + 1:]:
                if a["w"] is b["w"] or a["ino"] != b["ino"]:
                    continue
                if overlap(a["lo"], a["hi"], b["lo"], b["hi"]) and conflicts(a["mode"], b["mode"]):
                    self.violation("I2", "%s (%s) holds %s %d-%d and %s (%s) holds %s %d-%d on ino %d" % (
                        a["w"].name, a["w"].kind, a["mode"], a["lo"], a["hi"],
                        b["w"].name, b["w"].kind, b["mode"], b["lo"], b["hi"], a["ino"]))
        for w in self.workers:
            if w.kind != "smb":
                continue
            for s in w.slots.values():
                if s["breaking"] or s["lease"] in ("none", "H"):
                    continue
                for b in bl:
                    if b["ino"] != s["ino"] or b["w"].kind != "nfs":
                        continue
                    if "W" in s["lease"] or (quiet and b["mode"] == "w"):
                        self.violation("I1", "%s holds lease %s on ino %d while %s (nfs) holds %s %d-%d" % (
                            w.name, s["lease"], s["ino"], b["w"].name, b["mode"], b["lo"], b["hi"]))

    # ---- the server's view
    def locks(self, *args):
        try:
            o = subprocess.run([self.a.xlockctl, "--json", "locks"] + list(args),
                               capture_output=True, timeout=30)
            return json.loads(o.stdout)["entries"]
        except (subprocess.TimeoutExpired, ValueError, KeyError) as e:
            out("xlockctl locks %s failed: %s" % (" ".join(args), e))
            return None

    def table(self):
        """The table's entries, and nfsd's NFSv4 locks and delegations of
        each file: those are nfsd's own state, listed per file only."""
        t = self.locks()
        if t is None:
            return None
        self.named = set()      # the inodes listed by path
        for name in DATA + [LOG, "h1", "h2"]:
            path = os.path.join(self.a.export, name)
            try:
                self.named.add(os.stat(path).st_ino)
            except OSError:
                continue
            n = self.locks("--path", path)
            if n is None:
                return None
            t += [e for e in n if e["proto"] == "nfs4"]
        return t + self.unnamed_nfs4(self.proc_locks(self.nfsd_pids()), self.named) + \
            self.nfsd_opens()

    def nfsd_opens(self):
        """nfsd's NFSv4 opens for write on the export (xlockctl lists opens
        with a deny mode only), read after the table: entries of kind open4."""
        base = "/proc/fs/nfsd/clients"
        res = []
        try:
            dirs = os.listdir(base)
        except OSError:
            return res
        for c in dirs:
            try:
                with open(os.path.join(base, c, "info")) as f:
                    info = f.read()
                with open(os.path.join(base, c, "states")) as f:
                    states = f.read()
            except OSError:
                continue    # the client went meanwhile
            res += self.parse_opens(info, states, c, self.dev)
        self.n_open4 += len(res)
        return res

    @staticmethod
    def parse_opens(info, states, cdir, dev):
        """The opens for write on @dev of nfsd's client @cdir (its info and
        states files). A client whose lease ran out (courtesy, expirable)
        gives way to any conflict, in nfsd and in xlock: none of its."""
        if re.search(r"^status: (courtesy|expirable)$", info, re.M):
            return []
        m = re.search(r'^address: "([^"]*)"', info, re.M)
        who = "nfs4:" + (m.group(1) if m else "?")
        return [{"kind": "open4", "flags": [], "proto": "nfs4", "client": who,
                 "id": ("open4", cdir, sid), "ino": int(ino)}
                for sid, w, dmaj, dmin, ino in OPEN_RE.findall(states)
                if w == "w" and (int(dmaj, 16), int(dmin, 16)) == (os.major(dev), os.minor(dev))]

    def proc_lines(self, kind):
        """/proc/locks lines of @kind (POSIX, DELEG) held on the export (not
        waiting): (fields, ino)."""
        maj, mnr = os.major(self.dev), os.minor(self.dev)
        with open("/proc/locks") as f:
            for line in f:
                p = line.split()
                if len(p) < 8 or p[1] != kind:
                    continue
                d = p[5].split(":")
                if int(d[0], 16) == maj and int(d[1], 16) == mnr:
                    yield p, int(d[2])

    def proc_delegs(self):
        """The export's inodes with a delegation."""
        return {ino for _, ino in self.proc_lines("DELEG")}

    def proc_locks(self, pids=None):
        """POSIX locks held (not waiting) on the export: (ino, mode, lo, hi);
        only those taken by a task of @pids if given."""
        return [(ino, "w" if p[3] == "WRITE" else "r", int(p[6]),
                 EOF if p[7] == "EOF" else end_of(int(p[7])))
                for p, ino in self.proc_lines("POSIX")
                if pids is None or int(p[4]) in pids]

    @staticmethod
    def nfsd_pids():
        """nfsd's threads: the tasks that set NFSv4 locks (lockd's NLM locks
        carry lockd's or a worker's)."""
        res = set()
        for d in os.listdir("/proc"):
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == "nfsd":
                        res.add(int(d))
            except (OSError, ValueError):
                pass
        return res

    @staticmethod
    def unnamed_nfs4(vfs, named):
        """Table entries for nfsd's NFSv4 locks @vfs (proc_locks tuples) on
        files no name leads to (removed while a client holds them open):
        xlockctl lists NFSv4 holders per path only."""
        return [{"kind": "lock", "flags": [], "proto": "nfs4", "client": "nfs4:?",
                 "client_addr": None, "id": ("vfs",) + x, "ino": x[0],
                 "mode": "excl" if x[1] == "w" else "shared", "start": x[2],
                 "end": x[3], "to_eof": x[3] == EOF}
                for x in vfs if x[0] not in named]

    def dump_state(self, ino, why):
        """The server's view of one file right after a violation, into the
        trace: the VFS's locks (/proc/locks) and the table's entries."""
        vfs = [x for x in self.proc_locks() if x[0] == ino]
        tab = [e for e in (self.table() or []) if e.get("ino") == ino]
        self.tracef.write("%.3f state %s ino %d: /proc/locks %s; table %s\n" % (
            time.monotonic() - self.t0, why, ino, json.dumps(vfs), json.dumps(tab)))
        out("state %s ino %d: /proc/locks %s; table %d entries" % (why, ino, vfs, len(tab)))

    def table_violation(self, inv, pair, text, ino):
        """The table mirrors what the servers granted just after they did:
        a sample can catch one lock recorded and another's release not yet
        (a few ms). A pair of entries counts once seen in two samples; the
        file's entries then go into the trace (lease keys, breaks)."""
        self.table_pairs.add(pair)
        if pair in self.table_pairs_prev:
            new = (inv, text) not in self.seen
            self.violation(inv, text)
            if new:
                self.dump_state(ino, inv)

    def check_table(self, t):
        """The table alone, at any instant: I1 and I2 between its entries."""
        self.table_pairs_prev, self.table_pairs = self.table_pairs, set()
        locks = [e for e in t if e["kind"] == "lock" and not e["flags"]]
        for e in locks:
            e["end"] = EOF if e["to_eof"] else end_of(e["end"])
        # A lease breaking is not counted: xlockctl's break_to is null when
        # none is in flight and "" for a break to none.
        leases = [e for e in t if e["kind"] == "lease" and not e["flags"] and e["break_to"] is None]
        for i, a in enumerate(locks):
            for b in locks[i + 1:]:
                if a["ino"] != b["ino"] or a["client"] == b["client"] and a["proto"] == b["proto"] \
                   and a.get("svid") == b.get("svid") and a.get("fid") == b.get("fid"):
                    continue
                if overlap(a["start"], a["end"], b["start"], b["end"]) and \
                   "excl" in (a["mode"], b["mode"]):
                    self.table_violation("I2", (a["id"], b["id"]), "table: %s %s %s %d-%d and %s %s %s %d-%d on ino %d" % (
                        a["proto"], a["client"], a["mode"], a["start"], a["end"],
                        b["proto"], b["client"], b["mode"], b["start"], b["end"], a["ino"]), a["ino"])
        for l in leases:
            for b in locks:
                if b["proto"] not in ("nlm", "nfs4") or b["ino"] != l["ino"]:
                    continue
                if "W" in l["state"] or ("R" in l["state"] and b["mode"] == "excl"):
                    self.table_violation("I1", (l["id"], b["id"], l["state"]), "table: lease %s of %s beside %s %s %s %d-%d on ino %d" % (
                        l["state"], l["client"], b["proto"], b["client"], b["mode"], b["start"],
                        b["end"], l["ino"]), l["ino"])
        # I1 names an NFSv4 open for write too: no W lease beside one.
        for l in leases:
            for o in t:
                if o["kind"] == "open4" and o["ino"] == l["ino"] and "W" in l["state"]:
                    self.table_violation("I1", (l["id"], o["id"], l["state"]), "table: lease %s of %s beside an NFSv4 open for write of %s on ino %d" % (
                        l["state"], l["client"], o["client"], l["ino"]), l["ino"])
        # An NFSv4 delegation is a lease too (V4): a write delegation
        # shares the file with no SMB lease, a read one with no W.
        delegs = [e for e in t if e["kind"] == "deleg" and not e["flags"]]
        for l in leases:
            for d in delegs:
                if d["ino"] == l["ino"] and (d["deleg"] == "write" or "W" in l["state"]):
                    self.table_violation("I1", (l["id"], d["id"], l["state"]), "table: lease %s of %s beside %s delegation of %s on ino %d" % (
                        l["state"], l["client"], d["deleg"], d["client"], l["ino"]), l["ino"])

    @staticmethod
    def table_locks(t):
        """The table's byte-range locks as /proc/locks shows them."""
        return sorted((e["ino"], "w" if e["mode"] == "excl" else "r", e["start"],
                       EOF if e["to_eof"] else end_of(e["end"]))
                      for e in t if e["kind"] == "lock" and not e["flags"])

    def vfs_vs_table(self):
        """/proc/locks, the table, /proc/locks again: the table entries (None
        if unreadable), the locks in both VFS reads but not in the table,
        and the table's locks in neither. Nothing is in flight at a quiet
        point, but the kernel clients still act on their own: a cifs client
        pushes the locks it kept under a W lease when that lease breaks,
        which an NFS client's own background request on the file (e.g. the
        writeback of a write it cached) can cause at any time; the table
        records the push before ksmbd answers it, but one VFS read taken
        after the table's would count it as missing."""
        v1 = Counter(self.proc_locks())
        t = self.table()
        v2 = Counter(self.proc_locks())
        if t is None:
            return None, [], []
        tl = Counter(self.table_locks(t))
        return t, sorted(((v1 & v2) - tl).elements()), sorted((tl - (v1 | v2)).elements())

    def check_vfs(self):
        """I3: the table's byte-range locks are the VFS's. A difference
        counts if it is still there at a second comparison 2 s later (the
        table records a grant or release just after the server made it).
        Returns the table (None if unreadable)."""
        t, miss, extra = self.vfs_vs_table()
        if t is not None and (miss or extra):
            time.sleep(self.recheck_secs)
            t2, miss2, extra2 = self.vfs_vs_table()
            if t2 is not None:
                miss = [x for x in miss if x in miss2]
                extra = [x for x in extra if x in extra2]
        if miss or extra:
            self.violation("I3", "table locks differ from /proc/locks: VFS only %s, "
                           "table only %s" % (miss[:6], extra[:6]))
        return t

    def check_quiet(self):
        """At a quiet point (nothing in flight): I3 and I4."""
        if not self.a.stock:
            t = self.check_vfs()
            if t is not None:
                self.check_table(t)
                tl = self.table_locks(t)
                delegs = {(e["ino"], e["client_addr"]) for e in t if e["kind"] == "deleg"}
                # A file no name leads to any more (removed while open):
                # its delegation's holder is not listed, only that it has one.
                unnamed = self.proc_delegs() - self.named
                for b in self.beliefs.values():
                    if b["w"].kind == "cifs":
                        continue    # the cifs client may keep it local under a W lease
                    if b["w"].addr and ((b["ino"], b["w"].addr) in delegs or b["ino"] in unnamed):
                        continue    # an NFSv4 client keeps it local under a delegation
                    x = (b["ino"], b["mode"], b["lo"], b["hi"])
                    if x not in tl:
                        self.violation("I3", "%s (%s) holds %s %d-%d on ino %d, not in the table" % (
                            b["w"].name, b["w"].kind, b["mode"], b["lo"], b["hi"], b["ino"]))
                self.check_lease_beliefs(t)
        self.check_log(final=False)

    def check_lease_beliefs(self, t):
        """I3 of leases: each raw SMB client's leases are in table @t."""
        leases = {}
        for e in t:
            if e["kind"] == "lease":
                leases.setdefault((e["ino"], e["lease_key"].replace("-", "").lower()),
                                  []).append(e["state"])
        for w in self.workers:
            # A client still acking a break may not have read the next
            # one yet: what it believes of its leases lags.
            if w.kind != "smb" or w.acking:
                continue
            for s in w.slots.values():
                if s["lease"] == "none" or s["breaking"]:
                    continue
                got = leases.get((s["ino"], s["key"]), [])
                if s["lease"] not in got:
                    self.violation("I3", "%s holds lease %s (key %s) on ino %d; the table "
                                   "has %s" % (w.name, s["lease"], s["key"], s["ino"],
                                               got or "none"))

    def check_log(self, final):
        try:
            with open(os.path.join(self.a.export, LOG), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = b""
        seen = {}
        at = {}                 # offset -> the record there
        bad = 0
        for i in range(0, len(data), REC_LEN):
            chunk = data[i:i + REC_LEN]
            mt = REC_RE.match(chunk[:-1]) if len(chunk) == REC_LEN and chunk[-1:] == b"\n" else None
            if mt is None:
                bad += 1
                if bad <= 3:
                    self.violation("I4", "log offset %d: not a whole record: %r" % (i, chunk[:REC_LEN]))
                continue
            body = chunk[:17]
            if "%08x" % zlib.crc32(body) != mt.group(3).decode():
                bad += 1
                self.violation("I4", "log offset %d: checksum mismatch %r" % (i, chunk))
                continue
            k = (mt.group(1).decode(), int(mt.group(2)))
            seen[k] = seen.get(k, 0) + 1
            at[i] = "%s #%d" % k
        for k, n in seen.items():
            if n > 1:
                self.violation("I4", "record %s #%d is in the log %d times" % (k[0], k[1], n))
            elif k not in self.appended:
                self.violation("I4", "record %s #%d was never appended" % k)
        for k, v in self.appended.items():
            if v == "yes" and k not in seen:
                off = self.app_off.get(k)
                self.violation("I4", "record %s #%d was appended (fsynced under the lock) "
                               "at offset %s and is missing (there now: %s)" % (
                                   k[0], k[1], off, at.get(off, "nothing whole")))
        if final:
            out("log: %d bytes, %d records, %d confirmed appends, %d not whole" % (
                len(data), sum(seen.values()),
                sum(1 for v in self.appended.values() if v == "yes"), bad))

    # ---- the cross-protocol phase (the same for every seed)
    def send_batch(self, todo):
        for w, c in todo:
            self.cmd_id += 1
            c["id"] = self.cmd_id
            if c["op"] == "append":
                w.seq += 1
                c["client"], c["seq"] = w.name, w.seq
                self.appended[(w.name, w.seq)] = "maybe"
            w.last = None
            self.issue(w, c)
        return todo

    def threads(self, gens, limit=90):
        """Run command sequences side by side. Each is a generator that
        yields a list of (worker, command) sent at once and is sent back
        their answers when all came (or limit s passed); the beliefs are
        checked after each. The sequences use disjoint workers."""
        active = []
        for g in gens:
            try:
                active.append([g, self.send_batch(next(g))])
            except StopIteration:
                pass
        end = time.monotonic() + limit
        while active and time.monotonic() < end:
            self.poll(0.1)
            for t in list(active):
                g, batch = t
                if any(w.busy and w.p for w, _ in batch):
                    continue
                if self.drain():
                    self.check_beliefs()
                try:
                    t[1] = self.send_batch(g.send([w.last or {} for w, _ in batch]))
                except StopIteration:
                    active.remove(t)
        if active:
            out("phase: a sequence did not finish in %d s" % limit)

    def phase_leases(self, slow, nfs):
        """I1: raw SMB clients that ack late / never hold RWH on a file
        each; an NFS client opens it and locks it exclusively."""
        held = []
        for i, h in enumerate(slow):
            f = "h%d" % (i + 1)
            key = "%08x%024x" % (zlib.crc32(h.name.encode()), 0xf00 + i)
            m = (yield [(h, {"op": "open", "slot": "hold", "name": f, "lease": "RWH",
                             "share": "rwd", "key": key})])[0]
            out("phase: %s (acks %s) opened %s with lease %s" % (h.name, h.ack, f,
                                                                   m.get("granted", m)))
            held.append((h, f, nfs[i]))
        yield [(n, {"op": "open", "slot": "hold", "name": f}) for _, f, n in held]
        got = yield [(n, {"op": "lock", "slot": "hold", "mode": "w", "start": 0, "len": 100,
                          "wait": True, "timeout": 3}) for _, f, n in held]
        vfs = self.proc_locks()
        for (h, f, n), m in zip(held, got):
            ino = (n.slots.get("hold") or {}).get("ino")
            out("phase: %s lock w 0-99 on %s: %s (in /proc/locks: %s)" % (
                n.name, f, m.get("res", m), "yes" if (ino, "w", 0, 99) in vfs else "no"))
        unl = [(n, {"op": "unlock", "slot": "hold", "start": 0, "len": 100})
               for _, f, n in held if "hold" in n.locks]
        if unl:
            yield unl
        yield [(n, {"op": "close", "slot": "hold"}) for _, f, n in held] + \
            [(h, {"op": "close", "slot": "hold"}) for h, f, n in held]

    def phase_log(self, c, nfs):
        """I2, I4: cifs client c keeps the log open (O_APPEND) under its
        lease; it locks a range, an NFS client locks it next; then c and
        NFS clients append records in turn."""
        n = nfs[0]
        yield [(c, {"op": "open", "slot": "hold", "name": LOG, "append": True})]
        yield [(n, {"op": "open", "slot": "hold", "name": LOG})]
        m = (yield [(c, {"op": "lock", "slot": "hold", "mode": "w", "start": 0, "len": 100,
                         "wait": False})])[0]
        out("phase: %s lock w 0-99 on %s: %s" % (c.name, LOG, m.get("res", m)))
        m = (yield [(n, {"op": "lock", "slot": "hold", "mode": "w", "start": 0, "len": 100,
                         "wait": False})])[0]
        out("phase: then %s lock w 0-99 on %s: %s" % (n.name, LOG, m.get("res", m)))
        unl = [(w, {"op": "unlock", "slot": "hold", "start": 0, "len": 100})
               for w in (c, n) if "hold" in w.locks]
        if unl:
            yield unl
        yield [(n, {"op": "close", "slot": "hold"})]
        for i in range(3):
            yield [(nfs[i % len(nfs)], {"op": "append"})]
            yield [(c, {"op": "append", "slot": "hold"})]
        yield [(c, {"op": "close", "slot": "hold"})]

    def phase(self):
        """Before the random mix, whatever the seed: the situations stock
        gets wrong, so that the run without xlock shows I1, I2 and I4 for
        every seed (issue 10 item 3); with xlock all must hold. Two
        sequences side by side (phase_leases, phase_log)."""
        nfs = [w for w in self.workers if w.kind == "nfs"]
        cifs = [w for w in self.workers if w.kind == "cifs"]
        slow = [w for w in self.workers if w.kind == "smb" and w.ack != "now"][:2]
        if len(nfs) < len(slow) + 2 or not cifs or not slow:
            out("phase: needs 4 NFS, 1 cifs and late/never SMB clients; skipped")
            return
        t = time.monotonic()
        self.threads([self.phase_leases(slow, nfs[2:]),
                      self.phase_log(cifs[0], nfs[:2])])
        self.check_log(final=False)
        out("phase: done in %.1f s: violations %s" % (time.monotonic() - t, " ".join(
            "%s=%d" % kv for kv in sorted(self.viol.items()))))

    # ---- the run
    def quiesce(self, limit):
        """Stop issuing; wait for every worker's answer (up to limit s)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if all(w.busy is None or w.p is None for w in self.workers):
                break
            self.poll(0.2)
        else:
            out("quiesce: still busy after %d s: %s" % (limit, ", ".join(
                "%s:%s" % (w.name, w.busy["op"]) for w in self.workers if w.busy)))
            return False
        time.sleep(1)
        return self.drain()

    def run(self):
        a = self.a
        out("seed %d" % a.seed)
        self.t0 = time.monotonic()
        for w in self.workers:
            w.start()
        # Every client up before the clock starts (python under TCG is slow).
        while time.monotonic() < self.t0 + 180 and any(w.busy for w in self.workers):
            self.poll(0.2)
        busy = [w.name for w in self.workers if w.busy]
        if busy:
            out("ERROR clients not up after 180 s: %s" % " ".join(busy))
            return 2
        out("clients up after %.1f s" % (time.monotonic() - self.t0))
        self.t0 = time.monotonic()
        if a.phase:
            self.phase()
            self.quiesce(40)
        # The random mix: secs of it after the phase.
        end = time.monotonic() + a.secs
        next_quiet = time.monotonic() + a.quiet_every
        next_sample = self.t0
        while time.monotonic() < end and self.n_ops < a.ops:
            if a.until_seen and self.viol["I1"] and self.viol["I2"] and self.viol["I4"]:
                out("stock gaps seen (I1, I2, I4): stopping early")
                break
            now = time.monotonic()
            for w in self.workers:
                if w.p is None and now >= w.down_until and not self.stopping:
                    w.start()
                if w.busy and w.busy["op"] == "crash":
                    continue
                if w.busy is None and w.p is not None and now >= w.next_at:
                    c = self.pick(w)
                    if c is not None:
                        self.issue(w, c)
            self.poll(0.05)
            if self.drain():
                self.check_beliefs()
            if not a.stock and now >= next_sample:
                t = self.table()
                if t is not None:
                    self.check_table(t)
                next_sample = now + 2
            if now >= next_quiet:
                if self.quiesce(40):
                    self.check_beliefs(quiet=True)
                    self.check_quiet()
                next_quiet = time.monotonic() + a.quiet_every
        self.stopping = True
        ok = self.quiesce(60)
        if ok:
            self.check_beliefs(quiet=True)
            self.check_quiet()
        self.check_log(final=True)
        for w in self.workers:
            if w.p is not None:
                self.cmd_id += 1
                w.send({"id": self.cmd_id, "op": "quit"})
        t_end = time.monotonic() + 30
        for w in self.workers:
            if w.p is not None:
                try:
                    w.p.wait(max(1, t_end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    w.p.kill()
                    w.p.wait()
        out("by kind: " + ", ".join("%s=%d" % kv for kv in sorted(self.stats.items())))
        out("errors: " + "; ".join("%s x%d" % kv for kv in sorted(self.errors.items())))
        out("samples: NFSv4 opens for write seen %d times" % self.n_open4)
        out("ops %d conflicts %d breaks %d secs %.0f violations %s" % (
            self.n_ops, self.n_conflicts, self.n_breaks, time.monotonic() - self.t0,
            " ".join("%s=%d" % kv for kv in sorted(self.viol.items()))))
        if not ok:
            out("ERROR the clients did not come to rest (a stuck request)")
            return 2
        return 1 if any(self.viol.values()) else 0


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "worker":
        kind = sys.argv[2]
        if kind == "fs":
            return fs_worker(sys.argv[3])
        if kind == "smb":
            return smb_worker(sys.argv[3])
        if kind == "nlm":
            return nlm_worker()
        return 2
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["run"])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--secs", type=float, default=90)
    p.add_argument("--ops", type=int, default=10 ** 9)
    p.add_argument("--quiet-every", type=float, default=20)
    p.add_argument("--stock", action="store_true")
    p.add_argument("--until-seen", action="store_true")
    p.add_argument("--crashes", type=int, default=1)
    p.add_argument("--no-phase", dest="phase", action="store_false",
                   help="no cross-protocol phase before the random mix")
    p.add_argument("--trace", help="write every command and answer here")
    p.add_argument("--nfs", action="append", default=[])
    p.add_argument("--cifs", action="append", default=[])
    p.add_argument("--smb", action="append", default=[])
    p.add_argument("--export", required=True)
    p.add_argument("--xlockctl", required=True)
    a = p.parse_args()
    return Driver(a).run()


if __name__ == "__main__":
    sys.exit(main())
