"""The controller's operations over the devices of a topology: apply (reconcile), counters, watch, serve.

Each operation takes the topology, its plan and the devices the operator named (`devices.DeviceAddress`),
loads the programs from the build directory, and works on every device concurrently. A device that fails
does not stop the others: its error is reported in its `Outcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import finsy

from controller.p4names import NameResolutionError
from controller.plan import Plan
from controller.runtime.counters import Row, nic_counters, tor_counters
from controller.runtime.desired import wanted
from controller.runtime.devices import DeviceAddress, Role, roles, select
from controller.runtime.errors import ControllerError
from controller.runtime.packet_in import describe_packet_in
from controller.runtime.program import Program, load_program
from controller.runtime.reconcile import Report, from_scratch, reconcile
from controller.runtime.session import DEFAULT_TIMEOUT, Session, device_cookie, open_session, program_cookie
from controller.topology import Topology


@dataclass
class Outcome:
    """What happened on one device: a result, or the error that stopped it."""

    device: DeviceAddress
    result: Any = None
    error: str | None = None


@dataclass(frozen=True)
class Options:
    build_dir: Path = Path("build")
    timeout: float = DEFAULT_TIMEOUT
    election_id: int | None = None
    force: bool = False
    dry_run: bool = False  # apply: read and compare only, write nothing


def check(topology: Topology, plan: Plan, build_dir: Path) -> list[Path]:
    """Resolve every entry of every device against the programs' P4Info; returns the P4Info files used."""
    roles_ = roles(topology, plan)
    programs = _programs([(DeviceAddress(name, "-:1"), role) for name, role in roles_.items()], build_dir)
    return [program.p4info_path for program in programs.values()]


def _programs(pairs: list[tuple[DeviceAddress, Role]], build_dir: Path) -> dict[str, Program]:
    programs = {name: load_program(build_dir, name) for name in sorted({role.program for _, role in pairs})}
    for _, role in pairs:  # every entry must resolve before anything is written anywhere
        names = programs[role.program].names
        for entry in role.config.entries:
            try:
                names.resolve_entry(entry)
            except NameResolutionError as exc:
                raise ControllerError(f"{role.name} ({role.program}): {exc}") from None
    return programs


async def _each(
    pairs: list[tuple[DeviceAddress, Role]], work: Callable[[DeviceAddress, Role], Awaitable[Any]]
) -> list[Outcome]:
    async def one(device: DeviceAddress, role: Role) -> Outcome:
        try:
            return Outcome(device, await work(device, role))
        except ControllerError as exc:
            return Outcome(device, error=str(exc))
        except finsy.P4ClientError as exc:  # a device that went away in the middle of a conversation
            return Outcome(device, error=f"{device}: {exc.code.name}: {exc.message}")

    return list(await asyncio.gather(*(one(device, role) for device, role in pairs)))


async def apply(topology: Topology, plan: Plan, devices: list[DeviceAddress], options: Options) -> list[Outcome]:
    """Push pipelines where needed and reconcile every device; each Outcome.result is a `Report`."""
    pairs = select(topology, plan, devices)
    programs = _programs(pairs, options.build_dir)

    async def work(device: DeviceAddress, role: Role) -> Report:
        program = programs[role.program]
        if options.dry_run:
            return await _dry_run(device, role, program, options)
        async with open_session(
            device, program, force=options.force, timeout=options.timeout, election_id=options.election_id
        ) as session:
            return await reconcile(session, wanted(role.config, program.names, session.schema))

    return await _each(pairs, work)


async def _dry_run(device: DeviceAddress, role: Role, program: Program, options: Options) -> Report:
    """What apply would do on one device, without writing (and without taking the device from anyone)."""
    cookie = await device_cookie(device, options.timeout)
    if options.force or cookie != program_cookie(program):
        schema = finsy.P4Schema(program.p4info, program.json_path.read_bytes())
        return from_scratch(str(device), wanted(role.config, program.names, schema), dry_run=True)
    async with open_session(
        device, program, push=False, primary=False, timeout=options.timeout, election_id=options.election_id
    ) as session:
        return await reconcile(session, wanted(role.config, program.names, session.schema), dry_run=True)


async def counters(
    topology: Topology, plan: Plan, devices: list[DeviceAddress], options: Options
) -> list[Outcome]:
    """Read every device's counters; each Outcome.result is a dict of sections of `Row`s."""
    pairs = select(topology, plan, devices)
    programs = _programs(pairs, options.build_dir)
    port_names = {server.tor_port: server.name for server in topology.servers}

    async def work(device: DeviceAddress, role: Role) -> dict[str, list[Row]]:
        async with open_session(
            device, programs[role.program], push=False, primary=False, timeout=options.timeout,
            election_id=options.election_id,
        ) as session:
            if role.program == "nic":
                return await nic_counters(session, plan.nics[role.name])
            return await tor_counters(session, plan.tor, port_names)

    return await _each(pairs, work)


async def watch(
    topology: Topology,
    plan: Plan,
    devices: list[DeviceAddress],
    options: Options,
    show: Callable[[str], None],
    limit: int | None = None,
) -> list[Outcome]:
    """Print every packet-in, decoded, until cancelled (or until `limit` packet-ins in all)."""
    pairs = select(topology, plan, devices)
    programs = _programs(pairs, options.build_dir)
    done = asyncio.Event()
    seen = 0

    async def listen(session: Session) -> None:
        nonlocal seen
        async for packet in session.switch.read_packets():
            show(describe_packet_in(session.device.name, packet.payload, packet.metadata))
            seen += 1
            if limit is not None and seen >= limit:
                done.set()

    async def work(device: DeviceAddress, role: Role) -> int:
        async with open_session(
            device, programs[role.program], push=False, timeout=options.timeout, election_id=options.election_id
        ) as session:
            down = session.switch.ee.event_future(finsy.SwitchEvent.CHANNEL_DOWN)
            show(f"{device}: watching packet-ins")
            task = asyncio.create_task(listen(session))
            finished = asyncio.create_task(done.wait())
            try:
                await asyncio.wait([down, finished], return_when=asyncio.FIRST_COMPLETED)
            finally:
                task.cancel()
                finished.cancel()
            if not done.is_set():
                raise ControllerError(f"{device}: connection lost")
            return seen

    return await _each(pairs, work)


async def serve(
    topology: Topology,
    plan: Plan,
    devices: list[DeviceAddress],
    options: Options,
    show: Callable[[str], None],
    stop: asyncio.Event | None = None,
    retry: float = 2.0,
) -> None:
    """Stay connected: reconcile every device each time its connection comes (back) up, print its packet-ins.

    A device that is down, or goes down, is retried every `retry` seconds; a switch that restarted comes
    back with its pipeline pushed again (if it lost it) and every entry in place. Runs until `stop` is set
    or the task is cancelled.
    """
    pairs = select(topology, plan, devices)
    programs = _programs(pairs, options.build_dir)
    stop = stop or asyncio.Event()

    async def listen(session: Session) -> None:
        async for packet in session.switch.read_packets():
            show(describe_packet_in(session.device.name, packet.payload, packet.metadata))

    async def keep(device: DeviceAddress, role: Role) -> None:
        program = programs[role.program]
        while not stop.is_set():
            try:
                async with open_session(
                    device, program, force=options.force, timeout=options.timeout, election_id=options.election_id
                ) as session:
                    down = session.switch.ee.event_future(finsy.SwitchEvent.CHANNEL_DOWN)
                    report = await reconcile(session, wanted(role.config, program.names, session.schema))
                    show(report.summary())
                    listening = asyncio.create_task(listen(session))
                    stopping = asyncio.create_task(stop.wait())
                    try:
                        await asyncio.wait([down, listening, stopping], return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        listening.cancel()
                        stopping.cancel()
                    if not stop.is_set():
                        show(f"{device}: connection lost; reconnecting")
            except ControllerError as exc:
                show(f"error: {exc}; retrying in {retry:g} s")
            except Exception as exc:  # a device dying mid-conversation must not end the service
                show(f"error: {device}: {type(exc).__name__}: {exc}; retrying in {retry:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry)

    await asyncio.gather(*(keep(device, role) for device, role in pairs))
