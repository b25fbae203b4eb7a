#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Replay captures into a router, in the order and with the spacing of their
timestamps, through AF_PACKET sockets on the wires' far ends.

usage: inject.py [--min-gap MS] IFACE=PCAP...

Frames of all captures are merged by timestamp (ties: argument order, then
file order). Gaps shorter than --min-gap (default 20 ms) are stretched so the
router has handled one frame before the next arrives under emulation; longer
ones are kept. Prints how many frames went out per interface.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaps  # noqa: E402


def main(argv):
    min_gap = 0.020
    args = argv[1:]
    if args[:1] == ['--min-gap']:
        min_gap = float(args[1]) / 1000
        args = args[2:]
    frames, socks, sent = [], {}, {}
    for i, spec in enumerate(args):
        iface, path = spec.split('=', 1)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        socks[iface] = s
        sent[iface] = 0
        for j, (ts, frame) in enumerate(pcaps.read(path)):
            frames.append((ts, i, j, iface, frame))
    frames.sort()
    prev = None
    for ts, _, _, iface, frame in frames:
        if prev is not None:
            time.sleep(max(min_gap, (ts - prev) / 1e6))
        prev = ts
        socks[iface].send(frame)
        sent[iface] += 1
    print('injected ' + ', '.join(f'{k} {v}' for k, v in sent.items()))


if __name__ == '__main__':
    main(sys.argv)
