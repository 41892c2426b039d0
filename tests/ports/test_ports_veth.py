"""VethPort over a real veth pair: frames in, frames out, own transmissions skipped."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from softp4.switch.ports import PortError, VethPort

ETHERTYPE = b"\x88\xb5"  # IEEE local experimental, so stray host traffic is told apart


def _frame(tag: int, size: int = 64) -> bytes:
    head = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + ETHERTYPE + bytes([tag])
    return head + bytes((i * 7 + tag) & 0xFF for i in range(size - len(head)))


def _run(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def veth_pair() -> Iterator[tuple[str, str]]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("veth tests need root (creating interfaces and packet sockets)")
    if shutil.which("ip") is None:
        pytest.skip("veth tests need the 'ip' command (iproute2)")
    a, b = f"sp4t{os.getpid() % 100000}a", f"sp4t{os.getpid() % 100000}b"
    try:
        _run("link", "add", a, "type", "veth", "peer", "name", b)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create a veth pair: {exc.stderr.decode().strip()}")
    try:
        for name in (a, b):
            ipv6 = Path(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6")
            if ipv6.exists():
                ipv6.write_text("1")
            _run("link", "set", name, "up")
        yield a, b
    finally:
        subprocess.run(["ip", "link", "del", a], capture_output=True)


def _peer_socket(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
    sock.bind((ifname, 0))
    sock.settimeout(5)
    return sock


def _ours(frame: bytes) -> bool:
    return frame[12:14] == ETHERTYPE


def test_receive_and_send_exact_bytes(veth_pair: tuple[str, str]) -> None:
    a, b = veth_pair
    got: queue.Queue[tuple[int, bytes]] = queue.Queue()
    port = VethPort(3, a)
    peer = _peer_socket(b)
    port.start(lambda p, f: got.put((p, f)) if _ours(f) else None)
    try:
        sent = [_frame(1), _frame(2, 1500), _frame(3, 60)]
        for frame in sent:
            peer.send(frame)
        received = [got.get(timeout=5) for _ in sent]
        assert received == [(3, frame) for frame in sent]

        out = _frame(9, 200)
        port.send(out)
        while True:
            data, addr = peer.recvfrom(65535)
            if addr[2] != 4 and _ours(data):  # not the peer's own outgoing frames
                break
        assert data == out
        assert port.tx_frames == 1
    finally:
        port.close()
        peer.close()


def test_outgoing_frames_are_skipped(veth_pair: tuple[str, str]) -> None:
    """Frames leaving interface `a` (from this port or any other sender on the host) are not ingress."""
    a, b = veth_pair
    got: queue.Queue[bytes] = queue.Queue()
    port = VethPort(0, a)
    peer = _peer_socket(b)
    other = _peer_socket(a)
    port.start(lambda p, f: got.put(f) if _ours(f) else None)
    try:
        port.send(_frame(0x40))
        other.send(_frame(0x41))
        marker = _frame(0x42)
        peer.send(marker)
        first = got.get(timeout=5)
        assert first == marker  # the frame we sent on `a` never came back to us
        assert got.empty()
    finally:
        port.close()
        peer.close()
        other.close()


def test_vlan_tags_arrive_as_sent(veth_pair: tuple[str, str]) -> None:
    """The kernel strips VLAN tags on receive (offload); the port puts them back."""
    a, b = veth_pair
    got: queue.Queue[bytes] = queue.Queue()
    port = VethPort(1, a)
    peer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    peer.bind((b, 0))
    port.start(lambda p, f: got.put(f))
    try:
        macs = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
        frames = [
            macs + bytes.fromhex("8100 e064 88b5") + bytes(46),  # pcp 7, vid 100
            macs + bytes.fromhex("8100 0000 88b5") + bytes(46),  # priority tag, vid 0
            macs + bytes.fromhex("88a8 0005 8100 0064 88b5") + bytes(42),  # QinQ
            macs + bytes.fromhex("88b5") + bytes(50),  # untagged
        ]
        for frame in frames:
            peer.send(frame)
        assert [got.get(timeout=5) for _ in frames] == frames
    finally:
        port.close()
        peer.close()


def test_short_frame_is_padded_not_fatal(veth_pair: tuple[str, str]) -> None:
    a, b = veth_pair
    port = VethPort(0, a)
    peer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    peer.bind((b, 0))
    peer.settimeout(5)
    port.start(lambda p, f: None)
    try:
        port.send(b"\x01\x02\x03")
        while True:
            data, addr = peer.recvfrom(65535)
            if addr[2] != 4 and data.startswith(b"\x01\x02\x03"):
                break
        assert data == b"\x01\x02\x03" + bytes(11)
        assert port.tx_errors == 0
    finally:
        port.close()
        peer.close()


def test_missing_interface_is_a_clear_error() -> None:
    with pytest.raises(PortError, match="nosuchif0: no such network interface"):
        VethPort(0, "nosuchif0").open()


def test_a_port_gets_its_whole_socket_buffer(veth_pair: tuple[str, str]) -> None:
    # the kernel caps SO_RCVBUF at net.core.rmem_max (about 208 KiB); as root the port asks past it, so a burst
    # of hundreds of frames waits in the socket instead of being dropped there
    from softp4.switch.ports.veth import SOCKET_BUFFER

    port = VethPort(0, veth_pair[0])
    port.open()
    try:
        assert port._sock is not None
        assert port._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= SOCKET_BUFFER
        assert port._sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= SOCKET_BUFFER
    finally:
        port.close()
