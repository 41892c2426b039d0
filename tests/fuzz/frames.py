"""Frames for the fuzz test: random bytes, mutations of valid frames, and the valid frames themselves."""

from __future__ import annotations

import random

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether

MAX_RANDOM_LENGTH = 2000
# EtherTypes and IP protocols a mutation may plant, so that parsers take their other branches
ETHER_TYPES = (0x0800, 0x86DD, 0x8100, 0x88A8, 0x0806, 0x88B5, 0x1234, 0x0000, 0xFFFF)
IP_PROTOCOLS = (1, 6, 17, 47, 58, 0, 255)


def generic_frames() -> list[bytes]:
    """Well-formed frames of the common protocols (most corpus programs parse some of them)."""
    eth = Ether(dst="00:00:00:00:00:02", src="00:00:00:00:00:01")
    packets = [
        eth / IP(src="10.0.0.1", dst="10.0.1.5", ttl=64) / UDP(sport=1234, dport=80) / bytes(range(18)),
        eth / IP(src="192.168.1.1", dst="10.0.0.9", ttl=2) / TCP(sport=4000, dport=443, flags="S"),
        eth / IP(dst="10.0.0.2", options=b"\x01\x01\x01\x00") / ICMP() / b"ping",
        eth / Dot1Q(vlan=10) / IP(dst="10.0.0.3") / UDP() / bytes(8),
        eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=53) / bytes(10),
        Ether(dst="ff:ff:ff:ff:ff:ff", src="00:00:00:00:00:01") / ARP(pdst="10.0.0.1"),
        eth / IP(dst="10.0.0.4", flags="MF", frag=3) / bytes(40),
    ]
    return [bytes(p) for p in packets]


def random_frame(rng: random.Random) -> bytes:
    """Random bytes of a random length in 0..2000."""
    return rng.randbytes(rng.randint(0, MAX_RANDOM_LENGTH))


def mutate(rng: random.Random, frame: bytes) -> bytes:
    """One to three mutations of `frame`: bit flips, truncation, extension, planted fields, overwrites."""
    data = bytearray(frame)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        if kind == 0 and data:  # flip a few bits, mostly in the headers
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(min(len(data), 80)) if rng.random() < 0.8 else rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # truncate anywhere, including inside the first header
            del data[rng.randint(0, len(data)) :]
        elif kind == 2:  # extend with random bytes
            data += rng.randbytes(rng.randint(1, 300))
        elif kind == 3 and len(data) >= 14:  # plant an EtherType at a header boundary
            i = rng.choice((12, 16, 20)) if len(data) >= 22 else 12
            data[i : i + 2] = rng.choice(ETHER_TYPES).to_bytes(2, "big")
        elif kind == 4 and len(data) >= 24:  # plant an IP protocol / version nibble
            i = rng.randrange(14, min(len(data), 64))
            data[i] = rng.choice(IP_PROTOCOLS) if rng.random() < 0.5 else (rng.randrange(16) << 4) | (data[i] & 15)
        elif data:  # overwrite a run of bytes with extreme values
            i = rng.randrange(len(data))
            n = rng.randint(1, 8)
            data[i : i + n] = bytes([rng.choice((0x00, 0xFF, 0x80, 0x7F))]) * n
    return bytes(data)
