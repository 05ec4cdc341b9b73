#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one NLMv4 TEST to the local lockd and print the holder it reports,
which the Linux NFS client does not show (F_GETLK has no owner handle).

usage: nlmtest.py EXPORT_CLIENT PATH {r|w} START LEN
  EXPORT_CLIENT  the export's client name in /etc/exports (for the file
                 handle, from /proc/fs/nfsd/filehandle)
  PATH           the file on the server
Prints "granted" or "denied excl=0|1 svid=N oh=TEXT offset=N len=N".
"""
import os
import random
import socket
import struct
import sys

NLM_PROG, NLM_V4, NLM4_TEST = 100021, 4, 1
PMAP_PROG, PMAP_GETPORT = 100000, 3


def xdr_opaque(b):
    pad = (4 - len(b) % 4) % 4
    return struct.pack(">I", len(b)) + b + b"\0" * pad


def rpc_call(port, prog, vers, proc, args):
    xid = random.randrange(1 << 32)
    stamp = 0
    cred_body = struct.pack(">I", stamp) + xdr_opaque(b"xlock-test") + struct.pack(">III", 0, 0, 0)
    msg = struct.pack(">IIIIII", xid, 0, 2, prog, vers, proc)
    msg += struct.pack(">I", 1) + xdr_opaque(cred_body)   # AUTH_UNIX
    msg += struct.pack(">II", 0, 0)                       # AUTH_NULL verifier
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    for _ in range(3):
        s.sendto(msg + args, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            continue
        rxid, mtype, rstat = struct.unpack_from(">III", data, 0)
        if rxid != xid or mtype != 1 or rstat != 0:
            continue
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
    client, path, mode, start, length = sys.argv[1:6]
    fh = filehandle(client, path)
    port = getport(NLM_PROG, NLM_V4)
    args = xdr_opaque(b"xlocktest")                       # cookie
    args += struct.pack(">I", 1 if mode == "w" else 0)    # exclusive
    args += xdr_opaque(b"nlmtest-host")                   # caller_name
    args += xdr_opaque(fh)
    args += xdr_opaque(b"nlmtest-owner")
    args += struct.pack(">iQQ", os.getpid(), int(start), int(length))
    res = rpc_call(port, NLM_PROG, NLM_V4, NLM4_TEST, args)
    clen = struct.unpack_from(">I", res, 0)[0]
    off = 4 + ((clen + 3) & ~3)
    stat = struct.unpack_from(">I", res, off)[0]
    off += 4
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
