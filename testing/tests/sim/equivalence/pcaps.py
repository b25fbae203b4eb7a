# SPDX-License-Identifier: GPL-2.0
"""Classic pcap reading and writing for the equivalence test (Ethernet)."""
import struct


def read(path):
    """[(timestamp in µs, frame bytes)] of a classic pcap (µs or ns)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f'{path}: not a pcap file')
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = '>'
        magic = struct.unpack('>I', data[:4])[0]
    else:
        raise ValueError(f'{path}: not a pcap file')
    nano = magic == 0xa1b23c4d
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        out.append((sec * 1000000 + (frac // 1000 if nano else frac), data[off:off + incl]))
        off += incl
    return out
