"""Writes whose answer is PI's own (simple_switch_grpc), checked there against the real thing with
benchmarks/realworld.py: keyless and const tables, action scopes, indirect tables' defaults."""

from __future__ import annotations

import asyncio
import json

from finsy.grpcutil import GRPCStatusCode
from finsy.proto import p4r
from p4rt_harness import Client, action, delete, insert, modify, running_server, table_entry, write_error

from softp4.compiler import compile_source

KEYLESS = """
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action set_port(bit<9> port) { s.egress_spec = port; }
    table info { actions = { set_port; @defaultonly NoAction; } default_action = NoAction(); size = 1; }
    apply { info.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply { } }
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def test_entry_in_a_keyless_table_is_refused_and_its_default_entry_is_written() -> None:
    result = compile_source(KEYLESS, filename="keyless.p4")
    info = result.p4info
    (table,) = info.tables
    set_port = next(a.preamble.id for a in info.actions if a.preamble.name == "I.set_port")

    async def main(address: str) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            await client.set_pipeline(info, json.dumps(result.bmv2_json).encode())
            entry = table_entry(table.preamble.id, [], action(set_port, b"\x03"))
            # BMv2 answers UNKNOWN ("Error when adding match entry to target"); then nothing is there
            error = await write_error(client, insert(entry))
            assert error.details[0].canonical_code == GRPCStatusCode.UNKNOWN
            assert "has no match fields" in error.details[0].message
            # the action is checked first: a parameter too wide is INVALID_ARGUMENT
            error = await write_error(client, insert(table_entry(table.preamble.id, [], action(set_port, b"\x02\x00"))))
            assert error.details[0].canonical_code == GRPCStatusCode.INVALID_ARGUMENT
            for update in (modify(entry), delete(entry)):
                error = await write_error(client, update)
                assert error.details[0].canonical_code == GRPCStatusCode.NOT_FOUND
            default = table_entry(table.preamble.id, [], action(set_port, b"\x03"))
            default.table_entry.is_default_action = True
            await client.write(p4r.Update(type=p4r.Update.MODIFY, entity=default))

    with running_server() as running:
        asyncio.run(main(running.address))


SCOPES = """
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> a; bit<8> b; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; }
}
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s) {
    action set_port(bit<9> port) { s.egress_spec = port; }
    action mark(bit<8> v) { h.h.b = v; }
    action_profile(16) prof;
    table fixed {
        key = { h.h.a : exact; }
        actions = { set_port; NoAction; }
        const entries = { 1 : set_port(2); }
    }
    table scoped { key = { h.h.a : exact; } actions = { set_port; @tableonly mark; @defaultonly NoAction; } }
    table ind { key = { h.h.b : exact; } actions = { set_port; @defaultonly NoAction; } implementation = prof; }
    apply { fixed.apply(); scoped.apply(); ind.apply(); }
}
control E(inout H h, inout M m, inout standard_metadata_t s) { apply { } }
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def test_const_tables_scopes_and_indirect_defaults_answer_as_pi() -> None:
    result = compile_source(SCOPES, filename="scopes.p4")
    info = result.p4info
    tables = {t.preamble.name: t.preamble.id for t in info.tables}
    actions = {a.preamble.name: a.preamble.id for a in info.actions}
    profile = info.action_profiles[0].preamble.id
    Code = GRPCStatusCode

    async def main(address: str) -> None:
        async with Client(address) as client:
            await client.arbitrate(1)
            await client.set_pipeline(info, json.dumps(result.bmv2_json).encode())

            async def code(update: p4r.Update) -> GRPCStatusCode:
                return (await write_error(client, update)).details[0].canonical_code

            def te(table: str, key: int, act: str, *params: bytes) -> p4r.Entity:
                match = [p4r.FieldMatch(field_id=1, exact=p4r.FieldMatch.Exact(value=bytes([key])))]
                return table_entry(tables[table], match, action(actions[act], *params))

            def default_of(table: str, act: str, *params: bytes) -> p4r.Entity:
                entity = table_entry(tables[table], [], action(actions[act], *params))
                entity.table_entry.is_default_action = True
                return entity

            # a const table: the insert fails in the target (UNKNOWN), its const entries are not found
            assert await code(insert(te("I.fixed", 5, "I.set_port", b"\x01"))) == Code.UNKNOWN
            assert await code(modify(te("I.fixed", 1, "I.set_port", b"\x03"))) == Code.NOT_FOUND
            assert await code(delete(te("I.fixed", 1, "I.set_port", b"\x03"))) == Code.NOT_FOUND
            # an action out of its scope
            assert await code(insert(te("I.scoped", 1, "NoAction"))) == Code.PERMISSION_DENIED
            mark_default = p4r.Update(type=p4r.Update.MODIFY, entity=default_of("I.scoped", "I.mark", b"\x01"))
            assert await code(mark_default) == Code.PERMISSION_DENIED
            # a table with an action profile has no default entry to set
            ind_default = p4r.Update(type=p4r.Update.MODIFY, entity=default_of("I.ind", "I.set_port", b"\x01"))
            assert await code(ind_default) == Code.INVALID_ARGUMENT
            # a member may hold an action that is @defaultonly in the table (PI checks no scope there)
            no_action = action(actions["NoAction"]).action
            member = p4r.ActionProfileMember(action_profile_id=profile, member_id=1, action=no_action)
            await client.write(insert(p4r.Entity(action_profile_member=member)))

    with running_server() as running:
        asyncio.run(main(running.address))
