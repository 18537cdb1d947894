#!/usr/bin/env python3
"""Golden segments for sw_segment_test.cc (SegGolden), from the rules and RFC 1071 alone.

Nothing here comes from the project: the sum, the pseudo-headers and the per-segment rules are
written out again, so the C++ test compares the twin with a second, independent reading of the
contract.  Run it and paste the hex lines into the test.
"""
import struct


def rfc1071(data):
    """Folded ones'-complement sum of big-endian 16-bit words (not complemented)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def cksum(data):
    return ~rfc1071(data) & 0xFFFF


def ipv4_tcp():
    """IPv4/TCP, no VLAN, flags CWR|ACK|PSH|FIN, 10 payload bytes in MSS 4."""
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    src, dst = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])
    payload = bytes(range(10))
    seed = rfc1071(src + dst + bytes([0, 6]))  # in_pseudo(src, dst, htons(IPPROTO_TCP))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 50, 0x1234, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", 1234, 80, 0x01020304, 0x0A0B0C0D, 0x50, 0x99, 0xFFFF, seed, 0)
    print("A request", (eth + ip + tcp + payload).hex())
    mss, n = 4, 3
    for k in range(n):
        part = payload[k * mss:(k + 1) * mss]
        i = bytearray(ip)
        i[2:4] = struct.pack("!H", 40 + len(part))
        i[4:6] = struct.pack("!H", 0x1234 + k)
        i[10:12] = struct.pack("!H", cksum(bytes(i)))
        t = bytearray(tcp)
        t[4:8] = struct.pack("!I", (0x01020304 + k * mss) & 0xFFFFFFFF)
        if k != 0:
            t[13] &= ~0x80  # CWR only on the first
        if k != n - 1:
            t[13] &= ~0x09  # FIN and PSH only on the last
        t[16:18] = b"\0\0"
        pseudo = src + dst + bytes([0, 6]) + struct.pack("!H", 20 + len(part))
        t[16:18] = struct.pack("!H", cksum(pseudo + bytes(t) + part))
        print("A segment", k, (eth + bytes(i) + bytes(t) + part).hex())


def ipv6_udp():
    """IPv6/UDP behind one VLAN tag, 7 payload bytes in MSS 3."""
    eth = bytes.fromhex("020000000002" "020000000001" "8100" "2064" "86dd")
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    payload = bytes(0xA0 + i for i in range(7))
    seed = rfc1071(src + dst + bytes(7) + bytes([17]))  # in6_cksum_pseudo(ip6, 0, UDP, 0)
    ip = struct.pack("!IHBB16s16s", 0x60012345, 15, 17, 64, src, dst)
    udp = struct.pack("!HHHH", 5000, 53, 15, seed)
    print("B request", (eth + ip + udp + payload).hex())
    mss, n = 3, 3
    for k in range(n):
        part = payload[k * mss:(k + 1) * mss]
        i = bytearray(ip)
        i[4:6] = struct.pack("!H", 8 + len(part))
        u = bytearray(udp)
        u[4:6] = struct.pack("!H", 8 + len(part))
        u[6:8] = b"\0\0"
        pseudo = src + dst + struct.pack("!I", 8 + len(part)) + bytes([0, 0, 0, 17])
        u[6:8] = struct.pack("!H", cksum(pseudo + bytes(u) + part) or 0xFFFF)
        print("B segment", k, (eth + bytes(i) + bytes(u) + part).hex())


if __name__ == "__main__":
    ipv4_tcp()
    ipv6_udp()
