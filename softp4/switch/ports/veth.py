"""A switch port on a Linux network interface (veth, tap, a NIC) through an AF_PACKET socket.

The socket sees every frame on the interface, including the ones this process transmits
(the kernel loops outgoing frames back to packet sockets). Where the kernel has
PACKET_IGNORE_OUTGOING (Linux 4.20 on) it is asked not to; otherwise those frames carry
PACKET_OUTGOING and are skipped, so the switch never receives its own transmissions. Frames are
sent with PACKET_QDISC_BYPASS where available (straight to the driver, as nothing here shapes
traffic). A transmit thread per port was measured and not kept: no gain in throughput on two
vCPUs, and a thread wakeup more in latency. The kernel takes VLAN tags out of
received frames (VLAN offload) and reports them beside the frame (PACKET_AUXDATA); they are put
back, so the switch sees the frame as it was on the wire, as libpcap (and so BMv2) does.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
RECV_SIZE = 65535 + 64
SOCKET_BUFFER = 4 * 1024 * 1024
POLL_SECONDS = 0.2
MIN_FRAME = 14
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
VLAN_STATUS_BYTE = 0 if sys.byteorder == "little" else 3  # the byte of the u32 status holding bit 4
AUXDATA = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid
ANCILLARY_SIZE = socket.CMSG_SPACE(AUXDATA.size) if hasattr(socket, "CMSG_SPACE") else 64
ETH_P_8021Q = 0x8100


def restore_vlan_tag(frame: bytes, ancillary: list[tuple[int, int, bytes]]) -> bytes:
    """The frame with the VLAN tag the kernel reported in PACKET_AUXDATA put back after the MACs."""
    for level, kind, data in ancillary:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(data) < AUXDATA.size:
            continue
        status, _, _, _, _, tci, tpid = AUXDATA.unpack_from(data)
        if status & TP_STATUS_VLAN_VALID and len(frame) >= 12:
            if not status & TP_STATUS_VLAN_TPID_VALID or tpid == 0:
                tpid = ETH_P_8021Q
            return frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
    return frame


class PortError(Exception):
    """A port that cannot be opened; the message names the interface and the reason."""


SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33  # Linux: set past net.core.[rw]mem_max (needs CAP_NET_ADMIN)


def _set_buffers(sock: socket.socket) -> None:
    """SOCKET_BUFFER bytes each way. Without the FORCE options the kernel caps a request at net.core.rmem_max
    (about 208 KiB by default): a burst of a few hundred frames that the reader is slow to take would then
    be dropped in the socket, which a PCIe link (and a switch port's queue) must not do."""
    for force, plain in ((SO_RCVBUFFORCE, socket.SO_RCVBUF), (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
        except OSError:  # not privileged enough: as much as the system allows
            sock.setsockopt(socket.SOL_SOCKET, plain, SOCKET_BUFFER)


def interface_exists(ifname: str) -> bool:
    return Path("/sys/class/net", ifname).exists()


class VethPort:
    """Port `port` of the switch on interface `ifname`.

    `start(deliver)` opens the socket and calls `deliver(port, frame)` from a receive thread for
    every frame arriving on the interface; `send(frame)` transmits; `close()` stops the thread.
    Counters: `rx_frames`, `tx_frames`, `tx_errors` (frames the kernel refused, e.g. over the MTU).
    Frames shorter than an Ethernet header are zero-padded to 14 bytes, which the kernel requires.
    """

    def __init__(self, port: int, ifname: str) -> None:
        self.port = port
        self.ifname = ifname
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake: int | None = None
        self.rx_frames = 0
        self.tx_frames = 0
        self.tx_errors = 0
        self.last_error: str | None = None

    def open(self) -> None:
        """Open and bind the socket (done by start(); separate so errors surface before threads run)."""
        if self._sock is not None:
            return
        if not hasattr(socket, "AF_PACKET"):
            raise PortError(f"interface {self.ifname}: AF_PACKET sockets need Linux")
        if not interface_exists(self.ifname):
            raise PortError(f"interface {self.ifname}: no such network interface")
        try:
            # protocol 0 until bound: a socket opened for ETH_P_ALL would queue frames of every interface
            # (loopback included) until bind() narrows it to one
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError as exc:
            raise PortError(
                f"interface {self.ifname}: opening a packet socket needs root or CAP_NET_RAW ({exc})"
            ) from exc
        try:
            _set_buffers(sock)
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            sock.bind((self.ifname, ETH_P_ALL))  # Python turns the protocol into network order itself
        except OSError as exc:
            sock.close()
            raise PortError(f"interface {self.ifname}: cannot bind packet socket ({exc})") from exc
        # optional speed-ups (older kernels lack them; the port works without):
        # transmit straight to the driver, past the qdisc layer; and no copy of our own
        # transmissions looped back to this socket (the receive loop skips those anyway)
        for option in (PACKET_QDISC_BYPASS, PACKET_IGNORE_OUTGOING):
            try:
                sock.setsockopt(SOL_PACKET, option, 1)
            except OSError:
                pass
        self._sock = sock

    def start(self, deliver: Callable[[int, bytes], None]) -> None:
        self.open()
        sock = self._sock
        assert sock is not None
        # non-blocking reads, with select() only when the socket is empty: one system call per
        # frame under load, and close() wakes the thread through the pipe
        sock.setblocking(False)
        wake_r, wake_w = os.pipe()
        self._wake = wake_w

        def run() -> None:
            port = self.port
            try:
                while not self._stop.is_set():
                    try:
                        frame, ancillary, _, address = sock.recvmsg(RECV_SIZE, ANCILLARY_SIZE)
                    except BlockingIOError:
                        select.select([sock.fileno(), wake_r], [], [], POLL_SECONDS)
                        continue
                    except OSError as exc:
                        if not self._stop.is_set():
                            self.last_error = f"interface {self.ifname}: receive failed ({exc})"
                        return
                    if address[2] == PACKET_OUTGOING:
                        continue
                    if ancillary:
                        # the common case, one PACKET_AUXDATA without a VLAN tag, checked cheaply
                        aux = ancillary[0][2]
                        if len(ancillary) > 1 or len(aux) < 4 or aux[VLAN_STATUS_BYTE] & TP_STATUS_VLAN_VALID:
                            frame = restore_vlan_tag(frame, ancillary)
                    self.rx_frames += 1
                    try:
                        deliver(port, frame)
                    except Exception as exc:  # the switch must keep receiving whatever one frame does
                        self.last_error = f"interface {self.ifname}: delivering a frame failed ({exc})"
            finally:
                os.close(wake_r)

        self._thread = threading.Thread(target=run, name=f"softp4-port-{self.ifname}", daemon=True)
        self._thread.start()

    def send(self, frame: bytes) -> None:
        sock = self._sock
        if sock is None:
            return
        if len(frame) < MIN_FRAME:
            # the kernel refuses frames shorter than an Ethernet header; pad like a wire would
            frame = frame + bytes(MIN_FRAME - len(frame))
        try:
            try:
                sock.send(frame)
            except BlockingIOError:
                # the socket is non-blocking for reads; wait for room rather than drop
                select.select([], [sock], [], POLL_SECONDS)
                sock.send(frame)
            self.tx_frames += 1
        except OSError as exc:
            self.tx_errors += 1
            self.last_error = f"interface {self.ifname}: transmit of {len(frame)} bytes failed ({exc})"

    def close(self) -> None:
        self._stop.set()
        if self._wake is not None:
            os.write(self._wake, b"x")
            os.close(self._wake)
            self._wake = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
