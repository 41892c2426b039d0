"""pcap reading and writing, and PcapPorts like BMv2's --use-files."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import pytest
from scapy.utils import RawPcapWriter, rdpcap

from softp4.switch.ports import PcapError, PcapPorts, read_pcap, write_pcap
from softp4.switch.ports.pcap import iter_pcap

HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
FRAMES = [bytes(range(60)), b"\xff" * 1514, b"\x00" * 14]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES)
    assert read_pcap(path) == FRAMES
    data = path.read_bytes()
    assert data[:24] == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    assert len(data) == 24 + sum(16 + len(f) for f in FRAMES)


def test_scapy_reads_ours_and_we_read_scapys(tmp_path: Path) -> None:
    ours = tmp_path / "ours.pcap"
    write_pcap(ours, FRAMES)
    assert [bytes(p) for p in rdpcap(str(ours))] == FRAMES
    theirs = tmp_path / "theirs.pcap"
    writer = RawPcapWriter(str(theirs), linktype=1)
    for frame in FRAMES:
        writer.write(frame)
    writer.close()
    assert read_pcap(theirs) == FRAMES


def test_big_endian_nanosecond_file(tmp_path: Path) -> None:
    path = tmp_path / "be.pcap"
    body = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
    body += struct.pack(">IIII", 10, 500_000_000, 3, 3) + b"abc"
    path.write_bytes(body)
    assert list(iter_pcap(path)) == [(10.5, b"abc")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00" * 10, "truncated pcap global header"),
        (b"\x0a\x0d\x0d\x0a" + b"\x00" * 30, "not a pcap file"),
        (HEADER + b"\x00" * 8, "truncated record header"),
        (HEADER + struct.pack("<IIII", 0, 0, 9, 9) + b"ab", "claims 9 bytes, only 2 remain"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(PcapError, match=message):
        read_pcap(path)


def test_pcap_ports_in_and_out(tmp_path: Path) -> None:
    write_pcap(tmp_path / "0_in.pcap", [b"p0-a" + bytes(10), b"p0-b" + bytes(10)])
    write_pcap(tmp_path / "2_in.pcap", [b"p2-a" + bytes(10)])
    ports = PcapPorts(tmp_path)
    assert ports.ports == [0, 2]
    seen: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def deliver(port: int, frame: bytes) -> None:
        with lock:
            seen.append((port, frame))
        ports.send(port + 1, frame[::-1])

    ports.start(deliver)
    assert ports.wait_input(5)
    ports.close()
    assert sorted(seen) == [(0, b"p0-a" + bytes(10)), (0, b"p0-b" + bytes(10)), (2, b"p2-a" + bytes(10))]
    assert [f for p, f in seen if p == 0] == [b"p0-a" + bytes(10), b"p0-b" + bytes(10)]
    assert read_pcap(tmp_path / "0_out.pcap") == []  # created at start, nothing sent there
    assert read_pcap(tmp_path / "1_out.pcap") == [(b"p0-a" + bytes(10))[::-1], (b"p0-b" + bytes(10))[::-1]]
    assert read_pcap(tmp_path / "3_out.pcap") == [(b"p2-a" + bytes(10))[::-1]]


def test_named_ports_ignore_unknown_outputs(tmp_path: Path) -> None:
    write_pcap(tmp_path / "pcap1_in.pcap", [b"z" * 20])
    ports = PcapPorts(tmp_path, names={1: "pcap1"})
    ports.start(lambda p, f: ports.send(5, f))
    assert ports.wait_input(5)
    ports.send(1, b"y" * 20)
    ports.close()
    assert read_pcap(tmp_path / "pcap1_out.pcap") == [b"y" * 20]
    assert not (tmp_path / "5_out.pcap").exists()


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PcapError, match="not a directory"):
        PcapPorts(tmp_path / "nope")


def test_delay_before_input_and_close_during_it(tmp_path: Path) -> None:
    write_pcap(tmp_path / "0_in.pcap", [b"x" * 20])
    seen: list[bytes] = []
    ports = PcapPorts(tmp_path, delay=30)
    ports.start(lambda p, f: seen.append(f))
    assert not ports.wait_input(0.2)  # still waiting out the delay
    ports.close()  # ends the wait at once
    assert ports.wait_input(5)
    assert seen == []
