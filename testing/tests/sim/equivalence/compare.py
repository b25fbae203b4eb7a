#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare what the simulator wrote with what a kernel router sent, frame by
frame and byte by byte, per egress device.

usage: compare.py SCENARIO IMPL SIMDIR KERNELDIR DEV...

SIMDIR holds the simulator's DEV.pcap, KERNELDIR the kernel's capture of the
same device's egress (DEV.pcap). Frames that are not IPv4/IPv6, and ICMPv6
neighbour discovery and MLD, are the kernel's own chatter and are left out.
Prints one line per device and the totals as `compared N identical N
differing N`; a differing frame names the first field that differs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaps  # noqa: E402

ND_MLD = set(range(130, 138)) | {143}


def l3_start(f):
    off, et = 12, int.from_bytes(f[12:14], 'big')
    while et in (0x8100, 0x88a8) and len(f) >= off + 6:
        off += 4
        et = int.from_bytes(f[off:off + 2], 'big')
    return off + 2, et


def keep(f):
    l3, et = l3_start(f)
    if et == 0x0800:
        return True
    if et != 0x86dd:
        return False
    return not (len(f) > l3 + 40 and f[l3 + 6] == 58 and f[l3 + 40] in ND_MLD)


IPV4 = [(1, 'version/ihl'), (2, 'tos'), (4, 'tot_len'), (6, 'id'), (8, 'frag_off'), (9, 'ttl'),
        (10, 'protocol'), (12, 'ip checksum'), (16, 'saddr'), (20, 'daddr')]
IPV6 = [(4, 'version/class/flow'), (6, 'payload_len'), (7, 'nexthdr'), (8, 'hop_limit'),
        (24, 'saddr'), (40, 'daddr')]
TCP = [(2, 'sport'), (4, 'dport'), (8, 'seq'), (12, 'ack'), (13, 'doff'), (14, 'tcp flags'),
       (16, 'window'), (18, 'tcp checksum'), (20, 'urgent')]
UDP = [(2, 'sport'), (4, 'dport'), (6, 'udp len'), (8, 'udp checksum')]


def field(f, at):
    """The name of the field at byte @at of frame @f."""
    if at < 6:
        return 'eth dst'
    if at < 12:
        return 'eth src'
    l3, et = l3_start(f)
    if at < l3:
        return 'vlan tags / ethertype'
    rel = at - l3
    if et == 0x0800:
        ihl, proto, table = (f[l3] & 0xf) * 4, f[l3 + 9], IPV4
    else:
        ihl, proto, table = 40, f[l3 + 6], IPV6
    if rel < ihl:
        return next((n for end, n in table if rel < end), 'ip options')
    rel -= ihl
    for end, n in (TCP if proto == 6 else UDP if proto == 17 else []):
        if rel < end:
            return n
    return 'payload'


def first_difference(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return f'{field(a, i)} (byte {i}: sim {a[i]:#04x}, kernel {b[i]:#04x})'
    return f'length (sim {len(a)}, kernel {len(b)})'


def compare(sim_path, kern_path):
    sim = [f for _, f in pcaps.read(sim_path)] if os.path.exists(sim_path) else []
    kern = [f for _, f in pcaps.read(kern_path)] if os.path.exists(kern_path) else []
    kern = [f for f in kern if keep(f)]
    n = max(len(sim), len(kern))
    same, first = 0, ''
    for i in range(n):
        a = sim[i] if i < len(sim) else None
        b = kern[i] if i < len(kern) else None
        if a == b:
            same += 1
        elif not first:
            if a is None:
                first = f'frame {i + 1}: only the kernel sent it'
            elif b is None:
                first = f'frame {i + 1}: only the simulator sent it'
            else:
                first = f'frame {i + 1}: {first_difference(a, b)}'
    return n, same, first


def main(argv):
    scen, impl, simdir, kdir, devs = argv[1], argv[2], argv[3], argv[4], argv[5:]
    total = same_total = 0
    for dev in devs:
        n, same, first = compare(os.path.join(simdir, dev + '.pcap'), os.path.join(kdir, dev + '.pcap'))
        total += n
        same_total += same
        line = f'equivalence: {scen:<10} {dev:<5} {impl:<8} compared {n:3} identical {same:3} differing {n - same:3}'
        print(line + (f'  first: {first}' if first else ''))
    print(f'equivalence: {scen:<10} all   {impl:<8} compared {total:3} identical {same_total:3} '
          f'differing {total - same_total:3}')
    return 0 if total == same_total and total > 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
