"""Idle timeouts over P4Runtime: idle_timeout_ns written and read back, time_since_last_hit,
IdleTimeoutNotification once per idle period (PI + BMv2 semantics), and the errors of tables without it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from finsy.grpcutil import GRPCStatusCode
from finsy.p4client import P4ClientError
from finsy.proto import p4r
from p4rt_harness import Client, action, exact, insert, modify, table_entry, write_error

from softp4.compiler import compile_source
from softp4.switch import Exact, Switch
from softp4.switch.errors import InvalidArgument
from softp4.switch.p4runtime import P4RuntimeServer

PROGRAM = """
#include <core.p4>
#include <v1model.p4>
header ethernet_t { bit<48> dst; bit<48> src; bit<16> type; }
struct headers_t { ethernet_t ethernet; }
struct meta_t { }
parser P(packet_in pkt, out headers_t hdr, inout meta_t m, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.ethernet); transition accept; }
}
control V(inout headers_t hdr, inout meta_t m) { apply { } }
control I(inout headers_t hdr, inout meta_t m, inout standard_metadata_t sm) {
    action fwd(bit<9> port) { sm.egress_spec = port; }
    action drop() { mark_to_drop(sm); }
    table ageing { key = { hdr.ethernet.dst: exact; } actions = { fwd; drop; } default_action = drop();
                   support_timeout = true; }
    table plain { key = { hdr.ethernet.src: exact; } actions = { fwd; NoAction; } }
    apply { ageing.apply(); plain.apply(); }
}
control E(inout headers_t hdr, inout meta_t m, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t hdr, inout meta_t m) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
"""

RESULT = compile_source(PROGRAM, filename="ageing.p4")
IDS = {t.preamble.name: t.preamble.id for t in RESULT.p4info.tables}
ACTIONS = {a.preamble.name: a.preamble.id for a in RESULT.p4info.actions}
AGEING, PLAIN, FWD = IDS["I.ageing"], IDS["I.plain"], ACTIONS["I.fwd"]
MS = 1_000_000


class Clock:
    """A switch clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frame(dst: int) -> bytes:
    return dst.to_bytes(6, "big") + bytes(6) + b"\x08\x00" + bytes(46)


def aged(dst: int, timeout_ns: int, *, controller_metadata: int = 0) -> p4r.Entity:
    entity = table_entry(AGEING, [exact(1, dst.to_bytes(6, "big"))], action(FWD, b"\x00\x01"))
    entity.table_entry.idle_timeout_ns = timeout_ns
    entity.table_entry.controller_metadata = controller_metadata
    return entity


def run(body: Callable[[Client, Switch, P4RuntimeServer, Clock], Awaitable[None]], *, sweep: bool = False) -> None:
    """`body` with a primary client; without `sweep` the server has no ageing thread (the test sweeps)."""
    clock = Clock()
    switch = Switch(None, device_id=1, clock=clock)
    server = P4RuntimeServer(switch, address="127.0.0.1:0", device_id=1, cpu_port=0)
    if not sweep:
        server.service.sweep_interval = None
    server.start()

    async def main() -> None:
        async with Client(f"127.0.0.1:{server.port}") as client:
            await client.arbitrate(1)
            await client.set_pipeline(RESULT.p4info, json.dumps(RESULT.bmv2_json).encode())
            await body(client, switch, server, clock)

    try:
        asyncio.run(main())
    finally:
        server.stop(grace=None)


def sweep(server: P4RuntimeServer) -> p4r.IdleTimeoutNotification | None:
    device = server.service.device
    assert device is not None
    return device.idle_timeouts.sweep()


def test_compiler_marks_the_table_in_json_and_p4info() -> None:
    tables = {t["name"]: t for p in RESULT.bmv2_json["pipelines"] for t in p["tables"]}
    assert tables["I.ageing"]["support_timeout"] is True and tables["I.plain"]["support_timeout"] is False
    info = {t.preamble.name: t for t in RESULT.p4info.tables}
    assert info["I.ageing"].idle_timeout_behavior == info["I.ageing"].NOTIFY_CONTROL
    assert info["I.plain"].idle_timeout_behavior == info["I.plain"].NO_TIMEOUT


def test_switch_api_ages_only_tables_with_support_timeout() -> None:
    clock = Clock()
    switch = Switch(RESULT.bmv2_json, clock=clock)
    handle = switch.table_add("I.ageing", [Exact(5)], "I.fwd", [1])
    switch.table_entry_set_ttl("I.ageing", handle, 1500)
    clock.now += 1.4999
    assert switch.table_expired("I.ageing") == [] and switch.table_entry_ttl("I.ageing", handle) == (1500, 1499)
    clock.now += 0.0001
    assert switch.table_expired("I.ageing") == [handle]
    other = switch.table_add("I.plain", [Exact(5)], "I.fwd", [1])
    with pytest.raises(InvalidArgument, match="does not support idle timeouts"):
        switch.table_entry_set_ttl("I.plain", other, 10)
    assert switch.table_expired("I.plain") == []
    assert switch.table_info("I.ageing").support_timeout and not switch.table_info("I.plain").support_timeout


def test_idle_entry_is_notified_once_until_hit_again() -> None:
    async def body(client: Client, switch: Switch, server: P4RuntimeServer, clock: Clock) -> None:
        await client.write(insert(aged(1, 2000 * MS, controller_metadata=7)), insert(aged(2, 0)))
        clock.now += 1.999
        assert sweep(server) is None  # 1999 ms idle: not yet
        clock.now += 0.001
        sent = sweep(server)
        assert sent is not None
        assert list(sent.table_entry) == [
            p4r.TableEntry(
                table_id=AGEING,
                match=[exact(1, b"\x01")],
                idle_timeout_ns=2000 * MS,
                controller_metadata=7,
            )
        ]
        message = await client.receive()
        assert message.idle_timeout_notification == sent
        clock.now += 10
        assert sweep(server) is None  # still idle: not notified again
        switch.process(0, frame(1))  # a hit makes it active
        assert sweep(server) is None
        clock.now += 2
        again = sweep(server)
        assert again is not None and [e.match[0].exact.value for e in again.table_entry] == [b"\x01"]
        # the entry with idle_timeout_ns 0 never ages
        clock.now += 3600
        assert sweep(server) is None

    run(body)


def test_modify_restarts_the_idle_time_and_changes_the_timeout() -> None:
    async def body(client: Client, switch: Switch, server: P4RuntimeServer, clock: Clock) -> None:
        await client.write(insert(aged(1, 1000 * MS)))
        clock.now += 0.9
        await client.write(modify(aged(1, 500 * MS)))
        clock.now += 0.4
        assert sweep(server) is None
        clock.now += 0.1
        sent = sweep(server)
        assert sent is not None and sent.table_entry[0].idle_timeout_ns == 500 * MS

    run(body)


def test_read_back_idle_timeout_and_time_since_last_hit() -> None:
    async def body(client: Client, switch: Switch, server: P4RuntimeServer, clock: Clock) -> None:
        await client.write(insert(aged(1, 5000 * MS, controller_metadata=3)), insert(aged(2, 0)))
        clock.now += 1.25
        request = p4r.Entity(table_entry=p4r.TableEntry(table_id=AGEING))
        plain = {e.table_entry.match[0].exact.value: e.table_entry for e in await client.read(request)}
        assert plain[b"\x01"].idle_timeout_ns == 5000 * MS and plain[b"\x01"].controller_metadata == 3
        assert not plain[b"\x01"].HasField("time_since_last_hit")
        request.table_entry.time_since_last_hit.elapsed_ns = 0
        timed = {e.table_entry.match[0].exact.value: e.table_entry for e in await client.read(request)}
        assert timed[b"\x01"].time_since_last_hit.elapsed_ns == 1250 * MS
        assert timed[b"\x02"].time_since_last_hit.elapsed_ns == 0  # never ages: PI reports 0
        switch.process(0, frame(1))
        clock.now += 0.01
        hit = await client.read(request)
        assert {e.table_entry.match[0].exact.value: e.table_entry.time_since_last_hit.elapsed_ns for e in hit} == {
            b"\x01": 10 * MS,
            b"\x02": 0,
        }

    run(body)


def test_errors_as_pi_gives_them() -> None:
    async def body(client: Client, switch: Switch, server: P4RuntimeServer, clock: Clock) -> None:
        plain = table_entry(PLAIN, [exact(1, b"\x01")], action(FWD, b"\x00\x01"))
        plain.table_entry.idle_timeout_ns = 1000 * MS
        error = await write_error(client, insert(plain))
        assert error.code == GRPCStatusCode.UNKNOWN
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        assert "does not support idle timeout" in error.details[0].message
        negative = aged(1, -1)
        error = await write_error(client, insert(negative))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        with_elapsed = aged(1, 1000 * MS)
        with_elapsed.table_entry.time_since_last_hit.elapsed_ns = 5
        error = await write_error(client, insert(with_elapsed))
        assert "time_since_last_hit must not be set in a WriteRequest" in error.details[0].message
        # a read asking time_since_last_hit of a table without idle timeout, or of all tables, fails
        for table_id in (PLAIN, 0):
            request = p4r.Entity(table_entry=p4r.TableEntry(table_id=table_id))
            request.table_entry.time_since_last_hit.elapsed_ns = 0
            try:
                await client.read(request)
            except P4ClientError as exc:
                assert exc.code == GRPCStatusCode.INVALID_ARGUMENT
            else:
                raise AssertionError(f"the read of table {table_id} succeeded")

    run(body)


def test_the_sweep_thread_sends_notifications_to_the_primary() -> None:
    async def body(client: Client, switch: Switch, server: P4RuntimeServer, clock: Clock) -> None:
        await client.write(insert(aged(9, 1 * MS)))
        clock.now += 1
        while True:  # the first sweep after the entry became idle, within a few seconds
            message = await client.receive(timeout=10)
            if message.HasField("idle_timeout_notification"):
                break
        assert [e.match[0].exact.value for e in message.idle_timeout_notification.table_entry] == [b"\x09"]
        assert message.idle_timeout_notification.timestamp > 0

    run(body, sweep=True)
