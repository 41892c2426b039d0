"""`softp4 switch`: run BMv2 JSON with P4Runtime, standing in for `simple_switch_grpc`.

    softp4 switch [prog.json] -i 0@veth0 -i 1@veth2 --device-id 1 --grpc-server-addr 127.0.0.1:9559
                  --cpu-port 255 [--no-p4] [--packet-in ipc://...] [--log-console] [--log-file F]
                  [--use-files DIR|N] [--pcap DIR] [--priority-queues N]
                  [--grpc-server-ssl --grpc-server-cert F --grpc-server-key F]

Options after a bare `--` (where simple_switch_grpc wants its gRPC options) are accepted too.
Ports: `-i N@IFACE` binds switch port N to a Linux interface; `--packet-in URL` carries every
other port over nanomsg (PTF's `--platform nn`); `--use-files DIR` (or simple_switch's `--use-files N`:
the current directory after N seconds) reads `<name>_in.pcap` and
writes `<name>_out.pcap` for each `-i N@name` (or for every `<N>_in.pcap` there when no `-i`).
SIGINT or SIGTERM stops the switch cleanly.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from softp4.cliargs import Parser
from softp4.cliflags import RefusedTable, add_refused

MAX_PORT = 511


def port_number(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"port {value} is out of range (0..{MAX_PORT})")
    return value


def interface(text: str) -> tuple[int, str]:
    """`N@IFACE`."""
    port, sep, name = text.partition("@")
    if not sep or not name or not port:
        raise argparse.ArgumentTypeError(f"'{text}': expected PORT@INTERFACE, e.g. 0@veth0")
    if len(name) > 15 or "/" in name or any(ch.isspace() for ch in name):
        raise argparse.ArgumentTypeError(f"'{text}': '{name}' is not a valid interface name")
    return port_number(port), name


def non_negative(text: str, limit: int = (1 << 64) - 1) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must not be negative")
    if value > limit:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0..{limit})")
    return value


def tcp_port(text: str) -> int:
    return non_negative(text, 65535)


def queue_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 1 <= value <= 8:
        raise argparse.ArgumentTypeError(f"{value} priority queues: expected 1..8 (priority is 3 bits)")
    return value


def grpc_address(text: str) -> str:
    """`HOST:PORT` (IPv6 hosts in brackets); port 0 picks a free port."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}': expected HOST:PORT, e.g. 127.0.0.1:9559")
    return text


def nanomsg_url(text: str) -> str:
    from softp4.switch.ports.nanomsg import NanomsgError, validate_url

    try:
        return validate_url(text)
    except NanomsgError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def pcap_files(text: str) -> tuple[Path, float]:
    """`--use-files DIR`, or simple_switch's `--use-files N`: the current directory, N seconds' wait."""
    if text.isdigit():
        return Path.cwd(), float(text)
    return Path(text), 0.0


def build_parser() -> Parser:
    parser = Parser(
        prog="softp4 switch",
        description="Run a BMv2 JSON program with P4Runtime (stands in for simple_switch_grpc).",
    )
    parser.add_argument("program", nargs="?", type=Path, help="BMv2 JSON program to load")
    parser.add_argument(
        "-i",
        "--interface",
        dest="interfaces",
        action="append",
        type=interface,
        default=[],
        metavar="N@IFACE",
        help="bind switch port N to interface IFACE (repeatable)",
    )
    parser.add_argument("--device-id", type=non_negative, default=0, help="P4Runtime device id (default 0)")
    parser.add_argument(
        "--grpc-server-addr",
        type=grpc_address,
        default="0.0.0.0:9559",
        help="P4Runtime listen address (default 0.0.0.0:9559)",
    )
    parser.add_argument(
        "--cpu-port", type=port_number, default=0, help="port of packet-in/packet-out (default 0: none)"
    )
    parser.add_argument("--no-p4", action="store_true", help="start without a program; wait for P4Runtime")
    parser.add_argument("--packet-in", type=nanomsg_url, metavar="URL", help="nanomsg packet interface (PTF nn)")
    parser.add_argument(
        "--use-files", type=pcap_files, metavar="DIR|N",
        help="pcap files as ports: in DIR, or (simple_switch's form) in the current directory after N seconds",
    )
    parser.add_argument(
        "--priority-queues",
        type=queue_count,
        default=1,
        metavar="N",
        help="queues per port, 1..8 (default 1); as in simple_switch, a packet whose "
        "standard_metadata.priority is N or more is dropped",
    )
    parser.add_argument("--log-console", action="store_true", help="print a per-packet trace")
    parser.add_argument(
        "--log-file", type=Path, metavar="FILE", help="append the per-packet trace to FILE.txt (as simple_switch)"
    )
    parser.add_argument(
        "-L",
        "--log-level",
        choices=["trace", "debug", "info", "warn", "error", "off"],
        default="info",
        help="accepted for simple_switch compatibility; --log-console/--log-file give the full trace",
    )
    parser.add_argument(
        "--pcap", type=Path, nargs="?", const=Path(), metavar="DIR",
        help="record <port>_in/_out.pcap of all traffic in DIR (alone: the current directory, as simple_switch)",
    )
    parser.add_argument(
        "--thrift-port", type=tcp_port, metavar="N", help="accepted for compatibility; there is no Thrift server"
    )
    parser.add_argument("--grpc-server-ssl", action="store_true", help="serve P4Runtime over TLS")
    parser.add_argument("--grpc-server-cert", type=Path, metavar="FILE", help="TLS certificate (PEM)")
    parser.add_argument("--grpc-server-key", type=Path, metavar="FILE", help="TLS private key (PEM)")
    parser.add_argument("--log-flush", action="store_true", help="flush the log after each line (softp4 always does)")
    parser.add_argument("-v", "--version", action="store_true", help="print the version and exit")
    add_refused(parser, REFUSED)
    return parser


_NO_LOGGER = "BMv2's logger settings are not supported by softp4 (the trace goes to --log-console or --log-file)"

#: simple_switch(_grpc) flags softp4 refuses, with why.
REFUSED: RefusedTable = {
    "--nanolog": (1, "BMv2's nanomsg event log is not supported by softp4"),
    "--notifications-addr": (
        1,
        "BMv2's nanomsg notifications (digests, ageing) are not supported by softp4; use P4Runtime",
    ),
    "--debugger": (0, "BMv2's debugger is not supported by softp4"),
    "--debugger-addr": (1, "BMv2's debugger is not supported by softp4"),
    "--restore-state": (1, "restoring a saved state is not supported by softp4"),
    "--dump-packet-data": (1, "packet dumps in the log are not supported by softp4 (use --pcap DIR)"),
    "--log-file-max-size": (1, _NO_LOGGER),
    "--log-file-max-files": (1, _NO_LOGGER),
    "--json-version": (0, "softp4 reads BMv2 JSON 2.x up to 2.24"),
    "--max-port-count": (1, "softp4 has no port limit below 512"),
    "--drop-port": (1, "softp4's drop port is 511, simple_switch's default"),
    "--max-mc-groups": (1, "softp4 has no multicast group limit"),
    "--disable-swap": (0, "softp4 has no JSON hot swap"),
    "--enable-swap": (0, "softp4 has no JSON hot swap"),
    "--dp-grpc-server-addr": (1, "the data-plane gRPC service is not supported by softp4"),
    "--grpc-server-cacert": (1, "client certificate checks are not supported by softp4"),
    "--grpc-server-with-client-auth": (0, "client certificate checks are not supported by softp4"),
    "--warn-on-invalid-hdr-read": (0, "not supported by softp4"),
    "--ret-zero-on-invalid-hdr-read": (0, "not supported by softp4"),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The checked command line; a mistake exits 2 (usage) or 1 (a file that cannot be used), one line."""
    parser = build_parser()
    # simple_switch_grpc takes its gRPC options after `--`; here they are ordinary options
    args = parser.parse_args([a for a in argv if a != "--"])
    if args.version:
        return args
    if args.program is not None and args.no_p4:
        parser.error("give either a program or --no-p4, not both")
    if args.program is None and not args.no_p4:
        parser.error("give a BMv2 JSON program, or --no-p4 to wait for one over P4Runtime")
    if args.grpc_server_ssl and (args.grpc_server_cert is None or args.grpc_server_key is None):
        parser.error("--grpc-server-ssl needs --grpc-server-cert and --grpc-server-key")
    if not args.grpc_server_ssl and (args.grpc_server_cert or args.grpc_server_key):
        parser.error("--grpc-server-cert/--grpc-server-key need --grpc-server-ssl")
    ports = [p for p, _ in args.interfaces]
    dup = next((p for p in ports if ports.count(p) > 1), None)
    if dup is not None:
        parser.error(f"port {dup} is given twice with -i")
    names = [n for _, n in args.interfaces]
    dup_name = next((n for n in names if names.count(n) > 1), None)
    if dup_name is not None:
        parser.error(f"interface {dup_name} is given twice with -i")
    if args.cpu_port and args.cpu_port in ports:
        parser.error(f"port {args.cpu_port} is the CPU port; it cannot also be an interface")
    parser.require_file(args.program)
    parser.require_file(args.grpc_server_cert, "--grpc-server-cert")
    parser.require_file(args.grpc_server_key, "--grpc-server-key")
    parser.require_dir(args.pcap, "--pcap")
    if args.use_files is not None:
        parser.require_dir(args.use_files[0], "--use-files")
    return args


class StartupError(Exception):
    """The switch could not start: the message says what and why."""


class SwitchProcess:
    """The switch, its ports and its P4Runtime server, started and stopped as one."""

    def __init__(self, args: argparse.Namespace, out: Callable[[str], None]) -> None:
        self.args = args
        self.out = out
        self.switch: Any = None
        self.server: Any = None
        self.port_objects: list[Any] = []
        self.grpc_port = 0
        self.capture: Any = None
        self.port_names: dict[int, str] = {}
        self.log_stream: Any = None

    def start(self) -> None:
        from softp4.switch.errors import SwitchError
        from softp4.switch.p4runtime import P4RuntimeServer
        from softp4.switch.switch import Switch

        args = self.args
        trace = self._make_trace()
        try:
            self.switch = Switch(
                None,
                device_id=args.device_id,
                cpu_port=args.cpu_port,
                priority_queues=args.priority_queues,
                trace=trace,
            )
            if args.program is not None:
                self.switch.load(Path(args.program))
        except SwitchError as exc:
            raise StartupError(f"{args.program}: cannot load the program: {exc}") from None
        try:
            self._attach_ports()
        except Exception:
            self.stop()
            raise
        tls = (args.grpc_server_cert, args.grpc_server_key) if args.grpc_server_ssl else None
        self.server = P4RuntimeServer(
            self.switch,
            address=args.grpc_server_addr,
            device_id=args.device_id,
            cpu_port=args.cpu_port,
            tls=tls,
        )
        try:
            self.server.start()
        except (OSError, RuntimeError) as exc:
            self.server = None
            self.stop()
            why = str(exc)
            prefix = f"P4Runtime server: cannot listen on {args.grpc_server_addr}"
            raise StartupError(why if why.startswith(prefix) else f"{prefix}: {why}") from None
        self.grpc_port = self.server.port
        from softp4.switch.ports import NanomsgError, PcapError, PortError

        try:
            for port in self.port_objects:
                port.start(self._deliver)
        except (PcapError, PortError, NanomsgError) as exc:
            self.stop()
            raise StartupError(str(exc)) from None

    def _make_trace(self) -> Callable[[str], None] | None:
        args = self.args
        sinks: list[Callable[[str], None]] = []
        if args.log_console:
            sinks.append(self.out)
        if args.log_file is not None:
            path = args.log_file.with_name(args.log_file.name + ".txt")  # simple_switch appends .txt too
            try:
                self.log_stream = path.open("a")
            except OSError as exc:
                raise StartupError(f"--log-file {path}: {exc.strerror or exc}") from None
            stream = self.log_stream
            sinks.append(lambda line: print(line, file=stream, flush=True))
        if not sinks:
            return None
        if len(sinks) == 1:
            return sinks[0]

        def trace(line: str) -> None:
            for sink in sinks:
                sink(line)

        return trace

    def _tap(self, name: str, transmit: Callable[[bytes], None]) -> Callable[[bytes], None]:
        """`transmit`, also recorded in `<name>_out.pcap` when --pcap is on."""
        capture = self.capture
        if capture is None:
            return transmit

        def send(frame: bytes) -> None:
            capture.record(name, "out", frame)
            transmit(frame)

        return send

    def _deliver(self, port: int, frame: bytes) -> None:
        if self.capture is not None:
            self.capture.record(self.port_names.get(port, str(port)), "in", frame)
        self.switch.receive(port, frame)

    def _attach_ports(self) -> None:
        from softp4.switch.ports import (
            NanomsgError,
            NanomsgPorts,
            PcapCapture,
            PcapError,
            PcapPorts,
            PortError,
            VethPort,
        )

        args = self.args
        sw = self.switch
        taken: set[int] = set()
        self.port_names = {p: n for p, n in args.interfaces}
        if args.pcap is not None:
            self.capture = PcapCapture(args.pcap)
        if args.use_files is not None:
            names = {p: n for p, n in args.interfaces} if args.interfaces else None
            directory, delay = args.use_files
            try:
                pcap = PcapPorts(directory, names, delay)
            except PcapError as exc:
                raise StartupError(str(exc)) from None
            self.port_objects.append(pcap)
            for port in range(MAX_PORT):
                if port != args.cpu_port or not args.cpu_port:
                    if names is None or port in names:
                        sw.attach_port(port, self._tap(self.port_names.get(port, str(port)), _sender(pcap, port)))
            return
        for port, name in args.interfaces:
            veth = VethPort(port, name)
            try:
                veth.open()
            except PortError as exc:
                raise StartupError(str(exc)) from None
            self.port_objects.append(veth)
            sw.attach_port(port, self._tap(name, veth.send))
            taken.add(port)
        if args.packet_in is not None:
            nn = NanomsgPorts(args.packet_in)
            try:
                nn.open()
            except NanomsgError as exc:
                raise StartupError(str(exc)) from None
            self.port_objects.append(nn)
            for port in range(MAX_PORT):
                if port not in taken and (port != args.cpu_port or not args.cpu_port):
                    sw.attach_port(port, self._tap(str(port), _sender(nn, port)))

    def describe(self) -> str:
        args = self.args
        parts = [f"device {args.device_id}"]
        if args.interfaces:
            parts.append("ports " + " ".join(f"{p}@{n}" for p, n in args.interfaces))
        if args.packet_in:
            parts.append(f"nanomsg {args.packet_in}")
        if args.use_files:
            parts.append(f"pcap files in {args.use_files[0]}")
        host = args.grpc_server_addr.rpartition(":")[0]
        tls = " (TLS)" if args.grpc_server_ssl else ""
        parts.append(f"P4Runtime on {host}:{self.grpc_port}{tls}")
        parts.append(f"program {args.program}" if args.program else "no program yet")
        return ", ".join(parts)

    def stop(self) -> None:
        for port in self.port_objects:
            try:
                port.close()
            except Exception as exc:  # keep closing the others
                self.out(f"softp4 switch: closing a port failed: {exc}")
        self.port_objects = []
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.capture is not None:
            self.capture.close()
            self.capture = None
        if self.log_stream is not None:
            self.log_stream.close()
            self.log_stream = None


def _sender(ports: Any, port: int) -> Callable[[bytes], None]:
    def send(frame: bytes) -> None:
        ports.send(port, frame)

    return send


# CPython's cyclic collector runs after every 700 new container objects and, as the tables grow, walks
# every object of the switch again: a third of the time of a 10,000-entry P4Runtime read went there.
# Packets and requests make few reference cycles, so the switch process collects less often.
GC_THRESHOLD = (10_000, 20, 20)


def collect_less_often() -> None:
    """Raise this process's garbage collection thresholds to GC_THRESHOLD (never lower them)."""
    current = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(current, GC_THRESHOLD, strict=True)))


def main(argv: list[str] | None = None) -> int:
    # gRPC's C core would print its own log line next to ours when it cannot bind; ours says why
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        from softp4 import __version__

        print(f"softp4 switch (softp4 {__version__}, for simple_switch_grpc command lines)")
        return 0

    def out(line: str) -> None:
        print(line, flush=True)

    collect_less_often()
    process = SwitchProcess(args, out)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            process.start()
        except StartupError as exc:
            print(f"softp4 switch: error: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # a bug of ours: one line, not a traceback
            print(f"softp4 switch: error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            process.stop()
            return 1
        if args.thrift_port is not None:
            print(
                "softp4 switch: note: --thrift-port ignored; softp4 has no Thrift server (use P4Runtime)",
                file=sys.stderr,
            )
        print(f"softp4 switch: ready: {process.describe()}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
        print("softp4 switch: stopping", file=sys.stderr, flush=True)
        process.stop()
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
