"""A P4Info optional field whose BMv2 JSON key says "ternary" (as some p4c releases write it) is accepted:
writes of optional matches and don't-cares work, read back as optional, and packets match accordingly."""

from __future__ import annotations

import asyncio
import json

from finsy.proto import p4r
from p4rt_harness import ACL, TO_CPU, Client, action, fixture_json, insert, running_server, table_entry

from softp4.switch import Ternary

SRC = b"\x02\x00\x00\x00\x00\x07"


def optional(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, optional=p4r.FieldMatch.Optional(value=value))


def json_with_ternary_optional() -> bytes:
    program = json.loads(fixture_json())
    changed = 0
    for pipeline in program["pipelines"]:
        for table in pipeline["tables"]:
            for key in table["key"]:
                if key["match_type"] == "optional":
                    key["match_type"] = "ternary"
                    changed += 1
    assert changed == 1
    return json.dumps(program).encode()


def test_optional_field_on_a_ternary_json_key() -> None:
    with running_server() as running:

        async def main() -> None:
            async with Client(running.address) as client:
                await client.arbitrate(1)
                await client.set_pipeline(device_config=json_with_ternary_optional())
                await client.write(
                    insert(table_entry(ACL, [optional(2, SRC)], action(TO_CPU), priority=20)),
                    insert(table_entry(ACL, [], action(TO_CPU), priority=5)),
                )
                entries = {e.table_entry.priority: e.table_entry for e in await client.read(table_entry(ACL, []))}
                # the omitted 9-bit range reads back as the full range, as PI gives it
                full_port_range = p4r.FieldMatch(field_id=3, range=p4r.FieldMatch.Range(low=b"\x00", high=b"\x01\xff"))
                assert list(entries[20].match) == [optional(2, b"\x02\x00\x00\x00\x00\x07"), full_port_range]
                assert list(entries[5].match) == [full_port_range]

        asyncio.run(main())
        keys = sorted((e.priority, e.key[1]) for e in running.switch.table_entries("ingress.acl"))
        assert keys == [(5, Ternary(0, 0)), (20, Ternary(int.from_bytes(SRC, "big"), (1 << 48) - 1))]
