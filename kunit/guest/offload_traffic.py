#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic and capture for the hardware-offload guest test (offload.sh).

  serve CASES              echo every message back (TCP and UDP), until killed
  client CASES DIR         phase 1: connect, a few messages each way; touch
                           DIR/phase1; wait for DIR/go; phase 2: more messages;
                           touch DIR/phase2; wait for DIR/close; close
  capture IFACE OUT        one canonical line per frame received on IFACE, until
                           killed; repeated TCP segments apart in OUT.dup, the
                           TCP segments sent in OUT.sent (retransmission check),
                           RSTs without data apart in OUT.rst

OFFLOAD_PHASE2_SECONDS=S makes phase 2 last S seconds (an exchange every 0.5 s).
OFFLOAD_RST_CASES=NAME,... closes those TCP cases with a RST instead of a FIN.
CASES is a file of lines "name family proto src sport dst dport listen_port".
Canonical frame lines keep what a router changes (MACs, VLAN tags, addresses,
TTL / hop limit, ports, TCP flags, payload, checksum validity) and leave out
what the end hosts choose per run (TCP sequence numbers, windows, options,
IPv4 ids) and pure ACKs, whose number depends on timing. An end host's RST
without data goes apart too: one answers a segment that arrives at a socket
already gone (a retransmitted handshake or close on a slow TCG host), which
timing decides, not the router; OUT.rst keeps them, canonical, for the log.
"""
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

PHASE1, PHASE2 = 2, 3  # messages per direction in each phase
# A busy TCG host can hold a round trip for many seconds (stock's first
# hardware adds queue behind its statistics work): a lost message is a
# failure, a slow one is not.
SOCKET_TIMEOUT = 30


def read_cases(path):
    cases = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 8:
                cases.append(dict(name=w[0], fam=int(w[1]), proto=w[2], src=w[3],
                                  sport=int(w[4]), dst=w[5], dport=int(w[6]),
                                  lport=int(w[7])))
    return cases


def family(c):
    return socket.AF_INET if c['fam'] == 4 else socket.AF_INET6


def wait_file(path, seconds=120):
    end = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit('timeout waiting for ' + path)
        time.sleep(0.05)


def touch(path):
    open(path, 'w').close()


# ------------------------------------------------------------------ server

def serve(cases):
    socks = {}
    for c in cases:
        af = family(c)
        key = (af, c['proto'], c['lport'])
        if key in socks:
            continue
        if c['proto'] == 'tcp':
            s = socket.socket(af, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('::' if af == socket.AF_INET6 else '0.0.0.0', c['lport']))
            s.listen(8)
        else:
            s = socket.socket(af, socket.SOCK_DGRAM)
            s.bind(('::' if af == socket.AF_INET6 else '0.0.0.0', c['lport']))
        socks[s] = c['proto']
    print('serving %d sockets' % len(socks), flush=True)
    while True:
        ready, _, _ = select.select(list(socks), [], [])
        for s in ready:
            kind = socks[s]
            if kind == 'tcp':
                conn, _ = s.accept()
                socks[conn] = 'conn'
            elif kind == 'udp':
                data, peer = s.recvfrom(2048)
                s.sendto(b'echo ' + data, peer)
            else:
                data = s.recv(2048)
                if not data:
                    del socks[s]
                    s.close()
                    continue
                s.sendall(b'echo ' + data)


# ------------------------------------------------------------------ client

def connect(c):
    af = family(c)
    kind = socket.SOCK_STREAM if c['proto'] == 'tcp' else socket.SOCK_DGRAM
    s = socket.socket(af, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if kind == socket.SOCK_STREAM:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((c['src'], c['sport']))
    s.settimeout(SOCKET_TIMEOUT)
    s.connect((c['dst'], c['dport']))
    return s


def exchange(c, s, i):
    msg = ('%s message %d ' % (c['name'], i)).encode().ljust(64, b'.')
    s.send(msg)
    want = b'echo ' + msg
    got = b''
    while len(got) < len(want):
        part = s.recv(2048)
        if not part:
            break
        got += part
    return got == want


def exchanges(c, s, first, count, seconds):
    # With seconds: keep going, one exchange every half second, that long.
    end = time.time() + seconds
    i = first
    while i < first + count or time.time() < end:
        if not exchange(c, s, i):
            return False
        i += 1
        if seconds:
            time.sleep(0.5)
    return True


def run_phase(cases, socks, ok, first, count, label, seconds=0):
    def one(c):
        name = c['name']
        try:
            if name not in socks:
                socks[name] = connect(c)
            ok[name] = exchanges(c, socks[name], first, count, seconds)
        except OSError as e:
            print('%s: %s: %s' % (name, label, e), flush=True)
            ok[name] = False
    # Cases run side by side: the guest's round trips are slow, not busy.
    threads = [threading.Thread(target=one, args=(c,)) for c in cases if ok.get(c['name'], True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def client(cases, d):
    socks, ok = {}, {}
    run_phase(cases, socks, ok, 0, PHASE1, 'phase 1')
    touch(os.path.join(d, 'phase1'))
    wait_file(os.path.join(d, 'go'))
    run_phase(cases, socks, ok, PHASE1, PHASE2, 'phase 2',
              float(os.environ.get('OFFLOAD_PHASE2_SECONDS', '0')))
    touch(os.path.join(d, 'phase2'))
    wait_file(os.path.join(d, 'close'))
    rst = os.environ.get('OFFLOAD_RST_CASES', '').split(',')
    for name, s in socks.items():
        if name in rst:
            # Linger on, timeout 0: close() aborts with a RST instead of a FIN.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
    with open(os.path.join(d, 'client.result'), 'w') as f:
        for c in cases:
            f.write('%s %s\n' % (c['name'], 'ok' if ok.get(c['name']) else 'FAILED'))


# ------------------------------------------------------------------ capture

def csum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


def l4_ok(pseudo, seg):
    return csum(pseudo + seg) == 0xffff


def canon_l4(proto, seg, pseudo):
    if proto == 6 and len(seg) >= 20:
        sport, dport, _, _, off_flags = struct.unpack('!HHIIH', seg[:14])
        hlen = (off_flags >> 12) * 4
        flags = off_flags & 0x3f
        payload = seg[hlen:]
        if not payload and not flags & 0x07:  # a pure ACK: timing decides how many
            return None
        return 'tcp %d>%d flags=%02x csum=%s len=%d %s' % (
            sport, dport, flags, 'ok' if l4_ok(pseudo, seg) else 'BAD', len(payload),
            payload[:40].decode('ascii', 'replace'))
    if proto == 17 and len(seg) >= 8:
        sport, dport, _, ck = struct.unpack('!HHHH', seg[:8])
        good = ck == 0 or l4_ok(pseudo, seg)
        return 'udp %d>%d csum=%s len=%d %s' % (sport, dport, 'ok' if good else 'BAD',
                                               len(seg) - 8, seg[8:48].decode('ascii', 'replace'))
    return None


def canon_ip(pkt):
    if pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack('!H', pkt[2:4])[0]
        ttl, proto = pkt[8], pkt[9]
        src, dst = socket.inet_ntop(socket.AF_INET, pkt[12:16]), socket.inet_ntop(socket.AF_INET, pkt[16:20])
        seg = pkt[ihl:total]
        pseudo = pkt[12:20] + struct.pack('!BBH', 0, proto, len(seg))
        l4 = canon_l4(proto, seg, pseudo)
        if l4 is None:
            return None
        return 'ip4 %s>%s ttl=%d hcsum=%s %s' % (src, dst, ttl, 'ok' if csum(pkt[:ihl]) == 0xffff else 'BAD', l4)
    if pkt[0] >> 4 == 6:
        plen, proto, hlim = struct.unpack('!HBB', pkt[4:8])
        src, dst = socket.inet_ntop(socket.AF_INET6, pkt[8:24]), socket.inet_ntop(socket.AF_INET6, pkt[24:40])
        seg = pkt[40:40 + plen]
        pseudo = pkt[8:40] + struct.pack('!I3xB', len(seg), proto)
        l4 = canon_l4(proto, seg, pseudo)
        if l4 is None:
            return None
        return 'ip6 %s>%s hlim=%d %s' % (src, dst, hlim, l4)
    return None


def ip_start(frame):
    """Offset and ethertype of the IP header after any in-frame VLAN tags."""
    off = 12
    etype = struct.unpack('!H', frame[off:off + 2])[0]
    while etype in (0x8100, 0x88a8):
        off += 4
        etype = struct.unpack('!H', frame[off:off + 2])[0]
    return off + 2, etype


def tcp_segment(frame):
    """'seq len syn/fin' of a TCP segment that carries data, SYN or FIN, else None.

    Sequence numbers survive NAT, so the same segment is recognised on both
    sides of the router: a duplicate on arrival is a retransmission only if
    the sending host put it on the wire twice too.
    """
    off, etype = ip_start(frame)
    pkt = frame[off:]
    if etype == 0x0800 and len(pkt) >= 20 and pkt[9] == 6:
        ihl = (pkt[0] & 15) * 4
        seg = pkt[ihl:struct.unpack('!H', pkt[2:4])[0]]
    elif etype == 0x86dd and len(pkt) >= 40 and pkt[6] == 6:
        seg = pkt[40:40 + struct.unpack('!H', pkt[4:6])[0]]
    else:
        return None
    if len(seg) < 20:
        return None
    seq, off_flags = struct.unpack('!I', seg[4:8])[0], struct.unpack('!H', seg[12:14])[0]
    paylen = len(seg) - (off_flags >> 12) * 4
    if not paylen and not off_flags & 0x07:
        return None
    return '%d %d %d' % (seq, paylen, off_flags & 0x07)


def canon_frame(frame, aux_vlan):
    dst, src = frame[0:6].hex(':'), frame[6:12].hex(':')
    tags = ['%d' % aux_vlan] if aux_vlan is not None else []
    off = 12
    etype = struct.unpack('!H', frame[off:off + 2])[0]
    while etype in (0x8100, 0x88a8):
        tags.append('%d' % (struct.unpack('!H', frame[off + 2:off + 4])[0] & 0xfff))
        off += 4
        etype = struct.unpack('!H', frame[off:off + 2])[0]
    if etype not in (0x0800, 0x86dd):
        return None
    ip = canon_ip(frame[off + 2:])
    if ip is None:
        return None
    return '%s>%s vlan=%s %s' % (src, dst, ','.join(tags) or '-', ip)


PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4


def capture(iface, out):
    """Received frames to OUT; a TCP segment received a second time to
    OUT.dup ('seq len flags line'); TCP segments this host sent to OUT.sent;
    RSTs without data to OUT.rst."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(263, PACKET_AUXDATA, 1)  # SOL_PACKET: learn of stripped VLAN tags
    s.bind((iface, 0))
    stop = []
    seen = set()
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    with open(out, 'w') as f, open(out + '.dup', 'w') as dup, open(out + '.sent', 'w') as sent, \
            open(out + '.rst', 'w') as rst:
        touch(out + '.ready')
        while not stop:
            try:
                r, _, _ = select.select([s], [], [], 0.2)
            except InterruptedError:
                continue
            if not r:
                continue
            data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(32))
            seg = tcp_segment(data)
            if addr[2] == socket.PACKET_OUTGOING:
                if seg:
                    sent.write(seg + '\n')
                    sent.flush()
                continue
            vlan = None
            for level, kind, cdata in anc:
                if level == 263 and kind == PACKET_AUXDATA and len(cdata) >= 20:
                    status, _, _, _, _, tci, _ = struct.unpack('IIIHHHH', cdata[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        vlan = tci & 0xfff
            line = canon_frame(data, vlan)
            if not line:
                continue
            if seg and seg.split()[1:] == ['0', '4']:  # no data, RST only
                rst.write(line + '\n')
                rst.flush()
                continue
            if seg and seg in seen:
                dup.write(seg + ' ' + line + '\n')
                dup.flush()
                continue
            if seg:
                seen.add(seg)
            f.write(line + '\n')
            f.flush()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == 'serve':
        serve(read_cases(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == 'client':
        client(read_cases(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == 'capture':
        capture(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
