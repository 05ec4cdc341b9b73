#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one NLMv4 TEST (or LOCK) to the local lockd: TEST prints the holder
it reports, which the Linux NFS client does not show (F_GETLK has no owner
handle); LOCK is a client that is not the kernel's (one that never comes
back after a restart, or reclaims what it never held).

usage: nlmtest.py [--lock [--reclaim]] [--caller NAME] [--svid N] [--from ADDR]
                  [--fh HEX] EXPORT_CLIENT PATH {r|w} START LEN
       nlmtest.py --print-fh EXPORT_CLIENT PATH
       nlmtest.py --free-all [--caller NAME] [--from ADDR]
  EXPORT_CLIENT  the export's client name in /etc/exports (for the file
                 handle, from /proc/fs/nfsd/filehandle)
  PATH           the file on the server
TEST prints "granted" or "denied excl=0|1 svid=N oh=TEXT offset=N len=N";
LOCK (non-blocking) prints "lock STATUS": granted, denied, denied_nolocks,
blocked, denied_grace_period. FREE_ALL (lockd drops every lock of the host
it knows by the sender's address, as for a client that rebooted) prints
"free_all sent".
"""
import argparse
import os
import random
import socket
import struct
import sys

NLM_PROG, NLM_V4, NLM4_TEST, NLM4_LOCK, NLM4_FREE_ALL = 100021, 4, 1, 2, 23
NLM4_STATUS = ["granted", "denied", "denied_nolocks", "blocked", "denied_grace_period",
               "deadlck", "rofs", "stale_fh", "fbig", "failed"]
PMAP_PROG, PMAP_GETPORT = 100000, 3


def xdr_opaque(b):
    pad = (4 - len(b) % 4) % 4
    return struct.pack(">I", len(b)) + b + b"\0" * pad


def reserved_port(s, src):
    """Send from a port below 1024, as a kernel NLM client does: an export
    without "insecure" refuses a request from any other port."""
    for port in random.sample(range(600, 1024), 424):
        try:
            s.bind((src, port))
            return
        except OSError:
            continue
    raise RuntimeError("no free reserved UDP port")


def rpc_call(port, prog, vers, proc, args, src="0.0.0.0"):
    xid = random.randrange(1 << 32)
    stamp = 0
    cred_body = struct.pack(">I", stamp) + xdr_opaque(b"xlock-test") + struct.pack(">III", 0, 0, 0)
    msg = struct.pack(">IIIIII", xid, 0, 2, prog, vers, proc)
    msg += struct.pack(">I", 1) + xdr_opaque(cred_body)   # AUTH_UNIX
    msg += struct.pack(">II", 0, 0)                       # AUTH_NULL verifier
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    reserved_port(s, src)
    for _ in range(3):
        s.sendto(msg + args, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            continue
        rxid, mtype, rstat = struct.unpack_from(">III", data, 0)
        if rxid != xid or mtype != 1:
            continue
        if rstat != 0:
            # MSG_DENIED: lockd checks the sender against the exports
            # (an address no export names gets AUTH_BADCRED).
            why = struct.unpack_from(">II", data, 12)
            raise RuntimeError("RPC denied by program %d (reject %d, status %d): "
                               "is this address in /etc/exports?" % (prog, why[0], why[1]))
        off = 12
        _flavor, vlen = struct.unpack_from(">II", data, off)
        off += 8 + ((vlen + 3) & ~3)
        accept = struct.unpack_from(">I", data, off)[0]
        if accept != 0:
            raise RuntimeError("RPC not accepted (%d)" % accept)
        return data[off + 4:]
    raise RuntimeError("no answer from program %d" % prog)


def getport(prog, vers):
    res = rpc_call(111, PMAP_PROG, 2, PMAP_GETPORT, struct.pack(">IIII", prog, vers, 17, 0))
    return struct.unpack(">I", res[:4])[0]


def filehandle(client, path):
    with open("/proc/fs/nfsd/filehandle", "r+b", buffering=0) as f:
        f.write(("%s %s 64\n" % (client, path)).encode())
        text = f.read().decode().strip()
    if text.startswith("\\x"):
        text = text[2:]
    return bytes.fromhex(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lock", action="store_true")
    p.add_argument("--free-all", action="store_true")
    p.add_argument("--reclaim", action="store_true")
    p.add_argument("--caller", default="nlmtest-host")
    p.add_argument("--svid", type=int, default=os.getpid())
    p.add_argument("--from", dest="src", default="0.0.0.0",
                   help="source address (lockd keys its hosts by address, not by caller name)")
    p.add_argument("--fh", help="the file handle in hex, instead of asking nfsd for it "
                   "(nfsd's export cache is empty after it restarts until a client asks)")
    p.add_argument("--print-fh", action="store_true",
                   help="print PATH's file handle in hex and exit")
    p.add_argument("client", nargs="?")
    p.add_argument("path", nargs="?")
    p.add_argument("mode", nargs="?", choices=["r", "w"])
    p.add_argument("start", nargs="?", type=int)
    p.add_argument("length", nargs="?", type=int)
    a = p.parse_args()
    if a.free_all:
        # nlm4_notify: the caller name and its NSM state; lockd answers void.
        args = xdr_opaque(a.caller.encode()) + struct.pack(">i", 0)
        rpc_call(getport(NLM_PROG, NLM_V4), NLM_PROG, NLM_V4, NLM4_FREE_ALL, args, a.src)
        print("free_all sent")
        return 0
    if a.print_fh:
        if a.path is None:
            p.error("EXPORT_CLIENT PATH are needed")
        print(filehandle(a.client, a.path).hex())
        return 0
    if a.length is None:
        p.error("EXPORT_CLIENT PATH {r|w} START LEN are needed")
    fh = bytes.fromhex(a.fh) if a.fh else filehandle(a.client, a.path)
    port = getport(NLM_PROG, NLM_V4)
    alock = xdr_opaque(a.caller.encode()) + xdr_opaque(fh) + xdr_opaque(b"nlmtest-owner")
    alock += struct.pack(">iQQ", a.svid, a.start, a.length)
    excl = struct.pack(">I", 1 if a.mode == "w" else 0)
    args = xdr_opaque(b"xlocktest")                       # cookie
    if a.lock:
        args += struct.pack(">I", 0) + excl + alock       # block: no
        args += struct.pack(">II", 1 if a.reclaim else 0, 0)  # reclaim, state
        res = rpc_call(port, NLM_PROG, NLM_V4, NLM4_LOCK, args, a.src)
    else:
        args += excl + alock
        res = rpc_call(port, NLM_PROG, NLM_V4, NLM4_TEST, args, a.src)
    clen = struct.unpack_from(">I", res, 0)[0]
    off = 4 + ((clen + 3) & ~3)
    stat = struct.unpack_from(">I", res, off)[0]
    off += 4
    if a.lock:
        print("lock %s" % (NLM4_STATUS[stat] if stat < len(NLM4_STATUS) else stat))
        return 0
    if stat == 0:
        print("granted")
        return 0
    if stat != 1:
        print("status %d" % stat)
        return 1
    excl, svid, ohlen = struct.unpack_from(">IiI", res, off)
    off += 12
    oh = res[off:off + ohlen].decode(errors="replace")
    off += (ohlen + 3) & ~3
    offset, ln = struct.unpack_from(">QQ", res, off)
    print("denied excl=%d svid=%d oh=%s offset=%d len=%d" % (excl, svid, oh, offset, ln))
    return 0


if __name__ == "__main__":
    sys.exit(main())
