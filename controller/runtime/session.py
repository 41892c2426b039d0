"""A P4Runtime session with one device: reach it, put the right pipeline on it, become primary.

`open_session` first talks to the device with a bare `finsy.P4Client`: it reads the pipeline cookie and,
when the cookie is not the program's (or on `force`), arbitrates and pushes the program. Then it opens a
`finsy.Switch` with the program's P4Info for the work itself (reads, writes, packet-ins). Every failure is
a `ControllerError` naming the device: unreachable, no answer in time, pipeline refused, not primary.

Cookies are finsy's (SHA-256 of the P4Info and the device config), so a device programmed by another
finsy client with the same build is recognised too.

Election ids: by default the current time in milliseconds, so the latest controller is primary and a
session never collides with the one just closed; the pipeline step uses `election_id`, the Switch
`election_id + 1`. A session that only reads (`primary=False`) bids `READER_ELECTION_ID`, low, so it never
takes the device away from a running `serve` or `apply`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import finsy
from finsy.proto import U128, p4r

from controller.runtime.devices import DeviceAddress
from controller.runtime.errors import ControllerError
from controller.runtime.program import Program

DEFAULT_TIMEOUT = 10.0
READER_ELECTION_ID = 1000


def default_election_id() -> int:
    return int(time.time() * 1000)


@dataclass
class Session:
    device: DeviceAddress
    program: Program
    switch: finsy.Switch
    pushed: bool  # the program was pushed in this session

    @property
    def schema(self) -> Any:
        return self.switch.p4info


def _client_error(device: DeviceAddress, what: str, exc: finsy.P4ClientError) -> ControllerError:
    if exc.code == finsy.GRPCStatusCode.UNAVAILABLE:
        return ControllerError(f"{device}: cannot reach the device: {exc.message}")
    return ControllerError(f"{device}: {what}: {exc.code.name}: {exc.message}")


async def _arbitrate(client: finsy.P4Client, device: DeviceAddress, election_id: int) -> None:
    update = p4r.MasterArbitrationUpdate(device_id=device.device_id, election_id=U128.encode(election_id))
    await client.send(p4r.StreamMessageRequest(arbitration=update))
    while True:
        reply = await client.receive()
        if reply.WhichOneof("update") == "arbitration":
            break
    if reply.arbitration.status.code != 0:
        primary = U128.decode(reply.arbitration.election_id)
        raise ControllerError(
            f"{device}: another controller is primary (election id {primary} >= {election_id}); "
            "stop it or give a higher --election-id"
        )


def program_cookie(program: Program) -> int:
    """The cookie a device running `program` carries (finsy's: SHA-256 of P4Info and device config)."""
    return int(finsy.P4Schema(program.p4info, program.json_path.read_bytes()).p4cookie)


async def _read_pipeline(client: finsy.P4Client, device: DeviceAddress) -> tuple[int | None, Any]:
    """(cookie, P4Info) of the device's pipeline, each None when absent."""
    request = p4r.GetForwardingPipelineConfigRequest(
        device_id=device.device_id,
        response_type=p4r.GetForwardingPipelineConfigRequest.P4INFO_AND_COOKIE,
    )
    try:
        reply = await client.request(request)
    except finsy.P4ClientError as exc:
        if exc.code == finsy.GRPCStatusCode.FAILED_PRECONDITION:  # no pipeline yet
            return None, None
        raise _client_error(device, "reading the pipeline", exc) from None
    cookie = reply.config.cookie.cookie if reply.config.HasField("cookie") else None
    return cookie, (reply.config.p4info if reply.config.HasField("p4info") else None)


async def device_cookie(device: DeviceAddress, timeout: float = DEFAULT_TIMEOUT) -> int | None:
    """The cookie of the device's pipeline (None: no pipeline, or none set)."""

    async def read() -> int | None:
        client = finsy.P4Client(device.address, wait_for_ready=False)
        await client.open()
        try:
            return (await _read_pipeline(client, device))[0]
        except finsy.P4ClientError as exc:
            raise _client_error(device, "pipeline", exc) from None
        finally:
            await client.close()

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise ControllerError(f"{device}: no answer within {timeout:g} s") from None


async def ensure_pipeline(
    device: DeviceAddress, program: Program, *, push: bool, force: bool, election_id: int
) -> bool:
    """Check the device's pipeline; push the program if `push` and it differs (or `force`). True if pushed."""
    schema = finsy.P4Schema(program.p4info, program.json_path.read_bytes())
    client = finsy.P4Client(device.address, wait_for_ready=False)
    await client.open()
    try:
        cookie, device_p4info = await _read_pipeline(client, device)
        if cookie == schema.p4cookie and not force:
            return False
        if not push:
            if device_p4info is None:
                raise ControllerError(f"{device}: no pipeline on the device: run `jetstream-ctl apply` first")
            if device_p4info.SerializeToString(deterministic=True) != program.p4info.SerializeToString(
                deterministic=True
            ):
                raise ControllerError(
                    f"{device}: the device runs another program than {program.p4info_path}: "
                    "run `jetstream-ctl apply` first"
                )
            return False
        try:
            await _arbitrate(client, device, election_id)
            await client.request(
                p4r.SetForwardingPipelineConfigRequest(
                    device_id=device.device_id,
                    election_id=U128.encode(election_id),
                    action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
                    config=schema.get_pipeline_config(),
                )
            )
        except finsy.P4ClientError as exc:
            raise _client_error(device, f"pushing {program.json_path}", exc) from None
        return True
    except finsy.P4ClientError as exc:
        raise _client_error(device, "pipeline", exc) from None
    finally:
        await client.close()


@asynccontextmanager
async def open_session(
    device: DeviceAddress,
    program: Program,
    *,
    push: bool = True,
    force: bool = False,
    primary: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    election_id: int | None = None,
) -> AsyncIterator[Session]:
    """Connect to `device` running `program` (pushed if `push` and needed); primary unless `primary=False`."""
    if election_id is not None:
        election = election_id
    else:
        election = default_election_id() if primary else READER_ELECTION_ID
    try:
        pushed = await asyncio.wait_for(
            ensure_pipeline(device, program, push=push, force=force, election_id=election), timeout
        )
    except TimeoutError:
        raise ControllerError(f"{device}: no answer within {timeout:g} s") from None
    options = finsy.SwitchOptions(
        p4info=program.p4info_path, device_id=device.device_id, initial_election_id=election + 1
    )
    switch = finsy.Switch(device.name, device.address, options)
    try:
        await asyncio.wait_for(switch.__aenter__(), timeout)
    except TimeoutError:
        raise ControllerError(f"{device}: no answer within {timeout:g} s") from None
    except finsy.P4ClientError as exc:
        raise _client_error(device, "opening the stream", exc) from None
    try:
        if primary and not switch.is_primary:
            raise ControllerError(
                f"{device}: another controller is primary (election id {switch.primary_id}); "
                "stop it or give a higher --election-id"
            )
        yield Session(device, program, switch, pushed)
    finally:
        await switch.__aexit__(None, None, None)
