"""NanomsgPorts against PTF's own nanomsg packet source, the peer `--platform nn` uses."""

from __future__ import annotations

import queue
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pynng
import pytest
from ptf.dataplane import DataPlanePacketSourceNN

from softp4.switch.ports import NanomsgError, NanomsgPorts
from softp4.switch.ports.nanomsg import validate_url


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"ipc://{tmp_path}/sw.ipc"


@pytest.fixture
def switch_side(url: str) -> Iterator[tuple[NanomsgPorts, queue.Queue[tuple[int, bytes]]]]:
    got: queue.Queue[tuple[int, bytes]] = queue.Queue()
    ports = NanomsgPorts(url)
    ports.start(lambda p, f: got.put((p, f)))
    yield ports, got
    ports.close()


def test_ptf_round_trip(url: str, switch_side: tuple[NanomsgPorts, queue.Queue[tuple[int, bytes]]]) -> None:
    ports, got = switch_side
    ptf = DataPlanePacketSourceNN(0, url, 5000, 1000)
    try:
        ptf.port_add(1)
        ptf.port_add(7)
        frame = bytes(range(64))
        assert ptf.send(7, frame) == 64
        assert got.get(timeout=5) == (7, frame)
        ptf.send(1, b"\xaa" * 1514)
        assert got.get(timeout=5) == (1, b"\xaa" * 1514)
        assert ports.ports == {1, 7}

        ports.send(1, b"\x01\x02\x03" * 20)
        port_, data = ptf.recv()[1:3]
        assert (port_, bytes(data)) == (1, b"\x01\x02\x03" * 20)
    finally:
        ptf.close()


def test_tcp_transport() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    got: queue.Queue[tuple[int, bytes]] = queue.Queue()
    ports = NanomsgPorts(url)
    ports.start(lambda p, f: got.put((p, f)))
    ptf = DataPlanePacketSourceNN(0, url, 5000, 1000)
    try:
        ptf.port_add(5)
        ptf.send(5, b"\x11" * 64)
        assert got.get(timeout=5) == (5, b"\x11" * 64)
        ports.send(5, b"\x22" * 64)
        received = ptf.recv()
        assert received is not None and (received[1], bytes(received[2])) == (5, b"\x22" * 64)
    finally:
        ptf.close()
        ports.close()


def test_info_request_is_answered_not_supported(
    url: str, switch_side: tuple[NanomsgPorts, queue.Queue[tuple[int, bytes]]]
) -> None:
    peer = pynng.Pair0(dial=url, recv_timeout=5000)
    try:
        peer.send(struct.pack("<iii", 5, 2, 0))
        reply = peer.recv()
        assert reply == struct.pack("<iiii", 6, 2, 0, 1)
    finally:
        peer.close()


def test_malformed_messages_are_counted_not_fatal(
    url: str, switch_side: tuple[NanomsgPorts, queue.Queue[tuple[int, bytes]]]
) -> None:
    ports, got = switch_side
    peer = pynng.Pair0(dial=url, recv_timeout=5000)
    try:
        peer.send(b"\x01\x02")
        peer.send(struct.pack("<iii", 42, 0, 0))
        peer.send(struct.pack("<iii", 3, 4, 3) + b"abcdef")  # length field shorter than the data
        assert got.get(timeout=5) == (4, b"abc")
        assert ports.bad_messages == 2
    finally:
        peer.close()


def test_send_without_peer_does_not_block(url: str) -> None:
    ports = NanomsgPorts(url)
    ports.start(lambda p, f: None)
    try:
        for _ in range(100):
            ports.send(0, b"x" * 60)
        assert ports.dropped == 100
    finally:
        ports.close()


@pytest.mark.parametrize("bad", ["", "ipc://", "udp://1.2.3.4:5", "tcp://host", "tcp://h:99999", "veth0"])
def test_bad_urls(bad: str) -> None:
    with pytest.raises(NanomsgError, match="expected ipc://<path> or tcp://<host>:<port>"):
        validate_url(bad)
