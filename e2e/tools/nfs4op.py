#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A small raw NFSv4.1 client (our own XDR, RFC 8881) for what the Linux NFS
client never sends: OPEN with share deny modes, LOCKT with the denied
holder shown, delegations held or returned exactly when told. The NFS probe
beside smbop.py (the raw SMB client) in the e2e scenarios.

usage: nfs4op.py [--server ADDR] [--owner NAME] [--recall yes|no|MS]
                 PATH OP...

PATH is relative to the server's NFSv4 root (the export: fsid=0). One
session on one TCP connection; callbacks (CB_RECALL) arrive on it too.
--owner names the client (its co_ownerid, the same across runs);
--recall says how to answer a CB_RECALL of a delegation held: yes (return
it at once), no (never), or a delay in ms.

OPs run in order (one line of output each, flushed):
  open:ACCESS[:DENY[:create][:deleg|:nodeleg]]
                       ACCESS r, w or rw; DENY none, r, w or rw; create
                       makes the file if missing; deleg asks for any
                       delegation, nodeleg for none
                       -> "open ok deleg=none|read|write" / "open NFS4ERR_..."
  close                -> "closed" / "close NFS4ERR_..." / "close none" (nothing open)
  read:OFFSET:LEN      -> "read TEXT" / "read NFS4ERR_..."
  write:OFFSET:TEXT    -> "write ok" / "write NFS4ERR_..."
  lock:START:LEN:r|w   -> "lock granted" / "lock NFS4ERR_DENIED owner=O start=S len=L type=r|w"
  lockt:START:LEN:r|w  -> "lockt ok" / "lockt NFS4ERR_DENIED owner=O ..."
  unlock:START:LEN     -> "unlock ok" / "unlock NFS4ERR_..."
  delegreturn          -> "delegreturn ok" / "delegreturn NFS4ERR_..."
  remove:NAME          REMOVE NAME in PATH's directory -> "remove ok" / "remove NFS4ERR_..."
  rename:OLD:NEW       RENAME in PATH's directory -> "rename ok" / "rename NFS4ERR_..."
  hold:SECONDS         keep the session alive (SEQUENCE every 2 s), answering
                       callbacks; a recall prints "recall" and, when the
                       delegation goes back, "delegreturn ok"
  waitfile:HOSTPATH    wait until HOSTPATH exists (callbacks still answered)
A request the server answers NFS4ERR_DELAY is retried (up to 60 s); each
retry adds "delay" to a counter shown as " (delayed N)" after the result.
On a protocol error it prints "error MESSAGE" and exits 1.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

NFS_PROG, NFS_VERS, CB_PROG = 100003, 4, 0x40000000
# Operation numbers (RFC 8881 section 16.2 / 20).
OP_CLOSE, OP_DELEGRETURN, OP_GETFH, OP_LOCK, OP_LOCKT, OP_LOCKU = 4, 8, 10, 12, 13, 14
OP_LOOKUP, OP_OPEN, OP_PUTFH, OP_PUTROOTFH, OP_READ = 15, 18, 22, 24, 25
OP_REMOVE, OP_RENAME, OP_SAVEFH, OP_WRITE = 28, 29, 32, 38
OP_EXCHANGE_ID, OP_CREATE_SESSION, OP_DESTROY_SESSION = 42, 43, 44
OP_SEQUENCE, OP_DESTROY_CLIENTID, OP_RECLAIM_COMPLETE = 53, 57, 58
OP_CB_RECALL, OP_CB_SEQUENCE = 4, 11

ERRORS = {
    1: "PERM", 2: "NOENT", 5: "IO", 13: "ACCESS", 17: "EXIST", 22: "INVAL",
    10008: "DELAY", 10010: "DENIED", 10011: "EXPIRED", 10012: "LOCKED",
    10013: "GRACE", 10015: "SHARE_DENIED", 10022: "STALE_CLIENTID",
    10023: "STALE_STATEID", 10024: "OLD_STATEID", 10025: "BAD_STATEID",
    10026: "BAD_SEQID", 10028: "LOCK_RANGE", 10033: "NO_GRACE",
    10036: "BADXDR", 10038: "OPENMODE", 10045: "DEADLOCK", 10046: "FILE_OPEN",
    10047: "ADMIN_REVOKED", 10052: "BADSESSION", 10053: "BADSLOT",
    10063: "SEQ_MISORDERED", 10071: "OP_NOT_IN_SESSION", 10087: "DELEG_REVOKED",
}
NFS4ERR_DELAY, NFS4ERR_DENIED = 10008, 10010
ACCESS = {"r": 1, "w": 2, "rw": 3}
DENY = {"none": 0, "r": 1, "w": 2, "rw": 3}
WANT_NO_DELEG, WANT_ANY_DELEG = 0x0400, 0x0300
LOCK_TYPE = {"r": 1, "w": 2}
DELEG_NAMES = {0: "none", 1: "read", 2: "write", 3: "none"}


def say(*a):
    print(*a, flush=True)


def err_name(status):
    return "NFS4ERR_" + ERRORS.get(status, str(status))


class ProtoError(Exception):
    pass


class Enc:
    """XDR encoder (RFC 4506)."""

    def __init__(self):
        self.b = bytearray()

    def u32(self, v):
        self.b += struct.pack(">I", v & 0xFFFFFFFF)
        return self

    def u64(self, v):
        self.b += struct.pack(">Q", v)
        return self

    def fixed(self, data):
        self.b += data + b"\0" * (-len(data) % 4)
        return self

    def opaque(self, data):
        if isinstance(data, str):
            data = data.encode()
        return self.u32(len(data)).fixed(data)


class Dec:
    """XDR decoder over one record."""

    def __init__(self, data):
        self.b = data
        self.p = 0

    def take(self, n):
        if self.p + n > len(self.b):
            raise ProtoError("short XDR data")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def fixed(self, n):
        v = self.take(n)
        self.take(-n % 4)
        return v

    def opaque(self):
        return self.fixed(self.u32())

    def bitmap(self):
        return [self.u32() for _ in range(self.u32())]

    def stateid(self):
        return self.take(16)


def auth_sys(name):
    cred = Enc().u32(int(time.time())).opaque(name).u32(0).u32(0).u32(0)
    return Enc().u32(1).opaque(bytes(cred.b)).b


class Client:
    def __init__(self, args):
        self.args = args
        self.sock = socket.create_connection((args.server, 2049), timeout=60)
        self.xid = int.from_bytes(os.urandom(4), "big")
        self.buf = b""
        self.seq = 0
        self.owner = (args.owner or "nfs4op-%d-%d" % (os.getpid(), time.time())).encode()
        self.open_sid = None
        self.deleg_sid = None
        self.lock_sid = None
        self.fh = None
        self.dir_fh = None
        self.recall_at = None
        self.delays = 0
        self.renewed = time.monotonic()
        self.exchange_id()
        self.create_session()
        st, _ = self.compound([(OP_RECLAIM_COMPLETE, Enc().u32(0))], check=False)
        if st not in (0, 10054):	# COMPLETE_ALREADY
            raise ProtoError("RECLAIM_COMPLETE: " + err_name(st))

    # --- RPC over TCP (record marking, RFC 5531) ---------------------------

    def send_record(self, data):
        self.sock.sendall(struct.pack(">I", 0x80000000 | len(data)) + data)

    def recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ProtoError("connection closed by the server")
            self.buf += chunk
        v, self.buf = self.buf[:n], self.buf[n:]
        return v

    def recv_record(self):
        data = b""
        while True:
            hdr = struct.unpack(">I", self.recv_exact(4))[0]
            data += self.recv_exact(hdr & 0x7FFFFFFF)
            if hdr & 0x80000000:
                return data

    def call(self, proc, body):
        """One RPC call; callbacks that arrive meanwhile are answered."""
        self.xid = (self.xid + 1) & 0xFFFFFFFF
        xid = self.xid
        msg = Enc().u32(xid).u32(0).u32(2).u32(NFS_PROG).u32(NFS_VERS).u32(proc)
        msg.b += auth_sys("xlock-nfs4op")
        msg.u32(0).u32(0)		# verifier: AUTH_NONE
        self.send_record(bytes(msg.b) + bytes(body.b))
        while True:
            d = Dec(self.recv_record())
            rxid, mtype = d.u32(), d.u32()
            if mtype == 0:
                self.callback(rxid, d)
                continue
            if rxid != xid:
                continue
            if d.u32() != 0:
                raise ProtoError("RPC call denied")
            d.u32()
            d.opaque()			# verifier
            if d.u32() != 0:
                raise ProtoError("RPC call not accepted")
            return d

    def compound(self, ops, check=True, sequence=True, parsers=None):
        """COMPOUND of (opcode, Enc) pairs, SEQUENCE first. Returns (status,
        [(opcode, status, value)]): value is what parsers[opcode] made of a
        successful result, else the decoder positioned after the status
        (for the last result, or a failed one that may carry details)."""
        body = Enc().opaque(b"").u32(1)
        allops = list(ops)
        if sequence:
            self.seq += 1
            seq = Enc().fixed(self.sessionid).u32(self.seq).u32(0).u32(0).u32(0)
            allops.insert(0, (OP_SEQUENCE, seq))
        body.u32(len(allops))
        for op, args in allops:
            body.u32(op)
            body.b += args.b
        d = self.call(1, body)
        status = d.u32()
        d.opaque()				# tag
        n = d.u32()
        results = []
        for i in range(n):
            op, st = d.u32(), d.u32()
            if op == OP_SEQUENCE and st != 0:
                raise ProtoError("SEQUENCE: " + err_name(st))
            if op == OP_SEQUENCE:
                d.fixed(16)
                for _ in range(5):
                    d.u32()
                continue
            if st == 0 and parsers and op in parsers:
                results.append((op, st, parsers[op](d)))
                continue
            results.append((op, st, d))
            if st != 0 or i == n - 1:
                break
            if op == OP_GETFH:
                d.opaque()
            elif op not in (OP_PUTFH, OP_PUTROOTFH, OP_LOOKUP, OP_SAVEFH):
                raise ProtoError("cannot skip the result of op %d" % op)
        if check and status != 0:
            raise ProtoError("op %d: %s" % (ops[-1][0], err_name(status)))
        return status, results

    # --- callbacks (CB_COMPOUND over the fore channel's connection) --------

    def callback(self, xid, d):
        d.u32()				# rpcvers
        prog, _, proc = d.u32(), d.u32(), d.u32()
        d.u32()
        d.opaque()			# cred
        d.u32()
        d.opaque()			# verifier
        rep = Enc().u32(xid).u32(1).u32(0).u32(0).u32(0).u32(0)
        if prog != CB_PROG or proc not in (0, 1):
            rep.b[-4:] = struct.pack(">I", 1)	# PROG_UNAVAIL
            self.send_record(bytes(rep.b))
            return
        if proc == 1:
            rep.b += self.cb_compound(d).b
        self.send_record(bytes(rep.b))

    def cb_compound(self, d):
        tag = d.opaque()
        d.u32()				# minorversion
        d.u32()				# callback_ident
        n = d.u32()
        res = Enc()
        out = []
        for _ in range(n):
            op = d.u32()
            if op == OP_CB_SEQUENCE:
                sid, seq, slot, high = d.fixed(16), d.u32(), d.u32(), d.u32()
                d.u32()			# cachethis
                for _ in range(d.u32()):	# referring call lists
                    d.fixed(16)
                    for _ in range(d.u32()):
                        d.u32()
                        d.u32()
                r = Enc().u32(op).u32(0).fixed(sid).u32(seq).u32(slot).u32(high).u32(high)
                out.append(r)
            elif op == OP_CB_RECALL:
                sid = d.stateid()
                d.u32()			# truncate
                d.opaque()		# fh
                out.append(Enc().u32(op).u32(0))
                if self.deleg_sid is not None and sid[4:] == self.deleg_sid[4:]:
                    say("recall")
                    if self.recall_at is None:
                        self.recall_at = self.recall_time()
            else:
                out.append(Enc().u32(op).u32(10044))	# OP_ILLEGAL
                break
        res.u32(0).opaque(tag).u32(len(out))
        for r in out:
            res.b += r.b
        return res

    def recall_time(self):
        mode = self.args.recall
        if mode == "no":
            return float("inf")
        if mode == "yes":
            return 0.0
        return time.monotonic() + int(mode) / 1000.0

    def service(self, seconds, renew=True):
        """Answer callbacks and renew the lease for SECONDS."""
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if self.recall_at is not None and now >= self.recall_at and self.deleg_sid:
                self.recall_at = None
                self.delegreturn()
            if now >= end:
                return
            # waitfile calls this in short slices: the renewal clock is the client's
            if renew and now - self.renewed >= 2:
                self.compound([])
                self.renewed = now
            if self.buf or select.select([self.sock], [], [], 0.1)[0]:
                d = Dec(self.recv_record())
                xid, mtype = d.u32(), d.u32()
                if mtype == 0:
                    self.callback(xid, d)

    # --- session set-up ------------------------------------------------------

    def exchange_id(self):
        args = Enc().fixed(os.urandom(8)).opaque(self.owner)
        args.u32(0x00010000)		# EXCHGID4_FLAG_USE_NON_PNFS
        args.u32(0)			# SP4_NONE
        args.u32(0)			# no implementation id
        _, res = self.compound([(OP_EXCHANGE_ID, args)], sequence=False)
        d = res[0][2]
        self.clientid = d.u64()
        self.csa_seq = d.u32()

    def create_session(self):
        args = Enc().u64(self.clientid).u32(self.csa_seq)
        args.u32(0x2)			# CREATE_SESSION4_FLAG_CONN_BACK_CHAN
        for attrs in ((0, 1048576, 1048576, 65536, 16, 1), (0, 65536, 65536, 0, 4, 1)):
            for v in attrs:
                args.u32(v)
            args.u32(0)			# no RDMA ird
        args.u32(CB_PROG)
        args.u32(1).u32(0)		# one callback security flavour: AUTH_NONE
        _, res = self.compound([(OP_CREATE_SESSION, args)], sequence=False)
        self.sessionid = bytes(res[0][2].fixed(16))

    def destroy(self):
        """Give back what is still held, then end the session and client:
        a client ID with state cannot be destroyed, and its delegations
        would otherwise stay until its lease expires."""
        try:
            if self.lock_sid is not None:
                args = Enc().u32(2).u32(0).fixed(self.lock_sid).u64(0).u64(2**64 - 1)
                self.compound([self.putfh(), (OP_LOCKU, args)], check=False)
            if self.deleg_sid is not None:
                self.compound([self.putfh(), (OP_DELEGRETURN, Enc().fixed(self.deleg_sid))],
                              check=False)
            if self.open_sid is not None:
                self.compound([self.putfh(), (OP_CLOSE, Enc().u32(0).fixed(self.open_sid))],
                              check=False)
            self.compound([(OP_DESTROY_SESSION, Enc().fixed(self.sessionid))],
                          check=False, sequence=False)
            self.compound([(OP_DESTROY_CLIENTID, Enc().u64(self.clientid))],
                          check=False, sequence=False)
        except (ProtoError, OSError):
            pass

    # --- operations --------------------------------------------------------

    def retry(self, ops, parsers=None):
        """COMPOUND, retried while the server says NFS4ERR_DELAY."""
        end = time.monotonic() + 60
        while True:
            st, res = self.compound(ops, check=False, parsers=parsers)
            if st != NFS4ERR_DELAY or time.monotonic() > end:
                return st, res
            self.delays += 1
            self.service(0.5)

    def suffix(self):
        s = " (delayed %d)" % self.delays if self.delays else ""
        self.delays = 0
        return s

    def walk(self, path):
        """PUTROOTFH + LOOKUPs to PATH's directory; the last component."""
        parts = [p for p in path.split("/") if p]
        ops = [(OP_PUTROOTFH, Enc())]
        for p in parts[:-1]:
            ops.append((OP_LOOKUP, Enc().opaque(p)))
        return ops, parts[-1]

    def dir_ops(self):
        ops, _ = self.walk(self.args.path)
        return ops

    def open(self, spec):
        parts = spec.split(":")
        access = ACCESS[parts[0]]
        deny = DENY[parts[1]] if len(parts) > 1 and parts[1] else 0
        flags = parts[2:]
        if "deleg" in flags:
            access |= WANT_ANY_DELEG
        elif "nodeleg" in flags:
            access |= WANT_NO_DELEG
        ops, name = self.walk(self.args.path)
        args = Enc().u32(0).u32(access).u32(deny).u64(self.clientid).opaque(self.owner + b"-open")
        if "create" in flags:
            # OPEN4_CREATE, UNCHECKED4, mode 0666
            args.u32(1).u32(0).u32(2).u32(0).u32(2).opaque(struct.pack(">I", 0o666))
        else:
            args.u32(0)
        args.u32(0).opaque(name)	# CLAIM_NULL
        ops += [(OP_OPEN, args), (OP_GETFH, Enc())]
        st, res = self.retry(ops, parsers={OP_OPEN: self.parse_open})
        if st != 0:
            say("open %s%s" % (err_name(res[-1][1]), self.suffix()))
            return
        self.open_sid, self.deleg_type, deleg_sid = res[-2][2]
        if deleg_sid is not None:
            self.deleg_sid = deleg_sid
        self.fh = bytes(res[-1][2].opaque())
        say("open ok deleg=%s%s" % (self.deleg_type, self.suffix()))

    @staticmethod
    def parse_open(d):
        """OPEN4resok: (open stateid, delegation type, delegation stateid)."""
        sid = bytes(d.stateid())
        d.u32()
        d.u64()
        d.u64()				# change_info4
        d.u32()				# rflags
        d.bitmap()			# attrset
        dtype = d.u32()
        dsid = None
        if dtype in (1, 2):
            dsid = bytes(d.stateid())
            d.u32()			# recall
            if dtype == 2:		# nfs_space_limit4
                if d.u32() == 1:
                    d.u64()
                else:
                    d.u32()
                    d.u32()
            d.u32()
            d.u32()
            d.u32()
            d.opaque()			# nfsace4
        elif dtype == 3 and d.u32() in (1, 2):
            d.u32()			# why no delegation, and its flag
        return sid, DELEG_NAMES.get(dtype, "?"), dsid

    def putfh(self):
        if self.fh is None:
            raise ProtoError("no file open")
        return (OP_PUTFH, Enc().opaque(self.fh))

    def close(self):
        if self.open_sid is None:
            say("close none")
            return
        st, _ = self.retry([self.putfh(), (OP_CLOSE, Enc().u32(0).fixed(self.open_sid))])
        say("closed%s" % self.suffix() if st == 0 else "close %s" % err_name(st))
        if st == 0:
            self.open_sid = None

    def read(self, spec):
        off, length = spec.split(":")
        sid = self.deleg_sid or self.open_sid
        st, res = self.retry([self.putfh(), (OP_READ, Enc().fixed(sid).u64(int(off)).u32(int(length)))])
        if st:
            say("read %s%s" % (err_name(st), self.suffix()))
            return
        d = res[-1][2]
        d.u32()
        say("read %s%s" % (d.opaque().decode(errors="replace"), self.suffix()))

    def write(self, spec):
        off, text = spec.split(":", 1)
        sid = self.deleg_sid or self.open_sid
        st, _ = self.retry([self.putfh(),
                            (OP_WRITE, Enc().fixed(sid).u64(int(off)).u32(2).opaque(text))])
        say("write %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))

    @staticmethod
    def denied(d):
        start, length, ltype = d.u64(), d.u64(), d.u32()
        d.u64()
        owner = d.opaque().decode(errors="replace")
        return "owner=%s start=%d len=%d type=%s" % (
            owner or "-", start, length, "r" if ltype in (1, 3) else "w")

    def lock(self, spec):
        start, length, kind = spec.split(":")
        args = Enc().u32(LOCK_TYPE[kind]).u32(0).u64(int(start)).u64(int(length))
        if self.lock_sid is None:
            args.u32(1).u32(0).fixed(self.open_sid).u32(0)
            args.u64(self.clientid).opaque(self.owner + b"-lock")
        else:
            args.u32(0).fixed(self.lock_sid).u32(0)
        st, res = self.retry([self.putfh(), (OP_LOCK, args)])
        if st == 0:
            self.lock_sid = bytes(res[-1][2].stateid())
            say("lock granted%s" % self.suffix())
        elif st == NFS4ERR_DENIED:
            say("lock NFS4ERR_DENIED %s%s" % (self.denied(res[-1][2]), self.suffix()))
        else:
            say("lock %s%s" % (err_name(st), self.suffix()))

    def lockt(self, spec):
        start, length, kind = spec.split(":")
        args = Enc().u32(LOCK_TYPE[kind]).u64(int(start)).u64(int(length))
        args.u64(self.clientid).opaque(self.owner + b"-lock")
        ops = self.dir_ops() + [(OP_LOOKUP, Enc().opaque(self.args.path.split("/")[-1]))]
        st, res = self.retry(ops + [(OP_LOCKT, args)])
        if st == NFS4ERR_DENIED:
            say("lockt NFS4ERR_DENIED %s%s" % (self.denied(res[-1][2]), self.suffix()))
        else:
            say("lockt %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))

    def unlock(self, spec):
        start, length = spec.split(":")
        args = Enc().u32(2).u32(0).fixed(self.lock_sid).u64(int(start)).u64(int(length))
        st, _ = self.retry([self.putfh(), (OP_LOCKU, args)])
        say("unlock %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))

    def delegreturn(self):
        if self.deleg_sid is None:
            say("delegreturn none")
            return
        st, _ = self.retry([self.putfh(), (OP_DELEGRETURN, Enc().fixed(self.deleg_sid))])
        say("delegreturn %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))
        self.deleg_sid = None

    def remove(self, name):
        st, _ = self.retry(self.dir_ops() + [(OP_REMOVE, Enc().opaque(name))])
        say("remove %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))

    def rename(self, spec):
        old, new = spec.split(":")
        ops = self.dir_ops()
        ops += [(OP_SAVEFH, Enc())] + self.dir_ops()
        st, _ = self.retry(ops + [(OP_RENAME, Enc().opaque(old).opaque(new))])
        say("rename %s%s" % ("ok" if st == 0 else err_name(st), self.suffix()))

    def waitfile(self, path):
        while not os.path.exists(path):
            self.service(0.2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--owner")
    p.add_argument("--recall", default="yes")
    p.add_argument("path")
    p.add_argument("ops", nargs="+")
    a = p.parse_args()
    c = None
    try:
        c = Client(a)
        ops = {
            "open": c.open, "close": lambda _: c.close(), "read": c.read,
            "write": c.write, "lock": c.lock, "lockt": c.lockt, "unlock": c.unlock,
            "delegreturn": lambda _: c.delegreturn(), "remove": c.remove,
            "rename": c.rename, "hold": lambda r: c.service(float(r)),
            "waitfile": c.waitfile,
        }
        for op in a.ops:
            verb, _, rest = op.partition(":")
            if verb not in ops:
                say("error unknown op %s" % op)
                return 2
            ops[verb](rest)
    except (ProtoError, OSError, KeyError, ValueError) as e:
        say("error %s" % e)
        return 1
    finally:
        if c is not None:
            c.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
