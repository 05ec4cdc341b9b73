#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The torture oracle's I3 check of byte-range locks (e2e/tools/torture.py,
# Driver.check_vfs) on scripted reads of /proc/locks and the table: a lock
# that appears or goes between two reads (a cifs client's push at a quiet
# point) is no violation; a lock the table lacks, or lists beyond the VFS,
# in both comparisons is one. And its I1 check of the table's samples
# (Driver.check_table): an R lease beside an exclusive NLM lock counts once
# two samples show it, unless the lease is breaking (to none as well), and
# the file's state then goes into the trace once. And its I3 check of a
# raw SMB client's leases at a quiet point (Driver.check_lease_beliefs):
# not while the client is still acking a break (the next notice may wait
# unread in its socket). NFSv4 (nfsd's state, listed per file): a lease
# beside an NFSv4 lock as beside an NLM one; a write delegation beside any
# lease, a read one beside W; and at a quiet point an NFSv4 client's lock
# missing from the server is no violation while that client holds a
# delegation on the file (it keeps its locks local); nfsd's NFSv4 locks on
# a removed file (no path lists them) are taken from /proc/locks. TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
exec python3 - "$TOP/e2e/tools" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import torture

X = (19, "r", 50, 149)
E = {"kind": "lock", "flags": 0, "ino": 19, "mode": "shared", "start": 50, "end": 149,
     "to_eof": False}


def run(reads):
    """reads: per comparison (VFS before, table, VFS after). I3 count."""
    d = object.__new__(torture.Driver)
    d.viol = {"I1": 0, "I2": 0, "I3": 0, "I4": 0}
    d.seen, d.shown, d.t0, d.recheck_secs = set(), {"I3": 99}, 0, 0
    seq = [x for r in reads for x in r]
    d.proc_locks = lambda: list(seq.pop(0))
    d.table = lambda: list(seq.pop(0))
    d.check_vfs()
    return d.viol["I3"]


NLM = {"kind": "lock", "flags": 0, "ino": 17, "mode": "excl", "start": 120, "end": 129,
       "to_eof": False, "proto": "nlm", "client": "nlm:tort4", "id": 1}


def lease(break_to):
    return {"kind": "lease", "flags": 0, "ino": 17, "state": "RH", "break_to": break_to,
            "proto": "smb", "client": "smb:127.0.0.1", "id": 2}


def run_table(samples):
    """samples: the table at each check. I1 count."""
    d = object.__new__(torture.Driver)
    d.viol = {"I1": 0, "I2": 0, "I3": 0, "I4": 0}
    d.seen, d.shown, d.t0 = set(), {"I1": 99}, 0
    d.table_pairs = set()
    d.dumped = []
    d.dump_state = lambda ino, why: d.dumped.append((ino, why))
    for t in samples:
        d.check_table([dict(e) for e in t])
    return d.viol["I1"], len(d.dumped)


NFS4 = dict(NLM, proto="nfs4", client="nfs4:00000001deadbeef@10.98.3.2", id=3)


def deleg(kind):
    return {"kind": "deleg", "flags": 0, "ino": 17, "deleg": kind, "proto": "nfs4",
            "client": "nfs4:00000001deadbeef@10.98.3.2", "client_addr": "10.98.3.2", "id": 4}


def lease_st(state):
    return dict(lease(None), state=state)


OPEN4 = {"kind": "open4", "flags": [], "proto": "nfs4", "client": "nfs4:10.98.3.2:871",
         "id": ("open4", "7", "0x1"), "ino": 17}


table_cases = [
    ("RH beside an exclusive NLM lock in two samples", [[NLM, lease(None)]] * 2, 1),
    ("RH beside an exclusive NFSv4 lock in two samples", [[NFS4, lease(None)]] * 2, 1),
    ("R beside a read delegation", [[deleg("read"), lease_st("R")]] * 2, 0),
    ("RH beside a read delegation", [[deleg("read"), lease_st("RH")]] * 2, 0),
    ("R beside a write delegation", [[deleg("write"), lease_st("R")]] * 2, 1),
    ("RW beside a read delegation", [[deleg("read"), lease_st("RW")]] * 2, 1),
    ("the same in one sample only", [[NLM, lease(None)], [NLM]], 0),
    ("RH breaking to none (break_to \"\") in two samples", [[NLM, lease("")]] * 2, 0),
    ("RH breaking to H in two samples", [[NLM, lease("H")]] * 2, 0),
    ("RWH beside an NFSv4 open for write in two samples", [[OPEN4, lease_st("RWH")]] * 2, 1),
    ("RH beside an NFSv4 open for write in two samples", [[OPEN4, lease_st("RH")]] * 2, 0),
    ("RWH beside an NFSv4 open for write in one sample only",
     [[OPEN4, lease_st("RWH")], [lease_st("RWH")]], 0),
    ("RWH beside another stateid in the second sample",
     [[OPEN4, lease_st("RWH")], [dict(OPEN4, id=("open4", "7", "0x2")), lease_st("RWH")]], 0),
]

INFO = 'clientid: 0xdeadbeef\naddress: "10.98.3.2:871"\nstatus: %s\n'
STATES = ('- 0x000000010000000000000001: { type: open, access: %s, deny: --, '
          'superblock: "%s:%s:17", filename: "d0", owner: "open id:x" }\n'
          '- 0x000000020000000000000002: { type: lock, superblock: "fd:00:17" }\n')


def run_opens(status, access, dev=("fd", "00")):
    """nfsd's states of one client: the open4 entries the oracle makes."""
    e = torture.Driver.parse_opens(INFO % status, STATES % ((access,) + dev), "7",
                                   os.makedev(0xfd, 0))
    return [(x["ino"], x["client"]) for x in e]


opens_cases = [
    ("an open for write of a confirmed client", ("confirmed", "rw"), [(17, "nfs4:10.98.3.2:871")]),
    ("an open for read only", ("confirmed", "r-"), []),
    ("a courtesy client's open for write", ("courtesy", "-w"), []),
    ("an expirable client's open for write", ("expirable", "rw"), []),
    ("an open for write on another device", ("confirmed", "rw", ("08", "01")), []),
]

KEY_A, KEY_B = "aa" * 16, "bb" * 16


def run_beliefs(events, table):
    """A client holding RH under KEY_A and KEY_B gets @events (break and
    ack messages), then a quiet point sees @table's states. I3 count."""
    d = object.__new__(torture.Driver)
    d.viol = {"I1": 0, "I2": 0, "I3": 0, "I4": 0}
    d.seen, d.shown, d.t0, d.n_breaks = set(), {"I3": 99}, 0, 0
    d.tracef = open(os.devnull, "w")
    w = torture.Worker("s3", "smb", [], ack="1500")
    w.slots = {0: {"ino": 16, "lease": "RH", "key": KEY_A, "breaking": False},
               1: {"ino": 16, "lease": "RH", "key": KEY_B, "breaking": False}}
    d.workers = [w]
    for m in events:
        d.message(w, m)
    d.check_lease_beliefs([{"kind": "lease", "ino": 16, "lease_key": k, "state": st}
                           for k, st in table])
    return d.viol["I3"]


def brk(key):
    return {"ev": "break", "key": key, "to": "none", "ack_required": True}


def ack(key, status="ok"):
    return {"ev": "ack", "key": key, "to": "none", "status": status}


belief_cases = [
    ("both leases as the table has them", [], [(KEY_A, "RH"), (KEY_B, "RH")], 0),
    ("B revoked while the client acks A (B's notice unread)",
     [brk(KEY_A)], [(KEY_A, "RH"), (KEY_B, "")], 0),
    ("B revoked, the client done acking and still believing RH",
     [brk(KEY_A), ack(KEY_A)], [(KEY_A, ""), (KEY_B, "")], 1),
    ("B's late ack refused: the client learns none",
     [brk(KEY_A), ack(KEY_A), brk(KEY_B), ack(KEY_B, "STATUS_UNSUCCESSFUL")],
     [(KEY_A, ""), (KEY_B, "")], 0),
]

def run_quiet(table, vfs_delegs=frozenset(), named=True, addr="10.98.3.2"):
    """An NFSv4 client (10.98.3.2) believes it holds an exclusive lock on
    ino 17 that the server has not; a quiet point sees @table. I3 count."""
    d = object.__new__(torture.Driver)
    d.viol = {"I1": 0, "I2": 0, "I3": 0, "I4": 0}
    d.seen, d.shown, d.t0 = set(), {"I3": 99}, 0
    d.a = type("A", (), {"stock": False})()
    d.check_vfs = lambda: [dict(e) for e in table]
    d.named = {17} if named else set()
    d.proc_delegs = lambda: vfs_delegs
    d.check_table = d.check_lease_beliefs = d.check_log = lambda *a, **k: None
    w = torture.Worker("n3", "nfs", [])
    w.addr = addr
    d.beliefs = {1: {"w": w, "ino": 17, "mode": "w", "lo": 120, "hi": 129}}
    d.check_quiet()
    return d.viol["I3"]


quiet_cases = [
    ("an NFSv4 lock neither on the server nor under a delegation", [], 1),
    ("the same under the client's write delegation", [deleg("write")], 0),
    ("the same, the delegation another client's", [dict(deleg("write"), client_addr="10.98.4.2")], 1),
]
quiet_cases_vfs = [
    ("the file removed, a delegation on it in /proc/locks", {"vfs_delegs": {17}, "named": False}, 0),
    ("the same, the file still named (its holders listed)", {"vfs_delegs": {17}}, 1),
    ("the file removed, an NFSv3 client's lock", {"vfs_delegs": {17}, "named": False, "addr": None}, 1),
]

def run_unnamed():
    """nfsd's NFSv4 lock on a removed file (ino 23, no path lists it) and
    on a named one (17, listed by path): only the first becomes an entry,
    which the I3 comparison then finds in the table."""
    vfs = [(23, "w", 200, 249), (17, "r", 0, 99)]
    e = torture.Driver.unnamed_nfs4(vfs, {17})
    ok = [x["ino"] for x in e] == [23] and \
        torture.Driver.table_locks(e) == [(23, "w", 200, 249)]
    return ok


cases = [
    ("a lock pushed between the table and the second VFS read",
     [([], [], [X]), ([X], [E], [X])], 0),
    ("a lock released between the first VFS read and the table",
     [([X], [], []), ([], [], [])], 0),
    ("a table that follows within the recheck",
     [([X], [], [X]), ([X], [E], [X])], 0),
    ("equal", [([X], [E], [X])], 0),
    ("a lock the VFS holds and the table lacks, both times",
     [([X], [], [X]), ([X], [], [X])], 1),
    ("a lock the table lists and the VFS does not hold, both times",
     [([], [E], []), ([], [E], [])], 1),
    ("two equal VFS locks, one in the table",
     [([X, X], [E], [X, X]), ([X, X], [E], [X, X])], 1),
]
print("1..%d" % (len(cases) + len(table_cases) + len(belief_cases) + len(quiet_cases) + len(quiet_cases_vfs) + 1 + len(opens_cases)))
for i, (name, reads, want) in enumerate(cases, 1):
    got = run(reads)
    print("%s %d - %s: I3=%d" % ("ok" if got == want else "not ok", i, name, got))
for i, (name, samples, want) in enumerate(table_cases, len(cases) + 1):
    got, dumps = run_table(samples)
    print("%s %d - %s: I1=%d, file state dumped %d" % (
        "ok" if got == want and dumps == want else "not ok", i, name, got, dumps))
n = len(cases) + len(table_cases)
for i, (name, events, table, want) in enumerate(belief_cases, n + 1):
    got = run_beliefs(events, table)
    print("%s %d - %s: I3=%d" % ("ok" if got == want else "not ok", i, name, got))
n += len(belief_cases)
for i, (name, table, want) in enumerate(quiet_cases, n + 1):
    got = run_quiet(table)
    print("%s %d - %s: I3=%d" % ("ok" if got == want else "not ok", i, name, got))
n += len(quiet_cases)
for i, (name, kw, want) in enumerate(quiet_cases_vfs, n + 1):
    got = run_quiet([], **kw)
    print("%s %d - %s: I3=%d" % ("ok" if got == want else "not ok", i, name, got))
n += len(quiet_cases_vfs)
print("%s %d - an NFSv4 lock in the VFS on a removed file is a table entry, on a named one not" % (
    "ok" if run_unnamed() else "not ok", n + 1))
n += 1
for i, (name, args, want) in enumerate(opens_cases, n + 1):
    got = run_opens(*args)
    print("%s %d - nfsd's states: %s: %s" % ("ok" if got == want else "not ok", i, name, got))
PY
