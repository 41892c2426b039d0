"""Malformed requests never crash the server: every update gets a P4Runtime error code, never INTERNAL."""

from __future__ import annotations

from typing import cast

import grpc
from finsy.proto import p4d, p4i, p4r
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from p4rt_harness import (
    ACL,
    CONST_T,
    DMAC,
    DMAC_FORWARD,
    DROP,
    FORWARD,
    NO_ACTION,
    PORT_COUNTER,
    PORT_METER,
    REG,
    ROUTES,
    SMAC,
    TO_CPU,
    election,
    fixture_json,
    fixture_p4info,
)

from softp4.switch import Switch
from softp4.switch.p4runtime.arbitration import Client
from softp4.switch.p4runtime.errors import P4RuntimeError
from softp4.switch.p4runtime.server import P4RuntimeService
from softp4.switch.p4runtime.stream import StreamSession

TABLES = [SMAC, DMAC, ROUTES, ACL, CONST_T, 0, 12345]
ACTIONS = [NO_ACTION, DROP, FORWARD, DMAC_FORWARD, TO_CPU, 0, 777]

small_bytes = st.binary(min_size=0, max_size=8)
field_match = st.builds(
    lambda fid, kind, a, b, n: p4r.FieldMatch(
        field_id=fid,
        **{
            "exact": {"exact": p4r.FieldMatch.Exact(value=a)},
            "lpm": {"lpm": p4r.FieldMatch.LPM(value=a, prefix_len=n)},
            "ternary": {"ternary": p4r.FieldMatch.Ternary(value=a, mask=b)},
            "range": {"range": p4r.FieldMatch.Range(low=a, high=b)},
            "optional": {"optional": p4r.FieldMatch.Optional(value=a)},
            "none": {},
        }[kind],
    ),
    st.sampled_from([0, 1, 2, 3, 4]),
    st.sampled_from(["exact", "lpm", "ternary", "range", "optional", "none"]),
    small_bytes,
    small_bytes,
    st.integers(-2, 60),
)
table_action = st.builds(
    lambda aid, params: p4r.TableAction(
        action=p4r.Action(action_id=aid, params=[p4r.Action.Param(param_id=i, value=v) for i, v in params])
    ),
    st.sampled_from(ACTIONS),
    st.lists(st.tuples(st.integers(0, 3), small_bytes), max_size=3),
)
table_entity = st.builds(
    lambda tid, matches, action, prio, default, with_action: p4r.Entity(
        table_entry=p4r.TableEntry(
            table_id=tid,
            match=matches,
            priority=prio,
            is_default_action=default,
            **({"action": action} if with_action else {}),
        )
    ),
    st.sampled_from(TABLES),
    st.lists(field_match, max_size=4),
    table_action,
    st.integers(-3, 3),
    st.booleans(),
    st.booleans(),
)
index = st.one_of(st.none(), st.integers(-2, 20))


def _indexed(kind: str, ids: list[int]) -> st.SearchStrategy[p4r.Entity]:
    def build(eid: int, i: int | None, a: bytes, b: int) -> p4r.Entity:
        where = {"index": p4r.Index(index=i)} if i is not None else {}
        if kind == "counter":
            return p4r.Entity(
                counter_entry=p4r.CounterEntry(counter_id=eid, data=p4r.CounterData(byte_count=b), **where)
            )
        if kind == "register":
            return p4r.Entity(register_entry=p4r.RegisterEntry(register_id=eid, data=p4d.P4Data(bitstring=a), **where))
        config = p4r.MeterConfig(cir=b, cburst=b, pir=b * 2, pburst=abs(b))
        return p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=eid, config=config, **where))

    return st.builds(build, st.sampled_from(ids), index, small_bytes, st.integers(-5, 10**6))


pre_entity = st.builds(
    lambda gid, ports, clone: p4r.Entity(
        packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
            **(
                {"clone_session_entry": p4r.CloneSessionEntry(session_id=gid, replicas=ports)}
                if clone
                else {"multicast_group_entry": p4r.MulticastGroupEntry(multicast_group_id=gid, replicas=ports)}
            )
        )
    ),
    st.integers(0, 70000),
    st.lists(st.builds(lambda p, i: p4r.Replica(port=p, instance=i), small_bytes, st.integers(0, 3)), max_size=4),
    st.booleans(),
)
entity = st.one_of(
    table_entity,
    _indexed("counter", [PORT_COUNTER, 0, 5]),
    _indexed("register", [REG, 0, 5]),
    _indexed("meter", [PORT_METER, 0, 5]),
    pre_entity,
    st.just(p4r.Entity()),
)
update = st.builds(lambda kind, e: p4r.Update(type=kind, entity=e), st.integers(0, 4), entity)


def _service() -> P4RuntimeService:
    service = P4RuntimeService(Switch(None, device_id=1, cpu_port=255), device_id=1, cpu_port=255)
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
    return service


SERVICE = _service()


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(update, min_size=1, max_size=6))
def test_random_writes_get_p4runtime_codes(updates: list[p4r.Update]) -> None:
    errors = SERVICE._write(p4r.WriteRequest(device_id=1, election_id=election(1), updates=updates))
    for error in errors or []:
        assert error is None or error.code != grpc.StatusCode.INTERNAL, error.message


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(entity, min_size=1, max_size=3))
def test_random_reads_get_p4runtime_codes(entities: list[p4r.Entity]) -> None:
    try:
        for e in entities:
            for _ in SERVICE._device_or_fail().read(e):
                pass
    except P4RuntimeError as error:
        assert error.code != grpc.StatusCode.INTERNAL, error.message


P4INFO_BYTES = fixture_p4info().SerializeToString()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, len(P4INFO_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_p4info_is_refused_cleanly(flips: list[tuple[int, int]]) -> None:
    data = bytearray(P4INFO_BYTES)
    for position, value in flips:
        data[position] = value
    try:
        p4info = p4i.P4Info.FromString(bytes(data))
    except Exception:  # not protobuf any more: nothing to send
        return
    request = p4r.SetForwardingPipelineConfigRequest(
        device_id=1,
        election_id=election(1),
        action=p4r.SetForwardingPipelineConfigRequest.VERIFY,
        config=p4r.ForwardingPipelineConfig(p4info=p4info, p4_device_config=fixture_json()),
    )
    try:
        SERVICE._set_pipeline(request)
    except P4RuntimeError as error:
        assert error.code != grpc.StatusCode.INTERNAL, error.message


STREAM_SERVICE = _service()
stream_request = st.one_of(
    st.builds(
        lambda device, high, low, role: p4r.StreamMessageRequest(
            arbitration=p4r.MasterArbitrationUpdate(
                device_id=device, election_id=p4r.Uint128(high=high, low=low), role=p4r.Role(name=role)
            )
        ),
        st.sampled_from([0, 1, 2]),
        st.integers(0, 2),
        st.integers(0, 5),
        st.sampled_from(["", "", "", "other"]),
    ),
    st.builds(
        lambda payload, meta: p4r.StreamMessageRequest(
            packet=p4r.PacketOut(
                payload=payload, metadata=[p4r.PacketMetadata(metadata_id=i, value=v) for i, v in meta]
            )
        ),
        st.binary(max_size=64),
        st.lists(st.tuples(st.integers(0, 3), small_bytes), max_size=3),
    ),
    st.builds(
        lambda digest_id, list_id: p4r.StreamMessageRequest(
            digest_ack=p4r.DigestListAck(digest_id=digest_id, list_id=list_id)
        ),
        st.sampled_from([0, 385875969, 7]),
        st.integers(0, 5),
    ),
    st.just(p4r.StreamMessageRequest()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(stream_request, min_size=1, max_size=5))
def test_random_stream_messages_get_p4runtime_codes(requests: list[p4r.StreamMessageRequest]) -> None:
    session = StreamSession(STREAM_SERVICE, cast(grpc.ServicerContext, None))
    try:
        for request in requests:
            try:
                session._handle(request)
            except P4RuntimeError as error:
                assert error.code != grpc.StatusCode.INTERNAL, error.message
    finally:
        STREAM_SERVICE.arbitration.remove(session.client)
