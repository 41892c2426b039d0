"""Table entries over gRPC: writes, canonical read-back, default and const entries, error codes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from finsy.grpcutil import GRPCStatusCode
from finsy.proto import p4r
from p4rt_harness import (
    ACL,
    CONST_T,
    DMAC,
    DMAC_FORWARD,
    DROP,
    FORWARD,
    NO_ACTION,
    ROUTES,
    SET_MCAST,
    TO_CPU,
    Client,
    Running,
    action,
    delete,
    exact,
    insert,
    lpm,
    modify,
    running_server,
    table_entry,
    ternary,
    write_error,
)

from softp4.switch import Lpm

MAC1 = b"\x00\x00\x00\x00\x00\x01"


def run(body: Callable[[Client], Awaitable[None]]) -> None:
    """Run `body` with a primary client on a server with the fixture pipeline."""

    async def main(address: str) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            await body(client)

    with running_server() as running:
        asyncio.run(main(running.address))


def test_written_values_read_back_canonical() -> None:
    async def body(client: Client) -> None:
        await client.write(
            insert(table_entry(DMAC, [exact(1, MAC1)], action(DMAC_FORWARD, b"\x00\x03"))),
            insert(table_entry(ROUTES, [lpm(1, b"\x00\x0a\x00\x00\x00\x00\x00", 16)], action(FORWARD, b"\x00\x07"))),
            insert(table_entry(ACL, [ternary(1, b"\x00\x08\x00", b"\xff\xff")], action(TO_CPU), priority=10)),
        )
        entities = await client.read(table_entry(0, []))
        got = {e.table_entry.table_id: e.table_entry for e in entities}
        assert got[DMAC] == p4r.TableEntry(
            table_id=DMAC, match=[exact(1, b"\x01")], action=action(DMAC_FORWARD, b"\x03")
        )
        assert got[ROUTES] == p4r.TableEntry(
            table_id=ROUTES, match=[lpm(1, b"\x0a\x00\x00\x00\x00\x00", 16)], action=action(FORWARD, b"\x07")
        )
        # the omitted range on the 9-bit port reads back as the full range (PI's quirk, see range_is_dont_care)
        full_port_range = p4r.FieldMatch(field_id=3, range=p4r.FieldMatch.Range(low=b"\x00", high=b"\x01\xff"))
        assert got[ACL] == p4r.TableEntry(
            table_id=ACL,
            match=[ternary(1, b"\x08\x00", b"\xff\xff"), full_port_range],
            action=action(TO_CPU),
            priority=10,
        )
        # PI (so simple_switch_grpc) never sets is_const in a read, const table or not
        assert got[CONST_T] == p4r.TableEntry(table_id=CONST_T, match=[exact(1, b"\x08\x06")], action=action(DROP))
        assert len(entities) == 4
        # one table, and one entry by its match
        assert [e.table_entry.table_id for e in await client.read(table_entry(ROUTES, []))] == [ROUTES]
        one = await client.read(table_entry(DMAC, [exact(1, MAC1)]))
        assert [e.table_entry for e in one] == [got[DMAC]]
        assert await client.read(table_entry(DMAC, [exact(1, b"\x09")])) == []

        # controller metadata is kept with the entry
        tagged = table_entry(DMAC, [exact(1, b"\x02")], action(DROP))
        tagged.table_entry.metadata = b"owner=test"
        await client.write(insert(tagged))
        assert (await client.read(table_entry(DMAC, [exact(1, b"\x02")])))[0].table_entry.metadata == b"owner=test"
        await client.write(delete(tagged))

        # modify then delete
        await client.write(modify(table_entry(DMAC, [exact(1, b"\x01")], action(SET_MCAST, b"\x00\x05"))))
        assert (await client.read(table_entry(DMAC, [])))[0].table_entry.action == action(SET_MCAST, b"\x05")
        await client.write(delete(table_entry(DMAC, [exact(1, b"\x01")])))
        assert await client.read(table_entry(DMAC, [])) == []

    run(body)


def test_default_entries() -> None:
    async def body(client: Client) -> None:
        def default(table_id: int, table_action: p4r.TableAction | None = None) -> p4r.Entity:
            entity = table_entry(table_id, [], table_action)
            entity.table_entry.is_default_action = True
            return entity

        assert [e.table_entry for e in await client.read(default(DMAC))] == [
            p4r.TableEntry(table_id=DMAC, action=action(DROP), is_default_action=True)
        ]
        await client.write(modify(default(DMAC, action(DMAC_FORWARD, b"\x00\x05"))))
        assert (await client.read(default(DMAC)))[0].table_entry.action == action(DMAC_FORWARD, b"\x05")
        await client.write(modify(default(DMAC)))  # no action: back to the program's default
        assert (await client.read(default(DMAC)))[0].table_entry.action == action(DROP)
        # wildcard reads do not return default entries
        assert all(not e.table_entry.is_default_action for e in await client.read(table_entry(0, [])))

        error = await write_error(client, insert(default(DMAC, action(DROP))))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        error = await write_error(client, modify(default(CONST_T, action(DROP))))
        assert error.details[0].canonical_code == GRPCStatusCode.PERMISSION_DENIED
        error = await write_error(client, modify(default(ROUTES, action(FORWARD))))
        assert error.details[0].message == (
            "table_entry.action.action.params: parameter 'port' (id 1) of action 'ingress.forward' is missing"
        )
        await client.write(modify(default(ACL, action(NO_ACTION))))  # @defaultonly is fine as the default

    run(body)


def test_every_update_error_code_and_batch_details() -> None:
    async def body(client: Client) -> None:
        entry = table_entry(DMAC, [exact(1, MAC1)], action(DROP))
        await client.write(insert(entry))
        acl = [table_entry(ACL, [ternary(1, bytes([0, i]), b"\xff\xff")], action(DROP), priority=1) for i in range(5)]
        error = await write_error(
            client,
            insert(entry),  # ALREADY_EXISTS
            modify(table_entry(DMAC, [exact(1, b"\x09")], action(DROP))),  # NOT_FOUND
            delete(table_entry(DMAC, [exact(1, b"\x09")])),  # NOT_FOUND
            insert(table_entry(DMAC, [exact(7, b"\x09")], action(DROP))),  # INVALID_ARGUMENT
            insert(table_entry(CONST_T, [exact(1, b"\x01")], action(DROP))),  # UNKNOWN (simple_switch refuses it)
            *[insert(e) for e in acl],  # size 4: the fifth is UNKNOWN (simple_switch's TABLE_FULL)
            p4r.Update(type=p4r.Update.UNSPECIFIED, entity=entry),
            insert(p4r.Entity()),
            insert(table_entry(ACL, [ternary(1, b"\x01\x01", b"\xff\xff")], action(NO_ACTION), priority=1)),
        )
        assert error.code == GRPCStatusCode.UNKNOWN
        codes = {i: (e.canonical_code, e.message) for i, e in error.details.items()}
        assert codes == {
            0: (GRPCStatusCode.ALREADY_EXISTS, "table 'ingress.dmac': an entry with this key already exists"),
            1: (
                GRPCStatusCode.NOT_FOUND,
                "table_entry: no entry with this match and priority 0 in table 'ingress.dmac'",
            ),
            2: (
                GRPCStatusCode.NOT_FOUND,
                "table_entry: no entry with this match and priority 0 in table 'ingress.dmac'",
            ),
            3: (
                GRPCStatusCode.INVALID_ARGUMENT,
                "table_entry.match[0].field_id 7: no such match field in table 'ingress.dmac'",
            ),
            4: (
                GRPCStatusCode.UNKNOWN,
                "Error when adding match entry to target: table 'ingress.const_t' is const: its entries cannot change",
            ),
            9: (
                GRPCStatusCode.UNKNOWN,
                "Error when adding match entry to target: table 'ingress.acl': full (4 entries)",
            ),
            10: (GRPCStatusCode.INVALID_ARGUMENT, "updates[10].type 0: must be INSERT, MODIFY or DELETE"),
            11: (GRPCStatusCode.UNKNOWN, "Incorrect entity type"),  # an empty entity, in PI's words
            12: (
                GRPCStatusCode.PERMISSION_DENIED,
                "table_entry.action.action: action 'NoAction' is @defaultonly in table 'ingress.acl' "
                "and cannot be in an entry",
            ),
        }
        assert len(await client.read(table_entry(ACL, []))) == 4  # the successes in the batch were applied

        error = await write_error(client, insert(entry), device_id=5)
        assert error.code == GRPCStatusCode.PERMISSION_DENIED and not error.details
        error = await write_error(client, insert(entry), election_id=99)
        assert error.code == GRPCStatusCode.PERMISSION_DENIED
        # priorities
        error = await write_error(client, insert(table_entry(ACL, [ternary(1, b"\x01", b"\x01")], action(DROP))))
        assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
        assert "need a priority > 0" in error.details[0].message
        error = await write_error(client, insert(table_entry(DMAC, [exact(1, b"\x05")], action(DROP), priority=2)))
        assert "the priority must be 0" in error.details[0].message
        # idle timeouts: only tables with support_timeout take them
        aging = table_entry(DMAC, [exact(1, b"\x06")], action(DROP))
        aging.table_entry.idle_timeout_ns = 10**9
        error = await write_error(client, insert(aging))
        assert (error.details[0].canonical_code, error.details[0].message) == (
            GRPCStatusCode.INVALID_ARGUMENT,
            "table_entry.idle_timeout_ns: must be 0 for table 'ingress.dmac', which does not support idle timeout",
        )

    run(body)


def test_lpm_host_bits_and_ternary_bits_outside_the_mask_are_rejected_not_masked() -> None:
    """Switch.table_add masks them as BMv2's runtime CLI does; P4Runtime must refuse them (INVALID_ARGUMENT)."""
    route = table_entry(ROUTES, [lpm(1, b"\x0a\x00\x00\x00\x00\x01", 8)], action(FORWARD, b"\x00\x07"))
    acl = table_entry(ACL, [ternary(1, b"\x08\x03", b"\xff\x00")], action(DROP), priority=5)
    lpm_message = "table_entry.match[0].lpm.value 0x0a0000000001: bits beyond the prefix length 8 must be zero"
    ternary_message = "table_entry.match[0].ternary: value 0x0803 has bits set outside mask 0xff00"

    async def main(running: Running) -> None:
        async with Client(running.address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            for update in (insert, modify, delete):
                error = await write_error(client, update(route), update(acl))
                assert error.code == GRPCStatusCode.UNKNOWN
                assert [(e.canonical_code, e.message) for _, e in sorted(error.details.items())] == [
                    (GRPCStatusCode.INVALID_ARGUMENT, lpm_message),
                    (GRPCStatusCode.INVALID_ARGUMENT, ternary_message),
                ]
            assert await client.read(table_entry(ROUTES, [])) == []
            assert await client.read(table_entry(ACL, [])) == []
        assert running.switch.table_entries("ingress.routes") == []
        assert running.switch.table_entries("ingress.acl") == []
        # the in-process API takes the same entries and clears the stray bits
        running.switch.table_add("ingress.routes", [Lpm(0x0A0000000001, 8)], "ingress.forward", [7])
        assert running.switch.table_entries("ingress.routes")[0].key == (Lpm(0x0A0000000000, 8),)

    with running_server() as running:
        asyncio.run(main(running))


def test_a_read_again_gives_what_changed_since() -> None:
    """Reads keep the message of an unchanged entry; any change to it (action, parameters, metadata,
    deleted and written again) shows in the next read."""

    async def body(client: Client) -> None:
        entry = table_entry(DMAC, [exact(1, b"\x07")], action(DMAC_FORWARD, b"\x00\x03"))
        await client.write(insert(entry))

        async def read_one() -> p4r.TableEntry:
            (found,) = await client.read(table_entry(DMAC, []))
            return found.table_entry

        first = await read_one()
        assert first == await read_one()
        await client.write(modify(table_entry(DMAC, [exact(1, b"\x07")], action(DMAC_FORWARD, b"\x00\x04"))))
        assert (await read_one()).action == action(DMAC_FORWARD, b"\x04")
        tagged = table_entry(DMAC, [exact(1, b"\x07")], action(DMAC_FORWARD, b"\x00\x04"))
        tagged.table_entry.metadata = b"v2"
        await client.write(modify(tagged))
        assert (await read_one()).metadata == b"v2"
        with_counter = table_entry(DMAC, [])
        with_counter.table_entry.counter_data.SetInParent()
        (counted,) = await client.read(with_counter)
        assert counted.table_entry.HasField("counter_data")
        assert not (await read_one()).HasField("counter_data")
        await client.write(delete(entry))
        await client.write(insert(table_entry(DMAC, [exact(1, b"\x07")], action(DROP))))
        again = await read_one()
        assert again.action == action(DROP) and again.metadata == b""

    run(body)
