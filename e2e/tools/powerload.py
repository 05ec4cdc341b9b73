#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The power-cut test's lock load and its checks (e2e/scenarios/powercut.sh).

usage: powerload.py load SECONDS     NLM and SMB clients lock and unlock until
                                     killed (or SECONDS pass)
       powerload.py check ACKLOG STATE
                                     every id xlockd acknowledged as durable
                                     (+ID granted, -ID released; the last
                                     complete line of each id counts) must be
                                     an entry of STATE (xlockd --print-state)
                                     if granted last, and absent if released
       powerload.py reclaim STATE    reclaim every entry of STATE as its owner
                                     would after a reboot (NLM LOCK with
                                     reclaim set; SMB: the same client GUID and
                                     lease key, open and lock again); each must
                                     be granted; then let go of all of them
       powerload.py cycle OUT READY SECONDS [ACKLOG STATE]
                                     one boot of the power-cut test in one
                                     process (python and impacket start once,
                                     while the servers come up): check ACKLOG
                                     against STATE, wait for the file READY
                                     (xlockd attached), compare its reclaim
                                     set with STATE, reclaim, end the grace
                                     period, then load for SECONDS (0: none);
                                     result lines go to OUT too

NLM clients speak NLMv4 to lockd directly (nlmtest.py), callers pc-nlm-N;
SMB clients are impacket sessions (smbop.py) with GUIDs PCSMBCLIENT0000N,
each with files of its own, so no lease break waits on a busy client.
"""
import hashlib
import json
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlmtest  # noqa: E402

EXPORT = "/srv/export"
NLM_CALLERS = 3
NLM_FILES = ["pc-n%d" % i for i in range(4)]
SMB_CLIENTS = 2
SMB_FILES = 2
NLM4_UNLOCK = 4
RANGES = 16		# lock ranges per file: [20 * k, 20 * k + 9]
# The check goes by entry id, so after arming no lock may re-key an entry:
# a lock next to one of the same owner and type (POSIX merges them) or an
# upgrade in place replaces the entry by a new one, and the old one's
# release, durable but not acknowledged at the cut, looked lost (seen: two
# merged NLM ranges). So ranges have gaps, and each NLM caller has svids
# of its own (lockd takes every caller from one address as one client).
GAP = 20
SVIDS = 4			# per NLM caller: 4 * n + 1 .. 4 * n + 4


# The power-cut scenario creates this file when the cut may come: from then
# on the clients only lock. A release xlockd made durable but had not yet
# acknowledged when the power went is absent from the recovered state and
# still "held" in the ack log; with no releases in flight at the cut, every
# entry the ack log holds must be there.
ARMED = "/tmp/pc-armed"
LOADING = "/tmp/pc-loading"
SMB_READY = "/tmp/pc-smb-ready-%d"


def armed():
    return os.path.exists(ARMED)


def smb_guid(n):
    return "PCSMBCLIENT%05d" % n


def smb_file(n, k):
    return "pc-s%d-%d" % (n, k)


def lease_key(guid, name):
    """Derived, so a reclaim after the cut finds the same key."""
    return hashlib.md5((guid + "/" + name).encode()).digest()


def files():
    return NLM_FILES + [smb_file(n, k) for n in range(SMB_CLIENTS) for k in range(SMB_FILES)]


MOUNT_PROG, MOUNT_V3, MOUNTPROC3_MNT = 100005, 3, 1


def export_known():
    """nfsd makes file handles (/proc/fs/nfsd/filehandle) only for a client
    domain mountd has told it about, which happens on a MOUNT: there is no
    NFS mount here, so ask mountd for the export as a client would."""
    port = nlmtest.getport(MOUNT_PROG, MOUNT_V3)
    res = nlmtest.rpc_call(port, MOUNT_PROG, MOUNT_V3, MOUNTPROC3_MNT,
                           nlmtest.xdr_opaque(EXPORT.encode()))
    st = struct.unpack_from(">I", res, 0)[0]
    if st:
        raise RuntimeError("MOUNT %s: status %d" % (EXPORT, st))


class Nlm:
    def __init__(self):
        export_known()
        self.port = nlmtest.getport(nlmtest.NLM_PROG, nlmtest.NLM_V4)
        self.fh = {}

    def alock(self, caller, path, svid, start, length):
        if path not in self.fh:
            self.fh[path] = nlmtest.filehandle("127.0.0.1", path)
        a = nlmtest.xdr_opaque(caller.encode()) + nlmtest.xdr_opaque(self.fh[path])
        a += nlmtest.xdr_opaque(b"pc-owner-%d" % svid)
        return a + struct.pack(">iQQ", svid, start, length)

    def call(self, proc, args):
        res = nlmtest.rpc_call(self.port, nlmtest.NLM_PROG, nlmtest.NLM_V4, proc, args)
        clen = struct.unpack_from(">I", res, 0)[0]
        stat = struct.unpack_from(">I", res, 4 + ((clen + 3) & ~3))[0]
        return nlmtest.NLM4_STATUS[stat] if stat < len(nlmtest.NLM4_STATUS) else str(stat)

    def lock(self, caller, path, svid, excl, start, length, reclaim=False):
        args = nlmtest.xdr_opaque(b"pc") + struct.pack(">II", 0, 1 if excl else 0)
        args += self.alock(caller, path, svid, start, length)
        args += struct.pack(">II", 1 if reclaim else 0, 0)
        return self.call(nlmtest.NLM4_LOCK, args)

    def unlock(self, caller, path, svid, start, length):
        args = nlmtest.xdr_opaque(b"pc") + self.alock(caller, path, svid, start, length)
        return self.call(NLM4_UNLOCK, args)


def smb_client(guid):
    import smbop  # impacket: only where SMB is used

    class A:
        user, password, share, server, key, flush = "xlock", "xlock-e2e", "share", "127.0.0.1", None, None
        file = None
    smbop.GUID = guid
    return smbop, smbop.Client(A())


def smb_open(smbop, c, name, state):
    """Open @name with the lease key of (client, file) asking for @state."""
    c.key = lease_key(smbop.GUID, name)
    c.args.file = name
    c.open(state)
    return c.fid


def nlm_worker(n, seconds):
    random.seed(os.getpid())
    nlm = Nlm()
    caller = "pc-nlm-%d" % n
    held = []
    end = time.time() + seconds
    ops = 0
    while time.time() < end:
        if held and (len(held) > 24 or random.random() < 0.45) and not armed():
            lk = held.pop(random.randrange(len(held)))
            nlm.unlock(caller, *lk)
        else:
            path = EXPORT + "/" + random.choice(NLM_FILES)
            svid = SVIDS * n + random.randrange(1, SVIDS + 1)
            k = random.randrange(RANGES)
            # Never a second lock on a range this owner holds (an upgrade
            # in place re-keys the entry: see GAP).
            if (path, svid, GAP * k, 10) in held:
                continue
            st = nlm.lock(caller, path, svid, random.random() < 0.5, GAP * k, 10)
            if st == "granted":
                held.append((path, svid, GAP * k, 10))
        ops += 1
    return ops


def smb_worker(n, seconds):
    random.seed(os.getpid())
    smbop, c = smb_client(smb_guid(n))
    fids = {}
    for k in range(SMB_FILES):
        name = smb_file(n, k)
        fids[name] = smb_open(smbop, c, name, "RWH")
    held = []
    end = time.time() + seconds
    ops = 0
    while time.time() < end:
        if ops == 1:
            # Leases and a first lock held: the scenario arms the cut
            # only once every SMB client is this far (SMB state at the cut).
            open(SMB_READY % n, "w").close()
        if held and (len(held) > 24 or random.random() < 0.45) and not armed():
            name, k = held.pop(random.randrange(len(held)))
            c.fid = fids[name]
            c.lock("%d:10" % (GAP * k), unlock=True)
        else:
            name = random.choice(list(fids))
            k = random.randrange(RANGES)
            if (name, k) not in held:
                c.fid = fids[name]
                c.lock("%d:10:%s" % (GAP * k, random.choice("xs")))
                held.append((name, k))
        ops += 1
    return ops


def load(seconds):
    import smbop  # noqa: F401  once, before the workers fork
    pids = []
    for kind, n in [("nlm", i) for i in range(NLM_CALLERS)] + [("smb", i) for i in range(SMB_CLIENTS)]:
        pid = os.fork()
        if pid == 0:
            try:
                if kind == "nlm":
                    ops = nlm_worker(n, seconds)
                else:
                    sys.stdout = open(os.devnull, "w")
                    ops = smb_worker(n, seconds)
                sys.stdout = sys.__stdout__
                print("%s client %d: %d operations" % (kind, n, ops), flush=True)
                os._exit(0)
            except Exception as e:
                sys.stdout = sys.__stdout__
                print("%s client %d: error %s" % (kind, n, e), flush=True)
                os._exit(1)
        pids.append(pid)
    bad = 0
    for pid in pids:
        bad += os.waitpid(pid, 0)[1] != 0
    return 1 if bad else 0


def read_state(path):
    """Entries of xlockd --print-state: id -> dict of fields."""
    out = {}
    for line in open(path):
        if not line.startswith("entry ") and not line.startswith("reclaim "):
            continue
        f = dict(re.findall(r"(\w+)=(\S*)", line))
        f["what"] = line.split()[0]
        out.setdefault(f["what"], {})[int(f["id"])] = f
    return out


def check(acklog, state, emit=print):
    last = {}
    data = open(acklog, "rb").read().decode()
    lines = data.split("\n")
    # A last line without its newline was being written at the cut: not
    # acknowledged yet (xlockd writes a batch's acks, then flushes).
    for line in lines[:-1]:
        if not line:
            continue
        last[int(line[1:])] = line[0]
    st = read_state(state)
    entries = st.get("entry", {})
    held = [i for i, op in last.items() if op == "+"]
    released = [i for i, op in last.items() if op == "-"]
    missing = [i for i in held if i not in entries]
    back = [i for i in released if i in entries]
    emit("acknowledged: %d ack lines, %d ids, %d held and %d released at the cut; "
          "recovered %d entries (%d to reclaim from before)" %
          (len(lines) - 1, len(last), len(held), len(released), len(entries),
           len(st.get("reclaim", {}))))
    if missing:
        emit("LOST: %d acknowledged entries missing from the recovered state: %s" %
              (len(missing), " ".join(map(str, sorted(missing)[:20]))))
    if back:
        emit("RESURRECTED: %d entries whose release was acknowledged: %s" %
              (len(back), " ".join(map(str, sorted(back)[:20]))))
    return 1 if missing or back else 0


def reclaim(state, emit=print):
    st = read_state(state)
    ents = list(st.get("entry", {}).values()) + list(st.get("reclaim", {}).values())
    nlm = None
    bad = n_nlm = n_smb = 0
    nlm_held = []
    smb_by_client = {}
    for e in ents:
        if e["proto"] == "1":
            if nlm is None:
                nlm = Nlm()
            start, end = int(e["start"]), int(e["end"])
            length = 0 if end >= (1 << 63) - 1 else end - start + 1
            r = nlm.lock(e["client"], e["path"], int(e["svid"]), e["mode"] == "2",
                         start, length, reclaim=True)
            n_nlm += 1
            if r != "granted":
                emit("NLM reclaim of %s: %s" % (e, r))
                bad += 1
            else:
                nlm_held.append((e["client"], e["path"], int(e["svid"]), start, length))
        else:
            smb_by_client.setdefault(e["client"], []).append(e)
    for client, es in smb_by_client.items():
        guid = bytes.fromhex(client).decode()
        smbop, c = smb_client(guid)
        # The lease first (its key is the reclaim), then the locks on that handle.
        by_file = {}
        for e in es:
            by_file.setdefault(e["path"], []).append(e)
        for path, fes in by_file.items():
            name = os.path.basename(path)
            lease = [e for e in fes if e["kind"] == "2"]
            want = "".join(ch for ch, bit in (("R", 1), ("W", 4), ("H", 2))
                           if lease and int(lease[0]["state"]) & bit) or "none"
            import io
            import contextlib
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                smb_open(smbop, c, name, want)
                for e in fes:
                    if e["kind"] == "2":
                        continue
                    start, end = int(e["start"]), int(e["end"])
                    c.lock("%d:%d:%s" % (start, end - start + 1, "x" if e["mode"] == "2" else "s"))
            out = buf.getvalue()
            n_smb += len(fes)
            if lease and "open granted=%s" % want not in out:
                emit("SMB lease reclaim of %s (%s): %s" % (path, want, out.strip()))
                bad += 1
            nlocks = len(fes) - len(lease)
            if out.count("lock granted") != nlocks:
                emit("SMB lock reclaim on %s: %d locks, answers: %s" % (path, nlocks, out.strip()))
                bad += 1
        c.conn.logoff()
    for lk in nlm_held:
        nlm.unlock(*lk)
    emit("reclaimed %d NLM and %d SMB entries, %d refused" % (n_nlm, n_smb, bad))
    return 1 if bad else 0


def xlockctl_grace():
    x = os.environ.get("XLOCKCTL", "xlockctl")
    return json.loads(subprocess.check_output([x, "--json", "grace"]))


def phase(name):
    """Guest uptime at a step, beside the scenario's (e2e/powercut.sh sums them up)."""
    with open("/proc/uptime") as f, open("/results/phases.txt", "a") as p:
        p.write("%s %s\n" % (name, f.read().split()[0]))


def cycle(out_path, ready, seconds, acklog=None, state=None):
    import smbop  # noqa: F401  the slow import, while the servers start
    phase("py-imported")
    out = open(out_path, "a")

    def emit(line):
        print(line, flush=True)
        out.write(line + "\n")
        out.flush()
    if acklog and check(acklog, state, emit):
        return 1
    end = time.time() + 300
    while not os.path.exists(ready):
        if time.time() > end:
            emit("xlockd was not ready after 300 s")
            return 1
        time.sleep(0.05)
    if acklog:
        nrec = sum(len(v) for v in read_state(state).values())
        g = xlockctl_grace()
        if g["entries"] != nrec:
            emit("reclaim set has %d entries, the recovered state %d: %s" % (g["entries"], nrec, g))
            return 1
        if nrec:
            if reclaim(state, emit):
                return 1
            if xlockctl_grace()["state"] != "over":
                subprocess.check_call([os.environ.get("XLOCKCTL", "xlockctl"), "grace", "end"],
                                      stdout=subprocess.DEVNULL)
        phase("py-reclaimed")
    if seconds <= 0:
        return 0
    print("load for %g s" % seconds, flush=True)
    # The scenario counts the acks that arm the cut from here: the
    # reclaim's own (and its unlocks') are not load.
    open(LOADING, "w").close()
    return load(seconds)


def main():
    if len(sys.argv) in (5, 7) and sys.argv[1] == "cycle":
        return cycle(sys.argv[2], sys.argv[3], float(sys.argv[4]), *sys.argv[5:])
    if len(sys.argv) == 3 and sys.argv[1] == "load":
        return load(float(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[1] == "reclaim":
        return reclaim(sys.argv[2])
    if len(sys.argv) == 2 and sys.argv[1] == "files":
        print("\n".join(files()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
