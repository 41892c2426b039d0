"""Stream pieces without a network: packet-in/out framing and the bounded client queue."""

from __future__ import annotations

from typing import Any, cast

import grpc
import pytest
from finsy.proto import p4r
from p4rt_harness import election, fixture_json, fixture_p4info

from softp4.switch import Switch
from softp4.switch.p4runtime import stream
from softp4.switch.p4runtime.arbitration import Client
from softp4.switch.p4runtime.errors import P4RuntimeError
from softp4.switch.p4runtime.server import P4RuntimeService
from softp4.switch.p4runtime.translate import ControllerHeader

HEADER = ControllerHeader("packet_out", [1, 2], ["egress_port", "_pad"], [9, 7])


def test_packet_out_frame_packs_metadata_in_p4info_order() -> None:
    packet = p4r.PacketOut(
        payload=b"\xaa\xbb",
        metadata=[
            p4r.PacketMetadata(metadata_id=2, value=b"\x01"),
            p4r.PacketMetadata(metadata_id=1, value=b"\x01\x02"),
        ],
    )
    # egress_port 0x102 (9 bits) then _pad 1 (7 bits): 1000 0001 0000 0001
    assert stream.packet_out_frame(HEADER, packet) == b"\x81\x01\xaa\xbb"
    assert stream.packet_out_frame(HEADER, p4r.PacketOut(payload=b"\xcc")) == b"\x00\x00\xcc"
    assert stream.packet_out_frame(None, p4r.PacketOut(payload=b"\xcc")) == b"\xcc"
    with pytest.raises(P4RuntimeError) as info:
        stream.packet_out_frame(HEADER, p4r.PacketOut(metadata=[p4r.PacketMetadata(metadata_id=1, value=b"\x02\x00")]))
    assert info.value.message == "packet.metadata[0] ('egress_port'): value 0x0200 does not fit in 9 bits"


def test_packet_in_message_splits_the_header() -> None:
    header = ControllerHeader("packet_in", [1, 2], ["ingress_port", "_pad"], [9, 7])
    message = stream.packet_in_message(header, b"\x81\x01payload")
    assert message is not None
    assert message.packet == p4r.PacketIn(
        payload=b"payload",
        metadata=[
            p4r.PacketMetadata(metadata_id=1, value=b"\x01\x02"),
            p4r.PacketMetadata(metadata_id=2, value=b"\x01"),
        ],
    )
    assert stream.packet_in_message(header, b"\x81") is None  # shorter than the header: dropped


def test_slow_client_queue_drops_packets_not_arbitration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "MAX_QUEUED", 2)
    session = stream.StreamSession(cast(Any, None), cast(grpc.ServicerContext, None))
    packet = p4r.StreamMessageResponse(packet=p4r.PacketIn(payload=b"x"))
    arbitration = p4r.StreamMessageResponse(arbitration=p4r.MasterArbitrationUpdate(device_id=1))
    for _ in range(3):
        session.client.send(packet)
    session.client.send(arbitration)
    assert session.dropped == 1
    assert [session.queue.get() for _ in range(3)] == [packet, packet, arbitration]


def test_packet_out_needs_a_cpu_port() -> None:
    service = P4RuntimeService(Switch(), device_id=1, cpu_port=0)
    service.arbitration.update(
        Client(send=lambda message: None), p4r.MasterArbitrationUpdate(device_id=1, election_id=election(1))
    )
    service._set_pipeline(
        p4r.SetForwardingPipelineConfigRequest(
            device_id=1,
            election_id=election(1),
            action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
            config=p4r.ForwardingPipelineConfig(p4info=fixture_p4info(), p4_device_config=fixture_json()),
        )
    )
    with pytest.raises(P4RuntimeError) as info:
        service.packet_out(p4r.PacketOut(payload=b"x"))
    assert (info.value.code, info.value.message) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "packet: this switch has no CPU port",
    )
