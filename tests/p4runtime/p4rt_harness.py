"""A small P4Runtime client for the tests, over finsy's P4Client, and a running server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from finsy.p4client import P4Client, P4ClientError
from finsy.proto import p4i, p4r
from google.protobuf import text_format

from softp4.switch import Switch
from softp4.switch.p4runtime import P4RuntimeServer

FIXTURES = Path(__file__).parent / "fixtures"
DEVICE_ID = 1
CPU_PORT = 255

SMAC, DMAC, ROUTES, ACL, CONST_T = 33554433, 33554434, 33554435, 33554436, 33554437
NO_ACTION, DROP, FORWARD, SET_MCAST, TO_CPU, LEARN, DMAC_FORWARD = (
    16777217,
    16777218,
    16777219,
    16777220,
    16777221,
    16777222,
    16777224,
)
PORT_COUNTER, DMAC_COUNTER, PORT_METER, REG, LEARN_DIGEST = 301989889, 318767105, 335544321, 369098753, 385875969
PACKET_IN, PACKET_OUT = 67108865, 67108866
PVS = 50331649
SMAC_METER = 352321537
ECMP, ECMP_SELECTOR = 33554438, 285212673


def fixture_p4info() -> p4i.P4Info:
    return text_format.Parse((FIXTURES / "fixture.p4info.txtpb").read_text(), p4i.P4Info())


def fixture_json() -> bytes:
    return (FIXTURES / "fixture.json").read_bytes()


@dataclass
class Running:
    switch: Switch
    server: P4RuntimeServer

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@contextmanager
def running_server(**kwargs: object) -> Iterator[Running]:
    switch = Switch(None, device_id=DEVICE_ID, cpu_port=CPU_PORT)
    server = P4RuntimeServer(switch, address="127.0.0.1:0", device_id=DEVICE_ID, cpu_port=CPU_PORT, **kwargs)  # type: ignore[arg-type]
    server.start()
    try:
        yield Running(switch, server)
    finally:
        server.stop(grace=None)


def election(value: int) -> p4r.Uint128:
    return p4r.Uint128(high=value >> 64, low=value & 0xFFFFFFFFFFFFFFFF)


class Client:
    """One controller: a channel, a stream, an election id."""

    def __init__(self, address: str, election_id: int = 1) -> None:
        self.p4 = P4Client(address, wait_for_ready=False)
        self.election_id = election_id

    async def __aenter__(self) -> Client:
        await self.p4.open()
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.p4.close()

    async def arbitrate(
        self, election_id: int | None = None, device_id: int = DEVICE_ID
    ) -> p4r.MasterArbitrationUpdate:
        if election_id is not None:
            self.election_id = election_id
        await self.p4.send(
            p4r.StreamMessageRequest(
                arbitration=p4r.MasterArbitrationUpdate(device_id=device_id, election_id=election(self.election_id))
            )
        )
        return await self.next_arbitration()

    async def next_arbitration(self) -> p4r.MasterArbitrationUpdate:
        while True:
            message = await self.receive()
            if message.HasField("arbitration"):
                return message.arbitration

    async def receive(self, timeout: float = 5.0) -> p4r.StreamMessageResponse:
        return await asyncio.wait_for(self.p4.receive(), timeout)

    async def set_pipeline(
        self,
        p4info: p4i.P4Info | None = None,
        device_config: bytes | None = None,
        *,
        action: int = p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
        cookie: int | None = None,
    ) -> None:
        config = p4r.ForwardingPipelineConfig(
            p4info=p4info if p4info is not None else fixture_p4info(),
            p4_device_config=device_config if device_config is not None else fixture_json(),
        )
        if cookie is not None:
            config.cookie.cookie = cookie
        request = p4r.SetForwardingPipelineConfigRequest(
            device_id=DEVICE_ID,
            election_id=election(self.election_id),
            action=action,
            config=config,
        )
        await self.p4.request(request)

    async def write(self, *updates: p4r.Update, device_id: int = DEVICE_ID, election_id: int | None = None) -> None:
        await self.p4.request(
            p4r.WriteRequest(
                device_id=device_id,
                election_id=election(self.election_id if election_id is None else election_id),
                updates=list(updates),
            )
        )

    async def read(self, *entities: p4r.Entity, device_id: int = DEVICE_ID) -> list[p4r.Entity]:
        out: list[p4r.Entity] = []
        async for reply in self.p4.request_iter(p4r.ReadRequest(device_id=device_id, entities=list(entities))):
            out.extend(reply.entities)
        return out


async def write_error(client: Client, *updates: p4r.Update, **kwargs: int) -> P4ClientError:
    try:
        await client.write(*updates, **kwargs)
    except P4ClientError as error:
        return error
    raise AssertionError("the write succeeded")


def insert(entity: p4r.Entity) -> p4r.Update:
    return p4r.Update(type=p4r.Update.INSERT, entity=entity)


def modify(entity: p4r.Entity) -> p4r.Update:
    return p4r.Update(type=p4r.Update.MODIFY, entity=entity)


def delete(entity: p4r.Entity) -> p4r.Update:
    return p4r.Update(type=p4r.Update.DELETE, entity=entity)


def exact(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, exact=p4r.FieldMatch.Exact(value=value))


def lpm(fid: int, value: bytes, plen: int) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, lpm=p4r.FieldMatch.LPM(value=value, prefix_len=plen))


def ternary(fid: int, value: bytes, mask: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, ternary=p4r.FieldMatch.Ternary(value=value, mask=mask))


def action(action_id: int, *params: bytes) -> p4r.TableAction:
    return p4r.TableAction(
        action=p4r.Action(
            action_id=action_id, params=[p4r.Action.Param(param_id=i + 1, value=v) for i, v in enumerate(params)]
        )
    )


def table_entry(
    table_id: int, matches: list[p4r.FieldMatch], table_action: p4r.TableAction | None = None, priority: int = 0
) -> p4r.Entity:
    te = p4r.TableEntry(table_id=table_id, match=matches, priority=priority)
    if table_action is not None:
        te.action.CopyFrom(table_action)
    return p4r.Entity(table_entry=te)
