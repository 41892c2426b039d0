"""StreamChannel over gRPC: arbitration between clients, packet-out, packet-in, digests."""

from __future__ import annotations

import asyncio

import pytest
from finsy.grpcutil import GRPCStatusCode
from finsy.p4client import P4ClientError
from finsy.proto import p4d, p4r, rpc_code
from p4rt_harness import (
    ACL,
    LEARN_DIGEST,
    TO_CPU,
    Client,
    Running,
    action,
    delete,
    insert,
    modify,
    running_server,
    table_entry,
    ternary,
    write_error,
)

FRAME = bytes.fromhex("0000000000010000000000aa88b5") + b"payload-bytes"


async def read_error(client: Client, entity: p4r.Entity) -> P4ClientError:
    try:
        await client.read(entity)
    except P4ClientError as error:
        return error
    raise AssertionError("the read succeeded")


def _code_and_id(update: p4r.MasterArbitrationUpdate) -> tuple[int, int]:
    return update.status.code, update.election_id.low


def test_arbitration_between_two_clients() -> None:
    async def main(address: str) -> None:
        async with Client(address) as a, Client(address) as b:
            assert _code_and_id(await a.arbitrate(10)) == (rpc_code.OK, 10)
            await a.set_pipeline()
            assert _code_and_id(await b.arbitrate(5)) == (rpc_code.ALREADY_EXISTS, 10)
            error = await write_error(b, election_id=5)
            assert error.code == GRPCStatusCode.PERMISSION_DENIED
            await a.write()  # the primary may write (an empty batch)

            # b takes over with a higher election id: both are told
            assert _code_and_id(await b.arbitrate(20)) == (rpc_code.OK, 20)
            assert _code_and_id(await a.next_arbitration()) == (rpc_code.ALREADY_EXISTS, 20)
            assert (await write_error(a)).code == GRPCStatusCode.PERMISSION_DENIED
            await b.write()
            # reads need no arbitration
            assert await a.read(table_entry(ACL, [])) == []

            async with Client(address) as c:
                # an election id another client holds ends the stream
                await c.p4.send(
                    p4r.StreamMessageRequest(
                        arbitration=p4r.MasterArbitrationUpdate(device_id=1, election_id=p4r.Uint128(low=20))
                    )
                )
                try:
                    await c.receive()
                    raise AssertionError("the stream stayed open")
                except P4ClientError as error:
                    assert error.code == GRPCStatusCode.INVALID_ARGUMENT and error.is_election_id_used

        # b left with a; a new client on its own becomes primary
        async with Client(address) as d:
            assert _code_and_id(await d.arbitrate(1)) == (rpc_code.OK, 1)

    with running_server() as running:
        asyncio.run(main(running.address))


def test_primary_leaving_hands_over_to_the_next_highest() -> None:
    async def main(address: str) -> None:
        async with Client(address) as a:
            await a.arbitrate(3)
            async with Client(address) as b:
                await b.arbitrate(9)
                assert _code_and_id(await a.next_arbitration()) == (rpc_code.ALREADY_EXISTS, 9)
            assert _code_and_id(await a.next_arbitration()) == (rpc_code.OK, 3)

    with running_server() as running:
        asyncio.run(main(running.address))


def test_wrong_device_ends_the_stream_with_not_found() -> None:
    async def main(address: str) -> None:
        async with Client(address) as a:
            try:
                await a.arbitrate(1, device_id=42)
                raise AssertionError("the stream stayed open")
            except P4ClientError as error:
                assert error.code == GRPCStatusCode.NOT_FOUND
                assert error.message == "arbitration.device_id 42: no such device (this switch is device 1)"
        async with Client(address) as b:  # device_id 0 is this device
            assert (await b.arbitrate(1, device_id=0)).status.code == rpc_code.OK

    with running_server() as running:
        asyncio.run(main(running.address))


def test_packet_out_and_packet_in() -> None:
    async def main(running: Running) -> None:
        out: list[bytes] = []
        running.switch.attach_port(2, out.append)
        async with Client(running.address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            # packet-out: egress_port=2 in the packet_out header, _pad omitted (zero)
            await client.p4.send(
                p4r.StreamMessageRequest(
                    packet=p4r.PacketOut(payload=FRAME, metadata=[p4r.PacketMetadata(metadata_id=1, value=b"\x00\x02")])
                )
            )
            await client.arbitrate()  # handled after the packet-out, which is done by then
            assert out == [FRAME]
            # a bad packet-out gets a StreamError naming the field
            await client.p4.send(
                p4r.StreamMessageRequest(
                    packet=p4r.PacketOut(payload=FRAME, metadata=[p4r.PacketMetadata(metadata_id=9, value=b"\x01")])
                )
            )
            error = (await client.receive()).error
            assert error.canonical_code == rpc_code.INVALID_ARGUMENT
            assert error.message == "packet.metadata[0].metadata_id 9: no such field in packet_out"
            assert error.packet_out.packet_out.payload == FRAME

            # packet-in: the acl sends EtherType 0x88b5 to the CPU with the ingress port
            await client.write(
                insert(table_entry(ACL, [ternary(1, b"\x88\xb5", b"\xff\xff")], action(TO_CPU), priority=1))
            )
            running.switch.receive(3, FRAME)
            packet = (await client.receive()).packet
            assert packet == p4r.PacketIn(
                payload=FRAME,
                metadata=[
                    p4r.PacketMetadata(metadata_id=1, value=b"\x03"),
                    p4r.PacketMetadata(metadata_id=2, value=b"\x00"),
                ],
            )

    with running_server() as running:
        asyncio.run(main(running))


def test_backup_cannot_send_packets() -> None:
    async def main(running: Running) -> None:
        async with Client(running.address) as a, Client(running.address) as b:
            await a.arbitrate(2)
            await a.set_pipeline()
            await b.arbitrate(1)
            await b.p4.send(p4r.StreamMessageRequest(packet=p4r.PacketOut(payload=FRAME)))
            error = (await b.receive()).error
            assert error.canonical_code == rpc_code.PERMISSION_DENIED

    with running_server() as running:
        asyncio.run(main(running))


def test_digests_are_sent_once_configured_and_deduplicated_until_acked() -> None:
    async def main(running: Running) -> None:
        async with Client(running.address) as client:
            await client.arbitrate(1)
            await client.set_pipeline()
            running.switch.receive(4, FRAME)  # not configured yet: no digest
            config = p4r.DigestEntry.Config(max_timeout_ns=0, max_list_size=1, ack_timeout_ns=10**12)
            entry = p4r.DigestEntry(digest_id=LEARN_DIGEST, config=config)
            await client.write(insert(p4r.Entity(digest_entry=entry)))
            read_one = p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=LEARN_DIGEST))
            assert [e.digest_entry for e in await client.read(read_one)] == [entry]
            with pytest.raises(P4ClientError, match="digest_id must be set when reading DigestEntry"):
                await client.read(p4r.Entity(digest_entry=p4r.DigestEntry()))  # every digest: PI does not
            error = await write_error(client, insert(p4r.Entity(digest_entry=entry)))
            assert error.details[0].canonical_code == GRPCStatusCode.ALREADY_EXISTS

            running.switch.receive(4, FRAME)
            digest = (await client.receive()).digest
            sample = p4d.P4Data(
                struct=p4d.P4StructLike(members=[p4d.P4Data(bitstring=b"\xaa"), p4d.P4Data(bitstring=b"\x04")])
            )
            assert digest.digest_id == LEARN_DIGEST and list(digest.data) == [sample]
            # the same sample again is held back until the list is acked
            running.switch.receive(4, FRAME)
            other = FRAME[:6] + bytes.fromhex("0000000000bb") + FRAME[12:]
            running.switch.receive(5, other)
            second = (await client.receive()).digest
            assert second.list_id != digest.list_id
            assert list(second.data[0].struct.members) == [p4d.P4Data(bitstring=b"\xbb"), p4d.P4Data(bitstring=b"\x05")]
            await client.p4.send(
                p4r.StreamMessageRequest(digest_ack=p4r.DigestListAck(digest_id=LEARN_DIGEST, list_id=digest.list_id))
            )
            # the stream is handled in order: once the arbitration answer is back, so is the ack
            await client.arbitrate()
            running.switch.receive(4, FRAME)
            assert list((await client.receive()).digest.data) == [sample]

            # batching by size: a list is sent when it holds max_list_size samples
            by_size = p4r.DigestEntry.Config(max_timeout_ns=60 * 10**9, max_list_size=3, ack_timeout_ns=0)
            await client.write(modify(p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=LEARN_DIGEST, config=by_size))))
            for port in (6, 7, 8):
                running.switch.receive(port, FRAME)
            lst = (await client.receive()).digest
            assert [m.struct.members[1].bitstring for m in lst.data] == [b"\x06", b"\x07", b"\x08"]
            # ack_timeout_ns 0: nothing is held back, repeats included (as PI does)
            for _ in range(3):
                running.switch.receive(6, FRAME)
            lst = (await client.receive()).digest
            assert [m.struct.members[1].bitstring for m in lst.data] == [b"\x06", b"\x06", b"\x06"]
            # batching by time: a lone sample goes out when max_timeout_ns has passed
            by_time = p4r.DigestEntry.Config(max_timeout_ns=10**6, max_list_size=100, ack_timeout_ns=0)
            await client.write(modify(p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=LEARN_DIGEST, config=by_time))))
            running.switch.receive(9, FRAME)
            lst = (await client.receive()).digest
            assert [m.struct.members[1].bitstring for m in lst.data] == [b"\x09"]

            await client.write(delete(p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=LEARN_DIGEST))))
            error = await read_error(client, p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=LEARN_DIGEST)))
            assert error.code == GRPCStatusCode.NOT_FOUND
            assert error.message == "digest_entry: digest 'learn_t' is not configured"

    with running_server() as running:
        asyncio.run(main(running))
