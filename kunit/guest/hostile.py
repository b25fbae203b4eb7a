#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile frames for the guest's hostile-packet run (kunit/guest/hostile.sh).

  hostile.py send --ifname DEV --dst-mac M --src-mac M --flow proto:saddr:sport:daddr:dport ...
                  [--corpus DIR] --count N --seed S --stats FILE
      From a packet socket, send N frames at DEV: frames of the given (offloaded)
      flows mutated at random -- truncated, bogus ihl and options, inconsistent
      lengths, fragments, TTL 0/1, bad TCP data offsets and UDP lengths, VLAN and
      QinQ stacks, PPPoE sessions, IPIP and IP6IP6 with broken inner headers,
      IPv6 extension headers, zero and maximum lengths, random bit flips -- and
      the userspace fastpath fuzzer's corpus (testing/fuzz/corpus/fastpath_fuzz,
      its inputs turned into frames and mutated the same way).

  hostile.py capture --ifname DEV --stats FILE
      Until SIGTERM, read every frame arriving at DEV and check that what the
      router forwarded is well-formed IP (lengths consistent, IPv4 header checksum
      right): what a router may forward, whichever path forwarded it.
"""
import argparse
import json
import os
import random
import signal
import socket
import struct

ETH_P_ALL = 0x0003
stop = False


def on_term(signum, frame):
    global stop
    stop = True


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ihl=5, options=b"", tot_len=None, frag=0x4000, fix=True):
    tl = 20 + len(options) + len(payload) if tot_len is None else tot_len
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 15), 0, tl & 0xFFFF, random.getrandbits(16),
                    frag, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    if fix:
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nexthdr, payload, hlim=64, plen=None):
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000, pl & 0xFFFF, nexthdr, hlim,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def tcp(sport, dport, flags=0x18, doff=5, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), random.getrandbits(32),
                       (doff & 15) << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload=b"", length=None):
    ln = 8 + len(payload) if length is None else length
    return struct.pack("!HHHH", sport, dport, ln & 0xFFFF, 0) + payload


class Flow:
    def __init__(self, spec):
        proto, self.saddr, sport, self.daddr, dport = spec.split(":")
        self.proto, self.sport, self.dport = proto, int(sport), int(dport)

    def l4(self, **kw):
        body = os.urandom(random.choice([0, 1, 7, 64, 512, 1400]))
        if self.proto == "tcp":
            return 6, tcp(self.sport, self.dport, payload=body, **kw)
        return 17, udp(self.sport, self.dport, payload=body, **kw)


def l4_bogus(flow):
    if flow.proto == "tcp":
        return flow.l4(doff=random.randrange(16), flags=random.getrandbits(8))
    return flow.l4(length=random.choice([0, 1, 7, 9, 65535, random.getrandbits(16)]))


def l3_packet(flow):
    """One IPv4 packet of the flow, its IP or L4 header broken one way or another."""
    proto, l4 = flow.l4()
    kind = random.randrange(12)
    kw = {}
    if kind == 0:
        kw["ihl"] = random.randrange(16)
    elif kind == 1:
        kw["tot_len"] = random.choice([0, 1, 19, 20, 21, len(l4) + 19, len(l4) + 21, 65535])
    elif kind == 2:
        n = random.randrange(1, 11)
        kw["ihl"], kw["options"] = 5 + n, os.urandom(4 * n)
    elif kind == 3:
        kw["frag"] = random.choice([0x2000, 0x0001, 0x2010, 0x1fff])
    elif kind == 4:
        kw["ttl"] = random.choice([0, 1])
    elif kind == 5:
        proto, l4 = l4_bogus(flow)
    elif kind == 6:
        kw["fix"] = False  # a wrong header checksum
    elif kind == 7:  # IPIP: the flow inside an outer IPv4 header, maybe cut short
        inner = ipv4(flow.saddr, flow.daddr, proto, l4)
        return ipv4(flow.saddr, flow.daddr, 4, inner[:random.randrange(len(inner) + 1)])
    elif kind == 8:  # IP6IP6 / IPv6 with extension headers, truncated
        inner = ipv6("2001:db8:1::2", "2001:db8:2::2", 17, udp(flow.sport, flow.dport, os.urandom(16)))
        nh = random.choice([0, 41, 43, 44, 60, 17, 6, 59])
        pkt = ipv6("2001:db8:1::2", "2001:db8:2::2", nh, inner,
                   plen=random.choice([None, 0, 8, 65535]), hlim=random.choice([0, 1, 64]))
        return pkt[:random.randrange(len(pkt) + 1)] if random.random() < 0.5 else pkt
    pkt = ipv4(flow.saddr, flow.daddr, proto, l4, **kw)
    return pkt


def ethertype_of(pkt):
    return 0x86DD if pkt[:1] and pkt[0] >> 4 == 6 else 0x0800


def encapsulate(pkt):
    """The packet behind VLAN/QinQ tags or a PPPoE session, or bare."""
    et = ethertype_of(pkt)
    kind = random.randrange(6)
    if kind == 0:  # VLAN / QinQ stacks, 1..4 deep, with a bogus inner type sometimes
        depth = random.randrange(1, 5)
        inner = et if random.random() < 0.8 else random.getrandbits(16)
        hdr = b""
        for i in range(depth):
            hdr += struct.pack("!H", random.getrandbits(12))
            hdr += struct.pack("!H", 0x8100 if i < depth - 1 else inner)
        return struct.pack("!H", random.choice([0x8100, 0x88A8])), hdr + pkt
    if kind == 1:  # PPPoE session
        ppp = {0x0800: 0x0021, 0x86DD: 0x0057}[et] if random.random() < 0.8 else random.getrandbits(16)
        ln = random.choice([len(pkt) + 2, 0, 1, len(pkt) + 100, 65535])
        hdr = struct.pack("!BBHHH", 0x11, 0, random.getrandbits(16), ln & 0xFFFF, ppp)
        return struct.pack("!H", 0x8864), hdr + pkt
    return struct.pack("!H", et), pkt


def frame_from_corpus(data):
    """A fastpath fuzzer input (mode byte, then bytes) as an Ethernet frame's payload."""
    mode, body = data[0], data[1:]
    entry = (mode >> 1) % 3
    if entry == 2 or len(body) < 14:  # an IP packet
        return struct.pack("!H", ethertype_of(body)), body
    return body[12:14], body[14:]


def mutate(frame):
    frame = bytearray(frame)
    for _ in range(random.choice([0, 0, 1, 2, 8])):
        if len(frame) > 14:
            frame[random.randrange(14, len(frame))] ^= 1 << random.randrange(8)
    cut = random.random()
    if cut < 0.15:
        del frame[random.randrange(len(frame) + 1):]
    elif cut < 0.2:
        frame += os.urandom(max(0, 1514 - len(frame)))  # maximum size, inconsistent lengths
    elif cut < 0.22:
        frame += os.urandom(2000)  # beyond the MTU: the sender refuses it
    return bytes(frame)


def send(args):
    random.seed(args.seed)
    flows = [Flow(f) for f in args.flow]
    corpus = []
    if args.corpus and os.path.isdir(args.corpus):
        for name in sorted(os.listdir(args.corpus)):
            with open(os.path.join(args.corpus, name), "rb") as f:
                data = f.read()
            if data:
                corpus.append(data)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.ifname, 0))
    dst, src = bytes.fromhex(args.dst_mac.replace(":", "")), bytes.fromhex(args.src_mac.replace(":", ""))
    # pre_hook: VLAN-tagged frames too short for the tag, which the receive path drops
    # (skb_vlan_untag) before any ingress hook sees them.
    st = dict(sent=0, refused=0, from_corpus=len(corpus), corpus_frames=0, short=0, pre_hook=0)
    for i in range(args.count):
        if corpus and i % 4 == 0:
            et, payload = frame_from_corpus(corpus[(i // 4) % len(corpus)])
            st["corpus_frames"] += 1
        else:
            et, payload = encapsulate(l3_packet(random.choice(flows)))
        frame = mutate(dst + src + et + payload)
        st["short"] += len(frame) < 60
        try:
            s.send(frame)
            st["sent"] += 1
            st["pre_hook"] += frame[12:14] in (b"\x81\x00", b"\x88\xa8") and len(frame) < 22
        except OSError:
            st["refused"] += 1  # shorter than a header or longer than the MTU
    with open(args.stats, "w") as f:
        json.dump(st, f)


def ip_ok(et, p):
    """Whether an IP packet forwarded by the router is well-formed."""
    if et == 0x0800:
        if len(p) < 20 or p[0] >> 4 != 4:
            return False
        ihl, tot = (p[0] & 15) * 4, struct.unpack("!H", p[2:4])[0]
        return ihl >= 20 and ihl <= tot <= len(p) and csum(bytes(p[:ihl])) == 0
    if len(p) < 40 or p[0] >> 4 != 6:
        return False
    return 40 + struct.unpack("!H", p[4:6])[0] <= len(p)


def capture(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((args.ifname, 0))
    s.settimeout(0.5)
    st = dict(frames=0, ip=0, ip_bad=0, bad=[])
    while not stop:
        try:
            frame, addr = s.recvfrom(65535)
        except (socket.timeout, InterruptedError):
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        st["frames"] += 1
        et = struct.unpack("!H", frame[12:14])[0]
        if et not in (0x0800, 0x86DD):
            continue
        st["ip"] += 1
        if not ip_ok(et, frame[14:]):
            st["ip_bad"] += 1
            if len(st["bad"]) < 5:
                st["bad"].append(frame[:64].hex())
    with open(args.stats, "w") as f:
        json.dump(st, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "capture"])
    p.add_argument("--ifname", required=True)
    p.add_argument("--dst-mac")
    p.add_argument("--src-mac")
    p.add_argument("--flow", action="append", default=[])
    p.add_argument("--corpus")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stats", required=True)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    if args.mode == "send":
        send(args)
    else:
        capture(args)


if __name__ == "__main__":
    main()
