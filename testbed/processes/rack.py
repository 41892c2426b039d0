"""A topology brought up as processes: veth cables, one switch process per device, accelerators on sockets.

    with ProcessRack.build(topology.load("topologies/pair.toml"), "build", target="softp4", workdir=logs) as rack:
        rack.write("acc1", "acc2", rack.plan.tx_window("acc1", "acc2").local_base, data)
        rack.run(deadline=20.0)

Every cable is a veth pair (`wiring.Wiring`): a NIC's uplink to its ToR port, and an accelerator's PCIe
link to its NIC's PCIe port (with `loss`, an uplink is two cables joined by a `relay.LossyRelay` in
this process). The switches (`switches.py`) bind the switch ends and start empty; the
controller (`controller.runtime.apply`) pushes the programs and every entry over P4Runtime, exactly as an
operator's `jetstream-ctl apply` would. Each accelerator emulator sends and receives raw TLPs on the other
end of its PCIe cable through an AF_PACKET socket (`softp4.switch.ports.VethPort`: outgoing frames
skipped). The kernel refuses frames shorter than an Ethernet header (14 bytes) on a packet socket, so a
TLP shorter than that (only a 3-DW header without data, e.g. a 32-bit MRd) goes out zero-padded to
14 bytes; every memory write is at least 16 bytes and crosses unchanged. Leaving the `with` block, by
return, exception or Ctrl-C, stops every switch and deletes every cable.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from controller.plan import GroupTxStream, Plan, TxStream, compute
from controller.protocol import constants as c
from controller.protocol.gobackn import DEFAULT_WINDOW
from controller.runtime import ControllerError, DeviceAddress, Options, Outcome, apply, counters
from controller.runtime.counters import format_sections
from controller.topology import Topology
from softp4.switch.ports import PortError, VethPort
from testbed.accelerator import Accelerator
from testbed.fabric import End, Hop
from testbed.processes import switches
from testbed.processes.relay import LossyRelay
from testbed.processes.switches import Launcher, SwitchProcess, SwitchSpec, SwitchStartError
from testbed.processes.wiring import Wiring, WiringError, check_host, remove_stale

HopObserver = Callable[[Hop], None]
# every switch loads its program at once when the controller pushes them, on however few cores there are
APPLY_TIMEOUT = 30.0
MWR_FMTS = (0b010, 0b011)  # a TLP's fmt field (top 3 bits) for a memory write with a 3- or 4-DW header


class RackError(RuntimeError):
    """The rack could not be brought up; the message says which device or cable and why."""


TOR_KINDS = ("p4", "linux-bridge")

@dataclass
class ProcessRack:
    topology: Topology
    plan: Plan
    target: str
    workdir: Path
    wiring: Wiring = field(default_factory=Wiring)
    launcher: Launcher | None = None  # None: switch processes here; else e.g. containers
    remote: list[DeviceAddress] = field(default_factory=list)  # switches running elsewhere (`attach`)
    ignore: Callable[[bytes], bool] | None = None  # frames on a PCIe link that are not the NIC's (`attach`)
    ignored: int = 0
    switches: dict[str, SwitchProcess] = field(default_factory=dict)  # by device name (server or ToR)
    accelerators: dict[str, Accelerator] = field(default_factory=dict)
    relays: list[LossyRelay] = field(default_factory=list)  # one per uplink when frames are lost on purpose
    applied: list[str] = field(default_factory=list)  # the controller's one line per device
    strays: list[str] = field(default_factory=list)  # frames on a PCIe link that are no memory write, in hex
    last_delivery: float = 0.0  # time.monotonic() of the latest frame handed to an accelerator
    window: int = DEFAULT_WINDOW  # each accelerator's send window, TLPs per stream
    _ports: list[VethPort] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)  # notified on every PCIe delivery

    @classmethod
    def build(
        cls,
        topo: Topology,
        build_dir: str | Path,
        *,
        target: str = "softp4",
        workdir: str | Path,
        on_hop: HopObserver | None = None,
        loss: float = 0.0,
        seed: int = 1,
        tor: str = "p4",
        launcher: Launcher | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> ProcessRack:
        """Cable, start, program and attach everything; on any failure, undo all of it and raise RackError.

        `tor` is "p4" (tor.p4 on a switch process, programmed like the NICs) or "linux-bridge" (a plain
        learning Linux bridge in its place: any L2 switch must do; it floods group MACs to every port).
        `launcher` starts the switches instead of `switches.start` (testbed.containers: as containers).

        With `loss` (a probability), every uplink runs through a `LossyRelay` that loses that share of the
        frames from the NIC to the ToR (seeded with `seed`, then one more per uplink). `window` is every
        accelerator's send window (TLPs unacknowledged per stream)."""
        problem = check_host()
        if problem is not None:
            raise RackError(problem)
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        remove_stale()
        if not 0 <= loss <= 1:
            raise RackError(f"loss {loss}: expected a probability from 0 to 1")
        if tor not in TOR_KINDS:
            raise RackError(f"ToR '{tor}': expected one of {', '.join(TOR_KINDS)}")
        rack = cls(topo, compute(topo), target, workdir, launcher=launcher, window=window)
        try:
            rack._bring_up(Path(build_dir), on_hop, loss, seed, tor)
        except BaseException:
            rack.close()
            raise
        return rack

    @classmethod
    def attach(cls, topo: Topology, build_dir: str | Path, devices: list[DeviceAddress], pcie: dict[str, str], *,
               target: str, workdir: str | Path, ignore: Callable[[bytes], bool] | None = None) -> ProcessRack:
        """A rack whose switches run elsewhere (a compose stack's services, reached at `devices`) and whose
        PCIe cables end here (`pcie`: accelerator -> interface): program the switches, attach the emulators.
        No cable or switch is made, so none is removed on the way out; RackError when any of it fails.
        `ignore` picks out frames that others put on a PCIe cable (counted in `ignored`, not delivered)."""
        rack = cls(topo, compute(topo), target, Path(workdir), remote=devices, ignore=ignore)
        try:
            missing = [acc.name for server in topo.servers for acc in server.accelerators if acc.name not in pcie]
            if missing:
                raise RackError(f"no PCIe interface for {', '.join(missing)}")
            rack._program(Path(build_dir))
            rack._attach({acc.name: (pcie[acc.name], (f"{server.name}.nic", acc.pcie_port))
                          for server in topo.servers for acc in server.accelerators}, [], None)
        except BaseException:
            rack.close()
            raise
        return rack

    def _bring_up(self, build_dir: Path, on_hop: HopObserver | None, loss: float, seed: int, tor_kind: str) -> None:
        topo = self.topology
        observe = _serialised(on_hop) if on_hop is not None else None
        if topo.tor_name in {server.name for server in topo.servers}:
            raise RackError(f"topology '{topo.name}': server '{topo.tor_name}' has the ToR's name; rename one")
        tor = SwitchSpec(topo.tor_name, priority_queues=8)  # PRIO_JS is 7: 8 queues per port
        specs = [tor] if tor_kind == "p4" else []
        taps: list[tuple[str, End, End]] = []  # (interface, the end it faces, the end it is) for hop observers
        pcie: dict[str, tuple[str, End]] = {}  # accelerator -> (its interface, the NIC end it faces)
        try:  # before any cable is made
            bmv2 = switches.bmv2_binary() if self.target == "bmv2" and self.launcher is None else None
            if self.launcher is not None:
                self.launcher.prepare()
        except SwitchStartError as exc:
            raise RackError(str(exc)) from None
        try:
            for server in topo.servers:
                nic = SwitchSpec(server.name)
                specs.append(nic)
                nic_end, tor_end = (f"{server.name}.nic", c.NIC_UPLINK_PORT), (topo.tor_name, server.tor_port)
                if loss:
                    to_relay = self.wiring.cable(f"{nic_end[0]}:{nic_end[1]} - relay")
                    from_relay = self.wiring.cable(f"relay - {tor_end[0]}:{tor_end[1]}")
                    nic_if, tor_if = to_relay.a, from_relay.b
                    self.relays.append(LossyRelay(to_relay.b, from_relay.a, loss, seed + len(self.relays),
                                                  _lost(nic_end, tor_end, observe)))
                else:
                    uplink = self.wiring.cable(f"{nic_end[0]}:{nic_end[1]} - {tor_end[0]}:{tor_end[1]}")
                    nic_if, tor_if = uplink.a, uplink.b
                nic.ports[c.NIC_UPLINK_PORT], tor.ports[server.tor_port] = nic_if, tor_if
                taps += [(nic_if, tor_end, nic_end), (tor_if, nic_end, tor_end)]
                for acc in server.accelerators:
                    nic_pcie = (nic_end[0], acc.pcie_port)
                    link = self.wiring.cable(f"{nic_pcie[0]}:{nic_pcie[1]} - {acc.name}")
                    nic.ports[acc.pcie_port] = link.a
                    taps.append((link.a, (acc.name, 0), nic_pcie))
                    pcie[acc.name] = (link.b, nic_pcie)
            if tor_kind == "linux-bridge":
                self.wiring.bridge(list(tor.ports.values()))
        except WiringError as exc:
            raise RackError(f"cabling: {exc}") from None
        try:
            for relay in self.relays:
                relay.start()
        except PortError as exc:
            raise RackError(f"relay: {exc}") from None
        try:
            for spec in specs:
                self.switches[spec.name] = (self.launcher.start(spec, self.workdir) if self.launcher is not None
                                            else switches.start(self.target, spec, self.workdir, bmv2))
            for switch in self.switches.values():
                switch.wait_serving()
        except SwitchStartError as exc:
            raise RackError(str(exc)) from None
        self._program(build_dir)
        self._attach(pcie, taps, observe)

    def devices(self) -> list[DeviceAddress]:
        if self.remote:
            return list(self.remote)
        return [DeviceAddress(name, sw.grpc_addr, switches.DEVICE_ID) for name, sw in self.switches.items()]

    def _program(self, build_dir: Path) -> None:
        try:
            options = Options(build_dir=build_dir, timeout=APPLY_TIMEOUT)
            outcomes = asyncio.run(apply(self.topology, self.plan, self.devices(), options))
        except ControllerError as exc:
            raise RackError(f"controller: {exc}") from None
        errors = [outcome.error for outcome in outcomes if outcome.error]
        if errors:
            raise RackError("controller: " + "\n  ".join(errors))
        self.applied = [outcome.result.summary() for outcome in outcomes]

    def _attach(self, pcie: dict[str, tuple[str, End]], taps: list[tuple[str, End, End]],
                observe: HopObserver | None) -> None:
        try:
            for server in self.topology.servers:
                nic_plan = self.plan.nics[server.name]
                streams: list[TxStream | GroupTxStream] = [*nic_plan.tx_streams, *nic_plan.group_tx]
                for spec in server.accelerators:
                    ifname, nic_end = pcie[spec.name]
                    port = VethPort(0, ifname)
                    port.open()
                    self._ports.append(port)
                    acc = Accelerator(spec, port.send, [s for s in streams if s.src.name == spec.name],
                                      window=self.window)
                    self.accelerators[spec.name] = acc
                    port.start(self._deliverer(acc, nic_end, observe))
            if observe is not None:
                for ifname, src, dst in taps:
                    tap = VethPort(0, ifname)
                    tap.start(_tapper(src, dst, observe))
                    self._ports.append(tap)
        except PortError as exc:
            raise RackError(str(exc)) from None

    def _deliverer(self, acc: Accelerator, nic_end: End, observe: HopObserver | None) -> Callable[[int, bytes], None]:
        me = (acc.spec.name, 0)

        def deliver(port: int, frame: bytes) -> None:
            if observe is not None:
                observe(Hop(nic_end, me, frame))
            if self.ignore is not None and self.ignore(frame):
                self.ignored += 1
                return
            with self._lock:
                if not frame or frame[0] >> 5 not in MWR_FMTS:
                    self.strays.append(f"{acc.spec.name}: {len(frame)} bytes {frame[:48].hex()}")
                acc.receive(port, frame)
                self.last_delivery = time.monotonic()
                self._lock.notify_all()

        return deliver

    def write(self, src: str, dst: str, local_address: int, data: bytes) -> int:
        """`src` writes `data` at `local_address` of its window to `dst`; returns the TLPs issued."""
        with self._lock:
            return self.accelerators[src].write(dst, local_address, data)

    def unacked(self) -> int:
        with self._lock:
            return sum(acc.unacked() for acc in self.accelerators.values())

    def run(self, deadline: float = 30.0, ack_timeout: float = 1.0) -> bool:
        """Wait until every write is acknowledged (True) or `deadline` seconds pass (False). When nothing
        was acknowledged for `ack_timeout` seconds, the accelerators' ACK timers fire (rewind, re-issue).
        It wakes on every delivery to an accelerator, so it returns as soon as the last ACK landed."""
        start = time.monotonic()
        with self._lock:
            last, since = -1, start
            while True:
                now = time.monotonic()
                pending = self.unacked()  # the lock is a Condition over an RLock: taking it again is fine
                if pending == 0:
                    return True
                if now - start >= deadline:
                    return False
                if pending != last:
                    last, since = pending, now
                elif now - since >= ack_timeout:
                    for acc in self.accelerators.values():
                        acc.timeout()
                    since = now
                self._lock.wait(min(since + ack_timeout, start + deadline) - now)

    def settle(self, quiet: float = 0.2, limit: float = 3.0) -> None:
        """Wait until no frame reached an accelerator for `quiet` seconds (at most `limit`). An ACK and the
        write it covers leave the receiving NIC as two copies on two ports, and the emulators read their
        links one socket at a time, so the last writes may still be on their way when the last ACK landed:
        memory is compared only once the links are quiet."""
        end = time.monotonic() + limit
        with self._lock:
            while (now := time.monotonic()) < end and now - self.last_delivery < quiet:
                self._lock.wait(min(quiet - (now - self.last_delivery), end - now))

    def _counters(self, build_dir: str | Path) -> list[Outcome]:
        options = Options(build_dir=Path(build_dir))
        outcomes: list[Outcome] = asyncio.run(counters(self.topology, self.plan, self.devices(), options))
        return outcomes

    def drops(self, build_dir: str | Path) -> dict[str, dict[str, int]]:
        """Packets each NIC dropped, by reason (`DROP_*` as `jetstream-ctl counters` names them), read over
        P4Runtime; reasons that counted nothing are left out. Raises RackError when they cannot be read."""
        try:
            outcomes = self._counters(build_dir)
        except ControllerError as exc:
            raise RackError(f"counters: {exc}") from None
        out: dict[str, dict[str, int]] = {}
        for outcome in outcomes:
            if outcome.error:
                raise RackError(f"counters: {outcome.error}")
            if outcome.device.name in self.plan.nics:
                out[outcome.device.name] = {row.label: row.packets for row in outcome.result.get("drops", [])}
        return out

    def counter_lines(self, build_dir: str | Path) -> list[str]:
        """Every device's counters read over P4Runtime (`jetstream-ctl counters`), rows that moved only."""
        try:
            outcomes = self._counters(build_dir)
        except ControllerError as exc:
            return [f"error: {exc}"]
        lines = []
        for outcome in outcomes:
            if outcome.error:
                lines.append(f"error: {outcome.error}")
                continue
            moved = {title: [row for row in rows if row.packets] for title, rows in outcome.result.items()}
            lines += format_sections(outcome.device.name, {t: rows for t, rows in moved.items() if rows})
        return lines

    def close(self) -> list[str]:
        """Close the sockets, stop every switch, delete every cable; returns cleanup errors (normally none)."""
        for port in self._ports:
            port.close()
        self._ports.clear()
        for relay in self.relays:
            relay.close()
        for switch in self.switches.values():
            switch.stop()
        errors = self.launcher.close() if self.launcher is not None else []
        return errors + self.wiring.close()

    def __enter__(self) -> ProcessRack:
        return self

    def __exit__(self, *exc: object) -> None:
        for error in self.close():
            print(f"warning: cleanup: {error}", file=sys.stderr)


def _serialised(observer: HopObserver) -> HopObserver:
    lock = threading.Lock()

    def observe(hop: Hop) -> None:
        with lock:
            observer(hop)

    return observe


def _lost(src: End, dst: End, observe: HopObserver | None) -> Callable[[bytes], None] | None:
    if observe is None:
        return None

    def lost(frame: bytes) -> None:
        observe(Hop(src, dst, frame, dropped=True))

    return lost


def _tapper(src: End, dst: End, observe: HopObserver) -> Callable[[int, bytes], None]:
    def deliver(port: int, frame: bytes) -> None:
        observe(Hop(src, dst, frame))

    return deliver
