#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A scriptable SMB2/3 client (python3-impacket) that holds exact lease
states and decides how to answer lease breaks: the precise probe beside the
kernel cifs client in the e2e scenarios.

usage: smbop.py [--user U] [--password P] [--share S] [--ack yes|no|MS[,...]]
                [--server ADDR] [--guid TEXT16] [--key HEX32] [--flush TEXT]
                FILE OP...

--guid sets the client GUID (16 ASCII characters, the same across
reconnects), --key the lease key (32 hex digits; default random): what a
client keeps to reclaim its state after a server restart. --flush writes
TEXT at offset 0 when a lease with W is broken, before the ack (prints
"flushed"), as a caching client writes back its dirty data.

OPs run in order (one line of output each, flushed):
  open:STATE[:ACCESS[:SHARE[:DISP]]]  open with a lease (STATE: RWH, RH, R, none);
                                      ACCESS r/w/d letters (default rw), SHARE
                                      r/w/d (default rwd), DISP open|create|overwrite
                                      -> "open granted=RH", "open took SECONDS"
  write:OFFSET:TEXT                   -> "write ok" / "write STATUS"
  read:OFFSET:LEN                     -> "read TEXT"
  lock:START:LEN:x|s[:wait]           -> "lock granted" / "lock STATUS"
  unlock:START:LEN                    -> "unlock ok"
  hold:SECONDS                        keep the handle, answering lease breaks by
                                      --ack: yes (at once), no (never), or a delay in ms;
                                      a list answers the Nth break needing an ack by
                                      its Nth item, the last one after that;
                                      each break prints "break OLD->NEW" and "ack NEW"
  close                               -> "closed"
  waitfile:PATH                       wait until PATH exists (the handle is left
                                      alone: the server may be down meanwhile)
  ready                               -> "ready" (connected: start a race)
  reconnect:SECONDS                   drop the connection without closing, and
                                      connect again (same GUID) within SECONDS
                                      -> "reconnected"
On an error it prints "error MESSAGE" and exits 1.
"""
import argparse
import os
import socket
import select
import struct
import sys
import time

from impacket import smb3
from impacket import smb3structs as S
from impacket.smbconnection import SMBConnection
from impacket.nt_errors import ERROR_MESSAGES

BREAK_ID = 0xFFFFFFFFFFFFFFFF
LETTERS = {"R": S.SMB2_LEASE_READ_CACHING, "H": S.SMB2_LEASE_HANDLE_CACHING,
           "W": S.SMB2_LEASE_WRITE_CACHING}


def say(*a):
    print(*a, flush=True)


def state_bits(text):
    if text.lower() == "none":
        return 0
    return sum(LETTERS[c] for c in text.upper())


def state_text(bits):
    return "".join(c for c in "RWH" if bits & LETTERS[c]) or "none"


def status_name(code):
    return ERROR_MESSAGES.get(code, ("0x%08x" % code,))[0]


class RawContext:
    """One create context as bytes (impacket's create() wants getData())."""

    def __init__(self, name, data):
        hdr_len = 16
        name_pad = (8 - (hdr_len + len(name)) % 8) % 8
        self.data = struct.pack("<LHHHHL", 0, hdr_len, len(name), 0,
                                hdr_len + len(name) + name_pad, len(data))
        self.data += name + b"\0" * name_pad + data

    def getData(self):
        return self.data


GUID = None
_negotiate = smb3.SMB3.negotiateSession


def negotiate(self, *a, **k):
    """impacket picks a random client GUID in SMB3(); ours must be stable."""
    if GUID is not None:
        self.ClientGuid = GUID
    return _negotiate(self, *a, **k)


smb3.SMB3.negotiateSession = negotiate


class Client:
    def __init__(self, args):
        self.args = args
        self.key = bytes.fromhex(args.key) if args.key else os.urandom(16)
        self.connect()
        self.fid = None
        self.state = 0
        self.acked = 0          # breaks that needed an ack so far (--ack list)

    def connect(self):
        args = self.args
        self.conn = SMBConnection(args.server, args.server, sess_port=445)
        self.conn.login(args.user, args.password)
        self.smb = self.conn.getSMBServer()
        # impacket 0.10's create() trips over directory leasing for files
        # in the share's root; we do not ask for directory leases anyway.
        self.smb._Connection["SupportsDirectoryLeasing"] = False
        self.tid = self.smb.connectTree(args.share)
        self.last_create = None
        orig = self.smb.recvSMB

        def recv(packet_id=None):
            p = orig(packet_id)
            if p["Command"] == S.SMB2_CREATE:
                self.last_create = p
            return p
        self.smb.recvSMB = recv

    def open(self, spec):
        parts = spec.split(":")
        want = state_bits(parts[0])
        access = parts[1] if len(parts) > 1 else "rw"
        share = parts[2] if len(parts) > 2 else "rwd"
        disp = parts[3] if len(parts) > 3 else "open"
        mask = 0
        if "r" in access:
            mask |= S.FILE_READ_DATA | S.FILE_READ_ATTRIBUTES
        if "w" in access:
            mask |= S.FILE_WRITE_DATA | S.FILE_APPEND_DATA | S.FILE_WRITE_ATTRIBUTES
        if "d" in access:
            mask |= S.DELETE
        shmode = 0
        if "r" in share:
            shmode |= S.FILE_SHARE_READ
        if "w" in share:
            shmode |= S.FILE_SHARE_WRITE
        if "d" in share:
            shmode |= S.FILE_SHARE_DELETE
        disposition = {"open": S.FILE_OPEN, "create": S.FILE_OPEN_IF,
                       "overwrite": S.FILE_OVERWRITE_IF}[disp]
        lease = S.SMB2_CREATE_REQUEST_LEASE()
        lease["LeaseKey"] = self.key
        lease["LeaseState"] = want
        t0 = time.monotonic()
        self.fid = self.smb.create(self.tid, self.args.file, mask, shmode,
                                   S.FILE_NON_DIRECTORY_FILE, disposition,
                                   S.FILE_ATTRIBUTE_NORMAL,
                                   oplockLevel=S.SMB2_OPLOCK_LEVEL_LEASE,
                                   createContexts=[RawContext(b"RqLs", lease.getData())])
        self.state = self.granted(self.last_create)
        say("open granted=%s" % state_text(self.state))
        say("open took %.4f" % (time.monotonic() - t0))

    @staticmethod
    def granted(packet):
        resp = S.SMB2Create_Response(packet["Data"])
        if resp["OplockLevel"] != S.SMB2_OPLOCK_LEVEL_LEASE:
            return 0
        raw = packet["Data"]
        off = resp["CreateContextsOffset"] - 64
        end = off + resp["CreateContextsLength"]
        while off < end:
            nxt, name_off, name_len, _, data_off, data_len = struct.unpack_from("<LHHHHL", raw, off)
            name = raw[off + name_off:off + name_off + name_len]
            if name == b"RqLs":
                return struct.unpack_from("<L", raw, off + data_off + 16)[0]
            if not nxt:
                break
            off += nxt
        return 0

    def pending_break(self):
        return self.smb._Connection["OutstandingResponses"].pop(BREAK_ID, None)

    def handle_break(self, packet, ack_mode):
        note = S.SMB2LeaseBreakNotification(packet["Data"])
        new = note["NewLeaseState"]
        say("break %s->%s" % (state_text(note["CurrentLeaseState"]), state_text(new)))
        if not note["Flags"] & S.SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED:
            self.state = new
            return
        modes = ack_mode.split(",")
        ack_mode = modes[min(self.acked, len(modes) - 1)]
        self.acked += 1
        if ack_mode == "no":
            return
        if ack_mode != "yes":
            time.sleep(int(ack_mode) / 1000.0)
        if self.args.flush is not None and note["CurrentLeaseState"] & LETTERS["W"]:
            self.write("0:" + self.args.flush, "flushed")
        pkt = self.smb.SMB_PACKET()
        pkt["Command"] = S.SMB2_OPLOCK_BREAK
        pkt["TreeID"] = self.tid
        ack = S.SMB2LeaseBreakAcknowledgement()
        ack["LeaseKey"] = note["LeaseKey"]
        ack["LeaseState"] = new
        pkt["Data"] = ack
        ans = self.smb.recvSMB(self.smb.sendSMB(pkt))
        self.state = new
        say("ack %s%s" % (state_text(new), "" if ans["Status"] == 0 else
                          " " + status_name(ans["Status"])))

    def hold(self, seconds, ack_mode):
        end = time.time() + float(seconds)
        sock = self.smb.get_socket()
        while time.time() < end:
            packet = self.pending_break()
            if packet is None:
                # Wait for data first: a receive that times out half way
                # through a message would lose the rest of it.
                if not select.select([sock], [], [], 0.2)[0]:
                    continue
                packet = self.smb.recvSMB()
            if packet["Command"] == S.SMB2_OPLOCK_BREAK:
                self.handle_break(packet, ack_mode)

    def write(self, spec, done="write ok"):
        off, text = spec.split(":", 1)
        try:
            self.smb.write(self.tid, self.fid, text.encode(), int(off), len(text.encode()))
            say(done)
        except Exception as e:
            say("write %s" % e)

    def read(self, spec):
        off, length = spec.split(":")
        data = self.smb.read(self.tid, self.fid, int(off), int(length))
        say("read %s" % data.decode(errors="replace"))

    def lock(self, spec, unlock=False):
        parts = spec.split(":")
        el = S.SMB2_LOCK_ELEMENT()
        el["Offset"] = int(parts[0])
        el["Length"] = int(parts[1])
        if unlock:
            el["Flags"] = S.SMB2_LOCKFLAG_UNLOCK
        else:
            el["Flags"] = (S.SMB2_LOCKFLAG_EXCLUSIVE_LOCK if parts[2] == "x"
                           else S.SMB2_LOCKFLAG_SHARED_LOCK)
            if not (len(parts) > 3 and parts[3] == "wait"):
                el["Flags"] |= S.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
        pkt = self.smb.SMB_PACKET()
        pkt["Command"] = S.SMB2_LOCK
        pkt["TreeID"] = self.tid
        req = S.SMB2Lock()
        req["FileID"] = self.fid
        req["LockCount"] = 1
        req["Locks"] = el.getData()
        pkt["Data"] = req
        self.smb._timeout = 120
        ans = self.smb.recvSMB(self.smb.sendSMB(pkt))
        word = "unlock" if unlock else "lock"
        if ans["Status"] == 0:
            say("%s %s" % (word, "ok" if unlock else "granted"))
        else:
            say("%s %s" % (word, status_name(ans["Status"])))

    def close(self):
        self.smb.close(self.tid, self.fid)
        say("closed")

    def reconnect(self, seconds):
        try:
            self.smb.get_socket().shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end = time.time() + float(seconds)
        while True:
            try:
                self.connect()
                break
            except Exception:
                if time.time() > end:
                    raise
                time.sleep(0.5)
        self.fid = None
        say("reconnected")

    @staticmethod
    def waitfile(path):
        while not os.path.exists(path):
            time.sleep(0.01)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--user", default="xlock")
    p.add_argument("--password", default="xlock-e2e")
    p.add_argument("--share", default="share")
    p.add_argument("--ack", default="yes")
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--guid")
    p.add_argument("--key")
    p.add_argument("--flush")
    p.add_argument("file")
    p.add_argument("ops", nargs="+")
    a = p.parse_args()
    global GUID
    if a.guid is not None:
        if len(a.guid) != 16 or not a.guid.isascii():
            say("error --guid takes 16 ASCII characters")
            return 2
        GUID = a.guid
    try:
        c = Client(a)
        for op in a.ops:
            verb, _, rest = op.partition(":")
            if verb == "open":
                c.open(rest)
            elif verb == "write":
                c.write(rest)
            elif verb == "read":
                c.read(rest)
            elif verb == "lock":
                c.lock(rest)
            elif verb == "unlock":
                c.lock(rest, unlock=True)
            elif verb == "hold":
                c.hold(rest, a.ack)
            elif verb == "close":
                c.close()
            elif verb == "waitfile":
                c.waitfile(rest)
            elif verb == "ready":
                say("ready")
            elif verb == "reconnect":
                c.reconnect(rest)
            else:
                say("error unknown op %s" % op)
                return 2
    except Exception as e:
        say("error %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
