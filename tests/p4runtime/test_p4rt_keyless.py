"""A table without match fields over gRPC: only its default entry can be written, as with BMv2."""

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
