"""pcap files as switch ports, like BMv2's `--use-files`.

Port N reads the frames of `<stem>_in.pcap` and writes what the switch transmits on it to
`<stem>_out.pcap`, where the stem is the port's name (its number unless a name is given).
The classic libpcap format is read and written directly (no scapy), so large captures are fast.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

LINKTYPE_ETHERNET = 1
SNAPLEN = 262144

MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D


class PcapError(Exception):
    """A pcap file that cannot be read; the message names the file and the offset."""


def write_header(stream: BinaryIO, linktype: int = LINKTYPE_ETHERNET) -> None:
    """Write a little-endian, microsecond pcap global header."""
    stream.write(struct.pack("<IHHiIII", MAGIC_USEC, 2, 4, 0, 0, SNAPLEN, linktype))


def write_record(stream: BinaryIO, frame: bytes, timestamp: float | None = None) -> None:
    """Write one packet record (timestamp now unless given)."""
    ts = time.time() if timestamp is None else timestamp
    sec = int(ts)
    usec = round((ts - sec) * 1_000_000)
    if usec >= 1_000_000:
        sec, usec = sec + 1, usec - 1_000_000
    stream.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
    stream.write(frame)


def write_pcap(path: str | Path, frames: list[bytes], linktype: int = LINKTYPE_ETHERNET) -> None:
    """Write a whole pcap file holding `frames`, with timestamps one microsecond apart."""
    base = time.time()
    with Path(path).open("wb") as stream:
        write_header(stream, linktype)
        for i, frame in enumerate(frames):
            write_record(stream, frame, base + i * 1e-6)


def iter_pcap(path: str | Path) -> Iterator[tuple[float, bytes]]:
    """Yield (timestamp, frame) for each record of a pcap file, either byte order, us or ns."""
    name = str(path)
    data = Path(path).read_bytes()
    if len(data) == 0:
        return
    if len(data) < 24:
        raise PcapError(f"{name}: truncated pcap global header ({len(data)} of 24 bytes)")
    magic_le = struct.unpack_from("<I", data, 0)[0]
    magic_be = struct.unpack_from(">I", data, 0)[0]
    if magic_le in (MAGIC_USEC, MAGIC_NSEC):
        endian, magic = "<", magic_le
    elif magic_be in (MAGIC_USEC, MAGIC_NSEC):
        endian, magic = ">", magic_be
    else:
        raise PcapError(f"{name}: not a pcap file (magic number 0x{magic_le:08x}); pcapng is not supported")
    divisor = 1e9 if magic == MAGIC_NSEC else 1e6
    record = struct.Struct(endian + "IIII")
    offset = 24
    while offset < len(data):
        if offset + 16 > len(data):
            raise PcapError(f"{name}: truncated record header at byte {offset}")
        sec, frac, incl_len, _orig_len = record.unpack_from(data, offset)
        offset += 16
        if offset + incl_len > len(data):
            raise PcapError(
                f"{name}: record at byte {offset - 16} claims {incl_len} bytes, "
                f"only {len(data) - offset} remain"
            )
        yield sec + frac / divisor, data[offset : offset + incl_len]
        offset += incl_len


def read_pcap(path: str | Path) -> list[bytes]:
    """The frames of a pcap file, in file order."""
    return [frame for _, frame in iter_pcap(path)]


class PcapPorts:
    """Ports backed by pcap files in one directory.

    `names` maps port numbers to file stems; without it every `<N>_in.pcap` in the directory
    is an input port N, and a port the switch transmits on gets `<N>_out.pcap` when first used.
    Output files of the named (or discovered) ports are created, empty, at start, as BMv2 does.
    """

    def __init__(
        self, directory: str | Path, names: Mapping[int, str] | None = None, delay: float = 0.0
    ) -> None:
        self.directory = Path(directory)
        self.delay = delay  # seconds to wait before reading the inputs (BMv2's --use-files N)
        if not self.directory.is_dir():
            raise PcapError(f"{self.directory}: not a directory")
        self._names: dict[int, str] = dict(names) if names is not None else {}
        self._fixed = names is not None
        self._out: dict[int, BinaryIO] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self.error: str | None = None
        if not self._fixed:
            for path in sorted(self.directory.glob("*_in.pcap")):
                stem = path.name[: -len("_in.pcap")]
                if stem.isdigit():
                    self._names[int(stem)] = stem

    @property
    def ports(self) -> list[int]:
        """The port numbers known so far."""
        return sorted(self._names)

    def in_path(self, port: int) -> Path:
        return self.directory / f"{self._names.get(port, str(port))}_in.pcap"

    def out_path(self, port: int) -> Path:
        return self.directory / f"{self._names.get(port, str(port))}_out.pcap"

    def start(self, deliver: Callable[[int, bytes], None]) -> None:
        """Create the output files, then deliver every input frame (in timestamp order) on a thread."""
        with self._lock:
            for port in self._names:
                self._open_out(port)
        inputs: list[tuple[float, int, int, bytes]] = []
        for port in sorted(self._names):
            path = self.in_path(port)
            if path.exists():
                inputs += [(ts, port, i, frame) for i, (ts, frame) in enumerate(iter_pcap(path))]
        inputs.sort(key=lambda item: (item[0], item[1], item[2]))

        def run() -> None:
            try:
                if self.delay > 0 and self._stop.wait(self.delay):
                    return
                for _, port, _, frame in inputs:
                    if self._closed:
                        break
                    deliver(port, frame)
            except Exception as exc:  # a failing consumer must not kill the process silently
                self.error = f"pcap input stopped: {exc}"
            finally:
                self._done.set()

        self._thread = threading.Thread(target=run, name="softp4-pcap-in", daemon=True)
        self._thread.start()

    def wait_input(self, timeout: float | None = None) -> bool:
        """Wait until every input frame has been delivered; True when done."""
        return self._done.wait(timeout)

    def _open_out(self, port: int) -> BinaryIO:
        stream = self._out.get(port)
        if stream is None:
            stream = self.out_path(port).open("wb")
            write_header(stream)
            stream.flush()
            self._out[port] = stream
        return stream

    def send(self, port: int, frame: bytes) -> None:
        """Append a frame to the port's output file (ignored for unnamed ports when names are fixed)."""
        with self._lock:
            if self._closed:
                return
            if port not in self._names:
                if self._fixed:
                    return
                self._names[port] = str(port)
            stream = self._open_out(port)
            write_record(stream, frame)
            stream.flush()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            for stream in self._out.values():
                stream.close()
            self._out.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class PcapCapture:
    """Records every frame a port receives and sends, like BMv2's `--pcap DIR`:
    `<name>_in.pcap` and `<name>_out.pcap` per port, written as the frames pass."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise PcapError(f"{self.directory}: not a directory")
        self._files: dict[tuple[str, str], BinaryIO] = {}
        self._lock = threading.Lock()
        self._closed = False

    def record(self, name: str, direction: str, frame: bytes) -> None:
        """Append `frame` to `<name>_<direction>.pcap` (direction "in" or "out")."""
        with self._lock:
            if self._closed:
                return
            stream = self._files.get((name, direction))
            if stream is None:
                stream = (self.directory / f"{name}_{direction}.pcap").open("wb")
                write_header(stream)
                self._files[(name, direction)] = stream
            write_record(stream, frame)
            stream.flush()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for stream in self._files.values():
                stream.close()
            self._files.clear()
