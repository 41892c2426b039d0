"""Action selectors over gRPC: members, weighted groups, indirect table entries, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from finsy.grpcutil import GRPCStatusCode
from finsy.proto import p4r
from p4rt_harness import (
    DMAC,
    DROP,
    ECMP,
    ECMP_SELECTOR,
    FORWARD,
    NO_ACTION,
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

DST = bytes.fromhex("000000000007")
FRAME = DST + bytes.fromhex("0000000000aa0800") + bytes(46)


def run(body: Callable[[Client, Running], Awaitable[None]]) -> None:
    async def main(running: Running) -> None:
        async with Client(running.address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            await body(client, running)

    with running_server() as running:
        asyncio.run(main(running))


def member(member_id: int, table_action: p4r.TableAction | None = None) -> p4r.Entity:
    entry = p4r.ActionProfileMember(action_profile_id=ECMP_SELECTOR, member_id=member_id)
    if table_action is not None:
        entry.action.CopyFrom(table_action.action)
    return p4r.Entity(action_profile_member=entry)


def group(group_id: int, *members: tuple[int, int], max_size: int = 0) -> p4r.Entity:
    return p4r.Entity(
        action_profile_group=p4r.ActionProfileGroup(
            action_profile_id=ECMP_SELECTOR,
            group_id=group_id,
            members=[p4r.ActionProfileGroup.Member(member_id=m, weight=w) for m, w in members],
            max_size=max_size,
        )
    )


def test_members_groups_and_indirect_entries() -> None:
    async def body(client: Client, running: Running) -> None:
        await client.write(
            insert(member(1, action(FORWARD, b"\x00\x03"))),
            insert(member(2, action(FORWARD, b"\x04"))),
            insert(group(10, (1, 1), (2, 2))),
        )
        assert running.switch.act_prof_members("ingress.ecmp_selector") == [
            (1, "ingress.forward", [3]),
            (2, "ingress.forward", [4]),
        ]
        assert running.switch.act_prof_groups("ingress.ecmp_selector") == [(10, [1, 2, 2])]
        members = await client.read(member(0))
        assert [e.action_profile_member for e in members] == [
            member(1, action(FORWARD, b"\x03")).action_profile_member,
            member(2, action(FORWARD, b"\x04")).action_profile_member,
        ]
        assert await client.read(group(0)) == [group(10, (1, 1), (2, 2))]

        await client.write(insert(table_entry(ECMP, [exact(1, DST)], p4r.TableAction(action_profile_group_id=10))))
        got = await client.read(table_entry(ECMP, []))
        assert got[0].table_entry.action == p4r.TableAction(action_profile_group_id=10)
        out: dict[int, list[bytes]] = {3: [], 4: []}
        for port, frames in out.items():
            running.switch.attach_port(port, frames.append)
        running.switch.receive(1, FRAME)
        assert len(out[3]) + len(out[4]) == 1  # the selector picked one member

        # point the entry at one member, then change that member's action
        await client.write(modify(table_entry(ECMP, [exact(1, DST)], p4r.TableAction(action_profile_member_id=1))))
        await client.write(modify(member(1, action(FORWARD, b"\x04"))))
        running.switch.receive(1, FRAME)
        assert len(out[4]) + len(out[3]) == 2 and out[4][-1] == FRAME
        got = await client.read(table_entry(ECMP, []))
        assert got[0].table_entry.action == p4r.TableAction(action_profile_member_id=1)

        await client.write(modify(group(10, (2, 1))))
        assert running.switch.act_prof_groups("ingress.ecmp_selector") == [(10, [2])]
        await client.write(delete(table_entry(ECMP, [exact(1, DST)])), delete(group(10)), delete(member(1)))
        assert await client.read(group(0)) == []
        assert [e.action_profile_member.member_id for e in await client.read(member(0))] == [2]

    run(body)


def test_profile_errors() -> None:
    async def body(client: Client, running: Running) -> None:
        await client.write(insert(member(1, action(FORWARD, b"\x01"))), insert(group(5, (1, 1))))
        error = await write_error(
            client,
            insert(member(1, action(FORWARD, b"\x01"))),  # 0 ALREADY_EXISTS
            modify(member(9, action(DROP))),  # 1 NOT_FOUND
            insert(member(3, action(NO_ACTION))),  # 2 @defaultonly in the table: PI checks no scope in a member
            insert(group(5, (1, 1))),  # 3 ALREADY_EXISTS
            modify(group(6, (1, 1))),  # 4 NOT_FOUND
            insert(group(7, (1, 3), (9, 2))),  # 5 more than max_group_size 4
            insert(group(8, (9, 1))),  # 6 unknown member
            insert(table_entry(ECMP, [exact(1, DST)], action(FORWARD, b"\x01"))),  # 7 a direct action
            insert(table_entry(DMAC, [exact(1, DST)], p4r.TableAction(action_profile_member_id=1))),  # 8
            insert(table_entry(ECMP, [exact(1, DST)], p4r.TableAction(action_profile_member_id=42))),  # 9
            delete(member(1)),  # 10 in use by group 5
        )
        codes = {i: e.canonical_code for i, e in error.details.items()}
        assert codes == {
            0: GRPCStatusCode.ALREADY_EXISTS,
            1: GRPCStatusCode.NOT_FOUND,
            3: GRPCStatusCode.ALREADY_EXISTS,
            4: GRPCStatusCode.NOT_FOUND,
            5: GRPCStatusCode.RESOURCE_EXHAUSTED,
            6: GRPCStatusCode.NOT_FOUND,
            7: GRPCStatusCode.INVALID_ARGUMENT,
            8: GRPCStatusCode.INVALID_ARGUMENT,
            9: GRPCStatusCode.INVALID_ARGUMENT,  # PI: "Invalid member / group id"
            10: GRPCStatusCode.UNKNOWN,  # PI passes it on, simple_switch refuses it
        }
        assert error.details[9].message.startswith("Invalid member / group id")
        assert error.details[10].message.startswith("Error when deleting member on target")
        assert error.details[7].message == (
            "table_entry.action.action: table 'ingress.ecmp' is indirect (implemented by "
            "'ingress.ecmp_selector'): give a member or group id"
        )
        assert error.details[8].message == (
            "table_entry.action.action_profile_member_id: table 'ingress.dmac' is not an indirect table: give an action"
        )

    run(body)


def action_set(*actions: tuple[p4r.TableAction, int]) -> p4r.TableAction:
    return p4r.TableAction(
        action_profile_action_set=p4r.ActionProfileActionSet(
            action_profile_actions=[p4r.ActionProfileAction(action=a.action, weight=w) for a, w in actions]
        )
    )


def test_one_shot_action_sets() -> None:
    async def body(client: Client, running: Running) -> None:
        shot = action_set((action(FORWARD, b"\x03"), 1), (action(FORWARD, b"\x04"), 2))
        await client.write(insert(table_entry(ECMP, [exact(1, DST)], shot)))
        hidden = running.switch.act_prof_members("ingress.ecmp_selector")
        assert [(a, p) for _, a, p in hidden] == [("ingress.forward", [3]), ("ingress.forward", [4])]
        ((_gid, members),) = running.switch.act_prof_groups("ingress.ecmp_selector")
        assert members == [hidden[0][0], hidden[1][0], hidden[1][0]]
        # the hidden objects are not shown; the entry reads back as written
        assert await client.read(member(0)) == [] and await client.read(group(0)) == []
        assert (await client.read(table_entry(ECMP, [])))[0].table_entry.action == shot
        out: list[bytes] = []
        running.switch.attach_port(3, out.append)
        running.switch.attach_port(4, out.append)
        running.switch.receive(1, FRAME)
        assert out == [FRAME]

        single = action_set((action(DROP), 1))
        await client.write(modify(table_entry(ECMP, [exact(1, DST)], single)))
        assert [a for _, a, _ in running.switch.act_prof_members("ingress.ecmp_selector")] == ["ingress.drop"]
        assert len(running.switch.act_prof_groups("ingress.ecmp_selector")) == 1
        await client.write(delete(table_entry(ECMP, [exact(1, DST)])))
        assert running.switch.act_prof_members("ingress.ecmp_selector") == []
        assert running.switch.act_prof_groups("ingress.ecmp_selector") == []

        # a failed insert leaves nothing behind
        await client.write(insert(table_entry(ECMP, [exact(1, DST)], single)))
        error = await write_error(client, insert(table_entry(ECMP, [exact(1, DST)], shot)))
        assert error.details[0].canonical_code == GRPCStatusCode.ALREADY_EXISTS
        assert len(running.switch.act_prof_members("ingress.ecmp_selector")) == 1
        too_heavy = action_set((action(FORWARD, b"\x03"), 5))
        error = await write_error(client, insert(table_entry(ECMP, [exact(1, b"\x09")], too_heavy)))
        assert error.details[0].canonical_code == GRPCStatusCode.RESOURCE_EXHAUSTED

    run(body)
