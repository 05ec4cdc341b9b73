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
                                     one boot of the power-cut test (python
                                     and impacket start once, while the
                                     servers come up): wait for STATE, check
                                     ACKLOG against it, set up the SMB
                                     clients' sessions, wait for the file
                                     READY (xlockd attached), compare its
                                     reclaim set with STATE, reclaim (NLM
                                     here, SMB in each SMB client), end the
                                     grace period, then load for SECONDS (0:
                                     none) and arm the cut (ARMED, HOST_ARMED)
                                     after ARM_ACKS acks once the SMB clients
                                     hold leases and a lock; result lines go
                                     to OUT too

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
NLM_READY = "/tmp/pc-nlm-ready-%d"	# NLM caller n holds a lock
# One boot (cycle): the parent says when the SMB clients reclaim, each
# reports its count and refusals; the cut is armed (ARMED, and HOST_ARMED
# on the results share for e2e/powercut.sh) after ARM_ACKS more acks in
# xlockd's ack log once the SMB clients hold leases and a lock.
RECLAIM = "/tmp/pc-reclaim"
SMB_RECLAIMED = "/tmp/pc-smb-reclaimed-%d"
ACK_LOG = "/results/ack.log"
HOST_ARMED = "/results/armed"
ARM_ACKS = 10


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
        if len(held) > 1 and (len(held) > 24 or random.random() < 0.45) and not armed():
            # Never the first lock: every client holds one when armed.
            lk = held.pop(random.randrange(1, len(held)))
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
                if len(held) == 1:
                    open(NLM_READY % n, "w").close()
        ops += 1
    return ops


def smb_connect(n, seconds=0):
    """Client n's session; retried for up to @seconds while ksmbd starts."""
    end = time.time() + seconds
    while True:
        try:
            return smb_client(smb_guid(n))
        except Exception:
            if time.time() >= end:
                raise
            time.sleep(0.3)


def smb_worker(n, seconds, conn=None):
    random.seed(os.getpid())
    smbop, c = conn or smb_connect(n)
    fids = {}
    for k in range(SMB_FILES):
        name = smb_file(n, k)
        fids[name] = smb_open(smbop, c, name, "RWH")
    held = []
    end = time.time() + seconds
    ops = 0
    while time.time() < end:
        if ops == 1:
            # Leases and a first lock held: the cut is armed only once
            # every SMB client is this far (SMB state at the cut).
            open(SMB_READY % n, "w").close()
        if len(held) > 1 and (len(held) > 24 or random.random() < 0.45) and not armed():
            name, k = held.pop(random.randrange(1, len(held)))
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


def fork(what, fn, *args):
    """Run fn(*args) (returning its operation count) in a child."""
    pid = os.fork()
    if pid:
        return pid
    try:
        ops = fn(*args)
        sys.stdout = sys.__stdout__
        print("%s: %d operations" % (what, ops), flush=True)
        os._exit(0)
    except Exception as e:
        sys.stdout = sys.__stdout__
        print("%s: error %s" % (what, e), flush=True)
        os._exit(1)


EXITED = {}		# pid -> wait status, of children alive() reaped


def alive(pid):
    if pid in EXITED:
        return False
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        EXITED[pid] = st
    return not p


def reap(pids):
    bad = 0
    for pid in pids:
        st = EXITED[pid] if pid in EXITED else os.waitpid(pid, 0)[1]
        bad += st != 0
    return 1 if bad else 0


def load(seconds):
    import smbop  # noqa: F401  once, before the workers fork
    pids = [fork("nlm client %d" % n, nlm_worker, n, seconds) for n in range(NLM_CALLERS)]
    for n in range(SMB_CLIENTS):
        pids.append(fork("smb client %d" % n, quiet, smb_worker, n, seconds))
    return reap(pids)


def quiet(fn, *args):
    """impacket's and smbop's chatter stays out of the result lines."""
    sys.stdout = open(os.devnull, "w")
    return fn(*args)


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


def check(acklog, state, emit=print, both=False):
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
    # xlockd logs a batch to <acklog>.inflight before its commit, to the
    # ack log after: a cut between the two leaves its records durable but
    # not acknowledged, so a release of an entry acknowledged as held may
    # be on disk. Only such an entry may be missing.
    maybe_gone = set()
    try:
        for line in open(acklog + ".inflight").read().split("\n")[:-1]:
            if line.startswith("-"):
                maybe_gone.add(int(line[1:]))
    except FileNotFoundError:
        pass
    missing = [i for i in held if i not in entries and i not in maybe_gone]
    in_flight = sum(1 for i in held if i not in entries and i in maybe_gone)
    back = [i for i in released if i in entries]
    nlm = sum(1 for i in held if i in entries and entries[i]["proto"] == "1")
    smb = sum(1 for i in held if i in entries and entries[i]["proto"] != "1")
    emit("acknowledged: %d ack lines, %d ids, %d held and %d released at the cut; "
          "recovered %d entries (%d to reclaim from before); held: %d NLM, %d SMB; "
          "%d released in flight at the cut" %
          (len(lines) - 1, len(last), len(held), len(released), len(entries),
           len(st.get("reclaim", {})), nlm, smb, in_flight))
    if missing:
        emit("LOST: %d acknowledged entries missing from the recovered state: %s" %
              (len(missing), " ".join(map(str, sorted(missing)[:20]))))
    if back:
        emit("RESURRECTED: %d entries whose release was acknowledged: %s" %
              (len(back), " ".join(map(str, sorted(back)[:20]))))
    if missing or back:
        return 1
    if both and not (nlm and smb):
        emit("NOT UNDER LOAD: the cut came with %d NLM and %d SMB entries acknowledged "
             "as held (both protocols must hold state at every cut)" % (nlm, smb))
        return 1
    return 0


def recovered(state):
    st = read_state(state)
    return list(st.get("entry", {}).values()) + list(st.get("reclaim", {}).values())


def reclaim_nlm(ents, emit=print):
    """NLM reclaims of @ents; returns the refusals and the locks held."""
    nlm = None
    bad = 0
    held = []
    for e in ents:
        if nlm is None:
            nlm = Nlm()
        start, end = int(e["start"]), int(e["end"])
        length = 0 if end >= (1 << 63) - 1 else end - start + 1
        r = nlm.lock(e["client"], e["path"], int(e["svid"]), e["mode"] == "2",
                     start, length, reclaim=True)
        if r != "granted":
            emit("NLM reclaim of %s: %s" % (e, r))
            bad += 1
        else:
            held.append((e["client"], e["path"], int(e["svid"]), start, length))
    return bad, held


def release_nlm(held, emit=print):
    """Let the reclaimed NLM locks go, once grace is over: lockd refuses
    UNLOCK in grace (denied_grace_period), and a lock left held makes the
    load's lock on that range by the same owner re-key its entry (GAP).
    Returns the unlocks not done."""
    nlm = Nlm() if held else None
    bad = 0
    for lk in held:
        end = time.time() + 30
        while True:
            r = nlm.unlock(*lk)
            if r != "denied_grace_period" or time.time() > end:
                break
            time.sleep(0.2)
        if r != "granted":
            emit("NLM unlock of reclaimed %s: %s" % (lk, r))
            bad += 1
    return bad


def reclaim_smb(smbop, c, es, emit=print):
    """Client c's reclaims of its entries @es: the lease first (its key is
    the reclaim), then the locks on that handle; the handles are closed
    after (locks and leases go). Returns the refusals."""
    import io
    import contextlib
    bad = 0
    by_file = {}
    for e in es:
        by_file.setdefault(e["path"], []).append(e)
    fids = []
    for path, fes in by_file.items():
        name = os.path.basename(path)
        lease = [e for e in fes if e["kind"] == "2"]
        want = "".join(ch for ch, bit in (("R", 1), ("W", 4), ("H", 2))
                       if lease and int(lease[0]["state"]) & bit) or "none"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            fids.append(smb_open(smbop, c, name, want))
            for e in fes:
                if e["kind"] == "2":
                    continue
                start, end = int(e["start"]), int(e["end"])
                c.lock("%d:%d:%s" % (start, end - start + 1, "x" if e["mode"] == "2" else "s"))
        out = buf.getvalue()
        if lease and "open granted=%s" % want not in out:
            emit("SMB lease reclaim of %s (%s): %s" % (path, want, out.strip()))
            bad += 1
        nlocks = len(fes) - len(lease)
        if out.count("lock granted") != nlocks:
            emit("SMB lock reclaim on %s: %d locks, answers: %s" % (path, nlocks, out.strip()))
            bad += 1
    for fid in fids:
        c.smb.close(c.tid, fid)
    return bad


def smb_ents(ents):
    """The SMB entries of @ents by client GUID."""
    out = {}
    for e in ents:
        if e["proto"] != "1":
            out.setdefault(bytes.fromhex(e["client"]).decode(), []).append(e)
    return out


def reclaim(state, emit=print):
    ents = recovered(state)
    nlm = [e for e in ents if e["proto"] == "1"]
    bad, held = reclaim_nlm(nlm, emit)
    n_smb = 0
    for guid, es in smb_ents(ents).items():
        smbop, c = smb_client(guid)
        bad += reclaim_smb(smbop, c, es, emit)
        n_smb += len(es)
        c.conn.logoff()
    emit("reclaimed %d NLM and %d SMB entries, %d refused" % (len(nlm), n_smb, bad))
    bad += release_nlm(held, emit)
    return 1 if bad else 0


def xlockctl_grace():
    x = os.environ.get("XLOCKCTL", "xlockctl")
    return json.loads(subprocess.check_output([x, "--json", "grace"]))


def phase(name):
    """Guest uptime at a step, beside the scenario's (e2e/powercut.sh sums them up)."""
    with open("/proc/uptime") as f, open("/results/phases.txt", "a") as p:
        p.write("%s %s\n" % (name, f.read().split()[0]))


def wait_file(path, seconds, alive=None):
    """Wait for @path; False after @seconds or once alive() says no."""
    end = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > end or (alive and not alive()):
            return os.path.exists(path)
        time.sleep(0.05)
    return True


def smb_cycle_worker(n, ents, seconds):
    """SMB client n in one boot: its session is set up while the servers
    start (seconds under TCG), it reclaims its own recovered entries when
    the parent says so, then it is one of the load's clients."""
    conn = smb_connect(n, 300)
    if not wait_file(RECLAIM, 300):
        raise RuntimeError("no reclaim phase")
    lines = []
    bad = reclaim_smb(*conn, ents, lines.append)
    with open(SMB_RECLAIMED % n + ".tmp", "w") as f:
        f.write("%d %d\n" % (len(ents), bad))
        f.write("".join(line + "\n" for line in lines))
    os.rename(SMB_RECLAIMED % n + ".tmp", SMB_RECLAIMED % n)
    if bad or seconds <= 0:
        return len(ents)
    if not wait_file(LOADING, 300):
        raise RuntimeError("no load phase")
    return smb_worker(n, seconds, conn)


def arm(pids, emit):
    """Arm the cut (ARMED, then the host's file) once every SMB client holds
    its leases and a lock, every NLM caller a lock (the first lock a client
    got is never released: both protocols hold state at the cut), and
    ARM_ACKS more events were acknowledged."""
    def all_alive():
        return all(alive(p) for p in pids)
    for n in range(SMB_CLIENTS):
        if not wait_file(SMB_READY % n, 180, all_alive):
            emit("the SMB clients did not start")
            return False
    for n in range(NLM_CALLERS):
        if not wait_file(NLM_READY % n, 180, all_alive):
            emit("the NLM clients did not start")
            return False
    acks = open(ACK_LOG, "rb")
    base = acks.read().count(b"\n")
    seen = 0
    end = time.time() + 120
    while seen < ARM_ACKS:
        if time.time() > end or not all_alive():
            emit("no lock acknowledged after the SMB clients started (%d acks)" % seen)
            return False
        time.sleep(0.05)
        seen += acks.read().count(b"\n")
    open(ARMED, "w").close()
    phase("armed")
    open(HOST_ARMED, "w").write("armed %d acks from %d\n" % (seen, base))
    return True


def cycle(out_path, ready, seconds, acklog=None, state=None):
    import smbop  # noqa: F401  the slow import, while the servers start
    phase("py-imported")
    out = open(out_path, "a")

    def emit(line):
        print(line, flush=True)
        out.write(line + "\n")
        out.flush()
    # The scenario writes the state once the disk is mounted.
    if acklog and not wait_file(state, 300):
        emit("no recovered state after 300 s")
        return 1
    if acklog and check(acklog, state, emit, both=True):
        return 1
    ents = recovered(state) if acklog else []
    smb = smb_ents(ents)
    other = [g for g in smb if g not in [smb_guid(n) for n in range(SMB_CLIENTS)]]
    if other:
        emit("recovered SMB entries of unknown clients: %s" % " ".join(other))
        return 1
    pids = [fork("smb client %d" % n, quiet, smb_cycle_worker, n, smb.get(smb_guid(n), []), seconds)
            for n in range(SMB_CLIENTS)]
    if not wait_file(ready, 300):
        emit("xlockd was not ready after 300 s")
        return 1
    g = xlockctl_grace()
    if g["entries"] != len(ents):
        emit("reclaim set has %d entries, the recovered state %d: %s" % (g["entries"], len(ents), g))
        return 1
    open(RECLAIM, "w").close()
    nlm = [e for e in ents if e["proto"] == "1"]
    bad, held = reclaim_nlm(nlm, emit)
    n_smb = 0
    for n, pid in enumerate(pids):
        if not wait_file(SMB_RECLAIMED % n, 300, lambda: alive(pid)):
            emit("SMB client %d did not reclaim" % n)
            return 1
        with open(SMB_RECLAIMED % n) as f:
            k, b = map(int, f.readline().split())
            for line in f:
                emit(line.rstrip("\n"))
        n_smb += k
        bad += b
    if ents:
        emit("reclaimed %d NLM and %d SMB entries, %d refused" % (len(nlm), n_smb, bad))
    if bad:
        return 1
    if ents and xlockctl_grace()["state"] != "over":
        subprocess.check_call([os.environ.get("XLOCKCTL", "xlockctl"), "grace", "end"],
                              stdout=subprocess.DEVNULL)
    if release_nlm(held, emit):
        return 1
    phase("py-reclaimed")
    if seconds <= 0:
        return reap(pids)
    print("load for %g s" % seconds, flush=True)
    # The acks that arm the cut count from here: the reclaim's own (and
    # its unlocks') are not load.
    open(LOADING, "w").close()
    pids += [fork("nlm client %d" % n, nlm_worker, n, seconds) for n in range(NLM_CALLERS)]
    if not arm(pids, emit):
        return 1
    return reap(pids)


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
