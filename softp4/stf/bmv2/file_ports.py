"""simple_switch's pcap-file ports (`--use-files 0`, `-i N@DIR/pN`), fed while the test runs.

Port N reads DIR/pN_in.pcap and writes DIR/pN_out.pcap. A port that gets packets has a FIFO as
its input file, so packets go in one by one between CLI commands; a port that only transmits
gets an input file holding just the pcap header (at its end at once).

How BMv2 reads those files decides what can be run (facts of its PcapFilesReader): it opens
the input files in port order at start-up (each open blocks until a writer has written the
header), then always needs the next packet of every input file not at its end before it injects
the earliest of them (by timestamp; timing is not replayed), and after injecting a packet it
waits for the next one of that same file. So a FIFO is closed right after its port's last
packet, and a packet can be known to be processed before a CLI command only if at most one
FIFO is still open then and the last packet went to it (`unsyncable` finds the tests where
that does not hold).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from softp4.stf.syntax import Command, Expect, Packet, Query, RemoveAll, Wait
from softp4.switch.ports.pcap import iter_pcap, write_header, write_record

# Commands that neither act on the switch nor read from it.
PASSIVE = (Packet, Expect, Wait, RemoveAll, Query)


class PortError(Exception):
    """The switch did not open its pcap files (it died or hung at start-up)."""


def unsyncable(commands: Sequence[Command]) -> tuple[int, str] | None:
    """(line, reason) of the first command that would need packets processed first when BMv2's
    file reader cannot have processed them yet; None when the test can run on pcap files."""
    later: dict[int, int] = {}  # port -> number of packets still to come
    for command in commands:
        if isinstance(command, Packet):
            later[command.port] = later.get(command.port, 0) + 1
    pending_last: int | None = None
    for command in commands:
        if isinstance(command, Packet):
            later[command.port] -= 1
            if not later[command.port]:
                del later[command.port]
            pending_last = command.port
        elif not isinstance(command, PASSIVE) and pending_last is not None:
            still_open = sorted(later)
            if still_open and still_open != [pending_last]:
                ports = ", ".join(str(p) for p in still_open)
                return command.line, (
                    f"packets are still to come on port(s) {ports} after the last packet on port {pending_last}: "
                    "simple_switch's pcap-file reader holds back a packet until every open input file has "
                    "a next one, so the packets before this command cannot be known to be processed"
                )
            pending_last = None
    return None


class FilePorts:
    """The pcap files of one test's ports in `directory`."""

    def __init__(self, directory: Path, ports: Sequence[int], inputs: Sequence[int]) -> None:
        self.directory = directory
        self.ports = sorted(set(ports))
        self.inputs = sorted(set(inputs))
        self._streams: dict[int, BinaryIO] = {}
        self._clock = time.time()

    def base(self, port: int) -> Path:
        return self.directory / f"p{port}"

    def prepare(self) -> None:
        """Create the input files: FIFOs for ports that get packets, header-only files for the rest."""
        for port in self.ports:
            path = Path(f"{self.base(port)}_in.pcap")
            if port in self.inputs:
                os.mkfifo(path)
            else:
                with path.open("wb") as stream:
                    write_header(stream)

    def switch_args(self) -> list[str]:
        return ["--use-files", "0", *(arg for port in self.ports for arg in ("-i", f"{port}@{self.base(port)}"))]

    def open_inputs(self, alive: Callable[[], bool], timeout: float) -> None:
        """Open every FIFO for writing, in the order the switch opens them, and write its header."""
        deadline = time.monotonic() + timeout
        for port in self.inputs:
            path = f"{self.base(port)}_in.pcap"
            while True:
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                    break
                except OSError as exc:
                    if exc.errno != errno.ENXIO:  # ENXIO: the switch has not opened it yet
                        raise PortError(f"cannot open {path}: {exc.strerror}") from None
                if not alive():
                    raise PortError(f"simple_switch exited before opening {path}")
                if time.monotonic() > deadline:
                    raise PortError(f"simple_switch did not open {path} within {timeout:g} s")
                time.sleep(0.01)
            os.set_blocking(fd, True)
            stream = os.fdopen(fd, "wb")
            write_header(stream)
            stream.flush()
            self._streams[port] = stream

    def send(self, port: int, frame: bytes, last: bool) -> None:
        """Write one packet into port's input (timestamps rise in test order); `last` closes it."""
        stream = self._streams[port]
        self._clock += 1e-3
        write_record(stream, frame, self._clock)
        stream.flush()
        if last:
            stream.close()
            del self._streams[port]

    def close(self) -> None:
        for stream in self._streams.values():
            try:
                stream.close()
            except OSError:
                pass  # the switch is gone: nothing reads the FIFO any more
        self._streams.clear()

    def received(self, port: int) -> list[bytes]:
        """What the switch transmitted on a port, in order."""
        path = Path(f"{self.base(port)}_out.pcap")
        if not path.is_file() or path.stat().st_size == 0:
            return []
        return [frame for _, frame in iter_pcap(path)]
