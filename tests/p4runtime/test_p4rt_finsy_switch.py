"""finsy's high-level Switch drives the server: handshake, pipeline by cookie, writes, reads, delete_all."""

from __future__ import annotations

import asyncio

import finsy as fy
from finsy.p4entity import P4Replica
from p4rt_harness import FIXTURES, running_server


def test_finsy_switch_lifecycle() -> None:
    async def main(address: str) -> list[object]:
        options = fy.SwitchOptions(
            p4info=FIXTURES / "fixture.p4info.txtpb", p4blob=FIXTURES / "fixture.json", device_id=1
        )
        seen: list[object] = []
        async with fy.Switch("softp4", address, options) as sw:
            assert sw.is_primary
            await sw.insert(
                [
                    fy.P4TableEntry(
                        "routes",
                        match=fy.P4TableMatch(dst=(0x0A0000000000, 16)),
                        action=fy.P4TableAction("forward", port=3),
                    ),
                    fy.P4TableEntry(
                        "acl",
                        match=fy.P4TableMatch(etherType=(0x0800, 0xFF00)),
                        action=fy.P4TableAction("to_cpu"),
                        priority=5,
                    ),
                    fy.P4MulticastGroupEntry(1, replicas=[1, 2, (3, 1)]),
                ]
            )
            async for entry in sw.read(fy.P4TableEntry("routes")):
                seen.append((entry.match["dst"], entry.action.args["port"]))
            async for entry in sw.read(fy.P4TableEntry("acl")):
                seen.append((entry.match["etherType"], entry.priority))
            async for group in sw.read(fy.P4MulticastGroupEntry()):
                seen.append(group.replicas)
            await sw.delete_all()
            seen.append(len([e async for e in sw.read(fy.P4TableEntry())]))
        return seen

    with running_server() as running:
        seen = asyncio.run(main(running.address))
    assert seen == [
        ((0x0A0000000000, 16), 3),
        ((0x0800, 0xFF00), 5),
        (1, 2, P4Replica(3, instance=1)),
        1,  # the const entry of const_t stays
    ]
