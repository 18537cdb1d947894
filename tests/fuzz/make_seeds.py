#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets that start from frames and captures
(tests/fuzz/corpus/<target>/).  The seeds are committed; run this again only to change them:

    python3 tests/fuzz/make_seeds.py

Standard library only.  Each seed is a small, readable case the fuzzer mutates from: a TCP flow
(which `replay --tso` coalesces), UDP over IPv6, a VLAN tag, wrong checksums, and the bad cases
a capture can have (a runt, a record cut short, another link type, a truncated file).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAC = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")
SRC4, DST4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
SRC6 = bytes.fromhex("fd000000000000000000000000000001")
DST6 = bytes.fromhex("fd000000000000000000000000000002")


def cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, l4, good=True):
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 7, 0x4000, 64, proto, 0,
                                SRC4, DST4))
    hdr[10:12] = struct.pack("!H", cksum(bytes(hdr)) if good else 0xBEEF)
    return bytes(hdr)


def tcp(seq, payload, pseudo, good=True):
    t = bytearray(struct.pack("!HHIIBBHHH", 40000, 80, seq, 1, 0x50, 0x18, 65535, 0, 0))
    t[16:18] = struct.pack("!H", cksum(pseudo(6, len(t) + len(payload)) + bytes(t) + payload)
                           if good else 0x1234)
    return bytes(t) + payload


def udp(payload, pseudo):
    u = bytearray(struct.pack("!HHHH", 5000, 53, 8 + len(payload), 0))
    u[6:8] = struct.pack("!H", cksum(pseudo(17, len(u) + len(payload)) + bytes(u) + payload))
    return bytes(u) + payload


def pseudo4(proto, n):
    return SRC4 + DST4 + struct.pack("!BBH", 0, proto, n)


def pseudo6(proto, n):
    return SRC6 + DST6 + struct.pack("!IxxxB", n, proto)


def tcp4_frame(seq, payload, good=True, vlan=None):
    l4 = tcp(seq, payload, pseudo4, good)
    eth = MAC + (struct.pack("!HH", 0x8100, vlan) if vlan is not None else b"") + b"\x08\x00"
    return eth + ipv4(6, l4, good) + l4


def udp6_frame(payload):
    l4 = udp(payload, pseudo6)
    ip6 = struct.pack("!IHBB16s16s", 0x60000000, len(l4), 17, 64, SRC6, DST6)
    return MAC + b"\x86\xdd" + ip6 + l4


def udp4_frame(payload):
    l4 = udp(payload, pseudo4)
    return MAC + b"\x08\x00" + ipv4(17, l4) + l4


def pcap(records, link=1, nano=False):
    """records: (frame, original length or None)."""
    out = struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)
    for i, (frame, orig) in enumerate(records):
        out += struct.pack("<IIII", 1, i, len(frame), orig if orig else len(frame)) + frame
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    p = lambda n, s: bytes((s + 7 * i) & 0xFF for i in range(n))
    flow = [tcp4_frame(1000 + 100 * k, p(100, k)) for k in range(3)]
    frames = {
        "tcp4": flow[0],
        "tcp4-bad-csum": tcp4_frame(5, p(33, 9), good=False),
        "tcp4-vlan": tcp4_frame(9, p(20, 3), vlan=42),
        "udp6": udp6_frame(p(50, 1)),
        "udp4-odd": udp4_frame(p(17, 2)),
        "runt": MAC + b"\x08\x00" + b"\x45\x00",
    }
    # replay_fuzz: whole captures.
    write("replay_fuzz", "tcp-flow.pcap", pcap([(f, None) for f in flow] + [(frames["udp4-odd"], None)]))
    write("replay_fuzz", "mixed-nano.pcap",
          pcap([(frames[k], None) for k in ("udp6", "tcp4-vlan", "tcp4-bad-csum")], nano=True))
    write("replay_fuzz", "runt-and-snapped.pcap",
          pcap([(frames["runt"], None), (frames["tcp4"][:40], len(frames["tcp4"])),
                (frames["tcp4"], None)]))
    write("replay_fuzz", "raw-ip-link.pcap", pcap([(frames["tcp4"][14:], None)], link=101))
    write("replay_fuzz", "truncated.pcap", pcap([(frames["udp6"], None)])[:-9])
    # rx_parse_fuzz: one frame per seed, as the receive engine sees it on the wire.
    for name, f in frames.items():
        write("rx_parse_fuzz", name, f)
    # desc_fuzz: descriptors, each a selector byte (buffer 0-2, or 3: the address as it is; 4:
    # length cut to the buffer) and the 32 bytes of a transmit descriptor (address, length, eop,
    # then the 16-byte offload command).
    def desc(sel, addr, length, eop, cmd=bytes(16)):
        return bytes([sel]) + struct.pack("<QHBx4x", addr, length, eop) + cmd
    write("desc_fuzz", "one-frame", desc(4, 3, 200, 1))
    write("desc_fuzz", "three-pieces", desc(0, 10, 60, 0) + desc(1, 100, 60, 0) + desc(2, 7, 60, 1))
    write("desc_fuzz", "zero-length", desc(0, 0, 0, 0) + desc(4, 0, 100, 1) + desc(4, 0, 64, 1))
    write("desc_fuzz", "outside-arena", desc(3, 0x1000, 100, 1) + desc(4, 0, 100, 1))
    write("desc_fuzz", "no-eop-run", b"".join(desc(4, 64 * i, 64, 0) for i in range(18)))
    write("desc_fuzz", "some-command", desc(4, 0, 1000, 1, p(16, 5)))
    # rx_desc_fuzz: a ring-size byte (2^(1 + b % 6) entries), then receive descriptors (a
    # selector: cluster 0-2, or 3: the address as it is; 4: length to 11 bits; 8: to 6 bits; and
    # the 16 bytes of an rx_desc) and frames (0x80, 0x40: bad, 0x20: do not wait; the length - 1
    # as 16 bits, then up to 64 literal bytes that start it).
    def rxd(sel, addr, length):
        return bytes([sel]) + struct.pack("<QH6x", addr, length)

    def rxf(frame_or_len, flags=0):
        f = frame_or_len if isinstance(frame_or_len, bytes) else b""
        n = len(f) if f else frame_or_len
        lit = f[:64]
        return bytes([0x80 | flags]) + struct.pack("<HB", n - 1, len(lit)) + lit

    ring64, ring4 = bytes([5]), bytes([1])
    write("rx_desc_fuzz", "one-buffer", ring64 + rxd(0, 3, 2048) + rxf(frames["tcp4"]))
    write("rx_desc_fuzz", "many-buffers",
          ring64 + b"".join(rxd(4 | (i % 3), 1000 * i + i, 100) for i in range(8)) +
          rxf(frames["udp6"] + p(600, 4)) + rxf(frames["tcp4-vlan"]))
    write("rx_desc_fuzz", "zero-length",
          ring64 + rxd(0, 0, 0) + rxd(1, 7, 2048) + rxd(2, 0, 0) + rxd(0, 4096, 2048) +
          rxf(100) + rxf(3000) + rxf(100) + rxf(100))
    write("rx_desc_fuzz", "outside-arena",
          ring64 + rxd(3, 0x1000, 2048) + rxd(0, 0, 2048) + rxd(3, 2**64 - 100, 1000) +
          rxf(frames["udp4-odd"]) + rxf(200) + rxf(200))
    write("rx_desc_fuzz", "bad-frames",
          ring64 + rxd(0, 64, 9216) + rxd(1, 1, 9216) + rxf(frames["runt"]) +
          rxf(frames["tcp4"], 0x40) + rxf(9300) + rxf(9216) + rxf(frames["tcp4-bad-csum"]))
    write("rx_desc_fuzz", "too-many-buffers",
          ring64 + b"".join(rxd(8 | (i % 3), 64 * i, 63) for i in range(20)) + rxf(1010) +
          rxf(1000) + rxf(300))
    write("rx_desc_fuzz", "burst-wrap",
          ring4 + (rxd(4, 5, 1500) + rxd(5, 9, 1500) + rxd(6, 13, 1500) + rxf(1400, 0x20) +
                   rxf(1400, 0x20) + rxf(1400)) * 3)


if __name__ == "__main__":
    main()
