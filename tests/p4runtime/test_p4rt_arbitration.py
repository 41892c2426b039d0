"""Arbitration without a network: election ids, primary changes and notices."""

from __future__ import annotations

import grpc
import pytest
from finsy.proto import p4r, rpc_code

from softp4.switch.p4runtime.arbitration import Arbitration, Client, election_message
from softp4.switch.p4runtime.errors import P4RuntimeError


def make_client() -> tuple[Client, list[p4r.StreamMessageResponse]]:
    inbox: list[p4r.StreamMessageResponse] = []
    return Client(send=inbox.append), inbox


def arbitrate(arb: Arbitration, client: Client, election: int | None) -> None:
    update = p4r.MasterArbitrationUpdate(device_id=1)
    if election is not None:
        update.election_id.CopyFrom(election_message(election))
    arb.update(client, update)


def last(inbox: list[p4r.StreamMessageResponse]) -> tuple[int, int]:
    update = inbox[-1].arbitration
    return update.status.code, (update.election_id.high << 64) | update.election_id.low


def test_highest_election_id_is_primary_and_everyone_is_told() -> None:
    arb = Arbitration(1)
    a, a_inbox = make_client()
    b, b_inbox = make_client()
    arbitrate(arb, a, 10)
    assert last(a_inbox) == (rpc_code.OK, 10)
    arbitrate(arb, b, 5)
    assert last(b_inbox) == (rpc_code.ALREADY_EXISTS, 10)
    assert len(a_inbox) == 1  # no change of primary: a is not told again
    assert arb.is_primary(election_message(10)) and not arb.is_primary(election_message(5))

    arbitrate(arb, b, 20)  # b takes over: both are told
    assert last(b_inbox) == (rpc_code.OK, 20)
    assert last(a_inbox) == (rpc_code.ALREADY_EXISTS, 20)

    arb.remove(b)  # primary leaves: a is the highest left
    assert last(a_inbox) == (rpc_code.OK, 10)
    arb.remove(a)
    assert arb.primary() is None and not arb.is_primary(election_message(10))


def test_duplicate_election_id_is_refused() -> None:
    arb = Arbitration(1)
    a, _ = make_client()
    b, _ = make_client()
    arbitrate(arb, a, 7)
    with pytest.raises(P4RuntimeError) as info:
        arbitrate(arb, b, 7)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.message.startswith("Election id already exists")
    arbitrate(arb, a, 7)  # the holder may repeat its own id


def test_client_without_election_id_is_a_backup() -> None:
    arb = Arbitration(1)
    a, a_inbox = make_client()
    arbitrate(arb, a, None)
    assert last(a_inbox) == (rpc_code.NOT_FOUND, 0)
    b, _ = make_client()
    arbitrate(arb, b, 3)
    assert last(a_inbox) == (rpc_code.ALREADY_EXISTS, 3)


def test_roles_other_than_default_are_unimplemented() -> None:
    arb = Arbitration(1)
    a, _ = make_client()
    with pytest.raises(P4RuntimeError) as info:
        arb.update(a, p4r.MasterArbitrationUpdate(device_id=1, role=p4r.Role(name="sdn")))
    assert info.value.code == grpc.StatusCode.UNIMPLEMENTED
