"""Batch status: one p4.v1.Error per update, OK for successes, as PI sends it."""

from __future__ import annotations

import grpc
from finsy.proto import p4r, rpc_code, rpc_status

from softp4.switch import errors as switch_errors
from softp4.switch.p4runtime.errors import P4RuntimeError, batch_status, from_switch_error


def test_batch_status_has_one_error_per_update() -> None:
    errors = [None, P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, "dup"), None]
    code, message, details = batch_status(errors)
    assert code == grpc.StatusCode.UNKNOWN
    status = rpc_status.Status.FromString(details)
    assert status.code == rpc_code.UNKNOWN and status.message == message
    decoded = []
    for any_ in status.details:
        error = p4r.Error()
        assert any_.Unpack(error)
        decoded.append((error.canonical_code, error.message))
    assert decoded == [(rpc_code.OK, ""), (rpc_code.ALREADY_EXISTS, "dup"), (rpc_code.OK, "")]
    assert message == "1 of 3 updates failed; first: update 1: ALREADY_EXISTS: dup"


def test_switch_errors_map_to_codes() -> None:
    assert from_switch_error(switch_errors.NotFound("x")).code == grpc.StatusCode.NOT_FOUND
    assert from_switch_error(switch_errors.AlreadyExists("x")).code == grpc.StatusCode.ALREADY_EXISTS
    assert from_switch_error(switch_errors.ResourceExhausted("x")).code == grpc.StatusCode.UNKNOWN
    assert from_switch_error(switch_errors.PermissionDenied("x")).code == grpc.StatusCode.PERMISSION_DENIED
    assert from_switch_error(switch_errors.InvalidArgument("x")).code == grpc.StatusCode.INVALID_ARGUMENT
