#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Load a reclaim set into xlock and start its grace period, as xlockd does
after a restart, without a restart: for scenarios that need a grace period
with chosen unreclaimed entries (XLOCK_CMD_RECLAIM_ADD, XLOCK_CMD_GRACE_START).

usage: graceset.py add PATH CLIENT REC...
       graceset.py start SECONDS
  CLIENT  NLM caller name, or an SMB client GUID as 32 hex digits
  REC     nlm:x|s:START:END:SVID      an NLM lock (END inclusive)
          smb:x|s:START:END           an SMB lock
          lease:KEYHEX32:STATE        an SMB lease (STATE: letters of RWH)
Prints "added N" (the size of the set) or "started"; "error MESSAGE" and
exit 1 on a refusal. Attribute and command numbers are read from
include/uapi/linux/xlock.h, so they follow the header.
"""
import os
import re
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UAPI = os.path.join(HERE, "..", "..", "include", "uapi", "linux", "xlock.h")
NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR = 1, 4, 2
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2


def enum_values(text, name):
    """The members of 'enum NAME { ... }' with their values."""
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    vals, n = {}, 0
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            item, v = [s.strip() for s in item.split("=")]
            n = int(v, 0)
        vals[item] = n
        n += 1
    return vals


with open(UAPI) as f:
    HDR = f.read()
A = enum_values(HDR, "xlock_attr")
CMD = enum_values(HDR, "xlock_cmd")
C = {}
for m in re.finditer(r"\b(XLOCK_(?:PROTO|KIND|MODE)_[A-Z]+) = (\d+)", HDR):
    C[m.group(1)] = int(m.group(2))
for m in re.finditer(r"#define (XLOCK_LEASE_[RWH]) (0x[0-9a-f]+)", HDR):
    C[m.group(1)] = int(m.group(2), 16)


def nla(atype, data):
    ln = 4 + len(data)
    return struct.pack("=HH", ln, atype) + data + b"\0" * ((4 - ln % 4) % 4)


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        self.s.bind((0, 0))
        self.seq = 0
        reply = self.xfer(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                          nla(CTRL_ATTR_FAMILY_NAME, b"xlock\0"), 1)
        self.family = None
        off = 4
        while off < len(reply):
            ln, at = struct.unpack_from("=HH", reply, off)
            if at == CTRL_ATTR_FAMILY_ID:
                self.family = struct.unpack_from("=H", reply, off + 4)[0]
            off += (ln + 3) & ~3
        if self.family is None:
            raise RuntimeError("no xlock family")

    def xfer(self, ftype, cmd, attrs, version=1):
        """Send one request; the payload of its reply (if any) after the ack."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + attrs
        self.s.send(struct.pack("=IHHII", 16 + len(body), ftype,
                                NLM_F_REQUEST | NLM_F_ACK, self.seq, 0) + body)
        payload = b""
        while True:
            data = self.s.recv(65536)
            off = 0
            while off < len(data):
                ln, mtype, _fl, seq, _pid = struct.unpack_from("=IHHII", data, off)
                if seq == self.seq and mtype == NLMSG_ERROR:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return payload
                if seq == self.seq:
                    payload = data[off + 16:off + ln]
                off += (ln + 3) & ~3


def rec(text):
    """struct xlock_reclaim_rec from one REC argument."""
    p = text.split(":")
    start = end = svid = state = 0
    key = b"\0" * 16
    mode = 0
    if p[0] in ("nlm", "smb") and len(p) == (5 if p[0] == "nlm" else 4):
        proto = C["XLOCK_PROTO_NLM" if p[0] == "nlm" else "XLOCK_PROTO_SMB"]
        kind = C["XLOCK_KIND_LOCK"]
        mode = C["XLOCK_MODE_EXCL" if p[1] == "x" else "XLOCK_MODE_SHARED"]
        start, end = int(p[2]), int(p[3])
        svid = int(p[4]) if p[0] == "nlm" else 0
    elif p[0] == "lease" and len(p) == 3 and len(p[1]) == 32:
        proto, kind = C["XLOCK_PROTO_SMB"], C["XLOCK_KIND_LEASE"]
        key = bytes.fromhex(p[1])
        end = (1 << 64) - 1                     # a lease covers the file
        for ch in p[2]:
            state |= C["XLOCK_LEASE_" + ch]
    else:
        raise ValueError("bad record '%s'" % text)
    return struct.pack("=QQIBBBB16sQ", start, end, svid, proto, kind, mode, state, key, 0)


def main(argv):
    try:
        g = Genl()
        if len(argv) >= 4 and argv[0] == "add":
            recs = b"".join(rec(r) for r in argv[3:])
            attrs = nla(A["XLOCK_A_PATH"], argv[1].encode() + b"\0")
            attrs += nla(A["XLOCK_A_CLIENT"], argv[2].encode() + b"\0")
            attrs += nla(A["XLOCK_A_RECLAIM_RECS"], recs)
            g.xfer(g.family, CMD["XLOCK_CMD_RECLAIM_ADD"], attrs)
            print("added %d" % (len(argv) - 3))
        elif len(argv) == 2 and argv[0] == "start":
            attrs = nla(A["XLOCK_A_GRACE_S"], struct.pack("=I", int(argv[1])))
            g.xfer(g.family, CMD["XLOCK_CMD_GRACE_START"], attrs)
            print("started")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (OSError, ValueError, RuntimeError) as e:
        print("error %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
