#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Protocol paths with and without xlock, in one process (issue 15 items
1, 3, 4). Run inside the guest by e2e/scenarios/bench-proto.sh with both
servers up and /mnt/nfs mounted.

usage: proto_bench.py --ko XLOCK_KO --out FILE [--rounds N] [--secs S]

Every round is ABBA: stock, xlock, xlock, stock. xlock is loaded and
unloaded between segments only (no traffic then), and every segment first
checks that the module is absent (stock) or live with its lockd, nfsd and
ksmbd edges active (xlock), and an xlock segment checks afterwards that
its hooks were called. A failed load, unload or check aborts the run
("aborted REASON" in FILE, exit 1): no figure is written from it.

In each segment, for SECONDS each (one sample, the connection made before
the clock starts, no process start per operation):
  nlm      NLM lock+unlock round trips/s through the NFS mount
  write    NFS 4 KiB O_DIRECT writes, MB/s
  smbopen  SMB2 CREATE with an RWH lease + CLOSE per second (raw client)
  smblock  SMB2 LOCK + UNLOCK round trips/s on one open (raw client)
and one lease break trial per path: the holder is the same raw SMB client
(impacket) holding RWH on a fresh file and acking at once, in a thread of
this process; the conflicting request is
  native   a second raw SMB client's read+write open (ksmbd breaks RWH->RH)
  cross    a shared fcntl lock through the NFS mount, i.e. an NLM lock
           (xlock breaks RWH->RH), xlock segments only
timed here from just before the request to its reply (t_req), with the
holder's receipt of the break (t_note, from the request's start) and the
same request on the same file with no lease held just before (t_base).
With --deadline it starts no round that may not end in time ("stopped" in
FILE: fewer rounds, said in RESULTS.md). Lines in FILE: "KEY_MODE VALUE"
in recording order, so that sample k of
stock and of xlock in round r are entries 2r and 2r+1 of their keys.
"""
import argparse
import fcntl
import mmap
import os
import select
import statistics
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "tools"))
import smbop  # noqa: E402
from smbop import S  # noqa: E402
import fgraph  # noqa: E402  (bench/, this file's own folder: sys.path[0])
import nlm_rate  # noqa: E402

RWH = smbop.state_bits("RWH")
START = time.monotonic()
GRAPH_FUNCS = ("nlmsvc_lock", "nlmsvc_unlock", "nlmsvc_testlock", "fh_verify", "smb_grant_oplock",
               "smb2_lock", "close_id_del_oplock")
HOOKS = ("nlmsvc_lock", "nlmsvc_unlock", "fh_verify", "smb_grant_oplock", "smb2_lock",
         "close_id_del_oplock")


class Abort(Exception):
    pass


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = open(a.out, "a")
        self.hits0 = None

    def rec(self, key, value):
        self.out.write("%s %s\n" % (key, value))
        self.out.flush()
        print(key, value, flush=True)

    # --- the module ----------------------------------------------------

    @staticmethod
    def loaded():
        with open("/proc/modules") as f:
            listed = any(line.split()[0] == "xlock" for line in f)
        return listed or os.path.exists("/sys/module/xlock")

    @staticmethod
    def param(name):
        with open("/sys/module/xlock/parameters/" + name) as f:
            return dict(w.split("=", 1) for w in f.read().split())

    def load(self, params=()):
        """Load xlock (with module params) unless loaded; check it is live
        with its edges active; count hook calls from here."""
        if not self.loaded():
            subprocess.run(["modprobe", "grace"], check=False)
            r = subprocess.run(["insmod", self.a.ko, *params], capture_output=True, text=True)
            if r.returncode:
                raise Abort("insmod failed: " + (r.stderr or r.stdout).strip())
        with open("/sys/module/xlock/initstate") as f:
            if f.read().strip() != "live":
                raise Abort("xlock not live after insmod")
        edges = self.param("edges")
        for e in ("lockd", "nfsd", "ksmbd"):
            if edges.get(e) != "active":
                raise Abort("xlock edge %s is %s, not active" % (e, edges.get(e)))
        self.hits0 = self.param("hits")

    def unload(self):
        for _ in range(20):
            if not self.loaded():
                return
            subprocess.run(["rmmod", "xlock"], capture_output=True)
            if not self.loaded():
                return
            time.sleep(1)
        raise Abort("rmmod xlock failed 20 times: xlock still loaded")

    def check_hooks(self, need=("nlmsvc_lock", "fh_verify", "smb_grant_oplock", "smb2_lock")):
        """The xlock segment ran through the hooks it claims to measure."""
        hits = self.param("hits")
        delta = {h: int(hits.get(h, 0)) - int(self.hits0.get(h, 0)) for h in HOOKS}
        self.rec("hits_xlock", ",".join("%s=%d" % kv for kv in delta.items()))
        for h in need:
            if delta[h] <= 0:
                raise Abort("hook %s not called in an xlock segment" % h)

    def mode(self, m):
        if m == "xlock":
            self.load()
        else:
            self.unload()
            if self.loaded():
                raise Abort("xlock loaded in a stock segment")

    # --- throughput samples --------------------------------------------

    def nlm(self, secs):
        return nlm_rate.rate(os.path.join(self.a.nfs, "bench-nlm"), secs)

    def write(self, secs):
        fd = os.open(os.path.join(self.a.nfs, "bench-w"), os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o666)
        m = mmap.mmap(-1, 4096)
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            os.pwrite(fd, m, (n % 256) * 4096)
            n += 1
        dt = time.monotonic() - t0
        os.close(fd)
        return "%.3f" % (n * 4096 / dt / 1e6)

    def touch(self, name):
        path = os.path.join(self.a.export, name)
        with open(path, "a"):
            pass
        os.chmod(path, 0o666)

    def client(self, name):
        args = argparse.Namespace(server="127.0.0.1", user=self.a.user, password=self.a.password,
                                  share="share", file=name, key=None, flush=None)
        return smbop.Client(args)

    @staticmethod
    def create(c, name, lease, access):
        mask = S.FILE_READ_DATA | S.FILE_READ_ATTRIBUTES
        if "w" in access:
            mask |= S.FILE_WRITE_DATA | S.FILE_APPEND_DATA | S.FILE_WRITE_ATTRIBUTES
        ctx = S.SMB2_CREATE_REQUEST_LEASE()
        ctx["LeaseKey"] = c.key
        ctx["LeaseState"] = lease
        return c.smb.create(c.tid, name, mask,
                            S.FILE_SHARE_READ | S.FILE_SHARE_WRITE | S.FILE_SHARE_DELETE,
                            S.FILE_NON_DIRECTORY_FILE, S.FILE_OPEN, S.FILE_ATTRIBUTE_NORMAL,
                            oplockLevel=S.SMB2_OPLOCK_LEVEL_LEASE,
                            createContexts=[smbop.RawContext(b"RqLs", ctx.getData())])

    def smbopen(self, secs):
        name = "bench-smbopen"
        self.touch(name)
        c = self.client(name)
        fid = self.create(c, name, RWH, "rw")
        if c.granted(c.last_create) != RWH:
            raise Abort("smbopen: lease %s, not RWH" % smbop.state_text(c.granted(c.last_create)))
        c.smb.close(c.tid, fid)
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            c.smb.close(c.tid, self.create(c, name, RWH, "rw"))
            n += 1
        dt = time.monotonic() - t0
        c.conn.logoff()
        return "%.1f" % (n / dt)

    @staticmethod
    def lock_rt(c, fid, flags, offset=0):
        el = S.SMB2_LOCK_ELEMENT()
        el["Offset"] = offset
        el["Length"] = 10
        el["Flags"] = flags
        pkt = c.smb.SMB_PACKET()
        pkt["Command"] = S.SMB2_LOCK
        pkt["TreeID"] = c.tid
        req = S.SMB2Lock()
        req["FileID"] = fid
        req["LockCount"] = 1
        req["Locks"] = el.getData()
        pkt["Data"] = req
        ans = c.smb.recvSMB(c.smb.sendSMB(pkt))
        if ans["Status"] != 0:
            raise Abort("smblock: %s" % smbop.status_name(ans["Status"]))

    def smblock(self, secs):
        name = "bench-smblock"
        self.touch(name)
        c = self.client(name)
        fid = self.create(c, name, 0, "rw")
        lk = S.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | S.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            self.lock_rt(c, fid, lk)
            self.lock_rt(c, fid, S.SMB2_LOCKFLAG_UNLOCK)
            n += 1
        dt = time.monotonic() - t0
        c.smb.close(c.tid, fid)
        c.conn.logoff()
        return "%.1f" % (n / dt)

    # --- lease break trials --------------------------------------------

    def fresh(self, tag):
        name = "bench-brk-%s-%d" % (tag, time.monotonic_ns())
        path = os.path.join(self.a.export, name)
        with open(path, "w") as f:
            f.write("orig")
        os.chmod(path, 0o666)
        return name

    def holder(self, name):
        """The raw SMB client holding RWH on NAME; acks every break at once
        from a thread. Returns (client, fid, record, stop event, thread)."""
        c = self.client(name)
        fid = self.create(c, name, RWH, "rw")
        got = c.granted(c.last_create)
        if got != RWH:
            raise Abort("holder: lease %s, not RWH" % smbop.state_text(got))
        rec = {}
        stop = threading.Event()
        sock = c.smb.get_socket()

        def run():
            while not stop.is_set():
                p = c.pending_break()
                if p is None:
                    if not select.select([sock], [], [], 0.05)[0]:
                        continue
                    p = c.smb.recvSMB()
                if p["Command"] != S.SMB2_OPLOCK_BREAK:
                    continue
                t = time.monotonic()
                note = S.SMB2LeaseBreakNotification(p["Data"])
                rec.setdefault("note", t)
                rec["trans"] = "%s->%s" % (smbop.state_text(note["CurrentLeaseState"]),
                                           smbop.state_text(note["NewLeaseState"]))
                if note["Flags"] & S.SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED:
                    pkt = c.smb.SMB_PACKET()
                    pkt["Command"] = S.SMB2_OPLOCK_BREAK
                    pkt["TreeID"] = c.tid
                    ack = S.SMB2LeaseBreakAcknowledgement()
                    ack["LeaseKey"] = note["LeaseKey"]
                    ack["LeaseState"] = note["NewLeaseState"]
                    pkt["Data"] = ack
                    c.smb.recvSMB(c.smb.sendSMB(pkt))
        th = threading.Thread(target=run, daemon=True)
        th.start()
        return c, fid, rec, stop, th

    @staticmethod
    def holder_end(h):
        c, fid, _, stop, th = h
        stop.set()
        th.join(10)
        c.smb.close(c.tid, fid)
        c.conn.logoff()

    def trial(self, path, mode):
        name = self.fresh(path)
        if path == "native":
            req = self.client(name)

            def request():
                req.smb.close(req.tid, self.create(req, name, 0, "rw"))
        else:
            fd = os.open(os.path.join(self.a.nfs, name), os.O_RDWR)

            def request():
                fcntl.lockf(fd, fcntl.LOCK_SH, 10, 0)
                fcntl.lockf(fd, fcntl.LOCK_UN, 10, 0)
        base = []
        for _ in range(3):
            t0 = time.monotonic()
            request()
            base.append(time.monotonic() - t0)
        h = self.holder(name)
        t0 = time.monotonic()
        request()
        t1 = time.monotonic()
        self.holder_end(h)
        rec = h[2]
        if path == "native":
            req.conn.logoff()
        else:
            os.close(fd)
        if "note" not in rec:
            raise Abort("%s break trial (%s): the holder saw no lease break" % (path, mode))
        k = "%s_%s" % (path, mode)
        self.rec("brk_" + k, "%.5f" % (t1 - t0))
        self.rec("note_" + k, "%.5f" % (rec["note"] - t0))
        self.rec("base_" + k, "%.5f" % statistics.median(base))
        self.rec("extra_" + k, "%.5f" % (t1 - t0 - statistics.median(base)))
        self.rec("trans_" + k, rec["trans"])

    # --- per-call cost (issue 15 item 2): the function-graph tracer ------

    def testlock(self, secs):
        fd = os.open(os.path.join(self.a.nfs, "bench-nlm"), os.O_RDWR | os.O_CREAT, 0o666)
        arg = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 10, 0)
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            fcntl.fcntl(fd, fcntl.F_GETLK, arg)
            n += 1
        dt = time.monotonic() - t0
        os.close(fd)
        return "%.1f" % (n / dt)

    def percall(self, secs):
        """Each hooked function's time per call under the function-graph
        tracer, stock and with xlock: with xlock the hooked entry runs
        xlock's wrapper, which calls the original through its call stub
        (traced too, one level deeper: bench/fgraph.py); the time inside
        xlock is the outer call minus the stub's."""
        for mode in ("stock", "xlock"):
            self.mode(mode)

            def workload():
                for name in ("nlm", "testlock", "write", "smbopen", "smblock"):
                    getattr(self, name)(secs)
            # The raw trace beside the results: what the figures came from.
            calls = fgraph.traced(GRAPH_FUNCS, workload, os.path.join(
                os.path.dirname(self.a.out), "percall-%s.trace" % mode))
            for name, v in fgraph.per_call(GRAPH_FUNCS, calls, mode == "xlock").items():
                self.rec("percall_%s_%s" % (name, mode), v)
        self.mode("stock")

    # --- the run ---------------------------------------------------------

    def segment(self, m, secs):
        self.mode(m)
        for name in ("nlm", "write", "smbopen", "smblock"):
            self.rec("%s_%s" % (name, m), getattr(self, name)(secs))
        self.trial("native", m)
        if m == "xlock":
            self.trial("cross", m)
            self.check_hooks()
        elif self.loaded():
            raise Abort("xlock appeared during a stock segment")

    def run(self):
        a = self.a
        self.rec("config", "rounds=%d,secs=%g" % (a.rounds, a.secs))
        self.mode("stock")
        for name in ("nlm", "write", "smbopen", "smblock"):  # warm-up, not recorded
            getattr(self, name)(1)
        t0 = time.monotonic()
        longest = 0
        for r in range(a.rounds):
            # Stop before the scenario's time limit cuts a round in half.
            if a.deadline and time.monotonic() - START + 1.2 * longest > a.deadline:
                self.rec("stopped", "deadline_after_%d_rounds" % r)
                break
            tr = time.monotonic()
            for m in ("stock", "xlock", "xlock", "stock"):
                self.segment(m, a.secs)
            with open("/proc/loadavg") as f:
                self.rec("round", "%d elapsed=%.0f loadavg=%s" % (r + 1, time.monotonic() - t0,
                                                                    f.read().split()[0]))
            longest = max(longest, time.monotonic() - tr)
        self.rec("complete", "1")
        self.percall_after_rounds()

    def percall_after_rounds(self):
        """The tracer phase (--percall S), if asked: a failure is recorded
        as percall_failed and leaves the rounds' figures standing."""
        if not self.a.percall:
            return
        try:
            self.percall(self.a.percall)
        except Exception as e:  # noqa: BLE001 (must not void the rounds)
            self.rec("percall_failed", ("%s: %s" % (type(e).__name__, e)).replace(" ", "_"))


def arg_parser(secs):
    """The options every guest benchmark of this kind takes."""
    p = argparse.ArgumentParser()
    p.add_argument("--ko", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--nfs", default="/mnt/nfs")
    p.add_argument("--export", default="/srv/export")
    p.add_argument("--user", default="xlock")
    p.add_argument("--password", default="xlock-e2e")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--secs", type=float, default=secs)
    return p


def run_bench(b):
    """b.run(); a failure is recorded as "aborted" and voids the run."""
    try:
        b.run()
    except Abort as e:
        b.rec("aborted", str(e).replace("\n", " "))
        return 1
    except Exception as e:  # noqa: BLE001 (any failure voids the run)
        b.rec("aborted", ("%s: %s" % (type(e).__name__, e)).replace("\n", " "))
        raise
    return 0


def main():
    p = arg_parser(secs=3)
    p.add_argument("--deadline", type=float, default=0,
                   help="seconds after start: start no round that may not end by then")
    p.add_argument("--percall", type=float, default=0,
                   help="after the rounds, SECONDS per workload under the function-graph tracer")
    a = p.parse_args()
    return run_bench(Bench(a))


if __name__ == "__main__":
    sys.exit(main())
