"""Counters, direct counters, meters, registers and the replication engine over gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from finsy.grpcutil import GRPCStatusCode
from finsy.p4client import P4ClientError
from finsy.proto import p4d, p4r
from p4rt_harness import (
    DMAC,
    DMAC_FORWARD,
    DROP,
    NO_ACTION,
    PORT_COUNTER,
    PORT_METER,
    PVS,
    REG,
    ROUTES,
    SMAC,
    Client,
    Running,
    action,
    delete,
    exact,
    insert,
    modify,
    running_server,
    table_entry,
    write_error,
)

from softp4.switch import Exact

FRAME = bytes.fromhex("0000000000010000000000020800") + bytes(46)


def run(body: Callable[[Client, Running], Awaitable[None]]) -> None:
    async def main(running: Running) -> None:
        async with Client(running.address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            await body(client, running)

    with running_server() as running:
        asyncio.run(main(running))


def test_direct_counters_count_hits_and_can_be_written() -> None:
    async def body(client: Client, running: Running) -> None:
        await client.write(insert(table_entry(DMAC, [exact(1, b"\x01")], action(DMAC_FORWARD, b"\x02"))))
        out: list[bytes] = []
        running.switch.attach_port(2, out.append)
        running.switch.receive(1, FRAME)
        running.switch.receive(1, FRAME)
        assert out == [FRAME, FRAME]
        entity = p4r.Entity(direct_counter_entry=p4r.DirectCounterEntry(table_entry=p4r.TableEntry(table_id=DMAC)))
        got = await client.read(entity)
        assert [e.direct_counter_entry for e in got] == [
            p4r.DirectCounterEntry(
                table_entry=p4r.TableEntry(table_id=DMAC, match=[exact(1, b"\x01")]),
                data=p4r.CounterData(byte_count=2 * len(FRAME), packet_count=2),
            )
        ]
        # counter data alongside table entries, when asked for
        request = table_entry(DMAC, [])
        request.table_entry.counter_data.SetInParent()
        assert (await client.read(request))[0].table_entry.counter_data.packet_count == 2
        # table_id 0 (every table): PI does not implement it
        wildcard = p4r.Entity(direct_counter_entry=p4r.DirectCounterEntry())
        with pytest.raises(P4ClientError) as info:
            await client.read(wildcard)
        assert (info.value.code, info.value.message) == (
            GRPCStatusCode.UNIMPLEMENTED,
            "Reading all direct counters for ALL tables is not supported yet",
        )
        write = p4r.DirectCounterEntry(
            table_entry=p4r.TableEntry(table_id=DMAC, match=[exact(1, b"\x01")]),
            data=p4r.CounterData(byte_count=7, packet_count=1),
        )
        await client.write(modify(p4r.Entity(direct_counter_entry=write)))
        assert (await client.read(entity))[0].direct_counter_entry.data == write.data
        error = await write_error(client, insert(p4r.Entity(direct_counter_entry=write)))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        # a table without a direct counter
        request = table_entry(ROUTES, [], action(DROP))
        request.table_entry.counter_data.byte_count = 1
        error = await write_error(client, insert(request))
        assert error.details[0].message == "table_entry.counter_data: table 'ingress.routes' has no direct counter"

    run(body)


def test_counters_registers_and_meters() -> None:
    async def body(client: Client, running: Running) -> None:
        counter = p4r.CounterEntry(
            counter_id=PORT_COUNTER, index=p4r.Index(index=3), data=p4r.CounterData(byte_count=100, packet_count=2)
        )
        await client.write(modify(p4r.Entity(counter_entry=counter)))
        assert running.switch.counter_read("ingress.port_counter", 3) == (100, 2)
        got = await client.read(p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=PORT_COUNTER)))
        assert len(got) == 8 and got[3].counter_entry == counter
        assert got[0].counter_entry.data == p4r.CounterData()
        assert len(await client.read(p4r.Entity(counter_entry=p4r.CounterEntry()))) == 8  # every counter
        bad = p4r.CounterEntry(counter_id=PORT_COUNTER, index=p4r.Index(index=8))
        error = await write_error(client, modify(p4r.Entity(counter_entry=bad)))
        assert error.details[0].canonical_code == GRPCStatusCode.UNKNOWN  # PI passes it on, simple_switch refuses it
        assert error.details[0].message == (
            "Error when writing to counter: counter_entry.index 8: out of range for 'ingress.port_counter' of size 8"
        )

        # PI implements neither register writes nor reads
        register = p4r.RegisterEntry(register_id=REG, index=p4r.Index(index=5), data=p4d.P4Data(bitstring=b"\x01"))
        error = await write_error(client, modify(p4r.Entity(register_entry=register)))
        assert error.code == GRPCStatusCode.UNKNOWN
        assert (error.details[0].canonical_code, error.details[0].message) == (
            GRPCStatusCode.UNIMPLEMENTED,
            "Register writes are not supported yet",
        )
        assert running.switch.register_read("ingress.reg", 5) == 0
        with pytest.raises(P4ClientError) as info:
            await client.read(p4r.Entity(register_entry=p4r.RegisterEntry(register_id=REG)))
        assert (info.value.code, info.value.message) == (
            GRPCStatusCode.UNIMPLEMENTED,
            "Register reads are not supported yet",
        )
        # a counter or meter write without an index (a wildcard write)
        for entity in (
            p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=PORT_COUNTER)),
            p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=PORT_METER)),
        ):
            error = await write_error(client, modify(entity))
            assert error.details[0].canonical_code == GRPCStatusCode.UNIMPLEMENTED
            assert error.details[0].message.startswith("Wildcard write is not supported for indirect")

        config = p4r.MeterConfig(cir=1000, cburst=100, pir=2000, pburst=200)
        meter = p4r.MeterEntry(meter_id=PORT_METER, index=p4r.Index(index=2), config=config)
        await client.write(modify(p4r.Entity(meter_entry=meter)))
        assert running.switch.meter_get("ingress.port_meter", 2) == [(1000.0, 100), (2000.0, 200)]
        got = await client.read(p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=PORT_METER, index=p4r.Index(index=2))))
        assert got[0].meter_entry == meter
        reset = p4r.MeterEntry(meter_id=PORT_METER, index=p4r.Index(index=2))
        await client.write(modify(p4r.Entity(meter_entry=reset)))
        assert running.switch.meter_get("ingress.port_meter", 2) == []
        backwards = p4r.MeterEntry(
            meter_id=PORT_METER, index=p4r.Index(index=2), config=p4r.MeterConfig(cir=5, cburst=1, pir=4, pburst=1)
        )
        error = await write_error(client, modify(p4r.Entity(meter_entry=backwards)))
        assert error.details[0].canonical_code == GRPCStatusCode.UNKNOWN
        assert (
            error.details[0].message == "Error when writing meter spec: meter_entry.config: cir 5 is greater than pir 4"
        )

    run(body)


def test_multicast_groups_and_clone_sessions() -> None:
    async def body(client: Client, running: Running) -> None:
        def group(gid: int, *replicas: tuple[int, int]) -> p4r.Entity:
            entry = p4r.MulticastGroupEntry(
                multicast_group_id=gid,
                replicas=[p4r.Replica(port=port.to_bytes(4, "big"), instance=rid) for port, rid in replicas],
            )
            return p4r.Entity(
                packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(multicast_group_entry=entry)
            )

        await client.write(insert(group(7, (1, 0), (2, 1), (3, 0))))
        assert running.switch.mc_group_get(7) == [(0, [1, 3]), (1, [2])]
        got = await client.read(group(0))
        assert [e.packet_replication_engine_entry for e in got] == [
            group(7, (1, 0), (2, 1), (3, 0)).packet_replication_engine_entry
        ]
        error = await write_error(client, insert(group(7, (1, 0))))
        assert error.details[0].canonical_code == GRPCStatusCode.ALREADY_EXISTS
        error = await write_error(client, modify(group(8, (1, 0))))
        assert error.details[0].canonical_code == GRPCStatusCode.NOT_FOUND
        error = await write_error(client, insert(group(9, (1, 0), (1, 0))))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        error = await write_error(client, insert(group(0, (1, 0))))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        await client.write(modify(group(7, (4, 2))))
        assert running.switch.mc_group_get(7) == [(2, [4])]
        # deprecated egress_port form is read back in that form
        legacy = p4r.MulticastGroupEntry(multicast_group_id=3, replicas=[p4r.Replica(egress_port=5, instance=1)])
        entity = p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(multicast_group_entry=legacy)
        )
        await client.write(insert(entity))
        assert (await client.read(group(3)))[0] == entity
        await client.write(delete(group(7)))
        assert [
            e.packet_replication_engine_entry.multicast_group_entry.multicast_group_id
            for e in await client.read(group(0))
        ] == [3]

        session = p4r.CloneSessionEntry(
            session_id=4, replicas=[p4r.Replica(port=b"\x00\x09", instance=3)], packet_length_bytes=64
        )
        clone = p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(clone_session_entry=session)
        )
        await client.write(insert(clone))
        assert running.switch.clone_session_get(4) == ([(9, 3)], 64)
        read = p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
                clone_session_entry=p4r.CloneSessionEntry()
            )
        )
        assert await client.read(read) == [clone]
        await client.write(delete(clone))
        assert await client.read(read) == []
        error = await write_error(client, delete(clone))
        assert error.details[0].canonical_code == GRPCStatusCode.NOT_FOUND

    run(body)


def test_value_sets_are_unimplemented_as_in_pi() -> None:
    async def body(client: Client, running: Running) -> None:
        members = p4r.Entity(
            value_set_entry=p4r.ValueSetEntry(value_set_id=PVS, members=[p4r.ValueSetMember(match=[exact(1, b"\x12")])])
        )
        error = await write_error(client, modify(members))
        assert (error.details[0].canonical_code, error.details[0].message) == (
            GRPCStatusCode.UNIMPLEMENTED,
            "ValueSet writes are not supported yet",
        )
        assert running.switch.parse_vset_entries("MyParser.pvs") == []
        with pytest.raises(P4ClientError) as info:
            await client.read(p4r.Entity(value_set_entry=p4r.ValueSetEntry()))
        assert (info.value.code, info.value.message) == (
            GRPCStatusCode.UNIMPLEMENTED,
            "ValueSet reads are not supported yet",
        )

    run(body)


def test_direct_meters() -> None:
    async def body(client: Client, running: Running) -> None:
        config = p4r.MeterConfig(cir=100, cburst=10, pir=200, pburst=20)
        entry = table_entry(SMAC, [exact(1, b"\x00\x00\x0a")], action(NO_ACTION))
        entry.table_entry.meter_config.CopyFrom(config)
        await client.write(insert(entry))
        handle = running.switch.table_find("ingress.smac", [Exact(10)])
        assert handle is not None
        assert running.switch.table_entry_meter_get("ingress.smac", handle) == [(100.0, 10), (200.0, 20)]
        request = table_entry(SMAC, [])
        request.table_entry.meter_config.SetInParent()
        assert (await client.read(request))[0].table_entry.meter_config == config

        key = p4r.TableEntry(table_id=SMAC, match=[exact(1, b"\x0a")])
        other = p4r.MeterConfig(cir=5, cburst=1, pir=6, pburst=2)
        await client.write(modify(p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=key, config=other))))
        got = await client.read(
            p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=p4r.TableEntry(table_id=SMAC)))
        )
        assert [e.direct_meter_entry for e in got] == [p4r.DirectMeterEntry(table_entry=key, config=other)]
        with pytest.raises(P4ClientError) as info:  # every table at once: PI does not implement it
            await client.read(p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=p4r.TableEntry())))
        assert info.value.message == "Reading all direct meters for ALL tables is not supported yet"
        await client.write(modify(p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=key))))
        assert running.switch.table_entry_meter_get("ingress.smac", handle) == []
        # a table without a direct meter
        routes = table_entry(ROUTES, [], action(DROP))
        routes.table_entry.meter_config.CopyFrom(config)
        error = await write_error(client, insert(routes))
        assert error.details[0].message == "table_entry.meter_config: table 'ingress.routes' has no direct meter"
        missing = p4r.TableEntry(table_id=SMAC, match=[exact(1, b"\x0b")])
        error = await write_error(
            client, modify(p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=missing, config=other)))
        )
        assert error.details[0].canonical_code == GRPCStatusCode.NOT_FOUND

    run(body)
